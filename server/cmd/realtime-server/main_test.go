package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// TestCommandServesAndShutsDownGracefully runs the real binary as `make run`
// does: it prints its address, serves health and pages, and on SIGTERM
// closes WebSocket clients with 1012 so they reconnect, and ends SSE
// streams instead of waiting for them until its shutdown deadline.
func TestCommandServesAndShutsDownGracefully(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "realtime-server")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "-addr", "127.0.0.1:0", "-token", "dev", "-web", t.TempDir())
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })

	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("no address printed: %v", err)
	}
	base, ok := strings.CutPrefix(strings.TrimSpace(line), "realtime server listening on ")
	if !ok {
		t.Fatalf("first line %q does not give the address", line)
	}
	go io.Copy(io.Discard, stdout)

	for path, want := range map[string]string{"/healthz": "ok", "/websocket": "WebSocket"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), want) {
			t.Fatalf("GET %s: %d, body without %q", path, resp.StatusCode, want)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	wsURL := "ws" + strings.TrimPrefix(base, "http") + "/ws"
	conn, _, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{Subprotocols: []string{"bearer.dev"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.Write(ctx, websocket.MessageText, []byte(`{"type":"ping","timestamp":1}`)); err != nil {
		t.Fatal(err)
	}
	if _, b, err := conn.Read(ctx); err != nil || !strings.Contains(string(b), `"pong"`) {
		t.Fatalf("ping answered with %q, %v", b, err)
	}

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/sse/ticker", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer dev")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sse := bufio.NewReader(resp.Body)
	if line, err := sse.ReadString('\n'); err != nil || !strings.HasPrefix(line, "retry: ") {
		t.Fatalf("SSE stream starts with %q, %v; want the retry field", line, err)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	_, _, err = conn.Read(ctx)
	if code := websocket.CloseStatus(err); code != 1012 {
		t.Fatalf("on SIGTERM the client saw %v (code %d), want a 1012 close", err, code)
	}
	if _, err := io.Copy(io.Discard, sse); err != nil {
		t.Fatalf("on SIGTERM the SSE stream failed with %v, want it to end", err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the server did not exit cleanly: %v", err)
	}
}
