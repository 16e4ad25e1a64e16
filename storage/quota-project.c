/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <linux/dqblk_xfs.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <linux/quota.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "quota.h"

#ifndef XFS_SUPER_MAGIC
#define XFS_SUPER_MAGIC 0x58465342
#endif
#define QUOTA_BLOCK 1024ULL /* dqb_bhardlimit's unit (QIF_DQBLKSIZE) */

/* quotactl by an fd on the file system (Linux 5.14): no block device path to find. */
static int quotactl_fd(int fd, unsigned cmd, int type, uint32_t id, void *addr)
{
	if (syscall(SYS_quotactl_fd, (unsigned)fd, QCMD(cmd, type), id, addr) < 0)
		return -errno;
	return 0;
}

static int project_of(int dir_fd, uint32_t *ret)
{
	struct fsxattr fa;

	if (ioctl(dir_fd, FS_IOC_FSGETXATTR, &fa) < 0)
		return -errno;
	if (!fa.fsx_projid || !(fa.fsx_xflags & FS_XFLAG_PROJINHERIT))
		return -ENODATA;
	*ret = fa.fsx_projid;
	return 0;
}

int vps_quota_project_probe(int dir_fd)
{
	struct fs_quota_statv st = {.qs_version = FS_QSTATV_VERSION1};
	struct if_dqinfo info;
	struct fsxattr fa;
	struct statfs sf;
	int r;

	if (fstatfs(dir_fd, &sf) < 0)
		return -errno;
	if (sf.f_type != EXT4_SUPER_MAGIC && sf.f_type != XFS_SUPER_MAGIC)
		return -EOPNOTSUPP;
	if (ioctl(dir_fd, FS_IOC_FSGETXATTR, &fa) < 0)
		return errno == ENOTTY ? -EOPNOTSUPP : -errno;
	/* Q_GETINFO answers only where project quotas are on (ext4: -ESRCH otherwise) */
	r = quotactl_fd(dir_fd, Q_GETINFO, PRJQUOTA, 0, &info);
	if (r < 0)
		return r;
	/* on is not enforced: ext4's quota feature accounts at every mount, but limits hold
	 * only when mounted prjquota */
	r = quotactl_fd(dir_fd, Q_XGETQSTATV, PRJQUOTA, 0, &st);
	if (r < 0)
		return r;
	return st.qs_flags & FS_QUOTA_PDQ_ENFD ? 0 : -ESRCH;
}

static int set_limits(int dir_fd, uint32_t id, uint64_t bytes, uint64_t inodes)
{
	struct if_dqblk q = {
		.dqb_bhardlimit = (bytes + QUOTA_BLOCK - 1) / QUOTA_BLOCK,
		.dqb_bsoftlimit = (bytes + QUOTA_BLOCK - 1) / QUOTA_BLOCK,
		.dqb_ihardlimit = inodes,
		.dqb_isoftlimit = inodes,
		.dqb_valid = QIF_LIMITS,
	};

	return quotactl_fd(dir_fd, Q_SETQUOTA, PRJQUOTA, id, &q);
}

int vps_quota_project_init(int dir_fd, uint64_t bytes, uint64_t inodes, struct vps_error *err)
{
	struct fsxattr fa;
	struct stat st;
	int r;

	if (fstat(dir_fd, &st) < 0 || ioctl(dir_fd, FS_IOC_FSGETXATTR, &fa) < 0)
		return vps_error_errno(err, -errno, "failed to read the VPS directory");
	if (st.st_ino == 0 || st.st_ino > UINT32_MAX)
		return vps_error_set(err, -EOVERFLOW,
		                     "the VPS directory's inode number is no project id");
	/* its limits first: an id another directory used before starts with none of its own */
	r = set_limits(dir_fd, (uint32_t)st.st_ino, bytes, inodes);
	if (r < 0)
		return vps_error_errno(err, r, "failed to set the project quota");
	fa.fsx_projid = (uint32_t)st.st_ino;
	fa.fsx_xflags |= FS_XFLAG_PROJINHERIT;
	if (ioctl(dir_fd, FS_IOC_FSSETXATTR, &fa) < 0)
		return vps_error_errno(err, -errno,
		                       "failed to give the VPS directory a project id");
	return 0;
}

int vps_quota_project_usage(int dir_fd, struct vps_quota_use *ret)
{
	struct if_dqblk q;
	uint32_t id = 0;
	int r = project_of(dir_fd, &id);

	if (r == 0)
		r = quotactl_fd(dir_fd, Q_GETQUOTA, PRJQUOTA, id, &q);
	if (r < 0)
		return r;
	ret->bytes_used = q.dqb_curspace;
	ret->bytes_limit = q.dqb_bhardlimit * QUOTA_BLOCK;
	ret->inodes_used = q.dqb_curinodes;
	ret->inodes_limit = q.dqb_ihardlimit;
	return 0;
}

int vps_quota_project_limit(int dir_fd, uint64_t bytes, uint64_t inodes, struct vps_error *err)
{
	struct vps_quota_use u;
	uint32_t id = 0;
	int r = project_of(dir_fd, &id);

	if (r == 0)
		r = vps_quota_project_usage(dir_fd, &u);
	if (r < 0)
		return vps_error_errno(err, r, "failed to read the project quota");
	if (bytes < u.bytes_used)
		return vps_error_set(err, -ENOSPC,
		                     "the VPS uses %llu bytes, more than the new disk quota",
		                     (unsigned long long)u.bytes_used);
	if (inodes < u.inodes_used)
		return vps_error_set(err, -ENOSPC,
		                     "the VPS holds %llu inodes, more than the new inode limit",
		                     (unsigned long long)u.inodes_used);
	r = set_limits(dir_fd, id, bytes, inodes);
	return r < 0 ? vps_error_errno(err, r, "failed to set the project quota") : 0;
}

int vps_quota_project_clear(int dir_fd)
{
	uint32_t id = 0;
	int r = project_of(dir_fd, &id);

	return r < 0 ? r : set_limits(dir_fd, id, 0, 0);
}
