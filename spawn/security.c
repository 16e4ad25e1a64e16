/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>

#include "caps.h"
#include "security.h"
#include "vps-seccomp.h"

int vps_security_apply(const struct vps_config *cfg, struct vps_error *err)
{
	uint64_t keep;
	int r;

	r = vps_caps_keep_mask(cfg->cap_add, cfg->cap_drop, cfg->userns, &keep);
	if (r < 0)
		return vps_error_errno(err, r,
		                       "failed to compute the capability set (CAP_ADD/CAP_DROP)");
	/* 1. seccomp while CAP_SYS_ADMIN is still ours (no no_new_privs: su and ping must work) */
	/* Nested in a VPS without one, a user namespace may map the host's uid 0 and so own
	 * host-root files in what it mounts (a fresh cgroup2 of the VPS's own group). */
	if (cfg->nesting && !cfg->userns)
		return vps_error_errno(
			err, -EPERM,
			"failed to allow nesting (NESTING=yes needs a user namespace, USERNS=yes)");
	r = vps_seccomp_load((cfg->nesting ? VPS_SECCOMP_NESTING : 0) |
	                     (cfg->socketcall ? VPS_SECCOMP_SOCKETCALL : 0));
	if (r < 0)
		return vps_error_errno(err, r, "failed to load the seccomp filter");
	/* 2. capabilities: the filter lets prctl and capset through */
	return vps_error_check(err, vps_caps_apply(keep), "failed to drop capabilities");
}
