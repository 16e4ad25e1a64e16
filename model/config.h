/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The per-VPS vps.conf and the node's vpsctl.conf. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "cgroup.h"
#include "conf.h"
#include "netsetup.h"
#include "paths.h"

/* How a VPS's root filesystem is kept (storage.h). */
enum vps_storage {
	VPS_STORAGE_COPY,    /* its own tree, copied from the template */
	VPS_STORAGE_OVERLAY, /* upper/work over the template's shared tree */
	_VPS_STORAGE_MAX,
};
extern const char *const vps_storage_names[];

/* How a VPS's disk quota (DISK, DISK_INODES) is kept (storage/quota.h). The first is the zero
 * value: a vps.conf without DISK_QUOTA predates project quotas, so a DISK it has is an image. */
enum vps_disk_quota {
	VPS_DISK_IMAGE,   /* VPSDIR/disk.img, an ext4 image on a loop device */
	VPS_DISK_PROJECT, /* an ext4/XFS project quota on VPSDIR, on the node's file system */
	VPS_DISK_NONE,    /* DISK=0: the VPS writes on the node's disk (--disk 0 at create) */
	_VPS_DISK_QUOTA_MAX,
};
extern const char *const vps_disk_quota_names[];

/* Whether VPSes reach the node's own services (netsetup_nodefw_add). The first is the zero
 * value: a node config that did not say is closed. */
enum vps_node_services {
	VPS_NODE_SERVICES_DENY, /* only as their gateway */
	VPS_NODE_SERVICES_ALLOW,
	_VPS_NODE_SERVICES_MAX,
};
extern const char *const vps_node_services_names[];

/* Whether VPSes get their /proc view from the node's lxcfs (spawn/procview.h). */
enum vps_lxcfs {
	VPS_LXCFS_AUTO, /* when it runs; a VPS starts without it, its status says so */
	VPS_LXCFS_OFF,
	VPS_LXCFS_REQUIRED, /* a start without it is refused */
	_VPS_LXCFS_MAX,
};
extern const char *const vps_lxcfs_names[];
/* Whether a VPS with a CPU cap and no cpuset of its own is pinned to the node's least-loaded
 * CPUs (supervisor/cpu-pinning.h). The first is the default: a CPU hog then shares its CPUs
 * with as few neighbours as the node allows (LXD/Incus pin a counted limits.cpu the same way). */
enum vps_cpu_pinning {
	VPS_CPU_PINNING_AUTO,
	VPS_CPU_PINNING_OFF, /* the cpuset is what CPUSET says, every CPU when empty */
	_VPS_CPU_PINNING_MAX,
};
extern const char *const vps_cpu_pinning_names[];
/* How a VPS's eth0 reaches the world (net/routed.h). The first is the zero value: a vps.conf
 * without NET_MODE predates routed mode, so it is bridged. */
enum vps_net_mode {
	VPS_NET_BRIDGED, /* a port of the node bridge, in the bridge's subnets */
	VPS_NET_ROUTED,  /* /32 and /128 host routes over its own veth, no L2 to anyone */
	_VPS_NET_MODE_MAX,
};
extern const char *const vps_net_mode_names[];

struct vps_config {
	char name[33]; /* the directory name; not a key in the file */
	char hostname[65];
	char template_name[33];
	char init[256];
	int poweroff_signal;
	bool onboot;
	struct vps_quota quota;
	struct netsetup_addr_list ip_address; /* empty = no network interface */
	char mac[18];                         /* empty = derived from the name */
	uint64_t mtu;                         /* 0 = kernel default */
	uint64_t bandwidth;                   /* bits/s each way; 0 = no cap */
	bool antispoof;
	uint64_t boot_order; /* at node boot, lower starts first; ties by name */
	/* security (caps.h, vps-seccomp.h); appended last to keep the layout of the above */
	uint64_t cap_add;  /* capabilities on top of the default bounding set (a caps.h mask;
	                    * vps_caps_all() = all that may be granted) */
	uint64_t cap_drop; /* capabilities taken out of it */
	bool nesting;      /* nested user namespaces allowed inside */
	bool socketcall;   /* i386 socketcall allowed (32-bit glibc networking) */
	bool userns;       /* root inside maps to an unprivileged host id range */
	uint64_t uid_base; /* first host uid/gid of that range (65536 ids) */
	enum vps_storage storage;
	uint64_t disk; /* bytes of its disk quota (disk.h, quota.h); 0 = none */
	uint64_t ptys; /* ptys its devpts holds at once (devpts max=, devpts.h) */
	enum vps_net_mode net_mode;
	/* vpsctl set: written into the root (resolv.conf) and shown; empty = not managed */
	char nameserver[256];   /* name server addresses, space-separated */
	char searchdomain[256]; /* search domains, space-separated */
	char description[256];  /* the operator's note */
	/* the node's ports forwarded to the VPS's first IPv4 address (NAT=yes, net/nat.h) */
	struct netsetup_forward_list forwards;
	uint64_t disk_inodes;           /* inode limit with DISK; 0 = one per 16 KiB of DISK */
	enum vps_disk_quota disk_quota; /* how DISK is kept */
};

struct node_config {
	char cgroup_parent[256];
	uint64_t lock_timeout;   /* seconds a command waits for another on the same VPS */
	uint64_t stop_timeout;   /* seconds stop waits for a clean power-off */
	uint64_t start_timeout;  /* seconds start waits for its supervisor to report */
	uint64_t boot_parallel;  /* VPSes starting at once at node boot (autostart) */
	uint64_t shrink_timeout; /* milliseconds a memory shrink waits for usage to fall */
	char busybox[256];       /* the static busybox `template build busybox` packs */
	struct vps_quota defaults;
	char bridge[16];
	struct netsetup_addr_list node_address; /* the bridge's: VPS gateways and subnets */
	uint64_t uid_base_start;                /* where user-namespace id ranges start */
	enum vps_storage storage; /* the storage mode `create` uses without --storage */
	enum vps_node_services node_services;
	uint64_t default_ptys; /* the pty cap `create` uses without --ptys */
	enum vps_lxcfs lxcfs;  /* the VPSes' /proc view (procview.h) */
	char lxcfs_dir[256];   /* where the node's lxcfs is mounted */
	enum vps_cpu_pinning cpu_pinning;
	enum vps_net_mode net_mode; /* the mode `create` uses without --net */
	char uplink[16];            /* routed: where the node answers ARP/NDP for VPS addresses */
	struct netsetup_addr_list routed_ranges; /* routed: what VPS addresses may be */
	bool nat; /* masquerade NODE_ADDRESS's IPv4 subnets out of UPLINK; forwards allowed */
	uint64_t default_disk;        /* the disk quota `create` gives without --disk; 0 = none */
	uint64_t default_disk_inodes; /* its inode limit; 0 = one per 16 KiB */
	char migrate_ssh_config[256]; /* migrate over ssh: its -F file ("" = ssh's defaults) */
};

/* The formats this binary writes, and the newest it reads (FORMAT_VERSION; none is 1). */
#define VPS_CONFIG_FORMAT  3
#define NODE_CONFIG_FORMAT 3

extern const struct conf_key vps_config_keys[];
extern const size_t vps_config_keys_n;
extern const struct conf_key node_config_keys[];
extern const size_t node_config_keys_n;

void node_config_init(struct node_config *c);
/* Reads the node config; a missing file means defaults. err says what is wrong, naming the
 * file and line; -EPROTONOSUPPORT: a newer vpsctl wrote it. */
int node_config_load(const struct vps_paths *p, struct node_config *ret, struct vps_error *err);
void vps_config_init(struct vps_config *c, const char *name, const struct node_config *node);
/* Reads and checks NAME's vps.conf: -EBADMSG for a bad line, an unknown or duplicate key, or
 * a missing or unsafe isolation key (USERNS, UID_BASE); -EPROTONOSUPPORT for a file of a
 * newer format. On an error ret still holds the defaults and what the good lines set. */
int vps_config_load(const struct vps_paths *p, const char *name, const struct node_config *node,
                    struct vps_config *ret, struct vps_error *err);
/* The same for a vps.conf text from elsewhere (a backup): label names it in errors. */
int vps_config_parse_text(const char *text, const char *label, const char *name,
                          const struct node_config *node, struct vps_config *ret,
                          struct vps_error *err);
/* The same, the file opened relative to base_fd, the VPS base directory open (a node-wide
 * list reads every VPS's); errors still name the full path. */
int vps_config_load_at(const struct vps_paths *p, int base_fd, const char *name,
                       const struct node_config *node, struct vps_config *ret,
                       struct vps_error *err);
/* The one check of a parsed vps.conf beyond each key's syntax, which the loader, create,
 * resize and every boot make: the quotas (against host_cpus unless 0; quota_names name the
 * fields as the caller's user knows them, NULL: the keys), capabilities no VPS may have,
 * NESTING without USERNS, DISK_INODES without DISK. *ret_key: the key at fault. */
int vps_config_check(const struct vps_config *c, unsigned host_cpus,
                     const char *const quota_names[], const char **ret_key, struct vps_error *err);
/* The inode limit of c's disk quota: DISK_INODES, else one per VPS_DISK_BYTES_PER_INODE of
 * DISK; 0 without DISK. */
#define VPS_DISK_BYTES_PER_INODE 16384
uint64_t vps_config_disk_inodes(const struct vps_config *c);
/* Writes dir_fd/vps.conf atomically. */
int vps_config_save_at(int dir_fd, const struct vps_config *c);
int vps_config_format(const struct vps_config *c, char **ret);
