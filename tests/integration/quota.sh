#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Issue 3 through the CLI: the quotas of `create` land in the host's cgroup files and the
# kernel enforces them (OOM at --memory, CPU cap, pids cap); `resize` changes them live with
# the same init; a memory shrink below usage is refused with the usage figure unless
# --force; bad values change nothing. Works on either backend (v1 on the hybrid host).
. "$(dirname "$0")/lib.sh"
plan 50

NAME=q1
HELPERS=${BUILD_DIR:-$(dirname "$0")/../../build}/tests/helpers
ROOTFS=$T_ROOT/var/lib/vpsctl/vps/$NAME/rootfs
CONF=$T_ROOT/var/lib/vpsctl/vps/$NAME/vps.conf
MARK=spin-quota-$$ # tags the busy loops so they can be found and killed by PID
M=$((1024 * 1024))

# in_range DESC VALUE MIN MAX
in_range() {
	if [ -n "$2" ] && [ "$2" -ge "$3" ] 2>/dev/null && [ "$2" -le "$4" ]; then
		ok 0 "$1"
	else
		ok 1 "$1"
		diag "got '$2', want $3..$4"
	fi
}
stats_of() { json_get "$(vpsctl stats "$NAME" --json)" "$1"; }
status_of() { json_get "$(vpsctl status "$NAME" --json)" "$1"; }

# Host PIDs whose command line carries the pattern (written so grep never matches itself).
pids_matching() {
	for p in /proc/[0-9]*; do
		tr '\0' ' ' 2>/dev/null <"$p/cmdline" | grep -q -- "$1" && echo "${p#/proc/}"
	done
}
# Kills what this test started, by PID, until none is left (a fork bomb refills).
kill_pattern() {
	local i pids
	for i in $(seq 50); do
		pids=$(pids_matching "$1")
		[ -n "$pids" ] || return 0
		# shellcheck disable=SC2086
		kill -9 $pids 2>/dev/null
		sleep 0.1
	done
	return 1
}
stat_at_least() { [ "$(stats_of "$1")" -ge "$2" ] 2>/dev/null; }

# A busy loop inside the VPS, its host-side exec kept in the background.
spin() {
	timeout -s KILL 120 "$VPSCTL" --root "$T_ROOT" exec "$NAME" -- \
		sh -c "trap '' HUP; while :; do :; done # $MARK" </dev/null >/dev/null 2>&1 &
	disown $! # killed on purpose later: no "Killed" notice from the shell
}

# cpu_percent SECS: the VPS's CPU use over SECS from its usage counter, in % of one CPU.
cpu_percent() {
	local u0 u1 t0 t1
	u0=$(stats_of cpu_usage_usec)
	t0=$(awk '{ printf "%.0f", $1 * 1000000 }' /proc/uptime)
	sleep "$1"
	u1=$(stats_of cpu_usage_usec)
	t1=$(awk '{ printf "%.0f", $1 * 1000000 }' /proc/uptime)
	echo $(((u1 - u0) * 100 / (t1 - t0)))
}

# cpu_check DESC LO HI: the loops' CPU share lies in LO..HI. Going over the cap fails at
# once; falling short may be other load on a shared host, so up to three 3 s windows.
cpu_check() {
	local i pct seen=
	for i in 1 2 3; do
		pct=$(cpu_percent 3)
		seen="$seen $pct%"
		[ "$pct" -le "$3" ] || break
		[ "$pct" -lt "$2" ] || { ok 0 "$1"; diag "windows:$seen"; return; }
	done
	ok 1 "$1"
	diag "windows:$seen, want $2..$3% ($(tr '\n' ' ' </proc/loadavg)load)"
}

# The VPS's cgroup file on the host: per controller on v1, the unified tree on v2.
cgfile() {
	if [ "$BACKEND" = v2 ]; then
		echo "$V2ROOT$T_CGPARENT/$NAME/$2"
	else
		echo "/sys/fs/cgroup/$1$T_CGPARENT/$NAME/$2"
	fi
}
num() { # "max" and v1's "-1" / huge values read as "max"
	local v
	v=$(cut -d' ' -f1 <"$1" 2>/dev/null) || { echo missing; return; }
	case $v in max | -1 | 9223372036854771712) echo max ;; *) echo "$v" ;; esac
}
# What the host's cgroup files hold, in the config's terms.
host_limits() {
	local q p mem swap
	if [ "$BACKEND" = v2 ]; then
		read -r q p <"$(cgfile cpu cpu.max)"
		mem=$(num "$(cgfile memory memory.max)")
		swap=$(num "$(cgfile memory memory.swap.max)")
	else
		q=$(num "$(cgfile cpu cpu.cfs_quota_us)")
		p=$(cat "$(cgfile cpu cpu.cfs_period_us)")
		mem=$(num "$(cgfile memory memory.limit_in_bytes)")
		# v1 caps RAM + swap together
		swap=$(num "$(cgfile memory memory.memsw.limit_in_bytes)")
		[ "$swap" = max ] || [ "$mem" = max ] || swap=$((swap - mem))
	fi
	[ "$q" = max ] || q=$((q * 100 / p))
	echo "cpu=$q% mem=$mem swap=$swap pids=$(num "$(cgfile pids pids.max)")"
}
conf_sum() { md5sum <"$CONF"; }

cleanup_quota() {
	kill_pattern "spin[-]quota-$$"
	kill_pattern "/bin/[f]orkbomb"
	kill_pattern "/bin/[a]lloc"
}
trap 'cleanup_quota; t_cleanup' EXIT

# ------------------------------------------------------------ create and start -----

build_template
check "template build busybox" test -s "$T_ROOT/var/lib/vpsctl/templates/busybox.meta"
check "create --memory 64M --swap 0 --cpus 0.5 --pids 64" \
	vpsctl create "$NAME" --template busybox --memory 64M --swap 0 --cpus 0.5 --pids 64
cp "$HELPERS/alloc" "$HELPERS/forkbomb" "$ROOTFS/bin/" 2>/dev/null
check "static helpers copied into the rootfs" test -x "$ROOTFS/bin/alloc" -a -x "$ROOTFS/bin/forkbomb"
check "start" vpsctl start "$NAME"
st=$(vpsctl status "$NAME" --json)
is "running" "$(json_get "$st" state)" running
init_pid=$(json_get "$st" init_pid)
BACKEND=$(json_get "$st" cgroup_backend)
like "status names the cgroup backend" "$BACKEND" '^v[12]$'
V2ROOT=/sys/fs/cgroup
[ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] || V2ROOT=/sys/fs/cgroup/unified
diag "backend $BACKEND, init $init_pid"
is "host cgroup files hold the quota after start" "$(host_limits)" \
	"cpu=50% mem=$((64 * M)) swap=0 pids=64"

# -------------------------------------------------------------------- CPU caps -----

spin
sleep 2
cpu_check "--cpus 0.5 holds a busy loop at 50% of a CPU (±10)" 40 60
check "resize --cpus 1.5 on the running VPS" vpsctl resize "$NAME" --cpus 1.5
is "host cgroup files follow the resize" "$(host_limits)" "cpu=150% mem=$((64 * M)) swap=0 pids=64"
spin
sleep 2
cpu_check "--cpus 1.5 holds two busy loops at 150% (±15)" 135 165
is "resize kept the VPS running: same init PID" "$(status_of init_pid)" "$init_pid"
kill_pattern "spin[-]quota-$$"
check "stats: cpu_usage_usec counts the loops (>= 3 s)" test "$(stats_of cpu_usage_usec)" -ge 3000000
check "stats: nr_throttled counts throttled periods" test "$(stats_of nr_throttled)" -ge 1

# ------------------------------------------------------------------- OOM kill -----

vpsctl exec "$NAME" -- /bin/alloc 200 >/tmp/quota-alloc.$$ 2>&1
is "allocating 200 MB under --memory 64M --swap 0 is killed (137)" "$?" 137
diag "alloc got to: $(tail -n 1 /tmp/quota-alloc.$$)"
rm -f /tmp/quota-alloc.$$
check "stats: memory_oom_kills counts it" test "$(stats_of memory_oom_kills)" -ge 1
check "stats: memory_max_events counts the cap being hit" test "$(stats_of memory_max_events)" -ge 1
check "stats: no swap used" test "$(stats_of swap_current)" = 0
is "the OOM kill stayed inside: same init PID" "$(status_of init_pid)" "$init_pid"

# ------------------------------------------------------------------- pids cap -----

timeout -s KILL 60 "$VPSCTL" --root "$T_ROOT" exec "$NAME" -- /bin/forkbomb 30 \
	</dev/null >/dev/null 2>&1 &
disown $!
wait_for 10 stat_at_least pids_current 60
pc=$(stats_of pids_current)
in_range "a fork bomb stops at --pids 64" "$pc" 60 64
check "stats: pids_max_events counts refused forks" test "$(stats_of pids_max_events)" -ge 1
is "stats: pids_max" "$(stats_of pids_max)" 64
kill_pattern "/bin/[f]orkbomb"
check "exec true works after killing the fork bomb" wait_for 10 vpsctl exec "$NAME" -- true
is "the fork bomb did not take the VPS down: same init PID" "$(status_of init_pid)" "$init_pid"

# -------------------------------------------------------------- memory resize -----

check "resize --memory 128M" vpsctl resize "$NAME" --memory 128M
is "host files: 128M" "$(host_limits)" "cpu=150% mem=$((128 * M)) swap=0 pids=64"
is "stats: memory_max follows" "$(stats_of memory_max)" $((128 * M))
check "resize --memory 48M" vpsctl resize "$NAME" --memory 48M
is "host files: 48M" "$(host_limits)" "cpu=150% mem=$((48 * M)) swap=0 pids=64"

timeout -s KILL 120 "$VPSCTL" --root "$T_ROOT" exec "$NAME" -- /bin/alloc 40 hold \
	</dev/null >/dev/null 2>&1 &
alloc_job=$!
check "a process holds 40 MB" wait_for 20 stat_at_least memory_current $((40 * M))
sum=$(conf_sum)
err=$(vpsctl resize "$NAME" --memory 16M 2>&1 >/dev/null)
check "resize --memory 16M below usage is refused" test $? != 0
like "the refusal gives usage and limit in one unit, and names --force" "$err" \
	'^vpsctl: q1: memory usage [0-9]+\.[0-9]M stays above the new limit 16\.0M after [0-9.]+ s \(--force shrinks anyway, killing processes of the VPS\); nothing was changed$'
like "before the wait it says that it waits" "$(printf '%s\n' "$err" | head -n 1)" \
	'^vpsctl: q1: memory usage [0-9.]+M is above the new limit 16\.0M: waiting up to [0-9.]+ s for it to fall$'
is "old limits intact after the refusal" "$(host_limits)" "cpu=150% mem=$((48 * M)) swap=0 pids=64"
is "vps.conf unchanged after the refusal" "$(conf_sum)" "$sum"
err=$(vpsctl resize "$NAME" --memory 16M --force 2>&1 >/dev/null)
is "resize --memory 16M --force applies" "$?" 0
like "--force says what it killed" "$err" \
	'^vpsctl: q1: to shrink its memory, (killed [0-9]+ \(alloc\)|the kernel OOM-killed [0-9]+ process\(es\) of the VPS)'
is "host files: 16M" "$(host_limits)" "cpu=150% mem=$((16 * M)) swap=0 pids=64"
check "vps.conf holds the forced value" grep -Eq '^MEMORY="?16M"?' "$CONF"
wait "$alloc_job"
is "the forced shrink killed the allocation inside (137)" "$?" 137
is "the VPS survived the forced shrink: same init PID" "$(status_of init_pid)" "$init_pid"

# ------------------------------------------------------------------ bad values -----

# bad_value DESC REGEX ARGS...: one line on stderr matching REGEX, non-zero, nothing written.
bad_value() {
	local desc=$1 re=$2 before sum out rc
	shift 2
	before=$(host_limits)
	sum=$(conf_sum)
	out=$(vpsctl resize "$NAME" "$@" 2>&1 >/dev/null)
	rc=$?
	if [ "$rc" != 0 ] && [ "$(printf '%s\n' "$out" | wc -l)" = 1 ] &&
		printf '%s' "$out" | grep -Eq -- "$re" &&
		[ "$(host_limits)" = "$before" ] && [ "$(conf_sum)" = "$sum" ]; then
		ok 0 "$desc"
	else
		ok 1 "$desc"
		diag "rc $rc, stderr: $out"
	fi
}
bad_value "--memory -1: one line, non-zero, nothing written" "memory" --memory -1
bad_value "--cpus abc: one line, non-zero, nothing written" "cpus" --cpus abc
bad_value "--cpu-burst above --cpus: one line, non-zero, nothing written" \
	"--cpu-burst 2 exceeds vps.conf CPUS 1.5" --cpu-burst 2

json=$(vpsctl stats "$NAME" --json)
missing=
for k in cpu_usage_usec nr_throttled memory_current memory_peak memory_max swap_current \
	pids_current pids_max memory_oom_kills memory_max_events pids_max_events; do
	printf '%s' "$json" | grep -q "\"$k\":[0-9]" || missing="$missing $k"
done
is "stats --json has every counter" "$missing" ""

# ------------------------------------------------------------- stop, destroy -----

check "stop finishes" timeout 60 "$VPSCTL" --root "$T_ROOT" stop "$NAME"
is "stopped" "$(status_of state)" stopped
is "stop removed the VPS's cgroups in every hierarchy" "$(cgroup_dirs)" ""
check "destroy --force" vpsctl destroy --force "$NAME"
is "no busy loop, bomb or allocation survived" \
	"$(pids_matching "spin[-]quota-$$"; pids_matching "/bin/[f]orkbomb"; pids_matching "/bin/[a]lloc")" ""
finish
