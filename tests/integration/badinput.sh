#!/bin/bash
# Bad input: one clear line, non-zero exit, nothing changed on disk.
. "$(dirname "$0")/lib.sh"
plan 61

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
like "init's reason is the error" "$(vpsctl start brk 2>&1)" 'failed to mount tmpfs on /dev: Too many levels of symbolic links'
is "nothing left after the failed starts" "$(json_get "$(vpsctl status brk --json)" state) $(cgroup_dirs)" "stopped "
vpsctl destroy --force brk >/dev/null
cp "$conf.orig" "$conf"

# refuses_with DESC REGEX CMD...: as refuses, and the one line says why (matches REGEX).
refuses_with() {
	local d=$1 re=$2 err rc
	shift 2
	err=$("$@" 2>&1 >/dev/null); rc=$?
	if [ $rc != 0 ] && [ "$(printf '%s\n' "$err" | wc -l)" = 1 ] && [[ $err == vpsctl:* ]] &&
		printf '%s' "$err" | grep -Eq -- "$re"; then
		ok 0 "$d"
	else
		ok 1 "$d"; diag "rc=$rc: $err (want /$re/)"
	fi
}
vps=$T_ROOT/var/lib/vpsctl/vps
locks=$T_ROOT/run/vpsctl/locks
online=$(cat /sys/devices/system/cpu/online)
offline_cpu=$(($(nproc --all) + 1))

# --- values the kernel or the network would take wrongly, refused up front
refuses_with "--ip: a subnet's network address" 'address 10\.77\.0\.0 is the network address of its subnet \(/24\)' \
	vpsctl create ip1 --template busybox --ip 10.77.0.0/24
refuses_with "--ip: a subnet's broadcast address" 'address 10\.77\.0\.255 is the broadcast address of its subnet \(/24\)' \
	vpsctl create ip2 --template busybox --ip 10.77.0.255/24
refuses_with "--ip: the node subnet's edge under a narrower prefix" 'address 10\.77\.0\.255 is the broadcast address of its subnet \(/24\)' \
	vpsctl create ip3 --template busybox --ip 10.77.0.255/32
refuses_with "--ip-add of a broadcast address" 'address 10\.77\.0\.255 is the broadcast address' \
	vpsctl resize good --ip-add 10.77.0.255/24
refuses_with "--mtu 100000" "invalid --mtu '100000': 0 \(the kernel's\) or 68\.\.65535" \
	vpsctl create m1 --template busybox --mtu 100000
refuses_with "--cpuset with CPUs the host lacks, at create" "--cpuset '0-$offline_cpu' names CPU [0-9]+, which this host does not have \(online: $online\)" \
	vpsctl create c1 --template busybox --cpuset "0-$offline_cpu"
refuses_with "--cpuset with CPUs the host lacks, at resize" "--cpuset '$offline_cpu' names CPU $offline_cpu, which this host does not have" \
	vpsctl resize good --cpuset "$offline_cpu"
ls "$vps" | grep -Eq '^(ip[123]|m1|c1)$'
ok $((!$?)) "no VPS was made of the refused creates"

# --- a hand edit is checked when the file is read, and named by file, line and key
sed -i 's/^PIDS=.*/PIDS="0"/' "$conf"
line=$(grep -n '^PIDS=' "$conf" | cut -d: -f1)
refuses_with "hand-edited PIDS=0: start names file, line and key" "vps/good/vps\.conf:$line: PIDS 0 is below the minimum 1" \
	vpsctl start good
refuses_with "hand-edited PIDS=0: resize blames the file, not a --pids nobody typed" "vps/good/vps\.conf:$line: PIDS 0 is below the minimum 1" \
	vpsctl resize good --memory 300M
is "list says broken" "$(vpsctl list -o name,state,pids,memory | grep '^good')" "$(printf 'good\tbroken\t?\t?')"
cp "$conf.orig" "$conf"
sed -i 's/^CPUS=.*/CPUS="0"/' "$conf"
line=$(grep -n '^CPUS=' "$conf" | cut -d: -f1)
refuses_with "hand-edited CPUS=0: status names file, line and key" "vps/good/vps\.conf:$line: CPUS 0 is below the minimum 0\.01" \
	vpsctl status good
cp "$conf.orig" "$conf"
sed -i "s/^CPUSET=.*/CPUSET=\"0-$offline_cpu\"/" "$conf"
refuses_with "hand-edited CPUSET with CPUs the host lacks: start says so before any cgroup" \
	"vps.conf CPUSET '0-$offline_cpu' names CPU [0-9]+, which this host does not have.*vpsctl resize good --cpuset" \
	vpsctl start good
is "no cgroup was made for it" "$(cgroup_dirs)" ""
cp "$conf.orig" "$conf"

# --- usage errors are usage errors
err=$(vpsctl resize good --bogus 2>&1 >/dev/null); rc=$?
is "resize --bogus exits 2" "$rc" 2
like "resize --bogus names the option" "$err" "^vpsctl: resize: unknown option or missing value: '--bogus' \(see 'vpsctl resize --help'\)$"

# --- no lock file for a name that does not exist
refuses_with "start of a missing VPS" "nosuch: no such VPS" vpsctl start nosuch
refuses_with "create that fails after its lock" "address 10\.99\.0\.5 is outside the node's subnets" \
	vpsctl create never --template busybox --ip 10.99.0.5/24
is "no lock file left for names that never existed" "$(ls "$locks" 2>/dev/null | grep -E '^(nosuch|never)\.lock$')" ""

# --- list: natural order, its fields in --help
for n in bb1 bb10 bb2 bb11; do vpsctl create $n --template busybox >/dev/null; done
is "list sorts names naturally" "$(vpsctl list -o name | grep '^bb' | tr '\n' ' ')" "bb1 bb2 bb10 bb11 "
like "list --help lists the -o fields" "$(vpsctl list --help)" 'cgroup_backend.*' 
like "list --help lists the vps.conf keys as fields" "$(vpsctl list --help | tr '\n' ' ')" 'last_exit .*memory .*ip_address .*uid_base'
for n in bb1 bb10 bb2 bb11; do vpsctl destroy $n >/dev/null; done

# --- limits changed behind vpsctl's back do not survive a resize
vpsctl start good >/dev/null
pids_max=$(find /sys/fs/cgroup -maxdepth 4 -path "*$T_CGPARENT/good/pids.max" | head -n 1)
echo 77 >"$pids_max"
vpsctl resize good --memory 300M >/dev/null
is "resize writes back a limit changed behind its back (pids.max)" "$(cat "$pids_max")" 1024
is "and status shows what the kernel holds" "$(json_get "$(vpsctl status good --json)" pids)" 1024

# --- the busybox template does not try what its root may not do
wait_for 10 sh -c "'$VPSCTL' --root '$T_ROOT' log good | grep -q 'Please press Enter'"
log=$("$VPSCTL" --root "$T_ROOT" log good 2>&1)
is "no 'sethostname: Operation not permitted' at boot" "$(printf '%s' "$log" | grep -c sethostname)" 0
is "the hostname is the configured one" "$(vpsctl exec good hostname)" good

# --- exec into a VPS whose cgroup is gone: the VPS cannot be joined, exit 1 (vpsctl(8))
moved=""
for d in $(find /sys/fs/cgroup -maxdepth 3 -type d -path "*$T_CGPARENT/good" -not -path '*/unified/*'); do
	for p in $(cat "$d/cgroup.procs"); do echo "$p" >"$(dirname "$d")/cgroup.procs" && moved="$moved $p"; done
	rmdir "$d"
done
err=$(vpsctl exec good true 2>&1); rc=$?
is "exec into a VPS whose cgroup is gone exits 1" "$rc" 1
like "and says it could not join" "$err" '^vpsctl: good: failed to (join the VPS cgroup|open the VPS cgroup)'
vpsctl stop --force good >/dev/null 2>&1
for p in $moved; do kill -9 "$p" 2>/dev/null; done

# --- LAST-EXIT of a VPS that died with nobody watching is not the run before's
vpsctl create ue --template busybox >/dev/null
vpsctl start ue >/dev/null && vpsctl stop --force ue >/dev/null
sleep 1.1 # the exit file's mtime is in seconds
vpsctl start ue >/dev/null
st=$(vpsctl status ue --json)
kill -9 "$(json_get "$st" supervisor_pid)"
kill -9 "$(json_get "$st" init_pid)"
wait_for 10 sh -c "'$VPSCTL' --root '$T_ROOT' status ue --json | grep -q '\"state\":\"stopped\"'"
is "LAST-EXIT of an unsupervised death says so" "$(vpsctl list -o name,last_exit | grep '^ue')" \
	"$(printf 'ue\tdied unsupervised (exit status unknown)')"

# --- a failed template build says what the tool said, not only that it failed
fake=$T_ROOT/fakebin
mkdir -p "$fake"
cat >"$fake/mmdebstrap" <<'EOF'
#!/bin/sh
for a; do case $a in --logfile=*) log=${a#--logfile=} ;; esac; done
printf 'I: chroot architecture amd64 is equal to the host architecture\nmmdebstrap: hook failed: no room for the tarball\n' >"$log"
exit 1
EOF
chmod +x "$fake/mmdebstrap"
err=$(PATH=$fake:$PATH vpsctl template build debian --name dt 2>&1 >/dev/null)
like "template build shows the tool's own last line" "$err" \
	'^vpsctl: dt: failed to build the template: mmdebstrap failed: mmdebstrap: hook failed: no room for the tarball$'

# --- a create that waits out LOCK_TIMEOUT (2 s here) for the node's id-range lock says so, not
# "Resource temporarily unavailable", and leaves nothing
mkdir -p "$locks"
flock "$locks/.idmap.lock" sleep 8 &
holder=$!
wait_for 5 sh -c "! flock -n '$locks/.idmap.lock' true" || diag "the test's holder never took the lock"
refuses_with "create waiting for the id-range lock says whose lock it is" \
	"failed to allocate a user-namespace id range: another create, clone or restore held the node's id-range lock for LOCK_TIMEOUT seconds; try again later" \
	vpsctl create idwait --template busybox
kill "$holder"
wait "$holder" 2>/dev/null
is "the refused create left no VPS" "$(vpsctl list -o name | grep -c '^idwait$')" 0
finish
