#!/bin/bash
# Backup and restore of VPSes with a disk quota (issue 17 item 2 meets issue 16 item 2), and
# the short freeze. On this node (no project quotas) a quota is an ext4 image: copy storage's
# rootfs is in it, an overlay's upper and work too. A backup reads the files from the image
# (running: the VPS's own file system mounted again; stopped: the image mounted) and packs them
# as a tree; restore makes the quota this node's way with the archive's DISK. Round trips of
# copy and overlay, running and stopped, keep the files and hard links; snapshot mode's freeze
# covers only the second pass. A format-1 archive that packed an image is refused with its
# reason. A restored vps.conf's port forwards are claimed like create's: a clash is refused,
# naming the holder. clone, snapshot and reinstall of image-backed copy and overlay VPSes.
. "$(dirname "$0")/lib.sh"
plan 63

VPS=$T_ROOT/var/lib/vpsctl/vps
A=$T_ROOT/arch
mkdir -p "$A"
sed -i 's/^DEFAULT_DISK=0$/DEFAULT_DISK="256M"/' "$T_ROOT/etc/vpsctl/vpsctl.conf"
df_mb() { inside "$1" 'df -m /' | awk 'NR==2{print $2}'; }
build_template

n=0
for storage in copy overlay; do
	for when in running stopped; do
		n=$((n + 1))
		v=${storage:0:1}$n
		check "$v: create --storage $storage (node DEFAULT_DISK 256M)" \
			vpsctl create "$v" --template busybox --storage "$storage" --ip "10.77.0.1$n/24"
		is "$v: its quota is an image" "$(conf "$v" DISK_QUOTA)" image
		vpsctl start "$v" >/dev/null 2>&1
		inside "$v" "echo $storage-$when > /root/f && ln /root/f /root/hard && mkdir -p /srv/d &&
			dd if=/dev/urandom of=/srv/d/r bs=1k count=300 2>/dev/null && rm /bin/true" >/dev/null
		sum=$(inside "$v" 'md5sum </srv/d/r')
		[ "$when" = stopped ] && vpsctl stop "$v" >/dev/null 2>&1
		out=$(vpsctl backup "$v" "$A/$v.tar.zst" --json 2>&1)
		ok $? "$v: backup ($when)"
		diag "$out"
		is "$v: the archive holds the tree, no image" \
			"$(zstd -qdc "$A/$v.tar.zst" | tar tf - | grep -cE '^(disk\.img|disk/)')" 0
		[ "$when" = running ] && vpsctl stop "$v" >/dev/null 2>&1
		out=$(vpsctl restore "$A/$v.tar.zst" --name "${v}r" --ip "10.77.0.$((n + 50))/24" 2>&1)
		ok $? "$v: restore as ${v}r"
		diag "$out"
		is "${v}r: the quota made here: an image of the archive's 256M" \
			"$(conf "${v}r" DISK_QUOTA) $(conf "${v}r" DISK) $(stat -c %s "$VPS/${v}r/disk.img")" \
			"image 256M 268435456"
		check "${v}r: start" vpsctl start "${v}r"
		is "${v}r: the file, its hard link (one inode), the deletion" \
			"$(inside "${v}r" 'cat /root/f; [ $(stat -c %i /root/f) = $(stat -c %i /root/hard) ] && echo linked; [ -e /bin/true ] || echo gone; md5sum </srv/d/r')" \
			"$storage-$when
linked
gone
$sum"
		s=$(df_mb "${v}r")
		[ -n "$s" ] && [ "$s" -le 256 ] && [ "$s" -ge 200 ]
		ok $? "${v}r: df / inside shows the 256M quota ($s)"
		vpsctl stop "${v}r" >/dev/null 2>&1
		vpsctl stop "$v" >/dev/null 2>&1
	done
done

# ---- no quota: snapshot mode keeps hard links (its first version copied them apart) ----
check "create p0 --disk 0" vpsctl create p0 --template busybox --disk 0 --ip 10.77.0.20/24
check "start p0" vpsctl start p0
inside p0 'echo x > /root/a && ln /root/a /root/b' >/dev/null
out=$(vpsctl backup p0 "$A/p0.tar.zst" --json 2>&1)
is "p0: snapshot mode (running)" "$(json_get "$out" state)" snapshot
is "p0: the archive keeps the hard link" \
	"$(zstd -qdc "$A/p0.tar.zst" | tar tvf - | grep -c 'rootfs/root/[ab] link to rootfs/root/[ab]')" 1
# the node gives every VPS a disk quota (DEFAULT_DISK): an archive without one gets it unless
# the operator says --disk 0 (restore-hostile.sh checks the default)
check "restore p0 as p0r --disk 0" vpsctl restore "$A/p0.tar.zst" --name p0r --ip 10.77.0.21/24 --disk 0
is "p0r: no quota, as p0" "$(conf p0r DISK)" 0
[ "$(stat -c %i "$VPS/p0r/rootfs/root/a")" = "$(stat -c %i "$VPS/p0r/rootfs/root/b")" ]
ok $? "p0r: a and b are one file"
vpsctl stop p0 >/dev/null 2>&1

# ---- a format-1 archive that packed the image whole is refused, with the reason ----
zstd -qdc "$A/c1.tar.zst" | python3 -c "
import io, sys, tarfile
src = tarfile.open(fileobj=io.BytesIO(sys.stdin.buffer.read()))
out = io.BytesIO(); dst = tarfile.open(fileobj=out, mode='w', format=tarfile.PAX_FORMAT)
for m in src.getmembers():
    d = src.extractfile(m).read() if m.isfile() else None
    if m.name == 'BACKUP': d = d.replace(b'FORMAT=2', b'FORMAT=1'); m.size = len(d)
    dst.addfile(m, io.BytesIO(d) if d is not None else None)
dst.close(); sys.stdout.buffer.write(out.getvalue())" | zstd -q -o "$A/old.tar.zst" -f
out=$(vpsctl restore "$A/old.tar.zst" --name old --ip 10.77.0.22/24 2>&1)
like "a format-1 archive of an image-backed VPS is refused, saying why" "$out" \
	"a format-1 backup of a VPS with a disk quota packs its image whole"
[ ! -e "$VPS/old" ]
ok $? "... and nothing is made"

# ---- port forwards of a restored vps.conf are claimed ----
cat >>"$T_ROOT/etc/vpsctl/vpsctl.conf" <<'CONF'
NAT="yes"
UPLINK="up0"
CONF
check "create f1 --forward tcp:8022:22" vpsctl create f1 --template busybox --disk 0 \
	--ip 10.77.0.30/24 --forward tcp:8022:22
check "backup f1 (stopped)" vpsctl backup f1 "$A/f1.tar.zst"
out=$(vpsctl restore "$A/f1.tar.zst" --name f2 --ip 10.77.0.31/24 2>&1); rc=$?
[ $rc != 0 ] && [[ $out == *"f2: refused: node port tcp:8022 is already used by VPS 'f1'"* ]]
ok $? "a restore forwarding f1's node port is refused, naming the holder"
diag "$out"
[ ! -e "$VPS/f2" ] && [ ! -e "$T_ROOT/var/lib/vpsctl/addresses/10.77.0.31" ]
ok $? "... and nothing is made"
check "with f1's forward gone, the restore claims the port" sh -c \
	"'$VPSCTL' --root '$T_ROOT' resize f1 --forward-del tcp:8022 >/dev/null &&
	 '$VPSCTL' --root '$T_ROOT' restore '$A/f1.tar.zst' --name f2 --ip 10.77.0.31/24 >/dev/null"
out=$(vpsctl resize f1 --forward-add tcp:8022:22 2>&1)
like "... and holds it: f1 cannot take it back" "$out" "node port tcp:8022 is already used by VPS 'f2'"

# ---- clone, snapshot, reinstall of image-backed copy and overlay ----
for v in c1 o3; do
	[ "$v" = c1 ] && f=copy-running || f=overlay-running
	vpsctl start "$v" >/dev/null 2>&1
	inside "$v" 'echo before > /root/s' >/dev/null
	vpsctl stop "$v" >/dev/null 2>&1
	check "$v: snapshot create" vpsctl snapshot create "$v" s1
	vpsctl start "$v" >/dev/null 2>&1
	inside "$v" 'echo after > /root/s; echo new > /root/n' >/dev/null
	vpsctl stop "$v" >/dev/null 2>&1
	check "$v: snapshot rollback" vpsctl snapshot rollback "$v" s1
	check "$v: clone as ${v}k" vpsctl clone "$v" "${v}k" --ip "10.77.0.10${v:1}/24"
	check "$v: reinstall --keep /root/s" vpsctl reinstall "$v" --force --keep /root/s
	vpsctl start "$v" >/dev/null 2>&1
	vpsctl start "${v}k" >/dev/null 2>&1
	is "$v: after rollback and reinstall: the snapshot's file, not the later one, quota kept" \
		"$(inside "$v" 'cat /root/s; [ -e /root/n ] || echo no-n; [ -e /bin/true ] && echo fresh') $(conf "$v" DISK_QUOTA) $(df_mb "$v")" \
		"before
no-n
fresh image $(df_mb "${v}k")"
	is "${v}k: the clone has the rolled-back files on an image of its own" \
		"$(inside "${v}k" 'cat /root/s; cat /root/f') $(conf "${v}k" DISK_QUOTA) $([ -e "$VPS/${v}k/disk.img" ] && echo own)" \
		"before
$f image own"
	vpsctl stop "$v" >/dev/null 2>&1
	vpsctl stop "${v}k" >/dev/null 2>&1
done
