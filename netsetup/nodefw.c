/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Node services: a VPS reaches the node only as its gateway. One nftables table of ours,
 * `table inet vpsctl`, drops what arrives on a VPS-facing interface for the node itself
 * (the input hook: any of the node's addresses, on any interface) unless it is ICMP/ICMPv6
 * (ping, ARP's IPv6 counterpart neighbour discovery, errors) or a reply to a connection the
 * node opened. Forwarded traffic takes the forward hook and is not touched.
 *
 * The rule matches a set of interface names: the bridge in bridged mode (VPS traffic to the
 * node arrives with iif = the bridge), a veth in a routed mode. An element stays while its
 * interface exists and, for a bridge, while a VPS port ("veth-*") is in it.
 *
 * Why nftables through libnftables and not cls_bpf like anti-spoofing: "the node's own
 * addresses" and "a reply to the node's connection" are routing and conntrack decisions
 * that only the IP layer's hooks see; libnftables gives one atomic transaction (nft -f).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "msg.h"
#include "netsetup.h"
#include "nftlib.h"

#define VPS_PORT_PREFIX "veth-"

/*
 * One transaction: concurrent starts each create-or-keep the table and set, then flush and
 * refill the chains, so exactly one copy of the rules exists whatever the interleaving, and
 * a chain an operator flushed or edited is made whole again. The input chain's priority is
 * below filter (0) so that its drop comes before an operator's own filter chains.
 */
static const char ruleset[] =
	"add table inet " NETSETUP_NODEFW_TABLE "\n"
	"add set inet " NETSETUP_NODEFW_TABLE " ifaces { type ifname; }\n"
	"add chain inet " NETSETUP_NODEFW_TABLE " from_vps\n"
	"flush chain inet " NETSETUP_NODEFW_TABLE " from_vps\n"
	"add rule inet " NETSETUP_NODEFW_TABLE
	" from_vps ct direction reply ct state established,related accept\n"
	"add rule inet " NETSETUP_NODEFW_TABLE " from_vps meta l4proto { icmp, ipv6-icmp } accept\n"
	"add rule inet " NETSETUP_NODEFW_TABLE " from_vps drop\n"
	"add chain inet " NETSETUP_NODEFW_TABLE
	" input { type filter hook input priority filter - 10; policy accept; }\n"
	"flush chain inet " NETSETUP_NODEFW_TABLE " input\n"
	"add rule inet " NETSETUP_NODEFW_TABLE " input iifname @ifaces jump from_vps\n";

int netsetup_nodefw_add(const char *lock_path, const char *ifname, struct vps_error *err)
{
	_cleanup_nft_ struct nftctx n = {0};
	_cleanup_close_ int lock = -EBADF;
	char cmd[sizeof(ruleset) + 128];
	int r = nftlib_name_plain(ifname);

	if (r < 0)
		return r;
	r = nftlib_ctx_open(&n, err);
	if (r < 0)
		return r;
	lock = nftlib_lock_take(lock_path);
	if (lock < 0)
		return vps_error_errno(err, lock, "cannot take the lock '%s'", lock_path);
	snprintf(cmd, sizeof(cmd),
	         "%sadd element inet " NETSETUP_NODEFW_TABLE " ifaces { \"%s\" }\n", ruleset,
	         ifname);
	return nftlib_run(&n, cmd, NULL, err);
}

/* --- pruning -------------------------------------------------------------------------- */

struct ports {
	int bridge;
	size_t n;
};

static int count_port(const struct netsetup_link_info *l, void *userdata)
{
	struct ports *p = userdata;

	if (l->master == p->bridge &&
	    strncmp(l->name, VPS_PORT_PREFIX, strlen(VPS_PORT_PREFIX)) == 0)
		p->n++;
	return 0;
}

int netsetup_iface_carries_vps(const char *ifname)
{
	struct netsetup_link_info l;
	struct ports p = {0};
	int r = netsetup_link_get(-1, ifname, &l);

	if (r == -ENODEV)
		return 0;
	if (r < 0)
		return r;
	if (strcmp(l.kind, "bridge") != 0)
		return 1;
	p.bridge = l.ifindex;
	r = netsetup_link_foreach(-1, count_port, &p);
	return r < 0 ? r : p.n > 0;
}

/* Calls fn with each quoted name after "elements = {" in `nft list set` output, however many
 * (a node holds a routed veth per VPS); fn != 0 stops and is returned. */
typedef int (*element_fn)(const char *name, void *userdata);
static int foreach_element(const char *text, element_fn fn, void *userdata)
{
	const char *p = strstr(text, "elements = {"), *end;
	char name[NETSETUP_IFNAMSIZ];

	if (!p)
		return 0;
	end = strchr(p, '}');
	while ((p = strchr(p, '"')) && (!end || p < end)) {
		size_t len = strcspn(++p, "\"");
		int r;

		if (len > 0 && len < NETSETUP_IFNAMSIZ) {
			memcpy(name, p, len);
			name[len] = '\0';
			r = fn(name, userdata);
			if (r != 0)
				return r;
		}
		p += len + (p[len] == '"');
	}
	return 0;
}

static int list_set(struct nftctx *n, char **ret_out)
{
	return nftlib_run(n, "list set inet " NETSETUP_NODEFW_TABLE " ifaces", ret_out, NULL);
}

/* The table goes with the set's last element. */
static int drop_if_empty(struct nftctx *nft)
{
	_cleanup_free_ char *after = NULL;
	int r = list_set(nft, &after);

	if (r < 0 || strstr(after, "elements = {"))
		return r;
	return nftlib_run(nft, "delete table inet " NETSETUP_NODEFW_TABLE, NULL, NULL);
}

struct prune {
	struct nftctx *nft;
	size_t n, deleted;
};

/* An element no longer used goes; one in use, or not known (an error), stays: fail closed. */
static int prune_one(const char *name, void *userdata)
{
	struct prune *p = userdata;
	char cmd[256];
	int r;

	p->n++;
	if (netsetup_iface_carries_vps(name) != 0 || nftlib_name_plain(name) < 0)
		return 0;
	snprintf(cmd, sizeof(cmd),
	         "delete element inet " NETSETUP_NODEFW_TABLE " ifaces { \"%s\" }", name);
	r = nftlib_run(p->nft, cmd, NULL, NULL);
	if (r == 0)
		p->deleted++;
	return r;
}

/* Deletes the elements no longer used; the table once the set is empty. */
static int prune_locked(struct nftctx *nft)
{
	_cleanup_free_ char *out = NULL;
	struct prune p = {.nft = nft};
	int r;

	if (list_set(nft, &out) < 0)
		return 0; /* no table (or no set): nothing of ours to remove */
	r = foreach_element(out, prune_one, &p);
	if (r < 0)
		return r;
	if (p.n > 0 && p.deleted == 0)
		return 0;
	return drop_if_empty(nft);
}

int netsetup_nodefw_prune(const char *lock_path)
{
	_cleanup_nft_ struct nftctx n = {0};
	_cleanup_close_ int lock = -EBADF;
	int r;

	/* no table, nothing to prune: libnftables is not loaded (a table made after this
	 * holds only what is new) */
	if (nftlib_table_exists("inet", NETSETUP_NODEFW_TABLE) == 0)
		return 0;
	lock = nftlib_lock_take(lock_path);
	if (lock < 0)
		return lock;
	r = nftlib_ctx_open(&n, NULL);
	return r < 0 ? r : prune_locked(&n);
}

int netsetup_nodefw_del(const char *lock_path, const char *ifname)
{
	_cleanup_nft_ struct nftctx n = {0};
	_cleanup_close_ int lock = -EBADF;
	char cmd[256];
	int r = nftlib_name_plain(ifname);

	if (r == 0)
		r = netsetup_link_exists(-1, ifname);
	if (r != 0)
		return r < 0 ? r : 0; /* still there, or not known: kept (fail closed) */
	if (nftlib_table_exists("inet", NETSETUP_NODEFW_TABLE) == 0)
		return 0; /* no set, no element */
	lock = nftlib_lock_take(lock_path);
	if (lock < 0)
		return lock;
	r = nftlib_ctx_open(&n, NULL);
	if (r < 0)
		return r;
	snprintf(cmd, sizeof(cmd),
	         "delete element inet " NETSETUP_NODEFW_TABLE " ifaces { \"%s\" }", ifname);
	if (nftlib_run(&n, cmd, NULL, NULL) < 0)
		return 0; /* not in the set (or no table): nothing of ours to remove */
	return drop_if_empty(&n);
}

static int is_name(const char *name, void *userdata)
{
	return strcmp(name, userdata) == 0;
}

int netsetup_nodefw_has(const char *ifname)
{
	_cleanup_nft_ struct nftctx nft = {0};
	_cleanup_free_ char *out = NULL;

	if (nftlib_ctx_open(&nft, NULL) < 0 || list_set(&nft, &out) < 0)
		return 0;
	return foreach_element(out, is_name, (void *)ifname);
}
