#!/bin/bash
# A start whose supervisor stalls before it reports (blocked opening its log, stopped with
# SIGSTOP mid-boot; on a loaded node a starved or frozen one): `vpsctl start` used to wait for
# its report for ever, holding the VPS's lock, so that every later command on the VPS failed.
# It now waits START_TIMEOUT, kills the supervisor, removes what it had started and says so.
# And a VPS whose stop is under way (its init gone, its supervisor not yet) is "stopping" in
# status and list, not "starting", also after a stop that gave up on a frozen supervisor.
. "$(dirname "$0")/lib.sh"
plan 23

build_template
cat >>"$T_ROOT/etc/vpsctl/vpsctl.conf" <<'CONF'
NODE_ADDRESS="10.77.0.1/24"
START_TIMEOUT=5
CONF
vpsctl create w --template busybox --ip 10.77.0.2/24 >/dev/null
RUN=$T_ROOT/run/vpsctl/w
PIDS=""
trap 'for p in $PIDS; do [ "$p" -gt 1 ] && kill -CONT "$p" && kill -9 "$p"; done 2>/dev/null; t_cleanup' EXIT

alive() { # PID: a process that has not exited (a zombie has)
	local st
	st=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null)
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}
gone() { ! alive "$1"; }
leftovers() { # what a stopped w must not have left: cgroup, state, veth, processes
	cgroup_dirs | grep '/w$'
	ls -A "$RUN" 2>/dev/null | grep -E '^state|^stopping'
	ip -o link show | grep -o 'veth-w\b'
	for p in "$@"; do alive "$p" && echo "process $p ($(cat "/proc/$p/comm" 2>/dev/null))"; done
}
# bg_start: `vpsctl start w` in the background, its output in $T_ROOT/start.out; $! is vpsctl.
bg_start() { (exec "$VPSCTL" --root "$T_ROOT" start w >"$T_ROOT/start.out" 2>&1 </dev/null) & }
# sig SIGNAL PID: only a real pid (kill -STOP 0 or "" would reach the test itself)
sig() { [ "${2:-0}" -gt 1 ] 2>/dev/null && kill -"$1" "$2"; }
children() { cat /proc/"$1"/task/*/children 2>/dev/null; }
# wait_start PID: its exit status, or 124 after 30 s (then it is killed: main waits for ever)
wait_start() {
	for _ in $(seq 300); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$1" 2>/dev/null || { wait "$1"; return; }
	kill -9 "$1"
	wait "$1"
	return 124
}
TIMEOUT_LINE="w: its supervisor \\(pid [0-9]+\\) did not report within START_TIMEOUT \\(5 s\\); killed it and removed what it had started"

# 1. The supervisor blocks before it does anything: its log is a FIFO nobody reads.
mkdir -p "$RUN"
mkfifo "$RUN/supervisor.log"
bg_start
vp=$!
wait_for 10 sh -c "[ -n \"\$(cat /proc/$vp/task/*/children 2>/dev/null)\" ]"
sup=$(children "$vp" | awk '{print $1}')
PIDS="$PIDS $sup"
wait_start "$vp"
rc=$?
out=$(cat "$T_ROOT/start.out")
unlike "start of a VPS whose supervisor blocks at once: ends (not killed after 30 s)" "$rc" "^124$"
unlike "... and fails" "$rc" "^0$"
like "... and says why, with what to do" "$out" "$TIMEOUT_LINE"
is "... in one line" "$(wc -l <"$T_ROOT/start.out")" 1
check "... its supervisor is gone" gone "$sup"
is "... nothing left" "$(leftovers "$sup")" ""
is "... status says stopped" "$(json_get "$(vpsctl status w --json)" state)" stopped
rm -f "$RUN/supervisor.log"

# 2. The supervisor stopped (SIGSTOP) mid-boot, after it wrote its state and cloned init: init
# is held where it writes /etc/hostname (a FIFO there, nobody reading), so the supervisor waits
# for it, and is stopped there.
HOSTNAME_FILE=$T_ROOT/var/lib/vpsctl/vps/w/rootfs/etc/hostname
rm -f "$HOSTNAME_FILE"
mkfifo "$HOSTNAME_FILE"
chown --reference="${HOSTNAME_FILE%/*}" "$HOSTNAME_FILE" # the VPS's root's (its own id range)
bg_start
vp=$!
wait_for 10 sh -c "[ -n \"\$(cat /proc/$vp/task/*/children 2>/dev/null)\" ]"
sup=$(children "$vp" | awk '{print $1}')
PIDS="$PIDS $sup"
wait_for 10 sh -c "[ -e '$RUN/state' ] && [ -n \"\$(cat /proc/$sup/task/*/children 2>/dev/null)\" ]"
sig STOP "$sup"
child=$(children "$sup" | awk '{print $1}')
PIDS="$PIDS $child"
check "a supervisor stopped mid-boot, its init cloned (pid ${child:-none})" [ -n "$child" ]
init=$(sed -n 's/^INIT_PID="\?\([0-9]*\)"\?/\1/p' "$RUN/state" 2>/dev/null)
wait_start "$vp"
rc=$?
out=$(cat "$T_ROOT/start.out")
unlike "start of a VPS whose supervisor is stopped mid-boot: ends (not killed after 30 s)" "$rc" "^124$"
like "... fails and says why" "$out" "$TIMEOUT_LINE"
check "... its supervisor is gone" gone "$sup"
is "... no init, cgroup, state or veth left" "$(leftovers "$sup" $child $init)" ""
rm -f "$HOSTNAME_FILE"
check "start works afterwards" vpsctl start w
check "... and stop" vpsctl stop --force w

# 3. A stop whose supervisor does not act (stopped): once the stop killed init, and while it
# waits for the supervisor, the VPS is "stopping", not "starting".
vpsctl start w >/dev/null
wait_supervised w
js=$(vpsctl status w --json)
sup=$(json_get "$js" supervisor_pid)
init=$(json_get "$js" init_pid)
PIDS="$PIDS $sup"
sig STOP "$sup"
(exec "$VPSCTL" --root "$T_ROOT" stop --force w >"$T_ROOT/stop.out" 2>&1) &
stopper=$!
wait_for 20 sh -c "! grep -q '^State:[[:space:]]*[A-Y]' /proc/$init/status 2>/dev/null"
is "status of a VPS being stopped, its init gone: stopping" \
	"$(json_get "$(vpsctl status w --json)" state)" stopping
like "... in plain status too" "$(vpsctl status w)" "^w stopping"
like "... and in list" "$(vpsctl list -o name,state)" "w[[:space:]]+stopping"
wait "$stopper"
is "... the stop then ends it: stopped" "$(json_get "$(vpsctl status w --json)" state)" stopped

# 4. A stop that gives up: the supervisor frozen (v1 freezer, where not even SIGKILL ends it
# until it is thawed). The stop fails, and status says what is true: stopping.
FZ=/sys/fs/cgroup/freezer$T_CGPARENT/held
vpsctl start w >/dev/null
wait_supervised w
sup=$(json_get "$(vpsctl status w --json)" supervisor_pid)
PIDS="$PIDS $sup"
mkdir -p "$FZ" && echo "$sup" >"$FZ/cgroup.procs" && echo FROZEN >"$FZ/freezer.state"
out=$(bounded 120 stop --force w)
like "a stop whose supervisor is frozen gives up and says so" "$out" \
	"w: failed to stop: its supervisor \\(pid $sup\\) did not exit, not even after SIGKILL"
is "... status then says stopping" "$(json_get "$(vpsctl status w --json)" state)" stopping
echo THAWED >"$FZ/freezer.state"
wait_for 20 gone "$sup"
is "... once it is thawed it dies of the SIGKILL: stopped" "$(json_get "$(vpsctl status w --json)" state)" stopped
vpsctl stop --force w >/dev/null 2>&1 # "not running"; removes the state it left
is "... and the next stop removes what it left" "$(leftovers "$sup")" ""
rmdir "$FZ"
check "destroy works" vpsctl destroy w
finish
