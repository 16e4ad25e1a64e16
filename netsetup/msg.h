/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Private: pure builders of the rtnetlink messages netsetup sends. Each writes one request
 * into buf (at least NL_MSG_SIZE bytes, the message starts at buf) and touches no socket, so
 * unit tests can check the bytes. Sequence number, NLM_F_REQUEST and NLM_F_ACK are set when
 * sending. Return 0 or -errno (-EINVAL for a bad name, -EMSGSIZE if it does not fit).
 */
#pragma once

#include <linux/filter.h>
#include <net/if.h>
#include <stddef.h>
#include <stdint.h>

#include "netsetup.h"

#define NL_MSG_SIZE 16384

/* Filter priorities on the node-side veth's clsact ingress: anti-spoofing runs first. */
#define NETSETUP_PRIO_ANTISPOOF 1
#define NETSETUP_PRIO_SHAPE     2
/* The one filter handle we use in each priority. */
#define NETSETUP_FILTER_HANDLE 1
/* Verdicts of a direct-action classic BPF filter: go on to the next filter, or drop. */
#define NETSETUP_BPF_PASS 0xffffffffU /* TC_ACT_UNSPEC */
#define NETSETUP_BPF_DROP 2U          /* TC_ACT_SHOT */

/* links (link.c, veth.c, bridge.c) */
int netsetup_build_link_get(void *buf, const char *ifname);
int netsetup_build_link_dump(void *buf);
/* RTM_GETSTATS dump of IFLA_STATS_LINK_64 only (linkstats.c). */
int netsetup_build_link_stats_dump(void *buf);
int netsetup_build_link_del(void *buf, const char *ifname);
/* Sets IFF_UP (up) or clears it. */
int netsetup_build_link_updown(void *buf, const char *ifname, bool up);
int netsetup_build_link_master(void *buf, const char *ifname, int master_ifindex);
int netsetup_build_veth(void *buf, const char *host_name, const char *peer_name, int peer_netns_fd,
                        const uint8_t mac[NETSETUP_MAC_LEN], unsigned mtu);
/* A bridge created up, with mac and no forwarding delay. */
int netsetup_build_bridge(void *buf, const char *name, const uint8_t mac[NETSETUP_MAC_LEN]);
int netsetup_build_ifb(void *buf, const char *name);

/* addresses and routes (addr.c, route.c); type is RTM_NEWADDR or RTM_DELADDR */
int netsetup_build_addr(void *buf, uint16_t type, int ifindex, const struct netsetup_addr *a);
int netsetup_build_addr_dump(void *buf, int family);
int netsetup_build_route_default(void *buf, int ifindex, const struct netsetup_addr *gateway);
int netsetup_build_route_dump(void *buf, int family);
/* routed mode (routed.c): type RTM_NEWROUTE/RTM_DELROUTE, RTM_NEWNEIGH/RTM_DELNEIGH, and
 * RTM_GETNEIGH for one proxy entry (no dump) */
int netsetup_build_route_host(void *buf, uint16_t type, int ifindex, const struct netsetup_addr *a);
int netsetup_build_neigh_proxy(void *buf, uint16_t type, int ifindex,
                               const struct netsetup_addr *a);
int netsetup_build_neigh_proxy_dump(void *buf, int family);
/* RTM_GETROUTE with RTM_F_FIB_MATCH for a's full prefix. */
int netsetup_build_route_lookup(void *buf, const struct netsetup_addr *a);

/* traffic control (tc.c) */
struct netsetup_tbf {
	uint64_t rate_Bps;     /* bytes per second */
	uint32_t burst;        /* bytes the bucket holds */
	uint32_t limit;        /* bytes that may queue behind it */
	uint32_t buffer_ticks; /* burst as transmit time at rate, in psched ticks (64 ns) */
};
int netsetup_tbf_params(uint64_t rate_bps, struct netsetup_tbf *ret);
/* A root tbf (handle 1:), created or replaced in place. */
int netsetup_build_tbf(void *buf, int ifindex, uint64_t rate_bps);
/* Deletes the root qdisc (back to the device default). */
int netsetup_build_root_del(void *buf, int ifindex);
int netsetup_build_clsact(void *buf, int ifindex);
int netsetup_build_qdisc_dump(void *buf, int ifindex);
/* A match-all filter on ifindex's ingress redirecting to ifb_ifindex's egress (mirred). */
int netsetup_build_redirect(void *buf, int ifindex, int ifb_ifindex);
/* A direct-action classic BPF filter on ifindex's ingress at prio. */
int netsetup_build_bpf_filter(void *buf, int ifindex, uint16_t prio, const struct sock_filter *prog,
                              size_t len);
int netsetup_build_filter_del(void *buf, int ifindex, uint16_t prio);
int netsetup_build_filter_dump(void *buf, int ifindex);

/* anti-spoofing (filter.c): the classic BPF program, written into prog (cap instructions). */
int netsetup_antispoof_program(const uint8_t mac[NETSETUP_MAC_LEN],
                               const struct netsetup_addr *addrs, size_t n,
                               struct sock_filter *prog, size_t cap, size_t *ret_len);
int netsetup_ifname_check(const char *name);
