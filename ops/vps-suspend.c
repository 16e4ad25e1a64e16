/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * suspend / resume: every process of a running VPS frozen by the host (the VPS's cgroup
 * freezer: v1 freezer.state, v2 cgroup.freeze) and thawed again. The VPS cannot thaw itself:
 * the v1 freezer is not in its view at all, and its own cgroup.freeze is read-only to it
 * (cgroup-mount.h). What suspended it is recorded for this run only (frozen.h).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "cgroup.h"
#include "cleanup.h"
#include "frozen.h"
#include "state.h"
#include "suspend.h"
#include "vps-run.h"

static uint64_t now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static const char *parent_of(const struct ops_ctx *c, const struct vps_state *st)
{
	return st->cgroup_parent[0] ? st->cgroup_parent : c->node->cgroup_parent;
}

/* The running VPS's state and its cgroup, or why not. */
static int open_running(const struct ops_ctx *c, const char *name, struct vps_state *st,
                        struct vps_cgroup **ret, struct vps_error *err)
{
	enum vps_run_state rs = vps_run_state_get(c->paths, name, st);

	if (rs == VPS_UNKNOWN)
		return vps_error_set(err, -EBADMSG, "state unreadable: %s", st->error_text);
	if (rs == VPS_STOPPED)
		return vps_error_set(err, -ESRCH, "not running");
	if (rs != VPS_RUNNING)
		return vps_error_set(err, -EBUSY, "is %s; try again later",
		                     vps_run_state_to_string(rs));
	if (st->init_pid == 0)
		return vps_error_set(
			err, -ESRCH,
			"its init is gone (the VPS runs unsupervised); stop it instead");
	if (vps_cgroup_new(parent_of(c, st), name, ret) < 0)
		return vps_error_set(err, -EIO, "failed to open its cgroup");
	return 0;
}

static int freeze_failed(int r, unsigned timeout_s, struct vps_error *err)
{
	if (r == -EOPNOTSUPP)
		return vps_error_set(err, r,
		                     "this host has no cgroup freezer (no v1 freezer hierarchy is "
		                     "mounted, or no cgroup.freeze); not suspended");
	if (r == -ETIMEDOUT)
		return vps_error_set(
			err, r,
			"not every process stopped within %u s (one in uninterruptible "
			"sleep?); thawed again, not suspended",
			timeout_s);
	return vps_error_set(err, r, "failed to freeze: %s; not suspended", strerror(-r));
}

static int suspend_locked(const struct ops_ctx *c, const char *name, unsigned timeout_s,
                          struct ops_suspend_result *ret, struct vps_error *err)
{
	_cleanup_vps_cgroup_ struct vps_cgroup *cg = NULL;
	struct vps_state st;
	bool frozen = false;
	uint64_t t0;
	int r = open_running(c, name, &st, &cg, err);

	if (r < 0)
		return r;
	(void)vps_frozen(parent_of(c, &st), name, &frozen);
	if (frozen)
		return vps_error_set(err, -EBUSY, "%s",
		                     vps_suspended(c->paths, name, st.init_start, NULL)
		                             ? "is already suspended"
		                             : "is frozen already, not by 'vpsctl suspend'; not "
		                               "touching it");
	t0 = now_ms();
	r = vps_cgroup_freeze(cg, timeout_s * 1000);
	if (r < 0)
		return freeze_failed(r, timeout_s, err);
	ret->freeze_ms = now_ms() - t0;
	/* An init that exited before the freeze took is a reboot or a stop under way: its
	 * supervisor would start the next init into a frozen group. */
	if (!vps_process_alive(st.init_pid, st.init_start)) {
		(void)vps_cgroup_thaw(cg);
		return vps_error_set(err, -ESRCH,
		                     "its init exited meanwhile (rebooting or stopping); thawed "
		                     "again, not suspended");
	}
	r = vps_suspend_record(c->paths, name, st.init_start);
	if (r < 0) {
		(void)vps_cgroup_thaw(cg);
		return vps_error_set(err, r, "failed to record the suspend: %s; thawed again",
		                     strerror(-r));
	}
	(void)vps_cgroup_count_procs(cg, &ret->processes);
	return 0;
}

static int resume_locked(const struct ops_ctx *c, const char *name, struct ops_suspend_result *ret,
                         struct vps_error *err)
{
	_cleanup_vps_cgroup_ struct vps_cgroup *cg = NULL;
	struct vps_state st;
	uint64_t since = 0, now;
	bool frozen = false;
	int r = open_running(c, name, &st, &cg, err);

	if (r < 0)
		return r;
	if (!vps_suspended(c->paths, name, st.init_start, &since)) {
		(void)vps_frozen(parent_of(c, &st), name, &frozen);
		return vps_error_set(err, -EBUSY, "%s",
		                     frozen ? "is frozen, but not by 'vpsctl suspend'; not thawing "
		                              "it ('vpsctl stop' still stops it)"
		                            : "is not suspended");
	}
	r = vps_cgroup_thaw(cg);
	if (r < 0)
		return vps_error_set(err, r, "failed to thaw: %s; still suspended", strerror(-r));
	(void)vps_suspend_forget(c->paths, name);
	now = (uint64_t)time(NULL);
	ret->suspended_seconds = now > since ? now - since : 0;
	return 0;
}

int ops_suspend(const struct ops_ctx *c, const char *name, unsigned timeout_s,
                struct ops_suspend_result *ret, struct vps_error *err)
{
	/* the same lock as start and stop: a freeze never meets a half-done start or stop, and
	 * a reboot (the supervisor takes it too) never starts its next init into a frozen group */
	_cleanup_close_ int lock = ops_lock(c, name, false, err);

	*ret = (struct ops_suspend_result){0};
	return lock < 0 ? lock : suspend_locked(c, name, timeout_s, ret, err);
}

int ops_resume(const struct ops_ctx *c, const char *name, struct ops_suspend_result *ret,
               struct vps_error *err)
{
	_cleanup_close_ int lock = ops_lock(c, name, false, err);

	*ret = (struct ops_suspend_result){0};
	return lock < 0 ? lock : resume_locked(c, name, ret, err);
}
