/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Whether an nftables table exists, asked over nfnetlink (nftlib.h): a start and a stop check
 * the node-services and NAT tables this way before loading libnftables, which a node without
 * those tables never needs. */
#include <errno.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <stdbool.h>
#include <string.h>

#include "nftlib.h"
#include "nl.h"

/* linux/netfilter.h's NFPROTO_INET and NFPROTO_IPV4 (the kernel's ABI); the header itself
 * clashes with netinet/in.h */
#define FAMILY_INET 1
#define FAMILY_IPV4 2

static int on_table(const struct nlmsghdr *nlh, void *data)
{
	if (NFNL_MSG_TYPE(nlh->nlmsg_type) == NFT_MSG_NEWTABLE)
		*(bool *)data = true;
	return MNL_CB_OK;
}

int nftlib_table_exists(const char *family, const char *name)
{
	_cleanup_nl_ struct nl_sock s = {0};
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;
	bool found = false;
	int r;

	nlh->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETTABLE;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	if (strcmp(family, "inet") != 0 && strcmp(family, "ip") != 0)
		return -EAFNOSUPPORT;
	nfg->nfgen_family = strcmp(family, "inet") == 0 ? FAMILY_INET : FAMILY_IPV4;
	nfg->version = NFNETLINK_V0;
	mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, name);
	r = nl_open_proto(NETLINK_NETFILTER, &s);
	if (r == 0)
		r = nl_request(&s, nlh, on_table, &found);
	if (r == -ENOENT)
		return 0;
	return r < 0 ? r : found;
}
