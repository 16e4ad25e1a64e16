#!/bin/bash
# A stop whose supervisor does not exit when asked to (stopped with SIGSTOP here; on a loaded
# node a starved supervisor or one blocked in its teardown): the stop kills it and stops what it
# leaves, and says so. It used to fail with "failed to stop: Connection timed out" and leave
# the supervisor, its state, cgroup and veth, and every later stop and destroy failed the same
# way until someone killed the supervisor by hand.
. "$(dirname "$0")/lib.sh"
plan 17

build_template
echo 'NODE_ADDRESS="10.77.0.1/24"' >>"$T_ROOT/etc/vpsctl/vpsctl.conf"
vpsctl create w --template busybox --ip 10.77.0.2/24 >/dev/null
RUN=$T_ROOT/run/vpsctl/w

# What a stopped VPS must not have left: its cgroup, state, veth, supervisor or init.
leftovers() {
	cgroup_dirs | grep '/w$'
	ls -A "$RUN" 2>/dev/null | grep -E '^state'
	ip -o link show | grep -o 'veth-w\b'
	for p in "$@"; do
		[ -n "$(sed -n 's/^State:[[:space:]]*\([A-Y]\).*/\1/p' "/proc/$p/status" 2>/dev/null)" ] &&
			echo "process $p ($(cat "/proc/$p/comm"))"
	done
}

# wedged_stop WHAT ARGS...: starts w, stops its supervisor with SIGSTOP, runs stop ARGS.
wedged_stop() {
	local what=$1 js sup init out rc
	shift
	vpsctl start w >/dev/null
	wait_supervised w
	js=$(vpsctl status w --json)
	sup=$(json_get "$js" supervisor_pid)
	init=$(json_get "$js" init_pid)
	check "$what: w has its veth while it runs" ip link show veth-w
	kill -STOP "$sup"
	out=$(vpsctl stop "$@" w 2>&1)
	rc=$?
	kill -CONT "$sup" 2>/dev/null # on a build that left it: let it finish, as the helper did
	is "$what: exits 0" "$rc" 0
	like "$what: says it killed the supervisor" "$out" \
		"w: its supervisor \\(pid $sup\\) did not exit when asked to; killed it"
	# the supervisor's and init's zombies are reaped by the node's init: not counted
	is "$what: no supervisor, init, cgroup, state or veth left" "$(leftovers "$sup" "$init")" ""
	is "$what: status says stopped" "$(json_get "$(vpsctl status w --json)" state)" stopped
	wait_for 30 sh -c "! kill -0 $sup 2>/dev/null || grep -q '^State:.*Z' /proc/$sup/status"
}

wedged_stop "stop --force of a VPS whose supervisor is stopped" --force
wedged_stop "stop --timeout 1 of a VPS whose supervisor is stopped" --timeout 1

# The supervisor killed during the stop, after the stop's SIGKILL took init: its exit looked
# like a stop, and the stop said nothing and exited 0 with the cgroup and state still there.
vpsctl start w >/dev/null
wait_supervised w
js=$(vpsctl status w --json)
sup=$(json_get "$js" supervisor_pid)
init=$(json_get "$js" init_pid)
kill -STOP "$sup"
(vpsctl stop --force w >"$T_ROOT/stop.out" 2>&1; echo "rc=$?" >>"$T_ROOT/stop.out") &
wait_for 20 grep -q '^State:.*Z' "/proc/$init/status"
kill -9 "$sup"
wait $!
is "stop with its supervisor killed after init died: exits 0" "$(tail -1 "$T_ROOT/stop.out")" rc=0
is "... no cgroup or state left" "$(leftovers)" ""
is "... status says stopped" "$(json_get "$(vpsctl status w --json)" state)" stopped

check "start works afterwards" vpsctl start w
check "... and a plain stop" vpsctl stop --force w
check "destroy works" vpsctl destroy w
is "no cgroup or veth left" "$(cgroup_dirs | grep '/w$'; ip -o link show | grep -o 'veth-w\b')" ""
finish
