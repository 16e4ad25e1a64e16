#!/bin/bash
# vpsctl-api's GET /v1/vps on a node of N running busybox VPSes (overlay, no network): the
# p50/p99 of one client in a loop, then of CLIENTS concurrent clients for SECS seconds, over
# the unix socket. Figures for bench/RESULTS.md; nothing is asserted.
# Usage: bench/api.sh [N] [CLIENTS] [SECS]   e.g. bench/api.sh 100 100 60
# (root; its own network namespace, cgroup parent and --root; removes everything at the end)
set -eu
N=${1:-100}
CLIENTS=${2:-20}
SECS=${3:-10}
TOP=$(cd "$(dirname "$0")/.." && pwd)
VPSCTL=${VPSCTL:-$TOP/build/vpsctl}
API=${VPSCTL_API:-$TOP/build/vpsctl-api}
CLIENT=$TOP/tests/integration/api-client.py
if [ -z "${VPSCTL_BENCH_IN_NODE:-}" ]; then
	VPSCTL_BENCH_IN_NODE=1 exec unshare --net -- "$0" "$@"
fi
ROOT=$(mktemp -d /tmp/vpsctl-bench-api.XXXXXX)
mkdir -p "$ROOT/etc/vpsctl"
printf 'CGROUP_PARENT=/vpsctl-bench-api-%s\nSTORAGE=overlay\nLXCFS=off\nDEFAULT_DISK=0\n' $$ \
	>"$ROOT/etc/vpsctl/vpsctl.conf"
v() { "$VPSCTL" --root "$ROOT" "$@"; }
API_PID=
# Every VPS the node has (the list's names), then the root this run made.
cleanup() {
	set +e
	[ -n "$API_PID" ] && kill "$API_PID" && wait "$API_PID"
	v list -o name | tail -n +2 | while read -r n; do
		v stop --force "$n"
		v destroy --force "$n"
	done >/dev/null 2>&1
	rm -rf "${ROOT:?}"
}
trap cleanup EXIT

v template build busybox >/dev/null
for i in $(seq "$N"); do
	v create "d$i" --template busybox >/dev/null
	v start "d$i"
done
TOKEN=$("$API" --root "$ROOT" token add --role operator 2>/dev/null)
"$API" --root "$ROOT" --socket "$ROOT/api.sock" --vpsctl "$VPSCTL" 2>/dev/null &
API_PID=$!
for _ in $(seq 50); do [ -S "$ROOT/api.sock" ] && break; sleep 0.1; done

echo "GET /v1/vps, N=$N running VPSes, $(nproc) CPUs, $(date -u +%FT%TZ)"
printf '  1 client, 10 s:           %s\n' "$(python3 "$CLIENT" load "$ROOT/api.sock" "$TOKEN" 1 10 /v1/vps)"
printf '  %s clients, %s s:         %s\n' "$CLIENTS" "$SECS" \
	"$(python3 "$CLIENT" load "$ROOT/api.sock" "$TOKEN" "$CLIENTS" "$SECS" /v1/vps)"
s=$EPOCHREALTIME
v list --json >/dev/null
e=$EPOCHREALTIME
printf '  vpsctl list --json alone:  %.1f ms\n' "$(echo "($e - $s) * 1000" | bc -l)"
