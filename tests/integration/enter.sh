#!/bin/bash
# enter driven by a real terminal (tmux): type hostname, read the VPS's name back.
. "$(dirname "$0")/lib.sh"
plan 5

build_template
vpsctl create en --template busybox --hostname enter-test >/dev/null
check "start" vpsctl start en
sock=vpsctl-test-$$
tmux -L "$sock" new-session -d -x 120 -y 30 "$VPSCTL --root $T_ROOT enter en; echo ENTER-ENDED rc=\$?; sleep 30"
wait_for 5 sh -c "tmux -L $sock capture-pane -p | grep -q '#'"
tmux -L "$sock" send-keys "hostname; tty" Enter
wait_for 5 sh -c "tmux -L $sock capture-pane -p | grep -q '^enter-test'"
screen=$(tmux -L "$sock" capture-pane -p)
like "hostname typed in enter comes back" "$screen" '^enter-test'
like "the shell has a pty of the VPS's own devpts" "$screen" '/dev/pts/0'
tmux -L "$sock" send-keys "exit" Enter
wait_for 5 sh -c "tmux -L $sock capture-pane -p | grep -q 'ENTER-ENDED rc=0'"
ok $? "enter ends with the shell"
tmux -L "$sock" kill-server 2>/dev/null
vpsctl stop --force en >/dev/null; ok $? "stop"
finish
