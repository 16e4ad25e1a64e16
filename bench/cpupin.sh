#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# What CPU_PINNING=auto costs a start as the node fills: the start and stop --force of a busybox
# VPS with --cpus 1 on a node that already runs N VPSes with --cpus 1 (each pinned), and a
# parallel start of PAR capped VPSes at once (wall time until every start has returned).
# Prints the median and minimum of RUNS at each checkpoint. Overlay storage, no veth.
# Usage: bench/cpupin.sh [CHECKPOINTS] [RUNS] [PAR]   e.g. bench/cpupin.sh "1 100 300" 15 100
# VPSCTL_OLD=/path/to/an/older/vpsctl: each timed call is made with it and with VPSCTL in turn
# on the same node (the filler VPSes are VPSCTL's), so both share the node and the load.
# (root; its own network namespace and cgroup parent; removes everything at the end)
set -eu
CHECKPOINTS=${1:-"1 100 300"}
RUNS=${2:-15}
PAR=${3:-100}
VPSCTL=${VPSCTL:-$(cd "$(dirname "$0")/.." && pwd)/build/vpsctl}
if [ -z "${VPSCTL_BENCH_IN_NODE:-}" ]; then
	VPSCTL_BENCH_IN_NODE=1 exec unshare --net -- "$0" "$@"
fi
ROOT=$(mktemp -d /tmp/vpsctl-cpupin.XXXXXX)
mkdir -p "$ROOT/etc/vpsctl"
printf 'CGROUP_PARENT=/vpsctl-cpupin-%s\nSTORAGE=overlay\nDEFAULT_DISK=0\n' $$ \
	>"$ROOT/etc/vpsctl/vpsctl.conf"
v() { "$VPSCTL" --root "$ROOT" "$@"; }
made=0
cleanup() {
	set +e
	local n
	for n in $(v list -o name 2>/dev/null | tail -n +2); do
		v stop --force "$n" >/dev/null 2>&1
		v destroy --force "$n" >/dev/null 2>&1
	done
	if [ -n "$(v list -o name 2>/dev/null | tail -n +2)" ]; then
		echo "cpupin.sh: some VPSes could not be destroyed; left for cleanup: $ROOT" >&2
		return
	fi
	rm -rf "${ROOT:?}"
}
trap cleanup EXIT

now_us() { echo "${EPOCHREALTIME/./}"; }
stats() {
	sort -n | awk -v name="$1" '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2;
		printf "  %-34s median %8.2f ms   min %8.2f ms   (n=%d)\n", name, m/1000, a[1]/1000, NR}'
}
# one_cycle BINARY: "start US stop US" of the capped VPS t
one_cycle() {
	local s m e
	s=$(now_us)
	"$1" --root "$ROOT" start t >/dev/null
	m=$(now_us)
	"$1" --root "$ROOT" stop --force t >/dev/null
	e=$(now_us)
	echo "start $((m - s)) stop $((e - m))"
}
# par_cycle BINARY: microseconds until PAR starts at once have all returned (then stopped)
par_cycle() {
	local s e i pids=()
	s=$(now_us)
	for i in $(seq "$PAR"); do
		"$1" --root "$ROOT" start "p$i" >/dev/null &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i"; done
	e=$(now_us)
	for i in $(seq "$PAR"); do v stop --force "p$i" >/dev/null; done
	echo $((e - s))
}
builds() { if [ -n "${VPSCTL_OLD:-}" ]; then echo "old new"; else echo new; fi; }
bin_of() { if [ "$1" = old ]; then echo "$VPSCTL_OLD"; else echo "$VPSCTL"; fi; }

v template build busybox >/dev/null
v create t --template busybox --cpus 1 >/dev/null
for i in $(seq "$PAR"); do v create "p$i" --template busybox --cpus 1 >/dev/null; done
echo "# $(nproc) CPUs; load $(cut -d' ' -f1-3 /proc/loadavg); new: $VPSCTL${VPSCTL_OLD:+; old: $VPSCTL_OLD}"
for n in $CHECKPOINTS; do
	while [ "$made" -lt "$n" ]; do
		made=$((made + 1))
		v create "d$made" --template busybox --cpus 1 >/dev/null
		v start "d$made" >/dev/null
	done
	echo "N=$n running VPSes with --cpus 1 ($(v list -S running -o name | tail -n +2 | wc -l) running):"
	for _ in $(seq "$RUNS"); do
		for k in $(builds); do echo "$k $(one_cycle "$(bin_of "$k")")"; done
	done >"$ROOT/times"
	for k in $(builds); do
		awk -v k="$k" '$1 == k { print $3 }' "$ROOT/times" | stats "$k start --cpus 1"
		awk -v k="$k" '$1 == k { print $5 }' "$ROOT/times" | stats "$k stop --force"
	done
	for _ in $(seq 3); do
		for k in $(builds); do echo "$k $(par_cycle "$(bin_of "$k")")"; done
	done >"$ROOT/times"
	for k in $(builds); do
		awk -v k="$k" '$1 == k { print $2 }' "$ROOT/times" | stats "$k $PAR starts at once (all)"
	done
done
