package server

import (
	"encoding/json"
	"hash/fnv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/matih-ai/realtime/wasm/clock"
)

// answer is the simulated streaming answer of /sse/answer: token events
// 0..n-1 then a done event with id n, after which the stream ends. The
// tokens are a pure function of the prompt, so a client that resumes, even
// on a restarted server, gets exactly the tokens it lacks.
//
// One answer serves one request, paced from the moment it was opened:
// the token after from is due one delay later, the next one after two.
type answer struct {
	clock  clock.Clock
	tokens []string
	from   int64 // the newest event when opened: where the client resumed, or -1
	start  time.Time
	delay  time.Duration
}

var _ Stream = (*answer)(nil)

type tokenData struct {
	Index int64  `json:"index"`
	Text  string `json:"text"`
}

type doneData struct {
	Tokens int64 `json:"tokens"`
}

// newAnswer opens the answer to prompt for a client that has seen the
// events up to resume (-1 for none). A resume the answer never issued
// opens it from the start, so Since(resume) reports lost history.
func newAnswer(c clock.Clock, delay time.Duration, prompt string, resume int64) *answer {
	a := &answer{clock: c, tokens: answerTokens(prompt), from: -1, start: c.Now(), delay: delay}
	if resume >= 0 && resume <= a.count() {
		a.from = resume
	}
	return a
}

// count is the number of tokens, and so the id of the done event.
func (a *answer) count() int64 { return int64(len(a.tokens)) }

func (a *answer) newest(now time.Time) int64 {
	return min(a.count(), a.from+int64(now.Sub(a.start)/a.delay))
}

// Window returns the whole answer up to the newest event due.
func (a *answer) Window() (oldest, newest int64) { return 0, a.newest(a.clock.Now()) }

// Since returns the events after id that are due.
func (a *answer) Since(id int64) ([]Event, error) {
	newest := a.newest(a.clock.Now())
	if ok, err := sinceWindow(id, 0, newest); !ok {
		return nil, err
	}
	if id == a.count() {
		return nil, ErrStreamEnded
	}
	last := min(newest, id+sinceBatch)
	out := make([]Event, 0, last-id)
	for i := id + 1; i <= last; i++ {
		out = append(out, a.event(i))
	}
	return out, nil
}

// Wait is ready when the event after id is due, or at once when id is not
// the newest event due or is the last.
func (a *answer) Wait(id int64) (ready <-chan struct{}, stop func()) {
	now := a.clock.Now()
	if id != a.newest(now) || id == a.count() {
		return closedChan, noStop
	}
	due := a.start.Add(time.Duration(id+1-a.from) * a.delay)
	return after(a.clock, due.Sub(now))
}

func (a *answer) event(i int64) Event {
	if i == a.count() {
		data, _ := json.Marshal(doneData{Tokens: i}) // an int cannot fail
		return Event{ID: i, Name: "done", Data: data}
	}
	data, _ := json.Marshal(tokenData{Index: i, Text: a.tokens[i]}) // valid UTF-8, cannot fail
	return Event{ID: i, Name: "token", Data: data}
}

// answerSentences are the sentences an answer picks from. Their count is
// prime, so every step walks through all of them without a repeat.
var answerSentences = [...]string{
	"The query planner would push the filter down to the scan.",
	"Partitioning the table by day keeps each scan small.",
	"A materialized view can serve the dashboard without recomputing it.",
	"Streaming the result lets the first rows show while the rest arrive.",
	"An index on the join key turns the nested loop into a lookup.",
	"Sampling one percent of the rows gives a quick estimate first.",
	"The notebook can cache the intermediate frame between cells.",
	"Column statistics suggest the distribution is heavily skewed.",
	"A window function computes the running total in one pass.",
	"Late events can be merged when the watermark moves forward.",
	"Every step of the pipeline can be replayed from its checkpoint.",
}

// promptEcho is how many runes of the prompt an answer quotes.
const promptEcho = 60

// answerTokens splits the answer to prompt into tokens that, joined, give
// its text: the first word, then each next word with its leading space, as
// language models stream them. The same prompt always gives the same ones.
func answerTokens(prompt string) []string {
	prompt = strings.Join(strings.Fields(strings.ToValidUTF8(prompt, "\uFFFD")), " ")
	if utf8.RuneCountInString(prompt) > promptEcho {
		prompt = string([]rune(prompt)[:promptEcho]) + "…"
	}
	h := fnv.New64a()
	h.Write([]byte(prompt))
	sum := h.Sum64()
	n := uint64(len(answerSentences))
	first, step, count := sum%n, 1+(sum/n)%(n-1), 3+(sum/n/n)%3

	text := `You asked: "` + prompt + `".`
	for i := range count {
		text += " " + answerSentences[(first+i*step)%n]
	}
	words := strings.Fields(text)
	for i := 1; i < len(words); i++ {
		words[i] = " " + words[i]
	}
	return words
}
