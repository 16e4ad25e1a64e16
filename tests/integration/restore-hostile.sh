#!/bin/bash
# A backup archive is the tenant's to edit (its MANIFEST is unkeyed: the tenant recomputes the
# line and the total). restore must not take isolation or limits from it: an archive saying
# USERNS="no", SOCKETCALL, ANTISPOOF="no", CAP_ADD, unlimited quotas, DISK 0, or NESTING is
# restored with a user namespace on a fresh id range (uid_map checked inside and the init's
# uid outside), the node's defaults, and a line per reset value; --trust-archive-config keeps
# the archive's values and names them; quota flags set others. A top 'rootfs' or 'upper'
# member that is a symlink to a host directory is refused naming it, and nothing is left: no
# VPS directory, no id range taken, no address taken, the host file in no disk image.
. "$(dirname "$0")/lib.sh"
plan 47

VPS=$T_ROOT/var/lib/vpsctl/vps
A=$T_ROOT/arch
mkdir -p "$A"
nothing_left() { [ ! -e "$VPS/$1" ] && [ ! -e "$VPS/.$1.new" ]; }
init_pid() { json_get "$(vpsctl status "$1" --json)" init_pid; }
# conf_edit IN OUT KEY=VALUE...: the archive IN with those vps.conf lines set, its MANIFEST
# line and total recomputed as a tenant would.
conf_edit() {
	local in=$1 out=$2
	shift 2
	zstd -qdc "$in" | python3 -c "
import hashlib, io, re, sys, tarfile
src = tarfile.open(fileobj=io.BytesIO(sys.stdin.buffer.read()))
members = [[m, src.extractfile(m).read() if m.isfile() else None] for m in src.getmembers()]
find = lambda n: [x for x in members if x[0].name == n][0]
m = find('vps.conf'); old = m[1]; conf = old
for kv in sys.argv[1:]:
    k, v = kv.split('=', 1)
    line = ('%s=\"%s\"' % (k, v)).encode()
    conf, n = re.subn(rb'(?m)^' + k.encode() + rb'=.*$', line, conf)
    if n == 0: conf += line + b'\n'
m[1] = conf
mf = find('MANIFEST')
h = lambda d: (hashlib.sha256(d).hexdigest() + ' %d ' % len(d)).encode()
mf[1] = mf[1].replace(h(old), h(conf))
mf[1] = re.sub(rb'end (\d+) (\d+)', lambda x: b'end %s %d' % (x.group(1), int(x.group(2)) - len(old) + len(conf)), mf[1])
o = io.BytesIO(); dst = tarfile.open(fileobj=o, mode='w', format=tarfile.PAX_FORMAT)
for mm, d in members:
    if d is not None: mm.size = len(d)
    dst.addfile(mm, io.BytesIO(d) if d is not None else None)
dst.close(); sys.stdout.buffer.write(o.getvalue())" "$@" | zstd -q -f -o "$out"
}
# top_link IN OUT TOP TARGET [DISK]: an archive of IN's BACKUP and vps.conf (with DISK, an
# image of that size) whose storage is one member TOP, a symlink to TARGET, manifest consistent.
top_link() {
	zstd -qdc "$1" | python3 -c "
import hashlib as H, io, re, sys, tarfile
src = tarfile.open(fileobj=io.BytesIO(sys.stdin.buffer.read()))
get = lambda n: src.extractfile(src.getmember(n)).read()
top, target, disk = sys.argv[1], sys.argv[2], sys.argv[3]
conf, head = get('vps.conf'), get('BACKUP')
if disk != '0':
    conf = re.sub(rb'(?m)^DISK=.*$', b'DISK=\"' + disk.encode() + b'\"', conf)
    conf = re.sub(rb'(?m)^DISK_QUOTA=.*$', b'DISK_QUOTA=\"image\"', conf)
    head = re.sub(rb'(?m)^DISK=.*$', b'DISK=' + disk.encode(), head)
f = lambda n, d: '%s %d f 0600 0 0 %s\n' % (H.sha256(d).hexdigest(), len(d), n)
man = f('BACKUP', head) + f('vps.conf', conf) + '%s 0 l 0777 0 0 %s %s\nend 3 %d\n' % (H.sha256(target.encode()).hexdigest(), top, target, len(head) + len(conf))
o = io.BytesIO(); t = tarfile.open(fileobj=o, mode='w', format=tarfile.PAX_FORMAT)
def add(name, data):
    i = tarfile.TarInfo(name); i.size = len(data); i.mode = 0o600; t.addfile(i, io.BytesIO(data))
add('BACKUP', head); add('vps.conf', conf)
l = tarfile.TarInfo(top); l.type = tarfile.SYMTYPE; l.linkname = target; l.mode = 0o777; t.addfile(l)
add('MANIFEST', man.encode()); t.close(); sys.stdout.buffer.write(o.getvalue())" "$3" "$4" "${5:-0}" |
		zstd -q -f -o "$2"
}

build_template
check "create b1 (no disk quota)" vpsctl create b1 --template busybox --ip 10.77.0.11/24
check "create o1 --storage overlay" vpsctl create o1 --template busybox --storage overlay
check "backup b1" vpsctl backup b1 "$A/b1.tar.zst"
check "backup o1" vpsctl backup o1 "$A/o1.tar.zst"
base_b1=$(conf b1 UID_BASE)
base_o1=$(conf o1 UID_BASE)
next_base=$((base_o1 + 65536))
mem_default=$(conf b1 MEMORY)
# from here on the node gives every new VPS a 64M disk image
sed -i 's/^DEFAULT_DISK=0$/DEFAULT_DISK="64M"/' "$T_ROOT/etc/vpsctl/vpsctl.conf"
mkdir -p "$T_ROOT/hostdir"
echo "host secret" >"$T_ROOT/hostdir/shadow-like"
chmod 600 "$T_ROOT/hostdir/shadow-like"

# ---- a top member that is a symlink to a host directory: refused, nothing left ----
top_link "$A/b1.tar.zst" "$A/link-img.tar.zst" rootfs "$T_ROOT/hostdir" 134217728
out=$(vpsctl restore "$A/link-img.tar.zst" --name l1 --ip 10.77.0.21/24 2>&1)
like "a 'rootfs' symlink (disk image) is refused, naming the member" "$out" \
	"l1: refused: member 'rootfs' is not a directory"
nothing_left l1
ok $? "l1: no VPS directory left"
top_link "$A/b1.tar.zst" "$A/link-dir.tar.zst" "rootfs/." "$T_ROOT/hostdir" 0
out=$(vpsctl restore "$A/link-dir.tar.zst" --name l2 --ip 10.77.0.21/24 --disk 0 2>&1)
like "a 'rootfs/.' symlink (no disk quota) is refused too" "$out" \
	"l2: refused: member 'rootfs/.' is not a directory"
nothing_left l2
ok $? "l2: no VPS directory left"
top_link "$A/o1.tar.zst" "$A/link-upper.tar.zst" upper "$T_ROOT/hostdir" 0
out=$(vpsctl restore "$A/link-upper.tar.zst" --name l3 --disk 0 2>&1)
like "an overlay's 'upper' symlink is refused" "$out" \
	"l3: refused: member 'upper' is not a directory"
nothing_left l3
ok $? "l3: no VPS directory left"
found=$(for img in "$VPS"/*/disk.img; do
	[ -e "$img" ] && debugfs -R "cat /shadow-like" "$img" 2>/dev/null
done)
is "the host file is in no VPS's disk image" "$found" ""
is "the host directory is unchanged" "$(ls -A "$T_ROOT/hostdir")" "shadow-like"
check "its address is free: create z1 --ip 10.77.0.21/24 --disk 0" \
	vpsctl create z1 --template busybox --ip 10.77.0.21/24 --disk 0
is "no id range was taken: z1 has the next one" "$(conf z1 UID_BASE)" "$next_base"
vpsctl destroy z1 >/dev/null 2>&1

# ---- an archive asking for host root and no limits ----
conf_edit "$A/b1.tar.zst" "$A/priv.tar.zst" USERNS=no SOCKETCALL=yes ANTISPOOF=no \
	CAP_ADD=NET_ADMIN MEMORY=unlimited PIDS=unlimited SWAP=unlimited
zstd -qdc "$A/priv.tar.zst" | tar xOf - vps.conf | grep -q '^USERNS="no"'
ok $? "(the crafted vps.conf says USERNS=\"no\")"
out=$(vpsctl restore "$A/priv.tar.zst" --name p1 --ip 10.77.0.12/24 2>&1)
rc=$?
diag "$out"
ok $rc "restore of the privileged archive succeeds, neutralised"
like "it says USERNS was reset" "$out" \
	"p1: reset the archive's USERNS=\"no\" to USERNS=\"yes\" \\(this node's default"
like "it says SOCKETCALL was reset" "$out" "p1: reset the archive's SOCKETCALL=\"yes\" to SOCKETCALL=\"no\""
like "it says ANTISPOOF was reset" "$out" "p1: reset the archive's ANTISPOOF=\"no\" to ANTISPOOF=\"yes\""
like "it says CAP_ADD was reset" "$out" "p1: reset the archive's CAP_ADD=\"NET_ADMIN\" to CAP_ADD=\"\""
like "it says MEMORY was reset" "$out" "p1: reset the archive's MEMORY=\"unlimited\" to MEMORY=\"$mem_default\""
like "it says DISK was reset to the node's default" "$out" "p1: reset the archive's DISK=\"0\" to DISK=\"64M\""
is "p1's vps.conf: USERNS SOCKETCALL ANTISPOOF CAP_ADD MEMORY DISK" \
	"$(conf p1 USERNS) $(conf p1 SOCKETCALL) $(conf p1 ANTISPOOF) $(conf p1 CAP_ADD)| $(conf p1 MEMORY) $(conf p1 DISK)" \
	"yes no yes | $mem_default 64M"
base_p1=$(conf p1 UID_BASE)
[ -n "$base_p1" ] && [ "$base_p1" -ge 65536 ] && [ "$base_p1" != "$base_b1" ]
ok $? "p1 has an id range of its own ($base_p1)"
check "start p1" vpsctl start p1
is "uid_map inside p1: its range, not the host's ids" \
	"$(inside p1 'cat /proc/self/uid_map' | awk '{ print $1, $2, $3 }')" "0 $base_p1 65536"
is "p1's init runs as its range's root on the host" \
	"$(awk '/^Uid:/ { print $2 }' "/proc/$(init_pid p1)/status")" "$base_p1"
is "p1's files are on its range (/etc/passwd owned by root inside)" \
	"$(inside p1 'stat -c %u /etc/passwd')" 0
vpsctl stop --force p1 >/dev/null 2>&1

# ---- the operator's word: quota flags, and --trust-archive-config ----
out=$(vpsctl restore "$A/priv.tar.zst" --name p2 --ip 10.77.0.13/24 --memory 300M --disk 0 2>&1)
rc=$?
ok $rc "restore --memory 300M --disk 0"
is "p2: the flags win over the node's defaults" "$(conf p2 MEMORY) $(conf p2 DISK) $(conf p2 USERNS)" \
	"300M 0 yes"
out=$(vpsctl restore "$A/priv.tar.zst" --name p3 --ip 10.77.0.14/24 --trust-archive-config 2>&1)
rc=$?
diag "$out"
ok $rc "restore --trust-archive-config"
like "it names USERNS=\"no\" as taken from the archive" "$out" \
	"p3: --trust-archive-config: took USERNS=\"no\" from the archive"
like "... and MEMORY=\"unlimited\"" "$out" "p3: --trust-archive-config: took MEMORY=\"unlimited\" from the archive"
is "p3 is privileged, as asked" "$(conf p3 USERNS) $(conf p3 MEMORY)" "no unlimited"

# ---- NESTING and a larger CPU weight ----
conf_edit "$A/b1.tar.zst" "$A/nest.tar.zst" NESTING=yes CPU_WEIGHT=10000 PTYS=4096
out=$(vpsctl restore "$A/nest.tar.zst" --name n1 --ip 10.77.0.15/24 --disk 0 2>&1)
rc=$?
diag "$out"
ok $rc "restore of an archive asking for NESTING"
like "it says NESTING was reset" "$out" "n1: reset the archive's NESTING=\"yes\" to NESTING=\"no\""
like "it says CPU_WEIGHT was reset" "$out" "n1: reset the archive's CPU_WEIGHT=\"10000\" to CPU_WEIGHT=\"100\""
is "n1's vps.conf: NESTING CPU_WEIGHT PTYS as b1's" "$(conf n1 NESTING) $(conf n1 CPU_WEIGHT) $(conf n1 PTYS)" \
	"no 100 $(conf b1 PTYS)"

# ---- a plain backup of this node restores with nothing reset ----
out=$(vpsctl restore "$A/b1.tar.zst" --name r1 --ip 10.77.0.16/24 --disk 0 2>&1)
rc=$?
ok $rc "restore of an untouched archive"
is "nothing reported reset" "$(printf '%s\n' "$out" | grep -c 'reset the archive')" 0
is "r1 keeps b1's quotas" "$(conf r1 MEMORY) $(conf r1 PIDS) $(conf r1 CPUS)" \
	"$(conf b1 MEMORY) $(conf b1 PIDS) $(conf b1 CPUS)"

# ---- a refused flag changes nothing ----
out=$(vpsctl restore "$A/b1.tar.zst" --name r2 --ip 10.77.0.17/24 --disk 0 --disk-inodes 1000 2>&1)
like "--disk-inodes without a disk is refused" "$out" "r2: --disk-inodes needs a disk quota"
nothing_left r2
ok $? "r2: nothing left"

# ---- a VPS whose rootfs is already a symlink (a restore before this check): start refuses ----
check "create s1 --disk 0" vpsctl create s1 --template busybox --disk 0
rm -rf "$VPS/s1/rootfs" && ln -s "$T_ROOT/hostdir" "$VPS/s1/rootfs"
out=$(vpsctl start s1 2>&1)
like "start of a VPS whose rootfs is a symlink is refused" "$out" \
	"s1: refused: its rootfs, upper, work or disk is not a directory"
is "s1 is not running" "$(json_get "$(vpsctl status s1 --json)" state)" stopped
is "the host directory is unchanged after it" "$(ls -A "$T_ROOT/hostdir")" "shadow-like"
