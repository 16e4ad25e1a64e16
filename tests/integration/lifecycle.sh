#!/bin/bash
# create -> start -> exec -> stop -> start -> destroy, checking files, cgroups and processes.
. "$(dirname "$0")/lib.sh"
plan 27

build_template
check "template build busybox" test -s "$T_ROOT/var/lib/vpsctl/templates/busybox.meta"

check "create" vpsctl create v1 --template busybox
check "rootfs unpacked" test -x "$T_ROOT/var/lib/vpsctl/vps/v1/rootfs/bin/busybox"
check "vps.conf written" grep -q '^TEMPLATE="busybox"' "$T_ROOT/var/lib/vpsctl/vps/v1/vps.conf"
is "stopped after create" "$(json_get "$(vpsctl status v1 --json)" state)" stopped

check "start" vpsctl start v1
st=$(vpsctl status v1 --json)
is "running after start" "$(json_get "$st" state)" running
pid=$(json_get "$st" init_pid)
check "init pid is alive" kill -0 "$pid"
is "init is the rootfs's busybox" "$(stat -L -c %d:%i "/proc/$pid/exe")" "$(stat -c %d:%i "$T_ROOT/var/lib/vpsctl/vps/v1/rootfs/bin/busybox")"
check "state file in the run dir" test -s "$T_ROOT/run/vpsctl/v1/state"
check "VPS cgroup exists" test -n "$(cgroup_dirs | grep /v1)"
like "init is in the VPS cgroup" "$(cat /proc/$pid/cgroup)" "$T_CGPARENT/v1"
is "exec runs inside: PID 1 is init" "$(vpsctl exec v1 -- cat /proc/1/comm)" "init"

is "list -o picks columns" "$(vpsctl list -o name,state,template | tail -1 | tr '\t' ' ')" "v1 running busybox"
check "stop" vpsctl stop v1
is "stopped after stop" "$(json_get "$(vpsctl status v1 --json)" state)" stopped
check "init gone" wait_for 5 sh -c "! kill -0 $pid"
is "no cgroup left after stop" "$(cgroup_dirs)" ""
check "no state file after stop" test ! -e "$T_ROOT/run/vpsctl/v1/state"

# A caller's fd left open across `vpsctl start` (a pipe a script waits on) must not be kept
# by the supervisor for the VPS's whole life.
exec 9>"$T_ROOT/caller-fd"
check "start again" vpsctl start v1
exec 9>&-
sup=$(json_get "$(vpsctl status v1 --json)" supervisor_pid)
is "the supervisor holds none of its caller's fds" "$(ls -l /proc/$sup/fd | grep -c caller-fd)" 0
# Once init runs the forked vpsctl execs vps-supervisor (supervisor-handover.c), which keeps
# only what supervising needs.
check "the supervisor is vps-supervisor" \
	wait_for 5 sh -c "readlink /proc/$sup/exe | grep -q '/vps-supervisor\$'"
is "its fds: stdio, signalfd, pidfd, init's netns (metering), run dir, console pty pair, log and socket" \
	"$(for f in /proc/$sup/fd/*; do readlink "$f"; done | sed -E \
		-e "s#^$T_ROOT/run/vpsctl/v1(/(supervisor|console)\.log)?\$#run#" \
		-e 's#^/dev/pts/[0-9]+$#pts#' -e 's#^socket:\[[0-9]+\]$#socket#' -e 's#^net:\[[0-9]+\]$#netns#' |
		sort | tr '\n' ' ')" \
	"/dev/null /dev/null /dev/ptmx anon_inode:[pidfd] anon_inode:[signalfd] netns pts run run run socket "
# It is handed the host's cgroups with its config: libcgroup, whose tables cgroup_init() dirties
# (0.8 MB, most of the process), is not even loaded.
is "the supervisor has no libcgroup" "$(grep -c libcgroup /proc/$sup/maps)" 0
pid=$(json_get "$(vpsctl status v1 --json)" init_pid)
check "destroy --force a running VPS" vpsctl destroy --force v1
check "files gone after destroy" test ! -e "$T_ROOT/var/lib/vpsctl/vps/v1" -a ! -e "$T_ROOT/run/vpsctl/v1"
is "no cgroup, process or mount left after destroy" \
	"$(cgroup_dirs; kill -0 "$pid" 2>/dev/null && echo alive; grep -c "$T_ROOT" /proc/*/mountinfo 2>/dev/null | grep -v ':0$')" ""
finish
