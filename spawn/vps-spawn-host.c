/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "disk.h"
#include "fileio.h"
#include "idmap.h"
#include "io-devices.h"
#include "network.h"
#include "storage-mount.h"
#include "vps-spawn.h"

static int fail(struct vps_spawn *s, int r, const char *what)
{
	return vps_error_errno(&s->error, r, "failed to %s", what);
}

int vps_spawn_host_open(struct vps_spawn *s)
{
	long long owner = s->cfg->userns ? (long long)s->cfg->uid_base : -1;
	int r = vps_cgroup_spawn_prepare(s->cg, s->create_quota, owner, &s->cgsp, &s->error);

	if (r < 0)
		return vps_error_prefix(&s->error, r, "failed to create the VPS cgroup");
	return r;
}

/* The VPS's 65536 ids: 0 inside is uid_base on the host. setgroups stays allowed so that
 * su and login work inside. */
int vps_spawn_host_map(struct vps_spawn *s)
{
	/* a kernel without CLONE_INTO_CGROUP: the host moves init (and waits a grace period) */
	int r = vps_cgroup_spawn_attach(&s->cgsp, s->pid);

	if (r < 0)
		return fail(s, r, "join the VPS cgroup");
	if (s->cfg->userns) {
		r = vps_idmap_write(s->pid, 0, s->cfg->uid_base);
		if (r < 0)
			return fail(s, r, "write the id maps");
	}
	if (vps_disk_is_image(s->cfg)) {
		r = vps_disk_mount_detached(s->rootfs, &s->disk_fd);
		if (r < 0)
			return fail(s, r, "mount the disk image");
	}
	if (vps_storage_idmapped(s->cfg)) {
		r = vps_storage_idmapped_lower(s->rootfs, s->cfg, &s->lower_fd);
		if (r == -EUCLEAN)
			return fail(s, r,
			            "use the template tree: it is not owned by the template id "
			            "block (an older vpsctl unpacked it); 'vpsctl start' moves the "
			            "VPS to a new one");
		if (r < 0)
			return fail(s, r, "id-map the template tree");
	}
	return 0;
}

/* The I/O throttle at every boot: the disk image's loop device is new each time (the group
 * and the previous boot's rules outlive it). */
static int limit_io(struct vps_spawn *s)
{
	char dir[PATH_MAX];
	int r = vps_path(s->paths, s->cfg->name, NULL, dir, sizeof(dir));

	if (r < 0)
		return fail(s, r, "find the VPS directory");
	return vps_storage_io_limit(s->cg, dir, vps_disk_is_image(s->cfg), &s->cfg->quota,
	                            &s->error);
}

/* Nothing of the VPS runs before the host is done: its quota and device policy now, while init
 * makes its root filesystem. */
static int limit_cgroup(struct vps_spawn *s)
{
	int r = vps_cgroup_spawn_limit(s->cg, &s->cgsp, &s->error);

	if (r < 0)
		return vps_error_prefix(&s->error, r, "failed to create the VPS cgroup");
	r = vps_cgroup_restrict_devices(s->cg, s->pid);
	if (r < 0)
		return fail(s, r, "restrict the VPS's devices");
	return limit_io(s);
}

int vps_spawn_host_rest(struct vps_spawn *s)
{
	int r = limit_cgroup(s);

	if (r < 0)
		return r;
	/* The veth peer is created directly in init's fresh network namespace. */
	r = vps_net_plumb(s->paths, s->cfg, s->node, s->pid, &s->error);
	return r < 0 ? r : 0;
}
