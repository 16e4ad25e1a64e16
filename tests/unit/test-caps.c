/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "caps.h"
#include "security.h"

START_TEST(test_parse_list)
{
	uint64_t m;

	ck_assert_int_eq(vps_caps_parse_list("NET_ADMIN,SYS_NICE", &m), 0);
	ck_assert_uint_eq(m, VPS_CAP_BIT(CAP_NET_ADMIN) | VPS_CAP_BIT(CAP_SYS_NICE));
	ck_assert_int_eq(vps_caps_parse_list(" cap_net_admin  CAP_Sys_Nice,", &m), 0);
	ck_assert_uint_eq(m, VPS_CAP_BIT(CAP_NET_ADMIN) | VPS_CAP_BIT(CAP_SYS_NICE));
	ck_assert_int_eq(vps_caps_parse_list("", &m), 0);
	ck_assert_uint_eq(m, 0);
	ck_assert_int_eq(vps_caps_parse_list("ALL", &m), 0);
	ck_assert_uint_eq(m, vps_caps_all());
	ck_assert_uint_eq(vps_caps_all() >> CAP_LAST_CAP, 1);
	ck_assert_int_eq(vps_caps_parse_list("CHECKPOINT_RESTORE", &m), 0);
	ck_assert_uint_eq(m, VPS_CAP_BIT(CAP_CHECKPOINT_RESTORE));
	ck_assert_int_eq(vps_caps_parse_list("NET_ADMIN,BOGUS", &m), -EINVAL);
	ck_assert_int_eq(vps_caps_parse_list("12", &m), -EINVAL);
	ck_assert_int_eq(vps_caps_parse_list("cap_", &m), -EINVAL);
	ck_assert_int_eq(vps_caps_parse_list("all,NET_ADMIN", &m), -EINVAL);
	ck_assert_int_eq(vps_caps_parse_list("NET-ADMIN", &m), -EINVAL);
}
END_TEST

START_TEST(test_default_and_never)
{
	uint64_t d = vps_caps_default(), n = vps_caps_never();
	char buf[512];

	ck_assert_int_eq(__builtin_popcountll(d), 15);
	ck_assert_uint_eq(d & n, 0);
	ck_assert(d & VPS_CAP_BIT(CAP_SYS_BOOT));
	ck_assert(!(d & VPS_CAP_BIT(CAP_NET_ADMIN)));
	ck_assert(!(d & VPS_CAP_BIT(CAP_SYS_ADMIN)));
	ck_assert(n & VPS_CAP_BIT(CAP_SYS_MODULE));
	ck_assert(n & VPS_CAP_BIT(CAP_SYS_PTRACE));
	ck_assert(n & VPS_CAP_BIT(CAP_DAC_READ_SEARCH));
	ck_assert(n & VPS_CAP_BIT(CAP_BPF));
	ck_assert_int_eq(vps_caps_format_list(d, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf,
	                 "CHOWN,DAC_OVERRIDE,FOWNER,FSETID,KILL,SETGID,SETUID,SETPCAP,"
	                 "NET_BIND_SERVICE,NET_RAW,SYS_CHROOT,SYS_BOOT,MKNOD,AUDIT_WRITE,SETFCAP");
	ck_assert_int_eq(vps_caps_format_list(d, buf, 10), -ENAMETOOLONG);
	ck_assert_int_eq(vps_caps_format_list(0, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "");
}
END_TEST

/* keep_mask of two lists as vps.conf writes them; a list that does not parse fails so. */
static int keep(const char *add, const char *drop, bool userns, uint64_t *ret)
{
	uint64_t a = 0, d = 0;
	int r = vps_caps_parse_list(add ? add : "", &a);

	if (r == 0)
		r = vps_caps_parse_list(drop ? drop : "", &d);
	return r < 0 ? r : vps_caps_keep_mask(a, d, userns, ret);
}

START_TEST(test_keep_mask)
{
	uint64_t k;

	ck_assert_int_eq(keep("", "", false, &k), 0);
	ck_assert_uint_eq(k, vps_caps_default());
	ck_assert_int_eq(keep(NULL, NULL, false, &k), 0);
	ck_assert_uint_eq(k, vps_caps_default());
	ck_assert_int_eq(keep("NET_ADMIN", "MKNOD,NET_RAW", false, &k), 0);
	ck_assert_uint_eq(k, (vps_caps_default() | VPS_CAP_BIT(CAP_NET_ADMIN)) &
	                             ~(VPS_CAP_BIT(CAP_MKNOD) | VPS_CAP_BIT(CAP_NET_RAW)));
	ck_assert_int_eq(keep("SYS_ADMIN", "", false, &k), -EPERM);
	ck_assert_int_eq(keep("NET_ADMIN,SYS_MODULE", "", false, &k), -EPERM);
	ck_assert_int_eq(keep("all", "", false, &k), 0);
	ck_assert_uint_eq(k, vps_caps_all() & ~vps_caps_never());
	ck_assert_int_eq(keep("", "all", false, &k), 0);
	ck_assert_uint_eq(k, 0);
	ck_assert_int_eq(keep("BOGUS", "", false, &k), -EINVAL);
}
END_TEST

/* With a user namespace: NET_ADMIN by default, SYS_ADMIN grantable, the rest as without. */
START_TEST(test_keep_mask_userns)
{
	uint64_t k;

	ck_assert_int_eq(keep("", "", true, &k), 0);
	ck_assert_uint_eq(k, vps_caps_default() | VPS_CAP_BIT(CAP_NET_ADMIN));
	ck_assert_int_eq(keep("SYS_ADMIN", "", true, &k), 0);
	ck_assert(k & VPS_CAP_BIT(CAP_SYS_ADMIN));
	ck_assert_int_eq(keep("SYS_PTRACE", "", true, &k), -EPERM);
	ck_assert_int_eq(keep("SYS_MODULE", "", true, &k), -EPERM);
	ck_assert_int_eq(keep("SYS_TIME", "", true, &k), -EPERM);
	ck_assert_int_eq(keep("", "NET_ADMIN", true, &k), 0);
	ck_assert(!(k & VPS_CAP_BIT(CAP_NET_ADMIN)));
}
END_TEST

static uint64_t status_field(const char *name)
{
	char line[256];
	uint64_t v = UINT64_MAX;
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return v;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, name, strlen(name)) == 0)
			sscanf(line + strlen(name), " %" SCNx64, &v);
	fclose(f);
	return v;
}

/* In a child that owns a fresh user namespace (all capabilities there, no root needed):
 * apply a set and read it back from /proc/self/status. Exit 77 when user namespaces are off. */
static int apply_child(uint64_t keep)
{
	if (unshare(CLONE_NEWUSER) < 0 && getuid() != 0)
		return 77;
	if (vps_caps_apply(keep) < 0)
		return 1;
	if (status_field("CapBnd:") != keep || status_field("CapPrm:") != keep ||
	    status_field("CapEff:") != keep)
		return 2;
	if (status_field("CapInh:") != 0 || status_field("CapAmb:") != 0)
		return 3;
	return 0;
}

START_TEST(test_apply)
{
	uint64_t keep = vps_caps_default();
	int status;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(apply_child(keep));
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77)
		return; /* no user namespaces for unprivileged users here */
	ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("caps");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_parse_list);
	tcase_add_test(tc, test_default_and_never);
	tcase_add_test(tc, test_keep_mask);
	tcase_add_test(tc, test_keep_mask_userns);
	tcase_add_test(tc, test_apply);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
