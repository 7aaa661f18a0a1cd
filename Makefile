# Two commands do everything: `make run` serves the demo, `make test` runs
# every test (browser tests included). Recipes stay thin; scripts live in .ci/.

GO       ?= go
ADDR     ?= 127.0.0.1:8080
BIN      := bin/realtime-server
APP_WASM := web/app.wasm
GO_SRC   := go.mod go.sum $(shell find wasm components server -name '*.go' -not -name '*_test.go')

.PHONY: all build run test lint clean

all: build

build: $(APP_WASM) $(BIN)

# The app links the runtime and the components, never the server.
$(APP_WASM): $(GO_SRC)
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags='-s -w' -o $@ ./wasm/cmd/app

$(BIN): $(GO_SRC)
	$(GO) build -trimpath -o $@ ./server/cmd/realtime-server

run: build
	./$(BIN) -addr $(ADDR) -web web

# Native tests with the race detector; e2e/ builds its own app.wasm and
# drives Chromium (it fails, not skips, when CI is set and there is none).
test: lint build
	$(GO) test -race -count=1 ./...

lint:
	bash .ci/lint.sh

clean:
	rm -rf bin $(APP_WASM)
