/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vpsctl reinstall: a fresh root filesystem from the template (the same or another) for a
 * stopped VPS, keeping its vps.conf (name, addresses, quotas, id range, MAC), root's
 * authorized_keys and the --keep paths. The new VPS directory is built beside the old one
 * (VPSBASE/.NAME.reinstall) and swapped in by one renameat2(RENAME_EXCHANGE): the name always
 * holds a complete tree, the old one until the swap, the new one after. Whatever is left under
 * the hidden name (a half-built new tree, or the old one after the swap) is garbage, removed by
 * the next reinstall or destroy. A disk image VPS gets a new image (made like create's) and
 * the old one goes with the old tree: for a moment the node holds both.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "cli.h"
#include "disk.h"
#include "fileio.h"
#include "lifecycle.h"
#include "rootfs-access.h"
#include "rootfs-edit.h"
#include "rootfs-files.h"
#include "state.h"
#include "storage-mount.h"
#include "storage.h"
#include "template.h"
#include "tree-copy.h"

#define MAX_KEEP 32
/* Kept without being asked: what reinstall promises (vpsctl(8)). */
#define KEYS_PATH "/root/.ssh/authorized_keys"

struct reinstall_args {
	const char *name, *template_name;
	const char *keep[MAX_KEEP];
	size_t n_keep;
	bool force, json;
};

static const char *const reinstall_help[] = {
	"Give a stopped VPS a fresh root filesystem from its template (or another), keeping",
	"its name, addresses, quotas, id range, MAC, root's authorized_keys and the --keep",
	"paths. The old root filesystem stays until the new one is complete, then one rename",
	"swaps them.",
	"",
	"  --template T         the template of the new root filesystem (default: its own)",
	"  --keep PATH          copy PATH (a file or a tree, absolute) from the old root",
	"                       filesystem into the new one (repeatable)",
	"  --force              stop the VPS first if it runs",
	"  --json               print the result as JSON",
	NULL,
};

static int parse_reinstall(struct cli *c, int argc, char **argv, struct reinstall_args *a)
{
	static const struct option opts[] = {
		{"template", required_argument, NULL, 't'}, {"keep", required_argument, NULL, 'k'},
		{"force", no_argument, NULL, 'f'},          {"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},           {0},
	};
	int opt;

	while ((opt = getopt_long(argc, argv, "fjh", opts, NULL)) != -1) {
		if (opt == 't')
			a->template_name = optarg;
		else if (opt == 'k') {
			if (!tree_keep_path_valid(optarg))
				return cli_usage_error(c,
				                       "invalid --keep '%.100s': an absolute path "
				                       "without '.' or '..' components",
				                       optarg),
				       -1;
			if (a->n_keep >= MAX_KEEP)
				return cli_usage_error(c, "at most %d --keep paths", MAX_KEEP), -1;
			a->keep[a->n_keep++] = optarg;
		} else if (opt == 'f')
			a->force = true;
		else if (opt == 'j')
			a->json = true;
		else if (opt == 'h')
			return cli_print_help("reinstall NAME [--template T] [--keep PATH]... "
			                      "[--force] [--json]",
			                      reinstall_help),
			       -2;
		else
			return cli_bad_option(c, argv), -1;
	}
	if (cli_one_vps(c, argc, argv) != 0)
		return -1;
	a->name = argv[optind];
	return 0;
}

/* Stopped, or stopped now with --force. */
static int ensure_stopped(struct cli *c, const struct reinstall_args *a,
                          const struct vps_config *cfg)
{
	struct vps_state st;
	enum vps_run_state rs = vps_run_state_get(&c->paths, cfg->name, &st);
	struct vps_error err = VPS_ERROR_INIT;
	int r;

	if (rs == VPS_STOPPED)
		return 0;
	if (rs == VPS_UNKNOWN)
		return cli_fail(cfg->name, "state unreadable: %s", st.error_text);
	if (!a->force)
		return cli_fail(cfg->name, "is running; stop it first or use --force");
	r = vps_stop(&c->paths, cfg, &c->node, 0, true, &err);
	if (r < 0)
		return cli_fail_error(cfg->name, &err, r);
	return 0;
}

struct keep_ctx {
	const struct reinstall_args *a;
	const struct vps_config *old_cfg, *new_cfg;
	const char *old_dir, *new_dir;
};

static int keep_all(int oldroot, int newroot, const struct keep_ctx *k, struct vps_error *err)
{
	uid_t uid = k->new_cfg->userns ? (uid_t)k->new_cfg->uid_base : 0;
	int r = tree_keep_path(oldroot, newroot, KEYS_PATH, uid, uid);

	if (r < 0 && r != -ENOENT)
		return vps_error_errno(err, r, "failed to keep %s", KEYS_PATH);
	for (size_t i = 0; i < k->a->n_keep; i++) {
		r = tree_keep_path(oldroot, newroot, k->a->keep[i], uid, uid);
		if (r == -ENOENT)
			return vps_error_set(err, r, "--keep %s: no such file in the VPS",
			                     k->a->keep[i]);
		if (r < 0)
			return vps_error_errno(err, r, "failed to keep %s", k->a->keep[i]);
	}
	return 0;
}

/* In a child with its own mount namespace: both roots mounted, the kept paths copied. */
static int keep_body(void *data, struct vps_error *err)
{
	const struct keep_ctx *k = data;
	struct vps_config plain = *k->new_cfg;
	_cleanup_close_ int oldroot = -EBADF, newroot = -EBADF;
	uid_t uid;
	int r;

	plain.disk = 0; /* the new tree is not on its image yet */
	r = vps_storage_private_ns(err);
	if (r == 0)
		r = vps_storage_open_root(k->old_dir, k->old_cfg, &oldroot, &uid, err);
	if (r == 0)
		r = vps_storage_open_root(k->new_dir, &plain, &newroot, &uid, err);
	if (r < 0)
		return r;
	return keep_all(oldroot, newroot, k, err);
}

/* The resolvers of the new root: NAMESERVER/SEARCHDOMAIN (vpsctl set), else the node's. */
static int resolv_text(const struct vps_config *cfg, char **ret)
{
	_cleanup_free_ char *host = NULL;

	if (cfg->nameserver[0])
		return rootfs_resolv_conf_build(cfg->nameserver, cfg->searchdomain, NULL, ret);
	*ret = NULL;
	if (read_file_at(AT_FDCWD, "/etc/resolv.conf", 65536, &host, NULL) == 0)
		return rootfs_resolv_conf_filter(host, ret);
	return 0;
}

/* The new tree in tmp (fd and path): storage, extras, kept paths, disk image, vps.conf. */
static int build_new(struct cli *c, const struct reinstall_args *a, const struct vps_config *old,
                     const struct vps_config *cfg, const struct vps_template_meta *t, int tmp,
                     const char *tmppath)
{
	_cleanup_free_ char *resolv = NULL;
	struct vps_error err = VPS_ERROR_INIT;
	char olddir[PATH_MAX];
	struct keep_ctx k = {a, old, cfg, olddir, tmppath};
	struct vps_rootfs_extras x = {.root_uid = cfg->userns ? (uid_t)cfg->uid_base : 0,
	                              .root_gid = cfg->userns ? (gid_t)cfg->uid_base : 0};
	struct vps_config n = *cfg; /* its disk quota kept as the node keeps them now */
	int r;

	r = vps_path(&c->paths, cfg->name, NULL, olddir, sizeof(olddir));
	if (r == 0)
		r = vps_disk_prepare(tmp, &n, &err);
	if (r == 0)
		r = vps_storage_materialize(tmp, cfg, t, c->paths.templates_dir, &err);
	if (r == 0 && resolv_text(cfg, &resolv) == 0 && resolv) {
		x.resolv_conf = resolv;
		r = vps_storage_customize(tmppath, cfg, &x, &err);
	}
	if (r == 0)
		r = vps_child_run(keep_body, &k, &err);
	if (r == 0)
		r = vps_disk_finish(tmp, tmppath, &n, x.root_uid, &err);
	if (r == 0)
		r = vps_config_save_at(tmp, &n);
	if (r == 0 && fsync(tmp) < 0)
		r = -errno;
	if (r < 0)
		return cli_fail(cfg->name, "%s; the old root filesystem is untouched",
		                vps_error_message(&err, r));
	return 0;
}

/* The config of the new tree: the old one, on the new template's init when it changes. */
static void new_config(const struct vps_config *old, const struct vps_template_meta *t,
                       struct vps_config *ret)
{
	*ret = *old;
	if (strcmp(old->template_name, t->name) == 0)
		return;
	snprintf(ret->template_name, sizeof(ret->template_name), "%s", t->name);
	if (t->init[0])
		snprintf(ret->init, sizeof(ret->init), "%s", t->init);
	if (t->poweroff_signal > 0)
		ret->poweroff_signal = t->poweroff_signal;
}

static int swap_in(struct cli *c, int base, const char *tmpname, const char *name)
{
	int r;

	if (renameat2(base, tmpname, base, name, RENAME_EXCHANGE) < 0)
		return cli_fail(name, "failed to swap in the new root filesystem: %m; the old one "
		                      "is untouched");
	(void)fsync(base);
	/* the old tree, now under the hidden name: if this is cut short, the next reinstall
	 * or destroy finishes it */
	r = rm_rf_at(base, tmpname);
	if (r < 0)
		fprintf(stderr,
		        "vpsctl: %s: failed to remove the old root filesystem (%s): %s, "
		        "ignoring\n",
		        name, tmpname, strerror(-r));
	return 0;
}

static void print_done(const struct reinstall_args *a, const struct vps_config *cfg)
{
	if (!a->json) {
		printf("%s: reinstalled from template '%s' (%zu kept path%s and root's "
		       "authorized_keys)\n",
		       cfg->name, cfg->template_name, a->n_keep, a->n_keep == 1 ? "" : "s");
		return;
	}
	printf("{\"name\":");
	json_string(stdout, cfg->name);
	printf(",\"template\":");
	json_string(stdout, cfg->template_name);
	printf(",\"kept\":[");
	for (size_t i = 0; i < a->n_keep; i++) {
		if (i)
			putchar(',');
		json_string(stdout, a->keep[i]);
	}
	printf("]}\n");
}

static int reinstall_locked(struct cli *c, const struct reinstall_args *a)
{
	_cleanup_close_ int base = -EBADF, tmp = -EBADF, store_lock = -EBADF;
	struct vps_config old, cfg;
	struct vps_template_meta t;
	char tmpname[64], tmppath[PATH_MAX];
	int r;

	if (cli_load_vps(c, a->name, &old) < 0 || ensure_stopped(c, a, &old) != 0)
		return EXIT_FAILURE;
	r = template_lookup(c->paths.templates_dir, a->template_name ?: old.template_name, &t);
	if (r < 0)
		return cli_fail(a->name, "no template '%s'", a->template_name ?: old.template_name);
	new_config(&old, &t, &cfg);
	base = open(c->paths.vps_base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (base < 0)
		return cli_fail(a->name, "failed to open %s: %m", c->paths.vps_base);
	vps_reinstall_leftover(a->name, tmpname, sizeof(tmpname));
	(void)rm_rf_at(base, tmpname);
	if (mkdirat(base, tmpname, 0700) < 0 ||
	    (tmp = openat(base, tmpname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    vps_path(&c->paths, tmpname, NULL, tmppath, sizeof(tmppath)) < 0)
		return cli_fail(a->name, "failed to make the new VPS directory: %m");
	if (vps_storage_is_overlay(&cfg)) {
		store_lock = template_store_lock(c->paths.templates_dir, false);
		if (store_lock < 0)
			return cli_fail(a->name, "cannot lock the template store: %s",
			                strerror(-store_lock));
	}
	if (build_new(c, a, &old, &cfg, &t, tmp, tmppath) != 0 ||
	    swap_in(c, base, tmpname, a->name) != 0) {
		(void)rm_rf_at(base, tmpname);
		return EXIT_FAILURE;
	}
	print_done(a, &cfg);
	return 0;
}

int cmd_reinstall(struct cli *c, int argc, char **argv)
{
	struct reinstall_args a = {0};
	_cleanup_close_ int lock = -EBADF;
	int r = parse_reinstall(c, argc, argv, &a);

	if (r < 0)
		return r == -2 ? 0 : EXIT_USAGE;
	lock = cli_lock(c, a.name);
	if (lock < 0)
		return EXIT_FAILURE;
	return reinstall_locked(c, &a);
}
