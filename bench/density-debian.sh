#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Debian density: host memory per idle Debian VPS at N = 1, 10 (, 50), against LXC
# containers on the same Debian tree, in one run. Each side grows to N (created and started
# one after another, overlay storage over one shared tree, a veth each on a bridge of the
# node), waits until systemd in every one says `systemctl is-system-running` = running or
# degraded (which one is reported), lets them idle, then reads:
#   - the containers' memory cgroups (v1 memory.stat: total_rss, total_cache, of which
#     total_shmem; usage_in_bytes; kmem.usage_in_bytes where the kernel has it), per container
#   - the supervisor's (vpsctl) or monitor's (LXC: `[lxc monitor]`, init's parent) RSS and
#     PSS from /proc/PID/smaps_rollup, mean over the containers, and whether it is charged to
#     the container's cgroup
#   - the node's MemAvailable drop since before the first start, per container (the whole
#     cost, kernel objects included; moves with the rest of a shared host)
# vpsctl VPSes have vpsctl's default user namespace (a --privileged Debian VPS does not boot:
# its systemd may not mount /run), the LXC containers are privileged (LXC's default without
# an idmap, with Debian's lxc common.conf); the same systemd as init. The shared tree's files are dropped from the page cache (fadvise
# DONTNEED on our own files only) before each side starts, so the first container that
# reads a file is charged for it, on both sides alike.
#
# Usage: bench/density-debian.sh [--sizes "1 10"] [--no-lxc] [--settle S]
# The debian template comes from the integration tests' cache
# (/var/cache/vpsctl-test-templates, see tests/integration/debian.sh), else it is built
# here with `vpsctl template build debian` (mmdebstrap from the host's apt sources).
# Root. Runs in its own network and mount namespaces with its own --root and cgroup parents;
# everything it made goes away on exit, also on ^C.
set -u -o pipefail
export LC_ALL=C

ARGS=("$@")
SELF=$(readlink -f "$0")
SRC_DIR=$(cd "$(dirname "$SELF")/.." && pwd)
SIZES="1 10" LXC=1 SETTLE=20 BOOT_TIMEOUT=240
while [ $# -gt 0 ]; do
	case $1 in
	--sizes) SIZES=${2:?}; shift 2 ;;
	--no-lxc) LXC=0; shift ;;
	--settle) SETTLE=${2:?}; shift 2 ;;
	-h | --help) sed -n '2,/^set -u/p' "$SELF" | sed '$d'; exit 0 ;;
	*) echo "density-debian: unknown option '$1'" >&2; exit 2 ;;
	esac
done
for n in $SIZES $SETTLE; do
	[[ $n =~ ^[0-9]{1,4}$ ]] || { echo "density-debian: not a number: '$n'" >&2; exit 2; }
done
SIZES=$(printf '%s\n' $SIZES | sort -n -u | tr '\n' ' ')
[ "$(id -u)" = 0 ] || { echo "density-debian: SKIP: needs root"; exit 77; }
if [ "$LXC" = 1 ] && ! command -v lxc-start >/dev/null; then
	echo "# lxc-start missing (apt install lxc): vpsctl only"
	LXC=0
fi
VPSCTL=$(readlink -f "${VPSCTL:-$SRC_DIR/build/vpsctl}")
[ -x "$VPSCTL" ] || { echo "density-debian: $VPSCTL missing: build first" >&2; exit 1; }

# The template, found or built before we leave the host's network namespace.
if [ -z "${VPSCTL_BENCH_IN_NODE:-}" ]; then
	CACHE=${VPSCTL_TEST_TEMPLATE_CACHE:-/var/cache/vpsctl-test-templates}
	RELEASE=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
	TPL=$(ls -t "$CACHE"/debian-"$RELEASE"-*.tar.zst 2>/dev/null | head -1)
	if [ -z "$TPL" ]; then
		BUILD=$(mktemp -d /tmp/vpsctl-density-build.XXXXXX)
		trap 'rm -rf "${BUILD:?}"' EXIT
		echo "# building the debian template (mmdebstrap)"
		"$VPSCTL" --root "$BUILD" template build debian --release "$RELEASE" --name deb >/dev/null ||
			{ echo "density-debian: template build debian failed" >&2; exit 1; }
		TPL=$BUILD/var/lib/vpsctl/templates/deb.tar.zst
	fi
	VPSCTL_BENCH_IN_NODE=1 VPSCTL_BENCH_TPL=$TPL \
		unshare --net --mount --propagation private -- "$SELF" "${ARGS[@]}"
	exit $?
fi

TPL=$VPSCTL_BENCH_TPL
ROOT=$(mktemp -d /tmp/vpsctl-density.XXXXXX)
chmod 711 "$ROOT"
CG=vpsctl-dens-$$ CGP=vpsctl-dens-$$-lxc
LXC_PATH=$ROOT/lxc LOWER=$ROOT/lower
LOG=$ROOT/bench.log
made=0 lmade=0
PROG=density-debian
. "$SRC_DIR/bench/lxc-node.sh"
trap node_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
meminfo() { awk -v k="$1:" '$1 == k {print $2}' /proc/meminfo; }

# fadvise DONTNEED every regular file under DIR: our own files leave the page cache
evict() {
	python3 - "$1" <<'PY'
import os, sys
for d, _, fs in os.walk(sys.argv[1]):
    for f in fs:
        p = os.path.join(d, f)
        try:
            fd = os.open(p, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            continue
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        except OSError:
            pass
        os.close(fd)
PY
}

node_setup 10.82.0.1/16 lxcbr-dens 10.83.0.1/16 256m
mkdir -p "$LOWER"
v template import "$TPL" --name deb >>"$LOG" 2>&1 || die "template import $TPL"
zstd -dc "$TPL" | tar -x --numeric-owner -C "$LOWER" 2>>"$LOG" || die "unpack $TPL for LXC"
[ -e "$LOWER/lib/systemd/systemd" ] || die "no systemd in $TPL"

lxc_config() { # NAME I
	cat <<CONF
lxc.include = /usr/share/lxc/config/common.conf
lxc.uts.name = $1
lxc.rootfs.path = overlay:$LOWER:$LXC_PATH/$1/delta0
lxc.net.0.type = veth
lxc.net.0.link = lxcbr-dens
lxc.net.0.flags = up
lxc.net.0.ipv4.address = 10.83.$(($2 / 250)).$(($2 % 250 + 2))/16
lxc.init.cmd = /lib/systemd/systemd
lxc.apparmor.profile = unconfined
lxc.autodev = 1
lxc.cgroup.dir = $CGP/$1
CONF
}

# state_of SIDE I: systemd's answer in container I
state_of() {
	if [ "$1" = vps ]; then
		v exec "d$2" -- systemctl is-system-running 2>/dev/null
	else
		lxc-attach -P "$LXC_PATH" -n "l$2" -- systemctl is-system-running 2>/dev/null
	fi
}
# wait_booted SIDE N: every one of 1..N running or degraded; BOOTED="running R degraded D"
BOOTED=""
wait_booted() {
	local side=$1 n=$2 i s deadline=$((SECONDS + BOOT_TIMEOUT)) run deg states
	while :; do
		run=0 deg=0 states=""
		for i in $(seq "$n"); do
			s=$(state_of "$side" "$i")
			states+="${s:-none} "
			case $s in running) run=$((run + 1)) ;; degraded) deg=$((deg + 1)) ;; esac
		done
		[ $((run + deg)) = "$n" ] && break
		[ "$SECONDS" -lt "$deadline" ] ||
			die "$side: after ${BOOT_TIMEOUT}s only $((run + deg)) of $n booted; states: $(tr ' ' '\n' <<<"$states" | grep . | sort | uniq -c | tr -s ' \n' ' ')"
		sleep 2
	done
	BOOTED="running $run degraded $deg"
}

# cg_dir SIDE I: the container's memory cgroup (v1)
cg_dir() {
	if [ "$1" = vps ]; then echo "/sys/fs/cgroup/memory/$CG/d$2"; else echo "/sys/fs/cgroup/memory/$CGP/l$2"; fi
}
# sup_pid SIDE I: the vpsctl supervisor, or the LXC monitor (the container init's parent)
sup_pid() {
	local init
	if [ "$1" = vps ]; then
		v status "d$2" --json | sed -n 's/.*"supervisor_pid":\([0-9]*\).*/\1/p'
	else
		init=$(lxc-info -P "$LXC_PATH" -n "l$2" -p -H)
		awk '/^PPid:/ {print $2}' "/proc/$init/status"
	fi
}

# measure SIDE N BASE: one table row
measure() {
	local side=$1 n=$2 base=$3 i d rss=0 cache=0 shmem=0 usage=0 kmem=0 srss=0 spss=0 p incg=0
	for i in $(seq "$n"); do
		d=$(cg_dir "$side" "$i")
		[ -r "$d/memory.stat" ] || die "$side $i: no memory cgroup at $d"
		rss=$((rss + $(awk '$1 == "total_rss" {print $2}' "$d/memory.stat")))
		cache=$((cache + $(awk '$1 == "total_cache" {print $2}' "$d/memory.stat")))
		shmem=$((shmem + $(awk '$1 == "total_shmem" {print $2}' "$d/memory.stat")))
		usage=$((usage + $(cat "$d/memory.usage_in_bytes")))
		[ -r "$d/memory.kmem.usage_in_bytes" ] && kmem=$((kmem + $(cat "$d/memory.kmem.usage_in_bytes")))
		p=$(sup_pid "$side" "$i")
		[ -r "/proc/$p/smaps_rollup" ] || die "$side $i: no supervisor/monitor ($p)"
		srss=$((srss + $(awk '/^Rss:/ {print $2}' "/proc/$p/smaps_rollup")))
		spss=$((spss + $(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup")))
		grep -q ":memory:.*/$(basename "$d")\(/\|$\)" "/proc/$p/cgroup" && incg=$((incg + 1))
	done
	awk -v side="$side" -v n="$n" -v rss="$rss" -v cache="$cache" -v shmem="$shmem" -v usage="$usage" \
		-v kmem="$kmem" -v srss="$srss" -v spss="$spss" -v incg="$incg" \
		-v avail=$((base - $(meminfo MemAvailable))) 'BEGIN {
		m = 1024 * 1024 * n
		printf "%-6s | %3d | %8.1f | %8.1f | %8.1f | %8.1f | %8.1f | %5.1f / %5.1f | %5s | %8.1f\n", side, n,
			rss / m, cache / m, shmem / m, (rss + cache) / m, usage / m, srss / 1024 / n, spss / 1024 / n,
			incg "/" n, avail / 1024 / n }'
	echo "       kmem (memory.kmem.usage_in_bytes, in the usage) per container: $(awk -v k="$kmem" -v n="$n" 'BEGIN {printf "%.1f MiB", k / 1048576 / n}')" >&2
}

ROWS=()
run_side() { # SIDE
	local side=$1 n base st t0
	if [ "$side" = vps ]; then
		# the first create unpacks the shared tree: made before the figures start
		made=1
		v create d1 --template deb --disk 0 --ip 10.82.0.3/16 >>"$LOG" 2>&1 || die "create d1"
		evict "$ROOT/var/lib/vpsctl"
	else
		evict "$LOWER"
	fi
	sync
	sleep 2
	base=$(meminfo MemAvailable)
	for n in $SIZES; do
		t0=$SECONDS
		if [ "$side" = vps ]; then
			v status d1 --json | grep -q '"state":"running"' ||
				v start d1 >>"$LOG" 2>&1 || die "start d1"
			while [ "$made" -lt "$n" ]; do
				made=$((made + 1))
				v create "d$made" --template deb --disk 0 \
					--ip "10.82.$((made / 250)).$((made % 250 + 2))/16" >>"$LOG" 2>&1 || die "create d$made"
				v start "d$made" >>"$LOG" 2>&1 || die "start d$made"
			done
		else
			while [ "$lmade" -lt "$n" ]; do
				lmade=$((lmade + 1))
				mkdir -p "$LXC_PATH/l$lmade/delta0"
				lxc_config "l$lmade" "$lmade" >"$LXC_PATH/l$lmade/config"
				lxc-start -P "$LXC_PATH" -n "l$lmade" -d >>"$LOG" 2>&1 || die "lxc-start l$lmade"
			done
		fi
		wait_booted "$side" "$n"
		st=$BOOTED
		echo "# $side N=$n: all booted in $((SECONDS - t0)) s ($st); idling ${SETTLE} s"
		sleep "$SETTLE"
		ROWS+=("$(measure "$side" "$n" "$base")  ($st)")
		echo "${ROWS[-1]}"
	done
}

echo "# vpsctl $("$VPSCTL" --version | awk '{print $2}'), kernel $(uname -r), $(nproc) CPUs, $(lxc-start --version 2>/dev/null | sed 's/^/lxc /'), template $(basename "$TPL")"
echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
run_side vps
seq "$made" | sed 's/^/d/' | xargs -r -P 4 -n 1 "$VPSCTL" --root "$ROOT" stop --force >/dev/null 2>&1
if [ "$LXC" = 1 ]; then
	sleep 3
	run_side lxc
fi
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "side   |   N |  rss MiB | cache MiB| shmem MiB| rss+cache| usage MiB| sup RSS/PSS MiB | in cg | MemAvail MiB"
printf '%s\n' "${ROWS[@]}"
echo "Per container (means). rss, cache (shmem is part of cache), usage: the memory cgroup (v1 memory.stat"
echo "total_*, memory.usage_in_bytes); sup: vpsctl's supervisor / LXC's monitor, from /proc/PID/smaps_rollup;"
echo "in cg: how many of them are charged to the container's own memory cgroup (then they are in its usage too);"
echo "MemAvail: the node's MemAvailable drop since before the side's first start, divided by N."
