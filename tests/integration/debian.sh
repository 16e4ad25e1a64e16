#!/bin/bash
# A real Debian VPS: the debian template (mmdebstrap, systemd as init, openssh-server), a VPS
# with --ip and --ssh-key that boots its own systemd to "running", serves ssh to the node, and
# powers off by itself on `vpsctl stop`; once as a copy and once on overlay storage.
#
# The built template is cached between runs on this machine in $CACHE, keyed by the host's apt
# sources, the builder's source and the month (security updates): a clean machine builds it
# (about 30 s here), later runs import it (which also tests import with --sha256).

CACHE=${VPSCTL_TEST_TEMPLATE_CACHE:-/var/cache/vpsctl-test-templates}
SRC=${SOURCE_DIR:-$(dirname "$0")/../..}
RELEASE=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
now_ms() { echo $(($(date +%s%N) / 1000000)); }
cache_key() {
	cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources \
		"$SRC/templates/build-debian.c" 2>/dev/null
	echo "$RELEASE $(date +%Y-%m)"
}
CACHED=$CACHE/debian-$RELEASE-$(cache_key | sha256sum | cut -c1-16).tar.zst

# Build into the cache, before lib.sh moves us into the test's network namespace: mmdebstrap
# needs the host's network to reach the package registry. A temporary --root: nothing of the
# build stays but the cached tarball and its digest.
build_into_cache() {
	local root t0 rc
	root=$(mktemp -d /tmp/vpsctl-debian-build.XXXXXX)
	t0=$(now_ms)
	"${VPSCTL:-$(dirname "$0")/../../build/vpsctl}" --root "$root" template build debian \
		--release "$RELEASE" --name deb >"$root.log" 2>&1
	rc=$?
	export VPSCTL_TEST_BUILD_MS=$(($(now_ms) - t0)) VPSCTL_TEST_BUILD_LOG
	VPSCTL_TEST_BUILD_LOG=$(tail -3 "$root.log" | tr '\n' ' ')
	if [ $rc = 0 ] && mkdir -p "$CACHE"; then
		rm -f "$CACHE"/debian-"$RELEASE"-*.tar.zst*
		cp "$root/var/lib/vpsctl/templates/deb.tar.zst" "$CACHED.tmp" &&
			sha256sum "$CACHED.tmp" | cut -d' ' -f1 >"$CACHED.sha256.tmp" &&
			mv "$CACHED.tmp" "$CACHED" && mv "$CACHED.sha256.tmp" "$CACHED.sha256"
	fi
	rm -rf "$root" "$root.log"
}
if [ -z "${VPSCTL_TEST_IN_NODE:-}" ] && [ "$(id -u)" = 0 ] && command -v mmdebstrap >/dev/null &&
	[ -n "$RELEASE" ] && ! [ -s "$CACHED" -a -s "$CACHED.sha256" ]; then
	build_into_cache
fi

. "$(dirname "$0")/lib.sh"

BOOT_TIMEOUT=60
KEY=$T_ROOT/id_test
SSH="ssh -F /dev/null -i $KEY -o BatchMode=yes -o ConnectTimeout=5 -o LogLevel=ERROR
     -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null"

if ! command -v mmdebstrap >/dev/null || ! command -v ssh >/dev/null || [ -z "$RELEASE" ]; then
	if [ "${CI:-}" = true ]; then
		echo "Bail out! needs mmdebstrap, openssh-client and a Debian host (scripts/install-deps.sh)"
		exit 1
	fi
	echo "1..0 # SKIP needs mmdebstrap, openssh-client and a Debian host"
	exit 0
fi
plan 33

[ -n "${VPSCTL_TEST_BUILD_MS:-}" ] && diag "mmdebstrap build took $VPSCTL_TEST_BUILD_MS ms"
[ -s "$CACHED" ] || diag "build failed: ${VPSCTL_TEST_BUILD_LOG:-}"
t0=$(now_ms)
vpsctl template import "$CACHED" --name deb --sha256 "$(cat "$CACHED.sha256" 2>/dev/null)" >/dev/null
ok $? "the debian template, imported from the cache with --sha256"
diag "import took $(($(now_ms) - t0)) ms"
META=$T_ROOT/var/lib/vpsctl/templates/deb.meta
check "its init is systemd" grep -qx 'INIT=/lib/systemd/systemd' "$META"
check "powered off by SIGRTMIN+4" grep -qx 'POWEROFF_SIGNAL=SIGRTMIN+4' "$META"
check "no SSH host keys in the template" sh -c "! zstd -dc '$T_ROOT/var/lib/vpsctl/templates/deb.tar.zst' | tar -t | grep -q ssh_host_"

echo 'NODE_ADDRESS="10.77.0.1/24"' >>"$T_ROOT/etc/vpsctl/vpsctl.conf"
ssh-keygen -q -t ed25519 -N '' -C vpsctl-test -f "$KEY" </dev/null
ok $? "ssh-keygen made a key"

# boot NAME IP STORAGE: create, start, wait for systemd, ssh in, stop; 13 checks.
boot() {
	local name=$1 ip=$2 storage=$3 vdir=$T_ROOT/var/lib/vpsctl/vps/$1 t0 state st_ms
	t0=$(now_ms)
	vpsctl create "$name" --template deb --storage "$storage" --ip "$ip/24" --ssh-key "$KEY.pub"
	ok $? "create $name ($storage) with --ip and --ssh-key"
	diag "$storage create took $(($(now_ms) - t0)) ms, $(du -sh "$vdir" | cut -f1) on disk"
	t0=$(now_ms)
	check "start $name" vpsctl start "$name"
	state=""
	for _ in $(seq 1 $((BOOT_TIMEOUT * 5))); do
		state=$(vpsctl exec "$name" -- systemctl is-system-running 2>/dev/null)
		case "$state" in running|degraded) break ;; esac
		sleep 0.2
	done
	like "systemd in $name reaches running (or degraded)" "$state" '^(running|degraded)$'
	diag "$name: boot to '$state' in $(($(now_ms) - t0)) ms"
	[ "$state" = degraded ] && diag "failed units: $(vpsctl exec "$name" -- systemctl --failed --no-legend --plain | tr '\n' ' ')"
	is "its hostname" "$(vpsctl exec "$name" -- hostname)" "$name"
	check "its own SSH host keys, made on first boot" vpsctl exec "$name" -- test -s /etc/ssh/ssh_host_ed25519_key
	like "root's password is locked" "$(vpsctl exec "$name" -- sh -c 'grep ^root: /etc/shadow | cut -d: -f2')" '^!'
	check "it has its own cgroup2 tree at /sys/fs/cgroup" vpsctl exec "$name" -- test -d /sys/fs/cgroup/init.scope
	wait_for 15 $SSH "root@$ip" true
	ok $? "ssh root@$ip from the node works"
	like "and runs commands there" "$($SSH "root@$ip" uname -n 2>&1)" "^$name\$"
	t0=$(now_ms)
	check "stop $name" vpsctl stop "$name"
	st_ms=$(($(now_ms) - t0))
	diag "stop took $st_ms ms"
	is "last_exit is stopped" "$(json_get "$(vpsctl status "$name" --json)" last_exit)" stopped
	check "systemd powered off by itself, before the timeout's kill" \
		sh -c "[ $st_ms -lt 9000 ] && grep -q 'Powering off' '$T_ROOT/run/vpsctl/$name/console.log'"
}

boot web 10.77.0.2 copy
check "the key is root's, 0600 in a 0700 .ssh" test "$(stat -c %a "$T_ROOT/var/lib/vpsctl/vps/web/rootfs/root/.ssh"):$(stat -c %a "$T_ROOT/var/lib/vpsctl/vps/web/rootfs/root/.ssh/authorized_keys")" = 700:600
boot web2 10.77.0.3 overlay

check "destroy web" vpsctl destroy web
check "destroy web2" vpsctl destroy web2
is "nothing left: files, cgroups, mounts" \
	"$(ls -A "$T_ROOT/var/lib/vpsctl/vps"; cgroup_dirs; grep -c "$T_ROOT" /proc/self/mountinfo | grep -v '^0$')" ""
finish
