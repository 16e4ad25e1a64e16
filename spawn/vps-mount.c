/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cleanup.h"
#include "devpts.h"
#include "fileio.h"
#include "vps-mount.h"

#define FD_PATH_MAX 32

/* Opens rootfd/path as O_PATH, never following a symlink in any component, creating the last
 * one as a directory (or an empty file) when missing. */
static int open_target(int rootfd, const char *path, bool is_file)
{
	int fd = open_in_root(rootfd, path, O_PATH, 0, RESOLVE_NO_SYMLINKS);

	if (fd != -ENOENT)
		return fd;
	if (is_file) {
		fd = open_in_root(rootfd, path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600,
		                  RESOLVE_NO_SYMLINKS);
		if (fd < 0)
			return fd;
		close(fd);
	} else if (mkdirat(rootfd, path, 0755) < 0 && errno != EEXIST) {
		return -errno;
	}
	return open_in_root(rootfd, path, O_PATH, 0, RESOLVE_NO_SYMLINKS);
}

static const char *fd_path(int fd, char buf[FD_PATH_MAX])
{
	snprintf(buf, FD_PATH_MAX, "/proc/self/fd/%d", fd);
	return buf;
}

static int mount_in(int rootfd, const char *target, bool is_file, const char *src, const char *type,
                    unsigned long flags, const char *data)
{
	_cleanup_close_ int fd = open_target(rootfd, target, is_file);
	char buf[FD_PATH_MAX];

	if (fd < 0)
		return fd;
	if (mount(src, fd_path(fd, buf), type, flags, data) < 0)
		return -errno;
	return 0;
}

/* /dev is a fresh tmpfs we own, so plain *at calls relative to it are safe. */
/* mknod where we may; in a user namespace we may not, so the host's node is bound onto an
 * empty file instead (the same device, and the devices cgroup still rules it). */
static int make_node(int devfd, const char *name, dev_t dev)
{
	char host[64], target[FD_PATH_MAX];
	_cleanup_close_ int fd = -EBADF;

	if (mknodat(devfd, name, S_IFCHR | 0666, dev) == 0)
		return fchmodat(devfd, name, 0666, 0) < 0 ? -errno : 0;
	if (errno != EPERM)
		return -errno;
	fd = openat(devfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0666);
	if (fd < 0)
		return -errno;
	snprintf(host, sizeof(host), "/dev/%s", name);
	return mount(host, fd_path(fd, target), NULL, MS_BIND, NULL) < 0 ? -errno : 0;
}

static int populate_dev(int devfd)
{
	static const struct {
		const char *name;
		unsigned maj, min;
	} nodes[] = {
		{"null", 1, 3},   {"zero", 1, 5},    {"full", 1, 7},
		{"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
	};
	static const char *const links[][2] = {
		{"ptmx", "pts/ptmx"},          {"fd", "/proc/self/fd"},
		{"stdin", "/proc/self/fd/0"},  {"stdout", "/proc/self/fd/1"},
		{"stderr", "/proc/self/fd/2"}, {"core", "/proc/kcore"},
	};

	for (size_t i = 0; i < ELEMENTSOF(nodes); i++) {
		int r = make_node(devfd, nodes[i].name, makedev(nodes[i].maj, nodes[i].min));

		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < ELEMENTSOF(links); i++)
		if (symlinkat(links[i][1], devfd, links[i][0]) < 0)
			return -errno;
	if (mkdirat(devfd, "pts", 0755) < 0 || mkdirat(devfd, "shm", 01777) < 0 ||
	    mkdirat(devfd, "mqueue", 0755) < 0)
		return -errno;
	return 0;
}

static int setup_dev(int rootfd, const char *console_path, uint64_t ptys, struct vps_error *err)
{
	_cleanup_close_ int devfd = -EBADF;
	char opts[160];
	int r;

	r = mount_in(rootfd, "dev", false, "tmpfs", "tmpfs", MS_NOSUID | MS_NOEXEC,
	             "mode=755,size=65536k");
	if (r < 0)
		return vps_error_errno(err, r, "failed to mount tmpfs on /dev");
	devfd = open_target(rootfd, "dev", false);
	if (devfd < 0)
		return vps_error_errno(err, devfd, "failed to mount tmpfs on /dev");
	r = populate_dev(devfd);
	if (r < 0)
		return vps_error_errno(err, r, "failed to populate /dev");
	/* its own instance, capped: the kernel's pty pool is shared by every VPS (devpts.h) */
	memcpy(opts, "newinstance,", 12);
	vps_devpts_options(ptys, opts + 12, sizeof(opts) - 12);
	r = mount_in(rootfd, "dev/pts", false, "devpts", "devpts", MS_NOSUID | MS_NOEXEC, opts);
	if (r < 0)
		return vps_error_errno(err, r, "failed to mount devpts on /dev/pts");
	r = mount_in(rootfd, "dev/shm", false, "shm", "tmpfs", MS_NOSUID | MS_NODEV,
	             "mode=1777,size=65536k");
	if (r < 0)
		return vps_error_errno(err, r, "failed to mount tmpfs on /dev/shm");
	r = mount_in(rootfd, "dev/mqueue", false, "mqueue", "mqueue",
	             MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	if (r < 0)
		return vps_error_errno(err, r, "failed to mount mqueue on /dev/mqueue");
	return vps_error_check(
		err, mount_in(rootfd, "dev/console", true, console_path, NULL, MS_BIND, NULL),
		"failed to bind the console");
}

int vps_mount_bind_root(const char *rootfs, int *ret_rootfd, struct vps_error *err)
{
	int fd;

	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return vps_error_errno(err, -errno, "failed to make the mount tree private");
	if (mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
		return vps_error_errno(err, -errno, "failed to bind the root filesystem");
	/* Opened by path now, so it is the bind mount's root; later steps use only this fd. */
	fd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return vps_error_errno(err, -errno, "failed to bind the root filesystem");
	*ret_rootfd = fd;
	return 0;
}

int vps_mount_setup(int rootfd, const char *console_path, uint64_t ptys, struct vps_error *err)
{
	int r;

	r = mount_in(rootfd, "proc", false, "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	if (r < 0)
		return vps_error_errno(err, r, "failed to mount /proc");
	r = mount_in(rootfd, "sys", false, "sysfs", "sysfs",
	             MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	if (r < 0)
		return vps_error_errno(err, r, "failed to mount /sys");
	return setup_dev(rootfd, console_path, ptys, err);
}

int vps_mount_pivot(int rootfd, struct vps_error *err)
{
	if (fchdir(rootfd) < 0)
		return vps_error_errno(err, -errno, "failed to pivot_root");
	/* pivot_root(".", ".") stacks the old root under the new one; detaching "." drops it. */
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return vps_error_errno(err, -errno, "failed to pivot_root");
	if (umount2(".", MNT_DETACH) < 0)
		return vps_error_errno(err, -errno, "failed to detach the host's root");
	if (chdir("/") < 0)
		return vps_error_errno(err, -errno, "failed to detach the host's root");
	return 0;
}

static int bind_readonly(const char *path)
{
	if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (mount(NULL, path, NULL,
	          MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		return -errno;
	return 0;
}

/* The nodes masks are bound from must be the real null device, not something in the rootfs. */
static int check_dev_null(void)
{
	struct stat st;

	if (lstat("/dev/null", &st) < 0)
		return -errno;
	if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3))
		return -EBADF;
	return 0;
}

/* /proc/sys stays read-only, but /proc/sys/net shows the VPS's own network namespace: its
 * sysctls are the VPS's to tune (LXC's proc:mixed, nspawn with a private network). */
static int proc_sys_net_writable(void)
{
	if (mount("/proc/sys/net", "/proc/sys/net", NULL, MS_BIND, NULL) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (mount(NULL, "/proc/sys/net", NULL,
	          MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		return -errno;
	return 0;
}

/* Remounts one mount with nodev added, keeping its other per-mount flags (atime flags are kept
 * by the kernel on a bind remount). */
static int remount_nodev(const char *path)
{
	unsigned long flags = MS_BIND | MS_REMOUNT | MS_NODEV;
	struct statvfs sv;

	if (statvfs(path, &sv) < 0)
		return -errno;
	if (sv.f_flag & ST_RDONLY)
		flags |= MS_RDONLY;
	if (sv.f_flag & ST_NOSUID)
		flags |= MS_NOSUID;
	if (sv.f_flag & ST_NOEXEC)
		flags |= MS_NOEXEC;
	if (mount(NULL, path, NULL, flags, NULL) < 0)
		return -errno;
	return 0;
}

/*
 * No device node the VPS makes may work: without a devices cgroup (see devices.c) and with
 * CAP_MKNOD in its set, a node for the host's disk or terminals would otherwise open. The
 * rootfs becomes nodev; /dev becomes nodev too, after each node we made there is bound onto
 * itself (a bind mount keeps the dev flag of its source, so those stay usable). /dev/pts,
 * /dev/console, /dev/shm and /dev/mqueue are mounts of their own.
 */
static int harden_nodev(struct vps_error *err)
{
	static const char *const nodes[] = {"/dev/null",   "/dev/zero",    "/dev/full",
	                                    "/dev/random", "/dev/urandom", "/dev/tty"};
	int r;

	for (size_t i = 0; i < ELEMENTSOF(nodes); i++)
		if (mount(nodes[i], nodes[i], NULL, MS_BIND, NULL) < 0)
			return vps_error_errno(err, -errno, "failed to bind the /dev nodes");
	r = remount_nodev("/dev");
	if (r < 0)
		return vps_error_errno(err, r, "failed to remount /dev nodev");
	return vps_error_check(err, remount_nodev("/"),
	                       "failed to remount the root filesystem nodev");
}

int vps_mount_harden(struct vps_error *err)
{
	static const char *const masked_files[] = {
		"/proc/kcore",       "/proc/keys",          "/proc/timer_list",
		"/proc/sched_debug", "/proc/latency_stats", "/proc/sysrq-trigger",
		"/proc/kallsyms",    "/proc/kmsg",          "/proc/partitions",
	};
	/* The block device indexes name the node's disks and its neighbours' loop images. */
	static const char *const masked_dirs[] = {"/proc/acpi",       "/proc/scsi",
	                                          "/sys/firmware",    "/sys/block",
	                                          "/sys/class/block", "/sys/dev/block"};
	static const char *const readonly[] = {"/proc/sys", "/proc/bus", "/proc/fs", "/proc/irq"};
	int r;

	r = check_dev_null();
	if (r < 0)
		return vps_error_errno(err, r, "failed to check /dev/null");
	for (size_t i = 0; i < ELEMENTSOF(masked_files); i++)
		if (mount("/dev/null", masked_files[i], NULL, MS_BIND, NULL) < 0 && errno != ENOENT)
			return vps_error_errno(err, -errno, "failed to mask /proc files");
	for (size_t i = 0; i < ELEMENTSOF(masked_dirs); i++)
		if (mount("tmpfs", masked_dirs[i], "tmpfs",
		          MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0,mode=555") < 0 &&
		    errno != ENOENT)
			return vps_error_errno(err, -errno,
			                       "failed to mask /proc and /sys directories");
	for (size_t i = 0; i < ELEMENTSOF(readonly); i++) {
		r = bind_readonly(readonly[i]);
		if (r < 0)
			return vps_error_errno(err, r, "failed to make /proc/sys read-only");
	}
	r = proc_sys_net_writable();
	if (r < 0)
		return vps_error_errno(err, r, "failed to make /proc/sys/net writable");
	return harden_nodev(err);
}
