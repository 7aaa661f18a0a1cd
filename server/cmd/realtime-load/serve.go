package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/matih-ai/realtime/server"
)

// serveEnv, set to 1, makes the program the server of a run instead of
// its load: the clients and the server then live in two processes, so
// the server's memory is its own. It is how run starts the server.
const serveEnv = "REALTIME_LOAD_SERVE"

// memPath is where the server of a run answers its memory figures.
const memPath = "/_load/mem"

// memStats is the server's memory at one moment.
type memStats struct {
	HeapAlloc  uint64 `json:"heapAlloc"` // bytes of live objects (after a collection when asked)
	HeapInuse  uint64 `json:"heapInuse"` // bytes of heap spans in use
	RSS        uint64 `json:"rss"`       // resident set size; 0 where /proc is missing
	Goroutines int    `json:"goroutines"`
}

// serve runs a server with the default options on a loopback port,
// prints its address on stdout and serves until stdin closes: the parent
// closes it to stop the server, and a parent that dies stops it too.
func serve() error {
	srv := server.New(server.Options{})
	mux := http.NewServeMux()
	mux.Handle("/", srv)
	mux.HandleFunc("GET "+memPath, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("gc") == "1" {
			runtime.GC()
		}
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(memStats{HeapAlloc: m.HeapAlloc, HeapInuse: m.HeapInuse, RSS: rss(os.Getpid()), Goroutines: runtime.NumGoroutine()})
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("failed to listen: %w", err)
	}
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	fmt.Printf("listening %s\n", ln.Addr())

	io.Copy(io.Discard, os.Stdin)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	wsErr := make(chan error, 1)
	go func() { wsErr <- srv.Shutdown(ctx) }()
	httpErr := hs.Shutdown(ctx)
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return errors.Join(httpErr, <-wsErr)
}

// child is the server process of a run.
type child struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	addr  string
}

// startChild starts this program as a server (see serve) and waits for
// its address.
func startChild() (*child, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("failed to find this program to start the server: %w", err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), serveEnv+"=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("failed to start the server: %w", err)
	}
	c := &child{cmd: cmd, stdin: stdin}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "listening ")
	if err != nil || !ok {
		c.stop()
		return nil, fmt.Errorf("the server did not start: %q, %v", line, err)
	}
	go io.Copy(io.Discard, stdout)
	c.addr = addr
	return c, nil
}

// stop closes the server's stdin and waits for it to shut down.
func (c *child) stop() error {
	c.stdin.Close()
	done := make(chan error, 1)
	go func() { done <- c.cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(15 * time.Second):
		c.cmd.Process.Kill()
		<-done
		return errors.New("the server did not stop within 15 s and was killed")
	}
}

// mem asks the server of a run for its memory, after a collection when gc
// is set, so that live memory is measured rather than garbage.
func (c *child) mem(gc bool) (memStats, error) {
	url := "http://" + c.addr + memPath
	if gc {
		url += "?gc=1"
	}
	var m memStats
	resp, err := http.Get(url)
	if err != nil {
		return m, err
	}
	defer resp.Body.Close()
	return m, json.NewDecoder(resp.Body).Decode(&m)
}

// rss reads the resident set size of a process from /proc; 0 if it cannot.
func rss(pid int) uint64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for line := range bytes.Lines(b) {
		if rest, ok := bytes.CutPrefix(line, []byte("VmRSS:")); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(string(rest)), " kB"), 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}
