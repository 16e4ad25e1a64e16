#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Disk quotas as project quotas (issue 16): the VPS base on an ext4 made with the project
# feature and mounted prjquota (the dev host's kernel has no quota format, so only here is
# this path tested). create's probe picks DISK_QUOTA=project for copy and overlay VPSes; df
# inside shows the quota; writing past it ends in EDQUOT/ENOSPC for that VPS only; the inode
# limit holds; resize grows and shrinks it live, refusing a shrink below the use; destroy
# leaves no limit behind. A base without prjquota falls back to the image.
. "${0%/*}/../tap.sh"

VPSCTL=${VPSCTL:-$BUILD_DIR/vpsctl}
ROOT=$(mktemp -d /tmp/vpsctl-root.XXXXXX) || bail "mktemp failed"
v() { timeout -s KILL 240 "$VPSCTL" --root "$ROOT" "$@"; }
# the whole var/lib/vpsctl on it: the VM's / is a tmpfs, which has no id-mapped mounts on its
# kernel (6.1), and an overlay VPS's template tree needs one
LIB=$ROOT/var/lib/vpsctl
BASE=$LIB/vps
mkdir -p "$ROOT/etc/vpsctl" "$LIB"
printf 'CGROUP_PARENT=/vpsctl-prj\nDEFAULT_DISK=64M\nDEFAULT_DISK_INODES=2000\n' > "$ROOT/etc/vpsctl/vpsctl.conf"
conf() { sed -n "s/^$2=\"\(.*\)\"/\1/p" "$BASE/$1/vps.conf"; }
jget() { v status "$1" --json | sed -n "s/.*\"$2\":\"\{0,1\}\([^\",]*\).*/\1/p"; }
df_mb() { v exec "$1" -- df -m / | awk 'NR==2{print $2}'; }

truncate -s 512M /tmp/prj.img
mkfs.ext4 -q -F -O quota,project /tmp/prj.img || bail "mkfs.ext4 -O quota,project failed"
mount -o loop,prjquota /tmp/prj.img "$LIB" || bail "cannot mount an ext4 with prjquota"
mkdir -p "$BASE"

check "template build busybox" v template build busybox
check "create c (copy), node default 64M" v create c --template busybox
is "c: a project quota (probed)" "$(conf c DISK_QUOTA)" project
[ ! -e "$BASE/c/disk.img" ]; tap_result $? "c: no image"
check "create o (overlay)" v create o --template busybox --storage overlay
is "o: a project quota" "$(conf o DISK_QUOTA)" project
check "create n --disk 0" v create n --template busybox --disk 0
is "status of n: no quota" "$(jget n disk_quota)" none
check "start c, o, n" sh -c "$VPSCTL --root $ROOT start c && $VPSCTL --root $ROOT start o && $VPSCTL --root $ROOT start n"
s=$(df_mb c); [ -n "$s" ] && [ "$s" -le 64 ] && [ "$s" -ge 56 ]; tap_result $? "df / in c shows the 64M quota ($s)"
s=$(df_mb o); [ -n "$s" ] && [ "$s" -le 64 ] && [ "$s" -ge 56 ]; tap_result $? "df / in o (overlay) shows it ($s)"
out=$(v exec o -- dd if=/dev/zero of=/fill bs=1M count=100 2>&1); rc=$?
case $out in *"quota exceeded"*|*"No space left"*) r=$rc ;; *) r=0 ;; esac
tap_result $(( r == 0 )) "o: 100M into 64M ends in EDQUOT/ENOSPC ($(echo "$out" | tail -1))"
check "the neighbour c still writes 10M" v exec c -- dd if=/dev/zero of=/ten bs=1M count=10
check "n (no quota) still writes 80M" v exec n -- dd if=/dev/zero of=/big bs=1M count=80
out=$(v exec c -- sh -c 'i=0; while true >/f$i 2>/dev/null; do i=$((i+1)); done; echo made $i' 2>&1)
n=${out#*made }; n=${n%%[!0-9]*}; [ -n "$n" ] && [ "$n" -le 2000 ] && [ "$n" -ge 1000 ]
tap_result $? "c: files stop at the 2000-inode limit ($out)"
iu=$(jget c disk_inodes_used); il=$(jget c disk_inodes_limit)
[ "$il" = 2000 ] && [ "$iu" -ge 1900 ]; tap_result $? "status: inodes $iu/$il"
du=$(jget o disk_used); dl=$(jget o disk_size)
[ "$dl" = 67108864 ] && [ "$du" -ge 60000000 ]; tap_result $? "status: disk $du/$dl"
check "resize o --disk 128M live" v resize o --disk 128M
s=$(df_mb o); [ -n "$s" ] && [ "$s" -ge 120 ]; tap_result $? "... df inside shows it at once ($s)"
out=$(v resize o --disk 32M 2>&1); rc=$?
case $out in *"more than the new disk quota"*) r=$rc ;; *) r=0 ;; esac
tap_result $(( r == 0 )) "a shrink below the use is refused, with the reason ($out)"
v exec o -- rm -f /fill
check "... and after a clean-up it shrinks live: --disk 48M" v resize o --disk 48M
s=$(df_mb o); [ -n "$s" ] && [ "$s" -le 48 ]; tap_result $? "... df inside shows it ($s)"
check "resize c --disk-inodes 4000 live" v resize c --disk-inodes 4000
check "... c makes files again" v exec c -- sh -c 'true >/more'
check "stop all" sh -c "$VPSCTL --root $ROOT stop c && $VPSCTL --root $ROOT stop o && $VPSCTL --root $ROOT stop n"
is "status of a stopped project VPS still shows its use" "$(jget c disk_inodes_limit)" 4000
check "destroy all" sh -c "for x in c o n; do $VPSCTL --root $ROOT destroy \$x || exit 1; done"
umount "$LIB"

# fallback: the same file system without prjquota accounts project use but enforces no limit:
# the probe must see that and choose the image
mount -o loop /tmp/prj.img "$LIB" || bail "remount failed"
check "create f without prjquota" v create f --template busybox
is "f: the probe falls back to an image" "$(conf f DISK_QUOTA)" image
v destroy f > /dev/null 2>&1
umount "$LIB"
rm -f /tmp/prj.img
rm -rf "$ROOT"
done_testing
