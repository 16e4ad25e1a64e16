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

/* Runs criu with argv (argv[0] is ignored), output into out (NUL-terminated, truncated);
 * returns its exit status, or -errno when it could not run. keep_fd >= 0 is handed to criu
 * as fd 3 (--inherit-fd); cg: criu runs in that group, so that what it forks is born there. */
static int run_criu_in(char *const argv[], char *out, size_t out_len, int keep_fd,
                       struct vps_cgroup *cg)
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
		if (keep_fd >= 0 && dup2(keep_fd, 3) < 0) /* dup2 leaves 3 without O_CLOEXEC */
			_exit(127);
		if (cg && vps_cgroup_attach(cg, 0) < 0)
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
	return run_criu_in(argv, out, out_len, -1, NULL);
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

static int write_info(const char *dir, const char *tty, pid_t init)
{
	_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char text[128];
	int n;

	if (dfd < 0)
		return -errno;
	n = snprintf(text, sizeof(text), "CONSOLE_TTY=%s\nLOCK_TABLE=CRIU-%d\n", tty, (int)init);
	return write_file_atomic_at(dfd, CHECKPOINT_INFO, text, (size_t)n, 0600);
}

static int criu_dump_run(pid_t init, const char *dir, enum vps_criu_dump_mode mode,
                         const char *prev, struct vps_error *err)
{
	char pid[16], tty[64], ext_tty[80];
	_cleanup_free_ char *out = malloc(CRIU_OUTPUT_MAX);
	int r, i = 0;
	char *argv[32];

	if (!out)
		return vps_error_errno(err, -ENOMEM, "criu dump");
	r = prepare_dir(dir, err);
	if (r < 0)
		return r;
	r = console_tty_key(init, tty, sizeof(tty));
	if (r < 0)
		return vps_error_errno(err, r, "failed to find the console of init (pid %d)",
		                       (int)init);
	snprintf(pid, sizeof(pid), "%d", (int)init);
	snprintf(ext_tty, sizeof(ext_tty), "%s", tty);
	argv[i++] = "criu";
	argv[i++] = mode == VPS_CRIU_PREDUMP ? "pre-dump" : "dump";
	argv[i++] = "--tree";
	argv[i++] = pid;
	argv[i++] = "--images-dir";
	argv[i++] = (char *)dir;
	argv[i++] = "--log-file";
	argv[i++] = "dump.log";
	argv[i++] = "-v4";
	/* the nftables lock: Debian's iptables is iptables-nft, which criu cannot lock with */
	argv[i++] = "--network-lock";
	argv[i++] = "nftables";
	/* the console: a bind mount of the supervisor's pty slave, and init's stdio */
	argv[i++] = "--external";
	argv[i++] = "mnt[/dev/console]:console";
	argv[i++] = "--external";
	argv[i++] = ext_tty;
	if (mode == VPS_CRIU_LEAVE_RUNNING)
		argv[i++] = "--leave-running";
	if (mode == VPS_CRIU_LEAVE_STOPPED) {
		argv[i++] = "--leave-stopped";
		/* a migration keeps the VPS's open connections (repair mode, its netns locked) */
		argv[i++] = "--tcp-established";
	}
	/* a migration's iterations: only what changed since the previous one is dumped */
	if (mode == VPS_CRIU_PREDUMP || prev) {
		argv[i++] = "--track-mem";
	}
	if (prev) {
		argv[i++] = "--prev-images-dir";
		argv[i++] = (char *)prev;
	}
	argv[i] = NULL;
	r = run_criu(argv, out, CRIU_OUTPUT_MAX);
	if (r < 0)
		return criu_missing(r, err);
	if (r != 0)
		return criu_failed(mode == VPS_CRIU_PREDUMP ? "pre-dump" : "dump", dir, out, r,
		                   err);
	if (mode == VPS_CRIU_PREDUMP)
		return 0;
	r = write_info(dir, tty, init);
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

/* The console's tty key and criu's lock table the dump recorded (write_info). */
static int read_info(const char *dir, char *tty, size_t len, char *table, size_t table_len)
{
	_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_free_ char *text = NULL;
	const char *v;
	size_t n;
	int r;

	if (dfd < 0)
		return -errno;
	r = read_file_at(dfd, CHECKPOINT_INFO, 4096, &text, &n);
	if (r < 0)
		return r;
	v = strstr(text, "CONSOLE_TTY=");
	if (!v || strncmp(v + 12, "tty[", 4) != 0)
		return -EBADMSG;
	v += 12;
	n = strcspn(v, "\n");
	if (n >= len)
		return -EBADMSG;
	memcpy(tty, v, n);
	tty[n] = '\0';
	table[0] = '\0';
	v = strstr(text, "LOCK_TABLE=CRIU-");
	if (v) {
		v += 11;
		n = strspn(v + 5, "0123456789") + 5;
		if (n < table_len) {
			memcpy(table, v, n);
			table[n] = '\0';
		}
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

pid_t vps_criu_restore(const struct vps_criu_restore *a, struct vps_error *err)
{
	char tty[64], inherit[96], console_map[96], veth[64], table[32];
	_cleanup_free_ char *out = malloc(CRIU_OUTPUT_MAX);
	char *argv[32];
	pid_t pid;
	int r, i = 0;

	if (!out)
		return vps_error_errno(err, -ENOMEM, "criu restore");
	r = read_info(a->dir, tty, sizeof(tty), table, sizeof(table));
	if (r < 0)
		return vps_error_errno(err, r, "'%s' is not a checkpoint of vpsctl (%s)", a->dir,
		                       CHECKPOINT_INFO);
	snprintf(inherit, sizeof(inherit), "fd[3]:%s", tty);
	snprintf(console_map, sizeof(console_map), "console:%s", a->console_path);
	(void)unlink(a->pidfile);
	argv[i++] = "criu";
	argv[i++] = "restore";
	argv[i++] = "--images-dir";
	argv[i++] = (char *)a->dir;
	argv[i++] = "--log-file";
	argv[i++] = "restore.log";
	argv[i++] = "-v4";
	argv[i++] = "--root";
	argv[i++] = (char *)a->rootfs;
	/* init becomes our child, as one we spawned: criu forks it as its own sibling */
	argv[i++] = "--restore-detached";
	argv[i++] = "--restore-sibling";
	argv[i++] = "--pidfile";
	argv[i++] = (char *)a->pidfile;
	argv[i++] = "--network-lock";
	argv[i++] = "nftables";
	argv[i++] = "--manage-cgroups=ignore";
	/* what a migration's dump kept open (nothing otherwise) */
	argv[i++] = "--tcp-established";
	/* the new console in place of the dumped one */
	argv[i++] = "--inherit-fd";
	argv[i++] = inherit;
	argv[i++] = "--ext-mount-map";
	argv[i++] = console_map;
	if (a->host_ifname) {
		snprintf(veth, sizeof(veth), "%s=%s", a->vps_ifname, a->host_ifname);
		argv[i++] = "--veth-pair";
		argv[i++] = veth;
	}
	argv[i] = NULL;
	r = run_criu_in(argv, out, CRIU_OUTPUT_MAX, a->console_fd, a->cg);
	if (r < 0)
		return criu_missing(r, err);
	if (r != 0)
		return criu_failed("restore", a->dir, out, r, err);
	pid = read_pidfile(a->pidfile);
	if (pid < 0)
		return vps_error_errno(err, pid, "criu restore wrote no pid to %s", a->pidfile);
	r = remove_lock_table(pid, table);
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
