# shellcheck shell=bash
# The attacks of the neighbour test and bench (issue 16 item 4), shared by
# tests/integration/neighbours.sh and bench/neighbours.sh. Each is shell code for the busybox
# sh INSIDE the attacker VPS (never the node) that attacks for SECS seconds and then stops by
# itself, so nothing outlives a run even if the caller dies. The static helpers come from
# tests/helpers (forkbomb, alloc, echod).

# shellcheck disable=SC2034 # used by the scripts that source this file
NEIGHBOUR_ATTACKS="forkbomb balloon diskfill iohammer cpuhog"
NEIGHBOUR_PORT=7777

# neighbour_install VPSCTL_FN NAME HELPERS_DIR [echo]: the static helpers into the running VPS
# NAME through exec (a VPS with a disk image has its rootfs only inside the image), VPSCTL_FN
# being the caller's vpsctl function; with "echo", an inittab line that keeps the echo server
# running as the VPS's own service, and a restart so its init reads it.
neighbour_install() {
	local h
	for h in forkbomb alloc echod; do
		"$1" exec "$2" -- sh -c "cat >/bin/$h && chmod 0755 /bin/$h" <"$3/$h" || return 1
	done
	[ "${4:-}" = echo ] || return 0
	"$1" exec "$2" -- sh -c "echo '::respawn:/bin/echod serve $NEIGHBOUR_PORT' >>/etc/inittab" &&
		"$1" stop "$2" >/dev/null && "$1" start "$2" >/dev/null
}

# attack_code NAME SECS: the shell code of attack NAME.
attack_code() {
	local until="end=\$((\$(date +%s) + $2)); alive() { [ \$(date +%s) -lt \$end ]; }"
	case $1 in
	# every process forks, each child too, until the pids cap refuses them
	forkbomb) echo "/bin/forkbomb $2" ;;
	# 1 GiB touched under a smaller --memory: OOM-killed, again and again
	balloon) echo "$until; while alive; do /bin/alloc 1024 >/dev/null; done" ;;
	# write until the disk quota refuses (its message printed: not into a file on the full
	# disk), delete, again
	diskfill) echo "$until; while alive; do dd if=/dev/zero of=/fill bs=1M 2>&1 | grep -v records;
		rm -f /fill; done" ;;
	# direct writes, and buffered writes made durable by sync(2), in parallel, as fast as
	# they go (on v1 the kernel's flusher writes the latter, outside the VPS's cgroup)
	iohammer) echo "$until; while alive; do dd if=/dev/zero of=/io1 bs=64k count=256 \
		oflag=direct 2>/dev/null; done & while alive; do dd if=/dev/zero of=/io2 bs=1M \
		count=32 2>/dev/null; sync; done; wait; rm -f /io1 /io2" ;;
	# three busy loops under a one-CPU cap
	cpuhog) echo "for i in 1 2 3; do timeout -s KILL $2 sh -c 'while :; do :; done' & done; wait" ;;
	*) return 1 ;;
	esac
}
