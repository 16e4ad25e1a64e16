#!/bin/bash
# Routed mode (NET_MODE=routed): public /32 and /128 addresses on eth0, the node routes them
# over the VPS's own veth (no bridge) and answers ARP/NDP for them on its uplink (proxy
# entries). An "internet" namespace stands in for the provider's router on the uplink's L2:
# it reaches a routed VPS's addresses (ping, TCP), a VPS reaches it, two routed VPSes see no
# L2 frame of each other, live --ip-add/--ip-del and a reboot inside keep routes and proxy
# entries right, stop removes them, and a proxy entry a crash left behind goes.
. "$(dirname "$0")/lib.sh"
plan 41

cat >>"$T_ROOT/etc/vpsctl/vpsctl.conf" <<'CONF'
UPLINK=up0
ROUTED_RANGES="203.0.113.8/29 2001:db8:1::/64"
CONF
PIDS=""
trap 'for p in $PIDS; do kill "$p" 2>/dev/null; done; t_cleanup' EXIT

# The provider's router: 203.0.113.1/24 and 2001:db8:1::1/64 on the uplink's segment, where
# the VPS addresses are on-link as far as it knows (it ARPs and solicits for them).
unshare -n sleep 600 &
INET=$!
PIDS="$PIDS $INET"
wait_for 5 sh -c "[ \"\$(readlink /proc/$INET/ns/net)\" != \"\$(readlink /proc/self/ns/net)\" ]"
ip link add up0 type veth peer name inet0 netns "$INET"
ip addr add 203.0.113.2/24 dev up0 && ip addr add 2001:db8:1::2/64 dev up0 nodad &&
	ip link set up0 up
nsenter -t "$INET" -n sh -c 'ip link set lo up && ip addr add 203.0.113.1/24 dev inet0 &&
	ip addr add 2001:db8:1::1/64 dev inet0 nodad && ip link set inet0 up'
inet() { nsenter -t "$INET" -n "$@"; }
nsenter -t "$INET" -n busybox nc -ll -p 4444 -e /bin/echo internet >/dev/null 2>&1 &
PIDS="$PIDS $!"

build_template
out=$(vpsctl create x --template busybox --net routed --ip 203.0.113.10/24 2>&1)
[ $? != 0 ] && [[ $out == *"a routed VPS's addresses are single hosts (/32)"* ]]
ok $? "a routed address with a prefix is refused, with the reason"
out=$(vpsctl create x --template busybox --net routed --ip 198.51.100.5 2>&1)
[ $? != 0 ] && [[ $out == *"outside the node's routed ranges (203.0.113.8/29 2001:db8:1::/64)"* ]]
ok $? "an address outside ROUTED_RANGES is refused, with the ranges"
out=$(vpsctl create x --template busybox --net venet --ip 203.0.113.10 2>&1)
[ $? != 0 ] && [[ $out == *"invalid --net 'venet': bridged or routed"* ]]
ok $? "an unknown --net is refused"
out=$(vpsctl create x --template busybox --net routed --ip 203.0.113.8 2>&1)
[ $? != 0 ] && [[ $out == *"network address of its subnet (/29)"* ]]
ok $? "a range's network address is refused"

check "create r1 (routed, IPv4 + IPv6)" \
	vpsctl create r1 --template busybox --net routed --ip 203.0.113.10 --ip 2001:db8:1::10
check "create r2 (routed)" vpsctl create r2 --template busybox --net routed --ip 203.0.113.11
check "vps.conf says NET_MODE=routed" grep -q '^NET_MODE="routed"' "$T_ROOT/var/lib/vpsctl/vps/r1/vps.conf"
check "start r1" vpsctl start r1
check "start r2" vpsctl start r2

is "no bridge on the node" "$(ip -o link show type bridge)" ""
! ip -o link show veth-r1 | grep -q master; ok $? "veth-r1 is in no bridge"
like "host route to r1's IPv4 over veth-r1" "$(ip route show 203.0.113.10)" 'dev veth-r1 proto 86'
like "host route to r1's IPv6 over veth-r1" "$(ip -6 route show 2001:db8:1::10)" 'dev veth-r1 proto 86'
like "proxy ARP entry on the uplink" "$(ip neigh show proxy dev up0)" '203\.0\.113\.10'
like "proxy NDP entry on the uplink" "$(ip -6 neigh show proxy dev up0)" '2001:db8:1::10'
like "eth0 inside holds a /32" "$(vpsctl exec r1 -- ip -o addr show dev eth0)" '203\.0\.113\.10/32'
like "default route inside via 169.254.0.1 on-link" "$(vpsctl exec r1 -- ip route)" \
	'default via 169\.254\.0\.1 dev eth0.*onlink'

check "internet -> r1 (ping, proxy ARP)" wait_for 5 inet busybox ping -c1 -W1 203.0.113.10
check "internet -> r1 (ping6, proxy NDP)" wait_for 5 inet busybox ping -6 -c1 -W1 2001:db8:1::10
vpsctl exec r1 -- sh -c 'busybox nc -ll -p 80 -e /bin/echo hello-r1 >/dev/null 2>&1 &'
is "internet -> r1 (TCP)" "$(wait_for 5 sh -c "nsenter -t $INET -n busybox nc -w 2 203.0.113.10 80 </dev/null | grep -q hello-r1" && echo yes)" yes
is "r1 -> internet (TCP)" "$(vpsctl exec r1 -- busybox nc -w 2 203.0.113.1 4444 </dev/null)" internet
check "r1 -> r2, routed through the node" vpsctl exec r1 -- ping -c1 -W2 203.0.113.11

# No L2 between tenants: r2's eth0 sees no frame from r1's MAC while r1 broadcasts, ARPs for
# r2's address and pings it; it sees r1's ping, from the node's MAC.
mac1=$(vpsctl exec r1 -- cat /sys/class/net/eth0/address)
init2=$(json_get "$(vpsctl status r2 --json)" init_pid)
cap=$T_ROOT/r2.pcap
nsenter -t "$init2" -n timeout 6 tcpdump -i eth0 -e -n -U -w "$cap" >/dev/null 2>&1 &
TD=$!
sleep 1
vpsctl exec r1 -- arping -c 2 -w 2 -I eth0 203.0.113.11 >/dev/null 2>&1
vpsctl exec r1 -- ping -b -c 2 -W 1 255.255.255.255 >/dev/null 2>&1
vpsctl exec r1 -- ping -c 3 -W 1 203.0.113.11 >/dev/null 2>&1
vpsctl exec r1 -- ping -6 -c 2 -W 1 ff02::1%eth0 >/dev/null 2>&1
wait "$TD"
frames=$(tcpdump -r "$cap" -e -n 2>/dev/null)
is "r2 sees no frame from r1's MAC ($mac1)" "$(grep -ci "$mac1" <<<"$frames")" 0
like "r2 did see r1's pings (routed by the node)" "$frames" '203\.0\.113\.10 > 203\.0\.113\.11: ICMP echo request'

check "resize r1 --ip-add 203.0.113.12 live" vpsctl resize r1 --ip-add 203.0.113.12
like "route to the new address" "$(ip route show 203.0.113.12)" 'dev veth-r1'
like "proxy entry for it" "$(ip neigh show proxy dev up0)" '203\.0\.113\.12'
check "internet -> the new address" wait_for 5 inet busybox ping -c1 -W1 203.0.113.12
check "resize r1 --ip-del 203.0.113.12 live" vpsctl resize r1 --ip-del 203.0.113.12
unlike "its proxy entry is gone" "$(ip neigh show proxy dev up0)" '203\.0\.113\.12'
is "its route is gone" "$(ip route show 203.0.113.12)" ""

old=$(json_get "$(vpsctl status r1 --json)" init_pid)
vpsctl exec r1 -- reboot
check "reboot inside r1" wait_for 20 sh -c "[ \"\$(json_get \"\$(\"$VPSCTL\" --root \"$T_ROOT\" status r1 --json)\" init_pid)\" != $old ] && ip route show 203.0.113.10 | grep -q veth-r1"
check "after the reboot the internet reaches r1 again" wait_for 10 inet busybox ping -c1 -W1 203.0.113.10
like "and its proxy entry is there" "$(ip neigh show proxy dev up0)" '203\.0\.113\.10'

# A crash leaves proxy entries behind (here: one made by hand in ROUTED_RANGES, with no
# route). A stop removes exactly the stopped VPS's own (no scan of the node's entries, so a
# start or stop costs the same at N=1000): the leftover is `net check --repair`'s.
ip neigh add proxy 203.0.113.13 dev up0
check "stop r1" vpsctl stop r1
nb=$(ip neigh show proxy dev up0)
unlike "r1's proxy entries went with it" "$nb" '203\.0\.113\.10'
unlike "... its IPv6 one too" "$nb" '2001:db8:1::10 '
like "the crash's leftover is not a stop's to remove" "$nb" '203\.0\.113\.13'
like "r2's stays" "$nb" '203\.0\.113\.11'
vpsctl net check --repair >/dev/null 2>&1
nb=$(ip neigh show proxy dev up0)
unlike "net check --repair removes the leftover" "$nb" '203\.0\.113\.13'
check "r2 still answers" inet busybox ping -c1 -W1 203.0.113.11
finish
