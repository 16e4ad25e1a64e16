/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Automatic CPU pinning: the node lock, the other VPSes' cpusets, the write (cpu-pinning.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cpu-pinning.h"
#include "fileio.h"
#include "lock.h"
#include "parse.h"
#include "state.h"

#define PIN_LOCK_NAME        "_cpu-pin" /* RUN/locks/_cpu-pin.lock; no VPS name starts with _ */
#define PIN_LOCK_TIMEOUT_SEC 5

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

/* The pinned VPSes on each CPU, but for self. */
static int node_loads(const struct vps_paths *p, const struct node_config *node, const char *self,
                      const struct vps_cpumask *online, unsigned load[VPS_CPU_PIN_MAX])
{
	_cleanup_closedir_ DIR *d = opendir(p->vps_base);
	struct dirent *de;

	memset(load, 0, sizeof(unsigned) * VPS_CPU_PIN_MAX);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		struct vps_cpumask set;

		if (!name_is_valid(de->d_name) || strcmp(de->d_name, self) == 0)
			continue;
		if (other_cpuset(p, node, de->d_name, &set) == 0)
			vps_cpu_load_add(load, &set, online);
	}
	return 0;
}

/* The cpuset the VPS should have, given what it has (cur) and the node's loads. */
static int choose(const struct vps_paths *p, const struct node_config *node,
                  const struct vps_config *cfg, const struct vps_cpumask *cur,
                  const struct vps_cpumask *online, struct vps_cpumask *ret)
{
	unsigned count = vps_cpu_pin_count(cfg->quota.cpus_milli, online);
	_cleanup_free_ unsigned *load = NULL;
	int r;

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
	r = node_loads(p, node, cfg->name, online, load);
	return r < 0 ? r : vps_cpu_pin_choose(load, online, count, ret);
}

int vps_cpu_pin(const struct vps_paths *p, const struct node_config *node,
                const struct vps_config *cfg, struct vps_cgroup *cg, struct vps_error *err)
{
	_cleanup_close_ int lock = -EBADF;
	struct vps_cpumask online, cur, want;
	struct vps_quota q, n;
	int r;

	if (!vps_cpu_pin_applies(node, cfg))
		return 0;
	r = read_online(&online);
	if (r < 0)
		return vps_error_errno(err, r, "cannot read the node's online CPUs");
	/* 1. under the node lock, from reading the others to writing ours: parallel starts
	 * each see the pins made before them */
	lock = vps_lock(p, PIN_LOCK_NAME, PIN_LOCK_TIMEOUT_SEC);
	if (lock < 0)
		return vps_error_errno(err, lock, "cannot take the CPU pinning lock");
	r = vps_cgroup_read_quota(cg, &q);
	if (r == 0)
		r = vps_cpumask_parse(q.cpuset, &cur);
	if (r < 0)
		return vps_error_errno(err, r, "cannot read the VPS's cpuset");
	r = choose(p, node, cfg, &cur, &online, &want);
	if (r < 0)
		return vps_error_errno(err, r, "cannot choose CPUs to pin the VPS to");
	n = q;
	r = vps_cpumask_format(&want, n.cpuset, sizeof(n.cpuset));
	if (r < 0)
		return vps_error_errno(err, r, "cannot write the chosen CPUs as a list");
	if (strcmp(n.cpuset, q.cpuset) == 0)
		return 0;
	/* 2. the write, a resize of the cpuset alone */
	return vps_cpu_resize(cg, &q, &n, 0, false, err);
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
