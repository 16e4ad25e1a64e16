#!/bin/bash
# vpsctl autostart (issue 20, boot storm): every ONBOOT VPS starts, in boot order, at most
# --parallel / BOOT_PARALLEL at once; one that runs already is left alone, one that does not
# load or fails to start is named and the others still start; no VPS without ONBOOT starts.
. "$(dirname "$0")/lib.sh"
plan 16

VD=$T_ROOT/var/lib/vpsctl/vps
state() { json_get "$(vpsctl status "$1" --json 2>/dev/null)" state; echo; }
# the start time of a VPS's init, in clock ticks since the node booted
init_start() { awk '{print $22}' "/proc/$(json_get "$(vpsctl status "$1" --json)" init_pid)/stat"; }

build_template
for i in 1 2 3 4 5; do
	vpsctl create "a$i" --template busybox --onboot --boot-order $((10 - i)) >/dev/null ||
		diag "create a$i failed"
done
vpsctl create off --template busybox >/dev/null
vpsctl create bad --template busybox --onboot --boot-order 1 >/dev/null
sed -i 's#^INIT=.*#INIT="/no/such/init"#' "$VD/bad/vps.conf"
vpsctl create broken --template busybox --onboot >/dev/null
echo 'NO_SUCH_KEY="1"' >>"$VD/broken/vps.conf"
check "a VPS that runs already (a3)" vpsctl start a3

is "--dry-run: boot order (BOOT_ORDER, then name), skipping what does not load" \
	"$(vpsctl autostart --dry-run 2>/dev/null | cut -f1 | xargs)" "bad a5 a4 a3 a2 a1"
like "--dry-run names the VPS whose vps.conf does not load" \
	"$(vpsctl autostart --dry-run 2>&1 >/dev/null)" "broken: .*NO_SUCH_KEY.*; not started"
is "--dry-run starts nothing" "$(state a1) $(state bad)" "stopped stopped"

out=$(vpsctl autostart --parallel 2 --json 2>"$T_ROOT/err")
rc=$?
is "autostart exits 1 when a start failed" "$rc" 1
is "... the JSON lists what started, what ran already, what failed" \
	"$(printf '%s' "$out" | sed 's/"seconds":[0-9.]*,//')" \
	'{"parallel":2,"started":["a5","a4","a2","a1"],"already_running":["a3"],"failed":["bad"]}'
like "... the failed start's own reason is on stderr" "$(cat "$T_ROOT/err")" "bad: .*no/such/init"
is "every ONBOOT VPS that loads runs" "$(for v in a1 a2 a3 a4 a5; do state $v; done | sort -u)" running
is "... the one without ONBOOT does not" "$(state off)" stopped
is "... nor the failed one; the broken one shows as such" "$(state bad) $(state broken)" "stopped broken"

# --parallel 1: one after the other, in boot order: each init starts after the one before.
for v in a1 a2 a3 a4 a5; do vpsctl stop --force "$v" >/dev/null; done
sed -i 's#^INIT=.*#INIT="/sbin/init"#' "$VD/bad/vps.conf"
out=$(vpsctl autostart --parallel 1 2>&1)
like "the summary line counts them" "$out" "^started 6 of 6 VPSes in [0-9.]+ s \(1 at a time\)"
order=$(for v in bad a5 a4 a3 a2 a1; do init_start "$v"; done | xargs)
is "--parallel 1 started them in boot order" "$order" "$(echo "$order" | tr ' ' '\n' | sort -n | xargs)"
out=$(vpsctl autostart 2>&1)
like "a second autostart finds them running and starts nothing" "$out" "started 0 of 6 .* 6 already running"

like "--parallel 0 is refused with its reason" "$(vpsctl autostart --parallel 0 2>&1)" \
	"invalid --parallel '0' \(1 to 1024\)"
like "an operand is refused" "$(vpsctl autostart a1 2>&1)" "unexpected argument 'a1'"

for v in a1 a2 a3 a4 a5 bad; do vpsctl stop --force "$v" >/dev/null; done
is "all stopped again" "$(for v in a1 a2 a3 a4 a5 bad; do state $v; done | sort -u)" stopped
finish
