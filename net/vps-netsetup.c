/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vps-netsetup: show, (re-)apply and tear down a VPS's network plumbing, for operators. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "log.h"
#include "netsetup.h"
#include "lock.h"
#include "parse.h"

#define SHOW_MAX_LINKS 256

static void help(void)
{
	printf("Usage: vps-netsetup [-v] COMMAND [OPTIONS]\n"
	       "\n"
	       "  show PID                     links, addresses and routes in PID's network\n"
	       "                               namespace, and the node end of its veth\n"
	       "  plumb --pid PID --host-if veth-NAME [--bridge vpsbr0] --ip CIDR... [--gw IP...]\n"
	       "        [--peer-if eth0] [--mac MAC] [--mtu N] [--bandwidth RATE] "
	       "[--no-antispoof]\n"
	       "        [--allow-node-services]\n"
	       "                               create (or re-apply) a VPS's veth and settings;\n"
	       "                               the node's own services are closed to VPSes on\n"
	       "                               the bridge (nftables table inet vpsctl) unless\n"
	       "                               --allow-node-services\n"
	       "  teardown --host-if veth-NAME remove a VPS's node-side leftovers (and the\n"
	       "                               node-services rules once no VPS is left)\n"
	       "  bridge NAME [--addr CIDR...] create the node bridge unless it exists\n"
	       "  stats --host-if veth-NAME    traffic counters of the node end (rx = from the "
	       "VPS)\n"
	       "\n"
	       "  -v, --verbose                debug messages\n"
	       "  -h, --help                   this help\n"
	       "\n"
	       "The node-services lock is vpsctl's, under VPSCTL_ROOT if set.\n");
}

static int bad_option(char **argv)
{
	return log_error_errno(-EINVAL, "Unknown option or missing value '%s' (see --help)",
	                       argv[optind - 1]);
}

static int open_netns(const char *pid_s, int *ret)
{
	char path[64];
	int pid, fd;

	if (parse_int_range(pid_s, 1, INT32_MAX, &pid) < 0)
		return log_error_errno(-EINVAL, "Invalid PID '%s'", pid_s);
	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return log_error_errno(-errno, "Cannot open '%s': %m", path);
	*ret = fd;
	return 0;
}

/* --- show ----------------------------------------------------------------------------- */

struct link_table {
	struct netsetup_link_info l[SHOW_MAX_LINKS];
	size_t n;
};

static int collect_link(const struct netsetup_link_info *l, void *userdata)
{
	struct link_table *t = userdata;

	if (t->n < SHOW_MAX_LINKS)
		t->l[t->n++] = *l;
	return 0;
}

static const char *link_name(const struct link_table *t, int ifindex)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->l[i].ifindex == ifindex)
			return t->l[i].name;
	return "?";
}

static void print_link(const struct netsetup_link_info *l, const struct link_table *t)
{
	char mac[32] = "-";

	if (l->has_mac)
		netsetup_mac_format(l->mac, mac, sizeof(mac));
	printf("  %d: %s%s%s %s mtu %u mac %s", l->ifindex, l->name, l->kind[0] ? " " : "", l->kind,
	       (l->flags & IFF_UP) ? "UP" : "DOWN", l->mtu, mac);
	if (l->master && t)
		printf(" master %s", link_name(t, l->master));
	printf("\n");
}

static int print_addr(int ifindex, const struct netsetup_addr *a, void *userdata)
{
	char buf[80];

	printf("  %s %s %s\n", link_name(userdata, ifindex),
	       a->family == AF_INET ? "inet" : "inet6", netsetup_addr_format(a, buf, sizeof(buf)));
	return 0;
}

static int print_route(const struct netsetup_route_info *r, void *userdata)
{
	char dst[80], gw[64];

	if (r->table != RT_TABLE_MAIN || r->type != RTN_UNICAST)
		return 0;
	if (r->dst.prefixlen == 0)
		snprintf(dst, sizeof(dst), "default");
	else
		netsetup_addr_format(&r->dst, dst, sizeof(dst));
	printf("  %s", dst);
	if (r->has_gateway)
		printf(" via %s", netsetup_addr_format_ip(&r->gateway, gw, sizeof(gw)));
	printf(" dev %s\n", link_name(userdata, r->oif));
	return 0;
}

static void print_node_end(const struct netsetup_link_info *l, const struct link_table *node)
{
	char rate[32];
	uint64_t bps = 0;
	int spoof = netsetup_antispoof_get(l->name);

	printf("node end:\n");
	print_link(l, node);
	if (netsetup_bandwidth_get(l->name, &bps) < 0 || bps == 0)
		snprintf(rate, sizeof(rate), "none");
	else
		netsetup_rate_format(bps, rate, sizeof(rate));
	printf("  bandwidth cap %s, anti-spoofing %s\n", rate,
	       spoof > 0    ? "on"
	       : spoof == 0 ? "off"
	                    : "unknown");
	if (l->master && node)
		printf("  node services from '%s': %s\n", link_name(node, l->master),
		       netsetup_nodefw_has(link_name(node, l->master)) > 0 ? "closed" : "open");
	printf("  from VPS: %" PRIu64 " bytes %" PRIu64 " packets %" PRIu64 " dropped\n",
	       l->stats.rx_bytes, l->stats.rx_packets, l->stats.rx_dropped);
	printf("  to VPS:   %" PRIu64 " bytes %" PRIu64 " packets %" PRIu64 " dropped\n",
	       l->stats.tx_bytes, l->stats.tx_packets, l->stats.tx_dropped);
}

/* The node end is the veth-* link whose ifindex the VPS's veth names as its peer. */
static void show_node_end(const struct link_table *vps)
{
	static struct link_table node;

	node.n = 0;
	if (netsetup_link_foreach(-1, collect_link, &node) < 0)
		return;
	for (size_t i = 0; i < vps->n; i++) {
		if (strcmp(vps->l[i].kind, "veth") != 0 || vps->l[i].link <= 0)
			continue;
		for (size_t j = 0; j < node.n; j++)
			if (node.l[j].ifindex == vps->l[i].link &&
			    strncmp(node.l[j].name, "veth-", 5) == 0)
				print_node_end(&node.l[j], &node);
	}
}

static int cmd_show(int argc, char **argv)
{
	static struct link_table vps;
	_cleanup_close_ int fd = -EBADF;
	int r;

	if (argc != 2)
		return log_error_errno(-EINVAL, "show takes one PID");
	r = open_netns(argv[1], &fd);
	if (r < 0)
		return r;
	r = netsetup_link_foreach(fd, collect_link, &vps);
	if (r < 0)
		return log_error_errno(r, "Cannot list links: %m");
	printf("links:\n");
	for (size_t i = 0; i < vps.n; i++)
		print_link(&vps.l[i], &vps);
	printf("addresses:\n");
	r = netsetup_addr_foreach(fd, AF_UNSPEC, print_addr, &vps);
	if (r < 0)
		return log_error_errno(r, "Cannot list addresses: %m");
	printf("routes:\n");
	r = netsetup_route_foreach(fd, AF_UNSPEC, print_route, &vps);
	if (r < 0)
		return log_error_errno(r, "Cannot list routes: %m");
	show_node_end(&vps);
	return 0;
}

/* --- plumb ---------------------------------------------------------------------------- */

struct plumb_args {
	struct netsetup_vps v;
	struct netsetup_addr addrs[2 * NETSETUP_MAX_ADDRS];
	struct netsetup_addr gw4, gw6;
	const char *pid;
	bool has_mac;
	bool allow_node_services;
};

static int add_ip(struct plumb_args *a, const char *s)
{
	if (a->v.n_addrs == ELEMENTSOF(a->addrs))
		return log_error_errno(-E2BIG, "Too many --ip");
	if (netsetup_addr_parse(s, &a->addrs[a->v.n_addrs]) < 0)
		return log_error_errno(-EINVAL, "Invalid address '%s'", s);
	a->v.n_addrs++;
	return 0;
}

static int add_gw(struct plumb_args *a, const char *s)
{
	struct netsetup_addr g;

	if (netsetup_addr_parse(s, &g) < 0)
		return log_error_errno(-EINVAL, "Invalid gateway '%s'", s);
	if (g.family == AF_INET) {
		a->gw4 = g;
		a->v.gateway4 = &a->gw4;
	} else {
		a->gw6 = g;
		a->v.gateway6 = &a->gw6;
	}
	return 0;
}

static int plumb_option(struct plumb_args *a, int c, const char *arg)
{
	int r = 0, mtu;

	switch (c) {
	case 'p':
		a->pid = arg;
		break;
	case 'H':
		a->v.host_ifname = arg;
		break;
	case 'P':
		a->v.peer_ifname = arg;
		break;
	case 'b':
		a->v.bridge = arg;
		break;
	case 'i':
		return add_ip(a, arg);
	case 'g':
		return add_gw(a, arg);
	case 'm':
		a->has_mac = true;
		if (netsetup_mac_parse(arg, a->v.mac) < 0)
			return log_error_errno(-EINVAL, "Invalid MAC '%s'", arg);
		break;
	case 'M':
		r = parse_int_range(arg, 68, 65535, &mtu);
		if (r < 0)
			return log_error_errno(r, "Invalid MTU '%s'", arg);
		a->v.mtu = (unsigned)mtu;
		break;
	case 'B':
		r = netsetup_rate_parse(arg, &a->v.rate_bps);
		if (r < 0)
			return log_error_errno(r, "Invalid bandwidth '%s' (e.g. 10mbit, 1gbit)",
			                       arg);
		break;
	case 'n':
		a->v.antispoof = false;
		break;
	case 'S':
		a->allow_node_services = true;
		break;
	default:
		return -EINVAL;
	}
	return 0;
}

static int parse_plumb(int argc, char **argv, struct plumb_args *a)
{
	static const struct option opts[] = {
		{"pid", required_argument, NULL, 'p'},
		{"host-if", required_argument, NULL, 'H'},
		{"peer-if", required_argument, NULL, 'P'},
		{"bridge", required_argument, NULL, 'b'},
		{"ip", required_argument, NULL, 'i'},
		{"gw", required_argument, NULL, 'g'},
		{"mac", required_argument, NULL, 'm'},
		{"mtu", required_argument, NULL, 'M'},
		{"bandwidth", required_argument, NULL, 'B'},
		{"no-antispoof", no_argument, NULL, 'n'},
		{"allow-node-services", no_argument, NULL, 'S'},
		{},
	};
	int c, r;

	a->v.antispoof = true;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) >= 0) {
		if (c == '?')
			return bad_option(argv);
		r = plumb_option(a, c, optarg);
		if (r < 0)
			return r;
	}
	if (optind != argc || !a->pid || !a->v.host_ifname)
		return log_error_errno(-EINVAL, "plumb needs --pid and --host-if");
	/* The default MAC is the stable one of the VPS name the veth is named after. */
	if (!a->has_mac)
		netsetup_mac_from_name(strncmp(a->v.host_ifname, "veth-", 5) == 0
		                               ? a->v.host_ifname + 5
		                               : a->v.host_ifname,
		                       a->v.mac);
	return 0;
}

/* The lock vpsctl takes around the node-services rules: under VPSCTL_ROOT, as vpsctl's. */
static int nodefw_lock(char *buf, size_t len)
{
	struct vps_paths p;
	int r = vps_paths_init(getenv("VPSCTL_ROOT"), &p);

	return r < 0 ? r : vps_nodefw_lock_path(&p, buf, len);
}

/* Fail closed: plumbing that leaves the node open to the VPS is an error. */
static int close_node_services(const char *bridge)
{
	struct vps_error why = VPS_ERROR_INIT;
	char lock[PATH_MAX];
	int r = nodefw_lock(lock, sizeof(lock));

	if (r == 0)
		r = netsetup_nodefw_add(lock, bridge, &why);
	if (r < 0)
		return log_error_errno(r, "Closing the node's services to '%s' failed: %s", bridge,
		                       vps_error_message(&why, r));
	return 0;
}

static int cmd_plumb(int argc, char **argv)
{
	static struct plumb_args a;
	_cleanup_close_ int fd = -EBADF;
	int r = parse_plumb(argc, argv, &a);

	if (r < 0)
		return r;
	a.v.addrs = a.addrs;
	r = open_netns(a.pid, &fd);
	if (r < 0)
		return r;
	a.v.netns_fd = fd;
	r = netsetup_vps_plumb(&a.v);
	if (r < 0)
		return log_error_errno(r, "Plumbing '%s' failed: %m", a.v.host_ifname);
	if (a.allow_node_services)
		return 0;
	return close_node_services(a.v.bridge ? a.v.bridge : NETSETUP_BRIDGE_DEFAULT);
}

/* --- teardown, bridge, stats ---------------------------------------------------------- */

static int parse_host_if(int argc, char **argv, const char **ret)
{
	static const struct option opts[] = {{"host-if", required_argument, NULL, 'H'}, {}};
	int c;

	*ret = NULL;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) >= 0) {
		if (c != 'H')
			return bad_option(argv);
		*ret = optarg;
	}
	if (optind != argc || !*ret)
		return log_error_errno(-EINVAL, "--host-if is required");
	return 0;
}

static int cmd_teardown(int argc, char **argv)
{
	char lock[PATH_MAX];
	const char *host;
	int r = parse_host_if(argc, argv, &host);

	if (r < 0)
		return r;
	r = netsetup_vps_teardown(host);
	if (r < 0)
		return log_error_errno(r, "Tearing down '%s' failed: %m", host);
	r = nodefw_lock(lock, sizeof(lock));
	if (r == 0)
		r = netsetup_nodefw_prune(lock);
	if (r < 0)
		return log_error_errno(r, "Removing unused node-services rules failed: %m");
	return 0;
}

static int cmd_stats(int argc, char **argv)
{
	struct netsetup_link_stats st;
	const char *host;
	int r = parse_host_if(argc, argv, &host);

	if (r < 0)
		return r;
	r = netsetup_link_stats(-1, host, &st);
	if (r < 0)
		return log_error_errno(r, "Cannot read counters of '%s': %m", host);
	printf("rx_bytes %" PRIu64 "\nrx_packets %" PRIu64 "\nrx_dropped %" PRIu64 "\n"
	       "tx_bytes %" PRIu64 "\ntx_packets %" PRIu64 "\ntx_dropped %" PRIu64 "\n",
	       st.rx_bytes, st.rx_packets, st.rx_dropped, st.tx_bytes, st.tx_packets,
	       st.tx_dropped);
	return 0;
}

static int cmd_bridge(int argc, char **argv)
{
	static const struct option opts[] = {{"addr", required_argument, NULL, 'a'}, {}};
	struct netsetup_addr addrs[2 * NETSETUP_MAX_ADDRS];
	size_t n = 0;
	int c, r;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) >= 0) {
		if (c != 'a')
			return bad_option(argv);
		if (n == ELEMENTSOF(addrs))
			return log_error_errno(-E2BIG, "Too many --addr");
		if (netsetup_addr_parse(optarg, &addrs[n++]) < 0)
			return log_error_errno(-EINVAL, "Invalid address '%s'", optarg);
	}
	if (optind != argc - 1)
		return log_error_errno(-EINVAL, "bridge takes one NAME");
	r = netsetup_bridge_ensure(argv[optind], addrs, n);
	if (r < 0)
		return log_error_errno(r, "Creating bridge '%s' failed: %m", argv[optind]);
	if (r > 0)
		log_info("Bridge '%s' exists, left alone", argv[optind]);
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{"show", cmd_show},     {"plumb", cmd_plumb}, {"teardown", cmd_teardown},
	{"bridge", cmd_bridge}, {"stats", cmd_stats},
};

int main(int argc, char **argv)
{
	int i = 1;

	log_set_prefix("vps-netsetup");
	for (int a = 1; a < argc; a++)
		if (strcmp(argv[a], "-h") == 0 || strcmp(argv[a], "--help") == 0) {
			help();
			return 0;
		}
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-v") != 0 && strcmp(argv[i], "--verbose") != 0) {
			log_error("Unknown option '%s' (see --help)", argv[i]);
			return 2;
		}
		log_set_max_level(LOG_LEVEL_DEBUG);
	}
	if (i == argc) {
		log_error("Missing command (see --help)");
		return 2;
	}
	for (size_t c = 0; c < ELEMENTSOF(commands); c++)
		if (strcmp(argv[i], commands[c].name) == 0) {
			optind = 1;
			opterr = 0; /* we print our own one-line error */
			return commands[c].fn(argc - i, argv + i) < 0 ? 1 : 0;
		}
	log_error("Unknown command '%s' (see --help)", argv[i]);
	return 2;
}
