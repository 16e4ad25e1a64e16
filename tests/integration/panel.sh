#!/bin/bash
# Issue 19: the panel in headless Chromium over HTTPS on the test's own loopback: a wrong
# token shows an error; a customer sees its VPS and not another's, starts it, sees it
# running, opens the console (a WebSocket), types `hostname` and reads the answer; the
# screenshots are kept under the build dir. Under CI=true a missing browser is a failure.
. "$(dirname "$0")/lib.sh"

API=${VPSCTL_API:-$(dirname "$0")/../../build/vpsctl-api}
SRC=${SOURCE_DIR:-$(dirname "$0")/../..}
SHOTS=${BUILD_DIR:-$(dirname "$0")/../../build}/panel-screenshots
if ! [ -x /usr/bin/chromium ] || ! [ -x /usr/bin/chromedriver ] ||
	! /usr/bin/python3 -c 'import selenium' 2>/dev/null; then
	if [ "${CI:-}" = true ]; then
		echo "Bail out! chromium, chromium-driver or python3-selenium missing (scripts/install-deps.sh) and CI=true forbids skipping"
		exit 1
	fi
	echo "1..0 # SKIP needs chromium, chromium-driver and python3-selenium (scripts/install-deps.sh)"
	exit 0
fi
plan 28

API_PID=
trap '[ -n "$API_PID" ] && kill "$API_PID" 2>/dev/null && wait "$API_PID"; t_cleanup' EXIT

build_template
vpsctl create web1 --template busybox --hostname panel-host-1 >/dev/null
vpsctl create other9 --template busybox >/dev/null
CA=$("$API" --root "$T_ROOT" token add --role customer --vps web1 2>/dev/null)
OP=$("$API" --root "$T_ROOT" token add --role operator 2>/dev/null)
"$API" --root "$T_ROOT" token add --role customer --vps other9 >/dev/null 2>&1
WRONG=$(printf '%064d' 3)
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 1 \
	-keyout "$T_ROOT/key.pem" -out "$T_ROOT/cert.pem" >/dev/null 2>&1
"$API" --root "$T_ROOT" --socket "$T_ROOT/api.sock" --vpsctl "$VPSCTL" --panel "$SRC/api/panel" \
	--tls-cert "$T_ROOT/cert.pem" --tls-key "$T_ROOT/key.pem" --port 8443 --sample-interval 1 2>"$T_ROOT/api.log" &
API_PID=$!
wait_for 10 bash -c 'exec 3<>/dev/tcp/127.0.0.1/8443' 2>/dev/null
ok $? "the daemon listens on 127.0.0.1:8443"

hdr=$(curl -sk -D - -o /dev/null https://127.0.0.1:8443/panel/)
like "the panel has a Content-Security-Policy without inline script" "$hdr" \
	"Content-Security-Policy: default-src 'none'; script-src 'self';"
is "Debian's xterm.css is served under /panel/vendor/" \
	"$(curl -sk -o /dev/null -w '%{http_code}' https://127.0.0.1:8443/panel/vendor/xterm/xterm.css)" 200
is "but nothing above it" \
	"$(curl -sk -o /dev/null -w '%{http_code}' https://127.0.0.1:8443/panel/vendor/xterm/../../../../etc/passwd --path-as-is)" 404

CHROME_PROFILE=$T_ROOT/chromium timeout 300 /usr/bin/python3 "$(dirname "$0")/panel-browser.py" \
	https://127.0.0.1:8443/panel/ "$CA" "$WRONG" web1 other9 panel-host-1 "$SHOTS" "$OP" "$VPSCTL" "$T_ROOT" \
	>"$T_ROOT/browser.out" 2>"$T_ROOT/browser.err"
rc=$?
is "the browser script ran" "$rc" 0
[ "$rc" = 0 ] || sed 's/^/# /' "$T_ROOT/browser.err" | tail -20
r() { sed -n "s/^RESULT $1 //p" "$T_ROOT/browser.out" | head -1; }
is "a wrong token shows the reason" "$(r wrong_token_error)" "Login failed: invalid token"
is "and no list" "$(r wrong_token_list_hidden)" True
is "the customer sees its VPS only" "$(r names)" web1
is "not another customer's" "$(r other_shown)" False
is "the token is in sessionStorage" "$(r token_in_session_storage)" True
is "nothing in localStorage" "$(r token_in_local_storage)" False
is "web1 shows stopped" "$(r state_before)" stopped
is "after Start it shows running" "$(r state_after_start)" running
is "vpsctl agrees" "$(json_get "$(vpsctl status web1 --json)" state)" running
is "the console connects" "$(r console)" connected
is "hostname typed in the browser console answers" "$(r hostname_answer)" panel-host-1
is "the password form says it was set" "$(r password_message)" "web1: root password set"
is "and empties its field" "$(r password_field_cleared)" True
h=$(inside web1 'grep ^root: /etc/shadow' | cut -d: -f2)
is "the VPS's shadow holds the hash of what was typed" \
	"$(/usr/bin/python3 -W ignore -c 'import crypt,sys; print(crypt.crypt(sys.argv[1], sys.argv[2]) == sys.argv[2])' panel-pass-123 "$h")" True
is "the graph has the daemon's samples" "$(r graph_samples_ge_5)" True
is "a customer sees no node" "$(r customer_sees_node)" False
is "logging out forgets the token" "$(r logged_out_token_gone)" None
is "an operator sees every VPS" "$(r operator_names)" other9,web1
like "and the node" "$(r operator_node)" 'CPUs [1-9].*VPSes 2 Running 1'
is "a start made with vpsctl reaches the page as an event" "$(r event_state)" running
is "and the card shows it" "$(r event_card_state)" running
is "no Content-Security-Policy violation in the page" "$(r csp_violations)" 0
for s in $(sed -n 's/^RESULT screenshot //p' "$T_ROOT/browser.out"); do diag "screenshot: $s"; done
[ -s "$SHOTS/panel-console.png" ]
ok $? "the console screenshot is kept: $SHOTS/panel-console.png"
finish
