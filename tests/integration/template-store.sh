#!/bin/bash
# The template store commands: import (checked before anything is stored), list with in-use
# counts, verify, remove; and the refusals of each.
. "$(dirname "$0")/lib.sh"
plan 22

TPL=$T_ROOT/var/lib/vpsctl/templates
WORK=$T_ROOT/work
mkdir -p "$WORK"
store_files() { ls -A "$TPL" | sort | tr '\n' ' '; }

build_template
cp "$TPL/busybox.tar.zst" "$WORK/mini.tar.zst"
sum=$(sha256sum "$WORK/mini.tar.zst" | cut -d' ' -f1)
before=$(store_files)

out=$(vpsctl template import "$WORK/mini.tar.zst" --sha256 "$(echo "$sum" | tr 0-9a-f 1-9a-f0)" 2>&1); rc=$?
[ $rc != 0 ]; ok $? "import with a wrong --sha256 is refused"
like "saying so" "$out" 'checksum mismatch'
is "and stores nothing" "$(store_files)" "$before"
out=$(vpsctl template import "$WORK/mini.tar.zst" --sha256 nothex 2>&1); rc=$?
[ $rc != 0 ]; ok $? "a malformed --sha256 is refused"
printf 'not a tarball' >"$WORK/junk.tar.gz"
out=$(vpsctl template import "$WORK/junk.tar.gz" 2>&1); rc=$?
[ $rc != 0 ]; ok $? "a file that is no tarball is refused"
is "and stores nothing either" "$(store_files)" "$before"

check "import with the right --sha256 (name from the file)" vpsctl template import "$WORK/mini.tar.zst" --sha256 "$sum"
json=$(vpsctl template list --json)
like "list --json shows it" "$json" '"name":"mini","os":"busybox"'
like "with the busybox init detected" "$json" '"name":"mini".*"init":"/sbin/init","poweroff_signal":"SIGUSR2"'
out=$(vpsctl template import "$WORK/mini.tar.zst" 2>&1); rc=$?
[ $rc != 0 ]; ok $? "importing a taken name is refused"
check "import under another name" vpsctl template import "$WORK/mini.tar.zst" --name other --json

check "create a VPS from the import" vpsctl create m1 --template mini
like "list counts the VPS using it" "$(vpsctl template list | grep '^mini ')" ' 1$'
like "and none for the other" "$(vpsctl template list | grep '^other ')" ' 0$'
check "verify" vpsctl template verify mini
printf 'x' >>"$TPL/mini.tar.zst"
out=$(vpsctl template verify mini 2>&1); rc=$?
[ $rc != 0 ]; ok $? "verify notices a changed tarball"
like "with a clear line" "$out" '^vpsctl: mini: checksum mismatch'

check "remove (its only user has its own copy)" vpsctl template remove mini
check "its files are gone" test ! -e "$TPL/mini.meta" -a ! -e "$TPL/mini.tar.zst" -a ! -e "$TPL/mini.sha256"
out=$(vpsctl template remove mini 2>&1); rc=$?
[ $rc != 0 ]; ok $? "removing it again fails"
out=$(vpsctl template build debian --release bookworm --include 'vim;rm -rf' 2>&1); rc=$?
[ $rc != 0 ]; ok $? "build debian refuses a malformed --include"
like "before running anything" "$out" 'include'
finish
