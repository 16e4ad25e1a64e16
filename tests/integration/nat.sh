#!/bin/bash
# NAT uplink and port forwards (NAT=yes, UPLINK, FORWARDS): a bridged VPS with a private
# address reaches an "internet" namespace that has no route back to it (the internet sees the
# uplink's address: masquerade), and a forwarded node port reaches into the VPS from there.
# A node port another VPS forwards is refused, saying which; resize adds and removes forwards
# live; a reboot inside keeps them; stop removes them; a flushed table is reported by
# `net check` and restored by `--repair`.
. "$(dirname "$0")/lib.sh"
plan 37

cat >>"$T_ROOT/etc/vpsctl/vpsctl.conf" <<'CONF'
NODE_ADDRESS="10.77.0.1/24 fd77::1/64"
UPLINK="up0"
CONF
PIDS=""
trap 'for p in $PIDS; do kill "$p" 2>/dev/null; done; t_cleanup' EXIT

# The "internet": a process of ours in its own netns, linked to the node by a veth (the
# uplink), with public-ish addresses on both sides and no route to the VPS subnet.
t_internet 198.51.100.1/24 198.51.100.2/24
# A service in the internet that answers each connection with the address it came from.
# nsenter itself, not the inet function: $! must be the listener, which the trap kills
nsenter -t "$INET" -n /usr/bin/python3 -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 4444)); s.listen(8)
while True:
    c, a = s.accept(); c.sendall(("peer=%s\n" % a[0]).encode()); c.close()
' >/dev/null 2>&1 &
PIDS="$PIDS $!"
wait_for 5 sh -c "nsenter -t $INET -n busybox nc -w 1 127.0.0.1 4444 </dev/null | grep -q peer="

build_template
# NAT is off by default: forwards are refused, saying why.
out=$(vpsctl create a --template busybox --ip 10.77.0.2/24 --forward tcp:8022:22 2>&1); rc=$?
[ $rc != 0 ] && [[ $out == *'port forwards need NAT="yes" and an UPLINK in vpsctl.conf'* ]]
ok $? "without NAT=yes a --forward is refused, saying why"
diag "${out//$'\n'/; }"
check "... and no VPS was made" sh -c "! vpsctl status a >/dev/null 2>&1"
echo 'NAT="yes"' >>"$T_ROOT/etc/vpsctl/vpsctl.conf"
sysctl -qw net.ipv4.ip_forward=0 # this test's own network namespace
out=$(vpsctl create x --template busybox --ip 10.77.0.9/24 --forward tcp:99999:22 2>&1); rc=$?
[ $rc != 0 ] && [[ $out == *"invalid --forward 'tcp:99999:22'"* ]]
ok $? "a forward with a bad port is refused, naming it"

check "create a with a forward" vpsctl create a --template busybox --ip 10.77.0.2/24 \
	--ip fd77::2/64 --forward tcp:8022:22
like "vps.conf holds FORWARDS" "$(cat "$T_ROOT/var/lib/vpsctl/vps/a/vps.conf")" 'FORWARDS="tcp:8022:22"'
check "start a" vpsctl start a
is "the start turned net.ipv4.ip_forward on" "$(sysctl -n net.ipv4.ip_forward)" 1
rules=$(nft list table ip vpsctl-nat 2>&1)
like "the masquerade is in vpsctl's table" "$rules" 'oifname "up0" ip saddr 10.77.0.0/24 masquerade'
like "... and a's forward" "$rules" 'iifname "up0" tcp dport 8022 dnat to 10.77.0.2:22'

is "a reaches the internet as the uplink's address (masquerade)" \
	"$(vpsctl exec a -- nc -w 2 198.51.100.2 4444 </dev/null 2>&1)" peer=198.51.100.1
check "... and pings it" vpsctl exec a -- ping -c1 -W2 198.51.100.2

# A "sshd" in the VPS on port 22, reached from the internet through node port 8022.
vpsctl exec a -- sh -c 'nc -ll -p 22 -e /bin/echo vps-ssh </dev/null >/dev/null 2>&1 &'
vpsctl exec a -- sh -c 'nc -ll -p 80 -e /bin/echo vps-web </dev/null >/dev/null 2>&1 &'
wait_for 5 sh -c 'busybox nc -w 1 10.77.0.2 22 </dev/null | grep -q vps-ssh'
is "the internet reaches the VPS through node port 8022" \
	"$(inet busybox nc -w 2 198.51.100.1 8022 </dev/null 2>&1)" vps-ssh

# Clashes: the same node port for another VPS, at create and at resize.
out=$(vpsctl create b --template busybox --ip 10.77.0.3/24 --forward tcp:8022:80 2>&1); rc=$?
[ $rc != 0 ] && [[ $out == *"node port tcp:8022 is already used by VPS 'a'"* ]]
ok $? "another VPS asking node port tcp:8022 is refused, naming the holder"
diag "${out//$'\n'/; }"
check "... and b was not made" sh -c "! vpsctl status b >/dev/null 2>&1"
check "b with another node port" vpsctl create b --template busybox --ip 10.77.0.3/24 \
	--forward udp:8022:53
out=$(vpsctl resize b --forward-add tcp:8022:22 2>&1); rc=$?
[ $rc != 0 ] && [[ $out == *"node port tcp:8022 is already used by VPS 'a'"* ]]
ok $? "resize --forward-add of a's node port is refused, naming the holder"
like "... and b's vps.conf is unchanged" "$(cat "$T_ROOT/var/lib/vpsctl/vps/b/vps.conf")" 'FORWARDS="udp:8022:53"'

# Live changes.
check "resize a --forward-add tcp:8080:80" vpsctl resize a --forward-add tcp:8080:80
is "... reaches the VPS's port 80 at once" \
	"$(inet busybox nc -w 2 198.51.100.1 8080 </dev/null 2>&1)" vps-web
like "... and is saved" "$(cat "$T_ROOT/var/lib/vpsctl/vps/a/vps.conf")" 'FORWARDS="tcp:8022:22 tcp:8080:80"'
check "resize a --forward-del tcp:8080" vpsctl resize a --forward-del tcp:8080
check "... is gone from the rules" sh -c '! nft list table ip vpsctl-nat | grep -q "dport 8080"'
like "... the internet no longer gets in on 8080" \
	"$(inet busybox nc -w 2 198.51.100.1 8080 </dev/null 2>&1)" 'refused|timed out'
out=$(vpsctl resize a --forward-del tcp:8080 2>&1); rc=$?
[ $rc != 0 ] && [[ $out == *"node port tcp:8080 is not forwarded to the VPS"* ]]
ok $? "deleting a forward the VPS has not is refused, saying so"

# A reboot inside plumbs again: the forward is still there and works.
pid1=$(json_get "$(vpsctl status a --json)" init_pid)
vpsctl exec a -- reboot
new_init() { p=$(json_get "$(vpsctl status a --json)" init_pid); [ -n "$p" ] && [ "$p" != 0 ] && [ "$p" != "$pid1" ]; }
check "reboot inside a" wait_for 20 new_init
vpsctl exec a -- sh -c 'nc -ll -p 22 -e /bin/echo vps-ssh </dev/null >/dev/null 2>&1 &'
wait_for 5 sh -c 'busybox nc -w 1 10.77.0.2 22 </dev/null | grep -q vps-ssh'
is "... the forward still reaches in" "$(inet busybox nc -w 2 198.51.100.1 8022 </dev/null 2>&1)" vps-ssh
is "... one copy of the rule" "$(nft list table ip vpsctl-nat | grep -c 'dport 8022')" 1

# An operator's flush: net check reports it, --repair makes it again.
nft flush table ip vpsctl-nat
out=$(vpsctl net check a 2>&1); rc=$?
[ $rc != 0 ] && [[ $out == *"forward tcp:8022:22 is missing"* ]] &&
	[[ $out == *"10.77.0.1/24 is not masqueraded out of uplink 'up0'"* ]]
ok $? "net check reports the flushed forward and masquerade"
diag "${out//$'\n'/; }"
check "net check --repair" vpsctl net check --repair a
check "... then net check is clean" vpsctl net check a
is "... and the forward works again" "$(inet busybox nc -w 2 198.51.100.1 8022 </dev/null 2>&1)" vps-ssh

# Stop removes the VPS's forwards; the table goes with the last VPS on the bridge.
check "start b" vpsctl start b
check "stop a" vpsctl stop --force a
check "... a's forwards are gone" sh -c '! nft list table ip vpsctl-nat | grep -q "fwd-veth-a "'
check "stop b" vpsctl stop --force b
check "... the last stop removes the table" sh -c '! nft list table ip vpsctl-nat'
check "destroy a frees its node port for b" sh -c "$(declare -f vpsctl); VPSCTL=$VPSCTL T_ROOT=$T_ROOT; vpsctl destroy --force a && vpsctl resize b --forward-add tcp:8022:22"
finish
