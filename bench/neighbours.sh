#!/bin/bash
# Neighbours that cannot hurt (issue 16 item 4): one busybox VPS (the attacker: --cpus 1
# --memory 256M --swap 0 --pids 256 --disk 256M --io-write-bps 16M --io-read-bps 16M) runs in
# turn a fork bomb, a memory balloon to OOM, a disk fill, an I/O hammer and a CPU hog
# (tests/helpers/neighbours-attacks.sh), while the node measures its neighbour (a busybox VPS
# on the default plan) for SECS seconds: `vpsctl exec nb -- true` back to back, a TCP echo to
# the neighbour's own echo server over its veth every GAP_MS, and `vpsctl list`. Prints p50 and
# p99 of each, and the ratio of the neighbour's figures to its quiet baseline (the first row).
# The targets (issue 16): ratios within 2x, list under 100 ms.
# Usage: bench/neighbours.sh [SECS] [GAP_MS]   e.g. bench/neighbours.sh 15 20
# ATTACKS="cpuhog ..." in the environment runs only those rows (after the quiet one);
# NB_FLAGS="--cpus 1" gives the neighbour a plan of its own (with CPU_PINNING=auto, the default,
# a capped neighbour runs on other CPUs than the attacker where the node has them).
# (root; its own network namespace, cgroup parent and --root; removes everything on exit,
# ^C included)
set -eu
SECS=${1:-10}
GAP_MS=${2:-20}
SRC=$(cd "$(dirname "$0")/.." && pwd)
VPSCTL=${VPSCTL:-$SRC/build/vpsctl}
HELPERS=${HELPERS:-$SRC/build/tests/helpers}
if [ -z "${VPSCTL_BENCH_IN_NODE:-}" ]; then
	VPSCTL_BENCH_IN_NODE=1 exec unshare --net -- "$0" "$@"
fi
. "$SRC/tests/helpers/neighbours-attacks.sh"
ip link set lo up
ROOT=$(mktemp -d /tmp/vpsctl-bench-nb.XXXXXX)
CGPARENT=/vpsctl-bench-nb-$$
mkdir -p "$ROOT/etc/vpsctl"
printf 'CGROUP_PARENT=%s\nNODE_ADDRESS="10.65.0.1/24"\nLXCFS=off\n' "$CGPARENT" \
	>"$ROOT/etc/vpsctl/vpsctl.conf"
v() { "$VPSCTL" --root "$ROOT" "$@"; }
NB_IP=10.65.0.2
PIDS=""
cleanup() {
	set +e
	for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
	for n in att nb; do
		v stop --force "$n" >/dev/null 2>&1
		v destroy --force "$n" >/dev/null 2>&1
	done
	# only the parent this run named (vpsctl leaves it behind, empty)
	find /sys/fs/cgroup -maxdepth 2 -type d -name "${CGPARENT#/}" 2>/dev/null |
		while read -r d; do rmdir "${d:?}" 2>/dev/null; done
	rm -rf "${ROOT:?}"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now_us() { local t=${EPOCHREALTIME/./}; echo "$t"; }
# pct FILE: "p50 p99" in ms of the microsecond figures in FILE ("- -" when it has none)
pct() {
	sort -n "$1" | awk '{a[NR]=$1} END {
		if (NR == 0) { print "- -"; exit }
		i = int(NR * 0.99 + 0.999); if (i > NR) i = NR
		printf "%.2f %.2f\n", a[int((NR + 1) / 2)] / 1000, a[i] / 1000 }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-";
	else printf "%.2f", a / b }'; }

# measure PHASE: SECS seconds of exec, echo and list against the neighbour, figures to $ROOT/PHASE.*
measure() {
	local d=$ROOT/$1 end s e echo_pid
	: >"$d.exec"
	: >"$d.list"
	"$HELPERS/echod" ping "$NB_IP" "$NEIGHBOUR_PORT" $((SECS * 1000 / (GAP_MS + 1))) "$GAP_MS" \
		>"$d.echo" 2>&1 &
	echo_pid=$!
	PIDS="$PIDS $echo_pid"
	end=$(($(date +%s) + SECS))
	while [ "$(date +%s)" -lt "$end" ]; do
		s=$(now_us)
		if timeout -s KILL 15 "$VPSCTL" --root "$ROOT" exec nb -- true >/dev/null 2>&1; then
			e=$(now_us)
			echo $((e - s)) >>"$d.exec"
		else
			echo fail >>"$d.exec"
		fi
		s=$(now_us)
		v list >/dev/null
		e=$(now_us)
		echo $((e - s)) >>"$d.list"
		sleep 0.05
	done
	wait "$echo_pid" || true
}

v template build busybox >/dev/null
v create att --template busybox --cpus 1 --memory 256M --swap 0 --pids 256 --disk 256M \
	--io-write-bps 16M --io-read-bps 16M >/dev/null
# shellcheck disable=SC2086 # NB_FLAGS is a list of flags
v create nb --template busybox --ip "$NB_IP/24" ${NB_FLAGS:-} >/dev/null
v start att >/dev/null
v start nb >/dev/null
neighbour_install v att "$HELPERS"
neighbour_install v nb "$HELPERS" echo
for _ in $(seq 50); do
	"$HELPERS/echod" ping "$NB_IP" "$NEIGHBOUR_PORT" 1 0 >/dev/null 2>&1 && break
	sleep 0.1
done

echo "# bench/neighbours.sh $SECS $GAP_MS: $SECS s per row; exec = vpsctl exec nb -- true back to back,"
echo "# echo = TCP connect+line+close from the node to the neighbour every $GAP_MS ms, list = vpsctl list"
echo "# (2 VPSes); neighbour flags: '${NB_FLAGS:-}'; p50/p99 in ms; xq = neighbour p50/p99 over the quiet row's; fail = requests that failed"
printf '%-9s | %-15s %-4s | %-15s %-4s | %-15s | %-11s | %-11s\n' attack "exec p50/p99" fail \
	"echo p50/p99" fail "list p50/p99" "exec xq" "echo xq"
for phase in quiet ${ATTACKS:-$NEIGHBOUR_ATTACKS}; do
	apid=
	if [ "$phase" != quiet ]; then
		timeout -s KILL $((SECS + 10)) "$VPSCTL" --root "$ROOT" exec att -- \
			sh -c "$(attack_code "$phase" $((SECS + 2)))" >"$ROOT/$phase.attack" 2>&1 </dev/null &
		apid=$!
		PIDS="$PIDS $apid"
		sleep 1
	fi
	measure "$phase"
	if [ -n "$apid" ]; then
		kill -9 "$apid" 2>/dev/null || true
		wait "$apid" 2>/dev/null || true
		# a fresh attacker for the next row: nothing of this attack left running
		v stop --force att >/dev/null
		v start att >/dev/null
		v exec att -- rm -f /fill /io1 /io2 >/dev/null 2>&1 || true
	fi
	read -r ep50 ep99 <<<"$(grep -v fail "$ROOT/$phase.exec" | pct /dev/stdin)"
	read -r cp50 cp99 <<<"$(grep -v fail "$ROOT/$phase.echo" | pct /dev/stdin)"
	read -r lp50 lp99 <<<"$(pct "$ROOT/$phase.list")"
	if [ "$phase" = quiet ]; then
		qe50=$ep50 qe99=$ep99 qc50=$cp50 qc99=$cp99
	fi
	printf '%-9s | %-15s %-4s | %-15s %-4s | %-15s | %-11s | %-11s\n' "$phase" "$ep50/$ep99" \
		"$(grep -c fail "$ROOT/$phase.exec" || true)" "$cp50/$cp99" \
		"$(grep -c fail "$ROOT/$phase.echo" || true)" "$lp50/$lp99" \
		"$(ratio "$ep50" "$qe50")/$(ratio "$ep99" "$qe99")" \
		"$(ratio "$cp50" "$qc50")/$(ratio "$cp99" "$qc99")"
done
