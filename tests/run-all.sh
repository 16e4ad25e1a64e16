#!/bin/sh
# The whole test suite: install, build, lint (clang-format and cppcheck: tests/lint.sh, after
# its proof that it fails when it should), then unit, integration (root) and cgroup-v2 VM tests,
# then the ASan+UBSan build's unit tests and a few integration suites (tests/sanitize.sh).
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
tests/lint-selftest.sh
tests/lint.sh
meson test -C build --setup=full --print-errorlogs --num-processes 1
tests/sanitize.sh
