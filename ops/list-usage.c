/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"
#include "cleanup.h"
#include "disk.h"
#include "list-usage.h"
#include "netsetup.h"
#include "parse.h"

static int add_link(int ifindex, const struct netsetup_link_stats *st, void *userdata)
{
	struct vps_usage_links *ls = userdata;
	struct vps_usage_link *v;

	v = realloc(ls->v, (ls->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	ls->v = v;
	v[ls->n].ifindex = ifindex;
	v[ls->n++].st = *st;
	return 0;
}

static int cmp_link(const void *a, const void *b)
{
	int x = ((const struct vps_usage_link *)a)->ifindex;
	int y = ((const struct vps_usage_link *)b)->ifindex;

	return (x > y) - (x < y);
}

int vps_usage_links_load(struct vps_usage_links *ret)
{
	int r;

	*ret = (struct vps_usage_links)VPS_USAGE_LINKS_INIT;
	r = netsetup_link_index_open();
	if (r >= 0) {
		ret->index_fd = r;
		r = netsetup_link_stats_foreach(-1, add_link, ret);
	}
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
	closep(&l->index_fd);
	*l = (struct vps_usage_links)VPS_USAGE_LINKS_INIT;
}

const struct vps_usage_link *vps_usage_link_find(const struct vps_usage_links *links,
                                                 const char *name)
{
	char host_if[NETSETUP_IFNAMSIZ];
	struct vps_usage_link key = {0};

	if (!links || !links->n || links->index_fd < 0)
		return NULL;
	netsetup_host_ifname(name, host_if);
	key.ifindex = netsetup_link_index(links->index_fd, host_if);
	if (key.ifindex <= 0)
		return NULL;
	return bsearch(&key, links->v, links->n, sizeof(key), cmp_link);
}

static void net_get(const char *name, const struct vps_usage_links *links, struct vps_usage *u)
{
	const struct vps_usage_link *l = vps_usage_link_find(links, name);

	if (!l)
		return;
	/* the node end counts the other way round */
	u->have_net = true;
	u->link = l;
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
                   const char *cgroup_parent, const struct vps_cgroup_parent *cgp,
                   const struct vps_usage_links *links, struct vps_usage *ret)
{
	_cleanup_vps_cgroup_ struct vps_cgroup *cg = NULL;
	struct vps_cgroup_stats s;

	*ret = (struct vps_usage){0};
	if (init_pid == 0)
		return;
	net_get(cfg->name, links, ret);
	if ((cgp ? vps_cgroup_new_at(cgp, cfg->name, &cg)
	         : vps_cgroup_new(cgroup_parent, cfg->name, &cg)) < 0 ||
	    vps_cgroup_usage(cg, &s) < 0)
		return;
	ret->running = true;
	ret->tasks = s.pids_current;
	ret->cpu_usec = s.cpu_usage_usec;
	ret->cpu_permille = s.cpu_usage_usec / (uptime ? uptime : 1) / 1000;
	ret->mem_used = s.memory_current;
	ret->mem_limit = s.memory_max;
}

void vps_usage_node_open(struct vps_usage_node *n, const char *vps_base)
{
	*n = (struct vps_usage_node)VPS_USAGE_NODE_INIT;
	if (!vps_base)
		return;
	n->vps_base = open(vps_base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (n->vps_base < 0 || vps_counters_boot_id(n->boot_id, sizeof(n->boot_id)) < 0)
		closep(&n->vps_base); /* read each VPS by path */
}

void vps_usage_node_done(struct vps_usage_node *n)
{
	vps_usage_links_done(&n->links);
	closep(&n->vps_base);
	for (size_t k = 0; k < n->n_cgp; k++)
		n->cgp[k].p = vps_cgroup_parent_free(n->cgp[k].p);
	n->n_cgp = 0;
}

const struct vps_usage_links *vps_usage_node_links(struct vps_usage_node *n)
{
	/* read once, by whichever row asks first: rows are built on threads (stats --all's
	 * loaded the dump twice at once, a corrupted heap) */
	(void)pthread_mutex_lock(&n->lock);
	if (!n->links_read) {
		(void)vps_usage_links_load(&n->links);
		n->links_read = true;
	}
	(void)pthread_mutex_unlock(&n->lock);
	return &n->links;
}

static const struct vps_cgroup_parent *node_cgroup(struct vps_usage_node *n, const char *path)
{
	struct vps_usage_cgp *e;

	for (size_t k = 0; k < n->n_cgp; k++)
		if (strcmp(n->cgp[k].path, path) == 0)
			return n->cgp[k].p;
	if (n->n_cgp == ELEMENTSOF(n->cgp) || strlen(path) >= sizeof(e->path))
		return NULL;
	e = &n->cgp[n->n_cgp];
	if (vps_cgroup_parent_open(path, &e->p) < 0)
		return NULL;
	snprintf(e->path, sizeof(e->path), "%s", path);
	n->n_cgp++;
	return e->p;
}

const struct vps_cgroup_parent *vps_usage_node_cgroup(struct vps_usage_node *n, const char *path)
{
	const struct vps_cgroup_parent *p;

	(void)pthread_mutex_lock(&n->lock);
	p = node_cgroup(n, path);
	(void)pthread_mutex_unlock(&n->lock);
	return p;
}

int vps_usage_node_counters(struct vps_usage_node *n, const struct vps_paths *p, const char *name,
                            struct vps_counters *ret)
{
	return vps_usage_node_counters_of(n, p, name,
	                                  vps_usage_link_find(vps_usage_node_links(n), name), ret);
}

int vps_usage_node_counters_of(struct vps_usage_node *n, const struct vps_paths *p,
                               const char *name, const struct vps_usage_link *l,
                               struct vps_counters *ret)
{
	if (n->vps_base < 0)
		return vps_counters_read(p, name, ret);
	return vps_counters_read_live(n->vps_base, name, n->boot_id, l ? l->ifindex : 0,
	                              l ? &l->st : NULL, ret);
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
