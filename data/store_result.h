/* store_result.h: what matching stores: each photo's faces (photo_faces, with
 * their descriptors), each face's matched client (face_matches: at most one,
 * a client at most once a photo), an ambiguous face's candidates
 * (face_candidates: no match until a person decides), the cached
 * match payloads (processing_cache), and the queries staff and support use on
 * them (seed step 2). Boxes are fractions of the upright photo; confidence and
 * similarity are 0..100, as Rekognition gives them.
 */
#ifndef KF_STORE_RESULT_H
#define KF_STORE_RESULT_H

#include <stddef.h>
#include <stdint.h>

#include "core/match.h"
#include "core/search.h"
#include "data/store.h"

struct kf_frac_box {
	float left, top, width, height;
};

/* Replace the photo's faces, matches and candidates with res, as assigned
 * (call inside a transaction: re-processing never duplicates rows). */
int kf_store_result_replace(struct kf_store *st, int64_t photo_id,
			    const struct kf_match_result *res, struct kf_err *err);

/* The cached payload under key when it has not expired (*payload: caller
 * kf_free()s; NULL on a miss, which is not an error). */
int kf_store_cache_get(struct kf_store *st, const char *key, char **payload,
		       struct kf_err *err);
/* Write the entry of a photo's current result. The photo's other entries (for
 * its earlier contents or options) go: its stored faces now belong to this one. */
int kf_store_cache_put(struct kf_store *st, const char *key, int64_t gallery_id,
		       int64_t photo_id, const char *payload, int64_t expires_at,
		       struct kf_err *err);
/* Drop every cached result of the gallery; *n (may be NULL) gets how many. */
int kf_store_cache_drop(struct kf_store *st, int64_t gallery_id, int64_t *n,
			struct kf_err *err);

/* One photo a client was recognised in (its best face there). */
struct kf_result_row {
	int64_t photo_id;
	char *key;
	float similarity;
	int face_index;
	struct kf_frac_box box;
	int confirmed;		/* a person confirmed the client in this photo */
};

/* The photos client_id was recognised in, best similarity first, a page. */
int kf_store_results_client(struct kf_store *st, int64_t client_id, int64_t offset,
			    int64_t limit, struct kf_result_row **out, size_t *n, int64_t *total,
			    struct kf_err *err);
void kf_store_results_free(struct kf_result_row *rows, size_t n);

/* One stored face of a photo with its matches (detail view). */
struct kf_detail_face {
	int64_t id;
	int face_index;
	struct kf_frac_box box;
	float confidence;
	int has_descriptor;
	int too_small;		/* too small to recognise (core/engine.h): never matched */
	float descriptor[KF_DESC_DIM];
	size_t nmatches;
	struct kf_search_hit matches[KF_MATCH_MAX_HITS];	/* best first */
	/* an ambiguous face's candidates (face_candidates, core/assign.h), best
	 * first; distance 0 when the engine gave none. nmatches is 0 then. */
	size_t nambiguous;
	struct kf_search_hit ambiguous[KF_MATCH_MAX_AMBIGUOUS];
};

/* The photo's stored faces, by face index, with their stored matches and
 * candidates. *out: caller kf_free()s. */
int kf_store_detail(struct kf_store *st, int64_t photo_id, struct kf_detail_face **out,
		    size_t *n, struct kf_err *err);

/* The face index of the face among faces[0..n) other than faces[i] that is
 * matched to client_id (a client is matched on one face of a photo at most:
 * why it is not faces[i]'s match), or -1. */
int kf_detail_matched_on(const struct kf_detail_face *faces, size_t n, size_t i,
			 int64_t client_id);

/* Every client of the gallery with the number of distinct photos it was
 * recognised in, most first (clients with none included). */
struct kf_recognition_row {
	int64_t client_id;
	char *name;
	int64_t photos;
};
int kf_store_recognition(struct kf_store *st, int64_t gallery_id,
			 struct kf_recognition_row **out, size_t *n, struct kf_err *err);
void kf_store_recognition_free(struct kf_recognition_row *rows, size_t n);

/* Re-search every stored face of the gallery against s at threshold, assign
 * each photo's faces together (kf_match_assign with margin: KF_MATCH_MARGIN,
 * or < 0 for none) and replace all its matches and candidates, in one
 * transaction; drops the gallery's cache. Decodes no photo. *faces /
 * *matches (may be NULL) get the counts. */
int kf_store_rematch(struct kf_store *st, int64_t gallery_id, const struct kf_search *s,
		     float threshold, float margin, int64_t *faces, int64_t *matches,
		     struct kf_err *err);

/* The same for one photo of the gallery (after a review): its matches,
 * candidates and cached results replaced. The photo's reviews are applied
 * before the assignment, as everywhere (store_review.h). */
int kf_store_rematch_photo(struct kf_store *st, int64_t gallery_id, int64_t photo_id,
			   const struct kf_search *s, float threshold, float margin,
			   struct kf_err *err);

#endif
