#!/bin/bash
# console: attach through the supervisor's console socket, get init's shell, detach with
# Ctrl-] q, attach again; a second client at the same time is refused; the log is kept.
. "$(dirname "$0")/lib.sh"
plan 12

build_template
vpsctl create con --template busybox --hostname con-host >/dev/null
check "start" vpsctl start con
sock=vpsctl-test-$$
pane() { tmux -L "$sock" capture-pane -p -t "$1"; }
tmux -L "$sock" new-session -d -s a -x 120 -y 30 "$VPSCTL --root $T_ROOT console con; echo CONSOLE-ENDED rc=\$?; sleep 30"
check "banner shown" wait_for 5 sh -c "tmux -L $sock capture-pane -p -t a | grep -q 'Connected to the console of con'"
tmux -L "$sock" send-keys -t a Enter
sleep 0.5
tmux -L "$sock" send-keys -t a "hostname" Enter
check "a shell on the console answers" wait_for 5 sh -c "tmux -L $sock capture-pane -p -t a | grep -q '^con-host'"
tmux -L "$sock" send-keys -t a "sleep 30" Enter
sleep 0.3
tmux -L "$sock" send-keys -t a C-c
tmux -L "$sock" send-keys -t a "echo after-\$((6*7))" Enter
check "Ctrl-C interrupts the command on the console" wait_for 5 sh -c "tmux -L $sock capture-pane -p -t a | grep -q 'after-42'"
is "and does not reboot the VPS" "$(json_get "$(vpsctl status con --json)" boots)" 1
out=$(vpsctl console con 2>&1 </dev/null); rc=$?
[ $rc != 0 ] && [[ $out == *"someone else is attached"* ]]; ok $? "a second client is refused"
tmux -L "$sock" send-keys -t a C-] q
check "Ctrl-] q detaches" wait_for 5 sh -c "tmux -L $sock capture-pane -p -t a | grep -q 'CONSOLE-ENDED rc=0'"
is "the VPS keeps running" "$(json_get "$(vpsctl status con --json)" state)" running
tmux -L "$sock" new-session -d -s b -x 120 -y 30 "$VPSCTL --root $T_ROOT console con; sleep 30"
wait_for 5 sh -c "tmux -L $sock capture-pane -p -t b | grep -q 'Connected'"
tmux -L "$sock" send-keys -t b "echo again-\$((6*7))" Enter
check "attach again works" wait_for 5 sh -c "tmux -L $sock capture-pane -p -t b | grep -q 'again-42'"
tmux -L "$sock" kill-server 2>/dev/null
check "the console log has the session" grep -q 'again-42' "$T_ROOT/run/vpsctl/con/console.log"
like "vpsctl log prints it" "$(vpsctl log con)" 'again-42'
(sleep 0.5; vpsctl exec con -- sh -c 'echo followed-7 > /dev/console'; sleep 0.3; vpsctl stop con >/dev/null) &
like "vpsctl log -f follows until the VPS stops" "$(timeout 20 "$VPSCTL" --root "$T_ROOT" log -f con | grep followed)" 'followed-7'
wait
finish
