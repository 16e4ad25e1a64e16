#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Issue 12 item 5: the kernel's pty pool is shared by every VPS, so each VPS's devpts has a
# cap (PTYS, devpts max=). A tenant opening ptys until refused gets ENOSPC at exactly its cap;
# a neighbour can still `enter` meanwhile; `resize --ptys` raises the cap live (userns and
# privileged VPSes), and says "next start" when the tenant replaced its /dev/pts; bad values
# are refused with the reason and change nothing.
. "$(dirname "$0")/lib.sh"
plan 33

HELPERS=${BUILD_DIR:-$(dirname "$0")/../../build}/tests/helpers
VPS_DIR=$T_ROOT/var/lib/vpsctl/vps
HOLD_OUT=/tmp/vpsctl-ptys-hold.$$
trap 'rm -f "$HOLD_OUT"; t_cleanup' EXIT

# opened NAME: what the ptys helper inside NAME manages to open before the kernel refuses.
opened() { vpsctl exec "$1" -- /bin/ptys 2>&1; }
conf_ptys() { sed -n 's/^PTYS="\(.*\)"/\1/p' "$VPS_DIR/$1/vps.conf"; }

build_template
# a may umount and mount (SYS_ADMIN in its user namespace, as systemd VPSes have it), so it
# can replace its /dev/pts below
check "create a (user namespace, SYS_ADMIN) --ptys 8" \
	vpsctl create a --template busybox --ptys 8 --cap-add SYS_ADMIN
check "create b (privileged) --ptys 4" vpsctl create b --template busybox --privileged --ptys 4
is "vps.conf of a holds PTYS" "$(conf_ptys a)" 8
for n in a b; do cp "$HELPERS/ptys" "$VPS_DIR/$n/rootfs/bin/ptys"; done
check "start a" vpsctl start a
check "start b" vpsctl start b
is "status --json shows the cap" "$(json_get "$(vpsctl status a --json)" ptys)" 8

# ------------------------------------------------------------------ the cap holds -----

first=$(opened a)
is "a opens exactly its 8 ptys, then ENOSPC" "$first" "opened 8 refused ENOSPC"
is "b (privileged) opens exactly its 4, then ENOSPC" "$(opened b)" "opened 4 refused ENOSPC"

if [ "$first" = "opened 8 refused ENOSPC" ]; then
	timeout -s KILL 120 "$VPSCTL" --root "$T_ROOT" exec a -- /bin/ptys hold \
		</dev/null >"$HOLD_OUT" 2>&1 &
	hold_job=$!
	wait_for 20 grep -q refused "$HOLD_OUT"
	is "a process in a holds all 8" "$(cat "$HOLD_OUT")" "opened 8 refused ENOSPC"
	out=$(echo exit | vpsctl enter a 2>&1)
	like "a's own enter is refused with the reason" "$out" \
		'failed to get a pty: the VPS holds as many as its pty cap allows .*No space left'
	out=$(printf 'tty\nexit\n' | vpsctl enter b 2>&1)
	like "neighbour b can still enter, on a pty of its own devpts" "$out" '/dev/pts/[0-9]'
	is "nothing more opens in a meanwhile" "$(opened a)" "opened 0 refused ENOSPC"

	# --------------------------------------------------------------- live resize -----
	err=$(vpsctl resize a --ptys 12 2>&1)
	ok $? "resize a --ptys 12 while a runs"
	is "... said nothing (applied live)" "$err" ""
	is "... and a opens 4 more next to the 8 held" "$(opened a)" "opened 4 refused ENOSPC"
	is "vps.conf holds PTYS=12" "$(conf_ptys a)" 12
	check "resize b --ptys 6 (privileged)" vpsctl resize b --ptys 6
	is "... and b opens 6" "$(opened b)" "opened 6 refused ENOSPC"
else
	# Without a cap the holder would take the whole host pool from everyone else on
	# this machine: not done.
	for t in $(seq 10); do ok 1 "no pty cap: the exhaustion steps are not run ($t)"; done
fi

# ------------------------------------------------------------------- bad values -----

# bad NAME REGEX ARGS...: refused with a message matching REGEX, vps.conf of a unchanged.
bad() {
	local desc=$1 re=$2 sum out
	shift 2
	sum=$(md5sum <"$VPS_DIR/a/vps.conf")
	out=$(vpsctl "$@" 2>&1)
	if [ $? -ne 0 ] && printf '%s' "$out" | grep -Eq -- "$re" &&
		[ "$(md5sum <"$VPS_DIR/a/vps.conf")" = "$sum" ]; then
		ok 0 "$desc"
	else
		ok 1 "$desc"
		diag "got: $out"
	fi
}
bad "resize --ptys 0 is refused" "invalid --ptys '0': out of range" resize a --ptys 0
bad "resize --ptys lots is refused" "invalid --ptys 'lots'" resize a --ptys lots
bad "resize --ptys above the kernel's pool is refused" \
	'--ptys 1000000 is more than the [0-9]+ ptys the kernel leaves for all VPSes together \(kernel.pty.max [0-9]+ less kernel.pty.reserve [0-9]+\)' \
	resize a --ptys 1000000
bad "create --ptys 2000000 (past devpts max=) is refused" "invalid --ptys '2000000': out of range" \
	create c --template busybox --ptys 2000000
cp "$T_ROOT/etc/vpsctl/vpsctl.conf" "$T_ROOT/node.conf.saved"
echo "DEFAULT_PTYS=0" >>"$T_ROOT/etc/vpsctl/vpsctl.conf"
bad "DEFAULT_PTYS=0 in vpsctl.conf is refused" "invalid DEFAULT_PTYS '0'" status a
cp "$T_ROOT/node.conf.saved" "$T_ROOT/etc/vpsctl/vpsctl.conf"

# --------------------------------------- the tenant replaced /dev/pts: next start -----

vpsctl exec a -- mount -t tmpfs tenant /dev/pts
err=$(vpsctl resize a --ptys 14 2>&1)
ok $? "resize a --ptys 14 after the tenant mounted a tmpfs on /dev/pts"
like "... says it applies at the next start" "$err" \
	'a: the pty cap cannot be changed live: its /dev/pts is no longer the devpts mount vpsctl made \(the VPS changed it\); saved for the next start'
vpsctl exec a -- sh -c 'umount /dev/pts && umount -l /dev/pts && rmdir /dev/pts && ln -s /proc/1/root/dev /dev/pts'
err=$(vpsctl resize a --ptys 16 2>&1)
ok $? "resize a --ptys 16 after the tenant put a symlink at /dev/pts"
like "... says it applies at the next start" "$err" \
	'a: the pty cap cannot be changed live: its /dev/pts is no longer the devpts mount vpsctl made \(the VPS changed it\); saved for the next start'
is "... and vps.conf holds it" "$(conf_ptys a)" 16
# a reboot from inside is a new devpts: it takes the saved cap, not the one a started with
second_boot() { [ "$(json_get "$(vpsctl status a --json)" boots)" = 2 ]; }
vpsctl exec a -- reboot
check "a rebooted itself" wait_for 20 second_boot
check "... and runs" wait_for 20 sh -c "'$VPSCTL' --root '$T_ROOT' exec a -- true"
is "after the reboot a opens its 16" "$(opened a)" "opened 16 refused ENOSPC"
check "resize a --ptys 5 (stopped), then start" \
	sh -c "'$VPSCTL' --root '$T_ROOT' stop a && '$VPSCTL' --root '$T_ROOT' resize a --ptys 5 &&
		'$VPSCTL' --root '$T_ROOT' start a"
is "after the start a opens its 5" "$(opened a)" "opened 5 refused ENOSPC"
[ -n "${hold_job:-}" ] && wait "$hold_job" 2>/dev/null
finish
