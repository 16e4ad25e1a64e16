#!/bin/bash
# Issue 17 item 6: vpsctl set. Saved in vps.conf and applied at once, seen from inside (host
# name, resolv.conf, shadow, authorized_keys) for a running VPS and for a stopped one of each
# storage (copy, overlay, disk image); the password from a file checks against its hash; a
# plaintext --root-password-hash is refused with the reason. What a tenant plants (a symlink at
# /etc, /etc/shadow, /root/.ssh, resolv.conf; a fifo) is refused or replaced inside, and
# nothing outside the root changes.
. "$(dirname "$0")/lib.sh"
plan 60

VPS=$T_ROOT/var/lib/vpsctl/vps
HOST=$T_ROOT/host # stands for the node's own files a planted symlink aims at
mkdir -p "$HOST/dir"
echo "host shadow" >"$HOST/shadow"
echo "host resolv" >"$HOST/resolv"
echo "host dir file" >"$HOST/dir/f"
host_digest() { (cd "$HOST" && find . -printf '%p %s %m %U %T@\n' | sort | md5sum); }
HOST_BEFORE=$(host_digest)

inside() { timeout -k 2 20 "$VPSCTL" --root "$T_ROOT" exec "$1" -- sh -c "$2" 2>&1; }
conf() { sed -n "s/^$2=\"\(.*\)\"/\1/p" "$VPS/$1/vps.conf"; }
uid_base() { conf "$1" UID_BASE; }
bounded_set() { timeout -k 2 30 "$VPSCTL" --root "$T_ROOT" set "$@" 2>&1; }

HASH='$6$saltsalt$qFmFH.bQmmtXzyBY0s9v7Oicd2z4XSIecDzlB5KiA2/jctKu9YterLp8wwnSq.qc.eoxqOmSuNp2xS0ktL3nh/'
ssh-keygen -q -t ed25519 -N '' -C set-test -f "$T_ROOT/key" </dev/null
printf 'secret-pw\n' >"$T_ROOT/pw"

build_template
check "create c (copy)" vpsctl create c --template busybox
check "create o (overlay)" vpsctl create o --template busybox --storage overlay
check "create d (disk image)" vpsctl create d --template busybox --disk 64M

# --- refusals, with their reason, before anything is written
out=$(bounded_set c --root-password-hash 'plain-secret')
like "a plaintext --root-password-hash is refused" "$out" "not a crypt\(3\) hash.*never on the command line"
out=$(bounded_set c --nameserver 10.0.0.300)
like "a bad --nameserver is refused" "$out" "invalid --nameserver '10.0.0.300'"
out=$(bounded_set c --hostname 'bad_name!')
like "a bad --hostname is refused" "$out" "invalid --hostname"
out=$(bounded_set c --onboot maybe)
like "--onboot takes yes or no" "$out" "invalid --onboot 'maybe': yes or no"
out=$(bounded_set c --description 'a "quoted" one')
like "a description with quotes is refused" "$out" "invalid --description"
out=$(bounded_set c)
like "set without a setting says so" "$out" "nothing to set"
echo "-----BEGIN OPENSSH PRIVATE KEY-----" >"$T_ROOT/priv"
out=$(bounded_set c --ssh-key "$T_ROOT/priv")
like "a private key is refused" "$out" "private key"
out=$(bounded_set nosuch --hostname x)
like "an unknown VPS is refused" "$out" "no such VPS"
is "nothing was saved by the refusals" "$(conf c HOSTNAME)" c

# --- a stopped VPS of each storage: saved, written into its storage, seen once started
for v in c o d; do
	out=$(bounded_set "$v" --hostname "h-$v" --nameserver 10.0.0.53 --nameserver fd00::53 \
		--searchdomain example.com --root-password-file "$T_ROOT/pw" \
		--ssh-key "$T_ROOT/key.pub" --description "client $v" --onboot yes --json)
	ok $? "$v stopped: set succeeds"
	is "$v: --json says where it applied" "$(json_get "$out" applied)" storage
	is "$v: vps.conf has the settings" \
		"$(conf "$v" HOSTNAME)|$(conf "$v" NAMESERVER)|$(conf "$v" SEARCHDOMAIN)|$(conf "$v" DESCRIPTION)|$(conf "$v" ONBOOT)" \
		"h-$v|10.0.0.53 fd00::53|example.com|client $v|yes"
	check "start $v" vpsctl start "$v"
	is "$v: host name inside" "$(inside "$v" hostname)" "h-$v"
	is "$v: resolv.conf inside" "$(inside "$v" 'grep -v "^#" /etc/resolv.conf' | tr '\n' ' ')" \
		"search example.com nameserver 10.0.0.53 nameserver fd00::53 "
	hash=$(inside "$v" 'grep ^root: /etc/shadow' | cut -d: -f2)
	is "$v: the password of the file checks against root's shadow hash" \
		"$(perl -e 'print crypt($ARGV[0], $ARGV[1])' secret-pw "$hash")" "$hash"
	is "$v: authorized_keys is the key, owned by the VPS's root" \
		"$(inside "$v" 'cat /root/.ssh/authorized_keys; stat -c "%u %a" /root/.ssh/authorized_keys /root/.ssh')" \
		"$(cat "$T_ROOT/key.pub")
0 600
0 700"
done

# --- live: a running VPS changes at once, as it sees itself
out=$(bounded_set c --hostname live-c --root-password-hash "$HASH" --nameserver 1.1.1.1 --json)
ok $? "set on the running c"
is "--json says live" "$(json_get "$out" applied)" live
is "the host name changed inside, live" "$(inside c 'hostname; cat /etc/hostname' | tr '\n' ' ')" "live-c live-c "
is "root's shadow field is the hash given" "$(inside c 'grep ^root: /etc/shadow' | cut -d: -f2)" "$HASH"
is "search domains stay when only name servers change" \
	"$(inside c 'grep -v "^#" /etc/resolv.conf' | tr '\n' ' ')" "search example.com nameserver 1.1.1.1 "
check "o (overlay, running): live host name" bounded_set o --hostname live-o
is "o: host name inside" "$(inside o hostname)" live-o

# --- what the tenant plants inside a running VPS
inside c "rm -f /etc/resolv.conf; ln -s $HOST/resolv /etc/resolv.conf" >/dev/null
out=$(bounded_set c --nameserver 9.9.9.9)
ok $? "a resolv.conf symlink to a host path: set succeeds"
is "it was replaced by a file inside, not followed" "$(inside c 'test -L /etc/resolv.conf && echo link; grep nameserver /etc/resolv.conf')" "nameserver 9.9.9.9"
inside c "rm -f /etc/shadow; ln -s $HOST/shadow /etc/shadow" >/dev/null
out=$(bounded_set c --root-password-hash "$HASH")
like "a shadow symlink to a host path is refused with the reason" "$out" "/etc/shadow is a symlink in the VPS; refused"
inside c 'rm -f /etc/shadow; mkfifo /etc/shadow' >/dev/null
out=$(bounded_set c --root-password-hash "$HASH")
like "a fifo at /etc/shadow is refused, no hang" "$out" "/etc/shadow is not a regular file in the VPS; refused"
inside c 'mkfifo /etc/hostname.fifo; rm -f /etc/hostname; mv /etc/hostname.fifo /etc/hostname' >/dev/null
check "a fifo at /etc/hostname is replaced, no hang" bounded_set c --hostname again-c
is "/etc/hostname is a file again" "$(inside c 'test -f /etc/hostname && cat /etc/hostname')" again-c
inside c "rm -rf /root/.ssh; ln -s $HOST/dir /root/.ssh" >/dev/null
out=$(bounded_set c --ssh-key "$T_ROOT/key.pub")
like "a /root/.ssh symlink is refused with the reason" "$out" "/root/.ssh is a symlink in the VPS; refused"
is "a refused set saves nothing" "$(conf c HOSTNAME)" again-c

# --- planted in a stopped VPS's storage (copy): /etc itself a symlink to a host directory
check "stop c" vpsctl stop c
rm -f "$VPS/c/rootfs/etc/shadow"
ln -s "$HOST/shadow" "$VPS/c/rootfs/etc/shadow"
out=$(bounded_set c --root-password-hash "$HASH")
like "stopped: a shadow symlink is refused" "$out" "/etc/shadow is a symlink in the VPS; refused"
mv "$VPS/c/rootfs/etc" "$VPS/c/rootfs/etc.real"
ln -s "$HOST/dir" "$VPS/c/rootfs/etc"
out=$(bounded_set c --nameserver 8.8.8.8)
like "stopped: /etc a symlink to a host directory is refused" "$out" "/etc is not a directory in the VPS \(a symlink\?\); refused"
out=$(bounded_set c --hostname x-c)
like "stopped: the host name alone needs no file (start writes it)" "$out" "saved in vps.conf"
rm "$VPS/c/rootfs/etc"
mv "$VPS/c/rootfs/etc.real" "$VPS/c/rootfs/etc"
rm -f "$VPS/c/rootfs/etc/shadow"
check "stopped copy: works again once /etc is a directory" bounded_set c --root-password-hash "$HASH"
is "stopped: shadow written with the VPS root's owner" \
	"$(stat -c %u "$VPS/c/rootfs/etc/shadow")" "$(uid_base c)"

# disk image VPS, running: the tenant's symlink /root -> host dir
inside d "rm -rf /root; ln -s $HOST/dir /root" >/dev/null
out=$(bounded_set d --ssh-key "$T_ROOT/key.pub")
like "d: /root a symlink is refused" "$out" "/root is a symlink in the VPS; refused"

is "nothing outside the roots changed" "$(host_digest)" "$HOST_BEFORE"
is "no temp file left in /etc of o" "$(inside o 'ls -a /etc | grep -c vpsctl-')" 0
finish
