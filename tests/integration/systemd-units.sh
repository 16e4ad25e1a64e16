#!/bin/bash
# The systemd side: `systemd-analyze verify` on the built units (and on an instance with the
# generator's boot-order drop-in), and vpsctl-generator run against a private root with VPSes
# that do and do not start at boot. Runs no VPS and needs no systemd as PID 1.
# The file lists below are of names this test made (no blanks).
# shellcheck disable=SC2010,SC2011
. "$(dirname "$0")/lib.sh"

BUILD_DIR=${BUILD_DIR:-$(dirname "$VPSCTL")}
GENERATOR=${VPSCTL_GENERATOR:-$BUILD_DIR/systemd/vpsctl-generator}
UNITS=$BUILD_DIR/systemd
SOURCE_DIR=${SOURCE_DIR:-$(dirname "$0")/../..}

if ! command -v systemd-analyze >/dev/null; then
	# Debian's systemd package has it; it is on every systemd-booted Debian 12 node.
	if [ "${CI:-}" = true ]; then
		echo "Bail out! systemd-analyze not found (Debian package systemd); CI=true forbids skipping"
		exit 1
	fi
	echo "1..0 # SKIP systemd-analyze not found (Debian package systemd)"
	exit 0
fi
plan 24

# The units as installed, but running the vpsctl under test: verify checks that ExecStart's
# binary exists and is executable.
U=$T_ROOT/units
mkdir -p "$U"
sed -E "s#^(Exec(Start|Stop)=-?)[^ ]*/vpsctl #\\1$(realpath "$VPSCTL") #" \
	"$UNITS/vpsctl@.service" >"$U/vpsctl@.service"
cp "$SOURCE_DIR/systemd/vpsctl.target" "$U/"
# Unknown keys and bad values are only warnings to verify (exit 0): any output fails.
verify() {
	local out r
	out=$(systemd-analyze verify --man=no "$@" 2>&1)
	r=$?
	[ -n "$out" ] && r=1 && diag "$out"
	ok $r "systemd-analyze verify $(basename "$1"): exit 0, no warning"
}
verify "$U/vpsctl@.service"
verify "$U/vpsctl.target"
is "ExecStart runs the supervisor in the foreground" \
	"$(sed -n 's/^ExecStart=[^ ]*\/vpsctl //p' "$UNITS/vpsctl@.service")" "start --foreground %i"

# A node with VPSes: a and b start at boot, c does not, d's config is broken, and a create
# that did not finish left .e.new.
vps_conf() {
	mkdir -p "$T_ROOT/var/lib/vpsctl/vps/$1"
	printf 'TEMPLATE="busybox"\nUSERNS="no"\nONBOOT="%s"\n%s' "$2" "${3:-}" \
		>"$T_ROOT/var/lib/vpsctl/vps/$1/vps.conf"
}
# one start at a time: each VPS's drop-in names the one before it
echo 'BOOT_PARALLEL="1"' >>"$T_ROOT/etc/vpsctl/vpsctl.conf"
vps_conf b yes
vps_conf a yes
vps_conf c no
vps_conf d yes 'NO_SUCH_KEY="1"\n'
vps_conf .e.new yes
G=$T_ROOT/gen
mkdir -p "$G/normal" "$G/early" "$G/late"
VPSCTL_ROOT=$T_ROOT "$GENERATOR" "$G/normal" "$G/early" "$G/late" 2>"$T_ROOT/gen.err"
ok $? "the generator succeeds with a broken vps.conf among the VPSes"
like "it names the broken VPS on stderr" "$(cat "$T_ROOT/gen.err")" "^vpsctl-generator: d: "
is "vpsctl.target wants exactly the ONBOOT VPSes" \
	"$(ls "$G/normal/vpsctl.target.wants" | xargs)" "vpsctl@a.service vpsctl@b.service"
like "each want links to the template unit" \
	"$(readlink "$G/normal/vpsctl.target.wants/vpsctl@a.service")" "^/.*/vpsctl@\.service$"
is "the second VPS starts after the first" \
	"$(grep -h '^After=' "$G"/normal/vpsctl@b.service.d/*.conf)" "After=vpsctl@a.service"
is "the first VPS waits for none" "$(ls -d "$G"/normal/vpsctl@a.service.d 2>/dev/null)" ""
like "multi-user.target pulls in vpsctl.target" \
	"$(readlink "$G/normal/multi-user.target.wants/vpsctl.target")" "/vpsctl\.target$"
is "nothing goes to the early and late dirs" "$(ls -A "$G/early" "$G/late" | grep -v ':$' | xargs)" ""

# The generated drop-in is a valid unit file: verify the instance with it next to the template.
cp -r "$G/normal/vpsctl@b.service.d" "$U/"
verify "$U/vpsctl@b.service"

VPSCTL_ROOT=$T_ROOT "$GENERATOR" "$G/normal" 2>/dev/null
ok $? "a second run into the same directory succeeds (daemon-reload)"

vps_conf a no
vps_conf b no
mkdir -p "$G/none"
VPSCTL_ROOT=$T_ROOT "$GENERATOR" "$G/none" 2>/dev/null
ok $? "the generator succeeds when no VPS starts at boot"
is "and writes nothing, not even vpsctl.target's want" "$(ls -A "$G/none" | xargs)" ""

# BOOT_ORDER through vpsctl enable: lower first, whatever the names.
vpsctl enable a --boot-order 5 && vpsctl enable b --boot-order 1
ok $? "vpsctl enable --boot-order"
like "enable wrote ONBOOT and BOOT_ORDER" "$(cat "$T_ROOT/var/lib/vpsctl/vps/a/vps.conf")" 'BOOT_ORDER="5"'
mkdir -p "$G/ordered"
VPSCTL_ROOT=$T_ROOT "$GENERATOR" "$G/ordered" 2>/dev/null
is "b (order 1) starts before a (order 5)" \
	"$(grep -h '^After=' "$G"/ordered/vpsctl@a.service.d/*.conf)" "After=vpsctl@b.service"
vpsctl disable a
is "disable takes a out of vpsctl.target" "$(grep -c '^ONBOOT="no"' "$T_ROOT/var/lib/vpsctl/vps/a/vps.conf")" 1

# BOOT_PARALLEL=2: the third starts after the first, the fourth after the second, and so on;
# at most two are starting at any time.
sed -i '/^BOOT_PARALLEL=/d' "$T_ROOT/etc/vpsctl/vpsctl.conf"
echo 'BOOT_PARALLEL="2"' >>"$T_ROOT/etc/vpsctl/vpsctl.conf"
vpsctl disable b >/dev/null
for i in 1 2 3 4 5; do
	vps_conf "p$i" yes
	echo "BOOT_ORDER=\"$((10 - i))\"" >>"$T_ROOT/var/lib/vpsctl/vps/p$i/vps.conf"
done
mkdir -p "$G/par"
VPSCTL_ROOT=$T_ROOT "$GENERATOR" "$G/par" 2>/dev/null
after_of() { grep -h '^After=' "$G"/par/vpsctl@"$1".service.d/*.conf 2>/dev/null | sed 's/^After=vpsctl@//; s/\.service$//'; }
is "BOOT_PARALLEL=2, boot order p5 p4 p3 p2 p1: each waits for the one two places before it" \
	"$(for i in 5 4 3 2 1; do printf '%s:%s ' "p$i" "$(after_of "p$i")"; done)" "p5: p4: p3:p5 p2:p4 p1:p3 "
is "vpsctl autostart --dry-run lists the same order" \
	"$(vpsctl autostart --dry-run | cut -f1 | xargs)" "p5 p4 p3 p2 p1"
sed -i '/^BOOT_PARALLEL=/d' "$T_ROOT/etc/vpsctl/vpsctl.conf"
echo 'BOOT_PARALLEL="0"' >>"$T_ROOT/etc/vpsctl/vpsctl.conf"
like "BOOT_PARALLEL=0 is refused with its reason" "$(vpsctl autostart --dry-run 2>&1)" \
	"BOOT_PARALLEL must be 1 to 1024"
sed -i '/^BOOT_PARALLEL=/d' "$T_ROOT/etc/vpsctl/vpsctl.conf"

mkdir -p "$G/empty"
VPSCTL_ROOT=$T_ROOT/nonexistent "$GENERATOR" "$G/empty"
ok $? "a node without /var/lib/vpsctl is fine (nothing written)"
"$GENERATOR" >/dev/null 2>&1
is "without an output dir it is a usage error" "$?" 2
finish
