#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# run.sh [SOURCE_DIR] - vpsctl's systemd units for real (meson test 'systemd-vm', suite 'vm').
#
# This host's PID 1 is not systemd, so the package is tested on a node of its own: a small
# Debian root (mmdebstrap: minbase, systemd, udev and the .deb's Depends; cached) on an ext4
# disk image, booted twice under QEMU/TCG with Debian's kernel (the one tests/v2vm/vm-run
# fetches) and systemd as PID 1 on a pure cgroup2 tree. The freshly built .deb
# (scripts/build-deb.sh) lies in the image; guest/vm-test.sh, run by a unit once the boot is
# complete, installs it, creates VPSes and drives vpsctl@.service through systemd (boot 1),
# reboots the VM, checks the ONBOOT VPSes came back and removes the package (boot 2). It
# writes TAP lines to ttyS1; this script numbers them into one stream.
#
# Root only. Without root, or without network for the first image build, it skips: a TAP
# '1..0 # SKIP' plan and exit 0 - except under CI=true, where it fails.
#
# env: SYSTEMD_VM_CACHE (default /var/cache/vpsctl-systemd-vm: the Debian root as a tarball,
#      ~220 MB, keyed by its package list; rm -rf it to rebuild), V2VM_CACHE (the kernel, as
#      for vm-run), SYSTEMD_VM_TIMEOUT (seconds per boot, default 600), SYSTEMD_VM_MEM (MB,
#      1024), SYSTEMD_VM_CPUS (2), SYSTEMD_VM_KEEP=1 (keep the work dir: image, console logs).
set -uo pipefail

readonly PROG=systemd-vm
here=$(cd "$(dirname "$0")" && pwd)
SOURCE_DIR=$(realpath -- "${1:-${SOURCE_DIR:-$here/../..}}")
VMRUN=$SOURCE_DIR/tests/v2vm/vm-run
CACHE=${SYSTEMD_VM_CACHE:-/var/cache/vpsctl-systemd-vm}
export V2VM_CACHE=${V2VM_CACHE:-/var/cache/vpsctl-v2vm}
TIMEOUT=${SYSTEMD_VM_TIMEOUT:-600}
# Bump when the image recipe below changes: it is part of the cache key.
readonly RECIPE=1
# The node: systemd as init (udev for device units, kmod for modules), the tools vpsctl's
# docs use; the .deb's Depends are added to these.
readonly BASE_PKGS=(systemd systemd-sysv udev kmod iproute2)
# The initramfs only mounts the disk: virtio-blk and ext4 (with crc32c for metadata_csum).
# nf_tables and nft_ct: the node-services filter (netsetup/nodefw.c), without which a start
# with an address fails closed; the image has no module tree for the kernel to load them from
readonly BOOT_MODULES=(virtio_pci virtio_blk crc32c_generic ext4 nf_tables nft_ct loop)

T_N=0 T_FAILED=0
ok() { # status description
	T_N=$((T_N + 1))
	if [[ $1 == 0 ]]; then echo "ok $T_N - $2"; else echo "not ok $T_N - $2"; T_FAILED=$((T_FAILED + 1)); fi
}
diag() { printf '%s\n' "$*" | sed 's/^/# /'; }

skip_suite() {
	if [[ ${CI:-} == true ]]; then
		echo "Bail out! systemd VM test cannot run under CI: $*"
		exit 1
	fi
	echo "1..0 # SKIP $*"
	exit 0
}

bail() {
	echo "Bail out! $*"
	exit 1
}

# ----------------------------------------------------------------- host tools -----

apt_install() {
	echo "$PROG: installing $*" >&2
	DEBIAN_FRONTEND=noninteractive apt-get -qq -o DPkg::Lock::Timeout=600 install -y \
		--no-install-recommends "$@" >/dev/null 2>&1 && return 0
	apt-get -qq update >/dev/null 2>&1 || true
	DEBIAN_FRONTEND=noninteractive apt-get -qq -o DPkg::Lock::Timeout=600 install -y \
		--no-install-recommends "$@" >/dev/null 2>&1
}

ensure_tools() {
	local want=() cmd pkg
	# vm-run installs qemu and busybox-static and fetches the kernel into V2VM_CACHE.
	"$VMRUN" --setup >&2 || skip_suite "cannot install qemu or fetch the kernel (no network?)"
	for cmd in mmdebstrap:mmdebstrap mkfs.ext4:e2fsprogs dpkg-buildpackage:dpkg-dev \
		dh:debhelper lintian:lintian cpio:cpio; do
		command -v "${cmd%%:*}" >/dev/null || want+=("${cmd#*:}")
	done
	if [[ ${#want[@]} -gt 0 ]]; then
		apt_install "${want[@]}" || skip_suite "cannot install ${want[*]}"
	fi
	(cd "$SOURCE_DIR" && dpkg-checkbuilddeps >/dev/null 2>&1) ||
		(cd "$SOURCE_DIR" && DEBIAN_FRONTEND=noninteractive apt-get -qq build-dep -y ./ >/dev/null 2>&1) ||
		skip_suite "cannot install the package's Build-Depends"
	KERNEL=$V2VM_CACHE/kernel/vmlinux
	[[ -f $KERNEL ]] || KERNEL=$V2VM_CACHE/kernel/vmlinuz
	KMODS=$V2VM_CACHE/kernel/modules
	BUSYBOX=""
	for pkg in /bin/busybox /usr/bin/busybox; do
		if [[ -x $pkg ]] && ! ldd "$pkg" >/dev/null 2>&1; then BUSYBOX=$pkg; break; fi
	done
	[[ -n $BUSYBOX ]] || bail "no static busybox after vm-run --setup"
}

# ---------------------------------------------------------------- the package -----

build_deb() {
	local t0=$SECONDS
	if ! "$SOURCE_DIR/scripts/build-deb.sh" "$WORK/deb" >"$WORK/build-deb.log" 2>&1; then
		tail -n 30 "$WORK/build-deb.log" | sed 's/^/# /'
		bail "scripts/build-deb.sh failed"
	fi
	local debs=("$WORK"/deb/vpsctl_*.deb)
	DEB=${debs[0]}
	[[ -f $DEB ]] || bail "scripts/build-deb.sh made no vpsctl_*.deb"
	T_DEB=$((SECONDS - t0))
}

# The package names of a Depends: line (first alternative, no versions, no :any).
deb_depends() {
	dpkg-deb -f "$1" Depends | tr ',' '\n' | sed -E 's/\|.*//; s/\(.*\)//; s/:[a-z]+//; s/[[:space:]]//g' |
		grep -v '^$'
}

# ------------------------------------------------------------ the Debian root -----

host_sources() {
	local f
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
		if [[ -s $f ]] && grep -qv '^[[:space:]]*\(#\|$\)' "$f"; then echo "$f"; fi
	done
}

# mmdebstrap into a tarball under CACHE, keyed by the suite, the package list and RECIPE.
# Docs, man pages and translations are left out: less to copy into every image.
ensure_base() {
	local suite pkgs key sources=() t0=$SECONDS
	# shellcheck disable=SC1091
	suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	[[ -n $suite ]] || bail "no VERSION_CODENAME in /etc/os-release"
	pkgs=$( { printf '%s\n' "${BASE_PKGS[@]}"; deb_depends "$DEB"; } | LC_ALL=C sort -u | paste -sd, -)
	key=$(printf '%s\n' "$RECIPE" "$suite" "$pkgs" | sha256sum | cut -c1-16)
	BASE=$CACHE/base-$key.tar
	mkdir -p "$CACHE"
	exec 8>"$CACHE/lock"
	flock 8
	if [[ -f $BASE ]]; then
		IMAGE_BUILT="cached"
	else
		mapfile -t sources < <(host_sources)
		[[ ${#sources[@]} -gt 0 ]] || skip_suite "no apt sources on this host for mmdebstrap"
		diag "building the Debian root ($suite: $pkgs) into $BASE"
		rm -f "$CACHE"/base-*.tar "$CACHE"/*.partial
		if ! mmdebstrap --variant=minbase --format=tar --include="$pkgs" \
			--dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
			--dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/info/*' \
			"$suite" "$BASE.partial" "${sources[@]}" >"$WORK/mmdebstrap.log" 2>&1; then
			tail -n 20 "$WORK/mmdebstrap.log" | sed 's/^/# /'
			rm -f "$BASE.partial"
			skip_suite "mmdebstrap failed (no network?)"
		fi
		mv "$BASE.partial" "$BASE"
		IMAGE_BUILT="built in $((SECONDS - t0)) s"
	fi
	exec 8>&-
}

# The node's disk: the cached root, the package, the test driver; ext4 made from the
# directory (mkfs.ext4 -d: no loop mount).
make_disk() {
	local r=$WORK/root t0=$SECONDS
	mkdir "$r"
	tar -xf "$BASE" -C "$r" --numeric-owner || bail "cannot unpack $BASE"
	# A fixed machine-id: an empty one means a first boot (systemd-firstboot prompts).
	tr -d '-' </proc/sys/kernel/random/uuid >"$r/etc/machine-id"
	echo vpsctl-node >"$r/etc/hostname"
	printf '127.0.0.1 localhost\n127.0.1.1 vpsctl-node\n::1 localhost\n' >"$r/etc/hosts"
	# Boot 2 reads boot 1's journal.
	mkdir -p "$r/var/log/journal"
	# No login prompts on the serial console.
	ln -sf /dev/null "$r/etc/systemd/system/serial-getty@ttyS0.service"
	ln -sf /dev/null "$r/etc/systemd/system/getty@tty1.service"
	ln -sf /dev/null "$r/etc/systemd/system/getty-static.service"
	cp "$DEB" "$r/root/vpsctl.deb"
	install -D -m 755 "$here/guest/vm-test.sh" "$r/usr/local/lib/vpsctl-vm-test/vm-test.sh"
	install -m 644 "$here/guest/vm-test.service" "$r/etc/systemd/system/vm-test.service"
	mkdir -p "$r/etc/systemd/system/multi-user.target.wants"
	ln -s ../vm-test.service "$r/etc/systemd/system/multi-user.target.wants/vm-test.service"
	mkfs.ext4 -q -F -L vpsctl-node -d "$r" "$WORK/disk.img" 1536M >"$WORK/mkfs.log" 2>&1 ||
		{ sed 's/^/# /' "$WORK/mkfs.log"; bail "mkfs.ext4 -d failed"; }
	rm -rf "$r"
	T_DISK=$((SECONDS - t0))
}

# ---------------------------------------------------------------- the initramfs -----

declare -A MODSEEN=()
MODLOAD=()

# Queue kernel module $1 after its dependencies (.modinfo depends=; the cached kernel has no
# modules.dep), as vm-run does.
add_module() {
	local name=${1//-/_} rel deps dep
	[[ -z ${MODSEEN[$name]:-} ]] || return 0
	MODSEEN[$name]=1
	grep -qE "/(${name}|${name//_/-})\.ko$" "$KMODS/modules.builtin" && return 0
	rel=$(grep -E "/(${name}|${name//_/-})\.ko$" "$KMODS/modules.order" | head -n1) || true
	[[ -n $rel && -f $KMODS/$rel ]] || bail "kernel module not found: $1"
	deps=$(grep -a -o 'depends=[A-Za-z0-9_,-]*' "$KMODS/$rel" | head -n1 | cut -d= -f2) || true
	for dep in ${deps//,/ }; do add_module "$dep"; done
	MODLOAD+=("$rel")
}

# Loads the disk's modules, mounts it and hands over to systemd.
write_init() {
	cat >"$1/init" <<'EOF'
#!/bb/busybox sh
bb=/bb/busybox
fail() { echo "systemd-vm initramfs: $*" > /dev/console; $bb poweroff -f; }
$bb mount -t proc proc /proc
$bb mount -t sysfs sysfs /sys
$bb mount -t devtmpfs -o mode=0755 devtmpfs /dev
for ko in $($bb cat /modules); do $bb insmod "/$ko" || fail "insmod $ko failed"; done
i=0
while [ ! -b /dev/vda ]; do
	i=$((i + 1))
	[ $i -lt 200 ] || fail "no /dev/vda"
	$bb sleep 0.05
done
$bb mount -t ext4 -o rw /dev/vda /newroot || fail "cannot mount /dev/vda"
$bb mount --move /dev /newroot/dev
$bb umount /sys /proc
exec $bb switch_root /newroot /sbin/init
fail "switch_root failed"
EOF
	chmod 755 "$1/init"
}

make_initramfs() {
	local d=$WORK/initramfs m cpio=("$BUSYBOX" cpio)
	mkdir -p "$d"/{bb,proc,sys,dev,newroot}
	cp "$BUSYBOX" "$d/bb/busybox"
	for m in "${BOOT_MODULES[@]}"; do add_module "$m"; done
	for m in "${MODLOAD[@]}"; do install -D -m 644 "$KMODS/$m" "$d/$m"; done
	printf '%s\n' "${MODLOAD[@]}" >"$d/modules"
	write_init "$d"
	command -v cpio >/dev/null && cpio=(cpio)
	(cd "$d" && find . -mindepth 1 | LC_ALL=C sort | "${cpio[@]}" -o -H newc 2>/dev/null) \
		>"$WORK/initrd.cpio" || bail "cpio failed"
}

# --------------------------------------------------------------------- the boots -----

# Numbers the guest's TAP lines ("ok - ...", "not ok - ..."); everything else becomes a
# comment. Writes "count failed ended" to $1 ("ended": the guest said VMTEST-END).
number_tap() { # state-file boot start-number
	awk -v state="$1" -v boot="$2" -v n="$3" '
	function out(s) { print s; fflush() }
	{ sub(/\r$/, "") }
	/^(not )?ok - / {
		good = ($1 == "ok"); desc = $0; sub(/^(not )?ok - /, "", desc)
		n++; out((good ? "ok " : "not ok ") n " - boot " boot ": " desc)
		if (!good) failed++
		next
	}
	/^VMTEST-END / { ended = 1; next }
	/^Bail out!/ { n++; failed++; out("not ok " n " - boot " boot ": " $0); next }
	/^#/ { out($0); next }
	/./ { out("# " $0) }
	END { print n + 0, failed + 0, ended + 0 > state }
	'
}

boot() { # N
	local n=$1 append qrc state count failed ended t0=$SECONDS
	append="console=ttyS0 root=/dev/vda rw cgroup_no_v1=all systemd.unified_cgroup_hierarchy=1"
	append+=" panic=-1 quiet systemd.show_status=yes tsc=reliable no_timer_check"
	state=$WORK/tap-$n
	echo "# --- boot $n"
	# --foreground keeps qemu in our process group: meson killing it on timeout kills the VM.
	timeout --foreground -k 5 "$TIMEOUT" \
		qemu-system-x86_64 -nodefaults -no-user-config -display none -monitor none \
		-no-reboot -accel tcg -cpu "${V2VM_CPU:-max}" -m "${SYSTEMD_VM_MEM:-1024}" \
		-smp "${SYSTEMD_VM_CPUS:-2}" -kernel "$KERNEL" -initrd "$WORK/initrd.cpio" \
		-append "$append" \
		-drive "file=$WORK/disk.img,format=raw,if=virtio,cache=unsafe" \
		-serial "file:$WORK/console-$n.log" \
		-chardev stdio,id=tap,signal=off -serial chardev:tap </dev/null |
		number_tap "$state" "$n" "$T_N"
	qrc=${PIPESTATUS[0]}
	read -r count failed ended <"$state"
	T_N=$count T_FAILED=$((T_FAILED + failed))
	T_BOOT[$n]=$((SECONDS - t0))
	if [[ $ended != 1 ]]; then
		ok 1 "boot $n: the guest finished its tests (qemu exit $qrc$([[ $qrc == 124 ]] && echo ", timeout ${TIMEOUT}s"))"
		diag "console of boot $n (tail):"
		tr -d '\r' <"$WORK/console-$n.log" | tail -n 60 | sed 's/^/#   /'
		return 1
	fi
	ok "$qrc" "boot $n: the VM $([[ $n == 1 ]] && echo rebooted || echo powered off) cleanly (qemu exit $qrc)"
	[[ $qrc == 0 ]]
}

main() {
	local t0=$SECONDS
	declare -gA T_BOOT=()
	[[ $(id -u) == 0 ]] || skip_suite "needs root (qemu, mmdebstrap, mkfs)"
	ensure_tools
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/systemd-vm.XXXXXX")
	if [[ ${SYSTEMD_VM_KEEP:-0} == 1 ]]; then
		echo "# work dir $WORK"
	else
		trap 'rm -rf "$WORK"' EXIT
	fi
	build_deb
	ensure_base
	make_disk
	make_initramfs
	diag "package $T_DEB s ($(basename "$DEB")), Debian root $IMAGE_BUILT, disk $T_DISK s, kernel $(cat "$V2VM_CACHE/kernel/version")"
	if boot 1; then
		boot 2
	fi
	diag "timing: package ${T_DEB}s, root $IMAGE_BUILT, disk ${T_DISK}s, boot 1 ${T_BOOT[1]:-?}s, boot 2 ${T_BOOT[2]:--}s, all $((SECONDS - t0))s"
	echo "# $((T_N - T_FAILED)) passed, $T_FAILED failed"
	echo "1..$T_N"
	[[ $T_FAILED == 0 ]]
}

main
