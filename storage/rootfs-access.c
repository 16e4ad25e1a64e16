/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "disk.h"
#include "rootfs-access.h"
#include "storage-mount.h"

int vps_child_run(int (*body)(void *data, char *err, size_t errlen), void *data, char *err,
		  size_t errlen)
{
	int p[2], status;
	ssize_t n;
	pid_t pid;

	err[0] = '\0';
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -errno;
	}
	if (pid == 0) {
		char why[1024] = "";
		int r;

		close(p[0]);
		/* killed with the command (kill -9 of a reinstall): its mounts go with it, and
		 * it holds the VPS lock no longer than the command */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() == 1)
			_exit(1);
		r = body(data, why, sizeof(why));
		if (r < 0)
			(void)!write(p[1], why, strlen(why));
		_exit(r < 0 ? 1 : 0);
	}
	close(p[1]);
	n = read(p[0], err, errlen - 1);
	err[n > 0 ? n : 0] = '\0';
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (!err[0])
		snprintf(err, errlen, "the helper process failed");
	return -EIO;
}

int vps_storage_private_ns(const char **what)
{
	*what = "create a mount namespace";
	if (unshare(CLONE_NEWNS) < 0)
		return -errno;
	return vps_storage_mount_private(what);
}

/* The overlay mounted on dir/rootfs, here, as the host's root: userxattr as the VPS mounts it
 * in its user namespace, the template tree id-mapped onto the VPS's range. */
static int open_overlay(const char *rootfs, const struct vps_config *cfg, int *ret_rootfd,
			const char **what)
{
	_cleanup_close_ int lower = -EBADF, dir = -EBADF;
	int r;

	*what = "id-map the template tree";
	r = vps_storage_idmapped_lower(rootfs, cfg, &lower);
	*what = "open the VPS directory";
	if (r == 0)
		r = vps_storage_open_dir(rootfs, &dir);
	if (r == 0)
		r = vps_storage_mount_idmapped(dir, lower, cfg->userns, ret_rootfd, what);
	return r;
}

static int has_disk(const char *dir)
{
	char img[PATH_MAX];

	snprintf(img, sizeof(img), "%s/disk.img", dir);
	if (access(img, F_OK) == 0)
		return 1;
	return errno == ENOENT ? 0 : -errno;
}

int vps_storage_open_root(const char *dir, const struct vps_config *cfg, int *ret_rootfd,
			  uid_t *ret_uid, const char **what)
{
	char rootfs[PATH_MAX];
	int r, fd;

	*ret_uid = cfg->userns ? (uid_t)cfg->uid_base : 0;
	if (snprintf(rootfs, sizeof(rootfs), "%s/rootfs", dir) >= (int)sizeof(rootfs))
		return -ENAMETOOLONG;
	if (vps_storage_is_overlay(cfg))
		return open_overlay(rootfs, cfg, ret_rootfd, what);
	*what = "find the disk image";
	r = has_disk(dir);
	if (r < 0)
		return r;
	if (r > 0 || cfg->disk) {
		*what = "mount the disk image";
		return vps_disk_mount_detached(rootfs, ret_rootfd);
	}
	*what = "open the root filesystem";
	fd = open(rootfs, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	*ret_rootfd = fd;
	return 0;
}

struct offline {
	const char *dir;
	const struct vps_config *cfg;
	vps_root_fn fn;
	void *data;
};

static int offline_body(void *data, char *err, size_t errlen)
{
	struct offline *o = data;
	_cleanup_close_ int rootfd = -EBADF;
	const char *what = "";
	uid_t uid;
	int r = vps_storage_private_ns(&what);

	if (r == 0)
		r = vps_storage_open_root(o->dir, o->cfg, &rootfd, &uid, &what);
	if (r < 0) {
		snprintf(err, errlen, "Failed to %s: %s", what, strerror(-r));
		return r;
	}
	return o->fn(rootfd, uid, (gid_t)uid, o->data, err, errlen);
}

int vps_storage_run_offline(const char *dir, const struct vps_config *cfg, vps_root_fn fn,
			    void *data, char *err, size_t errlen)
{
	struct offline o = {dir, cfg, fn, data};

	return vps_child_run(offline_body, &o, err, errlen);
}

void vps_reinstall_leftover(const char *name, char *buf, size_t len)
{
	snprintf(buf, len, ".%s.reinstall", name);
}
