#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# vpsctl's cgroup v2 backend on a real pure-cgroup2 kernel: the quotas of `create` land in
# the VPS's cgroup files, the kernel enforces them (CPU cap, OOM kill, pids cap), `resize`
# changes them live without restarting the VPS, and stop/destroy remove the cgroup.
#
# Runs as root inside the VM (run-suite.sh); the VM is this test's "host". Under TCG a fork
# costs ~10x a real host's, hence the generous timeouts; CPU shares are measured from
# cpu.stat against the real clock, which TCG keeps.
. "${0%/*}/../tap.sh"

VPSCTL=${VPSCTL:-$BUILD_DIR/vpsctl}
ALLOC=${BUILD_DIR:-}/tests/helpers/alloc
NAME=v2t
PARENT=/sys/fs/cgroup/vpsctl-test
CG=$PARENT/$NAME
MARK=spin-v2vm # tags the busy loops so they can be found and killed by PID

[ -x "$VPSCTL" ] || bail "no vpsctl binary at '$VPSCTL'"
ROOT=$(mktemp -d /tmp/vpsctl-root.XXXXXX) || bail "mktemp failed"
ROOTFS=$ROOT/var/lib/vpsctl/vps/$NAME/rootfs

# Every vpsctl call is bounded, so a hang fails one test instead of the whole VM run.
v() { timeout -s KILL 240 "$VPSCTL" --root "$ROOT" "$@"; }

# json KEY: the first value of "KEY" in the JSON on stdin (strings unquoted).
json() {
	sed -n 's/.*"'"$1"'"[[:space:]]*:[[:space:]]*"\{0,1\}\([^",}]*\).*/\1/p' | head -n1
}
status_of() { v status "$NAME" --json | json "$1"; }
stats_of() { v stats "$NAME" --json | json "$1"; }

# Host PIDs whose command line carries the pattern (written so grep never matches itself).
pids_matching() {
	for p in /proc/[0-9]*; do
		tr '\0' ' ' 2> /dev/null < "$p/cmdline" | grep -q "$1" && echo "${p#/proc/}"
	done
}

kill_spinners() {
	for p in $(pids_matching 'spin[-]v2vm'); do kill -9 "$p" 2>/dev/null; done
	sleep 1
}

# A busy loop inside the VPS. The host-side `vpsctl exec` stays in the foreground of its
# loop (backgrounded here), so it works whatever exec does with a command's leftovers.
spin() {
	timeout -s KILL 300 "$VPSCTL" --root "$ROOT" exec "$NAME" -- \
		sh -c "trap '' HUP; while :; do :; done # $MARK" < /dev/null > /dev/null 2>&1 &
}

# cpu_percent SECS: the VPS cgroup's CPU use over SECS, in % of one CPU.
cpu_percent() {
	u0=$(sed -n 's/^usage_usec //p' "$CG/cpu.stat")
	t0=$(awk '{ printf "%.0f", $1 * 1000000 }' /proc/uptime)
	sleep "$1"
	u1=$(sed -n 's/^usage_usec //p' "$CG/cpu.stat")
	t1=$(awk '{ printf "%.0f", $1 * 1000000 }' /proc/uptime)
	echo $(((u1 - u0) * 100 / (t1 - t0)))
}

# cpu.max as a percentage of one CPU, whatever period vpsctl chose.
cpu_max_percent() {
	read -r quota period < "$CG/cpu.max" || return
	[ "$quota" = max ] && { echo max; return; }
	echo $((quota * 100 / period))
}

# check_files DESC CPU% MEMORY_BYTES PIDS: the VPS's cgroup files hold the configured quota.
check_files() {
	is "$1: cpu.max is ${2}% of a CPU" "$(cpu_max_percent)" "$2"
	is "$1: memory.max" "$(cat "$CG/memory.max")" "$3"
	is "$1: memory.swap.max" "$(cat "$CG/memory.swap.max")" 0
	is "$1: pids.max" "$(cat "$CG/pids.max")" "$4"
}

cleanup() {
	kill_spinners
	v stop "$NAME" --force > /dev/null 2>&1
	v destroy "$NAME" --force > /dev/null 2>&1
	# whatever vpsctl left behind: this test made it, so it removes it
	if [ -d "$CG" ]; then
		echo 1 > "$CG/cgroup.kill"
		sleep 1
		find "$CG" -depth -type d -exec rmdir {} \; 2>/dev/null
	fi
	rmdir "$PARENT" 2>/dev/null
	rm -rf "$ROOT"
}
trap cleanup EXIT

# ---------------------------------------------------------------- create, start -----

mkdir -p "$ROOT/etc/vpsctl"
echo "CGROUP_PARENT=/vpsctl-test" > "$ROOT/etc/vpsctl/vpsctl.conf"
# the VM's / is a tmpfs: no 10G default disk image per VPS in its RAM (45-disk-project.sh
# and 40-disk.sh test disk quotas)
echo "DEFAULT_DISK=0" >> "$ROOT/etc/vpsctl/vpsctl.conf"
check "template build busybox" v template build busybox || bail "no template, nothing else can run"
check "create with --memory 64M --swap 0 --cpus 0.5 --pids 64" \
	v create "$NAME" --template busybox --memory 64M --swap 0 --cpus 0.5 --pids 64 ||
	bail "create failed, nothing else can run"
if [ -x "$ALLOC" ]; then
	cp "$ALLOC" "$ROOTFS/bin/alloc"
fi
check "start" v start "$NAME" || bail "start failed, nothing else can run"

st=$(v status "$NAME" --json)
diag "status: $st"
is "status: state is running" "$(echo "$st" | json state)" running
is "status: the v2 backend was picked" "$(echo "$st" | json cgroup_backend)" v2
init_pid=$(echo "$st" | json init_pid)
check "status: init_pid is a live process" test -n "$init_pid" -a -d "/proc/$init_pid"
check "init runs in $CG (or below it)" grep -qE "^0::/vpsctl-test/$NAME(/|\$)" "/proc/$init_pid/cgroup"
check "the VPS cgroup exists" test -d "$CG"
check_files "after create" 50 67108864 64
# CPU_PINNING=auto (the default): --cpus 0.5 on this 2-CPU VM runs on one CPU, in cpuset.cpus
check "CPU_PINNING=auto: --cpus 0.5 is pinned to one CPU" grep -qxE '[01]' "$CG/cpuset.cpus"
is "status: the CPUs are the kernel's" "$(status_of cpuset_effective)" "$(cat "$CG/cpuset.cpus")"
is "status: pinned automatically" "$(status_of cpuset_auto)" true

# ---------------------------------------------------------------------- CPU cap -----

spin
sleep 2
pct=$(cpu_percent 3)
diag "one busy loop under --cpus 0.5: ${pct}% ($(grep -E '^nr_(periods|throttled) ' "$CG/cpu.stat" | tr '\n' ' '))"
in_range "--cpus 0.5 caps one busy loop at 50% of a CPU" "$pct" 40 60

check "resize --cpus 1.5 on the running VPS" v resize "$NAME" --cpus 1.5
check_files "after resize --cpus 1.5" 150 67108864 64
# "" (the parent's) where the kernel takes it on a group with tasks, else both spelt out
check "--cpus 1.5 needs both CPUs: no pin (cpuset.cpus '$(cat "$CG/cpuset.cpus")')" \
	grep -qxE '0-1|' "$CG/cpuset.cpus"
is "status: it runs on both" "$(status_of cpuset_effective)" 0-1
spin
sleep 2
diag "busy loops running: $(pids_matching 'spin[-]v2vm' | wc -l) processes (host execs + loops)"
pct=$(cpu_percent 3)
diag "two busy loops under --cpus 1.5: ${pct}%"
in_range "--cpus 1.5 caps two busy loops at 150%" "$pct" 130 170
is "resize kept the VPS running: same init pid" "$(status_of init_pid)" "$init_pid"
kill_spinners

usage=$(stats_of cpu_usage_usec)
check "stats: cpu_usage_usec counts the busy loops (>= 3 s)" test "${usage:-0}" -ge 3000000

# --------------------------------------------------------------------- pids cap -----

# 200 sleepers against pids.max 64: a bounded stand-in for a fork bomb (a real one would
# melt the VM if the cap were missing). The shell may die on its first failed fork.
v exec "$NAME" -- sh -c "trap '' HUP; i=0; while [ \$i -lt 200 ]; do sleep 45 & i=\$((i + 1)); done" \
	> /tmp/pids.log 2>&1
sleep 2
cur=$(cat "$CG/pids.current")
diag "fork storm: pids.current $cur, pids.events: $(tr '\n' ' ' < "$CG/pids.events"), $(grep -c . /tmp/pids.log) lines of errors:"
head -n 3 /tmp/pids.log | sed 's/^/#   /'
in_range "pids.max 64 caps a fork storm" "$cur" 1 64
# forks failing for another reason (no /dev/null, ...) would leave this at 0
check "pids.events counts refused forks" test "$(sed -n 's/^max //p' "$CG/pids.events")" -ge 1
is "stats: pids_max" "$(stats_of pids_max)" 64
pc=$(stats_of pids_current)
in_range "stats: pids_current" "$pc" 2 64
for p in $(pids_matching '^sleep 45 $'); do kill -9 "$p" 2>/dev/null; done
is "the fork storm did not kill the VPS: same init pid" "$(status_of init_pid)" "$init_pid"

# ------------------------------------------------------------------- memory cap -----

check "resize --memory 96M" v resize "$NAME" --memory 96M
check_files "after resize --memory 96M" 150 100663296 64
is "stats: memory_max follows the resize" "$(stats_of memory_max)" 100663296
check "resize --memory 64M --force" v resize "$NAME" --memory 64M --force
check_files "after resize --memory 64M --force" 150 67108864 64

if [ -x "$ROOTFS/bin/alloc" ]; then
	oom0=$(sed -n 's/^oom_kill //p' "$CG/memory.events")
	v exec "$NAME" -- /bin/alloc 200 > /tmp/alloc.log 2>&1
	rc=$?
	diag "alloc 200 (MB) under --memory 64M --swap 0: exit $rc, last output: $(tail -n 1 /tmp/alloc.log)"
	diag "memory.events: $(tr '\n' ' ' < "$CG/memory.events")"
	is "a 200 MB allocation is killed (exec exits 128+SIGKILL)" "$rc" 137
	oom1=$(sed -n 's/^oom_kill //p' "$CG/memory.events")
	check "memory.events counts the OOM kill" test "${oom1:-0}" -gt "${oom0:-0}"
	kills=$(stats_of memory_oom_kills)
	check "stats: memory_oom_kills counts it" test "${kills:-0}" -ge 1
	check "swap stayed unused (memory.swap.current 0)" test "$(cat "$CG/memory.swap.current")" = 0
else
	tap_result 1 "the static alloc helper is built ($ALLOC)"
fi
is "the OOM kill did not stop the VPS" "$(status_of state)" running

# ------------------------------------------------------------- explicit cpuset -----

# CPU_PINNING=off: the cpuset is the --cpuset given alone. Clearing it on the running VPS writes
# "" where the kernel takes it on a group with tasks (Linux 6.6 on), else every online CPU: 6.1
# refuses "" with ENOSPC, as for the automatic un-pin.
echo "CPU_PINNING=off" >> "$ROOT/etc/vpsctl/vpsctl.conf"
check "CPU_PINNING=off: resize --cpuset 1 on the running VPS" v resize "$NAME" --cpuset 1
is "cpuset.cpus is the --cpuset" "$(cat "$CG/cpuset.cpus")" 1
is "status: the CPUs given" "$(status_of cpuset_effective)" 1
is "status: not pinned automatically" "$(status_of cpuset_auto)" false
out=$(v resize "$NAME" --cpuset '' 2>&1)
is "resize --cpuset '' clears it on the running VPS (exit 0, no message)" "$?:$out" "0:"
check "cpuset.cpus is every CPU ('$(cat "$CG/cpuset.cpus")')" grep -qxE '0-1|' "$CG/cpuset.cpus"
is "status: it runs on both" "$(status_of cpuset_effective)" 0-1
check "vps.conf holds no cpuset" sh -c "! grep -q '^CPUSET=[\"]*[0-9]' '$ROOT/var/lib/vpsctl/vps/$NAME/vps.conf'"
is "the clear kept the VPS running: same init pid" "$(status_of init_pid)" "$init_pid"

# ------------------------------------------------------------------ stop, destroy -----

check "stop" v stop "$NAME"
is "status after stop: state is stopped" "$(status_of state)" stopped
check "stop removed the VPS cgroup" test ! -e "$CG"
check "start again" v start "$NAME"
check_files "after restart: the resized quota persisted" 150 67108864 64
check "stop again" v stop "$NAME"
check "destroy --force" v destroy "$NAME" --force
check "destroy removed the VPS cgroup" test ! -e "$CG"
check "destroy removed the VPS directory" test ! -e "$ROOT/var/lib/vpsctl/vps/$NAME"
is "no busy loop or sleeper survived" "$(pids_matching 'spin[-]v2vm'; pids_matching '^sleep 45 $')" ""

done_testing
