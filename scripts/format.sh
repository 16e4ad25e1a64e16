#!/bin/sh
# Formats every C file we own (scripts/c-sources.sh) in place with .clang-format; tests/lint.sh
# checks the same files with the same clang-format. Prints how many lines it changed.
set -eu
cd "$(dirname "$0")/.."
CLANG_FORMAT=${CLANG_FORMAT:-$(command -v clang-format-14 || command -v clang-format)}
before=$(mktemp -d /tmp/vpsctl-format.XXXXXX)
trap 'rm -rf "${before:?}"' EXIT
scripts/c-sources.sh | while read -r f; do
	mkdir -p "$before/$(dirname "$f")"
	cp "$f" "$before/$f"
done
scripts/c-sources.sh | xargs -r -n 20 -P 2 "$CLANG_FORMAT" -i --style=file
changed=$(scripts/c-sources.sh | while read -r f; do
	diff -U0 "$before/$f" "$f" || true
done | awk '/^--- /{next} /^-/{n++} END{print n+0}')
echo "clang-format: $changed lines changed"
