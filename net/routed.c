/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "routed.h"

static bool has_v6(const struct netsetup_addr *addrs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (addrs[i].family == AF_INET6)
			return true;
	return false;
}

/* IPv4 forwarding is per interface (the uplink's own is enough for what arrives there, and
 * the kernel answers ARP for a proxy entry only with it on). IPv6 forwards only with
 * all.forwarding, and answers NDP for a proxy entry only with proxy_ndp. */
static int uplink_sysctls(const char *uplink, bool v6, struct vps_error *err)
{
	static const char *const fmt = "failed to set %s on uplink '%s'";
	int r;

	r = netsetup_if_sysctl_set(AF_INET, uplink, "forwarding", "1");
	if (r < 0)
		return vps_error_errno(err, r, fmt, "net.ipv4.conf.UPLINK.forwarding", uplink);
	if (!v6)
		return 0;
	r = netsetup_if_sysctl_set(AF_INET6, "all", "forwarding", "1");
	if (r < 0)
		return vps_error_errno(err, r, fmt, "net.ipv6.conf.all.forwarding", uplink);
	r = netsetup_if_sysctl_set(AF_INET6, uplink, "proxy_ndp", "1");
	if (r < 0)
		return vps_error_errno(err, r, fmt, "net.ipv6.conf.UPLINK.proxy_ndp", uplink);
	return 0;
}

int vps_routed_uplink_add(const struct node_config *node, const struct netsetup_addr *addrs,
                          size_t n, struct vps_error *err)
{
	char ip[64];
	int r;

	if (!node->uplink[0] || n == 0)
		return 0;
	r = uplink_sysctls(node->uplink, has_v6(addrs, n), err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		r = netsetup_proxy_add(node->uplink, &addrs[i]);
		if (r < 0)
			return vps_error_set(
				err, r, "failed to answer ARP/NDP for %s on uplink '%s': %s",
				netsetup_addr_format_ip(&addrs[i], ip, sizeof(ip)), node->uplink,
				r == -ENODEV ? "no such interface (UPLINK in vpsctl.conf)"
					     : strerror(-r));
	}
	return 0;
}

static int change(const struct node_config *node, const char *host_if,
                  const struct netsetup_addr *a, bool add)
{
	int r;

	if (add) {
		/* the route first: a proxy entry without it is what the sweep removes */
		r = netsetup_host_route_add(host_if, a);
		return r < 0 ? r : vps_routed_uplink_add(node, a, 1, NULL);
	}
	r = node->uplink[0] ? netsetup_proxy_del(node->uplink, a) : 0;
	return r < 0 ? r : netsetup_host_route_del(host_if, a);
}

int vps_routed_update(const struct node_config *node, const char *host_if,
                      const struct netsetup_addr_list *old, const struct netsetup_addr_list *new)
{
	int r;

	for (size_t i = 0; i < new->n; i++)
		if (!netsetup_addr_list_has(old, &new->a[i])) {
			r = change(node, host_if, &new->a[i], true);
			if (r < 0)
				return r;
		}
	for (size_t i = 0; i < old->n; i++)
		if (!netsetup_addr_list_has(new, &old->a[i])) {
			r = change(node, host_if, &old->a[i], false);
			if (r < 0)
				return r;
		}
	return 0;
}

/* Whether a's host route of ours leads over oif (any device: 0), by one FIB lookup. */
static int find_route(const struct netsetup_addr *a, int oif)
{
	int r = netsetup_host_route_owner(a);

	if (r <= 0)
		return r;
	return oif == 0 || r == oif;
}

void vps_routed_uplink_del(const struct node_config *node, const struct netsetup_addr *addrs,
                           size_t n)
{
	for (size_t i = 0; node->uplink[0] && i < n; i++) {
		if (!netsetup_addr_subnet_of(&addrs[i], node->routed_ranges.a,
		                             node->routed_ranges.n))
			continue; /* no proxy entry is made outside ROUTED_RANGES */
		/* another VPS's route to it (the address moved on): the entry is that VPS's;
		 * not known (an error): kept, for `net check --repair` */
		if (netsetup_host_route_owner(&addrs[i]) != 0)
			continue;
		(void)netsetup_proxy_del(node->uplink, &addrs[i]);
	}
}

int vps_routed_has_route(const char *host_if, const struct netsetup_addr *a)
{
	struct netsetup_link_info l;
	int r = netsetup_link_get(-1, host_if, &l);

	if (r == -ENODEV)
		return 0;
	return r < 0 ? r : find_route(a, l.ifindex);
}

struct sweep {
	const struct node_config *node;
	int uplink;
	bool repair;
	vps_routed_stale_fn fn;
	void *userdata;
	int stale;
	/* the entries are collected first: deleting while the kernel dumps could skip some */
	struct netsetup_addr *found;
	size_t n, cap;
};

static int proxy_cb(int ifindex, const struct netsetup_addr *a, void *userdata)
{
	struct sweep *s = userdata;

	if (ifindex != s->uplink)
		return 0;
	if (!netsetup_addr_subnet_of(a, s->node->routed_ranges.a, s->node->routed_ranges.n))
		return 0;
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;
		struct netsetup_addr *p = reallocarray(s->found, cap, sizeof(*p));

		if (!p)
			return -ENOMEM;
		s->found = p;
		s->cap = cap;
	}
	s->found[s->n++] = *a;
	return 0;
}

static int uplink_index(const struct node_config *node)
{
	struct netsetup_link_info l;
	int r = netsetup_link_get(-1, node->uplink, &l);

	return r < 0 ? r : l.ifindex;
}

int vps_routed_has_proxy(const struct node_config *node, const struct netsetup_addr *a)
{
	if (!node->uplink[0])
		return 1; /* nothing to answer on: the ranges are routed to the node */
	/* one request per address: a check of N VPSes is no N dumps of every entry */
	return netsetup_proxy_has(node->uplink, a);
}

int vps_routed_sweep(const struct node_config *node, bool repair, vps_routed_stale_fn fn,
                     void *userdata)
{
	struct sweep s = {.node = node, .repair = repair, .fn = fn, .userdata = userdata};
	int r;

	if (!node->uplink[0] || node->routed_ranges.n == 0)
		return 0;
	s.uplink = uplink_index(node);
	if (s.uplink == -ENODEV)
		return 0; /* no uplink: no entries on it either */
	if (s.uplink < 0)
		return s.uplink;
	r = netsetup_proxy_foreach(proxy_cb, &s);
	for (size_t i = 0; r >= 0 && i < s.n; i++) {
		r = find_route(&s.found[i], 0);
		if (r != 0)
			continue;
		s.stale++;
		if (fn)
			fn(&s.found[i], userdata);
		if (repair)
			r = netsetup_proxy_del(node->uplink, &s.found[i]);
	}
	free(s.found);
	return r < 0 ? r : s.stale;
}
