/* u-assign.c: one client per photo and ambiguous faces (core/assign.h), on
 * hand-made hits: ties, more faces than clients and the reverse, a face that
 * loses its best client (to its next-best, or to none), the margin just
 * inside and just outside, a competitor assigned elsewhere, the margin off,
 * the candidate cap, groups of faces, the optimum against an exhaustive
 * search, and allocation failures. Similarities and distances are set by
 * hand: nothing here depends on the similarity scale. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/assign.h"

#define OFF (-1.0f)

struct h {
	int64_t client;
	float sim, dist;
};

/* A face with the hits given best first, and a best below (client 0: none). */
static void face(struct kf_match_face *f, const struct h *hits, size_t n, struct h below)
{
	memset(f, 0, sizeof(*f));
	for (size_t k = 0; k < n; k++) {
		f->hits[k].client_id = hits[k].client;
		f->hits[k].similarity = hits[k].sim;
		f->hits[k].distance = hits[k].dist;
	}
	f->nhits = n;
	f->best_below.client_id = below.client;
	f->best_below.similarity = below.sim;
	f->best_below.distance = below.dist;
}

#define FACE(f, below, ...) do { \
		static const struct h hs_[] = { __VA_ARGS__ }; \
		face((f), hs_, sizeof(hs_) / sizeof(hs_[0]), (below)); \
	} while (0)
#define NONE ((struct h){ 0, 0, 0 })

static void assign(struct kf_match_face *f, size_t n, float margin)
{
	struct kf_err err = KF_ERR_INIT;

	assert_int_equal(kf_match_assign(f, n, margin, &err), KF_OK);
	for (size_t i = 0; i < n; i++) {	/* the invariants, whatever the case */
		assert_true(f[i].nhits <= 1);
		assert_true(f[i].nambiguous == 0 || (f[i].nhits == 0 && f[i].nambiguous >= 2));
		assert_true(f[i].nambiguous <= KF_MATCH_MAX_AMBIGUOUS);
		for (size_t j = 0; j < i; j++)
			assert_false(f[i].nhits && f[j].nhits &&
				     f[i].hits[0].client_id == f[j].hits[0].client_id);
	}
}

static int64_t who(const struct kf_match_face *f)
{
	return f->nhits ? f->hits[0].client_id : 0;
}

static void test_ties(void **state)
{
	struct kf_match_face f[3];
	(void)state;

	/* two faces, one client, equal similarity: the earlier face */
	FACE(&f[0], NONE, { 7, 85, 0.45f });
	FACE(&f[1], NONE, { 7, 85, 0.45f });
	assign(f, 2, OFF);
	assert_int_equal(who(&f[0]), 7);
	assert_int_equal(who(&f[1]), 0);

	/* one face, two clients, equal similarity: the lower client id (the
	 * search ranks ties by client id) */
	FACE(&f[0], NONE, { 3, 85, 0.45f }, { 5, 85, 0.45f });
	assign(f, 1, OFF);
	assert_int_equal(who(&f[0]), 3);

	/* two faces, two clients, all equal: the earlier face takes its first */
	FACE(&f[0], NONE, { 3, 85, 0.45f }, { 5, 85, 0.45f });
	FACE(&f[1], NONE, { 3, 85, 0.45f }, { 5, 85, 0.45f });
	assign(f, 2, OFF);
	assert_int_equal(who(&f[0]), 3);
	assert_int_equal(who(&f[1]), 5);

	/* the same again: deterministic */
	FACE(&f[0], NONE, { 3, 85, 0.45f }, { 5, 85, 0.45f });
	FACE(&f[1], NONE, { 3, 85, 0.45f }, { 5, 85, 0.45f });
	FACE(&f[2], NONE, { 3, 85, 0.45f });
	assign(f, 3, OFF);
	/* face 2 can only be 3: then 0 and 1 share 5 and one of them is left;
	 * the total is the same either way (170): the earlier faces first */
	assert_int_equal(who(&f[0]), 3);
	assert_int_equal(who(&f[1]), 5);
	assert_int_equal(who(&f[2]), 0);
}

static void test_more_faces_than_clients(void **state)
{
	struct kf_match_face f[4];
	(void)state;

	FACE(&f[0], NONE, { 1, 90, 0.30f }, { 2, 82, 0.54f });
	FACE(&f[1], NONE, { 1, 88, 0.36f }, { 2, 86, 0.42f });
	FACE(&f[2], NONE, { 1, 84, 0.48f });
	memset(&f[3], 0, sizeof(f[3]));		/* a face with no hit at all */
	assign(f, 4, OFF);
	/* 90 + 86 = 176 beats 82 + 88 = 170 and anything with face 2 */
	assert_int_equal(who(&f[0]), 1);
	assert_int_equal(who(&f[1]), 2);
	assert_float_equal(f[1].hits[0].similarity, 86, 1e-6);
	assert_int_equal(who(&f[2]), 0);
	assert_int_equal(who(&f[3]), 0);
}

static void test_more_clients_than_faces(void **state)
{
	struct kf_match_face f[2];
	(void)state;

	/* face 0 loses its best client (1) to face 1 and takes its next-best
	 * (2): 85 + 89 = 174 beats 90 + 80.5 */
	FACE(&f[0], NONE, { 1, 90, 0.30f }, { 2, 85, 0.45f }, { 3, 81, 0.57f });
	FACE(&f[1], NONE, { 1, 89, 0.33f }, { 4, 80.5f, 0.585f });
	assign(f, 2, OFF);
	assert_int_equal(who(&f[0]), 2);
	assert_float_equal(f[0].hits[0].distance, 0.45f, 1e-6);
	assert_int_equal(who(&f[1]), 1);

	/* here keeping face 0's best is worth more: 90 + 85 > 84 + 89 */
	FACE(&f[0], NONE, { 1, 90, 0.30f }, { 2, 84, 0.48f });
	FACE(&f[1], NONE, { 1, 89, 0.33f }, { 4, 85, 0.45f });
	assign(f, 2, OFF);
	assert_int_equal(who(&f[0]), 1);
	assert_int_equal(who(&f[1]), 4);
}

static void test_loses_with_no_next_best(void **state)
{
	struct kf_match_face f[2];
	(void)state;

	FACE(&f[0], NONE, { 1, 80.5f, 0.585f });
	FACE(&f[1], ((struct h){ 2, 79, 0.63f }), { 1, 92, 0.24f });
	assign(f, 2, OFF);
	assert_int_equal(who(&f[0]), 0);
	assert_int_equal(f[0].nambiguous, 0);
	assert_int_equal(who(&f[1]), 1);
	/* best below is left as it was */
	assert_int_equal(f[1].best_below.client_id, 2);
}

static void test_margin(void **state)
{
	struct kf_match_face f[1];
	(void)state;

	/* just inside: 0.449 - 0.400 <= 0.05 */
	FACE(&f[0], NONE, { 1, 86.7f, 0.400f }, { 2, 85.0f, 0.449f }, { 3, 82, 0.54f });
	assign(f, 1, KF_MATCH_MARGIN);
	assert_int_equal(f[0].nhits, 0);
	assert_int_equal(f[0].nambiguous, 2);
	assert_int_equal(f[0].ambiguous[0].client_id, 1);	/* best first */
	assert_int_equal(f[0].ambiguous[1].client_id, 2);
	assert_float_equal(f[0].ambiguous[1].similarity, 85.0f, 1e-6);

	/* just outside: 0.451 - 0.400 > 0.05 */
	FACE(&f[0], NONE, { 1, 86.7f, 0.400f }, { 2, 85.0f, 0.451f });
	assign(f, 1, KF_MATCH_MARGIN);
	assert_int_equal(who(&f[0]), 1);
	assert_int_equal(f[0].nambiguous, 0);

	/* the best below the threshold is a competitor too */
	FACE(&f[0], ((struct h){ 9, 79.5f, 0.615f }), { 4, 80.5f, 0.585f });
	assign(f, 1, KF_MATCH_MARGIN);
	assert_int_equal(f[0].nhits, 0);
	assert_int_equal(f[0].nambiguous, 2);
	assert_int_equal(f[0].ambiguous[0].client_id, 4);
	assert_int_equal(f[0].ambiguous[1].client_id, 9);

	/* ... only within the margin */
	FACE(&f[0], ((struct h){ 9, 77, 0.69f }), { 4, 80.5f, 0.585f });
	assign(f, 1, KF_MATCH_MARGIN);
	assert_int_equal(who(&f[0]), 4);

	/* margin off (Rekognition: similarities only): never ambiguous */
	FACE(&f[0], NONE, { 1, 86.7f, 0 }, { 2, 86.6f, 0 });
	assign(f, 1, OFF);
	assert_int_equal(who(&f[0]), 1);
	assert_int_equal(f[0].nambiguous, 0);

	/* at most KF_MATCH_MAX_AMBIGUOUS candidates, the best */
	FACE(&f[0], NONE, { 1, 90, 0.300f }, { 2, 89.9f, 0.303f }, { 3, 89.8f, 0.306f },
	     { 4, 89.7f, 0.309f }, { 5, 89.6f, 0.312f }, { 6, 89.5f, 0.315f });
	assign(f, 1, KF_MATCH_MARGIN);
	assert_int_equal(f[0].nhits, 0);
	assert_int_equal(f[0].nambiguous, KF_MATCH_MAX_AMBIGUOUS);
	for (size_t k = 0; k < KF_MATCH_MAX_AMBIGUOUS; k++)
		assert_int_equal(f[0].ambiguous[k].client_id, (int64_t)k + 1);
}

static void test_competitor_assigned_elsewhere(void **state)
{
	struct kf_match_face f[2];
	(void)state;

	/* client 2 is within face 0's margin, but it is face 1 */
	FACE(&f[0], NONE, { 1, 86.7f, 0.40f }, { 2, 86.0f, 0.42f });
	FACE(&f[1], NONE, { 2, 90, 0.30f });
	assign(f, 2, KF_MATCH_MARGIN);
	assert_int_equal(who(&f[0]), 1);
	assert_int_equal(f[0].nambiguous, 0);
	assert_int_equal(who(&f[1]), 2);

	/* the same as a best below of face 0 */
	FACE(&f[0], ((struct h){ 2, 79.5f, 0.615f }), { 1, 80.5f, 0.585f });
	FACE(&f[1], NONE, { 2, 90, 0.30f });
	assign(f, 2, KF_MATCH_MARGIN);
	assert_int_equal(who(&f[0]), 1);
	assert_int_equal(who(&f[1]), 2);

	/* a client another face wanted but did not get still competes */
	FACE(&f[0], NONE, { 1, 86.7f, 0.40f }, { 2, 86.0f, 0.42f });
	FACE(&f[1], NONE, { 1, 80.1f, 0.597f });
	assign(f, 2, KF_MATCH_MARGIN);
	/* 86.0 + 80.1 beats 86.7 alone: face 0 takes 2 and face 1 takes 1,
	 * which is then someone else: face 0 is not ambiguous */
	assert_int_equal(who(&f[0]), 2);
	assert_int_equal(f[0].nambiguous, 0);
	assert_int_equal(who(&f[1]), 1);
}

static void test_ambiguous_face_and_others(void **state)
{
	struct kf_match_face f[3];
	(void)state;

	/* face 0 ambiguous between 1 and 2 (3 is face 2's), face 1 sure of 4 */
	FACE(&f[0], NONE, { 1, 85, 0.45f }, { 2, 84.5f, 0.465f }, { 3, 84, 0.48f });
	FACE(&f[1], NONE, { 4, 95, 0.15f });
	FACE(&f[2], NONE, { 3, 91, 0.27f });
	assign(f, 3, KF_MATCH_MARGIN);
	assert_int_equal(f[0].nhits, 0);
	assert_int_equal(f[0].nambiguous, 2);
	assert_int_equal(f[0].ambiguous[0].client_id, 1);
	assert_int_equal(f[0].ambiguous[1].client_id, 2);
	assert_int_equal(who(&f[1]), 4);
	assert_int_equal(who(&f[2]), 3);
}

static void test_groups(void **state)
{
	struct kf_match_face f[6];
	(void)state;

	/* two separate conflicts and a face alone */
	FACE(&f[0], NONE, { 1, 90, 0.30f }, { 2, 85, 0.45f });
	FACE(&f[1], NONE, { 5, 88, 0.36f });
	FACE(&f[2], NONE, { 1, 89, 0.33f });
	FACE(&f[3], NONE, { 5, 95, 0.15f }, { 6, 82, 0.54f });
	FACE(&f[4], NONE, { 7, 81, 0.57f });
	memset(&f[5], 0, sizeof(f[5]));
	assign(f, 6, OFF);
	assert_int_equal(who(&f[0]), 2);
	assert_int_equal(who(&f[1]), 5);
	assert_int_equal(who(&f[2]), 1);
	assert_int_equal(who(&f[3]), 6);	/* 88 + 82 > 95 */
	assert_int_equal(who(&f[4]), 7);
	assert_int_equal(who(&f[5]), 0);
}

/* ---- the optimum, against an exhaustive search ---------------------------- */

#define RF 5	/* faces */
#define RC 6	/* clients */

static long long best_total(const struct kf_match_face *f, size_t i, unsigned used)
{
	long long best = i + 1 < RF ? best_total(f, i + 1, used) : 0;	/* face i: none */

	for (size_t k = 0; k < f[i].nhits; k++) {
		unsigned bit = 1u << f[i].hits[k].client_id;
		long long t;

		if (used & bit)
			continue;
		t = llroundf(f[i].hits[k].similarity * 1000.0f) +
		    (i + 1 < RF ? best_total(f, i + 1, used | bit) : 0);
		if (t > best)
			best = t;
	}
	return best;
}

static void test_optimum(void **state)
{
	struct kf_match_face f[RF];
	(void)state;

	srand(17);
	for (int round = 0; round < 500; round++) {
		long long want, got = 0;

		for (size_t i = 0; i < RF; i++) {
			memset(&f[i], 0, sizeof(f[i]));
			for (int64_t c = 1; c <= RC; c++) {
				float sim;

				if (rand() % 3 == 0)
					continue;
				/* coarse similarities: ties are frequent */
				sim = 80.0f + (float)(rand() % 20) * 0.5f;
				f[i].hits[f[i].nhits].client_id = c;
				f[i].hits[f[i].nhits].similarity = sim;
				f[i].hits[f[i].nhits].distance = (100.0f - sim) * 0.03f;
				f[i].nhits++;
			}
			/* best first, ties by client id */
			for (size_t a = 1; a < f[i].nhits; a++)
				for (size_t b = a; b > 0 &&
				     f[i].hits[b].similarity > f[i].hits[b - 1].similarity; b--) {
					struct kf_search_hit t = f[i].hits[b];

					f[i].hits[b] = f[i].hits[b - 1];
					f[i].hits[b - 1] = t;
				}
		}
		want = best_total(f, 0, 0);
		assign(f, RF, OFF);
		for (size_t i = 0; i < RF; i++)
			if (f[i].nhits)
				got += llroundf(f[i].hits[0].similarity * 1000.0f);
		assert_int_equal(got, want);
	}
}

static void test_nomem_and_empty(void **state)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_match_face f[2], keep[2];
	long n;
	(void)state;

	assert_int_equal(kf_match_assign(NULL, 0, KF_MATCH_MARGIN, &err), KF_OK);
	FACE(&f[0], NONE, { 1, 90, 0.30f }, { 2, 85, 0.45f });
	FACE(&f[1], NONE, { 1, 89, 0.33f });
	memcpy(keep, f, sizeof(f));
	kf_alloc_fail_at(0);
	assert_int_equal(kf_match_assign(f, 2, KF_MATCH_MARGIN, &err), KF_OK);
	n = kf_alloc_fail_at(0);
	assert_true(n > 0);
	for (long i = 1; i <= n; i++) {
		memcpy(f, keep, sizeof(f));
		kf_err_clear(&err);
		kf_alloc_fail_at(i);
		assert_int_equal(kf_match_assign(f, 2, KF_MATCH_MARGIN, &err), KF_E_NOMEM);
		assert_memory_equal(f, keep, sizeof(f));	/* unchanged */
		assert_non_null(strstr(err.msg, "out of memory"));
	}
	kf_alloc_fail_at(0);
}

/* Reviews (kf_match_review_apply): a rejected client leaves the face and the
 * face takes its next-best; a confirmed one is the face's whatever its
 * similarity, leaves the other faces, and its face is never ambiguous; a
 * review finds its face by box when the indices moved, and waits when no
 * face covers it; the latest word counts. */
static void box(struct kf_match_face *f, float x)
{
	f->box = (struct kf_box){ x, 0.1f, 0.1f, 0.2f };	/* fractions */
}

static void test_reviews(void **state)
{
	struct kf_match_face f[3];
	struct kf_match_review r[3];
	(void)state;

	/* face 0: Ana 99 then Bia 95; face 1: Ana 97 */
	FACE(&f[0], NONE, { 1, 99, 0.40f }, { 2, 95, 0.55f });
	FACE(&f[1], NONE, { 1, 97, 0.45f });
	box(&f[0], 0.1f), box(&f[1], 0.5f);
	r[0] = (struct kf_match_review){ { 0.1f, 0.1f, 0.1f, 0.2f }, 0, 1, 0 };	/* not Ana */
	kf_match_review_apply(f, 2, 1, 1, r, 1, NULL);
	assign(f, 2, OFF);
	assert_int_equal(who(&f[0]), 2);	/* its next-best */
	assert_int_equal(who(&f[1]), 1);	/* Ana, free now */

	/* confirmed on face 1 although the engine gave it nothing: Bia leaves
	 * face 0, and a close competitor makes no doubt on a confirmed face */
	FACE(&f[0], NONE, { 2, 99, 0.40f });
	FACE(&f[1], ((struct h){ 3, 70, 0.62f }), { 1, 90, 0.60f });
	box(&f[0], 0.1f), box(&f[1], 0.5f);
	r[0] = (struct kf_match_review){ { 0.5f, 0.1f, 0.1f, 0.2f }, 1, 2, 1 };
	kf_match_review_apply(f, 2, 1, 1, r, 1, NULL);
	assert_true(f[1].confirmed);
	assign(f, 2, 0.05f);
	assert_int_equal(who(&f[0]), 0);
	assert_int_equal(who(&f[1]), 2);
	assert_int_equal(f[1].nambiguous, 0);

	/* indices moved (a face was found before it): the box finds the face */
	FACE(&f[0], NONE, { 5, 99, 0.3f });
	FACE(&f[1], NONE, { 1, 99, 0.3f });
	FACE(&f[2], NONE, { 2, 99, 0.3f });
	box(&f[0], 0.0f), box(&f[1], 0.3f), box(&f[2], 0.6f);
	r[0] = (struct kf_match_review){ { 0.6f, 0.1f, 0.1f, 0.2f }, 1, 2, 0 };	/* was face 1 */
	assert_int_equal(kf_match_review_face(f, 3, 1, 1, &r[0]), 2);
	kf_match_review_apply(f, 3, 1, 1, r, 1, NULL);
	assign(f, 3, OFF);
	assert_int_equal(who(&f[1]), 1);
	assert_int_equal(who(&f[2]), 0);

	/* no face where the review was: it waits; pixels scale the box */
	r[0] = (struct kf_match_review){ { 0.9f, 0.7f, 0.05f, 0.05f }, 0, 5, 0 };
	assert_int_equal(kf_match_review_face(f, 3, 1, 1, &r[0]), -1);
	f[0].box = (struct kf_box){ 0, 100, 100, 200 };	/* pixels of 1000 x 1000 */
	r[0] = (struct kf_match_review){ { 0.0f, 0.1f, 0.1f, 0.2f }, 0, 5, 0 };
	assert_int_equal(kf_match_review_face(f, 3, 1000, 1000, &r[0]), 0);

	/* the latest word counts: rejected, then confirmed */
	FACE(&f[0], NONE, { 1, 99, 0.4f });
	box(&f[0], 0.1f);
	r[0] = (struct kf_match_review){ { 0.1f, 0.1f, 0.1f, 0.2f }, 0, 1, 0 };
	r[1] = (struct kf_match_review){ { 0.1f, 0.1f, 0.1f, 0.2f }, 0, 1, 1 };
	kf_match_review_apply(f, 1, 1, 1, r, 2, NULL);
	assign(f, 1, OFF);
	assert_int_equal(who(&f[0]), 1);
	assert_true(f[0].confirmed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ties),
		cmocka_unit_test(test_more_faces_than_clients),
		cmocka_unit_test(test_more_clients_than_faces),
		cmocka_unit_test(test_loses_with_no_next_best),
		cmocka_unit_test(test_margin),
		cmocka_unit_test(test_competitor_assigned_elsewhere),
		cmocka_unit_test(test_ambiguous_face_and_others),
		cmocka_unit_test(test_groups),
		cmocka_unit_test(test_optimum),
		cmocka_unit_test(test_nomem_and_empty),
		cmocka_unit_test(test_reviews),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
