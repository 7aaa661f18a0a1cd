#!/usr/bin/env bash
# Runs every fuzz target (func FuzzXxx in a _test.go file) for FUZZTIME
# each (default 10s), one after another: fuzzing uses every core, so two
# at once only halve each other. Names given as arguments run only those.
#
# A crash fails the run once every target has had its turn; go test prints
# the input it wrote under <package>/testdata/fuzz/<Name>/ and the command
# that replays it. Keep that file once the bug is fixed: it becomes a seed.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZTIME="${FUZZTIME:-10s}"

failed=()
ran=0
while IFS= read -r file; do
  dir=$(dirname "$file")
  for name in $(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' "$file"); do
    if [ $# -gt 0 ] && ! printf '%s\n' "$@" | grep -qx "$name"; then
      continue
    fi
    echo "== $name ($dir, $FUZZTIME)"
    ran=$((ran + 1))
    if ! go test -run='^$' -fuzz="^${name}\$" -fuzztime="$FUZZTIME" "./$dir"; then
      failed+=("$name ($dir)")
    fi
  done
done < <(grep -rlE '^func Fuzz[A-Za-z0-9_]*\(' --include='*_test.go' wasm server components | sort)

if [ "$ran" -eq 0 ]; then
  echo "fuzz: no target matched $*"; exit 1
fi
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: failed:"; printf '  %s\n' "${failed[@]}"; exit 1
fi
echo "fuzz: ok ($ran targets, $FUZZTIME each)"
