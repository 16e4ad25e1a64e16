/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <limits.h>
#include <stddef.h>

#include "nat.h"
#include "lock.h"
#include "ports.h"

const struct netsetup_addr *vps_nat_target(const struct vps_config *cfg)
{
	for (size_t i = 0; i < cfg->ip_address.n; i++)
		if (cfg->ip_address.a[i].family == AF_INET)
			return &cfg->ip_address.a[i];
	return NULL;
}

static int masquerade(const char *lock, const struct vps_config *cfg,
                      const struct node_config *node, struct vps_error *err)
{
	int r;

	if (!node->nat || cfg->net_mode != VPS_NET_BRIDGED)
		return 0;
	if (!node->uplink[0])
		return vps_error_set(err, -EINVAL, "NAT=\"yes\" needs an UPLINK in vpsctl.conf");
	/* node-wide, and what NAT=yes documents: the node routes VPS traffic to the uplink */
	r = netsetup_if_sysctl_set(AF_INET, "all", "forwarding", "1");
	if (r < 0)
		return vps_error_errno(err, r, "failed to turn net.ipv4.ip_forward on");
	r = netsetup_nat_masquerade(lock, node->uplink, node->node_address.a, node->node_address.n,
	                            err);
	if (r < 0)
		vps_error_prefix(err, r,
		                 "failed to masquerade out of uplink '%s' (nftables table ip %s)",
		                 node->uplink, NETSETUP_NAT_TABLE);
	return r;
}

static int forwards(const char *lock, const struct vps_config *cfg, const struct node_config *node,
                    struct vps_error *err)
{
	char host_if[NETSETUP_IFNAMSIZ];
	int r = vps_ports_check(cfg, node, err);

	if (r < 0)
		return r;
	netsetup_host_ifname(cfg->name, host_if);
	r = netsetup_nat_forwards_set(lock, host_if, node->uplink, vps_nat_target(cfg),
	                              &cfg->forwards, err);
	if (r < 0)
		vps_error_prefix(err, r,
		                 "failed to forward the node's ports to '%s' (nftables "
		                 "table ip %s)",
		                 cfg->name, NETSETUP_NAT_TABLE);
	return r;
}

int vps_nat_make(const struct vps_paths *p, const struct vps_config *cfg,
                 const struct node_config *node, struct vps_error *err)
{
	char lock[PATH_MAX];
	int r;

	if (!node->nat && cfg->forwards.n == 0)
		return 0;
	r = vps_nodefw_lock_path(p, lock, sizeof(lock));
	if (r < 0)
		return vps_error_errno(err, r, "cannot make the lock directory");
	r = masquerade(lock, cfg, node, err);
	return r < 0 ? r : forwards(lock, cfg, node, err);
}

void vps_nat_remove(const struct vps_paths *p, const struct node_config *node, const char *name)
{
	const struct netsetup_forward_list none = {0};
	char lock[PATH_MAX], host_if[NETSETUP_IFNAMSIZ];

	if (vps_nodefw_lock_path(p, lock, sizeof(lock)) < 0)
		return;
	netsetup_host_ifname(name, host_if);
	(void)netsetup_nat_forwards_set(lock, host_if, node->uplink, NULL, &none, NULL);
	(void)netsetup_nat_prune(lock, node->bridge);
}

int vps_nat_update(const struct vps_paths *p, const struct vps_config *old,
                   const struct vps_config *new, const struct node_config *node,
                   struct vps_error *err)
{
	const struct netsetup_addr *a = vps_nat_target(old), *b = vps_nat_target(new);
	char lock[PATH_MAX];
	int r;

	if (netsetup_forward_list_equal(&old->forwards, &new->forwards) &&
	    (new->forwards.n == 0 || (a && b && netsetup_addr_equal(a, b))))
		return 0;
	r = vps_nodefw_lock_path(p, lock, sizeof(lock));
	if (r < 0)
		return vps_error_errno(err, r, "cannot make the lock directory");
	return forwards(lock, new, node, err);
}
