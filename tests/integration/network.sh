#!/bin/bash
# VPS networking end to end: veth on the node bridge, addresses and routes from the node,
# VPS <-> VPS and VPS <-> node traffic, duplicate/out-of-subnet refusals, anti-spoofing,
# live address and bandwidth changes, traffic counters, nothing left on the node after stop.
. "$(dirname "$0")/lib.sh"
plan 31

echo 'NODE_ADDRESS="10.77.0.1/24 fd77::1/64"' >>"$T_ROOT/etc/vpsctl/vpsctl.conf"
build_template
check "create a with IPv4 + IPv6" vpsctl create a --template busybox --ip 10.77.0.2/24 --ip fd77::2/64
# b gets NET_ADMIN: its root may change its own interface, as in a VPS granted that cap,
# so the node-side anti-spoofing is what stops it.
check "create b" vpsctl create b --template busybox --ip 10.77.0.3/24 --cap-add NET_ADMIN
out=$(vpsctl create c --template busybox --ip 10.77.0.2/24 2>&1); rc=$?
[ $rc != 0 ] && [[ $out == *"already used by VPS 'a'"* ]]; ok $? "a duplicate address is refused"
out=$(vpsctl create c --template busybox --ip 192.168.5.5/24 2>&1); rc=$?
[ $rc != 0 ] && [[ $out == *"outside the node's subnets"* ]]; ok $? "an address outside the node subnets is refused"
check "no VPS c was created" test ! -e "$T_ROOT/var/lib/vpsctl/vps/c"

check "start a" vpsctl start a
check "start b" vpsctl start b
check "bridge vpsbr0 on the node" ip link show vpsbr0
check "veth-a enslaved to the bridge" sh -c "ip -o link show veth-a | grep -q 'master vpsbr0'"
like "eth0 inside has the address" "$(vpsctl exec a -- ip -o addr show dev eth0)" '10\.77\.0\.2/24'
like "default route via the node" "$(vpsctl exec a -- ip route)" 'default via 10\.77\.0\.1'
check "VPS -> node (IPv4)" vpsctl exec a -- ping -c1 -W2 10.77.0.1
check "VPS -> VPS" vpsctl exec a -- ping -c1 -W2 10.77.0.3
check "node -> VPS" busybox ping -c1 -W2 10.77.0.3
check "VPS -> node (IPv6)" wait_for 5 vpsctl exec a -- ping -c1 -W2 fd77::1

# Root inside b takes a's address: its packets are dropped on the node side.
check "root in b (with NET_ADMIN) adds a foreign address" vpsctl exec b -- ip addr add 10.77.0.50/24 dev eth0
vpsctl exec b -- ping -c1 -W1 -I 10.77.0.50 10.77.0.1 >/dev/null 2>&1
[ $? != 0 ]; ok $? "a spoofed source address gets nowhere"
check "its own address still works" vpsctl exec b -- ping -c1 -W2 10.77.0.3 -I 10.77.0.3

check "resize --ip-add live" vpsctl resize b --ip-add 10.77.0.4/24
check "the new address works at once" vpsctl exec b -- ping -c1 -W2 -I 10.77.0.4 10.77.0.1
check "resize --bandwidth 10mbit live" vpsctl resize b --bandwidth 10mbit
like "tbf on the node side of b" "$(tc qdisc show dev veth-b 2>/dev/null)" 'tbf.*rate 10Mbit'
st=$(vpsctl stats b --json)
[ "$(json_get "$st" net_tx_packets)" -gt 0 ] 2>/dev/null; ok $? "traffic counters in stats ($(json_get "$st" net_tx_packets) packets sent)"

vpsctl stop --force a >/dev/null
vpsctl stop --force b >/dev/null
is "no veth or ifb left on the node" "$(ip -o link show | grep -E -c 'veth-|ifb-')" 0
grep -q 'IP_ADDRESS="10.77.0.3/24 10.77.0.4/24"' "$T_ROOT/var/lib/vpsctl/vps/b/vps.conf"
ok $? "the live address change was saved"

# The address index: claims follow --ip-del and destroy; a stale claim is taken over.
out=$(vpsctl create c --template busybox --ip 10.77.0.4/24 2>&1); rc=$?
[ $rc != 0 ] && [[ $out == *"already used by VPS 'b'"* ]]; ok $? "an address taken live with --ip-add is refused to others"
check "resize b --ip-del 10.77.0.4" vpsctl resize b --ip-del 10.77.0.4/24
check "then another VPS may have it" vpsctl create c --template busybox --ip 10.77.0.4/24
check "destroy a frees its addresses" vpsctl destroy a
check "... for a new VPS" vpsctl create d --template busybox --ip 10.77.0.2/24
sed -i 's/^IP_ADDRESS=.*/IP_ADDRESS=""/' "$T_ROOT/var/lib/vpsctl/vps/d/vps.conf"
check "a claim whose VPS no longer lists the address is taken over" \
	vpsctl create e --template busybox --ip 10.77.0.2/24
finish
