#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# vpsctl@.service on a cgroup v2 host: systemd runs `vpsctl start --foreground` in the unit's
# cgroup with Delegate=yes. The supervisor must move into a leaf of its own and put the VPS
# cgroup inside the unit (no processes in an inner node), so systemd accounts for and stops
# all of it. Emulated here: a unit-like cgroup with the controllers handed down, and
# INVOCATION_ID set as systemd sets it.
. "${0%/*}/../tap.sh"

VPSCTL=${VPSCTL:-$BUILD_DIR/vpsctl}
NAME=dg
UNIT=/sys/fs/cgroup/test.slice/vpsctl@$NAME.service
ROOT=$(mktemp -d /tmp/vpsctl-root.XXXXXX) || bail "mktemp failed"
v() { timeout -s KILL 240 "$VPSCTL" --root "$ROOT" "$@"; }
json() { sed -n 's/.*"'"$1"'"[[:space:]]*:[[:space:]]*"\{0,1\}\([^",}]*\).*/\1/p' | head -n1; }

mkdir -p "$ROOT/etc/vpsctl" "$UNIT"
echo "CGROUP_PARENT=/not-used-when-delegated" > "$ROOT/etc/vpsctl/vpsctl.conf"
# the VM's / is a tmpfs: no 10G default disk image per VPS in its RAM (45-disk-project.sh
# and 40-disk.sh test disk quotas)
echo "DEFAULT_DISK=0" >> "$ROOT/etc/vpsctl/vpsctl.conf"
echo "+cpu +memory +pids +io +cpuset" > /sys/fs/cgroup/test.slice/cgroup.subtree_control
check "template build busybox" v template build busybox
check "create" v create "$NAME" --template busybox --cpus 0.5 --memory 64M
# The "unit": a shell moves itself into the unit's cgroup, then becomes vpsctl.
sh -c "echo \$\$ > $UNIT/cgroup.procs && INVOCATION_ID=test exec $VPSCTL --root $ROOT start --foreground $NAME" \
	> "$ROOT/fg.log" 2>&1 &
FG=$!
i=0
until [ "$(v status "$NAME" --json | json state)" = running ] || [ $i -ge 100 ]; do
	sleep 0.2; i=$((i + 1))
done
is "the VPS runs" "$(v status "$NAME" --json | json state)" running
INIT=$(v status "$NAME" --json | json init_pid)
is "init lives in the unit's cgroup" "$(sed -n 's/^0:://p' /proc/$INIT/cgroup)" "/test.slice/vpsctl@$NAME.service/$NAME"
is "the supervisor sits in a leaf beside it" "$(sed -n 's/^0:://p' /proc/$FG/cgroup)" "/test.slice/vpsctl@$NAME.service/_supervisor"
is "no process in the unit's own group" "$(cat $UNIT/cgroup.procs)" ""
is "cpu.max is set there" "$(cat $UNIT/$NAME/cpu.max)" "50000 100000"
check "resize finds the VPS inside the unit" v resize "$NAME" --cpus 1
is "cpu.max changed live" "$(cat $UNIT/$NAME/cpu.max)" "100000 100000"
check "exec joins the VPS there" v exec "$NAME" -- true
check "stop" v stop "$NAME"
wait $FG
is "the foreground supervisor exits 0 after stop" "$?" 0
check "the VPS cgroup is gone" test ! -e "$UNIT/$NAME"
# what systemd does when the unit is gone
rmdir "$UNIT/_supervisor" "$UNIT" 2>/dev/null
v destroy "$NAME" > /dev/null 2>&1
rm -rf "$ROOT"
done_testing
