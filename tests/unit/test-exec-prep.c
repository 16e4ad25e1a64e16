/* SPDX-License-Identifier: GPL-2.0-or-later */
/* spawn/exec-prep.c: what init and exec/enter both do before the exec (the unprivileged part). */
#include <check.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "exec-prep.h"

static void on_signal(int sig)
{
	(void)sig;
}

/* A handler, an ignored signal and a blocked mask (the supervisor's signalfd) are all gone. */
START_TEST(test_reset_signals)
{
	struct sigaction sa = {.sa_handler = on_signal}, now;
	sigset_t set;

	ck_assert_int_eq(sigaction(SIGTERM, &sa, NULL), 0);
	ck_assert_int_eq(sigaction(SIGPIPE, &(struct sigaction){.sa_handler = SIG_IGN}, NULL), 0);
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGRTMIN + 1);
	ck_assert_int_eq(sigprocmask(SIG_BLOCK, &set, NULL), 0);

	vps_exec_reset_signals();

	ck_assert_int_eq(sigaction(SIGTERM, NULL, &now), 0);
	ck_assert_ptr_eq(now.sa_handler, SIG_DFL);
	ck_assert_int_eq(sigaction(SIGPIPE, NULL, &now), 0);
	ck_assert_ptr_eq(now.sa_handler, SIG_DFL);
	ck_assert_int_eq(sigprocmask(SIG_SETMASK, NULL, &set), 0);
	ck_assert_int_eq(sigismember(&set, SIGCHLD), 0);
	ck_assert_int_eq(sigismember(&set, SIGRTMIN + 1), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("exec-prep");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_reset_signals);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
