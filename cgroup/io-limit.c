/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The I/O throttle of a group (v1 blkio.throttle.{read,write}_{bps,iops}_device, v2 io.max) on
 * the devices holding a VPS's storage, which the caller names; its byte and operation counters
 * (v1 blkio.throttle.io_service_bytes/io_serviced recursive, v2 io.stat); and whether a
 * device's scheduler honours the io weight at all.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "cg-internal.h"
#include "fileio.h"
#include "parse.h"

/* v1's four files, in the order of struct cg_io_line's values */
static const char *const v1_files[CG_IO_KINDS] = {
	"blkio.throttle.read_bps_device",
	"blkio.throttle.write_bps_device",
	"blkio.throttle.read_iops_device",
	"blkio.throttle.write_iops_device",
};
/* v2's io.max keys, in the same order */
static const char *const v2_keys[CG_IO_KINDS] = {"rbps", "wbps", "riops", "wiops"};

static uint64_t norm(uint64_t v)
{
	return cg_io_limited(v) ? v : VALUE_UNLIMITED;
}

static struct cg_io_line *line_of(struct cg_io_state *st, dev_t dev, bool add)
{
	for (size_t i = 0; i < st->n; i++)
		if (st->l[i].dev == dev)
			return &st->l[i];
	if (!add || st->n >= CG_IO_LINES_MAX)
		return NULL;
	st->l[st->n] = (struct cg_io_line){.dev = dev};
	for (size_t k = 0; k < CG_IO_KINDS; k++)
		st->l[st->n].v[k] = VALUE_UNLIMITED;
	return &st->l[st->n++];
}

static int parse_dev(const char *tok, dev_t *ret)
{
	unsigned maj, min;
	char end;

	if (sscanf(tok, "%u:%u%c", &maj, &min, &end) != 2)
		return -EINVAL;
	*ret = makedev(maj, min);
	return 0;
}

/* "MAJ:MIN VALUE" lines of one v1 file into kind k of st. */
int cg_io_parse_v1(const char *buf, size_t k, struct cg_io_state *st)
{
	for (const char *p = buf; *p;) {
		size_t len = strcspn(p, "\n");
		char tok[64], val[32];
		struct cg_io_line *l;
		uint64_t v;
		dev_t dev;

		if (len > 0 && len < sizeof(tok)) {
			memcpy(tok, p, len);
			tok[len] = '\0';
			if (sscanf(tok, "%*s %31s", val) != 1)
				return -EINVAL;
			tok[strcspn(tok, " ")] = '\0';
			if (parse_dev(tok, &dev) < 0 || parse_uint64(val, &v) < 0)
				return -EINVAL;
			l = line_of(st, dev, true);
			if (!l)
				return -E2BIG;
			l->v[k] = norm(v);
		}
		p += len;
		if (*p == '\n')
			p++;
	}
	return 0;
}

static int parse_v2_line(char *line, struct cg_io_state *st)
{
	char *save = NULL, *tok = strtok_r(line, " ", &save);
	struct cg_io_line *l;
	dev_t dev;

	if (!tok || parse_dev(tok, &dev) < 0)
		return -EINVAL;
	l = line_of(st, dev, true);
	if (!l)
		return -E2BIG;
	while ((tok = strtok_r(NULL, " ", &save))) {
		char *eq = strchr(tok, '=');
		uint64_t v = VALUE_UNLIMITED;

		if (!eq)
			return -EINVAL;
		*eq = '\0';
		if (strcmp(eq + 1, "max") != 0 && parse_uint64(eq + 1, &v) < 0)
			return -EINVAL;
		for (size_t k = 0; k < CG_IO_KINDS; k++)
			if (strcmp(tok, v2_keys[k]) == 0)
				l->v[k] = norm(v);
	}
	return 0;
}

/* io.max: "MAJ:MIN rbps=.. wbps=.. riops=.. wiops=.." per device with a limit. */
int cg_io_parse_v2(const char *buf, struct cg_io_state *st)
{
	for (const char *p = buf; *p;) {
		size_t len = strcspn(p, "\n");
		char line[256];
		int r;

		if (len >= sizeof(line))
			return -EINVAL;
		if (len > 0) {
			memcpy(line, p, len);
			line[len] = '\0';
			r = parse_v2_line(line, st);
			if (r < 0)
				return r;
		}
		p += len;
		if (*p == '\n')
			p++;
	}
	return 0;
}

static void fmt_dev(dev_t dev, char buf[static 24])
{
	snprintf(buf, 24, "%u:%u", major(dev), minor(dev));
}

static void fmt_v2(const struct cg_io_line *l, char *buf, size_t len)
{
	char d[24];
	size_t n;

	fmt_dev(l->dev, d);
	n = (size_t)snprintf(buf, len, "%s", d);
	for (size_t k = 0; k < CG_IO_KINDS && n < len; k++) {
		if (l->v[k] == VALUE_UNLIMITED)
			n += (size_t)snprintf(buf + n, len - n, " %s=max", v2_keys[k]);
		else
			n += (size_t)snprintf(buf + n, len - n, " %s=%" PRIu64, v2_keys[k],
			                      l->v[k]);
	}
}

/* v1: "MAJ:MIN 0" removes the device's rule. */
static void fmt_v1(dev_t dev, uint64_t v, char *buf, size_t len)
{
	char d[24];

	fmt_dev(dev, d);
	snprintf(buf, len, "%s %" PRIu64, d, v == VALUE_UNLIMITED ? 0 : v);
}

static int add(struct cg_plan *p, const char *file, const char *value, const char *undo)
{
	struct cg_write *w;

	if (p->n >= CG_PLAN_MAX)
		return -E2BIG;
	w = &p->w[p->n++];
	*w = (struct cg_write){.ctrl = CG_IO, .file = file, .rank = 1};
	snprintf(w->value, sizeof(w->value), "%s", value);
	snprintf(w->undo, sizeof(w->undo), "%s", undo);
	return 0;
}

static int plan_line(enum vps_cgroup_backend b, const struct cg_io_line *o,
                     const struct cg_io_line *n, struct cg_plan *ret)
{
	char v[VPS_CPUSET_MAX], u[VPS_CPUSET_MAX];
	int r = 0;

	if (memcmp(o->v, n->v, sizeof(o->v)) == 0)
		return 0;
	if (b == VPS_CGROUP_V2) {
		fmt_v2(n, v, sizeof(v));
		fmt_v2(o, u, sizeof(u));
		return add(ret, "io.max", v, u);
	}
	for (size_t k = 0; k < CG_IO_KINDS && r == 0; k++) {
		if (o->v[k] == n->v[k])
			continue;
		fmt_v1(n->dev, n->v[k], v, sizeof(v));
		fmt_v1(o->dev, o->v[k], u, sizeof(u));
		r = add(ret, v1_files[k], v, u);
	}
	return r;
}

int cg_plan_io_limits(enum vps_cgroup_backend b, const struct cg_io_state *cur,
                      const struct vps_quota *q, const dev_t *devs, size_t n_devs,
                      struct cg_plan *ret)
{
	const uint64_t want[CG_IO_KINDS] = {norm(q->io_read_bps), norm(q->io_write_bps),
	                                    norm(q->io_read_iops), norm(q->io_write_iops)};
	struct cg_io_state from = *cur, to = {0};
	int r;

	ret->n = 0;
	/* the target: q on each of devs, nothing on any other device the group has a rule for */
	for (size_t i = 0; i < n_devs; i++) {
		struct cg_io_line *l = line_of(&to, devs[i], true);

		if (!l)
			return -E2BIG;
		memcpy(l->v, want, sizeof(want));
	}
	for (size_t i = 0; i < cur->n; i++)
		if (!line_of(&to, cur->l[i].dev, true))
			return -E2BIG;
	for (size_t i = 0; i < to.n; i++) {
		const struct cg_io_line *o = line_of(&from, to.l[i].dev, true);

		if (!o)
			return -E2BIG;
		r = plan_line(b, o, &to.l[i], ret);
		if (r < 0) {
			ret->n = 0;
			return r;
		}
	}
	return 0;
}

static int read_state(const struct vps_cgroup *cg, int fd, struct cg_io_state *ret)
{
	*ret = (struct cg_io_state){0};
	for (size_t k = 0; k < CG_IO_KINDS; k++) {
		_cleanup_free_ char *s = NULL;
		int r = cg_read_string(fd, cg->backend == VPS_CGROUP_V2 ? "io.max" : v1_files[k],
		                       &s);

		if (r == 0)
			r = cg->backend == VPS_CGROUP_V2 ? cg_io_parse_v2(s, ret)
			                                 : cg_io_parse_v1(s, k, ret);
		if (r < 0)
			return r;
		if (cg->backend == VPS_CGROUP_V2)
			break;
	}
	return 0;
}

int vps_cgroup_io_limit(struct vps_cgroup *cg, const struct vps_quota *q, const dev_t *devs,
                        size_t n_devs, struct vps_error *err)
{
	_cleanup_(cg_dirs_close) struct cg_dirs d;
	struct cg_io_state cur;
	struct cg_features f;
	struct cg_plan plan;
	int r;

	r = cg_dirs_open(cg, &d);
	if (r == 0)
		r = cg_features_probe(cg, &d, &f);
	if (r < 0)
		return vps_error_errno(err, r, "cannot open the VPS cgroup");
	if (!f.io_throttle) /* the quota plan refused any limit there already */
		return 0;
	r = read_state(cg, d.fd[CG_IO], &cur);
	if (r < 0)
		return vps_error_errno(err, r, "cannot read the I/O throttle");
	r = cg_plan_io_limits(cg->backend, &cur, q, devs, n_devs, &plan);
	if (r < 0)
		return vps_error_errno(err, r, "too many devices to throttle");
	return cg_plan_execute(cg, &d, &plan, 0, false, err);
}

/* Whether the "MAJ:MIN" at the start of s is one of devs (every device when n is 0). */
static bool counted(const char *s, const dev_t *devs, size_t n)
{
	char tok[32];
	dev_t dev;

	if (n == 0)
		return true;
	snprintf(tok, sizeof(tok), "%.*s", (int)strcspn(s, " \n"), s);
	if (parse_dev(tok, &dev) < 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (devs[i] == dev)
			return true;
	return false;
}

/* v1 "MAJ:MIN Read N" / "MAJ:MIN Write N" lines (the "Total" lines skipped), summed over the
 * devices. */
int cg_io_sum_v1(const char *buf, const dev_t *devs, size_t n, uint64_t *ret_read,
                 uint64_t *ret_write)
{
	*ret_read = *ret_write = 0;
	for (const char *p = buf; *p;) {
		size_t len = strcspn(p, "\n");
		char dev[32], op[16], line[128];
		uint64_t v;

		if (len > 0 && len < sizeof(line)) {
			memcpy(line, p, len);
			line[len] = '\0';
			if (sscanf(line, "%31s %15s %" SCNu64, dev, op, &v) == 3 &&
			    strchr(dev, ':') && counted(line, devs, n)) {
				if (strcmp(op, "Read") == 0)
					*ret_read += v;
				else if (strcmp(op, "Write") == 0)
					*ret_write += v;
			}
		}
		p += len;
		if (*p == '\n')
			p++;
	}
	return 0;
}

/* io.stat: "MAJ:MIN rbytes=.. wbytes=.. rios=.. wios=.. ..." per device, summed. */
int cg_io_sum_v2(const char *buf, const dev_t *devs, size_t n, struct vps_cgroup_stats *st)
{
	const char *line = buf;

	static const struct {
		const char *key;
		size_t off;
	} keys[] = {
		{"rbytes=", offsetof(struct vps_cgroup_stats, io_read_bytes)},
		{"wbytes=", offsetof(struct vps_cgroup_stats, io_write_bytes)},
		{"rios=", offsetof(struct vps_cgroup_stats, io_read_ops)},
		{"wios=", offsetof(struct vps_cgroup_stats, io_write_ops)},
	};

	for (const char *p = buf; *p; p++) {
		if (p != buf && p[-1] == '\n')
			line = p;
		if (p != buf && p[-1] != ' ' && p[-1] != '\n')
			continue;
		if (!counted(line, devs, n))
			continue;
		for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
			size_t kl = strlen(keys[i].key);
			char *end;
			uint64_t v;

			if (strncmp(p, keys[i].key, kl) != 0)
				continue;
			v = strtoull(p + kl, &end, 10);
			if (end != p + kl)
				*(uint64_t *)((char *)st + keys[i].off) += v;
		}
	}
	return 0;
}

/* A counter file the kernel lacks reads as no I/O. */
static int io_stats(const struct vps_cgroup *cg, const struct cg_dirs *d, const dev_t *devs,
                    size_t n, struct vps_cgroup_stats *st)
{
	_cleanup_free_ char *bytes = NULL, *ops = NULL;
	int fd = d->fd[CG_IO], r;

	st->io_read_bytes = st->io_write_bytes = st->io_read_ops = st->io_write_ops = 0;
	if (fd < 0)
		return 0;
	if (cg->backend == VPS_CGROUP_V2) {
		r = cg_read_string(fd, "io.stat", &bytes);
		return r == -ENOENT ? 0 : r < 0 ? r : cg_io_sum_v2(bytes, devs, n, st);
	}
	r = cg_read_string(fd, "blkio.throttle.io_service_bytes_recursive", &bytes);
	if (r == 0)
		r = cg_read_string(fd, "blkio.throttle.io_serviced_recursive", &ops);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	(void)cg_io_sum_v1(bytes, devs, n, &st->io_read_bytes, &st->io_write_bytes);
	return cg_io_sum_v1(ops, devs, n, &st->io_read_ops, &st->io_write_ops);
}

int cg_io_stats(const struct vps_cgroup *cg, const struct cg_dirs *d, struct vps_cgroup_stats *st)
{
	return io_stats(cg, d, NULL, 0, st);
}

int vps_cgroup_io_stats(struct vps_cgroup *cg, const dev_t *devs, size_t n_devs,
                        struct vps_cgroup_stats *st)
{
	_cleanup_(cg_dirs_close) struct cg_dirs d;
	int r = cg_dirs_open(cg, &d);

	return r < 0 ? r : io_stats(cg, &d, devs, n_devs, st);
}

/* v1 weights go to the scheduler: bfq (and cfq before 5.0) read them, mq-deadline, kyber and
 * none do not. (v2's io.weight is blk-iocost's, honoured only where io.cost.qos enables it.) */
int vps_io_scheduler_weights(dev_t dev, char *sched, size_t len)
{
	_cleanup_free_ char *s = NULL;
	char path[96];
	const char *open, *close;
	int r;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/queue/scheduler", major(dev),
	         minor(dev));
	r = read_file_at(AT_FDCWD, path, 4096, &s, NULL);
	if (r < 0)
		return r;
	open = strchr(s, '[');
	close = open ? strchr(open, ']') : NULL;
	if (!open || !close)
		snprintf(sched, len, "none");
	else
		snprintf(sched, len, "%.*s", (int)(close - open - 1), open + 1);
	return strcmp(sched, "bfq") == 0 || strcmp(sched, "cfq") == 0;
}
