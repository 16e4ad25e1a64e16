/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Running under a systemd unit with Delegate=yes on a cgroup v2 host: the unit's cgroup is
 * ours to manage, but cgroup v2 allows no processes in a group whose children have
 * controllers. So the supervisor moves into a leaf of its own and the VPS cgroup goes beside
 * it, inside the unit: systemd then accounts for, and stops, everything of the VPS.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cg-internal.h"
#include "cleanup.h"
#include "fileio.h"
#include "log.h"

/* The leaf's name has a '_', which no VPS name has: it can never be a VPS's cgroup. */
#define SUPERVISOR_LEAF "_supervisor"

/* Our own v2 cgroup: the "0::PATH" line of /proc/self/cgroup. */
static int own_cgroup(char *buf, size_t len)
{
	_cleanup_free_ char *text = NULL;
	const char *line;
	int r = read_file_at(AT_FDCWD, "/proc/self/cgroup", 65536, &text, NULL);

	if (r < 0)
		return r;
	line = strstr(text, "0::");
	if (!line || (line != text && line[-1] != '\n'))
		return -ENOENT;
	line += 3;
	r = snprintf(buf, len, "%.*s", (int)strcspn(line, "\n"), line);
	return r < 0 || (size_t)r >= len ? -ENAMETOOLONG : 0;
}

int cg_delegated_parent_v2(char *ret, size_t len)
{
	static const char *const needed[] = {"cpu", "memory", "pids"};
	static const char *const wanted[] = {"cpu", "memory", "pids", "io", "cpuset"};
	_cleanup_free_ char *ctrls = NULL;
	_cleanup_close_ int dfd = -EBADF, leaf = -EBADF;
	char own[PATH_MAX], path[PATH_MAX * 2];
	int r;

	if (!getenv("INVOCATION_ID"))
		return -ENOENT;
	r = own_cgroup(own, sizeof(own));
	if (r < 0)
		return r;
	if (strcmp(own, "/") == 0)
		return -ENOENT;
	snprintf(path, sizeof(path), "%s%s", cg_host_mount(CG_MEMORY), own);
	dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	/* Delegate=yes hands us the controllers: without them this unit is not delegated. */
	if (cg_read_string(dfd, "cgroup.controllers", &ctrls) < 0)
		return -ENOENT;
	for (size_t i = 0; i < ELEMENTSOF(needed); i++)
		if (!cg_word_in(ctrls, needed[i]))
			return -ENOENT;
	if (mkdirat(dfd, SUPERVISOR_LEAF, 0755) < 0 && errno != EEXIST)
		return -errno;
	leaf = openat(dfd, SUPERVISOR_LEAF, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (leaf < 0)
		return -errno;
	r = cg_write(leaf, "cgroup.procs", "0");
	if (r < 0)
		return log_debug_errno(r, "cgroup: moving into %s/%s: %m", own, SUPERVISOR_LEAF);
	/* Now that the unit's group holds no process, its children may get controllers. */
	for (size_t i = 0; i < ELEMENTSOF(wanted); i++) {
		char buf[32];

		if (!cg_word_in(ctrls, wanted[i]))
			continue;
		snprintf(buf, sizeof(buf), "+%s", wanted[i]);
		r = cg_write(dfd, "cgroup.subtree_control", buf);
		if (r < 0)
			return log_debug_errno(r, "cgroup: enabling %s in %s: %m", wanted[i], own);
	}
	r = snprintf(ret, len, "%s", own);
	return r < 0 || (size_t)r >= len ? -ENAMETOOLONG : 0;
}
