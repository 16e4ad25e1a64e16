/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The host's steps of a VPS start (vps-spawn.c), each filling s->error when it fails. */
#pragma once

#include <stddef.h>

#include "vps-spawn.h"

/* Before the clone: the cgroup2 group init is born in (s->born_cgroup_fd, or -1). */
int vps_spawn_host_open(struct vps_spawn *s);
/* Once init exists: the rest of its cgroup2 join on an old kernel, the id maps, the disk
 * image's mount and the id-mapped template tree (s->disk_fd, s->lower_fd). */
int vps_spawn_host_map(struct vps_spawn *s);
/* While init makes its root filesystem: the v1 cgroup (made when s->create_quota says so) and
 * its `tasks` files for init to join through (fds, *n), the device policy, the network. */
int vps_spawn_host_rest(struct vps_spawn *s, int fds[VPS_CGROUP_HIER_MAX], size_t *n);
