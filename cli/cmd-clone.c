/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vpsctl clone SRC DST: a new VPS with SRC's files, template, storage mode and quotas, but its
 * own name, id range (the files moved onto it), MAC (derived from DST's name) and addresses
 * (--ip; none of SRC's). SRC must be stopped, so its files are still. DST is built under the
 * hidden name create uses (.DST.new, removed by the next create or clone of DST) and renamed
 * into place last, with its vps.conf: DST is complete or absent. Its claims (addresses, taken
 * over from a name without vps.conf; the id range, only counted once vps.conf is in place)
 * die with a clone cut short.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addresses.h"
#include "cleanup.h"
#include "disk.h"
#include "cli.h"
#include "fileio.h"
#include "idmap.h"
#include "lock.h"
#include "netsetup.h"
#include "state.h"
#include "storage-mount.h"
#include "storage-clone.h"
#include "template.h"

struct clone_args {
	const char *src, *dst, *hostname;
	char ips[512];
	bool json;
};

static const char *const clone_help[] = {
	"Make a new VPS DST from the stopped VPS SRC: its files (moved onto DST's own id range),",
	"template, storage mode and quotas; a new MAC (derived from DST) and new addresses.",
	"",
	"  --ip CIDR            an address of DST's eth0 (repeatable); required when SRC has",
	"                       addresses (SRC's are never reused)",
	"  --hostname H         host name inside DST (default: DST)",
	"  --json               print the result as JSON",
	NULL,
};

static int add_ip(struct cli *c, struct clone_args *a, const char *ip)
{
	if (strlen(a->ips) + strlen(ip) + 2 > sizeof(a->ips))
		return cli_usage_error(c, "too many --ip addresses"), -1;
	if (a->ips[0])
		strcat(a->ips, " ");
	strcat(a->ips, ip);
	return 0;
}

static int parse_clone(struct cli *c, int argc, char **argv, struct clone_args *a)
{
	static const struct option opts[] = {
		{"ip", required_argument, NULL, 'i'},
		{"hostname", required_argument, NULL, 'H'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	int opt;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (opt == 'i') {
			if (add_ip(c, a, optarg) < 0)
				return -1;
		} else if (opt == 'H')
			a->hostname = optarg;
		else if (opt == 'j')
			a->json = true;
		else if (opt == 'h')
			return cli_print_help(
				       "clone SRC DST [--ip CIDR]... [--hostname H] [--json]",
				       clone_help),
			       -2;
		else
			return cli_bad_option(c, argv), -1;
	}
	if (optind + 2 != argc)
		return cli_usage_error(c, "expected two VPS names: SRC DST"), -1;
	a->src = argv[optind];
	a->dst = argv[optind + 1];
	if (cli_check_name(c, a->src) != 0 || cli_check_name(c, a->dst) != 0)
		return -1;
	return 0;
}

/* DST's lock (its directory does not exist: cli_lock refuses such a name). */
int cli_lock_new(struct cli *c, const char *dst)
{
	const struct ops_ctx o = cli_ops(c);
	struct vps_error err = VPS_ERROR_INIT;
	int fd = ops_lock(&o, dst, true, &err);

	if (fd < 0)
		cli_fail_error(dst, &err, fd);
	return fd < 0 ? -1 : fd;
}

/* Both names' locks, in name order: two clones A->B and B->A never wait on each other. */
static int lock_both(struct cli *c, const struct clone_args *a, int *ret_src, int *ret_dst)
{
	bool src_first = strcmp(a->src, a->dst) < 0;

	if (strcmp(a->src, a->dst) == 0)
		return cli_fail(a->dst, "already exists");
	if (src_first && (*ret_src = cli_lock(c, a->src)) < 0)
		return EXIT_FAILURE;
	if ((*ret_dst = cli_lock_new(c, a->dst)) < 0)
		return EXIT_FAILURE;
	if (!src_first && (*ret_src = cli_lock(c, a->src)) < 0)
		return EXIT_FAILURE;
	return 0;
}

int cli_check_stopped(struct cli *c, const char *name, const char *why)
{
	struct vps_state st;
	enum vps_run_state rs = vps_run_state_get(&c->paths, name, &st);

	if (rs == VPS_STOPPED)
		return 0;
	if (rs == VPS_UNKNOWN)
		return cli_fail(name, "state unreadable: %s; refusing", st.error_text);
	return cli_fail(name, "is %s; stop it first (%s)", vps_run_state_to_string(rs), why);
}

/* DST's config: SRC's, with its own name, host name, MAC and addresses. */
static int dst_config(const struct clone_args *a, const struct vps_config *src,
                      struct vps_config *ret)
{
	*ret = *src;
	snprintf(ret->name, sizeof(ret->name), "%s", a->dst);
	snprintf(ret->hostname, sizeof(ret->hostname), "%s", a->dst);
	if (a->hostname &&
	    conf_set(vps_config_keys, vps_config_keys_n, ret, "HOSTNAME", a->hostname) < 0)
		return cli_fail(a->dst, "invalid --hostname '%.64s'", a->hostname);
	/* an explicit MAC of SRC's is SRC's alone: DST's is derived from its own name */
	ret->mac[0] = '\0';
	memset(&ret->ip_address, 0, sizeof(ret->ip_address));
	if (src->ip_address.n && !a->ips[0])
		return cli_fail(a->dst,
		                "--ip is required: '%s' has addresses, and a clone never "
		                "reuses them",
		                a->src);
	if (a->ips[0] &&
	    conf_set(vps_config_keys, vps_config_keys_n, ret, "IP_ADDRESS", a->ips) < 0)
		return cli_fail(a->dst, "invalid --ip '%.200s'", a->ips);
	return 0;
}

/* The new directory under its hidden name, filled, then renamed into place. */
static int build(struct cli *c, const struct vps_config *src, const struct vps_config *dst)
{
	_cleanup_close_ int base = -EBADF, sdir = -EBADF, tmp = -EBADF;
	struct vps_error err = VPS_ERROR_INIT;
	char tmpname[64], tmppath[PATH_MAX];
	int r;

	base = open(c->paths.vps_base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (base < 0)
		return cli_fail(dst->name, "failed to open %s: %m", c->paths.vps_base);
	sdir = openat(base, src->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sdir < 0)
		return cli_fail(src->name, "failed to open its directory: %m");
	snprintf(tmpname, sizeof(tmpname), ".%s.new", dst->name);
	(void)rm_rf_at(base, tmpname); /* what a create or clone cut short left */
	if (mkdirat(base, tmpname, 0700) < 0 ||
	    (tmp = openat(base, tmpname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    vps_path(&c->paths, tmpname, NULL, tmppath, sizeof(tmppath)) < 0)
		return cli_fail(dst->name, "failed to make the VPS directory: %m");
	r = vps_disk_clone_prepare(tmp, dst, &err);
	if (r == 0)
		r = vps_storage_clone(sdir, tmp, tmppath, src, dst, &err);
	if (r == 0)
		r = vps_error_check(&err, vps_config_save_at(tmp, dst), "failed to write vps.conf");
	if (r == 0 && fsync(tmp) < 0)
		r = vps_error_errno(&err, -errno, "failed to sync the VPS directory");
	if (r == 0 && renameat(base, tmpname, base, dst->name) < 0)
		r = vps_error_errno(&err, -errno, "failed to rename the VPS into place");
	if (r < 0) {
		(void)rm_rf_at(base, tmpname);
		return cli_fail_error(dst->name, &err, r);
	}
	(void)fsync(base);
	return 0;
}

/* After the addresses are claimed: the id range (its lock held until vps.conf records it),
 * then the tree. */
static int clone_claimed(struct cli *c, const struct vps_config *src, struct vps_config *dst)
{
	_cleanup_close_ int idlock = -EBADF, store_lock = -EBADF;
	int r;

	if (dst->userns) {
		r = vps_idmap_allocate(&c->paths, &c->node, &dst->uid_base, &idlock);
		if (r < 0)
			return cli_fail_idmap(dst->name, r);
	}
	/* the shared tree under an overlay clone is not removed meanwhile */
	if (vps_storage_is_overlay(dst)) {
		store_lock = template_store_lock(c->paths.templates_dir, false);
		if (store_lock < 0)
			return cli_fail(dst->name, "cannot lock the template store: %s",
			                strerror(-store_lock));
	}
	return build(c, src, dst);
}

static void print_done(const struct clone_args *a, const struct vps_config *dst)
{
	uint8_t mac[NETSETUP_MAC_LEN];
	char macs[18], ip[64];

	netsetup_mac_from_name(dst->name, mac);
	netsetup_mac_format(mac, macs, sizeof(macs));
	if (!a->json) {
		printf("%s: cloned from '%s' (MAC %s, uid base %llu)\n", dst->name, a->src, macs,
		       (unsigned long long)(dst->userns ? dst->uid_base : 0));
		return;
	}
	printf("{\"name\":");
	json_string(stdout, dst->name);
	printf(",\"source\":");
	json_string(stdout, a->src);
	printf(",\"hostname\":");
	json_string(stdout, dst->hostname);
	printf(",\"mac\":\"%s\",\"userns\":%s,\"uid_base\":%llu,\"storage\":", macs,
	       dst->userns ? "true" : "false",
	       (unsigned long long)(dst->userns ? dst->uid_base : 0));
	json_string(stdout, vps_storage_names[dst->storage]);
	printf(",\"disk\":%llu,\"ip\":[", (unsigned long long)dst->disk);
	for (size_t i = 0; i < dst->ip_address.n; i++) {
		if (i)
			putchar(',');
		json_string(stdout, netsetup_addr_format(&dst->ip_address.a[i], ip, sizeof(ip)));
	}
	printf("]}\n");
}

static int clone_locked(struct cli *c, const struct clone_args *a)
{
	struct vps_config src, dst;
	struct vps_error err = VPS_ERROR_INIT;
	char dir[PATH_MAX];
	int r;

	if (cli_load_vps(c, a->src, &src) < 0 ||
	    cli_check_stopped(c, a->src, "a clone copies a stopped VPS") != 0)
		return EXIT_FAILURE;
	if (vps_path(&c->paths, a->dst, NULL, dir, sizeof(dir)) < 0)
		return cli_fail(a->dst, "name too long for a path");
	if (access(dir, F_OK) == 0 || errno != ENOENT)
		return cli_fail(a->dst, "already exists");
	if (dst_config(a, &src, &dst) != 0)
		return EXIT_FAILURE;
	if (vps_addresses_claim(&c->paths, &dst, &c->node, &err) < 0)
		r = cli_fail_error(a->dst, &err, 0);
	else
		r = clone_claimed(c, &src, &dst);
	if (r != 0) {
		vps_addresses_release(&c->paths, a->dst, &dst.ip_address);
		return r;
	}
	if (dst.onboot)
		cli_systemd_reload(c);
	print_done(a, &dst);
	return 0;
}

int cmd_clone(struct cli *c, int argc, char **argv)
{
	struct clone_args a = {0};
	_cleanup_close_ int src_lock = -EBADF, dst_lock = -EBADF;
	char dir[PATH_MAX];
	int r = parse_clone(c, argc, argv, &a);

	if (r < 0)
		return r == -2 ? 0 : EXIT_USAGE;
	if (cli_load_node(c))
		return EXIT_FAILURE;
	r = lock_both(c, &a, &src_lock, &dst_lock);
	if (r == 0)
		r = clone_locked(c, &a);
	/* a clone that made nothing leaves no lock file of a name that does not exist */
	if (r != 0 && dst_lock >= 0 && vps_path(&c->paths, a.dst, NULL, dir, sizeof(dir)) == 0 &&
	    access(dir, F_OK) < 0)
		vps_lock_unlink(&c->paths, a.dst);
	return r;
}
