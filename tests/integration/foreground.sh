#!/bin/bash
# start --foreground, as vpsctl@.service runs it: READY=1 on the notify socket once init runs,
# exit 0 when the VPS was halted or stopped, non-zero when it crashed (Restart=on-failure).
. "$(dirname "$0")/lib.sh"
plan 9

build_template
vpsctl create fg --template busybox >/dev/null
sock=$T_ROOT/notify.sock
"$NOTIFY_LISTEN" "$sock" 2 >"$T_ROOT/notify.out" &
listener=$!
wait_for 5 grep -q listening "$T_ROOT/notify.out"
NOTIFY_SOCKET=$sock "$VPSCTL" --root "$T_ROOT" start --foreground fg &
fg=$!
check "READY=1 once init runs" wait_for 10 grep -q '^READY=1 MAINPID=' "$T_ROOT/notify.out"
is "MAINPID is the foreground process" "$(sed -n 's/^READY=1 MAINPID=//p' "$T_ROOT/notify.out")" "$fg"
is "the VPS runs" "$(json_get "$(vpsctl status fg --json)" state)" running
# once init runs the process execs vps-supervisor: the same pid, the unit's MAINPID
check "MAINPID supervises on as vps-supervisor" \
	wait_for 5 sh -c "readlink /proc/$fg/exe | grep -q '/vps-supervisor\$'"
vpsctl stop fg
wait $fg; is "stopped: exit 0" "$?" 0
check "STOPPING=1 on stop" grep -q '^STOPPING=1' "$T_ROOT/notify.out"
kill "$listener" 2>/dev/null

vpsctl start --foreground fg 2>/dev/null &
fg=$!
wait_for 10 sh -c "[ \"\$($VPSCTL --root $T_ROOT status fg --json | sed -n 's/.*\"state\":\"\([a-z-]*\)\".*/\1/p')\" = running ]"
vpsctl exec fg -- halt
wait $fg; is "halted from inside: exit 0" "$?" 0

vpsctl start --foreground fg 2>/dev/null &
fg=$!
wait_for 10 sh -c "[ \"\$($VPSCTL --root $T_ROOT status fg --json | sed -n 's/.*\"init_pid\":\([0-9]*\).*/\1/p')\" -gt 0 ]"
kill -9 "$(json_get "$(vpsctl status fg --json)" init_pid)"
wait $fg; rc=$?
[ $rc != 0 ]; ok $? "init killed: non-zero exit ($rc), so systemd restarts it"

# `vpsctl start` in the background, run from some other Type=notify unit: its supervisor must
# not talk to that unit (only --foreground's does).
sock2=$T_ROOT/notify2.sock
"$NOTIFY_LISTEN" "$sock2" 1 >"$T_ROOT/notify2.out" &
listener=$!
wait_for 5 grep -q listening "$T_ROOT/notify2.out"
NOTIFY_SOCKET=$sock2 "$VPSCTL" --root "$T_ROOT" start fg
vpsctl stop fg
sleep 0.5
kill "$listener" 2>/dev/null
wait "$listener" 2>/dev/null
is "a background supervisor sends nothing to its caller's notify socket" \
	"$(grep -vc listening "$T_ROOT/notify2.out")" 0
finish
