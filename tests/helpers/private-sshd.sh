# shellcheck shell=sh
# A private sshd for the migration tests (integration/migrate-ssh.sh, v2vm guest/85-migrate.sh),
# sourced (POSIX sh). Nothing of the machine's ssh set-up is read or changed: its own host key,
# client key, authorized keys, known hosts and configs, all in DIR.
#
# private_sshd DIR ADDR PORT REMOTE_PATH [NSENTER-ARGS...]
#   starts /usr/sbin/sshd -D on ADDR:PORT (in the network namespace nsenter's arguments name,
#   e.g. --net=/run/netns/x; none: here), commands run with PATH=REMOTE_PATH; sets SSHD_PID
#   (sshd itself: nsenter execs it) and writes DIR/ssh_config, the client's (ssh -F) for ADDR.
#   Returns non-zero when the keys cannot be made or sshd does not answer on the port.
# The caller kills $SSHD_PID (kill by PID, never by name).
private_sshd() {
	psd_dir=$1 psd_addr=$2 psd_port=$3 psd_path=$4
	shift 4
	SSHD_PID=
	rm -f "$psd_dir/host_key" "$psd_dir/client_key" "$psd_dir/host_key.pub" "$psd_dir/client_key.pub"
	ssh-keygen -q -t ed25519 -N '' -C vpsctl-test-host -f "$psd_dir/host_key" || return 1
	ssh-keygen -q -t ed25519 -N '' -C vpsctl-test-client -f "$psd_dir/client_key" || return 1
	cp "$psd_dir/client_key.pub" "$psd_dir/authorized_keys" && chmod 600 "$psd_dir/authorized_keys"
	# the privilege separation directory sshd wants (a VM's fresh root may lack it)
	[ -d /run/sshd ] || mkdir -m 755 /run/sshd
	cat > "$psd_dir/sshd_config" << EOF
Port $psd_port
ListenAddress $psd_addr
HostKey $psd_dir/host_key
AuthorizedKeysFile $psd_dir/authorized_keys
PidFile none
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
SetEnv PATH=$psd_path
LogLevel VERBOSE
EOF
	{
		echo "Host $psd_addr"
		echo "  Port $psd_port"
		echo "  User root"
		echo "  IdentityFile $psd_dir/client_key"
		echo "  IdentitiesOnly yes"
		echo "  UserKnownHostsFile $psd_dir/known_hosts"
		echo "  GlobalKnownHostsFile /dev/null"
		echo "  StrictHostKeyChecking yes"
		echo "  ConnectTimeout 20"
	} > "$psd_dir/ssh_config"
	echo "[$psd_addr]:$psd_port $(cut -d' ' -f1,2 "$psd_dir/host_key.pub")" > "$psd_dir/known_hosts"
	if [ $# -gt 0 ]; then
		nsenter "$@" /usr/sbin/sshd -D -e -f "$psd_dir/sshd_config" 2> "$psd_dir/sshd.log" &
	else
		/usr/sbin/sshd -D -e -f "$psd_dir/sshd_config" 2> "$psd_dir/sshd.log" &
	fi
	SSHD_PID=$!
	psd_i=0
	while [ $psd_i -lt 100 ]; do
		grep -q "Server listening" "$psd_dir/sshd.log" 2> /dev/null && return 0
		kill -0 "$SSHD_PID" 2> /dev/null || return 1
		sleep 0.1
		psd_i=$((psd_i + 1))
	done
	return 1
}
