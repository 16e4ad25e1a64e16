#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The test driver inside the systemd-vm guest (see ../run.sh): a Debian 12 node with systemd as
# PID 1 and a pure cgroup2 tree. vm-test.service runs it once the boot is complete; it writes
# TAP lines without numbers to ttyS1 (run.sh numbers them), ends each boot with
# "VMTEST-END N", then reboots (boot 1) or powers off (boot 2).
#
# Boot 1: dpkg -i the package, create VPSes as an operator does, and drive vpsctl@web through
#         systemd: start, its cgroup, resize, a reboot inside the VPS, vpsctl stop, systemctl
#         stop; leave it running and reboot the VM (systemd stops it on the way down).
# Boot 2: the ONBOOT VPSes came back, in BOOT_ORDER; stop them through vpsctl.target; then
#         dpkg -r and dpkg --purge.
set -u

STATE=/var/lib/vpsctl-vm-test
OUT=/dev/ttyS1
UNIT=vpsctl@web.service
CG_WANT=/system.slice/system-vpsctl.slice/$UNIT
FAILED=0

stty -F "$OUT" raw -echo 2>/dev/null
exec 3>"$OUT"

say() { printf '%s\n' "$*" >&3; }
diag() { printf '%s\n' "$*" | sed 's/^/# /' >&3; }
result() { # status(0 = pass) description
	if [ "$1" = 0 ]; then
		say "ok - $2"
	else
		say "not ok - $2"
		FAILED=$((FAILED + 1))
	fi
}
# check DESC CMD...: passes when CMD exits 0 within 180 s; its output becomes diagnostics
# when it fails.
check() {
	local d=$1 out rc
	shift
	out=$(timeout -k 5 180 "$@" 2>&1)
	rc=$?
	if [ $rc != 0 ]; then
		diag "'$*' exited $rc"
		[ -z "$out" ] || diag "$out"
	fi
	result $rc "$d"
	return $rc
}
is() { # DESC GOT WANT
	if [ "$2" = "$3" ]; then
		result 0 "$1"
	else
		diag "got '$2', want '$3'"
		result 1 "$1"
	fi
}
like() { # DESC GOT REGEX
	if printf '%s' "$2" | grep -Eq -- "$3"; then
		result 0 "$1"
	else
		diag "got '$2', want /$3/"
		result 1 "$1"
	fi
}
# wait_for SECONDS CMD...: polls CMD until it succeeds.
wait_for() {
	local end=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.2
	done
}

vpsctl() { timeout -k 5 180 /usr/sbin/vpsctl "$@"; }
# json FIELD: a scalar of the flat JSON object on stdin.
json() { sed -n 's/.*"'"$1"'":\("[^"]*"\|[0-9a-z]*\).*/\1/p' | tr -d '"'; }
status() { vpsctl status "$1" --json 2>/dev/null | json "$2"; }
prop() { systemctl show -p "$2" --value "$1"; }
cgroup_of() { sed -n 's/^0:://p' "/proc/$1/cgroup" 2>/dev/null; }
state_is() { [ "$(status "$1" state)" = "$2" ]; }
unit_is() { [ "$(systemctl is-active "$1")" = "$2" ]; }

# A failing check says more with the journal of what it was about.
journal_tail() {
	journalctl --no-pager -o short-monotonic -n 25 "$@" 2>&1 | sed 's/^/# journal: /' >&3
}

# ---------------------------------------------------------------------- boot 1 -----

install_package() {
	local out rc
	out=$(timeout 300 dpkg -i /root/vpsctl.deb 2>&1)
	rc=$?
	[ $rc = 0 ] || diag "$out"
	is "dpkg -i vpsctl.deb exits 0" "$rc" 0
	is "dpkg: vpsctl is installed" "$(dpkg-query -W -f='${Status}' vpsctl 2>&1)" "install ok installed"
	is "the package enabled vpsctl.target" "$(systemctl is-enabled vpsctl.target 2>&1)" enabled
	is "... but not the API socket (the operator's choice)" \
		"$(systemctl is-enabled vpsctl-api.socket 2>&1) $(systemctl is-active vpsctl-api.socket 2>&1)" "disabled inactive"
	check "vps-supervisor installed in libexecdir" test -x /usr/libexec/vpsctl/vps-supervisor
	check "vpsctl-template installed in libexecdir" test -x /usr/libexec/vpsctl/vpsctl-template
	check "the node config is in place" test -f /etc/vpsctl/vpsctl.conf
}

# What an operator types: build the template, create a VPS that starts at boot, and one that
# is marked for boot afterwards with an order (vpsctl enable reloads systemd itself).
create_vpses() {
	# one start at a time (default 4), so that db's order after web shows
	echo 'BOOT_PARALLEL="1"' >>/etc/vpsctl/vpsctl.conf
	check "vpsctl template build busybox" vpsctl template build busybox
	check "vpsctl create web --template busybox --onboot --cpus 1 --memory 128M" \
		vpsctl create web --template busybox --onboot --cpus 1 --memory 128M
	check "vpsctl create db --template busybox" vpsctl create db --template busybox
	check "vpsctl enable db --boot-order 10" vpsctl enable db --boot-order 10
	is "web has onboot" "$(status web onboot)" true
	is "db has onboot after enable" "$(status db onboot)" true
	like "the generator put both into vpsctl.target (enable ran daemon-reload)" \
		"$(prop vpsctl.target Wants)" 'vpsctl@db\.service.*vpsctl@web\.service|vpsctl@web\.service.*vpsctl@db\.service'
}

# systemctl start, and where everything sits in the unit's cgroup.
start_web() {
	local main cg init sup st
	check "systemctl start vpsctl@web" systemctl start "$UNIT" || journal_tail -u "$UNIT"
	is "the unit is active" "$(systemctl is-active "$UNIT")" active
	is "vpsctl sees the VPS running" "$(status web state)" running
	main=$(prop "$UNIT" MainPID)
	cg=$(prop "$UNIT" ControlGroup)
	init=$(status web init_pid)
	sup=$(status web supervisor_pid)
	is "the unit's cgroup is where systemd puts vpsctl@web" "$cg" "$CG_WANT"
	is "the supervisor is the unit's main process" "$sup" "$main"
	is "the VPS init lives in the unit's cgroup, in web/" "$(cgroup_of "$init")" "$CG_WANT/web"
	is "the supervisor sits in the _supervisor leaf" "$(cgroup_of "$main")" "$CG_WANT/_supervisor"
	is "no process in the unit's own (inner) cgroup" "$(cat "/sys/fs/cgroup$CG_WANT/cgroup.procs" 2>&1)" ""
	is "the VPS uses the cgroup v2 backend" "$(status web cgroup_backend)" v2
	st=$(systemctl status --no-pager -l "$UNIT" 2>&1)
	like "systemctl status: active (running)" "$st" 'Active: active \(running\)'
	like "systemctl status shows the VPS init in the unit's tree" "$st" "(─|-)$init "
	like "systemctl status shows the _supervisor group" "$st" '(─|-)_supervisor$'
	like "systemctl status shows the web group" "$st" '(─|-)web$'
	is "memory.max from --memory 128M" "$(cat "/sys/fs/cgroup$CG_WANT/web/memory.max" 2>&1)" 134217728
	MAIN=$main INIT=$init
}

resize_web() {
	check "vpsctl resize web --cpus 0.5" vpsctl resize web --cpus 0.5
	is "cpu.max in the unit's web/ cgroup says 0.5 CPU" \
		"$(cat "/sys/fs/cgroup$CG_WANT/web/cpu.max" 2>&1)" "50000 100000"
	is "vps.conf keeps the new value" "$(status web cpus)" 0.5
	is "the unit did not notice" "$(systemctl is-active "$UNIT")" active
}

reboot_inside() {
	local boots init2
	boots=$(status web boots)
	check "vpsctl exec web -- reboot" vpsctl exec web -- reboot
	if wait_for 90 sh -c "[ \"\$(/usr/sbin/vpsctl status web --json | sed -n 's/.*\"boots\":\([0-9]*\).*/\1/p')\" = $((boots + 1)) ]" &&
		wait_for 30 state_is web running; then
		result 0 "the VPS came back up (boots $boots -> $((boots + 1)))"
	else
		result 1 "the VPS came back up (boots $boots -> $((boots + 1)))"
		diag "status: $(vpsctl status web --json 2>&1)"
	fi
	init2=$(status web init_pid)
	is "the unit stayed active" "$(systemctl is-active "$UNIT")" active
	is "same MainPID: the supervisor handled it" "$(prop "$UNIT" MainPID)" "$MAIN"
	is "systemd restarted nothing" "$(prop "$UNIT" NRestarts)" 0
	if [ -n "$init2" ] && [ "$init2" != "$INIT" ] && [ "$init2" != 0 ]; then
		result 0 "a new VPS init ($INIT -> $init2)"
	else
		result 1 "a new VPS init ($INIT -> '$init2')"
	fi
	is "the new init is in the unit's web/ cgroup" "$(cgroup_of "$init2")" "$CG_WANT/web"
	is "the resized CPU cap survived the reboot" "$(cat "/sys/fs/cgroup$CG_WANT/web/cpu.max" 2>&1)" "50000 100000"
}

# The unit ends cleanly, whoever stops the VPS.
stopped_cleanly() { # how
	is "$1: the unit is inactive, not failed" "$(systemctl is-active "$UNIT")" inactive
	is "$1: the unit's result is success" "$(prop "$UNIT" Result)" success
	check "$1: no cgroup left behind" test ! -e "/sys/fs/cgroup$CG_WANT"
	is "$1: vpsctl sees the VPS stopped" "$(status web state)" stopped
}

stop_web() {
	check "vpsctl stop web (the VPS stops under systemd's feet)" vpsctl stop web
	wait_for 60 unit_is "$UNIT" inactive
	stopped_cleanly "after vpsctl stop"
	check "systemctl start vpsctl@web again" systemctl start "$UNIT"
	check "systemctl stop vpsctl@web" systemctl stop "$UNIT"
	stopped_cleanly "after systemctl stop"
	is "how it last ended" "$(status web last_exit)" stopped
	[ $FAILED = 0 ] || journal_tail -u "$UNIT"
}

boot1() {
	install_package
	create_vpses
	start_web
	resize_web
	reboot_inside
	stop_web
	# Running when the node reboots: systemd stops it on the way down (boot 2 checks how).
	check "systemctl start vpsctl@web before the node's reboot" systemctl start "$UNIT"
}

# ---------------------------------------------------------------------- boot 2 -----

after_reboot() {
	local web_up db_start
	is "web (ONBOOT) runs after the node's reboot" "$(systemctl is-active vpsctl@web.service)" active
	is "db (enabled) runs after the node's reboot" "$(systemctl is-active vpsctl@db.service)" active
	is "vpsctl list: web running" "$(status web state)" running
	is "vpsctl list: db running" "$(status db state)" running
	is "vpsctl.target is active" "$(systemctl is-active vpsctl.target)" active
	like "db (BOOT_ORDER 10) is ordered after web" "$(prop vpsctl@db.service After)" 'vpsctl@web\.service'
	web_up=$(prop vpsctl@web.service ActiveEnterTimestampMonotonic)
	db_start=$(prop vpsctl@db.service ExecMainStartTimestampMonotonic)
	if [ -n "$web_up" ] && [ -n "$db_start" ] && [ "$web_up" -le "$db_start" ]; then
		result 0 "db started after web was up"
	else
		result 1 "db started after web was up (web up at $web_up, db started at $db_start)"
	fi
	is "the resized CPU cap is in force after the node's reboot" \
		"$(cat "/sys/fs/cgroup$CG_WANT/web/cpu.max" 2>&1)" "50000 100000"
	shutdown_log
}

# The previous boot's journal: the running VPS was powered off when the node went down.
shutdown_log() {
	local log
	log=$(journalctl -b -1 -u "$UNIT" --no-pager -o cat 2>&1)
	# systemd may log the unit's CPU accounting ("Consumed 1.0s CPU time") after "Stopped"
	like "boot 1's shutdown stopped vpsctl@web (its last message)" \
		"$(printf '%s\n' "$log" | grep -v '^vpsctl@web\.service: Consumed ' | tail -n1)" \
		'^Stopped vpsctl@web\.service'
	if printf '%s' "$log" | grep -Eq 'Failed with result|Main process exited, code=(exited|killed), status=[^0]'; then
		result 1 "boot 1's shutdown: no failure of vpsctl@web"
		diag "$log"
	else
		result 0 "boot 1's shutdown: no failure of vpsctl@web"
	fi
}

stop_all() {
	local u
	check "systemctl stop vpsctl.target stops every VPS (PartOf=)" systemctl stop vpsctl.target
	for u in vpsctl@web.service vpsctl@db.service; do
		wait_for 60 unit_is "$u" inactive
		is "$u inactive" "$(systemctl is-active "$u")" inactive
		is "$u result success" "$(prop "$u" Result)" success
	done
	is "no VPS cgroup left in system-vpsctl.slice" \
		"$(find /sys/fs/cgroup/system.slice/system-vpsctl.slice -mindepth 1 -type d 2>/dev/null)" ""
}

remove_package() {
	local out rc
	out=$(timeout 300 dpkg -r vpsctl 2>&1)
	rc=$?
	[ $rc = 0 ] || diag "$out"
	is "dpkg -r vpsctl exits 0" "$rc" 0
	check "/usr/sbin/vpsctl is gone" test ! -e /usr/sbin/vpsctl
	check "the units are gone" test ! -e /lib/systemd/system/vpsctl@.service -a ! -e /lib/systemd/system/vpsctl.target
	check "the generator is gone" test ! -e /lib/systemd/system-generators/vpsctl-generator
	check "the conffile stays until purge" test -f /etc/vpsctl/vpsctl.conf
	out=$(timeout 300 dpkg --purge vpsctl 2>&1)
	rc=$?
	[ $rc = 0 ] || diag "$out"
	is "dpkg --purge vpsctl exits 0" "$rc" 0
	check "purge removed /etc/vpsctl" test ! -e /etc/vpsctl
	check "purge removed the vpsctl.target enablement" test ! -e /etc/systemd/system/multi-user.target.wants/vpsctl.target
	is "dpkg: vpsctl is gone" "$(dpkg-query -W -f='${Status}' vpsctl 2>/dev/null)" ""
	check "systemctl daemon-reload after the removal" systemctl daemon-reload
	is "systemd no longer knows vpsctl@.service" "$(prop vpsctl@web.service LoadState)" not-found
}

boot2() {
	after_reboot
	stop_all
	remove_package
}

# ------------------------------------------------------------------------ main -----

main() {
	local boot
	mkdir -p "$STATE"
	boot=$(($(cat "$STATE/boot" 2>/dev/null || echo 0) + 1))
	echo "$boot" >"$STATE/boot"
	sync
	diag "boot $boot: kernel $(uname -r), $(systemctl --version | head -n1), up $(cut -d' ' -f1 /proc/uptime) s"
	is "systemd is PID 1" "$(cat /proc/1/comm)" systemd
	is "a pure cgroup2 tree at /sys/fs/cgroup" "$(stat -f -c %T /sys/fs/cgroup)" cgroup2fs
	# The boot is not complete while this unit runs ("starting"): look for failures instead.
	is "no unit failed during the boot" "$(systemctl list-units --state=failed --no-legend --plain 2>&1)" ""
	case $boot in
	1) boot1 ;;
	2) boot2 ;;
	*) say "Bail out! unexpected boot $boot" ;;
	esac
	diag "boot $boot done after $(cut -d' ' -f1 /proc/uptime) s of uptime, $FAILED failed"
	say "VMTEST-END $boot"
	stty -F "$OUT" raw 2>/dev/null # drains the UART before the power goes
	exec 3>&-
	if [ "$boot" = 1 ]; then
		systemctl --no-block reboot
	else
		systemctl --no-block poweroff
	fi
}

main
