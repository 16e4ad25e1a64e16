/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The quota flags create and resize share, mapped onto vps.conf keys. */
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "cli-quota.h"
#include "vps-run.h"
#include "fileio.h"
#include "io-devices.h"
#include "ptys.h"

const char *const quota_help[] = {
	"  --cpus N             hard CPU cap in CPUs (0.5, 1.5) or 'unlimited'",
	"  --cpu-burst N        extra CPU the VPS may bank and spend in bursts (<= --cpus)",
	"  --cpu-weight W       share of contended CPU, 1..10000 (100 = normal)",
	"  --memory SIZE        hard RAM cap (512M, 2G)",
	"  --memory-reserve SIZE  RAM protected from reclaim (<= --memory)",
	"  --swap SIZE          swap on top of RAM",
	"  --pids N             process/thread cap",
	"  --io-weight W        share of disk time, 1..10000",
	"  --cpuset LIST        CPUs to run on (0-3,5); '' = all",
	"  --io-read-bps SIZE   read bytes/s on the VPS's storage devices (10M); 0 = none",
	"  --io-write-bps SIZE  write bytes/s on the VPS's storage devices (10M); 0 = none",
	"  --io-read-iops N     read operations/s on the VPS's storage devices; 0 = none",
	"  --io-write-iops N    write operations/s on the VPS's storage devices; 0 = none",
	"  --ptys N             ptys the VPS may hold at once, enter's included (devpts max=)",
	NULL,
};

struct option *cli_quota_options(const struct option *own, size_t n_own, struct option *out,
                                 size_t cap)
{
	if (n_own + quota_flags_n + 1 > cap)
		return NULL;
	memcpy(out, own, n_own * sizeof(*own));
	for (size_t i = 0; i < quota_flags_n; i++)
		out[n_own + i] = (struct option){quota_flags[i].flag, required_argument, NULL,
		                                 QUOTA_OPT_BASE + (int)i};
	out[n_own + quota_flags_n] = (struct option){0};
	return out;
}

int cli_quota_set(struct vps_config *cfg, int opt, const char *value, struct vps_error *err)
{
	return ops_quota_set(cfg, opt - QUOTA_OPT_BASE, value, err);
}

void cli_io_weight_warn(const char *name, const char *dir, uint64_t io_weight)
{
	char text[256];

	if (ops_io_weight_warning(dir, io_weight, text, sizeof(text)))
		fprintf(stderr, "vpsctl: %s: %s\n", name, text);
}
