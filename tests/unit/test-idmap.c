/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <check.h>
#include <errno.h>
#include <stdlib.h>

#include "idmap.h"

#define S VPS_IDMAP_SIZE

START_TEST(test_pick)
{
	uint64_t base;
	const uint64_t used1[] = {1000000};
	const uint64_t unsorted[] = {1000000 + 2 * S, 1000000};
	const uint64_t odd[] = {1000000 + 100}; /* a hand-made range overlapping the first slot */

	ck_assert_int_eq(vps_idmap_pick(1000000, UINT32_MAX, NULL, 0, &base), 0);
	ck_assert_uint_eq(base, 1000000);
	ck_assert_int_eq(vps_idmap_pick(1000000, UINT32_MAX, used1, 1, &base), 0);
	ck_assert_uint_eq(base, 1000000 + S);
	/* first fit: the gap between the two used blocks */
	ck_assert_int_eq(vps_idmap_pick(1000000, UINT32_MAX, unsorted, 2, &base), 0);
	ck_assert_uint_eq(base, 1000000 + S);
	/* never overlapping, even a misaligned block */
	ck_assert_int_eq(vps_idmap_pick(1000000, UINT32_MAX, odd, 1, &base), 0);
	ck_assert_uint_eq(base, 1000000 + 100 + S);
	/* the id space ends */
	ck_assert_int_eq(vps_idmap_pick(1000000, 1000000 + S - 1, NULL, 0, &base), -ENOSPC);
	ck_assert_int_eq(vps_idmap_pick(1000000, 1000000 + 2 * S, used1, 1, &base), 0);
	ck_assert_int_eq(vps_idmap_pick(1000000, 1000000 + 2 * S - 1, used1, 1, &base), -ENOSPC);
}
END_TEST

START_TEST(test_pick_disjoint_many)
{
	uint64_t used[200], base;

	/* 200 allocations in a row never overlap one another */
	for (size_t n = 0; n < 200; n++) {
		ck_assert_int_eq(vps_idmap_pick(1000000, UINT32_MAX, used, n, &base), 0);
		for (size_t i = 0; i < n; i++)
			ck_assert(base + S <= used[i] || used[i] + S <= base);
		used[n] = base;
	}
}
END_TEST

START_TEST(test_template_block)
{
	const uint64_t T = VPS_IDMAP_TEMPLATE_BASE;
	uint64_t base;

	/* never handed out: a start just below it skips past it */
	ck_assert_int_eq(vps_idmap_pick(T - S + 1, UINT32_MAX, NULL, 0, &base), 0);
	ck_assert_uint_eq(base, T + S);
	ck_assert_int_eq(vps_idmap_pick(T, UINT32_MAX, NULL, 0, &base), 0);
	ck_assert_uint_eq(base, T + S);
	/* nor the host's own ids */
	ck_assert_int_eq(vps_idmap_pick(0, UINT32_MAX, NULL, 0, &base), 0);
	ck_assert_uint_eq(base, S);
	ck_assert(vps_idmap_base_valid(1000000));
	ck_assert(vps_idmap_base_valid(T - S));
	ck_assert(vps_idmap_base_valid(T + S));
	ck_assert(!vps_idmap_base_valid(0));
	ck_assert(!vps_idmap_base_valid(S - 1));
	ck_assert(!vps_idmap_base_valid(T - S + 1));
	ck_assert(!vps_idmap_base_valid(T));
	ck_assert(!vps_idmap_base_valid(T + S - 1));
	ck_assert(!vps_idmap_base_valid((uint64_t)UINT32_MAX - S + 1));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("idmap");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_pick);
	tcase_add_test(tc, test_pick_disjoint_many);
	tcase_add_test(tc, test_template_block);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
