#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The device policy on cgroup v2: vpsctl attaches an eBPF program (BPF_CGROUP_DEVICE) to the
# VPS's cgroup that allows the nodes the runtime makes and denies every other device.
#
# Proven from the VM's side, where nothing is nodev: a process moved into the VPS's cgroup
# cannot open the VM's disk (zram0), /dev/mem or /dev/kmsg, nor a block node it makes itself
# on the VM's root tmpfs, while /dev/null, /dev/zero, /dev/urandom and /dev/ptmx open; the same
# opens outside the cgroup all work. So what is tested is the program, not the VPS's nodev
# mounts. Then the same under a Delegate=yes unit (as 20-delegate.sh emulates it).
. "${0%/*}/../tap.sh"

VPSCTL=${VPSCTL:-$BUILD_DIR/vpsctl}
DEVPROGS=${BUILD_DIR:-}/tests/helpers/devprogs
NAME=dv
PARENT=/sys/fs/cgroup/vpsctl-devtest
CG=$PARENT/$NAME
SLICE=/sys/fs/cgroup/devtest.slice
DNAME=dd
UNIT=$SLICE/vpsctl@$DNAME.service

[ -x "$VPSCTL" ] || bail "no vpsctl binary at '$VPSCTL'"
[ -x "$DEVPROGS" ] || bail "no devprogs helper at '$DEVPROGS'"
[ -e /sys/block/zram0/dev ] || bail "no zram0 in the VM (run-suite.sh adds it with -s)"
ZDEV=$(cat /sys/block/zram0/dev)
ZMAJ=${ZDEV%:*}
ZMIN=${ZDEV#*:}
ROOT=$(mktemp -d /tmp/vpsctl-root.XXXXXX) || bail "mktemp failed"
NODES=$(mktemp -d /tmp/devnodes.XXXXXX) || bail "mktemp failed" # the VM's / : not nodev
v() { timeout -s KILL 240 "$VPSCTL" --root "$ROOT" "$@"; }
json() { sed -n 's/.*"'"$1"'"[[:space:]]*:[[:space:]]*"\{0,1\}\([^",}]*\).*/\1/p' | head -n1; }

# in_cg DIR SCRIPT: runs the shell SCRIPT in a process that first moves into the group DIR.
in_cg() {
	timeout -s KILL 60 sh -c 'echo $$ > "$1/cgroup.procs" || exit 99; eval "$2"' sh "$1" "$2" 2>&1
}

# denied DESC DIR SCRIPT: SCRIPT fails in DIR with EPERM.
denied() {
	_out=$(in_cg "$2" "$3")
	_rc=$?
	case $_rc:$_out in
	99:*) diag "could not join $2: $_out"; tap_result 1 "$1" ;;
	0:*) diag "'$3' succeeded"; tap_result 1 "$1" ;;
	*"not permitted"*) tap_result 0 "$1" ;;
	*) diag "'$3' failed, but not with EPERM: $_out"; tap_result 1 "$1" ;;
	esac
}

# allowed DESC DIR SCRIPT: SCRIPT succeeds in DIR.
allowed() {
	_out=$(in_cg "$2" "$3")
	_rc=$?
	[ -z "$_out" ] || printf '%s\n' "$_out" | sed 's/^/#   /'
	tap_result $_rc "$1"
}

# policy L DIR: the policy holds for processes in the VPS group DIR; L labels the checks.
policy() {
	is "$1: exactly vpsctl's device program is attached to the VPS's group" \
		"$("$DEVPROGS" "$2" 2>&1 | tr '\n' ' ')" "vpsctl_devices "
	denied "$1: the VM's disk /dev/zram0 (b $ZDEV) cannot be opened" "$2" ': < /dev/zram0'
	denied "$1: nor written" "$2" ': 1<> /dev/zram0'
	denied "$1: /dev/mem (c 1:1) cannot be opened" "$2" ': < /dev/mem'
	denied "$1: /dev/kmsg (c 1:11) cannot be opened" "$2" ': < /dev/kmsg'
	allowed "$1: /dev/null, /dev/zero, /dev/full, /dev/urandom, /dev/ptmx open" "$2" \
		': < /dev/null && : > /dev/null && : < /dev/zero && : 1<> /dev/full &&
		 test "$(head -c 4 /dev/urandom | wc -c)" = 4 && : < /dev/ptmx'
	allowed "$1: mknod of a block node is allowed (package managers make nodes)" "$2" \
		"mknod $NODES/zram-$1 b $ZMAJ $ZMIN"
	denied "$1: but the node cannot be opened" "$2" ": < $NODES/zram-$1"
	check "$1: outside the VPS's group the same node opens (no nodev here)" \
		sh -c ": < $NODES/zram-$1"
}

cleanup() {
	v stop "$NAME" --force > /dev/null 2>&1
	v destroy "$NAME" --force > /dev/null 2>&1
	v stop "$DNAME" --force > /dev/null 2>&1
	v destroy "$DNAME" --force > /dev/null 2>&1
	# whatever vpsctl left behind: this test made it, so it removes it
	for g in "$CG" "$UNIT/$DNAME" "$UNIT/_supervisor"; do
		if [ -d "$g" ]; then
			echo 1 > "$g/cgroup.kill"
			sleep 1
			find "$g" -depth -type d -exec rmdir {} \; 2>/dev/null
		fi
	done
	rmdir "$PARENT" "$UNIT" "$SLICE" 2>/dev/null
	rm -rf "$ROOT" "$NODES"
}
trap cleanup EXIT

mkdir -p "$ROOT/etc/vpsctl"
echo "CGROUP_PARENT=/vpsctl-devtest" > "$ROOT/etc/vpsctl/vpsctl.conf"
# the VM's / is a tmpfs: no 10G default disk image per VPS in its RAM (45-disk-project.sh
# and 40-disk.sh test disk quotas)
echo "DEFAULT_DISK=0" >> "$ROOT/etc/vpsctl/vpsctl.conf"
check "template build busybox" v template build busybox || bail "no template"

# -------------------------------------------------------------- a VPS of the node -----

check "create" v create "$NAME" --template busybox --memory 64M ||
	bail "create failed, nothing else can run"
check "start" v start "$NAME" || bail "start failed, nothing else can run"
is "the v2 backend was picked" "$(v status "$NAME" --json | json cgroup_backend)" v2
check "the VM outside any VPS opens its disk, /dev/mem and /dev/kmsg" \
	sh -c ': < /dev/zram0 && : < /dev/mem && : < /dev/kmsg'
policy node "$CG"

out=$(v exec "$NAME" -- sh -c ': < /dev/null && : > /dev/null && head -c 4 /dev/urandom | wc -c' 2>&1)
is "inside the VPS: the runtime's nodes work" "$(echo "$out" | tr -d ' ')" 4
out=$(v exec "$NAME" -- sh -c "mknod /tmp/sda b $ZMAJ $ZMIN; cat /tmp/sda > /dev/null" 2>&1)
is "inside the VPS: a node of the VM's disk cannot be read" "$?" 1
diag "$out"
check "stop" v stop "$NAME"
check "stop removed the VPS's group, and the program with it" test ! -e "$CG"
check "start again" v start "$NAME"
policy restart "$CG"
check "stop again" v stop "$NAME"

# -------------------------------------------------- under a Delegate=yes unit -----

mkdir -p "$UNIT"
echo "+cpu +memory +pids +io +cpuset" > "$SLICE/cgroup.subtree_control"
check "create $DNAME" v create "$DNAME" --template busybox --memory 64M
sh -c "echo \$\$ > $UNIT/cgroup.procs && INVOCATION_ID=test exec $VPSCTL --root $ROOT start --foreground $DNAME" \
	> "$ROOT/fg.log" 2>&1 &
FG=$!
i=0
until [ "$(v status "$DNAME" --json | json state)" = running ] || [ $i -ge 100 ]; do
	sleep 0.2
	i=$((i + 1))
done
is "the delegated VPS runs" "$(v status "$DNAME" --json | json state)" running
INIT=$(v status "$DNAME" --json | json init_pid)
is "its init lives in the unit's cgroup" "$(sed -n 's/^0:://p' "/proc/$INIT/cgroup")" \
	"/devtest.slice/vpsctl@$DNAME.service/$DNAME"
policy delegated "$UNIT/$DNAME"
is "nothing is attached to the unit's own group" "$("$DEVPROGS" "$UNIT" 2>&1)" ""
check "stop $DNAME" v stop "$DNAME"
wait $FG
is "the foreground supervisor exits 0" "$?" 0
[ "$T_FAILED" = 0 ] || sed 's/^/#   fg: /' "$ROOT/fg.log"
done_testing
