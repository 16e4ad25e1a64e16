#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Two builds of vpsctl side by side: start, exec -- true and stop --force of a busybox VPS,
# the two alternating run by run so that a noisy machine shifts both alike. Prints median and
# minimum per build and operation. For "what did this change cost".
# Usage: bench/ab.sh OLD_VPSCTL NEW_VPSCTL [RUNS]   (root; own network namespace, --root
#        and cgroup parent per build; everything it made goes away on exit)
set -eu
if [ $# -lt 2 ]; then
	echo "usage: bench/ab.sh OLD_VPSCTL NEW_VPSCTL [RUNS]" >&2
	exit 2
fi
if [ -z "${VPSCTL_AB_IN_NODE:-}" ]; then
	VPSCTL_AB_IN_NODE=1 exec unshare --net -- "$0" "$@"
fi
declare -A BIN=([old]=$(readlink -f "$1") [new]=$(readlink -f "$2")) ROOT=()
RUNS=${3:-20}
cleanup() {
	set +e
	for k in old new; do
		[ -n "${ROOT[$k]:-}" ] || continue
		"${BIN[$k]}" --root "${ROOT[$k]}" stop --force b >/dev/null 2>&1
		"${BIN[$k]}" --root "${ROOT[$k]}" destroy --force b >/dev/null 2>&1
		rm -rf "${ROOT[$k]:?}"
	done
}
trap cleanup EXIT
for k in old new; do
	ROOT[$k]=$(mktemp -d /tmp/vpsctl-ab.XXXXXX)
	mkdir -p "${ROOT[$k]}/etc/vpsctl"
	printf 'CGROUP_PARENT=/vpsctl-ab-%s-%s\nDEFAULT_DISK=0\n' "$k" $$ >"${ROOT[$k]}/etc/vpsctl/vpsctl.conf"
	"${BIN[$k]}" --root "${ROOT[$k]}" template build busybox >/dev/null
	"${BIN[$k]}" --root "${ROOT[$k]}" create b --template busybox >/dev/null
done
now_us() { echo "${EPOCHREALTIME/./}"; }
sample() { # BUILD OP CMD...
	local s e
	s=$(now_us)
	"${BIN[$1]}" --root "${ROOT[$1]}" "${@:3}" >/dev/null
	e=$(now_us)
	echo "$1 $2 $((e - s))"
}
echo "# old: ${BIN[old]}"
echo "# new: ${BIN[new]}"
echo "# $RUNS runs each, alternating; load $(cut -d' ' -f1-3 /proc/loadavg)"
for _ in $(seq "$RUNS"); do
	for k in old new; do
		sample "$k" start start b
		sample "$k" exec exec b -- true
		sample "$k" stop stop --force b
	done
done | sort -k1,1 -k2,2 -k3,3n | awk '
	{ key = $1 " " $2; v[key, ++n[key]] = $3 }
	END {
		for (key in n) {
			c = n[key]; m = (c % 2) ? v[key, (c + 1) / 2] : (v[key, c / 2] + v[key, c / 2 + 1]) / 2
			printf "%-10s median %7.2f ms   min %7.2f ms   (n=%d)\n", key, m / 1000, v[key, 1] / 1000, c
		}
	}' | sort
