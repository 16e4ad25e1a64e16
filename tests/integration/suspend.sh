#!/bin/bash
# Issue 17 item 1: vpsctl suspend / resume. Every process of the VPS stops where it stands (seen
# from the host and from a counter inside), commands that need it to run refuse naming
# `vpsctl resume`, stop/destroy/restart still work, the VPS cannot thaw itself, a dead
# supervisor does not lose the suspend, and racing suspend/resume/stop never hang.
. "$(dirname "$0")/lib.sh"
plan 69

REFUSED='Read-only file system|[Pp]ermission denied|Operation not permitted|No such file|not permitted'

inside() {
	local v=$1
	shift
	bounded 15 exec "$v" -- sh -c "$*"
}
init_of() { json_get "$(vpsctl status "$1" --json)" init_pid; }
freezer() { echo "/sys/fs/cgroup/freezer$T_CGPARENT/$1"; }
# counter VPS FILE: a loop in the VPS writing an increasing number to FILE every 0.1 s, detached.
counter() {
	inside "$1" "(i=0; while :; do i=\$((i+1)); echo \$i > $2; sleep 0.1; done) </dev/null >/dev/null 2>&1 &"
}
count() { cat "/proc/$(init_of "$1")/root$2" 2>/dev/null; }
# states VPS: the State: letters of every process of the VPS, sorted unique.
states() {
	local p
	for p in $(cat "$(freezer "$1")/cgroup.procs"); do
		sed -n 's/^State:\t\(.\).*/\1/p' "/proc/$p/status"
	done | sort -u | tr -d '\n'
}
ms() { echo $(($(date +%s%N) / 1000000)); }

build_template
check "create u (user namespace)" vpsctl create u --template busybox
check "create p --privileged" vpsctl create p --template busybox --privileged
check "start u" vpsctl start u
check "start p" vpsctl start p

# From inside, as its root, neither VPS reaches a freezer of its own: the v1 freezer is not in
# its view and cannot be mounted, its cgroup2 group's cgroup.freeze is read-only.
for v in u p; do
	out=$(inside "$v" 'echo 0 > /sys/fs/cgroup/cgroup.freeze')
	like "$v: writing its own cgroup.freeze is refused" "$out" "$REFUSED"
	out=$(inside "$v" 'mkdir -p /tmp/f && mount -t cgroup -o freezer none /tmp/f && echo MOUNTED')
	like "$v: mounting a v1 freezer hierarchy is refused" "$out" "$REFUSED"
	is "$v: no freezer.state anywhere in its view" \
		"$(inside "$v" 'find /sys /proc/self -name freezer.state 2>/dev/null | head -1')" ""
done

check "u: a counter runs inside" counter u /counter
# A second one in a cgroup2 group the VPS made itself: no escape from the freeze by moving.
check "u: a counter runs in a nested group of its own" inside u \
	'(i=0; while :; do i=$((i+1)); echo $i > /c2; sleep 0.1; done) </dev/null >/dev/null 2>&1 &
	mkdir -p /sys/fs/cgroup/esc && echo $! > /sys/fs/cgroup/esc/cgroup.procs'
like "u: it is in that group" "$(inside u 'cat /proc/$(pgrep -o -f c2)/cgroup 2>/dev/null || for p in /proc/[0-9]*; do grep -l c2 $p/cmdline >/dev/null 2>&1 && cat $p/cgroup; done')" '0::/esc'

# A thawer: as root, it keeps trying to thaw the VPS's own group.
check "u: a thawer runs inside" inside u \
	'(while :; do echo 0 > /sys/fs/cgroup/cgroup.freeze; echo 0 > /sys/fs/cgroup/esc/cgroup.freeze; echo x >> /thaw.log; sleep 0.05; done) </dev/null >/dev/null 2>&1 &'
wait_for 5 test -s "/proc/$(init_of u)/root/c2"
ok $? "u: both counters count"

t0=$(ms)
out=$(bounded 20 suspend u)
rc=$?
ok $rc "suspend u (rc $rc, $(($(ms) - t0)) ms)"
like "saying how many processes froze, how fast" "$out" '^u suspended: [0-9]+ processes frozen in [0-9]+ ms$'
is "freezer.state is FROZEN" "$(cat "$(freezer u)/freezer.state")" FROZEN
is "every process of u is in D state (the v1 freezer's)" "$(states u)" D
a=$(count u /counter) b=$(count u /c2) l=$(count u /thaw.log | wc -l)
sleep 1
is "the counter does not advance while suspended" "$(count u /counter)" "$a"
is "nor the one in its nested group" "$(count u /c2)" "$b"
is "the thawer did not run either" "$(count u /thaw.log | wc -l)" "$l"
is "freezer.state is still FROZEN" "$(cat "$(freezer u)/freezer.state")" FROZEN

like "status says suspended" "$(bounded 10 status u)" '^u suspended \(init pid [0-9]+.*, suspended\)$'
st=$(bounded 10 status u --json)
is "status --json: state suspended" "$(json_get "$st" state)" suspended
is "status --json: suspended true" "$(json_get "$st" suspended)" true
like "status --json: since when" "$(json_get "$st" suspended_since)" '^[1-9][0-9]+$'
like "list shows it suspended" "$(bounded 10 list | grep '^u ')" '^u +suspended '
is "list -o name,state" "$(bounded 10 list -o name,state | grep '^u')" "$(printf 'u\tsuspended')"

t0=$(ms)
out=$(bounded 20 exec u -- true)
rc=$?
t=$(($(ms) - t0))
[ "$rc" = 1 ] && [ "$t" -lt 5000 ]
ok $? "exec is refused at once (rc $rc, $t ms)"
is "saying it is suspended and how to resume" "$out" "vpsctl: u: VPS is suspended ('vpsctl resume u' first)"
is "enter the same" "$(bounded 20 enter u)" "vpsctl: u: VPS is suspended ('vpsctl resume u' first)"
is "console the same" "$(bounded 20 console u)" "vpsctl: u: VPS is suspended ('vpsctl resume u' first)"
out=$(bounded 10 suspend u)
[ $? = 1 ]; ok $? "suspend of a suspended VPS fails"
is "saying so" "$out" "vpsctl: u: is already suspended"

out=$(bounded 10 resume u --json)
ok $? "resume u --json"
is "resume --json: state running" "$(json_get "$out" state)" running
like "resume --json: how long" "$(json_get "$out" suspended_seconds)" '^[0-9]+$'
is "freezer.state is THAWED" "$(cat "$(freezer u)/freezer.state")" THAWED
wait_for 5 sh -c "[ \"\$(cat /proc/$(init_of u)/root/counter)\" -gt $((a + 2)) ]"
ok $? "the counter advances after resume"
wait_for 5 sh -c "[ \"\$(cat /proc/$(init_of u)/root/c2)\" -gt $((b + 2)) ]"
ok $? "and the nested one"
is "status says running" "$(json_get "$(vpsctl status u --json)" state)" running
check "exec works again" bounded 10 exec u -- true
out=$(bounded 10 resume u)
[ $? = 1 ]; ok $? "resume of a running VPS fails"
is "saying so" "$out" "vpsctl: u: is not suspended"
out=$(bounded 10 suspend nosuch)
is "suspend of an unknown VPS" "$out" "vpsctl: nosuch: no such VPS"

out=$(bounded 10 suspend u --json)
ok $? "suspend u --json"
is "suspend --json: state suspended" "$(json_get "$out" state)" suspended
like "suspend --json: freeze_ms" "$(json_get "$out" freeze_ms)" '^[0-9]+$'

# A supervisor killed meanwhile: the freeze is the kernel's, the record the run directory's.
sup=$(json_get "$(vpsctl status u --json)" supervisor_pid)
wait_supervised u
kill -9 "$sup"
wait_for 5 sh -c "! kill -0 $sup"
is "u with its supervisor dead: still suspended" "$(json_get "$(bounded 10 status u --json)" state)" suspended
check "resume of an unsupervised suspended VPS" bounded 10 resume u
check "suspend it again" bounded 10 suspend u

pids=$(cat "$(freezer u)/cgroup.procs")
t0=$(ms)
bounded 30 stop u >/dev/null
rc=$?
t=$(($(ms) - t0))
[ "$rc" = 0 ] && [ "$t" -lt 5000 ]
ok $? "stop of a suspended VPS completes within 5 s (rc $rc, $t ms)"
# (the init of a VPS whose supervisor died is the host init's to reap: a zombie is dead)
left=""
for p in $pids; do
	st=$(cut -d' ' -f3 "/proc/$p/stat" 2>/dev/null)
	[ -n "$st" ] && [ "$st" != Z ] && left="$left $p($st)"
done
is "none of its processes is left" "$left" ""
is "no cgroup of u is left" "$(cgroup_dirs | grep "/u$")" ""
[ ! -e "$T_ROOT/run/vpsctl/u/suspended" ]
ok $? "no suspend record is left"
check "u starts again" vpsctl start u
is "not suspended" "$(json_get "$(vpsctl status u --json)" state)" running

check "suspend p (privileged)" bounded 10 suspend p
bounded 30 restart p >/dev/null
ok $? "restart of a suspended VPS"
is "p runs afresh, not suspended" "$(json_get "$(vpsctl status p --json)" state)" running
check "suspend p again" bounded 10 suspend p
t0=$(ms)
bounded 30 stop --force p >/dev/null
rc=$?
ok $rc "stop --force of a suspended VPS (rc $rc, $(($(ms) - t0)) ms)"
check "suspend u" bounded 10 suspend u
check "destroy --force of a suspended VPS" bounded 30 destroy --force u
is "no cgroup left" "$(cgroup_dirs | grep -E '/(u|p)$')" ""

# Racing verbs on one VPS serialize on its lock; none hangs, and stop ends it whatever came first.
hung=0
for i in 1 2 3 4 5; do
	vpsctl start p >/dev/null
	(bounded 30 suspend p >/dev/null; echo $? >"$T_ROOT/rc.s") &
	(bounded 30 resume p >/dev/null; echo $? >"$T_ROOT/rc.r") &
	(bounded 30 stop p >/dev/null; echo $? >"$T_ROOT/rc.t") &
	wait
	grep -qx 124 "$T_ROOT"/rc.* && hung=$((hung + 1))
	bounded 30 stop p >/dev/null
done
is "racing suspend, resume and stop: none timed out" "$hung" 0
is "p is stopped" "$(json_get "$(vpsctl status p --json)" state)" stopped
is "no cgroup of p is left" "$(cgroup_dirs | grep '/p$')" ""
finish
