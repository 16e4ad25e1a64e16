/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/if_ether.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "announce.h"
#include "cleanup.h"
#include "netsetup.h"

#define ANNOUNCE_COUNT 3

static int if_mac(int fd, const char *ifname, uint8_t mac[6])
{
	struct ifreq ifr = {0};

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		return -errno;
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return 0;
}

/* ARP request for our own address (sender = target = it), broadcast: RFC 5227's
 * announcement, which neighbours with an entry for it update from. */
static int garp(int ifindex, const uint8_t mac[6], const struct in_addr *ip)
{
	_cleanup_close_ int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_ARP));
	struct sockaddr_ll to = {.sll_family = AF_PACKET,
	                         .sll_protocol = htons(ETH_P_ARP),
	                         .sll_ifindex = ifindex,
	                         .sll_halen = 6};
	struct ether_arp a = {0};

	if (fd < 0)
		return -errno;
	memset(to.sll_addr, 0xff, 6);
	a.arp_hrd = htons(ARPHRD_ETHER);
	a.arp_pro = htons(ETH_P_IP);
	a.arp_hln = 6;
	a.arp_pln = 4;
	a.arp_op = htons(ARPOP_REQUEST);
	memcpy(a.arp_sha, mac, 6);
	memcpy(a.arp_spa, ip, 4);
	memcpy(a.arp_tpa, ip, 4);
	for (int i = 0; i < ANNOUNCE_COUNT; i++)
		if (sendto(fd, &a, sizeof(a), 0, (struct sockaddr *)&to, sizeof(to)) < 0)
			return -errno;
	return 0;
}

/* Unsolicited NA to all nodes, override set, with our link-layer address (RFC 4861 7.2.6). */
static int unsolicited_na(const char *ifname, int ifindex, const uint8_t mac[6],
                          const struct in6_addr *ip)
{
	_cleanup_close_ int fd = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6);
	struct sockaddr_in6 to = {.sin6_family = AF_INET6, .sin6_scope_id = (uint32_t)ifindex};
	struct {
		struct nd_neighbor_advert na;
		struct nd_opt_hdr opt;
		uint8_t mac[6];
	} __attribute__((packed)) p = {0};
	int hops = 255;

	if (fd < 0)
		return -errno;
	if (setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof(hops)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname)) < 0)
		return -errno;
	inet_pton(AF_INET6, "ff02::1", &to.sin6_addr);
	p.na.nd_na_type = ND_NEIGHBOR_ADVERT;
	p.na.nd_na_flags_reserved = ND_NA_FLAG_OVERRIDE;
	p.na.nd_na_target = *ip;
	p.opt.nd_opt_type = ND_OPT_TARGET_LINKADDR;
	p.opt.nd_opt_len = 1;
	memcpy(p.mac, mac, 6);
	for (int i = 0; i < ANNOUNCE_COUNT; i++)
		if (sendto(fd, &p, sizeof(p), 0, (struct sockaddr *)&to, sizeof(to)) < 0)
			return -errno;
	return 0;
}

static int announce_here(const struct vps_config *cfg)
{
	const char *ifname = NETSETUP_PEER_DEFAULT;
	_cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	unsigned ifindex = if_nametoindex(ifname);
	uint8_t mac[6];
	int r;

	if (fd < 0 || ifindex == 0)
		return -errno;
	r = if_mac(fd, ifname, mac);
	if (r < 0)
		return r;
	for (size_t i = 0; i < cfg->ip_address.n; i++) {
		const struct netsetup_addr *a = &cfg->ip_address.a[i];

		r = a->family == AF_INET ? garp((int)ifindex, mac, &a->in)
		                         : unsolicited_na(ifname, (int)ifindex, mac, &a->in6);
		if (r < 0)
			return r;
	}
	return 0;
}

int vps_net_announce(pid_t init, const struct vps_config *cfg, struct vps_error *err)
{
	char path[64];
	int status;
	pid_t pid;

	if (cfg->ip_address.n == 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)init);
	pid = fork();
	if (pid < 0)
		return vps_error_errno(err, -errno, "fork");
	if (pid == 0) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);

		if (fd < 0 || setns(fd, CLONE_NEWNET) < 0)
			_exit(2);
		_exit(announce_here(cfg) < 0 ? 1 : 0);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return vps_error_errno(err, -errno, "waitpid");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return vps_error_set(err, -EIO, "sending the announcements from its eth0 failed");
	return 0;
}
