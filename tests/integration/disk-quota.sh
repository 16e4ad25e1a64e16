#!/bin/bash
# A disk quota on every VPS (issue 16 item 2): vpsctl.conf's DEFAULT_DISK (built in: 10G) and
# DEFAULT_DISK_INODES give each new VPS one unless --disk 0 says none (status shows which);
# overlay VPSes get one too (their upper and work on the VPS's own image); a full disk or
# inode table ends in ENOSPC for that VPS only; resize grows live and shrinks a stopped
# image; a create killed midway leaves nothing the next create or destroy cannot clean, and
# no loop device outlives a stop. This node's file systems have no project quotas (its kernel
# lacks QFMT_V2 and XFS_QUOTA), so the probe must choose the image.
. "$(dirname "$0")/lib.sh"
plan 43

VPS=$T_ROOT/var/lib/vpsctl/vps
CONF=$T_ROOT/etc/vpsctl/vpsctl.conf
loops() { losetup -a | grep -c "$T_ROOT" || true; }
df_mb() { inside "$1" 'df -m / | awk "NR==2{print \$2}"'; }
build_template

sed -i '/^DEFAULT_DISK=/d' "$CONF"
out=$(vpsctl create built --template busybox 2>&1); rc=$?
ok $rc "create without --disk or DEFAULT_DISK ($out)"
is "... gets the built-in 10G" "$(conf built DISK)" 10G
is "... as an image (no project quotas here)" "$(conf built DISK_QUOTA)" image
is "... a sparse 10G image" "$(stat -c %s "$VPS/built/disk.img")" 10737418240
vpsctl destroy built >/dev/null

printf 'DEFAULT_DISK=64M\nDEFAULT_DISK_INODES=4000\n' >>"$CONF"
t0=$(date +%s%N)
check "create a (copy) with the node default" vpsctl create a --template busybox
diag "create with a default 64M image: $((($(date +%s%N) - t0) / 1000000)) ms"
is "a: DISK from DEFAULT_DISK" "$(conf a DISK)" 64M
is "a: DISK_INODES from DEFAULT_DISK_INODES" "$(conf a DISK_INODES)" 4000
check "create o (overlay) with the node default" vpsctl create o --template busybox --storage overlay
is "o: an image holds its layers" "$(conf o DISK_QUOTA)" image
[ -f "$VPS/o/disk.img" ] && [ ! -e "$VPS/o/upper" ]; ok $? "o: disk.img, no upper/ on the node's disk"
check "create n --disk none" vpsctl create n --template busybox --disk none
is "n: DISK=0" "$(conf n DISK)" 0
j=$(vpsctl status n --json)
is "n: status says no disk quota" "$(json_get "$j" disk_quota)" none

out=$(vpsctl create x --template busybox --disk 0 --disk-inodes 100 2>&1); rc=$?
[ $rc != 0 ] && [[ $out == *"--disk-inodes needs a disk quota"* ]] && [ ! -e "$VPS/x" ]
ok $? "--disk-inodes without a disk is refused, with the reason ($out)"
out=$(vpsctl create x --template busybox --disk unlimited 2>&1); rc=$?
[ $rc != 0 ] && [[ $out == *"cannot be unlimited"* ]]; ok $? "--disk unlimited is refused ($out)"

check "start a, o and n" sh -c "$VPSCTL --root $T_ROOT start a && $VPSCTL --root $T_ROOT start o && $VPSCTL --root $T_ROOT start n"
s=$(df_mb o); [ "$s" -ge 50 ] && [ "$s" -le 64 ]; ok $? "df / inside the overlay VPS shows its 64M ($s)"
inside o 'echo kept >/root/mark' >/dev/null
out=$(inside o 'dd if=/dev/zero of=/fill bs=1M count=100 2>&1'); rc=$?
[ $rc != 0 ] && [[ $out == *"No space left on device"* ]]; ok $? "overlay: writing 100M into 64M ends in ENOSPC"
diag "dd into the overlay VPS's 64M: $(echo "$out" | tail -1)"
check "the neighbour a still writes 10M" inside a 'dd if=/dev/zero of=/ten bs=1M count=10 2>&1'
check "the node still writes" dd if=/dev/zero of="$T_ROOT/node-file" bs=1M count=10 status=none
check "n (no quota) still writes" inside n 'dd if=/dev/zero of=/ten bs=1M count=10 2>&1'
out=$(inside a 'i=0; while true >/f$i 2>/dev/null; do i=$((i+1)); done; echo made $i; true >/last')
[[ $out == *"No space left on device"* ]] && n=${out#*made } && n=${n%%[!0-9]*} && [ "$n" -le 4000 ]
ok $? "inode exhaustion in a ends in ENOSPC (${out//$'\n'/ })"
check "... the overlay VPS o can still make files" inside o 'rm /fill; : >/newfile'
j=$(vpsctl status a --json)
iu=$(json_get "$j" disk_inodes_used); il=$(json_get "$j" disk_inodes_limit)
[ "$iu" -ge 3900 ] && [ "$il" -le 4100 ] && [ "$il" -ge 3900 ]; ok $? "status: inodes used/limit ($iu/$il)"
[ "$(json_get "$j" disk_size)" -ge $((50 << 20)) ] && [ "$(json_get "$j" disk_used)" -gt 0 ]
ok $? "status: disk used/size ($(json_get "$j" disk_used)/$(json_get "$j" disk_size))"
is "status: disk_quota image" "$(json_get "$j" disk_quota)" image

out=$(vpsctl resize o --disk 128M 2>&1); rc=$?
ok $rc "resize o --disk 128M while running ($out)"
if [[ $out == *"grows at the next start"* ]]; then
	vpsctl stop o >/dev/null && vpsctl start o >/dev/null
fi
s=$(df_mb o); [ "$s" -ge 110 ]; ok $? "... df inside shows it ($s)"
out=$(vpsctl resize o --disk 96M 2>&1); rc=$?
[ $rc != 0 ] && [[ $out == *"only while the VPS is stopped"* ]]; ok $? "a running image does not shrink, with the reason ($out)"
out=$(vpsctl resize a --disk-inodes 9000 2>&1); rc=$?
[ $rc != 0 ] && [[ $out == *"inode count mkfs fixed"* ]]; ok $? "--disk-inodes on an image is refused, with the reason"
out=$(vpsctl resize n --disk 1G 2>&1); rc=$?
[ $rc != 0 ] && [[ $out == *"has no disk quota"* ]]; ok $? "a VPS created without a quota is not given one by resize ($out)"

check "stop all" sh -c "$VPSCTL --root $T_ROOT stop a && $VPSCTL --root $T_ROOT stop o && $VPSCTL --root $T_ROOT stop n"
is "no loop device left after stop" "$(loops)" 0
check "a stopped image shrinks: resize o --disk 96M" vpsctl resize o --disk 96M
check "... and starts with its files" sh -c "$VPSCTL --root $T_ROOT start o && $VPSCTL --root $T_ROOT exec o -- cat /root/mark | grep -q kept"
vpsctl stop o >/dev/null

# a create killed midway: mkfs.ext4 (a stand-in that hangs) is running when create is killed
mkdir -p "$T_ROOT/slowbin"
printf '#!/bin/sh\nsleep 60\n' >"$T_ROOT/slowbin/mkfs.ext4"
chmod +x "$T_ROOT/slowbin/mkfs.ext4"
PATH=$T_ROOT/slowbin:$PATH setsid "$VPSCTL" --root "$T_ROOT" create k --template busybox --disk 64M >/dev/null 2>&1 &
pid=$!
wait_for 10 pgrep -f "$T_ROOT/slowbin/mkfs.ext4"
kill -9 -- -$pid 2>/dev/null
wait $pid 2>/dev/null
left=$(ls -A "$VPS" | grep -c '^\.k\.new$')
diag "the killed create left .k.new: $left"
out=$(vpsctl destroy k 2>&1); rc=$?
[ "$left" = 1 ] && [ $rc = 0 ] && [[ $out == *"removed what a cut-short create, clone or restore left"* ]]
ok $? "destroy removes what the killed create left ($out)"
[ -z "$(ls -A "$VPS" | grep '^\.')" ]; ok $? "nothing hidden is left in the VPS base ($(ls -A "$VPS" | tr '\n' ' '))"
out=$(vpsctl create k --template busybox --disk 64M 2>&1); ok $? "the same create then succeeds ($out)"
# A node that cannot mount an image (no loop devices: /dev covered in a mount namespace of
# the test's own) refuses a create with a quota up front, rather than make a VPS that never
# starts; --disk 0 still works.
noloop() { unshare -m --propagation private sh -c 'mount -t tmpfs none /dev && exec "$@"' sh "$@"; }
out=$(noloop "$VPSCTL" --root "$T_ROOT" create nl --template busybox --disk 64M 2>&1)
like "without loop devices a create with a disk quota is refused, saying why" "$out" \
	"cannot mount a disk image \(/dev/loop-control; 'modprobe loop'\).*--disk 0"
is "... and leaves nothing" "$(ls -A "$VPS" | grep -c 'nl')" 0
check "... while --disk 0 creates it" noloop "$VPSCTL" --root "$T_ROOT" create nl --template busybox --disk 0
vpsctl destroy nl >/dev/null
check "destroy all" sh -c "for v in a o n k; do $VPSCTL --root $T_ROOT destroy \$v || exit 1; done"
is "no loop device left after destroy" "$(loops)" 0
finish
