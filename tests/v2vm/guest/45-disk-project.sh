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
v exec c -- sh -c 'echo prj > /keep' >/dev/null 2>&1
v exec o -- sh -c 'echo prj > /keep' >/dev/null 2>&1
# backup and restore (issue 17): the files as a tree, the quota made the restoring node's way
check "backup c (project quota, running)" v backup c /tmp/c.tar.zst
check "backup o (overlay, project quota, running)" v backup o /tmp/o.tar.zst
check "stop all" sh -c "$VPSCTL --root $ROOT stop c && $VPSCTL --root $ROOT stop o && $VPSCTL --root $ROOT stop n"
is "status of a stopped project VPS still shows its use" "$(jget c disk_inodes_limit)" 4000
check "restore c as cr" v restore /tmp/c.tar.zst --name cr
check "restore o as or" v restore /tmp/o.tar.zst --name or
is "cr: a project quota of its own with the config's limits" \
	"$(conf cr DISK_QUOTA) $(jget cr disk_size) $(jget cr disk_inodes_limit)" "project 67108864 4000"
is "or: a project quota" "$(conf or DISK_QUOTA) $(jget or disk_size)" "project 50331648"
check "start cr, or" sh -c "$VPSCTL --root $ROOT start cr && $VPSCTL --root $ROOT start or"
is "cr and or have their files" "$(v exec cr -- cat /keep) $(v exec or -- cat /keep)" "prj prj"
out=$(v exec or -- dd if=/dev/zero of=/fill bs=1M count=100 2>&1); rc=$?
case $out in *"quota exceeded"*|*"No space left"*) r=$rc ;; *) r=0 ;; esac
tap_result $(( r == 0 )) "or: its limit holds (100M into 48M: $(echo "$out" | tail -1))"
check "stop cr, or" sh -c "$VPSCTL --root $ROOT stop cr && $VPSCTL --root $ROOT stop or"
check "destroy all" sh -c "for x in c o n cr or; do $VPSCTL --root $ROOT destroy \$x || exit 1; done"
umount "$LIB"

# fallback: the same file system without prjquota accounts project use but enforces no limit:
# the probe must see that and choose the image
mount -o loop /tmp/prj.img "$LIB" || bail "remount failed"
check "create f without prjquota" v create f --template busybox
is "f: the probe falls back to an image" "$(conf f DISK_QUOTA)" image
# a project-quota VPS's archive restored where there are none gets an image, and back
check "restore c's archive here as ci" v restore /tmp/c.tar.zst --name ci
is "ci: an image of the archive's size" "$(conf ci DISK_QUOTA) $(stat -c %s "$BASE/ci/disk.img")" "image 67108864"
check "start ci" v start ci
is "ci has c's file" "$(v exec ci -- cat /keep)" prj
check "start f" v start f
v exec f -- sh -c 'echo img > /keep' >/dev/null 2>&1
check "backup f (image, running)" v backup f /tmp/f.tar.zst
check "stop ci, f" sh -c "$VPSCTL --root $ROOT stop ci && $VPSCTL --root $ROOT stop f"
v destroy ci > /dev/null 2>&1
v destroy f > /dev/null 2>&1
umount "$LIB"
mount -o loop,prjquota /tmp/prj.img "$LIB" || bail "remount with prjquota failed"
check "restore the image VPS's archive on the project-quota node" v restore /tmp/f.tar.zst --name fp
is "fp: a project quota instead of the image" "$(conf fp DISK_QUOTA) $([ -e "$BASE/fp/disk.img" ] || echo no-image)" "project no-image"
check "start fp" v start fp
is "fp has f's file" "$(v exec fp -- cat /keep)" img
v stop fp > /dev/null 2>&1
v destroy fp > /dev/null 2>&1
umount "$LIB"
rm -f /tmp/c.tar.zst /tmp/o.tar.zst /tmp/f.tar.zst
rm -f /tmp/prj.img
rm -rf "$ROOT"
done_testing
