#!/bin/bash
# Issue 19: vpsctl-api's actions are the CLI's library calls (ops/), not runs of vpsctl. The
# daemon here is given a `vpsctl` that logs its argv and fails: every converted action still
# works, and the log stays empty. Its documents are the bytes of `vpsctl X --json`.
. "$(dirname "$0")/lib.sh"
plan 63

body() { req "$@" | cut -d' ' -f2-; }

# a vpsctl that must not run: it says so in a log and fails
API_VPSCTL=$T_ROOT/vpsctl-must-not-run
printf '#!/bin/sh\nprintf "%%s\\n" "$*" >>%s\nexit 97\n' "$T_ROOT/spawned.log" >"$API_VPSCTL"
chmod 755 "$API_VPSCTL"
. "$(dirname "$0")/api-lib.sh"

# same DOC_A DOC_B: equal as JSON once the figures that move between two reads are left out
same() {
	python3 - "$1" "$2" <<'PY'
import json, sys
MOVING = {"uptime", "cpu_usec", "cpu_permille", "cpu_usage_usec", "memory_used",
          "memory_current", "memory_peak", "procs", "pids_current", "nr_periods",
          "io_read_bytes", "io_write_bytes", "io_read_ops", "io_write_ops"}
def strip(v):
    if isinstance(v, list):
        return [strip(x) for x in v]
    if isinstance(v, dict):
        return {k: strip(x) for k, x in v.items() if k not in MOVING}
    return v
a, b = (strip(json.loads(x)) for x in sys.argv[1:3])
print("same" if a == b else "differ:\n%s\n%s" % (a, b))
PY
}

build_template
vpsctl create d1 --template busybox >/dev/null
vpsctl create d2 --template busybox >/dev/null
OP=$(api token add --role operator 2>/dev/null)
CU=$(api token add --role customer --vps d2 --max-memory 256M --max-cpus 1 2>/dev/null)
serve --sample-interval 1

# --- reads ---
is "GET /v1/vps of stopped VPSes is vpsctl list --json, byte for byte" \
	"$(body "$OP" GET /v1/vps)" "$(vpsctl list --json)"
is "GET /v1/vps/d1 of a stopped VPS is vpsctl status --json, byte for byte" \
	"$(body "$OP" GET /v1/vps/d1)" "$(vpsctl status d1 --json)"
vpsctl start d1
sleep 1.2 # the list the daemon keeps for a second (api-listcache.h) was made before the start
is "GET /v1/vps with one running is vpsctl list --json" \
	"$(same "$(body "$OP" GET /v1/vps)" "$(vpsctl list --json)")" same
is "GET /v1/vps/d1 of a running VPS is vpsctl status --json" \
	"$(same "$(body "$OP" GET /v1/vps/d1)" "$(vpsctl status d1 --json)")" same
is "GET /v1/vps/d1/stats is vpsctl stats --json" \
	"$(same "$(body "$OP" GET /v1/vps/d1/stats)" "$(vpsctl stats d1 --json)")" same
is "stats of a stopped VPS: the CLI's reason, 409" "$(req "$OP" GET /v1/vps/d2/stats)" \
	'409 {"error":"d2: not running"}'
is "the CLI says the same" "$(vpsctl stats d2 2>&1)" "vpsctl: d2: not running"
is "status of no such VPS: the CLI's reason, 404" "$(req "$OP" GET /v1/vps/d9)" \
	'404 {"error":"d9: no such VPS"}'
is "the CLI says the same" "$(vpsctl status d9 2>&1)" "vpsctl: d9: no such VPS"
sleep 2 # a sample or two of the history
like "GET /v1/vps/d1/history has samples" "$(body "$OP" GET /v1/vps/d1/history)" \
	'"samples":\[.*"state":"running"'
like "GET /v1/node counts the VPSes" "$(body "$OP" GET /v1/node)" \
	'"vps_total":2,"vps_running":1'
is "no read ran vpsctl" "$(cat "$T_ROOT/spawned.log" 2>/dev/null)" ""

# --- lifecycle: start, stop, reboot are library calls; the supervisor is spawned fresh ---
sup_of() { json_get "$(vpsctl status "$1" --json)" supervisor_pid; }
# what a supervisor got from whoever started it
inherited() {
	local p=$1
	printf 'cwd=%s umask=%s blocked=%s ignored=%s fds=%s mark=%s\n' "$(readlink /proc/"$p"/cwd)" \
		"$(sed -n 's/^Umask:\t//p' /proc/"$p"/status)" "$(sed -n 's/^SigBlk:\t//p' /proc/"$p"/status)" \
		"$(sed -n 's/^SigIgn:\t//p' /proc/"$p"/status)" "$(ls /proc/"$p"/fd | wc -l)" \
		"$(tr '\0' '\n' </proc/"$p"/environ | grep -c APIDIRECT_MARK)"
}
stop_serving
old_umask=$(umask)
umask 077
APIDIRECT_MARK=leak serve
umask "$old_umask"
is "POST start: 200 and running" "$(req "$OP" POST /v1/vps/d2/start | sed 's/,.*//')" \
	'200 {"name":"d2"'
is "vpsctl status sees it running" "$(json_get "$(vpsctl status d2 --json)" state)" running
wait_supervised d1
wait_supervised d2
s1=$(sup_of d1) s2=$(sup_of d2)
is "its supervisor is not the daemon's child" "$(ps -o ppid= -p "$s2" | tr -d ' ')" 1
is "it got what one of vpsctl start gets: no fd, cwd, umask, signal mask or environment of the daemon's" \
	"$(inherited "$s2")" "$(inherited "$s1")"
like "... which is cwd /, umask 0022, none of the daemon's variables" \
	"$(inherited "$s2")" '^cwd=/ umask=0022 .* mark=0$'
init1=$(json_get "$(vpsctl status d2 --json)" init_pid)
is "POST reboot: 200" "$(code "$OP" POST /v1/vps/d2/reboot)" 200
init2=$(json_get "$(vpsctl status d2 --json)" init_pid)
ok $((init1 == init2 || init2 == 0)) "reboot started a new init ($init1 -> $init2)"
is "POST stop: 200 and stopped" "$(req "$OP" POST /v1/vps/d2/stop '{"timeout":5}' | sed 's/,.*//')" \
	'200 {"name":"d2"'
is "a stop of a stopped VPS: the CLI's reason" "$(req "$OP" POST /v1/vps/d2/stop)" \
	"$(vpsctl stop d2 2>&1 | sed 's/^vpsctl: \(.*\)/409 {"error":"\1"}/')"

# two clients at once on one VPS: one starts it, the other gets what a second vpsctl gets
both() {
	"$@" >"$T_ROOT/one" 2>&1 &
	local p=$!
	"$@" >"$T_ROOT/two" 2>&1
	wait "$p"
	cat "$T_ROOT/one" "$T_ROOT/two" | sed 's/^vpsctl: //; s/^[0-9]* {"error":"//; s/"}$//' |
		grep -v '^[0-9]* {' | sort
}
refusals='^d2: (is already running|another vpsctl command is working on this VPS; try again later)$'
like "two API starts at once: one refused as a second vpsctl start is" \
	"$(both req "$OP" POST /v1/vps/d2/start)" "$refusals"
vpsctl stop d2
like "two vpsctl starts at once: the same refusal" "$(both vpsctl start d2)" "$refusals"
vpsctl stop d2
cli_or_api() { if [ -e "$T_ROOT/cli-turn" ]; then rm "$T_ROOT/cli-turn"; vpsctl start d2; else touch "$T_ROOT/cli-turn"; req "$OP" POST /v1/vps/d2/start; fi; }
like "the CLI and the API at once: the same refusal" "$(both cli_or_api)" "$refusals"
is "the VPS runs once" "$(json_get "$(vpsctl status d2 --json)" state)" running

# the daemon killed: the VPSes it started run on
kill -9 "$API_PID"
wait "$API_PID" 2>/dev/null
API_PID=
sleep 0.5
is "the daemon killed, a VPS it started still runs" "$(json_get "$(vpsctl status d2 --json)" state)" running
kill -0 "$(json_get "$(vpsctl status d2 --json)" init_pid)"
ok $? "... its init is alive"
is "no action ran vpsctl" "$(cat "$T_ROOT/spawned.log" 2>/dev/null)" ""

# suspend, resume and destroy are library calls too (the daemon is not running here)
serve
is "POST suspend: 200 and suspended" "$(req "$OP" POST /v1/vps/d2/suspend | sed 's/^\([0-9]*\) .*"state":"\([a-z]*\)".*/\1 \2/')" \
	"200 suspended"
is "a second suspend: the CLI's reason, 409" "$(req "$OP" POST /v1/vps/d2/suspend)" \
	"$(vpsctl suspend d2 2>&1 | sed 's/^vpsctl: \(.*\)/409 {"error":"\1"}/')"
is "POST resume: 200 and running" "$(req "$OP" POST /v1/vps/d2/resume | sed 's/^\([0-9]*\) .*"state":"\([a-z]*\)".*/\1 \2/')" \
	"200 running"
is "a second resume: the CLI's reason, 409" "$(req "$OP" POST /v1/vps/d2/resume)" \
	"$(vpsctl resume d2 2>&1 | sed 's/^vpsctl: \(.*\)/409 {"error":"\1"}/')"
vpsctl create d3 --template busybox >/dev/null
vpsctl start d3
is "DELETE of a running VPS: the CLI's reason, 409" "$(req "$OP" DELETE /v1/vps/d3)" \
	"$(vpsctl destroy d3 2>&1 | sed 's/^vpsctl: \(.*\)/409 {"error":"\1"}/')"
is "DELETE with force: 200" "$(req "$OP" DELETE /v1/vps/d3 '{"force":true}')" \
	'200 {"name":"d3","destroyed":true}'
ok $(test ! -e "$T_ROOT/var/lib/vpsctl/vps/d3"; echo $?) "... and it is gone"
is "no suspend, resume or destroy ran vpsctl" "$(cat "$T_ROOT/spawned.log" 2>/dev/null)" ""

# resize is a library call: the CLI's checks and reasons, the CLI's lock, seen by the CLI
cli_says() { "$@" 2>&1 | sed "s/^vpsctl: \(.*\)/$CODE {\"error\":\"\1\"}/"; }
mem_of() { json_get "$(vpsctl status "$1" --json)" memory; }
is "POST resize by the operator: 200" "$(code "$OP" POST /v1/vps/d2/resize '{"memory":"200M","cpus":1}')" 200
is "vpsctl status sees the new memory" "$(mem_of d2)" 200M
is "... and the kernel holds it" "$(json_get "$(vpsctl stats d2 --json)" memory_max)" $((200 << 20))
is "a customer within its plan: 200" "$(code "$CU" POST /v1/vps/d2/resize '{"memory":"180M"}')" 200
is "... which the CLI sees" "$(mem_of d2)" 180M
is "a customer beyond its plan: 403 with the plan's reason" \
	"$(req "$CU" POST /v1/vps/d2/resize '{"memory":"1G"}')" \
	'403 {"error":"memory 1073741824 is above your plan'"'"'s 268435456 bytes"}'
CODE=400
is "cpus beyond the host: 400 with the CLI's reason" \
	"$(req "$OP" POST /v1/vps/d2/resize '{"cpus":4096}')" "$(cli_says vpsctl resize d2 --cpus 4096)"
like "... which names the flag" "$(req "$OP" POST /v1/vps/d2/resize '{"cpus":4096}')" '^400 .*--cpus'
is "memory below what the CLI allows: 400 with the CLI's reason" \
	"$(req "$OP" POST /v1/vps/d2/resize '{"memory":"1M"}')" "$(cli_says vpsctl resize d2 --memory 1M)"
is "... and nothing changed" "$(mem_of d2)" 180M
CODE=404
is "resize of no such VPS: 404 with the CLI's reason" \
	"$(req "$OP" POST /v1/vps/d9/resize '{"memory":"100M"}')" "$(cli_says vpsctl resize d9 --memory 100M)"
# the lock held as a vpsctl command holds it: a resize waits for it (LOCK_TIMEOUT is 2 s)
lockf=$T_ROOT/run/vpsctl/locks/d2.lock
flock "$lockf" sleep 1 &
holder=$!
sleep 0.2
is "a resize while another command holds the lock for 1 s waits, then works" \
	"$(code "$OP" POST /v1/vps/d2/resize '{"memory":"190M"}')" 200
wait "$holder"
flock "$lockf" sleep 4 &
holder=$!
sleep 0.2
is "... held past LOCK_TIMEOUT: 409 with the CLI's reason" "$(req "$OP" POST /v1/vps/d2/resize '{"memory":"170M"}')" \
	'409 {"error":"d2: another vpsctl command is working on this VPS; try again later"}'
is "... and nothing changed" "$(mem_of d2)" 190M
wait "$holder"
# an API resize and a CLI one at once: one after the other, vps.conf and the kernel agree
req "$OP" POST /v1/vps/d2/resize '{"memory":"210M"}' >"$T_ROOT/one" &
holder=$!
vpsctl resize d2 --memory 220M >"$T_ROOT/two" 2>&1
wait "$holder"
is "the API's and the CLI's resize at once both worked" "$(cut -c1-3 "$T_ROOT/one"; cat "$T_ROOT/two")" 200
is "... and vps.conf holds what the kernel holds" \
	"$(mem_of d2) $(json_get "$(vpsctl stats d2 --json)" memory_max)" \
	"$(case $(mem_of d2) in 210M) echo "210M $((210 << 20))" ;; *) echo "220M $((220 << 20))" ;; esac)"
is "no resize ran vpsctl" "$(cat "$T_ROOT/spawned.log" 2>/dev/null)" ""

# an event of a stop under way says stopping, as status does (not starting): the supervisor
# stopped (start-wedged.sh's way), a forced stop kills init and then waits for it
timeout 60 python3 "$CLIENT" sse "$SOCK" "$OP" 40 >"$T_ROOT/events" 2>&1 &
SSE_PID=$!
wait_for 10 grep -q '"name":"d2","state":"running"' "$T_ROOT/events"
js=$(vpsctl status d2 --json)
sup=$(json_get "$js" supervisor_pid) init=$(json_get "$js" init_pid)
kill -STOP "$sup"
vpsctl stop --force d2 >/dev/null 2>&1 &
stopper=$!
wait_for 20 sh -c "! grep -q '^State:[[:space:]]*[A-Y]' /proc/$init/status 2>/dev/null"
is "status of d2, its init gone and its stop waiting: stopping" \
	"$(json_get "$(vpsctl status d2 --json)" state)" stopping
wait_for 10 grep -q '"name":"d2","state":"stopping"' "$T_ROOT/events"
ok $? "the event stream says stopping too"
kill -CONT "$sup"
wait "$stopper"
wait_for 10 grep -q '"name":"d2","state":"stopped"' "$T_ROOT/events"
like "... then stopped, and never starting" "$(grep -o '"name":"d2","state":"[a-z]*"' "$T_ROOT/events" | tr '\n' ' ')" \
	'^"name":"d2","state":"running" "name":"d2","state":"stopping" "name":"d2","state":"stopped" $'
kill "$SSE_PID" 2>/dev/null
wait "$SSE_PID" 2>/dev/null
vpsctl start d2

# a vpsctl that does not exist at all: the reads do not need one
stop_serving
rm -f "$API_VPSCTL"
serve
is "POST stop works with no vpsctl at all" "$(code "$OP" POST /v1/vps/d2/stop)" 200
is "POST start works with no vpsctl at all" "$(code "$OP" POST /v1/vps/d2/start)" 200
is "GET /v1/vps works with no vpsctl at all" "$(req "$OP" GET /v1/vps | cut -d' ' -f1)" 200
is "GET /v1/vps/d1/stats works with no vpsctl at all" \
	"$(req "$OP" GET /v1/vps/d1/stats | cut -d' ' -f1)" 200

# a supervisor that never reports (its log a FIFO nobody reads): the daemon's start gives up
# after START_TIMEOUT like the CLI's, ends that supervisor (not its child: it read its pid)
# and leaves nothing
echo "START_TIMEOUT=3" >>"$T_ROOT/etc/vpsctl/vpsctl.conf"
vpsctl create d4 --template busybox >/dev/null
mkdir -p "$T_ROOT/run/vpsctl/d4"
mkfifo "$T_ROOT/run/vpsctl/d4/supervisor.log"
like "POST start of a VPS whose supervisor never reports: START_TIMEOUT's reason" \
	"$(req "$OP" POST /v1/vps/d4/start)" \
	'"d4: its supervisor \(pid [0-9]+\) did not report within START_TIMEOUT \(3 s\); killed it and removed what it had started'
live_d4() { # supervisors of d4 that have not exited (a zombie has)
	for d in /proc/[0-9]*; do
		tr '\0' ' ' <"$d/cmdline" 2>/dev/null | grep -q -- "--root $T_ROOT d4" || continue
		grep -q '^State:[[:space:]]*[ZX]' "$d/status" 2>/dev/null || echo "${d#/proc/}"
	done
}
is "... its supervisor was ended" "$(live_d4)" ""
rm "$T_ROOT/run/vpsctl/d4/supervisor.log"
is "... and the next start works" "$(code "$OP" POST /v1/vps/d4/start)" 200
finish
