/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The transport of a migration: `ssh [-p PORT] [-l USER] HOST -- vpsctl ARGS` with every
 * argument single-quoted (ssh joins its arguments into one remote shell command line), or
 * this very binary run as a subprocess with another --root (tests: two nodes on one machine).
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileio.h"
#include "migrate.h"

#define SSH_PATH "/usr/bin/ssh"
#define MAX_ARGS 32

static char *const transport_env[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C", NULL};

static bool valid_host(const char *s)
{
	if (!s[0] || s[0] == '-')
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr(".-_:[]", *s)))
			return false;
	return true;
}

static bool valid_path(const char *s)
{
	if (s[0] != '/')
		return false;
	for (; *s; s++)
		if ((unsigned char)*s < 0x21 || *s == '\'' || *s == ',')
			return false;
	return true;
}

static int parse_local(const char *rest, struct migrate_dest *d, char *why, size_t why_len)
{
	const char *comma = strchr(rest, ',');
	size_t n = comma ? (size_t)(comma - rest) : strlen(rest);

	d->local = true;
	if (n == 0 || n >= sizeof(d->root))
		return snprintf(why, why_len, "local: needs a root directory"), -EINVAL;
	memcpy(d->root, rest, n);
	d->root[n] = '\0';
	if (comma)
		snprintf(d->netns, sizeof(d->netns), "%s", comma + 1);
	if (!valid_path(d->root) || (d->netns[0] && !valid_path(d->netns)))
		return snprintf(why, why_len, "local: paths must be absolute, without blanks"),
		       -EINVAL;
	return 0;
}

int migrate_dest_parse(const char *url, struct migrate_dest *d, char *why, size_t why_len)
{
	const char *p, *at, *slash, *colon;
	size_t n;

	memset(d, 0, sizeof(*d));
	if (strlen(url) >= sizeof(d->url))
		return snprintf(why, why_len, "too long"), -EINVAL;
	snprintf(d->url, sizeof(d->url), "%s", url);
	if (strncmp(url, "local:", 6) == 0)
		return parse_local(url + 6, d, why, why_len);
	if (strncmp(url, "ssh://", 6) != 0)
		return snprintf(why, why_len, "not an ssh://[user@]host[:port][/root-path] URL"),
		       -EINVAL;
	p = url + 6;
	slash = strchr(p, '/');
	n = slash ? (size_t)(slash - p) : strlen(p);
	at = memchr(p, '@', n);
	if (at) {
		if ((size_t)(at - p) >= sizeof(d->user) || at == p)
			return snprintf(why, why_len, "bad user"), -EINVAL;
		memcpy(d->user, p, (size_t)(at - p));
		n -= (size_t)(at - p) + 1;
		p = at + 1;
	}
	colon = memchr(p, ':', n);
	if (colon) {
		size_t pl = n - (size_t)(colon - p) - 1;

		if (pl == 0 || pl >= sizeof(d->port) || strspn(colon + 1, "0123456789") < pl)
			return snprintf(why, why_len, "bad port"), -EINVAL;
		memcpy(d->port, colon + 1, pl);
		n = (size_t)(colon - p);
	}
	if (n == 0 || n >= sizeof(d->host))
		return snprintf(why, why_len, "no host"), -EINVAL;
	memcpy(d->host, p, n);
	if (!valid_host(d->host) || (d->user[0] && !valid_host(d->user)))
		return snprintf(why, why_len, "bad host or user name"), -EINVAL;
	if (slash && slash[1]) {
		if (strlen(slash) >= sizeof(d->root) || !valid_path(slash))
			return snprintf(why, why_len, "bad root path"), -EINVAL;
		snprintf(d->root, sizeof(d->root), "%s", slash);
	}
	return 0;
}

void migrate_dest_format(const struct migrate_dest *d, char *buf, size_t len)
{
	snprintf(buf, len, "%s", d->url);
}

/* One argument for the remote shell: 'arg' with each ' as '\'' */
static char *shell_quote(const char *s)
{
	size_t n = 3;
	char *q, *o;

	for (const char *p = s; *p; p++)
		n += *p == '\'' ? 4 : 1;
	q = malloc(n);
	if (!q)
		return NULL;
	o = q;
	*o++ = '\'';
	for (const char *p = s; *p; p++) {
		if (*p == '\'') {
			memcpy(o, "'\\''", 4);
			o += 4;
		} else
			*o++ = *p;
	}
	*o++ = '\'';
	*o = '\0';
	return q;
}

/* ssh's options, argv[*i] on: batch mode, the node's config, the migration's master
 * connection (master: be it; else use it when its socket is there), port and user. */
static void ssh_options(const struct migrate_dest *d, bool master, const char **argv, int *i,
                        char *ctl, size_t ctl_len)
{
	argv[(*i)++] = "ssh";
	argv[(*i)++] = "-o";
	argv[(*i)++] = "BatchMode=yes";
	if (d->ssh_config[0]) {
		argv[(*i)++] = "-F";
		argv[(*i)++] = d->ssh_config;
	}
	if (d->control[0]) {
		snprintf(ctl, ctl_len, "ControlPath=%s", d->control);
		argv[(*i)++] = "-o";
		argv[(*i)++] = ctl;
		argv[(*i)++] = "-o";
		argv[(*i)++] = master ? "ControlMaster=yes" : "ControlMaster=no";
	}
	if (d->port[0]) {
		argv[(*i)++] = "-p";
		argv[(*i)++] = d->port;
	}
	if (d->user[0]) {
		argv[(*i)++] = "-l";
		argv[(*i)++] = d->user;
	}
}

static _noreturn_ void exec_target(const struct migrate_dest *d, const char *const *args)
{
	const char *argv[MAX_ARGS + 24];
	char ctl[sizeof(d->control) + 16];
	int i = 0;

	if (d->local) {
		if (d->netns[0]) {
			int fd = open(d->netns, O_RDONLY | O_CLOEXEC);

			if (fd < 0 || setns(fd, CLONE_NEWNET) < 0)
				_exit(125);
		}
		argv[i++] = "vpsctl";
		if (d->root[0]) {
			argv[i++] = "--root";
			argv[i++] = d->root;
		}
		for (int k = 0; k < MAX_ARGS && args[k]; k++)
			argv[i++] = args[k];
		argv[i] = NULL;
		execve("/proc/self/exe", (char *const *)argv, transport_env);
		_exit(127);
	}
	ssh_options(d, false, argv, &i, ctl, sizeof(ctl));
	argv[i++] = "--";
	argv[i++] = d->host;
	argv[i++] = "vpsctl";
	if (d->root[0]) {
		argv[i++] = "--root";
		argv[i++] = shell_quote(d->root);
	}
	for (int k = 0; k < MAX_ARGS && args[k]; k++) {
		argv[i] = shell_quote(args[k]);
		if (!argv[i++])
			_exit(126);
	}
	argv[i] = NULL;
	execve(SSH_PATH, (char *const *)argv, transport_env);
	_exit(127);
}

pid_t migrate_ssh_master_start(struct migrate_dest *d, const char *control)
{
	const char *argv[24];
	char ctl[sizeof(d->control) + 16];
	pid_t parent = getpid(), pid;
	int i = 0;

	/* ssh expands % in ControlPath; a socket path is at most 108 bytes with ssh's suffix */
	if (d->local || strlen(control) + 24 >= sizeof(d->control) || strchr(control, '%'))
		return 0;
	if (unlink(control) < 0 && errno != ENOENT)
		return -errno;
	snprintf(d->control, sizeof(d->control), "%s", control);
	pid = fork();
	if (pid < 0) {
		d->control[0] = '\0';
		return -errno;
	}
	if (pid > 0)
		return pid;
	{
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);

		/* the migrate's own: gone with it, even after a kill -9 */
		if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0 ||
		    prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent)
			_exit(126);
	}
	ssh_options(d, true, argv, &i, ctl, sizeof(ctl));
	argv[i++] = "-N";
	argv[i++] = "--";
	argv[i++] = d->host;
	argv[i] = NULL;
	execve(SSH_PATH, (char *const *)argv, transport_env);
	_exit(127);
}

void migrate_ssh_master_stop(pid_t pid, struct migrate_dest *d)
{
	if (pid > 0) {
		(void)kill(pid, SIGTERM);
		(void)migrate_wait(pid);
	}
	if (d->control[0])
		(void)unlink(d->control); /* ssh removes it; not when it was killed */
	d->control[0] = '\0';
}

static void read_all(int fd, char *out, size_t out_len)
{
	size_t got = 0;

	for (;;) {
		char tmp[4096];
		ssize_t n = read(fd, tmp, sizeof(tmp));

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
	if (out_len)
		out[got] = '\0';
}

int migrate_wait(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* A pipe and a child: the child's pid (0 in the child), or -errno with nothing left open. */
static pid_t fork_with_pipe(int p[2])
{
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		int r = -errno;

		close(p[0]);
		close(p[1]);
		return r;
	}
	return pid;
}

int migrate_remote(const struct migrate_dest *d, const char *const *args, int in_fd, char *out,
                   size_t out_len)
{
	int p[2];
	pid_t pid;

	pid = fork_with_pipe(p);
	if (pid < 0)
		return pid;
	if (pid == 0) {
		int in = in_fd >= 0 ? in_fd : open("/dev/null", O_RDONLY | O_CLOEXEC);

		if (in < 0 || dup2(in, 0) < 0 || dup2(p[1], 1) < 0 || dup2(p[1], 2) < 0)
			_exit(126);
		exec_target(d, args);
	}
	close(p[1]);
	read_all(p[0], out, out_len);
	close(p[0]);
	return migrate_wait(pid);
}

pid_t migrate_spawn_reader(const char *const *argv, int *ret_fd)
{
	int p[2];
	pid_t pid;

	pid_t parent = getpid();

	pid = fork_with_pipe(p);
	if (pid < 0)
		return pid;
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

		/* gone with the migrate, even after a kill -9: a pre-copy that went on would
		 * complete the target's copy after --recover found none there */
		if (null < 0 || dup2(null, 0) < 0 || dup2(p[1], 1) < 0 ||
		    prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
			_exit(126);
		execve(argv[0], (char *const *)argv, transport_env);
		_exit(127);
	}
	close(p[1]);
	*ret_fd = p[0];
	return pid;
}
