#!/bin/bash
# docs/security.md, claim by claim, against real running VPSes: a busybox VPS in user-namespace
# mode and one --privileged, as the doc distinguishes them. Each concrete default the doc states
# (capability sets, user namespace and its owner, seccomp answers, /proc and /sys masks and
# read-only paths, /dev and the device list, devpts options, the cgroup tree inside, the caller's
# fds and environment, directory modes, refused option pairs) is one check that fails when the
# code no longer does what the doc says. When this test fails, fix the code or the doc.
. "$(dirname "$0")/lib.sh"

SYSPROBE=${BUILD_DIR:-$(dirname "$0")/../../build}/tests/helpers/sysprobe
rootfs() { echo "$T_ROOT/var/lib/vpsctl/vps/$1/rootfs"; }
init_pid() { json_get "$(vpsctl status "$1" --json)" init_pid; }
status_field() { sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status"; }
# fstype and options of the mount on PATH inside NAME (the last one, the one a lookup reaches)
mnt() { inside "$1" "awk -v p='$2' '\$5 == p { o = \$6; for (i = 7; \$i != \"-\"; i++); t = \$(i + 1); s = \$(i + 3) } END { print t, o \",\" s }' /proc/self/mountinfo"; }
has_opt() { [[ ,${1#* }, == *,$2,* ]]; }
# userns owner uid of a user namespace file (NS_GET_OWNER_UID)
# vx ARGS...: vpsctl ARGS, bounded (a VPS that froze itself would hang it)
vx() { timeout -k 2 20 "$VPSCTL" --root "$T_ROOT" "$@"; }
ns_owner() {
	python3 -c 'import fcntl, os, struct, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
print(struct.unpack("I", fcntl.ioctl(fd, 0xb704, b"\0" * 4))[0])' "$1"
}

build_template
vpsctl create u --template busybox >/dev/null
vpsctl create p --template busybox --privileged >/dev/null
for n in u p; do
	install -m 0755 "$SYSPROBE" "$(rootfs $n)/bin/sysprobe"
	: >"$(rootfs $n)/etc/vpsctl-sysprobe-token"
	check "$n: start" vpsctl start $n
done

# Refusals the doc states, with their reasons.
out=$(vpsctl create x --template busybox --privileged --cap-add SYS_ADMIN 2>&1)
like "--privileged --cap-add SYS_ADMIN is refused" "$out" "names a capability no VPS may have"
out=$(vpsctl create x --template busybox --privileged --nesting 2>&1)
like "--privileged --nesting is refused" "$out" "nesting"
[ ! -e "$T_ROOT/var/lib/vpsctl/vps/x" ]; ok $? "... and no VPS x was left behind"
out=$(vpsctl create x --template busybox --cap-add SYS_MODULE 2>&1)
like "--cap-add SYS_MODULE (never granted) is refused" "$out" "names a capability no VPS may have"

for n in u p; do
	pid=$(init_pid $n)
	if [ $n = u ]; then want=00000000a84435fb; else want=00000000a84425fb; fi
	# Capabilities (model/caps.c)
	for f in CapBnd CapPrm CapEff; do
		is "$n: init's $f is the doc's default" "$(status_field "$pid" $f)" $want
	done
	is "$n: init's CapInh and CapAmb are empty" \
		"$(status_field "$pid" CapInh) $(status_field "$pid" CapAmb)" "0000000000000000 0000000000000000"
	is "$n: an exec'd command has the same CapEff" \
		"$(inside $n 'sed -n "s/^CapEff:\t//p" /proc/self/status')" $want
	is "$n: an exec'd command has the same CapBnd" \
		"$(inside $n 'sed -n "s/^CapBnd:\t//p" /proc/self/status')" $want
	# seccomp without no_new_privs
	is "$n: init runs under a seccomp filter" "$(status_field "$pid" Seccomp)" 2
	is "$n: no_new_privs is not set (su, ping work)" "$(status_field "$pid" NoNewPrivs)" 0
	is "$n: an exec'd command is filtered too" "$(inside $n 'grep ^Seccomp: /proc/self/status')" "Seccomp:	2"

	# Namespaces (spawn/vps-spawn.c)
	same=""
	for ns in pid mnt uts ipc net cgroup; do
		[ "$(readlink /proc/$pid/ns/$ns)" = "$(readlink /proc/self/ns/$ns)" ] && same="$same $ns"
	done
	is "$n: init has its own pid, mnt, uts, ipc, net and cgroup namespaces" "$same" ""
	base=$(conf $n UID_BASE)
	if [ $n = u ]; then
		[ -n "$base" ] && [ "$base" -ge 1000000 ]
		ok $? "u: UID_BASE ($base) is allocated from UID_BASE_START (1000000)"
		is "u: uid map is 0 UID_BASE 65536" "$(awk '{print $1, $2, $3}' /proc/$pid/uid_map)" "0 $base 65536"
		is "u: gid map is 0 UID_BASE 65536" "$(awk '{print $1, $2, $3}' /proc/$pid/gid_map)" "0 $base 65536"
		is "u: the user namespace is owned by UID_BASE, not host root" \
			"$(ns_owner /proc/$pid/ns/user 2>&1)" "$base"
		is "u: root inside is UID_BASE on the host" "$(stat -c %u /proc/$pid)" "$base"
		is "u: setgroups stays allowed" "$(cat /proc/$pid/setgroups)" allow
		is "u: exec joins the user namespace" \
			"$(inside $n 'readlink /proc/self/ns/user')" "$(readlink /proc/$pid/ns/user)"
	else
		is "p: the user namespace is the node's" \
			"$(readlink /proc/$pid/ns/user)" "$(readlink /proc/self/ns/user)"
		is "p: root inside is host uid 0" "$(stat -c %u /proc/$pid)" 0
	fi

	# seccomp answers (spawn/vps-seccomp.c)
	probe=$(inside $n /bin/sysprobe)
	answer() { printf '%s\n' "$probe" | awk -v k="$1" '$1 == k {print $2}'; }
	for s in kexec_load kexec_file_load init_module finit_module delete_module open_by_handle_at \
		keyctl add_key request_key bpf perf_event_open userfaultfd acct swapon swapoff syslog \
		quotactl quotactl_fd settimeofday clock_settime ioctl_TIOCSTI ioctl_TIOCLINUX \
		socket_AF_ALG socket_AF_VSOCK socketpair_AF_VSOCK unshare_NEWUSER clone_NEWUSER \
		i386_socket_AF_VSOCK i386_keyctl; do
		is "$n: seccomp denies $s with EPERM" "$(answer $s)" EPERM
	done
	for s in clone3 io_uring_setup i386_socketcall; do
		is "$n: seccomp answers $s with ENOSYS" "$(answer $s)" ENOSYS
	done
	is "$n: adjtimex (read, modes 0) stays allowed" "$(answer adjtimex_read)" ok
	is "$n: other ioctls pass (EBADF on a bad fd)" "$(answer ioctl_other)" EBADF
	is "$n: AF_UNIX sockets pass" "$(answer socket_AF_UNIX)" ok

	# /proc (spawn/vps-mount.c)
	m=$(mnt $n /proc)
	has_opt "$m" nosuid && has_opt "$m" nodev && has_opt "$m" noexec
	ok $? "$n: /proc is nosuid, nodev, noexec ($m)"
	for f in kcore keys timer_list sched_debug latency_stats sysrq-trigger kallsyms kmsg partitions; do
		[ -e /proc/$f ] || continue
		is "$n: /proc/$f is masked with /dev/null" \
			"$(inside $n "stat -c %t:%T /proc/$f")" 1:3
	done
	for d in /proc/acpi /proc/scsi /sys/firmware /sys/block /sys/class/block /sys/dev/block; do
		[ -e $d ] || continue
		m=$(mnt $n $d)
		[[ $m == tmpfs\ * ]] && has_opt "$m" ro && [ -z "$(inside $n "ls -A $d")" ]
		ok $? "$n: $d is an empty read-only tmpfs ($m)"
	done
	for d in /proc/sys /proc/bus /proc/fs /proc/irq; do
		[ -e $d ] || continue
		has_opt "$(mnt $n $d)" ro; ok $? "$n: $d is read-only"
	done
	out=$(inside $n 'echo 1 >/proc/sys/kernel/panic' 2>&1)
	like "$n: a write under /proc/sys fails" "$out" "Read-only file system|Permission denied"
	has_opt "$(mnt $n /proc/sys/net)" rw; ok $? "$n: /proc/sys/net (its own netns) is mounted read-write"
	if [ $n = u ]; then
		out=$(inside $n 'echo 1 >/proc/sys/net/ipv4/ip_forward && cat /proc/sys/net/ipv4/ip_forward')
		is "u: root inside (NET_ADMIN) sets its netns's ip_forward" "$out" 1
	fi
	# /sys
	m=$(mnt $n /sys)
	[[ $m == sysfs\ * ]] && has_opt "$m" ro; ok $? "$n: /sys is a read-only sysfs ($m)"
	# /dev and the devices
	m=$(mnt $n /)
	has_opt "$m" nodev; ok $? "$n: the rootfs is nodev"
	m=$(mnt $n /dev)
	[[ $m == tmpfs\ * ]] && has_opt "$m" nodev; ok $? "$n: /dev is a nodev tmpfs ($m)"
	nodes=$(inside $n 'for f in /dev/*; do [ -c "$f" ] && echo "${f#/dev/}"; done' | sort | xargs)
	is "$n: /dev's device nodes are the doc's (and the console)" "$nodes" \
		"console full null ptmx random tty urandom zero"
	out=$(inside $n 'mknod /tmp/sda b 8 0 && head -c1 /tmp/sda >/dev/null; echo rc=$?; rm -f /tmp/sda')
	like "$n: a disk node made with mknod cannot be opened" "$out" "rc=1"
	like "$n: ... for the nodev mount's reason" "$out" "Permission denied|Operation not permitted"
	out=$(inside $n 'mknod /tmp/tty9 c 4 9 && head -c0 /tmp/tty9; echo rc=$?; rm -f /tmp/tty9')
	like "$n: a tty node made with mknod cannot be opened" "$out" "rc=1"
	devlist=$(find /sys/fs/cgroup/devices -path "*$T_CGPARENT/$n" -name "$n" 2>/dev/null | head -1)
	if [ -n "$devlist" ]; then
		is "$n: the devices cgroup allows just the doc's list" \
			"$(sort "$devlist/devices.list" | xargs)" \
			"b *:* m c *:* m c 136:* rwm c 1:3 rwm c 1:5 rwm c 1:7 rwm c 1:8 rwm c 1:9 rwm c 5:0 rwm c 5:2 rwm"
	fi
	# devpts (spawn/devpts.c)
	m=$(mnt $n /dev/pts)
	# gid shows as the node sees it: the VPS's 5 is UID_BASE + 5 on the node
	for o in max=256 ptmxmode=666 mode=620 gid=$((${base:-0} + 5)); do
		has_opt "$m" $o; ok $? "$n: devpts has $o"
	done
	# cgroups inside (cgroup/cgroup-mount.c)
	m=$(mnt $n /sys/fs/cgroup)
	[[ $m == cgroup2\ * ]]; ok $? "$n: /sys/fs/cgroup is a cgroup2 tree of its own ($m)"
	# The caller's fds and environment (spawn/exec.c)
	out=$(FOO=leak vx exec $n -- sh -c 'ls /proc/self/fd | grep -v "^[0-9]*$" ; sleep 1 & ls /proc/$!/fd | xargs; wait' </dev/null 7</etc/hostname 8>/dev/null)
	is "$n: exec's command has only fds 0 1 2 (the caller held 7 and 8)" "$out" "0 1 2"
	is "$n: exec's stdin is a pipe, not the caller's" \
		"$(vx exec $n -- readlink /proc/self/fd/0 </etc/hostname | cut -d: -f1)" pipe
	is "$n: the environment is PATH, HOME and TERM only" \
		"$(FOO=leak TERM=xterm vx exec $n -- env </dev/null | cut -d= -f1 | sort | xargs)" "HOME PATH TERM"
	is "$n: a TERM that is not a plain name does not go in" \
		"$(TERM='x;rm -rf /' vx exec $n -- env </dev/null | grep -c '^TERM=x;')" 0
	fds=$(ls -l /proc/$pid/fd 2>/dev/null | awk 'NR > 1 {print $NF}' | grep -v '^/dev/\|^pipe:\|^socket:\|^anon_inode:' | xargs)
	is "$n: init holds no host file" "$fds" ""
	# Storage and permissions (storage/)
	is "$n: its VPS directory is 0700 root" \
		"$(stat -c %a:%U "$T_ROOT/var/lib/vpsctl/vps/$n")" 700:root
	is "$n: its run directory is 0700" "$(stat -c %a "$T_ROOT/run/vpsctl/$n")" 700
	# last: on a VPS that can freeze itself, what follows would only time out
	out=$(inside $n 'echo 1 >/sys/fs/cgroup/cgroup.freeze; echo rc=$?')
	like "$n: it cannot freeze its own group" "$out" "rc=1"
	out=$(inside $n 'echo 1 >/sys/fs/cgroup/cgroup.kill; echo rc=$?')
	like "$n: it cannot kill its own group" "$out" "rc=1"
done

# The console log and socket (run/vpsctl/NAME/) are 0600.
is "u: its console log is 0600" "$(stat -c %a "$T_ROOT/run/vpsctl/u/console.log")" 600
wide=$(find "$T_ROOT/run/vpsctl/u" -mindepth 1 -type s -perm /077 -printf '%f ' 2>/dev/null)
socks=$(find "$T_ROOT/run/vpsctl/u" -mindepth 1 -type s | wc -l)
[ "$socks" -ge 1 ] && [ -z "$wide" ]; ok $? "u: its sockets ($socks) are 0600 (open: '$wide')"
# The opt-in capability sets (Capabilities table, and "The set is (default + CAP_ADD) - CAP_DROP").
optin() { # NAME WANT DESCRIPTION CREATE-FLAGS...
	local n=$1 want=$2 what=$3 pid
	shift 3
	if vpsctl create "$n" --template busybox "$@" >/dev/null && vpsctl start "$n" >/dev/null; then
		pid=$(init_pid "$n")
		is "$what" "$(status_field "$pid" CapEff) $(status_field "$pid" CapBnd)" "$want $want"
	else
		ok 1 "$what (create or start failed)"
	fi
	vpsctl stop --force "$n" >/dev/null 2>&1
}
optin s1 00000000a86435fb "user namespace with --cap-add SYS_ADMIN: CapEff = CapBnd = 0xa86435fb" \
	--cap-add SYS_ADMIN
optin s2 00000000a84435fb "--privileged --cap-add NET_ADMIN: NET_ADMIN (bit 12) is added" \
	--privileged --cap-add NET_ADMIN
optin s3 0000000000000000 "--cap-drop all leaves no capabilities" --cap-drop all
# A hand-edited privileged vps.conf with NESTING="yes" does not start (security.c).
vpsctl stop --force p >/dev/null
sed -i 's/^NESTING=.*/NESTING="yes"/' "$T_ROOT/var/lib/vpsctl/vps/p/vps.conf"
out=$(vpsctl start p 2>&1); rc=$?
sed -i 's/^NESTING=.*/NESTING="no"/' "$T_ROOT/var/lib/vpsctl/vps/p/vps.conf"
is "a privileged vps.conf with NESTING=yes does not start" \
	"$rc $(json_get "$(vpsctl status p --json)" state)" "1 stopped"
like "... and says why" "$out" "NESTING=yes needs a user namespace"
is "the vps directory is 0700 root" "$(stat -c %a:%U "$T_ROOT/var/lib/vpsctl/vps")" 700:root
vpsctl stop --force u >/dev/null
echo "1..$T_N"
finish
