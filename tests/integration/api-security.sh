#!/bin/bash
# vpsctl-api attacked: what a child vpsctl inherits (only its stdin, stdout and stderr: an
# HTTPS console's socketpair kept the console attached after its browser left), a customer's
# resize without a plan, event streams per token, connections per address and per IPv6 /64,
# the short timeout of a connection without a token, the login limit per IPv6 /64, and the
# headers of a JSON answer. vpsctl here is a stand-in that logs.
. "$(dirname "$0")/lib.sh"
plan 20
. "$(dirname "$0")/api-lib.sh"
PROBE=$(dirname "$0")/api-security.py
get() { timeout 30 python3 "$PROBE" get "$@"; }

# The stand-in: logs its argv and its open fds, answers as vpsctl would; a console echoes.
FAKE=$T_ROOT/fake-vpsctl
cat >"$FAKE" <<PY
#!/usr/bin/python3
import os, sys
fds = sorted(int(f) for f in os.listdir('/proc/self/fd'))
fds = [f for f in fds if os.path.exists('/proc/self/fd/%d' % f)]  # not listdir's own
args = [a for a in sys.argv[1:] if a not in ('--root', '$T_ROOT')]
with open('$T_ROOT/fds.log', 'a') as f:
    f.write('%s: %s\n' % (args[0], ' '.join(map(str, fds))))
with open('$T_ROOT/argv.log', 'a') as f:
    f.write(' '.join(args) + '\n')
if args[0] == 'console':
    open('$T_ROOT/console.pid', 'w').write(str(os.getpid()))
    while True:
        d = os.read(0, 4096)
        if not d:
            sys.exit(0)
        os.write(1, d)
print('[]' if args[0] == 'list' else '{"name":"%s","state":"running"}' % args[1])
PY
chmod 755 "$FAKE"

OP=$(api token add --role operator 2>/dev/null)
CA=$(api token add --role customer --vps c1 --max-memory 256M --max-cpus 1 2>/dev/null)
CB=$(api token add --role customer --vps c2 2>/dev/null)
WRONG=$(printf '%064d' 7)
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 1 \
	-keyout "$T_ROOT/key.pem" -out "$T_ROOT/cert.pem" >/dev/null 2>&1
# two IPv6 addresses of one /64 on the node's loopback
ip -6 addr add fd00:5ec::1/64 dev lo nodad
ip -6 addr add fd00:5ec::2/64 dev lo nodad

"$API" --root "$T_ROOT" --socket "$SOCK" --vpsctl "$FAKE" --tls-cert "$T_ROOT/cert.pem" \
	--tls-key "$T_ROOT/key.pem" --port 8443 --sample-interval 300 2>"$T_ROOT/api.log" &
API_PID=$!
trap 'kill "$API_PID" 2>/dev/null; wait "$API_PID" 2>/dev/null; t_cleanup' EXIT
wait_for 10 sh -c "python3 '$PROBE' get 127.0.0.1 127.0.0.1 - /v1/vps | grep -q ^401"

# What a child inherits: its three fds, not the daemon's (an action, an HTTPS console).
# (the password: an action still run as vpsctl, its secret on stdin; resize is a library call)
is "an action's vpsctl has fds 0-2 only" "$(req "$CA" POST /v1/vps/c1/password '{"password":"s3cret-pass 42"}' >/dev/null
	grep ^set: "$T_ROOT/fds.log")" "set: 0 1 2"
out=$(timeout 30 python3 "$PROBE" console-drop 127.0.0.1 "$OP" c1 "$T_ROOT/console.pid" 20)
like "an HTTPS console opens" "$out" '^HTTP/1.1 101 '
is "an HTTPS console's vpsctl has fds 0-2 only" "$(grep ^console: "$T_ROOT/fds.log")" "console: 0 1 2"
like "its vpsctl ends when the browser goes without a close" "$out" '^gone$'

# The plan: a value of 0 is a value asked for, and a token without a plan has none.
: >"$T_ROOT/argv.log"
is "no plan: memory 0 is refused" "$(req "$CB" POST /v1/vps/c2/resize '{"memory":0}')" \
	'403 {"error":"your token has no plan for memory"}'
is "no plan: cpus that round to 0 are refused" "$(req "$CB" POST /v1/vps/c2/resize '{"cpus":0.0001}')" \
	'403 {"error":"your token has no plan for cpus"}'
is "and vpsctl was not run" "$(grep -c resize "$T_ROOT/argv.log")" 0

# Event streams: a token holds 8 at once; the 9th is refused with the reason.
out=$(timeout 60 python3 "$PROBE" sse "$SOCK" "$CA" 9)
is "8 event streams of one token" "$(grep -c '^200 ' <<<"$out")" 8
is "the 9th: 429 with the reason" "$(tail -n1 <<<"$out")" \
	'429 {"error":"this token already has 8 event streams open"}'
wait_for 30 sh -c "timeout 10 python3 '$CLIENT' sse '$SOCK' '$CB' 1 | grep -q '^status 200'"
ok $? "another token's stream is not held up"

# Connections: 32 idle ones from one address leave the others served, and shut out that one.
out=$(timeout 60 python3 "$PROBE" hold 127.0.0.1 127.0.0.1 32 30 \
	sh -c "python3 '$PROBE' get 127.0.0.1 127.0.0.1 '$OP' /v1/vps | head -n1; python3 '$PROBE' get 127.0.0.2 127.0.0.1 '$OP' /v1/vps | head -n1")
like "with 32 idle connections, that address's 33rd is closed" "$(sed -n 1p <<<"$out")" "^failed "
is "another address is served" "$(sed -n 2p <<<"$out")" 200

# One IPv6 /64 is one peer: 17 of its addresses with 32 connections each (more than the 512
# of the daemon) hold 32 in all, and an operator from elsewhere is served.
for i in $(seq 16 32); do ip -6 addr add "fd00:5ec::$(printf %x "$i")/64" dev lo nodad; done
out=$(timeout 120 python3 "$PROBE" hold6 fd00:5ec: 16 17 32 fd00:5ec::1 60 \
	sh -c "python3 '$PROBE' get 127.0.0.1 127.0.0.1 '$OP' /v1/node | sed -n 1p; python3 '$PROBE' get fd00:5ec::2 fd00:5ec::1 '$OP' /v1/node | sed -n 1p")
is "17 addresses of one /64 hold 32 connections in all" "$(sed -n 1p <<<"$out")" "held 32 of 544"
is "an operator from another address is served" "$(sed -n 2p <<<"$out")" 200
like "another address of that /64 is closed at accept" "$(sed -n 3p <<<"$out")" "^failed "

# A connection that shows no token is closed after 10 idle seconds; an event stream that
# showed one lives on its keepalives (every 15 s) past that.
timeout 60 python3 "$PROBE" sse-tls 127.0.0.1 "$OP" 25 >"$T_ROOT/sse-tls.log" 2>&1 &
SSE=$!
is "an idle connection without a token is closed within 25 s" \
	"$(timeout 40 python3 "$PROBE" idle 127.0.0.3 127.0.0.1 25)" closed
wait "$SSE"
like "an event stream over HTTPS quiet for 25 s is still open" \
	"$(sed -n 1p "$T_ROOT/sse-tls.log") / $(sed -n 2p "$T_ROOT/sse-tls.log")" '^HTTP/1.1 200 OK / open, [12] keepalives$'

# The login limit counts an IPv6 /64 as one peer; an IPv4 peer stays its own.
for i in $(seq 10); do get fd00:5ec::1 fd00:5ec::1 "$WRONG" /v1/vps >/dev/null; done
is "10 failures from one address block its /64" "$(get fd00:5ec::2 fd00:5ec::1 "$OP" /v1/vps | head -n1)" 429
is "an IPv4 peer is not blocked" "$(get 127.0.0.1 127.0.0.1 "$OP" /v1/vps | head -n1)" 200

# A JSON answer: no cache keeps it, no browser reads it as anything else.
hdrs=$(get 127.0.0.1 127.0.0.1 "$CA" /v1/vps/c1)
like "a JSON answer says Cache-Control: no-store and nosniff" "$(grep -ci -e '^Cache-Control: no-store' -e '^X-Content-Type-Options: nosniff' <<<"$hdrs")" '^2$'
finish
