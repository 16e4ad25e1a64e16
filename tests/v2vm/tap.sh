# SPDX-License-Identifier: GPL-2.0-or-later
# Minimal TAP helpers for the guest scripts in tests/v2vm/guest/ (POSIX sh: the guest's
# /bin/sh is the host's dash; other tools are busybox applets). Source it, call the
# checks, end with `done_testing`, which prints the plan and exits 0 only if all passed.

T_N=0
T_FAILED=0

diag() { echo "# $*"; }

tap_result() { # status(0 = pass) description
	T_N=$((T_N + 1))
	if [ "$1" = 0 ]; then
		echo "ok $T_N - $2"
	else
		echo "not ok $T_N - $2"
		# a known failure marked "# TODO" (TAP): shown, not counted (run-suite.sh agrees)
		case $2 in *"# TODO"*) ;; *) T_FAILED=$((T_FAILED + 1)) ;; esac
	fi
}

# check DESC CMD [ARG...]: passes when CMD exits 0; CMD's output is shown as diagnostics.
check() {
	_d=$1
	shift
	_out=$("$@" 2>&1)
	_rc=$?
	[ -z "$_out" ] || printf '%s\n' "$_out" | sed 's/^/#   /'
	[ $_rc = 0 ] || diag "'$*' exited $_rc"
	tap_result $_rc "$_d"
	return $_rc
}

# is DESC GOT WANT
is() {
	if [ "$2" = "$3" ]; then
		tap_result 0 "$1"
	else
		diag "got '$2', want '$3'"
		tap_result 1 "$1"
	fi
}

# in_range DESC VALUE LOW HIGH: integer LOW <= VALUE <= HIGH
in_range() {
	if [ -n "$2" ] && [ "$2" -ge "$3" ] 2>/dev/null && [ "$2" -le "$4" ]; then
		tap_result 0 "$1 ($2 in $3..$4)"
	else
		tap_result 1 "$1 (got '$2', want $3..$4)"
	fi
}

skip() { # DESC REASON
	T_N=$((T_N + 1))
	echo "ok $T_N - $1 # SKIP $2"
}

bail() {
	echo "Bail out! $*"
	exit 1
}

done_testing() {
	echo "1..$T_N"
	[ "$T_FAILED" = 0 ]
	exit $?
}

# node_root PARENT: a private node for vpsctl --root "$ROOT" whose VPS cgroups go under PARENT
# (sets VPSCTL when unset, and ROOT).
node_root() {
	VPSCTL=${VPSCTL:-$BUILD_DIR/vpsctl}
	ROOT=$(mktemp -d /tmp/vpsctl-root.XXXXXX) || bail "mktemp failed"
	mkdir -p "$ROOT/etc/vpsctl"
	echo "CGROUP_PARENT=$1" > "$ROOT/etc/vpsctl/vpsctl.conf"
	# the VM's / is a tmpfs: no 10G default disk image per VPS in its RAM (45-disk-project.sh
	# and 40-disk.sh test disk quotas)
	echo "DEFAULT_DISK=0" >> "$ROOT/etc/vpsctl/vpsctl.conf"
}
