/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vpsctl resize / stats: live quota changes and the usage and failure counters behind them. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "cli-quota.h"
#include "cli.h"
#include "list-rows.h"
#include "list-usage.h"
#include "vps-stats.h"

enum {
	OPT_FORCE = 1,
	OPT_HELP,
	OPT_IP_ADD,
	OPT_IP_DEL,
	OPT_BANDWIDTH,
	OPT_DISK,
	OPT_FORWARD_ADD,
	OPT_FORWARD_DEL,
	OPT_DISK_INODES,
};

static const char *const resize_help[] = {
	"Change a VPS's quotas. vps.conf is saved first; a running VPS then gets them at once",
	"(never restarted), and a value the kernel refuses takes every change back, the file",
	"included. The change starts from the limits the kernel holds: one changed behind",
	"vpsctl's back is set back. They hold across reboots inside the VPS. Shrinking memory",
	"below what the VPS uses waits SHRINK_TIMEOUT, then is refused with the usage unless",
	"--force (the VPS's own processes are then OOM-killed, nothing else; it says which).",
	"",
	"  --force              apply a memory shrink even if usage stays above it",
	"  --ip-add CIDR        give eth0 another address (repeatable)",
	"  --ip-del ADDR        take an address away (repeatable)",
	"  --bandwidth RATE     cap each direction (10mbit); 0 = no cap",
	"  --forward-add P:N:V  forward the node's port N (tcp or udp) to the VPS's port V",
	"                       (repeatable; a port another VPS has is refused)",
	"  --forward-del P:N    stop forwarding node port N (P:N:V works too; repeatable)",
	"  --disk SIZE          change the disk quota: grows online; a project quota shrinks",
	"                       online to no less than the VPS uses, an image only while stopped",
	"  --disk-inodes N      change the inode limit (project quota only: an image's inodes",
	"                       are fixed at create and grow with --disk)",
	NULL,
};

/* 0, or the exit status after the message (-1: --help was printed). */
static int parse_resize(struct cli *c, int argc, char **argv, struct ops_resize_set *set,
                        size_t cap, struct ops_resize_req *q)
{
	static const struct option own[] = {
		{"force", no_argument, NULL, OPT_FORCE},
		{"help", no_argument, NULL, OPT_HELP},
		{"ip-add", required_argument, NULL, OPT_IP_ADD},
		{"ip-del", required_argument, NULL, OPT_IP_DEL},
		{"bandwidth", required_argument, NULL, OPT_BANDWIDTH},
		{"disk", required_argument, NULL, OPT_DISK},
		{"disk-inodes", required_argument, NULL, OPT_DISK_INODES},
		{"forward-add", required_argument, NULL, OPT_FORWARD_ADD},
		{"forward-del", required_argument, NULL, OPT_FORWARD_DEL},
	};
	/* each option of this file as ops_resize's change */
	static const int what[] = {
		[OPT_IP_ADD] = OPS_RESIZE_IP_ADD,
		[OPT_IP_DEL] = OPS_RESIZE_IP_DEL,
		[OPT_BANDWIDTH] = OPS_RESIZE_BANDWIDTH,
		[OPT_DISK] = OPS_RESIZE_DISK,
		[OPT_FORWARD_ADD] = OPS_RESIZE_FORWARD_ADD,
		[OPT_FORWARD_DEL] = OPS_RESIZE_FORWARD_DEL,
		[OPT_DISK_INODES] = OPS_RESIZE_DISK_INODES,
	};
	struct option all[48],
		*opts = cli_quota_options(own, ELEMENTSOF(own), all, ELEMENTSOF(all));
	int opt;

	if (!opts)
		return EXIT_FAILURE;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		bool quota = opt >= QUOTA_OPT_BASE && opt < QUOTA_OPT_BASE + (int)quota_flags_n;

		if (opt == OPT_FORCE) {
			q->force = true;
		} else if (opt == OPT_HELP || opt == 'h') {
			cli_print_help("resize NAME [quota options] [--force]", resize_help);
			cli_print_help("", quota_help);
			return -1;
		} else if ((quota || (opt >= OPT_IP_ADD && opt <= OPT_DISK_INODES)) && q->n < cap) {
			set[q->n].what = quota ? opt - QUOTA_OPT_BASE : what[opt];
			set[q->n++].value = optarg;
		} else {
			return cli_bad_option(c, argv);
		}
	}
	if (optind + 1 != argc)
		return cli_usage_error(c, "expected exactly one VPS name");
	if (q->n == 0)
		return cli_usage_error(c, "nothing to change: give at least one option");
	if (cli_check_name(c, argv[optind]))
		return EXIT_USAGE;
	return cli_load_node(c) ? EXIT_FAILURE : 0;
}

int cmd_resize(struct cli *c, int argc, char **argv)
{
	struct ops_resize_set set[32];
	struct ops_resize_req q = {.set = set};
	struct vps_error err = VPS_ERROR_INIT;
	struct ops_ctx o;
	int r = parse_resize(c, argc, argv, set, ELEMENTSOF(set), &q);

	if (r != 0)
		return r < 0 ? 0 : r;
	o = cli_ops(c);
	r = ops_resize(&o, argv[optind], &q, &err);
	return r < 0 ? cli_fail_error(argv[optind], &err, r) : 0;
}

static void print_net(const struct vps_stats *st)
{
	const struct netsetup_link_stats *n = &st->net;
	char since[64] = "";
	time_t t = (time_t)st->period_start;
	struct tm tm;

	if (st->period_start && localtime_r(&t, &tm))
		strftime(since, sizeof(since), " since %Y-%m-%d %H:%M:%S", &tm);
	/* The node end counts the other way round: what it received, the VPS sent. */
	printf("net:    received %" PRIu64 " bytes (%" PRIu64 " packets), sent %" PRIu64
	       " bytes (%" PRIu64 " packets)%s, dropped %" PRIu64 "/%" PRIu64 "\n",
	       n->tx_bytes, n->tx_packets, n->rx_bytes, n->rx_packets, since, n->tx_dropped,
	       n->rx_dropped);
}

static void print_stats(const struct vps_stats *st)
{
	const struct vps_cgroup_stats *s = &st->s;
	char a[32], b[32], m[32], w[32];

	printf("cpu:    %.3f s used, throttled %" PRIu64 " of %" PRIu64 " periods (%.3f s)\n",
	       (double)s->cpu_usage_usec / 1e6, s->cpu_nr_throttled, s->cpu_nr_periods,
	       (double)s->cpu_throttled_usec / 1e6);
	printf("memory: %s used, %s peak, %s max, %s swap\n",
	       format_size(s->memory_current, a, sizeof(a)),
	       format_size(s->memory_peak, b, sizeof(b)), format_size(s->memory_max, m, sizeof(m)),
	       format_size(s->swap_current, w, sizeof(w)));
	printf("pids:   %" PRIu64 " of %s\n", s->pids_current,
	       format_count(s->pids_max, a, sizeof(a)));
	printf("failcnt: memory.high %" PRIu64 ", memory.max %" PRIu64 ", oom %" PRIu64
	       ", oom_kill %" PRIu64 ", pids.max %" PRIu64 "\n",
	       s->memory_high_events, s->memory_max_events, s->memory_oom_events,
	       s->memory_oom_kills, s->pids_max_events);
	printf("io:     read %" PRIu64 " bytes (%" PRIu64 " ops), written %" PRIu64
	       " bytes (%" PRIu64 " ops)\n",
	       s->io_read_bytes, s->io_read_ops, s->io_write_bytes, s->io_write_ops);
	if (st->have_net)
		print_net(st);
	if (st->have_disk)
		printf("disk:   %" PRIu64 " of %" PRIu64 " bytes used\n", st->disk_used,
		       st->disk_size);
}

/* stats --all: one line per VPS. */
static void stats_row(const struct vps_stats *st)
{
	const struct vps_cgroup_stats *s = &st->s;
	char m[32], p[32], x[32], rx[32] = "-", tx[32] = "-", d[32] = "-";

	if (st->have_net) {
		snprintf(rx, sizeof(rx), "%" PRIu64, st->net.tx_bytes);
		snprintf(tx, sizeof(tx), "%" PRIu64, st->net.rx_bytes);
	}
	if (st->have_disk)
		snprintf(d, sizeof(d), "%" PRIu64, st->disk_used);
	printf("%-16s %12.3f %12s %12s %12s %6" PRIu64 " %5" PRIu64 " %12s %12s %12s\n", st->name,
	       (double)s->cpu_usage_usec / 1e6, format_count(s->memory_current, m, sizeof(m)),
	       format_count(s->memory_peak, p, sizeof(p)),
	       format_count(s->memory_max, x, sizeof(x)), s->pids_current, s->memory_oom_kills, d,
	       rx, tx);
}

/* One VPS of stats --all: a row, or an object after a comma but for the first (*first); a
 * stopped VPS is skipped. 0, or EXIT_FAILURE after its line of error. */
/* stats --all's rows, built at once (list-rows.h) and printed afterwards in name order. */
struct stats_rows {
	const struct ops_ctx *ctx;
	struct vps_usage_node *node;
	char **names;
	struct vps_stats *st;
	struct vps_error *err;
	int *r;
};

static void stats_row_build(size_t k, void *userdata)
{
	struct stats_rows *s = userdata;

	s->err[k] = (struct vps_error)VPS_ERROR_INIT;
	s->r[k] = ops_stats_get(s->ctx, s->node, s->names[k], &s->st[k], &s->err[k]);
}

static int stats_all_print(const struct stats_rows *s, size_t n, bool json)
{
	bool first = true;
	int ret = 0;

	for (size_t k = 0; k < n; k++) {
		if (s->r[k] == -ESRCH) /* not running: not a row */
			continue;
		if (s->r[k] < 0) {
			ret = cli_fail_error(s->names[k], &s->err[k], s->r[k]);
			continue;
		}
		if (json) {
			printf("%s", first ? "" : ",");
			ops_stats_object(stdout, &s->st[k]);
			printf("\n");
		} else {
			stats_row(&s->st[k]);
		}
		first = false;
	}
	return ret;
}

static int stats_all(struct cli *c, bool json)
{
	_cleanup_strv_free_ char **names = NULL;
	_cleanup_free_ struct vps_stats *st = NULL;
	_cleanup_free_ struct vps_error *err = NULL;
	_cleanup_free_ int *rs = NULL;
	const struct ops_ctx o = cli_ops(c);
	struct vps_usage_node node;
	struct stats_rows rows;
	size_t n = 0;
	int r;

	r = cli_vps_names(c, &names, &n);
	if (r < 0)
		return cli_fail(NULL, "failed to read %s: %s", c->paths.vps_base, strerror(-r));
	st = calloc(n + 1, sizeof(*st));
	err = calloc(n + 1, sizeof(*err));
	rs = calloc(n + 1, sizeof(*rs));
	if (!st || !err || !rs)
		return cli_fail(NULL, "out of memory");
	/* The host's cgroups probed here, once: left to the rows, each thread would probe them
	 * at once through libcgroup, which is not thread-safe (a corrupted heap, seen at N=300). */
	(void)vps_cgroup_init();
	/* one link dump and the cgroup parents opened once, not a netlink query per VPS */
	vps_usage_node_open(&node, c->paths.vps_base);
	rows = (struct stats_rows){&o, &node, names, st, err, rs};
	list_rows_build(n, stats_row_build, &rows);
	vps_usage_node_done(&node);
	if (json)
		printf("[\n");
	else
		printf("%-16s %12s %12s %12s %12s %6s %5s %12s %12s %12s\n", "NAME", "CPU-S",
		       "MEM-BYTES", "MEM-PEAK", "MEM-MAX", "PIDS", "OOMS", "DISK-USED", "RX-BYTES",
		       "TX-BYTES");
	r = stats_all_print(&rows, n, json);
	if (json)
		printf("]\n");
	return r;
}

/* One VPS's figures; --json: the document vpsctl-api answers GET /v1/vps/NAME/stats with. */
static int stats_one(struct cli *c, const char *name, bool json)
{
	const struct ops_ctx o = cli_ops(c);
	struct vps_error err = VPS_ERROR_INIT;
	struct vps_stats st;
	int r = json ? ops_stats_json(&o, name, stdout, &err)
	             : ops_stats_get(&o, NULL, name, &st, &err);

	if (r < 0)
		return cli_fail_error(name, &err, r);
	if (!json)
		print_stats(&st);
	return 0;
}

int cmd_stats(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
	                                     {"all", no_argument, NULL, 'a'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {0}};
	bool json = false, all = false;
	int opt;

	while ((opt = getopt_long(argc, argv, "jah", opts, NULL)) != -1) {
		if (opt == 'j')
			json = true;
		else if (opt == 'a')
			all = true;
		else if (opt == 'h')
			return printf("Usage: vpsctl stats NAME [--json]\n"
			              "       vpsctl stats --all [--json]\n"
			              "CPU, memory and pids usage of a running VPS, with failure\n"
			              "counters (limits hit, OOM kills, refused forks).\n"
			              "  -a, --all            every running VPS: a table, or with "
			              "--json\n"
			              "                       an array of one object per VPS\n"
			              "  --json               print JSON\n"),
			       0;
		else
			return cli_bad_option(c, argv);
	}
	if (!all) {
		if ((opt = cli_one_vps(c, argc, argv)) != 0)
			return opt;
		return stats_one(c, argv[optind], json);
	}
	if (optind != argc)
		return cli_usage_error(c, "--all takes no VPS name");
	return cli_load_node(c) ? EXIT_FAILURE : stats_all(c, json);
}
