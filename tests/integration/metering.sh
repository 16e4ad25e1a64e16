#!/bin/bash
# Metered traffic: a VPS's rx/tx bytes and packets over a billing period survive a reboot
# inside, a restart, a stop (list -o while stopped) and a stop after its supervisor was
# SIGKILLed, and `net reset-counters` starts a new period. The traffic is a known amount:
# 500 echo requests of 1400 data bytes from the node, each a 1442-byte frame each way
# (1400 + ICMP 8 + IPv4 20 + Ethernet 14); the counters must be within 1 % of it.
. "$(dirname "$0")/lib.sh"
plan 26

echo 'NODE_ADDRESS="10.77.0.1/24"' >>"$T_ROOT/etc/vpsctl/vpsctl.conf"
FRAME=1442
N=500

# within DESCRIPTION GOT WANT: |GOT - WANT| <= 1 % of WANT
within() {
	if awk -v g="$2" -v w="$3" 'BEGIN { d = g - w; if (d < 0) d = -d; exit !(g != "" && d <= w / 100) }'; then
		ok 0 "$1"
	else
		ok 1 "$1"
		diag "got '$2', want $3 +- 1 %"
	fi
}
send() { busybox ping -A -q -c "$N" -s 1400 -W 5 10.77.0.2 >/dev/null 2>&1; }
stat() { json_get "$(vpsctl stats m --json)" "$1"; }
field() { vpsctl list -o "$1" | awk -v n=m 'NR > 1 { print $1 }'; }

build_template
check "create m" vpsctl create m --template busybox --ip 10.77.0.2/24
check "start m" vpsctl start m
check "net reset-counters m" vpsctl net reset-counters m
[ "$(stat net_period_start)" -ge "$(($(date +%s) - 5))" ] 2>/dev/null
ok $? "the period starts now ($(stat net_period_start))"
check "send $N echo requests to m" send
within "received bytes" "$(stat net_rx_bytes)" $((N * FRAME))
within "sent bytes" "$(stat net_tx_bytes)" $((N * FRAME))
within "received packets" "$(stat net_rx_packets)" $N

old=$(json_get "$(vpsctl status m --json)" init_pid)
vpsctl exec m -- reboot
check "reboot inside m" wait_for 20 sh -c "[ \"\$(json_get \"\$(\"$VPSCTL\" --root \"$T_ROOT\" status m --json)\" init_pid)\" != $old ] && ip link show veth-m"
within "the bytes survive the reboot inside" "$(stat net_rx_bytes)" $((N * FRAME))
check "send $N more" wait_for 10 send
within "... and are added" "$(stat net_rx_bytes)" $((2 * N * FRAME))

check "restart m" vpsctl restart m
within "the bytes survive a restart" "$(stat net_tx_bytes)" $((2 * N * FRAME))
check "send $N more" wait_for 10 send
check "stop m" vpsctl stop m
within "list -o net_rx_bytes of the stopped VPS" "$(vpsctl list -o name,net_rx_bytes | awk '$1 == "m" { print $2 }')" $((3 * N * FRAME))

# The supervisor SIGKILLed: the stop that cleans up after it still counts the veth.
check "start m again" vpsctl start m
wait_supervised m
check "send $N more" wait_for 10 send
kill -9 "$(json_get "$(vpsctl status m --json)" supervisor_pid)"
check "stop m after its supervisor was killed" vpsctl stop m
# A SIGKILLed supervisor may still be exiting when this stop opens it: the stop must not take
# its exit for a stop (it did, now and then, and left init running with its veth).
is "nothing of m runs after that stop" \
	"$(for d in $(cgroup_dirs | grep '/m$'); do cat "$d/cgroup.procs"; done 2>/dev/null | xargs)" ""
within "the traffic of that run is counted" \
	"$(vpsctl list -o name,net_tx_bytes | awk '$1 == "m" { print $2 }')" $((4 * N * FRAME))

# The stop removed the veth; the kernel may still be destroying the VPS's netns a moment.
check "the stopped VPS's veth is gone" wait_for 20 sh -c '! ip link show veth-m'
check "net reset-counters m (stopped)" vpsctl net reset-counters m
is "a new period starts from zero" "$(vpsctl list -o name,net_rx_bytes,net_tx_packets | awk '$1 == "m" { print $2 " " $3 }')" "0 0"
out=$(vpsctl net reset-counters nosuch 2>&1)
[ $? != 0 ] && [[ $out == *"nosuch"*"no such VPS"* ]]
ok $? "reset-counters of a VPS that does not exist is refused"
finish
