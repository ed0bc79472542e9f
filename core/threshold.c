/* threshold.c: the auto threshold from a gallery's own impostor pairs
 * (threshold.h). */
#include "core/threshold.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

static double phi(double z)	/* standard normal CDF */
{
	return 0.5 * erfc(-z / sqrt(2.0));
}

double kf_threshold_expected(double mean, double sd, size_t clients, float t)
{
	double d = kf_search_distance_at(t);

	if (isinf(d))
		return 1000.0 * (double)clients;
	return 1000.0 * (double)clients * phi((d - mean) / sd);
}

/* Pairs of clients (indexes into kf_search.client_ids, a < b) that are one
 * person: two of their references closer than KF_THRESHOLD_SAME_PERSON. */
struct same {
	uint32_t (*ab)[2];
	size_t n, cap;
};

static int is_same(const struct same *sm, uint32_t a, uint32_t b)
{
	for (size_t k = 0; k < sm->n; k++)
		if (sm->ab[k][0] == a && sm->ab[k][1] == b)
			return 1;
	return 0;
}

/* References i and j of different clients: their distance into v[*n]; with
 * sm, also out's closest pair, and into sm their clients when they are one
 * person; with found, nothing for one person's clients (out->same counts
 * them). -1 when sm cannot grow. */
static int pair(const struct kf_search *s, size_t i, size_t j, float *v, size_t *n,
		struct same *sm, const struct same *found, struct kf_threshold_auto *out)
{
	uint32_t a = s->ref_client[i], b = s->ref_client[j], t;
	float d;

	if (a > b)
		t = a, a = b, b = t;
	if (found && is_same(found, a, b)) {
		out->same++;
		return 0;
	}
	d = kf_search_distance(s->desc + i * KF_DESC_DIM, s->desc + j * KF_DESC_DIM);
	v[(*n)++] = d;
	if (!sm)
		return 0;
	if (!out->closest_a || d < out->closest_d) {
		out->closest_d = d;
		out->closest_a = s->client_ids[a];
		out->closest_b = s->client_ids[b];
	}
	if (d >= KF_THRESHOLD_SAME_PERSON || is_same(sm, a, b))
		return 0;
	if (sm->n == sm->cap) {
		size_t cap = sm->cap ? 2 * sm->cap : 8;
		uint32_t (*ab)[2] = kf_realloc(sm->ab, cap * sizeof(*ab));

		if (!ab)
			return -1;
		sm->ab = ab;
		sm->cap = cap;
	}
	sm->ab[sm->n][0] = a;
	sm->ab[sm->n++][1] = b;
	return 0;
}

/* Distances between references of different clients, into v (at most
 * KF_THRESHOLD_MAX_PAIRS: all of them, or a fixed pseudo-random sample when
 * there are more); returns how many, or -1 out of memory. With sm, the pairs
 * of clients that are one person are found too; with found, their pairs are
 * left out (and counted in out->same). */
static long impostor_pairs(const struct kf_search *s, float *v, struct same *sm,
			   const struct same *found, struct kf_threshold_auto *out)
{
	size_t r = s->nrefs, n = 0;
	int rc = 0;

	if (r < 2)
		return 0;
	if (r * (r - 1) / 2 <= KF_THRESHOLD_MAX_PAIRS) {
		for (size_t i = 0; i < r && !rc; i++)
			for (size_t j = i + 1; j < r && !rc; j++)
				if (s->ref_client[i] != s->ref_client[j])
					rc = pair(s, i, j, v, &n, sm, found, out);
		return rc ? -1 : (long)n;
	}
	uint64_t x = 0x9e3779b97f4a7c15u;

	for (size_t k = 0; k < KF_THRESHOLD_MAX_PAIRS && !rc; k++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;	/* xorshift64 */
		size_t i = (size_t)(x % r), j = (size_t)((x >> 32) % r);

		if (s->ref_client[i] != s->ref_client[j])
			rc = pair(s, i, j, v, &n, sm, found, out);
	}
	return rc ? -1 : (long)n;
}

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return (x > y) - (x < y);
}

/* The share of the n sorted distances below d. */
static double below(const float *sorted, size_t n, double d)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (sorted[mid] < d)
			lo = mid + 1;
		else
			hi = mid;
	}
	return n ? (double)lo / (double)n : 0;
}

/* P(impostor distance < d): the normal model, or the measured share when
 * that is higher (a few look-alikes in a large gallery) */
static double p_below(const struct kf_threshold_auto *a, const float *sorted, size_t n, double d)
{
	double p = phi((d - a->mean) / a->sd), e = below(sorted, n, d);

	return e > p ? e : p;
}

void kf_threshold_solve(float *pairs, size_t n, size_t clients, double target,
			struct kf_threshold_auto *out)
{
	const double n0 = KF_THRESHOLD_PRIOR_PAIRS, m0 = KF_THRESHOLD_PRIOR_MEAN;
	const double v0 = KF_THRESHOLD_PRIOR_SD * KF_THRESHOLD_PRIOR_SD;
	double sum = 0, sum2 = 0, mean = 0, var = 0, m, lo = 0, hi;
	float t;

	if (n)
		qsort(pairs, n, sizeof(*pairs), cmp_float);
	for (size_t i = 0; i < n; i++)
		sum += pairs[i];
	if (n) {
		mean = sum / (double)n;
		for (size_t i = 0; i < n; i++)
			sum2 += (pairs[i] - mean) * (pairs[i] - mean);
		var = sum2 / (double)n;
	}
	out->clients = clients;
	out->pairs = n;
	m = ((double)n * mean + n0 * m0) / ((double)n + n0);
	out->mean = m;
	out->sd = sqrt(((double)n * (var + (mean - m) * (mean - m)) +
			n0 * (v0 + (m0 - m) * (m0 - m))) / ((double)n + n0));
	out->bound = 0;
	if (clients == 0) {
		out->threshold = KF_THRESHOLD_FLOOR;
		out->expected = 0;
		out->bound = -1;
		return;
	}
	/* the largest distance at which one chance per client stays in target */
	hi = m;
	for (int i = 0; i < 60; i++) {
		double d = (lo + hi) / 2;

		if (1000.0 * (double)clients * p_below(out, pairs, n, d) > target)
			hi = d;
		else
			lo = d;
	}
	t = kf_search_similarity((float)lo);
	t = ceilf(t * 10.0f) / 10.0f;
	if (t < KF_THRESHOLD_FLOOR) {
		t = KF_THRESHOLD_FLOOR;
		out->bound = -1;
	} else if (t > KF_THRESHOLD_CEIL) {
		t = KF_THRESHOLD_CEIL;
		out->bound = 1;
	}
	out->threshold = t;
	out->expected = 1000.0 * (double)clients *
			p_below(out, pairs, n, kf_search_distance_at(t));
}

int kf_threshold_auto(const struct kf_search *s, double target, struct kf_threshold_auto *out,
		      struct kf_err *err)
{
	size_t r = s->nrefs, cap = r * (r - 1) / 2;
	struct same sm = { NULL, 0, 0 };
	float *v = NULL;
	long got;

	memset(out, 0, sizeof(*out));
	cap = cap < KF_THRESHOLD_MAX_PAIRS ? cap : KF_THRESHOLD_MAX_PAIRS;
	if (cap && !(v = kf_malloc_array(cap, sizeof(*v))))
		return kf_err_set(err, KF_E_NOMEM, "out of memory for the auto threshold");
	if ((got = impostor_pairs(s, v, &sm, NULL, out)) >= 0 && sm.n)
		got = impostor_pairs(s, v, NULL, &sm, out);	/* again, without them */
	out->same_clients = sm.n;
	kf_free(sm.ab);
	if (got < 0) {
		kf_free(v);
		return kf_err_set(err, KF_E_NOMEM, "out of memory for the auto threshold");
	}
	kf_threshold_solve(v, (size_t)got, s->nclients, target, out);
	out->refs = r;
	kf_free(v);
	return KF_OK;
}
