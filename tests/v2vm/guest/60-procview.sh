#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Issue 16 item 1 on a pure cgroup2 host: with lxcfs (Debian's, run here on a directory of the
# test's own), a VPS's /proc/meminfo, cpuinfo, uptime and /sys/devices/system/cpu/online show
# its --memory, ceil(--cpus) and its own boot, in user-namespace and privileged VPSes; a dead
# lxcfs leaves them running with a stale view, and a VPS started without lxcfs has it off.
. "${0%/*}/../tap.sh"

VPSCTL=${VPSCTL:-$BUILD_DIR/vpsctl}
[ -x "$VPSCTL" ] || bail "no vpsctl binary at '$VPSCTL'"
if ! command -v lxcfs > /dev/null; then
	echo "1..0 # SKIP no lxcfs in the VM (run-suite.sh passes the host's /usr/bin/lxcfs)"
	exit 0
fi
ROOT=$(mktemp -d /tmp/vpsctl-root.XXXXXX) || bail "mktemp failed"
LX=$(mktemp -d /tmp/vpsctl-lxcfs.XXXXXX) || bail "mktemp failed"
chmod 755 "$LX" && mkdir -m 755 "$LX/mnt" || bail "mkdir failed"
LXCFS_PID=

v() { timeout -s KILL 120 "$VPSCTL" --root "$ROOT" "$@" < /dev/null; }
json() { sed -n 's/.*"'"$1"'"[[:space:]]*:[[:space:]]*"\{0,1\}\([^",}]*\).*/\1/p' | head -n1; }
view() { v status "$1" --json | json proc_view; }
is_fuse() { [ "$(stat -f -c %t "$LX/mnt" 2> /dev/null)" = 65735546 ] && [ -r "$LX/mnt/proc/meminfo" ]; }
cleanup() {
	for n in p u n; do v destroy "$n" --force > /dev/null 2>&1; done
	[ -z "$LXCFS_PID" ] || kill -9 "$LXCFS_PID"
	umount -l "$LX/mnt" 2> /dev/null
	rm -rf "$ROOT" "$LX"
}
trap cleanup EXIT

mkdir -p "$ROOT/etc/vpsctl" /run
printf 'CGROUP_PARENT=/vpsctl-test-procview\nLXCFS_DIR=%s\n' "$LX/mnt" > "$ROOT/etc/vpsctl/vpsctl.conf"
# the VM's / is a tmpfs: no 10G default disk image per VPS in its RAM (45-disk-project.sh
# and 40-disk.sh test disk quotas)
echo "DEFAULT_DISK=0" >> "$ROOT/etc/vpsctl/vpsctl.conf"
modprobe fuse 2> /dev/null
lxcfs -f -l --enable-cfs --enable-pidfd -p "$LX/pid" "$LX/mnt" > "$LX/log" 2>&1 &
LXCFS_PID=$!
i=0
while ! is_fuse && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
is_fuse
tap_result $? "lxcfs runs on the test's directory" || { cat "$LX/log"; bail "no lxcfs"; }
check "template build busybox" v template build busybox || bail "no template"
check "create p --privileged --memory 512M --cpus 1" \
	v create p --template busybox --privileged --memory 512M --cpus 1 || bail "create p failed"
check "create u --memory 512M --cpus 1" \
	v create u --template busybox --memory 512M --cpus 1 || bail "create u failed"

for n in p u; do
	check "$n: start" v start "$n" || bail "start $n failed"
	is "$n: status says the view is on" "$(view "$n")" lxcfs
	is "$n: MemTotal is --memory (512M)" \
		"$(v exec "$n" -- awk '/^MemTotal:/{print $2}' /proc/meminfo)" 524288
	is "$n: cpuinfo has ceil(--cpus) = 1 processor" \
		"$(v exec "$n" -- grep -c ^processor /proc/cpuinfo)" 1
	is "$n: /sys/devices/system/cpu/online is one CPU" \
		"$(v exec "$n" -- cat /sys/devices/system/cpu/online)" 0
	up=$(v exec "$n" -- cut -d. -f1 /proc/uptime)
	[ -n "$up" ] && [ "$up" -lt 120 ]
	tap_result $? "$n: uptime counts from the VPS's boot ($up s)"
	is "$n: /proc/partitions is empty" "$(v exec "$n" -- cat /proc/partitions)" ""
done

kill -9 "$LXCFS_PID"
wait "$LXCFS_PID" 2> /dev/null
LXCFS_PID=
is "after lxcfs died: u's view is stale" "$(view u)" stale
is "u: exec still works" "$(v exec u -- echo alive)" alive
umount -l "$LX/mnt"
check "create n" v create n --template busybox --memory 512M --cpus 1
check "n: starts without lxcfs" v start n
is "n: status says the view is off" "$(view n)" off
done_testing
