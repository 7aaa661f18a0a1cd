# One entry point: `make run` serves the demo, `make test` runs every test.
# The recipes are thin wrappers over scripts in .ci/.

GO       ?= go
ADDR     ?= 127.0.0.1:8080
BIN      := bin/realtime-server
APP_WASM := web/app.wasm

.PHONY: all build wasm server run test test-native test-wasm test-browser lint clean

all: build

build: wasm server

wasm: $(APP_WASM)

# The wasm depends on every Go file outside server/.
$(APP_WASM): go.mod go.sum $(shell find wasm components -name '*.go' -not -name '*_test.go')
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags='-s -w' -o $@ ./wasm/cmd/app

server:
	$(GO) build -trimpath -o $(BIN) ./server/cmd/realtime-server

run: build
	./$(BIN) -addr $(ADDR) -web web

test: lint test-native test-browser

test-native:
	$(GO) test -race ./...

lint:
	bash .ci/lint.sh

test-browser: build
	bash .ci/browser-test.sh

clean:
	rm -rf bin web/*.wasm
