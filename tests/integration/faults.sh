#!/bin/bash
# kill -9 of vpsctl, the supervisor and init at random points of start, stop and reboot (bounded
# loops). After each: a start that exited 0 left a running VPS (and one that failed, nothing);
# status reads the VPS, start and stop work, and once stopped nothing is left: no process, no
# cgroup under the test's parent, no mount under the test root, no veth, no state or temp file.
. "$(dirname "$0")/lib.sh"
plan 20

build_template
echo 'NODE_ADDRESS="10.77.0.1/24"' >>"$T_ROOT/etc/vpsctl/vpsctl.conf"
vpsctl create f1 --template busybox --ip 10.77.0.2/24 >/dev/null
RUN=$T_ROOT/run/vpsctl/f1
ITER=${FAULT_ITER:-30}
PIDS_SEEN=$T_ROOT/pids-seen
: >"$PIDS_SEEN"

# $! of these is vpsctl itself (a subshell running the vpsctl function would hide it)
bg_vpsctl() { (exec "$VPSCTL" --root "$T_ROOT" "$@" >"$T_ROOT/bg.out" 2>&1) & }
rand_sleep() {
	local ms=$((RANDOM % ($1 + 1)))
	sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
}
state() { json_get "$(vpsctl status f1 --json 2>/dev/null)" state; }
not_starting() { local s; s=$(state); [ "$s" != starting ] && [ "$s" != stopping ]; } # settled
children() { cat /proc/"$1"/task/*/children 2>/dev/null; }
# the supervisor of f1: vpsctl start's child while it runs, else what the state names
supervisor_of() {
	local s
	s=$(children "$1" | awk '{print $1}')
	[ -n "$s" ] || s=$(sed -n 's/^SUPERVISOR_PID="\?\([0-9]*\)"\?/\1/p' "$RUN/state" 2>/dev/null)
	echo "$s"
}
cgroup_procs() { for d in $(cgroup_dirs | grep '/f1$'); do cat "$d/cgroup.procs"; done 2>/dev/null | sort -u; }
remember() { for p in "$@"; do [ -n "$p" ] && [ "$p" != 0 ] && echo "$p" >>"$PIDS_SEEN"; done; }
# What a stopped VPS must not have left; prints what it finds.
leftovers() {
	local p
	cgroup_dirs
	ls -A "$RUN" 2>/dev/null | grep -E '^state|\.tmp\.'
	grep -c "$T_ROOT" /proc/self/mountinfo | grep -v '^0$'
	ip -o link show | grep -o 'veth-[^:@]*'
	while read -r p; do
		[ -d "/proc/$p" ] && grep -q "$T_ROOT\|vps-supervisor\|vpsctl\|init" "/proc/$p/cmdline" 2>/dev/null &&
			echo "process $p ($(tr '\0' ' ' <"/proc/$p/cmdline"))"
	done <"$PIDS_SEEN"
}

BAD_START=0 # exit 0, but not running
BAD_FAIL=0  # failed, and something left
BAD_STATUS=0
BAD_RECOVER=0
BAD_LEFT=0
N_OK=0 N_FAILED=0

# gone PID...: each has ended (no process, or a zombie its parent has not reaped yet). A
# SIGKILL takes effect asynchronously: a killed init runs on through its pid namespace's
# teardown, and status rightly says "running" until it is gone.
gone() {
	local p st
	for p in "$@"; do
		st=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$p/status" 2>/dev/null)
		[ -z "$st" ] || [ "$st" = Z ] || [ "$st" = X ] || return 1
	done
}

# After a fault: status works, the VPS settles, stop (if it runs), then start and stop work,
# and nothing is left. $2: the processes killed, which must be gone before status is judged.
recover() {
	local what=$1 st
	# shellcheck disable=SC2086 # a list of pids
	wait_for 10 gone $2 || diag "$what: killed process(es) $2 still there after 10 s"
	wait_for 10 not_starting
	if ! vpsctl status f1 >/dev/null 2>&1 || [ "$(state)" = unknown ] || { [ "$(state)" = starting ] || [ "$(state)" = stopping ]; }; then
		BAD_STATUS=$((BAD_STATUS + 1))
		diag "$what: status: $(vpsctl status f1 2>&1 | head -3)"
	fi
	st=$(state)
	if [ "$st" = stopped ] && [ -n "$(cgroup_procs)" ]; then
		BAD_STATUS=$((BAD_STATUS + 1))
		diag "$what: status says stopped while its cgroup holds $(cgroup_procs | tr '\n' ' ')"
	fi
	if [ "$st" != stopped ] && ! vpsctl stop --force f1 >/dev/null 2>&1; then
		BAD_RECOVER=$((BAD_RECOVER + 1))
		diag "$what: stop --force of a '$st' VPS failed: $(vpsctl stop --force f1 2>&1)"
	fi
	if ! vpsctl start f1 >"$T_ROOT/r.out" 2>&1 || ! vpsctl stop --force f1 >>"$T_ROOT/r.out" 2>&1; then
		BAD_RECOVER=$((BAD_RECOVER + 1))
		diag "$what: start/stop afterwards failed: $(cat "$T_ROOT/r.out")"
		vpsctl stop --force f1 >/dev/null 2>&1
	fi
	if [ -n "$(leftovers)" ]; then
		BAD_LEFT=$((BAD_LEFT + 1))
		diag "$what: left after stop: $(leftovers | tr '\n' ' ')"
	fi
}

# A start whose supervisor, vpsctl or init is killed at a random moment.
start_fault() {
	local target=$1 max=$2 vp rc sup st victim
	bg_vpsctl start f1
	vp=$!
	rand_sleep "$max"
	sup=$(supervisor_of "$vp")
	case $target in
	vpsctl) victim=$vp ;;
	supervisor) victim=$sup ;;
	init) victim=$(children "$sup" | awk '{print $1}') ;;
	both) victim="$vp $sup" ;;
	esac
	remember "$sup" $victim
	[ -n "$victim" ] && kill -9 $victim 2>/dev/null
	wait "$vp" 2>/dev/null
	rc=$?
	st=$(state)
	if [ "$target" = supervisor ] || [ "$target" = init ]; then
		if [ $rc = 0 ]; then
			N_OK=$((N_OK + 1))
			# init may die after a successful start (a kill of init is a crash), but a
			# supervisor's death never hides it
			if [ "$target" = supervisor ] && [ "$st" != running ] && [ "$st" != running-unsupervised ]; then
				BAD_START=$((BAD_START + 1))
				diag "start exited 0 after its supervisor was killed, but the VPS is '$st'"
			fi
		else
			N_FAILED=$((N_FAILED + 1))
			if [ "$st" != stopped ] || [ -n "$(leftovers)" ]; then
				BAD_FAIL=$((BAD_FAIL + 1))
				diag "start failed ($(head -c 200 "$T_ROOT/bg.out")) but left: state '$st' $(leftovers | tr '\n' ' ')"
			fi
		fi
	fi
	recover "kill $target during start" "$victim"
}

# A stop, or a reboot from inside, during which one of them is killed.
running_fault() {
	local op=$1 target=$2 max=$3 vp sup init victim
	vpsctl start f1 >/dev/null 2>&1
	sup=$(sed -n 's/^SUPERVISOR_PID="\?\([0-9]*\)"\?/\1/p' "$RUN/state")
	init=$(sed -n 's/^INIT_PID="\?\([0-9]*\)"\?/\1/p' "$RUN/state")
	remember "$sup" "$init"
	if [ "$op" = stop ]; then
		bg_vpsctl stop --timeout 2 f1
	else
		bg_vpsctl exec f1 -- reboot
	fi
	vp=$!
	rand_sleep "$max"
	case $target in
	vpsctl) victim=$vp ;;
	supervisor) victim=$sup ;;
	init) victim=$(children "$sup" | awk '{print $1}') ;;
	esac
	remember "$victim"
	[ -n "$victim" ] && kill -9 "$victim" 2>/dev/null
	wait "$vp" 2>/dev/null
	recover "kill $target during $op" "$victim"
}

for i in $(seq 1 "$ITER"); do start_fault supervisor 40; done
is "start never exits 0 for a VPS that does not run (supervisor killed, $ITER runs: $N_OK exited 0, $N_FAILED failed)" "$BAD_START" 0
is "a failed start leaves nothing behind" "$BAD_FAIL" 0
for i in $(seq 1 "$ITER"); do start_fault vpsctl 40; done
for i in $(seq 1 "$ITER"); do start_fault init 40; done
for i in $(seq 1 "$ITER"); do start_fault both 40; done
for t in vpsctl supervisor init; do
	for i in $(seq 1 $((ITER / 3))); do running_fault stop "$t" 60; done
done
for t in supervisor init; do
	for i in $(seq 1 $((ITER / 5))); do running_fault reboot "$t" 1500; done
done
diag "faults: $((ITER * 4)) at start, $((ITER / 3 * 3)) at stop, $((ITER / 5 * 2)) at reboot"
is "status reads the VPS after every fault (never unknown, stuck starting, or stopped with processes)" "$BAD_STATUS" 0
is "stop, start and stop work after every fault" "$BAD_RECOVER" 0
is "nothing is left once it stopped" "$BAD_LEFT" 0
is "no temp file of an atomic write is left" "$(find "$T_ROOT" -name '*.tmp.*' | wc -l)" 0

check "destroy works" vpsctl destroy f1
is "no VPS or run directory left" "$(ls -A "$T_ROOT/var/lib/vpsctl/vps"; ls -d "$RUN" 2>/dev/null)" ""
is "no address claim left" "$(ls -A "$T_ROOT/var/lib/vpsctl/addresses" 2>/dev/null)" ""
is "no cgroup left" "$(cgroup_dirs)" ""
is "no veth left" "$(ip -o link show | grep -c veth-)" 0
is "no process of the test left" "$(leftovers)" ""

# kill -9 of destroy itself, at random points (an overlay VPS has the most to remove): the next
# destroy must still find the VPS and finish the job (a destroy that removed vps.conf first left
# a directory "no such VPS" and its claims behind).
BAD_DESTROY=0
for i in $(seq 1 $((ITER / 3))); do
	vpsctl create "k$i" --template busybox --storage overlay --ip "10.77.0.$((10 + i))/24" \
		>/dev/null 2>&1 || { BAD_DESTROY=$((BAD_DESTROY + 1)); continue; }
	# files enough that removing them takes a while, so that some kills land in it
	mkdir "$T_ROOT/var/lib/vpsctl/vps/k$i/junk" &&
		(cd "$T_ROOT/var/lib/vpsctl/vps/k$i/junk" && seq 4000 | xargs touch)
	bg_vpsctl destroy --force "k$i"
	rand_sleep 60
	kill -9 $! 2>/dev/null
	wait $! 2>/dev/null
	if [ -e "$T_ROOT/var/lib/vpsctl/vps/k$i" ] && ! vpsctl destroy --force "k$i" >/dev/null 2>&1; then
		BAD_DESTROY=$((BAD_DESTROY + 1))
		diag "k$i: destroy after a killed destroy: $(vpsctl destroy --force "k$i" 2>&1)"
	fi
done
is "a destroy killed at any point is finished by the next" "$BAD_DESTROY" 0
is "... and leaves no VPS directory or address claim" \
	"$(ls -A "$T_ROOT/var/lib/vpsctl/vps"; ls -A "$T_ROOT/var/lib/vpsctl/addresses" 2>/dev/null)" ""

# The narrowest window of all: killed after vps.conf went, before the directory did (or a
# create killed before it wrote vps.conf). The name must not stay wedged: create refuses
# it, so destroy removes what is left, and says so.
VD=$T_ROOT/var/lib/vpsctl/vps
vpsctl create w1 --template busybox --ip 10.77.0.40/24 >/dev/null
rm -- "$VD/w1/vps.conf"
out=$(vpsctl destroy w1 2>&1)
like "destroy of a directory without vps.conf removes the remains" "$out" \
	"removed the remains of a create or destroy that was cut short"
is "... the directory is gone" "$(ls -A "$VD")" ""
check "... and the name and the address can be created again" \
	vpsctl create w1 --template busybox --ip 10.77.0.40/24
# vps.conf removed by hand under a VPS that runs: its root filesystem is in use
vpsctl start w1 >/dev/null
mv -- "$VD/w1/vps.conf" "$T_ROOT/w1.conf"
out=$(vpsctl destroy w1 2>&1)
like "destroy refuses a running VPS whose vps.conf is gone" "$out" "is not stopped; not removing"
is "... and removed nothing" "$(ls "$VD/w1/rootfs/bin" | wc -l | grep -cv '^0$')" 1
mv -- "$T_ROOT/w1.conf" "$VD/w1/vps.conf"
check "... which destroy --force removes once vps.conf is back" vpsctl destroy --force w1
finish
