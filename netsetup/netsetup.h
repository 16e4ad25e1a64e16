/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * VPS network plumbing over rtnetlink with libmnl. A netns_fd of -1 means the caller's own
 * network namespace. Functions return 0 or -errno and log only at debug level.
 */
#pragma once

#include <stdint.h>

/* Brings interface ifname up in the given network namespace (e.g. "lo" inside a VPS). */
int netsetup_link_up(int netns_fd, const char *ifname);
