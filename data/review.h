/* review.h: what staff decide about faces, written with the re-match that
 * applies it, in one transaction: a review of one face (`kingface face
 * confirm|reject|clear`, the console's face detail) and naming a cluster of
 * unknown faces (`kingface people assign`, the console's People tab). The
 * reviews themselves are data/store_review.h; how matching applies them,
 * core/assign.h. Local engine galleries only (the callers refuse others).
 */
#ifndef KF_REVIEW_H
#define KF_REVIEW_H

#include <stddef.h>
#include <stdint.h>

#include "data/photo_match.h"
#include "data/store.h"

/* A review of the face face_index of photo_id, a photo of g (local engine):
 * KF_REVIEW_CONFIRM or KF_REVIEW_REJECT client_id, or KF_REVIEW_CLEAR the
 * face's reviews (*removed, may be NULL, gets how many), then the photo
 * re-matched at threshold (KF_THRESHOLD_AUTO: g's) so that it applies, all
 * in one transaction (data/store_review.h). Errors: KF_E_NOTFOUND for a face
 * the photo does not have, the store's. */
enum { KF_REVIEW_CLEAR = -1, KF_REVIEW_REJECT = 0, KF_REVIEW_CONFIRM = 1 };
int kf_photo_review(struct kf_store *st, const struct kf_match_gallery *g, int64_t photo_id,
		    int face_index, int64_t client_id, int what, float threshold,
		    int64_t *removed, struct kf_err *err);

/* Name a cluster of `kingface people` (data/store_people.h, the same ids
 * while nothing changed): every face of cluster cluster_id of gallery_id
 * (local engine) confirmed as client_id (a review each), its largest faces
 * (up to KF_PEOPLE_REFERENCES, by box area then detector score) added as the
 * client's references, then the gallery re-matched at threshold
 * (KF_THRESHOLD_AUTO: the gallery's, with the new references), all in one
 * transaction, except the nskip faces in skip (photo_faces ids: faces staff
 * took out of the cluster). *confirmed and *references (may be NULL) get the
 * counts. KF_E_NOTFOUND: no such cluster. */
#define KF_PEOPLE_REFERENCES 3
int kf_people_assign(struct kf_store *st, int64_t gallery_id, int cluster_id,
		     int64_t client_id, float threshold, const int64_t *skip, size_t nskip,
		     size_t *confirmed, size_t *references, struct kf_err *err);

#endif
