#!/bin/bash
# Issue 13, items 2 and 8. What `resize` saved holds after a reboot inside the VPS (bandwidth
# caps on the node-side veth and IFB, addresses added and taken away, memory/cpus/pids), and a
# vps.conf made invalid or weaker by hand while the VPS ran is not booted: the VPS stays
# stopped and says why. resize on a full disk changes nothing and says so (running or
# stopped), and vps.conf and the kernel agree afterwards.
# The node's --root is a small tmpfs in a mount namespace of the test's own, so the disk can
# be filled without touching the host's.
if [ "$(id -u)" = 0 ] && [ -z "${VPSCTL_TEST_MNTNS:-}" ]; then
	VPSCTL_TEST_MNTNS=1 exec unshare --mount --propagation private -- "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
plan 40

node_conf=$(cat "$T_ROOT/etc/vpsctl/vpsctl.conf")
mount -t tmpfs -o size=64m,mode=0755 vpsctl-test "$T_ROOT"
rc_cleanup() {
	t_cleanup 2>/dev/null # its rm -rf cannot remove the mount point itself
	umount -l "$T_ROOT"
	rm -rf "$T_ROOT" # what lib.sh wrote before the tmpfs covered it
}
trap rc_cleanup EXIT
mkdir -p "$T_ROOT/etc/vpsctl"
printf '%s\nNODE_ADDRESS="10.77.0.1/24 fd77::1/64"\n' "$node_conf" >"$T_ROOT/etc/vpsctl/vpsctl.conf"

VPS=$T_ROOT/var/lib/vpsctl/vps
CONF=$VPS/rc/vps.conf
M=$((1024 * 1024))
build_template

status_of() { json_get "$(vpsctl status "$1" --json)" "$2"; }
# The rate (bits/s) of the root tbf on a node-side device, or "none".
tbf_bits() {
	tc -j qdisc show dev "$1" 2>/dev/null |
		jq -r '[.[] | select(.kind == "tbf" and .root) | .options.rate * 8][0] // "none"'
}
caps() { echo "$(tbf_bits veth-rc) $(tbf_bits ifb-rc)"; }
addrs() { vpsctl exec rc -- ip -4 -o addr show dev eth0 | awk '{print $4}' | sort | tr '\n' ' '; }
booted_past() { # NAME BOOTS: running with more boots than BOOTS
	[ "$(status_of "$1" state)" = running ] && [ "$(status_of "$1" boots)" -gt "$2" ]
}
# reboot_rc: busybox reboot inside, then wait for the next boot to run.
reboot_rc() {
	local b
	b=$(status_of rc boots)
	vpsctl exec rc -- reboot >/dev/null 2>&1
	wait_for 20 booted_past rc "$b"
}
# Stopped: no init and no supervisor (status says "broken" rather than "stopped" while
# vps.conf is invalid). Between the old init's exit and the supervisor's refusal the VPS has
# no init for a moment but is not done yet; only a gone supervisor means the verdict is in.
stopped() {
	local st
	st=$(vpsctl status "$1" --json 2>/dev/null)
	case $(json_get "$st" state) in
	stopped | broken) [ "$(json_get "$st" init_pid)" = 0 ] &&
		[ "$(json_get "$st" supervisor_pid)" = 0 ] ;;
	*) false ;;
	esac
}
# fill: the tmpfs has no free byte left
fill() { dd if=/dev/zero of="$T_ROOT/filler$1" bs=64k >/dev/null 2>&1; }
# refused_reboot DESC REGEX EDIT...: a reboot inside, asked for before EDIT spoils vps.conf (exec
# itself loads vps.conf), ends in "stopped", with a reason matching REGEX.
refused_reboot() {
	local d=$1 re=$2 job
	shift 2
	vpsctl exec rc -- sh -c 'touch /tmp/armed; sleep 1; reboot' >/dev/null 2>&1 &
	job=$!
	wait_for 5 test -e "$VPS/rc/rootfs/tmp/armed" # exec has read vps.conf: now spoil it
	"$@"
	wait "$job"
	if ! wait_for 20 stopped rc; then
		ok 1 "$d"
		diag "state $(status_of rc state), boots $(status_of rc boots)"
		return
	fi
	like "$d" "$(status_of rc last_exit 2>/dev/null)" "$re"
	diag "last exit: $(status_of rc last_exit 2>/dev/null)"
}

vpsctl create rc --template busybox --ip 10.77.0.2/24 --ip 10.77.0.5/24 >/dev/null
check "start rc" vpsctl start rc

# --- item 2: live network changes survive a reboot inside -------------------------------------
check "resize --bandwidth 10mbit live" vpsctl resize rc --bandwidth 10mbit
is "the cap is on the veth and the IFB" "$(caps)" "10000000 10000000"
check "reboot inside" reboot_rc
is "after the reboot: still capped at 10mbit both ways" "$(caps)" "10000000 10000000"

check "restart (the start's config now says 10mbit)" vpsctl restart rc
check "resize --bandwidth 100mbit live" vpsctl resize rc --bandwidth 100mbit
check "reboot inside" reboot_rc
is "after the reboot: 100mbit, not the start's 10mbit" "$(caps)" "100000000 100000000"

check "resize --ip-add 10.77.0.4/24 live" vpsctl resize rc --ip-add 10.77.0.4/24
check "reboot inside" reboot_rc
is "the added address is there after the reboot" "$(addrs)" "10.77.0.2/24 10.77.0.4/24 10.77.0.5/24 "
check "and antispoof lets it out (ping the node from it)" \
	vpsctl exec rc -- ping -c1 -W2 -I 10.77.0.4 10.77.0.1

check "resize --ip-del 10.77.0.5 live" vpsctl resize rc --ip-del 10.77.0.5/24
check "another VPS gets 10.77.0.5" vpsctl create oth --template busybox --ip 10.77.0.5/24
check "reboot inside" reboot_rc
is "the deleted address does not come back" "$(addrs)" "10.77.0.2/24 10.77.0.4/24 "
is "and its claim stays with the other VPS" \
	"$(cat "$T_ROOT/var/lib/vpsctl/addresses/10.77.0.5")" oth

check "resize --memory 96M --cpus 0.5 --pids 77 live" \
	vpsctl resize rc --memory 96M --cpus 0.5 --pids 77
check "reboot inside" reboot_rc
is "after the reboot: memory and pids caps as resized" \
	"$(json_get "$(vpsctl stats rc --json)" memory_max) $(json_get "$(vpsctl stats rc --json)" pids_max)" \
	"$((96 * M)) 77"
if [ -e /sys/fs/cgroup/cgroup.controllers ]; then
	cpu=$(cut -d' ' -f1 </sys/fs/cgroup"$T_CGPARENT"/rc/cpu.max)
	per=$(cut -d' ' -f2 </sys/fs/cgroup"$T_CGPARENT"/rc/cpu.max)
else
	cpu=$(cat /sys/fs/cgroup/cpu"$T_CGPARENT"/rc/cpu.cfs_quota_us)
	per=$(cat /sys/fs/cgroup/cpu"$T_CGPARENT"/rc/cpu.cfs_period_us)
fi
is "and the CPU cap is 0.5 CPUs" "$((cpu * 100 / per))%" "50%"

# --- a vps.conf made invalid or weaker by hand while running -----------------------------------
cp "$CONF" "$T_ROOT/good.conf"
refused_reboot "an unknown key: the reboot is refused, naming file and line" \
	"reboot refused: .*vps/rc/vps\.conf:[0-9]+: .*BOGUS" sh -c "echo 'BOGUS=\"1\"' >>'$CONF'"
is "nothing of rc runs" "$(cgroup_dirs | grep -c '/rc$')" 0
like "the supervisor log says so too" "$(cat "$T_ROOT"/run/vpsctl/rc/supervisor.log 2>/dev/null)" \
	"vps\.conf:[0-9]+: .*BOGUS"

cp "$T_ROOT/good.conf" "$CONF"
check "start rc again" vpsctl start rc
refused_reboot "USERNS changed by hand: no reboot as host root; a start is needed" \
	"reboot refused: .*USERNS.*vpsctl start" sed -i 's/^USERNS=.*/USERNS="no"/' "$CONF"

cp "$T_ROOT/good.conf" "$CONF"
check "start rc again" vpsctl start rc
refused_reboot "an invalid quota: the reboot is refused with the reason" \
	"reboot refused: .*(CPUS|cpus).*exceeds" sed -i 's/^CPUS=.*/CPUS="100"/' "$CONF"

cp "$T_ROOT/good.conf" "$CONF"
check "start rc again" vpsctl start rc
refused_reboot "another VPS's address put in by hand: the reboot is refused" \
	"reboot refused: .*10\.77\.0\.5 is already used by VPS 'oth'" \
	sed -i 's|^IP_ADDRESS=.*|IP_ADDRESS="10.77.0.2/24 10.77.0.5/24"|' "$CONF"

# --- item 8: resize on a full disk ---------------------------------------------------------------
cp "$T_ROOT/good.conf" "$CONF"
check "start rc again" vpsctl start rc
mem_before=$(json_get "$(vpsctl stats rc --json)" memory_max)
sum_before=$(md5sum <"$CONF")
fill 1
out=$(vpsctl resize rc --memory 80M 2>&1)
rc=$?
is "full disk, running: resize fails" "$rc" 1
like "and says nothing was changed" "$out" "failed to save .*vps\.conf.*: No space left on device; nothing was changed"
is "vps.conf kept the old value" "$(md5sum <"$CONF")" "$sum_before"
is "and so did the kernel" "$(json_get "$(vpsctl stats rc --json)" memory_max)" "$mem_before"
vpsctl stop rc >/dev/null
fill 2 # stop freed what the running VPS had in the run directory
sum_before=$(md5sum <"$CONF")
out=$(vpsctl resize rc --memory 80M 2>&1)
like "full disk, stopped: the message says nothing was changed" "$out" \
	"failed to save .*vps\.conf.*: No space left on device; nothing was changed"
is "vps.conf kept the old value" "$(md5sum <"$CONF")" "$sum_before"
rm -f "$T_ROOT"/filler*
check "with space again, resize works" vpsctl resize rc --memory 80M
vpsctl start rc >/dev/null
is "and vps.conf and the kernel agree" \
	"$(sed -n 's/^MEMORY="\(.*\)"/\1/p' "$CONF") $(json_get "$(vpsctl stats rc --json)" memory_max)" \
	"80M $((80 * M))"
finish
