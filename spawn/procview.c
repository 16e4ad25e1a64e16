/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "procview.h"

#ifndef FUSE_SUPER_MAGIC
#define FUSE_SUPER_MAGIC 0x65735546
#endif

/* A live lxcfs answers at once; one that hangs must not hang a start or a status. */
#define PROBE_TIMEOUT_MS 2000

/* What lxcfs virtualizes, relative to LXCFS_DIR, and where it goes in the VPS (LXC's
 * lxc.mount.hook binds the same). slabinfo is left out: the VPS's root cannot read the host's
 * either. The cpu directory comes whole: lxcfs passes its other entries through. */
static const char *const view_paths[] = {
	"proc/meminfo", "proc/cpuinfo", "proc/stat",      "proc/uptime",
	"proc/loadavg", "proc/swaps",   "proc/diskstats", "sys/devices/system/cpu",
};
#define VIEW_N (sizeof(view_paths) / sizeof(view_paths[0]))

enum probe_result { PROBE_LIVE = 0, PROBE_ABSENT = 1, PROBE_STALE = 2 };

/* Runs fn(arg) in a child and returns its exit status, or -ETIMEDOUT after killing it (a FUSE
 * request waits killably only). */
static int probe_run(int (*fn)(const void *), const void *arg)
{
	_cleanup_close_ int pidfd = -EBADF;
	struct pollfd p = {.events = POLLIN};
	int status, r;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0)
		_exit(fn(arg));
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	p.fd = pidfd;
	do
		r = pidfd >= 0 ? poll(&p, 1, PROBE_TIMEOUT_MS) : 0;
	while (r < 0 && errno == EINTR);
	if (r <= 0)
		(void)kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFSIGNALED(status))
		return -ETIMEDOUT;
	return WEXITSTATUS(status);
}

static bool readable(int dirfd, const char *path)
{
	_cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	char c;

	return fd >= 0 && read(fd, &c, 1) == 1;
}

/* Child: a FUSE mount on LXCFS_DIR whose files answer. */
static int probe_node(const void *arg)
{
	_cleanup_close_ int dirfd = open(arg, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct statfs sf;

	if (dirfd < 0 || fstatfs(dirfd, &sf) < 0)
		return errno == ENOTCONN ? PROBE_STALE : PROBE_ABSENT;
	if (sf.f_type != FUSE_SUPER_MAGIC)
		return PROBE_ABSENT;
	for (size_t i = 0; i < VIEW_N; i++)
		if (!readable(dirfd, strncmp(view_paths[i], "sys/", 4) == 0
		                             ? "sys/devices/system/cpu/online"
		                             : view_paths[i]))
			return PROBE_STALE;
	return PROBE_LIVE;
}

/* Copies a mountinfo path field (up to its space) to out, decoding the kernel's \ooo escapes. */
static void mountinfo_path(const char *s, char *out, size_t size)
{
	size_t n = 0;

	while (*s != '\0' && *s != ' ' && n + 1 < size) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			out[n++] = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 4;
		} else {
			out[n++] = *s++;
		}
	}
	out[n] = '\0';
}

/* LXCFS_DIR as mountinfo spells a mount point: no repeated or trailing slash. */
static void mount_point_spelling(const char *dir, char *out, size_t size)
{
	size_t n = 0;

	for (; *dir != '\0' && n + 1 < size; dir++)
		if (*dir != '/' || n == 0 || out[n - 1] != '/')
			out[n++] = *dir;
	if (n > 1 && out[n - 1] == '/')
		n--;
	out[n] = '\0';
}

/* Whether mountinfo line is a mount on point (field 5) and, if so, whether of lxcfs. */
static bool line_mounts(const char *line, const char *point, bool *ret_lxcfs)
{
	char path[PATH_MAX];
	const char *p = line, *sep;

	for (int field = 0; field < 4; field++) {
		p = strchr(p, ' ');
		if (!p)
			return false;
		p++;
	}
	mountinfo_path(p, path, sizeof(path));
	sep = strstr(p, " - ");
	if (strcmp(path, point) != 0 || !sep)
		return false;
	*ret_lxcfs = strncmp(sep + 3, "fuse.lxcfs ", 11) == 0;
	return true;
}

/* Whether the mount on dir is lxcfs's, from our mount table: reading it never touches a FUSE
 * server, where the probe's open of dir could hang, so a node without lxcfs forks no probe at
 * start. The last mount on dir is the one a lookup reaches. dir must name the mount point
 * itself (no symlink on the way). Unreadable: we cannot tell, so true (the probe decides). */
static bool lxcfs_mounted_on(const char *dir)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
	_cleanup_free_ char *line = NULL;
	char point[PATH_MAX];
	bool lxcfs = false, this_lxcfs;
	size_t n = 0;

	if (!f)
		return true;
	mount_point_spelling(dir, point, sizeof(point));
	while (getline(&line, &n, f) > 0)
		if (line_mounts(line, point, &this_lxcfs))
			lxcfs = this_lxcfs;
	return lxcfs || ferror(f) != 0;
}

int procview_prepare(const struct node_config *node, bool *ret_on, struct vps_error *err)
{
	int r;

	*ret_on = false;
	if (node->lxcfs == VPS_LXCFS_OFF)
		return 0;
	r = lxcfs_mounted_on(node->lxcfs_dir) ? probe_run(probe_node, node->lxcfs_dir)
	                                      : PROBE_ABSENT;
	if (r == PROBE_LIVE) {
		*ret_on = true;
		return 0;
	}
	if (node->lxcfs != VPS_LXCFS_REQUIRED)
		return 0;
	return vps_error_set(err, -EHOSTDOWN, "LXCFS=required, but %s is %s", node->lxcfs_dir,
	                     r == -ETIMEDOUT     ? "an lxcfs that does not answer"
	                     : r == PROBE_ABSENT ? "not an lxcfs mount"
	                                         : "an lxcfs mount whose files cannot be read");
}

/* Opens rootfd/path (a path in the VPS's fresh /proc or /sys) without following links. */
static int open_view_target(int rootfd, const char *path)
{
	struct open_how how = {
		.flags = O_PATH | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	int fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));

	return fd >= 0 ? fd : -errno;
}

static void close_all(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		closep(&fds[i]);
}

/* Detached read-only copies of the lxcfs files; the tenant cannot write through them. */
static int clone_sources(int dirfd, int fds[VIEW_N])
{
	struct mount_attr ro = {
		.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
	                    MOUNT_ATTR_NOEXEC,
	};

	for (size_t i = 0; i < VIEW_N; i++) {
		fds[i] = open_tree(dirfd, view_paths[i],
		                   OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_SYMLINK_NOFOLLOW);
		if (fds[i] < 0)
			return -errno;
		if (mount_setattr(fds[i], "", AT_EMPTY_PATH, &ro, sizeof(ro)) < 0)
			return -errno;
	}
	return 0;
}

int procview_bind(int rootfd, const char *lxcfs_dir, struct vps_error *err)
{
	_cleanup_close_ int dirfd = -EBADF;
	int fds[VIEW_N], r;

	for (size_t i = 0; i < VIEW_N; i++)
		fds[i] = -EBADF;
	dirfd = open(lxcfs_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return vps_error_errno(err, -errno, "failed to open the lxcfs directory");
	r = clone_sources(dirfd, fds);
	if (r < 0)
		vps_error_errno(err, r, "failed to clone the lxcfs files");
	for (size_t i = 0; r == 0 && i < VIEW_N; i++) {
		_cleanup_close_ int target = open_view_target(rootfd, view_paths[i]);

		if (target < 0)
			r = target;
		else if (move_mount(fds[i], "", target, "",
		                    MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
			r = -errno;
		if (r < 0)
			vps_error_errno(err, r, "failed to bind the lxcfs files");
	}
	close_all(fds, VIEW_N);
	return r;
}

/* Child: what is on the VPS's /proc/meminfo, seen through its init's root. */
static int probe_vps(const void *arg)
{
	struct open_how how = {
		.flags = O_PATH | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	_cleanup_close_ int root = open(arg, O_PATH | O_DIRECTORY | O_CLOEXEC), fd = -EBADF;
	struct statfs sf;

	if (root < 0)
		return PROBE_ABSENT;
	fd = (int)syscall(SYS_openat2, root, "proc/meminfo", &how, sizeof(how));
	if (fd < 0 || fstatfs(fd, &sf) < 0)
		return errno == ENOTCONN ? PROBE_STALE : PROBE_ABSENT;
	return sf.f_type == FUSE_SUPER_MAGIC ? PROBE_LIVE : PROBE_ABSENT;
}

const char *procview_state(pid_t init_pid)
{
	char root[64];

	if (init_pid <= 0)
		return "off";
	snprintf(root, sizeof(root), "/proc/%d/root", (int)init_pid);
	switch (probe_run(probe_vps, root)) {
	case PROBE_LIVE:
		return "lxcfs";
	case PROBE_STALE:
	case -ETIMEDOUT:
		return "stale";
	default:
		return "off";
	}
}
