/* search.h: "who is this face?": a face descriptor against a gallery's
 * enrolled references.
 *
 * A struct kf_search holds every enrolled descriptor of a gallery's clients in
 * one contiguous array (brute force, vectorised: fine to 10,000 references).
 * A client's distance to a face is the mean of the Euclidean distances (128-D)
 * to its references: measured better than the best of them (bench/accuracy,
 * docs/internals/nn.md: each extra reference would be one more chance for a
 * stranger to come close), and a mean keeps the scale of one pair, so the
 * mapping and the auto threshold hold whatever the number of references.
 * Distance d becomes a similarity 0..100 by a logistic:
 *
 *     similarity = 100 / (1 + exp((d - 0.6) / 0.03) / 4)
 *
 * Its slope (0.03) is fitted on same-person and different-person pairs (the
 * hardest: strangers in one group photo); its offset keeps face-api's usual
 * same-person distance 0.6 at 80, Rekognition's default FaceMatchThreshold.
 * So the same person reads 95-100 (d <= 0.55), strangers 0-15 (d >= 0.7).
 * See docs/similarity.md.
 *
 * Building (kf_search_add) is single-threaded; once built, kf_search_query()
 * may be called from any number of threads at once (it only reads).
 */
#ifndef KF_SEARCH_H
#define KF_SEARCH_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define KF_DESC_DIM 128

struct kf_search {
	float *desc;		/* nrefs * KF_DESC_DIM, 64-byte aligned */
	uint32_t *ref_client;	/* per reference: index into client_ids */
	int64_t *client_ids;	/* distinct clients, in order of first add */
	size_t nrefs, cap, nclients, client_cap;
};

struct kf_search_hit {
	int64_t client_id;	/* 0: no hit */
	float similarity;	/* 0..100 */
	float distance;		/* mean over the client's references */
};

void kf_search_init(struct kf_search *s);
void kf_search_release(struct kf_search *s);

/* Add one reference descriptor of client_id (a copy is kept). KF_E_NOMEM. */
int kf_search_add(struct kf_search *s, int64_t client_id, const float *desc,
		  struct kf_err *err);

/* Every client at or above threshold (0..100) for descriptor q, best first
 * (ties by client id), up to max_hits into hits; *nhits gets the number
 * written. *best_below gets the best client under the threshold (client_id 0
 * when there is none). KF_E_NOMEM when scratch memory cannot be had. */
int kf_search_query(const struct kf_search *s, const float *q, float threshold,
		    struct kf_search_hit *hits, size_t max_hits, size_t *nhits,
		    struct kf_search_hit *best_below, struct kf_err *err);

/* client_id's hit for descriptor q whatever the threshold (its mean distance
 * and similarity) into *out; KF_E_NOTFOUND when it has no reference. */
int kf_search_client(const struct kf_search *s, const float *q, int64_t client_id,
		     struct kf_search_hit *out);

/* Euclidean distance of two descriptors, the similarity it maps to, and the
 * distance a similarity maps back to (0 for 100 and above, INFINITY for 0 and
 * below). The mapping is strictly decreasing in between. */
float kf_search_distance(const float *a, const float *b);
float kf_search_similarity(float distance);
float kf_search_distance_at(float similarity);

#endif
