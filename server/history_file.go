package server

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// FileHistory is a [History] kept in a directory, one file of JSON lines
// per channel, so that it outlives the server: a server started on the
// same directory resumes the channels' ids, replays, and repeats of
// publishes, where the last one stopped. Each message is written before
// it is delivered or acknowledged, without fsync: it survives the process,
// not a power cut. A file holds at most twice the messages kept and is
// then rewritten with the latest ones.
//
// The latest channels used are held in memory as well, with their files
// open; one directory serves one FileHistory at a time. Channel names
// become file names with ':' written '~', so the directory needs a
// case-sensitive file system.
type FileHistory struct {
	dir      string
	size     int
	channels int

	mu     sync.Mutex
	open   map[string]*fileLog
	clock  uint64
	closed bool
}

// ErrHistoryClosed is returned by a [FileHistory] used after Close:
// another one may have the directory by then.
var ErrHistoryClosed = errors.New("server: history closed")

var _ History = (*FileHistory)(nil)

// fileLog is a channel's log and its open file.
type fileLog struct {
	*channelLog
	f     *os.File
	lines int // in the file: a rewrite is due past 2*size
}

// fileMarks is the first line of a rewritten file: the marks of the
// publishers whose messages are no longer in it.
type fileMarks struct {
	Marks map[string][2]uint64 `json:"marks"` // publisher -> [seq, id]
	Start uint64               `json:"start"` // the channel's first id
}

// DefaultFileHistoryChannels is the number of channels a [FileHistory]
// holds in memory, each with an open file, when none is given.
const DefaultFileHistoryChannels = 256

// OpenFileHistory keeps the latest size messages of every channel (0
// means [DefaultHistorySize]) in dir, which it creates if needed, and
// holds up to channels of them in memory (0 means
// [DefaultFileHistoryChannels]). Close it when done.
func OpenFileHistory(dir string, size, channels int) (*FileHistory, error) {
	if size <= 0 {
		size = DefaultHistorySize
	}
	if channels <= 0 {
		channels = DefaultFileHistoryChannels
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("failed to open history: %w", err)
	}
	return &FileHistory{dir: dir, size: size, channels: channels, open: make(map[string]*fileLog)}, nil
}

// Head implements [History].
func (h *FileHistory) Head(channel, publisher string) (last, mark uint64, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	l, err := h.logLocked(channel)
	if err != nil {
		return 0, 0, err
	}
	return l.last, l.marks[publisher].seq, nil
}

// Append implements [History]: the message is written to the channel's
// file before it is kept in memory.
func (h *FileHistory) Append(channel string, m HistoryMessage) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	l, err := h.logLocked(channel)
	if err != nil {
		return err
	}
	if m.ID <= l.last {
		return fmt.Errorf("failed to keep a message of %q: %w: %d after %d", channel, errIDOrder, m.ID, l.last)
	}
	line, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("failed to keep a message of %q: %w", channel, err)
	}
	if _, err := l.f.Write(append(line, '\n')); err != nil {
		// What was written of the line is cut off when the file is next
		// read; forget the channel until then.
		h.closeLocked(channel, l)
		return fmt.Errorf("failed to keep a message of %q: %w", channel, err)
	}
	l.lines++
	l.append(m) // cannot fail: the id was checked
	if l.lines > 2*h.size && h.rewriteLocked(channel, l) != nil {
		// The message is kept all the same; the file grows until a
		// rewrite succeeds, tried again after as many lines.
		l.lines = h.size
	}
	return nil
}

// Since implements [History].
func (h *FileHistory) Since(channel string, id uint64) ([]HistoryMessage, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	l, err := h.logLocked(channel)
	if err != nil {
		return nil, err
	}
	return l.since(channel, id)
}

// Close closes the open files; using the history afterwards fails with
// ErrHistoryClosed.
func (h *FileHistory) Close() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	var errs []error
	for name, l := range h.open {
		if err := l.f.Close(); err != nil {
			errs = append(errs, fmt.Errorf("failed to close the history of %q: %w", name, err))
		}
		delete(h.open, name)
	}
	return errors.Join(errs...)
}

func (h *FileHistory) path(channel string) string {
	return filepath.Join(h.dir, strings.ReplaceAll(channel, ":", "~")+".jsonl")
}

// logLocked returns the log of channel, reading its file when it is not
// held yet.
func (h *FileHistory) logLocked(channel string) (*fileLog, error) {
	if h.closed {
		return nil, fmt.Errorf("failed to use the history of %q: %w", channel, ErrHistoryClosed)
	}
	h.clock++
	if l := h.open[channel]; l != nil {
		l.used = h.clock
		return l, nil
	}
	if len(h.open) >= h.channels {
		victim := leastRecent(h.open, func(l *fileLog) uint64 { return l.used })
		h.closeLocked(victim, h.open[victim])
	}
	l, err := h.load(channel)
	if err != nil {
		return nil, fmt.Errorf("failed to read the history of %q: %w", channel, err)
	}
	l.used = h.clock
	h.open[channel] = l
	return l, nil
}

func (h *FileHistory) closeLocked(channel string, l *fileLog) {
	l.f.Close()
	delete(h.open, channel)
}

// load reads a channel's file, creating it if needed. A line cut short by
// a crash is removed; a line that cannot be read is skipped.
func (h *FileHistory) load(channel string) (*fileLog, error) {
	f, err := os.OpenFile(h.path(channel), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	l := &fileLog{channelLog: newChannelLog(h.size), f: f}
	r := bufio.NewReader(f)
	var good int64 // bytes up to the end of the last whole line
	for {
		line, err := r.ReadBytes('\n')
		if err == io.EOF {
			break // a last line without '\n' was cut short
		}
		if err != nil {
			f.Close()
			return nil, err
		}
		good += int64(len(line))
		l.lines++
		l.read(bytes.TrimSpace(line))
	}
	if err := f.Truncate(good); err != nil {
		f.Close()
		return nil, err
	}
	if _, err := f.Seek(good, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	return l, nil
}

// read takes one line of a file: the marks of a rewritten file, or a
// message. Messages out of id order are skipped.
func (l *fileLog) read(line []byte) {
	if bytes.HasPrefix(line, []byte(`{"marks"`)) {
		var fm fileMarks
		if json.Unmarshal(line, &fm) == nil {
			for p, k := range fm.Marks {
				l.setMark(p, mark{seq: k[0], id: k[1]})
				l.last = max(l.last, k[1])
			}
			l.start = fm.Start
		}
		return
	}
	var m HistoryMessage
	if json.Unmarshal(line, &m) != nil || m.ID == 0 {
		return
	}
	l.append(m) // an id out of order is refused: skipped
}

// rewriteLocked replaces a channel's file with its marks and the messages
// held, through a new file renamed over the old one.
func (h *FileHistory) rewriteLocked(channel string, l *fileLog) error {
	fail := func(err error) error {
		return fmt.Errorf("failed to rewrite the history of %q: %w", channel, err)
	}
	fm := fileMarks{Marks: make(map[string][2]uint64, len(l.marks)), Start: l.start}
	for p, k := range l.marks {
		fm.Marks[p] = [2]uint64{k.seq, k.id}
	}
	var buf bytes.Buffer
	b, err := json.Marshal(fm)
	if err != nil {
		return fail(err)
	}
	buf.Write(b)
	buf.WriteByte('\n')
	for i := range l.held {
		b, err := json.Marshal(l.ring[(l.first+i)%len(l.ring)])
		if err != nil {
			return fail(err)
		}
		buf.Write(b)
		buf.WriteByte('\n')
	}
	path := h.path(channel)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fail(err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fail(err)
	}
	l.f.Close()
	l.f, l.lines = f, 1+l.held
	return nil
}
