/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A backup's two-pass copy (tree-sync.h): the second pass copies what changed since the first
 * began, even with size and mtime put back, removes what vanished, follows a type change,
 * keeps hard links as links and leaves what did not change alone. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileio.h"
#include "tree-sync.h"

static char root[64];
static int src = -EBADF, dst = -EBADF;

static void put(const char *path, const char *text)
{
	_cleanup_close_ int fd = openat(src, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write_all(fd, text, strlen(text)), 0);
}

static char *get(const char *path)
{
	char *text = NULL;

	ck_assert_int_eq(read_file_at(dst, path, 4096, &text, NULL), 0);
	return text;
}

static ino_t ino(const char *path)
{
	struct stat st;

	ck_assert_int_eq(fstatat(dst, path, &st, AT_SYMLINK_NOFOLLOW), 0);
	return st.st_ino;
}

START_TEST(test_two_passes)
{
	struct tree_sync ts = {0};
	struct timespec old[2] = {{.tv_sec = 1000000}, {.tv_sec = 1000000}};
	_cleanup_free_ char *a = NULL, *b = NULL, *n = NULL;
	struct stat st;
	ino_t same;

	strcpy(root, "/tmp/vpsctl-sync-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
	src = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_eq(mkdirat(src, "t", 0755), 0);
	ck_assert_int_eq(mkdirat(src, "copy", 0700), 0);
	dst = openat(src, "copy", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(dst, 0);
	put("t/a", "one");
	ck_assert_int_eq(utimensat(src, "t/a", old, 0), 0);
	ck_assert_int_eq(linkat(src, "t/a", src, "t/b", 0), 0);
	put("t/gone", "x");
	put("t/kind", "file");
	put("t/same", "same");
	ck_assert_int_eq(symlinkat("a", src, "t/ln"), 0);

	ts.droot = dst;
	ck_assert_int_eq(tree_sync_at(src, "t", dst, "t", &ts), 0);
	ck_assert_int_eq(ino("t/a"), ino("t/b"));
	same = ino("t/same");
	ck_assert_int_eq(clock_gettime(CLOCK_REALTIME, &ts.since), 0);
	usleep(50000); /* ctime is coarse: the changes below are after since */

	put("t/a", "two"); /* same size, and the old mtime put back: only ctime tells */
	ck_assert_int_eq(utimensat(src, "t/a", old, 0), 0);
	ck_assert_int_eq(unlinkat(src, "t/gone", 0), 0);
	ck_assert_int_eq(unlinkat(src, "t/kind", 0), 0);
	ck_assert_int_eq(mkdirat(src, "t/kind", 0755), 0);
	put("t/new", "new");
	ck_assert_int_eq(tree_sync_at(src, "t", dst, "t", &ts), 0);

	a = get("t/a");
	b = get("t/b");
	n = get("t/new");
	ck_assert_str_eq(a, "two");
	ck_assert_str_eq(b, "two");
	ck_assert_int_eq(ino("t/a"), ino("t/b"));
	ck_assert_str_eq(n, "new");
	ck_assert_int_eq(faccessat(dst, "t/gone", F_OK, AT_SYMLINK_NOFOLLOW), -1);
	ck_assert_int_eq(fstatat(dst, "t/kind", &st, AT_SYMLINK_NOFOLLOW), 0);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_int_eq(ino("t/same"), same); /* untouched: not copied again */
	ck_assert_uint_eq(ts.removed, 1);
	tree_sync_reset(&ts);
	closep(&dst);
	closep(&src);
	ck_assert_int_eq(rm_rf_at(AT_FDCWD, root), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tree-sync");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_two_passes);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
