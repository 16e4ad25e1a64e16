/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup.h"
#include "cleanup.h"
#include "conf.h"
#include "fileio.h"
#include "parse.h"
#include "state.h"

#define SKEY(n, t, f)                                                                              \
	{                                                                                          \
		n, t, offsetof(struct vps_state, f), sizeof(((struct vps_state *)0)->f), n         \
	}

static const struct conf_key state_keys[] = {
	SKEY("SUPERVISOR_PID", CONF_UINT, supervisor_pid),
	SKEY("SUPERVISOR_START", CONF_UINT, supervisor_start),
	SKEY("INIT_PID", CONF_UINT, init_pid),
	SKEY("INIT_START", CONF_UINT, init_start),
	SKEY("STARTED", CONF_UINT, started),
	SKEY("BOOTS", CONF_UINT, boots),
	SKEY("CGROUP_BACKEND", CONF_STRING, backend),
	SKEY("CGROUP_PARENT", CONF_PATH, cgroup_parent),
};

static int run_dir_fd(const struct vps_paths *p, const char *name, bool create)
{
	char path[PATH_MAX];
	int r = vps_run_path(p, name, NULL, path, sizeof(path)), fd;

	if (r < 0)
		return r;
	if (create) {
		r = mkdir_p(path, 0700);
		if (r < 0)
			return r;
	}
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	return fd;
}

/* dfd/file: "state" in the VPS's run directory, or "NAME/state" in the run base; path is the
 * same file as messages name it. */
static int parse_state_at(int dfd, const char *file, const char *path, struct vps_state *ret)
{
	const struct conf_file f = {path, state_keys, ELEMENTSOF(state_keys), VPS_STATE_FORMAT};
	struct vps_error e = VPS_ERROR_INIT;
	_cleanup_free_ char *text = NULL;
	int r;

	memset(ret, 0, sizeof(*ret));
	r = read_file_at(dfd, file, 65536, &text, NULL);
	if (r == -ENOENT)
		return r;
	if (r < 0)
		snprintf(ret->error_text, sizeof(ret->error_text), "%s: %s", path, strerror(-r));
	else if ((r = conf_parse(&f, ret, text, NULL, &e)) < 0)
		snprintf(ret->error_text, sizeof(ret->error_text), "%s", e.msg);
	if (r == -EPROTONOSUPPORT)
		/* nothing of a newer format is acted on: not even its pids */
		memset(ret, 0, offsetof(struct vps_state, error));
	ret->error = r;
	return r;
}

int vps_state_read(const struct vps_paths *p, const char *name, struct vps_state *ret)
{
	_cleanup_close_ int dfd = run_dir_fd(p, name, false);
	char path[PATH_MAX];

	if (dfd < 0) {
		memset(ret, 0, sizeof(*ret));
		return dfd;
	}
	if (vps_run_path(p, name, "state", path, sizeof(path)) < 0)
		snprintf(path, sizeof(path), "state");
	return parse_state_at(dfd, "state", path, ret);
}

int vps_state_write(const struct vps_paths *p, const char *name, const struct vps_state *s)
{
	const struct conf_file f = {"state", state_keys, ELEMENTSOF(state_keys), VPS_STATE_FORMAT};
	_cleanup_close_ int dfd = run_dir_fd(p, name, true);
	_cleanup_free_ char *text = NULL;
	int r;

	if (dfd < 0)
		return dfd;
	r = conf_format(&f, s, "# vpsctl runtime state\n", &text);
	if (r < 0)
		return r;
	return write_file_atomic_at(dfd, "state", text, strlen(text), 0644);
}

/* "FILE.tmp.PID" of an atomic write whose writer was killed between create and rename. The
 * state is removed only once the VPS stopped, its supervisor (the one writer besides commands
 * under the VPS lock, which we hold) gone: every such file is stale then. Not by whether PID
 * lives: PIDs are reused, and a busy node reuses them fast. */
static bool stale_tmp(const char *file)
{
	const char *t = strstr(file, ".tmp.");
	int pid;

	return t && parse_int_range(t + 5, 1, INT32_MAX, &pid) == 0;
}

static void remove_stale_tmp(int dfd)
{
	_cleanup_closedir_ DIR *d = opendir_dup(dfd);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d)))
		if (de->d_type == DT_REG && stale_tmp(de->d_name))
			(void)unlinkat(dfd, de->d_name, 0);
}

int vps_state_remove(const struct vps_paths *p, const char *name)
{
	_cleanup_close_ int dfd = run_dir_fd(p, name, false);

	if (dfd == -ENOENT)
		return 0;
	if (dfd < 0)
		return dfd;
	remove_stale_tmp(dfd);
	/* the run's suspend record (frozen.h) and stop record end with it */
	if (unlinkat(dfd, "suspended", 0) < 0 && errno != ENOENT)
		return -errno;
	if (unlinkat(dfd, "stopping", 0) < 0 && errno != ENOENT)
		return -errno;
	if (unlinkat(dfd, "state", 0) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

/* Whether the process is the one that started at start_time and alive; its parent too (ppid
 * may be NULL). */
static bool alive_with_parent(uint64_t pid, uint64_t start_time, pid_t *ppid)
{
	unsigned long long t;
	char state;

	if (pid == 0 || pid > INT32_MAX)
		return false;
	if (proc_stat((pid_t)pid, &t, &state, ppid) < 0)
		return false;
	/* A zombie has exited already; it only waits for its parent to reap it. */
	return t == start_time && state != 'Z' && state != 'X';
}

bool vps_process_alive(uint64_t pid, uint64_t start_time)
{
	return alive_with_parent(pid, start_time, NULL);
}

int vps_pidfd_open_checked(uint64_t pid, uint64_t start_time)
{
	int fd;

	if (pid == 0 || pid > INT32_MAX)
		return -ESRCH;
	fd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
	if (fd < 0)
		return -errno;
	/* Checked after opening: if it is still the same process now, the pidfd pins it. */
	if (!vps_process_alive(pid, start_time)) {
		close(fd);
		return -ESRCH;
	}
	return fd;
}

/* Whether processes run in the VPS's cgroup (where its state says it was made) although
 * neither its init nor its supervisor as recorded lives: a supervisor killed before it
 * recorded init's pid, or while rebooting. Such a VPS runs, unsupervised; never "stopped". */
static bool orphans_in_cgroup(const struct vps_state *st, const char *name)
{
	_cleanup_vps_cgroup_ struct vps_cgroup *cg = NULL;
	size_t n = 0;

	if (!st->cgroup_parent[0] || vps_cgroup_new(st->cgroup_parent, name, &cg) < 0)
		return false;
	return vps_cgroup_count_procs(cg, &n) == 0 && n > 0;
}

enum vps_run_state vps_run_state_get(const struct vps_paths *p, const char *name,
                                     struct vps_state *ret)
{
	int r = vps_state_read(p, name, ret);

	if (r == -ENOENT)
		return VPS_STOPPED;
	if (r < 0)
		return VPS_UNKNOWN;
	if (vps_process_alive(ret->init_pid, ret->init_start))
		return VPS_RUNNING;
	ret->init_pid = ret->init_start = 0; /* gone, or a pid that is someone else's now */
	if (vps_process_alive(ret->supervisor_pid, ret->supervisor_start))
		return VPS_TRANSITION;
	return orphans_in_cgroup(ret, name) ? VPS_RUNNING : VPS_STOPPED;
}

const char *vps_run_state_to_string(enum vps_run_state s)
{
	static const char *const names[_VPS_RUN_STATE_MAX] = {
		[VPS_STOPPED] = "stopped",
		[VPS_RUNNING] = "running",
		[VPS_TRANSITION] = "starting",
		[VPS_UNKNOWN] = "unknown",
	};

	return s >= 0 && s < _VPS_RUN_STATE_MAX ? names[s] : "unknown";
}

int vps_exit_write(const struct vps_paths *p, const char *name, const char *reason)
{
	_cleanup_close_ int dfd = run_dir_fd(p, name, true);
	char line[160];

	if (dfd < 0)
		return dfd;
	snprintf(line, sizeof(line), "%s\n", reason);
	return write_file_atomic_at(dfd, "exit", line, strlen(line), 0644);
}

/* dfd/file: "exit" in the VPS's run directory, or "NAME/exit" in the run base. */
static int read_exit_at(int dfd, const char *file, char *buf, size_t len)
{
	_cleanup_free_ char *text = NULL;
	int r;

	buf[0] = '\0';
	r = read_file_at(dfd, file, 4096, &text, NULL);
	if (r < 0)
		return r;
	text[strcspn(text, "\n")] = '\0';
	snprintf(buf, len, "%s", text);
	return 0;
}

int vps_exit_read(const struct vps_paths *p, const char *name, char *buf, size_t len)
{
	_cleanup_close_ int dfd = run_dir_fd(p, name, false);

	buf[0] = '\0';
	return dfd < 0 ? dfd : read_exit_at(dfd, "exit", buf, len);
}

int vps_stopping_write(const struct vps_paths *p, const char *name, const struct vps_state *st)
{
	_cleanup_close_ int dfd = run_dir_fd(p, name, false);
	char line[64];

	if (dfd < 0)
		return dfd;
	snprintf(line, sizeof(line), "%" PRIu64 " %" PRIu64 "\n", st->supervisor_pid,
	         st->supervisor_start);
	return write_file_atomic_at(dfd, "stopping", line, strlen(line), 0644);
}

/* Whether NAME/stopping names st's supervisor. */
static bool stopping_at(int run_base_fd, const char *name, const struct vps_state *st)
{
	char path[NAME_MAX + sizeof("/stopping")], *start;
	_cleanup_free_ char *text = NULL;
	uint64_t a, b;

	snprintf(path, sizeof(path), "%s/stopping", name);
	if (read_file_at(run_base_fd, path, 64, &text, NULL) < 0)
		return false;
	text[strcspn(text, "\n")] = '\0';
	start = strchr(text, ' ');
	if (!start)
		return false;
	*start++ = '\0';
	return parse_uint64(text, &a) == 0 && parse_uint64(start, &b) == 0 &&
	       a == st->supervisor_pid && b == st->supervisor_start;
}

/* A state file with neither init nor supervisor alive: the VPS ended with nobody to record
 * how. An exit reason older than that run's start is the run before's: not shown as this
 * one's. */
static void unrecorded_exit(int run_base_fd, const char *name, const struct vps_state *st,
                            char *buf, size_t len)
{
	char path[NAME_MAX + sizeof("/exit")];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/exit", name);
	if (fstatat(run_base_fd, path, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
	    (uint64_t)sb.st_mtime >= st->started)
		return;
	snprintf(buf, len, "died unsupervised (exit status unknown)");
}

/* Reads NAME/state and NAME/exit relative to the run base: the run directory is root's alone
 * (0700, made by vpsctl) and no VPS can reach it, so NAME needs no separate O_NOFOLLOW open. */
void vps_run_info_get(const struct vps_paths *p, int run_base_fd, const char *name,
                      struct vps_run_info *ret)
{
	char path[NAME_MAX + sizeof("/state")], full[PATH_MAX];
	pid_t ppid = 0;
	int r;

	memset(ret, 0, sizeof(*ret));
	ret->rs = VPS_STOPPED;
	if (run_base_fd < 0 || strchr(name, '/'))
		return;
	snprintf(path, sizeof(path), "%s/exit", name);
	(void)read_exit_at(run_base_fd, path, ret->last_exit, sizeof(ret->last_exit));
	snprintf(path, sizeof(path), "%s/state", name);
	if (vps_run_path(p, name, "state", full, sizeof(full)) < 0)
		snprintf(full, sizeof(full), "%s", path);
	r = parse_state_at(run_base_fd, path, full, &ret->st);
	if (r == -ENOENT)
		return;
	if (r < 0) {
		ret->rs = VPS_UNKNOWN;
		return;
	}
	if (alive_with_parent(ret->st.init_pid, ret->st.init_start, &ppid)) {
		ret->rs = VPS_RUNNING;
		/* init's parent is its supervisor for as long as that lives (once it died, init
		 * belongs to a reaper, which outlived it and so has another pid) */
		if ((uint64_t)ppid == ret->st.supervisor_pid) {
			ret->supervised = true;
			return;
		}
	}
	ret->supervised = vps_process_alive(ret->st.supervisor_pid, ret->st.supervisor_start);
	if (ret->rs == VPS_RUNNING)
		return;
	ret->st.init_pid = ret->st.init_start = 0;
	if (ret->supervised) {
		ret->rs = VPS_TRANSITION;
		ret->stopping = stopping_at(run_base_fd, name, &ret->st);
	} else if (orphans_in_cgroup(&ret->st, name))
		ret->rs = VPS_RUNNING;
	if (ret->rs == VPS_STOPPED)
		unrecorded_exit(run_base_fd, name, &ret->st, ret->last_exit,
		                sizeof(ret->last_exit));
}

/* Whether pid's user namespace is another than ours (a VPS with its own id range). */
bool vps_pid_in_other_userns(uint64_t pid)
{
	struct stat a, b;
	char path[64];

	snprintf(path, sizeof(path), "/proc/%" PRIu64 "/ns/user", pid);
	if (stat("/proc/self/ns/user", &a) < 0 || stat(path, &b) < 0)
		return false;
	return a.st_ino != b.st_ino || a.st_dev != b.st_dev;
}

const char *vps_run_info_state(const struct vps_run_info *ri)
{
	if (ri->rs == VPS_TRANSITION && ri->stopping)
		return "stopping";
	return vps_run_state_to_string(ri->rs);
}
