#!/bin/bash
# Hand-edited and corrupted vps.conf and state files (issue 13, items 1, 6 and 7): what touches
# isolation fails closed with a message naming the file (and line); unknown and duplicate keys
# are errors; a file from a newer vpsctl is refused and nothing destructive follows from it; a
# VPS whose vps.conf or state file is corrupt can still be seen and stopped.
. "$(dirname "$0")/lib.sh"
plan 51

VPS=$T_ROOT/var/lib/vpsctl/vps
RUN=$T_ROOT/run/vpsctl
build_template

base() { sed -n 's/^UID_BASE="\([0-9]*\)"/\1/p' "$VPS/$1/vps.conf"; }
# refused DESCRIPTION REGEX CMD...: CMD fails and its stderr matches REGEX
refused() {
	local d=$1 re=$2 out rc
	shift 2
	out=$("$@" 2>&1 >/dev/null)
	rc=$?
	if [ $rc = 0 ]; then ok 1 "$d"; diag "succeeded: $out"; return; fi
	like "$d" "$out" "$re"
}

check "create a" vpsctl create a --template busybox
check "create e" vpsctl create e --template busybox
ba=$(base a); be=$(base e)

# 1. An empty vps.conf must not run the VPS as host root.
: >"$VPS/e/vps.conf"
refused "empty vps.conf: start refused, naming the file and USERNS" \
	"vps/e/vps\.conf: USERNS is missing" vpsctl start e
is "nothing of e runs" "$(cgroup_dirs | grep -c '/e$')" 0
printf 'TEMPLATE="busybox"\nUID_BASE="%s"\n' "$be" >"$VPS/e/vps.conf"
refused "USERNS missing with a UID_BASE: refused" "vps\.conf: USERNS is missing" vpsctl start e
printf 'TEMPLATE="busybox"\nUSERNS="yes"\n' >"$VPS/e/vps.conf"
refused "USERNS=yes without UID_BASE: refused" "vps\.conf: UID_BASE is missing" vpsctl start e
printf 'TEMPLATE="busybox"\nUSERNS="yes"\nUID_BASE="0"\n' >"$VPS/e/vps.conf"
refused "UID_BASE=0: refused, naming the host's ids" \
	"vps\.conf:3: UID_BASE 0 overlaps the host's own ids \(0-65535\)" vpsctl start e
printf 'TEMPLATE="busybox"\nUSERNS="yes"\nUID_BASE="1000"\n' >"$VPS/e/vps.conf"
refused "UID_BASE=1000: refused" "UID_BASE 1000 overlaps the host's own ids" vpsctl start e
printf 'TEMPLATE="busybox"\nUSERNS="yes"\nUID_BASE="4294901760"\n' >"$VPS/e/vps.conf"
refused "a range past the last host id: refused" "UID_BASE 4294901760 .*beyond" vpsctl start e
printf 'TEMPLATE="busybox"\nUSERNS="yes"\nUID_BASE="%s"\n' "$((ba + 100))" >"$VPS/e/vps.conf"
refused "a UID_BASE inside a's range: refused, naming a" \
	"UID_BASE $((ba + 100)) overlaps the ids of VPS 'a' \($ba-$((ba + 65535))\)" vpsctl start e
is "still nothing of e runs" "$(cgroup_dirs | grep -c '/e$')" 0
refused "a is refused too while e's range overlaps it" \
	"vps/a/vps\.conf: UID_BASE $ba overlaps the ids of VPS 'e' \($((ba + 100))-" vpsctl start a
printf 'TEMPLATE="busybox"\nUSERNS="yes"\nUID_BASE="%s"\n' "$be" >"$VPS/e/vps.conf"
check "a starts once e has its own range again" vpsctl start a
check "e with USERNS and a free UID_BASE starts" vpsctl start e
init=$(json_get "$(vpsctl status e --json)" init_pid)
is "e's init runs as its range, not host root" "$(awk '/^Uid:/{print $2}' "/proc/$init/status")" "$be"
vpsctl stop --force e >/dev/null

# Unknown and duplicate keys: errors naming file and line.
printf 'TEMPLATE="busybox"\nUSERNS="no"\nMEMROY="64M"\n' >"$VPS/e/vps.conf"
refused "unknown key: file and line" "vps/e/vps\.conf:3: unknown key 'MEMROY'" vpsctl start e
printf 'TEMPLATE="busybox"\nUSERNS="yes"\nUID_BASE="%s"\nUSERNS="no"\n' "$be" >"$VPS/e/vps.conf"
refused "duplicate USERNS: file, line and the first one" \
	"vps/e/vps\.conf:4: duplicate key 'USERNS' \(first on line 2\)" vpsctl start e
refused "status names the duplicate too" "vps\.conf:4: duplicate key 'USERNS'" vpsctl status e

# Format versions: older (none, or 1) read; newer refused, and never destroyed.
printf 'FORMAT_VERSION="1"\nTEMPLATE="busybox"\nUSERNS="yes"\nUID_BASE="%s"\n' "$be" >"$VPS/e/vps.conf"
check "FORMAT_VERSION=1 is read" vpsctl status e
like "create writes FORMAT_VERSION" "$(cat "$VPS/a/vps.conf")" '^FORMAT_VERSION="3"'
printf 'FORMAT_VERSION="4"\nTEMPLATE="busybox"\nUSERNS="yes"\nNEW_KEY="x"\n' >"$VPS/e/vps.conf"
refused "newer vps.conf: start refused" \
	"vps\.conf: written by a newer vpsctl \(format 4; this one reads up to 3\)" vpsctl start e
refused "newer vps.conf: destroy --force refused" "written by a newer vpsctl" vpsctl destroy --force e
is "its files are still there" "$(cat "$VPS/e/vps.conf" | head -1)" 'FORMAT_VERSION="4"'
cp "$T_ROOT/etc/vpsctl/vpsctl.conf" "$T_ROOT/node.conf"
echo 'FORMAT_VERSION="9"' >>"$T_ROOT/etc/vpsctl/vpsctl.conf"
refused "newer vpsctl.conf: refused" "vpsctl\.conf: written by a newer vpsctl \(format 9; this one reads up to 3\)" vpsctl list
refused "newer vpsctl.conf: stop refused" "written by a newer vpsctl" vpsctl stop --force a
cp "$T_ROOT/node.conf" "$T_ROOT/etc/vpsctl/vpsctl.conf"
is "a still runs" "$(json_get "$(vpsctl status a --json)" state)" running
printf 'TEMPLATE="busybox"\nUSERNS="yes"\nUID_BASE="%s"\n' "$be" >"$VPS/e/vps.conf"

# 7. A corrupt vps.conf while the VPS runs: stop --force works from the state and cgroup.
init=$(json_get "$(vpsctl status a --json)" init_pid)
cp "$VPS/a/vps.conf" "$T_ROOT/a.conf"
echo 'garbage line' >>"$VPS/a/vps.conf"
refused "status of a corrupt vps.conf names the line" "vps/a/vps\.conf:[0-9]+: not a KEY=value line" vpsctl status a
out=$(vpsctl stop --force a 2>&1)
ok $? "stop --force with a corrupt vps.conf succeeds"
like "it says it stops from the runtime state" "$out" "vps\.conf:[0-9]+: not a KEY=value line.*stopping"
wait_for 5 sh -c "! [ -e /proc/$init ]"
ok $? "a's init is gone"
is "a's cgroup is gone" "$(cgroup_dirs | grep -c '/a$')" 0
cp "$T_ROOT/a.conf" "$VPS/a/vps.conf"

# 1 (end). resize of a vps.conf without TEMPLATE must write a file the parser reads.
sed -i '/^TEMPLATE=/d' "$VPS/a/vps.conf"
check "a without TEMPLATE starts" vpsctl start a
check "resize a" vpsctl resize a --memory 96M
like "status works after the resize" "$(vpsctl status a 2>&1)" "^a running"
check "stop --force works after the resize" vpsctl stop --force a
check "start a again" vpsctl start a

# 6. An unknown key in the state file: reported, and stop still stops the VPS.
wait_supervised a
init=$(json_get "$(vpsctl status a --json)" init_pid)
echo 'BOGUS="1"' >>"$RUN/a/state"
line=$(wc -l <"$RUN/a/state")
out=$(vpsctl status a 2>&1)
like "status: state unreadable, naming file and line" "$out" "state unreadable: .*run/vpsctl/a/state:$line: unknown key 'BOGUS'"
refused "start refuses an unreadable state" "state unreadable" vpsctl start a
refused "destroy refuses an unreadable state" "state unreadable" vpsctl destroy a
out=$(vpsctl stop a 2>&1)
ok $? "stop succeeds"
if printf '%s' "$out" | grep -q "not running"; then ok 1 "stop does not say 'not running'"; diag "$out"; else ok 0 "stop does not say 'not running'"; fi
wait_for 10 sh -c "! [ -e /proc/$init ]"
ok $? "a's init is gone"
is "status: stopped" "$(json_get "$(vpsctl status a --json)" state)" stopped

# A state file of a newer vpsctl: not stopped, not destroyed.
check "start a" vpsctl start a
wait_supervised a
init=$(json_get "$(vpsctl status a --json)" init_pid)
cp "$RUN/a/state" "$T_ROOT/a.state"
sed -i '1i FORMAT_VERSION="3"' "$RUN/a/state"
refused "stop --force refuses a newer state" \
	"run/vpsctl/a/state: written by a newer vpsctl \(format 3; this one reads up to 2\); not stopping it" \
	vpsctl stop --force a
refused "destroy --force refuses it too" "written by a newer vpsctl.*not destroying it" vpsctl destroy --force a
[ -e "/proc/$init" ] && [ -e "$VPS/a/vps.conf" ]
ok $? "a still runs and still exists"
cp "$T_ROOT/a.state" "$RUN/a/state"
check "stop a with its own state back" vpsctl stop --force a

# A state file that is all garbage: stop finds the VPS through its cgroup.
check "start a" vpsctl start a
wait_supervised a
init=$(json_get "$(vpsctl status a --json)" init_pid)
echo 'garbage' >"$RUN/a/state"
check "stop --force with a garbage state file" vpsctl stop --force a
wait_for 10 sh -c "! [ -e /proc/$init ]"
ok $? "a's init is gone (killed through its cgroup)"
finish
