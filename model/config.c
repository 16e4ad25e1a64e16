/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "caps.h"
#include "cleanup.h"
#include "config.h"
#include "ptys.h"
#include "fileio.h"
#include "idrange.h"
#include "vpsctl-build.h"

#define VKEY(n, t, f, c)                                                                           \
	{                                                                                          \
		n, t, offsetof(struct vps_config, f), sizeof(((struct vps_config *)0)->f), c       \
	}
#define VENUM(n, f, names, c)                                                                      \
	{                                                                                          \
		n, CONF_ENUM, offsetof(struct vps_config, f), sizeof(((struct vps_config *)0)->f), \
			c, names                                                                   \
	}

const char *const vps_storage_names[] = {
	[VPS_STORAGE_COPY] = "copy", [VPS_STORAGE_OVERLAY] = "overlay", NULL};
const char *const vps_disk_quota_names[] = {
	[VPS_DISK_IMAGE] = "image", [VPS_DISK_PROJECT] = "project", [VPS_DISK_NONE] = "none", NULL};
const char *const vps_lxcfs_names[] = {[VPS_LXCFS_AUTO] = "auto",
                                       [VPS_LXCFS_OFF] = "off",
                                       [VPS_LXCFS_REQUIRED] = "required",
                                       NULL};
const char *const vps_cpu_pinning_names[] = {
	[VPS_CPU_PINNING_AUTO] = "auto", [VPS_CPU_PINNING_OFF] = "off", NULL};
const char *const vps_node_services_names[] = {
	[VPS_NODE_SERVICES_DENY] = "deny", [VPS_NODE_SERVICES_ALLOW] = "allow", NULL};
const char *const vps_net_mode_names[] = {
	[VPS_NET_BRIDGED] = "bridged", [VPS_NET_ROUTED] = "routed", NULL};
#define QKEY(n, t, f, c)                                                                           \
	{                                                                                          \
		n, t, offsetof(struct vps_config, quota.f),                                        \
			sizeof(((struct vps_config *)0)->quota.f), c                               \
	}

const struct conf_key vps_config_keys[] = {
	VKEY("HOSTNAME", CONF_HOSTNAME, hostname, "Host name inside the VPS, set at every start"),
	VKEY("TEMPLATE", CONF_NAME, template_name, "OS template the root filesystem came from"),
	VKEY("INIT", CONF_PATH, init, "The VPS's init, exec'd as PID 1"),
	VKEY("POWEROFF_SIGNAL", CONF_SIGNAL, poweroff_signal,
             "Signal that makes the init power off (busybox SIGUSR2, systemd SIGRTMIN+4)"),
	VKEY("ONBOOT", CONF_BOOL, onboot, "Start this VPS when the node boots (yes/no)"),
	QKEY("CPUS", CONF_CPUS, cpus_milli,
             "Hard CPU cap in CPUs (1.5 = one and a half), or unlimited"),
	QKEY("CPU_BURST", CONF_CPUS, cpu_burst_milli,
             "Extra CPU the VPS may bank and spend in bursts"),
	QKEY("CPU_WEIGHT", CONF_WEIGHT, cpu_weight,
             "Share of contended CPU, 1..10000 (100 = normal)"),
	QKEY("MEMORY", CONF_SIZE, memory, "Hard RAM cap (512M, 2G)"),
	QKEY("MEMORY_RESERVE", CONF_SIZE, memory_reserve, "RAM protected from reclaim"),
	QKEY("SWAP", CONF_SIZE, swap, "Swap on top of RAM"),
	QKEY("PIDS", CONF_COUNT, pids, "Process and thread cap"),
	QKEY("IO_WEIGHT", CONF_WEIGHT, io_weight, "Share of disk time, 1..10000 (100 = normal)"),
	QKEY("CPUSET", CONF_CPUSET, cpuset, "CPUs the VPS may run on (0-3,5); empty = all"),
	QKEY("IO_READ_BPS", CONF_SIZE, io_read_bps,
             "Read bytes per second on the VPS's storage devices (10M); 0 or unlimited = none"),
	QKEY("IO_WRITE_BPS", CONF_SIZE, io_write_bps,
             "Write bytes per second on the VPS's storage devices (10M); 0 or unlimited = none"),
	QKEY("IO_READ_IOPS", CONF_COUNT, io_read_iops,
             "Read operations per second on the VPS's storage devices; 0 or unlimited = none"),
	QKEY("IO_WRITE_IOPS", CONF_COUNT, io_write_iops,
             "Write operations per second on the VPS's storage devices; 0 or unlimited = none"),
	VKEY("IP_ADDRESS", CONF_IPLIST, ip_address,
             "Addresses of eth0 (CIDR, space-separated); empty = no network interface"),
	VKEY("MAC", CONF_MAC, mac, "MAC address of eth0; empty = derived from the name"),
	VKEY("MTU", CONF_MTU, mtu, "MTU of eth0 (68..65535); 0 = kernel default"),
	VKEY("BANDWIDTH", CONF_RATE, bandwidth, "Cap on each direction (10mbit, 1gbit); 0 = none"),
	VKEY("ANTISPOOF", CONF_BOOL, antispoof,
             "Drop frames not from the VPS's own MAC and addresses (yes/no)"),
	VKEY("BOOT_ORDER", CONF_UINT, boot_order,
             "With ONBOOT: lower numbers start first at node boot; ties go by name"),
	VKEY("CAP_ADD", CONF_CAPLIST, cap_add,
             "Capabilities added to the default set (NET_ADMIN,SYS_NICE); applies at the next "
             "start"),
	VKEY("CAP_DROP", CONF_CAPLIST, cap_drop,
             "Capabilities removed from the default set, or all; applies at the next start"),
	VKEY("NESTING", CONF_BOOL, nesting,
             "Allow nested user namespaces (containers inside the VPS) (yes/no)"),
	VKEY("SOCKETCALL", CONF_BOOL, socketcall,
             "Allow i386 socketcall for 32-bit glibc programs; opens the socket family gap "
             "(yes/no)"),
	VKEY("USERNS", CONF_BOOL, userns,
             "Run in a user namespace: root inside is an unprivileged host id (yes/no)"),
	VKEY("UID_BASE", CONF_UINT, uid_base,
             "First host uid/gid of the VPS's 65536 ids (allocated at create; do not edit)"),
	VENUM("STORAGE", storage, vps_storage_names,
              "Root filesystem: copy (its own) or overlay (over the template's shared tree)"),
	VKEY("DISK", CONF_SIZE, disk,
             "Disk quota: bytes the VPS may store (10G); 0 = none (it writes on the node's disk)"),
	VKEY("PTYS", CONF_PTYS, ptys,
             "Pseudo-terminals the VPS may hold at once (its devpts max=), enter's included"),
	VENUM("NET_MODE", net_mode, vps_net_mode_names,
              "bridged (a port of the node bridge) or routed (host routes, no L2 to other VPSes)"),
	VKEY("NAMESERVER", CONF_STRING, nameserver,
             "Name servers (addresses, space-separated) vpsctl set writes into /etc/resolv.conf"),
	VKEY("SEARCHDOMAIN", CONF_STRING, searchdomain,
             "Search domains (space-separated) vpsctl set writes into /etc/resolv.conf"),
	VKEY("DESCRIPTION", CONF_STRING, description, "The operator's description of the VPS"),
	VKEY("FORWARDS", CONF_FORWARDS, forwards,
             "Node ports forwarded to the VPS (tcp:8022:22 udp:5353:53; needs NAT=yes in "
             "vpsctl.conf); empty = none"),
	VKEY("DISK_INODES", CONF_COUNT, disk_inodes,
             "Files and directories the VPS may hold with DISK; 0 = one per 16 KiB of DISK"),
	VENUM("DISK_QUOTA", disk_quota, vps_disk_quota_names,
              "How DISK is kept: image (its own ext4 image), project (a project quota on the "
              "node's file system) or none (DISK=0); chosen at create, do not edit"),
};
const size_t vps_config_keys_n = ELEMENTSOF(vps_config_keys);

#define NKEY(n, t, f, c)                                                                           \
	{                                                                                          \
		n, t, offsetof(struct node_config, f), sizeof(((struct node_config *)0)->f), c     \
	}
#define NENUM(n, f, names, c)                                                                      \
	{                                                                                          \
		n, CONF_ENUM, offsetof(struct node_config, f),                                     \
			sizeof(((struct node_config *)0)->f), c, names                             \
	}
#define DKEY(n, t, f, c)                                                                           \
	{                                                                                          \
		n, t, offsetof(struct node_config, defaults.f),                                    \
			sizeof(((struct node_config *)0)->defaults.f), c                           \
	}

const struct conf_key node_config_keys[] = {
	NKEY("CGROUP_PARENT", CONF_PATH, cgroup_parent,
             "Cgroup every VPS's cgroup is created under"),
	NKEY("LOCK_TIMEOUT", CONF_UINT, lock_timeout,
             "Seconds a command waits for another on the same VPS"),
	NKEY("STOP_TIMEOUT", CONF_UINT, stop_timeout, "Seconds stop waits for a clean power-off"),
	NKEY("START_TIMEOUT", CONF_UINT, start_timeout,
             "Seconds start waits for the VPS's supervisor to report that init runs (1 to 86400)"),
	NKEY("BOOT_PARALLEL", CONF_UINT, boot_parallel,
             "ONBOOT VPSes started at once at node boot, in boot order (at least 1)"),
	NKEY("SHRINK_TIMEOUT", CONF_UINT, shrink_timeout,
             "Milliseconds a memory shrink waits for usage to fall"),
	NKEY("BUSYBOX", CONF_PATH, busybox, "Static busybox the busybox template is built from"),
	DKEY("DEFAULT_CPUS", CONF_CPUS, cpus_milli, "Default CPU cap of a new VPS"),
	DKEY("DEFAULT_CPU_BURST", CONF_CPUS, cpu_burst_milli, "Default CPU burst"),
	DKEY("DEFAULT_CPU_WEIGHT", CONF_WEIGHT, cpu_weight, "Default CPU weight"),
	DKEY("DEFAULT_MEMORY", CONF_SIZE, memory, "Default RAM cap"),
	DKEY("DEFAULT_MEMORY_RESERVE", CONF_SIZE, memory_reserve, "Default RAM reserve"),
	DKEY("DEFAULT_SWAP", CONF_SIZE, swap, "Default swap"),
	DKEY("DEFAULT_PIDS", CONF_COUNT, pids, "Default process cap"),
	DKEY("DEFAULT_IO_WEIGHT", CONF_WEIGHT, io_weight, "Default disk weight"),
	DKEY("DEFAULT_IO_READ_BPS", CONF_SIZE, io_read_bps, "Default read bytes per second"),
	DKEY("DEFAULT_IO_WRITE_BPS", CONF_SIZE, io_write_bps, "Default write bytes per second"),
	DKEY("DEFAULT_IO_READ_IOPS", CONF_COUNT, io_read_iops,
             "Default read operations per second"),
	DKEY("DEFAULT_IO_WRITE_IOPS", CONF_COUNT, io_write_iops,
             "Default write operations per second"),
	NKEY("BRIDGE", CONF_STRING, bridge, "The node bridge every VPS's veth joins"),
	NKEY("NODE_ADDRESS", CONF_IPLIST, node_address,
             "Addresses of the bridge (CIDR): VPS gateways; their subnets hold VPS addresses"),
	NKEY("UID_BASE_START", CONF_UINT, uid_base_start,
             "Host id where the VPSes' user-namespace ranges (65536 ids each) start"),
	NENUM("STORAGE", storage, vps_storage_names,
              "Default storage of a new VPS: copy (own rootfs) or overlay (shared template tree)"),
	NKEY("DEFAULT_PTYS", CONF_PTYS, default_ptys,
             "Default pty cap of a new VPS (at most kernel.pty.max less kernel.pty.reserve)"),
	NENUM("NODE_SERVICES", node_services, vps_node_services_names,
              "deny: VPSes reach the node only as their gateway, not its own services; allow"),
	NENUM("LXCFS", lxcfs, vps_lxcfs_names,
              "VPSes' own /proc view from lxcfs: auto (when it runs), off, required (refuse to "
              "start without)"),
	NKEY("LXCFS_DIR", CONF_PATH, lxcfs_dir, "Where the node's lxcfs is mounted"),
	NENUM("CPU_PINNING", cpu_pinning, vps_cpu_pinning_names,
              "auto: a VPS with a CPU cap and no CPUSET runs on ceil(CPUS) of the node's "
              "least-loaded CPUs; off: on every CPU"),
	NENUM("NET_MODE", net_mode, vps_net_mode_names,
              "Network mode of a new VPS without --net: bridged or routed"),
	NKEY("UPLINK", CONF_STRING, uplink,
             "Routed mode: the interface the node answers ARP/NDP on for VPS addresses; empty = "
             "none"),
	NKEY("ROUTED_RANGES", CONF_IPLIST, routed_ranges,
             "Routed mode: the ranges (CIDR) VPS addresses are taken from"),
	NKEY("NAT", CONF_BOOL, nat,
             "Masquerade bridged VPSes' IPv4 subnets out of UPLINK and allow port forwards; "
             "turns net.ipv4.ip_forward on (yes/no)"),
	NKEY("DEFAULT_DISK", CONF_SIZE, default_disk,
             "Disk quota of a new VPS without --disk (10G); 0 = none"),
	NKEY("DEFAULT_DISK_INODES", CONF_COUNT, default_disk_inodes,
             "Inode limit of a new VPS without --disk-inodes; 0 = one per 16 KiB of its disk"),
	NKEY("MIGRATE_SSH_CONFIG", CONF_PATH, migrate_ssh_config,
             "migrate over ssh:// reads this ssh_config(5) file (ssh -F: identity, known hosts) "
             "instead of root's and the system's; empty = those"),
};
const size_t node_config_keys_n = ELEMENTSOF(node_config_keys);

void node_config_init(struct node_config *c)
{
	memset(c, 0, sizeof(*c));
	strcpy(c->cgroup_parent, "/vpsctl");
	c->lock_timeout = 10;
	c->stop_timeout = 30;
	c->start_timeout = 120;
	c->boot_parallel = 4;
	c->shrink_timeout = 5000;
	strcpy(c->busybox, BUSYBOX_PATH);
	vps_quota_init_default(&c->defaults);
	strcpy(c->bridge, "vpsbr0");
	(void)netsetup_addr_list_parse("10.77.0.1/24 fd77::1/64", &c->node_address);
	c->uid_base_start = 1000000;
	c->storage = VPS_STORAGE_COPY;
	c->node_services = VPS_NODE_SERVICES_DENY;
	c->default_ptys = VPS_PTYS_DEFAULT;
	c->lxcfs = VPS_LXCFS_AUTO;
	c->cpu_pinning = VPS_CPU_PINNING_AUTO;
	strcpy(c->lxcfs_dir, "/var/lib/lxcfs");
	c->default_disk = 10ULL << 30; /* every VPS has a disk quota unless the operator says */
}

/* A range of 65536 host ids from base: none of the host's own first 65536, none past the
 * last valid id (4294967295 is (uid_t)-1). */
static int check_id_range(const char *path, unsigned line, const char *key, uint64_t base,
                          struct vps_error *err)
{
	if (base < VPS_IDMAP_SIZE)
		return vps_error_set(err, -EBADMSG,
		                     "%s:%u: %s %" PRIu64 " overlaps the host's own ids (0-%u)",
		                     path, line, key, base, VPS_IDMAP_SIZE - 1);
	if (base > (uint64_t)UINT32_MAX - VPS_IDMAP_SIZE)
		return vps_error_set(err, -EBADMSG,
		                     "%s:%u: %s %" PRIu64
		                     " puts its 65536 ids beyond the last host id (%u)",
		                     path, line, key, base, UINT32_MAX - 1);
	if (!vps_idmap_base_valid(base))
		return vps_error_set(err, -EBADMSG,
		                     "%s:%u: %s %" PRIu64
		                     " overlaps the template block (%u-%u), which owns the "
		                     "shared template trees",
		                     path, line, key, base, VPS_IDMAP_TEMPLATE_BASE,
		                     VPS_IDMAP_TEMPLATE_BASE + VPS_IDMAP_SIZE - 1);
	return 0;
}

static unsigned key_line(const struct conf_key *keys, size_t n, const unsigned *lines,
                         const char *name)
{
	const struct conf_key *k = conf_find(keys, n, name);

	return k ? lines[k - keys] : 0;
}

/* The quota keys of each file, in the order of enum vps_quota_field. */
static const char *const vps_quota_keys[_VPS_QUOTA_FIELD_MAX] = {
	"CPUS",         "CPU_BURST",    "CPU_WEIGHT",    "MEMORY", "MEMORY_RESERVE",
	"SWAP",         "PIDS",         "IO_WEIGHT",     "CPUSET", "IO_READ_BPS",
	"IO_WRITE_BPS", "IO_READ_IOPS", "IO_WRITE_IOPS",
};
static const char *const node_quota_keys[_VPS_QUOTA_FIELD_MAX] = {
	"DEFAULT_CPUS",          "DEFAULT_CPU_BURST",      "DEFAULT_CPU_WEIGHT",
	"DEFAULT_MEMORY",        "DEFAULT_MEMORY_RESERVE", "DEFAULT_SWAP",
	"DEFAULT_PIDS",          "DEFAULT_IO_WEIGHT",      "DEFAULT_CPUSET",
	"DEFAULT_IO_READ_BPS",   "DEFAULT_IO_WRITE_BPS",   "DEFAULT_IO_READ_IOPS",
	"DEFAULT_IO_WRITE_IOPS",
};

/* The quota check create and resize make, on what a file says: the message names the file,
 * the line and the key, never a flag nobody typed. What depends on the host (CPUs) is
 * checked where the limits are applied. */
static int check_quota(const struct vps_quota *q, const struct conf_file *f, const unsigned *lines,
                       const char *const names[], struct vps_error *err)
{
	struct vps_error e = VPS_ERROR_INIT;
	enum vps_quota_field bad;
	unsigned line;

	if (vps_quota_check(q, 0, names, &e, &bad) == 0)
		return 0;
	line = bad < _VPS_QUOTA_FIELD_MAX ? key_line(f->keys, f->n, lines, names[bad]) : 0;
	if (line)
		vps_error_set(err, -EBADMSG, "%s:%u: %s", f->path, line, e.msg);
	else
		vps_error_set(err, -EBADMSG, "%s: %s", f->path, e.msg);
	return -EBADMSG;
}

/* vps_config_check on what a file says: the message names the file, the line and the key. */
static int check_semantics(const struct vps_config *c, const struct conf_file *f,
                           const unsigned *lines, struct vps_error *err)
{
	struct vps_error e = VPS_ERROR_INIT;
	const char *key;
	unsigned line;
	int r;

	r = vps_config_check(c, 0, NULL, &key, &e);
	if (r == 0)
		return 0;
	line = key ? key_line(f->keys, f->n, lines, key) : 0;
	if (line)
		vps_error_set(err, -EBADMSG, "%s:%u: %s", f->path, line, vps_error_message(&e, r));
	else
		vps_error_set(err, -EBADMSG, "%s: %s", f->path, vps_error_message(&e, r));
	return -EBADMSG;
}

int node_config_load(const struct vps_paths *p, struct node_config *ret, struct vps_error *err)
{
	const struct conf_file f = {p->node_conf, node_config_keys, ELEMENTSOF(node_config_keys),
	                            NODE_CONFIG_FORMAT};
	unsigned lines[ELEMENTSOF(node_config_keys)];
	_cleanup_free_ char *text = NULL;
	int r;

	node_config_init(ret);
	r = read_file_at(AT_FDCWD, p->node_conf, 1 << 20, &text, NULL);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return vps_error_errno(err, r, "cannot read %s", p->node_conf);
	r = conf_parse(&f, ret, text, lines, err);
	if (r == 0)
		r = check_quota(&ret->defaults, &f, lines, node_quota_keys, err);
	if (r == 0 &&
	    (ret->default_disk == VALUE_UNLIMITED || ret->default_disk_inodes == VALUE_UNLIMITED))
		r = vps_error_set(err, -EBADMSG,
		                  "%s: DEFAULT_DISK%s cannot be unlimited: 0 means "
		                  "no disk quota",
		                  p->node_conf,
		                  ret->default_disk == VALUE_UNLIMITED ? "" : "_INODES");
	if (r < 0)
		return r;
	if (ret->boot_parallel < 1 || ret->boot_parallel > 1024)
		return vps_error_set(err, -EBADMSG, "%s:%u: BOOT_PARALLEL must be 1 to 1024",
		                     p->node_conf, key_line(f.keys, f.n, lines, "BOOT_PARALLEL"));
	if (ret->start_timeout < 1 || ret->start_timeout > 86400)
		return vps_error_set(err, -EBADMSG, "%s:%u: START_TIMEOUT must be 1 to 86400",
		                     p->node_conf, key_line(f.keys, f.n, lines, "START_TIMEOUT"));
	return check_id_range(p->node_conf, key_line(f.keys, f.n, lines, "UID_BASE_START"),
	                      "UID_BASE_START", ret->uid_base_start, err);
}

void vps_config_init(struct vps_config *c, const char *name, const struct node_config *node)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	snprintf(c->hostname, sizeof(c->hostname), "%s", name);
	strcpy(c->init, "/sbin/init");
	c->poweroff_signal = SIGUSR2;
	c->quota = node->defaults;
	c->antispoof = true;
	c->userns = true; /* fail closed for whoever uses a config that did not load */
	/* a vps.conf from before the cap gets the node's: fail closed, never the shared pool */
	c->ptys = node->default_ptys;
	/* Not the node default: a vps.conf without the key predates overlay, so it is a copy. */
	c->storage = VPS_STORAGE_COPY;
}

/* What decides whether root in the VPS is host root may not be guessed: USERNS must be there,
 * and with it a UID_BASE that is a range of its own. */
static int check_isolation(const struct vps_config *c, const char *path, const unsigned *lines,
                           struct vps_error *err)
{
	const struct conf_key *keys = vps_config_keys;
	unsigned uid_line = key_line(keys, vps_config_keys_n, lines, "UID_BASE");

	if (!key_line(keys, vps_config_keys_n, lines, "USERNS"))
		return vps_error_set(
			err, -EBADMSG,
			"%s: USERNS is missing: write USERNS=\"yes\" (with the VPS's UID_BASE) or "
			"USERNS=\"no\" (root inside is host root)",
			path);
	if (!c->userns)
		return 0;
	if (!uid_line)
		return vps_error_set(
			err, -EBADMSG,
			"%s: UID_BASE is missing: USERNS=\"yes\" needs the VPS's id range", path);
	return check_id_range(path, uid_line, "UID_BASE", c->uid_base, err);
}

/* The first capability of mask that no VPS may have, for the message. */
static void first_never(uint64_t mask, char *buf, size_t len)
{
	uint64_t bad = mask & vps_caps_never();

	for (int c = 0; c < 64; c++)
		if (bad & VPS_CAP_BIT(c)) {
			if (vps_caps_format_list(VPS_CAP_BIT(c), buf, len) == 0)
				return;
			break;
		}
	snprintf(buf, len, "?");
}

int vps_config_check(const struct vps_config *c, unsigned host_cpus,
                     const char *const quota_names[], const char **ret_key, struct vps_error *err)
{
	const char *const *names = quota_names ? quota_names : vps_quota_keys;
	struct vps_error e = VPS_ERROR_INIT;
	enum vps_quota_field bad;
	uint64_t keep;
	char cap[32];
	int r;

	*ret_key = NULL;
	r = vps_quota_check(&c->quota, host_cpus, names, &e, &bad);
	if (r < 0) {
		*ret_key = bad < _VPS_QUOTA_FIELD_MAX ? vps_quota_keys[bad] : NULL;
		return vps_error_set(err, -EINVAL, "%s", vps_error_message(&e, r));
	}
	if (vps_caps_keep_mask(c->cap_add, c->cap_drop, c->userns, &keep) == -EPERM) {
		first_never(c->cap_add & ~(c->userns ? VPS_CAP_BIT(CAP_SYS_ADMIN) : 0), cap,
		            sizeof(cap));
		*ret_key = "CAP_ADD";
		return vps_error_set(err, -EPERM, "CAP_ADD holds %s, which no VPS may have%s", cap,
		                     c->userns ? "" : " without a user namespace");
	}
	if (c->nesting && !c->userns) {
		*ret_key = "NESTING";
		return vps_error_set(err, -EPERM,
		                     "NESTING=yes needs a user namespace (USERNS=yes): nested in a "
		                     "VPS without one, a user namespace can map the host's root");
	}
	if (c->disk == VALUE_UNLIMITED || c->disk_inodes == VALUE_UNLIMITED) {
		*ret_key = c->disk == VALUE_UNLIMITED ? "DISK" : "DISK_INODES";
		return vps_error_set(err, -EINVAL, "%s cannot be unlimited: 0 means no disk quota",
		                     *ret_key);
	}
	if (c->disk && c->disk_quota == VPS_DISK_NONE) {
		*ret_key = "DISK_QUOTA";
		return vps_error_set(err, -EINVAL,
		                     "DISK_QUOTA=none with a DISK: the quota was never made");
	}
	if (c->disk_inodes && !c->disk) {
		*ret_key = "DISK_INODES";
		return vps_error_set(err, -EINVAL, "DISK_INODES needs a DISK");
	}
	return 0;
}

int vps_config_parse_text(const char *text, const char *label, const char *name,
                          const struct node_config *node, struct vps_config *ret,
                          struct vps_error *err)
{
	unsigned lines[ELEMENTSOF(vps_config_keys)];
	struct conf_file f = {label, vps_config_keys, ELEMENTSOF(vps_config_keys),
	                      VPS_CONFIG_FORMAT};
	int r;

	vps_config_init(ret, name, node);
	r = conf_parse(&f, ret, text, lines, err);
	if (r == 0)
		r = check_isolation(ret, label, lines, err);
	if (r == 0)
		r = check_semantics(ret, &f, lines, err);
	return r;
}

uint64_t vps_config_disk_inodes(const struct vps_config *c)
{
	if (!c->disk)
		return 0;
	if (c->disk_inodes)
		return c->disk_inodes;
	/* mkfs.ext4's own ratio, so an image and a project quota of one size hold as many */
	return c->disk / VPS_DISK_BYTES_PER_INODE ? c->disk / VPS_DISK_BYTES_PER_INODE : 1;
}

int vps_config_load(const struct vps_paths *p, const char *name, const struct node_config *node,
                    struct vps_config *ret, struct vps_error *err)
{
	return vps_config_load_at(p, -EBADF, name, node, ret, err);
}

int vps_config_load_at(const struct vps_paths *p, int base_fd, const char *name,
                       const struct node_config *node, struct vps_config *ret,
                       struct vps_error *err)
{
	_cleanup_free_ char *text = NULL;
	char path[PATH_MAX], rel[NAME_MAX + sizeof("/vps.conf")];
	int r;

	vps_config_init(ret, name, node);
	r = vps_path(p, name, "vps.conf", path, sizeof(path));
	if (r < 0)
		return r;
	if (base_fd >= 0 && !strchr(name, '/') &&
	    snprintf(rel, sizeof(rel), "%s/vps.conf", name) < (int)sizeof(rel))
		r = read_file_at(base_fd, rel, 1 << 20, &text, NULL);
	else
		r = read_file_at(AT_FDCWD, path, 1 << 20, &text, NULL);
	if (r < 0) {
		if (r == -ENOENT)
			vps_error_set(err, r, "no such VPS");
		else
			vps_error_errno(err, r, "cannot read %s", path);
		return r;
	}
	return vps_config_parse_text(text, path, name, node, ret, err);
}

int vps_config_format(const struct vps_config *c, char **ret)
{
	char header[256];

	snprintf(header, sizeof(header),
	         "# vpsctl configuration of VPS '%s' (KEY=\"value\" lines, shell-readable).\n"
	         "# Change quotas with `vpsctl resize`; hand edits apply at the next start or "
	         "reboot.\n",
	         c->name);
	const struct conf_file f = {"vps.conf", vps_config_keys, ELEMENTSOF(vps_config_keys),
	                            VPS_CONFIG_FORMAT};

	return conf_format(&f, c, header, ret);
}

int vps_config_save_at(int dir_fd, const struct vps_config *c)
{
	_cleanup_free_ char *text = NULL;
	int r = vps_config_format(c, &text);

	if (r < 0)
		return r;
	return write_file_atomic_at(dir_fd, "vps.conf", text, strlen(text), 0644);
}
