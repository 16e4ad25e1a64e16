/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "idrange.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

bool vps_idmap_base_valid(uint64_t base)
{
	return base >= VPS_IDMAP_SIZE && base + VPS_IDMAP_SIZE <= UINT32_MAX &&
	       (base + VPS_IDMAP_SIZE <= VPS_IDMAP_TEMPLATE_BASE ||
	        base >= (uint64_t)VPS_IDMAP_TEMPLATE_BASE + VPS_IDMAP_SIZE);
}

int vps_idmap_pick(uint64_t start, uint64_t limit, const uint64_t *used, size_t n,
                   uint64_t *ret_base)
{
	_cleanup_free_ uint64_t *sorted = malloc((n + 1) * sizeof(*sorted));
	uint64_t base = start < VPS_IDMAP_SIZE ? VPS_IDMAP_SIZE : start;

	if (!sorted)
		return -ENOMEM;
	if (n)
		memcpy(sorted, used, n * sizeof(*sorted));
	/* the template block counts as taken */
	sorted[n++] = VPS_IDMAP_TEMPLATE_BASE;
	qsort(sorted, n, sizeof(*sorted), cmp_u64);
	/* First fit: walk the used blocks in order and take the first gap that holds one. */
	for (size_t i = 0; i < n; i++) {
		if (sorted[i] + VPS_IDMAP_SIZE <= base)
			continue;
		if (sorted[i] >= base + VPS_IDMAP_SIZE)
			break;
		base = sorted[i] + VPS_IDMAP_SIZE;
	}
	if (base + VPS_IDMAP_SIZE > limit)
		return -ENOSPC;
	*ret_base = base;
	return 0;
}
