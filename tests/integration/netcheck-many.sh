#!/bin/bash
# `vpsctl net check` on a node with more VPS-facing interfaces in the node-services filter
# than one fixed buffer held (64): 66 routed busybox VPSes, each its own veth in the set. An
# intact node is reported intact; the 65th's element deleted behind vpsctl's back is
# reported (and only it, with 65 left in the set) and re-made by --repair; with every VPS
# stopped the table is gone. A stop takes only its own element.
. "$(dirname "$0")/lib.sh"
plan 13

N=66
cat >>"$T_ROOT/etc/vpsctl/vpsctl.conf" <<'CONF'
ROUTED_RANGES="198.18.0.0/24"
CONF

build_template
bad=""
for ((i = 1; i <= N; i++)); do
	vpsctl create "v$i" --template busybox --net routed --ip "198.18.0.$i" >/dev/null 2>&1 &&
		vpsctl start "v$i" >/dev/null 2>&1 || bad="$bad v$i"
done
is "$N routed VPSes created and started" "$bad" ""
is "... each its veth in the node-services set" \
	"$(nft list set inet vpsctl ifaces | grep -o '"veth-v[0-9]*"' | sort -u | wc -l)" "$N"

out=$(vpsctl net check 2>&1); rc=$?
is "net check on the intact node: exit 0" "$rc" 0
is "... and says nothing" "$out" ""

nft delete element inet vpsctl ifaces '{ "veth-v65" }'
out=$(vpsctl net check 2>&1); rc=$?
is "the 65th's filter deleted: exit 1" "$rc" 1
is "... reported, and only it" "$out" \
	"v65: 'veth-v65' is not in the node-services filter (nftables table inet vpsctl)"
out=$(vpsctl net check --repair 2>&1)
like "net check --repair repairs v65" "$out" "^v65: repaired$"
out=$(vpsctl net check 2>&1); rc=$?
is "then net check is clean: exit 0, nothing said" "$rc:$out" "0:"

# A stop takes only its own element; an element a crash left (an interface gone) stays until
# net check --repair prunes it.
nft add element inet vpsctl ifaces '{ "veth-gone" }'
check "stop v1" vpsctl stop --force v1
set_now=$(nft list set inet vpsctl ifaces)
unlike "v1's element went with it" "$set_now" '"veth-v1"'
like "... the crash's leftover did not" "$set_now" '"veth-gone"'
vpsctl net check --repair >/dev/null 2>&1
unlike "net check --repair prunes the leftover" "$(nft list set inet vpsctl ifaces)" '"veth-gone"'
for ((i = 2; i <= N; i++)); do vpsctl stop --force "v$i" >/dev/null 2>&1; done
nft list table inet vpsctl >/dev/null 2>&1
isnt_rc=$?
is "with all $N stopped the node-services table is gone" "$isnt_rc" 1
finish
