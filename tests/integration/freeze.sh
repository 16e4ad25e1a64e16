#!/bin/bash
# Issue 12 item 7: no VPS, privileged or not, can write the control files of its own cgroup
# (freeze itself, change its limits, move itself back to its root); and a VPS the host froze is
# reported as frozen, refused quickly by exec/enter, and stopped at once by a plain stop.
. "$(dirname "$0")/lib.sh"
plan 50

REFUSED='Read-only file system|[Pp]ermission denied|Operation not permitted'

# The host's cgroup2 directory of a VPS: the unified group on a hybrid host, its own group on v2.
cg2_dir() {
	if [ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
		echo "/sys/fs/cgroup/unified$T_CGPARENT/$1"
	else
		echo "/sys/fs/cgroup$T_CGPARENT/$1"
	fi
}
# inside VPS CMD: runs CMD in the VPS's sh.
inside() {
	local v=$1
	shift
	bounded 15 exec "$v" -- sh -c "$*"
}
# after_attack VPS: the host undoes a freeze that got through, so the next checks can run.
after_attack() { echo 0 >"$(cg2_dir "$1")/cgroup.freeze"; }
ms() { echo $(($(date +%s%N) / 1000000)); }

build_template
check "create p --privileged" vpsctl create p --template busybox --privileged
check "create u (user namespace)" vpsctl create u --template busybox
check "start p" vpsctl start p
check "start u" vpsctl start u

for v in p u; do
	G=$(cg2_dir "$v")
	out=$(inside "$v" 'echo 1 > /sys/fs/cgroup/cgroup.freeze')
	like "$v: writing its own cgroup.freeze is refused" "$out" "$REFUSED"
	is "$v: the host's cgroup.freeze is still 0" "$(cat "$G/cgroup.freeze")" 0
	after_attack "$v"
	out=$(inside "$v" 'echo 3 > /sys/fs/cgroup/cgroup.max.descendants')
	like "$v: raising or lowering its own cgroup.max.descendants is refused" "$out" "$REFUSED"
	is "$v: the host's value is unchanged" "$(cat "$G/cgroup.max.descendants")" max
	# A nested group stays the VPS's to manage (systemd inside makes init.scope and friends)...
	out=$(inside "$v" 'mkdir /sys/fs/cgroup/t && echo $$ > /sys/fs/cgroup/t/cgroup.procs && cat /proc/self/cgroup')
	like "$v: it can still make and use a nested group" "$out" '^0::/t$'
	# ...but its own group's cgroup.procs it cannot write, not even to move back into it.
	out=$(inside "$v" 'echo $$ > /sys/fs/cgroup/t/cgroup.procs; echo $$ > /sys/fs/cgroup/cgroup.procs; cat /proc/self/cgroup')
	like "$v: writing its own cgroup.procs is refused" "$out" "$REFUSED"
	like "$v: the process stayed in the nested group" "$out" '0::/t$'
	out=$(inside "$v" 'echo +hugetlb > /sys/fs/cgroup/cgroup.subtree_control')
	like "$v: writing its own cgroup.subtree_control is refused" "$out" "$REFUSED"
	# Limits: no controller file of its own group is writable, and no v1 hierarchy mountable.
	out=$(inside "$v" 'for f in memory.max cpu.max pids.max memory.high; do
		[ -e /sys/fs/cgroup/$f ] && { echo 1 > /sys/fs/cgroup/$f || exit 1; }; done
		mkdir -p /tmp/m && mount -t cgroup -o memory,freezer none /tmp/m && echo MOUNTED')
	like "$v: its limits are out of reach (files or a v1 mount)" "$out" "$REFUSED"
	out=$(inside "$v" 'echo 1 > /sys/fs/cgroup/cgroup.kill')
	like "$v: writing its own cgroup.kill is refused" "$out" "$REFUSED"
	check "$v: still running" bounded 10 exec "$v" -- true
done

# The host freezes a VPS (the operator, or a later suspend): p through its cgroup2 group, u
# through the v1 freezer where the host has one.
freeze() {
	local v=$1 fz="/sys/fs/cgroup/freezer$T_CGPARENT/$1"
	if [ "$v" = u ] && [ -e "$fz/freezer.state" ]; then
		echo FROZEN >"$fz/freezer.state"
		wait_for 5 grep -qx FROZEN "$fz/freezer.state"
	else
		echo 1 >"$(cg2_dir "$v")/cgroup.freeze"
		wait_for 5 grep -qx 'frozen 1' "$(cg2_dir "$v")/cgroup.events"
	fi
}

for v in p u; do
	check "$v: the host freezes it" freeze "$v"
	t0=$(ms)
	out=$(bounded 20 exec "$v" -- true)
	rc=$?
	t=$(($(ms) - t0))
	[ "$rc" != 0 ] && [ "$rc" != 124 ] && [ "$t" -lt 10000 ]
	ok $? "$v: exec returns within 10 s (rc $rc, $t ms)"
	like "$v: saying the VPS is frozen" "$out" "^vpsctl: $v: VPS is frozen"
	out=$(bounded 20 enter "$v")
	like "$v: enter refuses it the same way" "$out" "^vpsctl: $v: VPS is frozen"
	like "$v: status says frozen" "$(bounded 20 status "$v")" "^$v frozen"
	st=$(bounded 20 status "$v" --json)
	is "$v: status --json: state frozen" "$(json_get "$st" state)" frozen
	like "$v: status --json: frozen true" "$st" '"frozen":true'
	like "$v: list shows it frozen" "$(bounded 20 list | grep "^$v ")" "^$v +frozen "
	t0=$(ms)
	bounded 30 stop "$v" >/dev/null
	rc=$?
	t=$(($(ms) - t0))
	[ "$rc" = 0 ] && [ "$t" -lt 5000 ]
	ok $? "$v: stop (no --force) completes within 5 s (rc $rc, $t ms)"
done
is "both stopped" "$(vpsctl list -o state | tail -n +2 | sort -u)" stopped
is "no cgroup left" "$(cgroup_dirs)" ""

# A user namespace nested in a privileged VPS may map the host's root, own the host-root files
# of a cgroup2 it mounts itself (rooted at its own group) and write them: no such VPS.
out=$(vpsctl create pn --template busybox --privileged --nesting 2>&1)
[ $? != 0 ]; ok $? "create --privileged --nesting is refused"
like "saying why" "$out" "^vpsctl: pn: --nesting needs a user namespace"
sed -i 's/^NESTING="no"/NESTING="yes"/' "$T_ROOT/var/lib/vpsctl/vps/p/vps.conf"
out=$(bounded 30 start p)
[ $? != 0 ]; ok $? "a privileged VPS whose vps.conf says NESTING=yes does not start"
like "saying why" "$out" "NESTING=yes needs a user namespace"
finish
