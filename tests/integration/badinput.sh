#!/bin/bash
# Bad input: one clear line, non-zero exit, nothing changed on disk.
. "$(dirname "$0")/lib.sh"
plan 29

build_template
vpsctl create good --template busybox >/dev/null
snapshot() { (cd "$T_ROOT" && find . -path ./run -prune -o -printf '%p %s %T@\n' | sort | md5sum); }
before=$(snapshot)
# refuses CMD...: non-zero, exactly one line on stderr starting with "vpsctl: "
refuses() {
	local d=$1 err rc
	shift
	err=$("$@" 2>&1 >/dev/null); rc=$?
	if [ $rc != 0 ] && [ "$(printf '%s\n' "$err" | wc -l)" = 1 ] && [[ $err == vpsctl:* ]]; then
		ok 0 "$d"
	else
		ok 1 "$d"; diag "rc=$rc: $err"
	fi
}
long=$(printf 'a%.0s' $(seq 300))
refuses "name ../x" vpsctl create ../x --template busybox
refuses "empty name" vpsctl create "" --template busybox
refuses "300-char name" vpsctl create "$long" --template busybox
refuses "upper-case name" vpsctl create Web --template busybox
refuses "name with a slash, start" vpsctl start a/b
refuses "name ../x, destroy" vpsctl destroy --force ../x
refuses "unknown flag" vpsctl create x1 --template busybox --bogus
refuses "unknown global flag" vpsctl --bogus list
refuses "unknown command" vpsctl frobnicate
refuses "missing template" vpsctl create x2 --template nosuch
refuses "missing --template" vpsctl create x3
refuses "bad --memory" vpsctl create x4 --template busybox --memory -1
refuses "bad --cpus" vpsctl create x5 --template busybox --cpus abc
refuses "bad --hostname" vpsctl create x6 --template busybox --hostname 'a b'
refuses "create an existing VPS" vpsctl create good --template busybox
refuses "start a missing VPS" vpsctl start nosuch
refuses "stop a stopped VPS" vpsctl stop good
is "nothing changed on disk" "$(snapshot)" "$before"

vpsctl start good >/dev/null
refuses "start a running VPS" vpsctl start good
refuses "destroy a running VPS without --force" vpsctl destroy good
is "still running" "$(json_get "$(vpsctl status good --json)" state)" running
vpsctl stop --force good >/dev/null

conf=$T_ROOT/var/lib/vpsctl/vps/good/vps.conf
cp "$conf" "$conf.orig"
sed -i 's/^MEMORY=.*/MEMORY="lots"/' "$conf"
sum=$(md5sum <"$conf")
refuses "corrupt vps.conf: start" vpsctl start good
refuses "corrupt vps.conf: status" vpsctl status good
like "the error names the line" "$(vpsctl start good 2>&1)" 'vps/good/vps\.conf:[0-9]+: invalid MEMORY'
is "corrupt vps.conf untouched" "$(md5sum <"$conf")" "$sum"
is "no cgroup was created" "$(cgroup_dirs)" ""

# A broken root filesystem (its /dev a symlink out of it) fails while init builds it, in
# parallel with the host's steps: init's reason must still reach the command line.
vpsctl create brk --template busybox >/dev/null
rm -rf "$T_ROOT/var/lib/vpsctl/vps/brk/rootfs/dev"
ln -s /tmp "$T_ROOT/var/lib/vpsctl/vps/brk/rootfs/dev"
refuses "start with /dev a symlink out of the rootfs" vpsctl start brk
like "init's reason is the error" "$(vpsctl start brk 2>&1)" 'Failed to mount tmpfs on /dev: Too many levels of symbolic links'
is "nothing left after the failed starts" "$(json_get "$(vpsctl status brk --json)" state) $(cgroup_dirs)" "stopped "
finish
