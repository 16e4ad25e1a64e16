#!/bin/sh
# Lint of every C file we own (scripts/c-sources.sh), run by tests/run-all.sh after the build:
#  1. clang-format 14 with the committed .clang-format: any file it would change is named (the fix
#     is scripts/format.sh);
#  2. cppcheck (warning, portability, performance) with tests/cppcheck-suppressions.txt, each entry
#     with its reason. Exits 1 on any finding of either.
# BUILD_DIR (default: build) adds the build's generated headers to cppcheck's include path: run it
# after the build (a header not found is a finding).
set -eu
cd "$(dirname "$0")/.."
CLANG_FORMAT=${CLANG_FORMAT:-$(command -v clang-format-14 || echo clang-format)}
BUILD_DIR=${BUILD_DIR:-build}
JOBS=${JOBS:-$(nproc)}
status=0

files=$(mktemp /tmp/vpsctl-lint.XXXXXX)
trap 'rm -f "${files:?}" "$files.out"' EXIT
scripts/c-sources.sh >"$files"

# Another clang-format version formats differently; its verdict would be noise, not a finding.
case "$("$CLANG_FORMAT" --version)" in
*" version 14."*) ;;
*)
	echo "lint: $CLANG_FORMAT is not clang-format 14, which .clang-format is written for" >&2
	exit 1
	;;
esac
# shellcheck disable=SC2016
unformatted=$(xargs -r -n 1 -P "$JOBS" sh -c \
	'"$0" --style=file --dry-run --Werror "$1" 2>/dev/null || echo "$1"' "$CLANG_FORMAT" <"$files")
if [ -n "$unformatted" ]; then
	echo "lint: not formatted as .clang-format says (run scripts/format.sh):"
	echo "$unformatted" | sort | sed 's/^/  /'
	status=1
fi

# The include path: every folder holding a header (the layout moves; no folder is named here).
incs=$(grep '\.h$' "$files" | xargs -r -n 1 dirname | sort -u | sed 's/^/-I/')
[ -d "$BUILD_DIR" ] && incs="$incs -I$BUILD_DIR"
# -D_GNU_SOURCE as meson.build; __CPPCHECK__ makes the cleanup attribute one cppcheck 2.10
# understands (common/cleanup.h). System headers are not given to cppcheck (its posix and gnu
# library files describe libc): the sizes of libc's that our buffers are declared with are, so
# that an index past one is seen.
cppcheck_opts="-q --std=c11 -D_GNU_SOURCE -D__CPPCHECK__ -DPATH_MAX=4096 -DIFNAMSIZ=16"
cppcheck_opts="$cppcheck_opts -DINET6_ADDRSTRLEN=46 $incs"
tmpl='{file}:{line}: {severity} ({id}): {message}'
report() { # the output of a cppcheck run, in $files.out: anything there is a finding
	if [ -s "$files.out" ]; then
		cat "$files.out"
		status=1
	fi
}
sources=$(grep '\.c$' "$files")
# Every "quoted" include found (cppcheck -j does not report one it misses): a header outside the
# folders above, or the build's generated one without BUILD_DIR.
# shellcheck disable=SC2086
cppcheck $cppcheck_opts --template="$tmpl" --check-config $sources 2>&1 |
	grep -F '(missingInclude)' >"$files.out" || true
report
cppcheck_run() {
	# shellcheck disable=SC2086
	cppcheck $cppcheck_opts --template="$tmpl" -j "$JOBS" --library=posix --library=gnu \
		--error-exitcode=1 --suppressions-list=tests/cppcheck-suppressions.txt "$@" \
		>"$files.out" 2>&1 || status=1
	# with -q, anything printed is a finding: some do not change the exit code
	report
}
# "information" reports a suppression that matched nothing: a stale entry fails the lint too.
# shellcheck disable=SC2086
cppcheck_run --enable=warning,portability,performance,information $sources
# With -D, cppcheck checks only the configuration given: the files that the second build of the
# CLI (meson's -DVPSCTL_ARCHIVE_VERBS) compiles differently get a second pass.
archive=$(echo "$sources" | xargs -r grep -l VPSCTL_ARCHIVE_VERBS || true)
# shellcheck disable=SC2086
[ -z "$archive" ] ||
	cppcheck_run --enable=warning,portability,performance -DVPSCTL_ARCHIVE_VERBS $archive
exit "$status"
