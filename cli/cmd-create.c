/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vpsctl create */
#include <errno.h>
#include <linux/capability.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "caps.h"
#include "addresses.h"
#include "ports.h"
#include "cleanup.h"
#include "cli-quota.h"
#include "cli.h"
#include "fileio.h"
#include "lifecycle.h"
#include "ops-disk.h"
#include "disk.h"
#include "idmap.h"
#include "lock.h"
#include "network.h"
#include "rootfs-files.h"
#include "state.h"
#include "storage.h"
#include "template.h"

enum {
	OPT_TEMPLATE = 1,
	OPT_HOSTNAME,
	OPT_ONBOOT,
	OPT_INIT,
	OPT_HELP,
	OPT_IP,
	OPT_MAC,
	OPT_MTU,
	OPT_BANDWIDTH,
	OPT_NO_ANTISPOOF,
	OPT_BOOT_ORDER,
	OPT_PRIVILEGED,
	OPT_CAP_ADD,
	OPT_CAP_DROP,
	OPT_NESTING,
	OPT_SOCKETCALL,
	OPT_STORAGE,
	OPT_SSH_KEY,
	OPT_DISK,
	OPT_DISK_INODES,
	OPT_NET,
	OPT_FORWARD,
};

struct create_args {
	const char *name;
	const char *template_name;
	const char *hostname;
	const char *init;
	bool onboot;
	bool no_antispoof;
	bool privileged;
	const char *mac, *mtu, *bandwidth, *boot_order;
	const char *storage, *ssh_key, *disk, *disk_inodes, *net;
	char ips[512];
	char forwards[512];
	const char *cap_add, *cap_drop;
	bool nesting;
	bool socketcall;
	struct {
		int opt;
		const char *value;
	} quota[32];
	size_t n_quota;
};

static const char *const create_help[] = {
	"Create a VPS: its root filesystem is unpacked from the template, its config written.",
	"",
	"  --template T         OS template (see 'vpsctl template list'); required",
	"  --hostname H         host name inside the VPS (default: NAME)",
	"  --init PATH          the VPS's init (default: the template's)",
	"  --onboot             start the VPS when the node boots",
	"  --boot-order N       with --onboot: lower numbers start first",
	"  --privileged         no user namespace: root inside is host root (not root-safe)",
	"  --ip CIDR            an address of eth0 (repeatable, IPv4 and IPv6), in a node subnet",
	"                       (routed: a /32 or /128 in ROUTED_RANGES)",
	"  --net MODE           bridged (a port of the node bridge) or routed (host routes, no",
	"                       L2 to other VPSes); default: vpsctl.conf's NET_MODE",
	"  --forward P:N:V      forward the node's port N (protocol P: tcp or udp) on UPLINK to",
	"                       port V of the VPS's first IPv4 address (repeatable; needs",
	"                       NAT=yes in vpsctl.conf; a port another VPS has is refused)",
	"  --mac MAC            MAC of eth0 (default: derived from NAME)",
	"  --mtu N              MTU of eth0",
	"  --bandwidth RATE     cap each direction (10mbit, 1gbit)",
	"  --no-antispoof       let the VPS send from any MAC/address (not for tenants)",
	"  --cap-add LIST       capabilities on top of the default set (NET_ADMIN,SYS_NICE)",
	"  --cap-drop LIST      capabilities taken from the default set, or all",
	"  --nesting            allow nested user namespaces (containers inside the VPS)",
	"  --socketcall         allow i386 socketcall (32-bit glibc programs' sockets)",
	"  --storage MODE       copy (its own root filesystem) or overlay (over the template's",
	"                       shared tree: instant, costs almost no disk); default: vpsctl.conf",
	"  --ssh-key FILE       public key(s) for root, appended to /root/.ssh/authorized_keys",
	"  --disk SIZE          the VPS's disk quota (10G): a project quota where the node's",
	"                       file system has them, else an ext4 image of its own; 0 or none:",
	"                       no quota; default: vpsctl.conf's DEFAULT_DISK (10G)",
	"  --disk-inodes N      files it may hold (default: DEFAULT_DISK_INODES, else one per",
	"                       16 KiB of --disk)",
	NULL,
};

static int parse_create(struct cli *c, int argc, char **argv, struct create_args *a)
{
	static const struct option own[] = {
		{"template", required_argument, NULL, OPT_TEMPLATE},
		{"hostname", required_argument, NULL, OPT_HOSTNAME},
		{"onboot", no_argument, NULL, OPT_ONBOOT},
		{"init", required_argument, NULL, OPT_INIT},
		{"help", no_argument, NULL, OPT_HELP},
		{"ip", required_argument, NULL, OPT_IP},
		{"mac", required_argument, NULL, OPT_MAC},
		{"mtu", required_argument, NULL, OPT_MTU},
		{"bandwidth", required_argument, NULL, OPT_BANDWIDTH},
		{"no-antispoof", no_argument, NULL, OPT_NO_ANTISPOOF},
		{"boot-order", required_argument, NULL, OPT_BOOT_ORDER},
		{"privileged", no_argument, NULL, OPT_PRIVILEGED},
		{"cap-add", required_argument, NULL, OPT_CAP_ADD},
		{"cap-drop", required_argument, NULL, OPT_CAP_DROP},
		{"nesting", no_argument, NULL, OPT_NESTING},
		{"socketcall", no_argument, NULL, OPT_SOCKETCALL},
		{"storage", required_argument, NULL, OPT_STORAGE},
		{"ssh-key", required_argument, NULL, OPT_SSH_KEY},
		{"disk", required_argument, NULL, OPT_DISK},
		{"disk-inodes", required_argument, NULL, OPT_DISK_INODES},
		{"net", required_argument, NULL, OPT_NET},
		{"forward", required_argument, NULL, OPT_FORWARD},
	};
	struct option all[48],
		*opts = cli_quota_options(own, ELEMENTSOF(own), all, ELEMENTSOF(all));
	int opt;

	if (!opts)
		return -1;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case OPT_TEMPLATE:
			a->template_name = optarg;
			break;
		case OPT_HOSTNAME:
			a->hostname = optarg;
			break;
		case OPT_ONBOOT:
			a->onboot = true;
			break;
		case OPT_INIT:
			a->init = optarg;
			break;
		case OPT_IP:
			if (strlen(a->ips) + strlen(optarg) + 2 > sizeof(a->ips))
				return cli_usage_error(c, "too many --ip addresses"), -1;
			if (a->ips[0])
				strcat(a->ips, " ");
			strcat(a->ips, optarg);
			break;
		case OPT_FORWARD:
			if (strlen(a->forwards) + strlen(optarg) + 2 > sizeof(a->forwards))
				return cli_usage_error(c, "too many --forward ports"), -1;
			if (a->forwards[0])
				strcat(a->forwards, " ");
			strcat(a->forwards, optarg);
			break;
		case OPT_MAC:
			a->mac = optarg;
			break;
		case OPT_MTU:
			a->mtu = optarg;
			break;
		case OPT_BANDWIDTH:
			a->bandwidth = optarg;
			break;
		case OPT_NO_ANTISPOOF:
			a->no_antispoof = true;
			break;
		case OPT_BOOT_ORDER:
			a->boot_order = optarg;
			break;
		case OPT_PRIVILEGED:
			a->privileged = true;
			break;
		case OPT_CAP_ADD:
			a->cap_add = optarg;
			break;
		case OPT_CAP_DROP:
			a->cap_drop = optarg;
			break;
		case OPT_NESTING:
			a->nesting = true;
			break;
		case OPT_SOCKETCALL:
			a->socketcall = true;
			break;
		case OPT_STORAGE:
			a->storage = optarg;
			break;
		case OPT_SSH_KEY:
			a->ssh_key = optarg;
			break;
		case OPT_DISK:
			a->disk = optarg;
			break;
		case OPT_DISK_INODES:
			a->disk_inodes = optarg;
			break;
		case OPT_NET:
			a->net = optarg;
			break;
		case 'h':
		case OPT_HELP:
			cli_print_help("create NAME --template T [options]", create_help);
			cli_print_help("", quota_help);
			return -2;
		default:
			if (opt < QUOTA_OPT_BASE || a->n_quota >= ELEMENTSOF(a->quota))
				return cli_bad_option(c, argv), -1;
			a->quota[a->n_quota].opt = opt;
			a->quota[a->n_quota++].value = optarg;
		}
	}
	if (optind + 1 != argc)
		return cli_usage_error(c, "expected exactly one VPS name"), -1;
	a->name = argv[optind];
	if (cli_check_name(c, a->name) != 0)
		return -1;
	if (!a->template_name)
		return cli_usage_error(c, "--template is required"), -1;
	return 0;
}

static int set_net(const struct create_args *a, struct vps_config *cfg)
{
	static const char *const keys[] = {"IP_ADDRESS", "MAC",        "MTU",
	                                   "BANDWIDTH",  "BOOT_ORDER", "FORWARDS"};
	const char *values[] = {a->ips,       a->mac,        a->mtu,
	                        a->bandwidth, a->boot_order, a->forwards[0] ? a->forwards : NULL};
	static const char *const flags[] = {"--ip",        "--mac",        "--mtu",
	                                    "--bandwidth", "--boot-order", "--forward"};

	static const char *const hints[] = {
		"",
		"",
		": 0 (the kernel's) or 68..65535",
		"",
		"",
		": tcp|udp:NODE_PORT:VPS_PORT (tcp:8022:22), ports 1..65535, each node port once"};

	for (size_t i = 0; i < ELEMENTSOF(keys); i++)
		if (values[i] &&
		    conf_set(vps_config_keys, vps_config_keys_n, cfg, keys[i], values[i]) < 0)
			return cli_fail(a->name, "invalid %s '%.64s'%s", flags[i], values[i],
			                hints[i]),
			       -1;
	cfg->antispoof = !a->no_antispoof;
	return 0;
}

/* --cap-add, --cap-drop, --nesting: lists are checked here, so a bad one never reaches vps.conf. */
static int build_security(const struct create_args *a, struct vps_config *cfg)
{
	uint64_t keep;

	cfg->nesting = a->nesting;
	cfg->socketcall = a->socketcall;
	if (cfg->nesting && !cfg->userns)
		return cli_fail(a->name,
		                "--nesting needs a user namespace: nested in a --privileged "
		                "VPS, one can map the host's root and write the VPS's own cgroup");
	if (a->cap_add &&
	    conf_set(vps_config_keys, vps_config_keys_n, cfg, "CAP_ADD", a->cap_add) < 0)
		return cli_fail(
			a->name,
			"invalid --cap-add '%.64s': capability names like NET_ADMIN,SYS_NICE",
			a->cap_add);
	if (a->cap_drop &&
	    conf_set(vps_config_keys, vps_config_keys_n, cfg, "CAP_DROP", a->cap_drop) < 0)
		return cli_fail(
			a->name,
			"invalid --cap-drop '%.64s': capability names like MKNOD,NET_RAW, or all",
			a->cap_drop);
	/* systemd as init mounts /run, /tmp and more: in a user namespace it may. */
	if (cfg->userns && strstr(cfg->init, "systemd") && !cfg->cap_add)
		cfg->cap_add = VPS_CAP_BIT(CAP_SYS_ADMIN);
	if (vps_caps_keep_mask(cfg->cap_add, cfg->cap_drop, cfg->userns, &keep) == -EPERM)
		return cli_fail(
			a->name,
			"--cap-add '%.64s': names a capability no VPS may have (see vpsctl(8))",
			a->cap_add);
	return 0;
}

/* Builds the config: node defaults, then the template's init, then the flags. */
static int build_config(struct cli *c, const struct create_args *a,
                        const struct vps_template_meta *t, struct vps_config *cfg)
{
	struct vps_error err = VPS_ERROR_INIT;
	unsigned given = 0;

	vps_config_init(cfg, a->name, &c->node);
	snprintf(cfg->template_name, sizeof(cfg->template_name), "%s", t->name);
	if (t->init[0])
		snprintf(cfg->init, sizeof(cfg->init), "%s", t->init);
	if (t->poweroff_signal > 0)
		cfg->poweroff_signal = t->poweroff_signal;
	cfg->onboot = a->onboot;
	if (a->hostname &&
	    conf_set(vps_config_keys, vps_config_keys_n, cfg, "HOSTNAME", a->hostname) < 0)
		return cli_fail(a->name, "invalid --hostname '%.64s'", a->hostname);
	if (a->init && conf_set(vps_config_keys, vps_config_keys_n, cfg, "INIT", a->init) < 0)
		return cli_fail(a->name, "invalid --init '%.64s': an absolute path", a->init);
	cfg->storage = c->node.storage;
	if (a->storage &&
	    conf_set(vps_config_keys, vps_config_keys_n, cfg, "STORAGE", a->storage) < 0)
		return cli_fail(a->name, "invalid --storage '%.64s': copy or overlay", a->storage);
	cfg->net_mode = c->node.net_mode;
	if (a->net && conf_set(vps_config_keys, vps_config_keys_n, cfg, "NET_MODE", a->net) < 0)
		return cli_fail(a->name, "invalid --net '%.64s': bridged or routed", a->net);
	if (set_net(a, cfg) < 0)
		return EXIT_FAILURE;
	if (ops_disk_create(&c->node, a->disk, a->disk_inodes, cfg, &err) < 0)
		return cli_fail_error(a->name, &err, 0);
	cfg->userns = !a->privileged; /* its id range is allocated under the lock, later */
	if (build_security(a, cfg))
		return EXIT_FAILURE;
	for (size_t i = 0; i < a->n_quota; i++) {
		if (cli_quota_set(cfg, a->quota[i].opt, a->quota[i].value, &err) < 0)
			return cli_fail_error(a->name, &err, 0);
		given |= 1u << (a->quota[i].opt - QUOTA_OPT_BASE);
	}
	if (ops_quota_validate(cfg, given, "vpsctl.conf DEFAULT_", &err) < 0)
		return cli_fail_error(a->name, &err, 0);
	return 0;
}

/* Unpacks into a hidden directory and renames it into place: a crash leaves no half VPS. */
static int materialize(struct cli *c, struct vps_config *cfg, const struct vps_template_meta *t,
                       const struct vps_rootfs_extras *x)
{
	_cleanup_close_ int base = -EBADF, tmp = -EBADF;
	struct vps_error err = VPS_ERROR_INIT;
	char tmpname[64], tmppath[PATH_MAX];
	int r;

	r = mkdir_p(c->paths.vps_base, 0700);
	if (r < 0)
		return cli_fail(cfg->name, "failed to create %s: %s", c->paths.vps_base,
		                strerror(-r));
	base = open(c->paths.vps_base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (base < 0)
		return cli_fail(cfg->name, "failed to open %s: %m", c->paths.vps_base);
	snprintf(tmpname, sizeof(tmpname), ".%s.new", cfg->name);
	(void)rm_rf_at(base, tmpname); /* what a crashed create left */
	if (mkdirat(base, tmpname, 0700) < 0)
		return cli_fail(cfg->name, "failed to create the VPS directory: %m");
	tmp = openat(base, tmpname, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	r = tmp < 0 ? -errno : vps_disk_prepare(tmp, cfg, &err);
	if (r == 0)
		r = vps_storage_materialize(tmp, cfg, t, c->paths.templates_dir, &err);
	if (r == 0 && vps_path(&c->paths, tmpname, NULL, tmppath, sizeof(tmppath)) == 0)
		r = vps_storage_customize(tmppath, cfg, x, &err);
	if (r == 0)
		r = vps_disk_finish(tmp, tmppath, cfg, cfg->userns ? (uid_t)cfg->uid_base : 0,
		                    &err);
	if (r < 0) {
		(void)rm_rf_at(base, tmpname);
		return cli_fail_error(cfg->name, &err, r);
	}
	r = vps_config_save_at(tmp, cfg);
	if (r == 0 && renameat(base, tmpname, base, cfg->name) < 0)
		r = -errno;
	if (r < 0) {
		(void)rm_rf_at(base, tmpname);
		return cli_fail(cfg->name, "failed to write the VPS: %s", strerror(-r));
	}
	(void)fsync(base);
	return 0;
}

/* What goes into the new root besides the template: --ssh-key and the node's resolvers. */
static int read_extras(const struct create_args *a, char **ret_keys, char **ret_resolv)
{
	_cleanup_free_ char *host = NULL;
	struct vps_error err = VPS_ERROR_INIT;
	int r;

	if (a->ssh_key) {
		r = read_file_at(AT_FDCWD, a->ssh_key, ROOTFS_SSH_KEYS_MAX, ret_keys, NULL);
		if (r < 0)
			return cli_fail(a->name, "cannot read --ssh-key '%.200s': %s", a->ssh_key,
			                r == -EFBIG ? "too large for a public key file"
			                            : strerror(-r));
		if (rootfs_ssh_keys_check(*ret_keys, &err) < 0)
			return cli_fail(a->name, "--ssh-key '%.200s': %s", a->ssh_key, err.msg);
	}
	/* Like OpenVZ's --nameserver inherit; a node without resolvers gives the VPS none. */
	if (read_file_at(AT_FDCWD, "/etc/resolv.conf", 65536, &host, NULL) == 0 &&
	    rootfs_resolv_conf_filter(host, ret_resolv) < 0)
		return cli_fail(a->name, "out of memory");
	return 0;
}

/* After the addresses are claimed: the id range, the extras and the tree. */
static int create_claimed(struct cli *c, const struct create_args *a, struct vps_config *cfg,
                          const struct vps_template_meta *t)
{
	_cleanup_close_ int idlock = -EBADF, store_lock = -EBADF;
	_cleanup_free_ char *keys = NULL, *resolv = NULL;
	struct vps_rootfs_extras x;
	int r;

	if (!a->privileged) {
		/* held until vps.conf records the range, so no two creates pick the same one */
		r = vps_idmap_allocate(&c->paths, &c->node, &cfg->uid_base, &idlock);
		if (r < 0)
			return cli_fail_idmap(a->name, r);
		cfg->userns = true;
	}
	if (read_extras(a, &keys, &resolv))
		return EXIT_FAILURE;
	x = (struct vps_rootfs_extras){
		.ssh_keys = keys,
		.resolv_conf = resolv,
		.root_uid = cfg->userns ? (uid_t)cfg->uid_base : 0,
		.root_gid = cfg->userns ? (gid_t)cfg->uid_base : 0,
	};
	/* A template is not removed while an overlay VPS is being made from it. */
	if (cfg->storage == VPS_STORAGE_OVERLAY) {
		store_lock = template_store_lock(c->paths.templates_dir, false);
		if (store_lock < 0)
			return cli_fail(a->name, "cannot lock the template store: %s",
			                strerror(-store_lock));
	}
	return materialize(c, cfg, t, &x);
}

int cmd_create(struct cli *c, int argc, char **argv)
{
	struct create_args a = {0};
	struct vps_template_meta t;
	struct vps_config cfg;
	struct vps_error err = VPS_ERROR_INIT;
	char dir[PATH_MAX];
	_cleanup_close_ int lock = -EBADF;
	int r;

	r = parse_create(c, argc, argv, &a);
	if (r < 0)
		return r == -2 ? 0 : EXIT_USAGE;
	if (cli_load_node(c))
		return EXIT_FAILURE;
	r = template_lookup(c->paths.templates_dir, a.template_name, &t);
	if (r < 0)
		return cli_fail(a.name,
		                r == -ENOENT
		                        ? "no template '%s' (try 'vpsctl template build busybox')"
		                        : "cannot read template '%s'",
		                a.template_name);
	if (build_config(c, &a, &t, &cfg))
		return EXIT_FAILURE;
	if (vps_path(&c->paths, a.name, NULL, dir, sizeof(dir)) < 0)
		return cli_fail(a.name, "name too long for a path");
	lock = cli_lock(c, a.name);
	if (lock < 0)
		return EXIT_FAILURE;
	if (access(dir, F_OK) == 0)
		return cli_fail(a.name, "already exists");
	if (vps_addresses_claim(&c->paths, &cfg, &c->node, &err) < 0 ||
	    vps_ports_claim(&c->paths, &cfg, &c->node, &err) < 0)
		r = cli_fail_error(a.name, &err, 0);
	else
		r = create_claimed(c, &a, &cfg, &t);
	/* A create that failed keeps no claim (the addresses are free for the next one) and no
	 * lock file of a name that does not exist. */
	if (r != 0) {
		vps_addresses_release(&c->paths, a.name, &cfg.ip_address);
		vps_ports_release(&c->paths, a.name, &cfg.forwards);
		if (access(dir, F_OK) < 0)
			vps_lock_unlink(&c->paths, a.name);
	} else {
		cli_io_weight_warn(a.name, dir, cfg.quota.io_weight);
		if (cfg.onboot)
			cli_systemd_reload(c);
	}
	return r;
}
