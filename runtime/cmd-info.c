/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vpsctl list / status */
#include <ctype.h>
#include <dirent.h>
#include <stddef.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "cli.h"
#include "parse.h"
#include "state.h"

struct vps_info {
	struct vps_config cfg;
	bool cfg_ok;
	struct vps_state st;
	enum vps_run_state rs;
	bool supervised;
	char last_exit[160];
	uint64_t uptime;
};

static void info_get(struct cli *c, const char *name, struct vps_info *i)
{
	char err[256];

	memset(i, 0, sizeof(*i));
	i->cfg_ok = vps_config_load(&c->paths, name, &c->node, &i->cfg, err, sizeof(err)) == 0;
	if (!i->cfg_ok)
		snprintf(i->cfg.name, sizeof(i->cfg.name), "%s", name);
	i->rs = vps_run_state_get(&c->paths, name, &i->st);
	i->supervised = vps_process_alive(i->st.supervisor_pid, i->st.supervisor_start);
	(void)vps_exit_read(&c->paths, name, i->last_exit, sizeof(i->last_exit));
	if (i->rs == VPS_RUNNING && i->st.started)
		i->uptime = (uint64_t)time(NULL) - i->st.started;
}

static const char *state_text(const struct vps_info *i)
{
	if (!i->cfg_ok)
		return "broken";
	if (i->rs == VPS_RUNNING && !i->supervised)
		return "running-unsupervised";
	return vps_run_state_to_string(i->rs);
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
	char v[64];

	fprintf(f, "{\"name\":");
	json_string(f, i->cfg.name);
	fprintf(f, ",\"state\":");
	json_string(f, state_text(i));
	fprintf(f, ",\"init_pid\":%" PRIu64 ",\"supervisor_pid\":%" PRIu64,
		i->rs == VPS_RUNNING ? i->st.init_pid : 0,
		i->supervised ? i->st.supervisor_pid : 0);
	fprintf(f, ",\"uptime\":%" PRIu64 ",\"boots\":%" PRIu64, i->uptime,
		i->rs == VPS_STOPPED ? 0 : i->st.boots);
	fprintf(f, ",\"template\":");
	json_string(f, i->cfg.template_name);
	fprintf(f, ",\"hostname\":");
	json_string(f, i->cfg.hostname);
	fprintf(f, ",\"last_exit\":");
	json_string(f, i->last_exit);
	fprintf(f, ",\"cgroup_backend\":");
	json_string(f, i->rs == VPS_STOPPED ? "" : i->st.backend);
	fprintf(f, ",\"onboot\":%s", i->cfg.onboot ? "true" : "false");
	for (size_t k = 0; k < vps_config_keys_n; k++) {
		const struct conf_key *key = &vps_config_keys[k];

		if (key->offset < offsetof(struct vps_config, quota))
			continue;
		conf_format_value(key, &i->cfg, v, sizeof(v));
		fprintf(f, ",\"");
		for (const char *p = key->name; *p; p++)
			fputc(tolower((unsigned char)*p), f);
		fprintf(f, "\":");
		json_string(f, v);
	}
	fputc('}', f);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names of every VPS, sorted. */
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

static int parse_json_flag(struct cli *c, int argc, char **argv, const char *usage, bool *json)
{
	static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
					     {"help", no_argument, NULL, 'h'}, {0}};
	int opt;

	while ((opt = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		if (opt == 'j')
			*json = true;
		else if (opt == 'h') {
			cli_print_help(usage, NULL);
			return -2;
		} else
			return cli_bad_option(c, argv), -1;
	}
	return cli_load_node(c) ? -1 : 0;
}

int cmd_list(struct cli *c, int argc, char **argv)
{
	_cleanup_strv_free_ char **names = NULL;
	bool json = false;
	size_t n = 0;
	int r = parse_json_flag(c, argc, argv, "list [--json]", &json);

	if (r < 0)
		return r == -2 ? 0 : EXIT_USAGE;
	if (optind != argc)
		return cli_usage_error(c, "takes no operands");
	r = list_names(c, &names, &n);
	if (r < 0)
		return cli_fail(NULL, "Failed to read %s: %s", c->paths.vps_base, strerror(-r));
	if (json)
		printf("[");
	else
		printf("%-32s %-10s %8s %10s %-16s %s\n", "NAME", "STATE", "INIT-PID", "UPTIME",
		       "TEMPLATE", "LAST-EXIT");
	for (size_t k = 0; k < n; k++) {
		struct vps_info i;
		char up[32] = "-", pid[24] = "-";

		info_get(c, names[k], &i);
		if (json) {
			if (k)
				printf(",");
			json_info(stdout, &i);
			continue;
		}
		if (i.rs == VPS_RUNNING) {
			format_uptime(i.uptime, up, sizeof(up));
			snprintf(pid, sizeof(pid), "%" PRIu64, i.st.init_pid);
		}
		printf("%-32s %-10s %8s %10s %-16s %s\n", i.cfg.name, state_text(&i), pid, up,
		       i.cfg.template_name[0] ? i.cfg.template_name : "-",
		       i.last_exit[0] ? i.last_exit : "-");
	}
	if (json)
		printf("]\n");
	return 0;
}

int cmd_status(struct cli *c, int argc, char **argv)
{
	struct vps_info i;
	bool json = false;
	char up[32];
	int r = parse_json_flag(c, argc, argv, "status NAME [--json]", &json);

	if (r < 0)
		return r == -2 ? 0 : EXIT_USAGE;
	if (optind + 1 != argc)
		return cli_usage_error(c, "expected exactly one VPS name");
	if (cli_check_name(c, argv[optind]))
		return EXIT_USAGE;
	if (cli_load_vps(c, argv[optind], &i.cfg) < 0)
		return EXIT_FAILURE;
	info_get(c, argv[optind], &i);
	if (json) {
		json_info(stdout, &i);
		printf("\n");
		return 0;
	}
	format_uptime(i.uptime, up, sizeof(up));
	printf("%s %s", i.cfg.name, state_text(&i));
	if (i.rs == VPS_RUNNING)
		printf(" (init pid %" PRIu64 ", up %s, %s cgroups)", i.st.init_pid, up, i.st.backend);
	if (i.rs == VPS_STOPPED && i.last_exit[0])
		printf(" (last: %s)", i.last_exit);
	printf("\n");
	return 0;
}
