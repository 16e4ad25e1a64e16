/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "idmap.h"
#include "log.h"
#include "rootfs-access.h"
#include "rootfs-files.h"
#include "storage-mount.h"
#include "storage.h"

int vps_storage_unpack_tree(const char *templates_dir, const char *template_name,
                            struct vps_error *err)
{
	struct vps_template_meta t;
	char path[PATH_MAX], reason[256] = "";
	int r = template_lookup(templates_dir, template_name, &t);

	if (r < 0)
		return vps_error_errno(err, r, "failed to find its template '%s'", template_name);
	r = template_shared_tree(templates_dir, &t, VPS_IDMAP_TEMPLATE_BASE, path, sizeof(path),
	                         reason);
	if (r < 0)
		vps_error_set(err, r, "failed to unpack the shared tree of template '%s': %s",
		              template_name, reason[0] ? reason : strerror(-r));
	return r;
}

static int make_dir(int dir_fd, const char *name, mode_t mode)
{
	if (mkdirat(dir_fd, name, mode) < 0)
		return -errno;
	/* Not left to the umask: the overlay's root takes upper's mode. */
	return fchmodat(dir_fd, name, mode, AT_SYMLINK_NOFOLLOW) < 0 && errno != EOPNOTSUPP ? -errno
	                                                                                    : 0;
}

/* A user-namespace VPS mounts its overlay as its own root: it owns the layers it writes,
 * and may pass through its directory (group = its root's gid, 0710) but not list it. */
static int own_overlay_dirs(int dir_fd, const struct vps_config *cfg)
{
	static const char *const dirs[] = {"upper", "work", "rootfs", "lowermap"};
	uid_t u = (uid_t)cfg->uid_base;

	for (size_t i = 0; i < ELEMENTSOF(dirs); i++)
		if (fchownat(dir_fd, dirs[i], u, (gid_t)u, AT_SYMLINK_NOFOLLOW) < 0)
			return -errno;
	if (fchown(dir_fd, 0, (gid_t)u) < 0 || fchmod(dir_fd, 0710) < 0)
		return -errno;
	return 0;
}

static int materialize_overlay(int dir_fd, const struct vps_config *cfg,
                               const struct vps_template_meta *t, const char *templates_dir,
                               struct vps_error *err)
{
	char shared[PATH_MAX], reason[256] = "";
	int r;

	r = template_shared_tree(templates_dir, t, VPS_IDMAP_TEMPLATE_BASE, shared, sizeof(shared),
	                         reason);
	if (r < 0)
		return vps_error_set(err, r,
		                     "failed to unpack the shared tree of template '%s': %s",
		                     t->name, reason[0] ? reason : strerror(-r));
	r = make_dir(dir_fd, "upper", 0755);
	if (r == 0)
		r = make_dir(dir_fd, "work", 0700);
	if (r == 0)
		r = make_dir(dir_fd, "rootfs", 0755);
	if (r == 0 && symlinkat(shared, dir_fd, "lower") < 0)
		r = -errno;
	if (r == 0)
		r = make_dir(dir_fd, "lowermap", 0755);
	if (r == 0 && cfg->userns)
		r = own_overlay_dirs(dir_fd, cfg);
	if (r < 0)
		vps_error_errno(err, r, "failed to make the overlay directories");
	return r;
}

int vps_storage_materialize(int dir_fd, const struct vps_config *cfg,
                            const struct vps_template_meta *t, const char *templates_dir,
                            struct vps_error *err)
{
	struct template_unpack_opts uo = {
		/* A user-namespace VPS owns its files through its host id range. */
		.uid_shift = cfg->userns ? (uid_t)cfg->uid_base : 0,
		.gid_shift = cfg->userns ? (gid_t)cfg->uid_base : 0,
	};
	char reason[256] = "";
	int r;

	if (vps_storage_is_overlay(cfg))
		return materialize_overlay(dir_fd, cfg, t, templates_dir, err);
	r = template_unpack(t->file, dir_fd, "rootfs", &uo, reason);
	if (r < 0)
		vps_error_set(err, r, "failed to unpack template '%s': %s", t->name,
		              reason[0] ? reason : strerror(-r));
	return r;
}

static int write_extras(const char *rootfs, const struct vps_rootfs_extras *x,
                        struct vps_error *err)
{
	_cleanup_close_ int rootfd = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	int r;

	if (rootfd < 0)
		return vps_error_errno(err, -errno, "failed to open the root filesystem");
	if (x->ssh_keys) {
		r = rootfs_add_authorized_keys(rootfd, x->ssh_keys, x->root_uid, x->root_gid);
		if (r < 0)
			return vps_error_errno(
				err, r, "failed to add the SSH key to /root/.ssh/authorized_keys");
	}
	if (x->resolv_conf) {
		r = rootfs_write_resolv_conf(rootfd, x->resolv_conf, x->root_uid, x->root_gid);
		if (r < 0)
			return vps_error_errno(err, r, "failed to write /etc/resolv.conf");
	}
	return 0;
}

struct overlay_job {
	const char *dir, *rootfs;
	const struct vps_config *cfg;
	const struct vps_rootfs_extras *x;
};

/* In vps_child_run's child, a mount namespace of its own: the overlay as a VPS start mounts
 * it, then the files. */
static int overlay_body(void *data, struct vps_error *err)
{
	const struct overlay_job *j = data;
	_cleanup_close_ int root = -EBADF;
	uid_t uid;
	int r = vps_storage_private_ns(err);

	if (r == 0)
		r = vps_storage_open_root(j->dir, j->cfg, &root, &uid, err);
	return r < 0 ? r : write_extras(j->rootfs, j->x, err);
}

/* Overlay: the root exists only as a mount, so a child mounts it in a private namespace of
 * its own, writes (overlayfs copies up what it changes), and the mount dies with it. */
static int customize_overlay(const char *dir, const char *rootfs, const struct vps_config *cfg,
                             const struct vps_rootfs_extras *x, struct vps_error *err)
{
	struct overlay_job j = {dir, rootfs, cfg, x};

	return vps_child_run(overlay_body, &j, err);
}

/* etc/ and root/ in the upper layer, owned by the VPS's root, for write_extras. */
static int upper_dirs(const char *upper, const struct vps_config *cfg)
{
	static const struct {
		const char *name;
		mode_t mode;
	} dirs[] = {{"etc", 0755}, {"root", 0700}};
	_cleanup_close_ int fd = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return -errno;
	for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
		if (mkdirat(fd, dirs[i].name, dirs[i].mode) < 0 && errno != EEXIST)
			return -errno;
		if (fchownat(fd, dirs[i].name, (uid_t)cfg->uid_base, (gid_t)cfg->uid_base,
		             AT_SYMLINK_NOFOLLOW) < 0)
			return -errno;
	}
	return 0;
}

int vps_storage_customize(const char *dir, const struct vps_config *cfg,
                          const struct vps_rootfs_extras *x, struct vps_error *err)
{
	char rootfs[PATH_MAX];
	int r;

	if (!x->ssh_keys && !x->resolv_conf)
		return 0;
	if (snprintf(rootfs, sizeof(rootfs), "%s/rootfs", dir) >= (int)sizeof(rootfs))
		return -ENAMETOOLONG;
	if (vps_storage_is_overlay(cfg) && cfg->userns) {
		/* Its overlay is mounted only inside the VPS (as its root): the files go straight
		 * into the upper layer, in directories that merge with the template's. */
		if (snprintf(rootfs, sizeof(rootfs), "%s/upper", dir) >= (int)sizeof(rootfs))
			return -ENAMETOOLONG;
		r = upper_dirs(rootfs, cfg);
		if (r < 0)
			return vps_error_errno(err, r, "failed to prepare the upper layer");
		return write_extras(rootfs, x, err);
	}
	if (vps_storage_is_overlay(cfg))
		return customize_overlay(dir, rootfs, cfg, x, err);
	return write_extras(rootfs, x, err);
}
