/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A VPS's storage. copy: VPSDIR/rootfs is its own unpacked template. overlay: VPSDIR/lower is
 * a symlink to the template's shared tree (read-only to the VPS), VPSDIR/upper and VPSDIR/work
 * hold its changes, and VPSDIR/rootfs is where the overlay is mounted, inside the VPS's mount
 * namespace only (the host sees an empty directory). destroy removes VPSDIR and nothing shared.
 */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "config.h"
#include "template.h"

/* Fills the new VPS directory dir_fd (still under its temp name): unpacks the template into
 * rootfs (copy) or links the shared tree, unpacking it on first use, and makes upper, work and
 * rootfs (overlay). For overlay the caller holds template_store_lock(shared). err says why. */
int vps_storage_materialize(int dir_fd, const struct vps_config *cfg,
                            const struct vps_template_meta *t, const char *templates_dir,
                            struct vps_error *err);

/* What create writes into a new root besides the template. */
struct vps_rootfs_extras {
	const char *ssh_keys;    /* appended to /root/.ssh/authorized_keys, or NULL */
	const char *resolv_conf; /* /etc/resolv.conf when the root has none, or NULL */
	uid_t root_uid;          /* the VPS's root as the host sees it (0 without a user ns) */
	gid_t root_gid;
};

/* Writes extras into the root of the VPS directory dir (a path): directly for copy, through a
 * private overlay mount in a short-lived child for overlay. err says which step failed. */
int vps_storage_customize(const char *dir, const struct vps_config *cfg,
                          const struct vps_rootfs_extras *x, struct vps_error *err);

/* Unpacks the shared tree of template_name (template_lookup + template_shared_tree: only the
 * build with libarchive has one); err says why it failed. */
typedef int (*vps_tree_unpack_fn)(const char *templates_dir, const char *template_name,
                                  struct vps_error *err);

/* The build with libarchive's vps_tree_unpack_fn. */
int vps_storage_unpack_tree(const char *templates_dir, const char *template_name,
                            struct vps_error *err);

/* Before every start (storage-repair.c): the VPS directory root's only (0710 to its own root for
 * a user-namespace overlay), the node's VPS base 0700, the disk image 0600; an overlay VPS moved
 * onto its template's id-shifted shared tree (an older vpsctl's unshifted tree is retired), which
 * unpack makes when it is missing: with unpack NULL that is -EAGAIN and nothing in err. A
 * UID_BASE no VPS may have is refused. note (may come back "") tells the operator what changed;
 * err says why it failed. */
struct vps_paths;
/* The trees a start or a criu restore mounts or roots in (rootfs, upper, work, disk) are
 * directories or absent, never symlinks; repair checks it too. */
int vps_storage_check_trees(const struct vps_paths *p, const char *name, struct vps_error *err);
int vps_storage_repair(const struct vps_paths *p, const struct vps_config *cfg,
                       vps_tree_unpack_fn unpack, char *note, size_t notelen,
                       struct vps_error *err);
