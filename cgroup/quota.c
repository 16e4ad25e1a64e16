/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The quota model: defaults, validation, and the pure mappings from quota values to the
 * strings the v1 and v2 cgroup files take. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <libcgroup.h>

#include "cg-internal.h"
#include "parse.h"

void vps_quota_init_default(struct vps_quota *q)
{
	*q = (struct vps_quota){
		.cpus_milli = VALUE_UNLIMITED,
		.cpu_burst_milli = 0,
		.cpu_weight = CG_WEIGHT_DEFAULT,
		.memory = 512ULL << 20,
		.memory_reserve = 0,
		.swap = 0,
		.pids = 1024,
		.io_weight = CG_WEIGHT_DEFAULT,
		.cpuset = "",
		.io_read_bps = VALUE_UNLIMITED,
		.io_write_bps = VALUE_UNLIMITED,
		.io_read_iops = VALUE_UNLIMITED,
		.io_write_iops = VALUE_UNLIMITED,
	};
}

static bool cpu_number_ok(const char *s, size_t len, uint64_t *ret)
{
	char tok[16];

	if (len == 0 || len >= sizeof(tok))
		return false;
	memcpy(tok, s, len);
	tok[len] = '\0';
	return parse_uint64_range(tok, 0, CG_CPUSET_CPU_MAX, ret) == 0;
}

/* "0-3,5": comma-separated CPUs and ascending ranges, nothing else. */
bool cg_cpuset_is_valid(const char *s)
{
	if (!s || strlen(s) >= VPS_CPUSET_MAX)
		return false;
	if (*s == '\0')
		return true;
	for (;;) {
		size_t len = strcspn(s, ",");
		const char *dash = memchr(s, '-', len);
		uint64_t a, b;

		if (!dash) {
			if (!cpu_number_ok(s, len, &a))
				return false;
		} else if (!cpu_number_ok(s, (size_t)(dash - s), &a) ||
		           !cpu_number_ok(dash + 1, len - (size_t)(dash - s) - 1, &b) || a > b) {
			return false;
		}
		if (s[len] == '\0')
			return true;
		s += len + 1;
	}
}

/* How messages name the fields: the CLI's flags unless the caller says otherwise (a file's
 * keys, or a flag for what was typed and a key for what came from the file). */
static const char *const flag_names[_VPS_QUOTA_FIELD_MAX] = {
	[VPS_QUOTA_CPUS] = "--cpus",
	[VPS_QUOTA_CPU_BURST] = "--cpu-burst",
	[VPS_QUOTA_CPU_WEIGHT] = "--cpu-weight",
	[VPS_QUOTA_MEMORY] = "--memory",
	[VPS_QUOTA_MEMORY_RESERVE] = "--memory-reserve",
	[VPS_QUOTA_SWAP] = "--swap",
	[VPS_QUOTA_PIDS] = "--pids",
	[VPS_QUOTA_IO_WEIGHT] = "--io-weight",
	[VPS_QUOTA_CPUSET] = "--cpuset",
	[VPS_QUOTA_IO_READ_BPS] = "--io-read-bps",
	[VPS_QUOTA_IO_WRITE_BPS] = "--io-write-bps",
	[VPS_QUOTA_IO_READ_IOPS] = "--io-read-iops",
	[VPS_QUOTA_IO_WRITE_IOPS] = "--io-write-iops",
};

struct check {
	const char *const *names;
	struct vps_error *err;
	enum vps_quota_field field; /* the one the message is about */
};

static int bad(struct check *c, enum vps_quota_field f)
{
	c->field = f;
	return -EINVAL;
}

static int validate_cpu(const struct vps_quota *q, unsigned host_cpus, struct check *c)
{
	const char *const *n = c->names;
	char a[32], b[32];

	if (q->cpus_milli != VALUE_UNLIMITED) {
		if (q->cpus_milli < 10) {
			vps_error_set(c->err, -EINVAL, "%s %s is below the minimum 0.01",
			              n[VPS_QUOTA_CPUS], format_cpus(q->cpus_milli, a, sizeof(a)));
			return bad(c, VPS_QUOTA_CPUS);
		}
		if (host_cpus > 0 && q->cpus_milli > (uint64_t)host_cpus * 4000) {
			vps_error_set(c->err, -EINVAL, "%s %s exceeds 4 x the host's %u CPUs",
			              n[VPS_QUOTA_CPUS], format_cpus(q->cpus_milli, a, sizeof(a)),
			              host_cpus);
			return bad(c, VPS_QUOTA_CPUS);
		}
	}
	if (q->cpu_burst_milli != 0 && q->cpus_milli == VALUE_UNLIMITED) {
		vps_error_set(c->err, -EINVAL, "%s %s needs a finite %s", n[VPS_QUOTA_CPU_BURST],
		              format_cpus(q->cpu_burst_milli, a, sizeof(a)), n[VPS_QUOTA_CPUS]);
		return bad(c, VPS_QUOTA_CPU_BURST);
	}
	if (q->cpu_burst_milli != 0 && q->cpu_burst_milli > q->cpus_milli) {
		vps_error_set(c->err, -EINVAL, "%s %s exceeds %s %s", n[VPS_QUOTA_CPU_BURST],
		              format_cpus(q->cpu_burst_milli, a, sizeof(a)), n[VPS_QUOTA_CPUS],
		              format_cpus(q->cpus_milli, b, sizeof(b)));
		return bad(c, VPS_QUOTA_CPU_BURST);
	}
	return 0;
}

static int validate_weight(enum vps_quota_field f, uint64_t w, struct check *c)
{
	char a[32];

	if (w >= CG_WEIGHT_MIN && w <= CG_WEIGHT_MAX)
		return 0;
	vps_error_set(c->err, -EINVAL, "%s %s is out of range %d..%d", c->names[f],
	              format_count(w, a, sizeof(a)), CG_WEIGHT_MIN, CG_WEIGHT_MAX);
	return bad(c, f);
}

/* Below a page a second one 4K write would stall for seconds: a typo, not a plan. (iops have
 * no floor: 1 is a plan, 0 is none.) */
static int validate_io_bps(enum vps_quota_field f, uint64_t bps, struct check *c)
{
	char a[32], b[32];

	if (!cg_io_limited(bps) || bps >= CG_IO_BPS_MIN)
		return 0;
	vps_error_set(c->err, -EINVAL, "%s %s is below the minimum %s (0 = no limit)", c->names[f],
	              format_size(bps, a, sizeof(a)), format_size(CG_IO_BPS_MIN, b, sizeof(b)));
	return bad(c, f);
}

static int validate_memory(const struct vps_quota *q, struct check *c)
{
	const char *const *n = c->names;
	char a[32], b[32];

	if (q->memory < CG_MEMORY_MIN) {
		vps_error_set(c->err, -EINVAL, "%s %s is below the minimum %s", n[VPS_QUOTA_MEMORY],
		              format_size(q->memory, a, sizeof(a)),
		              format_size(CG_MEMORY_MIN, b, sizeof(b)));
		return bad(c, VPS_QUOTA_MEMORY);
	}
	if (q->memory_reserve > q->memory) {
		vps_error_set(c->err, -EINVAL, "%s %s exceeds %s %s", n[VPS_QUOTA_MEMORY_RESERVE],
		              format_size(q->memory_reserve, a, sizeof(a)), n[VPS_QUOTA_MEMORY],
		              format_size(q->memory, b, sizeof(b)));
		return bad(c, VPS_QUOTA_MEMORY_RESERVE);
	}
	return 0;
}

int vps_quota_check(const struct vps_quota *q, unsigned host_cpus,
                    const char *const names[_VPS_QUOTA_FIELD_MAX], struct vps_error *err,
                    enum vps_quota_field *ret_field)
{
	struct check c = {names ? names : flag_names, err, _VPS_QUOTA_FIELD_MAX};
	int r;

	r = validate_cpu(q, host_cpus, &c);
	if (r == 0)
		r = validate_weight(VPS_QUOTA_CPU_WEIGHT, q->cpu_weight, &c);
	if (r == 0)
		r = validate_memory(q, &c);
	if (r == 0 && q->pids == 0) {
		vps_error_set(err, -EINVAL, "%s 0 is below the minimum 1", c.names[VPS_QUOTA_PIDS]);
		r = bad(&c, VPS_QUOTA_PIDS);
	}
	if (r == 0)
		r = validate_weight(VPS_QUOTA_IO_WEIGHT, q->io_weight, &c);
	if (r == 0 && !cg_cpuset_is_valid(q->cpuset)) {
		vps_error_set(err, -EINVAL, "%s '%.64s' is not a CPU list like 0-3,5",
		              c.names[VPS_QUOTA_CPUSET], q->cpuset);
		r = bad(&c, VPS_QUOTA_CPUSET);
	}
	if (r == 0)
		r = validate_io_bps(VPS_QUOTA_IO_READ_BPS, q->io_read_bps, &c);
	if (r == 0)
		r = validate_io_bps(VPS_QUOTA_IO_WRITE_BPS, q->io_write_bps, &c);
	if (ret_field)
		*ret_field = c.field;
	return r;
}

int vps_quota_validate(const struct vps_quota *q, unsigned host_cpus, struct vps_error *err)
{
	return vps_quota_check(q, host_cpus, NULL, err, NULL);
}

uint64_t cg_cpus_to_quota_us(uint64_t milli)
{
	if (milli == VALUE_UNLIMITED || milli > UINT64_MAX / CG_PERIOD_US)
		return VALUE_UNLIMITED;
	return milli * CG_PERIOD_US / 1000;
}

/* Rounded to the nearest thousandth, so a period other than ours still reads sensibly. */
uint64_t cg_quota_us_to_cpus(uint64_t quota_us, uint64_t period_us)
{
	if (quota_us == VALUE_UNLIMITED || period_us == 0 || quota_us > UINT64_MAX / 1000)
		return VALUE_UNLIMITED;
	return (quota_us * 1000 + period_us / 2) / period_us;
}

const char *cg_format_cpu_max(uint64_t milli, char *buf, size_t len)
{
	uint64_t q = cg_cpus_to_quota_us(milli);

	if (q == VALUE_UNLIMITED)
		snprintf(buf, len, "max %llu", CG_PERIOD_US);
	else
		snprintf(buf, len, "%" PRIu64 " %llu", q, CG_PERIOD_US);
	return buf;
}

const char *cg_format_cfs_quota(uint64_t milli, char *buf, size_t len)
{
	uint64_t q = cg_cpus_to_quota_us(milli);

	if (q == VALUE_UNLIMITED)
		snprintf(buf, len, "-1");
	else
		snprintf(buf, len, "%" PRIu64, q);
	return buf;
}

/* cpu.shares default 1024 equals weight 100; the kernel's minimum share is 2. */
uint64_t cg_weight_to_shares(uint64_t weight)
{
	uint64_t s = weight * 1024 / 100;

	return s < 2 ? 2 : s;
}

/* The exact inverse of the floor above for every weight 1..10000. */
uint64_t cg_shares_to_weight(uint64_t shares)
{
	return (shares * 100 + 1023) / 1024;
}

/* io.weight's 1..10000 (default 100) onto a v1 weight file's range: blkio.weight (CFQ) takes
 * 10..1000 with 500 the default, blkio.bfq.weight 1..1000 with 100. Two straight lines, through
 * the ends and the defaults, so the default lands on the default (a VPS competes evenly with
 * host services) and every step of the range still orders VPSes (a plain x5 scale sends 200 and
 * above to the maximum). Rounded to the nearest. */
static uint64_t map_piecewise(uint64_t x, uint64_t x0, uint64_t x1, uint64_t x2, uint64_t y0,
                              uint64_t y1, uint64_t y2)
{
	if (x <= x0)
		return y0;
	if (x >= x2)
		return y2;
	if (x <= x1)
		return y0 + ((x - x0) * (y1 - y0) + (x1 - x0) / 2) / (x1 - x0);
	return y1 + ((x - x1) * (y2 - y1) + (x2 - x1) / 2) / (x2 - x1);
}

uint64_t cg_io_weight_to_blkio(uint64_t weight, bool bfq)
{
	return map_piecewise(weight, CG_WEIGHT_MIN, CG_WEIGHT_DEFAULT, CG_WEIGHT_MAX,
	                     bfq ? CG_BFQ_WEIGHT_MIN : CG_BLKIO_WEIGHT_MIN,
	                     bfq ? CG_BFQ_WEIGHT_DEFAULT : CG_BLKIO_WEIGHT_DEFAULT,
	                     CG_BLKIO_WEIGHT_MAX);
}

/* The inverse where the mapping is one to one (below the default); above it several weights
 * share one blkio value, and the smallest of them reads back. */
uint64_t cg_blkio_to_io_weight(uint64_t blkio, bool bfq)
{
	uint64_t lo = CG_WEIGHT_MIN, hi = CG_WEIGHT_MAX;

	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (cg_io_weight_to_blkio(mid, bfq) < blkio)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

bool cg_io_limited(uint64_t v)
{
	return v != 0 && v != VALUE_UNLIMITED;
}

/* v1 limits RAM + swap together; memsw must stay >= the RAM limit. */
uint64_t cg_memsw(uint64_t memory, uint64_t swap)
{
	if (memory == VALUE_UNLIMITED || swap == VALUE_UNLIMITED || swap > UINT64_MAX - memory)
		return VALUE_UNLIMITED;
	return memory + swap;
}

uint64_t cg_swap_from_memsw(uint64_t memsw, uint64_t memory)
{
	if (memsw == VALUE_UNLIMITED || memory == VALUE_UNLIMITED)
		return VALUE_UNLIMITED;
	return memsw > memory ? memsw - memory : 0;
}

const char *cg_format_limit(enum vps_cgroup_backend b, uint64_t v, char *buf, size_t len)
{
	if (v == VALUE_UNLIMITED)
		snprintf(buf, len, "%s", b == VPS_CGROUP_V2 ? "max" : "-1");
	else
		snprintf(buf, len, "%" PRIu64, v);
	return buf;
}

int cg_libcgroup_to_errno(int ecg, int last_errno)
{
	if (ecg == 0)
		return 0;
	if (ecg < 0)
		return ecg;
	if (ecg < ECGROUPNOTCOMPILED)
		return -ecg; /* already a plain errno */
	switch (ecg) {
	case ECGOTHER:
		return last_errno > 0 ? -last_errno : -EIO;
	case ECGROUPNOTMOUNTED:
	case ECGROUPSUBSYSNOTMOUNTED:
		return -ENOMEDIUM;
	case ECGROUPNOTEXIST:
	case ECGROUPVALUENOTEXIST:
		return -ENOENT;
	case ECGROUPNOTOWNER:
	case ECGROUPNOTALLOWED:
		return -EPERM;
	case ECGINVAL:
		return -EINVAL;
	case ECGROUPNOTINITIALIZED:
		return -EBADFD;
	case ECGROUPUNSUPP:
	case ECGROUPNOTCOMPILED:
		return -EOPNOTSUPP;
	case ECGNONEMPTY:
		return -EBUSY;
	case ECGEOF:
		return -ENODATA;
	default:
		return -EIO;
	}
}
