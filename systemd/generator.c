/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vpsctl-generator: a systemd generator (systemd.generator(7)) that makes every VPS with
 * ONBOOT="yes" start at boot, in order. At every boot and `systemctl daemon-reload` it reads
 * each /var/lib/vpsctl/vps/NAME/vps.conf with vpsctl's own config parser and writes, into the
 * generator's normal output directory:
 *
 *   vpsctl.target.wants/vpsctl@NAME.service -> UNIT_DIR/vpsctl@.service
 *   vpsctl@NAME.service.d/50-vpsctl-boot-order.conf   After=vpsctl@PREVIOUS.service
 *   multi-user.target.wants/vpsctl.target    (when at least one VPS starts at boot)
 *
 * The order is BOOT_ORDER (lower first), then the name; BOOT_PARALLEL (vpsctl.conf) start at once.
 * VPSCTL_ROOT (as for vpsctl) moves every path it reads under another root, for tests.
 *
 * A generator runs before most file systems are mounted: with /var on its own file system it
 * sees no VPS and writes nothing (vpsctl@.service's [Install] is the fallback there). It must
 * never fail the boot, so a broken vps.conf is reported on stderr and skipped.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "config.h"
#include "fileio.h"
#include "parse.h"
#include "onboot.h"
#include "paths.h"

#ifndef VPSCTL_UNIT_DIR
#define VPSCTL_UNIT_DIR "/lib/systemd/system"
#endif

static void skipped(const char *name, const char *why)
{
	fprintf(stderr, "vpsctl-generator: %s: %s; not started at boot\n", name, why);
}

static void warn(const char *name, const char *what, int err)
{
	fprintf(stderr, "vpsctl-generator: %s%s%s%s%s\n", name ? name : "", name ? ": " : "", what,
	        err ? ": " : "", err ? strerror(err) : "");
}

static int open_subdir(int dirfd, const char *name)
{
	int fd;

	if (mkdirat(dirfd, name, 0755) < 0 && errno != EEXIST)
		return -errno;
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	return fd;
}

/* dirfd/sub/link -> target; an existing link (a second run into the same dir) is fine. */
static int add_link(int dirfd, const char *sub, const char *link, const char *target)
{
	_cleanup_close_ int d = open_subdir(dirfd, sub);

	if (d < 0)
		return d;
	if (symlinkat(target, d, link) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int add_wants(int out, const char *name)
{
	char link[64];

	snprintf(link, sizeof(link), "vpsctl@%s.service", name);
	return add_link(out, "vpsctl.target.wants", link, VPSCTL_UNIT_DIR "/vpsctl@.service");
}

static int add_order(int out, const char *name, const char *prev)
{
	_cleanup_close_ int d = -EBADF;
	char sub[64], text[128];

	snprintf(sub, sizeof(sub), "vpsctl@%s.service.d", name);
	d = open_subdir(out, sub);
	if (d < 0)
		return d;
	snprintf(text, sizeof(text),
	         "# Written by vpsctl-generator: VPSes start in boot order, BOOT_PARALLEL at a "
	         "time.\n"
	         "[Unit]\nAfter=vpsctl@%s.service\n",
	         prev);
	return write_file_atomic_at(d, "50-vpsctl-boot-order.conf", text, strlen(text), 0644);
}

/* Each VPS starts after the one BOOT_PARALLEL places before it: at most that many start at
 * once, in boot order (OpenVZ's VE_PARALLEL). */
static int generate(int out, const struct vps_onboot *v, size_t n, uint64_t parallel)
{
	int r;

	for (size_t i = 0; i < n; i++) {
		long after = vps_onboot_after(i, parallel);

		r = add_wants(out, v[i].name);
		if (r == 0 && after >= 0)
			r = add_order(out, v[i].name, v[after].name);
		if (r < 0) {
			warn(v[i].name, "cannot write its units", -r);
			return r;
		}
	}
	if (n == 0)
		return 0;
	r = add_link(out, "multi-user.target.wants", "vpsctl.target",
	             VPSCTL_UNIT_DIR "/vpsctl.target");
	if (r < 0)
		warn(NULL, "cannot add vpsctl.target to multi-user.target", -r);
	return r;
}

static void load_node(const struct vps_paths *p, struct node_config *node)
{
	struct vps_error err = VPS_ERROR_INIT;
	int r = node_config_load(p, node, &err);

	/* The VPS keys this generator reads do not depend on the node's defaults: a broken
	 * vpsctl.conf must not keep every VPS down at boot. */
	if (r < 0) {
		fprintf(stderr, "vpsctl-generator: %s: %s; using the defaults\n", p->node_conf,
		        err.msg);
		node_config_init(node);
	}
}

int main(int argc, char **argv)
{
	_cleanup_free_ struct vps_onboot *v = NULL;
	_cleanup_close_ int out = -EBADF;
	struct node_config node;
	struct vps_paths p;
	size_t n = 0;
	int r;

	/* systemd passes normal, early and late dirs; one dir is enough for a test run. */
	if (argc != 2 && argc != 4) {
		fprintf(stderr, "Usage: vpsctl-generator NORMAL-DIR [EARLY-DIR LATE-DIR]\n");
		return 2;
	}
	r = vps_paths_init(getenv("VPSCTL_ROOT"), &p);
	if (r < 0)
		return warn(NULL, "invalid VPSCTL_ROOT", -r), 1;
	out = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (out < 0)
		return warn(argv[1], "cannot open the output directory", errno), 1;
	load_node(&p, &node);
	r = vps_onboot_list(&p, &node, skipped, &v, &n);
	if (r < 0)
		warn(p.vps_base, "cannot read the VPS list", -r);
	return generate(out, v, n, node.boot_parallel) < 0 || r < 0;
}
