/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>

#include "caps.h"
#include "security.h"
#include "vps-seccomp.h"

int vps_security_apply(const struct vps_config *cfg, const char **what)
{
	uint64_t keep;
	int r;

	*what = "compute the capability set (CAP_ADD/CAP_DROP)";
	r = vps_caps_keep_mask(cfg->cap_add, cfg->cap_drop, cfg->userns, &keep);
	if (r < 0)
		return r;
	/* 1. seccomp while CAP_SYS_ADMIN is still ours (no no_new_privs: su and ping must work) */
	/* Nested in a VPS without one, a user namespace may map the host's uid 0 and so own
	 * host-root files in what it mounts (a fresh cgroup2 of the VPS's own group). */
	*what = "allow nesting (NESTING=yes needs a user namespace, USERNS=yes)";
	if (cfg->nesting && !cfg->userns)
		return -EPERM;
	*what = "load the seccomp filter";
	r = vps_seccomp_load((cfg->nesting ? VPS_SECCOMP_NESTING : 0) |
			     (cfg->socketcall ? VPS_SECCOMP_SOCKETCALL : 0));
	if (r < 0)
		return r;
	/* 2. capabilities: the filter lets prctl and capset through */
	*what = "drop capabilities";
	return vps_caps_apply(keep);
}
