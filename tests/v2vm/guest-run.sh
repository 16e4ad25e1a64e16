#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs inside the VM (see run-suite.sh): each TAP script given, one after the other, in a
# fresh temp dir, framed by V2VM-BEGIN/V2VM-END lines from which run-suite.sh builds one
# TAP stream. A script that outlives V2VM_SCRIPT_TIMEOUT seconds is killed.
limit=${V2VM_SCRIPT_TIMEOUT:-900}
echo "# guest: kernel $(uname -r), $(nproc) CPUs, uptime $(cut -d' ' -f1 /proc/uptime) s at suite start"
for script in "$@"; do
	name=${script##*/}
	dir=$(mktemp -d /tmp/v2vm-test.XXXXXX)
	echo "V2VM-BEGIN $name"
	(cd "$dir" && exec timeout -s KILL "$limit" /bin/sh "$script") < /dev/null 2>&1
	rc=$?
	echo "V2VM-END $name $rc"
	rm -rf "$dir"
done
echo "# guest: uptime $(cut -d' ' -f1 /proc/uptime) s at suite end"
