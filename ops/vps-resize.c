/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vpsctl resize as a library call (ops.h's ops_resize): vps.conf saved first, then the running
 * VPS's limits, network, ptys and disk changed live, every step undone when a later one fails. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "addresses.h"
#include "cgroup.h"
#include "cleanup.h"
#include "conf.h"
#include "cpu-pinning.h"
#include "devpts.h"
#include "disk.h"
#include "io-devices.h"
#include "network.h"
#include "ops-disk.h"
#include "ops-quota.h"
#include "ops.h"
#include "ports.h"
#include "state.h"
#include "vps-stats.h"

/* --forward-add / --forward-del on the config's forwards; "tcp:8022" deletes too. */
static int forward_set(struct vps_config *cfg, int opt, const char *value, struct vps_error *err)
{
	struct netsetup_forward_list *l = &cfg->forwards;
	struct netsetup_forward f;
	char port[64];
	int i;

	snprintf(port, sizeof(port), "%.40s:1", value);
	if (netsetup_forward_parse(value, &f) < 0 &&
	    (opt != OPS_RESIZE_FORWARD_DEL || netsetup_forward_parse(port, &f) < 0))
		return vps_error_set(err, -EINVAL,
		                     "invalid --forward-%s '%.64s': tcp|udp:NODE_PORT:VPS_PORT "
		                     "(tcp:8022:22), ports 1..65535",
		                     opt == OPS_RESIZE_FORWARD_ADD ? "add" : "del", value);
	i = netsetup_forward_list_find(l, &f);
	netsetup_forward_node_port(&f, port, sizeof(port));
	if (opt == OPS_RESIZE_FORWARD_ADD && i >= 0)
		return vps_error_set(err, -EEXIST, "node port %s is forwarded to the VPS already",
		                     port);
	if (opt == OPS_RESIZE_FORWARD_DEL && i < 0)
		return vps_error_set(err, -ENOENT, "node port %s is not forwarded to the VPS",
		                     port);
	if (opt == OPS_RESIZE_FORWARD_DEL) {
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
	int r = ops_disk_set(cfg, key, value, err);

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

	if (opt == OPS_RESIZE_FORWARD_ADD || opt == OPS_RESIZE_FORWARD_DEL)
		return forward_set(cfg, opt, value, err);
	if (opt == OPS_RESIZE_DISK || opt == OPS_RESIZE_DISK_INODES)
		return disk_set(cfg, opt == OPS_RESIZE_DISK ? "DISK" : "DISK_INODES", value, err);
	if (opt == OPS_RESIZE_BANDWIDTH) {
		if (conf_set(vps_config_keys, vps_config_keys_n, cfg, "BANDWIDTH", value) < 0)
			return vps_error_set(err, -EINVAL, "invalid --bandwidth '%.64s'", value);
		return 0;
	}
	if (netsetup_addr_parse(value, &x) < 0)
		return vps_error_set(err, -EINVAL, "invalid address '%.64s'", value);
	while (i < l->n && !netsetup_addr_equal(&l->a[i], &x))
		i++;
	if (opt == OPS_RESIZE_IP_DEL && i == l->n)
		return vps_error_set(err, -ENOENT, "address %.64s is not the VPS's", value);
	if (opt == OPS_RESIZE_IP_ADD && i < l->n)
		return vps_error_set(err, -EEXIST, "address %.64s is the VPS's already", value);
	if (opt == OPS_RESIZE_IP_DEL) {
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

/* One resize: vps.conf is saved first, then the running VPS gets the values; a step that
 * fails undoes the ones before it and puts the old vps.conf back, so the file and the kernel
 * never disagree (a full disk changes nothing at all). */
struct resize {
	const struct ops_ctx *c;
	struct vps_config old, cfg;
	struct vps_cgroup *cg; /* NULL: the VPS is stopped */
	pid_t init;            /* 0: not running */
	int dir;               /* the VPS's directory */
	bool force;
	bool quota_done, net_tried, ptys_done, disk_tried; /* what undo() has to take back */
};

static void note(const struct resize *z, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void note(const struct resize *z, const char *fmt, ...)
{
	char text[512];
	va_list ap;

	if (!z->c->note)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	z->c->note(z->cfg.name, text);
}

/* Before a memory shrink that has to wait: say so, and for how long. */
static void announce_wait(const struct resize *z, const struct vps_quota *from)
{
	const struct vps_config *cfg = &z->cfg;
	struct vps_cgroup_stats s = {0};

	if (cfg->quota.memory >= from->memory || vps_cgroup_stats(z->cg, &s) < 0 ||
	    s.memory_current <= cfg->quota.memory)
		return;
	note(z,
	     "memory usage %.1fM is above the new limit %.1fM: waiting up to %.1f s for it to "
	     "fall%s",
	     (double)s.memory_current / (1 << 20), (double)cfg->quota.memory / (1 << 20),
	     (double)z->c->node->shrink_timeout / 1000,
	     z->force ? ", then killing processes of the VPS (--force)" : "");
}

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
	int r = vps_path(z->c->paths, z->cfg.name, NULL, dir, sizeof(dir));

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
	r = vps_cpu_pin(z->c->paths, z->c->node, cfg, z->cg, &e);
	if (r < 0)
		note(z, "%s, ignoring", vps_error_message(&e, r));
}

/* The limits to write for cfg, from what the kernel holds: an automatic pin stays as it is,
 * until pin() sees the new cap. */
static void quota_target(const struct resize *z, const struct vps_config *cfg,
                         const struct vps_quota *from, struct vps_quota *ret)
{
	*ret = cfg->quota;
	if (z->init > 0 && vps_cpu_pin_applies(z->c->node, cfg))
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
	r = vps_cpu_resize(z->cg, &from, &to, (unsigned)z->c->node->shrink_timeout, true, NULL);
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
	announce_wait(z, &from);
	(void)vps_cgroup_stats(z->cg, &before);
	r = vps_cpu_resize(z->cg, &from, &to, (unsigned)z->c->node->shrink_timeout, z->force, &e);
	if (r == -EBUSY && !z->force)
		return vps_error_set(err, r,
		                     "%s after %.1f s (--force shrinks anyway, killing "
		                     "processes of the VPS)",
		                     e.msg, (double)z->c->node->shrink_timeout / 1000);
	if (r < 0)
		return vps_error_set(err, r, "%s", vps_error_message(&e, r));
	z->quota_done = true;
	pin(z, &z->cfg);
	r = apply_io(z, &z->cfg.quota, err);
	if (r < 0)
		return r;
	if (e.msg[0])
		note(z, "to shrink its memory, %s", e.msg);
	if (z->force && vps_cgroup_stats(z->cg, &after) == 0 &&
	    after.memory_oom_kills > before.memory_oom_kills)
		note(z,
		     "to shrink its memory, the kernel OOM-killed %" PRIu64
		     " process(es) of the VPS",
		     after.memory_oom_kills - before.memory_oom_kills);
	return 0;
}

static int apply_net(struct resize *z, struct vps_error *err)
{
	struct vps_error nerr = VPS_ERROR_INIT;
	int r;

	z->net_tried = true; /* a change that failed half-way is taken back too */
	r = vps_net_update(z->c->paths, &z->old, &z->cfg, z->c->node, z->init, &nerr);
	if (r == -ENODEV) {
		note(z, "%s; saved for the next start", nerr.msg);
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
	int r = vps_path(z->c->paths, z->cfg.name, NULL, dir, sizeof(dir));

	z->disk_tried = true;
	if (r == 0 && z->cfg.disk_quota == VPS_DISK_PROJECT)
		return vps_disk_project_resize(dir, &z->cfg, err);
	if (r == 0)
		r = vps_disk_grow(dir, z->init, z->cfg.disk, err);
	if (r == -EAGAIN) {
		note(z, "%s", err->msg);
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

	if (vps_run_state_get(z->c->paths, z->cfg.name, &st) != VPS_RUNNING)
		return 0;
	r = vps_devpts_resize(st.init_pid, st.init_start, ptys, err);
	if (r == -EAGAIN) {
		note(z, "the pty cap cannot be changed live: %s; saved for the next start",
		     err->msg);
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
	char dir[PATH_MAX], text[256];

	if (vps_path(z->c->paths, z->cfg.name, NULL, dir, sizeof(dir)) == 0 &&
	    ops_io_weight_warning(dir, z->cfg.quota.io_weight, text, sizeof(text)))
		note(z, "%s", text);
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
	    vps_net_update(z->c->paths, &z->cfg, &z->old, z->c->node, z->init, &nerr) < 0)
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

static int open_running(struct resize *z, struct vps_error *err)
{
	struct vps_state st;
	int r = ops_running_cgroup_open(z->c, NULL, z->cfg.name, &z->cg, err);

	if (r == -ESRCH) {
		vps_error_clear(err);
		return 0;
	}
	if (r == -EBADMSG)
		return r;
	if (r < 0)
		return vps_error_errno(err, r, "failed to open its cgroup");
	if (vps_run_state_get(z->c->paths, z->cfg.name, &st) == VPS_RUNNING)
		z->init = (pid_t)st.init_pid;
	return 0;
}

static int open_dir(struct resize *z)
{
	char path[PATH_MAX];
	int r = vps_path(z->c->paths, z->cfg.name, NULL, path, sizeof(path));

	if (r < 0)
		return r;
	z->dir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return z->dir < 0 ? -errno : 0;
}

static int resize_locked(struct resize *z, struct vps_error *ret_err)
{
	struct vps_error err = VPS_ERROR_INIT, what = VPS_ERROR_INIT;
	int r;

	r = open_dir(z);
	if (r < 0)
		return vps_error_errno(ret_err, r, "failed to open its directory");
	r = save(z);
	if (r < 0)
		return vps_error_set(ret_err, r, "failed to save vps.conf: %s; nothing was changed",
		                     strerror(-r));
	r = apply(z, &err);
	if (r < 0) {
		if (undo(z, &what) < 0) {
			(void)unlinkat(z->dir, CONF_BACKUP, 0);
			return vps_error_set(ret_err, r, "%s; undoing the resize failed: %s",
			                     err.msg, what.msg);
		}
		/* a disk image that grew stays grown: disks only grow */
		return vps_error_set(ret_err, r, "%s; %s", err.msg,
		                     z->disk_tried
		                             ? "vps.conf and the other limits are as they were"
		                             : "nothing was changed");
	}
	(void)unlinkat(z->dir, CONF_BACKUP, 0);
	if (!netsetup_addr_list_equal(&z->old.ip_address, &z->cfg.ip_address)) {
		/* drop the claims of the old list, then claim the new one again */
		vps_addresses_release(z->c->paths, z->cfg.name, &z->old.ip_address);
		(void)vps_addresses_claim(z->c->paths, &z->cfg, z->c->node, NULL);
	}
	if (!netsetup_forward_list_equal(&z->old.forwards, &z->cfg.forwards)) {
		vps_ports_release(z->c->paths, z->cfg.name, &z->old.forwards);
		(void)vps_ports_claim(z->c->paths, &z->cfg, z->c->node, NULL);
	}
	return 0;
}

/* The request's changes on cfg (loaded under the lock), checked as the CLI checks them. */
static int edit(const struct ops_ctx *c, const struct ops_resize_req *q, struct vps_config *cfg,
                struct vps_error *err)
{
	unsigned given = 0;
	int r;

	for (size_t i = 0; i < q->n; i++) {
		const struct ops_resize_set *s = &q->set[i];

		/* their live steps fork and run code in the child (devpts.c's remount in the
		 * VPS's mount namespace; disk.c's resize2fs through posix_spawnp with environ) */
		if (q->no_fork && (s->what == (int)_VPS_QUOTA_FIELD_MAX ||
		                   s->what == OPS_RESIZE_DISK || s->what == OPS_RESIZE_DISK_INODES))
			return vps_error_set(
				err, -EOPNOTSUPP,
				"the pty cap and the disk are changed with vpsctl resize only");
		if (s->what >= 0)
			given |= 1u << s->what;
		r = s->what >= 0 ? ops_quota_set(cfg, s->what, s->value, err)
		                 : net_set(cfg, s->what, s->value, err);
		if (r < 0)
			return r;
	}
	r = ops_quota_validate(cfg, given, "vps.conf ", err);
	if (r == 0)
		r = vps_addresses_claim(c->paths, cfg, c->node, err);
	if (r == 0)
		r = vps_ports_claim(c->paths, cfg, c->node, err);
	return r;
}

int ops_resize(const struct ops_ctx *c, const char *name, const struct ops_resize_req *q,
               struct vps_error *err)
{
	_cleanup_close_ int lock = -EBADF;
	struct resize z = {.c = c, .dir = -EBADF, .force = q->force};
	int r;

	if (q->n == 0)
		return vps_error_set(err, -EINVAL, "nothing to change: give at least one option");
	lock = ops_lock(c, name, false, err);
	if (lock < 0)
		return lock;
	/* under the lock: the config changed is the one on disk after any other command */
	r = vps_config_load(c->paths, name, c->node, &z.old, err);
	if (r < 0)
		return r;
	z.cfg = z.old;
	r = edit(c, q, &z.cfg, err);
	if (r == 0)
		r = open_running(&z, err);
	if (r == 0)
		r = resize_locked(&z, err);
	vps_cgroup_free(z.cg);
	closep(&z.dir);
	return r;
}
