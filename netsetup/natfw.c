/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The NAT uplink and port forwards: `table ip vpsctl-nat`, vpsctl's own (nothing else of the
 * node's ruleset is touched). Its postrouting chain masquerades what leaves the uplink from
 * the bridge's private subnets; each VPS with forwards has a prerouting chain of its own,
 * "fwd-veth-NAME", so that one VPS's rules are made, changed and removed in one transaction
 * without touching another's. Same pattern as the node-services table (nodefw.c): libnftables
 * loaded on demand, "add then flush then fill" so a repeat leaves one copy, and the same lock
 * against the prune.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "netsetup.h"
#include "nftlib.h"

#define T       "ip " NETSETUP_NAT_TABLE
#define CMD_MAX 8192

static const char *const proto_nft[] = {[NETSETUP_FWD_TCP] = "tcp", [NETSETUP_FWD_UDP] = "udp"};

/* The IPv4 network of a (host bits cleared), "10.77.0.0/24". */
static void network_of(const struct netsetup_addr *a, char *buf, size_t len)
{
	struct netsetup_addr n = *a;
	uint32_t mask = a->prefixlen ? htonl(~0u << (32 - a->prefixlen)) : 0;

	n.in.s_addr &= mask;
	netsetup_addr_format(&n, buf, len);
}

/* Adds printf-style text to cmd; -E2BIG when it does not fit. */
static int append(char *cmd, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int append(char *cmd, size_t len, const char *fmt, ...)
{
	size_t off = strlen(cmd);
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(cmd + off, len - off, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= len - off ? -E2BIG : 0;
}

/* `nft list table`'s text, NULL if there is no table (or no libnftables). */
static char *list_table(struct nftctx *n)
{
	char *out = NULL;

	if (nftlib_run(n, "list table " T, &out, NULL) < 0)
		return NULL;
	return out;
}

/* Runs cmd under the lock, in one transaction; with only_if, only when the table's text
 * holds it (and 0 when it does not). */
static int run_locked(const char *lock_path, const char *cmd, const char *only_if,
                      struct vps_error *err)
{
	_cleanup_nft_ struct nftctx n = {0};
	_cleanup_close_ int lock = -EBADF;
	_cleanup_free_ char *out = NULL;
	int r = nftlib_ctx_open(&n, err);

	if (r < 0)
		return r;
	lock = nftlib_lock_take(lock_path);
	if (lock < 0)
		return vps_error_errno(err, lock, "cannot take the lock '%s'", lock_path);
	if (only_if && (!(out = list_table(&n)) || !strstr(out, only_if)))
		return 0;
	return nftlib_run(&n, cmd, NULL, err);
}

int netsetup_nat_masquerade(const char *lock_path, const char *uplink,
                            const struct netsetup_addr *addrs, size_t n, struct vps_error *err)
{
	char cmd[CMD_MAX] = "", net[64];
	int r = nftlib_name_plain(uplink);

	if (r < 0)
		return vps_error_set(err, r, "invalid uplink name '%.16s'", uplink);
	r = append(cmd, sizeof(cmd),
	           "add table " T "\n"
	           "add chain " T " postrouting { type nat hook postrouting priority srcnat; "
	           "policy accept; }\n"
	           "flush chain " T " postrouting\n");
	for (size_t i = 0; r == 0 && i < n; i++) {
		if (addrs[i].family != AF_INET)
			continue;
		network_of(&addrs[i], net, sizeof(net));
		r = append(cmd, sizeof(cmd),
		           "add rule " T " postrouting oifname \"%s\" ip saddr %s masquerade\n",
		           uplink, net);
	}
	return r < 0 ? r : run_locked(lock_path, cmd, NULL, err);
}

static void chain_name(const char *host_ifname, char *buf, size_t len)
{
	snprintf(buf, len, "fwd-%s", host_ifname);
}

/* Deletes chain if it is there; a node without the table is left without one. */
static int forwards_clear(const char *lock_path, const char *chain, struct vps_error *err)
{
	char head[64], cmd[128];

	if (nftlib_table_exists("ip", NETSETUP_NAT_TABLE) == 0)
		return 0; /* no table, no chain */
	snprintf(head, sizeof(head), "chain %s {", chain);
	snprintf(cmd, sizeof(cmd), "delete chain " T " %s", chain);
	return run_locked(lock_path, cmd, head, err);
}

int netsetup_nat_forwards_set(const char *lock_path, const char *host_ifname, const char *uplink,
                              const struct netsetup_addr *to, const struct netsetup_forward_list *l,
                              struct vps_error *err)
{
	char cmd[CMD_MAX] = "", chain[32], ip[64];
	int r = nftlib_name_plain(host_ifname);

	if (r == 0 && l->n > 0)
		r = nftlib_name_plain(uplink);
	if (r < 0)
		return vps_error_set(err, r, "invalid interface name");
	chain_name(host_ifname, chain, sizeof(chain));
	if (l->n == 0)
		return forwards_clear(lock_path, chain, err);
	/* added first so that the flush after it never fails on a missing chain */
	r = append(cmd, sizeof(cmd),
	           "add table " T "\n"
	           "add chain " T
	           " %s { type nat hook prerouting priority dstnat; policy accept; }\n"
	           "flush chain " T " %s\n",
	           chain, chain);
	if (!to || to->family != AF_INET)
		return vps_error_set(err, -EADDRNOTAVAIL,
		                     "port forwards need an IPv4 address on the VPS");
	netsetup_addr_format_ip(to, ip, sizeof(ip));
	for (size_t i = 0; r == 0 && i < l->n; i++)
		r = append(cmd, sizeof(cmd),
		           "add rule " T " %s iifname \"%s\" %s dport %u dnat to %s:%u\n", chain,
		           uplink, proto_nft[l->f[i].proto], l->f[i].node_port, ip,
		           l->f[i].vps_port);
	return r < 0 ? r : run_locked(lock_path, cmd, NULL, err);
}

int netsetup_nat_prune(const char *lock_path, const char *bridge)
{
	_cleanup_nft_ struct nftctx n = {0};
	_cleanup_close_ int lock = -EBADF;
	_cleanup_free_ char *out = NULL;
	int r;

	if (nftlib_table_exists("ip", NETSETUP_NAT_TABLE) == 0)
		return 0; /* no table to drop */
	lock = nftlib_lock_take(lock_path);
	if (lock < 0)
		return lock;
	r = nftlib_ctx_open(&n, NULL);
	if (r < 0)
		return r;
	out = list_table(&n);
	if (!out || strstr(out, "chain fwd-"))
		return 0;
	/* the masquerade stays while a VPS is on the bridge (or when that is not known) */
	if (netsetup_iface_carries_vps(bridge) != 0)
		return 0;
	return nftlib_run(&n, "delete table " T, NULL, NULL);
}

/* Whether the table's text has the chain's block holding line. */
static int has_line(const char *chain, const char *line)
{
	_cleanup_nft_ struct nftctx n = {0};
	_cleanup_free_ char *out = NULL;
	char head[64];
	const char *p, *end;

	if (nftlib_ctx_open(&n, NULL) < 0)
		return 0;
	out = list_table(&n);
	snprintf(head, sizeof(head), "chain %s {", chain);
	if (!out || !(p = strstr(out, head)))
		return 0;
	end = strstr(p, "\n\t}");
	p = strstr(p, line);
	return p && (!end || p < end);
}

int netsetup_nat_has_masquerade(const char *uplink, const struct netsetup_addr *subnet)
{
	char line[128], net[64];

	network_of(subnet, net, sizeof(net));
	snprintf(line, sizeof(line), "oifname \"%s\" ip saddr %s masquerade\n", uplink, net);
	return has_line("postrouting", line);
}

int netsetup_nat_has_forward(const char *host_ifname, const char *uplink,
                             const struct netsetup_addr *to, const struct netsetup_forward *f)
{
	char line[160], chain[32], ip[64];

	chain_name(host_ifname, chain, sizeof(chain));
	snprintf(line, sizeof(line), "iifname \"%s\" %s dport %u dnat to %s:%u\n", uplink,
	         proto_nft[f->proto], f->node_port, netsetup_addr_format_ip(to, ip, sizeof(ip)),
	         f->vps_port);
	return has_line(chain, line);
}
