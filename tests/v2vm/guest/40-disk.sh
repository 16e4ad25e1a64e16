#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Disk quota on a kernel where root has every capability: resize --disk grows a running VPS's
# file system online (the dev host's root lacks CAP_SYS_RESOURCE, so only here is this path
# tested); ENOSPC past the size; nothing left after stop.
. "${0%/*}/../tap.sh"

VPSCTL=${VPSCTL:-$BUILD_DIR/vpsctl}
ROOT=$(mktemp -d /tmp/vpsctl-root.XXXXXX) || bail "mktemp failed"
v() { timeout -s KILL 240 "$VPSCTL" --root "$ROOT" "$@"; }
mkdir -p "$ROOT/etc/vpsctl"
echo "CGROUP_PARENT=/vpsctl-disk" > "$ROOT/etc/vpsctl/vpsctl.conf"
size_mb() { v exec d -- df -m / | awk 'NR==2{print $2}'; }

check "template build busybox" v template build busybox
check "create --disk 64M" v create d --template busybox --disk 64M
check "start" v start d
s=$(size_mb)
[ -n "$s" ] && [ "$s" -le 64 ] && [ "$s" -ge 40 ]
tap_result $? "df inside shows about 64M ($s)"
v exec d -- dd if=/dev/zero of=/fill bs=1M count=100 > /dev/null 2>&1
tap_result $(( $? == 0 )) "writing 100 MB fails inside"
v exec d -- rm -f /fill
INIT=$(v status d --json | sed -n 's/.*"init_pid":\([0-9]*\).*/\1/p')
check "resize --disk 200M on the running VPS" v resize d --disk 200M
s=$(size_mb)
[ -n "$s" ] && [ "$s" -ge 150 ]
tap_result $? "df inside shows about 200M at once ($s)"
is "same init: no restart" "$(v status d --json | sed -n 's/.*"init_pid":\([0-9]*\).*/\1/p')" "$INIT"
check "a 100 MB write now goes through" v exec d -- dd if=/dev/zero of=/fill bs=1M count=100
check "stop" v stop d
is "no loop device left" "$(grep -l "$ROOT" /sys/block/loop*/loop/backing_file 2>/dev/null | wc -l)" 0
v destroy d > /dev/null 2>&1
rm -rf "$ROOT"
done_testing
