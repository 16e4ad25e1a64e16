/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The node's address index (VAR/addresses/IP -> the VPS that holds it): no two VPSes share
 * an address, and every address lies in one of the node's subnets and is a host's. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "addresses.h"
#include "index.h"
#include "cleanup.h"
#include "fileio.h"
#include "lock.h"
#include "netsetup.h"
#include "parse.h"

/* The address index: one file per address in var/lib/vpsctl/addresses, named by the address
 * and holding the name of the VPS that has it. Created with O_EXCL, so two VPSes can never
 * claim one address, and a start looks at its own addresses only instead of every vps.conf.
 * A claim is live while its VPS lists the address or while its VPS's lock is held (a create
 * or resize under way: its vps.conf does not list the address yet). Any other claim (a create
 * that was killed, a hand edit) is stale and taken over, under the claimant's lock and the
 * index's own flock, so two takers never both win. */
/* The index's directory fd; made on first use only, so a start costs one open here. */
static int index_open(const struct vps_paths *p, const char *dir)
{
	char buf[PATH_MAX];
	int n = snprintf(buf, sizeof(buf), "%s/../%s", p->vps_base, dir), fd, r;

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
                      const struct vps_index_kind *kind, const char *owner, const void *item)
{
	struct vps_config other;

	if (!name_is_valid(owner) || vps_config_load(p, owner, node, &other, NULL) < 0)
		return false;
	return kind->holds(&other, item);
}

static bool holds_address(const struct vps_config *c, const void *item)
{
	for (size_t j = 0; j < c->ip_address.n; j++)
		if (netsetup_addr_equal(item, &c->ip_address.a[j]))
			return true;
	return false;
}

static const struct vps_index_kind addresses = {"addresses", "address", holds_address};

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
static int take_over(const struct vps_paths *p, const struct node_config *node,
                     const struct vps_index_kind *kind, int dfd, const char *ip, const char *owner,
                     const void *a, const char *line, struct vps_error *err)
{
	_cleanup_close_ int owner_lock = -EBADF;
	char dir[PATH_MAX];
	int r;

	if (name_is_valid(owner)) {
		if (owner_has(p, node, kind, owner, a))
			goto in_use;
		/* Not waited for: we hold our own lock, and the owner may wait for the index. */
		owner_lock = vps_lock(p, owner, 0);
		if (owner_lock == -EWOULDBLOCK)
			return vps_error_set(err, -EADDRINUSE,
			                     "%s %s is being claimed by VPS '%s' (its create "
			                     "or resize is under way)",
			                     kind->noun, ip, owner);
		if (owner_lock < 0)
			return owner_lock;
		/* its create may have finished between the look above and the lock */
		if (owner_has(p, node, kind, owner, a))
			goto in_use;
	}
	r = write_file_atomic_at(dfd, ip, line, strlen(line), 0644);
	/* a claimant that never came to exist leaves no lock file either */
	if (r == 0 && owner_lock >= 0 && vps_path(p, owner, NULL, dir, sizeof(dir)) == 0 &&
	    access(dir, F_OK) < 0 && errno == ENOENT)
		vps_lock_unlink(p, owner);
	return r;
in_use:
	vps_error_set(err, -EADDRINUSE, "%s %s is already used by VPS '%s'", kind->noun, ip, owner);
	return -EADDRINUSE;
}

int vps_index_claim(const struct vps_paths *p, const struct node_config *node,
                    const struct vps_index_kind *kind, const char *name, const char *ip,
                    const void *a, struct vps_error *err)
{
	char line[40];
	_cleanup_close_ int dfd = index_open(p, kind->dir), fd = -EBADF;
	_cleanup_free_ char *owner = NULL;
	int r;

	if (dfd < 0)
		return dfd;
	snprintf(line, sizeof(line), "%s\n", name);
	/* One claimer at a time, a new claim included: a claim file is created empty and then
	 * written, and a claimer reading it in between took the "nobody's" claim over, so that
	 * two parallel creates both won one address. */
	if (flock(dfd, LOCK_EX) < 0)
		return -errno;
	fd = openat(dfd, ip, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd >= 0)
		return write(fd, line, strlen(line)) == (ssize_t)strlen(line) ? 1 : -EIO;
	if (errno != EEXIST)
		return -errno;
	r = read_owner(dfd, ip, &owner);
	if (r < 0)
		return r;
	if (strcmp(owner, name) == 0)
		return 0;
	r = take_over(p, node, kind, dfd, ip, owner, a, line, err);
	return r < 0 ? r : 1;
}

void vps_index_release(const struct vps_paths *p, const char *dir, const char *name,
                       const char *key)
{
	_cleanup_close_ int dfd = index_open(p, dir);
	_cleanup_free_ char *owner = NULL;

	if (dfd < 0 || flock(dfd, LOCK_EX) < 0 || read_owner(dfd, key, &owner) < 0)
		return;
	if (strcmp(owner, name) == 0)
		(void)unlinkat(dfd, key, 0);
}

/* Drops NAME's claims on addrs[i] where fresh[i] (made by this call): a failed check keeps
 * only what it found. */
static void release_fresh(const struct vps_paths *p, const char *name,
                          const struct netsetup_addr *addrs, const bool *fresh, size_t n)
{
	char ip[64];

	for (size_t i = 0; i < n; i++)
		if (fresh[i])
			vps_index_release(p, addresses.dir, name,
			                  netsetup_addr_format_ip(&addrs[i], ip, sizeof(ip)));
}

void vps_addresses_release(const struct vps_paths *p, const char *name,
                           const struct netsetup_addr_list *l)
{
	char ip[64];

	for (size_t i = 0; i < l->n; i++)
		vps_index_release(p, addresses.dir, name,
		                  netsetup_addr_format_ip(&l->a[i], ip, sizeof(ip)));
}

/* The network and broadcast addresses of the node's subnet, or of the address's own prefix,
 * are no host's. */
static bool reserved(const struct netsetup_addr *a, const struct netsetup_addr *subnet,
                     const char *ip, struct vps_error *err)
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
	vps_error_set(err, -EADDRNOTAVAIL,
	              "address %s is the %s address of its subnet (/%u), not a host's", ip, what[k],
	              prefix);
	return true;
}

/* Bridged: each address lies in a subnet of the bridge (NODE_ADDRESS), is not the node's own
 * and is a host of that subnet. */
static int check_bridged(const struct netsetup_addr *a, const struct node_config *node,
                         const char *ip, struct vps_error *err)
{
	const struct netsetup_addr *s =
		netsetup_addr_subnet_of(a, node->node_address.a, node->node_address.n);
	char subnets[1024];

	if (!s) {
		if (netsetup_addr_list_format(&node->node_address, subnets, sizeof(subnets)) < 0)
			snprintf(subnets, sizeof(subnets), "NODE_ADDRESS");
		return vps_error_set(err, -EADDRNOTAVAIL,
		                     "address %s is outside the node's subnets (%s)", ip, subnets);
	}
	if (netsetup_addr_equal(a, s))
		return vps_error_set(err, -EADDRINUSE, "address %s is the node's own", ip);
	return reserved(a, s, ip, err) ? -EADDRNOTAVAIL : 0;
}

/* Routed: each address is one host (/32, /128: the node routes exactly it to the VPS) inside
 * ROUTED_RANGES, not a range's network or broadcast address. */
static int check_routed(const struct netsetup_addr *a, const struct node_config *node,
                        const char *ip, struct vps_error *err)
{
	const struct netsetup_addr *s =
		netsetup_addr_subnet_of(a, node->routed_ranges.a, node->routed_ranges.n);
	unsigned full = a->family == AF_INET ? 32 : 128;
	char ranges[1024];

	if (a->prefixlen != full)
		return vps_error_set(
			err, -EINVAL,
			"address %s/%u: a routed VPS's addresses are single hosts (/%u)", ip,
			a->prefixlen, full);
	if (!s) {
		if (node->routed_ranges.n == 0)
			snprintf(ranges, sizeof(ranges), "none: set ROUTED_RANGES in vpsctl.conf");
		else if (netsetup_addr_list_format(&node->routed_ranges, ranges, sizeof(ranges)) <
		         0)
			snprintf(ranges, sizeof(ranges), "ROUTED_RANGES");
		return vps_error_set(err, -EADDRNOTAVAIL,
		                     "address %s is outside the node's routed ranges (%s)", ip,
		                     ranges);
	}
	return reserved(a, s, ip, err) ? -EADDRNOTAVAIL : 0;
}

int vps_addresses_claim(const struct vps_paths *p, const struct vps_config *cfg,
                        const struct node_config *node, struct vps_error *err)
{
	const struct netsetup_addr *addrs = cfg->ip_address.a;
	size_t n = cfg->ip_address.n;
	bool fresh[NETSETUP_ADDR_LIST_MAX] = {false};
	char buf[64];

	for (size_t i = 0; i < n; i++) {
		int r;

		netsetup_addr_format_ip(&addrs[i], buf, sizeof(buf));
		r = cfg->net_mode == VPS_NET_ROUTED ? check_routed(&addrs[i], node, buf, err)
		                                    : check_bridged(&addrs[i], node, buf, err);
		if (r < 0)
			return r;
		for (size_t j = 0; j < i; j++)
			if (netsetup_addr_equal(&addrs[i], &addrs[j]))
				return vps_error_set(err, -EINVAL, "address %s is given twice",
				                     buf);
	}
	for (size_t i = 0; i < n; i++) {
		int r = vps_index_claim(p, node, &addresses, cfg->name,
		                        netsetup_addr_format_ip(&addrs[i], buf, sizeof(buf)),
		                        &addrs[i], err);

		if (r < 0) {
			if (r != -EADDRINUSE)
				vps_error_errno(
					err, r, "failed to record address %s",
					netsetup_addr_format_ip(&addrs[i], buf, sizeof(buf)));
			release_fresh(p, cfg->name, addrs, fresh, i);
			return r;
		}
		fresh[i] = r > 0;
	}
	return 0;
}
