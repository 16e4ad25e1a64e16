#!/bin/bash
# I/O limits (issue 16, item 3): --io-write-bps and friends throttle the devices holding a
# VPS's storage (its disk image's loop device and the disk under it), are saved in vps.conf,
# change live in resize (unlimited removes the rule), and stats counts the bytes; --io-weight
# lands on v1's weight file along its whole range, with a warning where the disk's scheduler
# ignores weights; bad values are refused with their reason. The rate checks are loose
# behaviour checks (a throttled write is at most 1.5x the limit), not benchmarks.
. "$(dirname "$0")/lib.sh"

BLKIO=/sys/fs/cgroup/blkio
if [ ! -e "$BLKIO/blkio.throttle.write_bps_device" ]; then
	echo "1..0 # SKIP no v1 blkio hierarchy (the cgroup-v2 VM suite checks io.max)"
	exit 0
fi
plan 27

build_template
dir=$T_ROOT/var/lib/vpsctl/vps/v
check "create --disk 100M --io-write-bps 2M" vpsctl create v --template busybox --disk 100M --io-write-bps 2M
grep -qx 'IO_WRITE_BPS="*2M"*' "$dir/vps.conf"; ok $? "vps.conf holds IO_WRITE_BPS=2M"
check "start" vpsctl start v
cg=$BLKIO$T_CGPARENT/v
loopdev() { losetup -j "$dir/disk.img" | cut -d: -f1; }
loop=$(loopdev)
loopmm=$(printf '%d:%d' "0x$(stat -c %t "$loop")" "0x$(stat -c %T "$loop")")
disk=$(stat -c '%Hd:%Ld' "$dir")
diag "loop device $loop ($loopmm), directory on $disk"
grep -qx "$loopmm 2097152" "$cg/blkio.throttle.write_bps_device"
ok $? "the loop device $loopmm is throttled to 2M on the host"
! grep -q "^$disk " "$cg/blkio.throttle.write_bps_device"
ok $? "... and not the disk under the image, $disk (each request would wait twice)"

# dd_secs MB: seconds (with decimals) a direct write of MB megabytes inside takes
dd_secs() {
	local t0 t1
	t0=$(date +%s.%N)
	vpsctl exec v -- dd if=/dev/zero of=/ddfile bs=1M count="$1" oflag=direct >/dev/null 2>&1 || return 1
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f\n", b - a }'
}
# holds EXPR: an awk condition on numbers
holds() { awk "BEGIN { exit !($1) }"; }
slow=$(dd_secs 20); ok $? "a 20 MB direct write inside at 2M/s"
diag "20 MB at 2M/s: $slow s"
holds "$slow >= 20 / 3"
ok $? "... is throttled: $slow s, at most 1.5x the limit (>= 6.7 s)"

check "resize --io-write-bps 8M live" vpsctl resize v --io-write-bps 8M
grep -qx "$loopmm 8388608" "$cg/blkio.throttle.write_bps_device"
ok $? "the host's rule shows 8M"
fast=$(dd_secs 20); diag "20 MB at 8M/s: $fast s"
holds "$fast < $slow / 2 && $fast >= 20 / 12"
ok $? "... the same write is faster ($fast s), and still throttled (>= 1.7 s)"

check "resize --io-write-bps unlimited" vpsctl resize v --io-write-bps unlimited
is "no rule left in blkio.throttle.write_bps_device" "$(cat "$cg/blkio.throttle.write_bps_device")" ""
grep -qx 'IO_WRITE_BPS="*unlimited"*' "$dir/vps.conf"; ok $? "vps.conf says unlimited"

st=$(vpsctl stats v --json)
wb=$(json_get "$st" io_write_bytes)
[ "${wb:-0}" -ge $((40 * 1024 * 1024)) ] && [ "$wb" -lt $((60 * 1024 * 1024)) ]
ok $? "stats: io_write_bytes $wb, the 40 MB written, counted once"
vpsctl stats v | grep -q '^io: .* written [0-9]* bytes'; ok $? "stats text has an io line"

# --io-weight on v1: the weight file the group has, along its range
wfile=
for f in blkio.bfq.weight blkio.weight; do [ -e "$cg/$f" ] && wfile=$f && break; done
if [ -n "$wfile" ]; then
	if [ "$wfile" = blkio.bfq.weight ]; then want="100 182 1000"; else want="500 545 1000"; fi
	got=
	for w in 100 1000 10000; do
		vpsctl resize v --io-weight $w >/dev/null 2>&1
		got="$got $(awk '/^default/{print $2; exit} {print $1; exit}' "$cg/$wfile")"
	done
	is "--io-weight 100, 1000, 10000 in $wfile" "${got# }" "$want"
else
	ok 0 "# SKIP no blkio weight file in this kernel"
fi

# the warning names the disk's scheduler when it is not bfq
ddev=$(readlink "/sys/dev/block/$disk" 2>/dev/null)
sched=$(sed -n 's/.*\[\(.*\)\].*/\1/p' "/sys/dev/block/$disk/queue/scheduler" 2>/dev/null)
out=$(vpsctl resize v --io-weight 500 2>&1)
if [ -n "$sched" ] && [ "$sched" != bfq ]; then
	[[ $out == *"warning: --io-weight 500 has no effect: ${ddev##*/} ($disk) runs $sched, which ignores weights (bfq honours them)"* ]]
	ok $? "resize --io-weight warns: $out"
else
	[[ $out != *warning* ]]; ok $? "no warning under $sched"
fi
out=$(vpsctl resize v --io-weight 100 2>&1)
[[ $out != *warning* ]]; ok $? "no warning for the default weight"

# refusals, with their reasons; vps.conf stays as it was
cp "$dir/vps.conf" "$T_ROOT/conf.before"
out=$(vpsctl resize v --io-write-bps 100 2>&1); rc=$?
[ $rc != 0 ] && [[ $out == *"--io-write-bps 100 is below the minimum 4K (0 = no limit)"* ]]
ok $? "--io-write-bps 100 is refused: $out"
out=$(vpsctl resize v --io-read-iops lots 2>&1); rc=$?
[ $rc != 0 ] && [[ $out == *"invalid --io-read-iops 'lots'"* ]]
ok $? "--io-read-iops lots is refused: $out"
cmp -s "$dir/vps.conf" "$T_ROOT/conf.before"; ok $? "vps.conf unchanged by the refusals"
check "--io-write-iops 0 means none" vpsctl resize v --io-write-iops 0 --io-read-iops 300
grep -qx "$loopmm 300" "$cg/blkio.throttle.read_iops_device" &&
	[ -z "$(cat "$cg/blkio.throttle.write_iops_device")" ]
ok $? "read iops 300 set, no write iops rule"

# a restart attaches a loop device anew: the limit follows it
vpsctl resize v --io-write-bps 3M >/dev/null
vpsctl stop v >/dev/null && vpsctl start v >/dev/null
loop=$(loopdev)
loopmm2=$(printf '%d:%d' "0x$(stat -c %t "$loop")" "0x$(stat -c %T "$loop")")
grep -qx "$loopmm2 3145728" "$cg/blkio.throttle.write_bps_device" &&
	[ "$(grep -c . "$cg/blkio.throttle.write_bps_device")" = 1 ]
ok $? "after a restart the new loop device $loopmm2 has the 3M rule, and no stale rule is left"
check "destroy" vpsctl destroy --force v

# copy storage without an image: the disk under the VPS's directory is throttled
check "create and start a copy VPS with --io-read-bps 5M" sh -c \
	"$VPSCTL --root $T_ROOT create w --template busybox --io-read-bps 5M && $VPSCTL --root $T_ROOT start w"
wdisk=$(stat -c '%Hd:%Ld' "$T_ROOT/var/lib/vpsctl/vps/w")
if [ -e "/sys/dev/block/$wdisk/partition" ]; then
	wdisk=$(cat "$(dirname "$(readlink -f "/sys/dev/block/$wdisk")")/dev")
fi
grep -qx "$wdisk 5242880" "$BLKIO$T_CGPARENT/w/blkio.throttle.read_bps_device"
ok $? "the disk holding it ($wdisk) is throttled to 5M for reads"
vpsctl destroy --force w >/dev/null
finish
