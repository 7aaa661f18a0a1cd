// Package bench is the benchmark suite of the realtime runtime (issue 7):
// one headless Chromium run against one in-process server compares a plain
// JavaScript WebSocket client, realtime.js and the go-app provider path on
// echo round trips, a burst, a live feed rendered to a table and the time
// to connect, and times an echo's stages in the page (stages_test.go); it
// weighs app.wasm and realtime.wasm, and measures the
// server's hub against a bare coder/websocket loop and its memory per idle
// connection.
//
// `go test ./bench` runs a smoke of it: tiny counts, every row produced,
// no figure judged. `make bench` runs it in full and writes REPORT.md:
//
//	BENCH=full BENCH_REPORT=$PWD/bench/REPORT.md go test -count=1 -timeout 30m -run '^TestBench$' ./bench
//
// Targets are printed beside the figures, marked PASS or MISS; a benchmark
// never fails on a time. FINDINGS.md says where the browser time goes,
// what was tried, and what is left.
package bench
