/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addresses.h"
#include "cleanup.h"
#include "disk.h"
#include "fileio.h"
#include "lifecycle.h"
#include "lock.h"
#include "network.h"
#include "ports.h"
#include "rootfs-access.h"
#include "state.h"
#include "vps-run.h"

/* NAME's directory with vps.conf last: a destroy killed on the way leaves a VPS that still
 * loads, which the next destroy removes (without vps.conf it would be "no such VPS" and its
 * files, claims and lock nobody's). */
static int remove_vps_dir(int base, const char *name)
{
	_cleanup_close_ int dfd =
		openat(base, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	int r;

	if (dfd < 0)
		return errno == ENOENT ? 0 : -errno;
	d = opendir_dup(dfd);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
		    strcmp(de->d_name, "vps.conf") == 0)
			continue;
		r = rm_rf_at(dfd, de->d_name);
		if (r < 0 && r != -ENOENT)
			return r;
	}
	if (unlinkat(dfd, "vps.conf", 0) < 0 && errno != ENOENT)
		return -errno;
	return rm_rf_at(base, name);
}

/* What a destroy removes besides the directory: the files a reinstall cut short left, the
 * runtime directory and the lock file. */
static int remove_rest(const struct ops_ctx *c, int base, const char *name)
{
	char leftover[64], run[PATH_MAX];
	int r;

	vps_reinstall_leftover(name, leftover, sizeof(leftover));
	r = rm_rf_at(base, leftover);
	if (r < 0 && r != -ENOENT)
		return r;
	if (vps_run_path(c->paths, name, NULL, run, sizeof(run)) == 0)
		(void)rm_rf_at(AT_FDCWD, run);
	vps_lock_unlink(c->paths, name);
	return 0;
}

/* No such VPS, but what a create, clone or restore of NAME that was killed left (.NAME.new,
 * which the next of them would remove too): 0 when there was some and it is gone. */
static int remove_cut_short(const struct ops_ctx *c, const char *name, const char **ret_said,
                            struct vps_error *err)
{
	_cleanup_close_ int base = open(c->paths->vps_base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_close_ int lock = -EBADF;
	char leftover[64];
	int r;

	snprintf(leftover, sizeof(leftover), ".%s.new", name);
	if (base < 0 || faccessat(base, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0 ||
	    faccessat(base, leftover, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
		return -ENOENT;
	/* the lock of the command that made it: one still at work is not disturbed */
	lock = ops_lock(c, name, true, err);
	if (lock < 0)
		return lock;
	r = rm_rf_at(base, leftover);
	if (r < 0)
		return vps_error_errno(err, r,
		                       "failed to remove what a cut-short create, clone or restore "
		                       "left");
	*ret_said = "removed what a cut-short create, clone or restore left";
	vps_lock_unlink(c->paths, name);
	return 0;
}

/* A directory without vps.conf, held under its lock, is what a create or a destroy killed on
 * the way left (create writes vps.conf last, destroy removes it last but one). Nothing can
 * load it, create refuses its name: remove it, or the name stays wedged. Claims of addresses
 * and ports need no release: one whose owner does not hold it is taken over. */
static int remove_remains(const struct ops_ctx *c, const char *name, const char **ret_said,
                          struct vps_error *err)
{
	_cleanup_close_ int base = open(c->paths->vps_base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct vps_state st;
	struct stat sb;
	int r;

	if (base < 0 || fstatat(base, name, &sb, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(sb.st_mode))
		return vps_error_set(err, -ENOENT, "no such VPS");
	/* vps.conf removed by hand under a VPS that runs: its files are in use */
	if (vps_run_state_get(c->paths, name, &st) != VPS_STOPPED)
		return vps_error_set(err, -EBUSY,
		                     "has no vps.conf but is not stopped; not removing its files");
	r = remove_vps_dir(base, name);
	if (r == 0)
		r = remove_rest(c, base, name);
	if (r < 0)
		return vps_error_errno(
			err, r, "failed to remove the remains of a cut-short create or destroy");
	*ret_said = "removed the remains of a create or destroy that was cut short";
	return 0;
}

static int destroy_locked(const struct ops_ctx *c, const char *name, bool force,
                          const char **ret_said, struct vps_error *err)
{
	_cleanup_close_ int base = -EBADF;
	struct vps_error why = VPS_ERROR_INIT;
	struct vps_config cfg;
	struct vps_state st;
	enum vps_run_state rs;
	char dir[PATH_MAX];
	int r;

	r = vps_config_load(c->paths, name, c->node, &cfg, &why);
	if (r == -ENOENT)
		return remove_remains(c, name, ret_said, err);
	/* A file of a newer vpsctl may hold what this one does not know to undo. */
	if (r == -EPROTONOSUPPORT || (r < 0 && !force))
		return vps_error_set(err, r, "%s%s", why.msg,
		                     r == -EPROTONOSUPPORT ? "" : " (--force destroys it anyway)");
	if (r < 0)
		vps_config_init(&cfg, name, c->node);
	rs = vps_run_state_get(c->paths, cfg.name, &st);
	if (rs == VPS_UNKNOWN && (!force || st.error == -EPROTONOSUPPORT))
		return vps_error_set(err, -EBADMSG, "state unreadable: %s; %s", st.error_text,
		                     st.error == -EPROTONOSUPPORT ? "not destroying it"
		                                                  : "stop it first or use --force");
	if (rs != VPS_STOPPED) {
		if (!force)
			return vps_error_set(err, -EBUSY,
			                     "is running; stop it first or use --force");
		r = vps_stop(c->paths, &cfg, c->node, 0, true, err);
		if (r < 0)
			return r;
	}
	r = vps_cleanup_stale(c->paths, cfg.name, c->node);
	if (r < 0)
		return vps_error_errno(err, r, "failed to remove its cgroup");
	if (vps_path(c->paths, cfg.name, NULL, dir, sizeof(dir)) == 0)
		vps_disk_forget(dir, &cfg); /* its project id may be another directory's next */
	base = open(c->paths->vps_base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	r = base < 0 ? -errno : remove_vps_dir(base, cfg.name);
	if (r == 0) {
		vps_addresses_release(c->paths, cfg.name, &cfg.ip_address);
		vps_ports_release(c->paths, cfg.name, &cfg.forwards);
		r = remove_rest(c, base, cfg.name);
	}
	if (r < 0)
		return vps_error_errno(err, r, "failed to remove its files");
	return 0;
}

int ops_destroy(const struct ops_ctx *c, const char *name, bool force, const char **ret_said,
                struct vps_error *err)
{
	_cleanup_close_ int lock = -EBADF;
	int r;

	*ret_said = NULL;
	r = remove_cut_short(c, name, ret_said, err);
	if (r != -ENOENT)
		return r;
	lock = ops_lock(c, name, false, err);
	return lock < 0 ? lock : destroy_locked(c, name, force, ret_said, err);
}
