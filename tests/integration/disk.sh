#!/bin/bash
# Disk quota (issue 5): --disk gives a VPS a file system of that size; writing past it fails
# with ENOSPC inside and nothing outside; resize --disk grows it (online where the node's root
# has CAP_SYS_RESOURCE, else at the next start: the cgroup-v2 VM suite checks the online
# path); a disk shrinks only while stopped and while its files fit; nothing (mount, loop device) is left after stop and destroy.
. "$(dirname "$0")/lib.sh"
plan 14

build_template
check "create --disk 100M" vpsctl create d --template busybox --disk 100M
img=$T_ROOT/var/lib/vpsctl/vps/d/disk.img
is "a 100M image" "$(stat -c %s "$img")" $((100 * 1024 * 1024))
check "start" vpsctl start d
size_mb() { vpsctl exec d -- df -m / | awk 'NR==2{print $2}'; }
s=$(size_mb); [ "$s" -ge 80 ] && [ "$s" -le 100 ]; ok $? "df inside shows about 100M ($s)"
out=$(vpsctl exec d -- dd if=/dev/zero of=/fill bs=1M count=200 2>&1); rc=$?
[ $rc != 0 ] && [[ $out == *"No space left on device"* ]]; ok $? "writing 200 MB fails with ENOSPC"
w=$(vpsctl exec d -- sh -c 'du -m /fill | cut -f1'); [ "$w" -ge 70 ] && [ "$w" -le 100 ]
ok $? "... after about 100 MB ($w MB)"
check "the node is unaffected (it can still write)" dd if=/dev/zero of="$T_ROOT/node-file" bs=1M count=10
vpsctl exec d -- rm /fill
out=$(vpsctl resize d --disk 300M 2>&1); rc=$?
ok $rc "resize --disk 300M on the running VPS"
if [[ $out == *"grows at the next start"* ]]; then
	diag "this node's root lacks CAP_SYS_RESOURCE: the file system grows at the next start"
	vpsctl stop d >/dev/null && vpsctl start d >/dev/null
fi
s=$(size_mb); [ "$s" -ge 250 ]; ok $? "df inside shows about 300M ($s)"
check "a 200 MB write now goes through" vpsctl exec d -- dd if=/dev/zero of=/fill bs=1M count=200
out=$(vpsctl resize d --disk 50M 2>&1); rc=$?
[ $rc != 0 ] && [[ $out == *"only while the VPS is stopped"* ]]; ok $? "a running disk image does not shrink"
vpsctl stop d >/dev/null
is "no loop device left on the image" "$(losetup -j "$img" | wc -l)" 0
out=$(vpsctl resize d --disk 150M 2>&1); rc=$?
[ $rc != 0 ] && [[ $out == *"cannot shrink the disk image"* ]]; ok $? "a stopped image does not shrink below its files ($out)"
check "destroy" vpsctl destroy d
finish
