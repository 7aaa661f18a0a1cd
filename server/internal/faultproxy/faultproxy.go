// Package faultproxy is a TCP proxy on 127.0.0.1 that breaks connections
// the way networks do, for tests: it drops them, cuts them in the middle
// of what they carry, stalls them and delays them. It forwards to one
// target address, which may go away and come back (a server restarted on
// the same address).
//
// Every goroutine it starts ends by Close.
package faultproxy

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"sync"
	"time"
)

// Stats counts what a Proxy did.
type Stats struct {
	Accepted int   // connections accepted
	Refused  int   // connections refused: Refuse was on or the target was down
	Dropped  int   // connections dropped by Drop
	Cut      int   // connections ended mid-stream by CutAfter
	Stalls   int   // calls to Stall
	Bytes    int64 // bytes forwarded, both ways
}

// Proxy forwards TCP connections to a target and injects faults.
type Proxy struct {
	ln     net.Listener
	target string
	wg     sync.WaitGroup

	mu     sync.Mutex
	links  map[*link]struct{}
	refuse bool
	delay  time.Duration
	gate   chan struct{} // closed while traffic flows; open during a stall
	stall  *time.Timer
	closed bool
	stats  Stats
}

// link is one proxied connection: the client's side and the target's.
type link struct {
	p              *Proxy
	client, server net.Conn
	done           chan struct{} // closed by end
	once           sync.Once

	budget [2]int64 // guarded by p.mu: bytes left before a cut, to the target and back; -1 for none
}

// New listens on 127.0.0.1 and forwards to target ("host:port").
func New(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("faultproxy: failed to listen: %w", err)
	}
	gate := make(chan struct{})
	close(gate)
	p := &Proxy{ln: ln, target: target, links: make(map[*link]struct{}), gate: gate}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr is the address clients dial.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		in, err := p.ln.Accept()
		if err != nil {
			return // closed
		}
		p.mu.Lock()
		refuse := p.refuse || p.closed
		p.mu.Unlock()
		var out net.Conn
		if !refuse {
			out, err = net.DialTimeout("tcp", p.target, time.Second)
			refuse = err != nil
		}
		p.mu.Lock()
		if refuse || p.closed {
			p.stats.Refused++
			p.mu.Unlock()
			in.Close()
			if out != nil {
				out.Close()
			}
			continue
		}
		l := &link{p: p, client: in, server: out, done: make(chan struct{}), budget: [2]int64{-1, -1}}
		p.links[l] = struct{}{}
		p.stats.Accepted++
		p.wg.Add(2)
		p.mu.Unlock()
		go l.pump(out, in, 0)
		go l.pump(in, out, 1)
	}
}

// pump copies src to dst chunk by chunk, applying the faults in force.
func (l *link) pump(dst, src net.Conn, dir int) {
	defer l.p.wg.Done()
	defer l.end()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			chunk, cut := l.take(buf[:n], dir)
			if !l.wait() {
				return
			}
			if _, werr := dst.Write(chunk); werr != nil {
				return
			}
			if cut {
				l.p.mu.Lock()
				l.p.stats.Cut++
				l.p.mu.Unlock()
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// take returns what of chunk may go out, and whether the link is cut
// after it.
func (l *link) take(chunk []byte, dir int) ([]byte, bool) {
	p := l.p
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stats.Bytes += int64(len(chunk))
	budget := &l.budget[dir]
	if *budget < 0 {
		return chunk, false
	}
	if int64(len(chunk)) < *budget {
		*budget -= int64(len(chunk))
		return chunk, false
	}
	return chunk[:*budget], true
}

// wait holds a chunk for the delay and through a stall; it reports false
// once the link has ended.
func (l *link) wait() bool {
	l.p.mu.Lock()
	delay, gate := l.p.delay, l.p.gate
	l.p.mu.Unlock()
	if delay > 0 {
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-l.done:
			return false
		}
	}
	select {
	case <-gate:
		return true
	case <-l.done:
		return false
	}
}

// end closes both sides, once; the other pump ends too.
func (l *link) end() {
	l.once.Do(func() {
		close(l.done)
		l.client.Close()
		l.server.Close()
		l.p.mu.Lock()
		delete(l.p.links, l)
		l.p.mu.Unlock()
	})
}

// pickLocked returns a share of the open links, at random: all of them
// for share 1, at least one when there is one and share > 0.
func (p *Proxy) pickLocked(share float64) []*link {
	out := make([]*link, 0, len(p.links))
	for l := range p.links {
		out = append(out, l)
	}
	rand.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	n := int(math.Ceil(share * float64(len(out))))
	return out[:min(max(n, 0), len(out))]
}

// Drop ends a share (0 to 1) of the open connections, picked at random,
// at once, as a network that went away: no close handshake, no more
// bytes. It returns how many it ended.
func (p *Proxy) Drop(share float64) int {
	p.mu.Lock()
	links := p.pickLocked(share)
	p.stats.Dropped += len(links)
	p.mu.Unlock()
	for _, l := range links {
		l.end()
	}
	return len(links)
}

// CutAfter lets a share (0 to 1) of the open connections, picked at
// random, carry at most n more bytes each way and then ends them, the
// last chunk cut short: a peer sees half a frame and then nothing. It
// returns how many it armed.
func (p *Proxy) CutAfter(n int, share float64) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	links := p.pickLocked(share)
	for _, l := range links {
		l.budget = [2]int64{int64(max(n, 0)), int64(max(n, 0))}
	}
	return len(links)
}

// Stall stops forwarding on every connection, open or new, for d: bytes
// wait in the proxy and the sockets' buffers, then flow again. A stall
// during a stall extends it.
func (p *Proxy) Stall(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.stats.Stalls++
	if p.stall != nil && p.stall.Stop() {
		// The current stall goes on; its gate opens after d instead.
	} else {
		p.gate = make(chan struct{})
	}
	gate := p.gate
	// Each gate is closed once: by the one timer that was not stopped, or
	// by Close.
	var t *time.Timer
	t = time.AfterFunc(d, func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		close(gate)
		if p.stall == t {
			p.stall = nil
		}
	})
	p.stall = t
}

// SetDelay holds every chunk for d before forwarding it; 0 forwards at
// once.
func (p *Proxy) SetDelay(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.delay = d
}

// Refuse makes the proxy accept and at once close new connections while
// on, as a port nothing listens on would.
func (p *Proxy) Refuse(on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refuse = on
}

// Stats returns the counts so far.
func (p *Proxy) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}

// Close stops listening, ends every connection and waits for the
// proxy's goroutines.
func (p *Proxy) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	if p.stall != nil && p.stall.Stop() {
		close(p.gate)
	}
	p.mu.Unlock()
	err := p.ln.Close()
	p.mu.Lock()
	links := p.pickLocked(1)
	p.mu.Unlock()
	for _, l := range links {
		l.end()
	}
	p.wg.Wait()
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}
