/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lock.h"
#include "netcheck.h"
#include "network.h"
#include "routed.h"
#include "nat.h"

struct check_ctx {
	const struct vps_config *cfg;
	const struct node_config *node;
	char host_if[NETSETUP_IFNAMSIZ];
	struct netsetup_link_info veth;
	bool has_veth;
	vps_net_report_fn fn;
	void *userdata;
	int found;
};

static void report(struct check_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void report(struct check_ctx *c, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	c->found++;
	if (c->fn)
		c->fn(c->cfg ? c->cfg->name : NULL, line, c->userdata);
}

struct addrs_of {
	int ifindex;
	struct netsetup_addr_list *l;
};

static int addr_cb(int ifindex, const struct netsetup_addr *a, void *userdata)
{
	struct addrs_of *o = userdata;

	if (ifindex == o->ifindex && o->l->n < NETSETUP_ADDR_LIST_MAX)
		o->l->a[o->l->n++] = *a;
	return 0;
}

/* The addresses on ifname (as many as an address list holds). */
static int link_addrs(const char *ifname, struct netsetup_addr_list *ret)
{
	struct netsetup_link_info l;
	struct addrs_of o = {0, ret};
	int r = netsetup_link_get(-1, ifname, &l);

	if (r < 0)
		return r;
	o.ifindex = l.ifindex;
	ret->n = 0;
	return netsetup_addr_foreach(-1, AF_UNSPEC, addr_cb, &o);
}

static bool routed(const struct check_ctx *c)
{
	return c->cfg->net_mode == VPS_NET_ROUTED;
}

static void check_bridge(struct check_ctx *c)
{
	const struct netsetup_addr_list *want = &c->node->node_address;
	struct netsetup_link_info br;
	char ip[64];

	if (routed(c))
		return;
	if (netsetup_link_get(-1, c->node->bridge, &br) < 0) {
		report(c, "bridge '%s' is missing", c->node->bridge);
		return;
	}
	if (!(br.flags & IFF_UP))
		report(c, "bridge '%s' is down", c->node->bridge);
	for (size_t i = 0; i < want->n; i++) {
		struct netsetup_addr_list have = {0};

		if (link_addrs(c->node->bridge, &have) == 0 &&
		    netsetup_addr_list_has(&have, &want->a[i]))
			continue;
		report(c, "bridge '%s' lacks NODE_ADDRESS %s", c->node->bridge,
		       netsetup_addr_format(&want->a[i], ip, sizeof(ip)));
	}
	if (c->has_veth && c->veth.master != br.ifindex)
		report(c, "veth '%s' is not in bridge '%s'", c->host_if, c->node->bridge);
}

static void check_veth(struct check_ctx *c)
{
	if (!c->has_veth) {
		report(c, "veth '%s' is missing", c->host_if);
		return;
	}
	if (!(c->veth.flags & IFF_UP))
		report(c, "veth '%s' is down", c->host_if);
}

static void check_filters(struct check_ctx *c)
{
	uint64_t rate = 0;
	char a[48], b[32];

	if (!c->has_veth)
		return;
	if (c->cfg->antispoof && netsetup_antispoof_get(c->host_if) != 1)
		report(c, "veth '%s' has no anti-spoofing filter", c->host_if);
	if (netsetup_bandwidth_get(c->host_if, &rate) < 0)
		rate = UINT64_MAX;
	/* the kernel keeps the rate in bytes: a rounding is no discrepancy */
	if (rate / 8 == c->cfg->bandwidth / 8)
		return;
	if (rate == 0)
		snprintf(a, sizeof(a), "not capped");
	else
		snprintf(a, sizeof(a), "capped at %s",
		         rate == UINT64_MAX ? "?" : netsetup_rate_format(rate, b, sizeof(b)));
	if (c->cfg->bandwidth)
		report(c, "veth '%s' is %s, vps.conf says %s", c->host_if, a,
		       netsetup_rate_format(c->cfg->bandwidth, b, sizeof(b)));
	else
		report(c, "veth '%s' is %s, vps.conf says no cap", c->host_if, a);
}

static void check_routes(struct check_ctx *c)
{
	const struct netsetup_addr_list *l = &c->cfg->ip_address;
	long fwd = 0;
	char ip[64];

	if (!routed(c) || !c->has_veth)
		return;
	for (size_t i = 0; i < l->n; i++) {
		netsetup_addr_format_ip(&l->a[i], ip, sizeof(ip));
		if (vps_routed_has_route(c->host_if, &l->a[i]) != 1)
			report(c, "no route to %s over '%s'", ip, c->host_if);
		if (c->node->uplink[0] && vps_routed_has_proxy(c->node, &l->a[i]) != 1)
			report(c, "uplink '%s' does not answer ARP/NDP for %s (no proxy entry)",
			       c->node->uplink, ip);
	}
	if (netsetup_if_sysctl_get(AF_INET, c->host_if, "forwarding", &fwd) < 0 || fwd != 1)
		report(c, "forwarding is off on '%s'", c->host_if);
	if (c->node->uplink[0] &&
	    (netsetup_if_sysctl_get(AF_INET, c->node->uplink, "forwarding", &fwd) < 0 || fwd != 1))
		report(c, "forwarding is off on uplink '%s'", c->node->uplink);
}

static void check_node_services(struct check_ctx *c)
{
	const char *ifname = routed(c) ? c->host_if : c->node->bridge;

	if (c->node->node_services == VPS_NODE_SERVICES_ALLOW)
		return;
	if (netsetup_nodefw_has(ifname) != 1)
		report(c, "'%s' is not in the node-services filter (nftables table inet %s)",
		       ifname, NETSETUP_NODEFW_TABLE);
}

static void check_masquerade(struct check_ctx *c)
{
	const struct netsetup_addr_list *l = &c->node->node_address;
	char net[64];
	long fwd = 0;

	if (!c->node->nat || routed(c) || !c->node->uplink[0])
		return;
	if (netsetup_if_sysctl_get(AF_INET, "all", "forwarding", &fwd) < 0 || fwd != 1)
		report(c, "net.ipv4.ip_forward is off (NAT=yes)");
	for (size_t i = 0; i < l->n; i++)
		if (l->a[i].family == AF_INET &&
		    netsetup_nat_has_masquerade(c->node->uplink, &l->a[i]) != 1)
			report(c, "%s is not masqueraded out of uplink '%s' (nftables table ip %s)",
			       netsetup_addr_format(&l->a[i], net, sizeof(net)), c->node->uplink,
			       NETSETUP_NAT_TABLE);
}

static void check_forwards(struct check_ctx *c)
{
	const struct netsetup_addr *to = vps_nat_target(c->cfg);
	char f[32];

	for (size_t i = 0; to && i < c->cfg->forwards.n; i++)
		if (netsetup_nat_has_forward(c->host_if, c->node->uplink, to,
		                             &c->cfg->forwards.f[i]) != 1)
			report(c, "forward %s is missing (nftables table ip %s)",
			       netsetup_forward_format(&c->cfg->forwards.f[i], f, sizeof(f)),
			       NETSETUP_NAT_TABLE);
}

/* The rows: each looks at one piece of plumbing. */
static void (*const checks[])(struct check_ctx *) = {
	check_veth,          check_bridge,     check_filters,  check_routes,
	check_node_services, check_masquerade, check_forwards,
};

int vps_net_check(const struct vps_config *cfg, const struct node_config *node, pid_t init_pid,
                  vps_net_report_fn fn, void *userdata)
{
	struct check_ctx c = {.cfg = cfg, .node = node, .fn = fn, .userdata = userdata};

	(void)init_pid;
	if (cfg->ip_address.n == 0)
		return 0;
	netsetup_host_ifname(cfg->name, c.host_if);
	c.has_veth = netsetup_link_get(-1, c.host_if, &c.veth) == 0;
	for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++)
		checks[i](&c);
	return c.found;
}

/* The bridge exists (vps_net_make makes a missing one whole): up, with every NODE_ADDRESS. */
static int repair_bridge(const struct node_config *node)
{
	struct netsetup_addr_list have = {0};
	int r;

	if (netsetup_link_exists(-1, node->bridge) != 1)
		return 0;
	r = netsetup_link_up(-1, node->bridge);
	if (r == 0)
		r = link_addrs(node->bridge, &have);
	for (size_t i = 0; r == 0 && i < node->node_address.n; i++)
		if (!netsetup_addr_list_has(&have, &node->node_address.a[i]))
			r = netsetup_addr_add(-1, node->bridge, &node->node_address.a[i]);
	return r;
}

int vps_net_repair(const struct vps_paths *p, const struct vps_config *cfg,
                   const struct node_config *node, pid_t init_pid, struct vps_error *err)
{
	int r = 0;

	if (cfg->ip_address.n == 0)
		return 0;
	if (cfg->net_mode == VPS_NET_BRIDGED)
		r = repair_bridge(node);
	if (r < 0)
		return vps_error_errno(err, r, "failed to bring bridge '%s' up with NODE_ADDRESS",
		                       node->bridge);
	return vps_net_make(p, cfg, node, init_pid, err);
}

struct stale_ctx {
	vps_net_report_fn fn;
	void *userdata;
	const char *uplink;
};

static void on_stale(const struct netsetup_addr *a, void *userdata)
{
	struct stale_ctx *s = userdata;
	char ip[64], line[256];

	snprintf(line, sizeof(line),
	         "uplink '%s' answers ARP/NDP for %s, which no running VPS "
	         "holds (a proxy entry left behind)",
	         s->uplink, netsetup_addr_format_ip(a, ip, sizeof(ip)));
	if (s->fn)
		s->fn(NULL, line, s->userdata);
}

int vps_net_check_node(const struct vps_paths *p, const struct node_config *node, bool repair,
                       vps_net_report_fn fn, void *userdata)
{
	struct stale_ctx s = {fn, userdata, node->uplink};
	char lock[PATH_MAX];

	if (repair && vps_nodefw_lock_path(p, lock, sizeof(lock)) == 0)
		(void)netsetup_nodefw_prune(lock);
	return vps_routed_sweep(node, repair, on_stale, &s);
}
