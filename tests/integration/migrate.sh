#!/bin/bash
# Issue 18 item 3: vpsctl migrate on this host, where criu cannot work (Debian 12's criu 3.17
# on a newer kernel): refused with criu's own reason before anything moves, nothing left on
# either side. The marker of a migration cut short (planted here as a killed migrate leaves
# it) makes stop refuse and status say 'migrating'; --recover rolls it back. The migration
# itself is tested where criu works: tests/v2vm/guest/85-migrate.sh.
. "$(dirname "$0")/lib.sh"
plan 14

CRIU=/usr/sbin/criu
criu_reason() {
	"$CRIU" check 2>&1 | sed -n 's/^.*Error ([^)]*): //p' |
		grep -v -e '^exited, status=' -e '^execvp(' -e legacy | head -n1
}
skip() { T_N=$((T_N + 1)); echo "ok $T_N - $1 # SKIP $2"; }
literal() { printf '%s' "$1" | sed 's/[][\\.*^$(){}+?|]/./g'; }

B=$T_ROOT/nodeb
mkdir -p "$B/etc/vpsctl"
build_template
check "create p --privileged" vpsctl create p --template busybox --privileged
out=$(vpsctl migrate p "host:/x" 2>&1)
like "DEST must be an ssh:// URL" "$out" "DEST 'host:/x': not an ssh://\\[user@\\]host\\[:port\\]\\[/root-path\\] URL"
out=$(vpsctl migrate p "ssh://-oProxyCommand=x/" 2>&1)
like "a host that ssh would take for an option is refused" "$out" "bad host or user name"
out=$(vpsctl migrate p "local:$B" 2>&1)
like "a stopped VPS is refused" "$out" "p: not running"
check "start p" vpsctl start p

if [ ! -x "$CRIU" ]; then
	out=$(vpsctl migrate p "local:$B" 2>&1)
	like "no criu: refused, naming the package" "$out" "criu is not installed"
	skip "criu's reason" "no criu on this host"
elif "$CRIU" check > /dev/null 2>&1; then
	skip "refused where criu check fails" "criu check passes here"
	skip "criu's reason" "criu check passes here"
else
	reason=$(criu_reason)
	[ -n "$reason" ]
	ok $? "criu check gave a reason ('$reason')"
	out=$(vpsctl migrate p "local:$B" 2>&1)
	like "migrate quotes criu's own reason" "$out" "p: criu cannot checkpoint on this host: $(literal "$reason") \\(criu check\\)$"
fi
is "nothing was made on the target" "$(ls -A "$B/var/lib/vpsctl/vps" 2>/dev/null)" ""
is "p runs on, not migrating" "$(json_get "$(vpsctl status p --json)" state)" running

# what a migrate killed during its pre-copy leaves: the marker (cmd-migrate.c)
printf 'ROLE=source\nPHASE=precopy\nDEST=local:%s\n' "$B" > "$T_ROOT/var/lib/vpsctl/vps/p/migrate"
is "status says migrating" "$(json_get "$(vpsctl status p --json)" state)" migrating
out=$(vpsctl stop p 2>&1)
like "stop is refused, saying how to finish" "$out" "p: is migrating to local:$B \\(phase precopy\\); 'vpsctl migrate --recover p' finishes or rolls it back"
out=$(vpsctl migrate --recover p 2>&1)
like "--recover rolls it back" "$out" "p: migration rolled back \\(it runs here\\)"
is "p runs here again" "$(json_get "$(vpsctl status p --json)" state)" running
check "stop p" vpsctl stop p --force
finish
