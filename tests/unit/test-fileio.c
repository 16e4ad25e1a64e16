/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileio.h"

static char tmpdir[64];

static void setup(void)
{
	strcpy(tmpdir, "/tmp/vpsctl-unit-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown(void)
{
	ck_assert_int_eq(rm_rf_at(AT_FDCWD, tmpdir), 0);
}

START_TEST(test_atomic_write_read)
{
	_cleanup_close_ int dfd = open(tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_free_ char *buf = NULL;
	size_t len;
	struct stat st;

	ck_assert_int_ge(dfd, 0);
	ck_assert_int_eq(write_file_atomic_at(dfd, "f", "one\n", 4, 0640), 0);
	ck_assert_int_eq(write_file_atomic_at(dfd, "f", "two\n", 4, 0640), 0);
	ck_assert_int_eq(read_file_at(dfd, "f", 1024, &buf, &len), 0);
	ck_assert_str_eq(buf, "two\n");
	ck_assert_uint_eq(len, 4);
	ck_assert_int_eq(fstatat(dfd, "f", &st, 0), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0640);
	free(TAKE_PTR(buf));
	ck_assert_int_eq(read_file_at(dfd, "f", 2, &buf, &len), -EFBIG);
	ck_assert_int_eq(read_file_at(dfd, "missing", 10, &buf, &len), -ENOENT);
}
END_TEST

START_TEST(test_rm_rf_no_follow)
{
	char outside[128], link[192], sub[192];
	_cleanup_close_ int dfd = -EBADF;

	/* A symlink inside the tree to a directory outside must not be followed. */
	snprintf(outside, sizeof(outside), "%s-outside", tmpdir);
	ck_assert_int_eq(mkdir(outside, 0700), 0);
	snprintf(sub, sizeof(sub), "%s/tree/a/b", tmpdir);
	ck_assert_int_eq(mkdir_p(sub, 0700), 0);
	snprintf(link, sizeof(link), "%s/tree/a/escape", tmpdir);
	ck_assert_int_eq(symlink(outside, link), 0);
	snprintf(sub, sizeof(sub), "%s/keep", outside);
	dfd = open(sub, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	ck_assert_int_ge(dfd, 0);
	snprintf(sub, sizeof(sub), "%s/tree", tmpdir);
	ck_assert_int_eq(rm_rf_at(AT_FDCWD, sub), 0);
	ck_assert_int_eq(access(sub, F_OK), -1);
	snprintf(sub, sizeof(sub), "%s/keep", outside);
	ck_assert_int_eq(access(sub, F_OK), 0);
	ck_assert_int_eq(rm_rf_at(AT_FDCWD, outside), 0);
	ck_assert_int_eq(rm_rf_at(AT_FDCWD, "/nonexistent-vpsctl-test"), 0);
}
END_TEST

START_TEST(test_start_time)
{
	unsigned long long a = 0, b = 0;

	ck_assert_int_eq(proc_start_time(getpid(), &a), 0);
	ck_assert_int_eq(proc_start_time(getpid(), &b), 0);
	ck_assert_uint_eq(a, b);
	ck_assert_uint_gt(a, 0);
	ck_assert_int_eq(proc_start_time(1, &b), 0);
	ck_assert_uint_le(b, a);
	ck_assert_int_lt(proc_start_time(-5, &b), 0);
}
END_TEST

START_TEST(test_proc_stat_ppid)
{
	unsigned long long t = 0, self = 0;
	pid_t ppid = -1;
	char state = 0;

	ck_assert_int_eq(proc_stat(getpid(), &t, &state, &ppid), 0);
	ck_assert_int_eq(ppid, getppid());
	ck_assert_int_eq(state, 'R');
	ck_assert_int_eq(proc_start_time(getpid(), &self), 0);
	ck_assert_uint_eq(t, self);
	ck_assert_int_eq(proc_stat(1, &t, NULL, &ppid), 0);
	ck_assert_int_eq(ppid, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fileio");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_atomic_write_read);
	tcase_add_test(tc, test_rm_rf_no_follow);
	tcase_add_test(tc, test_start_time);
	tcase_add_test(tc, test_proc_stat_ppid);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
