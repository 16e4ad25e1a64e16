#!/bin/bash
# Issue 17 item 7: the operator's list. Natural order, name patterns and -S, the usage columns
# with sane values (running against stopped, process count against ps inside, traffic of the
# veth), their -o fields and JSON, and stats --all.
. "$(dirname "$0")/lib.sh"
plan 41

printf 'NODE_ADDRESS="10.77.0.1/24"\n' >>"$T_ROOT/etc/vpsctl/vpsctl.conf"
field() { vpsctl list -o "name,$2" | awk -F'\t' -v n="$1" '$1 == n { print $2 }'; }

build_template
for n in bb10 bb1 bb2 web1 web2; do vpsctl create "$n" --template busybox >/dev/null; done
check "create net1 with an address" vpsctl create net1 --template busybox --ip 10.77.0.5/24
check "start bb2" vpsctl start bb2
check "start web1" vpsctl start web1
check "start net1" vpsctl start net1

is "natural order" "$(vpsctl list -o name | tail -n +2 | tr '\n' ' ')" "bb1 bb2 bb10 net1 web1 web2 "
is "the default columns" "$(vpsctl list | head -1 | tr -s ' ')" \
	"NAME STATE PROCS CPU% MEMORY DISK UPTIME RX TX ADDRESS"
is "a name pattern" "$(vpsctl list -o name 'web*' | tail -n +2 | tr '\n' ' ')" "web1 web2 "
is "two patterns" "$(vpsctl list -o name 'web2' 'bb1?' | tail -n +2 | tr '\n' ' ')" "bb10 web2 "
is "-S running" "$(vpsctl list -o name -S running | tail -n +2 | tr '\n' ' ')" "bb2 net1 web1 "
is "--state stopped with a pattern" "$(vpsctl list -o name --state stopped 'bb*' | tail -n +2 | tr '\n' ' ')" "bb1 bb10 "
out=$(vpsctl list -S sleeping 2>&1)
is "an unknown state is refused, naming it" "$out" "vpsctl: list: unknown state 'sleeping' for --state (see 'vpsctl list --help')"
is "no match: the header only" "$(vpsctl list 'nomatch*' | wc -l)" 1
is "--json with a pattern" "$(vpsctl list --json 'bb1*' | grep -o '"name":"[a-z0-9]*"' | tr '\n' ' ')" \
	'"name":"bb1" "name":"bb10" '

# Usage of a running VPS against a stopped one.
like "memory used of a running VPS > 0" "$(field bb2 memory_used)" '^[1-9][0-9]*$'
is "memory limit is its cap" "$(field bb2 memory_limit)" 536870912
is "memory used of a stopped VPS is -" "$(field bb1 memory_used)" -
is "procs of a stopped VPS is -" "$(field bb1 procs)" -
like "cpu_pct of a running VPS" "$(field bb2 cpu_pct)" '^[0-9]+\.[0-9]$'
like "cpu_usec of a running VPS > 0" "$(field bb2 cpu_usec)" '^[1-9][0-9]*$'
is "disk of a VPS without a disk image is -" "$(field bb2 disk_used)" -
# The count seen from outside is the processes ps sees inside, less ps itself.
procs=$(field bb2 procs)
inside=$(vpsctl exec bb2 -- ps | tail -n +2 | grep -vc ' ps$')
is "procs matches ps inside the VPS" "$procs" "$inside"
check "a second process inside" vpsctl exec bb2 -- sh -c 'sleep 100 </dev/null >/dev/null 2>&1 &'
is "procs counts it" "$(field bb2 procs)" $((procs + 1))

is "no traffic columns without a veth" "$(field bb2 net_rx_bytes)" -
check "net1 sends to the node" vpsctl exec net1 -- ping -c 3 -W 1 10.77.0.1
rx=$(field net1 net_rx_bytes) tx=$(field net1 net_tx_bytes)
[ "$tx" -ge 252 ] 2>/dev/null
ok $? "net1 sent at least its 3 pings' bytes ($tx)"
[ "$rx" -ge 252 ] 2>/dev/null
ok $? "net1 received at least the 3 replies' bytes ($rx)"
like "the address column" "$(vpsctl list 'net1' | tail -1)" ' 10\.77\.0\.5/24$'

j=$(vpsctl list --json 'bb2')
like "list --json: procs" "$(json_get "$j" procs)" '^[1-9][0-9]*$'
like "list --json: memory_used" "$(json_get "$j" memory_used)" '^[1-9][0-9]*$'
like "list --json: cpu_permille" "$(json_get "$j" cpu_permille)" '^[0-9]+$'
is "list --json: memory_limit" "$(json_get "$j" memory_limit)" 536870912
j=$(vpsctl list --json 'bb1')
is "list --json of a stopped VPS: memory_used 0" "$(json_get "$j" memory_used)" 0
is "list --json of a stopped VPS: procs 0" "$(json_get "$j" procs)" 0

s=$(vpsctl stats --all)
is "stats --all: a header and one line per running VPS" "$(echo "$s" | awk '{print $1}' | tr '\n' ' ')" \
	"NAME bb2 net1 web1 "
s=$(vpsctl stats --all --json)
is "stats --all --json: one object per running VPS" "$(echo "$s" | grep -o '"name":"[a-z0-9]*"' | tr '\n' ' ')" \
	'"name":"bb2" "name":"net1" "name":"web1" '
# Fast at N=1000 (bench/list.sh): what every VPS shares is opened once, not per VPS. Traced, a
# list and stats --all open no VPS's cgroup file by its full path (each walked
# /sys/fs/cgroup/CTRL/PARENT again), make one link dump and no netlink query per VPS, and take
# no lock (net-counters is replaced by rename: read whole, old or new).
for cmd in list "stats --all"; do
	# shellcheck disable=SC2086 # cmd is two words for stats
	strace -qq -e trace=openat,socket,flock -o "$T_ROOT/trace" "$VPSCTL" --root "$T_ROOT" $cmd >/dev/null
	is "$cmd: no VPS's cgroup file opened by its full path" \
		"$(grep -cE 'openat\(AT_FDCWD, "/sys/fs/cgroup/[^"]*/(bb2|web1|net1)[/"]' "$T_ROOT/trace")" 0
	is "$cmd: one netlink socket (one link dump), no flock" \
		"$(grep -c 'socket(AF_NETLINK' "$T_ROOT/trace") $(grep -c '^flock' "$T_ROOT/trace")" "1 0"
done
if command -v python3 >/dev/null; then
	echo "$s" | python3 -c 'import json,sys; a=json.load(sys.stdin); assert len(a) == 3'
	ok $? "stats --all --json is a JSON array"
else
	skip "stats --all --json is a JSON array" "no python3"
fi
finish
