/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vpsctl snapshot create|list|rollback|delete NAME [SNAP] (storage/snapshot.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "cli.h"
#include "fileio.h"
#include "parse.h"
#include "snapshot.h"
#include "state.h"

static const char *const snapshot_help[] = {
	"Snapshots of a VPS's storage, kept on the node in the VPS's directory.",
	"",
	"  create NAME SNAP     snapshot the stopped VPS: copy storage, a full copy of its root",
	"                       filesystem (files reflinked where the file system can); overlay,",
	"                       a copy of its upper layer; a disk image, a reflink or sparse copy",
	"  list NAME            its snapshots",
	"  rollback NAME SNAP   put the stopped VPS's storage back as it was in SNAP (which stays)",
	"  delete NAME SNAP     remove SNAP",
	"  --json               print the result as JSON",
	NULL,
};

static const char *const kind_names[] = {
	[VPS_SNAPSHOT_ROOTFS] = "rootfs-copy",
	[VPS_SNAPSHOT_UPPER] = "upper-layer",
	[VPS_SNAPSHOT_IMAGE] = "disk-image",
};

struct snap_args {
	const char *op, *name, *snap;
	bool json;
};

static int parse_snapshot(struct cli *c, int argc, char **argv, struct snap_args *a)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'}, {0}};
	int opt, want;

	while ((opt = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		if (opt == 'j')
			a->json = true;
		else if (opt == 'h')
			return cli_print_help("snapshot create|list|rollback|delete NAME [SNAP] "
			                      "[--json]",
			                      snapshot_help),
			       -2;
		else
			return cli_bad_option(c, argv), -1;
	}
	if (optind >= argc)
		return cli_usage_error(c, "expected create, list, rollback or delete"), -1;
	a->op = argv[optind];
	if (strcmp(a->op, "list") == 0)
		want = 2;
	else if (strcmp(a->op, "create") == 0 || strcmp(a->op, "rollback") == 0 ||
	         strcmp(a->op, "delete") == 0)
		want = 3;
	else
		return cli_usage_error(c,
		                       "unknown snapshot command '%.64s': create, list, "
		                       "rollback or delete",
		                       a->op),
		       -1;
	if (argc - optind != want)
		return cli_usage_error(c,
		                       want == 2 ? "expected: snapshot list NAME"
		                                 : "expected: snapshot %s NAME SNAP",
		                       a->op),
		       -1;
	a->name = argv[optind + 1];
	a->snap = want == 3 ? argv[optind + 2] : NULL;
	if (cli_check_name(c, a->name) != 0)
		return -1;
	if (a->snap && !name_is_valid(a->snap))
		return cli_usage_error(
			       c,
			       "invalid snapshot name '%.64s': use 1-32 of a-z, 0-9 and '-', "
			       "starting with a letter or digit",
			       a->snap),
		       -1;
	return 0;
}

static void print_one(const struct snap_args *a, const char *snap, enum vps_snapshot_kind k,
                      long long created, int reflinked)
{
	printf("{\"name\":");
	json_string(stdout, a->name);
	printf(",\"snapshot\":");
	json_string(stdout, snap);
	printf(",\"kind\":\"%s\"", kind_names[k]);
	if (created >= 0)
		printf(",\"created\":%lld", created);
	if (reflinked >= 0)
		printf(",\"reflinked\":%s", reflinked ? "true" : "false");
	putchar('}');
}

static int do_list(const struct snap_args *a, int vpsdir, enum vps_snapshot_kind k)
{
	_cleanup_close_ int sd = vps_snapshot_dir_open(vpsdir);
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	struct stat st;
	bool first = true;

	if (sd < 0 && sd != -ENOENT)
		return cli_fail(a->name, "failed to open its snapshots: %s", strerror(-sd));
	d = sd < 0 ? NULL : opendir_dup(sd);
	if (a->json)
		putchar('[');
	else
		printf("%-32s %-12s %s\n", "SNAPSHOT", "KIND", "CREATED");
	while (d && (de = readdir(d))) {
		if (!name_is_valid(de->d_name) || fstatat(sd, de->d_name, &st, 0) < 0)
			continue;
		if (a->json) {
			if (!first)
				putchar(',');
			print_one(a, de->d_name, k, (long long)st.st_mtim.tv_sec, -1);
		} else {
			char when[32] = "?";
			struct tm tm;

			if (gmtime_r(&st.st_mtim.tv_sec, &tm))
				strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
			printf("%-32s %-12s %s\n", de->d_name, kind_names[k], when);
		}
		first = false;
	}
	if (a->json)
		printf("]\n");
	return 0;
}

static int run_op(struct cli *c, const struct snap_args *a, const struct vps_config *cfg,
                  int vpsdir)
{
	struct vps_error err = VPS_ERROR_INIT;
	enum vps_snapshot_kind k;
	bool reflinked = false;
	int r = vps_snapshot_kind_of(vpsdir, cfg, &k);

	if (r < 0)
		return cli_fail(a->name, "failed to find its storage: %s", strerror(-r));
	if (strcmp(a->op, "list") == 0)
		return do_list(a, vpsdir, k);
	if (strcmp(a->op, "create") == 0 || strcmp(a->op, "rollback") == 0) {
		char why[64];

		snprintf(why, sizeof(why), "a snapshot %s needs a stopped VPS", a->op);
		if (cli_check_stopped(c, a->name, why) != 0)
			return EXIT_FAILURE;
	}
	if (strcmp(a->op, "create") == 0)
		r = vps_snapshot_create(vpsdir, cfg, a->snap, &reflinked, &err);
	else if (strcmp(a->op, "rollback") == 0)
		r = vps_snapshot_rollback(vpsdir, cfg, a->snap, &err);
	else
		r = vps_snapshot_delete(vpsdir, a->snap, &err);
	if (r < 0)
		return cli_fail_error(a->name, &err, r);
	if (a->json) {
		print_one(a, a->snap, k, -1, strcmp(a->op, "create") == 0 ? reflinked : -1);
		putchar('\n');
	} else if (strcmp(a->op, "create") == 0)
		printf("%s: snapshot '%s' made (%s%s)\n", a->name, a->snap, kind_names[k],
		       reflinked ? ", reflinked" : "");
	else if (strcmp(a->op, "delete") == 0)
		printf("%s: snapshot '%s' deleted\n", a->name, a->snap);
	else
		printf("%s: rolled back to snapshot '%s'\n", a->name, a->snap);
	return 0;
}

int cmd_snapshot(struct cli *c, int argc, char **argv)
{
	struct snap_args a = {0};
	_cleanup_close_ int lock = -EBADF, vpsdir = -EBADF;
	struct vps_config cfg;
	char dir[PATH_MAX];
	int r = parse_snapshot(c, argc, argv, &a);

	if (r < 0)
		return r == -2 ? 0 : EXIT_USAGE;
	if (cli_load_node(c))
		return EXIT_FAILURE;
	lock = cli_lock(c, a.name);
	if (lock < 0 || cli_load_vps(c, a.name, &cfg) < 0)
		return EXIT_FAILURE;
	if (vps_path(&c->paths, a.name, NULL, dir, sizeof(dir)) < 0 ||
	    (vpsdir = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return cli_fail(a.name, "failed to open its directory: %m");
	return run_op(c, &a, &cfg, vpsdir);
}
