#!/bin/bash
# Issue 17 item 3: vpsctl snapshot create|list|rollback|delete for each storage (copy, overlay,
# disk image): a rollback brings back the files of the snapshot and drops what came after, the
# snapshot stays for another rollback, owners and symlinks are kept as they were. Refusals name
# the reason. kill -9 during a rollback leaves a VPS that starts, with the old files or the
# snapshot's, and no half snapshot in the list.
. "$(dirname "$0")/lib.sh"
plan 78

VPS=$T_ROOT/var/lib/vpsctl/vps
build_template

for v in c o d; do
	case $v in c) extra=() ;; o) extra=(--storage overlay) ;; d) extra=(--disk 64M) ;; esac
	check "create $v" vpsctl create "$v" --template busybox "${extra[@]}"
	check "start $v" vpsctl start "$v"
	inside "$v" "echo one > /root/v1; mkdir /home/u; echo u > /home/u/f; chown -R 1000:1000 /home/u;
		ln -s /etc/passwd /root/link" >/dev/null
	out=$(vpsctl snapshot create "$v" s1 2>&1)
	like "$v: a running VPS is refused" "$out" "$v: is running; stop it first \\(a snapshot create needs a stopped VPS\\)"
	check "stop $v" vpsctl stop "$v"
	out=$(vpsctl snapshot create "$v" s1 --json 2>&1)
	r=$?
	ok $r "$v: snapshot create"
	[ $r = 0 ] || diag "$out"
	case $v in c) kind=rootfs-copy ;; o) kind=upper-layer ;; d) kind=disk-image ;; esac
	is "$v: --json says what it copied" "$(json_get "$out" kind)" "$kind"
	out=$(vpsctl snapshot create "$v" s1 2>&1)
	like "$v: an existing snapshot is refused" "$out" "snapshot 's1' exists"
	check "start $v" vpsctl start "$v"
	inside "$v" "rm /root/v1; echo two > /root/v2; rm /bin/vi" >/dev/null
	check "stop $v" vpsctl stop "$v"
	like "$v: list shows it, with when it was made" "$(vpsctl snapshot list "$v")" \
		"^s1 +$kind +20[0-9][0-9]-[01][0-9]-[0-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-5][0-9] UTC$"
	is "$v: rollback says so" "$(vpsctl snapshot rollback "$v" s1 2>&1)" \
		"$v: rolled back to snapshot 's1'"
	check "start $v after the rollback" vpsctl start "$v"
	is "$v: the snapshot's files are back, later ones gone" \
		"$(inside "$v" 'cat /root/v1; test -e /root/v2 && echo v2; test -e /bin/vi && echo vi; readlink /root/link; stat -c %u:%g /home/u/f')" \
		"one
vi
/etc/passwd
1000:1000"
	inside "$v" "echo three > /root/v3" >/dev/null
	check "stop $v" vpsctl stop "$v"
	check "$v: a second rollback to the same snapshot" vpsctl snapshot rollback "$v" s1
	check "start $v" vpsctl start "$v"
	is "$v: again as in the snapshot" "$(inside "$v" 'cat /root/v1; test -e /root/v3 && echo v3')" "one"
	check "stop $v" vpsctl stop "$v"
	is "$v: nothing hidden left in its directory" "$(ls -A "$VPS/$v" "$VPS/$v/snapshots" | grep -c '^\.')" 0
done

# --- refusals
out=$(vpsctl snapshot rollback c nosuch 2>&1)
like "a missing snapshot is refused" "$out" "c: no snapshot 'nosuch'"
out=$(vpsctl snapshot delete c nosuch 2>&1)
like "deleting a missing snapshot is refused" "$out" "c: no snapshot 'nosuch'"
out=$(vpsctl snapshot create c '../x' 2>&1)
like "a bad snapshot name is refused" "$out" "invalid snapshot name '../x'"
out=$(vpsctl snapshot frob c 2>&1)
like "an unknown subcommand is refused" "$out" "unknown snapshot command 'frob'"
out=$(vpsctl snapshot create nosuch s1 2>&1)
like "a missing VPS is refused" "$out" "nosuch: no such VPS"

# --- kill -9 during rollbacks: the VPS starts, with one whole state
check "start c" vpsctl start c
inside c "echo after > /root/after" >/dev/null
check "stop c" vpsctl stop c
for i in 1 2 3 4; do
	"$VPSCTL" --root "$T_ROOT" snapshot rollback c s1 >/dev/null 2>&1 &
	pid=$!
	sleep "0.0$((RANDOM % 10))"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	check "kill -9 #$i: c starts" vpsctl start c
	state=$(inside c 'cat /root/v1 /root/after 2>/dev/null; test -e /bin/vi && echo vi')
	case $state in "one
vi" | "one
after
vi") r=0 ;; *) r=1 ;; esac
	ok $r "kill -9 #$i: c holds the old files or the snapshot's, whole"
	[ $r = 0 ] || diag "$state"
	check "kill -9 #$i: c stops" vpsctl stop c
done

# --- delete
check "delete s1" vpsctl snapshot delete c s1
is "the list is empty" "$(vpsctl snapshot list c --json)" "[]"
finish
