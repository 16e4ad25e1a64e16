/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The configs a supervisor hands vps-supervisor across its exec (supervisor.h). */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "supervisor.h"

static void configs(struct vps_config *cfg, struct node_config *node)
{
	node_config_init(node);
	strcpy(node->bridge, "br-test");
	vps_config_init(cfg, "web1", node);
	strcpy(cfg->ip_address, "10.77.0.2/24 fd77::2/64");
	cfg->bandwidth = 10000000;
	cfg->uid_base = 1065536;
	cfg->quota.memory = 96 << 20;
}

START_TEST(test_round_trip)
{
	struct vps_config cfg, got;
	struct node_config node, got_node;
	int fd;

	configs(&cfg, &node);
	fd = vps_handover_config_fd(&cfg, &node);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	ck_assert_int_eq(vps_handover_config_read(fd, &got, &got_node), 0);
	ck_assert_mem_eq(&got, &cfg, sizeof(cfg));
	ck_assert_mem_eq(&got_node, &node, sizeof(node));
	/* sealed: nobody changes what the supervisor supervises with */
	ck_assert_int_lt(pwrite(fd, "x", 1, 20), 0);
	ck_assert_int_lt(ftruncate(fd, 4), 0);
	close(fd);
}
END_TEST

/* Anything but such a sealed memfd of this build is refused. */
START_TEST(test_refused)
{
	struct vps_config cfg, got;
	struct node_config node, got_node;
	int fd = memfd_create("x", MFD_CLOEXEC | MFD_ALLOW_SEALING), good;
	char buf[64];

	configs(&cfg, &node);
	good = vps_handover_config_fd(&cfg, &node);
	ck_assert_int_ge(good, 0);
	/* the same bytes, not sealed */
	for (off_t off = 0;; off += 64) {
		ssize_t n = pread(good, buf, sizeof(buf), off);

		ck_assert_int_ge(n, 0);
		if (n == 0)
			break;
		ck_assert_int_eq(pwrite(fd, buf, (size_t)n, off), n);
	}
	ck_assert_int_eq(vps_handover_config_read(fd, &got, &got_node), -EBADMSG);
	/* sealed, but one byte short */
	ck_assert_int_eq(ftruncate(fd, lseek(fd, 0, SEEK_END) - 1), 0);
	ck_assert_int_eq(fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW |
					 F_SEAL_WRITE), 0);
	ck_assert_int_eq(vps_handover_config_read(fd, &got, &got_node), -EBADMSG);
	close(fd);
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ck_assert_int_eq(vps_handover_config_read(fd, &got, &got_node), -EBADMSG);
	close(fd);
	close(good);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("handover");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_refused);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
