/* assign.h: who is who in one photo: a client appears at most once in a
 * photo, and a face whose client is in doubt is shown as ambiguous rather than
 * guessed (issue 17, steps 1 and 2).
 *
 * kf_match_assign() takes the faces of ONE photo as a search left them (each
 * face's hits: every client at or above the threshold, best first) and
 *
 *   1. assigns faces to clients jointly: the assignment that maximises the
 *      total similarity over (face, client) pairs among the hits (so no pair
 *      under the threshold), each client on at most one face, each face on at
 *      most one client, faces free to stay unassigned (a maximum-weight
 *      bipartite matching, solved by the Hungarian method). A face that loses
 *      its best client to another face gets its next-best hit that is still
 *      free, or none. Ties (similarities equal to 0.001) go to the earlier
 *      face (faces come sorted by detector score: the surer one first), and
 *      within a face to its better-ranked hit (hits tie by client id);
 *
 *   2. when margin >= 0, checks each assigned face for a competitor: a client
 *      among the face's hits and its best_below that is not assigned to
 *      another face of the photo, whose descriptor distance is within margin
 *      of the assigned client's. Such a face is ambiguous: its hits become
 *      empty (nhits 0: it counts as no match) and ambiguous[] gets the
 *      assigned client and every competitor within the margin, best first,
 *      at most KF_MATCH_MAX_AMBIGUOUS. The rule looks at distances, not
 *      similarities: the similarity scale is a steep curve near the threshold,
 *      the distance is what the descriptor measures (docs/similarity.md).
 *      margin < 0 turns the rule off: engines without descriptors
 *      (Rekognition) give similarities only.
 *
 * Afterwards every face has nhits 0 or 1 (its assigned client), nambiguous
 * 0, or nhits 0 and nambiguous >= 2; best_below is left as it was. Only hits
 * take part in the assignment: a client beyond a face's KF_MATCH_MAX_HITS
 * best is not considered for it.
 *
 * Cost: O(H log H) for the H hits of the photo, plus, for each group of faces
 * that share candidate clients (r faces, c clients), O(r^2 max(r, c)); a face
 * that shares no client with another face costs O(its hits). Memory O(n + H),
 * from core/alloc.h, freed before returning.
 *
 * Errors: KF_E_NOMEM (faces unchanged). Thread-safe: no shared state.
 */
#ifndef KF_ASSIGN_H
#define KF_ASSIGN_H

#include <stddef.h>

#include "core/err.h"
#include "core/match.h"

/* The ambiguity margin of the local engine, in Euclidean descriptor distance.
 * On the dev set the smallest gap between a probe's right client and its best
 * wrong one is 0.074, so 0.05 keeps every dev hit (docs/similarity.md). */
#define KF_MATCH_MARGIN 0.05f

/* Assign the n faces of one photo (see above); faces are changed in place. A
 * face with confirmed set keeps its one hit and is never ambiguous. */
int kf_match_assign(struct kf_match_face *faces, size_t n, float margin, struct kf_err *err);

/* What a person said of a face of the photo (`kingface face confirm|reject`). */
struct kf_match_review {
	struct kf_box box;	/* the face when it was reviewed, fractions of the photo */
	int face_index;		/* its index then */
	int64_t client_id;
	int confirmed;		/* 1: the face is the client; 0: it is not */
};

/* The face a review is about: face_index when its box still covers the
 * reviewed one (IoU >= 0.5), else the face that covers it best (IoU >= 0.5),
 * else -1 (the photo changed: the review waits). Boxes of faces are in pixels
 * of a w x h photo (w = h = 1 for fractions). */
int kf_match_review_face(const struct kf_match_face *faces, size_t n, int w, int h,
			 const struct kf_match_review *r);

/* Apply reviews before kf_match_assign(): a rejected client leaves the face's
 * hits (and its best_below); a confirmed one becomes the face's only hit,
 * confirmed, whatever its similarity (found in s when it was not a hit; 0
 * without a descriptor or s), and leaves the other faces' hits. The latest
 * review of a face wins (reviews in the order they were made). */
void kf_match_review_apply(struct kf_match_face *faces, size_t n, int w, int h,
			   const struct kf_match_review *r, size_t nr, const struct kf_search *s);

#endif
