#!/bin/bash
# Issue 12 item 3: what a template or a tenant controls is unreachable to host users, and no
# template or tenant file is owned on the host by an id outside the VPS's range (or the
# template block, VPS_IDMAP_TEMPLATE_BASE). A template ships a setuid-root shell and a uid-1000
# file (and a device node, which import warns about); overlay and copy VPSes, with and
# without a user namespace, are checked as `nobody` on the host, by owner on the host and by
# owner inside. An older vpsctl's unshifted shared tree is retired at start, never used.
. "$(dirname "$0")/lib.sh"
plan 59

TPL=$T_ROOT/var/lib/vpsctl/templates
VPS=$T_ROOT/var/lib/vpsctl/vps
RUN=$T_ROOT/run/vpsctl
TB=$((0x7FFE0000)) # the template block (model/idmap.h)
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)

base() { sed -n 's/^UID_BASE="\([0-9]*\)"/\1/p' "$VPS/$1/vps.conf"; }
# as_nobody PATH: what stat says to an unprivileged host user (into a directory: PATH/.)
as_nobody() {
	local p=$1
	[ -d "$p" ] && p=$p/.
	"${NOBODY[@]}" stat -c 'reached %n' "$p" 2>&1
}
# denied DESCRIPTION PATH: the path exists and nobody gets EACCES on it (not ENOENT)
denied() {
	if [ ! -e "$2" ] && [ ! -L "$2" ]; then
		ok 1 "$1"
		diag "$2 does not exist"
		return
	fi
	like "$1" "$(as_nobody "$2")" 'Permission denied'
}
# ids_outside DIR LO HI: entries of DIR whose owner or group is outside LO..HI
ids_outside() { find "$1" \( -uid -"$2" -o -uid +"$3" -o -gid -"$2" -o -gid +"$3" \) -printf '%U:%G %p\n' | head -3; }
in_range() { ids_outside "$1" "$2" "$(($2 + 65535))"; }

# A real node's /var/lib and /run are world-traversable; the test's root must be too.
build_template
chmod 0755 "$T_ROOT" "$T_ROOT/var" "$T_ROOT/var/lib" "$T_ROOT/var/lib/vpsctl"

# The template: busybox plus bin/suidsh (root, 4755), home/u/file (1000:1000) and dev/null.
SRC=$T_ROOT/src
mkdir -p "$SRC/root"
tar -xpf "$(ls "$TPL"/busybox.tar.*)" -C "$SRC/root"
cp "$SRC/root/bin/busybox" "$SRC/root/bin/suidsh"
chown 0:0 "$SRC/root/bin/suidsh" && chmod 4755 "$SRC/root/bin/suidsh"
mkdir -p "$SRC/root/home/u" && echo hi >"$SRC/root/home/u/file"
chown -R 1000:1000 "$SRC/root/home/u"
mkdir -p "$SRC/root/dev" && mknod "$SRC/root/dev/null" c 1 3
tar --numeric-owner -czf "$SRC/suid.tar.gz" -C "$SRC/root" .
out=$(vpsctl template import "$SRC/suid.tar.gz" --name suid 2>&1)
ok $? "import the setuid template"
like "import warns of the device node it drops, naming one" "$out" "warning: 1 device node.*'(\./)?dev/null'"

check "create uo (overlay, user namespace)" vpsctl create uo --template suid --storage overlay
check "create po (overlay, privileged)" vpsctl create po --template suid --storage overlay --privileged
check "create uc (copy, user namespace)" vpsctl create uc --template suid --storage copy
check "create pd (copy, privileged, disk image)" vpsctl create pd --template suid --storage copy --privileged --disk 64M
for v in uo po uc pd; do check "start $v" vpsctl start "$v"; done
mkdir -p "$RUN" && chmod 0755 "$T_ROOT/run" "$RUN"

# ---- unreachable as nobody ---------------------------------------------------------------
TREE=$TPL/trees/suid.rootfs
denied "the shared tree's directory" "$TPL/trees"
denied "the shared tree" "$TREE"
denied "the template's setuid shell in the shared tree" "$TREE/bin/suidsh"
check "no shared tree is left beside the tarballs" test ! -e "$TPL/suid.rootfs"
is "nobody finds no setuid file anywhere under the node's directories" \
	"$("${NOBODY[@]}" find "$T_ROOT/var" "$T_ROOT/run" -perm -4000 2>/dev/null)" ""
denied "the VPS base" "$VPS"
for v in uo po; do
	denied "$v: its directory" "$VPS/$v"
	denied "$v: its upper layer" "$VPS/$v/upper"
	denied "$v: its work dir" "$VPS/$v/work"
	denied "$v: its root mount point" "$VPS/$v/rootfs"
done
denied "uc: its root filesystem" "$VPS/uc/rootfs/bin/suidsh"
denied "pd: its disk image" "$VPS/pd/disk.img"
denied "pd: its mount point" "$VPS/pd/rootfs"
denied "uo: its console log" "$RUN/uo/console.log"

# ---- owners on the host ------------------------------------------------------------------
bu=$(base uo); bc=$(base uc)
is "the shared tree is owned by the template block only" "$(in_range "$TREE" "$TB")" ""
is "the setuid shell in it is the block's root, not host root" "$(stat -c %u:%g:%a "$TREE/bin/suidsh")" "$TB:$TB:4755"
is "uid 1000 in it is the block's 1000, not host 1000" "$(stat -c %u "$TREE/home/u/file")" "$((TB + 1000))"
is "uc's copy is owned by its range only" "$(in_range "$VPS/uc/rootfs" "$bc")" ""
is "uc's setuid shell: its root" "$(stat -c %u:%a "$VPS/uc/rootfs/bin/suidsh")" "$bc:4755"
is "uc's uid-1000 file: its 1000" "$(stat -c %u "$VPS/uc/rootfs/home/u/file")" "$((bc + 1000))"

# ---- what the VPSes see ------------------------------------------------------------------
for v in uo po uc; do
	is "$v sees the setuid shell as root's, setuid" "$(vpsctl exec "$v" -- stat -c %u:%g:%a /bin/suidsh)" "0:0:4755"
	is "$v sees the uid-1000 file as 1000" "$(vpsctl exec "$v" -- stat -c %u:%g /home/u/file)" "1000:1000"
done
vpsctl exec uo -- sh -c 'echo x > /home/u/file2; chown 1000:1000 /home/u/file2; echo y >> /home/u/file'
vpsctl exec po -- sh -c 'echo x > /home/u/file2; chown 1000:1000 /home/u/file2; echo y >> /home/u/file'
is "uo's upper layer (copied up and new) is owned by its range only" "$(in_range "$VPS/uo/upper" "$bu")" ""
is "uo's copied-up uid-1000 file is its 1000" "$(stat -c %u "$VPS/uo/upper/home/u/file")" "$((bu + 1000))"
is "po's upper layer is owned by 0..65535 only" "$(in_range "$VPS/po/upper" 0)" ""
is "po's copied-up uid-1000 file is 1000" "$(stat -c %u "$VPS/po/upper/home/u/file")" 1000

# ---- made private again at start ---------------------------------------------------------
for v in uo po uc pd; do vpsctl stop --force "$v" >/dev/null 2>&1; done
chmod 0755 "$VPS" "$VPS/uo" "$VPS/pd" "$RUN/uo"
chmod 0644 "$VPS/pd/disk.img" "$RUN/uo/console.log"
check "start uo after its modes were widened" vpsctl start uo
check "start pd after its modes were widened" vpsctl start pd
denied "the VPS base, again" "$VPS"
denied "uo: its upper layer, again" "$VPS/uo/upper"
denied "pd: its disk image, again" "$VPS/pd/disk.img"
is "uo's console log is 0600 again" "$(stat -c %a "$RUN/uo/console.log")" 600
vpsctl stop --force uo >/dev/null 2>&1

# ---- an older vpsctl's unshifted tree: retired at start, never used --------------------------
# It sat beside the tarballs with the template's own ids, and lower linked to it.
rm -rf "$TREE"
mkdir "$TPL/suid.rootfs" && tar -xpf "$SRC/suid.tar.gz" -C "$TPL/suid.rootfs"
ln -sfn "$TPL/suid.rootfs" "$VPS/uo/lower"
out=$(vpsctl start uo 2>&1)
ok $? "start uo on an old unshifted tree"
like "saying it moved to the id-shifted tree and retired the old one" "$out" "id-shifted shared tree of template 'suid'.*retired"
is "lower links to the new tree" "$(readlink "$VPS/uo/lower")" "$(realpath "$TPL")/trees/suid.rootfs"
check "the old tree is gone from beside the tarballs" test ! -e "$TPL/suid.rootfs"
check "it was kept, retired, where nobody reaches it" test -d "$TPL/trees/suid.rootfs.unshifted"
is "the new tree is the template block's" "$(in_range "$TREE" "$TB")" ""
is "uo sees its files as before" "$(vpsctl exec uo -- stat -c %u:%a /bin/suidsh)" "0:4755"

# ---- a range no VPS may have -------------------------------------------------------------
vpsctl stop --force uo >/dev/null 2>&1
sed -i "s/^UID_BASE=.*/UID_BASE=\"$TB\"/" "$VPS/uo/vps.conf"
out=$(vpsctl start uo 2>&1)
[ $? != 0 ]; ok $? "a VPS given the template block is refused"
like "naming the reason" "$out" "UID_BASE $TB overlaps the template block"
finish
