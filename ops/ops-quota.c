/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The quota flags create, restore and resize share, mapped onto vps.conf keys. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"
#include "conf.h"
#include "io-devices.h"
#include "ptys.h"
#include "ops-quota.h"
#include "vps-run.h"

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

int ops_quota_set(struct vps_config *cfg, int opt, const char *value, struct vps_error *err)
{
	size_t i = (size_t)opt;
	int r;

	if (opt < 0 || i >= quota_flags_n)
		return -EINVAL;
	r = conf_set(vps_config_keys, vps_config_keys_n, cfg, quota_flags[i].key, value);
	if (r < 0)
		vps_error_set(err, r, "invalid --%s '%.64s'%s", quota_flags[i].flag, value,
		              r == -ERANGE ? ": out of range" : "");
	return r;
}

int ops_quota_validate(const struct vps_config *cfg, unsigned given, const char *other_prefix,
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

bool ops_io_weight_warning(const char *dir, uint64_t io_weight, char *buf, size_t len)
{
	char why[128];

	if (io_weight == 100)
		return false;
	vps_cgroup_init_on_demand();
	if (vps_cgroup_backend() != VPS_CGROUP_V1)
		return false;
	if (vps_storage_io_weight_ignored(dir, why, sizeof(why)) != 1)
		return false;
	snprintf(buf, len,
	         "warning: --io-weight %" PRIu64 " has no effect: %s, which ignores weights (bfq "
	         "honours them)",
	         io_weight, why);
	return true;
}
