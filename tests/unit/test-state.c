/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vps_run_info_get(): what list and status show, from state files in a scratch root, checked
 * against live and dead processes of this test. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileio.h"
#include "paths.h"
#include "state.h"

static struct vps_paths paths;

static void setup(void)
{
	char root[] = "/tmp/test-state.XXXXXX";

	ck_assert_ptr_nonnull(mkdtemp(root));
	ck_assert_int_eq(vps_paths_init(root, &paths), 0);
}

static void teardown(void)
{
	(void)rm_rf_at(AT_FDCWD, paths.root);
}

static uint64_t start_of(pid_t pid)
{
	unsigned long long t = 0;

	ck_assert_int_eq(proc_start_time(pid, &t), 0);
	return t;
}

/* A pid that no longer exists, with the start time it had. */
static pid_t dead_pid(uint64_t *start)
{
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		pause();
		_exit(0);
	}
	*start = start_of(pid);
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
	return pid;
}

static void info(const char *name, struct vps_run_info *ret)
{
	_cleanup_close_ int base = open(paths.run_base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	vps_run_info_get(base, name, ret);
}

static void write_state(const char *name, pid_t init, uint64_t init_start, pid_t sup,
			uint64_t sup_start)
{
	struct vps_state st = {.init_pid = (uint64_t)init, .init_start = init_start,
			       .supervisor_pid = (uint64_t)sup, .supervisor_start = sup_start,
			       .boots = 1, .backend = "v1", .cgroup_parent = "/vpsctl"};

	ck_assert_int_eq(vps_state_write(&paths, name, &st), 0);
}

START_TEST(test_running_supervised)
{
	struct vps_run_info i;

	/* "init" is this process, its "supervisor" the parent: the ppid tells it lives */
	write_state("v", getpid(), start_of(getpid()), getppid(), start_of(getppid()));
	info("v", &i);
	ck_assert_int_eq(i.rs, VPS_RUNNING);
	ck_assert(i.supervised);
	ck_assert_uint_eq(i.st.boots, 1);
}
END_TEST

START_TEST(test_supervisor_not_parent)
{
	struct vps_run_info i;
	uint64_t t;
	pid_t dead = dead_pid(&t);

	/* a live supervisor that is not init's parent (init re-parented): asked directly */
	write_state("a", getpid(), start_of(getpid()), 1, start_of(1));
	info("a", &i);
	ck_assert_int_eq(i.rs, VPS_RUNNING);
	ck_assert(i.supervised);
	/* a dead one: running-unsupervised */
	write_state("b", getpid(), start_of(getpid()), dead, t);
	info("b", &i);
	ck_assert_int_eq(i.rs, VPS_RUNNING);
	ck_assert(!i.supervised);
	/* the supervisor's pid reused by another process: not it */
	write_state("c", getpid(), start_of(getpid()), getpid(), start_of(getpid()) + 1);
	info("c", &i);
	ck_assert(!i.supervised);
}
END_TEST

START_TEST(test_transition_and_stopped)
{
	struct vps_run_info i;
	uint64_t t;
	pid_t dead = dead_pid(&t);

	/* init gone, supervisor alive: starting, stopping or rebooting */
	write_state("r", dead, t, getpid(), start_of(getpid()));
	info("r", &i);
	ck_assert_int_eq(i.rs, VPS_TRANSITION);
	ck_assert(i.supervised);
	/* both gone: stopped, and the last exit reason is shown */
	write_state("s", dead, t, dead, t);
	ck_assert_int_eq(vps_exit_write(&paths, "s", "killed by SIGKILL"), 0);
	info("s", &i);
	ck_assert_int_eq(i.rs, VPS_STOPPED);
	ck_assert(!i.supervised);
	ck_assert_str_eq(i.last_exit, "killed by SIGKILL");
	/* no state file at all, no run directory, no run base */
	info("nosuch", &i);
	ck_assert_int_eq(i.rs, VPS_STOPPED);
	ck_assert_str_eq(i.last_exit, "");
	vps_run_info_get(-1, "s", &i);
	ck_assert_int_eq(i.rs, VPS_STOPPED);
	/* a name with a slash never reaches another directory */
	info("s/../s", &i);
	ck_assert_int_eq(i.rs, VPS_STOPPED);
	ck_assert_str_eq(i.last_exit, "");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("state");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_running_supervised);
	tcase_add_test(tc, test_supervisor_not_parent);
	tcase_add_test(tc, test_transition_and_stopped);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
