#!/bin/sh
# Installs what building and testing vpsctl needs, from Debian 12's own packages. lxcfs: the
# VPSes' /proc view (tests run a private instance of their own). No service is started by the
# install: a test machine's host keeps running what it ran (lxcfs.service would mount
# /var/lib/lxcfs on it), through a policy-rc.d that exists only while apt runs, unless the
# machine has one of its own. criu (+ iptables, tar: what it runs): vpsctl checkpoint; Debian 12's
# criu works on Debian 12's kernel, which tests/v2vm boots, and is copied into that VM.
# openssh-server: the migration tests start a private sshd of their own (never the system's).
set -eu
PKGS="meson ninja-build pkg-config gcc libc6-dev libcgroup-dev libmnl-dev libseccomp-dev
      libcap-dev libcrypt-dev libarchive-dev libmd-dev libnftables-dev libmicrohttpd-dev libjansson-dev libgnutls28-dev nftables check busybox-static iproute2 util-linux procps tmux
      zstd xz-utils scdoc iperf3 tcpdump jq mmdebstrap gpg openssh-client openssh-server
      systemd debhelper dpkg-dev lintian e2fsprogs cpio clang libclang-rt-14-dev lxcfs
      clang-format-14 cppcheck python3 openssl strace criu iptables tar libjs-xterm
      libjs-term.js chromium chromium-driver python3-selenium curl"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		trap 'rm -f /usr/sbin/policy-rc.d' EXIT
	fi
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
