#!/bin/bash
# Issue 19: vpsctl-api. Its routes against docs/openapi.json both ways; the tokens' file and
# socket modes; every route with no token, a wrong and an expired one, and a customer reaching
# another customer's VPS; hostile bodies and names (a 4xx with the reason, nothing changed);
# start/stop through the API seen by `vpsctl status`; a customer's plan; an event of a state
# change; the login rate limit; 20 clients for 10 s with no error.
. "$(dirname "$0")/lib.sh"
plan 172

SRC=${SOURCE_DIR:-$(dirname "$0")/../..}
# vpsctl as the daemon runs it, each argv logged: a password must never be in one
API_VPSCTL=$T_ROOT/vpsctl-wrap
printf '#!/bin/sh\nprintf "%%s\\n" "$*" >>%s\nexec %s "$@"\n' "$T_ROOT/argv.log" "$VPSCTL" >"$API_VPSCTL"
chmod 755 "$API_VPSCTL"
. "$(dirname "$0")/api-lib.sh"

# The routes the daemon has and the paths of the OpenAPI document, each "METHOD PATH".
doc_routes=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
for p, ops in d["paths"].items():
    for m in ops:
        print(m.upper(), p)' "$SRC/docs/openapi.json" | sort)
impl_routes=$("$API" --list-routes | sort)
is "every route is in openapi.json" "$(comm -23 <(echo "$impl_routes") <(echo "$doc_routes"))" ""
is "openapi.json has no route the daemon lacks" "$(comm -13 <(echo "$impl_routes") <(echo "$doc_routes"))" ""

build_template
vpsctl create c1 --template busybox >/dev/null
vpsctl create c2 --template busybox >/dev/null
OP=$(api token add --role operator 2>/dev/null)
CA=$(api token add --role customer --vps c1 --max-memory 256M --max-cpus 1 --templates busybox 2>/dev/null)
CB=$(api token add --role customer --vps c2 2>/dev/null)
EXP=$(api token add --role operator --expires 2000-01-01 2>/dev/null)
WRONG=$(printf '%064d' 7)
like "a token is 64 hex digits" "$OP" '^[0-9a-f]{64}$'
is "the token file is 0600" "$(stat -c %a "$T_ROOT/etc/vpsctl/api-tokens")" 600
grep -q "$OP" "$T_ROOT/etc/vpsctl/api-tokens"
ok $((!$?)) "the token itself is not stored"
out=$(api token add --role customer 2>&1)
is "a customer token without VPSes is refused" "$out" \
	"vpsctl-api: a customer token needs --vps NAME[,NAME...] (see 'vpsctl-api --help')"

serve --login-limit 100000 --sample-interval 1
is "the socket is 0600" "$(stat -c %a "$SOCK")" 600

# Every route: no token, wrong token, expired token, a customer on another's VPS.
while read -r method path; do
	p=${path//\{name\}/c2}
	body=
	[ "$method" = POST ] && body='{}'
	is "$method $path without a token: 401" "$(req "" "$method" "$p" $body)" \
		"401 {\"error\":\"missing token: send 'Authorization: Bearer TOKEN'\"}"
	is "$method $path with a wrong token: 401" "$(req "$WRONG" "$method" "$p" $body)" \
		'401 {"error":"invalid token"}'
	is "$method $path with an expired token: 401" "$(req "$EXP" "$method" "$p" $body)" \
		'401 {"error":"token expired"}'
	case $path in
	*'{name}'*)
		is "$method $path: another customer's VPS is 404" "$(req "$CA" "$method" "$p" $body)" \
			'404 {"error":"c2: no such VPS"}' ;;
	"/v1/vps") [ "$method" = POST ] &&
		is "POST /v1/vps by a customer: 403" "$(req "$CA" POST /v1/vps '{"name":"x","template":"busybox"}')" \
			'403 {"error":"operators only"}' ;;
	esac
done <<<"$impl_routes"
is "a customer lists only its VPSes" \
	"$(req "$CA" GET /v1/vps | grep -o '"name": *"[a-z0-9]*"' | tr -d ' ')" '"name":"c1"'
like "an operator lists every VPS" "$(req "$OP" GET /v1/vps | grep -o '"name": *"c[12]"' | tr -d ' \n')" \
	'"name":"c1""name":"c2"'
is "a customer may not suspend its own VPS" "$(req "$CA" POST /v1/vps/c1/suspend)" \
	'403 {"error":"operators only"}'
is "a customer may not destroy its own VPS" "$(req "$CA" DELETE /v1/vps/c1)" \
	'403 {"error":"operators only"}'

# Hostile input: the reason, and nothing changed.
conf_before=$(md5sum <"$T_ROOT/var/lib/vpsctl/vps/c1/vps.conf")
cli_reason=$(vpsctl status '../etc' 2>&1 | sed -n "s/^vpsctl: status: \(invalid VPS name[^(]*\) (see.*/\1/p")
like "the CLI refuses ../etc (the reason compared below)" "$cli_reason" "^invalid VPS name"
is "a name with ../ gets the CLI's reason" "$(req "$OP" GET /v1/vps/..%2Fetc)" \
	"400 {\"error\":\"${cli_reason% }\"}"
is "../ before an action too" "$(code "$OP" POST /v1/vps/..%2F..%2Fc1/start)" 400
is "an upper-case name" "$(code "$OP" GET /v1/vps/C1)" 400
is "malformed JSON" "$(req "$OP" POST /v1/vps/c1/resize '{"memory":')" \
	'400 {"error":"malformed JSON: unexpected token near end of file (at character 10)"}'
is "a body that is not an object" "$(req "$OP" POST /v1/vps/c1/resize '[1]')" \
	'400 {"error":"the body must be a JSON object"}'
is "an unknown field" "$(req "$OP" POST /v1/vps/c1/resize '{"memory":"128M","rootfs":"/"}')" \
	"400 {\"error\":\"unknown field 'rootfs'\"}"
is "a wrong type" "$(req "$OP" POST /v1/vps/c1/resize '{"memory":[1]}')" \
	"400 {\"error\":\"'memory' must be an integer or a string like \\\"512M\\\"\"}"
is "a stop that would wait past the action's time" "$(req "$OP" POST /v1/vps/c1/stop '{"timeout":3600}')" \
	"400 {\"error\":\"'timeout' must be an integer of 0-60\"}"
is "a bool of the wrong type" "$(req "$OP" POST /v1/vps/c1/stop '{"force":"yes"}')" \
	"400 {\"error\":\"'force' must be true or false\"}"
is "a bad size" "$(req "$OP" POST /v1/vps/c1/resize '{"memory":"lots"}')" \
	"400 {\"error\":\"invalid memory 'lots'\"}"
is "a duplicate key" "$(code "$OP" POST /v1/vps/c1/resize '{"memory":"128M","memory":"1G"}')" 400
is "an empty resize" "$(req "$OP" POST /v1/vps/c1/resize '{}')" \
	'400 {"error":"nothing to change: give at least one field"}'
is "start takes no fields" "$(req "$OP" POST /v1/vps/c1/start '{"now":true}')" \
	"400 {\"error\":\"unknown field 'now'\"}"
huge=$(head -c 200000 /dev/zero | tr '\0' ' ')
is "a huge body: 413" "$(printf '{"memory":"1G"%s}' "$huge" | req "$OP" POST /v1/vps/c1/resize -)" \
	'413 {"error":"body larger than 65536 bytes"}'
is "a create with a bad name" "$(code "$OP" POST /v1/vps '{"name":"../x","template":"busybox"}')" 400
is "a create without a template" "$(req "$OP" POST /v1/vps '{"name":"c9"}')" \
	"400 {\"error\":\"missing field 'template'\"}"
is "no route" "$(req "$OP" GET /v1/nothing)" '404 {"error":"no such route"}'
is "a wrong method" "$(code "$OP" PUT /v1/vps/c1)" 405
is "vps.conf unchanged by all of them" "$(md5sum <"$T_ROOT/var/lib/vpsctl/vps/c1/vps.conf")" "$conf_before"
is "c9 was not created" "$(ls "$T_ROOT/var/lib/vpsctl/vps")" "$(printf 'c1\nc2')"
is "c1 still stopped" "$(json_get "$(vpsctl status c1 --json)" state)" stopped

# A state change as an event: a customer's stream, its own VPS only.
timeout 120 python3 "$CLIENT" sse "$SOCK" "$CA" 100 >"$T_ROOT/events" 2>&1 &
SSE_PID=$!
sleep 1

# Start and stop through the API, seen by the CLI.
like "the list says stopped (and is cached for a second)" "$(req "$CA" GET /v1/vps)" '"state": *"stopped"'
r=$(req "$CA" POST /v1/vps/c1/start)
like "a customer starts its VPS: 200 with its status" "$r" '^200 \{.*"state": *"running"'
like "the list right after the start says running (the action dropped the cache)" \
	"$(req "$CA" GET /v1/vps)" '"state": *"running"'
is "vpsctl status sees it running" "$(json_get "$(vpsctl status c1 --json)" state)" running
is "starting it again: 409 with the CLI's reason" "$(req "$CA" POST /v1/vps/c1/start)" \
	'409 {"error":"c1: is already running"}'
like "stats of a running VPS" "$(req "$CA" GET /v1/vps/c1/stats)" '^200 \{.*"memory'
like "status through the API" "$(req "$CA" GET /v1/vps/c1)" '^200 \{.*"name": *"c1"'
# what a customer sees of its VPS: its plan and usage, not the node's
vpsctl set c1 --description "operator note: slow payer" >/dev/null
sleep 1.2 # the list the daemon keeps for a second (api-listcache.h) was made before the set
keys() { python3 -c 'import json,sys; d=json.loads(sys.stdin.read().split(" ",1)[1]); d=d[0] if isinstance(d,list) else d; print(" ".join(k for k in ("init_pid","supervisor_pid","uid_base","description","cap_add","cgroup_backend","userns") if k in d))'; }
is "a customer's status has no host pids, id range, description or capabilities" \
	"$(req "$CA" GET /v1/vps/c1 | keys)" ""
is "... nor its list" "$(req "$CA" GET /v1/vps | keys)" ""
like "... but its plan and usage" "$(req "$CA" GET /v1/vps/c1)" '"memory_used":.*"memory":.*"ip_address":'
is "the operator sees all of it" "$(req "$OP" GET /v1/vps/c1 | keys)" \
	"init_pid supervisor_pid uid_base description cap_add cgroup_backend userns"
is "... in the list too" "$(req "$OP" GET /v1/vps | python3 -c 'import json,sys; d=json.loads(sys.stdin.read().split(" ",1)[1]); print(sorted(v["description"] for v in d if v["name"]=="c1"))')" \
	"['operator note: slow payer']"

# The console over a WebSocket: a one-time ticket offered as a subprotocol (what a browser
# can send), or a Bearer header; framing checked by the client (ping, fragments, close).
ws() { timeout 60 python3 "$CLIENT" ws "$SOCK" "$@"; }
ticket() { req "$1" POST "/v1/vps/$2/console-ticket" | sed -n 's/^200 .*"ticket": *"\([0-9a-f]*\)".*/\1/p'; }
like "a customer gets a console ticket for its VPS" "$(req "$CA" POST /v1/vps/c1/console-ticket)" \
	'^200 \{"ticket":"[0-9a-f]{64}","expires_in":30,"protocol":"vpsctl-console"\}$'
tk=$(ticket "$CA" c1)
out=$(ws "ticket:$tk" /v1/vps/c1/console $'\necho ws-$((6*7))\n' ws-42 15)
like "the ticket opens the console: 101" "$out" '^HTTP/1.1 101 '
like "Sec-WebSocket-Accept is right" "$out" '^accept ok$'
like "a ping is answered with a pong" "$out" '^pong True$'
like "a fragmented command runs in the VPS and its answer comes back" "$out" '^found$'
like "a close is answered" "$out" '^close answered 1000$'
like "the ticket is single use" "$(ws "ticket:$tk" /v1/vps/c1/console x x 5 | tr '\n' ' ')" \
	'^HTTP/1.1 401 Unauthorized \{"error":"invalid, used or expired console ticket"\} $'
tk=$(ticket "$CA" c1)
like "a ticket for c1 does not open c2" "$(ws "ticket:$tk" /v1/vps/c2/console x x 5)" '^HTTP/1.1 401 '
like "a made-up ticket: 401" "$(ws "ticket:$(printf '%064d' 5)" /v1/vps/c1/console x x 5)" '^HTTP/1.1 401 '
like "a customer's header token on another's console: 404" "$(ws "$CA" /v1/vps/c2/console x x 5)" \
	'^HTTP/1.1 404 '
like "an operator's header token works too" "$(ws "$OP" /v1/vps/c1/console $'\necho op-$((6*7))\n' op-42 15)" \
	'^found$'
like "an unmasked client frame closes with 1002" "$(ws "$OP" /v1/vps/c1/console x x 10 unmasked)" \
	'^close 1002 protocol error$'
is "without a handshake: 400 with the reason" "$(req "$CA" GET /v1/vps/c1/console)" \
	'400 {"error":"the console is a WebSocket: send a WebSocket handshake"}'
is "a ticket takes no fields" "$(req "$CA" POST /v1/vps/c1/console-ticket '{"ttl":3600}')" \
	"400 {\"error\":\"unknown field 'ttl'\"}"

# Root's password: in the body, to vpsctl through its stdin (never argv); its hash verifies.
is "a customer sets root's password" "$(req "$CA" POST /v1/vps/c1/password '{"password":"s3cret-pass 42"}')" \
	'200 {"name":"c1","password_set":true}'
h=$(inside c1 'grep ^root: /etc/shadow' | cut -d: -f2)
is "the VPS's shadow holds its hash" \
	"$(/usr/bin/python3 -W ignore -c 'import crypt,sys; print(crypt.crypt(sys.argv[1], sys.argv[2]) == sys.argv[2])' 's3cret-pass 42' "$h")" True
is "a short password: 400" "$(req "$CA" POST /v1/vps/c1/password '{"password":"short"}')" \
	"400 {\"error\":\"'password' must be a string of 8-255 characters\"}"
is "a password with a newline: 400" "$(req "$CA" POST /v1/vps/c1/password '{"password":"abcdefgh\nroot::0:"}')" \
	"400 {\"error\":\"'password' must not hold control characters\"}"
is "a password is required" "$(req "$CA" POST /v1/vps/c1/password '{}')" \
	"400 {\"error\":\"missing field 'password'\"}"
grep -q 's3cret' "$T_ROOT/argv.log"
ok $((!$?)) "the password was in no argv (vpsctl got: $(grep -o -- '--root-password-file [^ ]*' "$T_ROOT/argv.log"))"
is "the refused ones changed nothing" "$(inside c1 'grep ^root: /etc/shadow' | cut -d: -f2)" "$h"

# Usage history (sampled every second here) and the node.
wait_for 10 sh -c "timeout 10 python3 '$CLIENT' req '$SOCK' '$CA' GET /v1/vps/c1/history | grep -q '\"state\": *\"running\"'"
ok $? "c1's history has a sample of it running"
hist=$(req "$CA" GET /v1/vps/c1/history)
like "a sample holds the usage fields" "$hist" '"memory_used": *[0-9]+.*"net_rx_bytes": *[0-9]+'
like "with its interval" "$hist" '^200 \{"name":"c1","interval":1,"samples":\['
node=$(req "$OP" GET /v1/node)
like "the node for an operator" "$node" '^200 \{"cpus":[1-9][0-9]*,"memory_total":[1-9][0-9]*,.*"vps_total":2,"vps_running":1'
is "not for a customer" "$(req "$CA" GET /v1/node)" '403 {"error":"operators only"}'

# The plan: memory and cpus within it, nothing else.
is "resize within the plan" "$(code "$CA" POST /v1/vps/c1/resize '{"memory":"200M","cpus":1}')" 200
is "the new memory is in vps.conf" "$(conf c1 MEMORY)" 200M
is "memory above the plan: 403" "$(req "$CA" POST /v1/vps/c1/resize '{"memory":"1G"}')" \
	'403 {"error":"memory 1073741824 is above your plan'"'"'s 268435456 bytes"}'
is "cpus above the plan: 403" "$(code "$CA" POST /v1/vps/c1/resize '{"cpus":2}')" 403
is "pids is not in a plan: 403" "$(code "$CA" POST /v1/vps/c1/resize '{"pids":100}')" 403
is "vps.conf kept the allowed memory" "$(conf c1 MEMORY)" 200M
is "a customer without a plan may not resize" "$(code "$CB" POST /v1/vps/c2/resize '{"memory":"100M"}')" 403

r=$(req "$CA" POST /v1/vps/c1/stop '{"timeout":5}')
like "a customer stops its VPS" "$r" '^200 \{.*"state": *"stopped"'
is "vpsctl status sees it stopped" "$(json_get "$(vpsctl status c1 --json)" state)" stopped

# Reinstall: a customer from the templates of its token only.
like "token list shows a customer's templates" "$(api token list)" $'\tbusybox$'
is "a template the token does not list: 403" "$(req "$CA" POST /v1/vps/c1/reinstall '{"template":"debian"}')" \
	"403 {\"error\":\"template 'debian' is not one your token may reinstall from\"}"
is "a customer token without templates: 403" "$(code "$CB" POST /v1/vps/c2/reinstall '{"template":"busybox"}')" 403
is "a template name with ../: 403" "$(code "$CA" POST /v1/vps/c1/reinstall '{"template":"../busybox"}')" 403
like "a customer reinstalls from its template: 200" "$(req "$CA" POST /v1/vps/c1/reinstall '{"template":"busybox"}')" \
	'^200 \{.*"name": *"c1"'
is "an operator token takes no --templates" "$(api token add --role operator --templates busybox 2>&1)" \
	"vpsctl-api: an operator has every template: --templates is for customers (see 'vpsctl-api --help')"
is "--templates checks its names" "$(api token add --role customer --vps c1 --templates ../x 2>&1)" \
	"vpsctl-api: invalid template name '../x' in --templates (see 'vpsctl-api --help')"
# shellcheck disable=SC2016
wait_for 15 sh -c 'sed -n "/\"state\":\"running\"/,\$p" "$1" | grep -q "\"name\":\"c1\",\"state\":\"stopped\""' - "$T_ROOT/events"
ok $? "the event stream said running, then stopped"
kill "$SSE_PID" 2>/dev/null
wait "$SSE_PID" 2>/dev/null
grep -q '"name":"c1","state":"running"' "$T_ROOT/events"
ok $? "the event stream had c1 running"
grep -q '"name":"c2"' "$T_ROOT/events"
ok $((!$?)) "a customer's stream has no other VPS"

# The operator: create and destroy.
is "an operator creates a VPS: 201" "$(code "$OP" POST /v1/vps '{"name":"c3","template":"busybox","memory":"128M"}')" 201
is "vpsctl sees it with its memory" "$(conf c3 MEMORY)" 128M
is "creating it again: 409" "$(code "$OP" POST /v1/vps '{"name":"c3","template":"busybox"}')" 409
is "an operator destroys it" "$(req "$OP" DELETE /v1/vps/c3)" '200 {"name":"c3","destroyed":true}'
[ ! -e "$T_ROOT/var/lib/vpsctl/vps/c3" ]
ok $? "it is gone"

# 20 clients for 10 s, bounded.
r=$(timeout 60 python3 "$CLIENT" load "$SOCK" "$OP" 20 10 /v1/vps)
diag "$r"
like "20 clients x 10 s: no error" "$r" '^requests=[1-9][0-9]* errors=0 '

# HTTPS (GnuTLS through libmicrohttpd): a self-signed certificate, the test's own loopback.
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 1 \
	-keyout "$T_ROOT/key.pem" -out "$T_ROOT/cert.pem" >/dev/null 2>&1
stop_serving
serve --tls-cert "$T_ROOT/cert.pem" --tls-key "$T_ROOT/key.pem" --port 8443
wait_for 10 python3 "$CLIENT" tls 127.0.0.1:8443 "" GET /v1/vps
like "HTTPS with a token: 200 and the list" "$(python3 "$CLIENT" tls 127.0.0.1:8443 "$OP" GET /v1/vps)" \
	'^200 \[.*"name": *"c1"'
is "HTTPS without a token: 401" "$(python3 "$CLIENT" tls 127.0.0.1:8443 "" GET /v1/vps/c1)" \
	"401 {\"error\":\"missing token: send 'Authorization: Bearer TOKEN'\"}"
is "HTTPS: a customer on another's VPS is 404" \
	"$(python3 "$CLIENT" tls 127.0.0.1:8443 "$CA" POST /v1/vps/c2/start)" '404 {"error":"c2: no such VPS"}'
stop_serving

# Socket activation: the socket made by systemd-socket-activate, handed over as fd 3.
systemd-socket-activate -l "$T_ROOT/act.sock" -E VPSCTL_ROOT="$T_ROOT" \
	"$API" --vpsctl "$VPSCTL" >/dev/null 2>&1 &
API_PID=$!
wait_for 10 test -S "$T_ROOT/act.sock"
like "a socket-activated daemon answers" "$(python3 "$CLIENT" req "$T_ROOT/act.sock" "$OP" GET /v1/vps/c2)" \
	'^200 \{.*"name": *"c2"'
[ ! -e "$T_ROOT/run/vpsctl/api.sock" ]
ok $? "and made no socket of its own"
stop_serving

# The login limit (default 10 a minute): the 11th failure is 429, and so is a right token.
stop_serving
serve
for i in $(seq 10); do req "$WRONG" GET /v1/vps >/dev/null; done
is "the 11th failed login: 429" "$(req "$WRONG" GET /v1/vps)" \
	'429 {"error":"too many failed logins from this peer; try again in a minute"}'
is "then even a right token waits" "$(code "$OP" GET /v1/vps)" 429
stop_serving
finish
