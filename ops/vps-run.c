/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileio.h"
#include "lifecycle.h"
#include "lock.h"
#include "marker.h"
#include "parse.h"
#include "state.h"
#include "storage.h"
#include "validate.h"
#include "vps-run.h"

_printf_(3, 4) static void note(const struct ops_ctx *c, const char *name, const char *fmt, ...)
{
	char text[VPS_ERROR_MSG_MAX];
	va_list ap;

	if (!c->note)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	c->note(name, text);
}

int ops_lock(const struct ops_ctx *c, const char *name, bool create, struct vps_error *err)
{
	char path[PATH_MAX];
	int fd;

	/* Only create locks a name that does not exist yet: no lock file for a typo. */
	if (!create &&
	    (vps_path(c->paths, name, NULL, path, sizeof(path)) < 0 || access(path, F_OK) < 0))
		return vps_error_set(err, -ENOENT, "no such VPS");
	fd = vps_lock(c->paths, name, (unsigned)c->node->lock_timeout);
	if (fd == -EWOULDBLOCK)
		return vps_error_set(err, fd,
		                     "another vpsctl command is working on this VPS; try again "
		                     "later");
	if (fd < 0)
		return vps_error_errno(err, fd, "failed to take the lock");
	return fd;
}

int ops_quota_host_check(const struct vps_quota *q, const char *what, struct vps_error *err)
{
	_cleanup_free_ char *online = NULL;
	unsigned cpu;
	int r;

	if (!q->cpuset[0])
		return 0;
	r = read_file_at(AT_FDCWD, "/sys/devices/system/cpu/online", 4096, &online, NULL);
	if (r < 0)
		return vps_error_errno(err, r, "cannot read the host's online CPUs");
	online[strcspn(online, "\n")] = '\0';
	r = cpuset_first_outside(q->cpuset, online, &cpu);
	if (r > 0)
		vps_error_set(err, -EINVAL,
		              "%s '%.64s' names CPU %u, which this host does not have "
		              "(online: %.64s)",
		              what, q->cpuset, cpu, online);
	else if (r < 0)
		vps_error_set(err, r,
		              "%s '%.64s' or the host's online CPUs '%.64s' is not a CPU "
		              "list",
		              what, q->cpuset, online);
	return r > 0 ? -EINVAL : r;
}

/* stopped, or why it may not start */
static int check_stopped(const struct ops_ctx *c, const char *name, struct vps_error *err)
{
	struct vps_state st;

	switch (vps_run_state_get(c->paths, name, &st)) {
	case VPS_STOPPED:
		return 0;
	case VPS_UNKNOWN:
		return vps_error_set(err, -EBADMSG,
		                     "state unreadable: %s; 'vpsctl stop %s' stops what runs of it",
		                     st.error_text, name);
	default:
		return vps_error_set(err, -EBUSY, "is already running");
	}
}

int ops_start_locked(const struct ops_ctx *c, const struct vps_config *cfg, enum ops_start_how how,
                     int *lock, struct vps_error *err)
{
	struct vps_error why = VPS_ERROR_INIT;
	char text[256];
	int r;

	r = ops_check_not_migrating(c->paths, cfg->name, err);
	if (r == 0)
		r = check_stopped(c, cfg->name, err);
	if (r == 0)
		r = vps_boot_check(c->paths, cfg, c->node, err);
	if (r < 0)
		return r;
	/* the host may have lost CPUs since the cpuset was checked */
	if (ops_quota_host_check(&cfg->quota, "vps.conf CPUSET", &why) < 0)
		return vps_error_set(err, why.code,
		                     "%s; choose others with 'vpsctl resize %s --cpuset LIST'",
		                     why.msg, cfg->name);
	r = vps_cleanup_stale(c->paths, cfg->name, c->node);
	if (r < 0)
		return vps_error_errno(err, r, "failed to clean up after its last run");
	r = vps_storage_repair(c->paths, cfg, c->tree_unpack, text, sizeof(text), err);
	if (r < 0)
		return r;
	if (text[0])
		note(c, cfg->name, "%s", text);
	switch (how) {
	case OPS_START_SPAWN:
		return vps_start_spawn(c->paths, cfg, c->node, err);
	case OPS_START_FOREGROUND:
		return vps_start(c->paths, cfg, c->node, true, lock, err);
	default:
		return vps_start(c->paths, cfg, c->node, false, lock, err);
	}
}

int ops_start(const struct ops_ctx *c, const char *name, enum ops_start_how how,
              struct vps_error *err)
{
	_cleanup_close_ int lock = ops_lock(c, name, false, err);
	struct vps_config cfg;
	int r;

	if (lock < 0)
		return lock;
	r = vps_config_load(c->paths, name, c->node, &cfg, err);
	if (r == 0)
		r = ops_start_locked(c, &cfg, how, &lock, err);
	if (r == -EAGAIN && !vps_error_is_set(err))
		vps_error_set(err, r,
		              "its template's shared tree is missing and this program cannot "
		              "unpack it; 'vpsctl start %s' does",
		              name);
	return r;
}

int ops_stop_locked(const struct ops_ctx *c, const struct vps_config *cfg, unsigned timeout,
                    bool force, struct vps_error *err)
{
	struct vps_state st;
	int r;

	/* a frozen source stopped, or a restored target, would leave it on neither node */
	r = ops_check_not_migrating(c->paths, cfg->name, err);
	if (r < 0)
		return r;
	if (vps_run_state_get(c->paths, cfg->name, &st) == VPS_UNKNOWN &&
	    st.error != -EPROTONOSUPPORT)
		note(c, cfg->name,
		     "state unreadable: %s; stopping it from its processes and cgroup",
		     st.error_text);
	return vps_stop(c->paths, cfg, c->node, timeout, force, err);
}

int ops_load_for_stop(const struct ops_ctx *c, const char *name, struct vps_config *ret,
                      struct vps_error *err)
{
	struct vps_error why = VPS_ERROR_INIT;
	int r = vps_config_load(c->paths, name, c->node, ret, &why);

	if (r == 0)
		return 0;
	if (r == -ENOENT || r == -EPROTONOSUPPORT)
		return vps_error_set(err, r, "%s", vps_error_message(&why, r));
	note(c, name, "%s; stopping it from its runtime state", why.msg);
	vps_config_init(ret, name, c->node);
	ret->poweroff_signal = 0;
	return 0;
}

static unsigned stop_timeout(const struct ops_ctx *c, int timeout)
{
	return timeout >= 0 ? (unsigned)timeout : (unsigned)c->node->stop_timeout;
}

int ops_stop(const struct ops_ctx *c, const char *name, int timeout, bool force,
             struct vps_error *err)
{
	_cleanup_close_ int lock = -EBADF;
	struct vps_config cfg;
	int r;

	/* a migrating VPS is refused at once: criu, dumping it for a migrate, holds its lock
	 * longer than LOCK_TIMEOUT may be (checked again under the lock) */
	r = ops_check_not_migrating(c->paths, name, err);
	if (r < 0)
		return r;
	lock = ops_lock(c, name, false, err);
	if (lock < 0)
		return lock;
	r = ops_load_for_stop(c, name, &cfg, err);
	return r < 0 ? r : ops_stop_locked(c, &cfg, stop_timeout(c, timeout), force, err);
}

int ops_restart(const struct ops_ctx *c, const char *name, int timeout, bool force,
                enum ops_start_how how, struct vps_error *err)
{
	_cleanup_close_ int lock = ops_lock(c, name, false, err);
	struct vps_config cfg;
	struct vps_state st;
	int r;

	if (lock < 0)
		return lock;
	r = vps_config_load(c->paths, name, c->node, &cfg, err);
	if (r == 0 && vps_run_state_get(c->paths, cfg.name, &st) != VPS_STOPPED)
		r = ops_stop_locked(c, &cfg, stop_timeout(c, timeout), force, err);
	return r < 0 ? r : ops_start_locked(c, &cfg, how, &lock, err);
}
