/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One VPS's whole network, in the order that never lets an unfiltered frame through. */
#include <errno.h>

#include "log.h"
#include "msg.h"
#include "netsetup.h"
#include "nl.h"

static int check(const struct netsetup_vps *v)
{
	if (netsetup_ifname_check(v->host_ifname) < 0 || v->netns_fd < 0)
		return -EINVAL;
	if (v->peer_ifname && netsetup_ifname_check(v->peer_ifname) < 0)
		return -EINVAL;
	if (v->n_addrs > 2 * NETSETUP_MAX_ADDRS || (v->n_addrs && !v->addrs))
		return -EINVAL;
	for (size_t i = 0; i < v->n_addrs; i++)
		if (v->addrs[i].family != AF_INET && v->addrs[i].family != AF_INET6)
			return -EINVAL;
	if ((v->gateway4 && v->gateway4->family != AF_INET) ||
	    (v->gateway6 && v->gateway6->family != AF_INET6))
		return -EINVAL;
	if (v->rate_bps != 0 && v->rate_bps < NETSETUP_RATE_MIN)
		return -ERANGE;
	return 0;
}

/* Filters and caps go on while the node end is still down and outside the bridge. */
static int node_side(const struct netsetup_vps *v, const char *bridge)
{
	int r;

	if (v->antispoof)
		r = netsetup_antispoof_set(v->host_ifname, v->mac, v->addrs, v->n_addrs);
	else
		r = netsetup_antispoof_clear(v->host_ifname);
	if (r < 0)
		return log_debug_errno(r, "Anti-spoofing on '%s' failed: %m", v->host_ifname);
	r = netsetup_bandwidth_set(v->host_ifname, v->rate_bps);
	if (r < 0)
		return log_debug_errno(r, "Bandwidth cap on '%s' failed: %m", v->host_ifname);
	if (v->routed) {
		r = netsetup_link_up(-1, v->host_ifname);
		if (r == 0)
			r = netsetup_routed_node_side(v->host_ifname, v->addrs, v->n_addrs);
		return r < 0 ? log_debug_errno(r, "Routing '%s' failed: %m", v->host_ifname) : 0;
	}
	r = netsetup_link_set_master(-1, v->host_ifname, bridge);
	if (r < 0)
		return log_debug_errno(r, "Attaching '%s' to '%s' failed: %m", v->host_ifname,
		                       bridge);
	return netsetup_link_up(-1, v->host_ifname);
}

static int vps_routes(struct nl_sock *s, int idx, const struct netsetup_vps *v)
{
	int r = 0;

	if (v->gateway4)
		r = nl_route_add_default(s, idx, v->gateway4);
	if (r >= 0 && v->gateway6)
		r = nl_route_add_default(s, idx, v->gateway6);
	return r;
}

/* Inside the VPS, from the node: lo and the peer up, addresses, default routes. */
static int vps_side(const struct netsetup_vps *v, const char *peer)
{
	_cleanup_nl_ struct nl_sock s = {0};
	int r, idx;

	r = nl_open(v->netns_fd, &s);
	if (r < 0)
		return r;
	r = nl_link_up(&s, "lo");
	if (r < 0)
		return r;
	idx = nl_ifindex(&s, peer);
	if (idx < 0)
		return idx;
	for (size_t i = 0; i < v->n_addrs; i++) {
		r = nl_addr_add(&s, idx, &v->addrs[i]);
		if (r < 0)
			return log_debug_errno(r, "Adding an address to '%s' failed: %m", peer);
	}
	r = nl_link_up(&s, peer);
	if (r < 0)
		return r;
	/* routes last: a gateway route needs the link up */
	r = vps_routes(&s, idx, v);
	if (r < 0)
		return log_debug_errno(r, "Adding a default route failed: %m");
	return 0;
}

int netsetup_vps_plumb(const struct netsetup_vps *v)
{
	const char *peer = v->peer_ifname ? v->peer_ifname : NETSETUP_PEER_DEFAULT;
	const char *bridge = v->bridge ? v->bridge : NETSETUP_BRIDGE_DEFAULT;
	bool created = false;
	int r = check(v);

	if (r < 0)
		return r;
	r = netsetup_link_exists(-1, v->host_ifname);
	if (r == 0) {
		r = netsetup_veth_create(v->host_ifname, peer, v->netns_fd, v->mac, v->mtu);
		created = r == 0;
	}
	if (r < 0)
		return r;
	r = node_side(v, bridge);
	if (r >= 0)
		r = vps_side(v, peer);
	if (r < 0 && created)
		(void)netsetup_vps_teardown(v->host_ifname);
	return r < 0 ? r : 0;
}

int netsetup_vps_teardown(const char *host_ifname)
{
	char ifb[IFNAMSIZ];
	int r, k;

	r = netsetup_ifb_name(host_ifname, ifb);
	if (r < 0)
		return r;
	r = netsetup_link_del(-1, ifb);
	if (r == -ENODEV)
		r = 0;
	k = netsetup_link_del(-1, host_ifname);
	if (k == -ENODEV)
		k = 0;
	return r < 0 ? r : k;
}
