/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileio.h"
#include "marker.h"

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

int ops_marker_read(const struct vps_paths *p, const char *name, struct migrate_marker *m)
{
	_cleanup_free_ char *text = NULL;
	char path[PATH_MAX];
	int r;

	memset(m, 0, sizeof(*m));
	if (vps_path(p, name, MIGRATE_MARKER, path, sizeof(path)) < 0)
		return -ENAMETOOLONG;
	r = read_file_at(AT_FDCWD, path, 4096, &text, NULL);
	return r < 0 ? r : marker_parse(text, m);
}

int ops_marker_read_at(int base_fd, const char *name, struct migrate_marker *m)
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

int ops_check_not_migrating(const struct vps_paths *p, const char *name, struct vps_error *err)
{
	struct migrate_marker m;

	if (ops_marker_read(p, name, &m) == -ENOENT)
		return 0;
	if (strcmp(m.role, "target") == 0)
		return vps_error_set(err, -EBUSY,
		                     "is migrating here from another node; 'vpsctl migrate "
		                     "--recover %s' finishes or removes it",
		                     name);
	return vps_error_set(err, -EBUSY,
	                     "is migrating to %s (phase %s); 'vpsctl migrate --recover %s' "
	                     "finishes or rolls it back",
	                     m.dest[0] ? m.dest : "?", m.phase[0] ? m.phase : "?", name);
}
