#!/bin/bash
# Issue 17's report: a transcript of the daily operations on a Debian VPS (systemd, user
# namespace, a disk quota), with the time of each command, the backup/restore round trip
# (archive size, time, the freeze of the running VPS) and what the VPS shows after each step.
# Prints "$ command" lines, their output and "(N ms)". Needs the Debian template that
# tests/integration/debian.sh caches in /var/cache/vpsctl-test-templates (run that test once).
# Usage: bench/ops-tour.sh        (root; its own netns, cgroup parent and --root; cleans up)
set -u
CACHE=${VPSCTL_TEST_TEMPLATE_CACHE:-/var/cache/vpsctl-test-templates}
CACHED=$(ls -t "$CACHE"/debian-*.tar.zst 2>/dev/null | head -n1)
[ -n "$CACHED" ] || { echo "ops-tour: no Debian template in $CACHE (run tests/integration/debian.sh once)" >&2; exit 1; }
VPSCTL=${VPSCTL:-$(cd "$(dirname "$0")/.." && pwd)/build/vpsctl}
export VPSCTL
. "$(dirname "$0")/../tests/integration/lib.sh"
sed -i 's/^DEFAULT_DISK=0$/DEFAULT_DISK=2G/' "$T_ROOT/etc/vpsctl/vpsctl.conf"
echo 'NODE_ADDRESS="10.79.0.1/24"' >>"$T_ROOT/etc/vpsctl/vpsctl.conf"

now_ms() { echo $(($(date +%s%N) / 1000000)); }
# run ARGS...: the transcript of `vpsctl ARGS` (the --root left out), its time and status
run() {
	local t0 rc
	printf '$ vpsctl %s\n' "$*"
	t0=$(now_ms)
	vpsctl "$@" 2>&1 | sed 's/^/  /'
	rc=${PIPESTATUS[0]}
	printf '  (%s ms%s)\n' "$(($(now_ms) - t0))" "$([ "$rc" = 0 ] || echo ", exit $rc")"
}
# show NAME CMD: what the VPS shows
show() {
	printf '$ vpsctl exec %s -- %s\n' "$1" "$2"
	vpsctl exec "$1" -- sh -c "$2" 2>&1 | sed 's/^/  /'
}
booted() { # NAME: until its systemd says running (or degraded), 120 s at most
	local s
	for _ in $(seq 240); do
		s=$(vpsctl exec "$1" -- systemctl is-system-running 2>/dev/null)
		case $s in running | degraded) echo "  systemd: $s"; return 0 ;; esac
		sleep 0.5
	done
	echo "  systemd: ${s:-no answer} after 120 s"
}

echo "# vpsctl $(git -C "$(dirname "$0")/.." describe --always --dirty 2>/dev/null), $(uname -r), $(date -u '+%F %T') UTC, load $(cut -d' ' -f1 /proc/loadavg)"
vpsctl template import "$CACHED" --name deb --sha256 "$(cat "$CACHED.sha256")" >/dev/null
run create web1 --template deb --ip 10.79.0.2/24 --memory 512M --cpus 1 --hostname web1
vpsctl status web1 >/dev/null 2>&1 || { echo "ops-tour: create failed" >&2; exit 1; }
run start web1
booted web1
show web1 'hostname; free -m | head -2; nproc; df -h / | tail -1'
run list -o name,state,ip_address,cpu_pct,memory_used,memory_limit,disk_used,disk_size,procs,uptime

echo "## suspend / resume"
run suspend web1
run exec web1 -- true
run list -o name,state
run resume web1
show web1 'systemctl is-system-running'

echo "## set (live)"
printf 'tour-secret\n' >"$T_ROOT/pw"
run set web1 --hostname web1.example.net --nameserver 10.79.0.1 --searchdomain example.net \
	--root-password-file "$T_ROOT/pw" --description "tour VPS" --onboot yes
show web1 'hostname; cat /etc/resolv.conf; echo "root password hash: $(grep ^root: /etc/shadow | cut -d: -f2 | cut -c1-3)..."'

echo "## backup of the running VPS, restore as another VPS"
show web1 'echo precious >/root/data.txt; sync'
run backup web1 "$T_ROOT/web1.tar.zst"
ls -l "$T_ROOT/web1.tar.zst" | awk '{print "  archive: " $5 " bytes"}'
run restore "$T_ROOT/web1.tar.zst" --name web2 --ip 10.79.0.3/24
run start web2
booted web2
show web2 'cat /root/data.txt; hostname'

echo "## snapshots (stopped VPS)"
run stop web2
run snapshot create web2 before
vpsctl start web2 >/dev/null && booted web2 >/dev/null
show web2 'rm /root/data.txt; ls /root'
run stop web2
run snapshot list web2
run snapshot rollback web2 before
run start web2
show web2 'cat /root/data.txt'

echo "## clone, reinstall"
run stop web2
run clone web2 web3 --ip 10.79.0.4/24
run start web3
booted web3
show web3 'cat /root/data.txt'
run reinstall web3 --keep /root/data.txt --force
run start web3
booted web3
show web3 'cat /root/data.txt; ls /root'

echo "## the operator's view"
run list
run list -S running -o name,state,ip_address,memory_used,memory_limit,procs
run stats --all
for n in web1 web3; do run stop "$n"; done
for n in web1 web2 web3; do vpsctl destroy "$n" --force >/dev/null 2>&1; done
t_cleanup
