# Two commands do everything: `make run` serves the demo, `make test` runs
# every test (browser tests included). Recipes stay thin; scripts live in .ci/.

GO       ?= go
ADDR     ?= 127.0.0.1:8080
BIN      := bin/realtime-server
APP_WASM := web/app.wasm
MODULE_WASM := web/realtime.wasm
WASM_EXEC   := web/wasm_exec.js
COMPRESSED  := $(APP_WASM).br $(APP_WASM).gz $(MODULE_WASM).br $(MODULE_WASM).gz
PRECOMPRESS := bin/precompress
# Brotli's best takes about a minute per wasm file; 9 takes seconds and
# gives files some 12% larger: `make build BROTLI_QUALITY=9` for a quick one.
BROTLI_QUALITY ?= 11
FUZZTIME   ?= 10s
LOAD_FLAGS ?=
TSC      := node_modules/.bin/tsc
NODE_MODULES := node_modules/.package-lock.json
GO_SRC   := go.mod go.sum $(shell find wasm components server -name '*.go' -not -name '*_test.go')

.PHONY: all build run test bench fuzz load soak lint typecheck clean FORCE

all: build

build: $(APP_WASM) $(MODULE_WASM) $(WASM_EXEC) $(COMPRESSED) $(BIN)

# The app links the runtime and the components, never the server, and is
# built against go-app patched to leave net/http out (see the script).
$(APP_WASM): $(GO_SRC) wasm/cmd/app/gobrowser.sh wasm/cmd/app/go-app.patch
	bash wasm/cmd/app/gobrowser.sh build -trimpath -ldflags='-s -w' -o $@ ./wasm/cmd/app

# The JavaScript module's runtime: no go-app, no server.
$(MODULE_WASM): $(GO_SRC)
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags='-s -w' -o $@ ./wasm/cmd/module

# Go's support script must come from the Go that built the wasm files:
# copied at each build, never committed, so the two cannot drift apart.
$(WASM_EXEC): FORCE
	@src="$$($(GO) env GOROOT)/lib/wasm/wasm_exec.js"; cmp -s "$$src" $@ || cp "$$src" $@

# The server sends these to browsers that accept br or gzip.
web/%.wasm.br web/%.wasm.gz: web/%.wasm $(PRECOMPRESS)
	./$(PRECOMPRESS) -quality $(BROTLI_QUALITY) $<

$(PRECOMPRESS): go.mod go.sum $(wildcard server/cmd/precompress/*.go)
	$(GO) build -o $@ ./server/cmd/precompress

$(BIN): $(GO_SRC)
	$(GO) build -trimpath -o $@ ./server/cmd/realtime-server

run: build
	./$(BIN) -addr $(ADDR) -web web

# Native tests with the race detector; e2e/ builds its own wasm files and
# drives Chromium (it fails, not skips, when CI is set and there is none).
test: lint typecheck build
	$(GO) test -race -count=1 ./...

# The benchmark suite in full (bench/): a few minutes of Chromium and
# loopback traffic; prints the report and writes it to bench/REPORT.md.
# `make test` runs its smoke, which never judges a figure.
bench:
	BENCH=full BENCH_REPORT=$(CURDIR)/bench/REPORT.md $(GO) test -count=1 -timeout 30m -run '^TestBench$$' ./bench
	@cat bench/REPORT.md

# Every fuzz target for FUZZTIME, one after another; CI runs a short one.
fuzz:
	FUZZTIME=$(FUZZTIME) bash .ci/fuzz.sh

# 2,000 connections for 60 s against a server the tool starts, on loopback;
# fails on any loss or error. `make test` runs a small one.
load:
	$(GO) run ./server/cmd/realtime-load $(LOAD_FLAGS)

# 50 clients, SSE tickers and notification centers for 25 s through a
# proxy that drops, cuts, stalls and delays, with two server restarts;
# fails on any message lost or repeated. `make test` runs a 3 s one.
soak:
	SOAK=full $(GO) test -race -count=1 -run '^TestSoak$$' -v ./server

lint:
	bash .ci/lint.sh

# realtime.d.ts against an example that uses the whole API, with the
# TypeScript of package-lock.json.
typecheck: $(NODE_MODULES)
	$(TSC) -p tsconfig.json

$(NODE_MODULES): package.json package-lock.json
	npm ci --no-audit --no-fund

clean:
	rm -rf bin node_modules $(APP_WASM) $(MODULE_WASM) $(WASM_EXEC) $(COMPRESSED)

FORCE:
