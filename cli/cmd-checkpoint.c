/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vpsctl checkpoint NAME DIR [--stop]: every process of a running VPS dumped by criu into DIR
 * (supervisor/criu.h); vpsctl restore-checkpoint NAME DIR: a stopped VPS started from it, under
 * a new supervisor. Both are refused, with criu's own reason, where `criu check` fails.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "cli.h"
#include "criu.h"
#include "fileio.h"
#include "lifecycle.h"
#include "migrate.h"
#include "state.h"
#include "storage.h"

/* how long the supervisor gets to tear a dumped-and-killed VPS down */
#define STOP_WAIT_MS 30000

struct checkpoint_args {
	bool stop;
	const char *dir;
};

static int parse_args(struct cli *c, int argc, char **argv, bool dump, struct checkpoint_args *a)
{
	static const struct option opts[] = {
		{"stop", no_argument, NULL, 's'}, {"help", no_argument, NULL, 'h'}, {0}};
	static const char *const help[] = {
		"Dump every process of a running VPS into DIR with criu (memory, files, its",
		"namespaces). The VPS runs on, unless --stop.",
		"  --stop               stop the VPS once it is dumped",
		NULL,
	};
	static const char *const restore_help[] = {
		"Start a stopped VPS from a checkpoint in DIR: its processes go on where",
		"they were dumped, under a new supervisor, with vps.conf's limits.",
		NULL,
	};
	int opt;

	while ((opt = getopt_long(argc, argv, "sh", opts, NULL)) != -1) {
		if (opt == 's' && dump)
			a->stop = true;
		else if (opt == 'h') {
			if (dump)
				cli_print_help("checkpoint NAME DIR [--stop]", help);
			else
				cli_print_help("restore-checkpoint NAME DIR", restore_help);
			return -1;
		} else
			return cli_bad_option(c, argv);
	}
	if (argc - optind != 2)
		return cli_usage_error(c, "expected NAME and DIR");
	a->dir = argv[optind + 1];
	if (!a->dir[0])
		return cli_usage_error(c, "DIR is empty");
	return cli_one_vps(c, optind + 1, argv);
}

/* After a dump with --stop: criu killed the tree; the supervisor tears down (veth, cgroup,
 * state) on its own. Returns once it did, so that the command ends with the VPS stopped. */
static int wait_stopped(struct cli *c, const char *name)
{
	struct vps_state st;

	for (unsigned i = 0; i < STOP_WAIT_MS / 50; i++) {
		if (vps_run_state_get(&c->paths, name, &st) == VPS_STOPPED)
			return 0;
		(void)usleep(50 * 1000);
	}
	return -ETIMEDOUT;
}

/* criu is told about the console's mounts only: an overlay's layers or a disk image mounted
 * under the root would fail the dump or, worse, the restore. Refused before touching the VPS. */
static int storage_supported(const char *name, const struct vps_config *cfg)
{
	if (cfg->storage == VPS_STORAGE_COPY && !cfg->disk)
		return 0;
	return cli_fail(name, "checkpoint needs copy storage without a disk quota for now "
	                      "(STORAGE=copy, DISK=0): criu is not given an overlay's or a disk "
	                      "image's mounts yet");
}

static int checkpoint_locked(struct cli *c, const char *name, const struct checkpoint_args *a)
{
	struct vps_config cfg;
	struct vps_error err = VPS_ERROR_INIT;
	enum vps_run_state rs;
	struct vps_state st;
	int r;

	rs = vps_run_state_get(&c->paths, name, &st);
	if (rs == VPS_UNKNOWN)
		return cli_fail(name, "state unreadable: %s", st.error_text);
	if (rs != VPS_RUNNING)
		return cli_fail(name, rs == VPS_STOPPED ? "not running" : "is %s; try again later",
		                vps_run_state_to_string(rs));
	if (st.init_pid == 0)
		return cli_fail(name, "its init is gone (the VPS runs unsupervised)");
	/* the host first: on a kernel criu does not know, say so before touching the VPS */
	r = vps_criu_check(&err);
	if (r < 0)
		return cli_fail_error(name, &err, r);
	if (cli_load_vps(c, name, &cfg) != 0 || storage_supported(name, &cfg) != 0)
		return EXIT_FAILURE;
	r = vps_criu_dump((pid_t)st.init_pid, a->dir, a->stop, &err);
	if (r < 0)
		return cli_fail_error(name, &err, r);
	if (a->stop && wait_stopped(c, name) < 0)
		return cli_fail(name,
		                "dumped to %s, but its supervisor has not finished stopping it",
		                a->dir);
	printf("%s checkpointed to %s%s\n", name, a->dir, a->stop ? " and stopped" : "");
	return 0;
}

static int restore_locked(struct cli *c, const char *name, const char *dir, int *lock)
{
	struct vps_error err = VPS_ERROR_INIT;
	struct vps_config cfg;
	struct vps_state st;
	int r;

	if (cli_load_vps(c, name, &cfg) != 0)
		return EXIT_FAILURE;
	switch (vps_run_state_get(&c->paths, name, &st)) {
	case VPS_STOPPED:
		break;
	case VPS_UNKNOWN:
		return cli_fail(name, "state unreadable: %s", st.error_text);
	default:
		return cli_fail(name, "is running; 'vpsctl stop %s' first", name);
	}
	r = vps_criu_check(&err);
	if (r < 0)
		return cli_fail_error(name, &err, r);
	if (storage_supported(name, &cfg) != 0)
		return EXIT_FAILURE;
	r = vps_cleanup_stale(&c->paths, name, &c->node);
	if (r < 0)
		return cli_fail(name, "failed to clean up after its last run: %s", strerror(-r));
	/* criu --root takes rootfs by path */
	r = vps_storage_check_trees(&c->paths, name, &err);
	if (r < 0)
		return cli_fail_error(name, &err, r);
	r = vps_start_restore(&c->paths, &cfg, &c->node, dir, lock, &err);
	if (r < 0)
		return cli_fail_error(name, &err, r);
	printf("%s restored from %s\n", name, dir);
	if (cfg.userns)
		cli_warn_userns_owner(name);
	return 0;
}

static int run(struct cli *c, int argc, char **argv, bool dump)
{
	_cleanup_close_ int lock = -EBADF;
	struct checkpoint_args a = {0};
	char dir[PATH_MAX];
	int r = parse_args(c, argc, argv, dump, &a);

	if (r != 0)
		return r < 0 ? 0 : r;
	/* criu is run with DIR as given; an absolute path keeps the message and the log clear */
	if (a.dir[0] != '/') {
		char cwd[PATH_MAX];

		if (!getcwd(cwd, sizeof(cwd)) ||
		    (size_t)snprintf(dir, sizeof(dir), "%s/%s", cwd, a.dir) >= sizeof(dir))
			return cli_fail(argv[optind], "DIR '%s': path too long", a.dir);
		a.dir = dir;
	}
	/* the lock of start and stop: a dump never meets a half-done start, stop or reboot */
	lock = cli_lock(c, argv[optind]);
	if (lock < 0)
		return EXIT_FAILURE;
	if (cli_check_not_migrating(c, argv[optind]) != 0)
		return EXIT_FAILURE;
	return dump ? checkpoint_locked(c, argv[optind], &a)
	            : restore_locked(c, argv[optind], a.dir, &lock);
}

int cmd_checkpoint(struct cli *c, int argc, char **argv)
{
	return run(c, argc, argv, true);
}

int cmd_restore_checkpoint(struct cli *c, int argc, char **argv)
{
	return run(c, argc, argv, false);
}

void cli_warn_userns_owner(const char *name)
{
	fprintf(stderr,
	        "vpsctl: %s: warning: criu made its user namespace as root, so root, not the "
	        "VPS's first id, is charged for its inotify instances and watches until it is "
	        "restarted ('vpsctl restart %s' ends that)\n",
	        name, name);
}
