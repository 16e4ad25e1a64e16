/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A supervisor started from a program with threads (vpsctl-api): not a fork of the caller, in
 * which only async-signal-safe calls would be allowed, but vps-supervisor --start spawned fresh
 * with the configs the caller loaded and checked (the sealed memfd of the handover) and the
 * report pipe. It forks once more (single-threaded there) so that the caller reaps it at once
 * and the supervisor, in a session of its own, is adopted by init as `vpsctl start`'s is.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "cleanup.h"
#include "fileio.h"
#include "lifecycle.h"
#include "parse.h"
#include "supervisor.h"

static void redirect_stdio(const struct vps_paths *p, const char *name)
{
	char path[PATH_MAX];
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (fd >= 0) {
		(void)dup2(fd, STDIN_FILENO);
		(void)dup2(fd, STDOUT_FILENO);
		close(fd);
	}
	if (vps_run_path(p, name, "supervisor.log", path, sizeof(path)) == 0 &&
	    (fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600)) >= 0) {
		(void)dup2(fd, STDERR_FILENO);
		close(fd);
	}
}

void vps_supervisor_detach(struct vps_supervisor_args *a)
{
	char run[PATH_MAX];

	/* spawned with POSIX_SPAWN_SETSID, a session leader already */
	if ((getsid(0) != getpid() && setsid() < 0) || chdir("/") < 0)
		_exit(1);
	/* A unit that ran `vpsctl start` is not this VPS's unit (that is --foreground's case). */
	(void)unsetenv("NOTIFY_SOCKET");
	umask(022);
	if (vps_run_path(a->paths, a->cfg->name, NULL, run, sizeof(run)) == 0)
		(void)mkdir(run, 0700);
	redirect_stdio(a->paths, a->cfg->name);
	/* The command that started us keeps the lock until we report; we hold no copy of it. */
	closep(&a->lock_fd);
	/* Whatever else the caller of `vpsctl start` left open (a pipe a script waits on for
	 * EOF, a job runner's fds) must not live as long as the VPS. */
	if ((a->report_fd == 3 || dup2(a->report_fd, 3) == 3) &&
	    syscall(SYS_close_range, 4, ~0U, 0) == 0) {
		a->report_fd = 3;
		a->handover = true;
		_exit(vps_supervisor_run(a) < 0);
	}
	_exit(1);
}

/* fd moved to 10 or above (close-on-exec): the spawn's dup2 onto 3 and 4 never meets it. */
static int fd_high(int fd)
{
	int r = fcntl(fd, F_DUPFD_CLOEXEC, 10);

	return r < 0 ? -errno : r;
}

static int spawn_attrs(posix_spawnattr_t *at)
{
	sigset_t none, all;

	sigemptyset(&none);
	sigfillset(&all);
	/* the caller's mask and handlers are its own: the supervisor starts from the defaults */
	if (posix_spawnattr_init(at) != 0)
		return -ENOMEM;
	if (posix_spawnattr_setsigmask(at, &none) != 0 ||
	    posix_spawnattr_setsigdefault(at, &all) != 0 ||
	    posix_spawnattr_setflags(at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
	                                         POSIX_SPAWN_SETSID) != 0) {
		posix_spawnattr_destroy(at);
		return -EINVAL;
	}
	return 0;
}

/* The supervisor's pid, which the process we spawned wrote before it exited (reaped); 0 if
 * it did not (it failed before it forked). */
static pid_t read_pid(int fd)
{
	char text[24];
	ssize_t n;
	int pid;

	if (fd_wait_readable(fd, 1000) < 0)
		return 0;
	n = read(fd, text, sizeof(text) - 1);
	if (n <= 0)
		return 0;
	text[n] = '\0';
	text[strcspn(text, "\n")] = '\0';
	return parse_int_range(text, 2, INT32_MAX, &pid) == 0 ? (pid_t)pid : 0;
}

/* vps-supervisor --start with report on fd 3 and conf on fd 4, nothing else of ours; it
 * writes the pid of the supervisor it forks to pid_out (its stdout). */
static int spawn_supervisor(const struct vps_paths *p, const char *name, int report, int conf,
                            int pid_out, pid_t *ret)
{
	static char *const envp[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8", NULL};
	char path[PATH_MAX];
	char *argv[] = {path,         "--start", "--root", p->root[0] ? (char *)p->root : "/",
	                (char *)name, NULL};
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	int r;

	if (vps_libexec_path("vps-supervisor", path, sizeof(path)) < 0)
		return -ENOENT;
	r = spawn_attrs(&at);
	if (r < 0)
		return r;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pid_out, 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, report, 3);
	posix_spawn_file_actions_adddup2(&fa, conf, 4);
	/* whatever a library of the caller opened without O_CLOEXEC stays with the caller */
	posix_spawn_file_actions_addclosefrom_np(&fa, 5);
	r = posix_spawn(ret, path, &fa, &at, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	return -r;
}

int vps_start_spawn(const struct vps_paths *p, const struct vps_config *cfg,
                    const struct node_config *node, struct vps_error *err)
{
	_cleanup_close_ int conf = -EBADF, rd = -EBADF, wr = -EBADF, pid_rd = -EBADF,
			    pid_wr = -EBADF;
	struct vps_cgroup_host host;
	int pipefd[2], r, status;
	pid_t pid;

	r = vps_cgroup_host_get(&host);
	if (r < 0)
		return vps_error_errno(err, r, "the host's cgroups are not known");
	conf = vps_handover_config_fd(cfg, node, &host);
	if (conf >= 0)
		conf = fd_high(TAKE_FD(conf));
	if (conf < 0)
		return vps_error_errno(err, conf, "failed to hand the config to the supervisor");
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return vps_error_errno(err, -errno, "failed to make the report pipe");
	rd = pipefd[0];
	wr = fd_high(pipefd[1]);
	close(pipefd[1]);
	if (wr < 0)
		return vps_error_errno(err, wr, "failed to make the report pipe");
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return vps_error_errno(err, -errno, "failed to make the pid pipe");
	pid_rd = pipefd[0];
	pid_wr = fd_high(pipefd[1]);
	close(pipefd[1]);
	if (pid_wr < 0)
		return vps_error_errno(err, pid_wr, "failed to make the pid pipe");
	r = spawn_supervisor(p, cfg->name, wr, conf, pid_wr, &pid);
	if (r < 0)
		return vps_error_errno(err, r, "failed to run vps-supervisor");
	closep(&wr);
	closep(&pid_wr);
	/* it forks the supervisor and exits at once: reaped here, nothing is left a zombie */
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			break;
	return vps_start_wait_report(p, cfg, node, read_pid(pid_rd), rd, err);
}
