/* u-pool.c: the worker pool: every worker runs, counters add up, a stop wakes
 * sleeping workers at once, and bad sizes are refused. */
#include "testutil.h"

#include <stdatomic.h>
#include <time.h>

#include "core/pool.h"

static atomic_int ran;

static void count_jobs(void *ctx, int worker, struct kf_pool *p)
{
	(void)ctx;
	atomic_fetch_add(&ran, 1);
	for (int i = 0; i < 1000; i++)
		kf_pool_add(p, KF_POOL_DONE, 1);
	kf_pool_add(p, KF_POOL_FAILED, worker);
}

static void test_counters(void **state)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_pool_snapshot s;
	struct kf_pool *p;
	(void)state;

	atomic_store(&ran, 0);
	assert_int_equal(kf_pool_start(&p, 4, count_jobs, NULL, &err), KF_OK);
	kf_pool_add(p, KF_POOL_TOTAL, 4000);
	do
		kf_pool_snapshot(p, &s);
	while (!s.finished);
	assert_int_equal(s.v[KF_POOL_DONE], 4000);
	assert_int_equal(s.v[KF_POOL_TOTAL], 4000);
	assert_int_equal(s.v[KF_POOL_FAILED], 0 + 1 + 2 + 3);
	assert_false(s.stopping);
	kf_pool_join(p);
	assert_int_equal(atomic_load(&ran), 4);
	kf_pool_join(NULL);
}

static void sleep_long(void *ctx, int worker, struct kf_pool *p)
{
	(void)ctx;
	(void)worker;
	while (!kf_pool_sleep(p, 60000))
		;
}

static void test_stop_wakes_sleepers(void **state)
{
	struct kf_err err = KF_ERR_INIT;
	struct timespec t0, t1;
	struct kf_pool *p;
	(void)state;

	assert_int_equal(kf_pool_start(&p, 3, sleep_long, NULL, &err), KF_OK);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	kf_pool_stop(p);
	kf_pool_stop(p);	/* idempotent */
	kf_pool_join(p);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(t1.tv_sec - t0.tv_sec < 5);
}

static void test_bad_size(void **state)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_pool *p;
	(void)state;

	assert_int_equal(kf_pool_start(&p, 0, count_jobs, NULL, &err), KF_E_INVALID);
	assert_null(p);
	assert_int_equal(kf_pool_start(&p, 65, count_jobs, NULL, &err), KF_E_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counters),
		cmocka_unit_test(test_stop_wakes_sleepers),
		cmocka_unit_test(test_bad_size),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
