/* search.c: brute-force descriptor search (search.h). */
#include "core/search.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/clones.h"

void kf_search_init(struct kf_search *s)
{
	memset(s, 0, sizeof(*s));
}

void kf_search_release(struct kf_search *s)
{
	kf_free(s->desc);
	kf_free(s->ref_client);
	kf_free(s->client_ids);
	kf_search_init(s);
}

/* Squared distance. Eight independent partial sums let the compiler use wide
 * vectors; target_clones picks AVX2 or AVX-512 at load time when present. */
KF_TARGET_CLONES
static float dist2(const float *a, const float *b)
{
	float acc[16] = { 0 };

	for (int i = 0; i < KF_DESC_DIM; i += 16)
		for (int j = 0; j < 16; j++) {
			float d = a[i + j] - b[i + j];
			acc[j] += d * d;
		}
	float sum = 0;
	for (int j = 0; j < 16; j++)
		sum += acc[j];
	return sum;
}

float kf_search_distance(const float *a, const float *b)
{
	return sqrtf(dist2(a, b));
}

#define SIM_D80 0.6	/* distance at similarity 80 */
#define SIM_SCALE 0.03	/* distance per unit of log-odds */

float kf_search_similarity(float d)
{
	return (float)(100.0 / (1.0 + exp(((double)d - SIM_D80) / SIM_SCALE) / 4.0));
}

float kf_search_distance_at(float similarity)
{
	if (similarity >= 100)
		return 0;
	if (similarity <= 0)
		return INFINITY;
	double d = SIM_D80 + SIM_SCALE * log(4.0 * (100.0 / similarity - 1.0));

	return d < 0 ? 0 : (float)d;
}

static int grow(struct kf_search *s)
{
	size_t cap = s->cap ? s->cap * 2 : 64;
	float *desc = kf_aligned_alloc(64, cap * KF_DESC_DIM * sizeof(float));
	uint32_t *rc = kf_realloc(s->ref_client, cap * sizeof(*rc));

	if (rc)
		s->ref_client = rc;
	if (!desc || !rc) {
		kf_free(desc);
		return KF_E_NOMEM;
	}
	if (s->nrefs)
		memcpy(desc, s->desc, s->nrefs * KF_DESC_DIM * sizeof(float));
	kf_free(s->desc);
	s->desc = desc;
	s->cap = cap;
	return KF_OK;
}

int kf_search_add(struct kf_search *s, int64_t client_id, const float *desc,
		  struct kf_err *err)
{
	size_t ci;

	/* clients usually arrive grouped: check the last one first */
	for (ci = s->nclients; ci > 0 && s->client_ids[ci - 1] != client_id; ci--)
		;
	if (ci == 0) {
		if (s->nclients == s->client_cap) {
			size_t cap = s->client_cap ? s->client_cap * 2 : 16;
			int64_t *ids = kf_realloc(s->client_ids, cap * sizeof(*ids));

			if (!ids)
				return kf_err_set(err, KF_E_NOMEM, "out of memory adding a reference");
			s->client_ids = ids;
			s->client_cap = cap;
		}
		s->client_ids[s->nclients++] = client_id;
		ci = s->nclients;
	}
	if (s->nrefs == s->cap && grow(s) < 0)
		return kf_err_set(err, KF_E_NOMEM, "out of memory adding a reference");
	memcpy(s->desc + s->nrefs * KF_DESC_DIM, desc, KF_DESC_DIM * sizeof(float));
	s->ref_client[s->nrefs++] = (uint32_t)(ci - 1);
	return KF_OK;
}

int kf_search_client(const struct kf_search *s, const float *q, int64_t client_id,
		     struct kf_search_hit *out)
{
	size_t c, n = 0;
	float sum = 0;

	for (c = 0; c < s->nclients && s->client_ids[c] != client_id; c++)
		;
	for (size_t r = 0; c < s->nclients && r < s->nrefs; r++)
		if (s->ref_client[r] == c) {
			sum += sqrtf(dist2(q, s->desc + r * KF_DESC_DIM));
			n++;
		}
	if (!n)
		return KF_E_NOTFOUND;
	out->client_id = client_id;
	out->distance = sum / (float)n;
	out->similarity = kf_search_similarity(out->distance);
	return KF_OK;
}

static int better(const struct kf_search_hit *a, const struct kf_search_hit *b)
{
	return a->distance < b->distance ||
	       (a->distance == b->distance && a->client_id < b->client_id);
}

int kf_search_query(const struct kf_search *s, const float *q, float threshold,
		    struct kf_search_hit *hits, size_t max_hits, size_t *nhits,
		    struct kf_search_hit *best_below, struct kf_err *err)
{
	float *sum, *count;
	size_t n = 0;

	*nhits = 0;
	memset(best_below, 0, sizeof(*best_below));
	if (s->nclients == 0)
		return KF_OK;
	if (!(sum = kf_calloc(2 * s->nclients, sizeof(*sum))))
		return kf_err_set(err, KF_E_NOMEM, "out of memory searching faces");
	count = sum + s->nclients;
	for (size_t r = 0; r < s->nrefs; r++) {
		sum[s->ref_client[r]] += sqrtf(dist2(q, s->desc + r * KF_DESC_DIM));
		count[s->ref_client[r]] += 1;
	}
	for (size_t c = 0; c < s->nclients; c++) {
		struct kf_search_hit h;

		h.client_id = s->client_ids[c];
		h.distance = sum[c] / count[c];
		h.similarity = kf_search_similarity(h.distance);
		if (h.similarity < threshold) {
			if (best_below->client_id == 0 || better(&h, best_below))
				*best_below = h;
			continue;
		}
		/* insertion into the sorted hit list, keeping the best max_hits */
		size_t at = n;
		while (at > 0 && better(&h, &hits[at - 1]))
			at--;
		if (at >= max_hits)
			continue;
		if (n < max_hits)
			n++;
		memmove(&hits[at + 1], &hits[at], (n - 1 - at) * sizeof(*hits));
		hits[at] = h;
	}
	kf_free(sum);
	*nhits = n;
	return KF_OK;
}
