/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "devices.h"
#include "fileio.h"
#include "log.h"

#define DEVICES_ROOT "/sys/fs/cgroup/devices"

const char *const vps_devices_allow[] = {
        "c *:* m", /* mknod of any node (package managers); nodev keeps them inert */
        "b *:* m",     "c 1:3 rwm", /* null */
        "c 1:5 rwm",                /* zero */
        "c 1:7 rwm",                /* full */
        "c 1:8 rwm",                /* random */
        "c 1:9 rwm",                /* urandom */
        "c 5:0 rwm",                /* tty */
        "c 5:2 rwm",                /* ptmx */
        "c 136:* rwm",              /* pty slaves: the VPS's devpts and its console */
        NULL,
};

static bool list_contains(char *list, const char *word)
{
	char *save = NULL;

	for (char *w = strtok_r(list, ",", &save); w; w = strtok_r(NULL, ",", &save))
		if (strcmp(w, word) == 0)
			return true;
	return false;
}

/* The path of the line "N:ctrl,...:/path" (v1 only: v2's line has no controller names). */
static int controller_path(const char *text, const char *ctrl, char *ret, size_t len)
{
	_cleanup_free_ char *copy = strdup(text);
	char *save = NULL;

	if (!copy)
		return -ENOMEM;
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *ctrls = strchr(line, ':'), *path;

		path = ctrls ? strchr(ctrls + 1, ':') : NULL;
		if (!path)
			continue;
		*path++ = '\0';
		if (!list_contains(ctrls + 1, ctrl))
			continue;
		if (strlen(path) >= len)
			return -ENAMETOOLONG;
		strcpy(ret, path);
		return 0;
	}
	return -ENOENT;
}

int vps_devices_group(const char *proc_cgroup, const char *name, char *ret, size_t len)
{
	char mem[PATH_MAX];
	size_t dlen, nlen = strlen(name);
	int r;

	r = controller_path(proc_cgroup, "devices", ret, len);
	if (r == 0)
		r = controller_path(proc_cgroup, "memory", mem, sizeof(mem));
	if (r < 0)
		return r;
	dlen = strlen(ret);
	/* Ours only if it is the group the cgroup module made for this VPS (the same as its memory
	 * group, named after it): never the root or a group the host put us in. */
	if (strcmp(ret, mem) != 0 || dlen < nlen + 1 || ret[dlen - nlen - 1] != '/' ||
	    strcmp(ret + dlen - nlen, name) != 0)
		return -ENOENT;
	if (strstr(ret, "/.."))
		return -EINVAL; /* the path is appended to DEVICES_ROOT */
	return 0;
}

static int write_rule(int fd, const char *rule)
{
	ssize_t n = write(fd, rule, strlen(rule));

	if (n < 0)
		return log_debug_errno(-errno, "Writing device rule '%s': %m", rule);
	return (size_t)n == strlen(rule) ? 0 : -EIO;
}

int vps_devices_apply_at(int dirfd)
{
	_cleanup_close_ int deny = -EBADF, allow = -EBADF;
	int r;

	deny = openat(dirfd, "devices.deny", O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (deny < 0)
		return -errno;
	allow = openat(dirfd, "devices.allow", O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (allow < 0)
		return -errno;
	r = write_rule(deny, "a");
	for (size_t i = 0; r == 0 && vps_devices_allow[i]; i++)
		r = write_rule(allow, vps_devices_allow[i]);
	return r;
}

int vps_devices_restrict(pid_t pid, const char *name)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_close_ int dfd = -EBADF;
	char proc[64], group[PATH_MAX], dir[PATH_MAX + sizeof(DEVICES_ROOT)];
	int r;

	snprintf(proc, sizeof(proc), "/proc/%d/cgroup", (int)pid);
	r = read_file_at(AT_FDCWD, proc, 1 << 16, &text, NULL);
	if (r < 0)
		return r;
	r = vps_devices_group(text, name, group, sizeof(group));
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	snprintf(dir, sizeof(dir), DEVICES_ROOT "%s", group);
	dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (dfd < 0)
		return errno == ENOENT ? 0 : -errno;
	r = vps_devices_apply_at(dfd);
	return r < 0 ? r : 1;
}
