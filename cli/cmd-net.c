/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vpsctl net: check (and repair) the node-side plumbing of running VPSes; metered traffic. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "cli.h"
#include "counters.h"
#include "netcheck.h"
#include "network.h"
#include "state.h"

static const char *const net_help[] = {
	"The network of running VPSes as the node holds it.",
	"",
	"  check [NAME...] [--repair] [--json]",
	"      compare every running VPS's node-side plumbing (bridge, veth, routes, proxy",
	"      ARP/NDP entries, anti-spoofing filter, bandwidth cap, node-services filter)",
	"      with its vps.conf: one line per discrepancy; exit status 1 if any remains.",
	"      Without NAME the node too (proxy entries no running VPS holds).",
	"      --repair re-makes what is missing or wrong, then checks again",
	"  reset-counters NAME",
	"      start a new metering period: the traffic counters of stats and list -o",
	"      (net_rx_bytes...) start from zero now",
	NULL,
};

struct check_out {
	bool json;
	size_t n; /* lines printed */
};

static void print_problem(const char *name, const char *what, void *userdata)
{
	struct check_out *o = userdata;

	if (o->json) {
		printf("%s{\"name\":", o->n ? "," : "");
		json_string(stdout, name ? name : "");
		printf(",\"problem\":");
		json_string(stdout, what);
		printf("}");
	} else {
		printf("%s: %s\n", name ? name : "node", what);
	}
	o->n++;
}

/* One VPS: 0 when its plumbing matches (after a repair, if asked), 1 if not, or -errno. */
static int check_one(struct cli *c, const char *name, bool repair, struct check_out *o)
{
	_cleanup_close_ int lock = -EBADF;
	struct vps_config cfg;
	struct vps_state st;
	struct vps_error err = VPS_ERROR_INIT;
	int r;

	if (repair) {
		lock = cli_lock(c, name); /* not while a resize or a reboot changes it */
		if (lock < 0)
			return -EBUSY;
	}
	if (cli_load_vps(c, name, &cfg) < 0)
		return -EBADMSG;
	if (vps_run_state_get(&c->paths, name, &st) != VPS_RUNNING || st.init_pid == 0)
		return 0; /* a stopped VPS has no plumbing */
	r = vps_net_check(&cfg, &c->node, (pid_t)st.init_pid, repair ? NULL : print_problem, o);
	if (r <= 0 || !repair)
		return r < 0 ? r : r > 0;
	r = vps_net_repair(&c->paths, &cfg, &c->node, (pid_t)st.init_pid, &err);
	if (r < 0 && !o->json)
		fprintf(stderr, "vpsctl: %s: repair failed: %s\n", name,
		        vps_error_message(&err, r));
	r = vps_net_check(&cfg, &c->node, (pid_t)st.init_pid, print_problem, o);
	if (r == 0 && !o->json)
		printf("%s: repaired\n", name);
	return r < 0 ? r : r > 0;
}

static int net_check(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {{"repair", no_argument, NULL, 'r'},
	                                     {"json", no_argument, NULL, 'j'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {0}};
	_cleanup_strv_free_ char **all = NULL;
	struct check_out o = {0};
	bool repair = false, bad = false;
	char **names;
	size_t n = 0;
	int opt, r;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (opt == 'r')
			repair = true;
		else if (opt == 'j')
			o.json = true;
		else if (opt == 'h')
			return cli_print_help("net check [NAME...] [--repair] [--json]", net_help),
			       0;
		else
			return cli_bad_option(c, argv);
	}
	for (int i = optind; i < argc; i++)
		if (cli_check_name(c, argv[i]))
			return EXIT_USAGE;
	if (cli_load_node(c))
		return EXIT_FAILURE;
	names = argv + optind;
	n = (size_t)(argc - optind);
	if (n == 0) {
		r = cli_vps_names(c, &all, &n);
		if (r < 0)
			return cli_fail(NULL, "failed to list VPSes: %s", strerror(-r));
		names = all;
	}
	if (o.json)
		printf("{\"problems\":[");
	for (size_t i = 0; i < n; i++)
		bad |= check_one(c, names[i], repair, &o) != 0;
	if (argc == optind) {
		/* a repair removes them; what is reported is what it found */
		r = vps_net_check_node(&c->paths, &c->node, repair, print_problem, &o);
		bad |= r < 0 || (r > 0 && !repair);
	}
	if (o.json)
		printf("],\"ok\":%s}\n", bad ? "false" : "true");
	return bad ? EXIT_FAILURE : 0;
}

static int reset_counters(struct cli *c, int argc, char **argv)
{
	_cleanup_close_ int lock = -EBADF;
	struct vps_config cfg;
	int r;

	if (argc - optind != 1)
		return cli_usage_error(c, "net reset-counters: expected exactly one VPS name");
	if (cli_check_name(c, argv[optind]) || cli_load_node(c))
		return EXIT_FAILURE;
	lock = cli_lock(c, argv[optind]);
	if (lock < 0 || cli_load_vps(c, argv[optind], &cfg) < 0)
		return EXIT_FAILURE;
	r = vps_counters_reset(&c->paths, cfg.name);
	if (r < 0)
		return cli_fail(cfg.name, "failed to reset its traffic counters: %s", strerror(-r));
	return 0;
}

int cmd_net(struct cli *c, int argc, char **argv)
{
	const char *sub;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		cli_print_help("net check|reset-counters ...", net_help);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	sub = argv[1];
	argc--;
	argv++;
	optind = 1;
	if (strcmp(sub, "check") == 0)
		return net_check(c, argc, argv);
	if (strcmp(sub, "reset-counters") == 0)
		return reset_counters(c, argc, argv);
	return cli_usage_error(c, "unknown net command '%.32s': check or reset-counters", sub);
}

/* list -o's metering fields. */
static const char *const net_fields[] = {"net_rx_bytes",   "net_tx_bytes",     "net_rx_packets",
                                         "net_tx_packets", "net_period_start", NULL};

const char *const *cli_net_fields(void)
{
	return net_fields;
}

int cli_net_field(const struct cli *c, const struct vps_config *cfg, const char *field, char *buf,
                  size_t len)
{
	struct vps_counters m;
	size_t k = 0;
	uint64_t v;

	while (net_fields[k] && strcmp(net_fields[k], field) != 0)
		k++;
	if (!net_fields[k])
		return -ENOKEY;
	/* a VPS without an interface has no traffic to meter: "-", as in the RX and TX columns */
	if (!cfg || cfg->ip_address.n == 0 || vps_counters_read(&c->paths, cfg->name, &m) < 0) {
		snprintf(buf, len, "-");
		return 0;
	}
	v = k == 0   ? m.rx_bytes
	    : k == 1 ? m.tx_bytes
	    : k == 2 ? m.rx_packets
	    : k == 3 ? m.tx_packets
	             : m.period_start;
	snprintf(buf, len, "%" PRIu64, v);
	return 0;
}
