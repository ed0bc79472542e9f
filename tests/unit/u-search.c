/* u-search.c: descriptor search: similarity mapping, mean over references,
 * threshold, ordering, best below, and agreement with a brute-force loop. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/search.h"

/* A descriptor at distance d from the zero vector along axis `axis`. */
static void axis_desc(float *v, int axis, float d)
{
	memset(v, 0, KF_DESC_DIM * sizeof(float));
	v[axis] = d;
}

/* The documented fixed points (core/search.h, docs/similarity.md), strictly
 * decreasing in between, and the inverse. */
static void test_similarity_mapping(void **state)
{
	static const struct { float d, sim; } rows[] = {
		{ 0.0f, 100.0f }, { 0.3f, 99.989f }, { 0.5f, 99.116f }, { 0.55f, 95.49f },
		{ 0.6f, 80.0f }, { 0.65f, 43.04f }, { 0.7f, 12.49f }, { 0.8f, 0.506f },
		{ 1.5f, 0.0f }, { 4.0f, 0.0f },
	};
	float prev = 101;
	(void)state;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		assert_float_equal(kf_search_similarity(rows[i].d), rows[i].sim, 0.01);
	for (float d = 0.30f; d <= 0.95f; d += 0.01f) {
		float sim = kf_search_similarity(d);

		assert_true(sim < prev && sim > 0 && sim < 100);
		prev = sim;
		assert_float_equal(kf_search_distance_at(sim), d, 1e-4);
	}
	assert_float_equal(kf_search_distance_at(80), 0.6, 1e-6);
	assert_float_equal(kf_search_distance_at(100), 0, 0);
	assert_true(isinf(kf_search_distance_at(0)));
}

static void test_query_orders_and_best_below(void **state)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_search s;
	struct kf_search_hit hits[4], below;
	float v[KF_DESC_DIM], q[KF_DESC_DIM];
	size_t n;
	(void)state;

	kf_search_init(&s);
	/* client 7: two references, 0.5 and 0.3 away (mean 0.4); 9: one; 11: far */
	axis_desc(v, 0, 0.5f); assert_int_equal(kf_search_add(&s, 7, v, &err), KF_OK);
	axis_desc(v, 0, 0.3f); assert_int_equal(kf_search_add(&s, 7, v, &err), KF_OK);
	axis_desc(v, 1, 0.45f); assert_int_equal(kf_search_add(&s, 9, v, &err), KF_OK);
	axis_desc(v, 2, 0.9f); assert_int_equal(kf_search_add(&s, 11, v, &err), KF_OK);
	axis_desc(v, 3, 2.0f); assert_int_equal(kf_search_add(&s, 13, v, &err), KF_OK);
	axis_desc(q, 0, 0.0f);

	assert_int_equal(kf_search_query(&s, q, 80.0f, hits, 4, &n, &below, &err), KF_OK);
	assert_int_equal(n, 2);
	assert_int_equal(hits[0].client_id, 7);		/* mean of its references: 0.4 */
	assert_float_equal(hits[0].similarity, kf_search_similarity(0.4f), 1e-4);
	assert_float_equal(hits[0].distance, 0.4f, 1e-6);
	assert_int_equal(hits[1].client_id, 9);
	assert_float_equal(hits[1].similarity, kf_search_similarity(0.45f), 1e-4);
	assert_int_equal(below.client_id, 11);		/* 0.9: far below */
	assert_float_equal(below.similarity, kf_search_similarity(0.9f), 1e-4);

	/* max_hits keeps the best */
	assert_int_equal(kf_search_query(&s, q, 0.0f, hits, 1, &n, &below, &err), KF_OK);
	assert_int_equal(n, 1);
	assert_int_equal(hits[0].client_id, 7);
	assert_int_equal(below.client_id, 0);

	/* nothing at or above 99.99 (client 7 is 99.968) */
	assert_int_equal(kf_search_query(&s, q, 99.99f, hits, 4, &n, &below, &err), KF_OK);
	assert_int_equal(n, 0);
	assert_int_equal(below.client_id, 7);
	kf_search_release(&s);
}

static void test_empty_and_nomem(void **state)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_search s;
	struct kf_search_hit hits[2], below;
	float q[KF_DESC_DIM] = { 0 };
	size_t n = 5;
	(void)state;

	kf_search_init(&s);
	assert_int_equal(kf_search_query(&s, q, 80.0f, hits, 2, &n, &below, &err), KF_OK);
	assert_int_equal(n, 0);
	assert_int_equal(below.client_id, 0);
	kf_alloc_fail_at(1);
	assert_int_equal(kf_search_add(&s, 1, q, &err), KF_E_NOMEM);
	kf_alloc_fail_at(0);
	assert_int_equal(kf_search_add(&s, 1, q, &err), KF_OK);
	kf_alloc_fail_at(1);
	assert_int_equal(kf_search_query(&s, q, 80.0f, hits, 2, &n, &below, &err), KF_E_NOMEM);
	kf_alloc_fail_at(0);
	kf_search_release(&s);
	kf_search_release(&s);
}

static void test_agrees_with_brute_force(void **state)
{
	enum { CLIENTS = 40, REFS = 3, FACES = 50 };
	struct kf_err err = KF_ERR_INIT;
	static float refs[CLIENTS * REFS][KF_DESC_DIM];
	struct kf_search s;
	struct kf_search_hit hits[CLIENTS], below;
	float q[KF_DESC_DIM];
	size_t n;
	(void)state;

	srand(42);
	kf_search_init(&s);
	for (int r = 0; r < CLIENTS * REFS; r++) {
		for (int k = 0; k < KF_DESC_DIM; k++)
			refs[r][k] = (float)rand() / (float)RAND_MAX * 0.2f - 0.1f;
		assert_int_equal(kf_search_add(&s, 100 + r % CLIENTS, refs[r], &err), KF_OK);
	}
	for (int f = 0; f < FACES; f++) {
		for (int k = 0; k < KF_DESC_DIM; k++)
			q[k] = refs[f % (CLIENTS * REFS)][k] + ((float)rand() / (float)RAND_MAX - 0.5f) * 0.05f;
		assert_int_equal(kf_search_query(&s, q, 75.0f, hits, CLIENTS, &n, &below, &err),
				 KF_OK);
		for (int c = 0; c < CLIENTS; c++) {
			double bestd = 0;	/* the mean over the client's references */

			for (int r = c; r < CLIENTS * REFS; r += CLIENTS) {
				double d2 = 0;
				for (int k = 0; k < KF_DESC_DIM; k++)
					d2 += ((double)q[k] - refs[r][k]) * ((double)q[k] - refs[r][k]);
				bestd += sqrt(d2) / REFS;
			}
			double sim = 100 / (1 + exp((bestd - 0.6) / 0.03) / 4);
			int found = 0;
			for (size_t h = 0; h < n; h++)
				if (hits[h].client_id == 100 + c) {
					assert_float_equal(hits[h].similarity, sim, 1e-3);
					found = 1;
				}
			assert_int_equal(found, sim >= 75.0 + 1e-3 ? 1 : found);
			if (sim < 75.0 - 1e-3)
				assert_int_equal(found, 0);
		}
		for (size_t h = 1; h < n; h++)
			assert_true(hits[h - 1].similarity >= hits[h].similarity);
	}
	kf_search_release(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_similarity_mapping),
		cmocka_unit_test(test_query_orders_and_best_below),
		cmocka_unit_test(test_empty_and_nomem),
		cmocka_unit_test(test_agrees_with_brute_force),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
