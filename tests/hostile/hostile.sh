#!/bin/bash
# Hostile suite (issue 6): a static attack program runs as root inside a busybox VPS, through
# `vpsctl exec` and from the VPS's own init, and must find every way out blocked; the host side
# checks that nothing of the node changed (host name, kernel knobs, mounts, the VPS's cgroup
# limits, the clock, processes outside the VPS).
. "$(dirname "$0")/../integration/lib.sh"
ATTACK=${ATTACK:-$(dirname "$0")/../../build/tests/hostile/attack}

# The default bounding set (model/caps.c): Docker's 14 plus SYS_BOOT, plus NET_ADMIN (bit 12)
# in a user namespace (the default), where it reaches only the VPS's own netns.
CAPBND_DEFAULT=a84435fb
# ... with --cap-add NET_ADMIN (bit 12) --cap-drop MKNOD (bit 27)
CAPBND_CUSTOM=a04435fb

token=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
host_pidns=$(readlink /proc/self/ns/pid)
exe_id=$(stat -L -c '%d:%i' "$VPSCTL")
A=(/bin/attack --token "$token" --host-pidns "$host_pidns")
# exec with a deadline: with a defence missing, an attack may leave a process stopped
vexec() { timeout 60 "$VPSCTL" --root "$T_ROOT" exec "$@"; }

# Everything of the node an escape could change, printed as one text to compare.
snapshot() {
	hostname
	for f in /proc/sys/kernel/core_pattern /proc/sys/kernel/modprobe /proc/sys/kernel/panic \
		/proc/sys/vm/overcommit_memory /proc/sys/fs/file-max /proc/sys/net/core/somaxconn \
		/proc/sys/net/ipv4/ip_forward /sys/kernel/mm/transparent_hugepage/enabled; do
		echo "$f=$(cat "$f" 2>/dev/null)"
	done
	# the node's mounts, leaving out other people's scratch mounts under /tmp and /run/netns
	# (this host is shared) but not ours
	awk '{print $5, $6}' /proc/self/mountinfo |
		awk -v r="$T_ROOT" 'index($1, r) == 1 || $1 !~ "^/(tmp|var/tmp|run/netns)/"' | sort
	for d in $(cgroup_dirs); do
		for f in memory.limit_in_bytes memory.memsw.limit_in_bytes pids.max cpu.cfs_quota_us \
			devices.list; do
			[ -r "$d/$f" ] && echo "$d/$f=$(tr '\n' ' ' <"$d/$f")"
		done
	done
}

# install_attack NAME: the attack binary and the token, nothing run from init.
install_attack() {
	local rootfs=$T_ROOT/var/lib/vpsctl/vps/$1/rootfs
	install -m 0755 "$ATTACK" "$rootfs/bin/attack"
	echo "$token" >"$rootfs/etc/vpsctl-hostile-token"
}

# prepare NAME: the attack binary, the token and an inittab line that runs every attack once
# from init (not through exec), logging to /attack.log.
prepare() {
	local rootfs=$T_ROOT/var/lib/vpsctl/vps/$1/rootfs
	install_attack "$1"
	echo "::once:/bin/attack --token $token --host-pidns '$host_pidns' --capbnd $2 all >/attack.log 2>&1" \
		>>"$rootfs/etc/inittab"
}

init_log() { cat "$T_ROOT/var/lib/vpsctl/vps/$1/rootfs/attack.log" 2>/dev/null; }
init_done() { init_log "$1" | grep -q '^# done'; }

echo 'NODE_ADDRESS="10.77.0.1/24"' >>"$T_ROOT/etc/vpsctl/vpsctl.conf"
build_template

# The guard: on the node the attack refuses to run, whatever it is given.
out=$("$ATTACK" --token "$token" --host-pidns "$host_pidns" all 2>&1); rc=$?
is "attack refuses to run on the node" "$rc" 2
like "and says why, attempting nothing" "$out" '^attack: no matching /etc/vpsctl-hostile-token'

vpsctl create hv --template busybox --hostname hostile-vps --ip 10.77.0.2/24 >/dev/null
prepare hv $CAPBND_DEFAULT
check "start the hostile VPS" vpsctl start hv
before=$(snapshot)
out=$(vexec hv -- /bin/attack --token wrong --host-pidns "$host_pidns" all 2>&1); rc=$?
is "attack refuses a wrong token inside" "$rc" 2

# 1. every attack through `vpsctl exec`
for name in $("$ATTACK" list); do
	case $name in
	killall) continue ;;
	procs)
		# issue test 9: keep scanning for a `vpsctl exec` child while the node runs exec after exec
		(for _ in $(seq 30); do vexec hv -- true; done) &
		out=$(vexec hv -- "${A[@]}" --exe "$exe_id" --seconds 3 procs 2>&1)
		wait
		;;
	status) out=$(vexec hv -- "${A[@]}" --capbnd $CAPBND_DEFAULT status 2>&1) ;;
	*) out=$(vexec hv -- "${A[@]}" "$name" 2>&1) ;;
	esac
	is "exec: $name blocked" "$out" "BLOCKED $name
# done"
done

# 2. the same attacks from a process the VPS's init started
check "init ran the attacks" wait_for 20 init_done hv
log=$(init_log hv)
for name in $("$ATTACK" list); do
	[ "$name" = killall ] && continue
	if printf '%s\n' "$log" | grep -qx "BLOCKED $name"; then ok 0 "init: $name blocked"; else
		ok 1 "init: $name blocked"; diag "$(printf '%s\n' "$log" | grep -- " $name")"; fi
done

# 3. what the VPS may do stays inside it
is "its own net sysctls are writable" \
	"$(vexec hv -- sh -c 'echo 1234 >/proc/sys/net/core/somaxconn && cat /proc/sys/net/core/somaxconn')" 1234
check "ping works (NET_RAW, sockets pass the filter)" vexec hv -- ping -c 1 -W 2 10.77.0.1
# In its user namespace the VPS's root manages its own interface (NET_ADMIN counts only in its
# netns), but the node-side filter drops what it sends from an address that is not its own.
check "ip addr add works inside (its own netns)" vexec hv -- ip addr add 10.77.0.3/24 dev eth0
vexec hv -- ping -c 1 -W 1 -I 10.77.0.3 10.77.0.1 >/dev/null 2>&1; [ $? != 0 ]
ok $? "a packet from the taken address gets nowhere"
vexec hv -- ip addr del 10.77.0.3/24 dev eth0 >/dev/null 2>&1
is "eth0 keeps its one address" "$(vexec hv -- ip -4 -o addr show dev eth0 | awk '{print $4}')" 10.77.0.2/24
# busybox date reports the failure but exits 0. The time asked for is the VPS's own "now", so
# were the defence missing, the node's clock would move by less than a second, not by years.
like "date -s is refused" "$(vexec hv -- sh -c 'date -s @$(date +%s)' 2>&1)" "can't set date: Operation not permitted"
vexec hv -- hwclock -w >/dev/null 2>&1; [ $? != 0 ]; ok $? "hwclock -w is refused"
vexec hv -- hostname evil >/dev/null 2>&1; [ $? != 0 ]; ok $? "sethostname is refused"
is "hostname inside unchanged" "$(vexec hv -- hostname)" hostile-vps

# 4. kill -9 -1 reaches only the VPS's processes (issue test 12)
sleep 300 &
sentinel=$!
vexec hv -- "${A[@]}" killall >/dev/null 2>&1
kill -0 $sentinel 2>/dev/null; ok $? "a node process survives kill -9 -1 inside"
kill $sentinel; wait $sentinel 2>/dev/null
is "the VPS's init survives it" "$(json_get "$(vpsctl status hv --json)" state)" running

# 5. the node is as it was
after=$(snapshot)
if [ "$before" = "$after" ]; then ok 0 "node unchanged (hostname, kernel knobs, mounts, cgroup limits)"; else
	ok 1 "node unchanged (hostname, kernel knobs, mounts, cgroup limits)"
	diag "$(diff <(echo "$before") <(echo "$after"))"
fi
skew=$(($(vexec hv -- date +%s) - $(date +%s)))
[ ${skew#-} -lt 60 ]; ok $? "the clock is the node's, unchanged (skew ${skew}s)"
[ "$(date +%Y)" -gt 2001 ]; ok $? "node clock not set back"
vpsctl stop --force hv >/dev/null

# 6. per-VPS capabilities and nesting
out=$(vpsctl create bad --template busybox --cap-add SYS_ADMIN --privileged 2>&1); rc=$?
[ $rc != 0 ]; ok $? "--cap-add SYS_ADMIN is refused for a --privileged VPS"
like "with a one-line reason" "$out" "^vpsctl: bad: --cap-add 'SYS_ADMIN': names a capability no VPS may have"
out=$(vpsctl create bad --template busybox --cap-add SYS_MODULE 2>&1); rc=$?
[ $rc != 0 ]; ok $? "--cap-add SYS_MODULE is refused even with a user namespace"
out=$(vpsctl create bad --template busybox --cap-add NOPE 2>&1); rc=$?
[ $rc != 0 ]; ok $? "--cap-add NOPE is refused"
check "create with --cap-add NET_ADMIN --cap-drop MKNOD --nesting" \
	vpsctl create hc --template busybox --cap-add NET_ADMIN --cap-drop MKNOD --nesting
prepare hc $CAPBND_CUSTOM
check "start it" vpsctl start hc
is "its capabilities as configured" \
	"$(vexec hc -- "${A[@]}" --capbnd $CAPBND_CUSTOM status 2>&1)" "BLOCKED status
# done"
is "NET_ADMIN inside: ip_forward of its own netns" \
	"$(vexec hc -- sh -c 'echo 1 >/proc/sys/net/ipv4/ip_forward && cat /proc/sys/net/ipv4/ip_forward')" 1
is "node ip_forward unchanged" "$(cat /proc/sys/net/ipv4/ip_forward)" \
	"$(printf '%s\n' "$before" | sed -n 's|^/proc/sys/net/ipv4/ip_forward=||p')"
vexec hc -- "${A[@]}" userns >/dev/null 2>&1
is "--nesting lets user namespaces through" "$?" 1

# 6b. What a tenant makes inside its user namespace (inotify instances, namespaces) the kernel
# also charges to the namespace's owner on the node, against that owner's limit there
# (fs.inotify.max_user_instances). Owned by host root, one VPS holding every inotify instance
# it can starved the node's root and every other VPS; owned by the VPS's own first host uid,
# each spends its own.
ns_owner() { # PID: the owner uid of its user namespace (NS_GET_OWNER_UID)
	python3 -c 'import fcntl, os, struct, sys
fd = os.open("/proc/%s/ns/user" % sys.argv[1], os.O_RDONLY)
print(struct.unpack("I", fcntl.ioctl(fd, 0xb704, b"\0" * 4))[0])' "$1"
}
host_inotify() { # can this root make an inotify instance now?
	python3 -c 'import ctypes, sys
fd = ctypes.CDLL(None, use_errno=True).inotify_init1(0o2000000)
print("ok" if fd >= 0 else "errno %d" % ctypes.get_errno())'
}
check "start hv again, as the neighbour" vpsctl start hv
hc_pid=$(vpsctl status hc --json | jq -r .init_pid)
hc_base=$(awk '$1 == 0 {print $2}' "/proc/$hc_pid/uid_map")
like "hc's ids start at a host uid above 0" "$hc_base" '^[1-9][0-9]*$'
is "its user namespace is owned by that uid, not root" "$(ns_owner "$hc_pid")" "$hc_base"
install_attack hc
held=$T_ROOT/held-inotify
vexec hc -- "${A[@]}" --seconds 8 hold-inotify >"$held" 2>&1 &
holder=$!
wait_for 20 grep -q '^HELD' "$held"
like "a tenant takes every inotify instance it can" "$(cat "$held")" '^HELD [1-9][0-9]* \(then Too many open files\)'
is "meanwhile the node's root still makes one" "$(host_inotify)" ok
like "and a neighbour VPS makes its own share" \
	"$(vexec hv -- "${A[@]}" --seconds 0 hold-inotify 2>&1)" '^HELD [1-9][0-9]* '
wait "$holder"
vpsctl stop --force hv >/dev/null
vpsctl stop --force hc >/dev/null

check "create with --cap-drop all" vpsctl create hz --template busybox --cap-drop all
check "a VPS with no capabilities starts" vpsctl start hz
like "and has none" "$(vexec hz -- grep CapBnd /proc/1/status)" '^CapBnd:[[:space:]]+0+$'
vpsctl stop --force hz >/dev/null

# a hand-edited vps.conf cannot grant what create refuses
sed -i 's/^CAP_ADD=.*/CAP_ADD="SYS_MODULE"/' "$T_ROOT/var/lib/vpsctl/vps/hz/vps.conf"
out=$(vpsctl start hz 2>&1); rc=$?
[ $rc != 0 ]; ok $? "start refuses CAP_ADD=SYS_MODULE in vps.conf"
diag "$out"

# 7. a --privileged VPS (no user namespace) gets the same seccomp filter: its socket families,
# on every entry point (issue 12 item 4), and its denied syscalls
check "create a --privileged VPS" vpsctl create hp --template busybox --privileged
install_attack hp
check "start it" vpsctl start hp
for name in sockets socket32 syscalls; do
	is "privileged exec: $name blocked" "$(vexec hp -- "${A[@]}" "$name" 2>&1)" "BLOCKED $name
# done"
done
vpsctl stop --force hp >/dev/null

plan $T_N
finish
