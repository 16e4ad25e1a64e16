/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * template import (checksum before store, init and OS detection, nothing left on refusal),
 * removal and shared trees, and the Debian builder's parsers (package lists, sources rewriting,
 * the host's source files). Runs unprivileged in a temp store.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "cleanup.h"
#include "fileio.h"
#include "template-internal.h"
#include "template.h"

struct tent {
	const char *path;
	mode_t mode;
	const char *data;    /* regular file content */
	const char *symlink; /* symlink target */
};

static char tmpdir[64], store[96], tarpath[128];

static void setup(void)
{
	strcpy(tmpdir, "/tmp/vpsctl-import-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(store, sizeof(store), "%s/store", tmpdir);
	ck_assert_int_eq(mkdir(store, 0755), 0);
	snprintf(tarpath, sizeof(tarpath), "%s/in.tar.gz", tmpdir);
}

static void teardown(void)
{
	ck_assert_int_eq(rm_rf_at(AT_FDCWD, tmpdir), 0);
}

static void add_tent(struct archive *a, const struct tent *t)
{
	struct archive_entry *e = archive_entry_new();
	size_t size = t->data ? strlen(t->data) : 0;

	archive_entry_set_pathname(e, t->path);
	archive_entry_set_mode(e, t->mode);
	archive_entry_set_mtime(e, 1000000000, 0);
	if (t->symlink)
		archive_entry_set_symlink(e, t->symlink);
	if (S_ISREG(t->mode))
		archive_entry_set_size(e, (la_int64_t)size);
	ck_assert_int_eq(archive_write_header(a, e), ARCHIVE_OK);
	if (size)
		ck_assert_int_eq(archive_write_data(a, t->data, size), (la_ssize_t)size);
	archive_entry_free(e);
}

static void make_tar(const char *path, const struct tent *ents, size_t n, bool gzip)
{
	struct archive *a = archive_write_new();

	ck_assert_int_eq(archive_write_set_format_pax(a), ARCHIVE_OK);
	if (gzip)
		ck_assert_int_eq(archive_write_add_filter_gzip(a), ARCHIVE_OK);
	ck_assert_int_eq(archive_write_open_filename(a, path), ARCHIVE_OK);
	for (size_t i = 0; i < n; i++)
		add_tent(a, &ents[i]);
	ck_assert_int_eq(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
}

/* A merged-/usr Debian-like root: systemd behind sbin/init, os-release under usr/lib. */
static const struct tent debianish[] = {
	{"./", S_IFDIR | 0755, NULL, NULL},
	{"./usr/", S_IFDIR | 0755, NULL, NULL},
	{"./usr/lib/", S_IFDIR | 0755, NULL, NULL},
	{"./lib", S_IFLNK | 0777, NULL, "usr/lib"},
	{"./usr/lib/systemd/", S_IFDIR | 0755, NULL, NULL},
	{"./usr/lib/systemd/systemd", S_IFREG | 0755, "ELF", NULL},
	{"./usr/lib/os-release", S_IFREG | 0644,
         "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\n"
         "VERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\nID=debian\n",
         NULL},
	{"./etc/", S_IFDIR | 0755, NULL, NULL},
	{"./etc/os-release", S_IFLNK | 0777, NULL, "../usr/lib/os-release"},
	{"./sbin", S_IFLNK | 0777, NULL, "usr/sbin"},
	{"./usr/sbin/", S_IFDIR | 0755, NULL, NULL},
	{"./usr/sbin/init", S_IFLNK | 0777, NULL, "../lib/systemd/systemd"},
};

/* busybox-like with what unpack skips: two device nodes and a FIFO */
static const struct tent with_devices[] = {
	{"etc/os-release", S_IFREG | 0644, "ID=alpine\n", NULL},
	{"bin/busybox", S_IFREG | 0755, "ELF", NULL},
	{"sbin/init", S_IFLNK | 0777, NULL, "../bin/busybox"},
	{"dev/null", S_IFCHR | 0666, NULL, NULL},
	{"dev/sda", S_IFBLK | 0660, NULL, NULL},
	{"run/initctl", S_IFIFO | 0600, NULL, NULL},
};

static const struct tent sysvish[] = {
	{"etc/os-release", S_IFREG | 0644, "ID=devuan\nVERSION_ID=5\n", NULL},
	{"sbin/init", S_IFREG | 0755, "ELF", NULL},
};

static char *sha256_of(const char *path, char hex[65])
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(template_sha256_copy(fd, -1, hex, NULL), 0);
	return hex;
}

/* Nothing but the directory itself: no temp file, no half template. */
static void assert_store_empty(void)
{
	_cleanup_close_ int fd = open(store, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_closedir_ DIR *d = fdopendir(TAKE_FD(fd));
	struct dirent *de;
	unsigned n = 0;

	ck_assert_ptr_nonnull(d);
	/* trees/ (the shared trees' private directory) may stay */
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0 &&
		    strcmp(de->d_name, TEMPLATE_TREES_DIR) != 0)
			n++;
	ck_assert_uint_eq(n, 0);
}

START_TEST(test_import_detects_debian)
{
	struct template_import_opts o = {.name = "deb"};
	struct vps_template_meta m, l;
	char reason[256], hex[65];

	make_tar(tarpath, debianish, ELEMENTSOF(debianish), true);
	o.sha256 = sha256_of(tarpath, hex);
	ck_assert_int_eq(template_import(store, tarpath, &o, &m, reason), 0);
	ck_assert_str_eq(m.os, "debian");
	ck_assert_str_eq(m.release, "bookworm");
	ck_assert_str_eq(m.init, "/lib/systemd/systemd");
	ck_assert_int_eq(m.poweroff_signal, SIGRTMIN + 4);
	ck_assert_str_eq(m.sha256, hex);
	ck_assert_int_eq(template_lookup(store, "deb", &l), 0);
	ck_assert_str_eq(l.sha256, hex);
	ck_assert_ptr_nonnull(strstr(l.file, "/deb.tar.gz"));
	ck_assert_int_eq(template_verify(&l), 0);
	/* The name is taken now. */
	ck_assert_int_eq(template_import(store, tarpath, &o, &m, reason), -EEXIST);
}
END_TEST

START_TEST(test_import_wrong_checksum_stores_nothing)
{
	struct template_import_opts o = {
		.name = "deb",
		.sha256 = "0000000000000000000000000000000000000000000000000000000000000000",
	};
	struct vps_template_meta m;
	char reason[256];

	make_tar(tarpath, debianish, ELEMENTSOF(debianish), true);
	ck_assert_int_eq(template_import(store, tarpath, &o, &m, reason), -EBADMSG);
	ck_assert_ptr_nonnull(strstr(reason, "checksum mismatch"));
	assert_store_empty();
	o.sha256 = "abc";
	ck_assert_int_eq(template_import(store, tarpath, &o, &m, reason), -EINVAL);
	assert_store_empty();
}
END_TEST

START_TEST(test_import_refusals)
{
	struct template_import_opts o = {.name = "x"};
	struct vps_template_meta m;
	char reason[256];

	/* An uncompressed tarball is not one of the store's formats. */
	make_tar(tarpath, debianish, ELEMENTSOF(debianish), false);
	ck_assert_int_eq(template_import(store, tarpath, &o, &m, reason), -EBADMSG);
	assert_store_empty();
	/* Not a tarball at all, though it claims gzip. */
	ck_assert_int_eq(write_file_atomic_at(AT_FDCWD, tarpath, "\x1f\x8bjunkjunk", 10, 0644), 0);
	ck_assert_int_eq(template_import(store, tarpath, &o, &m, reason), -EBADMSG);
	assert_store_empty();
	/* A sysvinit root: no signal we know, unless told. */
	make_tar(tarpath, sysvish, ELEMENTSOF(sysvish), true);
	ck_assert_int_eq(template_import(store, tarpath, &o, &m, reason), -ENOENT);
	ck_assert_ptr_nonnull(strstr(reason, "--poweroff-signal"));
	assert_store_empty();
	o.init = "/sbin/init";
	o.poweroff_signal = SIGPWR;
	ck_assert_int_eq(template_import(store, tarpath, &o, &m, reason), 0);
	ck_assert_str_eq(m.os, "devuan");
	ck_assert_str_eq(m.release, "5");
	ck_assert_int_eq(m.poweroff_signal, SIGPWR);
	/* Bad names and missing files. */
	o.name = "../x";
	ck_assert_int_eq(template_import(store, tarpath, &o, &m, reason), -EINVAL);
	o.name = "y";
	ck_assert_int_eq(template_import(store, "/nonexistent.tar.gz", &o, &m, reason), -ENOENT);
}
END_TEST

START_TEST(test_import_counts_devices)
{
	struct template_devices dev = {0};
	struct template_import_opts o = {.name = "bb", .ret_devices = &dev};
	struct vps_template_meta m;
	char reason[256];

	make_tar(tarpath, with_devices, ELEMENTSOF(with_devices), true);
	ck_assert_int_eq(template_import(store, tarpath, &o, &m, reason), 0);
	ck_assert_uint_eq(dev.n, 3);
	ck_assert_str_eq(dev.example, "dev/null");
	/* none: the count is 0 */
	make_tar(tarpath, sysvish, ELEMENTSOF(sysvish), true);
	o = (struct template_import_opts){
		.name = "sv", .init = "/sbin/init", .poweroff_signal = 10, .ret_devices = &dev};
	ck_assert_int_eq(template_import(store, tarpath, &o, &m, reason), 0);
	ck_assert_uint_eq(dev.n, 0);
}
END_TEST

START_TEST(test_remove_and_shared_tree)
{
	struct template_import_opts o = {.name = "deb"};
	struct vps_template_meta m;
	char reason[256], path[256], file[256];
	struct stat st;

	make_tar(tarpath, debianish, ELEMENTSOF(debianish), true);
	ck_assert_int_eq(template_import(store, tarpath, &o, &m, reason), 0);
	ck_assert_int_eq(template_shared_tree_exists(store, "deb"), 0);
	ck_assert_int_eq(template_shared_tree(store, &m, 0, path, sizeof(path), reason), 0);
	ck_assert_int_eq(template_shared_tree_exists(store, "deb"), 1);
	snprintf(file, sizeof(file), "%s/usr/lib/systemd/systemd", path);
	ck_assert_int_eq(lstat(file, &st), 0);
	/* in the private trees directory, which is root's only */
	snprintf(file, sizeof(file), "%s/" TEMPLATE_TREES_DIR "/deb.rootfs", store);
	ck_assert_str_eq(path + strlen(path) - strlen(file + strlen(store)), file + strlen(store));
	snprintf(file, sizeof(file), "%s/" TEMPLATE_TREES_DIR, store);
	ck_assert_int_eq(lstat(file, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0700);
	/* The second use finds the tree; nothing is unpacked again. */
	ck_assert_int_eq(template_shared_tree(store, &m, 0, path, sizeof(path), reason), 0);
	ck_assert_int_eq(template_remove(store, "deb"), 0);
	ck_assert_int_eq(template_shared_tree_exists(store, "deb"), 0);
	assert_store_empty();
	/* A leftover tree blocks a new template of that name until it is gone (it would be
	 * taken for the new template's tree). */
	snprintf(path, sizeof(path), "%s/deb.rootfs", store);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	ck_assert_int_eq(template_import(store, tarpath, &o, &m, reason), -EBUSY);
	ck_assert_int_eq(template_shared_tree_remove(store, "deb"), 0);
	assert_store_empty();
	/* An older vpsctl's tree beside the tarballs is retired into trees/ and removed with
	 * the rest. */
	ck_assert_int_eq(mkdir(path, 0755), 0);
	ck_assert_int_eq(template_shared_tree_retire_legacy(store, "deb"), 1);
	ck_assert_int_eq(template_shared_tree_retire_legacy(store, "deb"), 0);
	ck_assert_int_eq(access(path, F_OK), -1);
	snprintf(file, sizeof(file),
	         "%s/" TEMPLATE_TREES_DIR "/deb.rootfs" TEMPLATE_UNSHIFTED_SUFFIX, store);
	ck_assert_int_eq(access(file, F_OK), 0);
	ck_assert_int_eq(template_shared_tree_remove(store, "deb"), 0);
	ck_assert_int_eq(access(file, F_OK), -1);
	ck_assert_int_eq(template_remove(store, "deb"), -ENOENT);
	ck_assert_int_eq(template_remove(store, "../etc"), -EINVAL);
}
END_TEST

START_TEST(test_os_release_and_init_guess)
{
	char os[32], rel[32], init[256];
	int sig = 0;

	ck_assert_int_eq(template_os_release_parse("ID=ubuntu\nVERSION_ID=\"24.04\"\n", os,
	                                           sizeof(os), rel, sizeof(rel)),
	                 0);
	ck_assert_str_eq(os, "ubuntu");
	ck_assert_str_eq(rel, "24.04");
	/* Quotes go, and characters the metadata file refuses become '-'. */
	ck_assert_int_eq(
		template_os_release_parse("ID='my os'\n", os, sizeof(os), rel, sizeof(rel)), 0);
	ck_assert_str_eq(os, "my-os");
	ck_assert_str_eq(rel, "unknown");
	ck_assert_int_eq(template_os_release_parse("NAME=x\n", os, sizeof(os), rel, sizeof(rel)),
	                 -EBADMSG);
	ck_assert_int_eq(template_init_guess(false, false, false, "../bin/busybox", false, init,
	                                     sizeof(init), &sig),
	                 0);
	ck_assert_str_eq(init, "/sbin/init");
	ck_assert_int_eq(sig, SIGUSR2);
	ck_assert_int_eq(
		template_init_guess(true, false, false, "", false, init, sizeof(init), &sig), 0);
	ck_assert_str_eq(init, "/lib/systemd/systemd");
	ck_assert_int_eq(
		template_init_guess(false, true, false, "", false, init, sizeof(init), &sig), 0);
	ck_assert_str_eq(init, "/usr/lib/systemd/systemd");
	ck_assert_int_eq(sig, SIGRTMIN + 4);
	/* systemd installed but another init in charge: not ours to guess. */
	ck_assert_int_eq(template_init_guess(true, false, false, "/sbin/runit-init", false, init,
	                                     sizeof(init), &sig),
	                 -ENOENT);
	ck_assert_int_eq(
		template_init_guess(true, false, false, "", true, init, sizeof(init), &sig),
		-ENOENT);
	ck_assert_int_eq(
		template_init_guess(false, false, false, "", false, init, sizeof(init), &sig),
		-ENOENT);
}
END_TEST

START_TEST(test_magic_and_hex)
{
	ck_assert_str_eq(template_suffix_for_magic((const uint8_t *)"\x28\xb5\x2f\xfd\0", 5),
	                 ".tar.zst");
	ck_assert_str_eq(template_suffix_for_magic((const uint8_t *)"\xfd"
	                                                            "7zXZ\0",
	                                           6),
	                 ".tar.xz");
	ck_assert_str_eq(template_suffix_for_magic((const uint8_t *)"\x1f\x8b", 2), ".tar.gz");
	ck_assert_ptr_null(template_suffix_for_magic((const uint8_t *)"ustar", 5));
	ck_assert_ptr_null(template_suffix_for_magic((const uint8_t *)"\x1f", 1));
	ck_assert(template_sha256_hex_valid(
		"ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef0123456789"));
	ck_assert(!template_sha256_hex_valid(
		"ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef012345678g"));
	ck_assert(!template_sha256_hex_valid("abcd"));
	ck_assert(!template_sha256_hex_valid(NULL));
}
END_TEST

START_TEST(test_debian_parsers)
{
	ck_assert(template_debian_packages_valid("vim"));
	ck_assert(template_debian_packages_valid("vim,curl,libc6-dev,g++,python3.11"));
	ck_assert(!template_debian_packages_valid(""));
	ck_assert(!template_debian_packages_valid("vim,"));
	ck_assert(!template_debian_packages_valid(",vim"));
	ck_assert(!template_debian_packages_valid("vim curl"));
	ck_assert(!template_debian_packages_valid("Vim"));
	ck_assert(!template_debian_packages_valid("vim;rm"));
	ck_assert(!template_debian_packages_valid("-vim"));
	ck_assert(template_debian_release_valid("bookworm"));
	ck_assert(!template_debian_release_valid("bookworm-security"));
	ck_assert(!template_debian_release_valid("12"));
	ck_assert(!template_debian_release_valid(""));
}
END_TEST

static void check_rewrite(const char *in, const char *want)
{
	_cleanup_free_ char *out = NULL;

	ck_assert_int_eq(template_sources_rewrite(in, "bookworm", "trixie", &out), 0);
	ck_assert_str_eq(out, want);
}

START_TEST(test_sources_rewrite)
{
	check_rewrite("Types: deb\nURIs: http://mirror/debian\nSuites: bookworm bookworm-updates\n"
	              "Components: main\n",
	              "Types: deb\nURIs: http://mirror/debian\nSuites: trixie trixie-updates\n"
	              "Components: main\n");
	check_rewrite("deb http://mirror/debian bookworm main\n"
	              "deb-src http://mirror/debian bookworm-security main contrib\n",
	              "deb http://mirror/debian trixie main\n"
	              "deb-src http://mirror/debian trixie-security main contrib\n");
	/* Options in brackets, comments, and suites that are not the host's stay. */
	check_rewrite("deb [signed-by=/k.gpg arch=amd64] http://m/d bookworm main\n"
	              "# deb http://m/d bookworm main\n"
	              "deb http://m/d sid main\nSuites: bookwormish\n",
	              "deb [signed-by=/k.gpg arch=amd64] http://m/d trixie main\n"
	              "# deb http://m/d bookworm main\n"
	              "deb http://m/d sid main\nSuites: bookwormish\n");
	check_rewrite("", "");
}
END_TEST

static void put(const char *dir, const char *name, const char *text)
{
	_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	ck_assert_int_ge(dfd, 0);
	ck_assert_int_eq(write_file_atomic_at(dfd, name, text, strlen(text), 0644), 0);
}

START_TEST(test_host_sources)
{
	_cleanup_strv_free_ char **v = NULL;
	char apt[128], d[160], codename[32];

	snprintf(apt, sizeof(apt), "%s/apt", tmpdir);
	snprintf(d, sizeof(d), "%s/sources.list.d", apt);
	ck_assert_int_eq(mkdir(apt, 0755), 0);
	ck_assert_int_eq(template_host_sources(apt, &v), -ENOENT);
	ck_assert_int_eq(mkdir(d, 0755), 0);
	/* A comment-only sources.list is no source; names apt ignores are skipped too. */
	put(apt, "sources.list", "# nothing\n\n");
	put(d, "z.sources", "Types: deb\n");
	put(d, "a.list", "  deb http://x/ y main\n");
	put(d, "b.list.disabled-by-farm", "deb http://x/ y main\n");
	put(d, "c.list", "#deb http://x/ y main\n");
	ck_assert_int_eq(template_host_sources(apt, &v), 0);
	ck_assert_ptr_nonnull(v[0]);
	ck_assert_ptr_nonnull(strstr(v[0], "/sources.list.d/a.list"));
	ck_assert_ptr_nonnull(v[1]);
	ck_assert_ptr_nonnull(strstr(v[1], "/sources.list.d/z.sources"));
	ck_assert_ptr_null(v[2]);
	put(tmpdir, "os-release", "ID=debian\nVERSION_CODENAME=trixie\n");
	snprintf(d, sizeof(d), "%s/os-release", tmpdir);
	ck_assert_int_eq(template_host_codename(d, codename, sizeof(codename)), 0);
	ck_assert_str_eq(codename, "trixie");
	put(tmpdir, "os-release", "ID=alpine\nVERSION_ID=3.19\n");
	ck_assert_int_eq(template_host_codename(d, codename, sizeof(codename)), -ENOENT);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("template-import");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_import_detects_debian);
	tcase_add_test(tc, test_import_wrong_checksum_stores_nothing);
	tcase_add_test(tc, test_import_refusals);
	tcase_add_test(tc, test_remove_and_shared_tree);
	tcase_add_test(tc, test_import_counts_devices);
	tcase_add_test(tc, test_os_release_and_init_guess);
	tcase_add_test(tc, test_magic_and_hex);
	tcase_add_test(tc, test_debian_parsers);
	tcase_add_test(tc, test_sources_rewrite);
	tcase_add_test(tc, test_host_sources);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
