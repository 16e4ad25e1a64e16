#!/bin/bash
# The source layout's rules (issue 14): each folder includes only the folders its README.md
# lists after "May include:", meson.build's `layers` compiles it with exactly those include
# paths, every header name is unique across folders (they are included by name), and no two
# modules (x.c with x.h) include each other, directly or around a longer cycle (a folder's
# NAME-internal.h is its modules' shared declarations, not a module).
# The checker runs on the tree, and on small made-up trees that break each rule (it must
# fail on every one of them, naming the break).
. "$(dirname "$0")/../tap.sh"
plan 7

# layout_violations ROOT: one line per broken rule, nothing when the tree keeps them all.
layout_violations() {
	local root=$1 readme dir f inc g deps module target
	declare -A allowed=() owner=()
	for readme in "$root"/*/README.md; do
		dir=$(basename "$(dirname "$readme")")
		deps=$(sed -n 's/^May include: //p' "$readme")
		[ -n "$deps" ] || continue
		case $deps in "("*) deps= ;; esac
		allowed[$dir]=" $(echo "$deps" | tr -d ',') "
	done
	for dir in "${!allowed[@]}"; do
		for f in "$root/$dir"/*.h; do
			[ -e "$f" ] || continue
			g=$(basename "$f")
			if [ -n "${owner[$g]:-}" ]; then
				echo "header $g is in both ${owner[$g]}/ and $dir/"
			else
				owner[$g]=$dir
			fi
		done
	done
	local edges
	edges=$(mktemp)
	for dir in "${!allowed[@]}"; do
		for f in "$root/$dir"/*.[ch]; do
			[ -e "$f" ] || continue
			module=$dir/$(basename "${f%.[ch]}")
			while read -r inc; do
				[ "$inc" = vpsctl-build.h ] && continue
				g=${owner[$inc]:-}
				if [ -z "$g" ]; then
					echo "$dir/$(basename "$f") includes $inc, which no folder has"
					continue
				fi
				if [ "$g" != "$dir" ] && [[ ${allowed[$dir]} != *" $g "* ]]; then
					echo "$dir/$(basename "$f") includes $g/$inc: $dir/ may include only${allowed[$dir]}"
				fi
				# A folder's *-internal.h is the shared declarations of its modules,
				# not a module: its edges would make every folder one cycle.
				target=$g/${inc%.h}
				case $module/$target in *-internal | *-internal/*) continue ;; esac
				[ "$target" != "$module" ] && echo "$module $target" >>"$edges"
			done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f")
		done
	done
	if [ -s "$edges" ] && ! tsort "$edges" >/dev/null 2>"$edges.err"; then
		echo "modules include each other: $(grep -v 'input contains a loop' "$edges.err" |
			sed 's/^tsort: //' | tr '\n' ' ')"
	fi
	rm -f "$edges" "$edges.err"
	# meson.build's layers must say what the READMEs say (the build enforces those).
	if [ -e "$root/meson.build" ]; then
		local name list
		while IFS=: read -r name list; do
			name=$(echo "$name" | tr -d " '")
			list=$(echo "$list" | tr -d "[]',\n" | tr -s ' ' '\n' | sed '/^$/d' | sort | tr '\n' ' ')
			deps=$(echo "${allowed[$name]:-}" | tr ' ' '\n' | sed '/^$/d' | sort | tr '\n' ' ')
			[ "$list" = "$deps" ] ||
				echo "meson.build lets $name/ include '$list', its README says '$deps'"
		done < <(sed -n '/^layers = {/,/^}/p' "$root/meson.build" | sed '1d;$d' |
			sed -e ':a' -e '/\]/!{N;ba' -e '}' -e 's/\n/ /g')
	fi
}

# mktree DIR: a tree of three folders, a <- b <- c, that keeps every rule.
mktree() {
	mkdir -p "$1"/a "$1"/b "$1"/c
	printf 'May include: (nothing but itself)\n' >"$1/a/README.md"
	printf 'May include: a\n' >"$1/b/README.md"
	printf 'May include: a, b\n' >"$1/c/README.md"
	printf "layers = {\n  'a': [],\n  'b': ['a'],\n  'c': ['a',\n   'b'],\n}\n" >"$1/meson.build"
	: >"$1/a/x.h"
	printf '#include "x.h"\n' >"$1/b/y.h"
	printf '#include "y.h"\n#include "x.h"\n' >"$1/b/y.c"
	printf '#include "y.h"\n#include "vpsctl-build.h"\n' >"$1/c/z.c"
}

tmp=$(mktemp -d)
trap 'rm -rf "${tmp:?}"' EXIT

v=$(layout_violations "$SOURCE_DIR")
is "the source tree keeps the layout rules" "$v" ""
[ -n "$v" ] && diag "$v"

mktree "$tmp/good"
is "a made-up tree that keeps them passes" "$(layout_violations "$tmp/good")" ""

mktree "$tmp/up"
printf '#include "y.h"\n' >>"$tmp/up/a/x.h"
like "an include against the rules is found" "$(layout_violations "$tmp/up")" \
	"a/x.h includes b/y.h: a/ may include only"

mktree "$tmp/cycle"
printf '#include "w.h"\n' >>"$tmp/cycle/b/y.c"
printf '#include "y.h"\n' >"$tmp/cycle/b/w.c"
: >"$tmp/cycle/b/w.h"
printf '#include "y.h"\n' >>"$tmp/cycle/b/w.h"
printf '#include "w.h"\n' >>"$tmp/cycle/b/y.h"
like "two modules of one folder that include each other are found" \
	"$(layout_violations "$tmp/cycle")" "modules include each other: .*b/(w|y)"

mktree "$tmp/dup"
: >"$tmp/dup/c/x.h"
like "a header name in two folders is found" "$(layout_violations "$tmp/dup")" \
	"header x.h is in both"

mktree "$tmp/meson"
sed -i "s/'b': \['a'\]/'b': ['a', 'c']/" "$tmp/meson/meson.build"
like "meson.build's include paths differing from the README are found" \
	"$(layout_violations "$tmp/meson")" "meson.build lets b/ include 'a c '"

mktree "$tmp/unknown"
printf '#include "nowhere.h"\n' >>"$tmp/unknown/c/z.c"
like "an include of a header no folder has is found" "$(layout_violations "$tmp/unknown")" \
	"c/z.c includes nowhere.h, which no folder has"
finish
