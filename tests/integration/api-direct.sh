#!/bin/bash
# Issue 19: vpsctl-api's actions are the CLI's library calls (ops/), not runs of vpsctl. The
# daemon here is given a `vpsctl` that logs its argv and fails: every converted action still
# works, and the log stays empty. Its documents are the bytes of `vpsctl X --json`.
. "$(dirname "$0")/lib.sh"
plan 14

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

# a vpsctl that does not exist at all: the reads do not need one
stop_serving
rm -f "$API_VPSCTL"
serve
is "GET /v1/vps works with no vpsctl at all" "$(req "$OP" GET /v1/vps | cut -d' ' -f1)" 200
is "GET /v1/vps/d1/stats works with no vpsctl at all" \
	"$(req "$OP" GET /v1/vps/d1/stats | cut -d' ' -f1)" 200
finish
