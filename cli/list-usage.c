/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"
#include "cleanup.h"
#include "disk.h"
#include "list-usage.h"
#include "netsetup.h"
#include "parse.h"

static int add_link(const struct netsetup_link_info *l, void *userdata)
{
	struct vps_usage_links *ls = userdata;
	struct vps_usage_link *v;

	if (strcmp(l->kind, "veth") != 0)
		return 0;
	v = realloc(ls->v, (ls->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	ls->v = v;
	snprintf(v[ls->n].name, sizeof(v[ls->n].name), "%s", l->name);
	v[ls->n++].st = l->stats;
	return 0;
}

static int cmp_link(const void *a, const void *b)
{
	return strcmp(((const struct vps_usage_link *)a)->name,
	              ((const struct vps_usage_link *)b)->name);
}

int vps_usage_links_load(struct vps_usage_links *ret)
{
	int r;

	*ret = (struct vps_usage_links){0};
	r = netsetup_link_foreach(-1, add_link, ret);
	if (r < 0) {
		vps_usage_links_done(ret);
		return r;
	}
	if (ret->n)
		qsort(ret->v, ret->n, sizeof(*ret->v), cmp_link);
	return 0;
}

void vps_usage_links_done(struct vps_usage_links *l)
{
	free(l->v);
	*l = (struct vps_usage_links){0};
}

static void net_get(const char *name, const struct vps_usage_links *links, struct vps_usage *u)
{
	struct vps_usage_link key = {0};
	const struct vps_usage_link *l;

	if (!links || !links->n)
		return;
	netsetup_host_ifname(name, key.name);
	l = bsearch(&key, links->v, links->n, sizeof(key), cmp_link);
	if (!l)
		return;
	/* the node end counts the other way round */
	u->have_net = true;
	u->rx_bytes = l->st.tx_bytes;
	u->tx_bytes = l->st.rx_bytes;
}

void vps_usage_disk(const char *dir, const struct vps_config *cfg, uint64_t init_pid,
                    struct vps_usage *ret)
{
	struct vps_disk_use d;

	if (init_pid > INT32_MAX || vps_disk_use(dir, cfg, (pid_t)init_pid, &d) < 0) {
		/* a stopped image's file system is not mounted: its limits only */
		if (!cfg->disk)
			return;
		d = (struct vps_disk_use){0, cfg->disk, 0, vps_config_disk_inodes(cfg)};
	}
	ret->have_disk = true;
	ret->disk_used = d.bytes_used;
	ret->disk_size = d.bytes_limit;
	ret->disk_inodes_used = d.inodes_used;
	ret->disk_inodes = d.inodes_limit;
}

void vps_usage_get(const struct vps_config *cfg, uint64_t init_pid, uint64_t uptime,
                   const char *cgroup_parent, const struct vps_usage_links *links,
                   struct vps_usage *ret)
{
	_cleanup_vps_cgroup_ struct vps_cgroup *cg = NULL;
	struct vps_cgroup_stats s;

	*ret = (struct vps_usage){0};
	if (init_pid == 0)
		return;
	net_get(cfg->name, links, ret);
	if (vps_cgroup_new(cgroup_parent, cfg->name, &cg) < 0 || vps_cgroup_usage(cg, &s) < 0)
		return;
	ret->running = true;
	ret->tasks = s.pids_current;
	ret->cpu_usec = s.cpu_usage_usec;
	ret->cpu_permille = s.cpu_usage_usec / (uptime ? uptime : 1) / 1000;
	ret->mem_used = s.memory_current;
	ret->mem_limit = s.memory_max;
}

const char *const vps_usage_fields[] = {"procs",       "cpu_pct",      "cpu_usec",
                                        "memory_used", "memory_limit", "disk_used",
                                        "disk_size",   "net_rx_bytes", "net_tx_bytes"};
const size_t vps_usage_fields_n = ELEMENTSOF(vps_usage_fields);

static void u64(uint64_t v, bool have, char *buf, size_t len)
{
	if (!have)
		snprintf(buf, len, "-");
	else if (v == VALUE_UNLIMITED)
		snprintf(buf, len, "unlimited");
	else
		snprintf(buf, len, "%" PRIu64, v);
}

int vps_usage_field(const struct vps_usage *u, const char *f, char *buf, size_t len)
{
	if (strcmp(f, "procs") == 0)
		u64(u->tasks, u->running, buf, len);
	else if (strcmp(f, "cpu_pct") == 0) {
		if (u->running)
			snprintf(buf, len, "%" PRIu64 ".%" PRIu64, u->cpu_permille / 10,
			         u->cpu_permille % 10);
		else
			snprintf(buf, len, "-");
	} else if (strcmp(f, "cpu_usec") == 0)
		u64(u->cpu_usec, u->running, buf, len);
	else if (strcmp(f, "memory_used") == 0)
		u64(u->mem_used, u->running, buf, len);
	else if (strcmp(f, "memory_limit") == 0)
		u64(u->mem_limit, u->running, buf, len);
	else if (strcmp(f, "disk_used") == 0)
		u64(u->disk_used, u->have_disk, buf, len);
	else if (strcmp(f, "disk_size") == 0)
		u64(u->disk_size, u->have_disk, buf, len);
	else if (strcmp(f, "net_rx_bytes") == 0)
		u64(u->rx_bytes, u->have_net, buf, len);
	else if (strcmp(f, "net_tx_bytes") == 0)
		u64(u->tx_bytes, u->have_net, buf, len);
	else
		return -ENOKEY;
	return 0;
}

const char *vps_usage_bytes(uint64_t v, char *buf, size_t len)
{
	static const char units[] = "KMGTPE";
	double d = (double)v;
	int u = -1;

	if (v == VALUE_UNLIMITED)
		snprintf(buf, len, "unlimited");
	else if (v < 1024)
		snprintf(buf, len, "%" PRIu64, v);
	else {
		while (d >= 1024 && u < 5) {
			d /= 1024;
			u++;
		}
		snprintf(buf, len, "%.1f%c", d, units[u]);
	}
	return buf;
}
