#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The VM itself: is this really the pure cgroup2 host the v2 backend is meant for? If these
# fail, a vpsctl failure in the later scripts says nothing about vpsctl.
. "${0%/*}/../tap.sh"

CG=/sys/fs/cgroup
T=$CG/v2vm-sanity-$$

fstype=$(awk '$2 == "/sys/fs/cgroup" { print $3 }' /proc/mounts)
is "cgroup2 is mounted at /sys/fs/cgroup" "$fstype" cgroup2
v1=$(awk '$3 == "cgroup" { print $2 }' /proc/mounts)
is "no cgroup v1 hierarchy is mounted" "$v1" ""
check "cgroup2 is mounted with nsdelegate and memory_recursiveprot" \
	grep -qE '^cgroup2 /sys/fs/cgroup cgroup2 .*nsdelegate.*memory_recursiveprot' /proc/mounts
is "this shell is in the root cgroup" "$(cat /proc/self/cgroup)" "0::/"

diag "root controllers: $(cat $CG/cgroup.controllers)"
for c in cpu memory pids io cpuset; do
	check "controller $c is available" grep -qw "$c" $CG/cgroup.controllers
	check "controller $c is enabled for children" grep -qw "$c" $CG/cgroup.subtree_control
done

check "a child cgroup can be made" mkdir "$T"
for f in cpu.max memory.max memory.high memory.swap.max pids.max cgroup.kill; do
	check "the child has $f" test -f "$T/$f"
done

# The interface files must also take the values vpsctl writes.
echo "50000 100000" > "$T/cpu.max"
is "cpu.max takes a quota" "$(cat "$T/cpu.max")" "50000 100000"
echo 64M > "$T/memory.max"
is "memory.max takes a size" "$(cat "$T/memory.max")" 67108864
echo 0 > "$T/memory.swap.max"
is "memory.swap.max takes 0" "$(cat "$T/memory.swap.max")" 0
echo 64 > "$T/pids.max"
is "pids.max takes a count" "$(cat "$T/pids.max")" 64

# cgroup.kill must empty the cgroup: vpsctl stop relies on it.
sh -c "echo \$\$ > $T/cgroup.procs && exec sleep 600" &
sleeper=$!
sleep 0.5
is "a process can join the child" "$(cat "$T/cgroup.procs")" "$sleeper"
echo 1 > "$T/cgroup.kill"
wait "$sleeper"
is "cgroup.kill kills it (SIGKILL)" $? 137
check "the emptied child can be removed" rmdir "$T"

check "zram swap is on" grep -q '^/dev/zram0 ' /proc/swaps
check "veth and bridge modules are loaded" sh -c 'grep -q "^veth " /proc/modules && grep -q "^bridge " /proc/modules'
check "overlayfs is available" grep -qw overlay /proc/filesystems
check "loopback is up" sh -c 'ip link show lo | grep -q "UP"'

done_testing
