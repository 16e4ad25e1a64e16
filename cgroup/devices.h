/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The device policy of a VPS in the cgroup v1 devices controller: deny everything, then allow
 * the nodes the runtime makes in /dev and the VPS's own ptys. On cgroup v2 the same rules are
 * an eBPF device program (devices-bpf.h). On v1 hosts without a devices hierarchy the nodev
 * mounts (vps-mount.c) are what makes a node the VPS creates useless.
 */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* The rules written after "a" to devices.deny, in order; NULL-terminated. The v2 program is
 * generated from them too: the one list of what a VPS may open. */
extern const char *const vps_devices_allow[];

/* Writes the policy into a devices group directory (one write per rule). */
int vps_devices_apply_at(int dirfd);
