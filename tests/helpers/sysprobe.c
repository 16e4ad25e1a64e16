/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Runs inside a test VPS only (security-doc.sh plants its token): calls each syscall
 * docs/security.md names, with arguments that do nothing when the call is allowed (a bad pointer,
 * fd or flag), and prints "NAME ERRNO-NAME" (or "NAME ok") a line each, so the test compares what
 * the filter answers. */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/timex.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "int80.h"

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

static void report(const char *name, long r)
{
	if (r >= 0)
		printf("%s ok\n", name);
	else
		printf("%s %s\n", name, strerrorname_np((int)-r) ? strerrorname_np((int)-r) : "E?");
}

static long sys(long nr, long a, long b, long c, long d, long e)
{
	long r = syscall(nr, a, b, c, d, e);

	return r < 0 ? -errno : r;
}

/* unshare/clone with CLONE_NEWUSER in a child, so that an allowed call changes nothing here. */
static long in_child(int how)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		long r = how == 0 ? sys(SYS_unshare, CLONE_NEWUSER, 0, 0, 0, 0)
		                  : sys(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
		if (how == 1 && r == 0)
			_exit(0); /* the new child: it exists, so clone was allowed */
		if (how == 1 && r > 0)
			waitpid((pid_t)r, NULL, 0);
		_exit(r > 0 ? 0 : (int)-r);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	return WEXITSTATUS(status) ? -WEXITSTATUS(status) : 0;
}

int main(void)
{
	struct timex tx = {0};
	char c = 'x';

	if (access("/etc/vpsctl-sysprobe-token", F_OK) != 0) {
		fprintf(stderr,
		        "sysprobe: not inside a test VPS (no /etc/vpsctl-sysprobe-token)\n");
		return 2;
	}

	report("kexec_load", sys(SYS_kexec_load, 0, 1000, 0, 0, 0));
	report("kexec_file_load", sys(SYS_kexec_file_load, -1, -1, 0, 0, 0xff00));
	report("init_module", sys(SYS_init_module, 0, 0, 0, 0, 0));
	report("finit_module", sys(SYS_finit_module, -1, 0, 0, 0, 0));
	report("delete_module", sys(SYS_delete_module, 0, 0, 0, 0, 0));
	report("open_by_handle_at", sys(SYS_open_by_handle_at, -1, 0, 0, 0, 0));
	report("keyctl", sys(SYS_keyctl, 0 /* GET_KEYRING_ID */, -3 /* session */, 0, 0, 0));
	report("add_key", sys(SYS_add_key, 0, 0, 0, 0, 0));
	report("request_key", sys(SYS_request_key, 0, 0, 0, 0, 0));
	report("bpf", sys(SYS_bpf, 0, 0, 0, 0, 0));
	report("perf_event_open", sys(SYS_perf_event_open, 0, 0, -1, -1, 0));
	report("userfaultfd", sys(SYS_userfaultfd, 0xff00, 0, 0, 0, 0));
	report("acct", sys(SYS_acct, 0, 0, 0, 0, 0));
	report("swapon", sys(SYS_swapon, 0, 0, 0, 0, 0));
	report("swapoff", sys(SYS_swapoff, 0, 0, 0, 0, 0));
	report("syslog", sys(SYS_syslog, 10 /* SIZE_BUFFER */, 0, 0, 0, 0));
	report("quotactl", sys(SYS_quotactl, 0, 0, 0, 0, 0));
	report("quotactl_fd", sys(SYS_quotactl_fd, -1, 0, 0, 0, 0));
	report("settimeofday", sys(SYS_settimeofday, 0, 0, 0, 0, 0));
	report("clock_settime", sys(SYS_clock_settime, 0, 0, 0, 0, 0));
	report("ioctl_TIOCSTI", sys(SYS_ioctl, -1, TIOCSTI, (long)&c, 0, 0));
	report("ioctl_TIOCLINUX", sys(SYS_ioctl, -1, TIOCLINUX, (long)&c, 0, 0));
	report("ioctl_other", sys(SYS_ioctl, -1, TCGETS, 0, 0, 0));
	report("socket_AF_ALG", sys(SYS_socket, AF_ALG, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, 0, 0));
	report("socket_AF_VSOCK", sys(SYS_socket, AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0, 0, 0));
	report("socketpair_AF_VSOCK", sys(SYS_socketpair, AF_VSOCK, SOCK_STREAM, 0, 0, 0));
	report("socket_AF_UNIX", sys(SYS_socket, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, 0, 0));
	report("unshare_NEWUSER", in_child(0));
	report("clone_NEWUSER", in_child(1));
	report("clone3", sys(SYS_clone3, 0, 0, 0, 0, 0));
	report("io_uring_setup", sys(SYS_io_uring_setup, 0, 0, 0, 0, 0));
	report("adjtimex_read", adjtimex(&tx) < 0 ? -errno : 0);
	/* i386 entry point: socket 359, socketcall 102, keyctl 288 */
	report("i386_socket_AF_VSOCK", int80(359, AF_VSOCK, SOCK_STREAM, 0, 0));
	report("i386_socketcall", int80(102, 1, 0, 0, 0));
	report("i386_keyctl", int80(288, 0, -3, 0, 0));
	return 0;
}
