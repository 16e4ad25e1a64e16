#!/bin/bash
# The man pages and the sample node config against the binary and the config key table:
# every command and flag `vpsctl --help` shows is in vpsctl(8), in its command's section;
# every key of model/config.c is in vpsctl.conf(5) (and no key that is not); every node
# key is in examples/vpsctl.conf with the built-in default; both pages render without warnings.
# Word lists (commands, flags, keys) are split on purpose.
# shellcheck disable=SC2046,SC2086
. "$(dirname "$0")/tap.sh"

MAN8=$SOURCE_DIR/docs/vpsctl.8.scd
MAN5=$SOURCE_DIR/docs/vpsctl.conf.5.scd
SAMPLE=$SOURCE_DIR/examples/vpsctl.conf
T_ROOT=$(mktemp -d /tmp/vpsctl-docs.XXXXXX)
trap 'rm -rf "$T_ROOT"' EXIT

# section CMD: the "## CMD" sections of vpsctl.8.scd (all "## template ..." for template),
# plus QUOTA OPTIONS when they refer to it.
section() {
	local text
	text=$(awk -v cmd="$1" '/^#/ { on = ($0 == "## " cmd || index($0, "## " cmd " ") == 1) }
		on' "$MAN8")
	printf '%s\n' "$text"
	if printf '%s' "$text" | grep -q 'QUOTA OPTIONS'; then
		awk '/^# / { on = ($0 == "# QUOTA OPTIONS") } on' "$MAN8"
	fi
}

# The key names of a table in model/config.c: VKEY/QKEY/VENUM (VPS), NKEY/DKEY/NENUM (node).
table_keys() {
	grep -o "$1(\"[A-Z_0-9]*\"" "$SOURCE_DIR/model/config.c" | sed 's/.*("\(.*\)"/\1/'
}

commands=$(help_commands)
vps_keys=$(table_keys '\(VKEY\|QKEY\|VENUM\)')
node_keys=$(table_keys '\(NKEY\|DKEY\|NENUM\)')
quota_keys=$(table_keys 'QKEY')
# "template" has no flags of its own; its sub-commands do.
sections=$(echo $commands template-build template-import template-list template-remove template-verify | tr ' ' '\n' | grep -vx template)
plan $((10 + $(echo $sections | wc -w) + $(echo $quota_keys | wc -w)))

is "vpsctl --help lists commands" "$([ -n "$commands" ] && echo yes)" yes
m=""
for c in $commands; do grep -q "^## $c\( \|$\)" "$MAN8" || m="$m $c"; done
missing "every command has a section in vpsctl.8.scd" "$m"
m=""
for h in $(sed -n 's/^## \([a-z-]*\).*/\1/p' "$MAN8" | sort -u); do
	echo "$commands" | grep -qx "$h" || m="$m $h"
done
missing "every command section of vpsctl.8.scd is a real command" "$m"
m=""
for f in $(help_flags); do
	awk '/^# / { on = ($0 == "# OPTIONS") } on' "$MAN8" |
		grep -Eq -- "^\*(-[a-z]\*, \*)?$f\*( |\$)" || m="$m $f"
done
missing "the global options are in OPTIONS" "$m"

for c in $sections; do
	# template-build is "template build"; restore-checkpoint is one command
	case $c in template-*) c=${c/-/ } ;; esac
	m=""
	# shellcheck disable=SC2086 # "template build" is two words on purpose
	for f in $(help_flags $c); do
		# An item of its own ("*--flag* ARG" or "*-f*, *--flag*"), not a mention.
		section "$c" | grep -Eq -- "^\*(-[a-z]\*, \*)?$f\*( |\$)" || m="$m $f"
	done
	missing "every flag of '$c --help' is an item of its section" "$m"
done

m=""
for k in $vps_keys $node_keys; do grep -q "^\*$k\*=" "$MAN5" || m="$m $k"; done
missing "every key of config.c is in vpsctl.conf.5.scd" "$m"
m=""
for k in $(sed -n 's/^\*\([A-Z_0-9]*\)\*=.*/\1/p' "$MAN5"); do
	echo "$vps_keys $node_keys" | tr ' ' '\n' | grep -qx "$k" || m="$m $k"
done
missing "every key in vpsctl.conf.5.scd exists in config.c" "$m"
m=""
for k in $node_keys; do grep -q "^#$k=\"" "$SAMPLE" || m="$m $k"; done
missing "every node key is in examples/vpsctl.conf" "$m"

# The sample, uncommented, is a valid node config.
mkdir -p "$T_ROOT/etc/vpsctl" "$T_ROOT/var/lib/vpsctl/vps/d"
sed 's/^#\([A-Z_0-9]*=\)/\1/' "$SAMPLE" >"$T_ROOT/etc/vpsctl/vpsctl.conf"
"$VPSCTL" --root "$T_ROOT" list >/dev/null 2>"$T_ROOT/err"
ok $? "examples/vpsctl.conf with every key uncommented is accepted"
[ -s "$T_ROOT/err" ] && diag "$(cat "$T_ROOT/err")"

# The built-in quota defaults, as a VPS without quota keys and no node config shows them,
# are what the sample and vpsctl.conf(5) say.
rm "$T_ROOT/etc/vpsctl/vpsctl.conf"
printf 'TEMPLATE="x"\nUSERNS="no"\n' >"$T_ROOT/var/lib/vpsctl/vps/d/vps.conf"
json=$("$VPSCTL" --root "$T_ROOT" status d --json)
for k in $quota_keys; do
	want=$(printf '%s' "$json" | sed -n "s/.*\"$(echo "$k" | tr A-Z a-z)\":\"\([^\"]*\)\".*/\1/p")
	sample=$(sed -n "s/^#DEFAULT_$k=\"\(.*\)\"/\1/p" "$SAMPLE")
	man=$(awk -v k="*DEFAULT_$k*=" 'index($0, k) == 1 { on = 1; next } on && /Default:/ {
		sub(/.*Default: \*/, ""); sub(/\*.*/, ""); print; exit }' "$MAN5")
	[ "$k" = CPUSET ] && { is "DEFAULT_CPUSET is not a node key (built-in: all CPUs)" "$want" ""; continue; }
	is "DEFAULT_$k: built-in '$want' = sample '$sample' = man '$man'" "$sample|$man" "$want|$want"
done

for page in "$MAN8" "$MAN5"; do
	if ! command -v scdoc >/dev/null || ! command -v man >/dev/null; then
		if [ "${CI:-}" = true ]; then
			ok 1 "$(basename "$page") renders: scdoc and man are needed (scripts/install-deps.sh)"
		else
			skip "$(basename "$page") renders" "no scdoc or man"
		fi
		continue
	fi
	out=$T_ROOT/$(basename "$page" .scd)
	scdoc <"$page" >"$out" 2>"$T_ROOT/err" &&
		MANWIDTH=80 man --warnings -l "$out" >/dev/null 2>>"$T_ROOT/err"
	r=$?
	[ -s "$T_ROOT/err" ] && r=1 && diag "$(cat "$T_ROOT/err")"
	ok $r "$(basename "$page") renders with scdoc and man --warnings, silently"
done
finish
