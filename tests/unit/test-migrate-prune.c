/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cli/migrate-prune.c: the manifest of a source tree and the target's prune, above all with
 * the tenant's symbolic links to host directories planted in the target's copy: nothing
 * outside the rootfs is ever removed.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileio.h"
#include "migrate-prune.h"

static char tmpdir[64];
static char outside[128]; /* a "host" directory beside the rootfs */
static int rootfd = -EBADF;

static void put(int dfd, const char *rel)
{
	int fd = openat(dfd, rel, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "x\n", 2), 2);
	close(fd);
}

static void mk(const char *rel, bool dir)
{
	if (dir)
		ck_assert_int_eq(mkdirat(rootfd, rel, 0755), 0);
	else
		put(rootfd, rel);
}

static bool exists_at(int dfd, const char *rel)
{
	struct stat st;

	return fstatat(dfd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static bool host_file(const char *rel)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%s", outside, rel);
	return access(p, F_OK) == 0;
}

static void setup(void)
{
	char p[128];

	strcpy(tmpdir, "/tmp/vpsctl-unit-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(outside, sizeof(outside), "%s/host", tmpdir);
	ck_assert_int_eq(mkdir(outside, 0755), 0);
	snprintf(p, sizeof(p), "%s/host/sub", tmpdir);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/host/victim", tmpdir);
	put(AT_FDCWD, p);
	snprintf(p, sizeof(p), "%s/host/sub/deep", tmpdir);
	put(AT_FDCWD, p);
	snprintf(p, sizeof(p), "%s/rootfs", tmpdir);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	rootfd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(rootfd, 0);
}

static void teardown(void)
{
	close(rootfd);
	rootfd = -EBADF;
	ck_assert_int_eq(rm_rf_at(AT_FDCWD, tmpdir), 0);
}

/* A manifest as the source sends it: the entries, then the end mark. */
static size_t manifest(char *buf, size_t size, const char *const *paths)
{
	size_t n = 0;

	for (; *paths; paths++) {
		size_t l = strlen(*paths) + 1;

		ck_assert_uint_le(n + l + 1, size);
		memcpy(buf + n, *paths, l);
		n += l;
	}
	buf[n++] = '\0';
	return n;
}

/* The source's manifest of rootfd, read back. */
static size_t manifest_of(int dfd, char **ret)
{
	char path[160];
	size_t len;
	_cleanup_close_ int fd = -EBADF;

	snprintf(path, sizeof(path), "%s/manifest", tmpdir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(migrate_manifest_write(dfd, fd), 0);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	ck_assert_int_eq(migrate_manifest_read(fd, 1 << 20, ret, &len), 0);
	return len;
}

static bool listed(const char *m, size_t len, const char *path)
{
	for (size_t i = 0; i < len; i += strlen(m + i) + 1)
		if (strcmp(m + i, path) == 0)
			return true;
	return false;
}

START_TEST(test_manifest_lists_without_following)
{
	_cleanup_free_ char *m = NULL;
	size_t len;

	mk("etc", true);
	mk("etc/passwd", false);
	mk("a", true);
	mk("a/b", true);
	mk("a/b/c", false);
	ck_assert_int_eq(symlinkat(outside, rootfd, "evil"), 0);
	len = manifest_of(rootfd, &m);
	ck_assert(listed(m, len, "etc"));
	ck_assert(listed(m, len, "etc/passwd"));
	ck_assert(listed(m, len, "a/b/c"));
	ck_assert(listed(m, len, "evil"));
	ck_assert(!listed(m, len, "evil/victim")); /* the link is listed, not entered */
	ck_assert_uint_ge(len, 2);
	ck_assert(m[len - 1] == '\0' && m[len - 2] == '\0'); /* the end mark */
}
END_TEST

/* The target's copy has a link to a host directory where the source had a directory whose
 * files were deleted: the prune must not go through it. */
START_TEST(test_prune_never_follows_a_planted_link)
{
	static const char *const src[] = {"keep", "evil", "a", "a/lnk", NULL};
	char m[256];
	size_t len = manifest(m, sizeof(m), src);
	unsigned removed;

	mk("keep", false);
	mk("a", true);
	ck_assert_int_eq(symlinkat(outside, rootfd, "evil"), 0);
	ck_assert_int_eq(symlinkat(outside, rootfd, "a/lnk"), 0);
	ck_assert_int_eq(migrate_prune(rootfd, m, len, &removed), 0);
	ck_assert_uint_eq(removed, 0);
	ck_assert(host_file("victim"));
	ck_assert(host_file("sub/deep"));
	ck_assert(exists_at(rootfd, "evil"));
	ck_assert(exists_at(rootfd, "a/lnk"));
}
END_TEST

/* A link the source no longer has is removed itself; what it points at stays. */
START_TEST(test_prune_removes_the_link_not_its_target)
{
	static const char *const src[] = {"a", NULL};
	char m[64];
	size_t len = manifest(m, sizeof(m), src);
	unsigned removed;
	char p[160];

	mk("a", true);
	ck_assert_int_eq(symlinkat(outside, rootfd, "evil"), 0);
	ck_assert_int_eq(symlinkat(outside, rootfd, "a/lnk"), 0);
	snprintf(p, sizeof(p), "%s/victim", outside);
	ck_assert_int_eq(symlinkat(p, rootfd, "a/file-link"), 0);
	ck_assert_int_eq(migrate_prune(rootfd, m, len, &removed), 0);
	ck_assert_uint_eq(removed, 3);
	ck_assert(!exists_at(rootfd, "evil"));
	ck_assert(!exists_at(rootfd, "a/lnk"));
	ck_assert(!exists_at(rootfd, "a/file-link"));
	ck_assert(host_file("victim"));
	ck_assert(host_file("sub/deep"));
	ck_assert(host_file("sub"));
}
END_TEST

/* What the source deleted goes: files, whole directories; the rest stays. */
START_TEST(test_prune_removes_what_the_source_deleted)
{
	_cleanup_free_ char *m = NULL;
	size_t len;
	unsigned removed;
	char p[160];
	_cleanup_close_ int src = -EBADF;

	/* the source's tree */
	snprintf(p, sizeof(p), "%s/src", tmpdir);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	src = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(src, 0);
	ck_assert_int_eq(mkdirat(src, "etc", 0755), 0);
	put(src, "etc/keep");
	put(src, "top");
	len = manifest_of(src, &m);
	/* the target's copy, from before the deletions */
	mk("etc", true);
	mk("etc/keep", false);
	mk("etc/gone", false);
	mk("top", false);
	mk("old", true);
	mk("old/d", true);
	mk("old/d/f", false);
	ck_assert_int_eq(mkfifoat(rootfd, "etc/fifo", 0600), 0);
	ck_assert_int_eq(migrate_prune(rootfd, m, len, &removed), 0);
	ck_assert_uint_eq(removed, 3); /* etc/gone, etc/fifo, old */
	ck_assert(exists_at(rootfd, "etc/keep"));
	ck_assert(exists_at(rootfd, "top"));
	ck_assert(!exists_at(rootfd, "etc/gone"));
	ck_assert(!exists_at(rootfd, "etc/fifo"));
	ck_assert(!exists_at(rootfd, "old"));
}
END_TEST

/* A manifest cut short (the source died while sending) removes nothing. */
START_TEST(test_prune_refuses_a_cut_manifest)
{
	static const char m1[] = "keep\0other";     /* no end mark */
	static const char m2[] = "keep\0\0other\0"; /* an empty entry before the end */
	unsigned removed;

	mk("keep", false);
	mk("gone", false);
	ck_assert_int_eq(migrate_prune(rootfd, m1, sizeof(m1) - 1, &removed), -EPROTO);
	ck_assert_int_eq(migrate_prune(rootfd, m2, sizeof(m2) - 1, &removed), -EPROTO);
	ck_assert_int_eq(migrate_prune(rootfd, "", 0, &removed), -EPROTO);
	ck_assert_uint_eq(removed, 0);
	ck_assert(exists_at(rootfd, "gone"));
}
END_TEST

START_TEST(test_manifest_read_limits)
{
	int p[2];
	char *buf = NULL;
	size_t len;

	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	ck_assert_int_eq(write(p[1], "abc", 3), 3);
	close(p[1]);
	ck_assert_int_eq(migrate_manifest_read(p[0], 2, &buf, &len), -EFBIG);
	close(p[0]);
	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	ck_assert_int_eq(write(p[1], "abc", 3), 3);
	close(p[1]);
	ck_assert_int_eq(migrate_manifest_read(p[0], 1024, &buf, &len), -EPROTO);
	close(p[0]);
	ck_assert_ptr_null(buf);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("migrate-prune");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_manifest_lists_without_following);
	tcase_add_test(tc, test_prune_never_follows_a_planted_link);
	tcase_add_test(tc, test_prune_removes_the_link_not_its_target);
	tcase_add_test(tc, test_prune_removes_what_the_source_deleted);
	tcase_add_test(tc, test_prune_refuses_a_cut_manifest);
	tcase_add_test(tc, test_manifest_read_limits);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
