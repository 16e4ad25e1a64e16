/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vpsctl migrate-target ACTION NAME: the target's side of a migration, run by the source
 * through its transport (cmd-migrate.c), never by hand. The VPS's directory arrives by
 * `restore - --migrating` (marked: it cannot be started here until the migration is decided).
 *   check    criu works here and NAME is free
 *   images   stdin: a tar of criu's images, unpacked into VPSDIR/migrate-images
 *   delta    stdin: a tar of the storage's changes, unpacked inside the VPS's root (chroot:
 *            the tree's own symbolic links cannot lead out of it)
 *   prune    stdin: the source's list of its frozen tree's files; what the copy holds beyond
 *            it (deleted there since the pre-copy) is removed, never through a link
 *   commit   restore-checkpoint of the final images, then the addresses announced
 *   resolve  who runs it: "running" (here), or the stopped copy is removed: "absent"
 *   finish   the migration is over: the marker and the images go
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "cli.h"
#include "criu.h"
#include "fileio.h"
#include "lifecycle.h"
#include "migrate-prune.h"
#include "lock.h"
#include "migrate.h"
#include "announce.h"
#include "state.h"

#define IMAGES       "migrate-images"
#define MANIFEST_MAX ((size_t)256 << 20)

static char *const target_env[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C", NULL};

static int check(struct cli *c, const char *name)
{
	struct vps_error err = VPS_ERROR_INIT;
	char dir[PATH_MAX];
	int r = vps_criu_check(&err);

	if (r < 0)
		return cli_fail_error(name, &err, r);
	if (vps_path(&c->paths, name, NULL, dir, sizeof(dir)) < 0)
		return cli_fail(name, "name too long for a path");
	if (access(dir, F_OK) == 0)
		return cli_fail(name, "a VPS of that name exists on the target");
	printf("ok\n");
	return 0;
}

/* The staged copy: marked by this migration, not running. */
static int staged(struct cli *c, const char *name)
{
	struct migrate_marker m;
	struct vps_state st;

	if (migrate_marker_read(c, name, &m) < 0 || strcmp(m.role, "target") != 0)
		return cli_fail(name, "is not a VPS migrating here");
	if (vps_run_state_get(&c->paths, name, &st) != VPS_STOPPED)
		return cli_fail(name, "is not stopped here");
	return 0;
}

static int run_wait(pid_t pid)
{
	int r;

	if (pid < 0)
		return pid;
	r = migrate_wait(pid);
	return r;
}

static int images(struct cli *c, const char *name)
{
	char dir[PATH_MAX];
	pid_t pid;

	if (staged(c, name) != 0)
		return EXIT_FAILURE;
	if (vps_path(&c->paths, name, IMAGES, dir, sizeof(dir)) < 0)
		return cli_fail(name, "name too long for a path");
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return cli_fail(name, "failed to make %s: %m", dir);
	pid = fork();
	if (pid == 0) {
		char *const argv[] = {"tar", "-C", dir, "-x", NULL};

		execve("/bin/tar", argv, target_env);
		_exit(127);
	}
	if (run_wait(pid) != 0)
		return cli_fail(name, "unpacking criu's images into %s failed", dir);
	return 0;
}

/* Unpacked by the node's static busybox inside the VPS's root: chroot first, so that a path
 * through one of the tenant's links stays in its tree. */
static int delta(struct cli *c, const char *name)
{
	char rootfs[PATH_MAX];
	_cleanup_close_ int bb = -EBADF, root = -EBADF;
	pid_t pid;

	if (staged(c, name) != 0)
		return EXIT_FAILURE;
	if (vps_path(&c->paths, name, "rootfs", rootfs, sizeof(rootfs)) < 0)
		return cli_fail(name, "name too long for a path");
	/* the directory itself, never a link the pre-copy planted in its place */
	root = open(rootfs, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (root < 0)
		return cli_fail(name, "refused: %s is not a directory: %m", rootfs);
	bb = open(c->node.busybox, O_PATH | O_CLOEXEC);
	if (bb < 0)
		return cli_fail(name, "no busybox at %s: %m", c->node.busybox);
	pid = fork();
	if (pid == 0) {
		char *const argv[] = {"tar", "-x", "-f", "-", NULL};

		if (fchdir(root) < 0 || chroot(".") < 0 || chdir("/") < 0)
			_exit(126);
		syscall(SYS_execveat, bb, "", argv, target_env, AT_EMPTY_PATH);
		_exit(127);
	}
	if (run_wait(pid) != 0)
		return cli_fail(name, "unpacking the storage's changes failed");
	return 0;
}

static int prune(struct cli *c, const char *name)
{
	_cleanup_free_ char *list = NULL;
	_cleanup_close_ int rootfd = -EBADF;
	char rootfs[PATH_MAX];
	unsigned removed;
	size_t len;
	int r;

	if (staged(c, name) != 0)
		return EXIT_FAILURE;
	if (vps_path(&c->paths, name, "rootfs", rootfs, sizeof(rootfs)) < 0)
		return cli_fail(name, "name too long for a path");
	rootfd = open(rootfs, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (rootfd < 0)
		return cli_fail(name, "failed to open %s: %m", rootfs);
	r = migrate_manifest_read(STDIN_FILENO, MANIFEST_MAX, &list, &len);
	if (r < 0)
		return cli_fail(name, "the source's file list: %s", strerror(-r));
	r = migrate_prune(rootfd, list, len, &removed);
	if (r < 0)
		return cli_fail(name, "removing the files deleted on the source: %s", strerror(-r));
	printf("pruned %u\n", removed);
	return 0;
}

static int commit(struct cli *c, const char *name, int *lock)
{
	struct vps_error err = VPS_ERROR_INIT;
	struct vps_config cfg;
	char dir[PATH_MAX];
	int r;

	if (staged(c, name) != 0 || cli_load_vps(c, name, &cfg) != 0)
		return EXIT_FAILURE;
	if (vps_path(&c->paths, name, IMAGES "/final", dir, sizeof(dir)) < 0)
		return cli_fail(name, "name too long for a path");
	r = vps_cleanup_stale(&c->paths, name, &c->node);
	if (r < 0)
		return cli_fail(name, "failed to clean up after its last run: %s", strerror(-r));
	r = vps_start_restore(&c->paths, &cfg, &c->node, dir, lock, &err);
	if (r < 0)
		return cli_fail_error(name, &err, r);
	/* the neighbours learn where its addresses are now */
	{
		struct vps_state st;

		r = vps_run_state_get(&c->paths, name, &st) == VPS_RUNNING && st.init_pid
		            ? vps_net_announce((pid_t)st.init_pid, &cfg, &err)
		            : vps_error_set(&err, -ESRCH, "it is not running");
	}
	if (r < 0)
		fprintf(stderr, "vpsctl: %s: announcing its addresses: %s\n", name, err.msg);
	printf("running\n");
	return 0;
}

static int destroy_copy(struct cli *c, const char *name, int *lock)
{
	const char *argv[8];
	int i = 0;
	pid_t pid;

	if (*lock >= 0) {
		close(*lock);
		*lock = -EBADF;
	}
	argv[i++] = "/proc/self/exe";
	if (c->paths.root[0]) {
		argv[i++] = "--root";
		argv[i++] = c->paths.root;
	}
	argv[i++] = "destroy";
	argv[i++] = name;
	argv[i++] = "--force";
	argv[i] = NULL;
	pid = fork();
	if (pid == 0) {
		if (dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
			_exit(126);
		execve(argv[0], (char *const *)argv, target_env);
		_exit(127);
	}
	return run_wait(pid);
}

static int resolve(struct cli *c, const char *name, int *lock)
{
	struct migrate_marker m;
	struct vps_state st;
	char dir[PATH_MAX];
	int r;

	if (vps_path(&c->paths, name, NULL, dir, sizeof(dir)) < 0)
		return cli_fail(name, "name too long for a path");
	if (access(dir, F_OK) < 0)
		return printf("absent\n"), 0;
	r = migrate_marker_read(c, name, &m);
	if (vps_run_state_get(&c->paths, name, &st) != VPS_STOPPED || r == -ENOENT)
		return printf("running\n"), 0; /* restored (or finished): it is this node's now */
	if (r < 0 || strcmp(m.role, "target") != 0)
		return cli_fail(name, "is a VPS of this node, not a migrating copy");
	if (destroy_copy(c, name, lock) != 0)
		return cli_fail(name, "failed to remove the stopped copy");
	printf("absent\n");
	return 0;
}

static int finish(struct cli *c, const char *name)
{
	char dir[PATH_MAX];
	int r;

	if (vps_path(&c->paths, name, NULL, dir, sizeof(dir)) < 0)
		return cli_fail(name, "name too long for a path");
	{
		_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (dfd < 0)
			return cli_fail(name, "failed to open %s: %m", dir);
		(void)rm_rf_at(dfd, IMAGES);
	}
	r = migrate_marker_remove(c, name);
	if (r < 0)
		return cli_fail(name, "failed to remove its migration marker: %s", strerror(-r));
	return 0;
}

int cmd_migrate_target(struct cli *c, int argc, char **argv)
{
	_cleanup_close_ int lock = -EBADF;
	const char *action, *name;

	if (argc == 2 && strcmp(argv[1], "--help") == 0) {
		static const char *const help[] = {
			"The target's side of 'vpsctl migrate', which runs it here over its "
			"transport.",
			"ACTION: check, images, delta, prune, commit, resolve or finish "
			"(vpsctl(8), "
			"migrate).",
			NULL,
		};

		cli_print_help("migrate-target ACTION NAME", help);
		return 0;
	}
	if (argc != 3)
		return cli_usage_error(c, "expected ACTION NAME (the source's migrate runs this)");
	action = argv[1];
	name = argv[2];
	if (cli_check_name(c, name) != 0 || cli_load_node(c) != 0)
		return EXIT_FAILURE;
	if (strcmp(action, "check") == 0)
		return check(c, name);
	if (strcmp(action, "resolve") == 0) {
		char dir[PATH_MAX];

		char lockpath[PATH_MAX];

		/* nothing arrived (the pre-copy was refused): nothing to lock; but a restore of
		 * the pre-copy still building it holds its lock: wait for it, then decide */
		if (vps_path(&c->paths, name, NULL, dir, sizeof(dir)) == 0 &&
		    access(dir, F_OK) < 0) {
			if (vps_lock_path(&c->paths, name, lockpath, sizeof(lockpath)) < 0 ||
			    access(lockpath, F_OK) < 0)
				return printf("absent\n"), 0;
			lock = cli_lock_new(c, name);
			if (lock < 0)
				return EXIT_FAILURE;
			if (access(dir, F_OK) < 0)
				return printf("absent\n"), 0;
			return resolve(c, name, &lock);
		}
	}
	lock = cli_lock(c, name);
	if (lock < 0)
		return EXIT_FAILURE;
	if (strcmp(action, "images") == 0)
		return images(c, name);
	if (strcmp(action, "delta") == 0)
		return delta(c, name);
	if (strcmp(action, "prune") == 0)
		return prune(c, name);
	if (strcmp(action, "commit") == 0)
		return commit(c, name, &lock);
	if (strcmp(action, "resolve") == 0)
		return resolve(c, name, &lock);
	if (strcmp(action, "finish") == 0)
		return finish(c, name);
	return cli_usage_error(c, "unknown ACTION '%s'", action);
}
