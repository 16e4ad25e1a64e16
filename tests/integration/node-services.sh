#!/bin/bash
# Node services (NODE_SERVICES=deny): a VPS reaches the node only as its gateway. A listener
# on every node address (bridge IPv4 and IPv6, the bridge's link-local, another interface, the
# uplink to a second namespace) does not answer a VPS, which times out (dropped, not refused),
# while ping, forwarding through the node and node -> VPS connections still work. The rules
# are vpsctl's own nftables table: one copy after parallel starts, made again by a start after
# an operator's flush, gone with the last VPS; a start that cannot install them fails.
. "$(dirname "$0")/lib.sh"
plan 40

echo 'NODE_ADDRESS="10.77.0.1/24 fd77::1/64"' >>"$T_ROOT/etc/vpsctl/vpsctl.conf"
PIDS=""
trap 'for p in $PIDS; do kill "$p" 2>/dev/null; done; t_cleanup' EXIT

# More node addresses: one on another interface (a veth pair of the node's own: the kernel may
# lack the dummy driver), and an uplink to an "internet" namespace (a
# process of ours in its own netns) that the node routes VPS traffic to.
ip link add ex0 type veth peer name ex1 && ip addr add 192.0.2.1/24 dev ex0 &&
	ip link set ex1 up && ip link set ex0 up
unshare -n sleep 600 &
INET=$!
PIDS="$PIDS $INET"
wait_for 5 sh -c "[ \"\$(readlink /proc/$INET/ns/net)\" != \"\$(readlink /proc/self/ns/net)\" ]"
ip link add up0 type veth peer name inet0 netns "$INET"
ip addr add 198.51.100.1/24 dev up0 && ip link set up0 up
nsenter -t "$INET" -n sh -c 'ip link set lo up && ip addr add 198.51.100.2/24 dev inet0 &&
	ip link set inet0 up && ip route add 10.77.0.0/24 via 198.51.100.1'
sysctl -qw net.ipv4.ip_forward=1 # this test's own network namespace

# A node service on every address ([::]:2222 takes IPv4 too), and one on the "internet".
busybox nc -ll -p 2222 -e /bin/echo node-svc >/dev/null 2>&1 &
PIDS="$PIDS $!"
nsenter -t "$INET" -n busybox nc -ll -p 4444 -e /bin/echo internet >/dev/null 2>&1 &
PIDS="$PIDS $!"
wait_for 5 sh -c 'busybox nc -w 1 127.0.0.1 2222 </dev/null | grep -q node-svc'

build_template
check "create a" vpsctl create a --template busybox --ip 10.77.0.2/24 --ip fd77::2/64
check "start a" vpsctl start a
is "the node reaches its own service on the bridge address" \
	"$(busybox nc -w 2 10.77.0.1 2222 </dev/null 2>&1)" node-svc
check "vpsctl's table is in the node's ruleset" nft list table inet vpsctl
like "... with the bridge in its set" "$(nft list set inet vpsctl ifaces 2>&1)" '"vpsbr0"'

# from_vps ADDR PORT: what a connection from inside a gets (the service's answer or nc's error).
from_vps() { vpsctl exec a -- nc -w 2 "$1" "$2" </dev/null 2>&1; }
# The bridge's link-local, once duplicate address detection is over on both ends.
wait_for 10 sh -c "ip -6 -o addr show dev vpsbr0 scope link | grep -v tentative | grep -q fe80"
LL=$(ip -6 -o addr show dev vpsbr0 scope link | awk '{ print $4 }' | cut -d/ -f1)
ADDRS="10.77.0.1 fd77::1 $LL%eth0 192.0.2.1 198.51.100.1"
ipv6_ready() { wait_for 10 vpsctl exec a -- ping -c1 -W1 -I eth0 "$LL" && wait_for 5 vpsctl exec a -- ping -c1 -W1 fd77::1; }
ipv6_ready
for addr in $ADDRS; do
	like "a VPS cannot reach a node service on $addr (dropped: timed out)" \
		"$(from_vps "$addr" 2222)" 'timed out'
done
check "a VPS still pings its gateway (ICMP)" vpsctl exec a -- ping -c1 -W2 10.77.0.1
check "... over IPv6 (neighbour discovery)" vpsctl exec a -- ping -c1 -W2 fd77::1
is "a VPS reaches the internet through the node (forwarding)" \
	"$(from_vps 198.51.100.2 4444)" internet
vpsctl exec a -- sh -c 'nc -ll -p 3333 -e /bin/echo vps-svc </dev/null >/dev/null 2>&1 &'
wait_for 5 sh -c 'busybox nc -w 1 10.77.0.2 3333 </dev/null | grep -q vps-svc'
is "the node connects into the VPS (replies come back)" \
	"$(busybox nc -w 2 10.77.0.2 3333 </dev/null 2>&1)" vps-svc

# Five parallel starts: one copy of the rules, one element.
for i in 1 2 3 4 5; do vpsctl create "b$i" --template busybox --ip "10.77.0.1$i/24" >/dev/null; done
starts=""
for i in 1 2 3 4 5; do
	vpsctl start "b$i" >/dev/null 2>&1 &
	starts="$starts $!"
done
# shellcheck disable=SC2086
wait $starts
n=0
for i in 1 2 3 4 5; do vpsctl status "b$i" 2>/dev/null | grep -q running && n=$((n + 1)); done
is "five parallel starts all ran" "$n" 5
rules=$(nft list table inet vpsctl)
is "... and left one copy of the jump to the VPS chain" "$(grep -c 'jump from_vps' <<<"$rules")" 1
is "... one copy of the drop" "$(grep -cx $'\t\tdrop' <<<"$rules")" 1
is "... one element" "$(grep -o '"vpsbr0"' <<<"$rules" | wc -l)" 1

# An operator flushes the ruleset: the next start makes the table again for everyone.
nft flush ruleset
is "after a flush a VPS reaches the node (the documented gap)" "$(from_vps 10.77.0.1 2222)" node-svc
vpsctl stop --force b1 >/dev/null
check "start b1 after the flush" vpsctl start b1
check "... re-creates the table" nft list table inet vpsctl
like "... and closes the node to the VPSes already running" "$(from_vps 10.77.0.1 2222)" 'timed out'

# Rules stay while any VPS is on the bridge, and go with the last.
for i in 1 2 3 4; do vpsctl stop --force "b$i" >/dev/null; done
like "stopping some VPSes keeps the rules" "$(nft list set inet vpsctl ifaces 2>&1)" '"vpsbr0"'
like "... and a VPS left running stays cut off" "$(from_vps 10.77.0.1 2222)" 'timed out'
vpsctl stop --force b5 >/dev/null
vpsctl stop --force a >/dev/null
check "the last stop removes the table" sh -c '! nft list table inet vpsctl'

# Fail closed: rules that cannot be installed fail the start.
nft add table inet vpsctl
nft add chain inet vpsctl input '{ type filter hook input priority 0; policy accept; }'
out=$(vpsctl start a 2>&1); rc=$?
[ $rc != 0 ] && [[ $out == *"failed to close the node's services to VPSes on 'vpsbr0'"* ]]
ok $? "a start whose rules cannot be installed fails, saying why"
diag "$out"
like "... and the VPS is not running" "$(vpsctl status a 2>&1)" 'stopped'
check "... with no veth left" sh -c '! ip link show veth-a'
check "... and the operator's table is left alone" nft list chain inet vpsctl input
nft delete table inet vpsctl

# NODE_SERVICES=allow: no rules, the node's services answer.
echo 'NODE_SERVICES="allow"' >>"$T_ROOT/etc/vpsctl/vpsctl.conf"
check "NODE_SERVICES=allow: start a" vpsctl start a
check "... no table" sh -c '! nft list table inet vpsctl'
ipv6_ready
for addr in $ADDRS; do
	is "... and the node's service on $addr answers the VPS" "$(from_vps "$addr" 2222)" node-svc
done
vpsctl stop --force a >/dev/null
sed -i '/^NODE_SERVICES=/d' "$T_ROOT/etc/vpsctl/vpsctl.conf"
out=$(echo 'NODE_SERVICES="open"' >>"$T_ROOT/etc/vpsctl/vpsctl.conf"; vpsctl start a 2>&1); rc=$?
[ $rc != 0 ] && [[ $out == *NODE_SERVICES* ]]; ok $? "an unknown NODE_SERVICES is refused"
sed -i '/^NODE_SERVICES=/d' "$T_ROOT/etc/vpsctl/vpsctl.conf"

check "start a again" vpsctl start a
check "start b1 again" vpsctl start b1
for n in a b1 b2 b3 b4 b5; do vpsctl destroy --force "$n" >/dev/null 2>&1; done
check "after the VPSes are destroyed nothing of vpsctl is in the ruleset" \
	sh -c '! nft list ruleset | grep -q vpsctl'
finish
