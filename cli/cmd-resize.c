/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vpsctl resize / stats: live quota changes and the usage and failure counters behind them. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addresses.h"
#include "cgroup.h"
#include "cleanup.h"
#include "cli-quota.h"
#include "cli.h"
#include "counters.h"
#include "cpu-pinning.h"
#include "devpts.h"
#include "cli-disk.h"
#include "disk.h"
#include "io-devices.h"
#include "list-rows.h"
#include "list-usage.h"
#include "network.h"
#include "ports.h"
#include "state.h"
#include "vps-stats.h"

enum {
	OPT_FORCE = 1,
	OPT_HELP,
	OPT_IP_ADD,
	OPT_IP_DEL,
	OPT_BANDWIDTH,
	OPT_DISK,
	OPT_FORWARD_ADD,
	OPT_FORWARD_DEL,
	OPT_DISK_INODES,
};

static const char *const resize_help[] = {
	"Change a VPS's quotas. vps.conf is saved first; a running VPS then gets them at once",
	"(never restarted), and a value the kernel refuses takes every change back, the file",
	"included. The change starts from the limits the kernel holds: one changed behind",
	"vpsctl's back is set back. They hold across reboots inside the VPS. Shrinking memory",
	"below what the VPS uses waits SHRINK_TIMEOUT, then is refused with the usage unless",
	"--force (the VPS's own processes are then OOM-killed, nothing else; it says which).",
	"",
	"  --force              apply a memory shrink even if usage stays above it",
	"  --ip-add CIDR        give eth0 another address (repeatable)",
	"  --ip-del ADDR        take an address away (repeatable)",
	"  --bandwidth RATE     cap each direction (10mbit); 0 = no cap",
	"  --forward-add P:N:V  forward the node's port N (tcp or udp) to the VPS's port V",
	"                       (repeatable; a port another VPS has is refused)",
	"  --forward-del P:N    stop forwarding node port N (P:N:V works too; repeatable)",
	"  --disk SIZE          change the disk quota: grows online; a project quota shrinks",
	"                       online to no less than the VPS uses, an image only while stopped",
	"  --disk-inodes N      change the inode limit (project quota only: an image's inodes",
	"                       are fixed at create and grow with --disk)",
	NULL,
};

/* --forward-add / --forward-del on the config's forwards; "tcp:8022" deletes too. */
static int forward_set(struct vps_config *cfg, int opt, const char *value, struct vps_error *err)
{
	struct netsetup_forward_list *l = &cfg->forwards;
	struct netsetup_forward f;
	char port[64];
	int i;

	snprintf(port, sizeof(port), "%.40s:1", value);
	if (netsetup_forward_parse(value, &f) < 0 &&
	    (opt != OPT_FORWARD_DEL || netsetup_forward_parse(port, &f) < 0))
		return vps_error_set(err, -EINVAL,
		                     "invalid --forward-%s '%.64s': tcp|udp:NODE_PORT:VPS_PORT "
		                     "(tcp:8022:22), ports 1..65535",
		                     opt == OPT_FORWARD_ADD ? "add" : "del", value);
	i = netsetup_forward_list_find(l, &f);
	netsetup_forward_node_port(&f, port, sizeof(port));
	if (opt == OPT_FORWARD_ADD && i >= 0)
		return vps_error_set(err, -EEXIST, "node port %s is forwarded to the VPS already",
		                     port);
	if (opt == OPT_FORWARD_DEL && i < 0)
		return vps_error_set(err, -ENOENT, "node port %s is not forwarded to the VPS",
		                     port);
	if (opt == OPT_FORWARD_DEL) {
		memmove(&l->f[i], &l->f[i + 1], (l->n - (size_t)i - 1) * sizeof(l->f[0]));
		l->n--;
		return 0;
	}
	if (l->n >= NETSETUP_FORWARDS_MAX)
		return vps_error_set(err, -E2BIG, "too many forwards (at most %d)",
		                     NETSETUP_FORWARDS_MAX);
	l->f[l->n++] = f;
	return 0;
}

/* --disk / --disk-inodes: a quota the VPS has, changed (not added or taken away). */
static int disk_set(struct vps_config *cfg, const char *key, const char *value,
                    struct vps_error *err)
{
	bool had = cfg->disk != 0;
	int r = cli_disk_set(cfg, key, value, err);

	if (r < 0)
		return r;
	if (!had)
		return vps_error_set(err, -EINVAL,
		                     "the VPS has no disk quota (created with --disk 0); one is "
		                     "given only at create or reinstall");
	if (!cfg->disk)
		return vps_error_set(err, -EINVAL,
		                     "a disk quota is not taken away (give a larger --disk)");
	if (strcmp(key, "DISK_INODES") == 0 && cfg->disk_quota == VPS_DISK_IMAGE)
		return vps_error_set(err, -EINVAL,
		                     "--disk-inodes: the VPS's disk is an ext4 image, whose inode "
		                     "count mkfs fixed (it grows with --disk)");
	return 0;
}

/* --ip-add / --ip-del / --bandwidth on the config's address list and rate. */
static int net_set(struct vps_config *cfg, int opt, const char *value, struct vps_error *err)
{
	struct netsetup_addr_list *l = &cfg->ip_address;
	struct netsetup_addr x;
	size_t i = 0;

	if (opt == OPT_FORWARD_ADD || opt == OPT_FORWARD_DEL)
		return forward_set(cfg, opt, value, err);
	if (opt == OPT_DISK || opt == OPT_DISK_INODES)
		return disk_set(cfg, opt == OPT_DISK ? "DISK" : "DISK_INODES", value, err);
	if (opt == OPT_BANDWIDTH) {
		if (conf_set(vps_config_keys, vps_config_keys_n, cfg, "BANDWIDTH", value) < 0)
			return vps_error_set(err, -EINVAL, "invalid --bandwidth '%.64s'", value);
		return 0;
	}
	if (netsetup_addr_parse(value, &x) < 0)
		return vps_error_set(err, -EINVAL, "invalid address '%.64s'", value);
	while (i < l->n && !netsetup_addr_equal(&l->a[i], &x))
		i++;
	if (opt == OPT_IP_DEL && i == l->n)
		return vps_error_set(err, -ENOENT, "address %.64s is not the VPS's", value);
	if (opt == OPT_IP_ADD && i < l->n)
		return vps_error_set(err, -EEXIST, "address %.64s is the VPS's already", value);
	if (opt == OPT_IP_DEL) {
		memmove(&l->a[i], &l->a[i + 1], (l->n - i - 1) * sizeof(l->a[0]));
		l->n--;
		return 0;
	}
	if (l->n >= NETSETUP_ADDR_LIST_MAX)
		return vps_error_set(err, -E2BIG, "too many addresses (at most %d)",
		                     NETSETUP_ADDR_LIST_MAX);
	l->a[l->n++] = x;
	return 0;
}

/* 0, or the exit status after the message (-1: --help was printed). */
static int parse_resize(struct cli *c, int argc, char **argv, struct vps_config *cfg, bool *force)
{
	static const struct option own[] = {
		{"force", no_argument, NULL, OPT_FORCE},
		{"help", no_argument, NULL, OPT_HELP},
		{"ip-add", required_argument, NULL, OPT_IP_ADD},
		{"ip-del", required_argument, NULL, OPT_IP_DEL},
		{"bandwidth", required_argument, NULL, OPT_BANDWIDTH},
		{"disk", required_argument, NULL, OPT_DISK},
		{"disk-inodes", required_argument, NULL, OPT_DISK_INODES},
		{"forward-add", required_argument, NULL, OPT_FORWARD_ADD},
		{"forward-del", required_argument, NULL, OPT_FORWARD_DEL},
	};
	struct {
		int opt;
		const char *value;
	} set[32];
	struct option all[48],
		*opts = cli_quota_options(own, ELEMENTSOF(own), all, ELEMENTSOF(all));
	size_t n_set = 0;
	unsigned given = 0;
	struct vps_error err = VPS_ERROR_INIT;
	int opt;

	if (!opts)
		return EXIT_FAILURE;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		bool quota = opt >= QUOTA_OPT_BASE && opt < QUOTA_OPT_BASE + (int)quota_flags_n;

		if (opt == OPT_FORCE) {
			*force = true;
		} else if (opt == OPT_HELP || opt == 'h') {
			cli_print_help("resize NAME [quota options] [--force]", resize_help);
			cli_print_help("", quota_help);
			return -1;
		} else if ((quota || (opt >= OPT_IP_ADD && opt <= OPT_DISK_INODES)) &&
		           n_set < ELEMENTSOF(set)) {
			set[n_set].opt = opt;
			set[n_set++].value = optarg;
			if (quota)
				given |= 1u << (opt - QUOTA_OPT_BASE);
		} else {
			return cli_bad_option(c, argv);
		}
	}
	if (optind + 1 != argc)
		return cli_usage_error(c, "expected exactly one VPS name");
	if (n_set == 0)
		return cli_usage_error(c, "nothing to change: give at least one option");
	if (cli_check_name(c, argv[optind]))
		return EXIT_USAGE;
	if (cli_load_node(c) || cli_load_vps(c, argv[optind], cfg) < 0)
		return EXIT_FAILURE;
	for (size_t i = 0; i < n_set; i++)
		if ((set[i].opt >= QUOTA_OPT_BASE
		             ? cli_quota_set(cfg, set[i].opt, set[i].value, &err)
		             : net_set(cfg, set[i].opt, set[i].value, &err)) < 0)
			return cli_fail_error(cfg->name, &err, 0);
	if (cli_quota_validate(cfg, given, "vps.conf ", &err) < 0)
		return cli_fail_error(cfg->name, &err, 0);
	if (vps_addresses_claim(&c->paths, cfg, &c->node, &err) < 0 ||
	    vps_ports_claim(&c->paths, cfg, &c->node, &err) < 0)
		return cli_fail_error(cfg->name, &err, 0);
	return 0;
}

static int open_cgroup(struct cli *c, const char *name, struct vps_cgroup **ret)
{
	const struct ops_ctx o = cli_ops(c);
	struct vps_error err = VPS_ERROR_INIT;
	int r = ops_running_cgroup_open(&o, NULL, name, ret, &err);

	if (vps_error_is_set(&err))
		cli_fail_error(name, &err, r);
	return r;
}

/* Before a memory shrink that has to wait: say so, and for how long. */
static void announce_wait(struct cli *c, struct vps_cgroup *cg, const struct vps_quota *from,
                          const struct vps_config *cfg, bool force)
{
	struct vps_cgroup_stats s = {0};

	if (cfg->quota.memory >= from->memory || vps_cgroup_stats(cg, &s) < 0 ||
	    s.memory_current <= cfg->quota.memory)
		return;
	fprintf(stderr,
	        "vpsctl: %s: memory usage %.1fM is above the new limit %.1fM: waiting up "
	        "to %.1f s for it to fall%s\n",
	        cfg->name, (double)s.memory_current / (1 << 20),
	        (double)cfg->quota.memory / (1 << 20), (double)c->node.shrink_timeout / 1000,
	        force ? ", then killing processes of the VPS (--force)" : "");
}

/* One resize: vps.conf is saved first, then the running VPS gets the values; a step that
 * fails undoes the ones before it and puts the old vps.conf back, so the file and the kernel
 * never disagree (a full disk changes nothing at all). */
struct resize {
	struct cli *c;
	struct vps_config old, cfg;
	struct vps_cgroup *cg; /* NULL: the VPS is stopped */
	pid_t init;            /* 0: not running */
	int dir;               /* the VPS's directory */
	bool force;
	bool quota_done, net_tried, ptys_done, disk_tried; /* what undo() has to take back */
};

#define CONF_BACKUP "vps.conf.resize-old"

/* The old file stays as a hard link until the resize is done: putting it back is a rename,
 * which needs no free space. */
static int save(struct resize *z)
{
	int r;

	if (unlinkat(z->dir, CONF_BACKUP, 0) < 0 && errno != ENOENT)
		return -errno;
	if (linkat(z->dir, "vps.conf", z->dir, CONF_BACKUP, 0) < 0)
		return -errno;
	r = vps_config_save_at(z->dir, &z->cfg);
	if (r < 0)
		(void)unlinkat(z->dir, CONF_BACKUP, 0);
	return r;
}

static int restore(struct resize *z)
{
	return renameat(z->dir, CONF_BACKUP, z->dir, "vps.conf") < 0 ? -errno : 0;
}

/* The I/O throttle on the devices the running VPS's storage is on now. */
static int apply_io(const struct resize *z, const struct vps_quota *q, struct vps_error *err)
{
	char dir[PATH_MAX];
	int r = vps_path(&z->c->paths, z->cfg.name, NULL, dir, sizeof(dir));

	if (r < 0)
		return vps_error_errno(err, r, "cannot find the VPS directory");
	return vps_storage_io_limit(z->cg, dir, vps_disk_is_image(&z->cfg), q, err);
}

/* CPU_PINNING=auto: the CPUs for cfg's cap (cpu-pinning.h). A pin that fails leaves the VPS on
 * the CPUs it had, as a start does: no reason to refuse the new limits. */
static void pin(const struct resize *z, const struct vps_config *cfg)
{
	struct vps_error e = VPS_ERROR_INIT;
	int r;

	if (z->init <= 0)
		return;
	r = vps_cpu_pin(&z->c->paths, &z->c->node, cfg, z->cg, &e);
	if (r < 0)
		fprintf(stderr, "vpsctl: %s: %s, ignoring\n", z->cfg.name,
		        vps_error_message(&e, r));
}

/* The limits to write for cfg, from what the kernel holds: an automatic pin stays as it is,
 * until pin() sees the new cap. */
static void quota_target(const struct resize *z, const struct vps_config *cfg,
                         const struct vps_quota *from, struct vps_quota *ret)
{
	*ret = cfg->quota;
	if (z->init > 0 && vps_cpu_pin_applies(&z->c->node, cfg))
		snprintf(ret->cpuset, sizeof(ret->cpuset), "%s", from->cpuset);
}

/* Back to the old limits after a later step failed. */
static int undo_quota(const struct resize *z)
{
	struct vps_quota from, to;
	int r;

	if (vps_cgroup_read_quota(z->cg, &from) < 0)
		from = z->cfg.quota;
	quota_target(z, &z->old, &from, &to);
	r = vps_cpu_resize(z->cg, &from, &to, (unsigned)z->c->node.shrink_timeout, true, NULL);
	if (r == 0)
		pin(z, &z->old);
	return r;
}

/* The kernel's limits, not the old config, are where the change starts: a limit changed
 * behind vpsctl's back is written back to what vps.conf says, so after a resize the kernel
 * holds every limit of the config (what status shows). */
static int apply_quota(struct resize *z, struct vps_error *err)
{
	struct vps_error e = VPS_ERROR_INIT;
	struct vps_cgroup_stats before = {0}, after = {0};
	struct vps_quota from, to;
	int r;

	if (vps_cgroup_read_quota(z->cg, &from) < 0)
		from = z->old.quota;
	quota_target(z, &z->cfg, &from, &to);
	announce_wait(z->c, z->cg, &from, &z->cfg, z->force);
	(void)vps_cgroup_stats(z->cg, &before);
	r = vps_cpu_resize(z->cg, &from, &to, (unsigned)z->c->node.shrink_timeout, z->force, &e);
	if (r == -EBUSY && !z->force)
		return vps_error_set(err, r,
		                     "%s after %.1f s (--force shrinks anyway, killing "
		                     "processes of the VPS)",
		                     e.msg, (double)z->c->node.shrink_timeout / 1000);
	if (r < 0)
		return vps_error_set(err, r, "%s", vps_error_message(&e, r));
	z->quota_done = true;
	pin(z, &z->cfg);
	r = apply_io(z, &z->cfg.quota, err);
	if (r < 0)
		return r;
	if (e.msg[0])
		fprintf(stderr, "vpsctl: %s: to shrink its memory, %s\n", z->cfg.name, e.msg);
	if (z->force && vps_cgroup_stats(z->cg, &after) == 0 &&
	    after.memory_oom_kills > before.memory_oom_kills)
		fprintf(stderr,
		        "vpsctl: %s: to shrink its memory, the kernel OOM-killed %" PRIu64
		        " process(es) of the VPS\n",
		        z->cfg.name, after.memory_oom_kills - before.memory_oom_kills);
	return 0;
}

static int apply_net(struct resize *z, struct vps_error *err)
{
	struct vps_error nerr = VPS_ERROR_INIT;
	int r;

	z->net_tried = true; /* a change that failed half-way is taken back too */
	r = vps_net_update(&z->c->paths, &z->old, &z->cfg, &z->c->node, z->init, &nerr);
	if (r == -ENODEV) {
		fprintf(stderr, "vpsctl: %s: %s; saved for the next start\n", z->cfg.name,
		        nerr.msg);
		z->net_tried = false;
		return 0;
	}
	if (r == -ENOLINK)
		z->net_tried = false; /* refused before anything was changed */
	if (r < 0)
		return vps_error_set(err, r, "%s",
		                     nerr.msg[0] ? nerr.msg : "network change failed");
	return 0;
}

static int apply_disk(struct resize *z, struct vps_error *err)
{
	char dir[PATH_MAX];
	int r = vps_path(&z->c->paths, z->cfg.name, NULL, dir, sizeof(dir));

	z->disk_tried = true;
	if (r == 0 && z->cfg.disk_quota == VPS_DISK_PROJECT)
		return vps_disk_project_resize(dir, &z->cfg, err);
	if (r == 0)
		r = vps_disk_grow(dir, z->init, z->cfg.disk, err);
	if (r == -EAGAIN) {
		fprintf(stderr, "vpsctl: %s: %s\n", z->cfg.name, err->msg);
		vps_error_clear(err);
		r = 0;
	}
	return r < 0 ? vps_error_errno(err, r, "failed to grow the disk") : 0;
}

/* A running VPS's devpts takes the new cap at once; where that cannot be done safely (the
 * tenant replaced its /dev/pts), the next start applies it, and we say so. */
static int set_ptys(const struct resize *z, uint64_t ptys, struct vps_error *err)
{
	struct vps_state st;
	int r;

	if (vps_run_state_get(&z->c->paths, z->cfg.name, &st) != VPS_RUNNING)
		return 0;
	r = vps_devpts_resize(st.init_pid, st.init_start, ptys, err);
	if (r == -EAGAIN) {
		fprintf(stderr,
		        "vpsctl: %s: the pty cap cannot be changed live: %s; saved for the "
		        "next start\n",
		        z->cfg.name, err->msg);
		vps_error_clear(err);
		return 0;
	}
	return r == -ESRCH ? 0 : r;
}

static int apply_ptys(struct resize *z, struct vps_error *err)
{
	int r = set_ptys(z, z->cfg.ptys, err);

	if (r < 0)
		vps_error_errno(err, r, "failed to change the pty cap");
	z->ptys_done = r == 0;
	return r;
}

static void warn_io_weight(const struct resize *z)
{
	char dir[PATH_MAX];

	if (vps_path(&z->c->paths, z->cfg.name, NULL, dir, sizeof(dir)) == 0)
		cli_io_weight_warn(z->cfg.name, dir, z->cfg.quota.io_weight);
}

/* The disk last: a grown image cannot shrink back, so nothing may fail after it. */
static int apply(struct resize *z, struct vps_error *err)
{
	int r = 0;

	if (z->cg)
		r = apply_quota(z, err);
	if (r == 0 && z->init > 0)
		r = apply_net(z, err);
	if (r == 0 && z->init > 0 && z->cfg.ptys != z->old.ptys)
		r = apply_ptys(z, err);
	if (r == 0 && (z->cfg.disk != z->old.disk || z->cfg.disk_inodes != z->old.disk_inodes))
		r = apply_disk(z, err);
	if (r == 0 && z->cfg.quota.io_weight != z->old.quota.io_weight)
		warn_io_weight(z);
	return r;
}

/* Undoes what apply() did, last step first, and puts the old vps.conf back. A step that
 * cannot be undone stops there: vps.conf then keeps the new values, and what says so. */
static int undo(struct resize *z, struct vps_error *what)
{
	struct vps_error nerr = VPS_ERROR_INIT;
	int r;

	if (z->ptys_done && set_ptys(z, z->old.ptys, &nerr) < 0)
		return vps_error_set(what, -EIO,
		                     "the new pty cap stays in force (%s); vps.conf keeps it",
		                     nerr.msg);
	if (z->net_tried &&
	    vps_net_update(&z->c->paths, &z->cfg, &z->old, &z->c->node, z->init, &nerr) < 0)
		return vps_error_set(
			what, -EIO,
			"the network could not be changed back (%s); vps.conf keeps the "
			"new values",
			nerr.msg);
	if (z->quota_done && (undo_quota(z) < 0 || apply_io(z, &z->old.quota, &nerr) < 0))
		return vps_error_set(what, -EIO,
		                     "the new quotas stay in force, and vps.conf keeps them");
	r = restore(z);
	if (r < 0)
		vps_error_errno(
			what, r,
			"the VPS has the old values, but the old vps.conf could not be put back");
	return r;
}

static int open_running(struct resize *z)
{
	struct vps_state st;
	int r = open_cgroup(z->c, z->cfg.name, &z->cg);

	if (r == -ESRCH)
		return 0;
	if (r == -EBADMSG)
		return r;
	if (r < 0)
		return cli_fail(z->cfg.name, "failed to open its cgroup: %s", strerror(-r)), r;
	if (vps_run_state_get(&z->c->paths, z->cfg.name, &st) == VPS_RUNNING)
		z->init = (pid_t)st.init_pid;
	return 0;
}

static int open_dir(struct resize *z)
{
	char path[PATH_MAX];
	int r = vps_path(&z->c->paths, z->cfg.name, NULL, path, sizeof(path));

	if (r < 0)
		return r;
	z->dir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return z->dir < 0 ? -errno : 0;
}

static int resize_locked(struct resize *z)
{
	struct vps_error err = VPS_ERROR_INIT, what = VPS_ERROR_INIT;
	int r;

	r = open_dir(z);
	if (r < 0)
		return cli_fail(z->cfg.name, "failed to open its directory: %s", strerror(-r));
	r = save(z);
	if (r < 0)
		return cli_fail(z->cfg.name, "failed to save vps.conf: %s; nothing was changed",
		                strerror(-r));
	if (apply(z, &err) < 0) {
		if (undo(z, &what) < 0) {
			(void)unlinkat(z->dir, CONF_BACKUP, 0);
			return cli_fail(z->cfg.name, "%s; undoing the resize failed: %s", err.msg,
			                what.msg);
		}
		/* a disk image that grew stays grown: disks only grow */
		return cli_fail(z->cfg.name,
		                z->disk_tried ? "%s; vps.conf and the other limits are as they were"
		                              : "%s; nothing was changed",
		                err.msg);
	}
	(void)unlinkat(z->dir, CONF_BACKUP, 0);
	if (!netsetup_addr_list_equal(&z->old.ip_address, &z->cfg.ip_address)) {
		/* drop the claims of the old list, then claim the new one again */
		vps_addresses_release(&z->c->paths, z->cfg.name, &z->old.ip_address);
		(void)vps_addresses_claim(&z->c->paths, &z->cfg, &z->c->node, NULL);
	}
	if (!netsetup_forward_list_equal(&z->old.forwards, &z->cfg.forwards)) {
		vps_ports_release(&z->c->paths, z->cfg.name, &z->old.forwards);
		(void)vps_ports_claim(&z->c->paths, &z->cfg, &z->c->node, NULL);
	}
	return 0;
}

int cmd_resize(struct cli *c, int argc, char **argv)
{
	_cleanup_close_ int lock = -EBADF;
	struct resize z = {.c = c, .dir = -EBADF};
	int r;

	/* Parse twice: once to find the name for the lock, then again under it, so the
	 * config we change is the one on disk after any other command finished. */
	r = parse_resize(c, argc, argv, &z.cfg, &z.force);
	if (r != 0)
		return r < 0 ? 0 : r;
	lock = cli_lock(c, z.cfg.name);
	if (lock < 0 || cli_load_vps(c, z.cfg.name, &z.old) < 0)
		return EXIT_FAILURE;
	optind = 0;
	r = parse_resize(c, argc, argv, &z.cfg, &z.force);
	if (r != 0)
		return r < 0 ? 0 : r;
	r = open_running(&z);
	if (r == 0)
		r = resize_locked(&z);
	vps_cgroup_free(z.cg);
	closep(&z.dir);
	return r == 0 ? 0 : EXIT_FAILURE;
}

static void print_net(const struct vps_stats *st)
{
	const struct netsetup_link_stats *n = &st->net;
	char since[64] = "";
	time_t t = (time_t)st->period_start;
	struct tm tm;

	if (st->period_start && localtime_r(&t, &tm))
		strftime(since, sizeof(since), " since %Y-%m-%d %H:%M:%S", &tm);
	/* The node end counts the other way round: what it received, the VPS sent. */
	printf("net:    received %" PRIu64 " bytes (%" PRIu64 " packets), sent %" PRIu64
	       " bytes (%" PRIu64 " packets)%s, dropped %" PRIu64 "/%" PRIu64 "\n",
	       n->tx_bytes, n->tx_packets, n->rx_bytes, n->rx_packets, since, n->tx_dropped,
	       n->rx_dropped);
}

static void print_stats(const struct vps_stats *st)
{
	const struct vps_cgroup_stats *s = &st->s;
	char a[32], b[32], m[32], w[32];

	printf("cpu:    %.3f s used, throttled %" PRIu64 " of %" PRIu64 " periods (%.3f s)\n",
	       (double)s->cpu_usage_usec / 1e6, s->cpu_nr_throttled, s->cpu_nr_periods,
	       (double)s->cpu_throttled_usec / 1e6);
	printf("memory: %s used, %s peak, %s max, %s swap\n",
	       format_size(s->memory_current, a, sizeof(a)),
	       format_size(s->memory_peak, b, sizeof(b)), format_size(s->memory_max, m, sizeof(m)),
	       format_size(s->swap_current, w, sizeof(w)));
	printf("pids:   %" PRIu64 " of %s\n", s->pids_current,
	       format_count(s->pids_max, a, sizeof(a)));
	printf("failcnt: memory.high %" PRIu64 ", memory.max %" PRIu64 ", oom %" PRIu64
	       ", oom_kill %" PRIu64 ", pids.max %" PRIu64 "\n",
	       s->memory_high_events, s->memory_max_events, s->memory_oom_events,
	       s->memory_oom_kills, s->pids_max_events);
	printf("io:     read %" PRIu64 " bytes (%" PRIu64 " ops), written %" PRIu64
	       " bytes (%" PRIu64 " ops)\n",
	       s->io_read_bytes, s->io_read_ops, s->io_write_bytes, s->io_write_ops);
	if (st->have_net)
		print_net(st);
	if (st->have_disk)
		printf("disk:   %" PRIu64 " of %" PRIu64 " bytes used\n", st->disk_used,
		       st->disk_size);
}

/* stats --all: one line per VPS. */
static void stats_row(const struct vps_stats *st)
{
	const struct vps_cgroup_stats *s = &st->s;
	char m[32], p[32], x[32], rx[32] = "-", tx[32] = "-", d[32] = "-";

	if (st->have_net) {
		snprintf(rx, sizeof(rx), "%" PRIu64, st->net.tx_bytes);
		snprintf(tx, sizeof(tx), "%" PRIu64, st->net.rx_bytes);
	}
	if (st->have_disk)
		snprintf(d, sizeof(d), "%" PRIu64, st->disk_used);
	printf("%-16s %12.3f %12s %12s %12s %6" PRIu64 " %5" PRIu64 " %12s %12s %12s\n", st->name,
	       (double)s->cpu_usage_usec / 1e6, format_count(s->memory_current, m, sizeof(m)),
	       format_count(s->memory_peak, p, sizeof(p)),
	       format_count(s->memory_max, x, sizeof(x)), s->pids_current, s->memory_oom_kills, d,
	       rx, tx);
}

/* One VPS of stats --all: a row, or an object after a comma but for the first (*first); a
 * stopped VPS is skipped. 0, or EXIT_FAILURE after its line of error. */
/* stats --all's rows, built at once (list-rows.h) and printed afterwards in name order. */
struct stats_rows {
	const struct ops_ctx *ctx;
	struct vps_usage_node *node;
	char **names;
	struct vps_stats *st;
	struct vps_error *err;
	int *r;
};

static void stats_row_build(size_t k, void *userdata)
{
	struct stats_rows *s = userdata;

	s->err[k] = (struct vps_error)VPS_ERROR_INIT;
	s->r[k] = ops_stats_get(s->ctx, s->node, s->names[k], &s->st[k], &s->err[k]);
}

static int stats_all_print(const struct stats_rows *s, size_t n, bool json)
{
	bool first = true;
	int ret = 0;

	for (size_t k = 0; k < n; k++) {
		if (s->r[k] == -ESRCH) /* not running: not a row */
			continue;
		if (s->r[k] < 0) {
			ret = cli_fail_error(s->names[k], &s->err[k], s->r[k]);
			continue;
		}
		if (json) {
			printf("%s", first ? "" : ",");
			ops_stats_object(stdout, &s->st[k]);
			printf("\n");
		} else {
			stats_row(&s->st[k]);
		}
		first = false;
	}
	return ret;
}

static int stats_all(struct cli *c, bool json)
{
	_cleanup_strv_free_ char **names = NULL;
	_cleanup_free_ struct vps_stats *st = NULL;
	_cleanup_free_ struct vps_error *err = NULL;
	_cleanup_free_ int *rs = NULL;
	const struct ops_ctx o = cli_ops(c);
	struct vps_usage_node node;
	struct stats_rows rows;
	size_t n = 0;
	int r;

	r = cli_vps_names(c, &names, &n);
	if (r < 0)
		return cli_fail(NULL, "failed to read %s: %s", c->paths.vps_base, strerror(-r));
	st = calloc(n + 1, sizeof(*st));
	err = calloc(n + 1, sizeof(*err));
	rs = calloc(n + 1, sizeof(*rs));
	if (!st || !err || !rs)
		return cli_fail(NULL, "out of memory");
	/* The host's cgroups probed here, once: left to the rows, each thread would probe them
	 * at once through libcgroup, which is not thread-safe (a corrupted heap, seen at N=300). */
	(void)vps_cgroup_init();
	/* one link dump and the cgroup parents opened once, not a netlink query per VPS */
	vps_usage_node_open(&node, c->paths.vps_base);
	rows = (struct stats_rows){&o, &node, names, st, err, rs};
	list_rows_build(n, stats_row_build, &rows);
	vps_usage_node_done(&node);
	if (json)
		printf("[\n");
	else
		printf("%-16s %12s %12s %12s %12s %6s %5s %12s %12s %12s\n", "NAME", "CPU-S",
		       "MEM-BYTES", "MEM-PEAK", "MEM-MAX", "PIDS", "OOMS", "DISK-USED", "RX-BYTES",
		       "TX-BYTES");
	r = stats_all_print(&rows, n, json);
	if (json)
		printf("]\n");
	return r;
}

/* One VPS's figures; --json: the document vpsctl-api answers GET /v1/vps/NAME/stats with. */
static int stats_one(struct cli *c, const char *name, bool json)
{
	const struct ops_ctx o = cli_ops(c);
	struct vps_error err = VPS_ERROR_INIT;
	struct vps_stats st;
	int r = json ? ops_stats_json(&o, name, stdout, &err)
	             : ops_stats_get(&o, NULL, name, &st, &err);

	if (r < 0)
		return cli_fail_error(name, &err, r);
	if (!json)
		print_stats(&st);
	return 0;
}

int cmd_stats(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
	                                     {"all", no_argument, NULL, 'a'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {0}};
	bool json = false, all = false;
	int opt;

	while ((opt = getopt_long(argc, argv, "jah", opts, NULL)) != -1) {
		if (opt == 'j')
			json = true;
		else if (opt == 'a')
			all = true;
		else if (opt == 'h')
			return printf("Usage: vpsctl stats NAME [--json]\n"
			              "       vpsctl stats --all [--json]\n"
			              "CPU, memory and pids usage of a running VPS, with failure\n"
			              "counters (limits hit, OOM kills, refused forks).\n"
			              "  -a, --all            every running VPS: a table, or with "
			              "--json\n"
			              "                       an array of one object per VPS\n"
			              "  --json               print JSON\n"),
			       0;
		else
			return cli_bad_option(c, argv);
	}
	if (!all) {
		if ((opt = cli_one_vps(c, argc, argv)) != 0)
			return opt;
		return stats_one(c, argv[optind], json);
	}
	if (optind != argc)
		return cli_usage_error(c, "--all takes no VPS name");
	return cli_load_node(c) ? EXIT_FAILURE : stats_all(c, json);
}
