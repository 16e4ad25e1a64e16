/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Why only hybrid hosts: on a pure cgroup2 host the VPS runs in the very group that carries its
 * limits (PARENT/NAME, made by cgroup/). Mounting that group as the VPS's /sys/fs/cgroup would
 * let root inside write its own memory.max. There the delegated tree must be a child of the
 * limited group (PARENT/NAME/payload, as systemd-nspawn and LXC do), which needs cgroup/ to
 * kill, count and remove recursively first; until then a v2 host gets no cgroup mount.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "cg-internal.h"
#include "cgroup-mount.h"
#include "cleanup.h"
#include "fileio.h"

#define UNIFIED      "/sys/fs/cgroup/unified"
#define TREE_LOCK_MS 10000 /* held for a few mkdirs or rmdirs (vps_cgroup_tree_lock) */

/* UNIFIED/parent/name with parent checked like cgroup/ does ("" or "/a/b", no dot parts). */
static int group_path(const struct vps_cgroup *cg, char *buf, size_t len)
{
	const char *parent = cg->parent, *name = cg->name;
	int n;

	if ((parent[0] && parent[0] != '/') || strstr(parent, "/.") || strstr(parent, "//") ||
	    !name[0] || strchr(name, '/') || name[0] == '.')
		return -EINVAL;
	n = snprintf(buf, len, "%s%s/%s", UNIFIED, strcmp(parent, "/") == 0 ? "" : parent, name);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int cg_tree_make(const struct vps_cgroup *cg, long long owner, int *ret_fd)
{
	static const char *const delegated[] = {"cgroup.procs", "cgroup.threads",
	                                        "cgroup.subtree_control"};
	_cleanup_close_ int fd = -EBADF, lock = -EBADF;
	char path[PATH_MAX];
	int r;

	*ret_fd = -EBADF;
	r = group_path(cg, path, sizeof(path));
	if (r < 0)
		return r;
	/* the parent may be removed by a sibling's stop until our group is in it */
	lock = vps_cgroup_tree_lock(TREE_LOCK_MS);
	if (lock < 0)
		return lock;
	r = mkdir_p(path, 0755);
	if (r < 0)
		return r;
	closep(&lock);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* cgroup v2 delegation as the kernel documents it: the directory and these files. */
	if (owner >= 0) {
		if (fchown(fd, (uid_t)owner, (gid_t)owner) < 0)
			return -errno;
		for (size_t i = 0; i < ELEMENTSOF(delegated); i++)
			if (fchownat(fd, delegated[i], (uid_t)owner, (gid_t)owner, 0) < 0)
				return -errno;
	}
	*ret_fd = TAKE_FD(fd);
	return 0;
}

int cg_tree_open(const struct vps_cgroup *cg, int *ret_fd)
{
	char path[PATH_MAX];
	int dfd = AT_FDCWD, r;

	*ret_fd = -EBADF;
	if (cg->tree_parent_fd >= 0) {
		dfd = cg->tree_parent_fd;
		r = strchr(cg->name, '/') || cg->name[0] == '.' ? -EINVAL : 0;
		snprintf(path, sizeof(path), "%s", cg->name);
	} else
		r = group_path(cg, path, sizeof(path));
	if (r < 0)
		return r;
	*ret_fd = openat(dfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*ret_fd < 0)
		return errno == ENOENT ? 0 : -errno; /* a VPS started before this existed */
	return 0;
}

int cg_tree_parent_open(const struct vps_cgroup *cg)
{
	char path[PATH_MAX];
	int r = group_path(cg, path, sizeof(path)), fd;

	if (r < 0)
		return r;
	*strrchr(path, '/') = '\0';
	fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return fd;
}

static int open_cgroup_dir(int rootfd, int flags)
{
	/* Our fresh sysfs, not the VPS's files: still resolved without following anything. */
	return open_in_root(rootfd, "sys/fs/cgroup", flags | O_DIRECTORY, 0, RESOLVE_NO_SYMLINKS);
}

/* A read-only bind of dfd/name on itself. */
static int bind_read_only(int dfd, const char *name)
{
	struct mount_attr attr = {
		.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
	                    MOUNT_ATTR_NOEXEC,
	};
	_cleanup_close_ int tree = -EBADF;

	tree = open_tree(dfd, name, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_SYMLINK_NOFOLLOW);
	if (tree < 0)
		return -errno;
	if (mount_setattr(tree, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
		return -errno;
	if (move_mount(tree, "", dfd, name, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return -errno;
	return 0;
}

/* The root of the VPS's view is the VPS's own group: each writable file there (freeze, kill,
 * procs, the max.* limits, pressure) gets a read-only bind. Child groups, which the VPS makes
 * itself, stay writable. Files the kernel gives no write handler (0444) cannot be opened for
 * writing even by CAP_DAC_OVERRIDE or after a chmod, so they need none. */
static int lock_root_files(int dfd)
{
	_cleanup_closedir_ DIR *d = opendir_dup(dfd);
	struct dirent *de;

	if (!d)
		return -errno;
	while ((errno = 0, de = readdir(d))) {
		struct stat st;
		int r;

		if (de->d_type != DT_REG)
			continue;
		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return -errno;
		if (!(st.st_mode & 0222))
			continue;
		r = bind_read_only(dfd, de->d_name);
		if (r < 0)
			return r;
	}
	return -errno;
}

int vps_cgroup2_mount(int rootfd, struct vps_error *err)
{
	_cleanup_close_ int fd = -EBADF, root = -EBADF;
	char target[64];

	fd = open_cgroup_dir(rootfd, O_PATH);
	if (fd < 0)
		return vps_error_errno(err, fd, "failed to mount cgroup2 on /sys/fs/cgroup");
	snprintf(target, sizeof(target), "/proc/self/fd/%d", fd);
	if (mount("cgroup2", target, "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		return vps_error_errno(err, -errno, "failed to mount cgroup2 on /sys/fs/cgroup");
	root = open_cgroup_dir(rootfd, O_RDONLY); /* now the cgroup2 mount's root */
	if (root < 0)
		return vps_error_errno(err, root,
		                       "failed to make the VPS's own cgroup files read-only");
	return vps_error_check(err, lock_root_files(root),
	                       "failed to make the VPS's own cgroup files read-only");
}

/* Where the tree's file is: NAME/FILE relative to the parent a list opened once, else the
 * full path (*ret_dfd AT_FDCWD). */
static int tree_file_at(const struct vps_cgroup *cg, const char *file, char *buf, size_t len,
                        int *ret_dfd)
{
	int n, r;

	*ret_dfd = AT_FDCWD;
	if (cg->tree_parent_fd >= 0) {
		if (strchr(cg->name, '/') || cg->name[0] == '.')
			return -EINVAL;
		*ret_dfd = cg->tree_parent_fd;
		n = snprintf(buf, len, "%s/%s", cg->name, file);
		return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
	}
	r = group_path(cg, buf, len);
	if (r < 0)
		return r;
	n = (int)strlen(buf);
	return snprintf(buf + n, len - (size_t)n, "/%s", file) >= (int)(len - (size_t)n)
	               ? -ENAMETOOLONG
	               : 0;
}

/* "frozen 1" in cgroup.events: in effect, also when an ancestor is frozen. */
static bool events_frozen(int dfd, const char *path)
{
	char text[512];
	const char *p;

	if (read_kernel_text_at(dfd, path, text, sizeof(text)) < 0)
		return false;
	p = strstr(text, "frozen 1");
	return p && (p == text || p[-1] == '\n') && (p[8] == '\n' || p[8] == '\0');
}

/* The files read one by one, no directory opened first (a list reads every VPS's); no tree
 * (a VPS started before this existed) reads as not frozen. */
int cg_tree_frozen(const struct vps_cgroup *cg, bool *ret)
{
	char events[PATH_MAX], freeze[PATH_MAX], v[64];
	int dfd, r;

	*ret = false;
	r = tree_file_at(cg, "cgroup.events", events, sizeof(events), &dfd);
	if (r == 0)
		r = tree_file_at(cg, "cgroup.freeze", freeze, sizeof(freeze), &dfd);
	if (r < 0)
		return r;
	*ret = events_frozen(dfd, events) ||
	       (read_kernel_text_at(dfd, freeze, v, sizeof(v)) > 0 && v[0] == '1');
	return 0;
}

int cg_tree_thaw(const struct vps_cgroup *cg)
{
	_cleanup_close_ int fd = -EBADF;
	int r;

	r = cg_tree_open(cg, &fd);
	if (r < 0 || fd < 0)
		return r;
	return write_string_at(fd, "cgroup.freeze", "0");
}

int cg_tree_remove(const struct vps_cgroup *cg)
{
	_cleanup_close_ int pfd = -EBADF, lock = -EBADF;
	char path[PATH_MAX], *slash;
	int r;

	r = group_path(cg, path, sizeof(path));
	if (r < 0)
		return r;
	slash = strrchr(path, '/');
	*slash = '\0';
	pfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0)
		return errno == ENOENT ? 0 : -errno;
	r = cg_rmdir_tree(pfd, slash + 1);
	if (r < 0 || strcmp(path, UNIFIED) == 0)
		return r;
	/* The parent too once it is empty, like cgroup/ does on the other hierarchies; never the
	 * hierarchy's root. Another VPS in it (EBUSY) or being made in it (the lock) keeps it. */
	lock = vps_cgroup_tree_lock(TREE_LOCK_MS);
	if (lock >= 0 && rmdir(path) < 0 && errno != EBUSY && errno != ENOTEMPTY && errno != ENOENT)
		return -errno;
	return 0;
}
