/* u-cluster.c: clustering of descriptors (core/cluster.h): separated groups,
 * a chain, a weak bridge, singletons, ranks, determinism, groups (photos),
 * representatives,
 * empty input, one face, bad options and allocation failures. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/cluster.h"
#include "core/search.h"

#define DIM KF_DESC_DIM

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static double unif(void)	/* [0, 1) */
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (double)(rng >> 11) / 9007199254740992.0;
}

/* v = c + a random direction scaled to length r */
static void around(float *v, const float *c, double r)
{
	double n2 = 0, d[DIM];

	for (int k = 0; k < DIM; k++) {
		d[k] = unif() - 0.5;
		n2 += d[k] * d[k];
	}
	for (int k = 0; k < DIM; k++)
		v[k] = (float)((c ? c[k] : 0) + d[k] * r / sqrt(n2));
}

static void axis(float *v, int ax, float x)
{
	memset(v, 0, DIM * sizeof(float));
	v[ax] = x;
}

static int run(const float *desc, size_t n, float t, uint32_t *lab, size_t *k)
{
	struct kf_cluster_opts o = KF_CLUSTER_OPTS_DEFAULT;
	struct kf_err err = KF_ERR_INIT;

	o.threshold = t;
	return kf_cluster(desc, n, &o, lab, k, &err);
}

/* Two groups 1.0 apart, interleaved, the smaller first: two clusters, rank 0
 * the larger. */
static void test_two_groups(void **state)
{
	float c[2][DIM], d[10 * DIM];
	uint32_t lab[10];
	size_t k;
	(void)state;

	axis(c[0], 0, 0.5f);
	axis(c[1], 0, -0.5f);
	for (int i = 0; i < 10; i++)	/* 0, 2, 4: group 1 (3 faces); others group 0 */
		around(d + i * DIM, c[i < 6 && i % 2 == 0 ? 1 : 0], 0.1);
	assert_int_equal(run(d, 10, 0.5f, lab, &k), KF_OK);
	assert_int_equal(k, 2);
	for (int i = 0; i < 10; i++)
		assert_int_equal(lab[i], i < 6 && i % 2 == 0 ? 1 : 0);
}

/* Faces 0.3 apart on a line: every neighbour linked, the ends not. Whatever
 * the whispers make of it, each cluster is a run of consecutive faces. */
static void test_chain(void **state)
{
	enum { N = 12 };
	float d[N * DIM];
	uint32_t lab[N];
	size_t k;
	(void)state;

	for (int i = 0; i < N; i++)
		axis(d + i * DIM, 0, 0.3f * (float)i);
	assert_int_equal(run(d, N, 0.5f, lab, &k), KF_OK);
	assert_true(k >= 1 && k <= N / 2);
	for (size_t c = 0; c < k; c++) {
		int first = -1, last = -1;

		for (int i = 0; i < N; i++)
			if (lab[i] == c) {
				if (first < 0)
					first = i;
				assert_true(last < 0 || last == i - 1);
				last = i;
			}
		assert_true(first >= 0);
	}
}

/* Two tight groups of 8 with one pair between them just under the threshold:
 * the bridge does not merge them (single linkage would). */
static void test_weak_bridge(void **state)
{
	enum { N = 16 };
	float c[2][DIM], d[N * DIM];
	uint32_t lab[N];
	size_t k;
	(void)state;

	axis(c[0], 1, 0.0f);
	axis(c[1], 1, 1.0f);
	for (int i = 0; i < N; i++)
		around(d + i * DIM, c[i / 8], 0.05);
	axis(d + 7 * DIM, 1, 0.28f);	/* 0.44 from face 8 */
	axis(d + 8 * DIM, 1, 0.72f);
	assert_true(kf_search_distance(d + 7 * DIM, d + 8 * DIM) < 0.5f);
	assert_int_equal(run(d, N, 0.5f, lab, &k), KF_OK);
	assert_int_equal(k, 2);
	for (int i = 0; i < N; i++)
		assert_int_equal(lab[i], i / 8);
}

/* Faces far apart: each alone, ranked by index. */
static void test_singletons(void **state)
{
	enum { N = 5 };
	float d[N * DIM];
	uint32_t lab[N];
	size_t k;
	(void)state;

	for (int i = 0; i < N; i++)
		axis(d + i * DIM, i, 1.0f);	/* 1.41 apart */
	assert_int_equal(run(d, N, 0.5f, lab, &k), KF_OK);
	assert_int_equal(k, N);
	for (int i = 0; i < N; i++)
		assert_int_equal(lab[i], i);
}

/* 60 identities of 1 to 19 faces in random order, over several tiles: the
 * clusters are the identities, ranked by size then first face, and a second
 * run gives the same labels. */
static void test_identities_and_determinism(void **state)
{
	enum { IDS = 60 };
	float centre[IDS][DIM], *d;
	int id[2000], size[IDS], n = 0;
	uint32_t *lab, *lab2, rank[IDS];
	size_t k, k2;
	(void)state;

	for (int c = 0; c < IDS; c++) {
		around(centre[c], NULL, 1.0);	/* centres about 1.4 apart */
		size[c] = 1 + c % 19;
	}
	for (int c = 0; c < IDS; c++)
		for (int f = 0; f < size[c]; f++)
			id[n++] = c;
	for (int i = n - 1; i > 0; i--) {	/* shuffle */
		int r = (int)(unif() * (i + 1)), t = id[i];

		id[i] = id[r];
		id[r] = t;
	}
	d = malloc((size_t)n * DIM * sizeof(float));
	lab = malloc((size_t)n * sizeof(uint32_t));
	lab2 = malloc((size_t)n * sizeof(uint32_t));
	assert_non_null(d);
	assert_non_null(lab);
	assert_non_null(lab2);
	for (int i = 0; i < n; i++)
		around(d + (size_t)i * DIM, centre[id[i]], 0.15);
	assert_int_equal(run(d, (size_t)n, 0.5f, lab, &k), KF_OK);
	assert_int_equal(k, IDS);
	for (int c = 0; c < IDS; c++)
		rank[c] = UINT32_MAX;
	for (int i = 0; i < n; i++) {	/* one label per identity, one identity per label */
		if (rank[id[i]] == UINT32_MAX)
			rank[id[i]] = lab[i];
		assert_int_equal(lab[i], rank[id[i]]);
	}
	for (int c = 0; c < IDS; c++)
		for (int e = 0; e < IDS; e++) {
			int first_c = -1, first_e = -1;

			if (c == e)
				continue;
			assert_true(rank[c] != rank[e]);
			for (int i = 0; i < n && (first_c < 0 || first_e < 0); i++) {
				if (id[i] == c && first_c < 0)
					first_c = i;
				if (id[i] == e && first_e < 0)
					first_e = i;
			}
			if (size[c] > size[e] || (size[c] == size[e] && first_c < first_e))
				assert_true(rank[c] < rank[e]);
		}
	assert_int_equal(run(d, (size_t)n, 0.5f, lab2, &k2), KF_OK);
	assert_int_equal(k2, k);
	assert_memory_equal(lab, lab2, (size_t)n * sizeof(uint32_t));
	free(d);
	free(lab);
	free(lab2);
}

/* max_links: two crowds of 40 near-identical faces, each face keeping its 6
 * nearest links only: the clusters stay within a crowd, and few. */
static void test_max_links(void **state)
{
	enum { N = 80 };
	struct kf_cluster_opts o = KF_CLUSTER_OPTS_DEFAULT;
	struct kf_err err = KF_ERR_INIT;
	float c[2][DIM], d[N * DIM];
	uint32_t lab[N];
	size_t k;
	(void)state;

	axis(c[0], 5, 0.5f);
	axis(c[1], 5, -0.5f);
	for (int i = 0; i < N; i++)
		around(d + i * DIM, c[i % 2], 0.05);
	o.max_links = 6;
	assert_int_equal(kf_cluster(d, N, &o, lab, &k, &err), KF_OK);
	assert_true(k >= 2 && k <= 8);
	for (int i = 0; i < N; i++)
		for (int j = 0; j < i; j++)
			if (lab[i] == lab[j])
				assert_int_equal(i % 2, j % 2);
}

/* Groups (photos): two near-identical faces of one photo stay apart, and a
 * third face close to both joins only one of them; never two faces of one
 * group in a cluster, on random data either. */
static void test_groups(void **state)
{
	enum { N = 300 };
	struct kf_cluster_opts o = KF_CLUSTER_OPTS_DEFAULT;
	struct kf_err err = KF_ERR_INIT;
	float c[DIM], d[N * DIM];
	uint32_t lab[N], group[N] = { 7, 7, 9 };
	size_t k;
	(void)state;

	axis(c, 3, 0.2f);
	for (int i = 0; i < 3; i++)
		around(d + i * DIM, c, 0.05);
	o.group = group;
	assert_int_equal(kf_cluster(d, 3, &o, lab, &k, &err), KF_OK);
	assert_int_equal(k, 2);
	assert_true(lab[0] != lab[1]);
	assert_true(lab[2] == lab[0] || lab[2] == lab[1]);
	o.group = NULL;
	assert_int_equal(kf_cluster(d, 3, &o, lab, &k, &err), KF_OK);
	assert_int_equal(k, 1);
	/* 10 people in 30 photos of 10 faces each, loose enough to tempt merges */
	for (int p = 0; p < 10; p++) {
		float *centre = d + (size_t)(N - 1) * DIM;

		around(centre, NULL, 0.3);
		for (int f = 0; f < 30; f++) {
			int i = p * 30 + f;

			if (i < N - 1)
				around(d + (size_t)i * DIM, centre, 0.3);
			group[i] = (uint32_t)((i * 7) % 30);
		}
	}
	o.group = group;
	assert_int_equal(kf_cluster(d, N, &o, lab, &k, &err), KF_OK);
	for (int i = 0; i < N; i++)
		for (int j = 0; j < i; j++)
			assert_false(group[i] == group[j] && lab[i] == lab[j]);
}

static void test_empty_one_and_bad(void **state)
{
	struct kf_cluster_opts o = KF_CLUSTER_OPTS_DEFAULT;
	struct kf_err err = KF_ERR_INIT;
	float d[DIM];
	uint32_t lab[1] = { 7 }, rep[1];
	size_t k = 9;
	(void)state;

	assert_int_equal(kf_cluster(NULL, 0, NULL, NULL, &k, &err), KF_OK);
	assert_int_equal(k, 0);
	assert_int_equal(kf_cluster_representatives(NULL, 0, NULL, 0, NULL, NULL, &err), KF_OK);
	axis(d, 0, 0.2f);
	assert_int_equal(kf_cluster(d, 1, NULL, lab, &k, &err), KF_OK);
	assert_int_equal(k, 1);
	assert_int_equal(lab[0], 0);
	assert_int_equal(kf_cluster_representatives(d, 1, lab, 1, NULL, rep, &err), KF_OK);
	assert_int_equal(rep[0], 0);
	o.threshold = 0;
	assert_int_equal(kf_cluster(d, 1, &o, lab, &k, &err), KF_E_INVALID);
	assert_true(strstr(err.msg, "threshold") != NULL);
	o.threshold = NAN;
	assert_int_equal(kf_cluster(d, 1, &o, lab, &k, NULL), KF_E_INVALID);
}

/* The face nearest the mean; an exact tie goes to the larger box. */
static void test_representatives(void **state)
{
	float d[5 * DIM], size[5] = { 10, 10, 10, 20, 30 };
	uint32_t lab[5] = { 0, 0, 0, 1, 1 }, rep[2];
	struct kf_err err = KF_ERR_INIT;
	(void)state;

	axis(d + 0 * DIM, 0, 0.0f);
	axis(d + 1 * DIM, 0, 0.1f);	/* the mean */
	axis(d + 2 * DIM, 0, 0.2f);
	axis(d + 3 * DIM, 1, 0.3f);	/* both 0.05 from the mean: the larger wins */
	axis(d + 4 * DIM, 1, 0.4f);
	assert_int_equal(kf_cluster_representatives(d, 5, lab, 2, size, rep, &err), KF_OK);
	assert_int_equal(rep[0], 1);
	assert_int_equal(rep[1], 4);
	assert_int_equal(kf_cluster_representatives(d, 5, lab, 2, NULL, rep, &err), KF_OK);
	assert_int_equal(rep[1], 3);
}

/* Each allocation failing in turn: KF_E_NOMEM, nothing leaked (ASan). */
static void test_nomem(void **state)
{
	enum { N = 30 };
	struct kf_cluster_opts o = KF_CLUSTER_OPTS_DEFAULT;
	float d[N * DIM], c[DIM];
	uint32_t lab[N], rep[N], group[N];
	struct kf_err err = KF_ERR_INIT;
	size_t k;
	long calls;
	(void)state;

	axis(c, 0, 0.0f);
	for (int i = 0; i < N; i++) {
		around(d + i * DIM, c, i % 2 ? 0.1 : 2.0);
		group[i] = (uint32_t)(i % 7);
	}
	o.group = group;
	kf_alloc_fail_at(0);
	assert_int_equal(kf_cluster(d, N, &o, lab, &k, &err), KF_OK);
	assert_int_equal(kf_cluster_representatives(d, N, lab, k, NULL, rep, &err), KF_OK);
	calls = kf_alloc_fail_at(0);
	assert_true(calls > 0);
	for (long i = 1; i <= calls; i++) {
		struct kf_err e2 = KF_ERR_INIT;
		int rc;

		kf_alloc_fail_at(i);
		rc = kf_cluster(d, N, &o, lab, &k, &e2);
		if (rc == KF_OK)
			rc = kf_cluster_representatives(d, N, lab, k, NULL, rep, &e2);
		assert_int_equal(rc, KF_E_NOMEM);
		assert_true(strstr(e2.msg, "out of memory") != NULL);
	}
	kf_alloc_fail_at(0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_groups),
		cmocka_unit_test(test_chain),
		cmocka_unit_test(test_weak_bridge),
		cmocka_unit_test(test_singletons),
		cmocka_unit_test(test_identities_and_determinism),
		cmocka_unit_test(test_max_links),
		cmocka_unit_test(test_groups),
		cmocka_unit_test(test_empty_one_and_bad),
		cmocka_unit_test(test_representatives),
		cmocka_unit_test(test_nomem),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
