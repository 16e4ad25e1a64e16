#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Boot storm: how long a node takes, after it boots, until every VPS set to start on boot
# runs. N busybox VPSes (overlay storage, no disk quota, a veth each on the node bridge), all
# ONBOOT; `vpsctl autostart --parallel P` is timed for each P until it returns (every start
# returned), then `vpsctl list -S running` must count N. Side by side in the same run: N LXC
# containers on the same busybox tree (overlay too, a veth each on a bridge of the node,
# lxc.start.auto = 1) started by `lxc-autostart`. lxc-autostart starts one container after
# the other (it has no parallel option; lxc.start.delay = 0 here); for P > 1 the containers
# are put in P groups (lxc.group) and P `lxc-autostart -g GROUP` run at once, which is how an
# LXC operator would get a bounded parallel start. Everything is stopped between runs
# (not timed). Both sides are privileged (no user namespace: LXC's default without idmap).
#
# Usage: bench/bootstorm.sh [--sizes "100 1000"] [--parallel "1 4 8 16"] [--lxc-max N]
#                           [--no-lxc]
#   --lxc-max N: LXC only at sizes <= N (default: every size)
# Root. Runs in its own network and mount namespaces with its own --root and cgroup parents;
# everything it made goes away on exit, also on ^C.
set -u -o pipefail
export LC_ALL=C

ARGS=("$@")
SELF=$(readlink -f "$0")
SRC_DIR=$(cd "$(dirname "$SELF")/.." && pwd)
SIZES="100 1000" PARALLEL="1 4 8 16" LXC_MAX=99999 LXC=1
while [ $# -gt 0 ]; do
	case $1 in
	--sizes) SIZES=${2:?}; shift 2 ;;
	--parallel) PARALLEL=${2:?}; shift 2 ;;
	--lxc-max) LXC_MAX=${2:?}; shift 2 ;;
	--no-lxc) LXC=0; shift ;;
	-h | --help) sed -n '2,/^set -u/p' "$SELF" | sed '$d'; exit 0 ;;
	*) echo "bootstorm: unknown option '$1'" >&2; exit 2 ;;
	esac
done
for n in $SIZES $PARALLEL $LXC_MAX; do
	[[ $n =~ ^[1-9][0-9]{0,4}$ ]] || { echo "bootstorm: not a number: '$n'" >&2; exit 2; }
done
SIZES=$(printf '%s\n' $SIZES | sort -n -u | tr '\n' ' ')
[ "$(id -u)" = 0 ] || { echo "bootstorm: SKIP: needs root"; exit 77; }
if [ "$LXC" = 1 ] && ! command -v lxc-autostart >/dev/null; then
	echo "# lxc-autostart missing (apt install lxc): vpsctl only"
	LXC=0
fi
if [ -z "${VPSCTL_BENCH_IN_NODE:-}" ]; then
	VPSCTL_BENCH_IN_NODE=1 exec unshare --net --mount --propagation private -- "$SELF" "${ARGS[@]}"
fi

VPSCTL=$(readlink -f "${VPSCTL:-$SRC_DIR/build/vpsctl}")
[ -x "$VPSCTL" ] || { echo "bootstorm: $VPSCTL missing: build first" >&2; exit 1; }
ROOT=$(mktemp -d /tmp/vpsctl-bootstorm.XXXXXX)
chmod 711 "$ROOT"
CG=vpsctl-storm-$$ CGP=vpsctl-storm-$$-lxc
LXC_PATH=$ROOT/lxc LOWER=$ROOT/lower
LOG=$ROOT/bench.log
made=0 lmade=0
PROG=bootstorm
. "$SRC_DIR/bench/lxc-node.sh"
trap node_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
now() { echo "${EPOCHREALTIME}"; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", b - a}'; }

node_setup 10.80.0.1/16 lxcbr-storm 10.81.0.1/16 1g
v template build busybox >>"$LOG" 2>&1 || die "template build busybox"

lxc_config() { # NAME I
	local name=$1 i=$2 p
	cat <<CONF
lxc.uts.name = $name
lxc.rootfs.path = overlay:$LOWER:$LXC_PATH/$name/delta0
lxc.net.0.type = veth
lxc.net.0.link = lxcbr-storm
lxc.net.0.flags = up
lxc.net.0.ipv4.address = 10.81.$((i / 250)).$((i % 250 + 2))/16
lxc.init.cmd = /sbin/init
lxc.apparmor.profile = unconfined
lxc.mount.auto = proc:mixed sys:ro
lxc.autodev = 1
lxc.tty.max = 0
lxc.pty.max = 16
lxc.cgroup.dir = $CGP/$name
lxc.cgroup.memory.limit_in_bytes = 268435456
lxc.cgroup.cpu.cfs_quota_us = 100000
lxc.cgroup.cpu.cfs_period_us = 100000
lxc.cgroup.pids.max = 1024
lxc.start.auto = 1
lxc.start.delay = 0
lxc.start.order = $i
CONF
	for p in $PARALLEL; do echo "lxc.group = p${p}g$((i % p))"; done
}

grow() { # N: make VPSes and LXC containers up to N
	local n=$1
	while [ "$made" -lt "$n" ]; do
		made=$((made + 1))
		v create "d$made" --template busybox --onboot --privileged --disk 0 --cpus 1 --memory 256M \
			--ip "10.80.$((made / 250)).$((made % 250 + 2))/16" >>"$LOG" 2>&1 || die "create d$made"
	done
	[ "$LXC" = 1 ] && [ "$n" -le "$LXC_MAX" ] || return 0
	if [ ! -d "$LOWER" ]; then
		mkdir -p "$LOWER"
		# the same busybox tree the VPSes run: the template's own tarball
		zstd -dc "$ROOT/var/lib/vpsctl/templates/busybox.tar.zst" |
			tar -x --numeric-owner -C "$LOWER" 2>>"$LOG"
		[ -x "$LOWER/sbin/init" ] || die "no /sbin/init in the copied tree"
	fi
	while [ "$lmade" -lt "$n" ]; do
		lmade=$((lmade + 1))
		mkdir -p "$LXC_PATH/l$lmade/delta0"
		lxc_config "l$lmade" "$lmade" >"$LXC_PATH/l$lmade/config"
	done
}

running_vps() { v list -S running -o name | tail -n +2 | wc -l; }
running_lxc() { lxc-ls -P "$LXC_PATH" --running -1 2>/dev/null | wc -l; }

ROWS=()
echo "# vpsctl $("$VPSCTL" --version | awk '{print $2}'), kernel $(uname -r), $(nproc) CPUs, $(lxc-start --version 2>/dev/null | sed 's/^/lxc /')"
for n in $SIZES; do
	t0=$(now)
	grow "$n"
	echo "# N=$n: set up in $(secs "$t0" "$(now)") s"
	for p in $PARALLEL; do
		stop_all_vps
		[ "$(running_vps)" = 0 ] || die "VPSes still running before the run"
		sync
		sleep 1
		load=$(cut -d' ' -f1 /proc/loadavg)
		t0=$(now)
		v autostart --parallel "$p" >>"$LOG" 2>&1 || die "autostart --parallel $p failed"
		t1=$(now)
		r=$(running_vps)
		[ "$r" = "$n" ] || die "N=$n P=$p: $r of $n running after autostart"
		vs=$(secs "$t0" "$t1")
		stop_all_vps
		ls=-
		if [ "$LXC" = 1 ] && [ "$n" -le "$LXC_MAX" ]; then
			sync
			sleep 1
			t0=$(now)
			if [ "$p" = 1 ]; then
				lxc-autostart -P "$LXC_PATH" -a >>"$LOG" 2>&1
			else
				pids=()
				for g in $(seq 0 $((p - 1))); do
					lxc-autostart -P "$LXC_PATH" -g "p${p}g$g" >>"$LOG" 2>&1 &
					pids+=($!)
				done
				wait "${pids[@]}"
			fi
			t1=$(now)
			r=$(running_lxc)
			[ "$r" = "$n" ] || die "N=$n P=$p: $r of $n LXC containers running after lxc-autostart"
			ls=$(secs "$t0" "$t1")
			stop_all_lxc
		fi
		row=$(awk -v n="$n" -v p="$p" -v vs="$vs" -v ls="$ls" -v l="$load" 'BEGIN {
			printf "%5d | %3d | %9.2f | %10.1f | %15s | %8s | %s", n, p, vs, vs * 1000 / n, ls,
				(ls == "-") ? "-" : sprintf("%.2f", vs / ls), l }')
		echo "$row"
		ROWS+=("$row")
	done
done
echo
echo "    N |   P | vpsctl s | per VPS ms | lxc-autostart s | vps/lxc | load before"
printf '%s\n' "${ROWS[@]}"
echo "vpsctl s: \`vpsctl autostart --parallel P\` until it returned, then \`vpsctl list -S running\` counted N."
echo "lxc-autostart s: P=1 \`lxc-autostart -P PATH -a\`; P>1: P \`lxc-autostart -P PATH -g pPgK\` at once (K = i mod P), then \`lxc-ls --running\` counted N."
