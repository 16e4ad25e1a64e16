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

int vps_child_run(int (*body)(void *data, struct vps_error *err), void *data, struct vps_error *err)
{
	char why[VPS_ERROR_MSG_MAX];
	int p[2], status;
	ssize_t n;
	pid_t pid;

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
		struct vps_error e = VPS_ERROR_INIT;
		const char *msg;
		int r;

		close(p[0]);
		/* killed with the command (kill -9 of a reinstall): its mounts go with it, and
		 * it holds the VPS lock no longer than the command */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() == 1)
			_exit(1);
		r = body(data, &e);
		msg = vps_error_message(&e, r);
		if (r < 0)
			(void)!write(p[1], msg, strlen(msg));
		_exit(r < 0 ? 1 : 0);
	}
	close(p[1]);
	n = read(p[0], why, sizeof(why) - 1);
	why[n > 0 ? n : 0] = '\0';
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	return vps_error_set(err, -EIO, "%s", why[0] ? why : "the helper process failed");
}

int vps_storage_private_ns(struct vps_error *err)
{
	if (unshare(CLONE_NEWNS) < 0)
		return vps_error_errno(err, -errno, "failed to create a mount namespace");
	return vps_storage_mount_private(err);
}

/* The overlay mounted on dir/rootfs, here, as the host's root: userxattr as the VPS mounts it
 * in its user namespace, the template tree id-mapped onto the VPS's range. */
static int open_overlay(const char *rootfs, const struct vps_config *cfg, int *ret_rootfd,
                        struct vps_error *err)
{
	_cleanup_close_ int lower = -EBADF, dir = -EBADF;
	int r;

	r = vps_storage_idmapped_lower(rootfs, cfg, &lower);
	if (r < 0)
		return vps_error_errno(err, r, "failed to id-map the template tree");
	r = vps_storage_open_dir(rootfs, &dir);
	if (r < 0)
		return vps_error_errno(err, r, "failed to open the VPS directory");
	if (vps_disk_is_image(cfg)) {
		r = vps_disk_attach_overlay(rootfs, -EBADF, err);
		if (r < 0)
			return r;
	}
	return vps_storage_mount_idmapped(dir, lower, cfg->userns, vps_disk_is_image(cfg),
	                                  ret_rootfd, err);
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
                          uid_t *ret_uid, struct vps_error *err)
{
	char rootfs[PATH_MAX];
	int r, fd;

	*ret_uid = cfg->userns ? (uid_t)cfg->uid_base : 0;
	if (snprintf(rootfs, sizeof(rootfs), "%s/rootfs", dir) >= (int)sizeof(rootfs))
		return -ENAMETOOLONG;
	if (vps_storage_is_overlay(cfg))
		return open_overlay(rootfs, cfg, ret_rootfd, err);
	r = has_disk(dir);
	if (r < 0)
		return vps_error_errno(err, r, "failed to find the disk image");
	if (r > 0 || vps_disk_is_image(cfg))
		return vps_error_check(err, vps_disk_mount_detached(rootfs, ret_rootfd),
		                       "failed to mount the disk image");
	fd = open(rootfs, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return vps_error_errno(err, -errno, "failed to open the root filesystem");
	*ret_rootfd = fd;
	return 0;
}

struct offline {
	const char *dir;
	const struct vps_config *cfg;
	vps_root_fn fn;
	void *data;
};

static int offline_body(void *data, struct vps_error *err)
{
	struct offline *o = data;
	_cleanup_close_ int rootfd = -EBADF;
	uid_t uid;
	int r = vps_storage_private_ns(err);

	if (r == 0)
		r = vps_storage_open_root(o->dir, o->cfg, &rootfd, &uid, err);
	if (r < 0)
		return r;
	return o->fn(rootfd, uid, (gid_t)uid, o->data, err);
}

int vps_storage_run_offline(const char *dir, const struct vps_config *cfg, vps_root_fn fn,
                            void *data, struct vps_error *err)
{
	struct offline o = {dir, cfg, fn, data};

	return vps_child_run(offline_body, &o, err);
}

void vps_reinstall_leftover(const char *name, char *buf, size_t len)
{
	snprintf(buf, len, ".%s.reinstall", name);
}
