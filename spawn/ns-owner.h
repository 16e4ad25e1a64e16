/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/* Who owns a VPS's user namespace. The kernel charges what is made inside a user namespace
 * (inotify instances and watches, namespaces, fanotify groups) to its owner in the parent
 * namespace too, against that owner's limit there (fs.inotify.max_user_instances, 128 by
 * default). A namespace made by host root charges host root: one tenant could use up root's
 * share for the node's own services and every other VPS. Made while the creator's effective
 * uid is the VPS's first host uid, it charges that uid alone, so each VPS spends its own.
 *
 * Only the effective uid changes, for the clone: the file-system uid stays host root, so the
 * child resolves host paths with the same ids as before, and the parent is root again once
 * the clone returned. (A namespace made by non-root also takes the creator's RLIMIT_NPROC, the
 * node's, as the cap of all processes in it: above any pids quota a VPS gets.) */
struct ns_owner {
	bool active;
	int dumpable;
};

/* Before the clone (the caller must be host root): effective uid OWNER. */
int ns_owner_enter(uid_t owner, struct ns_owner *o);
/* After the clone, in the parent: root again. Returns -errno if that failed (the caller must
 * not go on as anything but root: it aborts the start). */
int ns_owner_leave(struct ns_owner *o);
/* First thing in the child: the dumpability it would have had (a change of euid reset it). */
void ns_owner_child(const struct ns_owner *o);
