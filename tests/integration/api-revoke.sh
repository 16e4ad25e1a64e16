#!/bin/bash
# vpsctl-api: a token taken away is taken away everywhere. Removes and adds of tokens at once
# lose none (the token file's lock), an open event stream or console ends when its token is
# removed or expires, a stream stops reporting a VPS its token no longer lists, and one
# token's console tickets never push out another's. vpsctl here is a stand-in.
. "$(dirname "$0")/lib.sh"
plan 16
. "$(dirname "$0")/api-lib.sh"
PROBE=$(dirname "$0")/api-security.py
TOKENS=$T_ROOT/etc/vpsctl/api-tokens
VPSDIR=$T_ROOT/var/lib/vpsctl/vps
id_of() { printf '%s' "$1" | sha256sum | cut -c1-16; } # the ID: the hash's first 16 digits

# The stand-in: a console echoes, anything else answers as vpsctl would.
FAKE=$T_ROOT/fake-vpsctl
cat >"$FAKE" <<'SH'
#!/bin/sh
[ "$3" = console ] && exec cat
echo '{"name":"x","state":"running"}'
SH
chmod 755 "$FAKE"
mkdir -p "$VPSDIR"

# --- the token file under removes and adds at once
for i in $(seq 20); do api token add --role operator 2>/dev/null >>"$T_ROOT/old"; done
ids=$(api token list | awk 'NR > 1 {print $1}')
pids=()
for id in $ids; do
	api token remove "$id" 2>>"$T_ROOT/race.err" &
	pids+=($!)
done
for i in $(seq 10); do
	api token add --role operator >"$T_ROOT/new.$i" 2>>"$T_ROOT/race.err" &
	pids+=($!)
done
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=1; done
ok $rc "20 removes and 10 adds at once all succeed"
API_VPSCTL=$FAKE
serve --login-limit 1000 --sample-interval 300
answers=$(while read -r t; do req "$t" GET /v1/node | cut -c1-50; done <"$T_ROOT/old" | sort | uniq -c)
is "each of the 20 removed tokens is refused" "$(sed 's/^ *//' <<<"$answers")" \
	'20 401 {"error":"invalid token"}'
answers=$(for i in $(seq 10); do req "$(cat "$T_ROOT/new.$i")" GET /v1/node | cut -c1-5; done | sort | uniq -c)
is "each of the 10 added tokens works" "$(sed 's/^ *//' <<<"$answers")" '10 200 {'
is "and the file holds exactly those 10" "$(grep -c . "$TOKENS")" 10

# A file without its last newline (edited by hand): removing an unknown ID writes nothing
# past its buffer (each line comes back with a newline), and the file is left as it was.
printf '%s' "$(cat "$TOKENS")" >"$TOKENS.new" && mv "$TOKENS.new" "$TOKENS"
before=$(sha256sum <"$TOKENS")
out=$(valgrind -q --error-exitcode=99 "$API" --root "$T_ROOT" token remove ffffffffffffffff 2>&1)
rc=$?
is "an unknown ID: exit 1 and the reason, no invalid write" "$rc $(tail -n1 <<<"$out")" \
	"1 vpsctl-api: no token 'ffffffffffffffff'"
is "and the file is unchanged" "$(sha256sum <"$TOKENS")" "$before"
echo >>"$TOKENS"

# --- an event stream ends when its token is removed, or expires
# stream_ends TOKEN LOG SECONDS: an event stream of TOKEN (its lines into LOG); once it is
# open and has reported c1, "$ACT"; prints its status and its last line SECONDS later
stream_ends() {
	timeout 60 python3 "$PROBE" sse-end "$SOCK" "$1" 50 >"$2" &
	wait_for 10 grep -q '"name":"c1"' "$2"
	$ACT
	wait_for "$3" grep -qx ended "$2"
	echo "$(sed -n 1p "$2") $(tail -n1 "$2")"
}
mkdir "$VPSDIR/c1" "$VPSDIR/c2" "$VPSDIR/c3"
CA=$(api token add --role customer --vps c1 2>/dev/null)
ACT="api token remove $(id_of "$CA")"
is "a removed token's event stream (200) ends within 10 s" \
	"$(stream_ends "$CA" "$T_ROOT/ev-a.log" 10)" "status 200 ended"
is "with the reason" "$(grep -A1 '^event: end' "$T_ROOT/ev-a.log" | tail -n1)" \
	'data: {"error":"token removed"}'
CX=$(api token add --role customer --vps c1 --expires "$(date -u -d '+8 sec' +%Y-%m-%dT%H:%M:%S)" 2>/dev/null)
ACT=:
is "an expiring token's event stream (200) ends within 20 s" \
	"$(stream_ends "$CX" "$T_ROOT/ev-x.log" 20)" "status 200 ended"
is "with the reason" "$(grep -A1 '^event: end' "$T_ROOT/ev-x.log" | tail -n1)" \
	'data: {"error":"token expired"}'

# A stream no longer reports a VPS its token no longer lists: the operator takes c3 from
# the customer's line, destroys c3 and makes a new c3 for someone else.
CB=$(api token add --role customer --vps c2,c3 2>/dev/null)
timeout 60 python3 "$CLIENT" sse "$SOCK" "$CB" 12 >"$T_ROOT/ev-b.log" &
EV=$!
wait_for 10 grep -q '"name":"c3"' "$T_ROOT/ev-b.log"
sed 's/ c2,c3 / c2 /' "$TOKENS" >"$TOKENS.new" && mv "$TOKENS.new" "$TOKENS"
sleep 1
rmdir "$VPSDIR/c3"
sleep 1
mkdir "$VPSDIR/c3"
wait "$EV"
is "c3 is reported once, never again once the token lost it" \
	"$(grep -c '^data: {"name":"c3","state":"stopped"' "$T_ROOT/ev-b.log")" 1

# --- a console closes (1008) when its token is removed
CC=$(api token add --role customer --vps c1 2>/dev/null)
cticket=$(req "$CC" POST /v1/vps/c1/console-ticket | sed -n 's/.*"ticket":"\([0-9a-f]*\)".*/\1/p')
timeout 60 python3 "$PROBE" ws-wait "$SOCK" "$CC" c1 "$T_ROOT/ws.ready" 30 >"$T_ROOT/ws.log" &
WS=$!
wait_for 10 test -e "$T_ROOT/ws.ready"
api token remove "$(id_of "$CC")"
wait "$WS"
is "a removed token's console closes with 1008 and the reason" "$(cat "$T_ROOT/ws.log")" \
	"HTTP/1.1 101 Switching Protocols
close 1008 token removed"
is "and a console ticket it took before is refused with the reason" \
	"$(curl -s --unix-socket "$SOCK" -H "Sec-WebSocket-Protocol: vpsctl-console, ticket.$cticket" \
		-w ' %{http_code}' http://x/v1/vps/c1/console)" '{"error":"token removed"} 401'

# --- console tickets: 4 live ones a token, and never another token's taken
CD=$(api token add --role customer --vps c2 2>/dev/null)
ticket=$(req "$CD" POST /v1/vps/c2/console-ticket | sed -n 's/.*"ticket":"\([0-9a-f]*\)".*/\1/p')
sleep 1.5 # its end is the nearest: the one an eviction would take
answers=$(for i in $(seq 70); do
	curl -s --unix-socket "$SOCK" -H "Authorization: Bearer $CB" -X POST http://x/v1/vps/c2/console-ticket \
		-o /dev/null -w '%{http_code}\n'
done | sort | uniq -c)
is "70 tickets asked by one token: 4 given, the rest 429" "$(sed 's/^ *//' <<<"$answers")" \
	"4 200
66 429"
is "with the reason" "$(req "$CB" POST /v1/vps/c2/console-ticket)" \
	'429 {"error":"this token already has 4 console tickets waiting; use one or wait 30 seconds"}'
is "another token's ticket still opens its console" \
	"$(timeout 30 python3 "$CLIENT" ws "$SOCK" "ticket:$ticket" /v1/vps/c2/console hello hello 10 | sed -n 1p)" \
	"HTTP/1.1 101 Switching Protocols"
finish
