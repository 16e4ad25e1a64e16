/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The marker of a migration in the VPS's directory (migrate.h): written before each phase,
 * so that what a killed migrate left is decided by its phase alone. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileio.h"
#include "marker.h"
#include "migrate.h"

static int open_vps_dir(const struct cli *c, const char *name)
{
	char dir[PATH_MAX];

	if (vps_path(&c->paths, name, NULL, dir, sizeof(dir)) < 0)
		return -ENAMETOOLONG;
	return open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

int migrate_marker_read(const struct cli *c, const char *name, struct migrate_marker *m)
{
	return ops_marker_read(&c->paths, name, m);
}

int migrate_marker_write(const struct cli *c, const char *name, const struct migrate_marker *m)
{
	_cleanup_close_ int dfd = open_vps_dir(c, name);
	char text[800];
	int n;

	if (dfd < 0)
		return dfd == -ENAMETOOLONG ? dfd : -errno;
	n = snprintf(text, sizeof(text), "ROLE=%s\nPHASE=%s\nDEST=%s\n", m->role, m->phase,
	             m->dest);
	return write_file_atomic_at(dfd, MIGRATE_MARKER, text, (size_t)n, 0600);
}

int migrate_marker_remove(const struct cli *c, const char *name)
{
	_cleanup_close_ int dfd = open_vps_dir(c, name);

	if (dfd < 0)
		return dfd == -ENAMETOOLONG ? dfd : -errno;
	if (unlinkat(dfd, MIGRATE_MARKER, 0) < 0 && errno != ENOENT)
		return -errno;
	(void)fsync(dfd);
	return 0;
}

int cli_check_not_migrating(const struct cli *c, const char *name)
{
	struct vps_error err = VPS_ERROR_INIT;

	if (ops_check_not_migrating(&c->paths, name, &err) == 0)
		return 0;
	return cli_fail_error(name, &err, 0);
}
