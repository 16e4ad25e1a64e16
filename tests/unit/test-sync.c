/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sync.h"

/* A cleared error for each call: the first reason wins, so a reused one keeps the old. */
static struct vps_error *fresh(struct vps_error *e)
{
	vps_error_clear(e);
	return e;
}

START_TEST(test_encode_decode)
{
	struct vps_sync_msg buf, m;
	size_t n;

	n = vps_sync_encode(VPS_SYNC_HOST_DONE, 0, NULL, &buf);
	ck_assert_int_eq(vps_sync_decode(&buf, n, &m), 0);
	ck_assert_int_eq(m.stage, VPS_SYNC_HOST_DONE);
	ck_assert_str_eq(m.text, "");
	n = vps_sync_encode(VPS_SYNC_ERROR, -ENOENT, "failed to mount /proc: x", &buf);
	ck_assert_int_eq(vps_sync_decode(&buf, n, &m), 0);
	ck_assert_int_eq(m.error, -ENOENT);
	ck_assert_str_eq(m.text, "failed to mount /proc: x");
}
END_TEST

START_TEST(test_decode_rejects)
{
	struct vps_sync_msg buf, m;
	char longtext[400];
	size_t n;

	memset(longtext, 'x', sizeof(longtext) - 1);
	longtext[sizeof(longtext) - 1] = '\0';
	n = vps_sync_encode(VPS_SYNC_EXEC, 0, longtext, &buf);
	ck_assert_uint_le(n, sizeof(buf));
	ck_assert_int_eq(vps_sync_decode(&buf, n, &m), 0);
	ck_assert_uint_eq(strlen(m.text), VPS_SYNC_TEXT_MAX - 1);
	ck_assert_int_eq(vps_sync_decode(&buf, 4, &m), -EBADMSG); /* short */
	n = vps_sync_encode(VPS_SYNC_EXEC, 0, "abc", &buf);
	ck_assert_int_eq(vps_sync_decode(&buf, n - 1, &m), -EBADMSG); /* no NUL */
	buf.stage = 77;
	ck_assert_int_eq(vps_sync_decode(&buf, n, &m), -EBADMSG); /* unknown stage */
	n = vps_sync_encode(VPS_SYNC_ERROR, 0, "no errno", &buf);
	ck_assert_int_eq(vps_sync_decode(&buf, n, &m), -EBADMSG); /* error without errno */
	n = vps_sync_encode(VPS_SYNC_EXEC, -EIO, "errno on a stage", &buf);
	ck_assert_int_eq(vps_sync_decode(&buf, n, &m), -EBADMSG);
}
END_TEST

START_TEST(test_socketpair_sequence)
{
	int sp[2];
	struct vps_error err = VPS_ERROR_INIT;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp), 0);
	ck_assert_int_eq(vps_sync_send(sp[1], VPS_SYNC_CHILD_READY, 0, NULL), 0);
	ck_assert_int_eq(vps_sync_expect(sp[0], VPS_SYNC_CHILD_READY, 1000, fresh(&err)), 0);
	/* a wrong stage is a protocol error */
	ck_assert_int_eq(vps_sync_send(sp[1], VPS_SYNC_EXEC, 0, NULL), 0);
	ck_assert_int_eq(vps_sync_expect(sp[0], VPS_SYNC_HOST_DONE, 1000, fresh(&err)), -EPROTO);
	/* the peer's error comes back as its errno and text */
	ck_assert_int_eq(vps_sync_send(sp[1], VPS_SYNC_ERROR, -EPERM, "failed to pivot_root: x"),
	                 0);
	ck_assert_int_eq(vps_sync_expect(sp[0], VPS_SYNC_EXEC, 1000, fresh(&err)), -EPERM);
	ck_assert_str_eq(err.msg, "failed to pivot_root: x");
	/* silence is a timeout, EOF is a dead peer */
	ck_assert_int_eq(vps_sync_expect(sp[0], VPS_SYNC_EXEC, 50, fresh(&err)), -ETIMEDOUT);
	close(sp[1]);
	ck_assert_int_eq(vps_sync_expect(sp[0], VPS_SYNC_EXEC, 1000, fresh(&err)), -EPIPE);
	close(sp[0]);
}
END_TEST

/* Init fails and exits while the host's last message to it is still unread: the kernel then
 * reports ECONNRESET before init's queued error (badinput saw "Connection reset by peer while
 * waiting for 'exec'" instead of init's reason, now and then). Its reason must come through. */
START_TEST(test_last_word_of_a_closed_peer)
{
	struct vps_error err = VPS_ERROR_INIT;
	struct vps_sync_msg m;
	int sp[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp), 0);
	ck_assert_int_eq(vps_sync_send(sp[0], VPS_SYNC_HOST_DONE, 0, NULL), 0);
	ck_assert_int_eq(vps_sync_send(sp[1], VPS_SYNC_ERROR, -ENOENT, "exec /sbin/init"), 0);
	close(sp[1]); /* with HOST_DONE unread */
	ck_assert_int_eq(vps_sync_expect(sp[0], VPS_SYNC_EXEC, 1000, &err), -ENOENT);
	ck_assert_str_eq(err.msg, "exec /sbin/init");
	/* and then the end, as EOF */
	ck_assert_int_eq(vps_sync_recv(sp[0], 1000, &m), -EPIPE);
	close(sp[0]);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sync");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_encode_decode);
	tcase_add_test(tc, test_decode_rejects);
	tcase_add_test(tc, test_socketpair_sequence);
	tcase_add_test(tc, test_last_word_of_a_closed_peer);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
