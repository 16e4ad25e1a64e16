/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "caps.h"
#include "cleanup.h"
#include "config.h"
#include "fileio.h"
#include "supervisor.h"

static struct conf_file vps_file, node_file;

static void setup_files(void)
{
	vps_file =
		(struct conf_file){"t.conf", vps_config_keys, vps_config_keys_n, VPS_CONFIG_FORMAT};
	node_file = (struct conf_file){"n.conf", node_config_keys, node_config_keys_n,
	                               NODE_CONFIG_FORMAT};
}

/* Every key gets a non-default value, is formatted, parsed back and compared. */
/* conf_parse with its reason as a string, for the message checks below. */
static int parse_s(const struct conf_file *f, void *obj, const char *text, unsigned *lines,
                   char *err, size_t errlen)
{
	struct vps_error e = VPS_ERROR_INIT;
	int r = conf_parse(f, obj, text, lines, &e);

	snprintf(err, errlen, "%s", e.msg);
	return r;
}

START_TEST(test_roundtrip_every_key)
{
	static const char *const values[][2] = {
		{"HOSTNAME", "web-1.example.com"},
		{"TEMPLATE", "debian-12"},
		{"INIT", "/lib/systemd/systemd"},
		{"POWEROFF_SIGNAL", "SIGRTMIN+4"},
		{"ONBOOT", "yes"},
		{"CPUS", "1.5"},
		{"CPU_BURST", "0.5"},
		{"CPU_WEIGHT", "250"},
		{"MEMORY", "2G"},
		{"MEMORY_RESERVE", "512M"},
		{"SWAP", "1G"},
		{"PIDS", "4096"},
		{"IO_WEIGHT", "50"},
		{"CPUSET", "0-1,3"},
		{"IO_READ_BPS", "10M"},
		{"IO_WRITE_BPS", "2M"},
		{"IO_READ_IOPS", "500"},
		{"IO_WRITE_IOPS", "unlimited"},
		{"IP_ADDRESS", "10.77.0.2/24 fd77::2/64"},
		{"MAC", "02:11:22:33:44:55"},
		{"MTU", "1400"},
		{"BANDWIDTH", "10mbit"},
		{"ANTISPOOF", "no"},
		{"BOOT_ORDER", "20"},
		{"USERNS", "yes"},
		{"UID_BASE", "1065536"},
		{"CAP_ADD", "NET_ADMIN,SYS_NICE"},
		{"CAP_DROP", "MKNOD"},
		{"NESTING", "yes"},
		{"SOCKETCALL", "yes"},
		{"STORAGE", "overlay"},
		{"DISK", "1G"},
		{"PTYS", "8"},
		{"NET_MODE", "routed"},
		{"NAMESERVER", "10.0.0.53 fd00::53"},
		{"SEARCHDOMAIN", "example.com corp.example"},
		{"DESCRIPTION", "web server of client 42"},
		{"FORWARDS", "tcp:8022:22 udp:5353:53"},
		{"DISK_INODES", "5000"},
		{"DISK_QUOTA", "project"},
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
		                          values[i][1]),
		                 0);
	ck_assert_int_eq(vps_config_format(&a, &text), 0);
	vps_config_init(&b, "web1", &node);
	ck_assert_msg(parse_s(&vps_file, &b, text, NULL, err, sizeof(err)) == 0, "%s", err);
	for (size_t i = 0; i < ELEMENTSOF(values); i++) {
		const struct conf_key *k =
			conf_find(vps_config_keys, vps_config_keys_n, values[i][0]);

		ck_assert_ptr_nonnull(k);
		ck_assert_int_eq(conf_format_value(k, &b, v, sizeof(v)), 0);
		ck_assert_str_eq(v, values[i][1]);
	}
	ck_assert_int_eq(memcmp(&a.quota, &b.quota, sizeof(a.quota)), 0);
	ck_assert_int_eq(b.poweroff_signal, SIGRTMIN + 4);
	ck_assert(b.onboot);
	ck_assert(b.nesting);
	ck_assert_int_eq(b.storage, VPS_STORAGE_OVERLAY);
	ck_assert_uint_eq(b.ptys, 8);
}

/* A vps.conf from before storage modes is a copy, whatever the node's default is now. */
START_TEST(test_storage_default_is_copy)
{
	struct node_config node;
	struct vps_config c;
	char err[128];

	node_config_init(&node);
	node.storage = VPS_STORAGE_OVERLAY;
	vps_config_init(&c, "old", &node);
	ck_assert_int_eq(parse_s(&vps_file, &c, "TEMPLATE=busybox\n", NULL, err, sizeof(err)), 0);
	ck_assert_int_eq(c.storage, VPS_STORAGE_COPY);
}
END_TEST

/* A vps.conf from before the pty cap gets the node's default cap, never the whole pool. */
START_TEST(test_ptys_default_is_node_cap)
{
	struct node_config node;
	struct vps_config c;
	char err[128];

	node_config_init(&node);
	node.default_ptys = 32;
	vps_config_init(&c, "old", &node);
	ck_assert_int_eq(parse_s(&vps_file, &c, "TEMPLATE=busybox\n", NULL, err, sizeof(err)), 0);
	ck_assert_uint_eq(c.ptys, 32);
}
END_TEST

/* A vps.conf from before routed mode is bridged, whatever the node's default for new VPSes;
 * an unknown mode is refused. */
START_TEST(test_net_mode_default_is_bridged)
{
	struct node_config node;
	struct vps_config c;
	char err[128];

	node_config_init(&node);
	node.net_mode = VPS_NET_ROUTED;
	vps_config_init(&c, "old", &node);
	ck_assert_int_eq(parse_s(&vps_file, &c, "TEMPLATE=busybox\n", NULL, err, sizeof(err)), 0);
	ck_assert_int_eq(c.net_mode, VPS_NET_BRIDGED);
	ck_assert_int_lt(parse_s(&vps_file, &c, "NET_MODE=venet\n", NULL, err, sizeof(err)), 0);
}
END_TEST

START_TEST(test_node_roundtrip)
{
	struct node_config a, b;
	_cleanup_free_ char *text = NULL;
	char err[128];

	node_config_init(&a);
	ck_assert_int_eq(
		conf_set(node_config_keys, node_config_keys_n, &a, "CGROUP_PARENT", "/x/y"), 0);
	ck_assert_int_eq(conf_set(node_config_keys, node_config_keys_n, &a, "DEFAULT_MEMORY", "1G"),
	                 0);
	ck_assert_uint_eq(a.default_ptys, 256);
	ck_assert_int_eq(conf_set(node_config_keys, node_config_keys_n, &a, "DEFAULT_PTYS", "64"),
	                 0);
	ck_assert_int_eq(conf_format(&node_file, &a, "", &text), 0);
	memset(&b, 0, sizeof(b));
	ck_assert_int_eq(parse_s(&node_file, &b, text, NULL, err, sizeof(err)), 0);
	ck_assert_str_eq(b.cgroup_parent, "/x/y");
	ck_assert_uint_eq(b.defaults.memory, 1ULL << 30);
	ck_assert_uint_eq(b.lock_timeout, a.lock_timeout);
	ck_assert_int_eq(b.storage, VPS_STORAGE_COPY);
	ck_assert_uint_eq(b.default_ptys, 64);
	ck_assert_int_eq(conf_set(node_config_keys, node_config_keys_n, &a, "STORAGE", "overlay"),
	                 0);
	ck_assert_int_eq(conf_set(node_config_keys, node_config_keys_n, &a, "STORAGE", "Overlay"),
	                 -EINVAL);
	ck_assert_int_eq(a.storage, VPS_STORAGE_OVERLAY);
	/* NODE_SERVICES: deny unless said otherwise; only deny and allow */
	ck_assert_int_eq(b.node_services, VPS_NODE_SERVICES_DENY);
	ck_assert_int_eq(
		conf_set(node_config_keys, node_config_keys_n, &a, "NODE_SERVICES", "allow"), 0);
	ck_assert_int_eq(
		conf_set(node_config_keys, node_config_keys_n, &a, "NODE_SERVICES", "open"),
		-EINVAL);
	ck_assert_int_eq(conf_set(node_config_keys, node_config_keys_n, &a, "NODE_SERVICES", ""),
	                 -EINVAL);
	ck_assert_int_eq(a.node_services, VPS_NODE_SERVICES_ALLOW);
	/* CPU_PINNING: auto unless said otherwise; only auto and off, named in the refusal */
	ck_assert_int_eq(b.cpu_pinning, VPS_CPU_PINNING_AUTO);
	ck_assert_int_eq(conf_set(node_config_keys, node_config_keys_n, &a, "CPU_PINNING", "off"),
	                 0);
	ck_assert_int_eq(a.cpu_pinning, VPS_CPU_PINNING_OFF);
	ck_assert_int_eq(conf_set(node_config_keys, node_config_keys_n, &a, "CPU_PINNING", "yes"),
	                 -EINVAL);
	ck_assert_int_eq(a.cpu_pinning, VPS_CPU_PINNING_OFF);
	ck_assert_int_eq(parse_s(&node_file, &b, "CPU_PINNING=always\n", NULL, err, sizeof(err)),
	                 -EBADMSG);
	ck_assert_msg(strstr(err, "n.conf:1:") && strstr(err, "CPU_PINNING"), "%s", err);
}
END_TEST

START_TEST(test_parse_errors)
{
	struct node_config node;
	struct vps_config c;
	char err[256];

	node_config_init(&node);
	vps_config_init(&c, "v", &node);
	ck_assert_int_eq(parse_s(&vps_file, &c, "MEMORY=lots\n", NULL, err, sizeof(err)), -EBADMSG);
	ck_assert_str_eq(err, "t.conf:1: invalid MEMORY 'lots'");
	/* duplicates and the first of several errors, as file:line */
	ck_assert_int_eq(
		parse_s(&vps_file, &c, "MEMORY=64M\n# x\nMEMORY=1G\n", NULL, err, sizeof(err)),
		-EBADMSG);
	ck_assert_str_eq(err, "t.conf:3: duplicate key 'MEMORY' (first on line 1)");
	ck_assert_uint_eq(c.quota.memory, 64ULL << 20); /* the first stands */
	ck_assert_int_eq(parse_s(&vps_file, &c, "USERNS=yes\nUSERNS=no\n", NULL, err, sizeof(err)),
	                 -EBADMSG);
	ck_assert_str_eq(err, "t.conf:2: duplicate key 'USERNS' (first on line 1)");
	ck_assert_int_eq(
		parse_s(&vps_file, &c, "HOSTNAME=a\nMEMROY=1G\nBAD\n", NULL, err, sizeof(err)),
		-EBADMSG);
	ck_assert_str_eq(err, "t.conf:2: unknown key 'MEMROY'"); /* the first error is told */
	ck_assert_int_eq(parse_s(&vps_file, &c, "garbage\n", NULL, err, sizeof(err)), -EBADMSG);
	ck_assert_str_eq(err, "t.conf:1: not a KEY=value line");
	ck_assert_int_eq(parse_s(&vps_file, &c, "# c\n\nNOPE=1\n", NULL, err, sizeof(err)),
	                 -EBADMSG);
	ck_assert_str_eq(err, "t.conf:3: unknown key 'NOPE'");
	ck_assert_int_eq(parse_s(&vps_file, &c, "garbage\n", NULL, err, sizeof(err)), -EBADMSG);
	ck_assert_int_eq(parse_s(&vps_file, &c, "HOSTNAME=\"a;rm -rf\"\n", NULL, err, sizeof(err)),
	                 -EBADMSG);
	ck_assert_int_eq(parse_s(&vps_file, &c, "INIT=relative\n", NULL, err, sizeof(err)),
	                 -EBADMSG);
	ck_assert_int_eq(parse_s(&vps_file, &c, "CPU_WEIGHT=0\n", NULL, err, sizeof(err)),
	                 -EBADMSG);
	ck_assert_int_eq(parse_s(&vps_file, &c, "CPUSET=3-1\n", NULL, err, sizeof(err)), -EBADMSG);
	ck_assert_int_eq(
		parse_s(&vps_file, &c, "IP_ADDRESS=\"10.0.0.300/24\"\n", NULL, err, sizeof(err)),
		-EBADMSG);
	ck_assert_int_eq(
		parse_s(&vps_file, &c, "MAC=\"01:00:00:00:00:01\"\n", NULL, err, sizeof(err)),
		-EBADMSG);
	ck_assert_int_eq(parse_s(&vps_file, &c, "BANDWIDTH=fast\n", NULL, err, sizeof(err)),
	                 -EBADMSG);
	ck_assert_int_eq(
		parse_s(&vps_file, &c, "CAP_ADD=NET_ADMIN,BOGUS\n", NULL, err, sizeof(err)),
		-EBADMSG);
	ck_assert_str_eq(err, "t.conf:1: invalid CAP_ADD 'NET_ADMIN,BOGUS'");
	ck_assert_int_eq(parse_s(&vps_file, &c, "CAP_DROP=\"$(reboot)\"\n", NULL, err, sizeof(err)),
	                 -EBADMSG);
	ck_assert_int_eq(parse_s(&vps_file, &c, "CAP_DROP=all\n", NULL, err, sizeof(err)), 0);
	ck_assert_uint_eq(c.cap_drop, vps_caps_all());
	ck_assert_int_eq(parse_s(&vps_file, &c, "STORAGE=zfs\n", NULL, err, sizeof(err)), -EBADMSG);
	ck_assert_int_eq(parse_s(&vps_file, &c, "STORAGE=\"\"\n", NULL, err, sizeof(err)),
	                 -EBADMSG);
	ck_assert_int_eq(parse_s(&vps_file, &c, "PTYS=0\n", NULL, err, sizeof(err)), -EBADMSG);
	ck_assert_str_eq(err, "t.conf:1: invalid PTYS '0': out of range");
	ck_assert_int_eq(parse_s(&vps_file, &c, "PTYS=1048577\n", NULL, err, sizeof(err)),
	                 -EBADMSG);
	ck_assert_int_eq(parse_s(&vps_file, &c, "PTYS=unlimited\n", NULL, err, sizeof(err)),
	                 -EBADMSG);
	ck_assert_int_eq(parse_s(&vps_file, &c, "PTYS=1048576\n", NULL, err, sizeof(err)), 0);
	ck_assert_int_eq(parse_s(&vps_file, &c, "  MEMORY='64M'  \n", NULL, err, sizeof(err)), 0);
	ck_assert_uint_eq(c.quota.memory, 64ULL << 20);
}
END_TEST

/* Loads text as the vps.conf of VPS "v" under a scratch root. */
static int load(const char *text, struct vps_config *ret, char *err, size_t errlen)
{
	struct vps_error e = VPS_ERROR_INIT;
	char root[] = "/tmp/test-config.XXXXXX", dir[PATH_MAX];
	struct vps_paths p;
	struct node_config node;
	int r;

	ck_assert_ptr_nonnull(mkdtemp(root));
	ck_assert_int_eq(vps_paths_init(root, &p), 0);
	ck_assert_int_eq(vps_path(&p, "v", NULL, dir, sizeof(dir)), 0);
	ck_assert_int_eq(mkdir_p(dir, 0755), 0);
	ck_assert_int_eq(
		write_file_atomic_at(AT_FDCWD, strcat(dir, "/vps.conf"), text, strlen(text), 0644),
		0);
	node_config_init(&node);
	r = vps_config_load(&p, "v", &node, ret, &e);
	snprintf(err, errlen, "%s", e.msg);
	(void)rm_rf_at(AT_FDCWD, root);
	return r;
}

/* The message after "ROOT/var/lib/vpsctl/vps/v/vps.conf". */
static const char *after_path(const char *err)
{
	const char *s = strstr(err, "/vps/v/vps.conf");

	ck_assert_msg(s != NULL, "no path in '%s'", err);
	return s + strlen("/vps/v/vps.conf");
}

/* Isolation keys fail closed: an empty file (base: USERNS read as "no", root inside = host
 * root) or one without USERNS is refused, and so is a UID_BASE in the host's own ids. */
START_TEST(test_isolation_fails_closed)
{
	struct vps_config c;
	char err[512];

	ck_assert_int_eq(load("", &c, err, sizeof(err)), -EBADMSG);
	ck_assert_str_eq(after_path(err),
	                 ": USERNS is missing: write USERNS=\"yes\" (with the "
	                 "VPS's UID_BASE) or USERNS=\"no\" (root inside is host root)");
	ck_assert(c.userns); /* and what a careless caller would use is the safe side */
	ck_assert_int_eq(load("TEMPLATE=busybox\nUID_BASE=1000000\n", &c, err, sizeof(err)),
	                 -EBADMSG);
	ck_assert_ptr_nonnull(strstr(err, "USERNS is missing"));
	ck_assert_int_eq(load("USERNS=yes\n", &c, err, sizeof(err)), -EBADMSG);
	ck_assert_str_eq(after_path(err),
	                 ": UID_BASE is missing: USERNS=\"yes\" needs the VPS's id range");
	ck_assert_int_eq(load("USERNS=yes\nUID_BASE=0\n", &c, err, sizeof(err)), -EBADMSG);
	ck_assert_str_eq(after_path(err), ":2: UID_BASE 0 overlaps the host's own ids (0-65535)");
	ck_assert_int_eq(load("USERNS=yes\nUID_BASE=65535\n", &c, err, sizeof(err)), -EBADMSG);
	ck_assert_int_eq(load("USERNS=yes\nUID_BASE=65536\n", &c, err, sizeof(err)), 0);
	ck_assert_int_eq(load("USERNS=yes\nUID_BASE=4294901759\n", &c, err, sizeof(err)), 0);
	ck_assert_int_eq(load("USERNS=yes\nUID_BASE=4294901760\n", &c, err, sizeof(err)), -EBADMSG);
	ck_assert_str_eq(after_path(err), ":2: UID_BASE 4294901760 puts its 65536 ids beyond the "
	                                  "last host id (4294967294)");
	/* explicitly privileged: allowed, its UID_BASE unused */
	ck_assert_int_eq(load("USERNS=no\n", &c, err, sizeof(err)), 0);
	ck_assert(!c.userns);
	/* the other isolation keys: absent is the safe side */
	ck_assert_int_eq(load("USERNS=yes\nUID_BASE=1000000\n", &c, err, sizeof(err)), 0);
	ck_assert(!c.nesting);
	ck_assert(c.antispoof);
	ck_assert_uint_eq(c.cap_add, 0);
}
END_TEST

/* A quota key the flag would refuse is refused when the file is read, naming the file, the
 * line and the key (base: loaded, and resize then blamed "--pids 0" nobody typed). */
START_TEST(test_quota_keys_checked_at_load)
{
	static const char *const head = "USERNS=yes\nUID_BASE=1000000\n";
	static const struct {
		const char *line, *want;
	} cases[] = {
		{"PIDS=0", ":3: PIDS 0 is below the minimum 1"},
		{"CPUS=0", ":3: CPUS 0 is below the minimum 0.01"},
		{"MEMORY=1M", ":3: MEMORY 1M is below the minimum 4M"},
		{"MEMORY_RESERVE=1G", ":3: MEMORY_RESERVE 1G exceeds MEMORY 512M"},
		{"CPU_BURST=1", ":3: CPU_BURST 1 needs a finite CPUS"},
	};
	struct vps_config c;
	char text[256], err[512];

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		snprintf(text, sizeof(text), "%s%s\n", head, cases[i].line);
		ck_assert_int_eq(load(text, &c, err, sizeof(err)), -EBADMSG);
		ck_assert_str_eq(after_path(err), cases[i].want);
	}
	snprintf(text, sizeof(text), "%sPIDS=1\nCPUS=0.01\n", head);
	ck_assert_int_eq(load(text, &c, err, sizeof(err)), 0);
}
END_TEST

/* What one key allows only with another, or never, is refused when the file is read, naming
 * the line: the loader, create, resize and every boot share vps_config_check (before, a
 * hand edit of these was found only when the start failed, or not at all). */
START_TEST(test_key_pairings_checked_at_load)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{"USERNS=no\nCAP_ADD=SYS_MODULE\n",
	         ":2: CAP_ADD holds SYS_MODULE, which no VPS may have without a user namespace"},
		{"USERNS=no\nCAP_ADD=NET_ADMIN,SYS_ADMIN\n",
	         ":2: CAP_ADD holds SYS_ADMIN, which no VPS may have without a user namespace"},
		{"USERNS=yes\nUID_BASE=1000000\nCAP_ADD=SYS_TIME\n",
	         ":3: CAP_ADD holds SYS_TIME, which no VPS may have"},
		{"USERNS=no\nNESTING=yes\n", ":2: NESTING=yes needs a user namespace (USERNS=yes)"},
		{"USERNS=no\nDISK=unlimited\n", ":2: DISK cannot be unlimited"},
		{"USERNS=no\nDISK=1G\nDISK_INODES=unlimited\n",
	         ":3: DISK_INODES cannot be unlimited"},
		{"USERNS=no\nDISK_INODES=100\n", ":2: DISK_INODES needs a DISK"},
		{"USERNS=no\nDISK=1G\nDISK_QUOTA=none\n", ":3: DISK_QUOTA=none with a DISK"},
		{"USERNS=no\nDISK_QUOTA=zfs\n", ":2:"},
	};
	struct vps_config c;
	char err[512];

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		ck_assert_int_eq(load(cases[i].text, &c, err, sizeof(err)), -EBADMSG);
		ck_assert_msg(strncmp(after_path(err), cases[i].want, strlen(cases[i].want)) == 0,
		              "%s: got '%s'", cases[i].text, err);
	}
	/* what is allowed stays allowed */
	ck_assert_int_eq(load("USERNS=yes\nUID_BASE=1000000\nCAP_ADD=SYS_ADMIN\nNESTING=yes\n", &c,
	                      err, sizeof(err)),
	                 0);
	ck_assert_int_eq(
		load("USERNS=no\nCAP_ADD=all\nSTORAGE=copy\nDISK=1G\n", &c, err, sizeof(err)), 0);
	/* a disk quota for overlay storage too (issue 16); a file without DISK_QUOTA predates
	 * project quotas, so its DISK is an image */
	ck_assert_int_eq(load("USERNS=no\nSTORAGE=overlay\nDISK=1G\n", &c, err, sizeof(err)), 0);
	ck_assert_int_eq(c.disk_quota, VPS_DISK_IMAGE);
	ck_assert_uint_eq(vps_config_disk_inodes(&c), (1ULL << 30) / 16384);
	ck_assert_int_eq(load("USERNS=no\nDISK=1G\nDISK_INODES=7\nDISK_QUOTA=project\n", &c, err,
	                      sizeof(err)),
	                 0);
	ck_assert_int_eq(c.disk_quota, VPS_DISK_PROJECT);
	ck_assert_uint_eq(vps_config_disk_inodes(&c), 7);
	ck_assert_int_eq(load("USERNS=no\nDISK=0\nDISK_QUOTA=none\n", &c, err, sizeof(err)), 0);
	ck_assert_uint_eq(vps_config_disk_inodes(&c), 0);
}
END_TEST

/* MTU: 0 (the kernel's) or what an Ethernet link takes (base: 100000 was accepted). */
START_TEST(test_mtu_range)
{
	struct vps_config c;
	struct node_config node;
	char err[512];

	node_config_init(&node);
	vps_config_init(&c, "v", &node);
	ck_assert_int_eq(conf_set(vps_config_keys, vps_config_keys_n, &c, "MTU", "0"), 0);
	ck_assert_int_eq(conf_set(vps_config_keys, vps_config_keys_n, &c, "MTU", "68"), 0);
	ck_assert_int_eq(conf_set(vps_config_keys, vps_config_keys_n, &c, "MTU", "65535"), 0);
	ck_assert_int_eq(conf_set(vps_config_keys, vps_config_keys_n, &c, "MTU", "65536"), -ERANGE);
	ck_assert_int_eq(conf_set(vps_config_keys, vps_config_keys_n, &c, "MTU", "100000"),
	                 -ERANGE);
	ck_assert_int_eq(conf_set(vps_config_keys, vps_config_keys_n, &c, "MTU", "67"), -ERANGE);
	ck_assert_int_eq(load("USERNS=yes\nUID_BASE=1000000\nMTU=100000\n", &c, err, sizeof(err)),
	                 -EBADMSG);
	ck_assert_str_eq(after_path(err), ":3: invalid MTU '100000': out of range");
}
END_TEST

/* FORWARDS: protocol, node port, VPS port, each checked; a node port given twice refused. */
START_TEST(test_forwards)
{
	static const char *const bad[] = {
		"tcp:0:22",   "tcp:8022:0",  "tcp:65536:22",        "sctp:80:80",
		"tcp:80",     "tcp:80:80:1", "tcp:+80:80",          "tcp: 80:80",
		"tcp:080:80", "TCP:80:80",   "tcp:80:22 tcp:80:23", "tcp::22",
	};
	struct vps_config c;
	struct node_config node;
	struct netsetup_forward f;
	char buf[64];

	node_config_init(&node);
	vps_config_init(&c, "v", &node);
	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		ck_assert_msg(conf_set(vps_config_keys, vps_config_keys_n, &c, "FORWARDS",
		                       bad[i]) == -EINVAL,
		              "%s", bad[i]);
	ck_assert_int_eq(conf_set(vps_config_keys, vps_config_keys_n, &c, "FORWARDS",
	                          "tcp:65535:1,udp:80:80 tcp:80:8080"),
	                 0);
	ck_assert_uint_eq(c.forwards.n, 3);
	ck_assert_uint_eq(c.forwards.f[0].node_port, 65535);
	ck_assert_int_eq(c.forwards.f[1].proto, NETSETUP_FWD_UDP);
	ck_assert_int_eq(netsetup_forward_parse("tcp:80:1", &f), 0);
	ck_assert_int_eq(netsetup_forward_list_find(&c.forwards, &f), 2);
	ck_assert_str_eq(netsetup_forward_node_port(&f, buf, sizeof(buf)), "tcp:80");
}
END_TEST

START_TEST(test_cpuset_outside)
{
	unsigned cpu = 0;

	ck_assert_int_eq(cpuset_first_outside("0-1", "0-1", &cpu), 0);
	ck_assert_int_eq(cpuset_first_outside("", "0", &cpu), 0);
	ck_assert_int_eq(cpuset_first_outside("1,3", "0-3", &cpu), 0);
	ck_assert_int_eq(cpuset_first_outside("0-999", "0-1", &cpu), 1);
	ck_assert_uint_eq(cpu, 2);
	ck_assert_int_eq(cpuset_first_outside("0,2-3", "0-1,3", &cpu), 1);
	ck_assert_uint_eq(cpu, 2);
	ck_assert_int_eq(cpuset_first_outside("0-", "0-1", &cpu), -EINVAL);
}
END_TEST

START_TEST(test_format_versions)
{
	struct node_config node;
	struct vps_config c;
	_cleanup_free_ char *text = NULL;
	char err[256];

	node_config_init(&node);
	vps_config_init(&c, "v", &node);
	/* none (version 1), 1 and this binary's 2 are read */
	ck_assert_int_eq(parse_s(&vps_file, &c, "MEMORY=1G\n", NULL, err, sizeof(err)), 0);
	ck_assert_int_eq(
		parse_s(&vps_file, &c, "FORMAT_VERSION=1\nMEMORY=1G\n", NULL, err, sizeof(err)), 0);
	ck_assert_int_eq(parse_s(&vps_file, &c, "FORMAT_VERSION=\"2\"\n", NULL, err, sizeof(err)),
	                 0);
	/* a newer one is refused as such, whatever else it holds */
	ck_assert_int_eq(
		parse_s(&vps_file, &c, "NEW_KEY=1\nFORMAT_VERSION=4\n", NULL, err, sizeof(err)),
		-EPROTONOSUPPORT);
	ck_assert_str_eq(err,
	                 "t.conf: written by a newer vpsctl (format 4; this one reads up to 3)");
	ck_assert_int_eq(parse_s(&node_file, &node, "FORMAT_VERSION=9\n", NULL, err, sizeof(err)),
	                 -EPROTONOSUPPORT);
	ck_assert_str_eq(err,
	                 "n.conf: written by a newer vpsctl (format 9; this one reads up to 3)");
	ck_assert_int_eq(load("FORMAT_VERSION=4\nUSERNS=maybe\n", &c, err, sizeof(err)),
	                 -EPROTONOSUPPORT);
	ck_assert_str_eq(after_path(err),
	                 ": written by a newer vpsctl (format 4; this one reads up to 3)");
	/* bad versions */
	ck_assert_int_eq(parse_s(&vps_file, &c, "FORMAT_VERSION=0\n", NULL, err, sizeof(err)),
	                 -EBADMSG);
	ck_assert_str_eq(err, "t.conf:1: invalid FORMAT_VERSION '0'");
	ck_assert_int_eq(parse_s(&vps_file, &c, "FORMAT_VERSION=2\nFORMAT_VERSION=2\n", NULL, err,
	                         sizeof(err)),
	                 -EBADMSG);
	ck_assert_str_eq(err, "t.conf:2: duplicate key 'FORMAT_VERSION' (first on line 1)");
	/* what this binary writes says its version */
	ck_assert_int_eq(vps_config_format(&c, &text), 0);
	ck_assert_ptr_nonnull(strstr(text, "\nFORMAT_VERSION=\"3\"\n"));
}
END_TEST

/* resize of a vps.conf without TEMPLATE wrote TEMPLATE="", which the parser refuses: what the
 * writer writes always reads back. */
START_TEST(test_roundtrip_empty_template)
{
	struct node_config node;
	struct vps_config a, b;
	_cleanup_free_ char *text = NULL;
	char err[512];

	node_config_init(&node);
	vps_config_init(&a, "v", &node);
	a.userns = true;
	a.uid_base = 1000000;
	ck_assert_str_eq(a.template_name, "");
	ck_assert_int_eq(vps_config_format(&a, &text), 0);
	ck_assert_ptr_null(strstr(text, "TEMPLATE="));
	ck_assert_int_eq(load(text, &b, err, sizeof(err)), 0);
	ck_assert_str_eq(b.template_name, "");
	ck_assert(b.userns);
	ck_assert_uint_eq(b.uid_base, 1000000);
	/* a value that is not empty and would not read back is not written at all */
	free(text);
	text = NULL;
	strcpy(a.template_name, "Not A Name");
	ck_assert_int_eq(vps_config_format(&a, &text), -EINVAL);
	ck_assert_ptr_null(text);
}
END_TEST

START_TEST(test_node_uid_base_start)
{
	char root[] = "/tmp/test-config.XXXXXX", dir[PATH_MAX];
	struct vps_paths p;
	struct node_config node;
	struct vps_error err = VPS_ERROR_INIT;

	ck_assert_ptr_nonnull(mkdtemp(root));
	ck_assert_int_eq(vps_paths_init(root, &p), 0);
	snprintf(dir, sizeof(dir), "%s/etc/vpsctl", root);
	ck_assert_int_eq(mkdir_p(dir, 0755), 0);
	ck_assert_int_eq(
		write_file_atomic_at(AT_FDCWD, p.node_conf, "UID_BASE_START=0\n", 17, 0644), 0);
	ck_assert_int_eq(node_config_load(&p, &node, &err), -EBADMSG);
	ck_assert_ptr_nonnull(strstr(
		err.msg, "vpsctl.conf:1: UID_BASE_START 0 overlaps the host's own ids (0-65535)"));
	ck_assert_int_eq(write_file_atomic_at(AT_FDCWD, p.node_conf, "", 0, 0644), 0);
	vps_error_clear(&err);
	ck_assert_int_eq(node_config_load(&p, &node, &err), 0);
	ck_assert_uint_eq(node.uid_base_start, 1000000);
	/* every VPS gets a disk quota unless the node says 0; unlimited is no quota to give */
	ck_assert_uint_eq(node.default_disk, 10ULL << 30);
	ck_assert_uint_eq(node.default_disk_inodes, 0);
	ck_assert_int_eq(
		write_file_atomic_at(AT_FDCWD, p.node_conf, "DEFAULT_DISK=unlimited\n", 23, 0644),
		0);
	ck_assert_int_eq(node_config_load(&p, &node, &err), -EBADMSG);
	ck_assert_ptr_nonnull(strstr(err.msg, "DEFAULT_DISK cannot be unlimited"));
	vps_error_clear(&err);
	ck_assert_int_eq(write_file_atomic_at(AT_FDCWD, p.node_conf,
	                                      "DEFAULT_DISK=64M\nDEFAULT_DISK_INODES=900\n", 41,
	                                      0644),
	                 0);
	ck_assert_int_eq(node_config_load(&p, &node, &err), 0);
	ck_assert_uint_eq(node.default_disk, 64ULL << 20);
	ck_assert_uint_eq(node.default_disk_inodes, 900);
	(void)rm_rf_at(AT_FDCWD, root);
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

/* The configs a supervisor hands vps-supervisor across its exec (supervisor.h). */
static void handover_configs(struct vps_config *cfg, struct node_config *node)
{
	node_config_init(node);
	strcpy(node->bridge, "br-test");
	vps_config_init(cfg, "web1", node);
	ck_assert_int_eq(netsetup_addr_list_parse("10.77.0.2/24 fd77::2/64", &cfg->ip_address), 0);
	cfg->bandwidth = 10000000;
	cfg->uid_base = 1065536;
	cfg->quota.memory = 96 << 20;
}

START_TEST(test_handover_round_trip)
{
	struct vps_config cfg, got;
	struct node_config node, got_node;
	struct vps_cgroup_host host = {.kind = 1}, got_host;
	int fd;

	snprintf(host.mount[0], sizeof(host.mount[0]), "/sys/fs/cgroup/cpu,cpuacct");
	handover_configs(&cfg, &node);
	fd = vps_handover_config_fd(&cfg, &node, &host);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	ck_assert_int_eq(vps_handover_config_read(fd, &got, &got_node, &got_host), 0);
	ck_assert_mem_eq(&got, &cfg, sizeof(cfg));
	ck_assert_mem_eq(&got_node, &node, sizeof(node));
	ck_assert_mem_eq(&got_host, &host, sizeof(host));
	/* sealed: nobody changes what the supervisor supervises with */
	ck_assert_int_lt(pwrite(fd, "x", 1, 20), 0);
	ck_assert_int_lt(ftruncate(fd, 4), 0);
	close(fd);
}
END_TEST

/* Anything but such a sealed memfd of this build is refused. */
START_TEST(test_handover_refused)
{
	struct vps_config cfg, got;
	struct node_config node, got_node;
	struct vps_cgroup_host host = {0}, got_host;
	int fd = memfd_create("x", MFD_CLOEXEC | MFD_ALLOW_SEALING), good;
	char buf[64];

	handover_configs(&cfg, &node);
	good = vps_handover_config_fd(&cfg, &node, &host);
	ck_assert_int_ge(good, 0);
	/* the same bytes, not sealed */
	for (off_t off = 0;; off += 64) {
		ssize_t n = pread(good, buf, sizeof(buf), off);

		ck_assert_int_ge(n, 0);
		if (n == 0)
			break;
		ck_assert_int_eq(pwrite(fd, buf, (size_t)n, off), n);
	}
	ck_assert_int_eq(vps_handover_config_read(fd, &got, &got_node, &got_host), -EBADMSG);
	/* sealed, but one byte short */
	ck_assert_int_eq(ftruncate(fd, lseek(fd, 0, SEEK_END) - 1), 0);
	ck_assert_int_eq(
		fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE),
		0);
	ck_assert_int_eq(vps_handover_config_read(fd, &got, &got_node, &got_host), -EBADMSG);
	close(fd);
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ck_assert_int_eq(vps_handover_config_read(fd, &got, &got_node, &got_host), -EBADMSG);
	close(fd);
	close(good);
}
END_TEST

/* A handed-over host is used only where it names cgroup filesystems of its kind. */
START_TEST(test_handover_host_checked)
{
	struct vps_cgroup_host h = {.kind = 0};

	snprintf(h.mount[0], sizeof(h.mount[0]), "/tmp");
	snprintf(h.mount[2], sizeof(h.mount[2]), "/tmp");
	ck_assert_int_eq(vps_cgroup_host_set(&h), -EINVAL);
	h.kind = 99;
	ck_assert_int_eq(vps_cgroup_host_set(&h), -EINVAL);
	memset(&h, 0, sizeof(h));
	ck_assert_int_eq(vps_cgroup_host_set(&h), -EINVAL); /* no cpu, no memory */
	memset(h.mount[0], 'x', sizeof(h.mount[0]));        /* no NUL */
	h.mount[2][0] = '/';
	ck_assert_int_eq(vps_cgroup_host_set(&h), -EINVAL);
	/* nothing was set: a handle cannot be made */
	{
		struct vps_cgroup *cg = NULL;

		ck_assert_int_eq(vps_cgroup_new("/x", "y", &cg), -ENXIO);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	setup_files();
	tcase_add_test(tc, test_roundtrip_every_key);
	tcase_add_test(tc, test_node_roundtrip);
	tcase_add_test(tc, test_net_mode_default_is_bridged);
	tcase_add_test(tc, test_ptys_default_is_node_cap);
	tcase_add_test(tc, test_parse_errors);
	tcase_add_test(tc, test_validators);
	tcase_add_test(tc, test_storage_default_is_copy);
	tcase_add_test(tc, test_isolation_fails_closed);
	tcase_add_test(tc, test_format_versions);
	tcase_add_test(tc, test_roundtrip_empty_template);
	tcase_add_test(tc, test_node_uid_base_start);
	tcase_add_test(tc, test_quota_keys_checked_at_load);
	tcase_add_test(tc, test_key_pairings_checked_at_load);
	tcase_add_test(tc, test_mtu_range);
	tcase_add_test(tc, test_cpuset_outside);
	tcase_add_test(tc, test_forwards);
	tcase_add_test(tc, test_handover_round_trip);
	tcase_add_test(tc, test_handover_refused);
	tcase_add_test(tc, test_handover_host_checked);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
