/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The cgroup library against the real kernel (root only; suite 'integration'). Everything
 * lives below a parent named after this process ("/vpsctl-test-PID") in every hierarchy, and
 * the test checks at the end that no directory of it is left anywhere. It uses whichever
 * backend the host has (v1 on the hybrid development host).
 *
 * A forked worker joins the group and obeys one-byte commands: burn CPU, allocate memory,
 * fork sleepers, exit. Exit 77 = skipped (not root), which CI=true turns into a failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cg-internal.h"
#include "fileio.h"
#include "parse.h"

#define M (1ULL << 20)

static int failures;

_printf_(2, 3) static bool expect(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s - ", ok ? "ok" : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!ok)
		failures++;
	return ok;
}

/* ---- the worker inside the group ---- */

struct worker {
	pid_t pid;
	int cmd; /* parent -> worker */
	int ack; /* worker -> parent */
};

struct cmd {
	char op; /* 'b' burn ms, 'a' allocate MiB, 'f' fork N sleepers, 'q' quit */
	uint32_t arg;
};

static void burn(uint32_t ms)
{
	struct timespec a, b;
	volatile uint64_t x = 0;

	clock_gettime(CLOCK_MONOTONIC, &a);
	do {
		for (int i = 0; i < 100000; i++)
			x += (uint64_t)i;
		clock_gettime(CLOCK_MONOTONIC, &b);
	} while ((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000 < ms);
	(void)x; /* the sum only burns CPU; clang warns on a never-read variable */
}

static int32_t fork_sleepers(uint32_t n)
{
	int32_t made = 0;

	for (uint32_t i = 0; i < n; i++) {
		pid_t p = fork();

		if (p < 0)
			break;
		if (p == 0) {
			closefrom(3); /* the ack pipe must close when the worker dies */
			for (;;)
				pause();
		}
		made++;
	}
	return made;
}

static int32_t run_cmd(const struct cmd *c)
{
	switch (c->op) {
	case 'b':
		burn(c->arg);
		return 0;
	case 'a': {
		size_t len = (size_t)c->arg * M;
		volatile char *p = malloc(len); /* volatile: the stores must not be elided */

		if (!p)
			return -ENOMEM;
		for (size_t i = 0; i < len; i += 4096)
			p[i] = 1; /* held until exit: the point is the charge */
		return 0;
	}
	case 'f':
		return fork_sleepers(c->arg);
	default:
		_exit(0);
	}
}

_noreturn_ static void worker_main(struct vps_cgroup *cg, int cmd, int ack)
{
	int32_t r = vps_cgroup_attach(cg, 0);
	struct cmd c;

	if (write(ack, &r, sizeof(r)) != sizeof(r) || r < 0)
		_exit(1);
	while (read(cmd, &c, sizeof(c)) == sizeof(c)) {
		r = run_cmd(&c);
		if (write(ack, &r, sizeof(r)) != sizeof(r))
			_exit(1);
	}
	_exit(0);
}

static int worker_start(struct vps_cgroup *cg, struct worker *w)
{
	int c[2], a[2];
	int32_t r;

	if (pipe2(c, O_CLOEXEC) < 0 || pipe2(a, O_CLOEXEC) < 0)
		return -errno;
	w->pid = fork();
	if (w->pid < 0)
		return -errno;
	if (w->pid == 0) {
		close(c[1]);
		close(a[0]);
		worker_main(cg, c[0], a[1]);
	}
	close(c[0]);
	close(a[1]);
	w->cmd = c[1];
	w->ack = a[0];
	if (read(w->ack, &r, sizeof(r)) != sizeof(r))
		return -EPIPE;
	return r;
}

/* -EPIPE when the worker died instead of answering. */
static int worker_do(struct worker *w, char op, uint32_t arg, int32_t *ret)
{
	struct cmd c = {.op = op, .arg = arg};
	int32_t r;

	struct pollfd p = {.fd = w->ack, .events = POLLIN};

	if (write(w->cmd, &c, sizeof(c)) != sizeof(c))
		return -EPIPE;
	/* a hung worker must not hang the test with its groups left behind */
	if (poll(&p, 1, 20000) != 1)
		return -ETIMEDOUT;
	if (read(w->ack, &r, sizeof(r)) != sizeof(r))
		return -EPIPE;
	if (ret)
		*ret = r;
	return 0;
}

/* Reaps the worker; returns the signal that killed it, 0 if it exited. */
static int worker_reap(struct worker *w)
{
	int status = 0;

	if (w->pid <= 0)
		return 0;
	close(w->cmd);
	close(w->ack);
	if (waitpid(w->pid, &status, 0) < 0)
		return -errno;
	w->pid = 0;
	return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

/* Sleepers orphaned by a killed worker come to us (the subreaper); their zombies would hold
 * their pids charge in the group until reaped. */
static void reap_orphans(void)
{
	for (int i = 0; i < 200; i++) {
		pid_t p = waitpid(-1, NULL, WNOHANG);

		if (p < 0)
			return; /* no children left */
		if (p == 0)
			usleep(10000);
	}
}

/* ---- checks ---- */

static bool quota_eq(const struct vps_quota *got, const struct vps_quota *want, const char *what)
{
	bool ok = got->cpus_milli == want->cpus_milli &&
	          got->cpu_burst_milli == want->cpu_burst_milli &&
	          got->cpu_weight == want->cpu_weight && got->memory == want->memory &&
	          got->memory_reserve == want->memory_reserve && got->swap == want->swap &&
	          got->pids == want->pids && got->io_weight == want->io_weight &&
	          strcmp(got->cpuset, want->cpuset) == 0;

	if (!ok)
		printf("# got  cpus=%" PRIu64 " burst=%" PRIu64 " weight=%" PRIu64 " mem=%" PRIu64
		       " reserve=%" PRIu64 " swap=%" PRIu64 " pids=%" PRIu64 " io=%" PRIu64
		       " cpuset='%s'\n# want cpus=%" PRIu64 " burst=%" PRIu64 " weight=%" PRIu64
		       " mem=%" PRIu64 " reserve=%" PRIu64 " swap=%" PRIu64 " pids=%" PRIu64
		       " io=%" PRIu64 " cpuset='%s'\n",
		       got->cpus_milli, got->cpu_burst_milli, got->cpu_weight, got->memory,
		       got->memory_reserve, got->swap, got->pids, got->io_weight, got->cpuset,
		       want->cpus_milli, want->cpu_burst_milli, want->cpu_weight, want->memory,
		       want->memory_reserve, want->swap, want->pids, want->io_weight, want->cpuset);
	return expect(ok, "%s: limits read back equal the quota", what);
}

static void check_readback(struct vps_cgroup *cg, const struct vps_quota *want, const char *what)
{
	struct vps_quota got;
	int r = vps_cgroup_read_quota(cg, &got);

	if (expect(r == 0, "%s: read_quota: %s", what, strerror(-r)))
		quota_eq(&got, want, what);
}

static uint64_t host_file(struct vps_cgroup *cg, enum cg_ctrl c, const char *file)
{
	const struct cg_hier *h = cg_hier_of(cg, c);
	char path[PATH_MAX];
	_cleanup_free_ char *s = NULL;
	uint64_t v = UINT64_MAX - 1;

	if (!h || cg_group_path(cg, h, false, path, sizeof(path)) < 0)
		return v;
	strncat(path, "/", sizeof(path) - strlen(path) - 1);
	strncat(path, file, sizeof(path) - strlen(path) - 1);
	if (read_file_at(AT_FDCWD, path, 4096, &s, NULL) < 0)
		return v;
	s[strcspn(s, " \n")] = '\0';
	if (strcmp(s, "max") == 0 || strcmp(s, "-1") == 0)
		return VALUE_UNLIMITED;
	(void)parse_uint64(s, &v);
	return v;
}

/* The host's own files, not through read_quota, so read_quota cannot hide a wrong write. */
static void check_host_files(struct vps_cgroup *cg, const struct vps_quota *q, const char *what)
{
	bool v2 = cg->backend == VPS_CGROUP_V2;

	expect(host_file(cg, CG_MEMORY, v2 ? "memory.max" : "memory.limit_in_bytes") == q->memory,
	       "%s: host memory cap is %" PRIu64, what, q->memory);
	expect(host_file(cg, CG_CPU, v2 ? "cpu.max" : "cpu.cfs_quota_us") ==
	               cg_cpus_to_quota_us(q->cpus_milli),
	       "%s: host cpu quota is %" PRIu64 "us", what, cg_cpus_to_quota_us(q->cpus_milli));
	expect(host_file(cg, CG_PIDS, "pids.max") == q->pids, "%s: host pids.max is %" PRIu64, what,
	       q->pids);
	if (!v2)
		expect(host_file(cg, CG_MEMORY, "memory.memsw.limit_in_bytes") ==
		               cg_memsw(q->memory, q->swap),
		       "%s: host memsw is memory + swap", what);
}

static void check_membership(struct vps_cgroup *cg, pid_t pid)
{
	_cleanup_free_ char *s = NULL;
	char path[64], want[PATH_MAX];
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	snprintf(want, sizeof(want), ":%s/%s\n", cg->parent, cg->name);
	if (read_file_at(AT_FDCWD, path, 65536, &s, NULL) < 0)
		return (void)expect(false, "read %s", path);
	for (const char *p = strstr(s, want); p; p = strstr(p + 1, want))
		n++;
	expect(n >= (int)cg->n_hier, "worker is in the group in all %zu hierarchies (%d lines)",
	       cg->n_hier, n);
}

static bool parent_left(const struct vps_cgroup *cg, bool verbose)
{
	bool left = false;

	for (size_t i = 0; i < cg->n_hier; i++) {
		char path[PATH_MAX];

		if (cg_group_path(cg, &cg->hier[i], true, path, sizeof(path)) == 0 &&
		    access(path, F_OK) == 0) {
			if (verbose)
				printf("# left behind: %s\n", path);
			left = true;
		}
	}
	return left;
}

static struct vps_quota quota(uint64_t cpus, uint64_t burst, uint64_t mem, uint64_t reserve,
                              uint64_t swap, uint64_t pids)
{
	struct vps_quota q;

	vps_quota_init_default(&q);
	q.cpus_milli = cpus;
	q.cpu_burst_milli = burst;
	q.memory = mem;
	q.memory_reserve = reserve;
	q.swap = swap;
	q.pids = pids;
	return q;
}

/* ---- the scenario ---- */

/* A create the kernel refuses half-way leaves nothing behind, not even the parent. */
static void test_create_failure(const char *parent, const struct vps_quota *q)
{
	_cleanup_vps_cgroup_ struct vps_cgroup *cg = NULL;
	struct vps_quota bad = *q;
	struct vps_error err = VPS_ERROR_INIT;
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);
	int r;

	if (!expect(vps_cgroup_new(parent, "broken", &cg) == 0, "handle for 'broken'"))
		return;
	snprintf(bad.cpuset, sizeof(bad.cpuset), "%ld", ncpu > 0 ? ncpu : 4095);
	r = vps_cgroup_create(cg, &bad, &err);
	expect(r < 0 && strncmp(err.msg, "failed to set cpuset.cpus to ", 29) == 0,
	       "create with an impossible cpuset fails: '%s'", err.msg);
	expect(!vps_cgroup_exists(cg) && !parent_left(cg, true), "failed create left nothing");
}

static void test_create(struct vps_cgroup *cg, const struct vps_quota *q)
{
	struct vps_error err = VPS_ERROR_INIT;
	int r;

	r = vps_cgroup_create(cg, q, &err);
	expect(r == 0, "create: %s %s", strerror(-r), err.msg);
	expect(vps_cgroup_exists(cg), "group exists");
	check_readback(cg, q, "create");
	check_host_files(cg, q, "create");
	r = vps_cgroup_create(cg, q, &err);
	expect(r == 0, "create again reuses the empty group: %s", strerror(-r));
}

static void test_resizes(struct vps_cgroup *cg, struct vps_quota *cur)
{
	/* burst 1.5 needs the quota raised first; memsw 192M needs raising before the limit */
	struct vps_quota grow = quota(2000, 1500, 128 * M, 64 * M, 64 * M, 128);
	struct vps_quota shrink = quota(500, 200, 96 * M, 8 * M, 0, 32);
	struct vps_error err = VPS_ERROR_INIT;
	int r;

	grow.cpu_weight = 300;
	snprintf(grow.cpuset, sizeof(grow.cpuset), "0");
	r = vps_cgroup_resize(cg, cur, &grow, 1000, false, &err);
	expect(r == 0, "resize grow: %s %s", strerror(-r), err.msg);
	check_readback(cg, &grow, "grow");
	check_host_files(cg, &grow, "grow");
	r = vps_cgroup_resize(cg, &grow, &shrink, 1000, false, &err);
	expect(r == 0, "resize shrink: %s %s", strerror(-r), err.msg);
	check_readback(cg, &shrink, "shrink");
	check_host_files(cg, &shrink, "shrink");
	*cur = shrink;
}

/* Memory goes up first, then the kernel refuses a CPU that does not exist: all undone. */
static void test_refusal(struct vps_cgroup *cg, const struct vps_quota *cur)
{
	struct vps_quota bad = *cur;
	struct vps_error err = VPS_ERROR_INIT;
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);
	int r;

	bad.memory = cur->memory + 16 * M;
	bad.swap = 8 * M;
	snprintf(bad.cpuset, sizeof(bad.cpuset), "%ld", ncpu > 0 ? ncpu : 4095);
	r = vps_cgroup_resize(cg, cur, &bad, 1000, false, &err);
	expect(r < 0 && strncmp(err.msg, "failed to set cpuset.cpus to ", 29) == 0,
	       "kernel refusal reported: %d '%s'", r, err.msg);
	check_readback(cg, cur, "after refusal (rolled back)");
}

static void test_stats_and_shrink(struct vps_cgroup *cg, struct vps_quota *cur)
{
	struct vps_quota small = *cur;
	struct vps_error err = VPS_ERROR_INIT;
	struct vps_cgroup_stats st;
	struct worker w = {};
	size_t n = 0;
	int r;

	r = worker_start(cg, &w);
	if (!expect(r == 0, "worker attached: %s", strerror(-r)))
		return;
	check_membership(cg, w.pid);
	r = vps_cgroup_count_procs(cg, &n);
	expect(r == 0 && n == 1, "one process counted (%zu)", n);
	r = vps_cgroup_create(cg, cur, &err);
	expect(r == -EBUSY && strstr(err.msg, "in use"), "create refuses a used group: '%s'",
	       err.msg);
	r = worker_do(&w, 'b', 600, NULL);
	r = r ?: vps_cgroup_stats(cg, &st);
	if (expect(r == 0, "stats: %s", strerror(-r))) {
		expect(st.cpu_usage_usec > 100000, "cpu usage counted (%" PRIu64 "us)",
		       st.cpu_usage_usec);
		/* 0.5 CPU: 600 ms of burning must have been throttled */
		expect(st.cpu_nr_periods > 0 && st.cpu_nr_throttled > 0,
		       "throttling counted (%" PRIu64 "/%" PRIu64 ")", st.cpu_nr_throttled,
		       st.cpu_nr_periods);
		expect(st.memory_current > 0 && st.memory_peak >= st.memory_current,
		       "memory usage %" PRIu64 " peak %" PRIu64, st.memory_current, st.memory_peak);
		expect(st.memory_max == cur->memory, "memory_max %" PRIu64, st.memory_max);
		expect(st.pids_current == 1 && st.pids_max == cur->pids,
		       "pids %" PRIu64 "/%" PRIu64, st.pids_current, st.pids_max);
	}
	r = worker_do(&w, 'a', 48, NULL);
	expect(r == 0, "worker holds 48M");
	small.memory = 16 * M;
	r = vps_cgroup_resize(cg, cur, &small, 300, false, &err);
	expect(r == -EBUSY && strncmp(err.msg, "memory usage ", 13) == 0 &&
	               strstr(err.msg, "M stays above the new limit 16.0M"),
	       "shrink below usage refused: '%s'", err.msg);
	check_readback(cg, cur, "after refused shrink");
	r = vps_cgroup_resize(cg, cur, &small, 300, true, &err);
	expect(r == 0, "forced shrink applies: %s %s", strerror(-r), err.msg);
	check_readback(cg, &small, "forced shrink");
	expect(worker_reap(&w) == SIGKILL, "the worker was killed to make room");
	/* v1 kills it itself and says whom; on v2 the kernel's OOM killer does (memory.events) */
	expect(vps_cgroup_backend() == VPS_CGROUP_V2 || strncmp(err.msg, "killed ", 7) == 0,
	       "the forced shrink says what it killed: '%s'", err.msg);
	*cur = small;
}

static void test_pids(struct vps_cgroup *cg, const struct vps_quota *cur)
{
	struct vps_cgroup_stats st;
	struct worker w = {};
	int32_t made = 0;
	size_t n = 1;
	int r;

	r = worker_start(cg, &w);
	r = r ?: worker_do(&w, 'f', (uint32_t)cur->pids + 8, &made);
	expect(r == 0 && made == (int32_t)cur->pids - 1,
	       "forks stop at the pids cap (%d of %" PRIu64 ")", made, cur->pids);
	r = vps_cgroup_stats(cg, &st);
	expect(r == 0 && st.pids_max_events >= 1 && st.pids_current == cur->pids,
	       "pids %" PRIu64 ", pids.max events %" PRIu64, st.pids_current, st.pids_max_events);
	r = vps_cgroup_kill(cg, 3000);
	expect(r == 0, "kill: %s", strerror(-r));
	expect(vps_cgroup_count_procs(cg, &n) == 0 && n == 0, "group empty after kill");
	expect(worker_reap(&w) == SIGKILL, "worker died by SIGKILL");
	reap_orphans();
}

static void test_oom(struct vps_cgroup *cg, const struct vps_quota *cur)
{
	struct vps_cgroup_stats st;
	struct worker w = {};
	int r;

	r = worker_start(cg, &w);
	r = r ?: worker_do(&w, 'a', (uint32_t)(cur->memory / M) * 4, NULL);
	expect(r == -EPIPE, "allocating 4 x the cap ends in an OOM kill");
	r = vps_cgroup_stats(cg, &st);
	expect(r == 0 && st.memory_oom_kills >= 1 && st.memory_max_events >= 1,
	       "failure counters: oom_kill %" PRIu64 ", max %" PRIu64, st.memory_oom_kills,
	       st.memory_max_events);
	expect(worker_reap(&w) == SIGKILL, "worker died by SIGKILL");
	r = vps_cgroup_kill(cg, 3000);
	expect(r == 0, "kill of an empty group: %s", strerror(-r));
}

static void test_kill(struct vps_cgroup *cg)
{
	struct worker w = {};
	size_t n = 0;
	int32_t made = 0;
	int r;

	r = worker_start(cg, &w);
	r = r ?: worker_do(&w, 'f', 3, &made);
	expect(r == 0 && made == 3, "worker forked 3 sleepers: %s, %d", strerror(-r), made);
	r = vps_cgroup_count_procs(cg, &n);
	expect(r == 0 && n == 4, "4 processes counted (%zu)", n);
	r = vps_cgroup_kill(cg, 3000);
	expect(r == 0, "kill: %s", strerror(-r));
	r = vps_cgroup_count_procs(cg, &n);
	expect(r == 0 && n == 0, "group empty after kill (%zu)", n);
	expect(worker_reap(&w) == SIGKILL, "worker died by SIGKILL");
	reap_orphans();
}

/* Two groups in one parent: the parent stays until the last one goes. */
static void test_shared_parent(const char *parent, const struct vps_quota *q)
{
	_cleanup_vps_cgroup_ struct vps_cgroup *a = NULL;
	_cleanup_vps_cgroup_ struct vps_cgroup *b = NULL;

	if (vps_cgroup_new(parent, "second", &a) < 0 || vps_cgroup_new(parent, "third", &b) < 0)
		return (void)expect(false, "handles");
	expect(vps_cgroup_create(a, q, NULL) == 0 && vps_cgroup_create(b, q, NULL) == 0,
	       "two more groups in the parent");
	expect(vps_cgroup_remove(a) == 0 && !vps_cgroup_exists(a) && parent_left(b, false),
	       "parent kept while groups are in it");
	expect(vps_cgroup_remove(b) == 0 && !vps_cgroup_exists(b) && parent_left(b, false),
	       "parent kept while 'live' is in it (cleanup checks it goes with the last)");
}

static void cleanup(struct vps_cgroup *cg)
{
	int r;

	r = vps_cgroup_kill(cg, 3000);
	expect(r == 0, "final kill: %s", strerror(-r));
	r = vps_cgroup_remove(cg);
	expect(r == 0, "remove: %s", strerror(-r));
	expect(!vps_cgroup_exists(cg), "group gone");
	expect(!parent_left(cg, true), "no directory of the parent left in any hierarchy");
	r = vps_cgroup_remove(cg);
	expect(r == 0, "removing a missing group is fine: %s", strerror(-r));
}

int main(void)
{
	_cleanup_vps_cgroup_ struct vps_cgroup *cg = NULL;
	struct vps_quota q = quota(1000, 500, 64 * M, 16 * M, 0, 64);
	char parent[64];
	int r;

	if (geteuid() != 0) {
		const char *ci = getenv("CI");

		if (ci && strcmp(ci, "true") == 0) {
			fprintf(stderr,
			        "test-cgroup-live needs root, and CI=true forbids skipping\n");
			return EXIT_FAILURE;
		}
		fprintf(stderr, "test-cgroup-live: not root, skipping\n");
		return 77;
	}
	/* sleepers orphaned by a killed worker are reaped here, not left to the host's init */
	(void)prctl(PR_SET_CHILD_SUBREAPER, 1);
	setvbuf(stdout, NULL, _IOLBF, 0);
	r = vps_cgroup_init();
	if (r < 0) {
		fprintf(stderr, "vps_cgroup_init: %s\n", strerror(-r));
		return EXIT_FAILURE;
	}
	printf("# backend %s\n", vps_cgroup_backend_to_string(vps_cgroup_backend()));
	snprintf(parent, sizeof(parent), "/vpsctl-test-%d", (int)getpid());
	r = vps_cgroup_new(parent, "live", &cg);
	if (r < 0) {
		fprintf(stderr, "vps_cgroup_new: %s\n", strerror(-r));
		return EXIT_FAILURE;
	}
	q.cpu_weight = 200;
	test_create_failure(parent, &q);
	test_create(cg, &q);
	test_resizes(cg, &q);
	test_refusal(cg, &q);
	test_pids(cg, &q);
	test_kill(cg);
	test_stats_and_shrink(cg, &q);
	test_oom(cg, &q);
	test_shared_parent(parent, &q);
	cleanup(cg);
	reap_orphans();
	printf("# %d failure(s)\n", failures);
	return failures ? EXIT_FAILURE : EXIT_SUCCESS;
}
