/* u-arena.c: the scratch arena grows, aligns, and settles into one block. */
#include "testutil.h"

#include <stdint.h>
#include <string.h>

#include "core/alloc.h"
#include "core/arena.h"

static void test_alloc_align_reset(void **state)
{
	struct kf_arena a = KF_ARENA_INIT;
	(void)state;

	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 100; i++) {
			unsigned char *p = kf_arena_alloc(&a, (size_t)(i * 1000 + 1));
			assert_non_null(p);
			assert_int_equal((uintptr_t)p % 64, 0);
			memset(p, 0xab, (size_t)(i * 1000 + 1));
		}
		kf_arena_reset(&a);
		/* after a reset the arena is one block that fits the high-water mark */
		assert_non_null(a.head);
		assert_int_equal(a.used_total, 0);
	}
	assert_null(kf_arena_alloc_array(&a, SIZE_MAX / 2, 4));
	kf_arena_release(&a);
	kf_arena_release(&a);
}

static void test_alloc_failure(void **state)
{
	struct kf_arena a = KF_ARENA_INIT;
	(void)state;

	kf_alloc_fail_at(1);
	assert_null(kf_arena_alloc(&a, 10));
	assert_non_null(kf_arena_alloc(&a, 10));
	kf_arena_release(&a);
	kf_alloc_fail_at(0);
}

/* A round that rewinds past the blocks it chained (a worker's photo: the
 * engine gives its scratch back) still leaves the reset arena one block that
 * fits the round: the next round allocates nothing. */
static void test_rewind_then_reset(void **state)
{
	struct kf_arena a = KF_ARENA_INIT;
	(void)state;

	for (int round = 0; round < 3; round++) {
		struct kf_arena_mark m = kf_arena_mark(&a);
		long made;

		kf_alloc_fail_at(0);	/* count from here */
		for (int i = 0; i < 8; i++)
			assert_non_null(kf_arena_alloc(&a, (size_t)3 << 20));
		kf_arena_rewind(&a, m);
		made = kf_alloc_fail_at(0);
		if (round > 0)
			assert_int_equal(made, 0);
		else
			assert_true(made > 0);
		kf_arena_reset(&a);
	}
	kf_arena_release(&a);
}

/* Over the limit, trimming gives every block back; under it, it is a reset. */
static void test_trim(void **state)
{
	struct kf_arena a = KF_ARENA_INIT;
	(void)state;

	assert_non_null(kf_arena_alloc(&a, (size_t)3 << 20));
	kf_arena_trim(&a, (size_t)4 << 20);
	assert_non_null(a.head);
	assert_int_equal(a.used_total, 0);
	assert_non_null(kf_arena_alloc(&a, (size_t)5 << 20));
	kf_arena_trim(&a, (size_t)4 << 20);
	assert_null(a.head);
	assert_int_equal(a.high_water, 0);
	assert_non_null(kf_arena_alloc(&a, 100));
	kf_arena_release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alloc_align_reset),
		cmocka_unit_test(test_rewind_then_reset),
		cmocka_unit_test(test_trim),
		cmocka_unit_test(test_alloc_failure),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
