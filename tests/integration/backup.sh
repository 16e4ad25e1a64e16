#!/bin/bash
# Issue 17 item 2: vpsctl backup NAME FILE|- and vpsctl restore FILE|- [--name N]. A round
# trip of a running VPS (frozen for the copy, the freeze measured and thawed after) gives the
# same files, owners (on the new id range) and quotas, and the service in it runs again; the
# stream from stdout restores from stdin; overlay (whiteouts kept, the template checked by
# checksum, refused on a node without it) and disk-image storage round-trip too. Hostile
# archives are refused with their reason and leave nothing: a tampered checksum, a path
# escape, a symlink escape, a forbidden capability in vps.conf, a truncated archive, a member
# outside the storage. A name or address clash is refused. kill -9 of a backup while the VPS
# is frozen leaves it running (the guard thaws it), and with the guard killed too, status
# shows it suspended and resume thaws it. A restore killed midway leaves nothing that the
# next restore of the name does not clean up.
. "$(dirname "$0")/lib.sh"
plan 82

VPS=$T_ROOT/var/lib/vpsctl/vps
A=$T_ROOT/arch
mkdir -p "$A"
state() { json_get "$(vpsctl status "$1" --json)" state; }
# tree VPS DIR: every path of the tree with its type, mode, owner relative to the VPS's id
# range, size and content digest: equal for a VPS and its restored copy.
tree() {
	local base
	base=$(conf "$1" UID_BASE)
	(cd "$VPS/$1/$2" && find . -printf '%y %m %U %G %s %p %l\n' | sort -k6 |
		awk -v b="$base" '{ $3 -= b; $4 -= b; print }'
	find . -type f -print0 | sort -z | xargs -0 sha256sum)
}
# mutate IN OUT PYTHON: rewrites the archive IN to OUT, PYTHON editing `members`, a list of
# [TarInfo, bytes] (the data, None for non-files).
mutate() {
	zstd -qdc "$1" | python3 -c "
import io, sys, tarfile
src = tarfile.open(fileobj=io.BytesIO(sys.stdin.buffer.read()))
members = [[m, src.extractfile(m).read() if m.isfile() else None] for m in src.getmembers()]
def find(name): return [x for x in members if x[0].name == name][0]
$3
out = io.BytesIO()
dst = tarfile.open(fileobj=out, mode='w', format=tarfile.PAX_FORMAT)
for m, d in members:
    if d is not None: m.size = len(d)
    dst.addfile(m, io.BytesIO(d) if d is not None else None)
dst.close()
sys.stdout.buffer.write(out.getvalue())" | zstd -q -o "$2" -f
}

build_template

# ---- round trip of a running copy-storage VPS ----
check "create b1" vpsctl create b1 --template busybox --memory 96M --pids 77 --cpus 0.5 \
	--ip 10.77.0.11/24
echo '::respawn:/bin/sh -c "while :; do echo up > /tmp/svc; sleep 1; done"' \
	>>"$VPS/b1/rootfs/etc/inittab"
check "start b1" vpsctl start b1
inside b1 "mkdir -p /home/u && echo u > /home/u/f && chown -R 1000:1000 /home/u &&
	echo 'with space' > '/root/a b' && ln -s /etc/passwd /root/pw && ln /root/a\ b /root/hard &&
	dd if=/dev/urandom of=/root/big bs=1M count=8 2>/dev/null" >/dev/null
out=$(vpsctl backup b1 "$A/b1.tar.zst" --json 2>&1)
ok $? "backup of the running b1"
diag "$out"
is "the report says it was snapshotted (the default mode)" "$(json_get "$out" state)" snapshot
fz=$(json_get "$out" freeze_ms)
[ -n "$fz" ] && [ "$fz" -lt 10000 ]
ok $? "the freeze time is reported and bounded (${fz} ms)"
is "b1 runs on, thawed" "$(state b1)" running
is "its processes run" "$(inside b1 'echo alive')" alive
is "archive size in --json is the file's" "$(json_get "$out" archive_bytes)" \
	"$(stat -c %s "$A/b1.tar.zst")"
is "it is a zstd tar with BACKUP first and MANIFEST last" \
	"$(zstd -qdc "$A/b1.tar.zst" | tar tf - | sed -n '1p;2p;$p' | tr '\n' ' ')" \
	"BACKUP vps.conf MANIFEST "
is "BACKUP names the VPS, its storage and template checksum" \
	"$(zstd -qdc "$A/b1.tar.zst" | tar xOf - BACKUP | grep -E '^(NAME|STORAGE|TEMPLATE_SHA256)=' | cut -c1-20 | tr '\n' ' ')" \
	"NAME=b1 STORAGE=copy TEMPLATE_SHA256=$(cut -c1-4 "$T_ROOT/var/lib/vpsctl/templates/busybox.sha256") "
check "stop b1" vpsctl stop b1
out=$(vpsctl restore "$A/b1.tar.zst" --name r1 --ip 10.77.0.12/24 --json 2>&1)
ok $? "restore as r1"
diag "$out"
[ "$(conf r1 UID_BASE)" != "$(conf b1 UID_BASE)" ]
ok $? "r1 has its own id range"
is "quotas, template and storage kept; own MAC and addresses" \
	"$(conf r1 MEMORY)|$(conf r1 PIDS)|$(conf r1 CPUS)|$(conf r1 TEMPLATE)|$(conf r1 STORAGE)|$(conf r1 MAC)|$(conf r1 IP_ADDRESS)" \
	"$(conf b1 MEMORY)|$(conf b1 PIDS)|$(conf b1 CPUS)|$(conf b1 TEMPLATE)|$(conf b1 STORAGE)||10.77.0.12/24"
is "every file, mode, owner (relative), link and content identical" "$(tree r1 rootfs)" "$(tree b1 rootfs)"
check "start r1" vpsctl start r1
wait_for 10 sh -c "'$VPSCTL' --root '$T_ROOT' exec r1 -- cat /tmp/svc | grep -q up"
ok $? "the service inside r1 runs"
is "the tenant's file is owned by r1's range on the node" \
	"$(stat -c %u "$VPS/r1/rootfs/home/u/f")" "$(($(conf r1 UID_BASE) + 1000))"
check "stop r1" vpsctl stop r1

# ---- refusals: name, address ----
out=$(vpsctl restore "$A/b1.tar.zst" 2>&1)
like "an existing name is refused" "$out" "b1: already exists \\(--name gives"
out=$(vpsctl restore "$A/b1.tar.zst" --name r2 2>&1)
like "an address in use is refused, naming its holder" "$out" \
	"r2: refused: address 10.77.0.11 is already used by VPS 'b1' \\(--ip gives"
[ ! -e "$VPS/r2" ] && [ ! -e "$VPS/.r2.new" ]
ok $? "nothing left of r2"

# ---- stream: stdout | stdin ----
check "start b1" vpsctl start b1
out=$( ("$VPSCTL" --root "$T_ROOT" backup b1 - --mode freeze --json | "$VPSCTL" --root "$T_ROOT" restore - --name r3 --ip 10.77.0.13/24 --json >"$T_ROOT/rs.out") 2>&1)
ok $? "backup b1 - | restore - works"
diag "$out"
is "the report went to stderr, the archive through the pipe; frozen throughout (--mode freeze)" "$(json_get "$out" state)" frozen
is "restored from stdin" "$(json_get "$(cat "$T_ROOT/rs.out")" file)" -
is "r3's files are b1's" "$(tree r3 rootfs | grep -v ' /tmp\| ./tmp' )" "$(tree b1 rootfs | grep -v ' /tmp\| ./tmp')"
is "--mode freeze keeps a hard link one file" "$(stat -c %h "$VPS/r3/rootfs/root/hard")" 2
out=$(script -qec "'$VPSCTL' --root '$T_ROOT' backup b1 -" /dev/null 2>&1)
like "stdout on a terminal is refused" "$out" "refusing to write the archive to a terminal"

# ---- snapshot mode: frozen only for the copy; kill -9 of a backup while the VPS is frozen ----
mkfifo "$T_ROOT/fifo"
exec 7<>"$T_ROOT/fifo" # a reader that never reads: the backup blocks writing
"$VPSCTL" --root "$T_ROOT" backup b1 - >"$T_ROOT/fifo" 2>/dev/null &
bpid=$!
wait_for 10 test -d "$VPS/b1/.backup/rootfs"
ok $? "snapshot mode: the storage is copied beside it"
sleep 1
is "and b1 runs while the archive is written" "$(json_get "$(vpsctl status b1 --json)" frozen)|$(inside b1 'echo alive')" "false|alive"
kill -9 "$bpid"
wait "$bpid" 2>/dev/null
out=$(vpsctl backup b1 "$A/again.tar.zst" --json 2>&1)
ok $? "the next backup works"
[ ! -e "$VPS/b1/.backup" ]
ok $? "and the copy the killed one left is gone"
"$VPSCTL" --root "$T_ROOT" backup b1 - --mode freeze >"$T_ROOT/fifo" 2>/dev/null &
bpid=$!
wait_for 10 sh -c "'$VPSCTL' --root '$T_ROOT' status b1 --json | grep -q '\"frozen\":true'"
ok $? "--mode freeze: b1 is frozen while the backup is stuck"
kill -9 "$bpid"
wait "$bpid" 2>/dev/null
wait_for 5 sh -c "'$VPSCTL' --root '$T_ROOT' status b1 --json | grep -q '\"frozen\":false'"
ok $? "after kill -9 of the backup, b1 is thawed (the guard)"
is "and it runs" "$(state b1)|$(inside b1 'echo alive')" "running|alive"
# both the backup and its guard killed: the freeze is a recorded suspend
"$VPSCTL" --root "$T_ROOT" backup b1 - --mode freeze >"$T_ROOT/fifo" 2>/dev/null &
bpid=$!
wait_for 10 sh -c "'$VPSCTL' --root '$T_ROOT' status b1 --json | grep -q '\"frozen\":true'"
guard=$(pgrep -P "$bpid")
[ -n "$guard" ] && kill -9 "$guard"
kill -9 "$bpid"
wait "$bpid" 2>/dev/null
is "with the guard killed too, status shows b1 suspended" \
	"$(json_get "$(vpsctl status b1 --json)" suspended)" true
check "and resume thaws it" vpsctl resume b1
is "it runs" "$(inside b1 'echo alive')" alive
exec 7>&-
ls "$A"/b1.tar.zst.partial-* >/dev/null 2>&1
ok $((!$?)) "no partial archive left by killed backups to a file"

# ---- a suspended VPS stays suspended ----
check "suspend b1" vpsctl suspend b1
out=$(vpsctl backup b1 "$A/susp.tar.zst" --json 2>&1)
ok $? "backup of the suspended b1"
is "reported as suspended, no freeze of its own" "$(json_get "$out" state)|$(json_get "$out" freeze_ms)" "suspended|0"
is "b1 is still suspended" "$(json_get "$(vpsctl status b1 --json)" suspended)" true
check "resume b1" vpsctl resume b1

# ---- hostile archives ----
nothing_left() { [ ! -e "$VPS/$1" ] && [ ! -e "$VPS/.$1.new" ]; }
mutate "$A/b1.tar.zst" "$A/sum.tar.zst" "m = find('rootfs/etc/hostname'); m[1] = b'evil\\n'[:len(m[1])].ljust(len(m[1]), b'x')"
out=$(vpsctl restore "$A/sum.tar.zst" --name h1 --ip 10.77.0.21/24 2>&1)
like "a tampered file is refused: checksum mismatch, naming it" "$out" \
	"h1: checksum mismatch: member 'rootfs/etc/hostname' has SHA-256"
nothing_left h1
ok $? "nothing left of it"
mutate "$A/b1.tar.zst" "$A/dots.tar.zst" "m = find('rootfs/root/hi') if False else find('rootfs/etc/shells'); m[0].name = 'rootfs/../../../../tmp/vpsctl-escape-$$'"
out=$(vpsctl restore "$A/dots.tar.zst" --name h2 --ip 10.77.0.22/24 2>&1)
like "a '..' path is refused" "$out" "h2: refused: entry 'rootfs/../../../../tmp/vpsctl-escape-$$': '..' component"
[ ! -e "/tmp/vpsctl-escape-$$" ] && nothing_left h2
ok $? "nothing written outside, nothing left"
mutate "$A/b1.tar.zst" "$A/link.tar.zst" "
l = tarfile.TarInfo('rootfs/esc'); l.type = tarfile.SYMTYPE; l.linkname = '$T_ROOT/outside'
f = tarfile.TarInfo('rootfs/esc/planted'); members[3:3] = [[l, None], [f, b'x']]"
mkdir -p "$T_ROOT/outside"
out=$(vpsctl restore "$A/link.tar.zst" --name h3 --ip 10.77.0.23/24 2>&1)
like "a write through a planted symlink is refused" "$out" \
	"h3: refused: entry 'rootfs/esc/planted': path goes through a symlink"
[ ! -e "$T_ROOT/outside/planted" ] && nothing_left h3
ok $? "nothing written through it, nothing left"
mutate "$A/b1.tar.zst" "$A/cap.tar.zst" "m = find('vps.conf'); m[1] = m[1].replace(b'CAP_ADD=\"\"', b'CAP_ADD=\"SYS_MODULE\"')"
zstd -qdc "$A/cap.tar.zst" | tar xOf - vps.conf | grep -q '^CAP_ADD="SYS_MODULE"'
ok $? "(the crafted vps.conf asks for SYS_MODULE)"
out=$(vpsctl restore "$A/cap.tar.zst" --name h4 --ip 10.77.0.24/24 2>&1)
like "a forbidden capability in its vps.conf is refused like a hand edit" "$out" \
	"h4: refused: vps.conf in the archive:[0-9]+: .*SYS_MODULE"
nothing_left h4
ok $? "nothing left of it"
head -c $(($(stat -c %s "$A/b1.tar.zst") / 2)) "$A/b1.tar.zst" >"$A/trunc.tar.zst"
out=$(vpsctl restore "$A/trunc.tar.zst" --name h5 --ip 10.77.0.25/24 2>&1)
like "a truncated archive is refused" "$out" "h5: .*([Tt]runcated|corrupt)"
nothing_left h5
ok $? "nothing left of it"
mutate "$A/b1.tar.zst" "$A/top.tar.zst" "m = find('rootfs/etc/shells'); m[0].name = 'etc-shells'"
out=$(vpsctl restore "$A/top.tar.zst" --name h6 --ip 10.77.0.26/24 2>&1)
like "a member outside the storage is refused" "$out" \
	"h6: member 'etc-shells' is not part of a backup of copy storage"
mutate "$A/b1.tar.zst" "$A/mani.tar.zst" "m = find('rootfs/etc/shells'); m[0].mode = 0o4755"
out=$(vpsctl restore "$A/mani.tar.zst" --name h7 --ip 10.77.0.27/24 2>&1)
like "a mode changed behind the manifest's back is refused" "$out" \
	"h7: manifest mismatch: member 'rootfs/etc/shells' differs"
echo garbage >"$A/junk"
out=$(vpsctl restore "$A/junk" --name h8 2>&1)
like "not an archive at all" "$out" "junk: not restoring: "

# ---- a restore killed midway ----
"$VPSCTL" --root "$T_ROOT" restore - --name k1 --ip 10.77.0.31/24 <"$T_ROOT/fifo" >/dev/null 2>&1 &
rpid=$!
exec 8>"$T_ROOT/fifo"
head -c $(($(stat -c %s "$A/b1.tar.zst") * 3 / 4)) "$A/b1.tar.zst" >&8
wait_for 10 test -d "$VPS/.k1.new"
ok $? "the killed restore had begun k1"
kill -9 "$rpid"
wait "$rpid" 2>/dev/null
exec 8>&-
out=$(vpsctl destroy k1 2>&1)
like "destroy removes what the killed restore left" "$out" "k1: removed what a cut-short create, clone or restore left"
[ ! -e "$VPS/.k1.new" ] && [ ! -e "$VPS/k1" ]
ok $? "nothing of k1 is left"
"$VPSCTL" --root "$T_ROOT" restore - --name k1 --ip 10.77.0.31/24 <"$T_ROOT/fifo" >/dev/null 2>&1 &
rpid=$!
exec 8>"$T_ROOT/fifo"
head -c $(($(stat -c %s "$A/b1.tar.zst") * 3 / 4)) "$A/b1.tar.zst" >&8
wait_for 10 test -d "$VPS/.k1.new"
kill -9 "$rpid"
wait "$rpid" 2>/dev/null
exec 8>&-
out=$(vpsctl restore "$A/b1.tar.zst" --name k1 --ip 10.77.0.31/24 2>&1)
ok $? "the next restore of k1 works (its address and leftovers free again)"
[ ! -e "$VPS/.k1.new" ]
ok $? "and nothing hidden is left"
check "destroy k1 cleans it up" vpsctl destroy k1

# ---- overlay: upper layer, whiteouts, the template by checksum ----
check "create o1 (overlay)" vpsctl create o1 --template busybox --storage overlay --ip 10.77.0.41/24
check "start o1" vpsctl start o1
inside o1 "echo ov > /root/ov; rm /etc/shells; mkdir -p /opt/d" >/dev/null
out=$(vpsctl backup o1 "$A/o1.tar.zst" --json 2>&1)
ok $? "backup of the running overlay o1"
out=$(vpsctl restore "$A/o1.tar.zst" --name o2 --ip 10.77.0.42/24 2>&1)
ok $? "restore as o2"
check "start o2" vpsctl start o2
is "o2 has o1's change and its deletion (a whiteout)" \
	"$(inside o2 'cat /root/ov; test -e /etc/shells && echo still-there; echo end')" "ov
end"
T2=$T_ROOT/node2
mkdir -p "$T2/etc/vpsctl"
cp "$T_ROOT/etc/vpsctl/vpsctl.conf" "$T2/etc/vpsctl/"
out=$("$VPSCTL" --root "$T2" restore "$A/o1.tar.zst" --ip 10.77.0.43/24 2>&1)
like "another node without the template refuses, naming it by checksum" "$out" \
	"o1: refused: its template 'busybox' \\(sha256 [0-9a-f]{64}\\) is not on this node"
out=$("$VPSCTL" --root "$T2" restore "$A/b1.tar.zst" --name n1 --ip 10.77.0.44/24 2>&1)
ok $? "a copy-storage backup restores on another --root"
[ -d "$T2/var/lib/vpsctl/vps/n1/rootfs/etc" ]
ok $? "with its files there"
"$VPSCTL" --root "$T2" destroy n1 >/dev/null 2>&1

# ---- disk image: sparse ----
check "create d1 (disk image)" vpsctl create d1 --template busybox --disk 64M --ip 10.77.0.51/24
check "start d1" vpsctl start d1
inside d1 "echo disk > /root/d" >/dev/null
out=$(vpsctl backup d1 "$A/d1.tar.zst" --json 2>&1)
ok $? "backup of the running d1"
diag "$out"
[ "$(stat -c %s "$A/d1.tar.zst")" -lt $((16 << 20)) ]
ok $? "the 64M image's holes are not stored ($(stat -c %s "$A/d1.tar.zst") bytes)"
out=$(vpsctl restore "$A/d1.tar.zst" --name d2 --ip 10.77.0.52/24 2>&1)
ok $? "restore as d2"
is "d2's image is sparse, root's, 0600" \
	"$(stat -c '%U %a %s' "$VPS/d2/disk.img") $([ "$(du -k "$VPS/d2/disk.img" | cut -f1)" -lt 60000 ] && echo sparse)" \
	"root 600 67108864 sparse"
check "start d2" vpsctl start d2
is "d2 has d1's file" "$(inside d2 'cat /root/d')" disk
