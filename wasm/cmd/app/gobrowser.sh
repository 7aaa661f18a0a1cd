#!/usr/bin/env bash
# Runs the go command for the browser build of the app (GOOS=js
# GOARCH=wasm) against go-app with go-app.patch applied, which leaves
# net/http out of app.wasm (see the patch's header). For example:
#
#   bash wasm/cmd/app/gobrowser.sh build -trimpath -ldflags='-s -w' -o web/app.wasm ./wasm/cmd/app
#
# The patched copy is made from the module cache at each run, in a
# temporary folder of its own (builds may run side by side), and used
# through a copy of go.mod that replaces go-app with it. The repository
# keeps only the patch; a go-app upgrade that the patch no longer fits
# fails here, loudly.
set -euo pipefail

if ! command -v git >/dev/null; then
	echo "gobrowser.sh: git is needed to apply go-app.patch" >&2
	exit 1
fi
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../.." && pwd)
cd "$root"
mod=github.com/maxence-charriere/go-app/v10

go mod download "$mod"
src=$(go list -m -f '{{.Dir}}' "$mod")
version=$(go list -m -f '{{.Version}}' "$mod")
if [[ -z $src || ! -d $src ]]; then
	echo "gobrowser.sh: $mod is not in the module cache" >&2
	exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
copy=$tmp/go-app
mkdir "$copy"
cp -R "$src/go.mod" "$src/pkg" "$copy/"
chmod -R u+w "$copy"
# git apply as a plain patch: the ceiling keeps it from taking an
# enclosing repository's top as the root of the patch's paths.
(cd "$copy" && GIT_CEILING_DIRECTORIES=$tmp git apply "$here/go-app.patch") || {
	echo "gobrowser.sh: go-app.patch does not apply to $mod $version" >&2
	exit 1
}

cp go.mod "$tmp/app.mod"
cp go.sum "$tmp/app.sum"
go mod edit -replace="$mod@$version=$copy" "$tmp/app.mod"
GOOS=js GOARCH=wasm GOFLAGS="-modfile=$tmp/app.mod ${GOFLAGS:-}" go "$@"
