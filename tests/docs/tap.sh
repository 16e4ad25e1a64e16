# shellcheck shell=bash
# TAP helpers of the unprivileged docs tests (tests/integration/lib.sh is the root-only kind).
set -u

VPSCTL=${VPSCTL:-$(dirname "$0")/../../build/vpsctl}
SOURCE_DIR=${SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$(dirname "${BASH_SOURCE[0]}")/../tap.sh"

skip() { T_N=$((T_N + 1)); echo "ok $T_N - $1 # SKIP $2"; }
# missing DESCRIPTION LIST: ok when LIST (words that should have been found) is empty.
missing() {
	if [ -z "$2" ]; then ok 0 "$1"; else ok 1 "$1"; diag "missing:$2"; fi
}

# The commands `vpsctl --help` lists.
help_commands() {
	"$VPSCTL" --help | sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p'
}
# The long flags `vpsctl CMD... --help` prints (--help itself included).
help_flags() {
	"$VPSCTL" "$@" --help | grep -o -- '--[a-z][a-z0-9-]*' | sort -u
}

