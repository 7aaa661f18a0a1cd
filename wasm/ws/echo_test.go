package ws

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/matih-ai/realtime/wasm/protocol"
)

// bufferedOffering is an offeringConn whose writes never wait, as the
// browser's: a publish is written on the caller's goroutine. It keeps
// only the last frame written, and counts the publishes.
type bufferedOffering struct {
	*offeringConn
	last   []byte
	writes int
}

func (c *bufferedOffering) WritesWithoutWaiting() {}

func (c *bufferedOffering) Write(_ context.Context, frame []byte) error {
	c.last = append(c.last[:0], frame...)
	if bytes.HasPrefix(frame, []byte(`{"type":"publish"`)) {
		c.writes++
	}
	return nil
}

// BenchmarkEchoTurn is Go's part of one go-app echo (components/demo's
// benchEcho): a frame taken from the export, its message decoded by an
// inline subscriber, which publishes it back; the write is a copy.
func BenchmarkEchoTurn(b *testing.B) {
	turn, done := echoTurns(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		turn(i)
	}
	b.StopTimer()
	done(b.N)
}

// BenchmarkEchoTurnEvicted is BenchmarkEchoTurn with the caches emptied
// before each turn (8 MB written, more than this machine's L2), as in a
// page: between two echoes the browser's other processes and the server
// run on the same cores. Under node a turn takes some 5-9 µs in the loop
// and 20-30 µs evicted, what the page shows; "ns/turn" is the turn alone.
// It explains why Go's part of an echo costs the page three to four times
// what BenchmarkEchoTurn says, spread over every step: code and data
// fetched again, not any one hot spot.
func BenchmarkEchoTurnEvicted(b *testing.B) {
	turn, done := echoTurns(b)
	junk := make([]byte, 8<<20)
	var took time.Duration
	b.ResetTimer()
	for i := range b.N {
		evict(junk)
		start := time.Now()
		turn(i)
		took += time.Since(start)
	}
	b.StopTimer()
	done(b.N)
	b.ReportMetric(float64(took.Nanoseconds())/float64(b.N), "ns/turn")
}

// evict writes a byte of every cache line of junk.
//
//go:noinline
func evict(junk []byte) {
	for i := 0; i < len(junk); i += 64 {
		junk[i]++
	}
}

// echoTurns sets up BenchmarkEchoTurn's client: turn(i) takes the i-th
// echo's frame, done(n) checks that n were echoed.
func echoTurns(b *testing.B) (turn func(i int), done func(n int)) {
	protocol.UseFlatData() // as the go-app components do
	type message struct {
		Seq  int    `json:"seq"`
		Text string `json:"text"`
	}
	conn := &bufferedOffering{offeringConn: &offeringConn{in: make(chan []byte, 10), done: make(chan struct{})}}
	c := connectedOn(b, conn)

	const channel = "bench:echo"
	text := strings.Repeat("x", 80)
	echoed := 0
	if _, err := c.SubscribeInline(channel, func(e protocol.Envelope) {
		m, err := protocol.DecodeData[message](e)
		if err != nil || m.Text != text {
			b.Fatalf("decoded %+v, %v", m, err)
		}
		m.Seq++
		if err := c.Publish(channel, m); err != nil {
			b.Fatal(err)
		}
		echoed++
	}); err != nil {
		b.Fatal(err)
	}
	// As in BenchmarkTakeBurst.
	waitUntil(b, "events delivered", c.events.Idle)
	// The frames, as the server writes them, differ in their numbers.
	head := `{"type":"message","channel":"` + channel + `","id":"`
	body := `","timestamp":1764240000000,"data":{"seq":`
	tail := `,"text":"` + text + `"}}`
	buf := make([]byte, 0, 512)
	turn = func(i int) {
		buf = append(strconv.AppendInt(append(buf[:0], head...), int64(i+1), 10), body...)
		buf = append(strconv.AppendInt(buf, int64(i), 10), tail...)
		// The export's copy, into a frame of its own.
		if conn.take(bytes.Clone(buf), fromResumedExport) != 0 {
			b.Fatal("not taken")
		}
	}
	done = func(n int) {
		if echoed != n || conn.writes != n {
			b.Fatalf("%d echoed, %d written; want %d", echoed, conn.writes, n)
		}
		if want := fmt.Sprintf(`"seq":%d,`, n); !strings.Contains(string(conn.last), want) {
			b.Fatalf("last frame written %s, want %s in it", conn.last, want)
		}
	}
	return turn, done
}

// A publish of a Go value written at once (publishAtOnce) is exactly
// what Encode writes, checked; raw JSON is still checked, and compacted.
func TestPublishWritesWhatEncodeWrites(t *testing.T) {
	protocol.UseFlatData()
	type flat struct {
		Text string  `json:"text"`
		N    float64 `json:"n"`
	}
	conn := &bufferedOffering{offeringConn: &offeringConn{in: make(chan []byte, 10), done: make(chan struct{})}}
	c := connectedOn(t, conn)
	for _, data := range []any{
		flat{Text: "a \"quote\" <b>&</b> \u2028 é \x01 \xff", N: 1e-7},
		map[string]any{"z": []int{1, 2}, "a": "<x>"}, // encoding/json's way
		json.RawMessage(` { "a" : [ 1 , "<" ] } `),
	} {
		if err := c.Publish("demo:a", data); err != nil {
			t.Fatal(err)
		}
		want := protocol.Envelope{Type: protocol.TypePublish, Channel: "demo:a", ID: c.Publisher() + ":" + strconv.Itoa(conn.writes)}
		var err error
		if raw, ok := data.(json.RawMessage); ok {
			want.Data = raw
		} else if want.Data, err = json.Marshal(data); err != nil {
			t.Fatal(err)
		}
		b, err := protocol.Encode(want)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(conn.last, b) {
			t.Errorf("published %T as\n%s\nwant\n%s", data, conn.last, b)
		}
	}
	if cap(c.outFrame) == 0 {
		t.Error("no publish was written at once (publishAtOnce)")
	}
	if err := c.Publish("demo:a", json.RawMessage(`{"a":`)); err == nil {
		t.Error("published JSON that is cut short")
	}
}
