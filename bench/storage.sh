#!/bin/bash
# Figures for templates and storage: `vpsctl create` time and disk per VPS in copy and overlay
# mode (busybox, and debian when a debian tarball is given), vpsctl's unpack against `tar -xf`
# of the same tarball, and a Debian VPS's boot to "running".
# Usage: bench/storage.sh [RUNS] [DEBIAN.tar.zst]  (root; own network namespace, own --root)
# A debian tarball: `vpsctl template build debian`, or the integration test's cache
# (/var/cache/vpsctl-test-templates/debian-*.tar.zst).
set -eu
RUNS=${1:-20}
DEB=${2:-}
VPSCTL=${VPSCTL:-$(cd "$(dirname "$0")/.." && pwd)/build/vpsctl}
if [ -z "${VPSCTL_BENCH_IN_NODE:-}" ]; then
	VPSCTL_BENCH_IN_NODE=1 exec unshare --net -- "$0" "$@"
fi
ROOT=$(mktemp -d /tmp/vpsctl-bench.XXXXXX)
mkdir -p "$ROOT/etc/vpsctl"
printf 'CGROUP_PARENT=/vpsctl-bench-%s\nNODE_ADDRESS="10.77.0.1/24"\nDEFAULT_DISK=0\n' $$ >"$ROOT/etc/vpsctl/vpsctl.conf"
v() { "$VPSCTL" --root "$ROOT" "$@"; }
cleanup() {
	for d in "$ROOT"/var/lib/vpsctl/vps/*/; do
		[ -d "$d" ] && v destroy --force "$(basename "$d")" >/dev/null 2>&1
	done
	rm -rf "$ROOT"
}
trap cleanup EXIT
ip link set lo up

now_us() { local t=${EPOCHREALTIME/./}; echo "$t"; }
stats() {
	sort -n | awk -v name="$1" '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2;
		printf "%-36s median %8.2f ms   min %8.2f ms   (n=%d)\n", name, m/1000, a[1]/1000, NR}'
}
time_us() { local s e; s=$(now_us); "$@" >/dev/null; e=$(now_us); echo $((e - s)); }
vps_kb() { du -sk "$ROOT/var/lib/vpsctl/vps/$1" | cut -f1; }

# create_bench TEMPLATE MODE: RUNS creates (the first overlay one unpacks the shared tree and is
# timed apart), then their median and the disk one VPS takes.
create_bench() {
	local t=$1 mode=$2 samples=() first kb
	if [ "$mode" = overlay ]; then
		first=$(time_us v create "$t-first" --template "$t" --storage overlay)
		printf '%-36s %8.2f ms (unpacks the shared tree)\n' "create $t overlay, first" "$(echo "$first" | awk '{print $1/1000}')"
	fi
	for i in $(seq "$RUNS"); do
		samples+=("$(time_us v create "$t-$mode-$i" --template "$t" --storage "$mode")")
	done
	printf '%s\n' "${samples[@]}" | stats "create $t $mode"
	kb=$(vps_kb "$t-$mode-1")
	printf '%-36s %8d KiB per VPS\n' "disk $t $mode" "$kb"
	for i in $(seq "$RUNS"); do v destroy "$t-$mode-$i" >/dev/null; done
	v destroy "$t-first" >/dev/null 2>&1 || true
}

# unpack_bench TEMPLATE: vpsctl's hostile-safe unpack (a copy create) against GNU tar.
unpack_bench() {
	local t=$1 file mb s e
	file=$(ls "$ROOT/var/lib/vpsctl/templates/$t".tar.*)
	mb=$(zstd -dc "$file" 2>/dev/null | wc -c | awk '{print $1/1048576}')
	sync
	s=$(now_us); v create "$t-unpack" --template "$t" --storage copy >/dev/null; e=$(now_us)
	printf '%-36s %8.1f MiB/s (%d ms for %.0f MiB, incl. syncfs)\n' "unpack $t vpsctl" \
		"$(echo "$mb $((e - s))" | awk '{print $1/($2/1e6)}')" $(((e - s) / 1000)) "$mb"
	mkdir "$ROOT/tar"
	s=$(now_us); tar -xf "$file" -C "$ROOT/tar" --numeric-owner; sync -f "$ROOT/tar"; e=$(now_us)
	printf '%-36s %8.1f MiB/s (%d ms, incl. sync)\n' "unpack $t tar -xf" \
		"$(echo "$mb $((e - s))" | awk '{print $1/($2/1e6)}')" $(((e - s) / 1000))
	rm -rf "$ROOT/tar"
	v destroy "$t-unpack" >/dev/null
}

boot_bench() {
	local s state
	v create boot --template deb --storage overlay --ip 10.77.0.2/24 >/dev/null
	s=$(now_us)
	v start boot >/dev/null
	for _ in $(seq 300); do
		state=$(v exec boot -- systemctl is-system-running 2>/dev/null) || true
		case "$state" in running|degraded) break ;; esac
		sleep 0.05
	done
	printf '%-36s %8.2f ms (%s)\n' "debian boot to running" "$(echo "$(($(now_us) - s))" | awk '{print $1/1000}')" "$state"
	s=$(now_us); v stop boot >/dev/null
	printf '%-36s %8.2f ms\n' "debian stop (SIGRTMIN+4)" "$(echo "$(($(now_us) - s))" | awk '{print $1/1000}')"
	v destroy boot >/dev/null
}

v template build busybox >/dev/null
create_bench busybox copy
create_bench busybox overlay
unpack_bench busybox
if [ -n "$DEB" ]; then
	v template import "$DEB" --name deb >/dev/null
	create_bench deb copy
	create_bench deb overlay
	unpack_bench deb
	boot_bench
fi
