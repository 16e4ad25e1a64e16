/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileio.h"
#include "parse.h"
#include "suspend.h"

#define SUSPEND_FILE "suspended"

static int run_dir_open(const struct vps_paths *p, const char *name)
{
	char path[PATH_MAX];
	int r = vps_run_path(p, name, NULL, path, sizeof(path)), fd;

	if (r < 0)
		return r;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return fd;
}

int vps_suspend_record(const struct vps_paths *p, const char *name, uint64_t init_start)
{
	_cleanup_close_ int dfd = run_dir_open(p, name);
	char line[64];

	if (dfd < 0)
		return dfd;
	snprintf(line, sizeof(line), "%" PRIu64 " %" PRIu64 "\n", init_start, (uint64_t)time(NULL));
	return write_file_atomic_at(dfd, SUSPEND_FILE, line, strlen(line), 0644);
}

int vps_suspend_forget(const struct vps_paths *p, const char *name)
{
	_cleanup_close_ int dfd = run_dir_open(p, name);

	if (dfd == -ENOENT)
		return 0;
	if (dfd < 0)
		return dfd;
	return unlinkat(dfd, SUSPEND_FILE, 0) < 0 && errno != ENOENT ? -errno : 0;
}

bool vps_suspended(const struct vps_paths *p, const char *name, uint64_t init_start,
                   uint64_t *ret_since)
{
	_cleanup_close_ int dfd = run_dir_open(p, name);
	_cleanup_free_ char *text = NULL;
	uint64_t start, since;
	char *sp;

	if (dfd < 0 || init_start == 0 || read_file_at(dfd, SUSPEND_FILE, 64, &text, NULL) < 0)
		return false;
	text[strcspn(text, "\n")] = '\0';
	sp = strchr(text, ' ');
	if (!sp)
		return false;
	*sp = '\0';
	if (parse_uint64(text, &start) < 0 || parse_uint64(sp + 1, &since) < 0 ||
	    start != init_start)
		return false;
	if (ret_since)
		*ret_since = since;
	return true;
}

int vps_frozen_reason(const struct vps_paths *p, const char *name, uint64_t init_start, int code,
                      struct vps_error *err)
{
	if (vps_suspended(p, name, init_start, NULL))
		return vps_error_set(err, code, "VPS is suspended ('vpsctl resume %s' first)",
		                     name);
	return vps_error_set(err, code, "VPS is frozen");
}
