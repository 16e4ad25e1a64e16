/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdpass.h"

static void pair(int sp[2])
{
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp), 0);
}

/* The received fd is the same open file as the sent one, and close-on-exec. */
static void assert_same(int a, int b)
{
	struct stat sa, sb;

	ck_assert_int_eq(fstat(a, &sa), 0);
	ck_assert_int_eq(fstat(b, &sb), 0);
	ck_assert_uint_eq(sa.st_ino, sb.st_ino);
	ck_assert_uint_eq(sa.st_dev, sb.st_dev);
	ck_assert_int_eq(fcntl(b, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
}

START_TEST(test_many)
{
	int sp[2], fds[3], got[8];
	size_t n = 99;

	pair(sp);
	fds[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	fds[1] = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	fds[2] = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	ck_assert_int_eq(fds_send(sp[0], fds, 3), 0);
	ck_assert_int_eq(fds_recv(sp[1], got, 8, &n), 0);
	ck_assert_uint_eq(n, 3);
	for (int i = 0; i < 3; i++)
		assert_same(fds[i], got[i]);
	/* none at all is a message too (a VPS without v1 groups to join) */
	ck_assert_int_eq(fds_send(sp[0], fds, 0), 0);
	ck_assert_int_eq(fds_recv(sp[1], got, 8, &n), 0);
	ck_assert_uint_eq(n, 0);
	/* more than the receiver takes: refused, nothing left open */
	ck_assert_int_eq(fds_send(sp[0], fds, 3), 0);
	ck_assert_int_eq(fds_recv(sp[1], got, 2, &n), -EBADMSG);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(fds_send(sp[0], fds, FDPASS_MAX + 1), -EINVAL);
	/* the peer gone */
	close(sp[0]);
	ck_assert_int_eq(fds_recv(sp[1], got, 8, &n), -EPIPE);
	for (int i = 0; i < 3; i++) {
		close(fds[i]);
		close(got[i]);
	}
	close(sp[1]);
}
END_TEST

START_TEST(test_one)
{
	int sp[2], fd = open("/dev/null", O_RDONLY | O_CLOEXEC), two[2] = {fd, fd}, got;

	pair(sp);
	ck_assert_int_eq(fd_send(sp[0], fd), 0);
	got = fd_recv(sp[1]);
	ck_assert_int_ge(got, 0);
	assert_same(fd, got);
	/* fd_recv wants exactly one */
	ck_assert_int_eq(fds_send(sp[0], two, 2), 0);
	ck_assert_int_eq(fd_recv(sp[1]), -EBADMSG);
	close(got);
	close(fd);
	close(sp[0]);
	close(sp[1]);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fdpass");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_many);
	tcase_add_test(tc, test_one);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
