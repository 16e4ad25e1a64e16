/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "cleanup.h"
#include "fileio.h"
#include "frozen.h"
#include "parse.h"

int vps_frozen(const char *cgroup_parent, const char *name, bool *ret)
{
	_cleanup_vps_cgroup_ struct vps_cgroup *cg = NULL;
	int r;

	*ret = false;
	r = vps_cgroup_new(cgroup_parent, name, &cg);
	return r < 0 ? r : vps_cgroup_frozen(cg, ret);
}

int vps_thaw(const char *cgroup_parent, const char *name)
{
	_cleanup_vps_cgroup_ struct vps_cgroup *cg = NULL;
	int r;

	r = vps_cgroup_new(cgroup_parent, name, &cg);
	return r < 0 ? r : vps_cgroup_thaw(cg);
}
