#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# I/O limits on cgroup v2 (the dev host is v1: tests/integration/iolimits.sh): io.max holds the
# limit on the disk image's loop device, a direct write is throttled to it (loosely: at most
# 1.5x), resize changes it live and unlimited removes the line, stats counts the bytes from
# io.stat.
. "${0%/*}/../tap.sh"

node_root /vpsctl-io
v() { timeout -s KILL 240 "$VPSCTL" --root "$ROOT" "$@"; }
CG=/sys/fs/cgroup/vpsctl-io/d

check "template build busybox" v template build busybox
check "create --disk 64M --io-write-bps 2M" v create d --template busybox --disk 64M --io-write-bps 2M
check "start" v start d
loop=
for f in /sys/block/loop*/loop/backing_file; do
	case $(cat "$f" 2>/dev/null) in "$ROOT"/*) loop=${f%/loop/backing_file} ;; esac
done
mm=$(cat "$loop/dev" 2>/dev/null)
diag "loop device ${loop##*/} ($mm); io.max: $(cat $CG/io.max 2>&1)"
grep -q "^$mm rbps=max wbps=2097152 riops=max wiops=max\$" "$CG/io.max"
tap_result $? "io.max limits the loop device $mm to 2M writes"
t0=$(date +%s)
v exec d -- dd if=/dev/zero of=/f bs=1M count=16 oflag=direct > /dev/null 2>&1
rc=$?
t=$(($(date +%s) - t0))
diag "16 MB at 2M/s: $t s"
[ $rc = 0 ] && [ "$t" -ge 6 ]
tap_result $? "a 16 MB direct write is throttled ($t s >= 6 s)"
check "resize --io-write-bps 8M" v resize d --io-write-bps 8M
grep -q "^$mm rbps=max wbps=8388608 riops=max wiops=max\$" "$CG/io.max"
tap_result $? "io.max shows 8M"
check "resize --io-write-bps unlimited" v resize d --io-write-bps unlimited
is "no io.max line left" "$(grep -c "^$mm " "$CG/io.max")" 0
wb=$(v stats d --json | sed -n 's/.*"io_write_bytes":\([0-9]*\).*/\1/p')
[ -n "$wb" ] && [ "$wb" -ge $((16 * 1024 * 1024)) ]
tap_result $? "stats: io_write_bytes $wb >= 16 MB"
check "stop" v stop d
v destroy d > /dev/null 2>&1
rm -rf "$ROOT"
done_testing
