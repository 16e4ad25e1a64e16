#!/bin/bash
# How long `vpsctl list` takes with its usage columns (processes, CPU, memory, disk, traffic,
# addresses) on a node of N running busybox VPSes with a veth each; also `list -S running`,
# `list --json` and `stats --all`. Prints the median and minimum of RUNS calls at each
# checkpoint. Overlay storage, so the node is made in seconds.
# Usage: bench/list.sh [CHECKPOINTS] [RUNS]   e.g. bench/list.sh "100 1000" 20
# VPSCTL_OLD=/path/to/an/older/vpsctl: each call is timed with it and with VPSCTL in turn on
# the same node, so that a before/after comparison shares the node and the machine's load.
# (root; runs in its own network namespace and cgroup parent; removes everything at the end)
set -eu
CHECKPOINTS=${1:-"100 1000"}
RUNS=${2:-20}
VPSCTL=${VPSCTL:-$(cd "$(dirname "$0")/.." && pwd)/build/vpsctl}
if [ -z "${VPSCTL_BENCH_IN_NODE:-}" ]; then
	VPSCTL_BENCH_IN_NODE=1 exec unshare --net -- "$0" "$@"
fi
ip link set lo up
ROOT=$(mktemp -d /tmp/vpsctl-bench.XXXXXX)
mkdir -p "$ROOT/etc/vpsctl"
printf 'CGROUP_PARENT=/vpsctl-bench-%s\nNODE_ADDRESS="10.64.0.1/16"\nSTORAGE=overlay\nDEFAULT_DISK=0\n' $$ \
	>"$ROOT/etc/vpsctl/vpsctl.conf"
v() { "$VPSCTL" --root "$ROOT" "$@"; }
made=0
cleanup() {
	set +e
	for i in $(seq "$made"); do
		v stop --force "d$i" >/dev/null 2>&1
		v destroy --force "d$i" >/dev/null 2>&1
	done
	# a VPS whose stop failed still runs from ROOT: keep it so that vpsctl can clean it later
	if [ -n "$(v list -o name 2>/dev/null | tail -n +2)" ]; then
		echo "list.sh: some VPSes could not be destroyed; left for cleanup: $ROOT" >&2
		v list >&2
		return
	fi
	rm -rf "${ROOT:?}"
}
trap cleanup EXIT

now_us() { local t=${EPOCHREALTIME/./}; echo "$t"; }
stats() {
	sort -n | awk -v name="$1" '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2;
		printf "  %-38s median %8.2f ms   min %8.2f ms   (n=%d)\n", name, m/1000, a[1]/1000, NR}'
}
time_one() { # BINARY ARGS...: microseconds of one call
	local bin=$1 s e
	shift
	s=$(now_us)
	"$bin" --root "$ROOT" "$@" >/dev/null
	e=$(now_us)
	echo $((e - s))
}
bench() {
	local name=$1 k
	shift
	if [ -z "${VPSCTL_OLD:-}" ]; then
		for _ in $(seq "$RUNS"); do time_one "$VPSCTL" "$@"; done | stats "$name"
		return
	fi
	for k in $(seq "$RUNS"); do
		echo "old $(time_one "$VPSCTL_OLD" "$@")"
		echo "new $(time_one "$VPSCTL" "$@")"
	done >"$ROOT/times"
	for k in old new; do
		sed -n "s/^$k //p" "$ROOT/times" | stats "$k $name"
	done
}

v template build busybox >/dev/null
for n in $CHECKPOINTS; do
	while [ "$made" -lt "$n" ]; do
		made=$((made + 1))
		v create "d$made" --template busybox --ip "10.64.$((made / 250)).$((made % 250 + 2))/16" >/dev/null
		v start "d$made" >/dev/null
	done
	echo "N=$n running VPSes ($(v list -S running -o name | tail -n +2 | wc -l) running):"
	bench "list (usage columns)" list
	bench "list -S running" list -S running
	bench "list 'd1*'" list 'd1*'
	bench "list --json" list --json
	bench "list -o name,state (no usage read)" list -o name,state
	bench "stats --all" stats --all
done
