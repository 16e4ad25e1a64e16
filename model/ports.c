/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>

#include "index.h"
#include "ports.h"

static bool holds_port(const struct vps_config *c, const void *item)
{
	return netsetup_forward_list_find(&c->forwards, item) >= 0;
}

static const struct vps_index_kind ports = {"ports", "node port", holds_port};

/* "tcp:8022", a file name of the index */
static const char *port_key(const struct netsetup_forward *f, char *buf, size_t len)
{
	return netsetup_forward_node_port(f, buf, len);
}

static bool has_ipv4(const struct vps_config *cfg)
{
	for (size_t i = 0; i < cfg->ip_address.n; i++)
		if (cfg->ip_address.a[i].family == AF_INET)
			return true;
	return false;
}

int vps_ports_check(const struct vps_config *cfg, const struct node_config *node,
                    struct vps_error *err)
{
	if (cfg->forwards.n == 0)
		return 0;
	if (!node->nat || !node->uplink[0])
		return vps_error_set(err, -EINVAL,
		                     "port forwards need NAT=\"yes\" and an UPLINK in vpsctl.conf");
	if (!has_ipv4(cfg))
		return vps_error_set(err, -EINVAL,
		                     "port forwards need an IPv4 address on the VPS (they go to "
		                     "its first)");
	return 0;
}

void vps_ports_release(const struct vps_paths *p, const char *name,
                       const struct netsetup_forward_list *l)
{
	char key[32];

	for (size_t i = 0; i < l->n; i++)
		vps_index_release(p, ports.dir, name, port_key(&l->f[i], key, sizeof(key)));
}

int vps_ports_claim(const struct vps_paths *p, const struct vps_config *cfg,
                    const struct node_config *node, struct vps_error *err)
{
	struct netsetup_forward_list fresh = {0};
	char key[32];
	int r = vps_ports_check(cfg, node, err);

	for (size_t i = 0; r == 0 && i < cfg->forwards.n; i++) {
		const struct netsetup_forward *f = &cfg->forwards.f[i];

		r = vps_index_claim(p, node, &ports, cfg->name, port_key(f, key, sizeof(key)), f,
		                    err);
		if (r > 0)
			fresh.f[fresh.n++] = *f;
		if (r > 0)
			r = 0;
		else if (r < 0 && r != -EADDRINUSE)
			vps_error_errno(err, r, "failed to record node port %s", key);
	}
	if (r < 0) /* a failed claim keeps only what was ours before */
		vps_ports_release(p, cfg->name, &fresh);
	return r;
}
