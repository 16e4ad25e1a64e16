#!/bin/bash
# User namespaces (issue 6, test 15): each VPS gets its own 65536-id range; root inside is an
# unprivileged host id; what it creates is owned on the host by its range, never by host root;
# two VPSes have disjoint ranges; a destroyed VPS's range is reused; --privileged opts out.
. "$(dirname "$0")/lib.sh"
plan 16

build_template
check "create a" vpsctl create a --template busybox
check "create b" vpsctl create b --template busybox
check "create p --privileged" vpsctl create p --template busybox --privileged
base() { sed -n 's/^UID_BASE="\([0-9]*\)"/\1/p' "$T_ROOT/var/lib/vpsctl/vps/$1/vps.conf"; }
ba=$(base a); bb=$(base b)
[ -n "$ba" ] && [ -n "$bb" ] && { [ $((ba + 65536)) -le "$bb" ] || [ $((bb + 65536)) -le "$ba" ]; }
ok $? "a and b have disjoint ranges ($ba, $bb)"
is "p has no user namespace" "$(sed -n 's/^USERNS="\(.*\)"/\1/p' "$T_ROOT/var/lib/vpsctl/vps/p/vps.conf")" no
is "a's root filesystem belongs to its range" "$(stat -c %u:%g "$T_ROOT/var/lib/vpsctl/vps/a/rootfs/etc/passwd")" "$ba:$ba"
check "start a" vpsctl start a
check "start b" vpsctl start b
init=$(json_get "$(vpsctl status a --json)" init_pid)
is "a's init runs as its range's first id on the host" "$(awk '/^Uid:/{print $2}' /proc/$init/status)" "$ba"
is "uid_map inside" "$(vpsctl exec a -- cat /proc/self/uid_map | xargs)" "0 $ba 65536"
is "root inside is uid 0 there" "$(vpsctl exec a -- id -u)" 0
vpsctl exec a -- sh -c 'echo x > /root/made-inside; adduser -D -u 1000 u1 2>/dev/null; touch /tmp/t; chown 1000 /tmp/t'
is "a file made inside is owned by the range on the host" "$(stat -c %u "$T_ROOT/var/lib/vpsctl/vps/a/rootfs/root/made-inside")" "$ba"
is "uid 1000 inside is base+1000 outside" "$(stat -c %u "$T_ROOT/var/lib/vpsctl/vps/a/rootfs/tmp/t")" "$((ba + 1000))"
n=$(find "$T_ROOT/var/lib/vpsctl/vps/a/rootfs" -newer "$T_ROOT/var/lib/vpsctl/vps/a/vps.conf" -uid 0 | wc -l)
is "nothing the VPS made is owned by host root" "$n" 0
vpsctl stop --force a >/dev/null; vpsctl stop --force b >/dev/null
vpsctl destroy a >/dev/null
check "create c after destroying a" vpsctl create c --template busybox
is "c reuses a's freed range" "$(base c)" "$ba"
finish
