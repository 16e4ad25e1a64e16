#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# vps-netsetup on the real kernel: bridge, two VPS namespaces, pings over IPv4 and IPv6,
# anti-spoofing, bandwidth caps, traffic counters, teardown. TAP output.
#
# Everything happens inside a network namespace of our own that plays the node: the script
# re-executes itself under `unshare -n`. The "VPSes" are `unshare -n sleep` children. Only
# processes this script started are killed, by PID.
set -u

if [ "${NETSETUP_IN_NETNS:-}" != 1 ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "1..0 # SKIP needs root"
		[ "${CI:-}" = true ] && exit 1 # CI runs as root: a skip there is a failure
		exit 77
	fi
	NETSETUP_IN_NETNS=1 exec unshare -n -- bash "$0" "$@"
fi

T=${VPS_NETSETUP:-${BUILD_DIR:-build}/vps-netsetup}
TMP=$(mktemp -d /tmp/netsetup-test.XXXXXX)
export VPSCTL_ROOT=$TMP # the node-services lock goes under it, as vpsctl's would
PIDS=()
N=0
FAILED=0

cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf "$TMP"
}
trap cleanup EXIT

ok() { # ok CONDITION-EXIT-CODE MESSAGE
	N=$((N + 1))
	if [ "$1" = 0 ]; then
		echo "ok $N - $2"
	else
		echo "not ok $N - $2"
		FAILED=$((FAILED + 1))
	fi
}

check() { # check MESSAGE COMMAND...
	local msg=$1
	shift
	"$@" >"$TMP/out" 2>&1
	local r=$?
	ok $r "$msg"
	[ $r = 0 ] || sed 's/^/# /' "$TMP/out"
}

check_fails() { # check_fails MESSAGE COMMAND...
	local msg=$1
	shift
	"$@" >"$TMP/out" 2>&1
	local r=$?
	[ $r != 0 ] && ok 0 "$msg" || ok 1 "$msg"
}

vps() { # vps PID CMD...: run a command inside a VPS's network namespace
	local p=$1
	shift
	nsenter -t "$p" -n -- "$@"
}

new_vps() {
	unshare -n sleep 1000 &
	PIDS+=($!)
}

icmp_in_echos() { # ICMP echo requests the node's own stack has received
	awk '/^Icmp:/ { if (!h) { for (i = 2; i <= NF; i++) if ($i == "InEchos") c = i; h = 1 }
	                else print $c }' /proc/net/snmp
}

mac_of() { # mac_of [PID] IFNAME: /sys shows the host's links, so ask ip
	if [ $# = 2 ]; then
		nsenter -t "$1" -n -- ip -o link show dev "$2"
	else
		ip -o link show dev "$1"
	fi | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p'
}

stat_of() { # stat_of IFNAME KEY
	"$T" stats --host-if "$1" | awk -v k="$2" '$1 == k { print $2 }'
}

# Bits per second received by a listener in $1 ("node" or a VPS pid) from a sender in $2,
# sending zeros to IP:PORT for 2 seconds. Timed until the listener has seen the end: a killed
# sender's socket still drains its buffer at the capped rate.
throughput() {
	local rx=$1 tx=$2 ip=$3 port=$4 lpid t0 t1
	rm -f "$TMP/rx"
	# -e: the listener hands the connection to wc (its own stdin would end it early)
	if [ "$rx" = node ]; then
		timeout 15 busybox nc -l -p "$port" -e sh -c "wc -c > $TMP/rx" </dev/null &
	else
		nsenter -t "$rx" -n -- timeout 15 busybox nc -l -p "$port" \
			-e sh -c "wc -c > $TMP/rx" </dev/null &
	fi
	lpid=$!
	PIDS+=($lpid)
	sleep 0.5
	t0=$(date +%s%N)
	if [ "$tx" = node ]; then
		timeout 2 busybox nc "$ip" "$port" </dev/zero
	else
		nsenter -t "$tx" -n -- timeout 2 busybox nc "$ip" "$port" </dev/zero
	fi
	wait $lpid
	t1=$(date +%s%N)
	echo $(($(cat "$TMP/rx" 2>/dev/null || echo 0) * 8 * 1000 / ((t1 - t0) / 1000000)))
}

ip link set lo up

# --- bridge ---------------------------------------------------------------------------------
check "bridge vpsbr0 created" "$T" bridge vpsbr0 --addr 10.77.0.1/24 --addr fd77::1/64
check "an existing bridge is left alone" "$T" bridge vpsbr0 --addr 10.99.0.1/24
! ip -o addr show dev vpsbr0 | grep -q 10.99.0.1
ok $? "no address added to the existing bridge"
BRMAC=$(mac_of vpsbr0)
[ -n "$BRMAC" ]
ok $? "bridge has a MAC ($BRMAC)"

# --- two VPSes ------------------------------------------------------------------------------
new_vps
A=${PIDS[-1]}
new_vps
B=${PIDS[-1]}
sleep 0.2
check "plumb VPS a" "$T" plumb --pid "$A" --host-if veth-a --bridge vpsbr0 \
	--ip 10.77.0.2/24 --ip fd77::2/64 --gw 10.77.0.1 --gw fd77::1
check "plumb VPS b" "$T" plumb --pid "$B" --host-if veth-b --bridge vpsbr0 \
	--ip 10.77.0.3/24 --ip fd77::3/64 --gw 10.77.0.1 --gw fd77::1
[ "$(vps "$A" ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | sort | tr '\n' ' ')" = "eth0 lo " ]
ok $? "VPS a sees only lo and eth0"
vps "$A" ip -o addr show dev eth0 | grep -q 'inet 10.77.0.2/24' &&
	vps "$A" ip -o addr show dev eth0 | grep -q 'inet6 fd77::2/64' &&
	! vps "$A" ip -o addr show | grep -q '10.77.0.3'
ok $? "VPS a has its own addresses only"
vps "$A" ip route show | grep -q 'default via 10.77.0.1 dev eth0' &&
	vps "$A" ip -6 route show | grep -q 'default via fd77::1 dev eth0'
ok $? "default routes via the node's bridge addresses"
ip -o link show dev veth-a | grep -q 'master vpsbr0 state UP'
ok $? "node end enslaved to vpsbr0"

check "VPS a pings the node (IPv4)" vps "$A" busybox ping -c 2 -W 2 10.77.0.1
check "VPS a pings VPS b (IPv4)" vps "$A" busybox ping -c 2 -W 2 10.77.0.3
check "VPS a pings VPS b (IPv6)" vps "$A" busybox ping6 -c 2 -W 2 fd77::3
check "VPS b pings the node (IPv6)" vps "$B" busybox ping6 -c 2 -W 2 fd77::1
check "the node pings VPS b" busybox ping -c 1 -W 2 10.77.0.3

"$T" show "$A" >"$TMP/show" 2>&1
grep -q 'eth0 inet 10.77.0.2/24' "$TMP/show" && grep -q 'veth-a' "$TMP/show" &&
	grep -q 'anti-spoofing on' "$TMP/show"
ok $? "show lists addresses and the node end"
grep -q "node services from 'vpsbr0': closed" "$TMP/show" &&
	nft list set inet vpsctl ifaces | grep -q '"vpsbr0"'
ok $? "plumb closed the node's services on the bridge (table inet vpsctl)"
check "plumb again re-applies without error" "$T" plumb --pid "$A" --host-if veth-a \
	--bridge vpsbr0 --ip 10.77.0.2/24 --ip fd77::2/64 --gw 10.77.0.1 --gw fd77::1
check "and VPS a still reaches the node" vps "$A" busybox ping -c 1 -W 2 10.77.0.1

# --- anti-spoofing --------------------------------------------------------------------------
# A takes B's address and knows the node's MAC, so spoofed echo requests do leave it; the
# node's ICMP counter proves none of them arrives.
vps "$A" ip addr add 10.77.0.3/32 dev eth0
vps "$A" ip neigh replace 10.77.0.1 lladdr "$BRMAC" dev eth0 nud permanent
ip neigh flush dev vpsbr0 2>/dev/null
before=$(icmp_in_echos)
check_fails "ping from a spoofed address fails" vps "$A" busybox ping -c 3 -W 1 -I 10.77.0.3 10.77.0.1
[ "$(icmp_in_echos)" = "$before" ]
ok $? "no spoofed echo request reached the node ($before before and after)"
vps "$A" busybox arping -c 2 -U -I eth0 -s 10.77.0.3 10.77.0.1 >/dev/null 2>&1
AMAC=$(mac_of "$A" eth0)
[ -n "$AMAC" ] && ! ip neigh show 10.77.0.3 | grep -qi "$AMAC"
ok $? "ARP for b's address from a does not poison the node's neighbour table"
vps "$A" ip addr del 10.77.0.3/32 dev eth0
before=$(icmp_in_echos)
check "a's own address still works" vps "$A" busybox ping -c 1 -W 2 10.77.0.1
[ "$(icmp_in_echos)" -gt "$before" ]
ok $? "and its echo requests do reach the node"

vps "$A" ip link set dev eth0 address 02:00:00:00:99:99
before=$(icmp_in_echos)
check_fails "ping with a changed MAC fails" vps "$A" busybox ping -c 2 -W 1 10.77.0.1
[ "$(icmp_in_echos)" = "$before" ]
ok $? "nothing from the changed MAC reached the node"
vps "$A" ip link set dev eth0 address "$AMAC"

# --- traffic counters -----------------------------------------------------------------------
rx0=$(stat_of veth-a rx_bytes)
tx0=$(stat_of veth-a tx_bytes)
vps "$A" busybox ping -c 5 -s 1000 -i 0.2 -W 2 10.77.0.1 >/dev/null 2>&1
rx1=$(stat_of veth-a rx_bytes)
tx1=$(stat_of veth-a tx_bytes)
[ $((rx1 - rx0)) -ge 5000 ] && [ $((tx1 - tx0)) -ge 5000 ]
ok $? "counters grow by at least the pinged bytes (rx +$((rx1 - rx0)), tx +$((tx1 - tx0)))"

# --- bandwidth ------------------------------------------------------------------------------
check "cap VPS b at 10mbit" "$T" plumb --pid "$B" --host-if veth-b --bridge vpsbr0 \
	--ip 10.77.0.3/24 --ip fd77::3/64 --gw 10.77.0.1 --gw fd77::1 --bandwidth 10mbit
down=$(throughput "$B" node 10.77.0.3 5001)
[ "$down" -gt 1000000 ] && [ "$down" -lt 20000000 ]
ok $? "node -> b under 2x the 10mbit cap: $down bit/s"
# b's upload goes to VPS a: the node's own services are closed to VPSes (node services).
up=$(throughput "$A" "$B" 10.77.0.2 5002)
[ "$up" -gt 1000000 ] && [ "$up" -lt 20000000 ]
ok $? "b -> a under 2x the 10mbit cap: $up bit/s"
check "raise b to 50mbit live" "$T" plumb --pid "$B" --host-if veth-b --bridge vpsbr0 \
	--ip 10.77.0.3/24 --ip fd77::3/64 --gw 10.77.0.1 --gw fd77::1 --bandwidth 50mbit
down=$(throughput "$B" node 10.77.0.3 5003)
[ "$down" -gt 20000000 ] && [ "$down" -lt 100000000 ]
ok $? "node -> b follows the new cap: $down bit/s"
check "remove the cap" "$T" plumb --pid "$B" --host-if veth-b --bridge vpsbr0 \
	--ip 10.77.0.3/24 --ip fd77::3/64 --gw 10.77.0.1 --gw fd77::1 --bandwidth 0
! tc qdisc show dev veth-b | grep -q tbf && ! ip link show dev ifb-b >/dev/null 2>&1
ok $? "no tbf and no ifb left after removing the cap"

# --- bad input ------------------------------------------------------------------------------
new_vps
C=${PIDS[-1]}
check_fails "--ip 999.1.1.1/24 is refused" "$T" plumb --pid "$C" --host-if veth-c --ip 999.1.1.1/24
check_fails "--bandwidth fast is refused" "$T" plumb --pid "$C" --host-if veth-c \
	--ip 10.77.0.4/24 --bandwidth fast
! ip link show dev veth-c >/dev/null 2>&1 && [ "$(wc -l <"$TMP/out")" = 1 ]
ok $? "one-line error and nothing created"

# --- teardown -------------------------------------------------------------------------------
"$T" plumb --pid "$A" --host-if veth-a --bridge vpsbr0 --ip 10.77.0.2/24 --bandwidth 10mbit \
	>/dev/null 2>&1
"$T" teardown --host-if veth-a && "$T" teardown --host-if veth-b && "$T" teardown --host-if veth-a
ok $? "teardown (twice is fine)"
! ip -o link show | grep -qE 'veth-|ifb-' && ! vps "$A" ip -o link show | grep -q eth0
ok $? "no veth or ifb left on the node, eth0 gone from the VPS"
! nft list table inet vpsctl >/dev/null 2>&1
ok $? "the last teardown removed the node-services table"

echo "1..$N"
[ "$FAILED" = 0 ]
