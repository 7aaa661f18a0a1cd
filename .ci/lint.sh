#!/usr/bin/env bash
# gofmt, and go vet natively and for the browser (js/wasm).
set -euo pipefail
cd "$(dirname "$0")/.."

unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi
go vet ./...
GOOS=js GOARCH=wasm go vet ./wasm/... ./components/...
echo "lint: ok"
