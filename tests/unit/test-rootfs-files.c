/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What create writes into a new root: SSH keys and the resolver, and the parsers behind them. */
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
#include "rootfs-files.h"

#define KEY1 "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBn3yQkAgBlO3hS7zR2oZk0nq0Xo7tEo+9n0n2nDJ4qC a@b"
#define KEY2 "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTY= c"

static char root[64];
static int rootfd = -EBADF;

static void setup(void)
{
	strcpy(root, "/tmp/vpsctl-rootfs-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
	rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(rootfd, 0);
}

static void teardown(void)
{
	closep(&rootfd);
	ck_assert_int_eq(rm_rf_at(AT_FDCWD, root), 0);
}

static char *slurp(const char *rel)
{
	char *text = NULL;

	ck_assert_int_eq(read_file_at(rootfd, rel, 65536, &text, NULL), 0);
	return text;
}

/* A cleared error for each call: the first reason wins, so a reused one keeps the old. */
static struct vps_error *fresh(struct vps_error *e)
{
	vps_error_clear(e);
	return e;
}

START_TEST(test_ssh_keys_check)
{
	struct vps_error err = VPS_ERROR_INIT;

	ck_assert_int_eq(rootfs_ssh_keys_check(KEY1 "\n", fresh(&err)), 0);
	ck_assert_int_eq(rootfs_ssh_keys_check("# mine\n\n" KEY1 "\n" KEY2, fresh(&err)), 0);
	ck_assert_int_eq(rootfs_ssh_keys_check("", fresh(&err)), -EINVAL);
	ck_assert_str_eq(err.msg, "no SSH public key in it");
	ck_assert_int_eq(rootfs_ssh_keys_check("# only a comment\n", fresh(&err)), -EINVAL);
	ck_assert_int_eq(
		rootfs_ssh_keys_check("-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl\n", fresh(&err)),
		-EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "private key"));
	ck_assert_int_eq(rootfs_ssh_keys_check(KEY1 "\nrm -rf /\n", fresh(&err)), -EINVAL);
	ck_assert_str_eq(err.msg, "line 2 is not an SSH public key");
	/* authorized_keys options are not for a key file; nor are bad base64 or control chars. */
	ck_assert_int_eq(rootfs_ssh_keys_check("command=\"x\" " KEY1, fresh(&err)), -EINVAL);
	ck_assert_int_eq(rootfs_ssh_keys_check("ssh-ed25519 AAAA$$$$AAAAAAAAAAAAAAA", fresh(&err)),
	                 -EINVAL);
	ck_assert_int_eq(
		rootfs_ssh_keys_check("ssh-ed25519 AAAAAAAAAAAAAAAAAAAA\x01x", fresh(&err)),
		-EINVAL);
	ck_assert_int_eq(rootfs_ssh_keys_check("ssh-ed25519\n", fresh(&err)), -EINVAL);
}
END_TEST

START_TEST(test_authorized_keys)
{
	_cleanup_free_ char *a = NULL, *b = NULL;
	struct stat st;

	ck_assert_int_eq(mkdirat(rootfd, "root", 0700), 0);
	ck_assert_int_eq(rootfs_add_authorized_keys(rootfd, KEY1, getuid(), getgid()), 0);
	ck_assert_int_eq(fstatat(rootfd, "root/.ssh", &st, AT_SYMLINK_NOFOLLOW), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0700);
	ck_assert_int_eq(fstatat(rootfd, "root/.ssh/authorized_keys", &st, AT_SYMLINK_NOFOLLOW), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	a = slurp("root/.ssh/authorized_keys");
	ck_assert_str_eq(a, KEY1 "\n");
	/* Appends; an existing file without a final newline gets one first. */
	ck_assert_int_eq(write_file_atomic_at(rootfd, "root/.ssh/authorized_keys", "x y", 3, 0644),
	                 0);
	ck_assert_int_eq(rootfs_add_authorized_keys(rootfd, KEY2 "\n", getuid(), getgid()), 0);
	b = slurp("root/.ssh/authorized_keys");
	ck_assert_str_eq(b, "x y\n" KEY2 "\n");
}
END_TEST

/* A template whose /root/.ssh or /root points at the host must not get the key written there. */
START_TEST(test_authorized_keys_symlink_refused)
{
	char host[64], hostfile[128];

	strcpy(host, "/tmp/vpsctl-hostside-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(host));
	ck_assert_int_eq(mkdirat(rootfd, "root", 0700), 0);
	ck_assert_int_eq(symlinkat(host, rootfd, "root/.ssh"), 0);
	ck_assert_int_lt(rootfs_add_authorized_keys(rootfd, KEY1, getuid(), getgid()), 0);
	snprintf(hostfile, sizeof(hostfile), "%s/authorized_keys", host);
	ck_assert_int_eq(access(hostfile, F_OK), -1);
	ck_assert_int_eq(rm_rf_at(rootfd, "root"), 0);
	ck_assert_int_eq(symlinkat(host, rootfd, "root"), 0);
	ck_assert_int_lt(rootfs_add_authorized_keys(rootfd, KEY1, getuid(), getgid()), 0);
	snprintf(hostfile, sizeof(hostfile), "%s/.ssh", host);
	ck_assert_int_eq(access(hostfile, F_OK), -1);
	ck_assert_int_eq(rm_rf_at(AT_FDCWD, host), 0);
}
END_TEST

START_TEST(test_resolv_conf)
{
	_cleanup_free_ char *out = NULL, *none = NULL, *written = NULL;
	char etc[128];

	ck_assert_int_eq(rootfs_resolv_conf_filter("# host\nnameserver 127.0.0.53\n"
	                                           "nameserver 10.0.0.1\nsearch example.com\n"
	                                           "options edns0\nnameserver ::1\nsortlist x\n",
	                                           &out),
	                 0);
	ck_assert_ptr_nonnull(out);
	ck_assert_ptr_null(strstr(out, "127.0.0.53"));
	ck_assert_ptr_null(strstr(out, "::1"));
	ck_assert_ptr_null(strstr(out, "sortlist"));
	ck_assert_ptr_nonnull(
		strstr(out, "\nnameserver 10.0.0.1\nsearch example.com\noptions edns0\n"));
	/* Only the resolved stub: nothing worth giving. */
	ck_assert_int_eq(rootfs_resolv_conf_filter("nameserver 127.0.0.53\nsearch x\n", &none), 0);
	ck_assert_ptr_null(none);
	snprintf(etc, sizeof(etc), "%s/etc", root);
	ck_assert_int_eq(mkdir(etc, 0755), 0);
	ck_assert_int_eq(rootfs_write_resolv_conf(rootfd, out, getuid(), getgid()), 0);
	written = slurp("etc/resolv.conf");
	ck_assert_str_eq(written, out);
	/* The template's own (here a link to a resolver's file) is left alone. */
	ck_assert_int_eq(unlinkat(rootfd, "etc/resolv.conf", 0), 0);
	ck_assert_int_eq(symlinkat("../run/resolved.conf", rootfd, "etc/resolv.conf"), 0);
	ck_assert_int_eq(rootfs_write_resolv_conf(rootfd, out, getuid(), getgid()), 0);
	ck_assert_int_eq(faccessat(rootfd, "run/resolved.conf", F_OK, AT_SYMLINK_NOFOLLOW), -1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("rootfs-files");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_ssh_keys_check);
	tcase_add_test(tc, test_authorized_keys);
	tcase_add_test(tc, test_authorized_keys_symlink_refused);
	tcase_add_test(tc, test_resolv_conf);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
