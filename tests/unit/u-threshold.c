/* u-threshold.c: the auto threshold on synthetic populations of clients. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>

#include "core/search.h"
#include "core/threshold.h"

/* A gallery of n clients with refs references each: clients are random points
 * whose pairwise distances are about spread * 16 (Gaussian components of sd
 * `spread`, 2 * 128 * spread^2 = d^2), references the client plus a little
 * noise. Deterministic for a seed. */
static void population(struct kf_search *s, int n, int refs, double spread, unsigned seed)
{
	struct kf_err err = KF_ERR_INIT;
	float c[KF_DESC_DIM], r[KF_DESC_DIM];

	srand(seed);
	kf_search_init(s);
	for (int i = 0; i < n; i++) {
		double scale = spread * (0.85 + 0.3 * rand() / (double)RAND_MAX);

		for (int k = 0; k < KF_DESC_DIM; k++) {	/* Box-Muller */
			double u = (rand() + 1.0) / (RAND_MAX + 2.0), v = rand() / (RAND_MAX + 1.0);

			c[k] = (float)(scale * sqrt(-2 * log(u)) * cos(2 * M_PI * v));
		}
		for (int j = 0; j < refs; j++) {
			for (int k = 0; k < KF_DESC_DIM; k++)
				r[k] = c[k] + (float)((rand() / (double)RAND_MAX - 0.5) * 0.02);
			assert_int_equal(kf_search_add(s, 1 + i, r, &err), KF_OK);
		}
	}
}

static void test_empty_and_one_client(void **state)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_threshold_auto a;
	struct kf_search s;
	(void)state;

	kf_search_init(&s);
	assert_int_equal(kf_threshold_auto(&s, KF_THRESHOLD_TARGET, &a, &err), KF_OK);
	assert_float_equal(a.threshold, KF_THRESHOLD_FLOOR, 0);
	assert_int_equal(a.bound, -1);
	assert_int_equal(a.refs, 0);
	kf_search_release(&s);

	/* one client: no impostor pair, the prior alone (0.82, 0.08): 5 per 1,000
	 * at d = 0.82 - 2.576 * 0.08 = 0.614, similarity 72: the floor decides */
	population(&s, 1, 1, 0.05, 1);
	assert_int_equal(kf_threshold_auto(&s, KF_THRESHOLD_TARGET, &a, &err), KF_OK);
	assert_int_equal(a.pairs, 0);
	assert_float_equal(a.mean, KF_THRESHOLD_PRIOR_MEAN, 1e-9);
	assert_float_equal(a.sd, KF_THRESHOLD_PRIOR_SD, 1e-9);
	assert_float_equal(a.threshold, KF_THRESHOLD_FLOOR, 0);
	assert_int_equal(a.bound, -1);
	assert_true(a.expected < KF_THRESHOLD_TARGET);
	kf_search_release(&s);
}

/* More clients, more chances: the threshold rises with the gallery, and the
 * expected false matches stay at or under the target when it decides. */
static void test_grows_with_clients(void **state)
{
	static const int sizes[] = { 10, 100, 1000 };
	float prev = 0;
	(void)state;

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct kf_err err = KF_ERR_INIT;
		struct kf_threshold_auto a;
		struct kf_search s;

		population(&s, sizes[i], 1, 0.055, 7);	/* pairs about 0.88 apart */
		assert_int_equal(kf_threshold_auto(&s, KF_THRESHOLD_TARGET, &a, &err), KF_OK);
		assert_int_equal(a.clients, (size_t)sizes[i]);
		assert_true(a.mean > 0.8 && a.mean < 0.95);
		assert_true(a.threshold > prev);
		if (a.bound == 0) {
			assert_true(a.expected <= KF_THRESHOLD_TARGET + 1e-9);
			/* 0.1 lower would be over the target: the least strict that meets it */
			assert_true(kf_threshold_expected(a.mean, a.sd, a.clients,
							  a.threshold - 0.1f) > KF_THRESHOLD_TARGET);
		}
		prev = a.threshold;
		kf_search_release(&s);
	}
}

/* Clients that look alike (a school class) need a stricter threshold than
 * the same number of clients that do not. */
static void test_alike_population_is_stricter(void **state)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_threshold_auto alike, apart;
	struct kf_search s;
	(void)state;

	population(&s, 50, 2, 0.042, 3);	/* about 0.67 apart */
	assert_int_equal(kf_threshold_auto(&s, KF_THRESHOLD_TARGET, &alike, &err), KF_OK);
	kf_search_release(&s);
	population(&s, 50, 2, 0.062, 3);	/* about 0.99 apart */
	assert_int_equal(kf_threshold_auto(&s, KF_THRESHOLD_TARGET, &apart, &err), KF_OK);
	kf_search_release(&s);
	assert_true(alike.mean < apart.mean);
	assert_true(alike.threshold > apart.threshold);
	assert_int_equal(alike.refs, 100);
	/* pairs of references of one client are not impostor pairs */
	assert_int_equal(alike.pairs, 100 * 99 / 2 - 50);
	assert_int_equal(alike.bound, 1);	/* this close: nothing but the ceiling */
	assert_float_equal(alike.threshold, KF_THRESHOLD_CEIL, 0);
}

/* One person enrolled as two clients (or twins): their pairs are left out,
 * counted and named, and the threshold is what the other clients give; kept
 * in, their share of the pairs put it at the ceiling. */
static void test_same_person_left_out(void **state)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_threshold_auto base, dup;
	struct kf_search s;
	float d[KF_DESC_DIM];
	(void)state;

	population(&s, 20, 2, 0.055, 5);	/* pairs about 0.88 apart */
	assert_int_equal(kf_threshold_auto(&s, KF_THRESHOLD_TARGET, &base, &err), KF_OK);
	assert_int_equal(base.same, 0);
	assert_int_equal(base.same_clients, 0);
	assert_true(base.closest_a > 0 && base.closest_d > KF_THRESHOLD_SAME_PERSON);
	/* client 21: client 7's references again, a little moved */
	for (int r = 0; r < 2; r++) {
		for (int k = 0; k < KF_DESC_DIM; k++)
			d[k] = s.desc[(12 + r) * KF_DESC_DIM + k] + (k % 2 ? 0.01f : -0.01f);
		assert_int_equal(kf_search_add(&s, 21, d, &err), KF_OK);
	}
	assert_int_equal(kf_threshold_auto(&s, KF_THRESHOLD_TARGET, &dup, &err), KF_OK);
	assert_int_equal(dup.same_clients, 1);
	assert_int_equal(dup.same, 4);		/* 2 references x 2 */
	assert_true(dup.closest_a == 7 && dup.closest_b == 21);
	assert_true(dup.closest_d < 0.2f);
	assert_int_equal(dup.pairs, 42 * 41 / 2 - 21 - 4);
	assert_true(dup.bound != 1);
	assert_true(fabsf(dup.threshold - base.threshold) < 2.0f);
	/* the same pairs with those 4 in: the ceiling */
	{
		float v[42 * 41 / 2];
		size_t n = 0;
		struct kf_threshold_auto all;

		for (size_t i = 0; i < s.nrefs; i++)
			for (size_t j = i + 1; j < s.nrefs; j++)
				if (s.ref_client[i] != s.ref_client[j])
					v[n++] = kf_search_distance(s.desc + i * KF_DESC_DIM,
								    s.desc + j * KF_DESC_DIM);
		assert_int_equal(n, dup.pairs + 4);
		kf_threshold_solve(v, n, 21, KF_THRESHOLD_TARGET, &all);
		assert_int_equal(all.bound, 1);
	}
	kf_search_release(&s);
}

/* Past KF_THRESHOLD_MAX_PAIRS a fixed sample: the same answer every time,
 * close to the whole population's. */
static void test_sampled_pairs(void **state)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_threshold_auto a, b;
	struct kf_search s;
	(void)state;

	population(&s, 1100, 1, 0.055, 11);	/* 604,450 pairs */
	assert_int_equal(kf_threshold_auto(&s, KF_THRESHOLD_TARGET, &a, &err), KF_OK);
	assert_int_equal(kf_threshold_auto(&s, KF_THRESHOLD_TARGET, &b, &err), KF_OK);
	assert_true(a.pairs <= KF_THRESHOLD_MAX_PAIRS && a.pairs > KF_THRESHOLD_MAX_PAIRS * 9 / 10);
	assert_float_equal(a.threshold, b.threshold, 0);
	assert_float_equal(a.mean, b.mean, 0);
	assert_true(a.mean > 0.8 && a.mean < 0.95);
	kf_search_release(&s);
}

static void test_expected(void **state)
{
	(void)state;
	/* at the mean half of the impostors are closer: 500 per 1,000 per client */
	assert_float_equal(kf_threshold_expected(0.6, 0.1, 1, 80.0f), 500, 1e-3);
	assert_float_equal(kf_threshold_expected(0.6, 0.1, 4, 80.0f), 2000, 4e-3);
	/* one sd below: 158.7 */
	assert_float_equal(kf_threshold_expected(0.7, 0.1, 1, 80.0f), 158.655, 1e-3);
	assert_true(kf_threshold_expected(0.82, 0.08, 10, 90.0f) <
		    kf_threshold_expected(0.82, 0.08, 10, 85.0f));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_and_one_client),
		cmocka_unit_test(test_grows_with_clients),
		cmocka_unit_test(test_alike_population_is_stricter),
		cmocka_unit_test(test_same_person_left_out),
		cmocka_unit_test(test_sampled_pairs),
		cmocka_unit_test(test_expected),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
