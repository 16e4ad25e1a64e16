/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Automatic CPU pinning: the node lock, the node's table of pins, the write (cpu-pinning.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cpu-pin-table.h"
#include "cpu-pinning.h"
#include "fileio.h"
#include "lock.h"
#include "log.h"
#include "parse.h"
#include "state.h"

#define PIN_LOCK_NAME        "_cpu-pin" /* RUN/locks/_cpu-pin.lock; no VPS name starts with _ */
#define PIN_LOCK_TIMEOUT_SEC 5
#define PIN_FILE_NAME        "_cpu-pin.pins" /* the table (cgroup/cpu-pin-table.h) */
#define PIN_FILE_MAX         (4u << 20)
#define PIN_CHECKS           2 /* entries checked against the kernel per pin */

bool vps_cpu_pin_applies(const struct node_config *node, const struct vps_config *cfg)
{
	return node->cpu_pinning == VPS_CPU_PINNING_AUTO && cfg->quota.cpuset[0] == '\0';
}

static int read_online(struct vps_cpumask *ret)
{
	_cleanup_free_ char *s = NULL;
	int r = read_file_at(AT_FDCWD, "/sys/devices/system/cpu/online", 4096, &s, NULL);

	return r < 0 ? r : vps_cpumask_parse(s, ret);
}

/* The cpuset of another VPS's group; -ENOENT and the like when it does not run. */
static int other_cpuset(const struct vps_paths *p, const struct node_config *node, const char *name,
                        struct vps_cpumask *ret)
{
	_cleanup_vps_cgroup_ struct vps_cgroup *cg = NULL;
	struct vps_state st;
	struct vps_quota q;
	int r;

	r = vps_state_read(p, name, &st);
	if (r == 0)
		r = vps_cgroup_new(st.cgroup_parent[0] ? st.cgroup_parent : node->cgroup_parent,
		                   name, &cg);
	if (r == 0 && !vps_cgroup_exists(cg))
		r = -ENOENT;
	if (r == 0)
		r = vps_cgroup_read_quota(cg, &q);
	return r < 0 ? r : vps_cpumask_parse(q.cpuset, ret);
}

/* RUN/locks/_cpu-pin.pins, beside the lock that guards it. */
static int pins_path(const struct vps_paths *p, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/locks/" PIN_FILE_NAME, p->run_base);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* The table from every VPS's group, as the kernel holds it: for a missing or damaged file. */
static int pins_rebuild(const struct vps_paths *p, const struct node_config *node,
                        const struct vps_cpumask *online, struct vps_pin_table *t)
{
	_cleanup_closedir_ DIR *d = opendir(p->vps_base);
	struct dirent *de;

	vps_pin_table_done(t);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		struct vps_cpumask set;

		if (name_is_valid(de->d_name) && other_cpuset(p, node, de->d_name, &set) == 0 &&
		    vps_pin_table_put(t, de->d_name, &set, online) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* The node's table (under the lock); rebuilt when the file is missing or not in its format.
 * ret_dirty: the file is to be written. */
static int pins_load(const struct vps_paths *p, const struct node_config *node,
                     const struct vps_cpumask *online, struct vps_pin_table *t, bool *ret_dirty)
{
	_cleanup_free_ char *text = NULL;
	char path[PATH_MAX];
	int r = pins_path(p, path, sizeof(path));

	*ret_dirty = false;
	if (r == 0)
		r = read_file_at(AT_FDCWD, path, PIN_FILE_MAX, &text, NULL);
	if (r == 0)
		r = vps_pin_table_parse(text, t);
	if (r == 0 || r == -ENOMEM)
		return r;
	log_debug("CPU pins: '%s' unreadable (%s), rebuilt from the groups", path, strerror(-r));
	*ret_dirty = true;
	return pins_rebuild(p, node, online, t);
}

static int pins_store(const struct vps_paths *p, const struct vps_pin_table *t)
{
	_cleanup_free_ char *text = NULL;
	char path[PATH_MAX];
	int r = pins_path(p, path, sizeof(path));

	if (r == 0)
		r = vps_pin_table_format(t, &text);
	return r < 0 ? r : write_file_atomic_at(AT_FDCWD, path, text, strlen(text), 0600);
}

/* PIN_CHECKS entries from the cursor on, but self's, against the kernel: an entry whose VPS
 * is gone without saying so (a supervisor killed between its group's removal and the
 * release, a node that lost its run dir's groups) or whose cpuset changed behind the table
 * is put right. O(1) per pin; every entry is checked once in n / PIN_CHECKS pins.
 * Returns whether the table changed. */
static bool pins_check(const struct vps_paths *p, const struct node_config *node,
                       const struct vps_cpumask *online, struct vps_pin_table *t, const char *self)
{
	bool changed = false;

	for (unsigned k = 0; k < PIN_CHECKS && t->n > 0; k++) {
		struct vps_pin_entry *e = &t->e[t->cursor % t->n];
		struct vps_cpumask set;
		int r;

		t->cursor = t->cursor % t->n + 1;
		changed = true; /* the cursor moved */
		if (strcmp(e->name, self) == 0)
			continue;
		r = other_cpuset(p, node, e->name, &set);
		if (r == -ENOENT)
			memset(&set, 0, sizeof(set)); /* not running: no pin */
		else if (r < 0)
			continue; /* unknown: leave it */
		(void)vps_pin_table_put(t, e->name, &set, online);
	}
	return changed;
}

/* The cpuset the VPS should have, given what it has (cur) and the node's loads. */
static int choose(const struct vps_pin_table *t, const struct vps_config *cfg,
                  const struct vps_cpumask *cur, const struct vps_cpumask *online,
                  struct vps_cpumask *ret)
{
	unsigned count = vps_cpu_pin_count(cfg->quota.cpus_milli, online);
	_cleanup_free_ unsigned *load = NULL;

	memset(ret, 0, sizeof(*ret)); /* empty: every CPU */
	if (count == 0)
		return 0;
	if (vps_cpu_pin_is_partial(cur, online) && vps_cpumask_count(cur) == count) {
		struct vps_cpumask in = {0};

		for (unsigned c = 0; c < VPS_CPU_PIN_MAX; c++)
			if (vps_cpumask_has(cur, c) && vps_cpumask_has(online, c))
				vps_cpumask_set(&in, c);
		if (vps_cpumask_count(&in) == count) {
			*ret = in;
			return 0;
		}
	}
	load = calloc(VPS_CPU_PIN_MAX, sizeof(unsigned));
	if (!load)
		return -ENOMEM;
	vps_pin_table_loads(t, cfg->name, online, load);
	return vps_cpu_pin_choose(load, online, count, ret);
}

/* Under the lock: the table with the VPS's new pin (want) in it, written before the group is
 * (a kill -9 in between leaves a pin counted that is not made, which a check puts right, never
 * one made that is not counted). */
static int pins_update(const struct vps_paths *p, const struct node_config *node,
                       const struct vps_config *cfg, const struct vps_cpumask *cur,
                       const struct vps_cpumask *online, struct vps_cpumask *want,
                       struct vps_error *err)
{
	_cleanup_(vps_pin_table_done) struct vps_pin_table t = {0};
	bool dirty;
	int r;

	r = pins_load(p, node, online, &t, &dirty);
	if (r < 0)
		return vps_error_errno(err, r, "cannot read the node's CPU pins");
	dirty |= pins_check(p, node, online, &t, cfg->name);
	if (vps_cpu_pin_applies(node, cfg))
		r = choose(&t, cfg, cur, online, want);
	else
		*want = *cur; /* an explicit cpuset: counted, not chosen */
	if (r < 0)
		return vps_error_errno(err, r, "cannot choose CPUs to pin the VPS to");
	r = vps_pin_table_put(&t, cfg->name, want, online);
	if (r < 0)
		return vps_error_errno(err, r, "cannot note the VPS's CPUs");
	r = dirty || r > 0 ? pins_store(p, &t) : 0;
	return r < 0 ? vps_error_errno(err, r, "cannot write the node's CPU pins") : 0;
}

int vps_cpu_pin(const struct vps_paths *p, const struct node_config *node,
                const struct vps_config *cfg, struct vps_cgroup *cg, struct vps_error *err)
{
	_cleanup_close_ int lock = -EBADF;
	struct vps_cpumask online, cur, want;
	struct vps_quota q, n;
	int r;

	/* nothing chosen and nothing to count (a VPS pinned before is released at its stop) */
	if (!vps_cpu_pin_applies(node, cfg) && cfg->quota.cpuset[0] == '\0')
		return 0;
	r = read_online(&online);
	if (r < 0)
		return vps_error_errno(err, r, "cannot read the node's online CPUs");
	r = vps_cgroup_read_quota(cg, &q); /* our own group: the caller holds the VPS's lock */
	if (r == 0)
		r = vps_cpumask_parse(q.cpuset, &cur);
	if (r < 0)
		return vps_error_errno(err, r, "cannot read the VPS's cpuset");
	/* a cap that pins nothing on a VPS that runs everywhere: nothing to choose or count */
	if (vps_cpu_pin_count(cfg->quota.cpus_milli, &online) == 0 &&
	    !vps_cpu_pin_is_partial(&cur, &online) && vps_cpu_pin_applies(node, cfg))
		return 0;
	/* 1. under the node lock, from reading the table to writing ours: parallel starts
	 * each see the pins made before them */
	lock = vps_lock(p, PIN_LOCK_NAME, PIN_LOCK_TIMEOUT_SEC);
	if (lock < 0)
		return vps_error_errno(err, lock, "cannot take the CPU pinning lock");
	r = pins_update(p, node, cfg, &cur, &online, &want, err);
	if (r < 0)
		return r;
	n = q;
	r = vps_cpumask_format(&want, n.cpuset, sizeof(n.cpuset));
	if (r < 0)
		return vps_error_errno(err, r, "cannot write the chosen CPUs as a list");
	if (strcmp(n.cpuset, q.cpuset) == 0)
		return 0;
	/* 2. the write, a resize of the cpuset alone; a refusal leaves the table's entry, which
	 * the checks put back to what the kernel holds */
	return vps_cpu_resize(cg, &q, &n, 0, false, err);
}

void vps_cpu_pin_release(const struct vps_paths *p, const char *name)
{
	_cleanup_(vps_pin_table_done) struct vps_pin_table t = {0};
	_cleanup_free_ char *text = NULL;
	_cleanup_close_ int lock = -EBADF;
	char path[PATH_MAX];
	struct vps_pin_entry *e;

	/* without the lock first: the table is replaced whole, and only we add name's entry */
	if (pins_path(p, path, sizeof(path)) < 0 ||
	    read_file_at(AT_FDCWD, path, PIN_FILE_MAX, &text, NULL) < 0 ||
	    vps_pin_table_parse(text, &t) < 0 || !vps_pin_table_find(&t, name))
		return;
	vps_pin_table_done(&t);
	free(TAKE_PTR(text));
	lock = vps_lock(p, PIN_LOCK_NAME, PIN_LOCK_TIMEOUT_SEC);
	if (lock < 0 || read_file_at(AT_FDCWD, path, PIN_FILE_MAX, &text, NULL) < 0 ||
	    vps_pin_table_parse(text, &t) < 0)
		return; /* the checks drop it */
	e = vps_pin_table_find(&t, name);
	if (e) {
		*e = t.e[--t.n];
		if (pins_store(p, &t) < 0)
			log_debug("CPU pins: '%s' not released, ignoring", name);
	}
}

int vps_cpu_resize(struct vps_cgroup *cg, const struct vps_quota *old, const struct vps_quota *new,
                   unsigned shrink_timeout_ms, bool force, struct vps_error *err)
{
	struct vps_cpumask online;
	struct vps_quota n;
	int r;

	/* v1: "" is the parent's CPUs (cgroup/plan.c) */
	r = vps_cgroup_resize(cg, old, new, shrink_timeout_ms, force, err);
	if (r != -ENOSPC || new->cpuset[0] || !old->cpuset[0])
		return r;
	/* v2 before Linux 6.6 (Debian 12's 6.1) refuses "" on a group with tasks ("cannot be
	 * depopulated"), and the failed plan was rolled back: every online CPU, spelt out, is the
	 * same set */
	vps_error_clear(err);
	r = read_online(&online);
	if (r < 0)
		return vps_error_errno(err, r, "cannot read the node's online CPUs");
	n = *new;
	r = vps_cpumask_format(&online, n.cpuset, sizeof(n.cpuset));
	return r < 0 ? vps_error_errno(err, r, "cannot write the online CPUs as a list")
	             : vps_cgroup_resize(cg, old, &n, shrink_timeout_ms, force, err);
}

int vps_cpu_pin_effective(struct vps_cgroup *cg, char *buf, size_t len, bool *ret_partial)
{
	struct vps_cpumask online, set;
	struct vps_quota q;
	int r;

	r = vps_cgroup_read_quota(cg, &q);
	if (r == 0)
		r = vps_cpumask_parse(q.cpuset, &set);
	if (r == 0)
		r = read_online(&online);
	if (r < 0)
		return r;
	if (vps_cpumask_count(&set) == 0)
		set = online;
	*ret_partial = vps_cpu_pin_is_partial(&set, &online);
	return vps_cpumask_format(&set, buf, len);
}
