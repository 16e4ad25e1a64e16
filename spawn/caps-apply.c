/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Applying a VPS's capability mask (model/caps.h computes it) to the calling process. */
#include <errno.h>
#include <linux/capability.h>
#include <stdint.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "caps.h"
#include "cleanup.h"
#include "log.h"
#include "security.h"

static void cap_freep(cap_t *c)
{
	int saved = errno;

	if (*c)
		(void)cap_free(*c);
	errno = saved;
}
#define _cleanup_cap_ _cleanup_(cap_freep)

static int drop_bounding(uint64_t keep)
{
	for (int c = 0; c < 64; c++) {
		int r = prctl(PR_CAPBSET_READ, (unsigned long)c, 0, 0, 0);

		if (r < 0)
			return errno == EINVAL ? 0 : -errno;
		if (r == 0 || (keep & VPS_CAP_BIT(c)))
			continue;
		if (prctl(PR_CAPBSET_DROP, (unsigned long)c, 0, 0, 0) < 0)
			return log_debug_errno(
				-errno, "Dropping capability %d from the bounding set: %m", c);
	}
	return 0;
}

static int set_process_caps(uint64_t keep)
{
	_cleanup_cap_ cap_t caps = cap_init(); /* all three sets empty */
	cap_value_t list[64];
	int n = 0;

	if (!caps)
		return -ENOMEM;
	for (int c = 0; c <= CAP_LAST_CAP; c++)
		if ((keep & VPS_CAP_BIT(c)) && CAP_IS_SUPPORTED(c))
			list[n++] = c;
	if (n > 0 && (cap_set_flag(caps, CAP_PERMITTED, n, list, CAP_SET) < 0 ||
	              cap_set_flag(caps, CAP_EFFECTIVE, n, list, CAP_SET) < 0))
		return -errno;
	if (cap_set_proc(caps) < 0)
		return log_debug_errno(-errno, "capset: %m");
	return 0;
}

int vps_caps_apply(uint64_t keep)
{
	int r = drop_bounding(keep);

	if (r < 0)
		return r;
	/* Ambient capabilities would survive exec; inheritable ones could be picked up by file
	 * capabilities: both end empty. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		return log_debug_errno(-errno, "Clearing the ambient capabilities: %m");
	return set_process_caps(keep);
}
