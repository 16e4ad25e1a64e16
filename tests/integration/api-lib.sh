# shellcheck shell=bash
# What the vpsctl-api tests share, sourced after lib.sh: the daemon on $SOCK with the vpsctl
# it is given ($API_VPSCTL), and requests to it.
API=${VPSCTL_API:-$(dirname "$0")/../../build/vpsctl-api}
CLIENT=$(dirname "$0")/api-client.py
SOCK=$T_ROOT/api.sock
api() { "$API" --root "$T_ROOT" "$@"; }
# req TOKEN METHOD PATH [BODY]: "CODE BODY"
req() { timeout 60 python3 "$CLIENT" req "$SOCK" "$@"; }
code() { req "$@" | cut -d' ' -f1; }

API_PID=
serve() {
	"$API" --root "$T_ROOT" --socket "$SOCK" --vpsctl "$API_VPSCTL" "$@" 2>>"$T_ROOT/api.log" &
	API_PID=$!
	wait_for 10 test -S "$SOCK"
}
stop_serving() {
	[ -n "$API_PID" ] && kill "$API_PID" 2>/dev/null && wait "$API_PID" 2>/dev/null
	API_PID=
}
trap 'stop_serving; t_cleanup' EXIT
