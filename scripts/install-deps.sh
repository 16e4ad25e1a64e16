#!/bin/sh
# Installs what building and testing vpsctl needs, from Debian 12's own packages.
set -eu
PKGS="meson ninja-build pkg-config gcc libc6-dev libcgroup-dev libmnl-dev libseccomp-dev
      libcap-dev libcrypt-dev libarchive-dev libmd-dev libnftables-dev nftables check busybox-static iproute2 util-linux procps tmux
      zstd xz-utils scdoc iperf3 tcpdump jq mmdebstrap gpg openssh-client
      systemd debhelper dpkg-dev lintian e2fsprogs cpio clang libclang-rt-14-dev"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
