/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

START_TEST(test_set_first_wins)
{
	struct vps_error e = VPS_ERROR_INIT;

	ck_assert(!vps_error_is_set(&e));
	ck_assert_int_eq(vps_error_set(&e, -EINVAL, "bad key '%s'", "X"), -EINVAL);
	ck_assert_str_eq(e.msg, "bad key 'X'");
	ck_assert_int_eq(e.code, -EINVAL);
	/* the later, vaguer reason does not replace the precise one, but its code is returned */
	ck_assert_int_eq(vps_error_set(&e, -EIO, "cannot load"), -EIO);
	ck_assert_str_eq(e.msg, "bad key 'X'");
	ck_assert_int_eq(e.code, -EINVAL);
	vps_error_clear(&e);
	ck_assert(!vps_error_is_set(&e));
	ck_assert_int_eq(e.code, 0);
	vps_error_set(&e, -EIO, "second");
	ck_assert_str_eq(e.msg, "second");
}
END_TEST

START_TEST(test_errno_and_null)
{
	struct vps_error e = VPS_ERROR_INIT;

	ck_assert_int_eq(vps_error_errno(&e, -ENOENT, "open '%s'", "/x"), -ENOENT);
	ck_assert_str_eq(e.msg, "open '/x': No such file or directory");
	/* NULL: the caller does not want the reason, the code still comes back */
	ck_assert_int_eq(vps_error_set(NULL, -EPERM, "x"), -EPERM);
	ck_assert_int_eq(vps_error_errno(NULL, -EPERM, "x"), -EPERM);
	ck_assert_int_eq(vps_error_prefix(NULL, -EPERM, "x"), -EPERM);
	vps_error_append(NULL, -EPERM, "x");
	ck_assert(!vps_error_is_set(NULL));
	ck_assert_str_eq(vps_error_message(NULL, -EPERM), strerror(EPERM));
	/* an empty format still leaves a set error with a reason */
	vps_error_clear(&e);
	vps_error_set(&e, -EACCES, "%s", "");
	ck_assert(vps_error_is_set(&e));
	ck_assert_str_eq(e.msg, strerror(EACCES));
}
END_TEST

START_TEST(test_prefix)
{
	struct vps_error e = VPS_ERROR_INIT;

	/* unset: the context alone, with the code's text */
	ck_assert_int_eq(vps_error_prefix(&e, -EEXIST, "create '%s'", "a"), -EEXIST);
	ck_assert_str_eq(e.msg, "create 'a': File exists");
	/* set: context in front, the inner code kept */
	ck_assert_int_eq(vps_error_prefix(&e, -EIO, "vps.conf"), -EEXIST);
	ck_assert_str_eq(e.msg, "vps.conf: create 'a': File exists");
	ck_assert_int_eq(e.code, -EEXIST);
}
END_TEST

START_TEST(test_truncation)
{
	struct vps_error e = VPS_ERROR_INIT;
	char big[1000];
	size_t len;

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	vps_error_set(&e, -E2BIG, "%s", big);
	len = strlen(e.msg);
	ck_assert_uint_eq(len, sizeof(e.msg) - 1);
	ck_assert_str_eq(e.msg + len - 3, "...");
	/* a prefix on a full reason cuts the tail, not the context, and says so */
	vps_error_prefix(&e, 0, "ctx");
	ck_assert_uint_eq(strlen(e.msg), sizeof(e.msg) - 1);
	ck_assert(strncmp(e.msg, "ctx: aaa", 8) == 0);
	ck_assert_str_eq(e.msg + strlen(e.msg) - 3, "...");
	/* strerror appended to a long format is cut the same way */
	vps_error_clear(&e);
	vps_error_errno(&e, -ENOENT, "%.*s", (int)sizeof(e.msg) - 5, big);
	ck_assert_uint_eq(strlen(e.msg), sizeof(e.msg) - 1);
	ck_assert_str_eq(e.msg + strlen(e.msg) - 3, "...");
	/* exactly fitting is not marked */
	vps_error_clear(&e);
	vps_error_set(&e, -E2BIG, "%.*s", (int)sizeof(e.msg) - 1, big);
	ck_assert_uint_eq(strlen(e.msg), sizeof(e.msg) - 1);
	ck_assert_int_eq(e.msg[sizeof(e.msg) - 2], 'a');
}
END_TEST

START_TEST(test_append)
{
	struct vps_error e = VPS_ERROR_INIT;
	int i;

	vps_error_append(&e, -EBUSY, "killed %d", 1);
	vps_error_append(&e, -EIO, ", %d", 2);
	ck_assert_str_eq(e.msg, "killed 1, 2");
	ck_assert_int_eq(e.code, -EBUSY);
	for (i = 0; i < 200; i++)
		vps_error_append(&e, -EBUSY, ", %d", i);
	ck_assert_uint_eq(strlen(e.msg), sizeof(e.msg) - 1);
	ck_assert_str_eq(e.msg + strlen(e.msg) - 3, "...");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("error");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_set_first_wins);
	tcase_add_test(tc, test_errno_and_null);
	tcase_add_test(tc, test_prefix);
	tcase_add_test(tc, test_truncation);
	tcase_add_test(tc, test_append);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
