#!/bin/bash
# Escapes found from outside (issue 12): the host's runtime binary reached through
# /proc/self/exe (CVE-2019-5736) on exec, enter and init, in user-namespace and privileged
# VPSes; the operator's stdin or terminal handed to the tenant by exec.
. "$(dirname "$0")/lib.sh"
plan 34

EXEGRAB=${BUILD_DIR:-$(dirname "$0")/../../build}/tests/helpers/exegrab
EXEGRAB_LD=$EXEGRAB-ld
BIN=$(dirname "$VPSCTL")
# every host runtime binary, as DEV:INO (what the tenant sees in fstat too)
runtime_ids=$(for b in vpsctl vps-supervisor vps-execve vpsctl-template; do
	[ -e "$BIN/$b" ] && stat -L -c '%d:%i' "$BIN/$b"
done)
rootfs() { echo "$T_ROOT/var/lib/vpsctl/vps/$1/rootfs"; }

# arm NAME: the attack's pieces inside: exegrab as the VPS's ELF loader (what a dynamic host
# binary exec'd inside would load), a #!/proc/self/exe script, the token it checks.
arm() {
	local r
	r=$(rootfs "$1")
	mkdir -p "$r/lib64"
	install -m 0755 "$EXEGRAB_LD" "$r/lib64/ld-linux-x86-64.so.2"
	install -m 0755 "$EXEGRAB" "$r/bin/exegrab"
	printf '#!/proc/self/exe\n' >"$r/attack.sh"
	chmod 0755 "$r/attack.sh"
	: >"$r/etc/vpsctl-escape-token"
}

# verdict NAME FILE: "safe" unless FILE (written inside) shows a handle on a host runtime
# binary, or any write open of one that succeeded.
verdict() {
	local f id how bad=""
	f=$(rootfs "$1")/$2
	[ -e "$f" ] || { echo safe; return; }
	while read -r id how; do
		if printf '%s\n' "$runtime_ids" | grep -qx "$id"; then
			[ "$2" = grab.result ] && bad="$bad handle($how)"
			[ "$how" = WRITABLE ] && bad="$bad writable"
		fi
	done <"$f"
	echo "${bad:-safe}"
}

wait_file() { wait_for 8 test -s "$(rootfs "$1")/$2"; }

build_template
out=$("$EXEGRAB" 2>&1); rc=$?
is "the attack refuses to run on the node" "$rc" 2
like "and says why" "$out" 'not inside a test VPS'
"$EXEGRAB_LD"; is "its loader half too" "$?" 2

for mode in userns privileged; do
	n=e${mode:0:1}
	flag=""
	[ $mode = privileged ] && flag=--privileged
	vpsctl create $n --template busybox $flag >/dev/null
	arm $n
	check "$mode: start" vpsctl start $n

	# the watcher takes a handle on every exe it sees while the node runs commands inside
	vpsctl exec $n -- /bin/exegrab watch 3 >/dev/null 2>&1
	vpsctl exec $n -- /attack.sh >/dev/null 2>&1
	vpsctl exec $n -- sleep 1
	wait_file $n watch.result
	ok $? "$mode: the watcher inside saw processes to attack"
	[ -e "$(rootfs $n)/grab.result" ] || sleep 2
	is "$mode: exec of a #!/proc/self/exe script reaches no host binary" \
		"$(verdict $n grab.result)" safe
	is "$mode: no exe seen inside during exec is a writable host binary" \
		"$(verdict $n watch.result)" safe

	# enter runs /bin/sh: make that the attack
	rm -f "$(rootfs $n)/grab.result"
	mv "$(rootfs $n)/bin/sh" "$(rootfs $n)/bin/sh.real"
	cp "$(rootfs $n)/attack.sh" "$(rootfs $n)/bin/sh"
	vpsctl enter $n </dev/null >/dev/null 2>&1
	sleep 2
	is "$mode: enter through a #!/proc/self/exe /bin/sh reaches no host binary" \
		"$(verdict $n grab.result)" safe
	mv -f "$(rootfs $n)/bin/sh.real" "$(rootfs $n)/bin/sh"
	vpsctl stop --force $n >/dev/null

	# init: the VPS's /sbin/init is the attack
	rm -f "$(rootfs $n)/grab.result"
	mv "$(rootfs $n)/sbin/init" "$(rootfs $n)/sbin/init.real"
	cp "$(rootfs $n)/attack.sh" "$(rootfs $n)/sbin/init"
	vpsctl start $n >/dev/null 2>&1
	sleep 6
	is "$mode: an init that is #!/proc/self/exe reaches no host binary" \
		"$(verdict $n grab.result)" safe
	vpsctl stop --force $n >/dev/null 2>&1
	mv -f "$(rootfs $n)/sbin/init.real" "$(rootfs $n)/sbin/init"
done

# The operator's stdin: what is typed after exec returned never reaches the VPS.
vpsctl create tt --template busybox >/dev/null
check "start a VPS for the terminal tests" vpsctl start tt
host_rest=$( (printf 'first\n'; sleep 3; printf 'SECRET-OPERATOR-INPUT\n') | {
	vpsctl exec tt -- sh -c 'exec 3<&0; (sleep 2; head -c 21 <&3 > /snoop) &'
	sleep 4
	cat
})
sleep 1
snoop=$(cat "$(rootfs tt)/snoop" 2>/dev/null)
unlike() { [[ ! $2 =~ $3 ]]; ok $? "$1"; }
unlike "input typed after exec returned is not read inside (snoop: '$snoop')" "$snoop" SECRET
like "it stays the operator's" "$host_rest" SECRET-OPERATOR-INPUT
out=$(vpsctl exec tt -- readlink /proc/self/fd/0 </etc/hostname)
like "exec's stdin inside is a pipe, not the caller's file" "$out" '^pipe:'
out=$(vpsctl exec tt -- sh -c 'sleep 2 & ls /proc/$!/fd | tr "\n" " "; kill $!' </dev/null 3</etc/hostname)
is "exec's command has only its three stdio fds" "$out" "0 1 2 "
out=$(vpsctl exec tt -- sh -c 'echo out; echo err >&2; exit 7' 2>/tmp/escape-err.$$); rc=$?
is "stdout passes through" "$out" out
is "stderr passes through, apart" "$(cat /tmp/escape-err.$$)" err
is "the exit code passes through" "$rc" 7
rm -f /tmp/escape-err.$$
# With a terminal: a pty from the VPS's own devpts (script(1) gives the caller one).
out=$(script -qec "$VPSCTL --root $T_ROOT exec tt -- sh -c '[ \"\$(stat -L -c %d /proc/self/fd/0)\" = \"\$(stat -c %d /dev/pts/ptmx)\" ] && echo OWN-PTY || echo HOST-TTY'" /dev/null </dev/null)
like "with a terminal, exec's stdin is a pty of the VPS's own" "$out" OWN-PTY

# enter and console, under a real pty (the operator's terminal): a process left behind inside
# reads from a dup of its stdin once the command has ended; nothing typed afterwards may land
# in the VPS. And a host fd the caller holds open (7, a file named by a marker) is seen by
# no process inside, for exec, enter and console.
DRIVE=$(dirname "$0")/pty-drive.py
marker=vpsctl-hostfd-marker-$$
echo host-secret >"/tmp/$marker"
fdcount='echo FDS:$(ls -l /proc/[0-9]*/fd/ 2>/dev/null | grep -c '"$marker"'):END'
# snoop VERB [&]: the reader, in the background in a session of its own (left behind by
# enter's shell, out of reach of job control and hangups), or in the foreground of the
# console's shell (which then reads nothing itself).
snoop() {
	local body="echo armed >/snoop-$1; sleep 2; head -c 21 <&3 >>/snoop-$1"
	if [ "${2:-}" = '&' ]; then
		echo "setsid sh -c '$body' 3<&0 >/dev/null 2>&1 &"
	else
		echo "(trap '' HUP; $body) 3<&0 >/dev/null 2>&1"
	fi
}
out=$(vpsctl exec tt -- sh -c "sleep 1 & $fdcount" 7<"/tmp/$marker")
like "exec: the caller's fd 7 is seen by no process inside" "$out" "FDS:0:END"
# snoop_attack VERB BG ENDED-BY HOW-IT-ENDS FIRST-STEPS...: VERB tt on a pty, fd 7 held,
# then the fd count and the snoop typed, ENDED-BY typed, the secret typed after it ended.
snoop_attack() {
	local verb=$1 bg=$2 end=$3 how=$4 out snoop
	shift 4
	# the operator's shell outlives the command, as it would (it leads the terminal's session)
	out=$(python3 "$DRIVE" "exec 7</tmp/$marker; $VPSCTL --root $T_ROOT $verb tt
		echo $verb-ENDED rc=\$?; sleep 8" "$@" \
		"send:$fdcount\r" "send:$(snoop "$verb" "$bg")\r" wait:0.5 "send:$end" wait:1.5 \
		'send:SECRET-OPERATOR-INPUT\r' wait:4)
	like "$verb: the caller's fd 7 is seen by no process inside" "$out" "FDS:0:END"
	like "$verb: $how" "$out" "$verb-ENDED rc=0"
	snoop=$(cat "$(rootfs tt)/snoop-$verb" 2>/dev/null)
	like "$verb: the snoop was left behind inside" "$snoop" "^armed"
	unlike "$verb: input typed after it ended is not read inside (snoop: '$snoop')" "$snoop" SECRET
}
snoop_attack enter '&' 'exit\r' "it ended with the shell" wait:2
snoop_attack console '' '\x1dq' "Ctrl-] q detached it" wait:1 'send:\r'
rm -f "/tmp/$marker"
big=$(head -c 300000 /dev/zero | tr '\0' x | vpsctl exec tt -- cat | wc -c)
is "300 kB through stdin and stdout" "$big" 300000
vpsctl stop --force tt >/dev/null
finish
