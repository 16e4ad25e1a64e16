#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# run-suite.sh [BUILD_DIR [SOURCE_DIR]] - the cgroup v2 VM suite (meson test 'cgroup-v2-vm').
#
# Boots ONE VM (vm-run) and runs every TAP script tests/v2vm/guest/*.sh in it, or those whose
# names match the space-separated globs in V2VM_TESTS (e.g. V2VM_TESTS='00-*'). The scripts'
# results are renumbered into one TAP stream on stdout; exit 0 iff every test passed.
#
# Needs root (qemu install, the guest tests mount and make cgroups). Without root, or when
# qemu or the kernel cannot be installed, it skips: a TAP '1..0 # SKIP' plan and exit
# V2VM_SKIP_STATUS (default 77; meson.build sets 0, since meson counts a TAP test's
# non-zero exit as an error). Under CI=true a skip is a failure instead: exit 1.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
BUILD_DIR=${1:-${BUILD_DIR:-}}
SOURCE_DIR=${2:-${SOURCE_DIR:-$(cd "$here/../.." && pwd)}}
[[ -n $BUILD_DIR ]] || { echo "usage: $0 BUILD_DIR [SOURCE_DIR] (or env BUILD_DIR)" >&2; exit 2; }
BUILD_DIR=$(realpath -- "$BUILD_DIR")
SOURCE_DIR=$(realpath -- "$SOURCE_DIR")
VPSCTL=${VPSCTL:-$BUILD_DIR/vpsctl}
guest=$SOURCE_DIR/tests/v2vm

skip_suite() {
	if [[ ${CI:-} == true ]]; then
		echo "Bail out! cgroup v2 VM suite cannot run under CI: $*"
		exit 1
	fi
	echo "1..0 # SKIP $*"
	exit "${V2VM_SKIP_STATUS:-77}"
}

select_tests() {
	local f name pat pats
	read -ra pats <<< "${V2VM_TESTS:-*}" # split on blanks, no pathname expansion
	for f in "$guest"/guest/*.sh; do
		[[ -f $f ]] || continue
		name=${f##*/}
		for pat in "${pats[@]}"; do
			# shellcheck disable=SC2053 # pat is a glob on purpose
			if [[ $name == $pat || $name == $pat.sh ]]; then
				echo "$f"
				break
			fi
		done
	done
}

# The build's busybox (meson option 'busybox', baked into config.h), which
# `vpsctl template build busybox` copies.
busybox_path() {
	local p
	p=$(sed -n 's/^#define BUSYBOX_PATH "\(.*\)"$/\1/p' "$BUILD_DIR/config.h" 2>/dev/null)
	echo "${p:-/bin/busybox}"
}

vm_options() {
	local p
	VM_OPTS=(-s 256 -m "${V2VM_MEM:-1024}" -c "${V2VM_CPUS:-2}" -t "${V2VM_TIMEOUT:-1500}"
		-b "$guest" -e "BUILD_DIR=$BUILD_DIR" -e "SOURCE_DIR=$SOURCE_DIR" -e "VPSCTL=$VPSCTL"
		-e "CI=${CI:-}" -e "V2VM_SCRIPT_TIMEOUT=${V2VM_SCRIPT_TIMEOUT:-900}")
	# disk quotas (guest/40-disk.sh): loop devices and e2fsprogs
	VM_OPTS+=(-k loop -k ext4 -k crc32c_generic)
	# project quotas (guest/45-disk-project.sh): the quota file format ext4 keeps them in
	VM_OPTS+=(-k quota_v2)
	# the node-services filter (netsetup/nodefw.c): nftables with connection tracking, and
	# libnftables, which vpsctl loads with dlopen (ldd of the binaries does not name it)
	VM_OPTS+=(-k nf_tables -k nft_ct)
	p=$(ldconfig -p | awk '$1 == "libnftables.so.1" { print $NF; exit }')
	if [[ -n $p ]]; then VM_OPTS+=(-b "$p"); fi
	# the /proc view (guest/60-procview.sh): the host's lxcfs (Debian's package), its library
	# (dlopen'd, so not in ldd's list) and the fuse module
	VM_OPTS+=(-k fuse)
	for p in /usr/bin/lxcfs /usr/lib/x86_64-linux-gnu/lxcfs/liblxcfs.so; do
		if [[ -e $p ]]; then VM_OPTS+=(-b "$p"); fi
	done
	# checkpoint/restore (guest/80-criu.sh): Debian's criu and what it runs (GNU tar and gzip for tmpfs
	# contents, iptables-nft for the network lock's probe, iproute2's ip), the socket diag
	# modules it dumps sockets with, tun and conntrack netlink, which its feature check probes
	VM_OPTS+=(-k tun -k nf_conntrack_netlink -k inet_diag -k tcp_diag -k udp_diag -k raw_diag
		-k unix_diag -k netlink_diag -k af_packet_diag)
	# a VPS with an address (80-criu.sh's veth): what vpsctl's plumbing loads on a real node
	VM_OPTS+=(-k br_netfilter -k sch_ingress -k sch_htb -k sch_tbf -k cls_u32 -k cls_bpf
		-k act_police -k nft_chain_nat -k nf_nat -k nft_fib_inet -k nft_reject_inet -k nft_masq
		-k nft_limit -k nft_meta_bridge -k nft_nat -k nft_redir)
	for p in /usr/sbin/criu /usr/sbin/xtables-nft-multi /bin/tar /bin/gzip /sbin/ip /usr/sbin/nft; do
		if [[ -e $p ]]; then VM_OPTS+=(-b "$p"); fi
	done
	# migration over ssh (guest/85-migrate.sh): a private sshd of the test's, the client, keys
	for p in /usr/sbin/sshd /usr/bin/ssh /usr/bin/ssh-keygen "$SOURCE_DIR/tests/helpers/private-sshd.sh"; do
		if [[ -e $p ]]; then VM_OPTS+=(-b "$p"); fi
	done
	for p in "$VPSCTL" "$BUILD_DIR/vps-supervisor" "$BUILD_DIR/vps-execve" "$BUILD_DIR/vpsctl-template" "$BUILD_DIR/tests/helpers" "$(busybox_path)" /sbin/mke2fs \
		/sbin/mkfs.ext4 /sbin/resize2fs /etc/mke2fs.conf; do
		if [[ -e $p ]]; then VM_OPTS+=(-b "$p"); fi
	done
	if [[ ${V2VM_VERBOSE:-0} == 1 ]]; then VM_OPTS+=(-v); fi
}

# Renumber the scripts' TAP lines into one stream. A script's plan is checked against what
# it ran; a non-zero exit with no failing test, no test at all, a bail-out or a script the
# VM never finished each become a failing test. Everything else is passed on as comments.
# Writes "count failures unfinished-script" to $1.
merge_tap() {
	awk -v state="$1" '
	function out(s) { print s; fflush() }
	{ sub(/\r$/, "") }
	function result(good, desc) {
		n++
		out((good ? "ok " : "not ok ") n " - " cur ": " desc)
		if (!good) { failed++; bad++ }
	}
	/^V2VM-BEGIN / { cur = $2; ran = 0; bad = 0; plan = -1; skipall = ""; out("# --- " cur); next }
	/^V2VM-END / && cur != "" {
		rc = $3
		if (ran == 0 && (skipall != "" || rc == 77)) {
			n++; out("ok " n " - " cur " # SKIP " (skipall != "" ? skipall : "exit 77"))
		} else if (ran == 0) {
			result(0, "no TAP results (exit " rc ")")
		} else {
			if (plan >= 0 && plan != ran) result(0, "planned " plan " tests, ran " ran)
			if (rc == 137 && bad == 0) result(0, "killed (V2VM_SCRIPT_TIMEOUT?)")
			else if (rc != 0 && bad == 0) result(0, "exited " rc " with no failing test")
		}
		cur = ""; next
	}
	cur != "" && /^(not )?ok([ \t]|$)/ {
		good = ($1 == "ok"); desc = $0
		sub(/^(not )?ok[ \t]*[0-9]*[ \t]*(-[ \t]*)?/, "", desc)
		ran++
		if (!good && desc ~ /#[ \t]*[Tt][Oo][Dd][Oo]/) good = 1
		n++
		out(($1 == "ok" ? "ok " : "not ok ") n " - " cur ": " desc)
		if (!good) { failed++; bad++ }
		next
	}
	cur != "" && /^1\.\.[0-9]+/ {
		plan = $0; sub(/^1\.\./, "", plan); plan = plan + 0
		if (plan == 0 && $0 ~ /#[ \t]*[Ss][Kk][Ii][Pp]/) {
			skipall = $0; sub(/^[^#]*#[ \t]*[Ss][Kk][Ii][Pp][ \t]*/, "", skipall)
			if (skipall == "") skipall = "skipped"
		}
		out("# " cur " plan: " $0); next
	}
	cur != "" && /^Bail out!/ { result(0, $0); next }
	/^#/ { out($0); next }
	{ out("# " $0) }
	END { print n + 0, failed + 0, cur > state }
	'
}

main() {
	local tests count failed unfinished rc t0=$SECONDS
	[[ $(id -u) == 0 ]] || skip_suite "needs root (qemu install, cgroups in the VM)"
	mapfile -t tests < <(select_tests)
	[[ ${#tests[@]} -gt 0 ]] || { echo "Bail out! no test matches V2VM_TESTS='${V2VM_TESTS:-*}'"; exit 1; }
	if ! "$guest/vm-run" --setup >&2; then
		skip_suite "cannot install qemu or fetch the kernel (no network?)"
	fi
	vm_options
	state=$(mktemp "${TMPDIR:-/tmp}/v2vm-suite.XXXXXX") # global: the EXIT trap reads it
	trap 'rm -f "$state"' EXIT
	echo "# cgroup v2 VM suite: ${tests[*]##*/}"
	"$guest/vm-run" "${VM_OPTS[@]}" - /bin/sh "$guest/guest-run.sh" "${tests[@]}" |
		merge_tap "$state"
	rc=${PIPESTATUS[0]}
	read -r count failed unfinished < "$state"
	count=${count:-0} failed=${failed:-0}
	if [[ -n $unfinished || $rc == 124 || $rc == 125 ]]; then
		count=$((count + 1)) failed=$((failed + 1))
		echo "not ok $count - ${unfinished:-vm}: the VM did not finish the suite (vm-run exit $rc)"
	elif [[ $rc != 0 ]]; then
		count=$((count + 1)) failed=$((failed + 1))
		echo "not ok $count - guest-run.sh exited $rc"
	fi
	echo "# $((count - failed)) passed, $failed failed, $((SECONDS - t0)) s in all"
	echo "1..$count"
	[[ $failed == 0 ]]
}

main
