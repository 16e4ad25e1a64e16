#!/bin/sh
# The C files we own, one a line: every tracked *.c and *.h. scripts/format.sh formats them and
# tests/lint.sh checks them. Generated or third-party files would be listed in EXCLUDE (as git
# pathspecs); there are none today (the one generated header, vpsctl-build.h, is in the build dir).
set -eu
cd "$(dirname "$0")/.."
EXCLUDE=""
# shellcheck disable=SC2086
git ls-files -- '*.c' '*.h' $EXCLUDE
