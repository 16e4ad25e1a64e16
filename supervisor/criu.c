/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "criu-args.h"
#include "criu.h"
#include "fileio.h"
#include "nftlib.h"

/* What criu prints is read up to this much; its first error is near the top. */
#define CRIU_OUTPUT_MAX (64 * 1024)
#define CHECKPOINT_INFO "vpsctl-checkpoint"

/* criu runs tar (tmpfs contents), ip and iptables-save (the network namespace) by name. */
static char *const criu_env[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C", NULL};

/* Probes criu logs on every run that are not the reason of a failure: the legacy iptables
 * tools it looks for first, on a host that has only iptables-nft. */
static bool criu_noise(const char *msg)
{
	return strncmp(msg, "exited, status=", 15) == 0 || strncmp(msg, "execvp(", 7) == 0 ||
	       strstr(msg, "legacy") != NULL;
}

/* The first real "Error (file:line): msg" of criu's output or log, as msg. */
static void first_error(const char *text, char *buf, size_t len)
{
	const char *line = text;

	buf[0] = '\0';
	while (line && *line) {
		const char *end = strchr(line, '\n');
		const char *e = strstr(line, "Error (");
		size_t n = end ? (size_t)(end - line) : strlen(line);

		if (e && e < line + n) {
			const char *msg = strstr(e, "): ");

			if (msg && msg < line + n) {
				msg += 3;
				if (!criu_noise(msg)) {
					snprintf(buf, len, "%.*s", (int)(line + n - msg), msg);
					return;
				}
			}
		}
		line = end ? end + 1 : NULL;
	}
}

/* What criu's child is given besides its argv. */
struct criu_child {
	int keep_fd;           /* >= 0: handed to criu as fd 3 (--inherit-fd) */
	struct vps_cgroup *cg; /* criu runs in that group, so that what it forks is born there */
};

/* Runs criu with argv (argv[0] is ignored), output into out (NUL-terminated, truncated);
 * returns its exit status, or -errno when it could not run. */
static int run_criu_in(char *const argv[], char *out, size_t out_len, const struct criu_child *ch)
{
	int p[2], status;
	size_t got = 0;
	pid_t pid;

	if (access(VPS_CRIU_PATH, X_OK) < 0)
		return -errno;
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		int r = -errno;

		close(p[0]);
		close(p[1]);
		return r;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

		if (null < 0 || dup2(null, 0) < 0 || dup2(p[1], 1) < 0 || dup2(p[1], 2) < 0)
			_exit(127);
		if (ch->keep_fd >= 0 &&
		    dup2(ch->keep_fd, 3) < 0) /* dup2 leaves 3 without CLOEXEC */
			_exit(127);
		if (ch->cg && vps_cgroup_attach(ch->cg, 0) < 0)
			_exit(126);
		execve(VPS_CRIU_PATH, argv, criu_env);
		_exit(127);
	}
	close(p[1]);
	for (;;) {
		char tmp[4096];
		ssize_t n = read(p[0], tmp, sizeof(tmp));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (got + 1 < out_len) {
			size_t take = (size_t)n < out_len - 1 - got ? (size_t)n : out_len - 1 - got;

			memcpy(out + got, tmp, take);
			got += take;
		}
	}
	close(p[0]);
	out[got] = '\0';
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int run_criu(char *const argv[], char *out, size_t out_len)
{
	const struct criu_child ch = {.keep_fd = -1};

	return run_criu_in(argv, out, out_len, &ch);
}

static int criu_missing(int r, struct vps_error *err)
{
	if (r == -ENOENT)
		return vps_error_set(err, -ENOENT,
		                     "criu is not installed (%s; Debian: apt-get install criu)",
		                     VPS_CRIU_PATH);
	return vps_error_errno(err, r, "failed to run %s", VPS_CRIU_PATH);
}

int vps_criu_check(struct vps_error *err)
{
	char *const argv[] = {"criu", "check", NULL};
	_cleanup_free_ char *out = malloc(CRIU_OUTPUT_MAX);
	char reason[256];
	int r;

	if (!out)
		return vps_error_errno(err, -ENOMEM, "criu check");
	r = run_criu(argv, out, CRIU_OUTPUT_MAX);
	if (r < 0)
		return criu_missing(r, err);
	if (r == 0)
		return 0;
	first_error(out, reason, sizeof(reason));
	return vps_error_set(err, -EOPNOTSUPP,
	                     "criu cannot checkpoint on this host: %s (criu check)",
	                     reason[0] ? reason : "it failed without a reason");
}

/* tty[RDEV:DEV] of init's stdin, the console pty: criu's key for a tty that the dumped tree
 * shares with the host, which a restore hands back with --inherit-fd. */
static int console_tty_key(pid_t init, char *buf, size_t len)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/fd/0", (int)init);
	if (stat(path, &st) < 0)
		return -errno;
	if (!S_ISCHR(st.st_mode))
		return -ENOTTY;
	snprintf(buf, len, "tty[%" PRIx64 ":%" PRIx64 "]", (uint64_t)st.st_rdev,
	         (uint64_t)st.st_dev);
	return 0;
}

static int prepare_dir(const char *dir, struct vps_error *err)
{
	char path[PATH_MAX];
	int r = mkdir_p(dir, 0700);

	if (r < 0)
		return vps_error_errno(err, r, "failed to create '%s'", dir);
	snprintf(path, sizeof(path), "%s/inventory.img", dir);
	if (access(path, F_OK) == 0)
		return vps_error_set(err, -EEXIST, "'%s' holds a checkpoint already", dir);
	return 0;
}

/* The reason of a failed dump or restore: criu's first error in its log, else in its output. */
static int criu_failed(const char *what, const char *dir, const char *out, int status,
                       struct vps_error *err)
{
	_cleanup_free_ char *log = NULL;
	_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char reason[256] = "";
	size_t n;

	char logname[32];

	snprintf(logname, sizeof(logname), "%s.log", what);
	if (dfd >= 0 && read_file_at(dfd, logname, 16 * 1024 * 1024, &log, &n) == 0)
		first_error(log, reason, sizeof(reason));
	if (!reason[0])
		first_error(out, reason, sizeof(reason));
	if (!reason[0])
		snprintf(reason, sizeof(reason), "exit status %d", status);
	return vps_error_set(err, -EIO, "criu %s failed: %s (log: %s/%s)", what, reason, dir,
	                     logname);
}

static int write_info(const char *dir, const char *tty, pid_t init, const char *ext)
{
	_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char text[4096];
	int n;

	if (dfd < 0)
		return -errno;
	n = snprintf(text, sizeof(text), "CONSOLE_TTY=%s\nLOCK_TABLE=CRIU-%d\n%s", tty, (int)init,
	             ext);
	if (n < 0 || (size_t)n >= sizeof(text))
		return -E2BIG;
	return write_file_atomic_at(dfd, CHECKPOINT_INFO, text, (size_t)n, 0600);
}

static void dump_options(struct criu_args *a, enum vps_criu_dump_mode mode, const char *prev)
{
	/* the nftables lock: Debian's iptables is iptables-nft, which criu cannot lock with */
	criu_args_add(a, "--network-lock");
	criu_args_add(a, "nftables");
	if (mode == VPS_CRIU_LEAVE_RUNNING)
		criu_args_add(a, "--leave-running");
	if (mode == VPS_CRIU_LEAVE_STOPPED) {
		criu_args_add(a, "--leave-stopped");
		/* a migration keeps the VPS's open connections (repair mode, its netns locked) */
		criu_args_add(a, "--tcp-established");
	}
	/* a migration's iterations: only what changed since the previous one is dumped */
	if (mode == VPS_CRIU_PREDUMP || prev)
		criu_args_add(a, "--track-mem");
	if (prev) {
		criu_args_add(a, "--prev-images-dir");
		criu_args_add(a, prev);
	}
}

static int criu_dump_run(pid_t init, const char *dir, enum vps_criu_dump_mode mode,
                         const char *prev, struct vps_error *err)
{
	_cleanup_free_ char *out = malloc(CRIU_OUTPUT_MAX);
	_cleanup_free_ struct criu_args *a = malloc(sizeof(*a));
	char tty[64], ext[2048];
	char *const *argv;
	int r;

	if (!out || !a)
		return vps_error_errno(err, -ENOMEM, "criu dump");
	r = prepare_dir(dir, err);
	if (r < 0)
		return r;
	r = console_tty_key(init, tty, sizeof(tty));
	if (r < 0)
		return vps_error_errno(err, r, "failed to find the console of init (pid %d)",
		                       (int)init);
	criu_args_init(a);
	criu_args_add(a, "criu");
	criu_args_add(a, mode == VPS_CRIU_PREDUMP ? "pre-dump" : "dump");
	criu_args_add(a, "--tree");
	criu_args_addf(a, "%d", (int)init);
	criu_args_add(a, "--images-dir");
	criu_args_add(a, dir);
	criu_args_add(a, "--log-file");
	criu_args_add(a, "dump.log");
	criu_args_add(a, "-v4");
	/* the console: a bind mount of the supervisor's pty slave, and init's stdio */
	criu_args_add(a, "--external");
	criu_args_add(a, "mnt[/dev/console]:console");
	criu_args_add(a, "--external");
	criu_args_add(a, tty);
	/* the host's device nodes a VPS in a user namespace has bound in (criu-args.h) */
	r = criu_host_dev_mounts(init, a, ext, sizeof(ext));
	if (r < 0)
		return vps_error_errno(err, r, "failed to read the mounts of init (pid %d)",
		                       (int)init);
	dump_options(a, mode, prev);
	argv = criu_args_done(a);
	if (!argv)
		return vps_error_errno(err, -E2BIG, "criu's command line is too long");
	r = run_criu(argv, out, CRIU_OUTPUT_MAX);
	if (r < 0)
		return criu_missing(r, err);
	if (r != 0)
		return criu_failed(mode == VPS_CRIU_PREDUMP ? "pre-dump" : "dump", dir, out, r,
		                   err);
	if (mode == VPS_CRIU_PREDUMP)
		return 0;
	r = write_info(dir, tty, init, ext);
	if (r < 0)
		return vps_error_errno(err, r, "failed to write %s/%s", dir, CHECKPOINT_INFO);
	return 0;
}

int vps_criu_dump(pid_t init, const char *dir, bool stop, struct vps_error *err)
{
	return criu_dump_run(init, dir, stop ? VPS_CRIU_KILL : VPS_CRIU_LEAVE_RUNNING, NULL, err);
}

int vps_criu_dump_mode(pid_t init, const char *dir, enum vps_criu_dump_mode mode, const char *prev,
                       struct vps_error *err)
{
	return criu_dump_run(init, dir, mode, prev, err);
}

struct checkpoint_info {
	char tty[64];
	char table[32];
	char *text; /* the file, for its EXT_MOUNT lines */
};

/* The console's tty key and criu's lock table the dump recorded (write_info). */
static int read_info(const char *dir, struct checkpoint_info *ci)
{
	_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	const char *v;
	size_t n;
	int r;

	if (dfd < 0)
		return -errno;
	r = read_file_at(dfd, CHECKPOINT_INFO, 4096, &ci->text, &n);
	if (r < 0)
		return r;
	v = strstr(ci->text, "CONSOLE_TTY=");
	if (!v || strncmp(v + 12, "tty[", 4) != 0)
		return -EBADMSG;
	v += 12;
	n = strcspn(v, "\n");
	if (n >= sizeof(ci->tty))
		return -EBADMSG;
	memcpy(ci->tty, v, n);
	ci->tty[n] = '\0';
	ci->table[0] = '\0';
	v = strstr(ci->text, "LOCK_TABLE=CRIU-");
	if (v) {
		v += 11;
		n = strspn(v + 5, "0123456789") + 5;
		if (n < sizeof(ci->table)) {
			memcpy(ci->table, v, n);
			ci->table[n] = '\0';
		}
	}
	return 0;
}

/* Each EXT_MOUNT=hostdev/NODE:/dev/NODE line of the dump: the host's node bound back where the
 * dumped VPS had it (criu-args.h). Only keys of that form: the file is ours, but a checkpoint
 * directory may have been handed around. */
static int map_host_dev_mounts(const char *text, struct criu_args *a)
{
	for (const char *v = strstr(text, "EXT_MOUNT="); v; v = strstr(v, "EXT_MOUNT=")) {
		char line[256];
		size_t n;
		const char *sep;

		v += 10;
		n = strcspn(v, "\n");
		if (n >= sizeof(line))
			return -EBADMSG;
		memcpy(line, v, n);
		line[n] = '\0';
		sep = strchr(line, ':');
		if (strncmp(line, "hostdev/", 8) != 0 || !sep ||
		    strncmp(sep + 1, "/dev/", 5) != 0 ||
		    strlen(sep + 5) != (size_t)(sep - line - 7) ||
		    strncmp(line + 7, sep + 5, strlen(sep + 5)) != 0 || strstr(line, ".."))
			return -EBADMSG;
		criu_args_add(a, "--ext-mount-map");
		criu_args_add(a, line);
	}
	return 0;
}

/* criu 3.17 dumps its own network lock (table inet CRIU-PID, output policy drop) with the
 * VPS's nftables state, and the restore brings it back and never removes it: the VPS could
 * send nothing. Deleted here, in the restored init's network namespace. */
static int remove_lock_table(pid_t init, const char *table)
{
	char path[64], cmd[80];
	int status;
	pid_t pid;

	if (!table[0])
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)init);
	snprintf(cmd, sizeof(cmd), "delete table inet %s", table);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		struct vps_error err = VPS_ERROR_INIT;
		struct nftctx n = {0};
		int fd = open(path, O_RDONLY | O_CLOEXEC);

		if (fd < 0 || setns(fd, CLONE_NEWNET) < 0 || nftlib_ctx_open(&n, &err) < 0)
			_exit(1);
		/* absent (a newer criu cleans up): nothing to do */
		(void)nftlib_run(&n, cmd, NULL, &err);
		nftlib_ctx_close(&n);
		_exit(0);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

static pid_t read_pidfile(const char *path)
{
	_cleanup_free_ char *text = NULL;
	size_t n;
	long v;
	char *end;

	if (read_file_at(AT_FDCWD, path, 64, &text, &n) < 0)
		return -ENOENT;
	errno = 0;
	v = strtol(text, &end, 10);
	if (errno || end == text || v <= 1 || v > 4194304)
		return -EBADMSG;
	return (pid_t)v;
}

static void restore_options(const struct vps_criu_restore *r, const struct checkpoint_info *ci,
                            struct criu_args *a)
{
	criu_args_add(a, "criu");
	criu_args_add(a, "restore");
	criu_args_add(a, "--images-dir");
	criu_args_add(a, r->dir);
	criu_args_add(a, "--log-file");
	criu_args_add(a, "restore.log");
	criu_args_add(a, "-v4");
	criu_args_add(a, "--root");
	criu_args_add(a, r->rootfs);
	/* init becomes our child, as one we spawned: criu forks it as its own sibling */
	criu_args_add(a, "--restore-detached");
	criu_args_add(a, "--restore-sibling");
	criu_args_add(a, "--pidfile");
	criu_args_add(a, r->pidfile);
	criu_args_add(a, "--network-lock");
	criu_args_add(a, "nftables");
	criu_args_add(a, "--manage-cgroups=ignore");
	/* what a migration's dump kept open (nothing otherwise) */
	criu_args_add(a, "--tcp-established");
	/* the new console in place of the dumped one */
	criu_args_add(a, "--inherit-fd");
	criu_args_addf(a, "fd[3]:%s", ci->tty);
	criu_args_add(a, "--ext-mount-map");
	criu_args_addf(a, "console:%s", r->console_path);
	if (r->host_ifname) {
		criu_args_add(a, "--veth-pair");
		criu_args_addf(a, "%s=%s", r->vps_ifname, r->host_ifname);
	}
}

pid_t vps_criu_restore(const struct vps_criu_restore *a, struct vps_error *err)
{
	_cleanup_free_ char *out = malloc(CRIU_OUTPUT_MAX);
	_cleanup_free_ struct criu_args *args = malloc(sizeof(*args));
	struct checkpoint_info ci = {0};
	char *const *argv;
	pid_t pid;
	int r;

	if (!out || !args)
		return vps_error_errno(err, -ENOMEM, "criu restore");
	r = read_info(a->dir, &ci);
	if (r == 0) {
		criu_args_init(args);
		restore_options(a, &ci, args);
		r = map_host_dev_mounts(ci.text, args);
	}
	free(ci.text);
	if (r < 0)
		return vps_error_errno(err, r, "'%s' is not a checkpoint of vpsctl (%s)", a->dir,
		                       CHECKPOINT_INFO);
	argv = criu_args_done(args);
	if (!argv)
		return vps_error_errno(err, -E2BIG, "criu's command line is too long");
	(void)unlink(a->pidfile);
	if (a->userns_root != (uid_t)-1) {
		r = criu_images_chown(a->dir, a->userns_root, a->userns_group);
		if (r < 0)
			return vps_error_errno(err, r, "failed to hand %s to the VPS's root",
			                       a->dir);
	}
	r = run_criu_in(argv, out, CRIU_OUTPUT_MAX,
	                &(struct criu_child){.keep_fd = a->console_fd, .cg = a->cg});
	if (a->userns_root != (uid_t)-1)
		(void)criu_images_chown(a->dir, 0, 0);
	if (r < 0)
		return criu_missing(r, err);
	if (r != 0)
		return criu_failed("restore", a->dir, out, r, err);
	pid = read_pidfile(a->pidfile);
	if (pid < 0)
		return vps_error_errno(err, pid, "criu restore wrote no pid to %s", a->pidfile);
	r = remove_lock_table(pid, ci.table);
	if (r < 0)
		return vps_error_errno(err, r, "failed to remove criu's network lock from the VPS");
	return pid;
}

int vps_criu_unlock(pid_t init)
{
	char table[32];

	snprintf(table, sizeof(table), "CRIU-%d", (int)init);
	return remove_lock_table(init, table);
}
