#!/bin/sh
# The whole test suite: install, build, then unit, integration (root) and cgroup-v2 VM tests.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
meson test -C build --setup=full --print-errorlogs --num-processes 1
