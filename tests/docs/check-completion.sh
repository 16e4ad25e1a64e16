#!/bin/bash
# examples/bash-completion/vpsctl, sourced into this bash: what <Tab> offers for a few command
# lines against a temporary root, and its command and flag lists against `vpsctl --help`.
# Word lists (commands, flags, keys) are split on purpose.
# shellcheck disable=SC2046,SC2086
. "$(dirname "$0")/tap.sh"
. "$SOURCE_DIR/examples/bash-completion/vpsctl"

T_ROOT=$(mktemp -d /tmp/vpsctl-compl.XXXXXX)
trap 'rm -rf "$T_ROOT"' EXIT
mkdir -p "$T_ROOT/var/lib/vpsctl/vps/web1" "$T_ROOT/var/lib/vpsctl/vps/db" \
	"$T_ROOT/var/lib/vpsctl/vps/.new1.new" "$T_ROOT/var/lib/vpsctl/templates"
touch "$T_ROOT/var/lib/vpsctl/templates/busybox.meta" \
	"$T_ROOT/var/lib/vpsctl/templates/debian-12.meta" \
	"$T_ROOT/var/lib/vpsctl/templates/busybox.tar.zst"

# complete WORD...: what _vpsctl offers for the command line WORDS (the last is the cursor's).
complete_line() {
	COMP_WORDS=("$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	_vpsctl
	words "${COMPREPLY[@]}"
}
# The words, sorted, unique, space-separated (not xargs: it would run `echo --help`).
words() { printf '%s\n' "$@" | grep -v '^$' | sort -u | paste -sd ' '; }

commands=$(words $(help_commands))
sections=$(echo $commands template-build template-list | tr ' ' '\n' | grep -vx template)
plan $((10 + $(echo $sections | wc -w)))

is "vpsctl st<Tab>" "$(complete_line vpsctl st)" "start stats status stop"
is "vpsctl --root DIR start <Tab>: the VPS names" \
	"$(complete_line vpsctl --root "$T_ROOT" start '')" "db web1"
is "vpsctl --root=DIR stop w<Tab>" "$(complete_line vpsctl --root = "$T_ROOT" stop w)" "web1"
is "VPSCTL_ROOT=DIR vpsctl exec <Tab>" \
	"$(VPSCTL_ROOT=$T_ROOT complete_line vpsctl exec '')" "db web1"
is "vpsctl start NAME <Tab>: one name only" \
	"$(complete_line vpsctl --root "$T_ROOT" start web1 '')" ""
is "vpsctl stop --timeout 5 <Tab>: the value is not an operand" \
	"$(complete_line vpsctl --root "$T_ROOT" stop --timeout 5 '')" "db web1"
is "vpsctl create x --template <Tab>: the template names" \
	"$(complete_line vpsctl --root "$T_ROOT" create x --template '')" "busybox debian-12"
is "vpsctl template <Tab>" "$(complete_line vpsctl template '')" "build import list remove verify"
is "vpsctl resize web1 --mem<Tab>" "$(complete_line vpsctl resize web1 --mem)" \
	"--memory --memory-reserve"

# shellcheck disable=SC2154 # defined by the completion script
is "the completion's commands are vpsctl --help's" "$(words $_vpsctl_commands)" "$commands"
for c in $sections; do
	# template-build is "template build"; restore-checkpoint is one command
	case $c in template-*) c=${c/-/ } ;; esac
	# --help is offered everywhere, whether or not a command's usage text names it.
	is "the completion's flags of '$c' are its --help's" "$(words $(_vpsctl_flags "$c"))" \
		"$(words $(help_flags $c) --help)"
done
finish
