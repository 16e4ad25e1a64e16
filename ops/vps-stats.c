/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "counters.h"
#include "disk.h"
#include "io-devices.h"
#include "state.h"
#include "storage.h"
#include "vps-stats.h"

int ops_running_cgroup_open(const struct ops_ctx *c, struct vps_usage_node *node, const char *name,
                            struct vps_cgroup **ret, struct vps_error *err)
{
	const struct vps_cgroup_parent *p;
	struct vps_state st;
	const char *parent;

	switch (vps_run_state_get(c->paths, name, &st)) {
	case VPS_STOPPED:
		return -ESRCH;
	case VPS_UNKNOWN:
		/* which cgroup, and whether it runs, is not known: change nothing */
		return vps_error_set(err, -EBADMSG, "state unreadable: %s; not resizing",
		                     st.error_text);
	default:
		parent = st.cgroup_parent[0] ? st.cgroup_parent : c->node->cgroup_parent;
		p = node ? vps_usage_node_cgroup(node, parent) : NULL;
		return p ? vps_cgroup_new_at(p, name, ret) : vps_cgroup_new(parent, name, ret);
	}
}

/* The bytes and packets of the metering period (counters.h), not only the live veth's, in
 * the node end's orientation. */
static int meter(const struct ops_ctx *c, struct vps_usage_node *node, struct vps_stats *st)
{
	struct vps_counters m;
	int r = node ? vps_usage_node_counters(node, c->paths, st->name, &m)
	             : vps_counters_read(c->paths, st->name, &m);

	if (r < 0)
		return r;
	st->net.tx_bytes = m.rx_bytes;
	st->net.rx_bytes = m.tx_bytes;
	st->net.tx_packets = m.rx_packets;
	st->net.rx_packets = m.tx_packets;
	st->period_start = m.period_start;
	return 0;
}

static void net_get(const struct ops_ctx *c, struct vps_usage_node *node,
                    const struct vps_config *cfg, struct vps_stats *st)
{
	char host_if[NETSETUP_IFNAMSIZ];

	if (node) {
		const struct vps_usage_link *l =
			vps_usage_link_find(vps_usage_node_links(node), cfg->name);

		st->have_net = l != NULL;
		if (l)
			st->net = l->st;
	} else {
		netsetup_host_ifname(cfg->name, host_if);
		st->have_net = netsetup_link_stats(-1, host_if, &st->net) == 0;
	}
	if (st->have_net || cfg->ip_address.n)
		st->have_net = meter(c, node, st) == 0 || st->have_net;
}

static void disk_get(const struct ops_ctx *c, const struct vps_config *cfg, struct vps_stats *st)
{
	struct vps_state rs;
	struct vps_disk_use d;
	char dir[PATH_MAX];

	st->have_disk = cfg->disk != 0;
	if (st->have_disk && vps_run_state_get(c->paths, cfg->name, &rs) == VPS_RUNNING &&
	    rs.init_pid <= INT32_MAX &&
	    vps_path(c->paths, cfg->name, NULL, dir, sizeof(dir)) == 0 &&
	    vps_disk_use(dir, cfg, (pid_t)rs.init_pid, &d) == 0) {
		st->disk_size = d.bytes_limit;
		st->disk_used = d.bytes_used;
	}
}

int ops_stats_get(const struct ops_ctx *c, struct vps_usage_node *node, const char *name,
                  struct vps_stats *ret, struct vps_error *err)
{
	_cleanup_vps_cgroup_ struct vps_cgroup *cg = NULL;
	struct vps_config cfg;
	char dir[PATH_MAX];
	int r;

	*ret = (struct vps_stats){0};
	r = vps_config_load(c->paths, name, c->node, &cfg, err);
	if (r < 0)
		return r;
	snprintf(ret->name, sizeof(ret->name), "%s", cfg.name);
	r = ops_running_cgroup_open(c, node, cfg.name, &cg, err);
	if (r == -ESRCH)
		return vps_error_set(err, r, "not running");
	if (r == 0)
		r = vps_cgroup_stats(cg, &ret->s);
	if (r < 0)
		return vps_error_errno(err, r, "failed to read its cgroup");
	/* the I/O of the VPS's own storage devices, each byte once */
	if (vps_path(c->paths, cfg.name, NULL, dir, sizeof(dir)) == 0)
		vps_storage_io_counters(cg, dir, vps_disk_is_image(&cfg), &ret->s);
	net_get(c, node, &cfg, ret);
	disk_get(c, &cfg, ret);
	return 0;
}

void ops_stats_object(FILE *f, const struct vps_stats *st)
{
	const struct vps_cgroup_stats *s = &st->s;
	const struct netsetup_link_stats *n = &st->net;

	fprintf(f,
	        "{\"name\":\"%s\",\"cpu_usage_usec\":%" PRIu64 ",\"nr_periods\":%" PRIu64
	        ",\"nr_throttled\":%" PRIu64 ",\"throttled_usec\":%" PRIu64
	        ",\"memory_current\":%" PRIu64 ",\"memory_peak\":%" PRIu64
	        ",\"memory_max\":%" PRIu64 ",\"swap_current\":%" PRIu64 ",\"pids_current\":%" PRIu64
	        ",\"pids_max\":%" PRIu64 ",\"memory_high_events\":%" PRIu64
	        ",\"memory_max_events\":%" PRIu64 ",\"memory_oom_events\":%" PRIu64
	        ",\"memory_oom_kills\":%" PRIu64 ",\"pids_max_events\":%" PRIu64
	        ",\"io_read_bytes\":%" PRIu64 ",\"io_write_bytes\":%" PRIu64
	        ",\"io_read_ops\":%" PRIu64 ",\"io_write_ops\":%" PRIu64,
	        st->name, s->cpu_usage_usec, s->cpu_nr_periods, s->cpu_nr_throttled,
	        s->cpu_throttled_usec, s->memory_current, s->memory_peak, s->memory_max,
	        s->swap_current, s->pids_current, s->pids_max, s->memory_high_events,
	        s->memory_max_events, s->memory_oom_events, s->memory_oom_kills, s->pids_max_events,
	        s->io_read_bytes, s->io_write_bytes, s->io_read_ops, s->io_write_ops);
	/* the node end counts the other way round: what it received, the VPS sent */
	if (st->have_net)
		fprintf(f,
		        ",\"net_period_start\":%" PRIu64 ",\"net_rx_bytes\":%" PRIu64
		        ",\"net_tx_bytes\":%" PRIu64 ",\"net_rx_packets\":%" PRIu64
		        ",\"net_tx_packets\":%" PRIu64 ",\"net_rx_dropped\":%" PRIu64
		        ",\"net_tx_dropped\":%" PRIu64,
		        st->period_start, n->tx_bytes, n->rx_bytes, n->tx_packets, n->rx_packets,
		        n->tx_dropped, n->rx_dropped);
	if (st->have_disk)
		fprintf(f, ",\"disk_size\":%" PRIu64 ",\"disk_used\":%" PRIu64, st->disk_size,
		        st->disk_used);
	fputc('}', f);
}

int ops_stats_json(const struct ops_ctx *c, const char *name, FILE *f, struct vps_error *err)
{
	struct vps_stats st;
	int r = ops_stats_get(c, NULL, name, &st, err);

	if (r < 0)
		return r;
	ops_stats_object(f, &st);
	fputc('\n', f);
	return 0;
}
