/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "devices.h"
#include "fileio.h"

START_TEST(test_apply_at)
{
	char dir[] = "/tmp/test-devices.XXXXXX";
	_cleanup_close_ int dfd = -EBADF;
	_cleanup_free_ char *deny = NULL, *allow = NULL;
	size_t n = 0;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(dfd, 0);
	ck_assert_int_eq(vps_devices_apply_at(dfd), -ENOENT);
	for (int i = 0; i < 2; i++) {
		int fd = openat(dfd, i ? "devices.allow" : "devices.deny",
		                O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

		ck_assert_int_ge(fd, 0);
		close(fd);
	}
	ck_assert_int_eq(vps_devices_apply_at(dfd), 0);
	ck_assert_int_eq(read_file_at(dfd, "devices.deny", 4096, &deny, NULL), 0);
	ck_assert_str_eq(deny, "a");
	ck_assert_int_eq(read_file_at(dfd, "devices.allow", 4096, &allow, NULL), 0);
	for (size_t i = 0; vps_devices_allow[i]; i++) {
		ck_assert_ptr_nonnull(strstr(allow, vps_devices_allow[i]));
		n += strlen(vps_devices_allow[i]);
		/* never a block device read/write */
		ck_assert(vps_devices_allow[i][0] != 'b' ||
		          strcmp(vps_devices_allow[i], "b *:* m") == 0);
	}
	ck_assert_uint_eq(strlen(allow), n);
	(void)rm_rf_at(AT_FDCWD, dir);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("devices");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_apply_at);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
