#!/bin/sh
# ASan+UBSan: builds the binaries and unit tests sanitized into ./build-asan, runs the unit tests
# and a few integration suites with the sanitized vpsctl, vps-supervisor and vps-netsetup (they
# find each other next to /proc/self/exe). Any sanitizer report fails, even one a test tolerated.
#
# clang, not gcc: gcc links UBSan as a second runtime that ignores log_path, so the report of a
# daemonized supervisor (whose stderr is a log file the test deletes) would be lost. The static
# helpers and vps-execve are built with b_sanitize=none (no static sanitizer runtime exists).
set -eu
cd "$(dirname "$0")/.."
B=build-asan
[ -f "$B/build.ninja" ] ||
	CC=clang meson setup "$B" -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
ninja -C "$B" >/dev/null

logs=$(mktemp -d /tmp/vpsctl-sanitize.XXXXXX)
trap 'rm -rf "$logs"' EXIT
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$logs/ubsan"
status=0
# Leak checks in the unit tests only: `vpsctl exec` joins the VPS's pid namespace for its child
# (setns), so at exit LSan's tracer thread is born there, cannot attach to its parent, and the
# check spins forever. The CLI's and the supervisor's memory ends with them anyway.
ASAN_OPTIONS="detect_leaks=1:log_path=$logs/asan" \
	meson test -C "$B" --suite unit --print-errorlogs || status=1
ASAN_OPTIONS="detect_leaks=0:log_path=$logs/asan" \
	meson test -C "$B" --setup=full --print-errorlogs --num-processes 1 \
	lifecycle exec config-safety quota || status=1

for f in "$logs"/*; do
	[ -e "$f" ] || continue
	echo "== sanitizer report $(basename "$f")"
	cat "$f"
	status=1
done
exit "$status"
