# SPDX-License-Identifier: GPL-2.0-or-later
# Sourced by the benches that put vpsctl and LXC side by side on one node (bootstorm.sh,
# density-debian.sh): the node's set-up and its cleanup, once. The caller is already in its
# own network and mount namespaces and sets, before sourcing:
#   PROG    its name, for messages
#   VPSCTL  the vpsctl binary      ROOT  its --root (a fresh mktemp -d)
#   CG      vpsctl's cgroup parent CGP   LXC's cgroup parent
#   LXC_PATH, LOG
# and counts what it made in `made` (VPSes d1..dN) and `lmade` (containers l1..lN).

v() { "$VPSCTL" --root "$ROOT" "$@"; }
die() { echo "$PROG: $*" >&2; tail -5 "$LOG" >&2; exit 1; }

our_cgroups() {
	find /sys/fs/cgroup -mindepth 2 -maxdepth 7 -depth -type d \
		\( -path "*/$CG" -o -path "*/$CG/*" -o -path "*/$CGP" -o -path "*/$CGP/*" \) 2>/dev/null
}
stop_all_vps() {
	seq "$made" | sed 's/^/d/' | xargs -r -P 8 -n 1 "$VPSCTL" --root "$ROOT" stop --force >/dev/null 2>&1
}
stop_all_lxc() {
	[ "$lmade" -gt 0 ] || return 0
	seq "$lmade" | sed 's/^/l/' | xargs -r -P 8 -n 1 lxc-stop -P "$LXC_PATH" -k -n >/dev/null 2>&1
}

# Everything the bench made goes: containers, VPSes, our cgroups, mounts under ROOT, ROOT.
node_cleanup() {
	local i
	trap - EXIT INT TERM
	set +e
	echo "# cleaning up"
	stop_all_lxc
	stop_all_vps
	seq "$made" | sed 's/^/d/' | xargs -r -P 8 -n 1 "$VPSCTL" --root "$ROOT" destroy --force >/dev/null 2>&1
	for i in $(seq 10); do
		our_cgroups | xargs -r rmdir 2>/dev/null
		[ -z "$(our_cgroups)" ] && break
		sleep 0.3
	done
	[ -n "$(our_cgroups)" ] && echo "$PROG: left cgroups: $(our_cgroups | tr '\n' ' ')" >&2
	grep -F " $ROOT/" /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r umount -l
	rm -rf "${ROOT:?}"
}

# node_setup NODE_CIDR LXC_BRIDGE LXC_CIDR RUN_TMPFS_SIZE: vpsctl's node (overlay storage, no
# default disk quota, its runtime state on a tmpfs as /run on a node) and LXC's bridge.
node_setup() {
	local node=$1 br=$2 lxcaddr=$3 runsize=$4
	ip link set lo up
	mkdir -p "$ROOT/etc/vpsctl" "$ROOT/run" "$LXC_PATH"
	mount -t tmpfs -o "mode=755,size=$runsize" "$PROG-run" "$ROOT/run" || die "tmpfs on $ROOT/run"
	cat >"$ROOT/etc/vpsctl/vpsctl.conf" <<CONF
CGROUP_PARENT=/$CG
NODE_ADDRESS="$node"
STORAGE=overlay
DEFAULT_DISK=0
LOCK_TIMEOUT=120
STOP_TIMEOUT=10
CONF
	: >"$LOG"
	ip link add "$br" type bridge && ip addr add "$lxcaddr" dev "$br" &&
		ip link set "$br" up || die "the LXC bridge"
	# LXC looks for the bridge in /sys/class/net, which shows the host's network namespace: a
	# sysfs of this one over it (in our own mount namespace, gone with it)
	mkdir "$ROOT/sys" && mount -t sysfs "$PROG-sys" "$ROOT/sys" &&
		mount --bind "$ROOT/sys/class/net" /sys/class/net &&
		mount --bind "$ROOT/sys/devices/virtual/net" /sys/devices/virtual/net || die "the node's sysfs"
}
