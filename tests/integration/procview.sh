#!/bin/bash
# The VPS's own /proc (issue 16): with an lxcfs on LXCFS_DIR, a VPS's meminfo, cpuinfo, stat,
# uptime, loadavg, swaps, diskstats and /sys/devices/system/cpu are lxcfs's, read-only and out
# of the tenant's reach, in user-namespace and privileged VPSes alike; /proc/partitions and
# /sys/block show no disk. lxcfs is optional: a node without it starts VPSes with the view off,
# one that dies leaves running VPSes running with a stale view, and after a restart new starts
# have the view again. The test runs its own lxcfs in its own mount namespace on a directory of
# its own: the host's lxcfs (/var/lib/lxcfs) is neither used nor touched.
if [ "$(id -u)" = 0 ] && [ -z "${PROCVIEW_IN_MNTNS:-}" ]; then
	PROCVIEW_IN_MNTNS=1 exec unshare --mount --propagation private -- "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
command -v lxcfs >/dev/null || { echo "1..0 # SKIP no lxcfs (apt-get install lxcfs)"; exit 0; }
plan 59

# Searchable by the VPSes' unprivileged ids: lxcfs's files are bound from here at start.
LX=$(mktemp -d /tmp/vpsctl-lxcfs.XXXXXX)
chmod 755 "$LX"
mkdir -m 755 "$LX/mnt"
LXCFS_PID=
stop_lxcfs() { # SIGKILL: the crash; the FUSE mount stays, dead, until unmounted
	[ -n "$LXCFS_PID" ] && kill -9 "$LXCFS_PID" && wait "$LXCFS_PID" 2>/dev/null
	LXCFS_PID=
}
px_cleanup() {
	stop_lxcfs
	t_cleanup
	umount -l "$LX/mnt" 2>/dev/null
	rm -rf "${LX:?}"
}
trap px_cleanup EXIT
is_fuse() { [ "$(stat -f -c %t "$LX/mnt" 2>/dev/null)" = 65735546 ] && [ -r "$LX/mnt/proc/meminfo" ]; }
start_lxcfs() {
	lxcfs -f -l --enable-cfs --enable-pidfd -p "$LX/pid" "$LX/mnt" >>"$LX/log" 2>&1 &
	LXCFS_PID=$!
	wait_for 10 is_fuse
}
set_conf() { # KEY VALUE
	sed -i "/^$1=/d" "$T_ROOT/etc/vpsctl/vpsctl.conf"
	echo "$1=\"$2\"" >>"$T_ROOT/etc/vpsctl/vpsctl.conf"
}
view() { json_get "$(vpsctl status "$1" --json)" proc_view; }
memtotal() { vpsctl exec "$1" -- awk '/^MemTotal:/{print $2}' /proc/meminfo; }
host_memtotal=$(awk '/^MemTotal:/{print $2}' /proc/meminfo)
host_disks=$(awk 'NR>2{print $4}' /proc/partitions | xargs)

set_conf LXCFS auto
set_conf LXCFS_DIR "$LX/mnt"
build_template
check "create u (user namespace) --memory 512M --cpus 1" \
	vpsctl create u --template busybox --memory 512M --cpus 1
check "create p (--privileged) --memory 512M --cpus 1" \
	vpsctl create p --template busybox --memory 512M --cpus 1 --privileged
check "the test's own lxcfs runs on its private directory" start_lxcfs

# The view, in both kinds of VPS.
for n in u p; do
	check "$n: start" vpsctl start "$n"
	is "$n: status says the view is on" "$(view "$n")" lxcfs
	like "$n: ... and so does the text status" "$(vpsctl status "$n")" "proc view lxcfs\)"
	is "$n: MemTotal is --memory (512M)" "$(memtotal "$n")" 524288
	is "$n: cpuinfo has ceil(--cpus) = 1 processor" \
		"$(vpsctl exec "$n" -- grep -c ^processor /proc/cpuinfo)" 1
	is "$n: /sys/devices/system/cpu/online is one CPU" \
		"$(vpsctl exec "$n" -- cat /sys/devices/system/cpu/online)" 0
	is "$n: /proc/stat has one cpuN line" \
		"$(vpsctl exec "$n" -- grep -c '^cpu[0-9]' /proc/stat)" 1
	up=$(vpsctl exec "$n" -- cut -d. -f1 /proc/uptime)
	[ -n "$up" ] && [ "$up" -lt 60 ]; ok $? "$n: uptime counts from the VPS's boot ($up s)"
	tasks=$(vpsctl exec "$n" -- awk '{split($4, a, "/"); print a[2]}' /proc/loadavg)
	[ -n "$tasks" ] && [ "$tasks" -lt 20 ]; ok $? "$n: loadavg counts the VPS's own tasks ($tasks)"
	is "$n: all eight are read-only lxcfs mounts" \
		"$(vpsctl exec "$n" -- grep -c ' ro,.* - fuse.lxcfs ' /proc/self/mountinfo)" 8
	out=$(vpsctl exec "$n" -- umount /proc/meminfo 2>&1)
	like "$n: root inside cannot unmount the view" "$out" "Operation not permitted"
	out=$(vpsctl exec "$n" -- sh -c 'echo x >/proc/meminfo' 2>&1)
	like "$n: ... nor write through it" "$out" "Read-only file system|Permission denied"
	is "$n: /proc/partitions is empty (host: $host_disks)" \
		"$(vpsctl exec "$n" -- cat /proc/partitions)" ""
	is "$n: /sys/block, /sys/class/block, /sys/dev/block are empty" \
		"$(vpsctl exec "$n" -- ls /sys/block /sys/class/block /sys/dev/block | grep -v ':$' | xargs)" ""
done

# lxcfs dies: the VPSes keep running, exec works, reads of the view fail, status says stale.
stop_lxcfs
is "after lxcfs died: u's view is stale" "$(view u)" stale
is "... p's too" "$(view p)" stale
is "u still runs" "$(json_get "$(vpsctl status u --json)" state)" running
is "exec still works" "$(vpsctl exec u -- echo alive)" alive
out=$(vpsctl exec u -- cat /proc/meminfo 2>&1)
like "a read of the stale view fails (ENOTCONN)" "$out" "Transport endpoint is not connected"
is "the rest of /proc still works" "$(vpsctl exec u -- cat /proc/sys/kernel/hostname)" u

# No lxcfs at all (the dead mount gone): a start works with the view off.
umount -l "$LX/mnt"
check "create n" vpsctl create n --template busybox --memory 512M --cpus 1
# No FUSE mount on the node at all: the start forks no probe (the child that opens LXCFS_DIR,
# which costs every start a fork and a hung lxcfs 2 s). Traced: LXCFS_DIR is never opened.
running() { [ "$(json_get "$(vpsctl status "$1" --json)" state)" = running ]; }
strace -f -qq -e trace=openat,open -o "$LX/trace" \
	"$VPSCTL" --root "$T_ROOT" start --foreground n >/dev/null 2>&1 &
traced=$!
check "n: a traced start --foreground runs" wait_for 20 running n
is "n: ... with the view off" "$(view n)" off
vpsctl stop n >/dev/null
wait "$traced"
is "n: ... and LXCFS_DIR was never opened (no probe)" "$(grep -c "\"$LX/mnt\"" "$LX/trace")" 0
check "n: start without lxcfs" vpsctl start n
is "n: status says the view is off" "$(view n)" off
is "n: MemTotal is the node's (no view)" "$(memtotal n)" "$host_memtotal"
is "n: /proc/partitions is still masked" "$(vpsctl exec n -- cat /proc/partitions)" ""
vpsctl stop n >/dev/null
set_conf LXCFS yes
out=$(vpsctl start n 2>&1)
like "an unknown LXCFS value is refused, naming it" "$out" "invalid LXCFS 'yes'"
set_conf LXCFS required
out=$(vpsctl start n 2>&1)
like "LXCFS=required refuses a start without lxcfs, saying why" "$out" \
	"LXCFS=required, but $LX/mnt is not an lxcfs mount"
is "... and n does not run" "$(json_get "$(vpsctl status n --json)" state)" stopped

# lxcfs restarted: new starts have the view; a VPS started before keeps its stale binds until
# its next start.
check "lxcfs restarted" start_lxcfs
check "LXCFS=required: n starts with lxcfs there" vpsctl start n
is "n: view on" "$(view n)" lxcfs
is "n: MemTotal is 512M" "$(memtotal n)" 524288
is "u: still stale" "$(view u)" stale
check "u: restart" sh -c "'$VPSCTL' --root '$T_ROOT' stop u && '$VPSCTL' --root '$T_ROOT' start u"
is "u: view on again" "$(view u)" lxcfs
is "u: MemTotal is 512M again" "$(memtotal u)" 524288

# LXCFS=off: the view is never bound, even with lxcfs running.
set_conf LXCFS off
vpsctl stop p >/dev/null
check "LXCFS=off: p starts" vpsctl start p
is "p: view off" "$(view p)" off
is "p: MemTotal is the node's" "$(memtotal p)" "$host_memtotal"
finish
