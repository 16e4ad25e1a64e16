#!/bin/bash
# Issue 17 item 7: a list of 64 rows or more is built on several threads (cli/list-rows.c).
# Its rows are those the one-thread path gives, in natural order, with the usage columns filled;
# a VPS whose cgroup or vps.conf goes away while lists run leaves every list whole.
. "$(dirname "$0")/lib.sh"
plan 19

N=70 # running, with a veth each; two more stay stopped
printf 'NODE_ADDRESS="10.78.0.1/24"\nSTORAGE=overlay\n' >>"$T_ROOT/etc/vpsctl/vpsctl.conf"
build_template
made=0
for i in $(seq "$N" -1 1); do # made backwards: the directory order is not the list's
	vpsctl create "m$i" --template busybox --ip "10.78.0.$((i + 1))/24" >/dev/null &&
		vpsctl start "m$i" >/dev/null && made=$((made + 1))
done
vpsctl create m71 --template busybox >/dev/null && vpsctl create m72 --template busybox >/dev/null
is "$N VPSes made and started, two more made" "$made $(vpsctl list -o name | tail -n +2 | wc -l)" "$N 72"

# Threads only from 64 rows on: counted by the clones a traced list makes.
threads() {
	strace -f -qq -e trace=clone,clone3 -o "$T_ROOT/trace" "$VPSCTL" --root "$T_ROOT" list "$@" >/dev/null
	grep -cE '^[0-9]+ +clone3?\(' "$T_ROOT/trace"
}
is "72 rows: built on 4 threads (3 started)" "$(threads)" 3
is "63 rows ('m[1-6]?' and m7..m9): no thread" "$(threads 'm[1-6]?' 'm[7-9]')" 0

names=$(for i in $(seq 72); do printf 'm%s ' "$i"; done)
is "natural order, whatever the threads did" "$(vpsctl list -o name | tail -n +2 | tr '\n' ' ')" "$names"
is "--json: natural order" "$(vpsctl list --json | grep -o '"name":"m[0-9]*"' | sed 's/"name":"//;s/"//' | tr '\n' ' ')" "$names"

# stats --all: its rows too, on threads, printed in natural order, each its VPS's own figures
strace -f -qq -e trace=clone,clone3 -o "$T_ROOT/trace" "$VPSCTL" --root "$T_ROOT" stats --all >/dev/null
is "stats --all of 72 VPSes: built on 4 threads (3 started)" \
	"$(grep -cE '^[0-9]+ +clone3?\(' "$T_ROOT/trace")" 3
running=$(for i in $(seq "$N"); do printf 'm%s ' "$i"; done)
is "stats --all: the $N running ones, natural order" \
	"$(vpsctl stats --all | tail -n +2 | awk '{print $1}' | tr '\n' ' ')" "$running"
bad=0
for _ in $(seq 30); do [ "$(vpsctl stats --all 2>&1 | tail -n +2 | wc -l)" = "$N" ] || bad=$((bad + 1)); done
is "stats --all 30 times: every run whole (its threads once probed libcgroup at once: a corrupted heap)" \
	"$bad" 0
limits() { python3 -c 'import json,sys; d=json.load(sys.stdin); d=d if isinstance(d,list) else [d]; print("\n".join("%s %s %s" % (v["name"], v["memory_max"], v["pids_max"]) for v in d))'; }
is "stats --all --json: each VPS's limits as its own stats --json gives them" \
	"$(vpsctl stats --all --json | limits)" \
	"$(for i in $(seq "$N"); do vpsctl stats "m$i" --json | limits; done)"

# Each row as the one-thread path (a list of one) gives it, just before or just after (a VPS of
# this loaded node may change meanwhile): the fields that do not move.
F=name,state,procs,memory_limit,ip_address,hostname,cgroup_backend
one() { for i in $(seq 72); do vpsctl list -o "$F" "m$i" | tail -n +2; done; }
one >"$T_ROOT/before"
vpsctl list -o "$F" | tail -n +2 >"$T_ROOT/many"
one >"$T_ROOT/after"
is "every row equals its one-VPS list" \
	"$(paste -d '\n' "$T_ROOT/many" "$T_ROOT/before" "$T_ROOT/after" | paste - - - |
		awk -F'\t' -v n="${F//[^,]/}" '{ k = length(n) + 1; a = b = c = "";
			for (i = 1; i <= k; i++) { a = a $i "|"; b = b $(i + k) "|"; c = c $(i + 2 * k) "|" }
			if (a != b && a != c) print a " vs " b }' | head -3)" ""
counts() { sort | uniq -c | awk '{printf "%s %s ", $1, $2}'; }
is "the rows: 70 running, 2 stopped" "$(cut -f2 "$T_ROOT/many" | counts)" "70 running 2 stopped "
is "each running VPS's address in its row" \
	"$(awk -F'\t' '$2 == "running" && $5 != "10.78.0." substr($1, 2) + 1 "/24"' "$T_ROOT/many" | head -3)" ""

# The usage columns of the threaded path are filled: every running row has them, no stopped one.
U=name,state,procs,cpu_usec,memory_used,memory_limit,net_rx_bytes,net_tx_bytes
vpsctl list -o "$U" | tail -n +2 >"$T_ROOT/usage"
is "running rows: procs, cpu, memory and traffic all numbers, memory used > 0" \
	"$(awk -F'\t' '$2 == "running" && !($3 ~ /^[1-9][0-9]*$/ && $4 ~ /^[0-9]+$/ && $5 ~ /^[1-9][0-9]*$/ && $6 ~ /^[0-9]+$/ && $7 ~ /^[0-9]+$/ && $8 ~ /^[0-9]+$/)' "$T_ROOT/usage" | head -3)" ""
is "stopped rows: no usage" "$(awk -F'\t' '$2 == "stopped" { print $3 $4 $5 $7 }' "$T_ROOT/usage" | tr '\n' ' ')" \
	"---- ---- "
check "m3 sends to the node" vpsctl exec m3 -- ping -c 3 -W 1 10.78.0.1
like "m3's traffic in its row of the threaded list" \
	"$(vpsctl list -o name,net_tx_bytes | awk -F'\t' '$1 == "m3" { print $2 }')" '^[1-9][0-9][0-9]+$'

# Lists running while VPSes are stopped (their cgroups removed), destroyed, and while vps.conf
# files are taken away and put back: each list exits 0 with a header and a row for every VPS
# it read, none cut or doubled.
(
	k=0
	while [ ! -e "$T_ROOT/done" ] || [ "$k" -lt 12 ]; do
		k=$((k + 1))
		"$VPSCTL" --root "$T_ROOT" list >"$T_ROOT/l$k" 2>"$T_ROOT/e$k"
		echo "$k $?"
	done >"$T_ROOT/rcs"
) &
lister=$!
for i in $(seq 40 55); do
	vpsctl stop --force "m$i" >/dev/null 2>&1
	c="$T_ROOT/var/lib/vpsctl/vps/m$((i - 30))/vps.conf"
	mv "$c" "$c.away" && mv "$c.away" "$c"
done
vpsctl destroy --force m72 >/dev/null 2>&1
for i in $(seq 20 30); do
	c="$T_ROOT/var/lib/vpsctl/vps/m$i/vps.conf"
	mv "$c" "$c.away"
done
touch "$T_ROOT/done"
wait "$lister"
runs=$(wc -l <"$T_ROOT/rcs")
is "$runs lists while VPSes went away, each exited 0" "$(awk '$2 != 0' "$T_ROOT/rcs" | head -3)" ""
bad=""
for k in $(seq "$runs"); do
	rows=$(tail -n +2 "$T_ROOT/l$k" | awk '{print $1}' | tr '\n' ' ')
	case "$rows" in
	"$names" | "${names% m72 } ") ;;
	*) bad="$bad l$k" ;;
	esac
	head -1 "$T_ROOT/l$k" | grep -q '^NAME ' || bad="$bad l$k-header"
done
is "every list: the header and each VPS once, in order" "$bad" ""
is "a VPS whose vps.conf is gone: listed as broken, the others as they are" \
	"$(vpsctl list -o name,state 'm2?' 'm4?' | tail -n +2 | cut -f2 | counts)" "10 broken 10 stopped "
for i in $(seq 20 30); do
	c="$T_ROOT/var/lib/vpsctl/vps/m$i/vps.conf"
	mv "$c.away" "$c"
done
finish
