#!/bin/bash
# Races under concurrent use: many creates claiming one address (exactly one may win, the
# others say who has it and leave nothing), a stale claim of a killed create is taken over,
# and siblings starting while another stops (the shared parent cgroup must stay usable).
. "$(dirname "$0")/lib.sh"
plan 14

build_template
echo 'NODE_ADDRESS="10.77.0.1/24"' >>"$T_ROOT/etc/vpsctl/vpsctl.conf"
VPS_DIR=$T_ROOT/var/lib/vpsctl/vps
ADDR_DIR=$T_ROOT/var/lib/vpsctl/addresses
OUT=$T_ROOT/out
mkdir -p "$OUT"

# 1. 30 parallel creates of different VPSes with one address.
pids=()
for i in $(seq 1 30); do
	vpsctl create "p$i" --template busybox --privileged --ip 10.77.0.50/24 \
		>"$OUT/p$i" 2>&1 &
	pids+=($!)
done
won=() lost_ok=0 lost_bad=()
for i in $(seq 1 30); do
	if wait "${pids[$((i - 1))]}"; then
		won+=("p$i")
	elif grep -Eq "^vpsctl: p$i: address 10\.77\.0\.50 is (already used|being claimed) by VPS 'p[0-9]+'" "$OUT/p$i"; then
		lost_ok=$((lost_ok + 1))
	else
		lost_bad+=("p$i: $(head -c 200 "$OUT/p$i")")
	fi
done
diag "30 parallel creates with one --ip: ${#won[@]} won (${won[*]}), $lost_ok refused with the reason"
is "exactly one of 30 parallel creates with one --ip wins" "${#won[@]}" 1
is "the 29 others are refused naming the VPS that has the address" "$lost_ok${lost_bad[*]:+ ${lost_bad[*]}}" 29
is "the losers leave nothing behind (no VPS, half-made directory or lock file)" \
	"$(ls -A "$VPS_DIR" "$T_ROOT/run/vpsctl/locks" | grep -v '^\(/.*:\)\?$' | sort -u | tr '\n' ' ')" \
	"${won[0]:-none} ${won[0]:-none}.lock "
is "the address index names the winner" "$(cat "$ADDR_DIR/10.77.0.50" 2>/dev/null)" "${won[0]:-none}"
is "vps.conf of the winner has the address" \
	"$(grep -c '^IP_ADDRESS="10.77.0.50/24"' "$VPS_DIR/${won[0]:-none}/vps.conf" 2>/dev/null)" 1
for w in "${won[@]}"; do vpsctl destroy "$w" >/dev/null 2>&1; done

# 2. A create kill -9'd while it holds the claim leaves a stale claim: the next create of the
# address takes it over (the claimant's lock is free and it has no vps.conf).
# exec: $! is vpsctl itself, not a subshell running it
(exec "$VPSCTL" --root "$T_ROOT" create ghost --template busybox --privileged \
	--ip 10.77.0.60/24 >/dev/null 2>&1) &
gpid=$!
for _ in $(seq 1 100000); do [ -s "$ADDR_DIR/10.77.0.60" ] && break; done
kill -9 "$gpid" 2>/dev/null
wait "$gpid" 2>/dev/null
if [ -e "$VPS_DIR/ghost" ]; then
	diag "the create finished before the kill; removing it"
	vpsctl destroy ghost >/dev/null
	printf 'ghost\n' >"$ADDR_DIR/10.77.0.60"
fi
is "the killed create left its claim" "$(cat "$ADDR_DIR/10.77.0.60" 2>/dev/null)" ghost
check "a stale claim of a killed create is taken over" \
	vpsctl create heir --template busybox --privileged --ip 10.77.0.60/24
is "... and now names the new VPS" "$(cat "$ADDR_DIR/10.77.0.60" 2>/dev/null)" heir
check "the killed create's lock file went with its claim" test ! -e "$T_ROOT/run/vpsctl/locks/ghost.lock"
out=$(vpsctl create third --template busybox --privileged --ip 10.77.0.60/24 2>&1)
like "a live claim is still refused" "$out" "address 10\.77\.0\.60 is already used by VPS 'heir'"
vpsctl destroy heir >/dev/null

# 3. Siblings: one starts while the other stops, each time the stopping one being the last
# VPS in the shared parent cgroup (which its stop used to remove under the starting one).
N=${RACE_ITER:-300}
vpsctl create s1 --template busybox >/dev/null
vpsctl create s2 --template busybox >/dev/null
vpsctl start s2 >/dev/null
fails=0 up=s1 down=s2
for i in $(seq 1 "$N"); do
	# shift one against the other by -30..30 ms to sweep the window
	d=$((RANDOM % 61 - 30))
	if [ $d -ge 0 ]; then
		vpsctl stop --force "$down" >"$OUT/stop" 2>&1 &
		tp=$!
		sleep "$(printf '0.%03d' $d)"
		vpsctl start "$up" >"$OUT/start" 2>&1 &
		sp=$!
	else
		vpsctl start "$up" >"$OUT/start" 2>&1 &
		sp=$!
		sleep "$(printf '0.%03d' $((-d)))"
		vpsctl stop --force "$down" >"$OUT/stop" 2>&1 &
		tp=$!
	fi
	wait $sp; rs=$?
	wait $tp; rt=$?
	if [ $rs != 0 ] || [ $rt != 0 ]; then
		fails=$((fails + 1))
		[ $fails -le 3 ] && diag "iteration $i: start $up=$rs '$(cat "$OUT/start")' stop $down=$rt '$(cat "$OUT/stop")'"
	fi
	# whatever happened, the next round starts from one running and one stopped
	[ "$(json_get "$(vpsctl status "$up" --json)" state)" = running ] || vpsctl start "$up" >/dev/null 2>&1
	vpsctl stop --force "$down" >/dev/null 2>&1
	t=$up up=$down down=$t
done
diag "$N sibling start/stop pairs: $fails failed"
is "a start never fails while a sibling stops ($N pairs)" "$fails" 0
vpsctl stop --force s1 >/dev/null 2>&1
vpsctl stop --force s2 >/dev/null 2>&1
is "no cgroup left after both stopped" "$(cgroup_dirs)" ""

# 4. Siblings starting together into a parent none of them has yet (the first makes and seeds
# it, the others must not join or remove it half-made), then all stopping together.
R=${RACE_ROUNDS:-100}
for i in 3 4 5 6 7; do vpsctl create "s$i" --template busybox >/dev/null; done
fails=0
for it in $(seq 1 "$R"); do
	pids=()
	for i in 3 4 5 6 7; do vpsctl start "s$i" >"$OUT/s$i" 2>&1 & pids+=($!); done
	for i in 3 4 5 6 7; do
		wait "${pids[$((i - 3))]}" && continue
		fails=$((fails + 1))
		[ $fails -le 3 ] && diag "round $it: $(cat "$OUT/s$i")"
	done
	pids=()
	for i in 3 4 5 6 7; do vpsctl stop --force "s$i" >/dev/null 2>&1 & pids+=($!); done
	wait "${pids[@]}"
done
diag "$R rounds of 5 parallel starts: $fails failed"
is "parallel starts of siblings never fail ($((R * 5)) starts)" "$fails" 0
is "no cgroup left after all stopped" "$(cgroup_dirs)" ""
finish
