/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Hostile tarballs are refused and leave nothing behind; a good one unpacks exactly. Runs
 * unprivileged (ownership to uid 0 and file capabilities are then skipped by design); as root it
 * also checks ownership, id shifting and capabilities.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "cleanup.h"
#include "fileio.h"
#include "template.h"

struct tent {
	const char *path;
	mode_t mode; /* type | perm */
	const char *data;
	const char *symlink;
	const char *hardlink;
	int64_t size; /* > 0: this many zero bytes instead of data */
	dev_t rdev;
	unsigned uid;
	time_t mtime;
	const void *caps;
	size_t caps_len;
};

static char tmpdir[64];
static char tarpath[128];
static int out_fd = -EBADF;

static void setup(void)
{
	char out[128];

	strcpy(tmpdir, "/tmp/vpsctl-unpack-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(tarpath, sizeof(tarpath), "%s/t.tar.gz", tmpdir);
	snprintf(out, sizeof(out), "%s/out", tmpdir);
	ck_assert_int_eq(mkdir(out, 0755), 0);
	out_fd = open(out, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(out_fd, 0);
}

static void teardown(void)
{
	closep(&out_fd);
	ck_assert_int_eq(rm_rf_at(AT_FDCWD, tmpdir), 0);
}

static void write_zeros(struct archive *a, int64_t n)
{
	static const char zero[65536];

	while (n > 0) {
		size_t k = n > (int64_t)sizeof(zero) ? sizeof(zero) : (size_t)n;

		ck_assert_int_eq(archive_write_data(a, zero, k), (la_ssize_t)k);
		n -= (int64_t)k;
	}
}

static void add_tent(struct archive *a, const struct tent *t)
{
	struct archive_entry *e = archive_entry_new();
	int64_t size = t->size > 0 ? t->size : t->data ? (int64_t)strlen(t->data) : 0;

	archive_entry_set_pathname(e, t->path);
	archive_entry_set_mode(e, t->mode);
	archive_entry_set_uid(e, t->uid);
	archive_entry_set_gid(e, t->uid);
	archive_entry_set_mtime(e, t->mtime ? t->mtime : 1000000000, 0);
	if (t->symlink)
		archive_entry_set_symlink(e, t->symlink);
	if (t->hardlink) {
		archive_entry_set_hardlink(e, t->hardlink);
		size = 0;
	}
	if (t->rdev)
		archive_entry_set_rdev(e, t->rdev);
	if (t->caps)
		archive_entry_xattr_add_entry(e, "security.capability", t->caps, t->caps_len);
	if (S_ISREG(t->mode))
		archive_entry_set_size(e, size);
	ck_assert_int_eq(archive_write_header(a, e), ARCHIVE_OK);
	if (t->size > 0)
		write_zeros(a, t->size);
	else if (t->data && !t->hardlink)
		ck_assert_int_eq(archive_write_data(a, t->data, (size_t)size), size);
	archive_entry_free(e);
}

/* A gzip'd pax tarball of the entries, written with libarchive as any archiver would. */
static void make_tar(const struct tent *ents, size_t n)
{
	struct archive *a = archive_write_new();

	ck_assert_int_eq(archive_write_set_format_pax(a), ARCHIVE_OK);
	ck_assert_int_eq(archive_write_add_filter_gzip(a), ARCHIVE_OK);
	ck_assert_int_eq(archive_write_open_filename(a, tarpath), ARCHIVE_OK);
	for (size_t i = 0; i < n; i++)
		add_tent(a, &ents[i]);
	ck_assert_int_eq(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
}

static unsigned count_entries(int dfd)
{
	_cleanup_closedir_ DIR *d = fdopendir(fcntl(dfd, F_DUPFD_CLOEXEC, 3));
	struct dirent *de;
	unsigned n = 0;

	ck_assert_ptr_nonnull(d);
	rewinddir(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	return n;
}

/* The unpack fails with r, says why, and leaves neither the root nor its temp dir. */
static void expect_refused(const struct tent *ents, size_t n,
                           const struct template_unpack_opts *opts, int r, const char *why)
{
	char reason[256];

	make_tar(ents, n);
	ck_assert_int_eq(template_unpack(tarpath, out_fd, "root", opts, reason), r);
	ck_assert_msg(strstr(reason, why), "reason '%s' lacks '%s'", reason, why);
	ck_assert_uint_eq(count_entries(out_fd), 0);
}

#define REFUSED(ents, opts, r, why) expect_refused(ents, ELEMENTSOF(ents), opts, r, why)

START_TEST(test_absolute)
{
	const struct tent t[] = {{"ok", S_IFREG | 0644, "x"}, {"/etc/evil", S_IFREG | 0644, "x"}};

	REFUSED(t, NULL, -EPERM, "absolute path");
}
END_TEST

START_TEST(test_dotdot)
{
	const struct tent t1[] = {{"../x", S_IFREG | 0644, "x"}};
	const struct tent t2[] = {{"a/", S_IFDIR | 0755}, {"a/../../x", S_IFREG | 0644, "x"}};

	REFUSED(t1, NULL, -EPERM, "'..' component");
	REFUSED(t2, NULL, -EPERM, "'..' component");
}
END_TEST

START_TEST(test_long_component)
{
	char name[300];
	struct tent t[] = {{name, S_IFREG | 0644, "x"}};

	memset(name, 'n', 256);
	name[256] = '\0';
	REFUSED(t, NULL, -EPERM, "NAME_MAX");
}
END_TEST

START_TEST(test_symlink_to_root_parent)
{
	const struct tent t[] = {{"evil", S_IFLNK | 0777, .symlink = "/"},
	                         {"evil/etc/passwd", S_IFREG | 0644, "root::0:0::/:/bin/sh\n"}};

	REFUSED(t, NULL, -EPERM, "symlink");
}
END_TEST

START_TEST(test_symlink_dotdot_parent)
{
	char victim[128];
	const struct tent t[] = {{"d", S_IFLNK | 0777, .symlink = ".."},
	                         {"d/victim", S_IFREG | 0644, "pwned"}};

	/* d -> .. from the temp root is out/, whose parent holds victim. */
	snprintf(victim, sizeof(victim), "%s/out/victim", tmpdir);
	REFUSED(t, NULL, -EPERM, "symlink");
	ck_assert_int_eq(access(victim, F_OK), -1);
}
END_TEST

START_TEST(test_symlink_to_outside_dir)
{
	char outside[128];
	struct tent t[] = {{"s", S_IFLNK | 0777, .symlink = outside},
	                   {"s/victim", S_IFREG | 0644, "pwned"}};
	_cleanup_free_ char *content = NULL;
	_cleanup_close_ int dfd = open(tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	snprintf(outside, sizeof(outside), "%s", tmpdir);
	ck_assert_int_eq(write_file_atomic_at(dfd, "victim", "safe", 4, 0644), 0);
	REFUSED(t, NULL, -EPERM, "symlink");
	ck_assert_int_eq(read_file_at(dfd, "victim", 64, &content, NULL), 0);
	ck_assert_str_eq(content, "safe");
}
END_TEST

START_TEST(test_file_over_symlink)
{
	/* A later file entry replaces the symlink itself; it never writes through it. */
	char victim[128];
	struct tent t[] = {{"f", S_IFLNK | 0777, .symlink = victim},
	                   {"f", S_IFREG | 0644, "pwned"}};
	_cleanup_free_ char *content = NULL;
	_cleanup_close_ int dfd = open(tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct stat st;

	snprintf(victim, sizeof(victim), "%s/victim", tmpdir);
	ck_assert_int_eq(write_file_atomic_at(dfd, "victim", "safe", 4, 0644), 0);
	make_tar(t, ELEMENTSOF(t));
	ck_assert_int_eq(template_unpack(tarpath, out_fd, "root", NULL, NULL), 0);
	ck_assert_int_eq(read_file_at(dfd, "victim", 64, &content, NULL), 0);
	ck_assert_str_eq(content, "safe");
	ck_assert_int_eq(fstatat(out_fd, "root/f", &st, AT_SYMLINK_NOFOLLOW), 0);
	ck_assert(S_ISREG(st.st_mode));
}
END_TEST

START_TEST(test_hardlink_absolute)
{
	const struct tent t[] = {{"passwd", S_IFREG | 0644, .hardlink = "/etc/passwd"}};

	REFUSED(t, NULL, -EPERM, "hardlink target: absolute path");
}
END_TEST

START_TEST(test_hardlink_outside)
{
	const struct tent t1[] = {{"h", S_IFREG | 0644, .hardlink = "../victim"}};
	char outside[128];
	struct tent t2[] = {{"s", S_IFLNK | 0777, .symlink = outside},
	                    {"h", S_IFREG | 0644, .hardlink = "s/victim"}};
	const struct tent t3[] = {{"h", S_IFREG | 0644, .hardlink = "never-extracted"}};
	const struct tent t4[] = {{"d/", S_IFDIR | 0755}, {"h", S_IFREG | 0644, .hardlink = "d"}};
	_cleanup_close_ int dfd = open(tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	snprintf(outside, sizeof(outside), "%s", tmpdir);
	ck_assert_int_eq(write_file_atomic_at(dfd, "victim", "safe", 4, 0644), 0);
	REFUSED(t1, NULL, -EPERM, "'..' component");
	REFUSED(t2, NULL, -EPERM, "symlink");
	REFUSED(t3, NULL, -EPERM, "not in the archive");
	REFUSED(t4, NULL, -EPERM, "not an extracted regular file");
}
END_TEST

START_TEST(test_devices_skipped)
{
	const struct tent t[] = {{"dev/", S_IFDIR | 0755},
	                         {"dev/sda", S_IFBLK | 0660, .rdev = makedev(8, 0)},
	                         {"dev/mem", S_IFCHR | 0640, .rdev = makedev(1, 1)},
	                         {"dev/fifo", S_IFIFO | 0644},
	                         {"etc/ok", S_IFREG | 0644, "ok"}};
	struct stat st;

	make_tar(t, ELEMENTSOF(t));
	ck_assert_int_eq(template_unpack(tarpath, out_fd, "root", NULL, NULL), 0);
	ck_assert_int_eq(fstatat(out_fd, "root/dev/sda", &st, AT_SYMLINK_NOFOLLOW), -1);
	ck_assert_int_eq(fstatat(out_fd, "root/dev/mem", &st, AT_SYMLINK_NOFOLLOW), -1);
	ck_assert_int_eq(fstatat(out_fd, "root/dev/fifo", &st, AT_SYMLINK_NOFOLLOW), -1);
	ck_assert_int_eq(fstatat(out_fd, "root/etc/ok", &st, AT_SYMLINK_NOFOLLOW), 0);
}
END_TEST

START_TEST(test_devices_allowed)
{
	const struct tent t[] = {{"dev/fifo", S_IFIFO | 0640},
	                         {"dev/null", S_IFCHR | 0666, .rdev = makedev(1, 3)},
	                         {"dev/sock", S_IFSOCK | 0644}};
	const struct template_unpack_opts opts = {.allow_devices = true};
	struct stat st;
	size_t n = ELEMENTSOF(t) - 1; /* libarchive cannot write a socket: drop it */

	/* Only root may make device nodes; a FIFO anyone. */
	make_tar(t, geteuid() == 0 ? n : 1);
	ck_assert_int_eq(template_unpack(tarpath, out_fd, "root", &opts, NULL), 0);
	ck_assert_int_eq(fstatat(out_fd, "root/dev/fifo", &st, AT_SYMLINK_NOFOLLOW), 0);
	ck_assert(S_ISFIFO(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, 0640);
	if (geteuid() == 0) {
		ck_assert_int_eq(fstatat(out_fd, "root/dev/null", &st, AT_SYMLINK_NOFOLLOW), 0);
		ck_assert(S_ISCHR(st.st_mode));
		ck_assert_uint_eq(st.st_rdev, makedev(1, 3));
		ck_assert_uint_eq(st.st_mode & 07777, 0666);
	}
}
END_TEST

START_TEST(test_byte_bomb)
{
	/* 64 MiB of zeros compress to ~64 KiB; the 1 MiB cap stops it at the header. */
	const struct tent t1[] = {{"bomb", S_IFREG | 0644, .size = 64 << 20}};
	/* Many files each under the cap, over it together. */
	struct tent t2[12];
	const struct template_unpack_opts opts = {.max_bytes = 1 << 20};
	char names[12][8];

	for (int i = 0; i < 12; i++) {
		snprintf(names[i], sizeof(names[i]), "f%d", i);
		t2[i] = (struct tent){names[i], S_IFREG | 0644, .size = 100 << 10};
	}
	REFUSED(t1, &opts, -EFBIG, "exceeds the cap");
	REFUSED(t2, &opts, -EFBIG, "exceeds the cap");
}
END_TEST

START_TEST(test_too_many_entries)
{
	struct tent t[10];
	const struct template_unpack_opts opts = {.max_entries = 5};
	char names[10][8];

	for (int i = 0; i < 10; i++) {
		snprintf(names[i], sizeof(names[i]), "e%d", i);
		t[i] = (struct tent){names[i], S_IFREG | 0644, "x"};
	}
	REFUSED(t, &opts, -E2BIG, "more than 5 entries");
}
END_TEST

START_TEST(test_dir_replaced_by_file)
{
	const struct tent t[] = {{"d/", S_IFDIR | 0755},
	                         {"d/inner", S_IFREG | 0644, "x"},
	                         {"d", S_IFREG | 0644, "x"}};

	REFUSED(t, NULL, -EPERM, "would replace a directory");
}
END_TEST

START_TEST(test_shift_id_range)
{
	const struct tent t[] = {{"f", S_IFREG | 0644, "x", .uid = 70000}};
	const struct template_unpack_opts opts = {.uid_shift = 100000, .gid_shift = 100000};

	REFUSED(t, &opts, -EPERM, "outside the VPS's id range");
}
END_TEST

START_TEST(test_garbage_and_dest)
{
	_cleanup_close_ int dfd = open(tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	const struct tent ok[] = {{"f", S_IFREG | 0644, "x"}};
	char reason[256];

	ck_assert_int_eq(
		write_file_atomic_at(dfd, "t.tar.gz", "this is no tarball at all\n", 26, 0644), 0);
	ck_assert_int_eq(template_unpack(tarpath, out_fd, "root", NULL, reason), -EBADMSG);
	ck_assert_uint_eq(count_entries(out_fd), 0);
	make_tar(ok, ELEMENTSOF(ok));
	ck_assert_int_eq(template_unpack(tarpath, out_fd, "../root", NULL, reason), -EINVAL);
	ck_assert_int_eq(template_unpack(tarpath, out_fd, "root", NULL, reason), 0);
	ck_assert_int_eq(template_unpack(tarpath, out_fd, "root", NULL, reason), -EEXIST);
	ck_assert_uint_eq(count_entries(out_fd), 1);
}
END_TEST

static void assert_file(const char *path, const char *content, mode_t perm)
{
	_cleanup_free_ char *buf = NULL;
	struct stat st;

	ck_assert_int_eq(fstatat(out_fd, path, &st, AT_SYMLINK_NOFOLLOW), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, perm);
	ck_assert_int_eq(read_file_at(out_fd, path, 4096, &buf, NULL), 0);
	ck_assert_str_eq(buf, content);
}

static void assert_dir(const char *path, mode_t perm)
{
	struct stat st;

	ck_assert_int_eq(fstatat(out_fd, path, &st, AT_SYMLINK_NOFOLLOW), 0);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, perm);
}

START_TEST(test_good_tarball)
{
	const struct tent t[] = {
		{"./", S_IFDIR | 0751},
		{"./bin/", S_IFDIR | 0755},
		{"./bin/su", S_IFREG | 04755, "#!/bin/sh\n"},
		{"./bin/sh", S_IFLNK | 0777, .symlink = "su"},
		{"etc/", S_IFDIR | 0755, .mtime = 1234567890},
		{"etc/conf", S_IFREG | 0640, "hello\n", .mtime = 1111111111},
		{"etc/hard", S_IFREG | 0640, .hardlink = "etc/conf"},
		{"etc/abs", S_IFLNK | 0777, .symlink = "/etc/conf"},
		{"ro/", S_IFDIR | 0555},
		{"ro/inside", S_IFREG | 0444, "in a read-only dir\n"},
		{"var/lib/deep/file", S_IFREG | 0600, "implicit parents\n"},
		{"bin/", S_IFDIR | 0711}, /* listed twice: the last one wins */
	};
	struct stat st, st2;
	char target[64];
	ssize_t n;

	make_tar(t, ELEMENTSOF(t));
	ck_assert_int_eq(template_unpack(tarpath, out_fd, "root", NULL, NULL), 0);
	ck_assert_uint_eq(count_entries(out_fd), 1); /* no temp dir left */
	assert_dir("root", 0751);
	assert_dir("root/bin", 0711);
	assert_file("root/bin/su", "#!/bin/sh\n", 04755);
	n = readlinkat(out_fd, "root/bin/sh", target, sizeof(target));
	ck_assert_int_eq(n, 2);
	ck_assert(memcmp(target, "su", 2) == 0);
	n = readlinkat(out_fd, "root/etc/abs", target, sizeof(target));
	ck_assert_int_eq(n, 9);
	assert_file("root/etc/conf", "hello\n", 0640);
	ck_assert_int_eq(fstatat(out_fd, "root/etc/conf", &st, 0), 0);
	ck_assert_int_eq(st.st_mtime, 1111111111);
	ck_assert_int_eq(fstatat(out_fd, "root/etc/hard", &st2, 0), 0);
	ck_assert_uint_eq(st.st_ino, st2.st_ino);
	ck_assert_uint_eq(st.st_nlink, 2);
	ck_assert_int_eq(fstatat(out_fd, "root/etc", &st, 0), 0);
	ck_assert_int_eq(st.st_mtime, 1234567890);
	assert_dir("root/ro", 0555);
	assert_file("root/ro/inside", "in a read-only dir\n", 0444);
	assert_dir("root/var/lib/deep", 0755);
	assert_file("root/var/lib/deep/file", "implicit parents\n", 0600);
	if (geteuid() == 0) {
		ck_assert_int_eq(fstatat(out_fd, "root/bin/su", &st, 0), 0);
		ck_assert_uint_eq(st.st_uid, 0);
	}
	/* Unprivileged, teardown could not empty a read-only directory. */
	ck_assert_int_eq(fchmodat(out_fd, "root/ro", 0755, 0), 0);
}
END_TEST

/* v2 capability: cap_net_raw (13) permitted + effective. */
static const uint8_t net_raw_caps[20] = {0x01, 0x00, 0x00, 0x02, 0x00, 0x20};

START_TEST(test_shift_and_caps)
{
	const struct tent t[] = {
		{"bin/", S_IFDIR | 0755},
		{"bin/ping", S_IFREG | 0755, "elf", .caps = net_raw_caps, .caps_len = 20},
		{"bin/passwd", S_IFREG | 04755, "elf", .uid = 0},
		{"home/u/file", S_IFREG | 0644, "x", .uid = 1000},
		{"home/u/link", S_IFLNK | 0777, .symlink = "file", .uid = 1000},
	};
	const struct template_unpack_opts opts = {.uid_shift = 200000, .gid_shift = 300000};
	uint8_t caps[32];
	struct stat st;
	ssize_t n;
	_cleanup_close_ int fd = -EBADF;

	make_tar(t, ELEMENTSOF(t));
	if (geteuid() != 0) {
		/* A shifted VPS with the wrong owners would be a hole: no leniency there. */
		ck_assert_int_eq(template_unpack(tarpath, out_fd, "root", &opts, NULL), -EPERM);
		ck_assert_uint_eq(count_entries(out_fd), 0);
		return;
	}
	ck_assert_int_eq(template_unpack(tarpath, out_fd, "root", &opts, NULL), 0);
	ck_assert_int_eq(fstatat(out_fd, "root", &st, 0), 0);
	ck_assert_uint_eq(st.st_uid, 200000);
	ck_assert_uint_eq(st.st_gid, 300000);
	ck_assert_int_eq(fstatat(out_fd, "root/bin/passwd", &st, 0), 0);
	ck_assert_uint_eq(st.st_uid, 200000);
	ck_assert_uint_eq(st.st_mode & 07777, 04755); /* setuid survives the chown */
	ck_assert_int_eq(fstatat(out_fd, "root/home/u/link", &st, AT_SYMLINK_NOFOLLOW), 0);
	ck_assert_uint_eq(st.st_uid, 201000);
	ck_assert_uint_eq(st.st_gid, 301000);
	ck_assert_int_eq(fstatat(out_fd, "root/home/u", &st, AT_SYMLINK_NOFOLLOW), 0);
	ck_assert_uint_eq(st.st_uid, 200000); /* implicit parent: the VPS's root */
	fd = openat(out_fd, "root/bin/ping", O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	n = fgetxattr(fd, "security.capability", caps, sizeof(caps));
	/* Host root reads a v3 xattr back as v3 (rootid 200000 is not its own root). */
	ck_assert_int_eq(n, 24);
	ck_assert_uint_eq(caps[3], 0x03);
	ck_assert_uint_eq(caps[4], 0x00);
	ck_assert_uint_eq(caps[5], 0x20);
	ck_assert_uint_eq(caps[20] | caps[21] << 8 | caps[22] << 16 | (unsigned)caps[23] << 24,
	                  200000);
}
END_TEST

START_TEST(test_caps_unshifted)
{
	const struct tent t[] = {
		{"ping", S_IFREG | 0755, "elf", .caps = net_raw_caps, .caps_len = 20},
	};
	uint8_t caps[32];
	ssize_t n;

	make_tar(t, ELEMENTSOF(t));
	char p[192];

	make_tar(t, ELEMENTSOF(t));
	/* Unprivileged, the capability is dropped rather than failing the unpack. */
	ck_assert_int_eq(template_unpack(tarpath, out_fd, "root", NULL, NULL), 0);
	snprintf(p, sizeof(p), "%s/out/root/ping", tmpdir);
	n = getxattr(p, "security.capability", caps, sizeof(caps));
	if (geteuid() != 0) {
		ck_assert_int_eq(n, -1);
		return;
	}
	/* As host root with no shift it stays a plain v2 capability. */
	ck_assert_int_eq(n, 20);
	ck_assert(memcmp(caps, net_raw_caps, 20) == 0);
}
END_TEST

static Suite *unpack_suite(void)
{
	Suite *s = suite_create("template-unpack");
	TCase *tc = tcase_create("unpack");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_absolute);
	tcase_add_test(tc, test_dotdot);
	tcase_add_test(tc, test_long_component);
	tcase_add_test(tc, test_symlink_to_root_parent);
	tcase_add_test(tc, test_symlink_dotdot_parent);
	tcase_add_test(tc, test_symlink_to_outside_dir);
	tcase_add_test(tc, test_file_over_symlink);
	tcase_add_test(tc, test_hardlink_absolute);
	tcase_add_test(tc, test_hardlink_outside);
	tcase_add_test(tc, test_devices_skipped);
	tcase_add_test(tc, test_devices_allowed);
	tcase_add_test(tc, test_byte_bomb);
	tcase_add_test(tc, test_too_many_entries);
	tcase_add_test(tc, test_dir_replaced_by_file);
	tcase_add_test(tc, test_shift_id_range);
	tcase_add_test(tc, test_garbage_and_dest);
	tcase_add_test(tc, test_good_tarball);
	tcase_add_test(tc, test_shift_and_caps);
	tcase_add_test(tc, test_caps_unshifted);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(unpack_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
