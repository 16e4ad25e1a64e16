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
#include "migrate.h"

static int open_vps_dir(const struct cli *c, const char *name)
{
	char dir[PATH_MAX];

	if (vps_path(&c->paths, name, NULL, dir, sizeof(dir)) < 0)
		return -ENAMETOOLONG;
	return open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

static void value(const char *text, const char *key, char *buf, size_t len)
{
	const char *v = strstr(text, key);
	size_t n;

	buf[0] = '\0';
	if (!v || (v != text && v[-1] != '\n'))
		return;
	v += strlen(key);
	n = strcspn(v, "\n");
	if (n < len) {
		memcpy(buf, v, n);
		buf[n] = '\0';
	}
}

static int marker_parse(const char *text, struct migrate_marker *m)
{
	value(text, "ROLE=", m->role, sizeof(m->role));
	value(text, "PHASE=", m->phase, sizeof(m->phase));
	value(text, "DEST=", m->dest, sizeof(m->dest));
	return m->role[0] ? 0 : -EBADMSG;
}

int migrate_marker_read(const struct cli *c, const char *name, struct migrate_marker *m)
{
	_cleanup_close_ int dfd = open_vps_dir(c, name);
	_cleanup_free_ char *text = NULL;
	size_t n;
	int r;

	memset(m, 0, sizeof(*m));
	if (dfd < 0)
		return dfd == -ENAMETOOLONG ? dfd : -errno;
	r = read_file_at(dfd, MIGRATE_MARKER, 4096, &text, &n);
	return r < 0 ? r : marker_parse(text, m);
}

int migrate_marker_read_at(int base_fd, const char *name, struct migrate_marker *m)
{
	_cleanup_free_ char *text = NULL;
	char path[PATH_MAX];
	int r;

	memset(m, 0, sizeof(*m));
	if (strchr(name, '/') ||
	    snprintf(path, sizeof(path), "%s/%s", name, MIGRATE_MARKER) >= (int)sizeof(path))
		return -EINVAL;
	r = read_file_at(base_fd, path, 4096, &text, NULL);
	return r < 0 ? r : marker_parse(text, m);
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
	struct migrate_marker m;

	if (migrate_marker_read(c, name, &m) == -ENOENT)
		return 0;
	if (strcmp(m.role, "target") == 0)
		return cli_fail(
			name,
			"is migrating here from another node; 'vpsctl migrate --recover %s' "
			"finishes or removes it",
			name);
	return cli_fail(name,
	                "is migrating to %s (phase %s); 'vpsctl migrate --recover %s' finishes or "
	                "rolls it back",
	                m.dest[0] ? m.dest : "?", m.phase[0] ? m.phase : "?", name);
}
