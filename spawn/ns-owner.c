/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "ns-owner.h"

/* Raw syscalls: this thread's ids only (glibc would signal every thread to change theirs), and
 * the file-system uid set back by hand after the euid moved it. */
static int set_euid(uid_t euid)
{
	if (syscall(SYS_setresuid, -1, euid, -1) < 0)
		return -errno;
	/* setresuid moved the fsuid with the euid; setfsuid reports the old one, never fails */
	(void)syscall(SYS_setfsuid, 0);
	return syscall(SYS_setfsuid, -1) == 0 ? 0 : -EPERM;
}

int ns_owner_enter(uid_t owner, struct ns_owner *o)
{
	int r;

	o->active = false;
	o->dumpable = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
	if (o->dumpable < 0)
		return log_debug_errno(-errno, "PR_GET_DUMPABLE: %m");
	r = set_euid(owner);
	if (r < 0) {
		(void)syscall(SYS_setresuid, -1, 0, -1);
		return log_debug_errno(r, "effective uid %u for the user namespace: %m", owner);
	}
	o->active = true;
	return 0;
}

int ns_owner_leave(struct ns_owner *o)
{
	if (!o->active)
		return 0;
	o->active = false;
	/* euid 0 again: the effective capabilities come back from the permitted set */
	if (syscall(SYS_setresuid, -1, 0, -1) < 0 || geteuid() != 0)
		return log_debug_errno(-EPERM, "could not become root again after the clone");
	if (prctl(PR_SET_DUMPABLE, o->dumpable, 0, 0, 0) < 0)
		return log_debug_errno(-errno, "restore dumpable: %m");
	return 0;
}

void ns_owner_child(const struct ns_owner *o)
{
	if (!o->active)
		return;
	/* setting dumpable to what it was cannot fail */
	(void)prctl(PR_SET_DUMPABLE, o->dumpable, 0, 0, 0);
}
