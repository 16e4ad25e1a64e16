/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vpsctl list / status */
#include <ctype.h>
#include <dirent.h>
#include <fnmatch.h>
#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "cli.h"
#include "list-usage.h"
#include "parse.h"
#include "state.h"
#include "vps-info.h"

static void format_uptime(uint64_t s, char *buf, size_t len)
{
	if (s >= 86400)
		snprintf(buf, len, "%" PRIu64 "d%02" PRIu64 "h", s / 86400, s % 86400 / 3600);
	else
		snprintf(buf, len, "%02" PRIu64 ":%02" PRIu64 ":%02" PRIu64, s / 3600,
		         s % 3600 / 60, s % 60);
}

/* One field of -o: the runtime columns, or any vps.conf key lower-cased (like vzlist -o). */
static int field_value(const struct cli *c, const struct vps_info *i, const char *f, char *buf,
                       size_t len)
{
	char key[64];

	if (cli_net_field(c, i->cfg.name[0] ? &i->cfg : NULL, f, buf, len) == 0)
		return 0;
	if (strcmp(f, "name") == 0)
		snprintf(buf, len, "%s", i->cfg.name);
	else if (strcmp(f, "state") == 0)
		snprintf(buf, len, "%s", ops_info_state(i));
	else if (strcmp(f, "init_pid") == 0)
		snprintf(buf, len, "%" PRIu64, i->run.rs == VPS_RUNNING ? i->run.st.init_pid : 0);
	else if (strcmp(f, "uptime") == 0)
		format_uptime(i->uptime, buf, len);
	else if (strcmp(f, "boots") == 0)
		snprintf(buf, len, "%" PRIu64, i->run.rs == VPS_STOPPED ? 0 : i->run.st.boots);
	else if (strcmp(f, "last_exit") == 0)
		snprintf(buf, len, "%s", i->run.last_exit[0] ? i->run.last_exit : "-");
	else if (strcmp(f, "cgroup_backend") == 0)
		snprintf(buf, len, "%s", i->run.rs == VPS_STOPPED ? "-" : i->run.st.backend);
	else if (vps_usage_field(&i->use, f, buf, len) == 0)
		;
	else {
		const struct conf_key *k;
		size_t n = 0;

		for (; n < sizeof(key) - 1 && f[n]; n++)
			key[n] = (char)toupper((unsigned char)f[n]);
		key[n] = '\0';
		k = conf_find(vps_config_keys, vps_config_keys_n, key);
		if (!k)
			return -ENOKEY;
		if (vps_error_is_set(&i->cfg_error))
			snprintf(buf, len, "?"); /* not the default: vps.conf did not load */
		else if (conf_format_value(k, &i->cfg, buf, len) < 0 || !buf[0])
			snprintf(buf, len, "-");
	}
	return 0;
}

static const char *const list_states[] = {
	"stopped",   "starting", "stopping", "running", "running-unsupervised",
	"suspended", "frozen",   "broken",   "unknown"};

static bool state_known(const char *state)
{
	for (size_t k = 0; k < ELEMENTSOF(list_states); k++)
		if (strcmp(list_states[k], state) == 0)
			return true;
	return false;
}

/* list -o a,b,c: a table of exactly those fields. */
static int list_fields(struct cli *c, struct vps_list_sel *sel, char **names, size_t n,
                       const char *fields)
{
	const struct ops_ctx o = cli_ops(c);
	char copy[512], *save = NULL, *f[32];
	struct vps_list_rows rows;
	size_t nf = 0;
	int r;

	snprintf(copy, sizeof(copy), "%s", fields);
	for (char *t = strtok_r(copy, ",", &save); t && nf < ELEMENTSOF(f);
	     t = strtok_r(NULL, ",", &save))
		f[nf++] = t;
	for (size_t k = 0; k < nf; k++) {
		struct vps_info probe = {0};
		char v[4096];

		if (field_value(c, &probe, f[k], v, sizeof(v)) < 0)
			return cli_usage_error(c, "unknown field '%.32s' for -o", f[k]);
		if (vps_usage_field(&probe.use, f[k], v, sizeof(v)) == 0)
			sel->usage = true;
	}
	for (size_t k = 0; k < nf; k++) {
		for (char *p = f[k]; *p; p++)
			putchar(toupper((unsigned char)*p));
		putchar(k + 1 < nf ? '\t' : '\n');
	}
	r = ops_list_rows_get(&o, sel, names, n, &rows);
	if (r < 0)
		return cli_fail(NULL, "failed to list: %s", strerror(-r));
	for (size_t j = 0; j < rows.n; j++) {
		if (!rows.shown[j])
			continue;
		for (size_t k = 0; k < nf; k++) {
			char v[4096];

			(void)field_value(c, &rows.row[j], f[k], v, sizeof(v));
			printf("%s%c", v, k + 1 < nf ? '\t' : '\n');
		}
	}
	ops_list_rows_done(&rows);
	return 0;
}

static const char *const run_fields[] = {"name",  "state",     "init_pid",      "uptime",
                                         "boots", "last_exit", "cgroup_backend"};

/* The -o fields for --help: the runtime columns, then every vps.conf key. */
static void print_fields(void)
{
	size_t col = 0;

	size_t nr = ELEMENTSOF(run_fields), nu = vps_usage_fields_n;

	for (size_t k = 0; k < nr + nu + vps_config_keys_n; k++) {
		const char *f = k < nr        ? run_fields[k]
		                : k < nr + nu ? vps_usage_fields[k - nr]
		                              : vps_config_keys[k - nr - nu].name;
		size_t len = strlen(f);

		if (col == 0 || col + len + 1 > 78) {
			printf("%s                       ", col ? "\n" : "");
			col = 23;
		} else {
			putchar(' ');
			col++;
		}
		for (const char *p = f; *p; p++)
			putchar(tolower((unsigned char)*p));
		col += len;
	}
	for (const char *const *f = cli_net_fields(); *f; f++)
		printf("%s%s", f == cli_net_fields() ? "\n                       " : " ", *f);
	printf("\n");
}

static int parse_json_flag(struct cli *c, int argc, char **argv, const char *usage, bool *json,
                           const char **ret_fields, const char **ret_state)
{
	static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
	                                     {"output", required_argument, NULL, 'o'},
	                                     {"state", required_argument, NULL, 'S'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {0}};
	int opt;

	while ((opt = getopt_long(argc, argv, ret_fields ? "jo:S:h" : "jh", opts, NULL)) != -1) {
		if (opt == 'o' && ret_fields)
			*ret_fields = optarg;
		else if (opt == 'S' && ret_state) {
			*ret_state = optarg;
			if (!state_known(optarg))
				return cli_usage_error(c, "unknown state '%.32s' for --state",
				                       optarg),
				       -1;
		} else if (opt == 'j')
			*json = true;
		else if (opt == 'h') {
			static const char json_line[] = "  --json               print JSON";
			static const char *const lines[] = {
				"List the VPSes whose names match a PATTERN (a shell glob), all "
				"without one.",
				json_line,
				"  -S, --state STATE    only those in STATE: stopped, starting, "
				"running,",
				"                       running-unsupervised, suspended, frozen, "
				"broken, unknown",
				"  -o, --output FIELDS  only these columns, comma-separated, of:",
				NULL,
			};
			static const char *const json_only[] = {json_line, NULL};

			cli_print_help(usage, ret_fields ? lines : json_only);
			if (ret_fields)
				print_fields();
			return -2;
		} else
			return cli_bad_option(c, argv), -1;
	}
	return cli_load_node(c) ? -1 : 0;
}

static void print_row(const struct vps_info *i, int width)
{
	char up[32] = "-", mem[48] = "-", disk[48] = "-", rx[24] = "-", tx[24] = "-", cpu[24] = "-";
	char procs[24] = "-", a[24], b[24], addrs[4096] = "-";
	const struct vps_usage *u = &i->use;

	if (i->run.rs == VPS_RUNNING)
		format_uptime(i->uptime, up, sizeof(up));
	if (u->running) {
		(void)vps_usage_field(u, "procs", procs, sizeof(procs));
		(void)vps_usage_field(u, "cpu_pct", cpu, sizeof(cpu));
		snprintf(mem, sizeof(mem), "%s/%s", vps_usage_bytes(u->mem_used, a, sizeof(a)),
		         vps_usage_bytes(u->mem_limit, b, sizeof(b)));
	}
	if (u->have_disk)
		snprintf(disk, sizeof(disk), "%s/%s", vps_usage_bytes(u->disk_used, a, sizeof(a)),
		         vps_usage_bytes(u->disk_size, b, sizeof(b)));
	if (u->have_net) {
		vps_usage_bytes(u->rx_bytes, rx, sizeof(rx));
		vps_usage_bytes(u->tx_bytes, tx, sizeof(tx));
	}
	if (!i->cfg_ok)
		snprintf(addrs, sizeof(addrs), "?");
	else if (i->cfg.ip_address.n > 0)
		(void)netsetup_addr_list_format(&i->cfg.ip_address, addrs, sizeof(addrs));
	printf("%-*s %-10s %5s %5s %-15s %-15s %9s %7s %7s %s\n", width, i->cfg.name,
	       ops_info_state(i), procs, cpu, mem, disk, up, rx, tx, addrs);
}

/* The names of every VPS, in natural order. */
int cli_vps_names(struct cli *c, char ***ret, size_t *ret_n)
{
	const struct ops_ctx o = cli_ops(c);

	return ops_vps_names(&o, ret, ret_n);
}

/* list --json: the document vpsctl-api answers GET /v1/vps with. */
static int list_json(struct cli *c, char **globs, size_t n_globs, const char *state)
{
	const struct ops_ctx o = cli_ops(c);
	struct vps_error err = VPS_ERROR_INIT;
	int r = ops_list_json(&o, globs, n_globs, state, stdout, &err);

	return r < 0 ? cli_fail_error(NULL, &err, r) : 0;
}

int cmd_list(struct cli *c, int argc, char **argv)
{
	const struct ops_ctx o = cli_ops(c);
	_cleanup_strv_free_ char **names = NULL;
	struct vps_list_sel sel = {.run_base = -EBADF, .usage = true};
	struct vps_list_rows rows = {0};
	const char *fields = NULL;
	bool json = false;
	size_t n = 0;
	int width = 4;
	int r = parse_json_flag(c, argc, argv,
	                        "list [PATTERN...] [-S STATE] [--json] [-o FIELD,...]", &json,
	                        &fields, &sel.state);

	if (r < 0)
		return r == -2 ? 0 : EXIT_USAGE;
	sel.globs = argv + optind;
	sel.n_globs = (size_t)(argc - optind);
	if (json && !fields)
		return list_json(c, sel.globs, sel.n_globs, sel.state);
	r = ops_vps_names(&o, &names, &n);
	if (r < 0)
		return cli_fail(NULL, "failed to read %s: %s", c->paths.vps_base, strerror(-r));
	sel.run_base = ops_run_base_open(&o);
	vps_usage_node_open(&sel.node, c->paths.vps_base);
	if (fields) {
		sel.usage = false; /* only if a usage field is asked for */
		r = list_fields(c, &sel, names, n, fields);
	} else {
		for (size_t k = 0; k < n; k++)
			if (ops_list_selected(&sel, names[k]) && (int)strlen(names[k]) > width)
				width = (int)strlen(names[k]);
		printf("%-*s %-10s %5s %5s %-15s %-15s %9s %7s %7s %s\n", width, "NAME", "STATE",
		       "PROCS", "CPU%", "MEMORY", "DISK", "UPTIME", "RX", "TX", "ADDRESS");
		r = ops_list_rows_get(&o, &sel, names, n, &rows);
		if (r < 0)
			r = cli_fail(NULL, "failed to list: %s", strerror(-r));
		for (size_t k = 0; k < rows.n; k++)
			if (rows.shown[k])
				print_row(&rows.row[k], width);
		ops_list_rows_done(&rows);
	}
	vps_usage_node_done(&sel.node);
	closep(&sel.run_base);
	return r;
}

static void print_cpus(const struct vps_info *i)
{
	if (!i->cpus[0])
		return;
	printf("CPUs: %s (%s)\n", i->cpus,
	       i->cpus_auto             ? "pinned automatically, CPU_PINNING=auto"
	       : i->cfg.quota.cpuset[0] ? "--cpuset"
	                                : "every CPU");
}

int cmd_status(struct cli *c, int argc, char **argv)
{
	const struct ops_ctx o = cli_ops(c);
	struct vps_error err = VPS_ERROR_INIT;
	struct vps_info i;
	bool json = false;
	char up[32];
	int r = parse_json_flag(c, argc, argv, "status NAME [--json]", &json, NULL, NULL);

	if (r < 0)
		return r == -2 ? 0 : EXIT_USAGE;
	if (optind + 1 != argc)
		return cli_usage_error(c, "expected exactly one VPS name");
	if (cli_check_name(c, argv[optind]))
		return EXIT_USAGE;
	/* the document vpsctl-api answers GET /v1/vps/NAME with */
	if (json) {
		r = ops_status_json(&o, argv[optind], stdout, &err);
		return r < 0 ? cli_fail_error(argv[optind], &err, r) : 0;
	}
	r = ops_status_get(&o, argv[optind], false, &i, &err);
	if (r < 0)
		return cli_fail_error(argv[optind], &err, r);
	/* A broken vps.conf or state is said, and what runs is still shown: status is how an
	 * operator finds a VPS that runs although its files are damaged. */
	if (!i.cfg_ok)
		cli_fail_error(i.cfg.name, &i.cfg_error, 0);
	format_uptime(i.uptime, up, sizeof(up));
	printf("%s %s", i.cfg.name, ops_info_state(&i));
	if (i.run.rs == VPS_RUNNING)
		printf(" (init pid %" PRIu64 ", up %s, %s cgroups, proc view %s%s)",
		       i.run.st.init_pid, up, i.run.st.backend, i.proc_view,
		       i.suspended ? ", suspended"
		       : i.frozen  ? ", frozen"
		                   : "");
	if (i.run.rs == VPS_STOPPED && i.run.last_exit[0])
		printf(" (last: %s)", i.run.last_exit);
	if (i.run.rs == VPS_UNKNOWN)
		printf(" (state unreadable: %s)", i.run.st.error_text);
	printf("\n");
	print_cpus(&i);
	return i.cfg_ok && i.run.rs != VPS_UNKNOWN ? 0 : EXIT_FAILURE;
}
