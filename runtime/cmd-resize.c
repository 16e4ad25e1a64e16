/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vpsctl resize / stats: live quota changes and the usage and failure counters behind them. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "cli-quota.h"
#include "cli.h"
#include "disk.h"
#include "network.h"
#include "state.h"

enum { OPT_FORCE = 1, OPT_HELP, OPT_IP_ADD, OPT_IP_DEL, OPT_BANDWIDTH, OPT_DISK };

static const char *const resize_help[] = {
	"Change a VPS's quotas. A running VPS gets them at once (never restarted); the config",
	"is written only after the kernel took every value, and then the kernel holds every",
	"limit of the config (one changed behind vpsctl's back is set back). Shrinking memory",
	"below what the VPS uses waits SHRINK_TIMEOUT, then is refused with the usage unless",
	"--force (the VPS's own processes are then OOM-killed, nothing else; it says which).",
	"",
	"  --force              apply a memory shrink even if usage stays above it",
	"  --ip-add CIDR        give eth0 another address (repeatable)",
	"  --ip-del ADDR        take an address away (repeatable)",
	"  --bandwidth RATE     cap each direction (10mbit); 0 = no cap",
	"  --disk SIZE          grow the VPS's disk (online when it runs; disks only grow)",
	NULL,
};

/* --ip-add / --ip-del / --bandwidth on the config's address list and rate. */
static int net_set(struct vps_config *cfg, int opt, const char *value, char *err, size_t errlen)
{
	struct netsetup_addr addrs[VPS_NET_MAX_ADDRS], x;
	char list[sizeof(cfg->ip_address)] = "", buf[64];
	size_t n = 0;
	bool found = false;

	if (opt == OPT_DISK) {
		uint64_t old = cfg->disk;

		if (conf_set(vps_config_keys, vps_config_keys_n, cfg, "DISK", value) < 0 ||
		    cfg->disk == VALUE_UNLIMITED)
			return snprintf(err, errlen, "invalid --disk '%.64s'", value), -EINVAL;
		if (!old)
			return snprintf(err, errlen, "the VPS has no disk image of its own "
					"(create it with --disk)"), -EINVAL;
		if (cfg->disk < old)
			return snprintf(err, errlen, "a disk can only grow"), -EINVAL;
		return 0;
	}
	if (opt == OPT_BANDWIDTH) {
		if (conf_set(vps_config_keys, vps_config_keys_n, cfg, "BANDWIDTH", value) < 0)
			return snprintf(err, errlen, "invalid --bandwidth '%.64s'", value), -EINVAL;
		return 0;
	}
	if (netsetup_addr_parse(value, &x) < 0 ||
	    vps_net_parse_addrs(cfg->ip_address, addrs, VPS_NET_MAX_ADDRS, &n) < 0)
		return snprintf(err, errlen, "invalid address '%.64s'", value), -EINVAL;
	for (size_t i = 0; i < n; i++) {
		bool same = netsetup_addr_equal(&addrs[i], &x);

		found |= same;
		if (same && opt == OPT_IP_DEL)
			continue;
		if (list[0])
			strcat(list, " ");
		strcat(list, netsetup_addr_format(&addrs[i], buf, sizeof(buf)));
	}
	if (opt == OPT_IP_DEL && !found)
		return snprintf(err, errlen, "address %.64s is not the VPS's", value), -ENOENT;
	if (opt == OPT_IP_ADD && found)
		return snprintf(err, errlen, "address %.64s is the VPS's already", value), -EEXIST;
	if (opt == OPT_IP_ADD) {
		if (strlen(list) + 66 > sizeof(list))
			return snprintf(err, errlen, "too many addresses"), -E2BIG;
		if (list[0])
			strcat(list, " ");
		strcat(list, netsetup_addr_format(&x, buf, sizeof(buf)));
	}
	strcpy(cfg->ip_address, list);
	return 0;
}

/* 0, or the exit status after the message (-1: --help was printed). */
static int parse_resize(struct cli *c, int argc, char **argv, struct vps_config *cfg,
			bool *force)
{
	struct option opts[32] = {
		{"force", no_argument, NULL, OPT_FORCE},
		{"help", no_argument, NULL, OPT_HELP},
		{"ip-add", required_argument, NULL, OPT_IP_ADD},
		{"ip-del", required_argument, NULL, OPT_IP_DEL},
		{"bandwidth", required_argument, NULL, OPT_BANDWIDTH},
		{"disk", required_argument, NULL, OPT_DISK},
	};
	struct { int opt; const char *value; } set[32];
	size_t n = cli_quota_options(opts + 6), n_set = 0;
	unsigned given = 0;
	char err[256];
	int opt;

	opts[6 + n] = (struct option){0};
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		bool quota = opt >= QUOTA_OPT_BASE && opt < QUOTA_OPT_BASE + (int)n;

		if (opt == OPT_FORCE) {
			*force = true;
		} else if (opt == OPT_HELP || opt == 'h') {
			cli_print_help("resize NAME [quota options] [--force]", resize_help);
			cli_print_help("", quota_help);
			return -1;
		} else if ((quota || (opt >= OPT_IP_ADD && opt <= OPT_DISK)) &&
			   n_set < ELEMENTSOF(set)) {
			set[n_set].opt = opt;
			set[n_set++].value = optarg;
			if (quota)
				given |= 1u << (opt - QUOTA_OPT_BASE);
		} else {
			return cli_bad_option(c, argv);
		}
	}
	if (optind + 1 != argc)
		return cli_usage_error(c, "expected exactly one VPS name");
	if (n_set == 0)
		return cli_usage_error(c, "nothing to change: give at least one option");
	if (cli_check_name(c, argv[optind]))
		return EXIT_USAGE;
	if (cli_load_node(c) || cli_load_vps(c, argv[optind], cfg) < 0)
		return EXIT_FAILURE;
	for (size_t i = 0; i < n_set; i++)
		if ((set[i].opt >= QUOTA_OPT_BASE
			     ? cli_quota_set(cfg, set[i].opt, set[i].value, err, sizeof(err))
			     : net_set(cfg, set[i].opt, set[i].value, err, sizeof(err))) < 0)
			return cli_fail(cfg->name, "%s", err);
	if (cli_quota_validate(cfg, given, "vps.conf ", err, sizeof(err)) < 0)
		return cli_fail(cfg->name, "%s", err);
	if (vps_net_check(&c->paths, cfg, &c->node, err, sizeof(err)) < 0)
		return cli_fail(cfg->name, "%s", err);
	return 0;
}

static int open_cgroup(struct cli *c, const char *name, struct vps_cgroup **ret)
{
	struct vps_state st;

	switch (vps_run_state_get(&c->paths, name, &st)) {
	case VPS_STOPPED:
		return -ESRCH;
	case VPS_UNKNOWN:
		/* which cgroup, and whether it runs, is not known: change nothing */
		cli_fail(name, "state unreadable: %s; not resizing", st.error_text);
		return -EBADMSG;
	default:
		return vps_cgroup_new(st.cgroup_parent[0] ? st.cgroup_parent
							  : c->node.cgroup_parent,
				      name, ret);
	}
}

/* Before a memory shrink that has to wait: say so, and for how long. */
static void announce_wait(struct cli *c, struct vps_cgroup *cg, const struct vps_quota *from,
			  const struct vps_config *cfg, bool force)
{
	struct vps_cgroup_stats s = {0};

	if (cfg->quota.memory >= from->memory || vps_cgroup_stats(cg, &s) < 0 ||
	    s.memory_current <= cfg->quota.memory)
		return;
	fprintf(stderr, "vpsctl: %s: memory usage %.1fM is above the new limit %.1fM: waiting up "
		"to %.1f s for it to fall%s\n", cfg->name, (double)s.memory_current / (1 << 20),
		(double)cfg->quota.memory / (1 << 20), (double)c->node.shrink_timeout / 1000,
		force ? ", then killing processes of the VPS (--force)" : "");
}

/* The kernel's limits, not the old config, are where the change starts: a limit changed
 * behind vpsctl's back is written back to what vps.conf says, so after a resize the kernel
 * holds every limit of the config (what status shows). */
static int resize_cgroup(struct cli *c, struct vps_cgroup *cg, const struct vps_config *old,
			 const struct vps_config *cfg, bool force)
{
	struct vps_cgroup_error err = {{0}};
	struct vps_cgroup_stats before = {0}, after = {0};
	struct vps_quota from;
	int r;

	if (vps_cgroup_read_quota(cg, &from) < 0)
		from = old->quota;
	announce_wait(c, cg, &from, cfg, force);
	(void)vps_cgroup_stats(cg, &before);
	r = vps_cgroup_resize(cg, &from, &cfg->quota, (unsigned)c->node.shrink_timeout, force,
			      &err);
	if (r == -EBUSY && !force)
		return cli_fail(cfg->name, "%s after %.1f s: not changed (--force shrinks anyway, "
				"killing processes of the VPS)", err.message,
				(double)c->node.shrink_timeout / 1000);
	if (r < 0)
		return cli_fail(cfg->name, "%s", err.message[0] ? err.message : strerror(-r));
	if (err.message[0])
		fprintf(stderr, "vpsctl: %s: to shrink its memory, %s\n", cfg->name, err.message);
	if (force && vps_cgroup_stats(cg, &after) == 0 &&
	    after.memory_oom_kills > before.memory_oom_kills)
		fprintf(stderr, "vpsctl: %s: to shrink its memory, the kernel OOM-killed %" PRIu64
			" process(es) of the VPS\n", cfg->name,
			after.memory_oom_kills - before.memory_oom_kills);
	return 0;
}

static int save(struct cli *c, const struct vps_config *cfg)
{
	_cleanup_close_ int dir = -EBADF;
	char path[PATH_MAX];
	int r = vps_path(&c->paths, cfg->name, NULL, path, sizeof(path));

	if (r < 0)
		return r;
	dir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return dir < 0 ? -errno : vps_config_save_at(dir, cfg);
}

static void net_restore(struct vps_config *cfg, const struct vps_config *old)
{
	memcpy(cfg->ip_address, old->ip_address, sizeof(cfg->ip_address));
	cfg->bandwidth = old->bandwidth;
}

int cmd_resize(struct cli *c, int argc, char **argv)
{
	_cleanup_vps_cgroup_ struct vps_cgroup *cg = NULL;
	_cleanup_close_ int lock = -EBADF;
	struct vps_config old, cfg;
	bool force = false;
	int r;

	/* Parse twice: once to find the name for the lock, then again under it, so the
	 * config we change is the one on disk after any other command finished. */
	r = parse_resize(c, argc, argv, &cfg, &force);
	if (r != 0)
		return r < 0 ? 0 : r;
	lock = cli_lock(c, cfg.name);
	if (lock < 0 || cli_load_vps(c, cfg.name, &old) < 0)
		return EXIT_FAILURE;
	optind = 0;
	r = parse_resize(c, argc, argv, &cfg, &force);
	if (r != 0)
		return r < 0 ? 0 : r;
	r = open_cgroup(c, cfg.name, &cg);
	if (r == -EBADMSG)
		return EXIT_FAILURE;
	if (r < 0 && r != -ESRCH)
		return cli_fail(cfg.name, "Failed to open its cgroup: %s", strerror(-r));
	if (cg) {
		struct vps_state st;
		char nerr[256] = "";

		r = resize_cgroup(c, cg, &old, &cfg, force);
		if (r != 0)
			return r;
		r = vps_run_state_get(&c->paths, cfg.name, &st) == VPS_RUNNING
			    ? vps_net_update(&old, &cfg, &c->node, (pid_t)st.init_pid, nerr,
					     sizeof(nerr))
			    : 0;
		if (r == -ENODEV) {
			fprintf(stderr, "vpsctl: %s: %s; saved for the next start\n", cfg.name, nerr);
		} else if (r < 0) {
			/* The quotas are in force: keep them, and the old network settings. */
			net_restore(&cfg, &old);
			(void)save(c, &cfg);
			return cli_fail(cfg.name, "quotas applied; %s",
					nerr[0] ? nerr : "network change failed");
		}
	}
	if (cfg.disk != old.disk) {
		struct vps_state st;
		char dir[PATH_MAX], derr[256] = "";
		pid_t init = vps_run_state_get(&c->paths, cfg.name, &st) == VPS_RUNNING
				     ? (pid_t)st.init_pid
				     : 0;

		r = vps_path(&c->paths, cfg.name, NULL, dir, sizeof(dir));
		if (r == 0)
			r = vps_disk_grow(dir, init, cfg.disk, derr, sizeof(derr));
		if (r == -EAGAIN) {
			fprintf(stderr, "vpsctl: %s: %s\n", cfg.name, derr);
			r = 0;
		}
		if (r < 0) {
			cfg.disk = old.disk;
			(void)save(c, &cfg);
			return cli_fail(cfg.name, "%s", derr[0] ? derr : strerror(-r));
		}
	}
	r = save(c, &cfg);
	if (r < 0)
		return cli_fail(cfg.name, "applied, but failed to save vps.conf: %s", strerror(-r));
	if (strcmp(old.ip_address, cfg.ip_address) != 0) {
		char err[256];

		/* drop the claims of the old list, then claim the new one again */
		vps_net_release(&c->paths, cfg.name, old.ip_address);
		(void)vps_net_check(&c->paths, &cfg, &c->node, err, sizeof(err));
	}
	return 0;
}

static void print_net(const struct netsetup_link_stats *n, bool json)
{
	/* The node end counts the other way round: what it received, the VPS sent. */
	if (json)
		printf(",\"net_rx_bytes\":%" PRIu64 ",\"net_tx_bytes\":%" PRIu64
		       ",\"net_rx_packets\":%" PRIu64 ",\"net_tx_packets\":%" PRIu64
		       ",\"net_rx_dropped\":%" PRIu64 ",\"net_tx_dropped\":%" PRIu64,
		       n->tx_bytes, n->rx_bytes, n->tx_packets, n->rx_packets, n->tx_dropped,
		       n->rx_dropped);
	else
		printf("net:    received %" PRIu64 " bytes (%" PRIu64 " packets), sent %" PRIu64
		       " bytes (%" PRIu64 " packets), dropped %" PRIu64 "/%" PRIu64 "\n",
		       n->tx_bytes, n->tx_packets, n->rx_bytes, n->rx_packets, n->tx_dropped,
		       n->rx_dropped);
}

static void print_stats(const char *name, const struct vps_cgroup_stats *s,
			const struct netsetup_link_stats *net, const uint64_t *disk, bool json)
{
	static const char *const fmt_json =
		"{\"name\":\"%s\",\"cpu_usage_usec\":%" PRIu64 ",\"nr_periods\":%" PRIu64
		",\"nr_throttled\":%" PRIu64 ",\"throttled_usec\":%" PRIu64
		",\"memory_current\":%" PRIu64 ",\"memory_peak\":%" PRIu64
		",\"memory_max\":%" PRIu64 ",\"swap_current\":%" PRIu64
		",\"pids_current\":%" PRIu64 ",\"pids_max\":%" PRIu64
		",\"memory_high_events\":%" PRIu64 ",\"memory_max_events\":%" PRIu64
		",\"memory_oom_events\":%" PRIu64 ",\"memory_oom_kills\":%" PRIu64
		",\"pids_max_events\":%" PRIu64;
	char a[32], b[32], m[32], w[32];

	if (json) {
		printf(fmt_json, name, s->cpu_usage_usec, s->cpu_nr_periods, s->cpu_nr_throttled,
		       s->cpu_throttled_usec, s->memory_current, s->memory_peak, s->memory_max,
		       s->swap_current, s->pids_current, s->pids_max, s->memory_high_events,
		       s->memory_max_events, s->memory_oom_events, s->memory_oom_kills,
		       s->pids_max_events);
		if (net)
			print_net(net, true);
		if (disk)
			printf(",\"disk_size\":%" PRIu64 ",\"disk_used\":%" PRIu64, disk[0], disk[1]);
		printf("}\n");
		return;
	}
	printf("cpu:    %.3f s used, throttled %" PRIu64 " of %" PRIu64 " periods (%.3f s)\n",
	       (double)s->cpu_usage_usec / 1e6, s->cpu_nr_throttled, s->cpu_nr_periods,
	       (double)s->cpu_throttled_usec / 1e6);
	printf("memory: %s used, %s peak, %s max, %s swap\n",
	       format_size(s->memory_current, a, sizeof(a)), format_size(s->memory_peak, b, sizeof(b)),
	       format_size(s->memory_max, m, sizeof(m)), format_size(s->swap_current, w, sizeof(w)));
	printf("pids:   %" PRIu64 " of %s\n", s->pids_current, format_count(s->pids_max, a, sizeof(a)));
	printf("failcnt: memory.high %" PRIu64 ", memory.max %" PRIu64 ", oom %" PRIu64
	       ", oom_kill %" PRIu64 ", pids.max %" PRIu64 "\n",
	       s->memory_high_events, s->memory_max_events, s->memory_oom_events,
	       s->memory_oom_kills, s->pids_max_events);
	if (net)
		print_net(net, false);
	if (disk)
		printf("disk:   %" PRIu64 " of %" PRIu64 " bytes used\n", disk[1], disk[0]);
}

int cmd_stats(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
					     {"help", no_argument, NULL, 'h'}, {0}};
	_cleanup_vps_cgroup_ struct vps_cgroup *cg = NULL;
	struct vps_cgroup_stats s = {0};
	struct netsetup_link_stats net;
	char host_if[NETSETUP_IFNAMSIZ];
	struct vps_config cfg;
	uint64_t disk[2] = {0, 0}; /* size, used */
	bool json = false, have_net;
	int opt, r;

	while ((opt = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		if (opt == 'j')
			json = true;
		else if (opt == 'h')
			return printf("Usage: vpsctl stats NAME [--json]\n"
				      "CPU, memory and pids usage of a running VPS, with failure\n"
				      "counters (limits hit, OOM kills, refused forks).\n"), 0;
		else
			return cli_bad_option(c, argv);
	}
	if ((opt = cli_one_vps(c, argc, argv)) != 0)
		return opt;
	if (cli_load_vps(c, argv[optind], &cfg) < 0)
		return EXIT_FAILURE;
	r = open_cgroup(c, cfg.name, &cg);
	if (r == -ESRCH)
		return cli_fail(cfg.name, "not running");
	if (r == 0)
		r = vps_cgroup_stats(cg, &s);
	if (r < 0)
		return cli_fail(cfg.name, "Failed to read its cgroup: %s", strerror(-r));
	vps_net_host_ifname(cfg.name, host_if);
	have_net = netsetup_link_stats(-1, host_if, &net) == 0;
	if (cfg.disk) {
		struct vps_state st;

		if (vps_run_state_get(&c->paths, cfg.name, &st) == VPS_RUNNING)
			(void)vps_disk_usage((pid_t)st.init_pid, &disk[0], &disk[1]);
	}
	print_stats(cfg.name, &s, have_net ? &net : NULL, cfg.disk ? disk : NULL, json);
	return 0;
}
