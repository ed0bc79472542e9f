/* enroll.h: a client's reference face from a photo file, shared by the
 * `enroll` command and the console's enrollment prompt.
 *
 * kf_enroll_detect() reads the file once, finds its faces with descriptors
 * (searching again on a padded canvas for tight crops, KF_FIND_PAD_RETRY) and
 * hashes its bytes; the caller picks a face (never silently: several faces
 * need a choice), checks it with kf_enroll_check() (unless forced), and makes
 * the reference with kf_enroll_ref() for kf_store_face_add().
 *
 * Thread-safety: no shared state; the engine may be shared.
 */
#ifndef KF_ENROLL_H
#define KF_ENROLL_H

#include <stddef.h>

#include "core/engine.h"
#include "core/match_engine.h"
#include "data/store_face.h"
#include "data/store_photo.h"

/* The quality gate: smaller or less certain faces are refused unless forced. */
#define KF_ENROLL_MIN_FACE_PX 80
#define KF_ENROLL_MIN_SCORE 0.8f

struct kf_enroll_file {
	struct kf_face *faces;		/* by score, highest first; NULL when none */
	size_t n;
	struct kf_image_info info;	/* upright size */
	double pad;			/* canvas factor that found them, 0: the photo */
	char sha256[65];		/* of the file's bytes */
};

/* Faces of the photo file at path. On success *out is the caller's
 * (kf_enroll_file_release); n may be 0. Errors name the path. */
int kf_enroll_detect(const struct kf_engine *e, const struct kf_detect_opts *o,
		     const char *path, struct kf_enroll_file *out, struct kf_err *err);

/* 0 when f is good enough for a reference; otherwise 1 and why (size n) says
 * "too small for a reliable reference (52 px, score 0.97; needs at least 80 px and 0.8)". */
int kf_enroll_check(const struct kf_face *f, char *why, size_t n);

/* Fill r from face i of ef (descriptor, box as fractions, score, face index,
 * sha256 pointing into ef, source_path = abs_path). client_id and model are
 * left to the caller. r borrows ef's and abs_path's memory. */
void kf_enroll_ref(const struct kf_enroll_file *ef, size_t i, const char *abs_path,
		   struct kf_face_ref *r);

/* Make face i of ef (found in the file at path) a reference of r->client_id
 * in gallery_id with engine me, and store it: r (from kf_enroll_ref, or a
 * stored photo face when photo/len are the photo's bytes and ef is NULL) gets
 * the engine's model, name and id of the face. The local engine stores the
 * descriptor; a remote one indexes the face first (only that face: the crop
 * unless the detector found no other, data/rek_engine.h), and deletes it again
 * when storing fails. *id (may be NULL) gets the reference's id. The engine's
 * calls count for the gallery. Errors: the engine's or the store's, naming path. */
int kf_enroll_store(struct kf_store *st, struct kf_match_engine *me, int64_t gallery_id,
		    const struct kf_enroll_file *ef, size_t i, const char *path,
		    struct kf_face_ref *r, int64_t *id, struct kf_err *err);

/* Enroll face face_index of the processed gallery photo p for r->client_id
 * with engine me and store it (kf_enroll_store): the local engine reuses the
 * stored descriptor (KF_E_NOTFOUND "process it first" when there is none); a
 * remote one is sent the face's crop from the photo's bytes (kf_photo_fetch:
 * its file, or its copy from the bucket). r is filled as by
 * kf_store_face_from_photo and borrows static strings: do not release it. */
int kf_enroll_photo_face(struct kf_store *st, struct kf_match_engine *me,
			 const struct kf_photo *p, int face_index, struct kf_face_ref *r,
			 int64_t *id, struct kf_err *err);

/* NULL-safe; zeroes *ef. */
void kf_enroll_file_release(struct kf_enroll_file *ef);

#endif
