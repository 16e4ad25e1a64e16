#!/bin/bash
# What a VPS sees from inside: its own processes, hostname, mounts, links and cgroup root.
. "$(dirname "$0")/lib.sh"
plan 10

build_template
vpsctl create iso --template busybox --hostname iso-host >/dev/null
check "start" vpsctl start iso
host_name=$(hostname)

pids=$(vpsctl exec iso -- ps -o pid= 2>/dev/null || vpsctl exec iso -- ps | awk 'NR>1{print $1}')
is "init is PID 1 inside" "$(vpsctl exec iso -- sh -c 'cat /proc/1/comm')" "init"
# Only the VPS's processes: init, its children, and our ps; never host PIDs like our own.
count=$(vpsctl exec iso -- sh -c 'ls -d /proc/[0-9]* | wc -l')
[ "$count" -lt 10 ]; ok $? "ps inside shows only the VPS's few processes ($count)"
vpsctl exec iso -- sh -c "test ! -e /proc/$$" ; ok $? "the test's own PID is not visible inside"
is "hostname inside" "$(vpsctl exec iso -- hostname)" "iso-host"
is "host hostname unchanged" "$(hostname)" "$host_name"
mounts=$(vpsctl exec iso -- cat /proc/self/mountinfo | awk '{print $5}')
if printf '%s\n' "$mounts" | grep -q -e "$T_ROOT" -e '^/work' -e '^/boot' -e '^/tmp/'; then ok 1 "host mounts invisible"; diag "$mounts"; else ok 0 "host mounts invisible"; fi
is "only lo inside" "$(vpsctl exec iso -- ls /sys/class/net | tr '\n' ' ')" "lo "
like "cgroup root inside" "$(vpsctl exec iso -- cat /proc/1/cgroup)" '^[0-9]+:[^:]*:/$'
vpsctl exec iso -- sh -c 'echo 1 > /proc/sysrq-trigger' 2>/dev/null; [ $? != 0 ]; ok $? "sysrq-trigger not writable"
vpsctl stop --force iso >/dev/null
finish
