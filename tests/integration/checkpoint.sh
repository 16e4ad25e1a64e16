#!/bin/bash
# Issue 18: vpsctl checkpoint on a host where criu cannot work. Debian 12's criu 3.17 fails its
# own `criu check` on newer kernels (6.18: "vdso: Unexpected rt vDSO area bounds"); there the
# command refuses with criu's reason, before touching the VPS: it runs on, DIR holds no images.
# restore-checkpoint refuses the same way, and a running VPS. The dump and restore themselves
# are tested where criu works: tests/v2vm/guest/80-criu.sh.
. "$(dirname "$0")/lib.sh"
plan 12

CRIU=/usr/sbin/criu
# criu's first real error, as vpsctl quotes it (the legacy-iptables probes are noise)
criu_reason() {
	"$CRIU" check 2>&1 | sed -n 's/^.*Error ([^)]*): //p' |
		grep -v -e '^exited, status=' -e '^execvp(' -e legacy | head -n1
}

skip() { T_N=$((T_N + 1)); echo "ok $T_N - $1 # SKIP $2"; }
# the regex that matches text literally
literal() { printf '%s' "$1" | sed 's/[][\\.*^$(){}+?|]/./g'; }

build_template
check "create p --privileged" vpsctl create p --template busybox --privileged
out=$(vpsctl checkpoint p "$T_ROOT/ck-stopped" 2>&1)
like "a stopped VPS is refused" "$out" "p: not running"
out=$(vpsctl checkpoint p 2>&1)
like "DIR is required" "$out" "expected NAME and DIR"
check "start p" vpsctl start p

if [ ! -x "$CRIU" ]; then
	out=$(vpsctl checkpoint p "$T_ROOT/ck" 2>&1)
	like "no criu: refused, naming the package" "$out" "criu is not installed"
	skip "criu check fails" "no criu on this host"
	skip "criu's reason" "no criu on this host"
elif reason=$(criu_reason) && "$CRIU" check > /dev/null 2>&1; then
	skip "refused on a host where criu check fails" "criu check passes here"
	skip "criu's reason" "criu check passes here"
	skip "vpsctl quotes it" "criu check passes here"
else
	out=$(vpsctl checkpoint p "$T_ROOT/ck" 2>&1)
	rc=$?
	is "refused (exit 1)" "$rc" 1
	[ -n "$reason" ]
	ok $? "criu check gave a reason ('$reason')"
	like "vpsctl quotes criu's own reason" "$out" "p: criu cannot checkpoint on this host: $(literal "$reason") \\(criu check\\)$"
fi
is "no images were written" "$(ls -A "$T_ROOT/ck" 2>/dev/null)" ""
is "p runs on" "$(json_get "$(vpsctl status p --json)" state)" running
out=$(vpsctl restore-checkpoint p "$T_ROOT/ck" 2>&1)
like "restore-checkpoint of a running VPS is refused" "$out" "p: is running; 'vpsctl stop p' first"
check "stop p" vpsctl stop p --force
out=$(vpsctl restore-checkpoint p "$T_ROOT/ck" 2>&1)
if [ -x "$CRIU" ] && ! "$CRIU" check > /dev/null 2>&1; then
	like "restore-checkpoint quotes criu's reason too" "$out" "p: criu cannot checkpoint on this host: $(literal "$reason")"
else
	like "restore-checkpoint of a DIR with no checkpoint is refused" "$out" "is not a checkpoint of vpsctl|criu is not installed"
fi
finish
