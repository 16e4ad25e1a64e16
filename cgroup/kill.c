/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Killing everything in a group: v2's cgroup.kill where the kernel has it; otherwise freeze
 * (so nothing forks while we read the list), SIGKILL each process, thaw (frozen tasks die
 * only once thawed), then wait for the group to be empty.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cg-internal.h"
#include "log.h"

/* The group's directory in the primary hierarchy into *ret_fd; -EBADF and 0 when the group
 * does not exist, which for every caller here means nothing to count, thaw or kill. */
static int open_primary(const struct vps_cgroup *cg, int *ret_fd)
{
	const struct cg_hier *h = cg_hier_of(cg, cg_primary_ctrl(cg));
	int fd = h ? cg_group_open(cg, h, O_RDONLY | O_DIRECTORY) : -ENOMEDIUM;

	*ret_fd = -EBADF;
	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return fd;
	*ret_fd = fd;
	return 0;
}

int vps_cgroup_count_procs(struct vps_cgroup *cg, size_t *ret)
{
	_cleanup_close_ int fd = -EBADF;
	_cleanup_free_ pid_t *pids = NULL;
	int r;

	*ret = 0;
	r = open_primary(cg, &fd);
	if (r < 0 || fd < 0)
		return r;
	r = cg_read_procs(fd, &pids, ret);
	return r == -ENOENT || r == -ENODEV ? 0 : r;
}

static bool pid_listed(const pid_t *pids, size_t n, pid_t pid)
{
	for (size_t i = 0; i < n; i++)
		if (pids[i] == pid)
			return true;
	return false;
}

/* A pid read from cgroup.procs may be reused by a stranger before we signal it. A pidfd
 * pins the process; if its pid is still listed after the pidfd was opened, the pidfd names
 * a process of this group (or one that died meanwhile, which the signal then misses). */
int cg_signal_verified(int fd, const pid_t *pids, size_t n, int sig)
{
	_cleanup_free_ pid_t *again = NULL;
	_cleanup_free_ int *pidfds = NULL;
	size_t m = 0;
	int r;

	pidfds = calloc(n ? n : 1, sizeof(int));
	if (!pidfds)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		pidfds[i] = (int)syscall(SYS_pidfd_open, pids[i], 0);
	r = cg_read_procs(fd, &again, &m);
	for (size_t i = 0; i < n; i++) {
		if (pidfds[i] < 0)
			continue;
		if (r == 0 && pid_listed(again, m, pids[i]) &&
		    syscall(SYS_pidfd_send_signal, pidfds[i], sig, NULL, 0) < 0 && errno != ESRCH)
			log_debug("cgroup: cannot signal %d: %m", (int)pids[i]);
		close(pidfds[i]);
	}
	return r;
}

static int signal_group(int fd)
{
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0;
	int r;

	r = cg_read_procs(fd, &pids, &n);
	if (r < 0 || n == 0)
		return r;
	return cg_signal_verified(fd, pids, n, SIGKILL);
}

static bool is_frozen(const struct vps_cgroup *cg, int fd)
{
	_cleanup_free_ char *s = NULL;
	uint64_t v = 0;

	if (cg->backend == VPS_CGROUP_V2)
		return cg_read_keyed(fd, "cgroup.events", "frozen", &v) == 0 && v == 1;
	return cg_read_string(fd, "freezer.state", &s) == 0 && strcmp(s, "FROZEN") == 0;
}

/* fd is the primary directory: the freezer hierarchy on v1 when it is mounted. */
static int set_frozen(const struct vps_cgroup *cg, int fd, bool on, uint64_t deadline)
{
	bool v2 = cg->backend == VPS_CGROUP_V2;
	const char *file = v2 ? "cgroup.freeze" : "freezer.state";
	int r;

	if (!cg_has_file(fd, file))
		return -EOPNOTSUPP;
	r = cg_write(fd, file, on ? (v2 ? "1" : "FROZEN") : (v2 ? "0" : "THAWED"));
	if (r < 0 || !on)
		return r;
	/* a task in uninterruptible sleep can hold off freezing; don't wait past the deadline */
	while (!is_frozen(cg, fd)) {
		if (cg_now_ms() >= deadline)
			return -ETIMEDOUT;
		cg_sleep_ms(5);
	}
	return 0;
}

/* Thaws the group (frozen tasks take their SIGKILL only once thawed); none where there is no
 * freezer. */
static int thaw(const struct vps_cgroup *cg, int fd)
{
	int r = set_frozen(cg, fd, false, 0);

	return r == -EOPNOTSUPP ? 0 : r;
}

static int kill_once(const struct vps_cgroup *cg, int fd, uint64_t deadline)
{
	int r, frozen;

	if (cg_has_file(fd, "cgroup.kill"))
		return cg_write(fd, "cgroup.kill", "1");
	frozen = set_frozen(cg, fd, true, deadline);
	if (frozen < 0 && frozen != -EOPNOTSUPP)
		log_debug_errno(frozen, "cgroup: freezing failed, killing unfrozen: %m");
	r = signal_group(fd);
	if (frozen != -EOPNOTSUPP)
		(void)thaw(cg, fd);
	return r;
}

/* One file of the group in the primary hierarchy, opened by NAME/FILE relative to the parent
 * (cg_group_at): no directory opened first, as a list reads every VPS's. */
static int read_primary(const struct vps_cgroup *cg, const char *file, char *buf, size_t size)
{
	const struct cg_hier *h = cg_hier_of(cg, cg_primary_ctrl(cg));
	char path[PATH_MAX];
	int dfd, r;

	if (!h)
		return -ENOMEDIUM;
	r = cg_group_at(cg, h, file, path, sizeof(path), &dfd);
	return r < 0 ? r : cg_read_record(dfd, path, buf, size);
}

/* Frozen, or being frozen: asked for on the group itself (cgroup.freeze, v1's FREEZING) or in
 * effect through an ancestor. Either way its tasks do not run. No group: not frozen. */
int cg_primary_frozen(const struct vps_cgroup *cg, bool *ret)
{
	char s[512], freeze[64];
	uint64_t v = 0;
	int r;

	*ret = false;
	r = read_primary(cg, cg->backend == VPS_CGROUP_V1 ? "freezer.state" : "cgroup.events", s,
	                 sizeof(s));
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	if (cg->backend == VPS_CGROUP_V1) {
		*ret = strcmp(s, "THAWED") != 0;
		return 0;
	}
	*ret = (cg_parse_keyed(s, "frozen", &v) == 0 && v == 1) ||
	       (read_primary(cg, "cgroup.freeze", freeze, sizeof(freeze)) == 0 &&
	        strcmp(freeze, "1") == 0);
	return 0;
}

int cg_primary_thaw(const struct vps_cgroup *cg)
{
	_cleanup_close_ int fd = -EBADF;
	int r;

	r = open_primary(cg, &fd);
	if (r < 0 || fd < 0)
		return r;
	return thaw(cg, fd);
}

int vps_cgroup_freeze(struct vps_cgroup *cg, unsigned timeout_ms)
{
	_cleanup_close_ int fd = -EBADF;
	int r;

	r = open_primary(cg, &fd);
	if (r < 0)
		return r;
	if (fd < 0)
		return -ESRCH;
	r = set_frozen(cg, fd, true, cg_now_ms() + timeout_ms);
	if (r < 0 && r != -EOPNOTSUPP)
		(void)thaw(cg, fd); /* all or nothing: never left FREEZING */
	return r;
}

int vps_cgroup_kill_once(struct vps_cgroup *cg)
{
	_cleanup_close_ int fd = -EBADF;
	int r;

	r = open_primary(cg, &fd);
	if (r < 0 || fd < 0)
		return r;
	r = cg_has_file(fd, "cgroup.kill") ? cg_write(fd, "cgroup.kill", "1") : signal_group(fd);
	return r == -ENOENT || r == -ENODEV ? 0 : r;
}

int vps_cgroup_kill(struct vps_cgroup *cg, unsigned timeout_ms)
{
	uint64_t deadline = cg_now_ms() + timeout_ms;
	_cleanup_close_ int fd = -EBADF;
	bool signalled = false;
	int r;

	r = open_primary(cg, &fd);
	if (r < 0 || fd < 0)
		return r;
	for (;;) {
		_cleanup_free_ pid_t *pids = NULL;
		size_t n = 0;

		r = cg_read_procs(fd, &pids, &n);
		if (r < 0)
			return r;
		if (n == 0)
			return 0;
		if (signalled && cg_now_ms() >= deadline)
			return -ETIMEDOUT;
		/* again each round: a task forked between the list and the signal survives one */
		r = kill_once(cg, fd, deadline);
		if (r < 0)
			return r;
		signalled = true;
		cg_sleep_ms(20);
	}
}
