#!/bin/bash
# Overlay storage (busybox template): near-instant creates that cost almost no disk, one VPS's
# writes invisible to the others and to the shared tree, destroy keeps the shared tree, and
# `template remove` refused while an overlay VPS uses it (not while only copies do).
. "$(dirname "$0")/lib.sh"
plan 29

TPL=$T_ROOT/var/lib/vpsctl/templates
VPS=$T_ROOT/var/lib/vpsctl/vps
N_TIMED=20

# Every entry of the shared tree with its size, mode and mtime: any write would change it.
tree_digest() { (cd "$TPL/trees/busybox.rootfs" && find . -printf '%p %s %m %T@\n' | sort | md5sum); }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

build_template
check "first overlay create" vpsctl create o1 --template busybox --storage overlay
check "it unpacked the shared tree once" test -x "$TPL/trees/busybox.rootfs/bin/busybox"
is "vps.conf says overlay" "$(sed -n 's/^STORAGE="\(.*\)"/\1/p' "$VPS/o1/vps.conf")" overlay
check "lower links to the shared tree" test "$(readlink "$VPS/o1/lower")" = "$(realpath "$TPL/trees/busybox.rootfs")"
before=$(tree_digest)

# Creates after the first: time each one and the disk they take.
times=""
kb0=$(du -sk "$VPS" | cut -f1)
fails=0
for i in $(seq 1 $N_TIMED); do
	t0=$(now_ms)
	vpsctl create "t$i" --template busybox --storage overlay >/dev/null 2>&1 || fails=$((fails + 1))
	times="$times $(($(now_ms) - t0))"
done
kb1=$(du -sk "$VPS" | cut -f1)
is "$N_TIMED overlay creates" "$fails" 0
median=$(echo "$times" | tr ' ' '\n' | grep . | sort -n | sed -n "$((N_TIMED / 2))p")
per_vps=$(((kb1 - kb0) / N_TIMED))
diag "overlay create: median ${median} ms (of $N_TIMED: $times), ${per_vps} KiB per VPS"
check "an overlay VPS takes under 256 KiB of disk" test "$per_vps" -lt 256
for i in $(seq 1 $N_TIMED); do vpsctl destroy "t$i" >/dev/null 2>&1; done
is "the timed VPSes are gone" "$(ls "$VPS" | grep -c '^t')" 0

# The node's default applies when --storage is not given.
echo 'STORAGE=overlay' >>"$T_ROOT/etc/vpsctl/vpsctl.conf"
check "create o2 with the node default" vpsctl create o2 --template busybox
is "o2 is overlay too" "$(sed -n 's/^STORAGE="\(.*\)"/\1/p' "$VPS/o2/vps.conf")" overlay
sed -i '/^STORAGE=/d' "$T_ROOT/etc/vpsctl/vpsctl.conf"
check "o2's rootfs on the host is an empty mount point" test -z "$(ls -A "$VPS/o2/rootfs")"

check "start o1" vpsctl start o1
check "start o2" vpsctl start o2
check "o1 writes a file" vpsctl exec o1 -- sh -c 'echo mine > /root/only-o1 && rm /etc/hosts'
is "o1 reads it back" "$(vpsctl exec o1 -- cat /root/only-o1)" mine
check "o2 does not see it" vpsctl exec o2 -- test ! -e /root/only-o1
check "o2 still has the /etc/hosts o1 deleted" vpsctl exec o2 -- test -s /etc/hosts
check "the change is in o1's upper layer" test -f "$VPS/o1/upper/root/only-o1"
is "the shared tree is unchanged" "$(tree_digest)" "$before"
is "the host has no overlay mount of a VPS" "$(grep -c "$VPS" /proc/self/mountinfo)" 0

out=$(vpsctl template remove busybox 2>&1); rc=$?
[ $rc != 0 ]; ok $? "template remove refused while overlay VPSes use it"
like "naming them" "$out" 'overlay VPS.*(o1|o2)'
check "the template is still there" test -s "$TPL/busybox.meta" -a -d "$TPL/trees/busybox.rootfs"

check "destroy --force o1" vpsctl destroy --force o1
check "o1's storage is gone, the shared tree kept" test ! -e "$VPS/o1" -a -x "$TPL/trees/busybox.rootfs/bin/busybox"
check "o2 still runs" vpsctl exec o2 -- cat /etc/hostname

# Copies do not hold a template: once the last overlay VPS is gone it can be removed.
vpsctl destroy --force o2 >/dev/null
check "a copy VPS" vpsctl create c1 --template busybox --storage copy
check "template remove with only a copy VPS left" vpsctl template remove busybox
check "template files and shared tree gone" test ! -e "$TPL/busybox.meta" -a ! -e "$TPL/trees/busybox.rootfs" -a ! -e "$TPL/busybox.tar.zst"
vpsctl start c1 >/dev/null 2>&1
is "the copy VPS runs without its template" "$(vpsctl exec c1 -- cat /etc/hostname)" c1
vpsctl destroy --force c1 >/dev/null
finish
