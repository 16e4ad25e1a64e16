# shellcheck shell=bash
# Shared by the integration tests: TAP output, a private node (own network namespace, own
# cgroup parent, own --root), and cleanup of everything a test made.
set -u

VPSCTL=${VPSCTL:-$(dirname "$0")/../../build/vpsctl}

# Root only; under CI=true a skip is a failure.
if [ "$(id -u)" != 0 ]; then
	if [ "${CI:-}" = true ]; then
		echo "Bail out! integration tests need root and CI=true forbids skipping"
		exit 1
	fi
	# meson's TAP parser reads a 1..0 plan as a skip; a non-zero exit would be an error
	echo "1..0 # SKIP needs root"
	exit 0
fi

# The whole test runs in its own network namespace: the "node".
if [ -z "${VPSCTL_TEST_IN_NODE:-}" ]; then
	VPSCTL_TEST_IN_NODE=1 exec unshare --net -- "$0" "$@"
fi
ip link set lo up

T_ROOT=$(mktemp -d /tmp/vpsctl-it.XXXXXX)
T_CGPARENT=/vpsctl-test-$$-$RANDOM
mkdir -p "$T_ROOT/etc/vpsctl"
cat >"$T_ROOT/etc/vpsctl/vpsctl.conf" <<CONF
# test node
CGROUP_PARENT=$T_CGPARENT
LOCK_TIMEOUT=2
STOP_TIMEOUT=10
# The host's own lxcfs is not the tests' (procview.sh runs a private one)
LXCFS=off
# The built-in DEFAULT_DISK (10G) gives every VPS a disk image here (this node has no project
# quotas); tests about other things keep the plain layout, disk.sh and disk-quota.sh set it
DEFAULT_DISK=0
CONF

. "$(dirname "${BASH_SOURCE[0]}")/../tap.sh"

vpsctl() { "$VPSCTL" --root "$T_ROOT" "$@"; }

# inside NAME SHELL-CODE: runs it in the running VPS NAME, stdout and stderr together.
# bounded SECS ARGS...: vpsctl ARGS, killed after SECS; its output, or whatever it wrote before
# SECS ran out, through a file, since a process left frozen in a VPS would keep a pipe open
# forever. $? is its rc, 124 on timeout.
bounded() {
	local secs=$1 rc
	shift
	timeout -k 2 "$secs" "$VPSCTL" --root "$T_ROOT" "$@" >"$T_ROOT/out" 2>&1 </dev/null
	rc=$?
	cat "$T_ROOT/out"
	return $rc
}
inside() { timeout -k 2 20 "$VPSCTL" --root "$T_ROOT" exec "$1" -- sh -c "$2" 2>&1; }
# conf NAME KEY: the value of KEY in NAME's vps.conf.
conf() { sed -n "s/^$2=\"\(.*\)\"/\1/p" "$T_ROOT/var/lib/vpsctl/vps/$1/vps.conf"; }

# json_get JSON KEY: a scalar field of a flat JSON object (our outputs are flat).
json_get() {
	printf '%s' "$1" | sed -n "s/.*\"$2\":\(\"[^\"]*\"\|[0-9a-z]*\).*/\1/p" | tr -d '"'
}

# wait_for SECONDS CMD...: polls CMD until it succeeds.
wait_for() {
	local deadline=$(($(date +%s) + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -ge "$deadline" ] && return 1
		sleep 0.1
	done
}

# wait_supervised NAME: start returns once init runs, before the forked supervisor has exec'd
# vps-supervisor and that has re-read the state file (it makes its signalfd right after); a test
# that edits the state must wait for that, or the new supervisor reads the edit and gives up.
wait_supervised() {
	local sup
	sup=$(json_get "$(vpsctl status "$1" --json)" supervisor_pid)
	wait_for 10 sh -c "readlink /proc/$sup/exe | grep -q '/vps-supervisor\$' &&
		ls -l /proc/$sup/fd | grep -q signalfd"
}

# Every cgroup directory of the test's parent, in every hierarchy.
cgroup_dirs() {
	find /sys/fs/cgroup -maxdepth 3 -type d -path "*$T_CGPARENT*" 2>/dev/null
}

build_template() {
	[ -e "$T_ROOT/var/lib/vpsctl/templates/busybox.meta" ] || vpsctl template build busybox >/dev/null
}

t_cleanup() {
	local n
	for d in "$T_ROOT"/var/lib/vpsctl/vps/*/; do
		[ -d "$d" ] || continue
		n=$(basename "$d")
		vpsctl stop --force "$n" >/dev/null 2>&1
		vpsctl destroy --force "$n" >/dev/null 2>&1
	done
	for d in $(cgroup_dirs | sort -r); do rmdir "$d" 2>/dev/null; done
	rm -rf "$T_ROOT"
}
trap t_cleanup EXIT


# t_internet NODE_CIDR INET_CIDR: an "internet" (a process of ours, INET, in its own netns)
# linked to the node by the veth up0 (node side, NODE_CIDR) / inet0 (INET_CIDR); inet CMD
# runs CMD there. The caller's EXIT trap kills $PIDS.
t_internet() {
	unshare -n sleep 600 &
	INET=$!
	PIDS="${PIDS:-} $INET"
	wait_for 5 sh -c "[ \"\$(readlink /proc/$INET/ns/net)\" != \"\$(readlink /proc/self/ns/net)\" ]"
	ip link add up0 type veth peer name inet0 netns "$INET"
	ip addr add "$1" dev up0 && ip link set up0 up
	nsenter -t "$INET" -n sh -c "ip link set lo up && ip addr add $2 dev inet0 &&
		ip link set inet0 up"
}
inet() { nsenter -t "$INET" -n "$@"; }
