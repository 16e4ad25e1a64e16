#!/bin/bash
# Every --json output of the CLI (list, status, stats, template list) parses with jq and has
# exactly the fields docs/vpsctl.8.scd's JSON OUTPUT section documents, with their types and
# values: for a stopped and a running VPS, with and without network, and with nothing at all.
# A failing command prints nothing on stdout, so a JSON consumer never gets half an object.
. "$(dirname "$0")/lib.sh"

SOURCE_DIR=${SOURCE_DIR:-$(dirname "$0")/../..}
DOC=$SOURCE_DIR/docs/vpsctl.8.scd

if ! command -v jq >/dev/null; then
	if [ "${CI:-}" = true ]; then
		echo "Bail out! jq not found (Debian package jq; scripts/install-deps.sh); CI=true forbids skipping"
		exit 1
	fi
	echo "1..0 # SKIP jq not found (Debian package jq)"
	exit 0
fi
plan 72

# The documented fields, name:jq-type, as docs/vpsctl.8.scd's JSON OUTPUT lists them.
INFO_FIELDS="name:string state:string frozen:boolean suspended:boolean suspended_since:number
	template:string hostname:string
	procs:number cpu_usec:number cpu_permille:number memory_used:number memory_limit:number
	disk_used:number disk_size:number disk_inodes_used:number disk_inodes_limit:number
	net_rx_bytes:number net_tx_bytes:number
	init_pid:number supervisor_pid:number uptime:number boots:number
	last_exit:string cgroup_backend:string onboot:boolean
	cpus:string cpu_burst:string cpu_weight:string memory:string memory_reserve:string
	swap:string pids:string io_weight:string cpuset:string io_read_bps:string
	io_write_bps:string io_read_iops:string io_write_iops:string
	ip_address:string mac:string mtu:string bandwidth:string antispoof:string boot_order:string
	cap_add:string cap_drop:string nesting:string socketcall:string userns:string uid_base:string storage:string
	disk:string ptys:string net_mode:string forwards:string nameserver:string searchdomain:string
	description:string disk_inodes:string disk_quota:string"
# status only: a probe of lxcfs (and a read of the cpuset) per VPS would slow list down
STATUS_FIELDS="$INFO_FIELDS proc_view:string cpuset_effective:string cpuset_auto:boolean"
STATS_FIELDS="name:string cpu_usage_usec:number nr_periods:number nr_throttled:number
	throttled_usec:number memory_current:number memory_peak:number memory_max:number
	swap_current:number pids_current:number pids_max:number memory_high_events:number
	memory_max_events:number memory_oom_events:number memory_oom_kills:number
	pids_max_events:number io_read_bytes:number io_write_bytes:number io_read_ops:number
	io_write_ops:number"
# Only when the VPS has a network interface (see the check below for where they are documented).
NET_FIELDS="net_rx_bytes:number net_tx_bytes:number net_rx_packets:number
	net_tx_packets:number net_rx_dropped:number net_tx_dropped:number net_period_start:number"
TEMPLATE_FIELDS="name:string os:string release:string arch:string init:string
	poweroff_signal:string size:number created:number sha256:string in_use:number
	overlay_users:number"

# The JSON OUTPUT section (and the template list entry, which documents its own fields).
doc_json() { sed -n '/^# JSON OUTPUT/,/^# EXIT STATUS/p; /^\*vpsctl template list\*/,/^# /p' "$DOC"; }

# fields_of JSON: "key:type" of every field of one object, sorted.
fields_of() { printf '%s' "$1" | jq -r 'to_entries[] | "\(.key):\(.value | type)"' | LC_ALL=C sort; }
# shellcheck disable=SC2086 # split the list into its words
sorted() { printf '%s\n' $1 | LC_ALL=C sort; }

# has_fields DESC JSON FIELDS: JSON is one object with exactly FIELDS, of those types.
has_fields() {
	local got want
	got=$(fields_of "$2" 2>&1)
	want=$(sorted "$3")
	if [ "$got" = "$want" ]; then
		ok 0 "$1"
	else
		ok 1 "$1"
		diag "fields differ (< output, > documented):"
		diff <(printf '%s\n' "$got") <(printf '%s\n' "$want") | grep '^[<>]' | sed 's/^/#   /'
	fi
}

# parses DESC CMD...: CMD exits 0 and its whole stdout is one JSON value; sets OUT.
parses() {
	local d=$1 rc
	shift
	OUT=$("$@" 2>/dev/null)
	rc=$?
	[ $rc = 0 ] && printf '%s' "$OUT" | jq -e . >/dev/null 2>&1 &&
		[ "$(printf '%s' "$OUT" | jq -s length)" = 1 ]
	ok $? "$d"
	[ $rc = 0 ] || diag "exit $rc"
}

jqr() { printf '%s' "$1" | jq -r "$2"; }

# --- the doc itself: every field the test holds the output to is documented
missing=""
for f in $STATUS_FIELDS $STATS_FIELDS $TEMPLATE_FIELDS; do
	doc_json | grep -q "\*${f%%:*}\*" || missing="$missing ${f%%:*}"
done
is "docs/vpsctl.8.scd documents every field checked here" "$missing" ""
missing=""
for f in $NET_FIELDS; do doc_json | grep -q "\*${f%%:*}\*" || missing="$missing ${f%%:*}"; done
is "docs/vpsctl.8.scd documents stats' net_* fields" "$missing" ""

# --- an empty node
parses "list --json on an empty node" vpsctl list --json
is "... is an empty array" "$OUT" "[]"
parses "template list --json with no template" vpsctl template list --json
is "... is an empty array" "$OUT" "[]"

# --- template list
out=$(vpsctl template build busybox)
ok $? "template build busybox"
tfile=$T_ROOT/var/lib/vpsctl/templates/busybox.tar.zst
parses "template list --json" vpsctl template list --json
is "... is an array of one" "$(jqr "$OUT" 'type + " " + (length | tostring)')" "array 1"
has_fields "template: the documented fields and types" "$(jqr "$OUT" '.[0]')" "$TEMPLATE_FIELDS"
is "template: name" "$(jqr "$OUT" '.[0].name')" busybox
like "template: sha256 is 64 hex digits" "$(jqr "$OUT" '.[0].sha256')" '^[0-9a-f]{64}$'
if [ -f "$tfile" ]; then
	is "template: size is the archive's size in bytes" "$(jqr "$OUT" '.[0].size')" "$(stat -c %s "$tfile")"
	is "template: sha256 is the archive's" "$(jqr "$OUT" '.[0].sha256')" "$(sha256sum "$tfile" | cut -d' ' -f1)"
else
	ok 1 "template: size is the archive's size in bytes"
	ok 1 "template: sha256 is the archive's"
	diag "template build printed no file: '$out'"
fi
like "template: os and release are not empty" "$(jqr "$OUT" '.[0].os + "/" + .[0].release')" '^[^/]+/[^/]+$'

# --- a stopped VPS
check "create web (quotas given)" vpsctl create web --template busybox --hostname web-1 \
	--cpus 0.5 --memory 64M --pids 200 --cpuset ''
check "create db --onboot --boot-order 7 (node defaults)" vpsctl create db --template busybox --onboot --boot-order 7
parses "status --json of a stopped VPS" vpsctl status web --json
has_fields "stopped status: the documented fields and types" "$OUT" "$STATUS_FIELDS"
is "stopped: name, state, template, hostname" \
	"$(jqr "$OUT" '[.name, .state, .template, .hostname] | join(" ")')" "web stopped busybox web-1"
is "stopped: init_pid, supervisor_pid, uptime, boots are 0" \
	"$(jqr "$OUT" '[.init_pid, .supervisor_pid, .uptime, .boots] | map(tostring) | join(" ")')" "0 0 0 0"
is "stopped: never ran: last_exit and cgroup_backend are empty" \
	"$(jqr "$OUT" '.last_exit + "|" + .cgroup_backend')" "|"
is "stopped: onboot false" "$(jqr "$OUT" '.onboot')" false
is "quota strings as in vps.conf: cpus, memory, pids" "$(jqr "$OUT" '[.cpus, .memory, .pids] | join(" ")')" "0.5 64M 200"
like "vps.conf has the same CPUS" "$(cat "$T_ROOT/var/lib/vpsctl/vps/web/vps.conf")" 'CPUS="0\.5"'
parses "status --json of db" vpsctl status db --json
is "db: onboot true, boot_order \"7\"" "$(jqr "$OUT" '[.onboot, .boot_order] | map(tostring) | join(" ")')" "true 7"
is "no network: ip_address, mac empty, antispoof yes" \
	"$(jqr "$OUT" '[.ip_address, .mac, .antispoof] | join("|")')" "||yes"

# --- running
check "start web" vpsctl start web
parses "status --json of a running VPS" vpsctl status web --json
status_web=$OUT
has_fields "running status: the documented fields and types" "$OUT" "$STATUS_FIELDS"
is "running: state" "$(jqr "$OUT" '.state')" running
init=$(jqr "$OUT" '.init_pid')
sup=$(jqr "$OUT" '.supervisor_pid')
check "running: init_pid is a live process" test "$init" -gt 1 -a -d "/proc/$init"
check "running: supervisor_pid is a live process" test "$sup" -gt 1 -a -d "/proc/$sup"
like "running: init_pid is the VPS's PID 1 (NSpid)" "$(grep '^NSpid:' "/proc/$init/status" 2>&1)" '[[:space:]]1$'
is "running: boots 1" "$(jqr "$OUT" '.boots')" 1
like "running: cgroup_backend v1 or v2" "$(jqr "$OUT" '.cgroup_backend')" '^v[12]$'
check "running: uptime is a whole number of seconds" test "$(jqr "$OUT" '.uptime')" -ge 0

parses "list --json" vpsctl list --json
is "list: an array of both, sorted by name" "$(jqr "$OUT" 'map(.name) | join(" ")')" "db web"
has_fields "list element (stopped db): the status fields" "$(jqr "$OUT" '.[0]')" "$INFO_FIELDS"
has_fields "list element (running web): the status fields" "$(jqr "$OUT" '.[1]')" "$INFO_FIELDS"
# (and but what moves by itself: the usage counters; proc_view is status's only)
MOVING='del(.uptime, .cpu_usec, .cpu_permille, .memory_used, .procs, .net_rx_bytes, .net_tx_bytes)'
is "list element web = status web (but uptime, usage, proc_view and the CPUs)" \
	"$(jqr "$OUT" ".[1] | $MOVING" | jq -S -c .)" \
	"$(jqr "$status_web" "$MOVING | del(.proc_view, .cpuset_effective, .cpuset_auto)" | jq -S -c .)"
is "list element db: stopped" "$(jqr "$OUT" '.[0].state')" stopped

parses "stats --json of a running VPS" vpsctl stats web --json
stats=$OUT
has_fields "stats (no network): the documented fields and types" "$OUT" "$STATS_FIELDS"
is "stats: name" "$(jqr "$OUT" '.name')" web
check "stats: pids_current >= 1" test "$(jqr "$OUT" '.pids_current')" -ge 1
is "stats: pids_max from --pids 200" "$(jqr "$OUT" '.pids_max')" 200
is "stats: memory_max from --memory 64M" "$(jqr "$OUT" '.memory_max')" 67108864
check "stats: memory_current > 0" test "$(jqr "$OUT" '.memory_current')" -gt 0
check "stats: the numbers are integers" \
	sh -c "printf '%s' '$stats' | jq -e '[.[] | numbers | select(. != floor)] | length == 0'"

# --- an unlimited cap is 2^64-1, written out exactly (jq itself rounds it: look at the text)
check "resize web --pids unlimited" vpsctl resize web --pids unlimited
out=$(vpsctl stats web --json)
like "stats: unlimited pids_max is 18446744073709551615" "$out" '"pids_max":18446744073709551615[,}]'
parses "... and still parses" printf '%s' "$out"
parses "status --json after the resize" vpsctl status web --json
is "status: pids is \"unlimited\"" "$(jqr "$OUT" '.pids')" unlimited

# --- after a stop: how it ended
check "stop web" vpsctl stop web
parses "status --json after a stop" vpsctl status web --json
has_fields "stopped-after-run status: the documented fields" "$OUT" "$STATUS_FIELDS"
is "after stop: last_exit, cgroup_backend, init_pid" \
	"$(jqr "$OUT" '[.last_exit, .cgroup_backend, (.init_pid | tostring)] | join("|")')" "stopped||0"

# --- with a network: stats adds the traffic counters
echo 'NODE_ADDRESS="10.78.0.1/24"' >>"$T_ROOT/etc/vpsctl/vpsctl.conf"
check "create net --ip 10.78.0.2/24" vpsctl create net --template busybox --ip 10.78.0.2/24
check "start net" vpsctl start net
parses "status --json of a VPS with a network" vpsctl status net --json
is "net: ip_address" "$(jqr "$OUT" '.ip_address')" 10.78.0.2/24
vpsctl exec net -- ping -c2 -W2 10.78.0.1 >/dev/null 2>&1
parses "stats --json of a VPS with a network" vpsctl stats net --json
has_fields "stats (network): the documented fields plus net_*" "$OUT" "$STATS_FIELDS $NET_FIELDS"
check "stats: the VPS sent packets (net_tx_packets > 0)" test "$(jqr "$OUT" '.net_tx_packets')" -gt 0
check "stop net" vpsctl stop net

# --- failures print no JSON at all
for args in "status nosuch --json" "stats nosuch --json" "stats web --json"; do
	# shellcheck disable=SC2086 # word splitting wanted
	out=$(vpsctl $args 2>/dev/null)
	rc=$?
	[ $rc != 0 ] && [ -z "$out" ]
	ok $? "vpsctl $args fails (exit $rc) with nothing on stdout"
done

finish
