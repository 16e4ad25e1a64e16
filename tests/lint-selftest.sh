#!/bin/sh
# Proves tests/lint.sh fails when it should (TAP). In a throwaway git tree holding only lint.sh,
# scripts/c-sources.sh, .clang-format and an empty suppression list: clean files pass (a header
# found through the include folders lint.sh discovers), then a badly formatted file and a null
# dereference each fail with the file and the reason named.
set -eu
cd "$(dirname "$0")/.."
t=$(mktemp -d /tmp/vpsctl-lint-selftest.XXXXXX)
trap 'rm -rf "${t:?}"' EXIT
mkdir -p "$t/scripts" "$t/tests" "$t/lib/inc"
cp .clang-format "$t/"
cp scripts/c-sources.sh "$t/scripts/"
cp tests/lint.sh "$t/tests/"
: >"$t/tests/cppcheck-suppressions.txt"
cat >"$t/lib/inc/add.h" <<'EOF'
#pragma once
#define ADD_ONE(x) ((x) + 1)
int add(int a, int b);
EOF
cat >"$t/lib/add.c" <<'EOF'
#include "add.h"

int add(int a, int b)
{
	return ADD_ONE(a) + b - 1;
}
EOF
git -C "$t" init -q
git -C "$t" add -A

n=0
fail=0
lint() {
	(cd "$t" && BUILD_DIR=/nonexistent tests/lint.sh) >"$t/out" 2>&1 && rc=0 || rc=$?
}
check() { # check DESCRIPTION CONDITION...
	desc=$1
	shift
	n=$((n + 1))
	if "$@"; then
		echo "ok $n - $desc"
	else
		echo "not ok $n - $desc"
		sed 's/^/# /' "$t/out"
		fail=1
	fi
}

lint
check "clean files pass" [ "$rc" = 0 ]

printf 'int  sub(int a,int b){return a-b;}\n' >"$t/lib/sub.c"
git -C "$t" add lib/sub.c
lint
check "a file clang-format would change fails" [ "$rc" = 1 ]
check "... and is named" grep -qx '  lib/sub.c' "$t/out"
git -C "$t" rm -q -f lib/sub.c

cat >"$t/lib/deref.c" <<'EOF'
#include <stddef.h>

int deref(void);
int deref(void)
{
	int *p = NULL;

	return *p;
}
EOF
git -C "$t" add lib/deref.c
lint
check "a null dereference fails" [ "$rc" = 1 ]
check "... named with its file, line and check" \
	grep -q '^lib/deref.c:8: error (nullPointer)' "$t/out"

echo "1..$n"
exit "$fail"
