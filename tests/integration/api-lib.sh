# What the vpsctl-api scripts share, sourced after lib.sh: the daemon, the probes, the socket.
API=${VPSCTL_API:-$(dirname "$0")/../../build/vpsctl-api}
PROBE=$(dirname "$0")/api-security.py
CLIENT=$(dirname "$0")/api-client.py
SOCK=$T_ROOT/api.sock
api() { "$API" --root "$T_ROOT" "$@"; }
# req TOKEN METHOD PATH [BODY]: "CODE BODY"
req() { timeout 60 python3 "$CLIENT" req "$SOCK" "$@"; }
