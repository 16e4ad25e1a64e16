/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileio.h"
#include "lock.h"
#include "network.h"
#include "parse.h"

int vps_net_parse_addrs(const char *list, struct netsetup_addr *addrs, size_t max, size_t *ret_n)
{
	char buf[1024], *save = NULL;
	size_t n = 0;

	if (strlen(list) >= sizeof(buf))
		return -ENAMETOOLONG;
	strcpy(buf, list);
	for (char *tok = strtok_r(buf, " ,", &save); tok; tok = strtok_r(NULL, " ,", &save)) {
		int r;

		if (n >= max)
			return -E2BIG;
		r = netsetup_addr_parse(tok, &addrs[n]);
		if (r < 0)
			return r;
		n++;
	}
	*ret_n = n;
	return 0;
}

void vps_net_host_ifname(const char *name, char ret[NETSETUP_IFNAMSIZ])
{
	uint32_t h = 2166136261u;

	if (strlen(name) <= 10) {
		snprintf(ret, NETSETUP_IFNAMSIZ, "veth-%s", name);
		return;
	}
	/* '_' never occurs in a VPS name, so a shortened name cannot equal a real one. */
	for (const char *p = name; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	snprintf(ret, NETSETUP_IFNAMSIZ, "veth-%.4s_%05x", name, h & 0xfffff);
}

static const struct netsetup_addr *subnet_of(const struct netsetup_addr *a,
					     const struct netsetup_addr *node, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (netsetup_addr_in_subnet(a, &node[i]))
			return &node[i];
	return NULL;
}

/* The address index: one file per address in var/lib/vpsctl/addresses, named by the address
 * and holding the name of the VPS that has it. Created with O_EXCL, so two VPSes can never
 * claim one address, and a start looks at its own addresses only instead of every vps.conf.
 * A claim is live while its VPS lists the address or while its VPS's lock is held (a create
 * or resize under way: its vps.conf does not list the address yet). Any other claim (a create
 * that was killed, a hand edit) is stale and taken over, under the claimant's lock and the
 * index's own flock, so two takers never both win. */
/* The index's directory fd; made on first use only, so a start costs one open here. */
static int index_open(const struct vps_paths *p)
{
	char buf[PATH_MAX];
	int n = snprintf(buf, sizeof(buf), "%s/../addresses", p->vps_base), fd, r;

	if (n < 0 || (size_t)n >= sizeof(buf))
		return -ENAMETOOLONG;
	fd = open(buf, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	if (errno != ENOENT)
		return -errno;
	r = mkdir_p(buf, 0700);
	if (r < 0)
		return r;
	fd = open(buf, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return fd;
}

static bool owner_has(const struct vps_paths *p, const struct node_config *node,
		      const char *owner, const struct netsetup_addr *a)
{
	struct netsetup_addr theirs[VPS_NET_MAX_ADDRS];
	struct vps_config other;
	char e[256];
	size_t m = 0;

	if (!name_is_valid(owner) || vps_config_load(p, owner, node, &other, e, sizeof(e)) < 0 ||
	    vps_net_parse_addrs(other.ip_address, theirs, VPS_NET_MAX_ADDRS, &m) < 0)
		return false;
	for (size_t j = 0; j < m; j++)
		if (netsetup_addr_equal(a, &theirs[j]))
			return true;
	return false;
}

/* The claimant of ip ("" when there is none). */
static int read_owner(int dfd, const char *ip, char **ret)
{
	int r = read_file_at(dfd, ip, 64, ret, NULL);

	if (r == -ENOENT) {
		*ret = strdup("");
		return *ret ? 0 : -ENOMEM;
	}
	if (r == 0)
		(*ret)[strcspn(*ret, "\n")] = '\0';
	return r;
}

/* Under the index lock: whether owner's claim on a is live; if not, it is ours now. */
static int take_over(const struct vps_paths *p, const struct node_config *node, int dfd,
		     const char *ip, const char *owner, const struct netsetup_addr *a,
		     const char *line, char *err, size_t errlen)
{
	_cleanup_close_ int owner_lock = -EBADF;
	char dir[PATH_MAX];
	int r;

	if (name_is_valid(owner)) {
		if (owner_has(p, node, owner, a))
			goto in_use;
		/* Not waited for: we hold our own lock, and the owner may wait for the index. */
		owner_lock = vps_lock(p, owner, 0);
		if (owner_lock == -EWOULDBLOCK) {
			snprintf(err, errlen, "address %s is being claimed by VPS '%s' (its create "
				 "or resize is under way)", ip, owner);
			return -EADDRINUSE;
		}
		if (owner_lock < 0)
			return owner_lock;
		/* its create may have finished between the look above and the lock */
		if (owner_has(p, node, owner, a))
			goto in_use;
	}
	r = write_file_atomic_at(dfd, ip, line, strlen(line), 0644);
	/* a claimant that never came to exist leaves no lock file either */
	if (r == 0 && owner_lock >= 0 && vps_path(p, owner, NULL, dir, sizeof(dir)) == 0 &&
	    access(dir, F_OK) < 0 && errno == ENOENT)
		vps_lock_unlink(p, owner);
	return r;
in_use:
	snprintf(err, errlen, "address %s is already used by VPS '%s'", ip, owner);
	return -EADDRINUSE;
}

/* 1: claimed now, 0: it was ours already, -EADDRINUSE (err says by whom) or -errno. */
static int claim(const struct vps_paths *p, const struct node_config *node, const char *name,
		 const struct netsetup_addr *a, char *err, size_t errlen)
{
	char ip[64], line[40];
	_cleanup_close_ int dfd = index_open(p), fd = -EBADF;
	_cleanup_free_ char *owner = NULL;
	int r;

	if (dfd < 0)
		return dfd;
	netsetup_addr_format_ip(a, ip, sizeof(ip));
	snprintf(line, sizeof(line), "%s\n", name);
	fd = openat(dfd, ip, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd >= 0)
		return write(fd, line, strlen(line)) == (ssize_t)strlen(line) ? 1 : -EIO;
	if (errno != EEXIST)
		return -errno;
	/* A claim to look into: one taker at a time, and the claim read again under the lock. */
	if (flock(dfd, LOCK_EX) < 0)
		return -errno;
	r = read_owner(dfd, ip, &owner);
	if (r < 0)
		return r;
	if (strcmp(owner, name) == 0)
		return 0;
	r = take_over(p, node, dfd, ip, owner, a, line, err, errlen);
	return r < 0 ? r : 1;
}

/* Drops NAME's claims on addrs[i] where fresh[i] (made by this call): a failed check keeps
 * only what it found. */
static void release_fresh(const struct vps_paths *p, const char *name,
			  const struct netsetup_addr *addrs, const bool *fresh, size_t n)
{
	_cleanup_close_ int dfd = index_open(p);
	char ip[64];

	for (size_t i = 0; dfd >= 0 && i < n; i++) {
		_cleanup_free_ char *owner = NULL;

		if (!fresh[i] || read_owner(dfd, netsetup_addr_format_ip(&addrs[i], ip, sizeof(ip)),
					    &owner) < 0)
			continue;
		if (strcmp(owner, name) == 0)
			(void)unlinkat(dfd, ip, 0);
	}
}

void vps_net_release(const struct vps_paths *p, const char *name, const char *ip_list)
{
	struct netsetup_addr addrs[VPS_NET_MAX_ADDRS];
	char ip[64];
	_cleanup_close_ int dfd = -EBADF;
	size_t n = 0;

	if (vps_net_parse_addrs(ip_list, addrs, VPS_NET_MAX_ADDRS, &n) < 0 || n == 0)
		return;
	dfd = index_open(p);
	for (size_t i = 0; dfd >= 0 && i < n; i++) {
		_cleanup_free_ char *owner = NULL;

		netsetup_addr_format_ip(&addrs[i], ip, sizeof(ip));
		if (read_file_at(dfd, ip, 64, &owner, NULL) < 0)
			continue;
		owner[strcspn(owner, "\n")] = '\0';
		if (strcmp(owner, name) == 0)
			(void)unlinkat(dfd, ip, 0);
	}
}

/* The network and broadcast addresses of the node's subnet, or of the address's own prefix,
 * are no host's. */
static bool reserved(const struct netsetup_addr *a, const struct netsetup_addr *subnet,
		     const char *ip, char *err, size_t errlen)
{
	static const char *const what[] = {"", "network", "broadcast"};
	enum netsetup_host_kind k = netsetup_addr_host_kind(a, subnet->prefixlen);
	unsigned prefix = subnet->prefixlen;

	if (k == NETSETUP_HOST) {
		k = netsetup_addr_host_kind(a, a->prefixlen);
		prefix = a->prefixlen;
	}
	if (k == NETSETUP_HOST)
		return false;
	snprintf(err, errlen, "address %s is the %s address of its subnet (/%u), not a host's",
		 ip, what[k], prefix);
	return true;
}

int vps_net_check(const struct vps_paths *p, const struct vps_config *cfg,
		  const struct node_config *node, char *err, size_t errlen)
{
	struct netsetup_addr addrs[VPS_NET_MAX_ADDRS], nodes[VPS_NET_MAX_ADDRS];
	bool fresh[VPS_NET_MAX_ADDRS] = {false};
	size_t n = 0, nn = 0;
	char buf[64];

	if (vps_net_parse_addrs(cfg->ip_address, addrs, VPS_NET_MAX_ADDRS, &n) < 0) {
		snprintf(err, errlen, "invalid IP address list '%s'", cfg->ip_address);
		return -EINVAL;
	}
	if (vps_net_parse_addrs(node->node_address, nodes, VPS_NET_MAX_ADDRS, &nn) < 0) {
		snprintf(err, errlen, "invalid NODE_ADDRESS '%s' in the node config",
			 node->node_address);
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		const struct netsetup_addr *s = subnet_of(&addrs[i], nodes, nn);

		netsetup_addr_format_ip(&addrs[i], buf, sizeof(buf));
		if (!s) {
			snprintf(err, errlen, "address %s is outside the node's subnets (%s)", buf,
				 node->node_address);
			return -EADDRNOTAVAIL;
		}
		if (netsetup_addr_equal(&addrs[i], s)) {
			snprintf(err, errlen, "address %s is the node's own", buf);
			return -EADDRINUSE;
		}
		if (reserved(&addrs[i], s, buf, err, errlen))
			return -EADDRNOTAVAIL;
		for (size_t j = 0; j < i; j++)
			if (netsetup_addr_equal(&addrs[i], &addrs[j])) {
				snprintf(err, errlen, "address %s is given twice", buf);
				return -EINVAL;
			}
	}
	for (size_t i = 0; i < n; i++) {
		int r = claim(p, node, cfg->name, &addrs[i], err, errlen);

		if (r < 0) {
			if (r != -EADDRINUSE)
				snprintf(err, errlen, "Failed to record address %s: %s",
					 netsetup_addr_format_ip(&addrs[i], buf, sizeof(buf)),
					 strerror(-r));
			release_fresh(p, cfg->name, addrs, fresh, i);
			return r;
		}
		fresh[i] = r > 0;
	}
	return 0;
}

/* The gateway of a family: the node address whose subnet holds the VPS's first address. */
static const struct netsetup_addr *gateway(int family, const struct netsetup_addr *addrs, size_t n,
					   const struct netsetup_addr *nodes, size_t nn)
{
	for (size_t i = 0; i < n; i++)
		if (addrs[i].family == family)
			return subnet_of(&addrs[i], nodes, nn);
	return NULL;
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

int vps_net_nodefw_lock(const struct vps_paths *p, char *buf, size_t len)
{
	char dir[PATH_MAX];
	int n = snprintf(dir, sizeof(dir), "%s/locks", p->run_base);

	if (n < 0 || (size_t)n >= sizeof(dir))
		return -ENAMETOOLONG;
	n = snprintf(buf, len, "%s/" NETSETUP_NODEFW_LOCK_FILE, dir);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return mkdir_p(dir, 0700);
}

/* Unless NODE_SERVICES=allow, VPS traffic that arrives on the bridge for the node itself is
 * dropped (netsetup_nodefw_add). Fail closed: a VPS does not run with the node open to it.
 * Done once the veth is in the bridge (init is not running yet), so a concurrent stop's
 * prune sees this VPS's port. */
static int close_node_services(const struct vps_paths *p, const struct node_config *node,
			       char *err, size_t errlen)
{
	char why[256 + PATH_MAX] = "", lock[PATH_MAX];
	int r;

	if (strcmp(node->node_services, "allow") == 0)
		return 0;
	r = vps_net_nodefw_lock(p, lock, sizeof(lock));
	if (r == 0)
		r = netsetup_nodefw_add(lock, node->bridge, why, sizeof(why));
	if (r < 0)
		snprintf(err, errlen,
			 "Failed to close the node's services to VPSes on '%s' (NODE_SERVICES=deny, "
			 "nftables table inet %s): %s",
			 node->bridge, NETSETUP_NODEFW_TABLE, why[0] ? why : strerror(-r));
	return r;
}

int vps_net_plumb(const struct vps_paths *p, const struct vps_config *cfg,
		  const struct node_config *node, pid_t init_pid, char *err, size_t errlen)
{
	struct netsetup_addr addrs[VPS_NET_MAX_ADDRS], nodes[VPS_NET_MAX_ADDRS];
	char host_if[NETSETUP_IFNAMSIZ];
	_cleanup_close_ int netns = -EBADF;
	size_t n = 0, nn = 0;
	struct netsetup_vps v = {0};
	int r;

	r = vps_net_parse_addrs(cfg->ip_address, addrs, VPS_NET_MAX_ADDRS, &n);
	if (r == 0 && n == 0)
		return 0;
	if (r == 0)
		r = vps_net_parse_addrs(node->node_address, nodes, VPS_NET_MAX_ADDRS, &nn);
	if (r < 0) {
		snprintf(err, errlen, "Invalid addresses: %s", strerror(-r));
		return r;
	}
	r = netsetup_bridge_ensure(node->bridge, nodes, nn); /* 1: it existed already */
	if (r < 0) {
		snprintf(err, errlen, "Failed to set up bridge '%s': %s", node->bridge, strerror(-r));
		return r;
	}
	r = 0;
	vps_net_host_ifname(cfg->name, host_if);
	(void)netsetup_vps_teardown(host_if); /* a veth of the last run may linger */
	netns = open_netns(init_pid);
	if (netns < 0) {
		snprintf(err, errlen, "Failed to open the VPS network namespace: %s", strerror(-netns));
		return netns;
	}
	v = (struct netsetup_vps){
		.host_ifname = host_if, .bridge = node->bridge, .netns_fd = netns,
		.mtu = (unsigned)cfg->mtu, .addrs = addrs, .n_addrs = n,
		.gateway4 = gateway(AF_INET, addrs, n, nodes, nn),
		.gateway6 = gateway(AF_INET6, addrs, n, nodes, nn),
		.rate_bps = cfg->bandwidth, .antispoof = cfg->antispoof,
	};
	if (cfg->mac[0])
		r = netsetup_mac_parse(cfg->mac, v.mac);
	else
		netsetup_mac_from_name(cfg->name, v.mac);
	if (r == 0)
		r = netsetup_vps_plumb(&v);
	if (r < 0) {
		snprintf(err, errlen, "Failed to plumb '%s': %s", host_if, strerror(-r));
		return r;
	}
	return close_node_services(p, node, err, errlen);
}

void vps_net_teardown(const struct vps_paths *p, const char *name)
{
	char host_if[NETSETUP_IFNAMSIZ], lock[PATH_MAX];

	vps_net_host_ifname(name, host_if);
	(void)netsetup_vps_teardown(host_if);
	/* the node-services rules go with the last VPS on their bridge */
	if (vps_net_nodefw_lock(p, lock, sizeof(lock)) == 0)
		(void)netsetup_nodefw_prune(lock);
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
		r = add ? netsetup_addr_add(netns, "eth0", &b[j]) : netsetup_addr_del(netns, "eth0", &b[j]);
		/* there already / gone already: a change taken back after it failed half-way */
		if (r < 0 && !(r == -EADDRNOTAVAIL && !add) && !(r == -EEXIST && add))
			return r;
	}
	return 0;
}

int vps_net_update(const struct vps_config *old, const struct vps_config *new,
		   const struct node_config *node, pid_t init_pid, char *err, size_t errlen)
{
	struct netsetup_addr a[VPS_NET_MAX_ADDRS], b[VPS_NET_MAX_ADDRS];
	char host_if[NETSETUP_IFNAMSIZ];
	_cleanup_close_ int netns = -EBADF;
	uint8_t mac[NETSETUP_MAC_LEN];
	size_t n = 0, m = 0;
	int r;

	vps_net_host_ifname(new->name, host_if);
	r = vps_net_parse_addrs(old->ip_address, a, VPS_NET_MAX_ADDRS, &n);
	if (r == 0)
		r = vps_net_parse_addrs(new->ip_address, b, VPS_NET_MAX_ADDRS, &m);
	if (r < 0)
		return r;
	if (netsetup_link_exists(-1, host_if) <= 0) {
		if (m == 0 && n == 0)
			return 0;
		/* From no network to a network needs a veth: that happens at the next start. */
		snprintf(err, errlen, "the VPS has no network interface yet; restart it to add one");
		return -ENODEV;
	}
	netns = open_netns(init_pid);
	if (netns < 0)
		return netns;
	if (new->mac[0])
		(void)netsetup_mac_parse(new->mac, mac);
	else
		netsetup_mac_from_name(new->name, mac);
	/* Widen the filter to old + new first, then add; delete, then narrow to new. */
	if (new->antispoof) {
		struct netsetup_addr u[2 * VPS_NET_MAX_ADDRS];
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
	if (r == 0)
		r = update_addrs(b, m, a, n, netns, false);
	if (r == 0 && new->antispoof)
		r = netsetup_antispoof_set(host_if, mac, b, m);
	if (r == 0 && new->bandwidth != old->bandwidth)
		r = netsetup_bandwidth_set(host_if, new->bandwidth);
	if (r < 0)
		snprintf(err, errlen, "Failed to change the network of '%s': %s", host_if,
			 strerror(-r));
	return r;
}
