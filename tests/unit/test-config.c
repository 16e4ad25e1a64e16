/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "config.h"

/* Every key gets a non-default value, is formatted, parsed back and compared. */
START_TEST(test_roundtrip_every_key)
{
	static const char *const values[][2] = {
		{"HOSTNAME", "web-1.example.com"}, {"TEMPLATE", "debian-12"},
		{"INIT", "/lib/systemd/systemd"}, {"POWEROFF_SIGNAL", "SIGRTMIN+4"},
		{"ONBOOT", "yes"},             {"CPUS", "1.5"},
		{"CPU_BURST", "0.5"},          {"CPU_WEIGHT", "250"},
		{"MEMORY", "2G"},              {"MEMORY_RESERVE", "512M"},
		{"SWAP", "1G"},                {"PIDS", "4096"},
		{"IO_WEIGHT", "50"},           {"CPUSET", "0-1,3"},
		{"IP_ADDRESS", "10.77.0.2/24 fd77::2/64"}, {"MAC", "02:11:22:33:44:55"},
		{"MTU", "1400"},               {"BANDWIDTH", "10mbit"},
		{"ANTISPOOF", "no"},           {"BOOT_ORDER", "20"},
		{"USERNS", "yes"},             {"UID_BASE", "1065536"},
		{"CAP_ADD", "NET_ADMIN,SYS_NICE"}, {"CAP_DROP", "MKNOD"},
		{"NESTING", "yes"},
		{"STORAGE", "overlay"},        {"DISK", "1G"},
	};
	struct node_config node;
	struct vps_config a, b;
	_cleanup_free_ char *text = NULL;
	char err[128] = "", v[128];

	ck_assert_uint_eq(ELEMENTSOF(values), vps_config_keys_n);
	node_config_init(&node);
	vps_config_init(&a, "web1", &node);
	for (size_t i = 0; i < ELEMENTSOF(values); i++)
		ck_assert_int_eq(conf_set(vps_config_keys, vps_config_keys_n, &a, values[i][0],
					  values[i][1]), 0);
	ck_assert_int_eq(vps_config_format(&a, &text), 0);
	vps_config_init(&b, "web1", &node);
	ck_assert_int_eq(conf_parse(vps_config_keys, vps_config_keys_n, &b, text, err, sizeof(err)), 0);
	for (size_t i = 0; i < ELEMENTSOF(values); i++) {
		const struct conf_key *k = conf_find(vps_config_keys, vps_config_keys_n, values[i][0]);

		ck_assert_ptr_nonnull(k);
		ck_assert_int_eq(conf_format_value(k, &b, v, sizeof(v)), 0);
		ck_assert_str_eq(v, values[i][1]);
	}
	ck_assert_int_eq(memcmp(&a.quota, &b.quota, sizeof(a.quota)), 0);
	ck_assert_int_eq(b.poweroff_signal, SIGRTMIN + 4);
	ck_assert(b.onboot);
	ck_assert(b.nesting);
	ck_assert_str_eq(b.storage, "overlay");
}

/* A vps.conf from before storage modes is a copy, whatever the node's default is now. */
START_TEST(test_storage_default_is_copy)
{
	struct node_config node;
	struct vps_config c;
	char err[128];

	node_config_init(&node);
	strcpy(node.storage, "overlay");
	vps_config_init(&c, "old", &node);
	ck_assert_int_eq(conf_parse(vps_config_keys, vps_config_keys_n, &c, "TEMPLATE=busybox\n", err, sizeof(err)), 0);
	ck_assert_str_eq(c.storage, "copy");
}
END_TEST

START_TEST(test_node_roundtrip)
{
	struct node_config a, b;
	_cleanup_free_ char *text = NULL;
	char err[128];

	node_config_init(&a);
	ck_assert_int_eq(conf_set(node_config_keys, node_config_keys_n, &a, "CGROUP_PARENT", "/x/y"), 0);
	ck_assert_int_eq(conf_set(node_config_keys, node_config_keys_n, &a, "DEFAULT_MEMORY", "1G"), 0);
	ck_assert_int_eq(conf_format(node_config_keys, node_config_keys_n, &a, "", &text), 0);
	memset(&b, 0, sizeof(b));
	ck_assert_int_eq(conf_parse(node_config_keys, node_config_keys_n, &b, text, err, sizeof(err)), 0);
	ck_assert_str_eq(b.cgroup_parent, "/x/y");
	ck_assert_uint_eq(b.defaults.memory, 1ULL << 30);
	ck_assert_uint_eq(b.lock_timeout, a.lock_timeout);
	ck_assert_str_eq(b.storage, "copy");
	ck_assert_int_eq(conf_set(node_config_keys, node_config_keys_n, &a, "STORAGE", "overlay"), 0);
	ck_assert_int_eq(conf_set(node_config_keys, node_config_keys_n, &a, "STORAGE", "Overlay"), -EINVAL);
	ck_assert_str_eq(a.storage, "overlay");
	/* NODE_SERVICES: deny unless said otherwise; only deny and allow */
	ck_assert_str_eq(b.node_services, "deny");
	ck_assert_int_eq(conf_set(node_config_keys, node_config_keys_n, &a, "NODE_SERVICES", "allow"), 0);
	ck_assert_int_eq(conf_set(node_config_keys, node_config_keys_n, &a, "NODE_SERVICES", "open"), -EINVAL);
	ck_assert_int_eq(conf_set(node_config_keys, node_config_keys_n, &a, "NODE_SERVICES", ""), -EINVAL);
	ck_assert_str_eq(a.node_services, "allow");
}
END_TEST

START_TEST(test_parse_errors)
{
	struct node_config node;
	struct vps_config c;
	char err[128];

	node_config_init(&node);
	vps_config_init(&c, "v", &node);
	ck_assert_int_eq(conf_parse(vps_config_keys, vps_config_keys_n, &c, "MEMORY=lots\n", err, sizeof(err)), -EBADMSG);
	ck_assert_str_eq(err, "line 1: invalid MEMORY 'lots'");
	ck_assert_int_eq(conf_parse(vps_config_keys, vps_config_keys_n, &c, "# c\n\nNOPE=1\n", err, sizeof(err)), -EBADMSG);
	ck_assert_str_eq(err, "line 3: unknown key 'NOPE'");
	ck_assert_int_eq(conf_parse(vps_config_keys, vps_config_keys_n, &c, "garbage\n", err, sizeof(err)), -EBADMSG);
	ck_assert_int_eq(conf_parse(vps_config_keys, vps_config_keys_n, &c, "HOSTNAME=\"a;rm -rf\"\n", err, sizeof(err)), -EBADMSG);
	ck_assert_int_eq(conf_parse(vps_config_keys, vps_config_keys_n, &c, "INIT=relative\n", err, sizeof(err)), -EBADMSG);
	ck_assert_int_eq(conf_parse(vps_config_keys, vps_config_keys_n, &c, "CPU_WEIGHT=0\n", err, sizeof(err)), -EBADMSG);
	ck_assert_int_eq(conf_parse(vps_config_keys, vps_config_keys_n, &c, "CPUSET=3-1\n", err, sizeof(err)), -EBADMSG);
	ck_assert_int_eq(conf_parse(vps_config_keys, vps_config_keys_n, &c, "IP_ADDRESS=\"10.0.0.300/24\"\n", err, sizeof(err)), -EBADMSG);
	ck_assert_int_eq(conf_parse(vps_config_keys, vps_config_keys_n, &c, "MAC=\"01:00:00:00:00:01\"\n", err, sizeof(err)), -EBADMSG);
	ck_assert_int_eq(conf_parse(vps_config_keys, vps_config_keys_n, &c, "BANDWIDTH=fast\n", err, sizeof(err)), -EBADMSG);
	ck_assert_int_eq(conf_parse(vps_config_keys, vps_config_keys_n, &c, "CAP_ADD=NET_ADMIN,BOGUS\n", err, sizeof(err)), -EBADMSG);
	ck_assert_str_eq(err, "line 1: invalid CAP_ADD 'NET_ADMIN,BOGUS'");
	ck_assert_int_eq(conf_parse(vps_config_keys, vps_config_keys_n, &c, "CAP_DROP=\"$(reboot)\"\n", err, sizeof(err)), -EBADMSG);
	ck_assert_int_eq(conf_parse(vps_config_keys, vps_config_keys_n, &c, "CAP_DROP=all\n", err, sizeof(err)), 0);
	ck_assert_str_eq(c.cap_drop, "all");
	ck_assert_int_eq(conf_parse(vps_config_keys, vps_config_keys_n, &c, "STORAGE=zfs\n", err, sizeof(err)), -EBADMSG);
	ck_assert_int_eq(conf_parse(vps_config_keys, vps_config_keys_n, &c, "STORAGE=\"\"\n", err, sizeof(err)), -EBADMSG);
	ck_assert_int_eq(conf_parse(vps_config_keys, vps_config_keys_n, &c, "  MEMORY='64M'  \n", err, sizeof(err)), 0);
	ck_assert_uint_eq(c.quota.memory, 64ULL << 20);
}
END_TEST

START_TEST(test_validators)
{
	ck_assert(hostname_is_valid("a"));
	ck_assert(hostname_is_valid("web-1.example.com"));
	ck_assert(!hostname_is_valid(""));
	ck_assert(!hostname_is_valid("-a"));
	ck_assert(!hostname_is_valid("a-"));
	ck_assert(!hostname_is_valid("a..b"));
	ck_assert(!hostname_is_valid("a b"));
	ck_assert(cpuset_is_valid(""));
	ck_assert(cpuset_is_valid("0"));
	ck_assert(cpuset_is_valid("0-3,5,7-8"));
	ck_assert(!cpuset_is_valid("0-"));
	ck_assert(!cpuset_is_valid(",1"));
	ck_assert(!cpuset_is_valid("a"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_roundtrip_every_key);
	tcase_add_test(tc, test_node_roundtrip);
	tcase_add_test(tc, test_parse_errors);
	tcase_add_test(tc, test_validators);
	tcase_add_test(tc, test_storage_default_is_copy);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
