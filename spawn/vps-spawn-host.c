/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cgroup-mount.h"
#include "cleanup.h"
#include "devices-bpf.h"
#include "devices.h"
#include "disk.h"
#include "fileio.h"
#include "idmap.h"
#include "network.h"
#include "storage-mount.h"
#include "vps-spawn.h"

static int fail(struct vps_spawn *s, int r, const char *what)
{
	return vps_error_errno(&s->error, r, "failed to %s", what);
}

/* The VPS group on v2, its delegated cgroup2 group on a hybrid host (cgroup-mount.h), none
 * on a pure v1 host. */
int vps_spawn_host_open(struct vps_spawn *s)
{
	int r;

	s->born_cgroup_fd = -EBADF;
	if (vps_cgroup_backend() == VPS_CGROUP_V2) {
		r = vps_cgroup_open_v2(s->cg);
		if (r < 0)
			return fail(s, r, "open the VPS cgroup");
		s->born_cgroup_fd = r;
		return 0;
	}
	r = vps_cgroup2_make(s->cgroup_parent, s->cfg->name,
			     s->cfg->userns ? (long long)s->cfg->uid_base : -1, &s->born_cgroup_fd);
	if (r < 0)
		return fail(s, r, "make the VPS's cgroup2 group");
	s->cgroup2_tree = s->born_cgroup_fd >= 0;
	return 0;
}

/* The VPS's 65536 ids: 0 inside is uid_base on the host. setgroups stays allowed so that
 * su and login work inside. */
int vps_spawn_host_map(struct vps_spawn *s)
{
	/* a kernel without CLONE_INTO_CGROUP: the host moves init (and waits a grace period) */
	int r = s->in_cgroup ? 0 : vps_cgroup2_attach_fd(s->born_cgroup_fd, s->pid);

	if (r < 0)
		return fail(s, r, "join the VPS cgroup");
	if (s->cfg->userns) {
		r = vps_idmap_write(s->pid, 0, s->cfg->uid_base);
		if (r < 0)
			return fail(s, r, "write the id maps");
	}
	if (s->cfg->disk) {
		r = vps_disk_mount_detached(s->rootfs, &s->disk_fd);
		if (r < 0)
			return fail(s, r, "mount the disk image");
	}
	if (vps_storage_idmapped(s->cfg)) {
		r = vps_storage_idmapped_lower(s->rootfs, s->cfg, &s->lower_fd);
		if (r == -EUCLEAN)
			return fail(s, r, "use the template tree: it is not owned by the template id "
					  "block (an older vpsctl unpacked it); 'vpsctl start' moves the "
					  "VPS to a new one");
		if (r < 0)
			return fail(s, r, "id-map the template tree");
	}
	return 0;
}

/* v1: made on the first boot only; a reboot keeps the group and what resize set on it. */
static int make_cgroup(struct vps_spawn *s, int fds[VPS_CGROUP_HIER_MAX], size_t *n)
{
	int r;

	if (s->create_quota) {
		r = vps_cgroup_create(s->cg, s->create_quota, &s->error);
		if (r < 0)
			return vps_error_prefix(&s->error, r, "failed to create the VPS cgroup");
	}
	r = vps_cgroup_open_tasks(s->cg, fds, n);
	return r < 0 ? fail(s, r, "open the VPS cgroup") : 0;
}

/* Device policy: the VPS's v1 devices group (devices.h) or an eBPF program on its v2 group
 * (devices-bpf.h); in place before init execs. */
static int restrict_devices(struct vps_spawn *s)
{
	_cleanup_close_ int fd = -EBADF;

	if (vps_cgroup_backend() == VPS_CGROUP_V2)
		return vps_devices_bpf_restrict(s->pid, s->cfg->name);
	fd = vps_cgroup_open_devices(s->cg);
	if (fd == -EOPNOTSUPP)
		return 0; /* no devices hierarchy: the nodev mounts alone (devices.h) */
	return fd < 0 ? fd : vps_devices_apply_at(fd);
}

int vps_spawn_host_rest(struct vps_spawn *s, int fds[VPS_CGROUP_HIER_MAX], size_t *n)
{
	int r = make_cgroup(s, fds, n);

	if (r < 0)
		return r;
	r = restrict_devices(s);
	if (r < 0)
		return fail(s, r, "restrict the VPS's devices");
	/* The veth peer is created directly in init's fresh network namespace. */
	r = vps_net_plumb(s->paths, s->cfg, s->node, s->pid, &s->error);
	return r < 0 ? r : 0;
}
