/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The template store: metadata key table, digests, the busybox builder, lookup/list/verify. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "vpsctl-build.h"
#include "fileio.h"
#include "template-internal.h"
#include "template.h"

static char tmpdir[64];
static int dir_fd = -EBADF;

static void setup(void)
{
	strcpy(tmpdir, "/tmp/vpsctl-store-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	dir_fd = open(tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(dir_fd, 0);
}

static void teardown(void)
{
	closep(&dir_fd);
	ck_assert_int_eq(rm_rf_at(AT_FDCWD, tmpdir), 0);
}

static bool have_busybox(void)
{
	return access(BUSYBOX_PATH, X_OK) == 0;
}

/* ---- digests -------------------------------------------------------------------------------- */

static void check_digest(const char *data, size_t len, size_t repeat, const char *expect)
{
	char path[128], hex[65];
	_cleanup_close_ int fd = -EBADF, copy = -EBADF;
	uint64_t size;

	snprintf(path, sizeof(path), "%s/data", tmpdir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	for (size_t i = 0; i < repeat; i++)
		ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	ck_assert_int_eq(template_sha256_copy(fd, -1, hex, &size), 0);
	ck_assert_str_eq(hex, expect);
	ck_assert_uint_eq(size, len * repeat);

	/* the same loop copying (import): the copy has the same bytes, so the same digest */
	snprintf(path, sizeof(path), "%s/copy", tmpdir);
	copy = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ck_assert_int_ge(copy, 0);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	ck_assert_int_eq(template_sha256_copy(fd, copy, hex, &size), 0);
	ck_assert_str_eq(hex, expect);
	ck_assert_uint_eq(size, len * repeat);
	ck_assert_int_eq(lseek(copy, 0, SEEK_SET), 0);
	ck_assert_int_eq(template_sha256_copy(copy, -1, hex, NULL), 0);
	ck_assert_str_eq(hex, expect);
}

START_TEST(test_sha256_vectors)
{
	char million[1000];

	/* FIPS 180-4 examples. */
	check_digest("abc", 3, 1,
	             "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	check_digest("", 0, 1, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	check_digest("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, 1,
	             "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	memset(million, 'a', sizeof(million));
	check_digest(million, sizeof(million), 1000,
	             "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}
END_TEST

/* ---- metadata ------------------------------------------------------------------------------- */

static const struct vps_template_meta sample = {
	.name = "debian-12",
	.os = "debian",
	.release = "12",
	.arch = "amd64",
	.init = "/lib/systemd/systemd",
	.poweroff_signal = 0, /* set in the test: SIGRTMIN is not a constant */
	.created = 1700000000,
	.size = 123456789,
	.sha256 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
};

START_TEST(test_meta_roundtrip)
{
	struct vps_template_meta in = sample, out = {0};
	_cleanup_free_ char *text = NULL;

	in.poweroff_signal = SIGRTMIN + 4;
	ck_assert_int_eq(template_meta_format(&in, &text), 0);
	ck_assert_ptr_nonnull(strstr(text, "POWEROFF_SIGNAL=SIGRTMIN+4\n"));
	ck_assert_ptr_nonnull(strstr(text, "INIT=/lib/systemd/systemd\n"));
	ck_assert_int_eq(template_meta_parse(text, &out), 0);
	ck_assert_str_eq(out.name, in.name);
	ck_assert_str_eq(out.os, in.os);
	ck_assert_str_eq(out.release, in.release);
	ck_assert_str_eq(out.arch, in.arch);
	ck_assert_str_eq(out.init, in.init);
	ck_assert_int_eq(out.poweroff_signal, in.poweroff_signal);
	ck_assert_uint_eq(out.created, in.created);
	ck_assert_uint_eq(out.size, in.size);
	ck_assert_str_eq(out.sha256, in.sha256);
	ck_assert_int_eq(template_meta_validate(&out), 0);
}
END_TEST

START_TEST(test_meta_parse_rules)
{
	struct vps_template_meta m = {0};

	/* Comments, blank lines, quotes, unknown keys and upper-case hex are fine. */
	ck_assert_int_eq(template_meta_parse("# c\n\n  # indented\nOS=\"alpine\"\nFUTURE_KEY=x y\n"
	                                     "SHA256=0123456789ABCDEF0123456789abcdef0123456789abcd"
	                                     "ef0123456789abcdef\nPOWEROFF_SIGNAL=USR2\n",
	                                     &m),
	                 0);
	ck_assert_str_eq(m.os, "alpine");
	ck_assert_str_eq(m.sha256,
	                 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	ck_assert_int_eq(m.poweroff_signal, SIGUSR2);
	ck_assert_int_eq(template_meta_validate(&m), -EBADMSG); /* no name, no init */
	ck_assert_int_eq(template_meta_parse("garbage\n", &m), -EBADMSG);
	ck_assert_int_eq(template_meta_parse("=x\n", &m), -EBADMSG);
	ck_assert_int_eq(template_meta_parse("lower=x\n", &m), -EBADMSG);
	ck_assert_int_eq(template_meta_parse("INIT=sbin/init\n", &m), -EBADMSG);
	ck_assert_int_eq(template_meta_parse("INIT=/sbin/init; rm -rf /\n", &m), -EBADMSG);
	ck_assert_int_eq(template_meta_parse("NAME=Bad_Name\n", &m), -EBADMSG);
	ck_assert_int_eq(template_meta_parse("SHA256=abc\n", &m), -EBADMSG);
	ck_assert_int_eq(template_meta_parse("CREATED=-1\n", &m), -EBADMSG);
	ck_assert_int_eq(template_meta_parse("SIZE=12x\n", &m), -EBADMSG);
	ck_assert_int_eq(template_meta_parse("POWEROFF_SIGNAL=SIGNOPE\n", &m), -EBADMSG);
	ck_assert_int_eq(template_meta_parse("ARCH=this-is-far-too-long-for-arch\n", &m), -EBADMSG);
}
END_TEST

/* ---- the store ------------------------------------------------------------------------------ */

static void write_meta(const char *name, const char *tarball_content, bool with_sha_file)
{
	struct vps_template_meta m = sample;
	_cleanup_free_ char *text = NULL;
	char fn[64], line[160];
	size_t len = strlen(tarball_content);

	snprintf(m.name, sizeof(m.name), "%s", name);
	m.poweroff_signal = SIGUSR2;
	snprintf(fn, sizeof(fn), "%s.tar.xz", name);
	ck_assert_int_eq(write_file_atomic_at(dir_fd, fn, tarball_content, len, 0644), 0);
	ck_assert_int_eq(template_meta_format(&m, &text), 0);
	snprintf(fn, sizeof(fn), "%s.meta", name);
	ck_assert_int_eq(write_file_atomic_at(dir_fd, fn, text, strlen(text), 0644), 0);
	if (with_sha_file) {
		snprintf(line, sizeof(line), "%s  %s.tar.xz\n", m.sha256, name);
		snprintf(fn, sizeof(fn), "%s.sha256", name);
		ck_assert_int_eq(write_file_atomic_at(dir_fd, fn, line, strlen(line), 0644), 0);
	}
}

START_TEST(test_lookup_list_handmade)
{
	_cleanup_free_ struct vps_template_meta *v = NULL;
	struct vps_template_meta m;
	char expect[192];
	size_t n;

	write_meta("zeta", "zzz", true);
	write_meta("alpha", "aaaa", false);
	/* Junk the listing must step over: no tarball, bad names, not metadata. */
	ck_assert_int_eq(write_file_atomic_at(dir_fd, "orphan.meta", "NAME=orphan\n", 12, 0644), 0);
	ck_assert_int_eq(write_file_atomic_at(dir_fd, "Bad_Name.meta", "x", 1, 0644), 0);
	ck_assert_int_eq(write_file_atomic_at(dir_fd, "README", "x", 1, 0644), 0);
	ck_assert_int_eq(write_file_atomic_at(dir_fd, "broken.meta", "nonsense\n", 9, 0644), 0);
	ck_assert_int_eq(write_file_atomic_at(dir_fd, "broken.tar.gz", "x", 1, 0644), 0);

	ck_assert_int_eq(template_lookup(tmpdir, "alpha", &m), 0);
	ck_assert_str_eq(m.name, "alpha");
	ck_assert_str_eq(m.init, "/lib/systemd/systemd");
	ck_assert_uint_eq(m.size, 4); /* from the file, not the metadata */
	snprintf(expect, sizeof(expect), "%s/alpha.tar.xz", tmpdir);
	ck_assert_str_eq(m.file, expect);
	ck_assert_int_eq(template_lookup(tmpdir, "nope", &m), -ENOENT);
	write_meta("lonely", "l", true);
	ck_assert_int_eq(unlinkat(dir_fd, "lonely.tar.xz", 0), 0);
	ck_assert_int_eq(template_lookup(tmpdir, "lonely", &m), -ENOENT);
	ck_assert_int_eq(template_lookup(tmpdir, "orphan", &m), -EBADMSG);
	ck_assert_int_eq(template_lookup(tmpdir, "broken", &m), -EBADMSG);
	ck_assert_int_eq(template_lookup(tmpdir, "../etc", &m), -EINVAL);

	ck_assert_int_eq(template_list(tmpdir, &v, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(v[0].name, "alpha");
	ck_assert_str_eq(v[1].name, "zeta");
	/* The recorded digest is not the one of "aaaa". */
	ck_assert_int_eq(template_verify(&v[0]), -EBADMSG);
}
END_TEST

START_TEST(test_conflicting_sha_file)
{
	struct vps_template_meta m;
	const char *other = "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff  x\n";

	write_meta("gamma", "g", true);
	ck_assert_int_eq(template_lookup(tmpdir, "gamma", &m), 0);
	ck_assert_int_eq(write_file_atomic_at(dir_fd, "gamma.sha256", other, strlen(other), 0644),
	                 0);
	ck_assert_int_eq(template_lookup(tmpdir, "gamma", &m), -EBADMSG);
}
END_TEST

static bool file_exists(const char *fn)
{
	return faccessat(dir_fd, fn, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

START_TEST(test_build_busybox)
{
	struct vps_template_meta built, found;
	_cleanup_free_ char *text = NULL;
	char line[160];

	ck_assert_int_eq(template_build_busybox(tmpdir, "busybox", BUSYBOX_PATH, &built), 0);
	ck_assert_str_eq(built.name, "busybox");
	ck_assert_str_eq(built.os, "busybox");
	ck_assert_str_eq(built.init, "/sbin/init");
	ck_assert_int_eq(built.poweroff_signal, SIGUSR2);
	ck_assert_uint_gt(strlen(built.release), 0);
	ck_assert_uint_gt(strlen(built.arch), 0);
	ck_assert_uint_gt(built.size, 100000);
	ck_assert_uint_eq(strlen(built.sha256), 64);
	ck_assert(file_exists("busybox.meta"));
	ck_assert(file_exists("busybox.tar.zst") || file_exists("busybox.tar.gz"));

	/* sha256sum's format, naming the tarball beside it. */
	ck_assert_int_eq(read_file_at(dir_fd, "busybox.sha256", 4096, &text, NULL), 0);
	snprintf(line, sizeof(line), "%s  busybox%s\n", built.sha256, strrchr(built.file, '.') - 4);
	ck_assert_str_eq(text, line);

	ck_assert_int_eq(template_lookup(tmpdir, "busybox", &found), 0);
	ck_assert_str_eq(found.file, built.file);
	ck_assert_str_eq(found.sha256, built.sha256);
	ck_assert_str_eq(found.release, built.release);
	ck_assert_uint_eq(found.size, built.size);
	ck_assert_uint_eq(found.created, built.created);
	ck_assert_int_eq(template_verify(&found), 0);

	/* A rebuild replaces the template in place; no temp files are left. */
	ck_assert_int_eq(template_build_busybox(tmpdir, "busybox", BUSYBOX_PATH, &built), 0);
	ck_assert_int_eq(template_lookup(tmpdir, "busybox", &found), 0);
	ck_assert_int_eq(template_verify(&found), 0);
}
END_TEST

START_TEST(test_build_refusals)
{
	struct vps_template_meta m;
	_cleanup_free_ struct vps_template_meta *v = NULL;
	size_t n;

	ck_assert_int_eq(template_build_busybox(tmpdir, "Bad/Name", BUSYBOX_PATH, &m), -EINVAL);
	ck_assert_int_eq(template_build_busybox(tmpdir, "x", "/nonexistent/busybox", &m), -ENOENT);
	/* Not an ELF binary at all, and (on Debian) a dynamically linked one. */
	ck_assert_int_eq(template_build_busybox(tmpdir, "x", "/etc/hostname", &m), -ENOEXEC);
	if (access("/bin/true", X_OK) == 0)
		ck_assert_int_eq(template_build_busybox(tmpdir, "x", "/bin/true", &m), -ENOEXEC);
	ck_assert_int_eq(template_list(tmpdir, &v, &n), 0);
	ck_assert_uint_eq(n, 0);
}
END_TEST

START_TEST(test_corrupt_tarball)
{
	struct vps_template_meta m;
	_cleanup_close_ int fd = -EBADF;
	char c;

	ck_assert_int_eq(template_build_busybox(tmpdir, "bb", BUSYBOX_PATH, &m), 0);
	fd = open(m.file, O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, &c, 1, 1000), 1);
	c ^= 0x5a;
	ck_assert_int_eq(pwrite(fd, &c, 1, 1000), 1);
	ck_assert_int_eq(template_lookup(tmpdir, "bb", &m), 0);
	ck_assert_int_eq(template_verify(&m), -EBADMSG);
}
END_TEST

static void assert_link(int fd, const char *path, const char *target)
{
	char buf[PATH_MAX];
	ssize_t n = readlinkat(fd, path, buf, sizeof(buf) - 1);

	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	ck_assert_str_eq(buf, target);
}

static mode_t mode_of(int fd, const char *path)
{
	struct stat st;

	ck_assert_int_eq(fstatat(fd, path, &st, AT_SYMLINK_NOFOLLOW), 0);
	return st.st_mode;
}

START_TEST(test_unpack_busybox)
{
	struct vps_template_meta m;
	_cleanup_free_ char *inittab = NULL, *passwd = NULL;
	_cleanup_close_ int root = -EBADF;
	char reason[256];

	ck_assert_int_eq(template_build_busybox(tmpdir, "busybox", BUSYBOX_PATH, &m), 0);
	ck_assert_int_eq(template_unpack(m.file, dir_fd, "rootfs", NULL, reason), 0);
	root = openat(dir_fd, "rootfs", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(root, 0);
	ck_assert_uint_eq(mode_of(root, "bin/busybox"), S_IFREG | 0755);
	assert_link(root, "sbin/init", "../bin/busybox");
	assert_link(root, "bin/sh", "busybox");
	assert_link(root, "usr/bin/env", "../../bin/busybox");
	assert_link(root, "sbin/poweroff", "../bin/busybox");
	assert_link(root, "sbin/reboot", "../bin/busybox");
	assert_link(root, "sbin/halt", "../bin/busybox");
	assert_link(root, "var/run", "../run");
	ck_assert_uint_eq(mode_of(root, "tmp"), S_IFDIR | 01777);
	ck_assert_uint_eq(mode_of(root, "root"), S_IFDIR | 0700);
	ck_assert_uint_eq(mode_of(root, "etc/shadow"), S_IFREG | 0600);
	ck_assert_uint_eq(mode_of(root, "etc/init.d/rcS"), S_IFREG | 0755);
	ck_assert_int_eq(read_file_at(root, "etc/inittab", 4096, &inittab, NULL), 0);
	ck_assert_ptr_nonnull(strstr(inittab, "::sysinit:/etc/init.d/rcS\n"));
	ck_assert_ptr_nonnull(strstr(inittab, "::askfirst:-/bin/sh\n"));
	ck_assert_int_eq(read_file_at(root, "etc/passwd", 4096, &passwd, NULL), 0);
	ck_assert_ptr_nonnull(strstr(passwd, "root:x:0:0:root:/root:/bin/sh\n"));
	ck_assert(faccessat(root, "etc/hostname", F_OK, 0) == 0);
	ck_assert(faccessat(root, "etc/os-release", F_OK, 0) == 0);
}
END_TEST

static Suite *store_suite(void)
{
	Suite *s = suite_create("template-store");
	TCase *tc = tcase_create("store");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_sha256_vectors);
	tcase_add_test(tc, test_meta_roundtrip);
	tcase_add_test(tc, test_meta_parse_rules);
	tcase_add_test(tc, test_lookup_list_handmade);
	tcase_add_test(tc, test_conflicting_sha_file);
	tcase_add_test(tc, test_build_busybox);
	tcase_add_test(tc, test_build_refusals);
	tcase_add_test(tc, test_corrupt_tarball);
	tcase_add_test(tc, test_unpack_busybox);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed;

	/* The builder runs the host's static busybox; without it those tests cannot run. */
	if (!have_busybox()) {
		fprintf(stderr, "No busybox at %s, skipping\n", BUSYBOX_PATH);
		return 77;
	}
	sr = srunner_create(store_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
