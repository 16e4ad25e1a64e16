/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vpsctl restore FILE|- [--name N] [--ip CIDR]... : a new VPS from a backup (storage/backup.h),
 * on this node or another. The archive is hostile input: its vps.conf goes through the loader
 * and check a hand-edited one does (fail closed), then this node's bounds (restore-policy.h:
 * a user namespace, no privileged keys, quotas no larger than the node's defaults) unless
 * --trust-archive-config; its files through the template unpacker, its manifest is checked
 * member by member. The VPS gets its own id range and MAC (from its name);
 * its addresses must be free on this node (--ip gives others). It is built under the hidden
 * name create and clone use (.NAME.new, removed by the next create, clone or restore of NAME,
 * or by `destroy NAME`) and renamed into place last with its vps.conf: complete or absent.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "addresses.h"
#include "backup.h"
#include "cleanup.h"
#include "ops-disk.h"
#include "cli-quota.h"
#include "cli.h"
#include "fileio.h"
#include "idmap.h"
#include "lock.h"
#include "disk.h"
#include "migrate.h"
#include "netsetup.h"
#include "ports.h"
#include "restore-policy.h"
#include "storage-clone.h"
#include "storage-mount.h"
#include "template.h"

struct restore_args {
	const char *file, *name;
	char ips[512];
	bool json;
	bool trust;     /* --trust-archive-config: its isolation and limits as they are */
	bool migrating; /* hidden: a migration's target (cmd-migrate-target.c): trusted */
	const char *disk, *disk_inodes;
	struct {
		int opt;
		const char *value;
	} quota[32];
	size_t n_quota;
};

enum {
	OPT_TRUST = 1, /* below QUOTA_OPT_BASE, above the letters' range is not needed */
	OPT_DISK,
	OPT_DISK_INODES,
};

static const char *const restore_help[] = {
	"Make a new VPS from an archive of 'vpsctl backup' (FILE '-': read from stdin). It gets",
	"its own user-namespace id range and MAC; its addresses must be free here. The archive",
	"is checked like a template (paths, links, sizes), its config like a hand-edited one,",
	"and every member against its manifest; anything wrong and nothing is made. Its",
	"isolation and limits are this node's: a user namespace, no NESTING, SOCKETCALL,",
	"ANTISPOOF=no or CAP_ADD beyond create's, quotas, PTYS and DISK no larger than the",
	"node's defaults (each value reset is named on stderr); the quota flags below set others.",
	"",
	"  --name N             the new VPS's name (default: the one in the archive)",
	"  --ip CIDR            its addresses instead of the archive's (repeatable)",
	"  --disk SIZE          its disk quota (0: none) instead of the bounded archive's",
	"  --disk-inodes N      its inode limit with --disk",
	"  --trust-archive-config",
	"                       keep the archive's USERNS, NESTING, SOCKETCALL, ANTISPOOF,",
	"                       CAP_ADD, quotas and disk as they are (only for an archive no",
	"                       tenant could have written); each such value is named on stderr",
	"  --json               print the result as JSON",
	NULL,
};

static int parse_restore(struct cli *c, int argc, char **argv, struct restore_args *a)
{
	static const struct option own[] = {
		{"name", required_argument, NULL, 'n'},
		{"ip", required_argument, NULL, 'i'},
		{"json", no_argument, NULL, 'j'},
		{"migrating", no_argument, NULL, 'm'},
		{"help", no_argument, NULL, 'h'},
		{"trust-archive-config", no_argument, NULL, OPT_TRUST},
		{"disk", required_argument, NULL, OPT_DISK},
		{"disk-inodes", required_argument, NULL, OPT_DISK_INODES},
	};
	struct option all[48],
		*opts = cli_quota_options(own, ELEMENTSOF(own), all, ELEMENTSOF(all));
	int opt;

	if (!opts)
		return -1;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (opt == 'n')
			a->name = optarg;
		else if (opt == 'i') {
			if (strlen(a->ips) + strlen(optarg) + 2 > sizeof(a->ips))
				return cli_usage_error(c, "too many --ip addresses"), -1;
			if (a->ips[0])
				strcat(a->ips, " ");
			strcat(a->ips, optarg);
		} else if (opt == 'j')
			a->json = true;
		else if (opt == 'm')
			a->migrating = true;
		else if (opt == OPT_TRUST)
			a->trust = true;
		else if (opt == OPT_DISK)
			a->disk = optarg;
		else if (opt == OPT_DISK_INODES)
			a->disk_inodes = optarg;
		else if (opt == 'h')
			return cli_print_help("restore FILE|- [--name N] [--ip CIDR]... "
			                      "[--trust-archive-config] [quota flags] [--json]",
			                      restore_help),
			       cli_print_help("", quota_help), -2;
		else if (opt >= QUOTA_OPT_BASE && a->n_quota < ELEMENTSOF(a->quota)) {
			a->quota[a->n_quota].opt = opt;
			a->quota[a->n_quota++].value = optarg;
		} else
			return cli_bad_option(c, argv), -1;
	}
	if (optind + 1 != argc)
		return cli_usage_error(c, "expected one FILE (or - for stdin)"), -1;
	a->file = argv[optind];
	if (a->name && cli_check_name(c, a->name) != 0)
		return -1;
	if (strcmp(a->file, "-") == 0 && isatty(STDIN_FILENO))
		return cli_usage_error(c, "refusing to read an archive from a terminal"), -1;
	return 0;
}

/* The archive's config as this VPS's: name, MAC from it, --ip, a fresh id range later. */
static int adapt_config(const struct restore_args *a, const struct vps_backup_head *h,
                        struct vps_config *cfg)
{
	if (cfg->storage != h->storage || cfg->disk != h->disk ||
	    (h->template_name[0] && strcmp(cfg->template_name, h->template_name) != 0))
		return cli_fail(cfg->name, "refused: the archive's vps.conf does not match its "
		                           "BACKUP member (storage, disk or template)");
	if (!a->migrating) /* a migration keeps its MAC: the same interface, moved */
		cfg->mac[0] = '\0';
	if (a->ips[0]) {
		memset(&cfg->ip_address, 0, sizeof(cfg->ip_address));
		if (conf_set(vps_config_keys, vps_config_keys_n, cfg, "IP_ADDRESS", a->ips) < 0)
			return cli_fail(cfg->name, "invalid --ip '%.200s'", a->ips);
	}
	return 0;
}

/* The operator's --disk, --disk-inodes and quota flags on cfg, as create sets them. */
static int apply_flags(const struct restore_args *a, const struct node_config *node,
                       struct vps_config *cfg, unsigned *ret_given, struct vps_error *err)
{
	int r = 0;

	*ret_given = 0;
	if (a->disk && (r = ops_disk_set(cfg, "DISK", a->disk, err)) < 0)
		return r;
	if (a->disk_inodes && !cfg->disk)
		return vps_error_set(err, -EINVAL,
		                     "--disk-inodes needs a disk quota (--disk is 0)");
	if (a->disk_inodes && (r = ops_disk_set(cfg, "DISK_INODES", a->disk_inodes, err)) < 0)
		return r;
	if (a->disk && !a->disk_inodes)
		cfg->disk_inodes = cfg->disk ? node->default_disk_inodes : 0;
	/* vps_disk_prepare picks image or project quota for a disk, as at create */
	cfg->disk_quota = cfg->disk ? VPS_DISK_IMAGE : VPS_DISK_NONE;
	for (size_t i = 0; i < a->n_quota; i++) {
		if ((r = cli_quota_set(cfg, a->quota[i].opt, a->quota[i].value, err)) < 0)
			return r;
		*ret_given |= 1u << (a->quota[i].opt - QUOTA_OPT_BASE);
	}
	return 0;
}

/* This node's bounds on the archive's config (restore-policy.h), then the operator's flags
 * (on both, so that only what the bounds alone changed is named), checked as create checks
 * them. A migration's archive comes from a node, not a tenant: it is kept. */
static int bound_config(const struct restore_args *a, const struct node_config *node,
                        struct vps_config *cfg)
{
	struct vps_config safe = *cfg;
	struct vps_error err = VPS_ERROR_INIT;
	unsigned given = 0;

	if (a->migrating)
		return 0;
	restore_policy_apply(&safe, node);
	if (apply_flags(a, node, cfg, &given, &err) < 0 ||
	    apply_flags(a, node, &safe, &given, &err) < 0)
		return cli_fail_error(cfg->name, &err, 0);
	if (restore_policy_report(cfg->name, cfg, &safe, a->trust) < 0)
		return cli_fail(cfg->name, "out of memory");
	if (!a->trust)
		*cfg = safe;
	if (ops_quota_validate(cfg, given, "the archive's ", &err) < 0)
		return cli_fail_error(cfg->name, &err, 0);
	return 0;
}

/* An overlay needs the very template it was backed up over. */
static int find_template(struct cli *c, const struct vps_backup_head *h,
                         struct vps_template_meta *t)
{
	int r = template_lookup(c->paths.templates_dir, h->template_name, t);

	if (r == -ENOENT)
		return cli_fail(h->name,
		                "refused: its template '%s' (sha256 %s) is not on this node; "
		                "import it first",
		                h->template_name, h->template_sha256);
	if (r < 0)
		return cli_fail(h->name, "failed to find its template '%s': %s", h->template_name,
		                strerror(-r));
	if (strcmp(t->sha256, h->template_sha256) != 0)
		return cli_fail(h->name,
		                "refused: template '%s' on this node (sha256 %s) is not the one it "
		                "was backed up over (%s)",
		                h->template_name, t->sha256, h->template_sha256);
	return 0;
}

/* The new directory under its hidden name, filled, then renamed into place. */
static int build(struct cli *c, struct vps_backup_reader *rd, struct vps_config *cfg,
                 const struct vps_template_meta *t, struct vps_backup_stats *s, bool migrating)
{
	_cleanup_close_ int base = -EBADF, tmp = -EBADF;
	struct vps_error err = VPS_ERROR_INIT;
	char tmpname[64], tmppath[PATH_MAX];
	int r = 0;

	base = open(c->paths.vps_base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (base < 0)
		return cli_fail(cfg->name, "failed to open %s: %m", c->paths.vps_base);
	snprintf(tmpname, sizeof(tmpname), ".%s.new", cfg->name);
	(void)rm_rf_at(base, tmpname); /* what a create, clone or restore cut short left */
	if (mkdirat(base, tmpname, 0700) < 0 ||
	    (tmp = openat(base, tmpname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    vps_path(&c->paths, tmpname, NULL, tmppath, sizeof(tmppath)) < 0)
		return cli_fail(cfg->name, "failed to make the VPS directory: %m");
	/* the disk quota made this node's way (project or image), whatever the archive's was */
	r = vps_disk_prepare(tmp, cfg, &err);
	if (r == 0 && vps_storage_is_overlay(cfg))
		r = vps_storage_materialize(tmp, cfg, t, c->paths.templates_dir, &err);
	if (r == 0)
		r = vps_backup_extract(rd, tmp, cfg, s, &err);
	if (r == 0)
		r = vps_disk_finish(tmp, tmppath, cfg, cfg->userns ? (uid_t)cfg->uid_base : 0,
		                    &err);
	/* a migration's copy is marked before it has a name: it cannot be started here until
	 * the migration is decided (migrate.h) */
	if (r == 0 && migrating)
		r = vps_error_check(
			&err, write_file_atomic_at(tmp, MIGRATE_MARKER, "ROLE=target\n", 12, 0600),
			"failed to mark the VPS as migrating");
	if (r == 0)
		r = vps_error_check(&err, vps_config_save_at(tmp, cfg), "failed to write vps.conf");
	if (r == 0 && fsync(tmp) < 0)
		r = vps_error_errno(&err, -errno, "failed to sync the VPS directory");
	if (r == 0 && renameat2(base, tmpname, base, cfg->name, RENAME_NOREPLACE) < 0)
		r = vps_error_errno(&err, -errno, "failed to rename the VPS into place");
	if (r < 0) {
		(void)rm_rf_at(base, tmpname);
		return cli_fail_error(cfg->name, &err, r);
	}
	(void)fsync(base);
	return 0;
}

static void print_done(const struct restore_args *a, const struct vps_config *cfg,
                       const struct vps_backup_head *h, const struct vps_backup_stats *s,
                       uint64_t ms)
{
	uint8_t mac[NETSETUP_MAC_LEN];
	char macs[18], ip[64];

	netsetup_mac_from_name(cfg->name, mac);
	netsetup_mac_format(mac, macs, sizeof(macs));
	if (!a->json) {
		printf("%s: restored from %s (backup of '%s', %" PRIu64 " members, %" PRIu64
		       " bytes of data) in %" PRIu64 " ms; MAC %s, uid base %" PRIu64 "\n",
		       cfg->name, a->file, h->name, s->members, s->data_bytes, ms, macs,
		       cfg->userns ? cfg->uid_base : 0);
		return;
	}
	printf("{\"name\":");
	json_string(stdout, cfg->name);
	printf(",\"source\":");
	json_string(stdout, h->name);
	printf(",\"file\":");
	json_string(stdout, a->file);
	printf(",\"vpsctl_version\":");
	json_string(stdout, h->version);
	printf(",\"storage\":\"%s\",\"disk\":%" PRIu64 ",\"members\":%" PRIu64
	       ",\"data_bytes\":%" PRIu64 ",\"ms\":%" PRIu64 ",\"mac\":\"%s\",\"userns\":%s,"
	       "\"uid_base\":%" PRIu64 ",\"ip\":[",
	       vps_storage_names[cfg->storage], cfg->disk, s->members, s->data_bytes, ms, macs,
	       cfg->userns ? "true" : "false", cfg->userns ? cfg->uid_base : 0);
	for (size_t i = 0; i < cfg->ip_address.n; i++) {
		if (i)
			putchar(',');
		json_string(stdout, netsetup_addr_format(&cfg->ip_address.a[i], ip, sizeof(ip)));
	}
	printf("]}\n");
}

/* With NAME's lock: its claims (addresses, then the id range, whose lock is held until
 * vps.conf records it), then the tree. */
static int restore_locked(struct cli *c, const struct restore_args *a, struct vps_backup_reader *rd,
                          const struct vps_backup_head *h, struct vps_config *cfg)
{
	_cleanup_close_ int idlock = -EBADF, store_lock = -EBADF;
	struct vps_error err = VPS_ERROR_INIT;
	struct vps_template_meta t = {0};
	struct vps_backup_stats s = {0};
	char dir[PATH_MAX];
	uint64_t t0 = 0;
	int r;

	if (vps_path(&c->paths, cfg->name, NULL, dir, sizeof(dir)) < 0)
		return cli_fail(cfg->name, "name too long for a path");
	if (access(dir, F_OK) == 0 || errno != ENOENT)
		return cli_fail(cfg->name,
		                "already exists (--name gives the restored VPS another)");
	if (vps_storage_is_overlay(cfg) && find_template(c, h, &t) != 0)
		return EXIT_FAILURE;
	if (vps_addresses_claim(&c->paths, cfg, &c->node, &err) < 0)
		return cli_fail(cfg->name, "refused: %s (--ip gives it other addresses)", err.msg);
	/* its port forwards as create claims them: no two VPSes forward one node port */
	if (vps_ports_claim(&c->paths, cfg, &c->node, &err) < 0) {
		vps_addresses_release(&c->paths, cfg->name, &cfg->ip_address);
		return cli_fail(cfg->name, "refused: %s", err.msg);
	}
	if (cfg->userns) {
		/* a migration's processes come back with the ids they had (criu): kept if free */
		r = a->migrating ? vps_idmap_keep(&c->paths, &c->node, cfg, &idlock, &err)
		                 : vps_idmap_allocate(&c->paths, &c->node, &cfg->uid_base, &idlock);
		if (r < 0) {
			vps_addresses_release(&c->paths, cfg->name, &cfg->ip_address);
			vps_ports_release(&c->paths, cfg->name, &cfg->forwards);
			return a->migrating ? cli_fail(cfg->name, "refused: %s", err.msg)
			                    : cli_fail_idmap(cfg->name, r);
		}
	}
	if (vps_storage_is_overlay(cfg))
		store_lock = template_store_lock(c->paths.templates_dir, false);
	t0 = cli_now_ms();
	r = build(c, rd, cfg, &t, &s, a->migrating);
	if (r != 0) {
		vps_addresses_release(&c->paths, cfg->name, &cfg->ip_address);
		vps_ports_release(&c->paths, cfg->name, &cfg->forwards);
		return r;
	}
	print_done(a, cfg, h, &s, cli_now_ms() - t0);
	return 0;
}

static int open_in(const char *file)
{
	int fd;

	if (strcmp(file, "-") == 0)
		return fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
	fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	return fd;
}

int cmd_restore(struct cli *c, int argc, char **argv)
{
	struct restore_args a = {0};
	struct vps_backup_reader *rd = NULL;
	struct vps_error err = VPS_ERROR_INIT;
	struct vps_backup_head h;
	struct vps_config cfg;
	_cleanup_free_ char *conf = NULL;
	_cleanup_close_ int in = -EBADF, lock = -EBADF;
	char dir[PATH_MAX];
	int r = parse_restore(c, argc, argv, &a);

	if (r < 0)
		return r == -2 ? 0 : EXIT_USAGE;
	if (cli_load_node(c))
		return EXIT_FAILURE;
	in = open_in(a.file);
	if (in < 0)
		return cli_fail(NULL, "cannot open %s: %s", a.file, strerror(-in));
	r = vps_backup_open(in, &rd, &h, &conf, &err);
	if (r < 0)
		return cli_fail(NULL, "%s: not restoring: %s", a.file, err.msg);
	r = vps_config_parse_text(conf, "vps.conf in the archive", a.name ?: h.name, &c->node, &cfg,
	                          &err);
	if (r < 0)
		r = cli_fail(a.name ?: h.name, "refused: %s", err.msg);
	else if (adapt_config(&a, &h, &cfg) != 0 || bound_config(&a, &c->node, &cfg) != 0)
		r = EXIT_FAILURE;
	else if ((lock = cli_lock_new(c, cfg.name)) < 0)
		r = EXIT_FAILURE;
	else
		r = restore_locked(c, &a, rd, &h, &cfg);
	vps_backup_reader_free(rd);
	/* a restore that made nothing leaves no lock file of a name that does not exist */
	if (r != 0 && lock >= 0 && vps_path(&c->paths, cfg.name, NULL, dir, sizeof(dir)) == 0 &&
	    access(dir, F_OK) < 0)
		vps_lock_unlink(&c->paths, cfg.name);
	return r;
}
