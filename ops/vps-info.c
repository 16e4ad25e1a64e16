/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "cleanup.h"
#include "counters.h"
#include "cpu-pinning.h"
#include "list-rows.h"
#include "marker.h"
#include "parse.h"
#include "procview.h"
#include "suspend.h"
#include "vps-info.h"

static const struct vps_cgroup_parent *list_cgp(struct vps_list_sel *s, const char *path)
{
	return s ? vps_usage_node_cgroup(&s->node, path) : NULL;
}

static const char *cgroup_parent_of(const struct ops_ctx *c, const struct vps_info *i)
{
	return i->run.st.cgroup_parent[0] ? i->run.st.cgroup_parent : c->node->cgroup_parent;
}

/* The usage columns of a VPS ops_info_get() read, with what s read once (the node's veths). */
void ops_info_usage(const struct ops_ctx *c, struct vps_list_sel *s, struct vps_info *i)
{
	const char *parent = cgroup_parent_of(c, i);
	struct vps_counters m;
	char dir[PATH_MAX];

	vps_usage_get(&i->cfg, i->run.rs == VPS_RUNNING ? i->run.st.init_pid : 0, i->uptime, parent,
	              list_cgp(s, parent), vps_usage_node_links(&s->node), &i->use);
	if (i->cfg_ok && vps_path(c->paths, i->cfg.name, NULL, dir, sizeof(dir)) == 0)
		vps_usage_disk(dir, &i->cfg, i->run.rs == VPS_RUNNING ? i->run.st.init_pid : 0,
		               &i->use);
	/* traffic is the metered period's (net/counters.h), the figure a bill uses, not only
	 * what the live veth counted since the last boot */
	if (i->use.have_net &&
	    vps_usage_node_counters_of(&s->node, c->paths, i->cfg.name, i->use.link, &m) == 0) {
		i->use.rx_bytes = m.rx_bytes;
		i->use.tx_bytes = m.tx_bytes;
	}
}

static void frozen_get(const struct ops_ctx *c, struct vps_list_sel *s, struct vps_info *i)
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
void ops_info_get(const struct ops_ctx *c, int run_base, struct vps_list_sel *s, const char *name,
                  struct vps_info *i)
{
	memset(i, 0, sizeof(*i));
	i->cfg_ok = vps_config_load_at(c->paths, s ? s->node.vps_base : -EBADF, name, c->node,
	                               &i->cfg, &i->cfg_error) == 0;
	if (!i->cfg_ok)
		snprintf(i->cfg.name, sizeof(i->cfg.name), "%s", name);
	vps_run_info_get(c->paths, run_base, name, &i->run);
	if (i->run.rs == VPS_RUNNING && i->run.st.started)
		i->uptime = (uint64_t)time(NULL) - i->run.st.started;
	if (i->run.rs == VPS_RUNNING)
		frozen_get(c, s, i);
	if (i->frozen)
		i->suspended =
			vps_suspended(c->paths, name, i->run.st.init_start, &i->suspended_since);
	{
		struct migrate_marker m;

		i->migrating = (s && s->node.vps_base >= 0
		                        ? ops_marker_read_at(s->node.vps_base, name, &m)
		                        : ops_marker_read(c->paths, name, &m)) != -ENOENT;
	}
}

bool ops_vps_exists(const struct ops_ctx *c, const char *name)
{
	char path[PATH_MAX];

	return vps_path(c->paths, name, NULL, path, sizeof(path)) == 0 && access(path, F_OK) == 0;
}

int ops_run_base_open(const struct ops_ctx *c)
{
	return open(c->paths->run_base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

const char *ops_info_state(const struct vps_info *i)
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
	return vps_run_info_state(&i->run);
}

void ops_info_json(FILE *f, const struct vps_info *i)
{
	char v[4096]; /* a full address list */

	fprintf(f, "{\"name\":");
	ops_json_string(f, i->cfg.name);
	fprintf(f, ",\"state\":");
	ops_json_string(f, ops_info_state(i));
	fprintf(f, ",\"frozen\":%s", i->frozen ? "true" : "false");
	fprintf(f, ",\"suspended\":%s,\"suspended_since\":%" PRIu64,
	        i->suspended ? "true" : "false", i->suspended ? i->suspended_since : 0);
	fprintf(f, ",\"init_pid\":%" PRIu64 ",\"supervisor_pid\":%" PRIu64,
	        i->run.rs == VPS_RUNNING ? i->run.st.init_pid : 0,
	        i->run.supervised ? i->run.st.supervisor_pid : 0);
	fprintf(f, ",\"uptime\":%" PRIu64 ",\"boots\":%" PRIu64, i->uptime,
	        i->run.rs == VPS_STOPPED ? 0 : i->run.st.boots);
	fprintf(f, ",\"template\":");
	ops_json_string(f, i->cfg.template_name);
	fprintf(f, ",\"hostname\":");
	ops_json_string(f, i->cfg.hostname);
	fprintf(f, ",\"last_exit\":");
	ops_json_string(f, i->run.last_exit);
	fprintf(f, ",\"cgroup_backend\":");
	ops_json_string(f, i->run.rs == VPS_STOPPED ? "" : i->run.st.backend);
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
		ops_json_string(f, i->proc_view);
		fprintf(f, ",\"cpuset_effective\":");
		ops_json_string(f, i->cpus);
		fprintf(f, ",\"cpuset_auto\":%s", i->cpus_auto ? "true" : "false");
	}
	if (!i->cfg_ok) {
		fprintf(f, ",\"error\":");
		ops_json_string(f, i->cfg_error.msg);
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
		ops_json_string(f, v);
	}
	fputc('}', f);
}

/* Natural order: bb1, bb2, bb10 (digit runs compare as numbers). */
static int cmp_str(const void *a, const void *b)
{
	return strverscmp(*(char *const *)a, *(char *const *)b);
}

/* The names of every VPS, in natural order. */
int ops_vps_names(const struct ops_ctx *c, char ***ret, size_t *ret_n)
{
	_cleanup_closedir_ DIR *d = opendir(c->paths->vps_base);
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

bool ops_list_selected(const struct vps_list_sel *s, const char *name)
{
	for (size_t k = 0; k < s->n_globs; k++)
		if (fnmatch(s->globs[k], name, 0) == 0)
			return true;
	return s->n_globs == 0;
}

static void row_build(size_t k, void *userdata)
{
	struct vps_list_rows *l = userdata;
	struct vps_info *i = &l->row[k];

	ops_info_get(l->c, l->sel->run_base, l->sel, l->names[k], i);
	l->shown[k] = !l->sel->state || strcmp(ops_info_state(i), l->sel->state) == 0;
	if (l->shown[k] && l->sel->usage)
		ops_info_usage(l->c, l->sel, i);
}

void ops_list_rows_done(struct vps_list_rows *l)
{
	free(l->names);
	free(l->row);
	free(l->shown);
	*l = (struct vps_list_rows){0};
}

/* Every row the selection keeps, built at once (in parallel for many) so that the output is
 * printed in the names' order afterwards. */
int ops_list_rows_get(const struct ops_ctx *c, struct vps_list_sel *s, char **names, size_t n,
                      struct vps_list_rows *ret)
{
	*ret = (struct vps_list_rows){.c = c, .sel = s};
	ret->names = calloc(n + 1, sizeof(*ret->names));
	ret->row = calloc(n + 1, sizeof(*ret->row));
	ret->shown = calloc(n + 1, sizeof(*ret->shown));
	if (!ret->names || !ret->row || !ret->shown) {
		ops_list_rows_done(ret);
		return -ENOMEM;
	}
	for (size_t k = 0; k < n; k++)
		if (ops_list_selected(s, names[k]))
			ret->names[ret->n++] = names[k];
	/* what every row shares, made here before any thread reads it: the link dump (no traffic
	 * columns rather than no list without netlink access) and the node's cgroup parent */
	if (s->usage)
		(void)vps_usage_node_links(&s->node);
	if (list_cgp(s, c->node->cgroup_parent))
		list_rows_build(ret->n, row_build, ret);
	else /* the host's cgroups unprobed (a failed probe is tried again by each row): one thread
	      */
		for (size_t k = 0; k < ret->n; k++)
			row_build(k, ret);
	return 0;
}

void ops_info_cpus(const struct ops_ctx *c, struct vps_info *i)
{
	_cleanup_vps_cgroup_ struct vps_cgroup *cg = NULL;
	bool partial = false;

	if (i->run.rs != VPS_RUNNING ||
	    vps_cgroup_new(cgroup_parent_of(c, i), i->cfg.name, &cg) < 0 ||
	    vps_cpu_pin_effective(cg, i->cpus, sizeof(i->cpus), &partial) < 0) {
		i->cpus[0] = '\0';
		return;
	}
	i->cpus_auto = partial && i->cfg_ok && vps_cpu_pin_applies(c->node, &i->cfg);
}

int ops_status_get(const struct ops_ctx *c, const char *name, bool usage, struct vps_info *i,
                   struct vps_error *err)
{
	_cleanup_close_ int run_base = ops_run_base_open(c);

	ops_info_get(c, run_base, NULL, name, i);
	i->proc_view = i->run.rs == VPS_RUNNING ? procview_state((pid_t)i->run.st.init_pid) : "off";
	ops_info_cpus(c, i);
	if (!i->cfg_ok && !ops_vps_exists(c, name))
		return vps_error_set(err, i->cfg_error.code ? i->cfg_error.code : -ENOENT, "%s",
		                     vps_error_message(&i->cfg_error, -ENOENT));
	if (usage) {
		struct vps_list_sel one = {.run_base = -EBADF};

		vps_usage_node_open(&one.node, NULL);
		ops_info_usage(c, &one, i);
		vps_usage_node_done(&one.node);
	}
	return 0;
}

int ops_status_json(const struct ops_ctx *c, const char *name, FILE *f, struct vps_error *err)
{
	_cleanup_free_ struct vps_info *i = malloc(sizeof(*i));
	int r;

	if (!i)
		return vps_error_errno(err, -ENOMEM, "failed to read its status");
	r = ops_status_get(c, name, true, i, err);
	if (r < 0)
		return r;
	ops_info_json(f, i);
	fputc('\n', f);
	/* a broken vps.conf or state: what runs is still shown, and the reason given */
	if (!i->cfg_ok)
		return vps_error_set(err, i->cfg_error.code ? i->cfg_error.code : -EBADMSG, "%s",
		                     vps_error_message(&i->cfg_error, -EBADMSG));
	if (i->run.rs == VPS_UNKNOWN)
		return vps_error_set(err, -EBADMSG, "state unreadable: %s", i->run.st.error_text);
	return 0;
}

int ops_list_json(const struct ops_ctx *c, char **globs, size_t n_globs, const char *state, FILE *f,
                  struct vps_error *err)
{
	_cleanup_strv_free_ char **names = NULL;
	struct vps_list_sel sel = {.globs = globs,
	                           .n_globs = n_globs,
	                           .state = state,
	                           .run_base = -EBADF,
	                           .usage = true};
	struct vps_list_rows rows;
	bool first = true;
	size_t n = 0;
	int r = ops_vps_names(c, &names, &n);

	if (r < 0)
		return vps_error_errno(err, r, "failed to read %s", c->paths->vps_base);
	sel.run_base = ops_run_base_open(c);
	vps_usage_node_open(&sel.node, c->paths->vps_base);
	r = ops_list_rows_get(c, &sel, names, n, &rows);
	if (r < 0) {
		vps_error_errno(err, r, "failed to list");
	} else {
		fputc('[', f);
		for (size_t k = 0; k < rows.n; k++) {
			if (!rows.shown[k])
				continue;
			fputs(first ? "" : ",", f);
			first = false;
			ops_info_json(f, &rows.row[k]);
		}
		fputs("]\n", f);
		ops_list_rows_done(&rows);
	}
	vps_usage_node_done(&sel.node);
	closep(&sel.run_base);
	return r;
}
