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

const struct quota_flag quota_flags[] = {
	{"cpus", "CPUS"},
	{"cpu-burst", "CPU_BURST"},
	{"cpu-weight", "CPU_WEIGHT"},
	{"memory", "MEMORY"},
	{"memory-reserve", "MEMORY_RESERVE"},
	{"swap", "SWAP"},
	{"pids", "PIDS"},
	{"io-weight", "IO_WEIGHT"},
	{"cpuset", "CPUSET"},
	{"io-read-bps", "IO_READ_BPS"},
	{"io-write-bps", "IO_WRITE_BPS"},
	{"io-read-iops", "IO_READ_IOPS"},
	{"io-write-iops", "IO_WRITE_IOPS"},
	{"ptys", "PTYS"},
};
const size_t quota_flags_n = sizeof(quota_flags) / sizeof(quota_flags[0]);

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
	size_t i = (size_t)(opt - QUOTA_OPT_BASE);
	int r;

	if (opt < QUOTA_OPT_BASE || i >= quota_flags_n)
		return -EINVAL;
	r = conf_set(vps_config_keys, vps_config_keys_n, cfg, quota_flags[i].key, value);
	if (r < 0)
		vps_error_set(err, r, "invalid --%s '%.64s'%s", quota_flags[i].flag, value,
		              r == -ERANGE ? ": out of range" : "");
	return r;
}

int cli_quota_validate(const struct vps_config *cfg, unsigned given, const char *other_prefix,
                       struct vps_error *err)
{
	char names[_VPS_QUOTA_FIELD_MAX][40];
	const char *np[_VPS_QUOTA_FIELD_MAX];
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	const char *key;
	int r;

	/* a flag for what was typed, the key it came from for the rest */
	for (size_t i = 0; i < _VPS_QUOTA_FIELD_MAX && i < quota_flags_n; i++) {
		if (given & (1u << i))
			snprintf(names[i], sizeof(names[i]), "--%s", quota_flags[i].flag);
		else
			snprintf(names[i], sizeof(names[i]), "%s%s", other_prefix,
			         quota_flags[i].key);
		np[i] = names[i];
	}
	r = vps_config_check(cfg, cpus > 0 ? (unsigned)cpus : 1, np, &key, err);
	if (r < 0)
		return r;
	r = ops_quota_host_check(&cfg->quota, np[VPS_QUOTA_CPUSET], err);
	if (r < 0)
		return r;
	/* --ptys follows the cgroup quota flags in quota_flags[] */
	return vps_devpts_check(cfg->ptys, given & (1u << _VPS_QUOTA_FIELD_MAX) ? "--ptys" : "PTYS",
	                        err);
}

void cli_io_weight_warn(const char *name, const char *dir, uint64_t io_weight)
{
	char why[128];

	if (io_weight == 100)
		return;
	vps_cgroup_init_on_demand();
	if (vps_cgroup_backend() != VPS_CGROUP_V1)
		return;
	if (vps_storage_io_weight_ignored(dir, why, sizeof(why)) == 1)
		fprintf(stderr,
		        "vpsctl: %s: warning: --io-weight %" PRIu64 " has no effect: %s, which "
		        "ignores weights (bfq honours them)\n",
		        name, io_weight, why);
}
