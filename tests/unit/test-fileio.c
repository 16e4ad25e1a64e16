/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
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

/* One read of a procfs record: all of it when it fits, -EFBIG when it may not, -errno when the
 * file is gone; never a silent cut. */
START_TEST(test_read_kernel_text)
{
	char buf[256], small[4];

	ck_assert_int_eq(read_kernel_text_at(AT_FDCWD, "/proc/self/comm", buf, sizeof(buf)),
	                 (ssize_t)strlen(buf));
	ck_assert_ptr_nonnull(strchr(buf, '\n'));
	ck_assert_int_eq(read_kernel_text_at(AT_FDCWD, "/proc/self/stat", small, sizeof(small)),
	                 -EFBIG);
	ck_assert_int_eq(read_kernel_text_at(AT_FDCWD, "/proc/self/no-such", buf, sizeof(buf)),
	                 -ENOENT);
	ck_assert_int_eq(read_kernel_text_at(AT_FDCWD, "/proc/self/comm", buf, 1), -EINVAL);
}
END_TEST

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

/* tmpdir/NAME as a string (tests build small trees under tmpdir). */
static const char *at(const char *name)
{
	static char buf[4][256];
	static unsigned i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", tmpdir, name);
	return buf[i];
}

static void put(const char *path, const char *text)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write_all(fd, text, strlen(text)), 0);
}

/* What open_in_root(rootfd, path) reads, or the error as "-errno". */
static const char *read_in_root(int rootfd, const char *path, uint64_t resolve)
{
	static char buf[64];
	_cleanup_close_ int fd = open_in_root(rootfd, path, O_RDONLY, 0, resolve);
	ssize_t n;

	if (fd < 0) {
		snprintf(buf, sizeof(buf), "%d", fd);
		return buf;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	ck_assert_int_ge(n, 0);
	buf[n] = '\0';
	return buf;
}

/* ".." and absolute symlinks stay inside the root; the host's file of the same name is never
 * reached. */
START_TEST(test_open_in_root_stays_inside)
{
	_cleanup_close_ int rootfd = -EBADF, fd = -EBADF, slash = -EBADF;
	char target[256], num[64], eloop[16];
	struct stat st;

	snprintf(eloop, sizeof(eloop), "%d", -ELOOP);

	ck_assert_int_eq(mkdir_p(at("root/d"), 0700), 0);
	put(at("secret"), "host");
	put(at("root/secret"), "root");
	ck_assert_int_eq(symlink("/secret", at("root/abs")), 0);
	ck_assert_int_eq(symlink("../../secret", at("root/d/up")), 0);
	rootfd = open(at("root"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(rootfd, 0);

	ck_assert_str_eq(read_in_root(rootfd, "../secret", 0), "root");
	ck_assert_str_eq(read_in_root(rootfd, "/../../secret", 0), "root");
	ck_assert_str_eq(read_in_root(rootfd, "abs", 0), "root");
	ck_assert_str_eq(read_in_root(rootfd, "d/up", 0), "root");
	ck_assert_str_eq(read_in_root(rootfd, "d/../secret", RESOLVE_NO_SYMLINKS), "root");
	/* no symlink at all, wherever it points */
	ck_assert_str_eq(read_in_root(rootfd, "abs", RESOLVE_NO_SYMLINKS), eloop);
	ck_assert_str_eq(read_in_root(rootfd, "d/up", RESOLVE_NO_SYMLINKS), eloop);

	/* A create through an absolute symlink lands under the root or nowhere, never at its
	 * target on the host. */
	snprintf(target, sizeof(target), "%s", at("created"));
	ck_assert_int_eq(symlink(target, at("root/planted")), 0);
	fd = open_in_root(rootfd, "planted", O_WRONLY | O_CREAT, 0600, 0);
	ck_assert_int_eq(fd, -ENOENT);
	ck_assert_int_eq(access(target, F_OK), -1);

	fd = open_in_root(rootfd, "d/new", O_WRONLY | O_CREAT | O_EXCL, 0640, RESOLVE_NO_SYMLINKS);
	ck_assert_int_ge(fd, 0);
	ck_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0640 & ~(mode_t)umask(umask(0)));

	/* magic links (/proc/PID/fd/N) are refused even when the root is the real "/" */
	slash = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(slash, 0);
	snprintf(num, sizeof(num), "proc/self/fd/%d", rootfd);
	ck_assert_int_eq(open_in_root(slash, num, O_PATH, 0, 0), -ELOOP);
}
END_TEST

/* Directories only, deepest first; a symlink is never followed (at the top or inside) and a
 * tree deeper than RMDIR_TREE_MAX_DEPTH is refused. */
START_TEST(test_rmdir_tree_no_follow)
{
	_cleanup_close_ int dfd = open(tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char deep[2048] = "deep";

	ck_assert_int_ge(dfd, 0);
	ck_assert_int_eq(mkdir_p(at("cg/a/b/c"), 0700), 0);
	ck_assert_int_eq(mkdir_p(at("cg/x"), 0700), 0);
	ck_assert_int_eq(mkdir_p(at("outside/keep"), 0700), 0);
	ck_assert_int_eq(symlink(at("outside"), at("cg/a/link")), 0);
	ck_assert_int_eq(symlink(at("outside"), at("top-link")), 0);

	ck_assert_int_eq(rmdir_tree_at(dfd, "top-link"), -ENOTDIR);
	/* the symlink is not a directory: it stays, so does its directory */
	ck_assert_int_eq(rmdir_tree_at(dfd, "cg"), -ENOTEMPTY);
	ck_assert_int_eq(access(at("outside/keep"), F_OK), 0);
	ck_assert_int_eq(access(at("cg/a/b"), F_OK), -1);
	ck_assert_int_eq(access(at("cg/x"), F_OK), -1);
	ck_assert_int_eq(unlink(at("cg/a/link")), 0);
	ck_assert_int_eq(rmdir_tree_at(dfd, "cg"), 0);
	ck_assert_int_eq(access(at("cg"), F_OK), -1);
	ck_assert_int_eq(rmdir_tree_at(dfd, "cg"), 0); /* gone already */

	for (int i = 0; i <= RMDIR_TREE_MAX_DEPTH + 1; i++)
		strcat(deep, "/d");
	ck_assert_int_eq(mkdir_p(at(deep), 0700), 0);
	ck_assert_int_eq(rmdir_tree_at(dfd, "deep"), -ELOOP);
	ck_assert_int_eq(rm_rf_at(dfd, "deep"), 0);
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
	tcase_add_test(tc, test_read_kernel_text);
	tcase_add_test(tc, test_rm_rf_no_follow);
	tcase_add_test(tc, test_open_in_root_stays_inside);
	tcase_add_test(tc, test_rmdir_tree_no_follow);
	tcase_add_test(tc, test_start_time);
	tcase_add_test(tc, test_proc_stat_ppid);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
