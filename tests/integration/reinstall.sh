#!/bin/bash
# Issue 17 item 5: vpsctl reinstall. A fresh root filesystem from the template for each storage
# (copy, overlay, disk image): the template's files are back, the tenant's are gone, and the
# name, addresses, quotas, id range, root's authorized_keys and the --keep paths stay. A --keep
# path the tenant made a symlink (to a node path, or with a symlinked parent) is copied as a
# symlink or resolved inside the VPS, never from the node. Refusals name the reason. kill -9 at
# random moments leaves a VPS that starts, and the next reinstall or destroy leaves nothing.
. "$(dirname "$0")/lib.sh"
plan 57

VPS=$T_ROOT/var/lib/vpsctl/vps
HOST=$T_ROOT/host
mkdir -p "$HOST/secret"
echo "node-secret-$$" >"$HOST/secret/file"

ssh-keygen -q -t ed25519 -N '' -C re-test -f "$T_ROOT/key" </dev/null
build_template

n=0
for v in c o d; do
	n=$((n + 1))
	case $v in c) extra=() ;; o) extra=(--storage overlay) ;; d) extra=(--disk 64M) ;; esac
	check "create $v" vpsctl create "$v" --template busybox "${extra[@]}" --ssh-key "$T_ROOT/key.pub" \
		--memory 96M --pids 77 --ip "10.77.0.$((10 + n))/24"
	before="$(conf "$v" UID_BASE)|$(conf "$v" MEMORY)|$(conf "$v" PIDS)|$(conf "$v" IP_ADDRESS)|$(conf "$v" MAC)"
	check "start $v" vpsctl start "$v"
	inside "$v" "mkdir -p /srv/data /srv/sub; echo kept > /srv/data/file; echo junk > /junk; rm /bin/vi;
		ln -s $HOST/secret /srv/data/link; ln -s $HOST/secret /srv/secret; ln -s /srv/sub /srv/via;
		echo inner > /srv/sub/file" >/dev/null
	out=$(vpsctl reinstall "$v" --keep /srv/data 2>&1)
	like "$v: a running VPS is refused without --force" "$out" "is running; stop it first or use --force"
	out=$(vpsctl reinstall "$v" --force --keep /srv/data --keep /srv/secret --keep /srv/via/file --json 2>&1)
	ok $? "$v: reinstall --force --keep"
	is "$v: --json names the template" "$(json_get "$out" template)" busybox
	is "$v: name, id range, quotas, addresses and MAC kept" \
		"$(conf "$v" UID_BASE)|$(conf "$v" MEMORY)|$(conf "$v" PIDS)|$(conf "$v" IP_ADDRESS)|$(conf "$v" MAC)" "$before"
	check "start $v after the reinstall" vpsctl start "$v"
	is "$v: the template's files are back, the tenant's gone" \
		"$(inside "$v" 'test -e /bin/vi && echo vi; test -e /junk && echo junk')" vi
	is "$v: the kept paths are there, symlinks as symlinks" \
		"$(inside "$v" 'cat /srv/data/file; readlink /srv/data/link; readlink /srv/secret; cat /srv/via/file')" \
		"kept
$HOST/secret
$HOST/secret
inner"
	is "$v: root's authorized_keys kept" "$(inside "$v" 'cat /root/.ssh/authorized_keys')" "$(cat "$T_ROOT/key.pub")"
	like "$v: its address is up inside" "$(inside "$v" 'ip -4 addr show eth0')" "10.77.0.$((10 + n))/24"
	check "stop $v" vpsctl stop "$v"
done
is "nothing of the node's was copied in" "$(grep -rl "node-secret-$$" "$VPS" 2>/dev/null | wc -l)" 0

# --- refusals
out=$(vpsctl reinstall c --keep ../etc 2>&1)
like "--keep with .. is refused" "$out" "invalid --keep '../etc': an absolute path"
out=$(vpsctl reinstall c --keep /srv/../etc 2>&1)
like "--keep /srv/../etc is refused" "$out" "invalid --keep '/srv/../etc'"
out=$(vpsctl reinstall c --keep / 2>&1)
like "--keep / is refused" "$out" "invalid --keep '/'"
out=$(vpsctl reinstall c --template nosuch 2>&1)
like "an unknown template is refused" "$out" "no template 'nosuch'"
out=$(vpsctl reinstall c --keep /does/not/exist 2>&1)
like "a missing --keep path is refused" "$out" "--keep /does/not/exist: no such file in the VPS; the old root filesystem is untouched"
is "a refused reinstall leaves nothing behind" "$(ls -A "$VPS" | grep -c reinstall)" 0

# --- kill -9 at random moments: the VPS still starts, the next command cleans up
for i in 1 2 3 4 5; do
	"$VPSCTL" --root "$T_ROOT" reinstall c --keep /srv/data >/dev/null 2>&1 &
	pid=$!
	sleep "0.$((RANDOM % 4))$((RANDOM % 10))"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	wait_for 5 sh -c "! pgrep -P $pid >/dev/null" # its helper dies with it
	check "kill -9 #$i: c starts" vpsctl start c
	check "kill -9 #$i: c stops" vpsctl stop c
done
check "a reinstall after the kills" vpsctl reinstall c --keep /srv/data
is "no leftover after it" "$(ls -A "$VPS" | grep -c reinstall)" 0
"$VPSCTL" --root "$T_ROOT" reinstall c >/dev/null 2>&1 &
pid=$!
sleep 0.1
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
sleep 0.5
check "destroy after a killed reinstall" vpsctl destroy c
is "destroy leaves no leftover of c" "$(ls -A "$VPS" | grep -c '^\.\?c\b')" 0
finish
