#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Issue 12 item 7 on a pure cgroup2 host: no VPS (privileged or in a user namespace) can write
# its own group's cgroup.freeze or limits, even by mounting cgroup2 itself; a VPS the host
# froze (its group's cgroup.freeze) is refused at once by exec and enter ("VPS is frozen"),
# shown frozen by status and list, and a plain stop kills it without waiting for a power-off.
. "${0%/*}/../tap.sh"

VPSCTL=${VPSCTL:-$BUILD_DIR/vpsctl}
PARENT=/sys/fs/cgroup/vpsctl-test-freeze

[ -x "$VPSCTL" ] || bail "no vpsctl binary at '$VPSCTL'"
ROOT=$(mktemp -d /tmp/vpsctl-root.XXXXXX) || bail "mktemp failed"

# Every call bounded, through a file: a process left frozen would hold a pipe open forever.
v() {
	timeout -s KILL 120 "$VPSCTL" --root "$ROOT" "$@" > "$ROOT/out" 2>&1 < /dev/null
	_rc=$?
	cat "$ROOT/out"
	return $_rc
}
json() {
	sed -n 's/.*"'"$1"'"[[:space:]]*:[[:space:]]*"\{0,1\}\([^",}]*\).*/\1/p' | head -n1
}
now() { awk '{ printf "%.0f", $1 * 1000 }' /proc/uptime; }
refused() { # DESC OUTPUT
	if printf '%s' "$2" | grep -Eqi 'read-only file system|permission denied|operation not permitted'; then
		tap_result 0 "$1"
	else
		diag "got '$2'"
		tap_result 1 "$1"
	fi
}

# A stop --force of a VPS left frozen by a failed check thaws it too (that is tested above).
cleanup() {
	for n in p u; do v destroy "$n" --force > /dev/null 2>&1; done
	[ ! -d "$PARENT" ] || find "$PARENT" -depth -type d -exec rmdir {} \; 2> /dev/null
	rm -rf "$ROOT"
}
trap cleanup EXIT

mkdir -p "$ROOT/etc/vpsctl"
printf 'CGROUP_PARENT=/vpsctl-test-freeze\nSTOP_TIMEOUT=60\n' > "$ROOT/etc/vpsctl/vpsctl.conf"
# the VM's / is a tmpfs: no 10G default disk image per VPS in its RAM (45-disk-project.sh
# and 40-disk.sh test disk quotas)
echo "DEFAULT_DISK=0" >> "$ROOT/etc/vpsctl/vpsctl.conf"
check "template build busybox" v template build busybox || bail "no template"
check "create p --privileged" v create p --template busybox --privileged || bail "create p failed"
check "create u (user namespace)" v create u --template busybox || bail "create u failed"
check "start p" v start p || bail "start p failed"
check "start u" v start u || bail "start u failed"

for n in p u; do
	# a v2 host gives a VPS no cgroup mount (cgroup-mount.c): nothing at /sys/fs/cgroup
	v exec "$n" -- sh -c 'echo 1 > /sys/fs/cgroup/cgroup.freeze' > /dev/null
	[ $? != 0 ]
	tap_result $? "$n: its own cgroup.freeze cannot be written"
	refused "$n: nor can it mount cgroup2 to reach it" \
		"$(v exec "$n" -- sh -c 'mkdir -p /tmp/c && mount -t cgroup2 none /tmp/c && echo 1 > /tmp/c/cgroup.freeze')"
	is "$n: the host's cgroup.freeze is still 0" "$(cat "$PARENT/$n/cgroup.freeze")" 0
	is "$n: memory.max unchanged" "$(cat "$PARENT/$n/memory.max")" 536870912
done

for n in p u; do
	echo 1 > "$PARENT/$n/cgroup.freeze"
	t0=$(now)
	out=$(v exec "$n" -- true)
	rc=$?
	t=$(($(now) - t0))
	[ "$rc" != 0 ] && [ "$t" -lt 10000 ]
	tap_result $? "$n frozen: exec returns within 10 s (rc $rc, $t ms)"
	case $out in "vpsctl: $n: VPS is frozen"*) r=0 ;; *) r=1; diag "got '$out'" ;; esac
	tap_result $r "$n frozen: exec says so"
	st=$(v status "$n" --json)
	is "$n frozen: status --json state" "$(echo "$st" | json state)" frozen
	is "$n frozen: status --json frozen" "$(echo "$st" | json frozen)" true
	t0=$(now)
	v stop "$n" > /dev/null
	rc=$?
	t=$(($(now) - t0))
	[ "$rc" = 0 ] && [ "$t" -lt 20000 ]
	tap_result $? "$n frozen: stop (no --force, STOP_TIMEOUT 60) is quick (rc $rc, $t ms)"
	check "$n: its cgroup is gone" test ! -e "$PARENT/$n"
done
done_testing
