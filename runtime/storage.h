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
			    char *err, size_t errlen);

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
			  const struct vps_rootfs_extras *x, char *err, size_t errlen);
