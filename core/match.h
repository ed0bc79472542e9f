/* match.h: match one photo: its faces, and for each the gallery's clients at
 * or above the threshold (seed step 1, without the persistence: data/ stores
 * the result, caches it and marks the job done).
 *
 * kf_match_photo() runs the local engine (detect with the shared options, keep
 * the largest max_faces, landmarks and descriptor of each face from the full-
 * resolution photo) and searches each descriptor in the gallery's references.
 * A face too small to recognise (core/engine.h) is kept without a descriptor
 * and without hits. The hits are the search's, every client at or above the
 * threshold: kf_match_engine_match() then assigns them (core/assign.h).
 * Thread-safe: engine and search are read-only; each call brings its arena.
 */
#ifndef KF_MATCH_H
#define KF_MATCH_H

#include <stddef.h>
#include <stdint.h>

#include "core/detect.h"
#include "core/engine.h"
#include "core/search.h"

#define KF_MATCH_MAX_HITS 32	/* clients kept per face, best first */
#define KF_MATCH_MAX_AMBIGUOUS 4	/* candidates shown for an ambiguous face */

struct kf_match_face {
	struct kf_box box;		/* pixels of the upright photo */
	float score;			/* detector score, 0..1 */
	float descriptor[KF_DESC_DIM];
	int no_descriptor;		/* the engine gives none (Rekognition): stored NULL */
	int too_small;			/* below KF_RECOGNIZABLE_MIN_FACE: no descriptor,
					 * never matched */
	size_t nhits;
	struct kf_search_hit hits[KF_MATCH_MAX_HITS];	/* at or above the threshold */
	struct kf_search_hit best_below;		/* client_id 0: none */
	/* an ambiguous face (core/assign.h): nhits 0 and its candidates, best
	 * first; nambiguous 0 for any other face */
	size_t nambiguous;
	struct kf_search_hit ambiguous[KF_MATCH_MAX_AMBIGUOUS];
	int confirmed;			/* a person said it is hits[0] (core/assign.h) */
};

struct kf_match_result {
	int width, height;		/* upright size of the photo */
	size_t nfaces;
	struct kf_match_face *faces;	/* sorted by score; kf_match_result_release */
};

/* Match the photo in buf. Errors: the decoder's (KF_E_FORMAT with the reason),
 * KF_E_NOMEM. On error *res is empty. scratch is reset as the work proceeds. */
int kf_match_photo(const struct kf_engine *e, const struct kf_detect_opts *o,
		   const struct kf_search *s, float threshold, const uint8_t *buf, size_t len,
		   struct kf_match_result *res, struct kf_arena *scratch, struct kf_err *err);

void kf_match_result_release(struct kf_match_result *res);

#endif
