#!/bin/sh
# Builds the Debian package from the committed tree in a scratch copy (dpkg-buildpackage
# writes into the parent directory) and runs lintian on it. Needs debhelper, devscripts,
# lintian and the Build-Depends of debian/control; installs nothing.
# Usage: scripts/build-deb.sh [OUTDIR]   (default: a new /tmp/vpsctl-deb.XXXXXX)
set -eu
cd "$(dirname "$0")/.."
out=${1:-$(mktemp -d /tmp/vpsctl-deb.XXXXXX)}
version=$(dpkg-parsechangelog -S Version)
src=$out/vpsctl-$version
rm -rf "$src"
mkdir -p "$src"
git ls-files -z | xargs -0 tar -cf - | tar -xf - -C "$src"
(cd "$src" && dpkg-buildpackage -b -us -uc) >"$out/build.log" 2>&1 ||
	{ tail -40 "$out/build.log"; echo "build failed: $out/build.log" >&2; exit 1; }
# lintian exits non-zero on errors (warnings are only printed): so does this script.
lintian "$out/vpsctl_${version}_"*.changes
ls "$out"/*.deb
