/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/magic.h>
#include <linux/loop.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "disk.h"
#include "fileio.h"
#include "log.h"

#define EXT4_IOC_RESIZE_FS _IOW('f', 16, uint64_t) /* fs/ext4/ext4.h, not in the uapi */
#define MIN_DISK           (16ULL << 20)

extern char **environ;

/* Where run_fds() hands its fds to the tool, which names them /proc/self/fd/N. */
#define SPAWN_FD_BASE 100

/* Runs an e2fsprogs tool quietly, fds[i] open in it as SPAWN_FD_BASE + i; 0 when it exited 0. */
static int run_fds(char *const argv[], const int *fds, size_t n_fds)
{
	posix_spawn_file_actions_t fa;
	int devnull, status, r;
	pid_t pid;

	for (size_t i = 0; i < n_fds; i++)
		if (fds[i] < 0 || fds[i] >= SPAWN_FD_BASE)
			return -EBADF; /* a dup2 onto it would clobber it */
	devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (devnull < 0)
		return -errno;
	r = posix_spawn_file_actions_init(&fa);
	if (r == 0) {
		(void)posix_spawn_file_actions_adddup2(&fa, devnull, 1);
		(void)posix_spawn_file_actions_adddup2(&fa, devnull, 2);
		/* a dup2 onto another number clears O_CLOEXEC: these survive the exec */
		for (size_t i = 0; i < n_fds && r == 0; i++)
			r = posix_spawn_file_actions_adddup2(&fa, fds[i], SPAWN_FD_BASE + (int)i);
		if (r == 0)
			r = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
		posix_spawn_file_actions_destroy(&fa);
	}
	close(devnull);
	if (r != 0)
		return -r;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

static int run(char *const argv[])
{
	return run_fds(argv, NULL, 0);
}

/* mkfs.ext4 -d from the tree src (a directory, never followed as a link: it was unpacked from
 * an archive) into the image, both by fd, so no path is resolved again after the checks. */
static int mkfs_from(int dir_fd, const char *src, int img_fd, uint64_t size, uint64_t inodes,
                     uid_t root_owner)
{
	_cleanup_close_ int tree = -EBADF;
	char sz[32], owner[64], nr[32], root[32], img[32];
	int fds[2];

	tree = openat(dir_fd, src, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (tree < 0)
		return -errno;
	fds[0] = tree;
	fds[1] = img_fd;
	snprintf(root, sizeof(root), "/proc/self/fd/%d", SPAWN_FD_BASE);
	snprintf(img, sizeof(img), "/proc/self/fd/%d", SPAWN_FD_BASE + 1);
	snprintf(nr, sizeof(nr), "%" PRIu64, inodes);
	snprintf(sz, sizeof(sz), "%" PRIu64 "k", size / 1024);
	/* the file system's root directory belongs to the VPS's root, as rootfs/ did */
	snprintf(owner, sizeof(owner), "root_owner=%u:%u", (unsigned)root_owner,
	         (unsigned)root_owner);
	{
		/* -d copies the unpacked tree in, owners, modes and xattrs included */
		char *const argv[] = {"mkfs.ext4", "-q",  "-F", "-m", "0", "-N", nr,
		                      "-E",        owner, "-d", root, img, sz,   NULL};

		return run_fds(argv, fds, 2);
	}
}

int vps_disk_create(int dir_fd, const char *src, uint64_t size, uint64_t inodes, uid_t root_owner,
                    struct vps_error *err)
{
	_cleanup_close_ int fd = -EBADF;
	int r;

	if (size < MIN_DISK)
		return vps_error_set(err, -EINVAL, "--disk must be at least 16M");
	fd = openat(dir_fd, "disk.img", O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || ftruncate(fd, (off_t)size) < 0) {
		r = -errno;
		vps_error_errno(err, r, "failed to make the disk image");
		return r;
	}
	r = mkfs_from(dir_fd, src, fd, size, inodes, root_owner);
	if (r == -ENOTDIR || r == -ELOOP)
		return vps_error_set(err, r, "refused: '%s' is not a directory", src);
	if (r < 0 && r != -EIO)
		return vps_error_errno(err, r, "failed to run mkfs.ext4 on '%s'", src);
	if (r < 0)
		return vps_error_set(err, r,
		                     "mkfs.ext4 failed on the disk image (is the tree larger than "
		                     "--disk, or has it more files than --disk-inodes?)");
	/* The image holds the tree now; src is only its mount point. */
	r = rm_rf_at(dir_fd, src);
	if (r == 0 && mkdirat(dir_fd, src, 0755) < 0)
		r = -errno;
	if (r < 0)
		vps_error_errno(err, r, "failed to empty the mount point");
	return r;
}

/* A free loop device bound to path, detaching itself when its last user is gone. */
static int loop_attach(const char *path, char *ret_dev, size_t len)
{
	_cleanup_close_ int ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	_cleanup_close_ int backing = -EBADF;
	struct loop_config cfg = {.info.lo_flags = LO_FLAGS_AUTOCLEAR | LO_FLAGS_DIRECT_IO};

	if (ctl < 0)
		return -errno;
	backing = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (backing < 0)
		return -errno;
	cfg.fd = (uint32_t)backing;
	for (int tries = 0; tries < 16; tries++) {
		_cleanup_close_ int loop = -EBADF;
		int n = ioctl(ctl, LOOP_CTL_GET_FREE);

		if (n < 0)
			return -errno;
		snprintf(ret_dev, len, "/dev/loop%d", n);
		/* a new loop device's node may take devtmpfs a moment to appear */
		for (int wait = 0; (loop = open(ret_dev, O_RDWR | O_CLOEXEC)) < 0 &&
		                   errno == ENOENT && wait < 100;
		     wait++)
			usleep(10 * 1000);
		if (loop < 0)
			return -errno;
		if (ioctl(loop, LOOP_CONFIGURE, &cfg) == 0)
			return TAKE_FD(loop);
		if (errno == EINVAL) { /* no direct I/O on this file system */
			cfg.info.lo_flags &= ~(uint32_t)LO_FLAGS_DIRECT_IO;
			if (ioctl(loop, LOOP_CONFIGURE, &cfg) == 0)
				return TAKE_FD(loop);
		}
		if (errno != EBUSY)
			return -errno; /* EBUSY: another process took it first; try the next */
	}
	return -EBUSY;
}

/* The image may have grown while the file system did not (resize of a running VPS on a node
 * without CAP_SYS_RESOURCE): resize2fs catches up while nothing has it mounted. Without
 * -f it would insist on a fsck first; a clean-unmounted image needs none. */
static void catch_up(const char *img)
{
	char *const argv[] = {"resize2fs", "-f", (char *)img, NULL};

	(void)run(argv);
}

int vps_disk_mount_detached(const char *rootfs, int *ret_fd)
{
	char img[PATH_MAX + 16], dev[64];
	_cleanup_close_ int loop = -EBADF, fs = -EBADF;
	const char *slash = strrchr(rootfs, '/');
	int mnt;

	/* beside rootfs by name: "rootfs/.." would follow rootfs were it ever a symlink */
	if (!slash)
		return -EINVAL;
	snprintf(img, sizeof(img), "%.*s/disk.img", (int)(slash - rootfs), rootfs);
	catch_up(img);
	loop = loop_attach(img, dev, sizeof(dev));
	if (loop < 0)
		return log_debug_errno(loop, "disk: loop device for %s: %m", img);
	fs = fsopen("ext4", FSOPEN_CLOEXEC);
	if (fs < 0)
		return log_debug_errno(-errno, "disk: fsopen ext4: %m");
	if (fsconfig(fs, FSCONFIG_SET_STRING, "source", dev, 0) < 0 ||
	    fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return log_debug_errno(-errno, "disk: ext4 on %s: %m", dev);
	/* The mount keeps the loop device open; closing ours lets autoclear free it later. */
	mnt = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NODEV);
	if (mnt < 0)
		return log_debug_errno(-errno, "disk: fsmount: %m");
	*ret_fd = mnt;
	return 0;
}

/* The loop device whose backing file is img (by device and inode). */
static int find_loop(const char *img, char *ret, size_t len)
{
	_cleanup_closedir_ DIR *d = opendir("/sys/block");
	struct stat want;
	struct dirent *de;

	if (!d)
		return -errno;
	if (stat(img, &want) < 0)
		return -errno;
	while ((de = readdir(d))) {
		char path[300];
		_cleanup_free_ char *backing = NULL;
		struct stat st;

		if (strncmp(de->d_name, "loop", 4) != 0)
			continue;
		snprintf(path, sizeof(path), "/sys/block/%s/loop/backing_file", de->d_name);
		if (read_file_at(AT_FDCWD, path, 4096, &backing, NULL) < 0)
			continue;
		backing[strcspn(backing, "\n")] = '\0';
		if (stat(backing, &st) == 0 && st.st_dev == want.st_dev &&
		    st.st_ino == want.st_ino) {
			snprintf(ret, len, "/dev/%s", de->d_name);
			return 0;
		}
	}
	return -ENODEV;
}

int vps_disk_loop_dev(const char *dir, dev_t *ret)
{
	char img[PATH_MAX], dev[64];
	struct stat st;
	int r;

	snprintf(img, sizeof(img), "%s/disk.img", dir);
	r = find_loop(img, dev, sizeof(dev));
	if (r < 0)
		return r;
	if (stat(dev, &st) < 0)
		return -errno;
	if (!S_ISBLK(st.st_mode))
		return -ENOTBLK;
	*ret = st.st_rdev;
	return 0;
}

int vps_disk_mount_running(const char *dir, int *ret_fd)
{
	char img[PATH_MAX], dev[64];
	_cleanup_close_ int fs = -EBADF;
	int mnt;

	snprintf(img, sizeof(img), "%s/disk.img", dir);
	mnt = find_loop(img, dev, sizeof(dev));
	if (mnt < 0)
		return mnt;
	/* the block device's super block is the VPS's own: this mount shares its cache */
	fs = fsopen("ext4", FSOPEN_CLOEXEC);
	if (fs < 0 || fsconfig(fs, FSCONFIG_SET_STRING, "source", dev, 0) < 0 ||
	    fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return -errno;
	mnt = fsmount(fs, FSMOUNT_CLOEXEC,
	              MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC);
	if (mnt < 0)
		return -errno;
	*ret_fd = mnt;
	return 0;
}

/* An ext4 file system shrinks only unmounted: resize2fs moves the data down (refusing when it
 * does not fit), then the image is cut. */
static int shrink(const char *img, pid_t init_pid, uint64_t size, struct vps_error *err)
{
	char sz[32];

	if (init_pid > 0)
		return vps_error_set(err, -EBUSY,
		                     "a disk image shrinks only while the VPS is stopped (ext4 "
		                     "cannot shrink mounted)");
	if (size < MIN_DISK)
		return vps_error_set(err, -EINVAL, "--disk must be at least 16M");
	snprintf(sz, sizeof(sz), "%" PRIu64 "k", size / 1024);
	{
		char *const argv[] = {"resize2fs", "-f", (char *)img, sz, NULL};

		if (run(argv) < 0)
			return vps_error_set(err, -ENOSPC,
			                     "resize2fs cannot shrink the disk image to that "
			                     "size (do its files fit?)");
	}
	if (truncate(img, (off_t)size) < 0)
		return vps_error_errno(err, -errno, "failed to cut the image");
	return 0;
}

/* A detached mount of the ext4 on dev, never attached anywhere. */
static int mount_dev(const char *dev)
{
	_cleanup_close_ int fs = fsopen("ext4", FSOPEN_CLOEXEC), mnt = -EBADF, fd = -EBADF;

	if (fs < 0)
		return -errno;
	if (fsconfig(fs, FSCONFIG_SET_STRING, "source", dev, 0) < 0 ||
	    fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return -errno;
	mnt = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NODEV);
	if (mnt < 0)
		return -errno;
	/* the mount's own fd is a path only; the ioctl needs an open directory */
	fd = openat(mnt, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return TAKE_FD(fd);
}

int vps_disk_grow(const char *dir, pid_t init_pid, uint64_t size, struct vps_error *err)
{
	char img[PATH_MAX], dev[300], root[64];
	_cleanup_close_ int loop = -EBADF, rootfd = -EBADF;
	struct statvfs sv;
	struct statfs sf;
	struct stat st;
	uint64_t blocks;

	snprintf(img, sizeof(img), "%s/disk.img", dir);
	if (stat(img, &st) < 0)
		return vps_error_set(err, -errno, "the VPS has no disk image");
	if (size < (uint64_t)st.st_size)
		return shrink(img, init_pid, size, err);
	if (truncate(img, (off_t)size) < 0)
		return vps_error_errno(err, -errno, "failed to grow the image");
	if (init_pid <= 0) {
		/* stopped: resize2fs grows the unmounted file system */
		char *const argv[] = {"resize2fs", "-f", img, NULL};

		if (run(argv) < 0)
			return vps_error_set(err, -EIO, "resize2fs failed on the disk image");
		return 0;
	}
	if (find_loop(img, dev, sizeof(dev)) < 0 || (loop = open(dev, O_RDWR | O_CLOEXEC)) < 0 ||
	    ioctl(loop, LOOP_SET_CAPACITY, 0) < 0)
		return vps_error_errno(err, -errno, "failed to grow the loop device");
	snprintf(root, sizeof(root), "/proc/%d/root", (int)init_pid);
	rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0 || fstatvfs(rootfd, &sv) < 0)
		return vps_error_errno(err, -errno, "failed to reach the VPS's file system");
	if (fstatfs(rootfd, &sf) == 0 && sf.f_type != EXT4_SUPER_MAGIC) {
		/* an overlay's root: its image is reached through a second, detached mount of
		 * the loop device, which shares the running file system's superblock */
		closep(&rootfd);
		rootfd = mount_dev(dev);
		if (rootfd < 0)
			return vps_error_errno(err, rootfd, "failed to reach the disk image");
	}
	blocks = size / sv.f_frsize;
	/* online resize, what resize2fs does on a mounted ext4 */
	if (ioctl(rootfd, EXT4_IOC_RESIZE_FS, &blocks) < 0) {
		if (errno == EPERM)
			return vps_error_set(
				err, -EAGAIN,
				"the disk image grew, but growing a mounted file "
				"system needs CAP_SYS_RESOURCE, which this node's root "
				"lacks: it grows at the next start");
		return vps_error_errno(err, -errno, "failed to grow the file system");
	}
	return 0;
}

int vps_disk_usage(pid_t init_pid, uint64_t *ret_size, uint64_t *ret_used, uint64_t *ret_inodes,
                   uint64_t *ret_inodes_used)
{
	char root[64];
	struct statvfs sv;

	snprintf(root, sizeof(root), "/proc/%d/root", (int)init_pid);
	if (statvfs(root, &sv) < 0)
		return -errno;
	*ret_size = (uint64_t)sv.f_blocks * sv.f_frsize;
	*ret_used = (uint64_t)(sv.f_blocks - sv.f_bfree) * sv.f_frsize;
	*ret_inodes = sv.f_files;
	*ret_inodes_used = sv.f_files - sv.f_ffree;
	return 0;
}
