/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The host probe, the one user of libcgroup. The backend is chosen by controller, not by
 * whether a hierarchy exists: v2 when the unified hierarchy offers cpu and memory, else v1
 * with the per-controller hierarchies libcgroup finds; hybrid when such a host also mounts a
 * cgroup2 tree (holding little or nothing, e.g. only hugetlb) at /sys/fs/cgroup/unified, where
 * a VPS gets a tree of its own (cgroup-mount.h). Only the CLI probes; vps-supervisor is handed
 * the result (vps_cgroup_host_set) and does not link libcgroup.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include <unistd.h>

#include <libcgroup.h>

#include "cg-internal.h"
#include "log.h"

#define UNIFIED "/sys/fs/cgroup/unified"

static bool is_fs(const char *path, long magic)
{
	struct statfs sf;

	return statfs(path, &sf) == 0 && sf.f_type == magic;
}

/* cgroup2 at /sys/fs/cgroup (unified host) or /sys/fs/cgroup/unified (hybrid host). */
static bool probe_v2(struct vps_cgroup_host *h)
{
	static const char *const paths[] = {"/sys/fs/cgroup", UNIFIED};

	for (size_t i = 0; i < ELEMENTSOF(paths); i++) {
		_cleanup_close_ int fd = -EBADF;
		_cleanup_free_ char *ctrls = NULL;

		if (!is_fs(paths[i], CGROUP2_SUPER_MAGIC))
			continue;
		fd = open(paths[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0 || cg_read_string(fd, "cgroup.controllers", &ctrls) < 0)
			continue;
		log_debug("cgroup: %s offers '%s'", paths[i], ctrls);
		if (!cg_word_in(ctrls, "cpu") || !cg_word_in(ctrls, "memory"))
			continue;
		for (int c = 0; c < _CG_CTRL_MAX; c++)
			snprintf(h->mount[c], sizeof(h->mount[c]), "%s", paths[i]);
		h->kind = CG_KIND_V2;
		return true;
	}
	return false;
}

static int probe_v1(struct vps_cgroup_host *h)
{
	int r;

	r = cgroup_init();
	if (r != 0)
		return cg_libcgroup_to_errno(r, cgroup_get_last_errno());
	for (int c = 0; c < _CG_CTRL_MAX; c++) {
		const char *name = cg_ctrl_to_string(c, VPS_CGROUP_V1);
		_cleanup_free_ char *m = NULL;

		r = cgroup_get_subsys_mount_point(name, &m);
		if (r != 0) {
			log_debug_errno(cg_libcgroup_to_errno(r, cgroup_get_last_errno()),
			                "cgroup: no v1 hierarchy for %s: %m", name);
			continue;
		}
		/* a controller bound to the cgroup2 tree is no use to the v1 backend */
		if (!is_fs(m, CGROUP_SUPER_MAGIC) || strlen(m) >= sizeof(h->mount[c]))
			continue;
		snprintf(h->mount[c], sizeof(h->mount[c]), "%s", m);
		log_debug("cgroup: v1 %s at %s", name, m);
	}
	if (!h->mount[CG_CPU][0] || !h->mount[CG_MEMORY][0])
		return -EOPNOTSUPP;
	h->kind =
		!is_fs("/sys/fs/cgroup", CGROUP2_SUPER_MAGIC) && is_fs(UNIFIED, CGROUP2_SUPER_MAGIC)
			? CG_KIND_HYBRID
			: CG_KIND_V1;
	return 0;
}

int vps_cgroup_init(void)
{
	struct vps_cgroup_host h = {0};
	int r;

	if (cg_host_known())
		return 0;
	if (!probe_v2(&h)) {
		r = probe_v1(&h);
		if (r < 0)
			return r;
	}
	return vps_cgroup_host_set(&h);
}

void vps_cgroup_init_on_demand(void)
{
	cg_host_probe_with(vps_cgroup_init);
}
