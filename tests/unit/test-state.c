/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vps_run_info_get(): what list and status show, from state files in a scratch root, checked
 * against live and dead processes of this test. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
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

	vps_run_info_get(&paths, base, name, ret);
}

static void write_state(const char *name, pid_t init, uint64_t init_start, pid_t sup,
                        uint64_t sup_start)
{
	struct vps_state st = {.init_pid = (uint64_t)init,
	                       .init_start = init_start,
	                       .supervisor_pid = (uint64_t)sup,
	                       .supervisor_start = sup_start,
	                       .boots = 1,
	                       .backend = "v1",
	                       .cgroup_parent = "/vpsctl"};

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
	vps_run_info_get(&paths, -1, "s", &i);
	ck_assert_int_eq(i.rs, VPS_STOPPED);
	/* a name with a slash never reaches another directory */
	info("s/../s", &i);
	ck_assert_int_eq(i.rs, VPS_STOPPED);
	ck_assert_str_eq(i.last_exit, "");
}
END_TEST

static void write_text(const char *name, const char *text)
{
	char dir[PATH_MAX];

	ck_assert_int_eq(vps_run_path(&paths, name, NULL, dir, sizeof(dir)), 0);
	ck_assert_int_eq(mkdir_p(dir, 0700), 0);
	ck_assert_int_eq(
		write_file_atomic_at(AT_FDCWD, strcat(dir, "/state"), text, strlen(text), 0644), 0);
}

/* An unknown key in the state file made a running VPS look stopped, and stop then killed it
 * while saying "not running": now it is VPS_UNKNOWN, with file and line, and what the good
 * lines said is still there to find init by. */
START_TEST(test_unknown_key_is_unknown)
{
	struct vps_run_info i;
	struct vps_state st;
	char text[512], want[PATH_MAX + 64];

	snprintf(text, sizeof(text),
	         "INIT_PID=%d\nINIT_START=%" PRIu64 "\nSUPERVISOR_PID=0\n"
	         "SUPERVISOR_START=0\nBOGUS=1\n",
	         getpid(), start_of(getpid()));
	write_text("u", text);
	snprintf(want, sizeof(want), "%s/u/state:5: unknown key 'BOGUS'", paths.run_base);
	ck_assert_int_eq(vps_run_state_get(&paths, "u", &st), VPS_UNKNOWN);
	ck_assert_int_eq(st.error, -EBADMSG);
	ck_assert_str_eq(st.error_text, want);
	ck_assert_uint_eq(st.init_pid, (uint64_t)getpid());
	ck_assert(vps_process_alive(st.init_pid, st.init_start));
	info("u", &i);
	ck_assert_int_eq(i.rs, VPS_UNKNOWN);
	ck_assert_str_eq(i.st.error_text, want);
	ck_assert_str_eq(vps_run_state_to_string(i.rs), "unknown");
	/* garbage throughout: unknown too, never stopped */
	write_text("u", "garbage\n");
	ck_assert_int_eq(vps_run_state_get(&paths, "u", &st), VPS_UNKNOWN);
	ck_assert_uint_eq(st.init_pid, 0);
	/* a duplicate key as well */
	write_text("u", "INIT_PID=1\nINIT_PID=2\n");
	ck_assert_int_eq(vps_run_state_get(&paths, "u", &st), VPS_UNKNOWN);
	ck_assert_ptr_nonnull(
		strstr(st.error_text, "state:2: duplicate key 'INIT_PID' (first on line 1)"));
}
END_TEST

/* A state of a newer vpsctl is not acted on: not even its pids are kept. */
START_TEST(test_newer_state_refused)
{
	struct vps_state st;
	char text[256];

	snprintf(text, sizeof(text), "FORMAT_VERSION=3\nINIT_PID=%d\nINIT_START=%" PRIu64 "\n",
	         getpid(), start_of(getpid()));
	write_text("n", text);
	ck_assert_int_eq(vps_run_state_get(&paths, "n", &st), VPS_UNKNOWN);
	ck_assert_int_eq(st.error, -EPROTONOSUPPORT);
	ck_assert_ptr_nonnull(strstr(st.error_text,
	                             "/n/state: written by a newer vpsctl (format 3; "
	                             "this one reads up to 2)"));
	ck_assert_uint_eq(st.init_pid, 0);
}
END_TEST

/* A state without FORMAT_VERSION (vpsctl before it) still reads; a new one carries it. */
START_TEST(test_older_state_read)
{
	_cleanup_free_ char *text = NULL;
	struct vps_state st;
	char in[256], path[PATH_MAX];

	snprintf(in, sizeof(in),
	         "INIT_PID=%d\nINIT_START=%" PRIu64 "\nSUPERVISOR_PID=0\n"
	         "SUPERVISOR_START=0\n",
	         getpid(), start_of(getpid()));
	write_text("o", in);
	ck_assert_int_eq(vps_run_state_get(&paths, "o", &st), VPS_RUNNING);
	write_state("o", getpid(), start_of(getpid()), 0, 0);
	ck_assert_int_eq(vps_run_path(&paths, "o", "state", path, sizeof(path)), 0);
	ck_assert_int_ge(read_file_at(AT_FDCWD, path, 65536, &text, NULL), 0);
	ck_assert_ptr_nonnull(strstr(text, "FORMAT_VERSION=\"2\"\n"));
	ck_assert_int_eq(vps_run_state_get(&paths, "o", &st), VPS_RUNNING);
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
	tcase_add_test(tc, test_unknown_key_is_unknown);
	tcase_add_test(tc, test_newer_state_refused);
	tcase_add_test(tc, test_older_state_read);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
