/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Metered traffic: a VPS's rx/tx bytes and packets over a billing period, which survive guest
 * reboots, restarts, a supervisor's takeover and a node reboot. The node-side veth counts
 * only while it lives; whenever one goes away (a plumb or the teardown) its counts are added to the
 * VPS's counter file (VPSDIR/net-counters, written atomically), and reading adds the live
 * veth's on top. The file names the veth it has counted up to (boot id and ifindex, with its
 * counts then), so counting one twice adds nothing.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netsetup.h"
#include "paths.h"

/* From the VPS's point of view: rx is what it was sent, tx what it sent. */
struct vps_counters {
	uint64_t rx_bytes, tx_bytes, rx_packets, tx_packets;
	uint64_t period_start; /* unix seconds; 0 = nothing counted yet */
};

/* Adds host_if's counts (if it exists) to NAME's file. With start (a boot plumbs its network),
 * makes the file (period start: now) if there is none; otherwise a VPS that never had a veth
 * gets none (a stop of a stopped VPS changes nothing on disk). -ENOENT: the VPS is gone. */
int vps_counters_bank(const struct vps_paths *p, const char *name, const char *host_if, bool start);
/* The period's totals: the file plus the live veth. */
int vps_counters_read(const struct vps_paths *p, const char *name, struct vps_counters *ret);
/* For a node-wide list: the boot id once (a buffer of 64), then vps_counters_read() of each
 * VPS with its veth as a link dump found it (ifindex 0: none), the file read relative to
 * base_fd (the VPS base directory). Without the lock: the file is replaced by rename, so it is
 * read whole, old or new; one banked after the dump already holds what the dump counted. */
int vps_counters_boot_id(char *buf, size_t len);
int vps_counters_read_live(int base_fd, const char *name, const char *boot_id, int ifindex,
                           const struct netsetup_link_stats *st, struct vps_counters *ret);
/* Starts a new period now: the totals are zero, what the live veth counted so far is not in it. */
int vps_counters_reset(const struct vps_paths *p, const char *name);
