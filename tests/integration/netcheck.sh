#!/bin/bash
# `vpsctl net check [--repair]`: plumbing broken behind vpsctl's back (the bridge deleted, a
# veth's cap and filter removed, the node-services table flushed, a routed VPS's route and
# proxy entry deleted) is reported one line each and re-made by --repair, which restores
# traffic; a network resize with the bridge gone is refused with the reason and changes
# nothing.
. "$(dirname "$0")/lib.sh"
plan 32

cat >>"$T_ROOT/etc/vpsctl/vpsctl.conf" <<'CONF'
NODE_ADDRESS="10.77.0.1/24 fd77::1/64"
UPLINK=up0
ROUTED_RANGES="203.0.113.8/29 2001:db8:1::/64"
CONF
PIDS=""
trap 'for p in $PIDS; do kill "$p" 2>/dev/null; done; t_cleanup' EXIT
unshare -n sleep 600 &
INET=$!
PIDS="$PIDS $INET"
wait_for 5 sh -c "[ \"\$(readlink /proc/$INET/ns/net)\" != \"\$(readlink /proc/self/ns/net)\" ]"
ip link add up0 type veth peer name inet0 netns "$INET"
ip addr add 203.0.113.2/24 dev up0 && ip link set up0 up
nsenter -t "$INET" -n sh -c 'ip link set lo up && ip addr add 203.0.113.1/24 dev inet0 &&
	ip link set inet0 up'
inet() { nsenter -t "$INET" -n "$@"; }

build_template
check "create a (bridged, capped)" vpsctl create a --template busybox --ip 10.77.0.2/24 --bandwidth 10mbit
check "create r (routed)" vpsctl create r --template busybox --net routed --ip 203.0.113.10 \
	--ip 2001:db8:1::10
check "start a" vpsctl start a
check "start r" vpsctl start r
out=$(vpsctl net check 2>&1); rc=$?
is "net check on an intact node: exit 0" "$rc" 0
is "... and says nothing" "$out" ""

ip link del vpsbr0
out=$(vpsctl net check 2>&1); rc=$?
is "a deleted bridge: exit 1" "$rc" 1
like "... reported" "$out" "^a: bridge 'vpsbr0' is missing$"
out=$(vpsctl resize a --ip-add 10.77.0.5/24 2>&1); rc=$?
[ $rc != 0 ] && [[ $out == *"bridge 'vpsbr0' is missing; not changing the network: run 'vpsctl net check --repair' first"* ]]
ok $? "resize --ip-add with the bridge gone is refused, with the reason"
unlike_conf=$(grep -c 10.77.0.5 "$T_ROOT/var/lib/vpsctl/vps/a/vps.conf")
is "... and vps.conf is unchanged" "$unlike_conf" 0
check "a quota-only resize still works" vpsctl resize a --cpus 1
out=$(vpsctl net check --repair 2>&1); rc=$?
is "net check --repair: exit 0" "$rc" 0
like "... says it repaired a" "$out" "^a: repaired$"
like "the bridge is back with its address" "$(ip -o addr show dev vpsbr0)" '10\.77\.0\.1/24'
like "veth-a is in it again" "$(ip -o link show veth-a)" 'master vpsbr0'
check "node -> a works again" busybox ping -c1 -W2 10.77.0.2
check "then resize --ip-add works" vpsctl resize a --ip-add 10.77.0.5/24

tc qdisc del dev veth-a root
tc filter del dev veth-a ingress pref 1
nft delete table inet vpsctl
out=$(vpsctl net check a 2>&1)
like "a removed cap is reported" "$out" "^a: veth 'veth-a' is not capped, vps.conf says 10mbit$"
like "a removed anti-spoofing filter is reported" "$out" "^a: veth 'veth-a' has no anti-spoofing filter$"
like "a flushed node-services table is reported" "$out" "^a: 'vpsbr0' is not in the node-services filter"
check "net check --repair a" vpsctl net check --repair a
like "the cap is back" "$(tc qdisc show dev veth-a)" 'tbf.*rate 10Mbit'
check "the node-services table is back" nft list table inet vpsctl

ip route del 203.0.113.10 dev veth-r
ip neigh del proxy 203.0.113.10 dev up0
ip neigh add proxy 203.0.113.14 dev up0
# the NDP entry on another link than the uplink answers nothing there
ip -6 neigh del proxy 2001:db8:1::10 dev up0
ip -6 neigh add proxy 2001:db8:1::10 dev veth-a
out=$(vpsctl net check --json 2>&1); rc=$?
is "routed: exit 1" "$rc" 1
check "--json is JSON" python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["ok"] is False' "$out"
out=$(vpsctl net check 2>&1)
like "a deleted host route is reported" "$out" "^r: no route to 203.0.113.10 over 'veth-r'$"
like "a deleted proxy entry is reported" "$out" "^r: uplink 'up0' does not answer ARP/NDP for 203.0.113.10"
like "... and one on another link than the uplink" "$out" "^r: uplink 'up0' does not answer ARP/NDP for 2001:db8:1::10"
like "a leftover proxy entry is reported" "$out" "^node: uplink 'up0' answers ARP/NDP for 203.0.113.14, which no running VPS holds"
check "net check --repair" vpsctl net check --repair
check "the internet reaches r again" wait_for 5 inet busybox ping -c1 -W1 203.0.113.10
out=$(vpsctl net check 2>&1); rc=$?
is "and the node checks clean (leftover removed)" "$rc:$out" "0:"
finish
