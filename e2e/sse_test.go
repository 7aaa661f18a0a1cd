package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/matih-ai/realtime/server"
	"github.com/matih-ai/realtime/wasm/sse"
)

// Fast ticks and retries keep the tests short; the behaviour is the same.
var sseOptions = server.Options{TickInterval: 100 * time.Millisecond, SSERetry: 100 * time.Millisecond}

func number(sel string) string {
	return `Number(document.querySelector('` + sel + `')?.textContent)`
}

func evalInt(t *testing.T, ctx context.Context, js string) int {
	t.Helper()
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](js))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSSEDemoTickerResumesWithoutAGap(t *testing.T) {
	_, ctx := openDemo(t, sseOptions, "/sse")
	waitFor(t, ctx, "ticks", number("#ticks")+" >= 3")

	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#drop"))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the ticker to resume after the drop", number("#reconnects")+" >= 1")
	after := evalInt(t, ctx, number("#ticks"))
	waitFor(t, ctx, "more ticks after the drop", number("#ticks")+" >= "+strconv.Itoa(after+5))
	screenshot(t, ctx, "sse-ticker")

	if gaps := evalInt(t, ctx, number("#gaps")); gaps != 0 {
		t.Fatalf("%d gaps in the ticker after a drop", gaps)
	}
	if lost := evalInt(t, ctx, `document.querySelectorAll('#lost').length`); lost != 0 {
		t.Fatal("the page reports lost history after a drop")
	}
}

// expectedAnswer reads the whole answer to prompt with the Go client.
func expectedAnswer(t *testing.T, base, prompt string) string {
	t.Helper()
	resp, err := http.Get(base + "/sse/answer?prompt=" + url.QueryEscape(prompt))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	p := sse.NewParser(resp.Body)
	var text strings.Builder
	for {
		ev, err := p.Next()
		if errors.Is(err, io.EOF) {
			t.Fatal("the answer ended without done")
		}
		if err != nil {
			t.Fatal(err)
		}
		if ev.Type == "done" {
			return text.String()
		}
		var d struct{ Text string }
		json.Unmarshal([]byte(ev.Data), &d)
		text.WriteString(d.Text)
	}
}

func TestSSEDemoAnswerSurvivesADropMidStream(t *testing.T) {
	opts := sseOptions
	opts.AnswerTokenDelay = 60 * time.Millisecond
	srv, ctx := openDemo(t, opts, "/sse")
	const prompt = "why is the revenue dashboard slow"
	// The page is pre-rendered: wait for the app before typing into it.
	waitFor(t, ctx, "the ticker", number("#ticks")+" >= 1")
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#prompt"), prompt),
		chromedp.Click(chromedp.CSS("#ask")),
	); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the first tokens", `parseInt(document.querySelector('#answer-tokens')?.textContent) >= 3`)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#drop"))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the whole answer", `document.querySelector('#answer')?.dataset.done === "true"`)
	screenshot(t, ctx, "sse-answer")

	got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#answer').textContent`))
	if err != nil {
		t.Fatal(err)
	}
	want := expectedAnswer(t, "http://"+srv.addr, prompt)
	if got != want {
		t.Fatalf("after a drop mid-answer the page shows\n%q\nwant\n%q", got, want)
	}
}

func TestNativeEventSourceResumesOnTheServersStream(t *testing.T) {
	srv, ctx := openDemo(t, sseOptions, "/e2e/native-sse.html")
	waitFor(t, ctx, "ticks in the native EventSource", `window.ids.length >= 3`)
	before := evalInt(t, ctx, `window.ids.length`)
	srv.dropStreams()
	waitFor(t, ctx, "the native EventSource to notice the drop", `window.errors >= 1`)
	waitFor(t, ctx, "ticks after the drop", `window.ids.length >= `+strconv.Itoa(before+5))

	ids, err := chromedp.Run(ctx, chromedp.Evaluate[[]int64](`window.ids`))
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(ids); i++ {
		if ids[i] != ids[i-1]+1 {
			t.Fatalf("native EventSource saw tick %d after %d: ids %v", ids[i], ids[i-1], ids)
		}
	}
	if lost := evalInt(t, ctx, `window.lost`); lost != 0 {
		t.Fatalf("history lost %d times", lost)
	}
}
