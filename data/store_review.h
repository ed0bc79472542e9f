/* store_review.h: what staff said of faces (`kingface face confirm|reject|
 * clear`): face_reviews (migration 6). A review names the face of a photo as
 * it was (index and box), so that it still finds that face after the photo is
 * processed again (core/assign.h: kf_match_review_face); matching applies the
 * reviews before it assigns (processing, rematch). Rows returned are the
 * caller's (kf_store_review_free).
 */
#ifndef KF_STORE_REVIEW_H
#define KF_STORE_REVIEW_H

#include <stddef.h>
#include <stdint.h>

#include "core/assign.h"
#include "data/store.h"

struct kf_review_row {
	struct kf_match_review r;	/* box as fractions of the photo */
	char *client_name;
	int64_t created_at;		/* Unix ms */
};

/* Record that the stored face face_index of photo_id is (confirmed 1) or is
 * not (0) client_id. A confirmation replaces the face's earlier one, the
 * client's confirmation on another face of the photo and a rejection of the
 * same pair; a rejection replaces a confirmation of the same pair. Call in a
 * transaction with the re-match that applies it. KF_E_NOTFOUND when the
 * photo has no such face (not processed yet, or processed again without it). */
int kf_store_review_set(struct kf_store *st, int64_t photo_id, int face_index,
			int64_t client_id, int confirmed, struct kf_err *err);

/* Forget every review of the face; *removed (may be NULL) gets how many. */
int kf_store_review_clear(struct kf_store *st, int64_t photo_id, int face_index,
			  int64_t *removed, struct kf_err *err);

/* The photo's reviews in the order they were made, with client names. */
int kf_store_review_list(struct kf_store *st, int64_t photo_id, struct kf_review_row **out,
			 size_t *n, struct kf_err *err);
void kf_store_review_free(struct kf_review_row *rows, size_t n);

/* The same as bare reviews (kf_free() the array), for matching. */
int kf_store_review_load(struct kf_store *st, int64_t photo_id, struct kf_match_review **out,
			 size_t *n, struct kf_err *err);

/* Pulled from the platform (connected mode): make the reviews of the
 * gallery's photo with king_photos id platform_photo the n given ones (local
 * client ids, in order), unless its reviews changed here since the last push
 * (photos.reviews_pending: they win until then). *photo_id gets the local
 * photo (0: not here) and *changed 1 when its reviews changed; the outbox
 * entry that the change queues is dropped, as the platform has them already. */
int kf_store_review_pulled(struct kf_store *st, int64_t gallery_id, int64_t platform_photo,
			   const struct kf_review_row *rows, size_t n, int64_t *photo_id,
			   int *changed, struct kf_err *err);

/* The photo's reviews reached the platform (sync push). */
int kf_store_review_pushed(struct kf_store *st, int64_t photo_id, struct kf_err *err);

/* The gallery's photos that have reviews and a platform id (king_photos
 * ids), for pull to clear those the platform no longer has; *out kf_free()d. */
int kf_store_review_platform_photos(struct kf_store *st, int64_t gallery_id, int64_t **out,
				    size_t *n, struct kf_err *err);

/* What the reviews say of each of a photo's stored faces df[0..n) (from
 * kf_store_detail): its confirmed client (0: none) and the clients rejected
 * for it, the latest review winning (a rejection after a confirmation of the
 * same client undoes it). A review finds its face as matching does
 * (kf_match_review_face); one that finds none is left out. *out has n
 * entries (NULL when n is 0): the caller kf_free()s it. Used by `kingface
 * detail` and the console's face detail. */
struct kf_face_review {
	int64_t confirmed;
	size_t nrejected;
	int64_t rejected[16];
};
struct kf_detail_face;
int kf_store_review_faces(struct kf_store *st, int64_t photo_id,
			  const struct kf_detail_face *df, size_t n, struct kf_face_review **out,
			  struct kf_err *err);

#endif
