#!/bin/bash
# Figures for the core operations on this machine: `vpsctl start` (detached busybox VPS, all
# namespaces and cgroup, to "init exec'd"), `vpsctl exec v -- true`, `vpsctl resize` of a
# running VPS, `vpsctl stop`, and the supervisor's memory. Prints medians and minimums.
# Usage: bench/basic.sh [RUNS]  (root; runs in its own network namespace and cgroup parent)
set -eu
RUNS=${1:-20}
VPSCTL=${VPSCTL:-$(cd "$(dirname "$0")/.." && pwd)/build/vpsctl}
if [ -z "${VPSCTL_BENCH_IN_NODE:-}" ]; then
	VPSCTL_BENCH_IN_NODE=1 exec unshare --net -- "$0" "$@"
fi
ROOT=$(mktemp -d /tmp/vpsctl-bench.XXXXXX)
mkdir -p "$ROOT/etc/vpsctl"
printf 'CGROUP_PARENT=/vpsctl-bench-%s\nNODE_ADDRESS="10.77.0.1/24"\nDEFAULT_DISK=0\n' $$ >"$ROOT/etc/vpsctl/vpsctl.conf"
v() { "$VPSCTL" --root "$ROOT" "$@"; }
trap 'set +e; for n in b n; do v stop --force $n >/dev/null 2>&1; v destroy --force $n >/dev/null 2>&1; done; rm -rf "$ROOT"' EXIT

now_us() { local t=${EPOCHREALTIME/./}; echo "$t"; }
# stats NAME: reads microsecond samples on stdin, prints median and min in ms
stats() {
	sort -n | awk -v name="$1" '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2;
		printf "%-28s median %7.2f ms   min %7.2f ms   (n=%d)\n", name, m/1000, a[1]/1000, NR}'
}
time_us() { local s e; s=$(now_us); "$@" >/dev/null; e=$(now_us); echo $((e - s)); }

v template build busybox >/dev/null
v create b --template busybox --cpus 1 --memory 256M >/dev/null
v create n --template busybox --cpus 1 --memory 256M --ip 10.77.0.2/24 --bandwidth 100mbit >/dev/null
starts=() stops=() execs=() resizes=() netstarts=()
for i in $(seq "$RUNS"); do
	netstarts+=("$(time_us v start n)")
	v stop --force n >/dev/null
done
for i in $(seq "$RUNS"); do
	starts+=("$(time_us v start b)")
	execs+=("$(time_us v exec b -- true)")
	if ((i % 2)); then c=1.5; else c=1; fi
	resizes+=("$(time_us v resize b --cpus $c)")
	if [ "$i" = "$RUNS" ]; then break; fi
	stops+=("$(time_us v stop --force b)")
done
sup=$(v status b --json | sed -n 's/.*"supervisor_pid":\([0-9]*\).*/\1/p')
rss=$(awk '/^Rss:/{print $2}' "/proc/$sup/smaps_rollup")
pss=$(awk '/^Pss:/{print $2}' "/proc/$sup/smaps_rollup")
echo "vpsctl $("$VPSCTL" --version | cut -d' ' -f2) on $(uname -r), $(nproc) CPUs, cgroup backend $(v status b --json | sed -n 's/.*"cgroup_backend":"\([a-z0-9]*\)".*/\1/p')"
printf '%s\n' "${starts[@]}" | stats "start (detached, busybox)"
printf '%s\n' "${netstarts[@]}" | stats "start with veth+filter+caps"
printf '%s\n' "${execs[@]}" | stats "exec b -- true"
printf '%s\n' "${resizes[@]}" | stats "resize --cpus (running)"
printf '%s\n' "${stops[@]}" | stats "stop --force"
echo "supervisor of a running VPS: RSS ${rss} KiB, PSS ${pss} KiB"
