/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vpsctl migrate NAME DEST: a running VPS moved to another node with its processes going on
 * (issue 18 item 3). The source drives; the target's side is `vpsctl migrate-target ACTION
 * NAME` run through the transport (migrate.h). Phases, each recorded in the source's marker
 * before it begins:
 *   precopy  the storage streamed while the VPS runs (backup | restore --migrating: the target
 *            builds it under its hidden name and marks it, so it cannot be started there),
 *            then criu pre-dumps, sent while it runs
 *   frozen   the final dump leaves the tree stopped here; images and the storage's changes
 *            since the pre-copy are sent, and the list of its files, by which the target
 *            removes the files deleted here meanwhile (migrate-prune.c)
 *   commit   the target restores it. Up to here the source can be resumed (SIGCONT) and the
 *            target's copy removed; once the target says running (or, when unsure, its
 *            `resolve` says so) the source is killed and destroyed.
 * A migrate killed at any point leaves the marker; `vpsctl migrate --recover NAME` decides
 * from the phase: before commit the source resumes, at commit the target's resolve decides
 * (it waits for a restore in progress under the VPS lock). The VPS runs on one node only.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "cli.h"
#include "criu.h"
#include "fileio.h"
#include "lifecycle.h"
#include "migrate-prune.h"
#include "migrate.h"
#include "state.h"

#define OUT_MAX  8192
#define PREDUMPS 2
#define IMAGES   "migrate-images"
#define TAR      "/bin/tar"

struct migrate_args {
	const char *name;
	struct migrate_dest dest;
	bool recover;
};

struct migration {
	struct cli *c;
	const char *name;
	const struct migrate_dest *dest;
	struct vps_config cfg;
	pid_t init;
	int *lock;                    /* the VPS lock, which criu holds too while it dumps */
	struct migrate_dest recorded; /* --recover: the marker's DEST */
	char vpsdir[PATH_MAX];
	char images[PATH_MAX];
	char out[OUT_MAX];
};

static int parse_args(struct cli *c, int argc, char **argv, struct migrate_args *a)
{
	static const struct option opts[] = {
		{"recover", no_argument, NULL, 'r'}, {"help", no_argument, NULL, 'h'}, {0}};
	static const char *const help[] = {
		"Move a running VPS to another node; its processes go on there (criu). DEST is",
		"ssh://[user@]host[:port][/root-path] (the target runs vpsctl over ssh, with the",
		"root path as its root) or local:ROOT[,NETNS] (another root on this machine: "
		"tests).",
		"The storage and memory are copied while it runs, then it is frozen for the last",
		"changes. A failure resumes it here; it never runs on both nodes.",
		"  --recover            finish or roll back a migration that was cut short (the",
		"                       VPS's marker says where; DEST is then optional)",
		NULL,
	};
	char why[128];
	int opt;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (opt == 'r')
			a->recover = true;
		else if (opt == 'h')
			return cli_print_help("migrate NAME DEST | migrate --recover NAME [DEST]",
			                      help),
			       -1;
		else
			return cli_bad_option(c, argv);
	}
	if (argc - optind != 2 && !(a->recover && argc - optind == 1))
		return cli_usage_error(c, "expected NAME and DEST");
	a->name = argv[optind];
	if (argc - optind == 2 &&
	    migrate_dest_parse(argv[optind + 1], &a->dest, why, sizeof(why)) < 0)
		return cli_usage_error(c, "DEST '%.200s': %s", argv[optind + 1], why);
	return cli_one_vps(c, optind + 1, argv);
}

/* The first line of what the target said, for a message. */
static const char *first_line(char *out)
{
	size_t n = strcspn(out, "\n");

	out[n] = '\0';
	if (strncmp(out, "vpsctl: ", 8) == 0)
		return out + 8;
	return out[0] ? out : "no reason given";
}

static int remote(struct migration *m, const char *action, int in_fd)
{
	const char *args[] = {"migrate-target", action, m->name, NULL};

	return migrate_remote(m->dest, args, in_fd, m->out, sizeof(m->out));
}

/* What a local child (pid) writes into fd goes to a target action's input. */
static int remote_from(struct migration *m, pid_t pid, int fd, const char *const *args,
                       const char *what, const char *local, struct vps_error *err)
{
	int r = migrate_remote(m->dest, args, fd, m->out, sizeof(m->out));
	int lr;

	close(fd);
	lr = migrate_wait(pid);
	if (r != 0)
		return vps_error_set(err, -EIO, "%s: the target refused: %s", what,
		                     r < 0 ? strerror(-r) : first_line(m->out));
	if (lr != 0)
		return vps_error_set(err, -EIO, "%s: %s exited with status %d", what, local, lr);
	return 0;
}

/* A local program's output into a target action's input. */
static int pipe_to_remote(struct migration *m, const char *const *local, const char *const *args,
                          const char *what, struct vps_error *err)
{
	int fd = -EBADF;
	pid_t pid = migrate_spawn_reader(local, &fd);

	if (pid < 0)
		return vps_error_errno(err, pid, "failed to run %s", local[0]);
	return remote_from(m, pid, fd, args, what, local[0], err);
}

static int set_phase(struct migration *m, const char *phase)
{
	struct migrate_marker mk = {0};

	snprintf(mk.role, sizeof(mk.role), "source");
	snprintf(mk.phase, sizeof(mk.phase), "%s", phase);
	migrate_dest_format(m->dest, mk.dest, sizeof(mk.dest));
	return migrate_marker_write(m->c, m->name, &mk);
}

/* SIGCONT to every process in init's pid namespace: the tree criu left stopped goes on. */
static int resume_tree(pid_t init)
{
	_cleanup_closedir_ DIR *d = opendir("/proc");
	struct stat ns, other;
	char path[64];
	struct dirent *e;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)init);
	if (!d || stat(path, &ns) < 0)
		return -errno;
	while ((e = readdir(d))) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);

		if (*end || pid <= 1)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/ns/pid", pid);
		if (stat(path, &other) == 0 && other.st_ino == ns.st_ino &&
		    other.st_dev == ns.st_dev && kill((pid_t)pid, SIGCONT) == 0)
			n++;
	}
	(void)vps_criu_unlock(init);
	return n;
}

static void remove_images(struct migration *m)
{
	_cleanup_close_ int dfd = open(m->vpsdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dfd >= 0)
		(void)rm_rf_at(dfd, IMAGES);
}

/* Before the target restored it: the VPS goes on here, the target's copy is removed. */
static void roll_back(struct migration *m, bool frozen)
{
	int r;

	if (frozen && m->init > 0)
		(void)resume_tree(m->init);
	r = remote(m, "resolve", -1);
	if (r != 0)
		fprintf(stderr,
		        "vpsctl: %s: the target's copy was not removed (%s); it cannot start "
		        "there: 'vpsctl migrate --recover %s' on the target removes it\n",
		        m->name, first_line(m->out), m->name);
	remove_images(m);
	(void)migrate_marker_remove(m->c, m->name);
}

/* The target runs it: the frozen tree here is killed and the VPS destroyed. */
static int finish_source(struct migration *m, int *lock)
{
	struct vps_error err = VPS_ERROR_INIT;
	const char *self_args[8];
	int i = 0, r;
	pid_t pid;
	int fd;

	struct vps_state st;

	if (vps_run_state_get(&m->c->paths, m->name, &st) != VPS_STOPPED) {
		r = vps_stop(&m->c->paths, &m->cfg, &m->c->node, 0, true, &err);
		if (r < 0)
			return cli_fail_error(m->name, &err, r);
	}
	if (*lock >= 0) {
		close(*lock);
		*lock = -EBADF;
	}
	/* destroy with the marker still there: a kill before this leaves 'commit', which
	 * --recover finishes the same way */
	self_args[i++] = "/proc/self/exe";
	if (m->c->paths.root[0]) {
		self_args[i++] = "--root";
		self_args[i++] = m->c->paths.root;
	}
	self_args[i++] = "destroy";
	self_args[i++] = m->name;
	self_args[i++] = "--force";
	self_args[i] = NULL;
	pid = migrate_spawn_reader(self_args, &fd);
	if (pid < 0)
		return cli_fail(m->name, "failed to run destroy: %s", strerror(-pid));
	{
		char tmp[512];

		while (read(fd, tmp, sizeof(tmp)) > 0)
			;
		close(fd);
	}
	if (migrate_wait(pid) != 0)
		return cli_fail(m->name, "runs on the target; destroying it here failed");
	r = remote(m, "finish", -1);
	if (r != 0)
		return cli_fail(m->name, "runs on the target; its marker there stays: %s",
		                first_line(m->out));
	return 0;
}

static int precopy(struct migration *m, struct vps_error *err)
{
	const char *backup[8];
	const char *args[] = {"restore", "-", "--migrating", NULL};
	int i = 0;

	backup[i++] = "/proc/self/exe";
	if (m->c->paths.root[0]) {
		backup[i++] = "--root";
		backup[i++] = m->c->paths.root;
	}
	backup[i++] = "backup";
	backup[i++] = m->name;
	backup[i++] = "-";
	backup[i] = NULL;
	return pipe_to_remote(m, backup, args, "the storage's pre-copy", err);
}

static int send_images(struct migration *m, const char *sub, struct vps_error *err)
{
	const char *tar[] = {TAR, "-C", m->images, "-c", sub, NULL};
	const char *args[] = {"migrate-target", "images", m->name, NULL};

	return pipe_to_remote(m, tar, args, "the images' transfer", err);
}

static int send_delta(struct migration *m, time_t since, struct vps_error *err)
{
	char rootfs[PATH_MAX], newer[40];
	const char *tar[] = {TAR,  "-C", rootfs, "--numeric-owner", "--xattrs", "--sparse", newer,
	                     "-c", ".",  NULL};
	const char *args[] = {"migrate-target", "delta", m->name, NULL};

	snprintf(rootfs, sizeof(rootfs), "%s/rootfs", m->vpsdir);
	snprintf(newer, sizeof(newer), "--newer=@%lld", (long long)since);
	return pipe_to_remote(m, tar, args, "the storage's changes", err);
}

/* The frozen tree's file list to the target, which removes what is not in it (files deleted
 * here since the pre-copy; migrate-prune.c: no walk follows the tenant's links). */
static int send_manifest(struct migration *m, struct vps_error *err)
{
	const char *args[] = {"migrate-target", "prune", m->name, NULL};
	char rootfs[PATH_MAX];
	_cleanup_close_ int rootfd = -EBADF;
	int p[2];
	pid_t pid;

	snprintf(rootfs, sizeof(rootfs), "%s/rootfs", m->vpsdir);
	rootfd = open(rootfs, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (rootfd < 0)
		return vps_error_errno(err, -errno, "failed to open %s", rootfs);
	if (pipe2(p, O_CLOEXEC) < 0)
		return vps_error_errno(err, -errno, "failed to make a pipe");
	pid = fork();
	if (pid < 0) {
		int r = -errno;

		close(p[0]);
		close(p[1]);
		return vps_error_errno(err, r, "failed to fork");
	}
	if (pid == 0) {
		close(p[0]);
		_exit(migrate_manifest_write(rootfd, p[1]) < 0 ? 1 : 0);
	}
	close(p[1]);
	return remote_from(m, pid, p[0], args, "the deleted files' removal", "the file list", err);
}

static int dump(struct migration *m, int k, enum vps_criu_dump_mode mode, struct vps_error *err)
{
	char dir[PATH_MAX + 16], prev[16], sub[16];

	if (k > 0)
		snprintf(sub, sizeof(sub), "%d", k);
	else
		snprintf(sub, sizeof(sub), "final");
	snprintf(dir, sizeof(dir), "%s/%s", m->images, sub);
	int r;

	snprintf(prev, sizeof(prev), "../%d", k > 0 ? k - 1 : PREDUMPS);
	/* criu inherits the VPS lock: a migrate killed meanwhile leaves criu to finish (its
	 * parasite code is in the VPS's processes), and --recover waits for the lock */
	if (fcntl(*m->lock, F_SETFD, 0) < 0)
		return vps_error_errno(err, -errno, "failed to hand the lock to criu");
	r = vps_criu_dump_mode(m->init, dir, mode, (k == 1 || PREDUMPS == 0) ? NULL : prev, err);
	(void)fcntl(*m->lock, F_SETFD, FD_CLOEXEC);
	return r;
}

/* The target's word on who runs it: "running" (kill here), "absent" (resume here), else
 * unknown. */
static int ask_target(struct migration *m)
{
	if (remote(m, "resolve", -1) != 0)
		return -EIO;
	if (strncmp(m->out, "running", 7) == 0)
		return 1;
	if (strncmp(m->out, "absent", 6) == 0)
		return 0;
	return -EIO;
}

static int frozen_phase(struct migration *m, time_t since, int *lock)
{
	struct vps_error err = VPS_ERROR_INIT;
	uint64_t t0, t1, t[3];
	int r;

	if (set_phase(m, "frozen") < 0)
		return roll_back(m, false), cli_fail(m->name, "failed to write its marker: %m");
	t0 = cli_now_ms();
	r = dump(m, 0, VPS_CRIU_LEAVE_STOPPED, &err);
	t[0] = cli_now_ms();
	if (r == 0)
		r = send_images(m, "final", &err);
	t[1] = cli_now_ms();
	if (r == 0)
		r = send_delta(m, since, &err);
	if (r == 0)
		r = send_manifest(m, &err);
	t[2] = cli_now_ms();
	if (r == 0 && set_phase(m, "commit") < 0)
		r = vps_error_errno(&err, -errno, "failed to write its marker");
	if (r < 0) {
		roll_back(m, true);
		return cli_fail(m->name, "not migrated, it runs on here: %s", err.msg);
	}
	r = remote(m, "commit", -1);
	t1 = cli_now_ms();
	if (r != 0) {
		fprintf(stderr, "vpsctl: %s: the target's restore: %s\n", m->name,
		        first_line(m->out));
		r = ask_target(m);
		if (r < 0)
			return cli_fail(
				m->name,
				"the target does not answer whether it runs the VPS; it stays "
				"frozen here: 'vpsctl migrate --recover %s' when it does",
				m->name);
		if (r == 0) {
			roll_back(m, true);
			return cli_fail(m->name, "not migrated, it runs on here");
		}
	}
	r = finish_source(m, lock);
	if (r != 0)
		return r;
	printf("%s migrated to %s, downtime %" PRIu64 " ms (freeze to running there: dump %" PRIu64
	       " ms, images sent %" PRIu64 " ms, files sent and pruned %" PRIu64
	       " ms, restore %" PRIu64 " ms)\n",
	       m->name, m->dest->url, t1 - t0, t[0] - t0, t[1] - t[0], t[2] - t[1], t1 - t[2]);
	if (m->cfg.userns)
		cli_warn_userns_owner(m->name);
	return 0;
}

/* After the pre-copy, under the VPS lock: memory while it runs, then the freeze. */
static int migrate_locked(struct migration *m, time_t since, int *lock)
{
	struct vps_error err = VPS_ERROR_INIT;
	int r = 0;

	if (mkdir(m->images, 0700) < 0 && errno != EEXIST) {
		roll_back(m, false);
		return cli_fail(m->name, "failed to make %s: %m", m->images);
	}
	for (int k = 1; k <= PREDUMPS && r == 0; k++) {
		char sub[8];

		snprintf(sub, sizeof(sub), "%d", k);
		r = dump(m, k, VPS_CRIU_PREDUMP, &err);
		if (r == 0)
			r = send_images(m, sub, &err);
	}
	if (r < 0) {
		roll_back(m, false);
		return cli_fail(m->name, "not migrated, it runs on here: %s", err.msg);
	}
	return frozen_phase(m, since, lock);
}

static int check_source(struct migration *m)
{
	struct vps_error err = VPS_ERROR_INIT;
	struct vps_state st;
	enum vps_run_state rs;
	int r;

	if (cli_load_vps(m->c, m->name, &m->cfg) != 0)
		return EXIT_FAILURE;
	if (cli_check_not_migrating(m->c, m->name) != 0)
		return EXIT_FAILURE;
	rs = vps_run_state_get(&m->c->paths, m->name, &st);
	if (rs != VPS_RUNNING || st.init_pid == 0)
		return cli_fail(m->name, "not running (migrate moves a running VPS; a stopped one "
		                         "moves with backup and restore)");
	m->init = (pid_t)st.init_pid;
	/* fail closed on what criu was not shown to restore (docs/checkpoint-notes.md) */
	if (m->cfg.storage != VPS_STORAGE_COPY ||
	    (m->cfg.disk && m->cfg.disk_quota == VPS_DISK_IMAGE))
		return cli_fail(m->name, "refused: only a VPS with its own tree (copy storage, no "
		                         "disk image) can be migrated yet");
	r = vps_criu_check(&err);
	if (r < 0)
		return cli_fail_error(m->name, &err, r);
	r = remote(m, "check", -1);
	if (r != 0)
		return cli_fail(m->name, "refused by the target: %s",
		                r < 0 ? strerror(-r) : first_line(m->out));
	return 0;
}

/* --recover on the target: a copy that runs here is this node's (its source, frozen, is killed
 * by its own --recover); one that does not is removed (its source resumes). The target's
 * own actions decide, as they do for the source: this node is their "remote". */
static int recover_target(struct migration *m, int *lock)
{
	memset(&m->recorded, 0, sizeof(m->recorded));
	m->recorded.local = true;
	snprintf(m->recorded.root, sizeof(m->recorded.root), "%s", m->c->paths.root);
	m->dest = &m->recorded;
	close(*lock);
	*lock = -EBADF;
	if (ask_target(m) < 0)
		return cli_fail(m->name, "%s", first_line(m->out));
	if (strncmp(m->out, "running", 7) == 0) {
		if (remote(m, "finish", -1) != 0)
			return cli_fail(m->name, "%s", first_line(m->out));
		return printf("%s: migration finished here (it runs here)\n", m->name), 0;
	}
	return printf("%s: the migrating copy was removed (it runs on its source)\n", m->name), 0;
}

/* --recover: the marker's phase decides (see the top of this file). */
static int recover(struct migration *m, const struct migrate_args *a, int *lock)
{
	struct migrate_marker mk;
	struct vps_state st;
	char why[128];
	int r = migrate_marker_read(m->c, m->name, &mk);

	if (r == -ENOENT)
		return printf("%s is not migrating\n", m->name), 0;
	if (r < 0)
		return cli_fail(m->name, "its migration marker is unreadable: %s", strerror(-r));
	if (cli_load_vps(m->c, m->name, &m->cfg) != 0)
		return EXIT_FAILURE;
	if (vps_run_state_get(&m->c->paths, m->name, &st) == VPS_RUNNING)
		m->init = (pid_t)st.init_pid;
	if (strcmp(mk.role, "target") == 0)
		return recover_target(m, lock);
	if (a->dest.url[0])
		m->recorded = a->dest;
	else if (migrate_dest_parse(mk.dest, &m->recorded, why, sizeof(why)) < 0)
		return cli_fail(m->name, "its marker's DEST '%s': %s", mk.dest, why);
	snprintf(m->recorded.ssh_config, sizeof(m->recorded.ssh_config), "%s",
	         m->c->node.migrate_ssh_config);
	m->dest = &m->recorded;
	if (strcmp(mk.phase, "commit") == 0) {
		r = ask_target(m);
		if (r < 0)
			return cli_fail(m->name,
			                "the target does not say whether it runs it (%s); it stays "
			                "frozen here",
			                first_line(m->out));
		if (r == 1) {
			r = finish_source(m, lock);
			if (r == 0)
				printf("%s: migration finished (it runs on %s)\n", m->name,
				       m->dest->url);
			return r;
		}
	}
	roll_back(m, true);
	printf("%s: migration rolled back (it runs here)\n", m->name);
	return 0;
}

/* The lock of the migrating process itself, held from its first step to its last (the VPS lock
 * is not: backup takes that one meanwhile): --recover acts only on a migration whose process
 * is gone, never beside a live one. */
static int migration_lock(struct migration *m)
{
	char path[PATH_MAX + 32];
	int fd;

	snprintf(path, sizeof(path), "%s/migrate.lock", m->vpsdir);
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return cli_fail(m->name, "failed to open %s: %m", path), -1;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;

		close(fd);
		if (e == EWOULDBLOCK)
			return cli_fail(m->name,
			                "a migrate of it is still running; wait for it, or "
			                "kill it and then --recover"),
			       -1;
		return cli_fail(m->name, "failed to lock %s: %s", path, strerror(e)), -1;
	}
	return fd;
}

/* From the pre-copy on (its marker written). */
static int migrate_run(struct migration *m, int *lock)
{
	struct vps_error err = VPS_ERROR_INIT;
	time_t since = time(NULL) - 1;
	int r;

	/* backup takes the VPS lock itself; the marker keeps other commands off meanwhile */
	close(*lock);
	*lock = -EBADF;
	r = precopy(m, &err);
	if (r < 0) {
		roll_back(m, false);
		return cli_fail(m->name, "not migrated: %s", err.msg);
	}
	*lock = cli_lock(m->c, m->name);
	if (*lock < 0) {
		roll_back(m, false);
		return EXIT_FAILURE;
	}
	m->lock = lock;
	return migrate_locked(m, since, lock);
}

int cmd_migrate(struct cli *c, int argc, char **argv)
{
	_cleanup_close_ int mlock = -EBADF;
	_cleanup_close_ int lock = -EBADF;
	struct migrate_args a = {0};
	struct migration m = {.c = c};
	int r = parse_args(c, argc, argv, &a);

	if (r != 0)
		return r < 0 ? 0 : r;
	m.name = a.name;
	snprintf(a.dest.ssh_config, sizeof(a.dest.ssh_config), "%s", c->node.migrate_ssh_config);
	m.dest = &a.dest;
	if (vps_path(&c->paths, m.name, NULL, m.vpsdir, sizeof(m.vpsdir)) < 0 ||
	    vps_path(&c->paths, m.name, IMAGES, m.images, sizeof(m.images)) < 0)
		return cli_fail(m.name, "name too long for a path");
	if (access(m.vpsdir, F_OK) < 0)
		return cli_fail(m.name, "no such VPS");
	mlock = migration_lock(&m);
	if (mlock < 0)
		return EXIT_FAILURE;
	/* criu, dumping for a migrate that was killed, holds this one until it is done */
	lock = a.recover ? migrate_recover_lock(c, m.name) : cli_lock(c, m.name);
	if (lock < 0)
		return EXIT_FAILURE;
	if (a.recover)
		return recover(&m, &a, &lock);
	r = check_source(&m);
	if (r != 0)
		return r;
	if (set_phase(&m, "precopy") < 0)
		return cli_fail(m.name, "failed to write its marker: %m");
	{
		char ctl[PATH_MAX + 16];
		pid_t master;

		snprintf(ctl, sizeof(ctl), "%s/ssh.ctl", m.vpsdir);
		master = migrate_ssh_master_start(&a.dest, ctl);
		r = migrate_run(&m, &lock);
		migrate_ssh_master_stop(master, &a.dest);
		return r;
	}
}