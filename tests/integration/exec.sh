#!/bin/bash
# exec: exit codes, stdin/stdout passthrough, clean environment; refuses a stopped VPS.
. "$(dirname "$0")/lib.sh"
plan 9

build_template
vpsctl create ex --template busybox >/dev/null
out=$(vpsctl exec ex -- true 2>&1); rc=$?
[ $rc != 0 ]; ok $? "exec on a stopped VPS fails"
like "with a one-line reason" "$out" '^vpsctl: ex: not running$'
check "start" vpsctl start ex
vpsctl exec ex -- sh -c 'exit 7'; is "exit code passes through" "$?" 7
is "stdin passes through" "$(echo hi | vpsctl exec ex -- cat)" "hi"
vpsctl exec ex -- sh -c 'kill -9 $$'; is "killed by a signal gives 128+n" "$?" 137
vpsctl exec ex -- /no/such/cmd 2>/dev/null; is "a missing command gives 127" "$?" 127
is "clean environment" "$(SECRET=x vpsctl exec ex -- env | grep -c SECRET)" 0
is "cwd is /" "$(cd /tmp && vpsctl exec ex -- pwd)" "/"
vpsctl stop --force ex >/dev/null
finish
