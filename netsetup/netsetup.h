/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * VPS network plumbing over rtnetlink with libmnl. A netns_fd of -1 means the caller's own
 * network namespace. Functions return 0 or -errno and log only at debug level.
 *
 * Node-side functions (bridge, bandwidth, anti-spoofing, teardown) work in the caller's network
 * namespace: the node. VPS-side functions take the fd of the VPS's namespace
 * (/proc/INITPID/ns/net).
 */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define NETSETUP_BRIDGE_DEFAULT "vpsbr0"
#define NETSETUP_PEER_DEFAULT   "eth0"
#define NETSETUP_MAC_LEN        6
/* IFNAMSIZ, without pulling <net/if.h> (which clashes with <linux/if.h>) into every user. */
#define NETSETUP_IFNAMSIZ 16
/* Addresses one VPS may hold (per family); bounds the anti-spoofing program. */
#define NETSETUP_MAX_ADDRS 32
/* Lowest bandwidth cap: below 8 kbit/s a token bucket cannot pass one full frame in time. */
#define NETSETUP_RATE_MIN 8000ULL

/* Brings interface ifname up in the given network namespace (e.g. "lo" inside a VPS). */
int netsetup_link_up(int netns_fd, const char *ifname);

/* --- addresses ------------------------------------------------------------------------ */

struct netsetup_addr {
	int family; /* AF_INET or AF_INET6 */
	uint8_t prefixlen;
	union {
		struct in_addr in;
		struct in6_addr in6;
		uint8_t bytes[16];
	};
};

/* "10.0.0.2/24", "2001:db8::2/64"; without "/N" the prefix is the full length (a host). */
int netsetup_addr_parse(const char *s, struct netsetup_addr *ret);
/* Writes "ADDR/PREFIX" into buf (at least 64 bytes) and returns buf. */
const char *netsetup_addr_format(const struct netsetup_addr *a, char *buf, size_t len);
/* Writes "ADDR" without the prefix. */
const char *netsetup_addr_format_ip(const struct netsetup_addr *a, char *buf, size_t len);
/* Whether a lies in subnet (same family, first subnet->prefixlen bits equal). */
bool netsetup_addr_in_subnet(const struct netsetup_addr *a, const struct netsetup_addr *subnet);
/* Same family and address; the prefix length is ignored. */
bool netsetup_addr_equal(const struct netsetup_addr *a, const struct netsetup_addr *b);
/* What a is in a subnet of prefixlen bits: a host, or the network address (all host bits 0;
 * in IPv6 the subnet-router anycast) or the IPv4 broadcast (all 1), which no host may take.
 * A /31 or /32 (/127, /128) has only hosts. */
enum netsetup_host_kind { NETSETUP_HOST, NETSETUP_HOST_NETWORK, NETSETUP_HOST_BROADCAST };
enum netsetup_host_kind netsetup_addr_host_kind(const struct netsetup_addr *a, unsigned prefixlen);
/* Adds (or re-applies) an address on ifname; IPv6 addresses skip DAD (we check duplicates). */
int netsetup_addr_add(int netns_fd, const char *ifname, const struct netsetup_addr *a);
int netsetup_addr_del(int netns_fd, const char *ifname, const struct netsetup_addr *a);
/* Calls fn for every address in the namespace (family AF_UNSPEC = all); fn < 0 stops. */
typedef int (*netsetup_addr_fn)(int ifindex, const struct netsetup_addr *a, void *userdata);
int netsetup_addr_foreach(int netns_fd, int family, netsetup_addr_fn fn, void *userdata);

/* --- routes --------------------------------------------------------------------------- */

/* Adds or replaces the default route of gateway's family via gateway on ifname. */
int netsetup_route_add_default(int netns_fd, const char *ifname, int family,
                               const struct netsetup_addr *gateway);

struct netsetup_route_info {
	int family;
	int oif;                  /* ifindex, 0 if none */
	uint8_t table;            /* RT_TABLE_* */
	uint8_t type;             /* RTN_* */
	uint8_t protocol;         /* RTPROT_*; NETSETUP_RTPROT: a routed VPS's host route */
	struct netsetup_addr dst; /* prefixlen 0 = default route */
	struct netsetup_addr gateway;
	bool has_gateway;
};
typedef int (*netsetup_route_fn)(const struct netsetup_route_info *r, void *userdata);
int netsetup_route_foreach(int netns_fd, int family, netsetup_route_fn fn, void *userdata);

/* --- links ---------------------------------------------------------------------------- */

struct netsetup_link_stats {
	/* From the interface's own point of view: on the node-side veth, rx_* is what the VPS
	 * sent and tx_* is what the VPS was sent. */
	uint64_t rx_bytes, tx_bytes;
	uint64_t rx_packets, tx_packets;
	uint64_t rx_dropped, tx_dropped;
};

struct netsetup_link_info {
	int ifindex;
	char name[NETSETUP_IFNAMSIZ];
	char kind[16];  /* IFLA_INFO_KIND: "veth", "bridge", "ifb"; "" if none */
	unsigned flags; /* IFF_* */
	unsigned mtu;
	uint8_t mac[NETSETUP_MAC_LEN];
	bool has_mac;
	int master; /* ifindex of the bridge, 0 if none */
	int link;   /* veth: the peer's ifindex (in the peer's namespace), 0 if none */
	struct netsetup_link_stats stats;
};

/* 1 if ifname exists in the namespace, 0 if not, or -errno. */
int netsetup_link_exists(int netns_fd, const char *ifname);
/* Deletes ifname (a veth takes its peer with it). -ENODEV if there is no such link. */
int netsetup_link_del(int netns_fd, const char *ifname);
int netsetup_link_set_master(int netns_fd, const char *ifname, const char *master);
int netsetup_link_get(int netns_fd, const char *ifname, struct netsetup_link_info *ret);
typedef int (*netsetup_link_fn)(const struct netsetup_link_info *l, void *userdata);
int netsetup_link_foreach(int netns_fd, netsetup_link_fn fn, void *userdata);
/* The 64-bit counters of every link of the namespace, one RTM_GETSTATS dump (linkstats.c):
 * fn(ifindex, counters) for each; fn's -errno stops the dump and is returned. */
typedef int (*netsetup_link_stats_fn)(int ifindex, const struct netsetup_link_stats *st,
                                      void *userdata);
int netsetup_link_stats_foreach(int netns_fd, netsetup_link_stats_fn fn, void *userdata);
/* A socket for netsetup_link_index() in the caller's namespace (O_CLOEXEC), or -errno. */
int netsetup_link_index_open(void);
/* The ifindex of ifname (SIOCGIFINDEX through sock_fd), -ENODEV if there is none, or -errno. */
int netsetup_link_index(int sock_fd, const char *ifname);
/* rx/tx bytes, packets and drops (IFLA_STATS64): the VPS's traffic counters. */
int netsetup_link_stats(int netns_fd, const char *ifname, struct netsetup_link_stats *ret);

/* --- bridge and veth ------------------------------------------------------------------ */

/*
 * Creates bridge name with the given node addresses, up, with a stable MAC and no forwarding
 * delay. A bridge that already exists is the operator's: it is left entirely alone (no
 * address added, nothing changed) and 1 is returned; 0 means we created it.
 */
int netsetup_bridge_ensure(const char *name, const struct netsetup_addr *addrs, size_t n);

/*
 * Creates the pair host_name (in the caller's namespace, down, not enslaved) and peer_name
 * created directly inside peer_netns_fd with the given MAC; one RTM_NEWLINK. mtu 0 = default.
 */
int netsetup_veth_create(const char *host_name, const char *peer_name, int peer_netns_fd,
                         const uint8_t mac[NETSETUP_MAC_LEN], unsigned mtu);

/* --- MAC addresses -------------------------------------------------------------------- */

/* A stable locally administered unicast MAC (02:xx:xx:xx:xx:xx) from a hash of name. */
void netsetup_mac_from_name(const char *name, uint8_t ret[NETSETUP_MAC_LEN]);
/* "02:aa:bb:cc:dd:ee"; multicast and all-zero addresses are refused. */
int netsetup_mac_parse(const char *s, uint8_t ret[NETSETUP_MAC_LEN]);
/* Writes "02:aa:bb:cc:dd:ee" into buf (at least 18 bytes) and returns buf. */
const char *netsetup_mac_format(const uint8_t mac[NETSETUP_MAC_LEN], char *buf, size_t len);
/* The EUI-64 IPv6 link-local address (fe80::/64) a kernel derives from mac. */
void netsetup_mac_to_link_local(const uint8_t mac[NETSETUP_MAC_LEN], struct netsetup_addr *ret);

/* --- bandwidth caps ------------------------------------------------------------------- */

/* "10mbit", "100mbit", "1gbit", "512kbit", "1.5gbit", "10mbps" (bytes), "0" (no cap). */
int netsetup_rate_parse(const char *s, uint64_t *ret_bps);
/* Writes e.g. "10mbit" into buf (at least 32 bytes) and returns buf. */
const char *netsetup_rate_format(uint64_t bps, char *buf, size_t len);
/* The IFB device that shapes what host_ifname receives: "veth-X" -> "ifb-X". */
int netsetup_ifb_name(const char *host_ifname, char ret[NETSETUP_IFNAMSIZ]);
/*
 * Caps both directions of the node-side veth at rate_bps: a tbf on its egress (traffic to the
 * VPS) and, for traffic from the VPS, a redirect of its ingress to an IFB device shaped by a
 * tbf. Changing the rate is a live replace; 0 removes the caps (and the IFB).
 */
int netsetup_bandwidth_set(const char *host_ifname, uint64_t rate_bps);
/* The cap in force on host_ifname's egress, 0 if none. */
int netsetup_bandwidth_get(const char *host_ifname, uint64_t *ret_bps);

/* --- anti-spoofing -------------------------------------------------------------------- */

/*
 * Lets host_ifname receive from the VPS only frames from mac carrying one of addrs (IPv4
 * source and ARP sender; IPv6 source, NDP target and link-layer option, where the EUI-64
 * link-local of mac and :: are allowed too), and no DHCP server replies, router
 * advertisements or redirects. A classic BPF program on the veth's clsact ingress; replaces
 * the one in force.
 */
int netsetup_antispoof_set(const char *host_ifname, const uint8_t mac[NETSETUP_MAC_LEN],
                           const struct netsetup_addr *addrs, size_t n);
int netsetup_antispoof_clear(const char *host_ifname);
/* 1 if an anti-spoofing filter is attached to host_ifname, 0 if not. */
int netsetup_antispoof_get(const char *host_ifname);

/* --- node services ------------------------------------------------------------------- */

/* The nftables table (family inet) vpsctl owns; nothing else of the node's ruleset is touched. */
#define NETSETUP_NODEFW_TABLE "vpsctl"
/* The lock file of add and prune, in vpsctl's lock directory ('_' is in no VPS name). */
#define NETSETUP_NODEFW_LOCK_FILE "_node-services.lock"

/*
 * Drops what arrives on ifname for the node itself (any of its addresses), except ICMP and
 * ICMPv6 and replies to connections the node opened; forwarded traffic is untouched. ifname
 * is where VPS traffic comes in: the bridge, or a VPS's veth in a routed mode. One nftables
 * transaction creates (or keeps) the table and its set, refills its chains and adds ifname,
 * so concurrent calls leave one copy of the rules. On failure err gets libnftables's message.
 */
int netsetup_nodefw_add(const char *lock_path, const char *ifname, struct vps_error *err);
/*
 * Removes the interfaces that carry no VPS traffic any more (gone, or a bridge without a
 * "veth-" port) from the set, and the table with the last one. Serialized with
 * netsetup_nodefw_add by an flock on lock_path (a root-only file), so a VPS starting
 * meanwhile keeps its rules.
 */
int netsetup_nodefw_prune(const char *lock_path);
/* One routed VPS's stop: its own interface (gone by now) out of the set, and the table with
 * the last one, without looking at the other elements. Same lock as prune. */
int netsetup_nodefw_del(const char *lock_path, const char *ifname);
/* 1 if ifname is in the set, 0 if not (or there is no table). */
int netsetup_nodefw_has(const char *ifname);

/* --- one VPS, all at once ------------------------------------------------------------- */

struct netsetup_vps {
	const char *host_ifname; /* "veth-NAME" */
	const char *peer_ifname; /* NULL = "eth0" */
	const char *bridge;      /* NULL = "vpsbr0"; must exist */
	int netns_fd;            /* the VPS's network namespace */
	uint8_t mac[NETSETUP_MAC_LEN];
	unsigned mtu; /* 0 = kernel default */
	const struct netsetup_addr *addrs;
	size_t n_addrs;
	const struct netsetup_addr *gateway4; /* NULL = no IPv4 default route */
	const struct netsetup_addr *gateway6; /* NULL = no IPv6 default route */
	uint64_t rate_bps;                    /* 0 = no cap */
	bool antispoof;
	/* Routed: the node end joins no bridge; it holds the gateways and a host route per
	 * address (netsetup_routed_node_side); gateway4/6 are NETSETUP_ROUTED_GW4/6. */
	bool routed;
};

/*
 * Plumbs a VPS: veth pair with the peer created in its namespace, anti-spoofing and caps on the
 * node end before it joins the bridge, lo and the peer up, addresses and default routes. If
 * host_ifname already exists it is re-applied instead (idempotent). On failure what this call
 * created is removed.
 */
int netsetup_vps_plumb(const struct netsetup_vps *v);
/* Removes host_ifname and its IFB; missing pieces are not an error. */
int netsetup_vps_teardown(const char *host_ifname);

/* The most addresses an address list (vps.conf's IP_ADDRESS, NODE_ADDRESS) holds. */
#define NETSETUP_ADDR_LIST_MAX (2 * NETSETUP_MAX_ADDRS)
/* An address list as vps.conf's IP_ADDRESS and vpsctl.conf's NODE_ADDRESS hold it. */
struct netsetup_addr_list {
	size_t n;
	struct netsetup_addr a[NETSETUP_ADDR_LIST_MAX];
};
/* Parses a space- or comma-separated CIDR list ("10.77.0.2/24 fd77::2/64"); ret is changed
 * only on success. -E2BIG beyond NETSETUP_ADDR_LIST_MAX entries. */
int netsetup_addr_list_parse(const char *text, struct netsetup_addr_list *ret);
/* The list as it is written ("10.77.0.2/24 fd77::2/64"); -ENAMETOOLONG if buf is too small. */
int netsetup_addr_list_format(const struct netsetup_addr_list *l, char *buf, size_t len);
/* Whether a and b hold the same addresses with the same prefix lengths, in the same order. */
bool netsetup_addr_list_equal(const struct netsetup_addr_list *a,
                              const struct netsetup_addr_list *b);
/* Whether l holds a (address and prefix length). */
bool netsetup_addr_list_has(const struct netsetup_addr_list *l, const struct netsetup_addr *a);
/* The node end of the veth: "veth-NAME", or "veth-NAME4_HASH5" when NAME is too long. */
void netsetup_host_ifname(const char *name, char ret[NETSETUP_IFNAMSIZ]);
/* The first of node[0..n) whose subnet holds a; NULL if none does. */
const struct netsetup_addr *netsetup_addr_subnet_of(const struct netsetup_addr *a,
                                                    const struct netsetup_addr *node, size_t n);

/* --- routed mode ---------------------------------------------------------------------- */

/* The gateways of every routed VPS: on its own link only, held by the node end of its veth
 * (like Incus's routed NIC and OpenVZ's venet, the VPS's only neighbour is the node). */
#define NETSETUP_ROUTED_GW4 "169.254.0.1"
#define NETSETUP_ROUTED_GW6 "fe80::1"
/* The routing protocol number of routed VPSes' host routes (`ip route show proto 86`), so a
 * check tells them from the operator's. */
#define NETSETUP_RTPROT 86
void netsetup_routed_gateways(struct netsetup_addr *gw4, struct netsetup_addr *gw6);
/* Gateways on host_ifname, forwarding on it, a host route (/32, /128) per address over it. */
int netsetup_routed_node_side(const char *host_ifname, const struct netsetup_addr *addrs, size_t n);
/* A host route to a (its full length, whatever a's prefix) over ifname; replaces. Del: gone
 * already is not an error. */
int netsetup_host_route_add(const char *ifname, const struct netsetup_addr *a);
int netsetup_host_route_del(const char *ifname, const struct netsetup_addr *a);
/* The ifindex of the device a routed VPS's host route to a (protocol NETSETUP_RTPROT, full
 * prefix, main table) leads over, 0 if a has none, or -errno. One lookup, no dump: what a
 * start or stop asks about its own addresses costs the same with 1 or 1000 VPSes. */
int netsetup_host_route_owner(const struct netsetup_addr *a);
/* A proxy neighbour entry (`ip neigh add proxy A dev IFNAME`): the node answers ARP (with the
 * interface's IPv4 forwarding on) and NDP (with proxy_ndp on) for a on ifname. */
int netsetup_proxy_add(const char *ifname, const struct netsetup_addr *a);
int netsetup_proxy_del(const char *ifname, const struct netsetup_addr *a);
/* Whether the kernel holds the proxy entry for a on ifname (or on every link): 1, 0, or
 * -errno (-ENODEV: no such link). One RTM_GETNEIGH request, whatever the table holds. */
int netsetup_proxy_has(const char *ifname, const struct netsetup_addr *a);
typedef int (*netsetup_proxy_fn)(int ifindex, const struct netsetup_addr *a, void *userdata);
/* Every proxy entry of the caller's namespace, IPv4 then IPv6; fn < 0 stops. */
int netsetup_proxy_foreach(netsetup_proxy_fn fn, void *userdata);
/* /proc/sys/net/ipv4 or ipv6 (by family)/conf/IFNAME/KEY ("all" for IFNAME too). */
int netsetup_if_sysctl_set(int family, const char *ifname, const char *key, const char *value);
int netsetup_if_sysctl_get(int family, const char *ifname, const char *key, long *ret);

/* 1 while ifname carries VPS traffic: it exists and, if a bridge, has a "veth-" port. */
int netsetup_iface_carries_vps(const char *ifname);

/* --- NAT uplink and port forwards ----------------------------------------------------- */

/* A forward of the node's port to a VPS's: "tcp:8022:22" (protocol, node port, VPS port). */
enum netsetup_fwd_proto { NETSETUP_FWD_TCP, NETSETUP_FWD_UDP, _NETSETUP_FWD_PROTO_MAX };
struct netsetup_forward {
	enum netsetup_fwd_proto proto;
	uint16_t node_port, vps_port; /* 1..65535 */
};
#define NETSETUP_FORWARDS_MAX 32
struct netsetup_forward_list {
	size_t n;
	struct netsetup_forward f[NETSETUP_FORWARDS_MAX];
};
/* "tcp:8022:22"; -EINVAL for anything else (a port 0 or above 65535, another protocol). */
int netsetup_forward_parse(const char *s, struct netsetup_forward *ret);
/* Writes "tcp:8022:22" into buf (at least 24 bytes) and returns buf. */
const char *netsetup_forward_format(const struct netsetup_forward *f, char *buf, size_t len);
/* "tcp:8022": the node port a forward takes, as the port index and messages name it. */
const char *netsetup_forward_node_port(const struct netsetup_forward *f, char *buf, size_t len);
/* A space- or comma-separated list; a node port given twice is -EEXIST; ret changed only on
 * success. */
int netsetup_forward_list_parse(const char *text, struct netsetup_forward_list *ret);
int netsetup_forward_list_format(const struct netsetup_forward_list *l, char *buf, size_t len);
bool netsetup_forward_list_equal(const struct netsetup_forward_list *a,
                                 const struct netsetup_forward_list *b);
/* The index in l of the forward taking f's node port (protocol and port), or -1. */
int netsetup_forward_list_find(const struct netsetup_forward_list *l,
                               const struct netsetup_forward *f);

/* The nftables table (family ip) of the NAT uplink and the port forwards. */
#define NETSETUP_NAT_TABLE "vpsctl-nat"
/*
 * Masquerades what leaves uplink from the IPv4 subnets of addrs (other families skipped):
 * the table's postrouting chain, refilled in one transaction (idempotent). lock_path: the
 * node-services lock, which serializes it with netsetup_nat_prune.
 */
int netsetup_nat_masquerade(const char *lock_path, const char *uplink,
                            const struct netsetup_addr *addrs, size_t n, struct vps_error *err);
/*
 * A VPS's forwards: its own prerouting chain "fwd-<host_ifname>" holds, for each forward,
 * "what arrives on uplink for node_port goes to to:vps_port". Refilled in one transaction;
 * an empty list deletes the chain.
 */
int netsetup_nat_forwards_set(const char *lock_path, const char *host_ifname, const char *uplink,
                              const struct netsetup_addr *to, const struct netsetup_forward_list *l,
                              struct vps_error *err);
/* Deletes the table once it holds no VPS's forwards and bridge carries no VPS. */
int netsetup_nat_prune(const char *lock_path, const char *bridge);
/* 1 if the masquerade of subnet's IPv4 network out of uplink is there, 0 if not. */
int netsetup_nat_has_masquerade(const char *uplink, const struct netsetup_addr *subnet);
/* 1 if host_ifname's chain forwards f from uplink to `to`, 0 if not. */
int netsetup_nat_has_forward(const char *host_ifname, const char *uplink,
                             const struct netsetup_addr *to, const struct netsetup_forward *f);
