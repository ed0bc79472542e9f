/* threshold.c: the auto threshold from a gallery's own impostor pairs
 * (threshold.h). */
#include "core/threshold.h"

#include <math.h>
#include <string.h>

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

struct moments {
	size_t n;
	double mean, m2;	/* Welford */
};

static void add(struct moments *m, double x)
{
	double delta = x - m->mean;

	m->n++;
	m->mean += delta / (double)m->n;
	m->m2 += delta * (x - m->mean);
}

static void pair(const struct kf_search *s, size_t i, size_t j, struct moments *m)
{
	if (s->ref_client[i] != s->ref_client[j])
		add(m, kf_search_distance(s->desc + i * KF_DESC_DIM, s->desc + j * KF_DESC_DIM));
}

/* Distances between references of different clients: all of them, or a fixed
 * pseudo-random sample of KF_THRESHOLD_MAX_PAIRS when there are more. */
static void impostor_pairs(const struct kf_search *s, struct moments *m)
{
	size_t r = s->nrefs;

	if (r < 2)
		return;
	if (r * (r - 1) / 2 <= KF_THRESHOLD_MAX_PAIRS) {
		for (size_t i = 0; i < r; i++)
			for (size_t j = i + 1; j < r; j++)
				pair(s, i, j, m);
		return;
	}
	uint64_t x = 0x9e3779b97f4a7c15u;

	for (size_t k = 0; k < KF_THRESHOLD_MAX_PAIRS; k++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;	/* xorshift64 */
		size_t i = (size_t)(x % r), j = (size_t)((x >> 32) % r);

		if (i != j)
			pair(s, i, j, m);
	}
}

void kf_threshold_auto(const struct kf_search *s, double target, struct kf_threshold_auto *out)
{
	const double n0 = KF_THRESHOLD_PRIOR_PAIRS, m0 = KF_THRESHOLD_PRIOR_MEAN;
	const double v0 = KF_THRESHOLD_PRIOR_SD * KF_THRESHOLD_PRIOR_SD;
	struct moments m = { 0, 0, 0 };
	double n, mean, var, lo = -40, hi = 0, p;
	float t;

	memset(out, 0, sizeof(*out));
	out->clients = s->nclients;
	out->refs = s->nrefs;
	impostor_pairs(s, &m);
	out->pairs = m.n;
	n = (double)m.n;
	mean = (n * m.mean + n0 * m0) / (n + n0);
	var = n ? m.m2 / n : 0;
	var = (n * (var + (m.mean - mean) * (m.mean - mean)) +
	       n0 * (v0 + (m0 - mean) * (m0 - mean))) / (n + n0);
	out->mean = mean;
	out->sd = sqrt(var);
	if (s->nrefs == 0) {
		out->threshold = KF_THRESHOLD_FLOOR;
		out->bound = -1;
		return;
	}
	/* the z at which one chance per client gives target per 1,000: phi(z) = p */
	p = target / (1000.0 * (double)s->nclients);
	for (int i = 0; i < 100; i++) {
		double z = (lo + hi) / 2;

		if (phi(z) > p)
			hi = z;
		else
			lo = z;
	}
	t = kf_search_similarity((float)(mean + lo * out->sd));
	t = ceilf(t * 10.0f) / 10.0f;
	if (t < KF_THRESHOLD_FLOOR) {
		t = KF_THRESHOLD_FLOOR;
		out->bound = -1;
	} else if (t > KF_THRESHOLD_CEIL) {
		t = KF_THRESHOLD_CEIL;
		out->bound = 1;
	}
	out->threshold = t;
	out->expected = kf_threshold_expected(mean, out->sd, s->nclients, t);
}
