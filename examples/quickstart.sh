#!/bin/sh
# The main job, end to end: install, build, then a busybox VPS is created, started, entered,
# resized and destroyed. Everything lives under a private --root, so a real node is untouched.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
ROOT=$(mktemp -d /tmp/vpsctl-demo.XXXXXX)
v() { echo "+ vpsctl $*"; build/vpsctl --root "$ROOT" "$@"; }
trap 'set +e; build/vpsctl --root "$ROOT" destroy --force demo >/dev/null 2>&1; rm -rf "$ROOT"' EXIT

v template build busybox
v create demo --template busybox --hostname demo.example --cpus 1 --memory 256M --pids 512
v start demo
v list
v exec demo -- ps
v exec demo -- hostname
v exec demo -- cat /proc/1/cmdline; echo
echo "+ (typing 'hostname; exit' into vpsctl enter demo)"
printf 'hostname; echo inside a shell on $(tty); exit\n' | build/vpsctl --root "$ROOT" enter demo
v resize demo --cpus 1.5 --memory 512M
v status demo
v stats demo
v stop demo
v destroy demo
echo "quickstart: all steps passed"
