#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Two builds of vpsctl side by side: start, exec -- true and stop --force of a busybox VPS,
# the two alternating run by run so that a noisy machine shifts both alike. Prints median and
# minimum (and the quartiles, for the spread) per build and operation. For "what did this change cost".
# Usage: bench/ab.sh OLD_VPSCTL NEW_VPSCTL [RUNS [ROUTED_N]]   (root; own network namespace,
#        --root and cgroup parent per build; everything it made goes away on exit)
# ROUTED_N: the VPS is routed (NET_MODE=routed, a proxy ARP entry on the uplink up0) on a
# node that already has ROUTED_N routed addresses (a host route, protocol 86, and a proxy
# entry each, made by hand: what N running routed VPSes leave in the node's tables).
set -eu
if [ $# -lt 2 ]; then
	echo "usage: bench/ab.sh OLD_VPSCTL NEW_VPSCTL [RUNS [ROUTED_N]]" >&2
	exit 2
fi
if [ -z "${VPSCTL_AB_IN_NODE:-}" ]; then
	VPSCTL_AB_IN_NODE=1 exec unshare --net -- "$0" "$@"
fi
declare -A BIN=([old]=$(readlink -f "$1") [new]=$(readlink -f "$2")) ROOT=()
RUNS=${3:-20} ROUTED_N=${4:-} CREATE=()
if [ -n "$ROUTED_N" ]; then
	[[ $ROUTED_N =~ ^[0-9]{1,5}$ ]] || { echo "ab: ROUTED_N is a number, got '$ROUTED_N'" >&2; exit 2; }
	ip link add up0 type veth peer name up0p
	ip link set up0 up && ip link set up0p up
	for ((i = 0; i < ROUTED_N; i++)); do
		a=10.80.$((i / 250)).$((i % 250 + 2))
		echo "route add $a/32 dev up0p proto 86 scope link"
		echo "neigh add proxy $a dev up0"
	done | ip -batch -
	CREATE=(--net routed --ip 10.80.255.2)
fi
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
	# a build from before DEFAULT_DISK refuses the key, and had no default disk to turn off
	if "${BIN[$k]}" --root "${ROOT[$k]}" list 2>&1 | grep -q "unknown key 'DEFAULT_DISK'"; then
		sed -i '/^DEFAULT_DISK=/d' "${ROOT[$k]}/etc/vpsctl/vpsctl.conf"
	fi
	# AB_OLD_CONF / AB_NEW_CONF: lines for that side's vpsctl.conf, to price one setting
	# (e.g. AB_NEW_CONF=NODE_SERVICES=allow with the same binary on both sides)
	v=AB_${k^^}_CONF
	[ -z "${!v:-}" ] || printf '%s\n' "${!v}" >>"${ROOT[$k]}/etc/vpsctl/vpsctl.conf"
	[ -z "$ROUTED_N" ] || printf 'UPLINK=up0\nROUTED_RANGES="10.80.0.0/16"\n' >>"${ROOT[$k]}/etc/vpsctl/vpsctl.conf"
	"${BIN[$k]}" --root "${ROOT[$k]}" template build busybox >/dev/null
	"${BIN[$k]}" --root "${ROOT[$k]}" create b --template busybox "${CREATE[@]}" >/dev/null
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
echo "# $RUNS runs each, alternating${ROUTED_N:+; routed, $ROUTED_N routed addresses on the node}; load $(cut -d' ' -f1-3 /proc/loadavg)"
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
			q1 = v[key, int((c + 3) / 4)]; q3 = v[key, int((3 * c + 3) / 4)]
			printf "%-10s median %7.2f ms   min %7.2f ms   IQR %7.2f-%7.2f   (n=%d)\n", key,
				m / 1000, v[key, 1] / 1000, q1 / 1000, q3 / 1000, c
		}
	}' | sort
