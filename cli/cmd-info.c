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
#include "counters.h"
#include "cpu-pinning.h"
#include "cli.h"
#include "migrate.h"
#include "cgroup.h"
#include "list-rows.h"
#include "list-usage.h"
#include "procview.h"
#include "parse.h"
#include "state.h"
#include "suspend.h"

struct vps_info {
	struct vps_config cfg;
	bool cfg_ok;
	struct vps_error cfg_error;
	struct vps_run_info run;
	uint64_t uptime;
	bool frozen;    /* running, but the host froze it (frozen.h) */
	bool suspended; /* frozen by `vpsctl suspend` */
	bool migrating; /* a migration's marker (migrate.h): it is moving, in or out */
	uint64_t suspended_since;
	struct vps_usage use;      /* usage_get() */
	const char *proc_view;     /* status only (a probe per VPS): procview.h */
	char cpus[VPS_CPUSET_MAX]; /* status only: the effective cpuset; "" = unknown */
	bool cpus_auto;            /* ... chosen by CPU_PINNING=auto */
};

/* Which VPSes list shows: those matching a name glob (any, when none is given) and in state
 * (NULL: any); with what it reads once for all of them. */
struct list_sel {
	char **globs;
	size_t n_globs;
	const char *state;
	int run_base;
	bool usage;                 /* read the usage columns */
	struct vps_usage_node node; /* what is read once for every row */
};

static const struct vps_cgroup_parent *list_cgp(struct list_sel *s, const char *path)
{
	return s ? vps_usage_node_cgroup(&s->node, path) : NULL;
}

static const char *cgroup_parent_of(const struct cli *c, const struct vps_info *i)
{
	return i->run.st.cgroup_parent[0] ? i->run.st.cgroup_parent : c->node.cgroup_parent;
}

/* The usage columns of a VPS info_get() read, with what s read once (the node's veths). */
static void usage_get(const struct cli *c, struct list_sel *s, struct vps_info *i)
{
	const char *parent = cgroup_parent_of(c, i);
	struct vps_counters m;
	char dir[PATH_MAX];

	vps_usage_get(&i->cfg, i->run.rs == VPS_RUNNING ? i->run.st.init_pid : 0, i->uptime, parent,
	              list_cgp(s, parent), vps_usage_node_links(&s->node), &i->use);
	if (i->cfg_ok && vps_path(&c->paths, i->cfg.name, NULL, dir, sizeof(dir)) == 0)
		vps_usage_disk(dir, &i->cfg, i->run.rs == VPS_RUNNING ? i->run.st.init_pid : 0,
		               &i->use);
	/* traffic is the metered period's (net/counters.h), the figure a bill uses, not only
	 * what the live veth counted since the last boot */
	if (i->use.have_net &&
	    vps_usage_node_counters_of(&s->node, &c->paths, i->cfg.name, i->use.link, &m) == 0) {
		i->use.rx_bytes = m.rx_bytes;
		i->use.tx_bytes = m.tx_bytes;
	}
}

static void frozen_get(const struct cli *c, struct list_sel *s, struct vps_info *i)
{
	_cleanup_vps_cgroup_ struct vps_cgroup *cg = NULL;
	const char *parent = cgroup_parent_of(c, i);
	const struct vps_cgroup_parent *p = list_cgp(s, parent);

	if ((p ? vps_cgroup_new_at(p, i->cfg.name, &cg)
	       : vps_cgroup_new(parent, i->cfg.name, &cg)) == 0)
		(void)vps_cgroup_frozen(cg, &i->frozen);
}

/* run_base: the node's run directory, opened once for every VPS listed (-1: none yet); s: what
 * a list opened once (NULL: status). */
static void info_get(const struct cli *c, int run_base, struct list_sel *s, const char *name,
                     struct vps_info *i)
{
	memset(i, 0, sizeof(*i));
	i->cfg_ok = vps_config_load_at(&c->paths, s ? s->node.vps_base : -EBADF, name, &c->node,
	                               &i->cfg, &i->cfg_error) == 0;
	if (!i->cfg_ok)
		snprintf(i->cfg.name, sizeof(i->cfg.name), "%s", name);
	vps_run_info_get(&c->paths, run_base, name, &i->run);
	if (i->run.rs == VPS_RUNNING && i->run.st.started)
		i->uptime = (uint64_t)time(NULL) - i->run.st.started;
	if (i->run.rs == VPS_RUNNING)
		frozen_get(c, s, i);
	if (i->frozen)
		i->suspended =
			vps_suspended(&c->paths, name, i->run.st.init_start, &i->suspended_since);
	{
		struct migrate_marker m;

		i->migrating = (s && s->node.vps_base >= 0
		                        ? migrate_marker_read_at(s->node.vps_base, name, &m)
		                        : migrate_marker_read(c, name, &m)) != -ENOENT;
	}
}

static bool vps_exists(const struct cli *c, const char *name)
{
	char path[PATH_MAX];

	return vps_path(&c->paths, name, NULL, path, sizeof(path)) == 0 && access(path, F_OK) == 0;
}

static int open_run_base(const struct cli *c)
{
	return open(c->paths.run_base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static const char *state_text(const struct vps_info *i)
{
	if (!i->cfg_ok)
		return "broken";
	if (i->migrating)
		return "migrating";
	if (i->suspended)
		return "suspended";
	if (i->frozen)
		return "frozen";
	if (i->run.rs == VPS_RUNNING && !i->run.supervised)
		return "running-unsupervised";
	if (i->run.rs == VPS_TRANSITION && i->run.stopping)
		return "stopping";
	return vps_run_state_to_string(i->run.rs);
}

static void format_uptime(uint64_t s, char *buf, size_t len)
{
	if (s >= 86400)
		snprintf(buf, len, "%" PRIu64 "d%02" PRIu64 "h", s / 86400, s % 86400 / 3600);
	else
		snprintf(buf, len, "%02" PRIu64 ":%02" PRIu64 ":%02" PRIu64, s / 3600,
		         s % 3600 / 60, s % 60);
}

static void json_info(FILE *f, const struct vps_info *i)
{
	char v[4096]; /* a full address list */

	fprintf(f, "{\"name\":");
	json_string(f, i->cfg.name);
	fprintf(f, ",\"state\":");
	json_string(f, state_text(i));
	fprintf(f, ",\"frozen\":%s", i->frozen ? "true" : "false");
	fprintf(f, ",\"suspended\":%s,\"suspended_since\":%" PRIu64,
	        i->suspended ? "true" : "false", i->suspended ? i->suspended_since : 0);
	fprintf(f, ",\"init_pid\":%" PRIu64 ",\"supervisor_pid\":%" PRIu64,
	        i->run.rs == VPS_RUNNING ? i->run.st.init_pid : 0,
	        i->run.supervised ? i->run.st.supervisor_pid : 0);
	fprintf(f, ",\"uptime\":%" PRIu64 ",\"boots\":%" PRIu64, i->uptime,
	        i->run.rs == VPS_STOPPED ? 0 : i->run.st.boots);
	fprintf(f, ",\"template\":");
	json_string(f, i->cfg.template_name);
	fprintf(f, ",\"hostname\":");
	json_string(f, i->cfg.hostname);
	fprintf(f, ",\"last_exit\":");
	json_string(f, i->run.last_exit);
	fprintf(f, ",\"cgroup_backend\":");
	json_string(f, i->run.rs == VPS_STOPPED ? "" : i->run.st.backend);
	fprintf(f, ",\"onboot\":%s", i->cfg.onboot ? "true" : "false");
	fprintf(f,
	        ",\"procs\":%" PRIu64 ",\"cpu_usec\":%" PRIu64 ",\"cpu_permille\":%" PRIu64
	        ",\"memory_used\":%" PRIu64 ",\"memory_limit\":%" PRIu64 ",\"disk_used\":%" PRIu64
	        ",\"disk_size\":%" PRIu64 ",\"net_rx_bytes\":%" PRIu64 ",\"net_tx_bytes\":%" PRIu64,
	        i->use.tasks, i->use.cpu_usec, i->use.cpu_permille, i->use.mem_used,
	        i->use.running ? i->use.mem_limit : 0, i->use.disk_used, i->use.disk_size,
	        i->use.rx_bytes, i->use.tx_bytes);
	fprintf(f, ",\"disk_inodes_used\":%" PRIu64 ",\"disk_inodes_limit\":%" PRIu64,
	        i->use.disk_inodes_used, i->use.disk_inodes);
	if (i->proc_view) {
		fprintf(f, ",\"proc_view\":");
		json_string(f, i->proc_view);
		fprintf(f, ",\"cpuset_effective\":");
		json_string(f, i->cpus);
		fprintf(f, ",\"cpuset_auto\":%s", i->cpus_auto ? "true" : "false");
	}
	if (!i->cfg_ok) {
		fprintf(f, ",\"error\":");
		json_string(f, i->cfg_error.msg);
	}
	for (size_t k = 0; k < vps_config_keys_n; k++) {
		const struct conf_key *key = &vps_config_keys[k];

		if (key->offset < offsetof(struct vps_config, quota))
			continue;
		if (i->cfg_ok)
			conf_format_value(key, &i->cfg, v, sizeof(v));
		else
			snprintf(v, sizeof(v), "?"); /* unknown, not the default */
		fprintf(f, ",\"");
		for (const char *p = key->name; *p; p++)
			fputc(tolower((unsigned char)*p), f);
		fprintf(f, "\":");
		json_string(f, v);
	}
	fputc('}', f);
}

/* Natural order: bb1, bb2, bb10 (digit runs compare as numbers). */
static int cmp_str(const void *a, const void *b)
{
	return strverscmp(*(char *const *)a, *(char *const *)b);
}

/* The names of every VPS, in natural order. */
int cli_vps_names(struct cli *c, char ***ret, size_t *ret_n)
{
	_cleanup_closedir_ DIR *d = opendir(c->paths.vps_base);
	_cleanup_strv_free_ char **names = NULL;
	size_t n = 0;
	struct dirent *de;

	if (!d && errno != ENOENT)
		return -errno;
	while (d && (de = readdir(d))) {
		char **nn;

		if (!name_is_valid(de->d_name))
			continue; /* ".", "..", and ".NAME.new" of an unfinished create */
		nn = realloc(names, (n + 2) * sizeof(char *));
		if (!nn)
			return -ENOMEM;
		names = nn;
		names[n] = strdup(de->d_name);
		if (!names[n])
			return -ENOMEM;
		names[++n] = NULL;
	}
	if (n)
		qsort(names, n, sizeof(char *), cmp_str);
	*ret = TAKE_PTR(names);
	*ret_n = n;
	return 0;
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
		snprintf(buf, len, "%s", state_text(i));
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

static bool name_selected(const struct list_sel *s, const char *name)
{
	for (size_t k = 0; k < s->n_globs; k++)
		if (fnmatch(s->globs[k], name, 0) == 0)
			return true;
	return s->n_globs == 0;
}

/* The rows of a list: one slot per selected name, in the names' order. */
struct list_rows {
	const struct cli *c;
	struct list_sel *sel;
	char **names; /* those name_selected() keeps */
	size_t n;
	struct vps_info *row; /* n */
	bool *shown;          /* n: in the state asked for */
};

/* info_get() and usage_get() of row k (list_rows_build: maybe on another thread). */
static void row_build(size_t k, void *userdata)
{
	struct list_rows *l = userdata;
	struct vps_info *i = &l->row[k];

	info_get(l->c, l->sel->run_base, l->sel, l->names[k], i);
	l->shown[k] = !l->sel->state || strcmp(state_text(i), l->sel->state) == 0;
	if (l->shown[k] && l->sel->usage)
		usage_get(l->c, l->sel, i);
}

static void list_rows_done(struct list_rows *l)
{
	free(l->names);
	free(l->row);
	free(l->shown);
	*l = (struct list_rows){0};
}

/* Every row the selection keeps, built at once (in parallel for many) so that the output is
 * printed in the names' order afterwards. */
static int list_rows_get(const struct cli *c, struct list_sel *s, char **names, size_t n,
                         struct list_rows *ret)
{
	*ret = (struct list_rows){.c = c, .sel = s};
	ret->names = calloc(n + 1, sizeof(*ret->names));
	ret->row = calloc(n + 1, sizeof(*ret->row));
	ret->shown = calloc(n + 1, sizeof(*ret->shown));
	if (!ret->names || !ret->row || !ret->shown) {
		list_rows_done(ret);
		return -ENOMEM;
	}
	for (size_t k = 0; k < n; k++)
		if (name_selected(s, names[k]))
			ret->names[ret->n++] = names[k];
	/* what every row shares, made here before any thread reads it: the link dump (no traffic
	 * columns rather than no list without netlink access) and the node's cgroup parent */
	if (s->usage)
		(void)vps_usage_node_links(&s->node);
	if (list_cgp(s, c->node.cgroup_parent))
		list_rows_build(ret->n, row_build, ret);
	else /* the host's cgroups unprobed (a failed probe is tried again by each row): one thread
	      */
		for (size_t k = 0; k < ret->n; k++)
			row_build(k, ret);
	return 0;
}

/* list -o a,b,c: a table of exactly those fields. */
static int list_fields(struct cli *c, struct list_sel *sel, char **names, size_t n,
                       const char *fields)
{
	char copy[512], *save = NULL, *f[32];
	struct list_rows rows;
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
	r = list_rows_get(c, sel, names, n, &rows);
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
	list_rows_done(&rows);
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
	printf("%-*s %-10s %5s %5s %-15s %-15s %9s %7s %7s %s\n", width, i->cfg.name, state_text(i),
	       procs, cpu, mem, disk, up, rx, tx, addrs);
}

int cmd_list(struct cli *c, int argc, char **argv)
{
	_cleanup_strv_free_ char **names = NULL;
	struct list_sel sel = {.run_base = -EBADF, .usage = true};
	struct list_rows rows = {0};
	const char *fields = NULL;
	bool json = false, first = true;
	size_t n = 0;
	int width = 4;
	int r = parse_json_flag(c, argc, argv,
	                        "list [PATTERN...] [-S STATE] [--json] [-o FIELD,...]", &json,
	                        &fields, &sel.state);

	if (r < 0)
		return r == -2 ? 0 : EXIT_USAGE;
	sel.globs = argv + optind;
	sel.n_globs = (size_t)(argc - optind);
	r = cli_vps_names(c, &names, &n);
	if (r < 0)
		return cli_fail(NULL, "failed to read %s: %s", c->paths.vps_base, strerror(-r));
	sel.run_base = open_run_base(c);
	vps_usage_node_open(&sel.node, c->paths.vps_base);
	if (fields) {
		sel.usage = false; /* only if a usage field is asked for */
		r = list_fields(c, &sel, names, n, fields);
	} else {
		for (size_t k = 0; k < n; k++)
			if (name_selected(&sel, names[k]) && (int)strlen(names[k]) > width)
				width = (int)strlen(names[k]);
		if (json)
			printf("[");
		else
			printf("%-*s %-10s %5s %5s %-15s %-15s %9s %7s %7s %s\n", width, "NAME",
			       "STATE", "PROCS", "CPU%", "MEMORY", "DISK", "UPTIME", "RX", "TX",
			       "ADDRESS");
		r = list_rows_get(c, &sel, names, n, &rows);
		if (r < 0)
			r = cli_fail(NULL, "failed to list: %s", strerror(-r));
		for (size_t k = 0; k < rows.n; k++) {
			if (!rows.shown[k])
				continue;
			if (!json) {
				print_row(&rows.row[k], width);
				continue;
			}
			printf("%s", first ? "" : ",");
			first = false;
			json_info(stdout, &rows.row[k]);
		}
		if (json)
			printf("]\n");
		list_rows_done(&rows);
	}
	vps_usage_node_done(&sel.node);
	closep(&sel.run_base);
	return r;
}

/* The CPUs of a running VPS, and whether CPU_PINNING=auto chose them (cpu-pinning.h). */
static void cpus_get(struct cli *c, struct vps_info *i)
{
	_cleanup_vps_cgroup_ struct vps_cgroup *cg = NULL;
	bool partial = false;

	if (i->run.rs != VPS_RUNNING ||
	    vps_cgroup_new(cgroup_parent_of(c, i), i->cfg.name, &cg) < 0 ||
	    vps_cpu_pin_effective(cg, i->cpus, sizeof(i->cpus), &partial) < 0) {
		i->cpus[0] = '\0';
		return;
	}
	i->cpus_auto = partial && i->cfg_ok && vps_cpu_pin_applies(&c->node, &i->cfg);
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
	_cleanup_close_ int run_base = -EBADF;
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
	run_base = open_run_base(c);
	info_get(c, run_base, NULL, argv[optind], &i);
	i.proc_view = i.run.rs == VPS_RUNNING ? procview_state((pid_t)i.run.st.init_pid) : "off";
	cpus_get(c, &i);
	if (!i.cfg_ok && !vps_exists(c, argv[optind]))
		return cli_fail_error(argv[optind], &i.cfg_error, 0);
	if (json) {
		struct list_sel one = {.run_base = -EBADF};

		vps_usage_node_open(&one.node, NULL);
		usage_get(c, &one, &i);
		vps_usage_node_done(&one.node);
	}
	/* A broken vps.conf or state is said, and what runs is still shown: status is how an
	 * operator finds a VPS that runs although its files are damaged. */
	if (!i.cfg_ok)
		cli_fail_error(i.cfg.name, &i.cfg_error, 0);
	if (json) {
		if (i.run.rs == VPS_UNKNOWN)
			cli_fail(i.cfg.name, "state unreadable: %s", i.run.st.error_text);
		json_info(stdout, &i);
		printf("\n");
		return i.cfg_ok && i.run.rs != VPS_UNKNOWN ? 0 : EXIT_FAILURE;
	}
	format_uptime(i.uptime, up, sizeof(up));
	printf("%s %s", i.cfg.name, state_text(&i));
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
