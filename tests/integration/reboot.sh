#!/bin/bash
# reboot inside -> running again with a new init; halt inside -> stopped; supervisor SIGKILL.
. "$(dirname "$0")/lib.sh"
plan 12

build_template
vpsctl create rb --template busybox >/dev/null
check "start" vpsctl start rb
st=$(vpsctl status rb --json)
pid1=$(json_get "$st" init_pid)
sup=$(json_get "$st" supervisor_pid)
vpsctl exec rb -- reboot
new_init() { p=$(json_get "$(vpsctl status rb --json)" init_pid); [ -n "$p" ] && [ "$p" != 0 ] && [ "$p" != "$pid1" ]; }
check "reboot inside starts a new init" wait_for 20 new_init
st=$(vpsctl status rb --json)
is "running after reboot" "$(json_get "$st" state)" running
is "same supervisor" "$(json_get "$st" supervisor_pid)" "$sup"
is "second boot" "$(json_get "$st" boots)" 2
is "exec works after reboot" "$(vpsctl exec rb -- cat /proc/1/comm)" init

vpsctl exec rb -- halt
stopped() { [ "$(json_get "$(vpsctl status rb --json)" state)" = stopped ]; }
check "halt inside stops the VPS" wait_for 20 stopped
is "last exit is halted" "$(json_get "$(vpsctl status rb --json)" last_exit)" halted
is "no cgroup left after halt" "$(cgroup_dirs)" ""

# The supervisor dies: the VPS keeps running and stop still works.
vpsctl start rb >/dev/null
st=$(vpsctl status rb --json)
kill -9 "$(json_get "$st" supervisor_pid)"
sleep 0.3
is "VPS survives its supervisor" "$(json_get "$(vpsctl status rb --json)" state)" running-unsupervised
is "exec still works" "$(vpsctl exec rb -- hostname)" rb
vpsctl stop --timeout 5 rb >/dev/null
ok $? "stop works without a supervisor"
finish
