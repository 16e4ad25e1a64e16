/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileio.h"
#include "lock.h"
#include "network.h"
#include "parse.h"
#include "counters.h"
#include "routed.h"
#include "nat.h"

/* The gateway of a family: the node address whose subnet holds the VPS's first address. */
static const struct netsetup_addr *gateway(int family, const struct netsetup_addr *addrs, size_t n,
                                           const struct netsetup_addr *nodes, size_t nn)
{
	for (size_t i = 0; i < n; i++)
		if (addrs[i].family == family)
			return netsetup_addr_subnet_of(&addrs[i], nodes, nn);
	return NULL;
}

static bool has_family(const struct netsetup_addr *addrs, size_t n, int family)
{
	for (size_t i = 0; i < n; i++)
		if (addrs[i].family == family)
			return true;
	return false;
}

static int open_netns(pid_t pid)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return fd;
}

/* Unless NODE_SERVICES=allow, VPS traffic that arrives on the bridge for the node itself is
 * dropped (netsetup_nodefw_add). Fail closed: a VPS does not run with the node open to it.
 * Done once the veth is in the bridge (init is not running yet), so a concurrent stop's
 * prune sees this VPS's port. */
static int close_node_services(const struct vps_paths *p, const struct node_config *node,
                               const char *ifname, struct vps_error *err)
{
	char lock[PATH_MAX];
	int r;

	if (node->node_services == VPS_NODE_SERVICES_ALLOW)
		return 0;
	r = vps_nodefw_lock_path(p, lock, sizeof(lock));
	if (r == 0)
		r = netsetup_nodefw_add(lock, ifname, err);
	if (r < 0)
		vps_error_prefix(
			err, r,
			"failed to close the node's services to VPSes on '%s' (NODE_SERVICES=deny, "
			"nftables table inet %s)",
			ifname, NETSETUP_NODEFW_TABLE);
	return r;
}

/* The bridge of a bridged VPS, made if missing; a routed VPS needs none. */
static int ensure_bridge(const struct vps_config *cfg, const struct node_config *node,
                         struct vps_error *err)
{
	int r;

	if (cfg->net_mode == VPS_NET_ROUTED)
		return 0;
	r = netsetup_bridge_ensure(node->bridge, node->node_address.a, node->node_address.n);
	if (r < 0) /* 1: it existed already */
		vps_error_errno(err, r, "failed to set up bridge '%s'", node->bridge);
	return r < 0 ? r : 0;
}

int vps_net_make(const struct vps_paths *p, const struct vps_config *cfg,
                 const struct node_config *node, pid_t init_pid, struct vps_error *err)
{
	const struct netsetup_addr *addrs = cfg->ip_address.a, *nodes = node->node_address.a;
	size_t n = cfg->ip_address.n, nn = node->node_address.n;
	bool routed = cfg->net_mode == VPS_NET_ROUTED;
	struct netsetup_addr gw4, gw6;
	char host_if[NETSETUP_IFNAMSIZ];
	_cleanup_close_ int netns = -EBADF;
	struct netsetup_vps v = {0};
	int r;

	if (n == 0)
		return 0;
	r = ensure_bridge(cfg, node, err);
	if (r < 0)
		return r;
	netsetup_host_ifname(cfg->name, host_if);
	netns = open_netns(init_pid);
	if (netns < 0)
		return vps_error_errno(err, netns, "failed to open the VPS network namespace");
	netsetup_routed_gateways(&gw4, &gw6);
	v = (struct netsetup_vps){
		.host_ifname = host_if,
		.bridge = node->bridge,
		.netns_fd = netns,
		.mtu = (unsigned)cfg->mtu,
		.addrs = addrs,
		.n_addrs = n,
		.gateway4 = gateway(AF_INET, addrs, n, nodes, nn),
		.gateway6 = gateway(AF_INET6, addrs, n, nodes, nn),
		.rate_bps = cfg->bandwidth,
		.antispoof = cfg->antispoof,
		.routed = routed,
	};
	if (routed) { /* a family the VPS has no address of gets no default route */
		v.gateway4 = has_family(addrs, n, AF_INET) ? &gw4 : NULL;
		v.gateway6 = has_family(addrs, n, AF_INET6) ? &gw6 : NULL;
	}
	if (cfg->mac[0])
		r = netsetup_mac_parse(cfg->mac, v.mac);
	else
		netsetup_mac_from_name(cfg->name, v.mac);
	if (r == 0)
		r = netsetup_vps_plumb(&v);
	if (r < 0)
		return vps_error_errno(err, r, "failed to plumb '%s'", host_if);
	if (routed) {
		r = vps_routed_uplink_add(node, addrs, n, err);
		if (r < 0)
			return r;
	}
	r = close_node_services(p, node, routed ? host_if : node->bridge, err);
	return r < 0 ? r : vps_nat_make(p, cfg, node, err);
}

/* start: a boot is about to plumb a new veth (its period begins if none has). */
static void release(const struct vps_paths *p, const char *name, bool start)
{
	char host_if[NETSETUP_IFNAMSIZ];

	netsetup_host_ifname(name, host_if);
	(void)vps_counters_bank(p, name, host_if, start);
	(void)netsetup_vps_teardown(host_if);
}

int vps_net_plumb(const struct vps_paths *p, const struct vps_config *cfg,
                  const struct node_config *node, pid_t init_pid, struct vps_error *err)
{
	if (cfg->ip_address.n == 0)
		return 0;
	/* a veth of the last run may linger: count it, remove it, and what a crash left */
	release(p, cfg->name, true);
	return vps_net_make(p, cfg, node, init_pid, err);
}

int vps_net_hold(pid_t init_pid)
{
	return open_netns(init_pid);
}

/* Touches only the VPS's own: its veth, its proxy entries (vps.conf's addresses: a live change
 * writes it) and, routed, its node-services element; a bridged VPS's bridge element goes with
 * the bridge's last VPS (prune). An unreadable vps.conf leaves its proxy entries and element
 * to `net check --repair` and the next prune. */
void vps_net_teardown(const struct vps_paths *p, const struct node_config *node, const char *name)
{
	char lock[PATH_MAX], host_if[NETSETUP_IFNAMSIZ];
	struct vps_error err = {0};
	struct vps_config cfg;
	bool known = vps_config_load(p, name, node, &cfg, &err) == 0;

	release(p, name, false);
	/* its routes went with the veth: its own proxy entries go now */
	if (known)
		vps_routed_uplink_del(node, cfg.ip_address.a, cfg.ip_address.n);
	netsetup_host_ifname(name, host_if);
	if (vps_nodefw_lock_path(p, lock, sizeof(lock)) == 0) {
		if (known && cfg.net_mode == VPS_NET_ROUTED)
			(void)netsetup_nodefw_del(lock, host_if);
		else
			(void)netsetup_nodefw_prune(lock);
	}
	vps_nat_remove(p, node, name);
}

static int update_addrs(const struct netsetup_addr *a, size_t n, const struct netsetup_addr *b,
                        size_t m, int netns, bool add)
{
	/* add: what is in b and not in a; delete: what is in a and not in b */
	for (size_t j = 0; j < m; j++) {
		bool found = false;
		int r;

		for (size_t i = 0; i < n && !found; i++)
			found = netsetup_addr_equal(&a[i], &b[j]);
		if (found)
			continue;
		r = add ? netsetup_addr_add(netns, "eth0", &b[j])
		        : netsetup_addr_del(netns, "eth0", &b[j]);
		/* there already / gone already: a change taken back after it failed half-way */
		if (r < 0 && !(r == -EADDRNOTAVAIL && !add) && !(r == -EEXIST && add))
			return r;
	}
	return 0;
}

/* Before a network change: the plumbing it changes is there. A bridge deleted behind
 * vpsctl's back would otherwise make a change that reaches nothing look done. */
static int net_present(const struct vps_config *cfg, const struct node_config *node,
                       const char *host_if, struct vps_error *err)
{
	struct netsetup_link_info br, veth;
	const char *what = NULL;

	if (cfg->net_mode == VPS_NET_BRIDGED) {
		if (netsetup_link_get(-1, node->bridge, &br) < 0)
			what = "is missing";
		else if (!(br.flags & IFF_UP))
			what = "is down";
		else if (netsetup_link_get(-1, host_if, &veth) == 0 && veth.master != br.ifindex)
			what = "does not hold the VPS's veth";
		if (what)
			return vps_error_set(err, -ENOLINK,
			                     "bridge '%s' %s; not changing the network: run "
			                     "'vpsctl net check --repair' first",
			                     node->bridge, what);
	} else if (node->uplink[0] && netsetup_link_exists(-1, node->uplink) <= 0) {
		return vps_error_set(err, -ENOLINK,
		                     "uplink '%s' is missing; not changing the network: "
		                     "run 'vpsctl net check --repair' once it is back",
		                     node->uplink);
	}
	return 0;
}

int vps_net_update(const struct vps_paths *p, const struct vps_config *old,
                   const struct vps_config *new, const struct node_config *node, pid_t init_pid,
                   struct vps_error *err)
{
	const struct netsetup_addr *a = old->ip_address.a, *b = new->ip_address.a;
	size_t n = old->ip_address.n, m = new->ip_address.n;
	char host_if[NETSETUP_IFNAMSIZ];
	_cleanup_close_ int netns = -EBADF;
	uint8_t mac[NETSETUP_MAC_LEN];
	int r = 0;

	netsetup_host_ifname(new->name, host_if);
	if (netsetup_link_exists(-1, host_if) <= 0) {
		if (m == 0 && n == 0)
			return 0;
		/* From no network to a network needs a veth: that happens at the next start. */
		vps_error_set(err, -ENODEV,
		              "the VPS has no network interface yet; restart it to add one");
		return -ENODEV;
	}
	if ((!netsetup_addr_list_equal(&old->ip_address, &new->ip_address) ||
	     old->bandwidth != new->bandwidth) &&
	    net_present(new, node, host_if, err) < 0)
		return -ENOLINK;
	netns = open_netns(init_pid);
	if (netns < 0)
		return netns;
	if (new->mac[0])
		(void)netsetup_mac_parse(new->mac, mac);
	else
		netsetup_mac_from_name(new->name, mac);
	/* Widen the filter to old + new first, then add; delete, then narrow to new. */
	if (new->antispoof) {
		struct netsetup_addr u[2 * NETSETUP_ADDR_LIST_MAX];
		size_t k = 0;

		memcpy(u, a, n * sizeof(*a));
		k = n;
		for (size_t j = 0; j < m; j++) {
			bool dup = false;

			for (size_t i = 0; i < n && !dup; i++)
				dup = netsetup_addr_equal(&a[i], &b[j]);
			if (!dup)
				u[k++] = b[j];
		}
		r = netsetup_antispoof_set(host_if, mac, u, k);
	}
	if (r == 0)
		r = update_addrs(a, n, b, m, netns, true);
	if (r == 0 && new->net_mode == VPS_NET_ROUTED)
		r = vps_routed_update(node, host_if, &old->ip_address, &new->ip_address);
	if (r == 0)
		r = update_addrs(b, m, a, n, netns, false);
	if (r == 0 && new->antispoof)
		r = netsetup_antispoof_set(host_if, mac, b, m);
	if (r == 0 && new->bandwidth != old->bandwidth)
		r = netsetup_bandwidth_set(host_if, new->bandwidth);
	if (r < 0)
		return vps_error_errno(err, r, "failed to change the network of '%s'", host_if);
	return vps_nat_update(p, old, new, node, err);
}
