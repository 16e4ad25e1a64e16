#!/bin/bash
# Issue 17 item 4: vpsctl clone SRC DST. For each storage (copy, overlay, disk image) the clone
# has SRC's files moved onto its own id range (its init's uid_map, the files' owners on the
# node), its own MAC and addresses, and runs beside SRC; a symlink the tenant planted to a node
# path is copied as a symlink. A privileged SRC clones to a privileged DST, ids unshifted.
# Refusals name the reason. kill -9 at random moments leaves no half DST, and the next clone
# works (the claims of the killed one are free again).
. "$(dirname "$0")/lib.sh"
plan 107

VPS=$T_ROOT/var/lib/vpsctl/vps
HOST=$T_ROOT/host
mkdir -p "$HOST/secret"
echo "node-secret-$$" >"$HOST/secret/file"
init_pid() { json_get "$(vpsctl status "$1" --json)" init_pid; }

build_template

n=0
for v in c o d; do
	n=$((n + 1))
	s=s$v k=k$v sip=10.77.0.$((10 + n)) kip=10.77.0.$((20 + n))
	case $v in c) extra=() ;; o) extra=(--storage overlay) ;; d) extra=(--disk 64M) ;; esac
	check "create $s" vpsctl create "$s" --template busybox "${extra[@]}" --memory 96M --pids 77 \
		--ip "$sip/24" --mac 02:00:00:00:00:0$n
	check "start $s" vpsctl start "$s"
	inside "$s" "echo made > /root/made; mkdir /home/u; echo u > /home/u/f; chown -R 1000:1000 /home/u;
		ln -s $HOST/secret /root/link" >/dev/null
	out=$(vpsctl clone "$s" "$k" --ip "$kip/24" 2>&1)
	like "$v: a running SRC is refused" "$out" "$s: is running; stop it first \\(a clone copies a stopped VPS\\)"
	check "stop $s" vpsctl stop "$s"
	out=$(vpsctl clone "$s" "$k" --ip "$kip/24" --json 2>&1)
	r=$?
	ok $r "$v: clone"
	[ $r = 0 ] || diag "$out"
	sbase=$(conf "$s" UID_BASE) kbase=$(conf "$k" UID_BASE)
	is "$v: --json names the new id range" "$(json_get "$out" uid_base)" "$kbase"
	[ -n "$kbase" ] && [ "$kbase" != "$sbase" ]
	ok $? "$v: its own id range ($kbase, not $sbase)"
	is "$v: quotas, template, storage kept; own MAC and addresses" \
		"$(conf "$k" MEMORY)|$(conf "$k" PIDS)|$(conf "$k" TEMPLATE)|$(conf "$k" STORAGE)|$(conf "$k" DISK)|$(conf "$k" MAC)|$(conf "$k" IP_ADDRESS)|$(conf "$k" HOSTNAME)" \
		"$(conf "$s" MEMORY)|$(conf "$s" PIDS)|$(conf "$s" TEMPLATE)|$(conf "$s" STORAGE)|$(conf "$s" DISK)||$kip/24|$k"
	case $v in
	c) is "$v: the tenant's file is owned by the clone's range on the node" \
		"$(stat -c %u:%g "$VPS/$k/rootfs/root/made" "$VPS/$k/rootfs/home/u/f")" \
		"$kbase:$kbase
$((kbase + 1000)):$((kbase + 1000))" ;;
	o) is "$v: the upper layer is owned by the clone's range on the node" \
		"$(stat -c %u:%g "$VPS/$k/upper/root/made" "$VPS/$k/upper/home/u/f")" \
		"$kbase:$kbase
$((kbase + 1000)):$((kbase + 1000))" ;;
	d) is "$v: the image was copied, the mount point is empty" \
		"$(test -s "$VPS/$k/disk.img" && ls -A "$VPS/$k/rootfs" | wc -l)" 0 ;;
	esac
	check "start $s" vpsctl start "$s"
	check "start $k beside it" vpsctl start "$k"
	pid=$(init_pid "$k")
	is "$v: the clone's init maps onto its own range" "$(awk '{print $2}' "/proc/$pid/uid_map")" "$kbase"
	is "$v: its files are owned by its range on the node" \
		"$(stat -c %u:%g "/proc/$pid/root/root/made" "/proc/$pid/root/home/u/f" "/proc/$pid/root/bin")" \
		"$kbase:$kbase
$((kbase + 1000)):$((kbase + 1000))
$kbase:$kbase"
	is "$v: SRC's root's file is in the clone, owned right inside" \
		"$(inside "$k" 'cat /root/made; stat -c %u:%g /root/made /home/u/f')" "made
0:0
1000:1000"
	is "$v: the planted symlink is a symlink" "$(inside "$k" 'readlink /root/link')" "$HOST/secret"
	is "$v: the host name is the clone's" "$(inside "$k" hostname)" "$k"
	smac=$(inside "$s" 'cat /sys/class/net/eth0/address')
	kmac=$(inside "$k" 'cat /sys/class/net/eth0/address')
	is "$v: SRC keeps its explicit MAC" "$smac" "02:00:00:00:00:0$n"
	[ -n "$kmac" ] && [ "$kmac" != "$smac" ]
	ok $? "$v: the clone's MAC ($kmac) differs"
	like "$v: the clone has its own address" "$(inside "$k" 'ip -4 addr show eth0')" "$kip/24"
	check "$v: the clone reaches the node" inside "$k" "ping -c1 -W2 10.77.0.1"
	check "$v: SRC reaches the node at the same time" inside "$s" "ping -c1 -W2 10.77.0.1"
	check "stop $k" vpsctl stop "$k"
	check "stop $s" vpsctl stop "$s"
done
is "nothing of the node's was copied in" "$(grep -rl "node-secret-$$" "$VPS" 2>/dev/null | wc -l)" 0

# --- privileged: no id range, nothing shifted
check "create a privileged VPS" vpsctl create p --template busybox --privileged
check "clone it" vpsctl clone p kp
is "the clone is privileged too" "$(conf kp USERNS)|$(stat -c %u "$VPS/kp/rootfs/bin")" "no|0"

# --- refusals, each with its reason
out=$(vpsctl clone sc kc --ip 10.77.0.30/24 2>&1)
like "an existing DST is refused" "$out" "kc: already exists"
out=$(vpsctl clone sc sc --ip 10.77.0.30/24 2>&1)
like "DST = SRC is refused" "$out" "sc: already exists"
out=$(vpsctl clone sc x1 2>&1)
like "no --ip when SRC has addresses is refused" "$out" "x1: --ip is required: 'sc' has addresses"
out=$(vpsctl clone sc x1 --ip 10.77.0.11/24 2>&1)
like "SRC's address is refused" "$out" "address 10.77.0.11 is already used by VPS 'sc'"
out=$(vpsctl clone sc x1 --ip 10.77.0.22/24 2>&1)
like "another VPS's address is refused" "$out" "address 10.77.0.22 is already used by VPS 'ko'"
out=$(vpsctl clone sc x1 --ip 10.99.0.5/24 2>&1)
like "an address outside the node's subnets is refused" "$out" "10.99.0.5"
out=$(vpsctl clone sc 'Bad_Name' --ip 10.77.0.30/24 2>&1)
like "a bad DST name is refused" "$out" "invalid VPS name 'Bad_Name'"
out=$(vpsctl clone nosuch x1 --ip 10.77.0.30/24 2>&1)
like "a missing SRC is refused" "$out" "nosuch: no such VPS"
out=$(vpsctl clone sc x1 --ip 10.77.0.30/24 --hostname 'bad host' 2>&1)
like "a bad --hostname is refused" "$out" "invalid --hostname 'bad host'"
is "the refusals left nothing" "$(ls -A "$VPS" | grep -c x1)" 0
check "the refusals claimed nothing: the address is free" vpsctl clone sc x1 --ip 10.77.0.30/24
check "destroy x1" vpsctl destroy x1

# --- kill -9 at random moments: no half DST; the next clone works
for i in 1 2 3 4 5 6; do
	src=sc
	[ $((i % 2)) = 0 ] && src=sd
	"$VPSCTL" --root "$T_ROOT" clone "$src" kk --ip 10.77.0.40/24 >/dev/null 2>&1 &
	pid=$!
	sleep "0.$((RANDOM % 3))$((RANDOM % 10))"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	wait_for 5 sh -c "! pgrep -P $pid >/dev/null" # its helper dies with it
	names=$(vpsctl list 2>&1 | awk 'NR > 1 {print $1}' | tr '\n' ' ')
	if [ -d "$VPS/kk" ]; then
		# the rename is last: a kk there is whole
		check "kill -9 #$i: kk is complete (starts)" vpsctl start kk
		check "kill -9 #$i: stop kk" vpsctl stop kk
		check "kill -9 #$i: destroy kk" vpsctl destroy kk
	else
		case " $names" in *" kk "* | *".kk"*) r=1 ;; *) r=0 ;; esac
		ok $r "kill -9 #$i: list shows no kk ($names)"
		ok 0 "kill -9 #$i: (no kk)"
		ok 0 "kill -9 #$i: (nothing to destroy)"
	fi
done
check "a clone after the kills (the address is free again)" vpsctl clone sd kk --ip 10.77.0.40/24
is "no leftover after it" "$(ls -A "$VPS" | grep -c '^\.kk')" 0
check "it starts" vpsctl start kk
check "it stops" vpsctl stop kk
finish
