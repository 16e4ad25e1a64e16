#!/bin/bash
# Neighbours that cannot hurt (issue 16 item 4): a busybox VPS with small limits runs in turn a
# fork bomb, a memory balloon, a disk fill, an I/O hammer and a CPU hog (the attacks of
# tests/helpers/neighbours-attacks.sh, shared with bench/neighbours.sh), and during each its
# neighbour still answers `vpsctl exec` and a TCP echo over its veth from the node, and the
# node's `vpsctl list` answers; each attack is stopped by its own limit, whose counters say so:
# pids.events for the bomb, the attacker's oom_kill (the neighbour's stays 0) for the balloon,
# ENOSPC inside for the fill while the neighbour and the node still write, the blkio throttle
# counters for the hammer, cpuacct.usage for the hog. Functional bounds only (10 s per answer);
# the latencies are bench/neighbours.sh's.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../helpers/neighbours-attacks.sh"
HELPERS=${BUILD_DIR:-$(dirname "$0")/../../build}/tests/helpers

if [ ! -e /sys/fs/cgroup/pids/cgroup.procs ] || [ ! -e /sys/fs/cgroup/blkio/cgroup.procs ]; then
	echo "1..0 # SKIP needs the v1 pids, memory, blkio and cpuacct hierarchies"
	exit 0
fi
plan 34

echo 'NODE_ADDRESS="10.78.0.1/24"' >>"$T_ROOT/etc/vpsctl/vpsctl.conf"
NB_IP=10.78.0.2
IO_BPS=$((2 * 1024 * 1024))
build_template
check "create the attacker: --cpus 1 --memory 128M --swap 0 --pids 64 --disk 64M --io-write-bps 2M" \
	vpsctl create att --template busybox --cpus 1 --memory 128M --swap 0 --pids 64 --disk 64M \
	--io-write-bps 2M
check "create the neighbour on the default plan, with an address" \
	vpsctl create nb --template busybox --ip "$NB_IP/24"
check "start both" sh -c "$VPSCTL --root $T_ROOT start att && $VPSCTL --root $T_ROOT start nb"
check "install the helpers (the neighbour's echo server from its inittab)" sh -c \
	"$(declare -f neighbour_install); NEIGHBOUR_PORT=$NEIGHBOUR_PORT; v() { $VPSCTL --root $T_ROOT \"\$@\"; };
	neighbour_install v att $HELPERS && neighbour_install v nb $HELPERS echo"

cg() { echo "/sys/fs/cgroup/$1$T_CGPARENT/$2"; }
# field FILE KEY: the number after KEY in a "key value" file
field() { awk -v k="$2" '$1 == k { print $2; exit }' "$1"; }
echo_ok() { timeout -k 2 12 "$HELPERS/echod" ping "$NB_IP" "$NEIGHBOUR_PORT" "${1:-1}" 0; }
check "the neighbour's echo server answers over its veth" wait_for 10 echo_ok

# answers WHEN: the neighbour answers exec and TCP echo, and the node's list answers, each
# within 10 s
answers() {
	local out rc
	out=$(bounded 10 exec nb -- echo alive); rc=$?
	[ $rc = 0 ] && [ "$out" = alive ]
	ok $? "$1: exec in the neighbour answers within 10 s (rc $rc: $out)"
	out=$(echo_ok 3 2>&1); rc=$?
	ok $rc "$1: 3 TCP echoes from the node to the neighbour, each within 10 s (${out//$'\n'/ } µs)"
	out=$(bounded 10 list -o name,state); rc=$?
	[ $rc = 0 ] && [[ $out == *att*running* ]] && [[ $out == *nb*running* ]]
	ok $? "$1: the node's vpsctl list answers within 10 s, both running"
}

ATTACK_PID=
PIDS=
# launch NAME SECS: attack NAME in the attacker, in the background, output to $T_ROOT/NAME.out
launch() {
	timeout -s KILL $(($2 + 10)) "$VPSCTL" --root "$T_ROOT" exec att -- \
		sh -c "$(attack_code "$1" "$2")" >"$T_ROOT/$1.out" 2>&1 </dev/null &
	ATTACK_PID=$!
	PIDS="$PIDS $ATTACK_PID"
}
# settle: the attack ended, the attacker restarted with nothing of it left
settle() {
	kill -9 "$ATTACK_PID" 2>/dev/null
	wait "$ATTACK_PID" 2>/dev/null
	vpsctl stop --force att >/dev/null 2>&1
	vpsctl start att >/dev/null 2>&1
}
cleanup_pids() {
	for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
	t_cleanup
}
trap cleanup_pids EXIT
nb_init=$(json_get "$(vpsctl status nb --json)" init_pid)

# ---------------------------------------------------------------------- fork bomb ----
pids_att=$(cg pids att)
launch forkbomb 20
wait_for 15 sh -c "[ \$(awk '\$1 == \"max\" {print \$2}' $pids_att/pids.events) -gt 0 ]"
max=$(field "$pids_att/pids.events" max)
[ "${max:-0}" -gt 0 ]; ok $? "the fork bomb hits the attacker's pids cap (pids.events max $max)"
cur=$(cat "$pids_att/pids.current")
[ "$cur" -le 64 ]; ok $? "... and stays under it: pids.current $cur <= 64"
answers "during the fork bomb"
is "the neighbour's pids cap was never hit" "$(field "$(cg pids nb)/pids.events" max)" 0
settle

# ------------------------------------------------------------------------ balloon ----
mem_att=$(cg memory att)
launch balloon 20
wait_for 20 sh -c "[ \$(awk '\$1 == \"oom_kill\" {print \$2}' $mem_att/memory.oom_control) -gt 0 ]"
kills=$(field "$mem_att/memory.oom_control" oom_kill)
[ "${kills:-0}" -gt 0 ]; ok $? "the balloon is OOM-killed inside the attacker's cgroup (oom_kill $kills)"
answers "during the balloon"
is "the neighbour's memory cgroup saw no OOM kill" "$(field "$(cg memory nb)/memory.oom_control" oom_kill)" 0
is "the neighbour's init is the same process" "$(json_get "$(vpsctl status nb --json)" init_pid)" "$nb_init"
settle

# ---------------------------------------------------------------------- disk fill ----
launch diskfill 20
wait_for 30 grep -q -e 'No space left on device' -e 'Disk quota exceeded' "$T_ROOT/diskfill.out"
ok $? "the disk fill ends in ENOSPC/EDQUOT inside the attacker ($(grep -m1 -o -e 'No space.*' -e 'Disk quota.*' "$T_ROOT/diskfill.out"))"
answers "during the disk fill"
out=$(bounded 20 exec nb -- sh -c 'dd if=/dev/zero of=/nbfile bs=1M count=8 && sync && rm /nbfile' 2>&1)
ok $? "during the disk fill the neighbour still writes 8 MB ($(echo "$out" | tail -n 1))"
check "... and so does the node" sh -c "dd if=/dev/zero of=$T_ROOT/node-file bs=1M count=8 conv=fsync 2>/dev/null && rm $T_ROOT/node-file"
settle

# ---------------------------------------------------------------------- I/O hammer ----
blk_att=$(cg blkio att)
loop=$(losetup -j "$T_ROOT/var/lib/vpsctl/vps/att/disk.img" | cut -d: -f1)
loopmm=$(printf '%d:%d' "0x$(stat -c %t "$loop")" "0x$(stat -c %T "$loop")")
# written: bytes the attacker's writes put through the throttle on its loop device
written() { awk -v d="$loopmm" '$1 == d && $2 == "Write" { print $3; exit }' \
	"$blk_att/blkio.throttle.io_service_bytes"; }
# dev_written: bytes the loop device wrote, whoever submitted them (writeback included)
dev_written() { awk '{ print $7 * 512 }' "/sys/block/${loop#/dev/}/stat"; }
launch iohammer 25
sleep 2
w0=$(written) d0=$(dev_written) t0=$EPOCHREALTIME
answers "during the I/O hammer"
sleep 5
w1=$(written) d1=$(dev_written) t1=$EPOCHREALTIME
secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
rate=$(awk -v a="${w0:-0}" -v b="${w1:-0}" -v s="$secs" 'BEGIN { printf "%d", (b - a) / s }')
dev_rate=$(awk -v a="$d0" -v b="$d1" -v s="$secs" 'BEGIN { printf "%d", (b - a) / s }')
diag "I/O hammer over $secs s: $rate B/s through the attacker's throttle, $dev_rate B/s at $loop"
[ "$rate" -gt 0 ] && [ "$rate" -le $((IO_BPS * 2)) ]
ok $? "the attacker's writes are throttled: $rate B/s through blkio.throttle (limit $IO_BPS, at most 2x)"
# v1 charges writeback to the cgroup that submits the bio: buffered writes that the kernel's
# flusher writes out (sync(2), background writeback) pass no VPS's throttle. A known gap of v1
# (v2 charges writeback to the page's owner), recorded as a TAP TODO while it holds.
if [ "$dev_rate" -le $((IO_BPS * 2)) ]; then
	ok 0 "the attacker's loop device writes $dev_rate B/s in all (writeback included)"
else
	T_N=$((T_N + 1))
	echo "not ok $T_N - the attacker's loop device writes $dev_rate B/s in all, over 2x $IO_BPS # TODO v1 flusher writeback (sync(2)) escapes blkio throttling"
fi
settle

# ------------------------------------------------------------------------ CPU hog ----
cpu_att=$(cg cpuacct att)
launch cpuhog 20
sleep 2
u0=$(cat "$cpu_att/cpuacct.usage") t0=$EPOCHREALTIME
answers "during the CPU hog"
sleep 3
u1=$(cat "$cpu_att/cpuacct.usage") t1=$EPOCHREALTIME
used=$(awk -v a="$u0" -v b="$u1" -v s0="$t0" -v s1="$t1" 'BEGIN { printf "%.2f", (b - a) / 1e9 / (s1 - s0) }')
awk -v u="$used" 'BEGIN { exit !(u > 0.05 && u <= 1.15) }'
ok $? "the CPU hog (3 busy loops) is capped: $used CPUs over the window (cap 1, at most 1.15)"
settle

is "the neighbour's init survived it all" "$(json_get "$(vpsctl status nb --json)" init_pid)" "$nb_init"
check "the neighbour still answers echo after it all" echo_ok
finish
