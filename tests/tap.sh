# shellcheck shell=bash
# The TAP core every bash test sources (tests/integration/lib.sh for the root-only suites,
# tests/docs/tap.sh for the unprivileged ones): counters, ok/is/like/unlike/check, the
# closing line.
T_N=0
T_FAILED=0

plan() { echo "1..$1"; }
diag() { printf "%s\n" "$*" | sed "s/^/# /"; } # every line a comment: TAP has no multi-line diag
ok() {
	T_N=$((T_N + 1))
	if [ "$1" = 0 ]; then
		echo "ok $T_N - $2"
	else
		echo "not ok $T_N - $2"
		T_FAILED=$((T_FAILED + 1))
	fi
}
# check DESCRIPTION CMD...: ok when CMD succeeds
check() {
	local d=$1
	shift
	"$@" >/dev/null 2>&1
	ok $? "$d"
}
# is DESCRIPTION GOT WANT
is() {
	if [ "$2" = "$3" ]; then ok 0 "$1"; else ok 1 "$1"; diag "got '$2', want '$3'"; fi
}
# like DESCRIPTION GOT REGEX
like() {
	if printf '%s' "$2" | grep -Eq -- "$3"; then ok 0 "$1"; else ok 1 "$1"; diag "got '$2', want /$3/"; fi
}
# unlike DESCRIPTION GOT REGEX
unlike() {
	if printf '%s' "$2" | grep -Eq -- "$3"; then ok 1 "$1"; diag "got '$2', want no /$3/"; else ok 0 "$1"; fi
}

finish() {
	echo "# $((T_N - T_FAILED)) passed, $T_FAILED failed"
	[ "$T_FAILED" = 0 ]
	exit $?
}
