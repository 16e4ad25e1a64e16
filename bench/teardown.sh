#!/bin/bash
# Tears N running busybox VPSes down in parallel (each `stop --force` then `destroy --force`,
# PAR at a time, with BUSY busy loops of load on the node), ROUNDS times, and counts what is
# left after each round: VPSes still listed, cgroups of the node's parent that still hold
# processes (an init left running), and the failures the commands printed.
# Usage: bench/teardown.sh [N] [ROUNDS] [PAR] [BUSY] [MODE]   e.g. bench/teardown.sh 200 3 16 1
# MODE seq: stop then destroy per VPS (default); race: stop and destroy of a VPS at once;
# early: stop and destroy while its start still runs.
# (root; its own network namespace, cgroup parent and --root; removes everything at the end, but
# keeps the root, and says so, if a VPS could not be stopped)
set -u
N=${1:-200}
ROUNDS=${2:-3}
PAR=${3:-16}
BUSY=${4:-1}
MODE=${5:-seq}
VPSCTL=${VPSCTL:-$(cd "$(dirname "$0")/.." && pwd)/build/vpsctl}
if [ -z "${VPSCTL_BENCH_IN_NODE:-}" ]; then
	VPSCTL_BENCH_IN_NODE=1 exec unshare --net -- "$0" "$@"
fi
ip link set lo up
ROOT=$(mktemp -d /tmp/vpsctl-teardown.XXXXXX)
CG=/vpsctl-teardown-$$-$RANDOM
mkdir -p "$ROOT/etc/vpsctl"
printf 'CGROUP_PARENT=%s\nNODE_ADDRESS="10.64.0.1/16"\nSTORAGE=overlay\nDEFAULT_DISK=0\nLXCFS=off\n' \
	"$CG" >"$ROOT/etc/vpsctl/vpsctl.conf"
export VPSCTL ROOT
v() { "$VPSCTL" --root "$ROOT" "$@"; }
BUSY_PIDS=""
cg_dirs() { find /sys/fs/cgroup -maxdepth 3 -type d -path "*$CG*" 2>/dev/null; }
# cgroups of the parent that hold processes: "DIR: PIDS"
busy_cgroups() {
	local d p
	for d in $(cg_dirs); do
		[ "$d" = "${d%"$CG"}" ] || continue # the parent itself
		p=$(tr '\n' ' ' <"$d/cgroup.procs" 2>/dev/null)
		[ -n "$p" ] && echo "$d: $p"
	done
}
# processes that name the root in their command line: supervisors, and inits that never exec'd
# (a forked vpsctl's copy); none of our commands runs when this is asked
root_procs() {
	local p
	for p in /proc/[0-9]*; do
		{ tr '\0' ' ' <"$p/cmdline" | grep -q -- "--root $ROOT "; } 2>/dev/null && echo "${p#/proc/}"
	done
}
cleanup() {
	local d
	for p in $BUSY_PIDS; do kill "$p" 2>/dev/null; done
	for d in "$ROOT"/var/lib/vpsctl/vps/*/; do
		[ -d "$d" ] || continue
		v stop --force "$(basename "$d")" >/dev/null 2>&1
		v destroy --force "$(basename "$d")" >/dev/null 2>&1
	done
	if [ -n "$(busy_cgroups)" ] || [ -n "$(v list -o name 2>/dev/null | tail -n +2)" ]; then
		echo "teardown.sh: left running, root kept for cleanup: $ROOT (cgroup parent $CG)" >&2
		busy_cgroups >&2
		return
	fi
	for d in $(cg_dirs | sort -r); do rmdir "$d" 2>/dev/null; done
	rm -rf "${ROOT:?}"
}
trap cleanup EXIT

one() { # NAME: the teardown of one VPS, as MODE says
	case $MODE in
	seq)
		v stop --force "$1" || echo "stop-failed $1"
		v destroy --force "$1" || echo "destroy-failed $1"
		;;
	race)
		v stop --force "$1" &
		v destroy --force "$1" || echo "destroy-failed $1"
		wait
		;;
	early)
		v start "$1" &
		sleep "0.$((RANDOM % 10))"
		v stop --force "$1"
		v destroy --force "$1" || echo "destroy-failed $1"
		wait
		;;
	esac
}
export -f one v
export MODE

v template build busybox >/dev/null
for _ in $(seq "$BUSY"); do
	sh -c 'while :; do :; done' &
	BUSY_PIDS="$BUSY_PIDS $!"
done
for round in $(seq "$ROUNDS"); do
	seq "$N" | xargs -P "$PAR" -I{} sh -c \
		'"$VPSCTL" --root "$ROOT" create d{} --template busybox --ip 10.64.$(({} / 250)).$(({} % 250 + 2))/16 >/dev/null' 2>&1 |
		sort | uniq -c | sed 's/^/  create: /'
	if [ "$MODE" != early ]; then
		seq "$N" | xargs -P "$PAR" -I{} "$VPSCTL" --root "$ROOT" start d{} 2>&1 >/dev/null |
			sed 's/d[0-9]*:/dN:/' | sort | uniq -c | sed 's/^/  start: /'
	fi
	running=$(v list -S running -o name | tail -n +2 | wc -l)
	s=$(date +%s)
	seq "$N" | xargs -P "$PAR" -I{} bash -c 'one d{}' >"$ROOT/round.out" 2>&1
	e=$(date +%s)
	sleep 2 # a killed init's pid namespace teardown is asynchronous
	left=$(busy_cgroups)
	echo "round $round: $running running, teardown $((e - s)) s, VPSes listed after:" \
		"$(v list -o name | tail -n +2 | wc -l), cgroups with processes: $(printf '%s' "$left" | grep -c .)," \
		"processes naming the root: $(root_procs | wc -l)"
	sed 's/d[0-9][0-9]*\b/dN/g' "$ROOT/round.out" | sort | uniq -c | sort -rn | head -12 | sed 's/^/  /'
	[ -n "$left" ] && printf '%s\n' "$left" | head -5 | sed 's/^/  left: /'
	v list -o state | tail -n +2 | sort | uniq -c | sed 's/^/  listed after, by state: /'
	for d in "$ROOT"/var/lib/vpsctl/vps/*/; do
		[ -d "$d" ] || continue
		v stop --force "$(basename "$d")" >/dev/null 2>&1
		v destroy --force "$(basename "$d")" >/dev/null 2>&1
	done
done
