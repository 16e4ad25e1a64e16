/* SPDX-License-Identifier: GPL-2.0-or-later */
/* restore-policy.h: an archive's vps.conf, bounded by this node's defaults. */
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caps.h"
#include "cleanup.h"
#include "parse.h"
#include "restore-policy.h"

/* A limit where 0 means "none" read as the unlimited it is. */
static uint64_t none_is_unlimited(uint64_t v)
{
	return v == 0 ? VALUE_UNLIMITED : v;
}

/* v when it is a limit no larger than dflt's, else dflt. */
static void at_most(uint64_t *v, uint64_t dflt)
{
	if (*v > dflt)
		*v = dflt;
}

static void at_most_or_none(uint64_t *v, uint64_t dflt)
{
	if (none_is_unlimited(*v) > none_is_unlimited(dflt))
		*v = dflt;
}

static void bound_quota(struct vps_quota *q, const struct vps_quota *d)
{
	at_most(&q->cpus_milli, d->cpus_milli);
	at_most(&q->cpu_burst_milli, d->cpu_burst_milli);
	at_most(&q->cpu_weight, d->cpu_weight);
	at_most(&q->memory, d->memory);
	at_most(&q->memory_reserve, d->memory_reserve);
	at_most(&q->swap, d->swap);
	at_most(&q->pids, d->pids);
	at_most(&q->io_weight, d->io_weight);
	at_most_or_none(&q->io_read_bps, d->io_read_bps);
	at_most_or_none(&q->io_write_bps, d->io_write_bps);
	at_most_or_none(&q->io_read_iops, d->io_read_iops);
	at_most_or_none(&q->io_write_iops, d->io_write_iops);
	/* CPUSET is kept: it only narrows where the VPS runs, and is checked against the node */
}

void restore_policy_apply(struct vps_config *cfg, const struct node_config *node)
{
	uint64_t disk = cfg->disk, caps = 0;

	cfg->userns = true;
	cfg->nesting = false;
	cfg->socketcall = false;
	cfg->antispoof = true;
	/* create's default: a systemd init in a user namespace gets CAP_SYS_ADMIN */
	if (strstr(cfg->init, "systemd"))
		caps = VPS_CAP_BIT(CAP_SYS_ADMIN);
	cfg->cap_add &= caps;
	bound_quota(&cfg->quota, &node->defaults);
	at_most(&cfg->ptys, node->default_ptys);
	at_most_or_none(&cfg->disk, node->default_disk);
	if (cfg->disk != disk)
		cfg->disk_inodes = node->default_disk_inodes;
}

/* The line of text starting with key=, or NULL. */
static const char *find_line(const char *text, const char *line, size_t keylen)
{
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, line, keylen) == 0)
			return p;
	return NULL;
}

static int print_diff(const char *name, const char *a, const char *s, bool trusted)
{
	for (const char *p = a; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		size_t len = strcspn(p, "\n"), keylen = strcspn(p, "=\n");
		const char *q;

		if (p[0] == '#' || keylen >= len || strncmp(p, "UID_BASE=", 9) == 0)
			continue; /* UID_BASE: a fresh range either way */
		q = find_line(s, p, keylen + 1);
		if (q && strcspn(q, "\n") == len && strncmp(q, p, len) == 0)
			continue;
		if (trusted)
			fprintf(stderr,
			        "vpsctl: %s: --trust-archive-config: took %.*s from the archive "
			        "(this node's default: %.*s)\n",
			        name, (int)len, p, q ? (int)strcspn(q, "\n") : 4, q ? q : "none");
		else
			fprintf(stderr,
			        "vpsctl: %s: reset the archive's %.*s to %.*s (this node's "
			        "default; --trust-archive-config keeps the archive's)\n",
			        name, (int)len, p, q ? (int)strcspn(q, "\n") : 4, q ? q : "none");
	}
	return 0;
}

int restore_policy_report(const char *name, const struct vps_config *archive,
                          const struct vps_config *safe, bool trusted)
{
	_cleanup_free_ char *a = NULL, *s = NULL;
	int r = vps_config_format(archive, &a);

	if (r >= 0)
		r = vps_config_format(safe, &s);
	if (r < 0)
		return r;
	return print_diff(name, a, s, trusted);
}
