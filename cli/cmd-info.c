/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vpsctl list / status */
#include <ctype.h>
#include <dirent.h>
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
#include "frozen.h"
#include "parse.h"
#include "state.h"

struct vps_info {
	struct vps_config cfg;
	bool cfg_ok;
	char cfg_error[256];
	struct vps_run_info run;
	uint64_t uptime;
	bool frozen; /* running, but the host froze it (frozen.h) */
};

/* run_base: the node's run directory, opened once for every VPS listed (-1: none yet). */
static void info_get(struct cli *c, int run_base, const char *name, struct vps_info *i)
{
	memset(i, 0, sizeof(*i));
	i->cfg_ok = vps_config_load(&c->paths, name, &c->node, &i->cfg, i->cfg_error,
				    sizeof(i->cfg_error)) == 0;
	if (!i->cfg_ok)
		snprintf(i->cfg.name, sizeof(i->cfg.name), "%s", name);
	vps_run_info_get(&c->paths, run_base, name, &i->run);
	if (i->run.rs == VPS_RUNNING && i->run.st.started)
		i->uptime = (uint64_t)time(NULL) - i->run.st.started;
	if (i->run.rs == VPS_RUNNING)
		(void)vps_frozen(i->run.st.cgroup_parent[0] ? i->run.st.cgroup_parent :
							      c->node.cgroup_parent,
				 name, &i->frozen);
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
	if (i->frozen)
		return "frozen";
	if (i->run.rs == VPS_RUNNING && !i->run.supervised)
		return "running-unsupervised";
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
	if (!i->cfg_ok) {
		fprintf(f, ",\"error\":");
		json_string(f, i->cfg_error);
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
static int list_names(struct cli *c, char ***ret, size_t *ret_n)
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

	if (cli_net_field(c, i->cfg.name[0] ? i->cfg.name : NULL, f, buf, len) == 0)
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
	else {
		const struct conf_key *k;
		size_t n = 0;

		for (; n < sizeof(key) - 1 && f[n]; n++)
			key[n] = (char)toupper((unsigned char)f[n]);
		key[n] = '\0';
		k = conf_find(vps_config_keys, vps_config_keys_n, key);
		if (!k)
			return -ENOKEY;
		if (i->cfg_error[0])
			snprintf(buf, len, "?"); /* not the default: vps.conf did not load */
		else if (conf_format_value(k, &i->cfg, buf, len) < 0 || !buf[0])
			snprintf(buf, len, "-");
	}
	return 0;
}

/* list -o a,b,c: a table of exactly those fields. */
static int list_fields(struct cli *c, char **names, size_t n, const char *fields)
{
	_cleanup_close_ int run_base = open_run_base(c);
	char copy[512], *save = NULL, *f[32];
	size_t nf = 0;

	snprintf(copy, sizeof(copy), "%s", fields);
	for (char *t = strtok_r(copy, ",", &save); t && nf < ELEMENTSOF(f);
	     t = strtok_r(NULL, ",", &save))
		f[nf++] = t;
	for (size_t k = 0; k < nf; k++) {
		struct vps_info probe = {0};
		char v[4096];

		if (field_value(c, &probe, f[k], v, sizeof(v)) < 0)
			return cli_usage_error(c, "unknown field '%.32s' for -o", f[k]);
	}
	for (size_t k = 0; k < nf; k++) {
		for (char *p = f[k]; *p; p++)
			putchar(toupper((unsigned char)*p));
		putchar(k + 1 < nf ? '\t' : '\n');
	}
	for (size_t j = 0; j < n; j++) {
		struct vps_info i;

		info_get(c, run_base, names[j], &i);
		for (size_t k = 0; k < nf; k++) {
			char v[4096];

			(void)field_value(c, &i, f[k], v, sizeof(v));
			printf("%s%c", v, k + 1 < nf ? '\t' : '\n');
		}
	}
	return 0;
}

static const char *const run_fields[] = {"name", "state", "init_pid", "uptime", "boots",
					  "last_exit", "cgroup_backend"};

/* The -o fields for --help: the runtime columns, then every vps.conf key. */
static void print_fields(void)
{
	size_t col = 0;

	for (size_t k = 0; k < ELEMENTSOF(run_fields) + vps_config_keys_n; k++) {
		const char *f = k < ELEMENTSOF(run_fields) ? run_fields[k]
							   : vps_config_keys[k - ELEMENTSOF(run_fields)].name;
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
			   const char **ret_fields)
{
	static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
					     {"output", required_argument, NULL, 'o'},
					     {"help", no_argument, NULL, 'h'}, {0}};
	int opt;

	while ((opt = getopt_long(argc, argv, ret_fields ? "jo:h" : "jh", opts, NULL)) != -1) {
		if (opt == 'o' && ret_fields)
			*ret_fields = optarg;
		else if (opt == 'j')
			*json = true;
		else if (opt == 'h') {
			static const char json_line[] = "  --json               print JSON";
			static const char *const lines[] = {
				json_line,
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

int cmd_list(struct cli *c, int argc, char **argv)
{
	_cleanup_strv_free_ char **names = NULL;
	_cleanup_close_ int run_base = -EBADF;
	const char *fields = NULL;
	bool json = false;
	size_t n = 0;
	int r = parse_json_flag(c, argc, argv, "list [--json] [-o FIELD,...]", &json, &fields);

	if (r < 0)
		return r == -2 ? 0 : EXIT_USAGE;
	if (optind != argc)
		return cli_usage_error(c, "takes no operands");
	r = list_names(c, &names, &n);
	if (r < 0)
		return cli_fail(NULL, "Failed to read %s: %s", c->paths.vps_base, strerror(-r));
	if (fields)
		return list_fields(c, names, n, fields);
	run_base = open_run_base(c);
	if (json)
		printf("[");
	else
		printf("%-32s %-10s %8s %10s %-16s %s\n", "NAME", "STATE", "INIT-PID", "UPTIME",
		       "TEMPLATE", "LAST-EXIT");
	for (size_t k = 0; k < n; k++) {
		struct vps_info i;
		char up[32] = "-", pid[24] = "-";

		info_get(c, run_base, names[k], &i);
		if (json) {
			if (k)
				printf(",");
			json_info(stdout, &i);
			continue;
		}
		if (i.run.rs == VPS_RUNNING) {
			format_uptime(i.uptime, up, sizeof(up));
			snprintf(pid, sizeof(pid), "%" PRIu64, i.run.st.init_pid);
		}
		printf("%-32s %-10s %8s %10s %-16s %s\n", i.cfg.name, state_text(&i), pid, up,
		       !i.cfg_ok ? "?" : i.cfg.template_name[0] ? i.cfg.template_name : "-",
		       i.run.last_exit[0] ? i.run.last_exit : "-");
	}
	if (json)
		printf("]\n");
	return 0;
}

int cmd_status(struct cli *c, int argc, char **argv)
{
	_cleanup_close_ int run_base = -EBADF;
	struct vps_info i;
	bool json = false;
	char up[32];
	int r = parse_json_flag(c, argc, argv, "status NAME [--json]", &json, NULL);

	if (r < 0)
		return r == -2 ? 0 : EXIT_USAGE;
	if (optind + 1 != argc)
		return cli_usage_error(c, "expected exactly one VPS name");
	if (cli_check_name(c, argv[optind]))
		return EXIT_USAGE;
	run_base = open_run_base(c);
	info_get(c, run_base, argv[optind], &i);
	if (!i.cfg_ok && !vps_exists(c, argv[optind]))
		return cli_fail(argv[optind], "%s", i.cfg_error);
	/* A broken vps.conf or state is said, and what runs is still shown: status is how an
	 * operator finds a VPS that runs although its files are damaged. */
	if (!i.cfg_ok)
		cli_fail(i.cfg.name, "%s", i.cfg_error);
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
		printf(" (init pid %" PRIu64 ", up %s, %s cgroups%s)", i.run.st.init_pid, up,
		       i.run.st.backend, i.frozen ? ", frozen" : "");
	if (i.run.rs == VPS_STOPPED && i.run.last_exit[0])
		printf(" (last: %s)", i.run.last_exit);
	if (i.run.rs == VPS_UNKNOWN)
		printf(" (state unreadable: %s)", i.run.st.error_text);
	printf("\n");
	return i.cfg_ok && i.run.rs != VPS_UNKNOWN ? 0 : EXIT_FAILURE;
}

int cli_vps_names(struct cli *c, char ***ret, size_t *ret_n)
{
	return list_names(c, ret, ret_n);
}
