/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/keyctl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vps-seccomp.h"

#include "../helpers/int80.h"

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

/* Size in bytes of the BPF program the filter compiles to. */
static off_t exported_size(unsigned allow)
{
	scmp_filter_ctx ctx = NULL;
	struct stat st;
	int fd = memfd_create("bpf", MFD_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(vps_seccomp_build(allow, &ctx), 0);
	ck_assert_int_eq(seccomp_export_bpf(ctx, fd), 0);
	seccomp_release(ctx);
	ck_assert_int_eq(fstat(fd, &st), 0);
	close(fd);
	return st.st_size;
}

START_TEST(test_export)
{
	off_t strict = exported_size(0), nesting = exported_size(VPS_SECCOMP_NESTING);

	ck_assert_int_gt(strict, 0);
	ck_assert_int_eq(strict % (off_t)sizeof(struct sock_filter), 0);
	/* nesting drops the user namespace rules: a smaller program */
	ck_assert_int_gt(nesting, 0);
	ck_assert_int_lt(nesting, strict);
}
END_TEST

/* What one call did: 0 on success, else errno. */
static int res(long r)
{
	return r < 0 ? errno : 0;
}

static int sock(int family, int type)
{
	int fd = socket(family, type | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

#if defined(__x86_64__)
/* i386 socket (359), socketpair (360), socketcall (102): the family rules hold on the direct
 * calls, socketcall is refused whole. Returns the number of the first failed check. */
static int int80_socket_checks(void)
{
	/* socketcall reads its argument block through a 32-bit pointer */
	unsigned int *args = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
	                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	int *pair;
	long r;

	if (int80(20 /* getpid */, 0, 0, 0, 0) == -ENOSYS)
		return 0; /* no IA32 emulation: no such entry point */
	if (args == MAP_FAILED)
		return 100;
	pair = (int *)(args + 8);
	if (int80(359, AF_VSOCK, SOCK_STREAM, 0, 0) != -EPERM ||
	    int80(359, AF_ALG, SOCK_SEQPACKET, 0, 0) != -EPERM)
		return 40;
	if (int80(360, AF_VSOCK, SOCK_STREAM, 0, (long)pair) != -EPERM ||
	    int80(360, AF_ALG, SOCK_SEQPACKET, 0, (long)pair) != -EPERM)
		return 41;
	args[0] = AF_VSOCK, args[1] = SOCK_STREAM, args[2] = 0;
	if (int80(102, 1 /* SYS_SOCKET */, (long)args, 0, 0) != -ENOSYS)
		return 42;
	args[0] = AF_UNIX;
	if (int80(102, 1 /* SYS_SOCKET */, (long)args, 0, 0) != -ENOSYS)
		return 43;
	/* allowed families still work on the direct call */
	r = int80(359, AF_UNIX, SOCK_STREAM, 0, 0);
	if (r < 0)
		return 44;
	close((int)r);
	r = int80(360, AF_UNIX, SOCK_STREAM, 0, (long)pair);
	if (r != 0)
		return 45;
	close(pair[0]);
	close(pair[1]);
	r = int80(359, AF_INET, SOCK_DGRAM, 0, 0);
	if (r < 0)
		return 46;
	close((int)r);
	return 0;
}
#endif

/* Runs in a forked child with the filter loaded; returns the number of the first failed
 * check (so the parent can say which), 0 when all passed. */
static int filtered_checks(void)
{
	int p[2], sp[2], n = 0;
	char c = 'x';

	if (pipe2(p, O_CLOEXEC) < 0)
		return 100;
	if (res(syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0)) != EPERM)
		return 1;
	if (res(syscall(SYS_bpf, 0, NULL, 0)) != EPERM)
		return 2;
	if (res(syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0)) != EPERM)
		return 3;
	if (sock(AF_ALG, SOCK_SEQPACKET) != EPERM || sock(AF_VSOCK, SOCK_STREAM) != EPERM)
		return 4;
	if (res(socketpair(AF_VSOCK, SOCK_STREAM, 0, sp)) != EPERM)
		return 11;
	if (res(ioctl(p[0], TIOCSTI, &c)) != EPERM)
		return 5;
	/* the kernel truncates cmd to 32 bits: garbage in the upper half must not get through */
	if (res(syscall(SYS_ioctl, p[0], (1UL << 32) | TIOCSTI, &c)) != EPERM)
		return 6;
	if (res(unshare(CLONE_NEWUSER)) != EPERM)
		return 7;
	if (res(syscall(SYS_clone3, NULL, 0)) != ENOSYS)
		return 8;
	if (res(syscall(SYS_io_uring_setup, 1, NULL)) != ENOSYS)
		return 9;
	if (res(syscall(SYS_kexec_load, 0, 0, NULL, 0)) != EPERM ||
	    res(syscall(SYS_init_module, NULL, 0, "")) != EPERM)
		return 10;
	/* still allowed */
	if (getpid() <= 0 || sock(AF_INET, SOCK_DGRAM) != 0 || sock(AF_UNIX, SOCK_STREAM) != 0)
		return 20;
	if (res(ioctl(p[0], FIONREAD, &n)) != 0 || n != 0)
		return 21;
#if defined(__x86_64__)
	{
		/* keyctl (x86 288): the x86 rules hold too */
		long r = int80(288, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0, 0);

		/* -ENOSYS: the kernel has no 32-bit entry point at all */
		if (r != -EPERM && r != -ENOSYS)
			return 30;
		r = int80_socket_checks();
		if (r)
			return (int)r;
	}
#endif
	return 0;
}

START_TEST(test_load_and_deny)
{
	int status;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		/* unprivileged: no_new_privs lets us load a filter without CAP_SYS_ADMIN */
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || vps_seccomp_load(0) < 0)
			_exit(99);
		_exit(filtered_checks());
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status), "child died of signal %d", WTERMSIG(status));
	ck_assert_msg(WEXITSTATUS(status) == 0, "check %d failed", WEXITSTATUS(status));
}
END_TEST

START_TEST(test_nesting_allows_clone3)
{
	int status;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
		    vps_seccomp_load(VPS_SECCOMP_NESTING) < 0)
			_exit(99);
		/* reaches the kernel, which rejects the NULL args */
		_exit(res(syscall(SYS_clone3, NULL, 0)) == ENOSYS ? 1 : 0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST

#if defined(__x86_64__)
/* --socketcall: 32-bit glibc's socket() works again; the rest of the filter is unchanged. */
static int socketcall_checks(void)
{
	unsigned int *args = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
	                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	long r;

	if (int80(20 /* getpid */, 0, 0, 0, 0) == -ENOSYS)
		return 0;
	if (args == MAP_FAILED)
		return 100;
	args[0] = AF_UNIX, args[1] = SOCK_STREAM, args[2] = 0;
	r = int80(102, 1 /* SYS_SOCKET */, (long)args, 0, 0);
	if (r < 0)
		return 50;
	close((int)r);
	if (int80(288, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0, 0) != -EPERM)
		return 51;
	if (sock(AF_VSOCK, SOCK_STREAM) != EPERM)
		return 52;
	return 0;
}
#endif

START_TEST(test_socketcall_allowed)
{
	int status;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
		    vps_seccomp_load(VPS_SECCOMP_SOCKETCALL) < 0)
			_exit(99);
#if defined(__x86_64__)
		_exit(socketcall_checks());
#else
		_exit(0);
#endif
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_msg(WEXITSTATUS(status) == 0, "check %d failed", WEXITSTATUS(status));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("seccomp");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_export);
	tcase_add_test(tc, test_load_and_deny);
	tcase_add_test(tc, test_nesting_allows_clone3);
	tcase_add_test(tc, test_socketcall_allowed);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
