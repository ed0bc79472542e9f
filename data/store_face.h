/* store_face.h: enrolled reference faces (table client_faces): the biometric
 * data of a gallery's clients.
 *
 * A reference is one 128-D descriptor of a client with where it came from (a
 * photo file and its sha256, or a face of a gallery photo), its box and score,
 * and the descriptor model. Adding or removing a reference changes what the
 * gallery's photos match, so both drop the gallery's cached match results in
 * the same transaction.
 *
 * A reference of a remote engine (engine other than "local", docs/engines.md)
 * has no descriptor (stored as an empty blob, read back as zeros) and the
 * engine's id of the face in face_id; its model is the engine's, so the local
 * search never loads it.
 */
#ifndef KF_STORE_FACE_H
#define KF_STORE_FACE_H

#include <stddef.h>
#include <stdint.h>

#include "core/search.h"
#include "data/store.h"

struct kf_face_ref {
	int64_t id, client_id;
	float descriptor[KF_DESC_DIM];
	char *model;
	char *source_path;		/* NULL when enrolled from a gallery photo */
	char *source_sha256;
	int64_t source_photo_id;	/* 0 when enrolled from a file */
	int source_face_index;		/* -1 when enrolled from a file */
	float box_left, box_top, box_width, box_height;	/* fractions of the source */
	float score;			/* detector score, 0..1 */
	int64_t created_at;
	char uid[33];			/* the same on every machine (connected mode) */
	char *engine;			/* the engine that made it; NULL when adding: "local" */
	char face_id[64];		/* the engine's id of it (Rekognition's FaceId), or "" */
};

/* Store a reference (r->id and r->created_at are ignored) and drop the gallery's
 * cached results, in one transaction. *id may be NULL. */
int kf_store_face_add(struct kf_store *st, const struct kf_face_ref *r, int64_t *id,
		      struct kf_err *err);

/* A client's references, oldest first. Release with kf_store_face_list_free. */
int kf_store_face_list(struct kf_store *st, int64_t client_id, struct kf_face_ref **out,
		       size_t *n, struct kf_err *err);

/* Where reference r of a client of gallery_id was cut from, into buf (n
 * bytes): the gallery photo's key and face ("bbt5.jpg, face 1"), the file's
 * path, or "(enrolled on the platform)". */
void kf_store_face_source(struct kf_store *st, int64_t gallery_id, const struct kf_face_ref *r,
			  char *buf, size_t n);

/* Remove one reference of the client (KF_E_NOTFOUND naming it when it is not
 * the client's) and drop the gallery's cached results. */
int kf_store_face_remove(struct kf_store *st, int64_t client_id, int64_t ref_id,
			 struct kf_err *err);

/* Add every reference of the gallery's clients made with `model` to s. *nrefs
 * (may be NULL) gets how many; references of another model are skipped and
 * counted in *other (may be NULL). */
int kf_store_face_load_search(struct kf_store *st, int64_t gallery_id, const char *model,
			      struct kf_search *s, int64_t *nrefs, int64_t *other,
			      struct kf_err *err);

/* The stored face face_index of a photo (its descriptor, box and confidence as
 * a reference to enroll: r->source_photo_id / source_face_index are set).
 * KF_E_NOTFOUND when the photo has no such face stored (not processed yet), or
 * the face has no descriptor. */
int kf_store_face_from_photo(struct kf_store *st, int64_t photo_id, int face_index,
			     struct kf_face_ref *r, struct kf_err *err);

/* As kf_store_face_from_photo, without the descriptor (zeroed): the face's box
 * and confidence whatever the engine that stored it (a remote engine keeps no
 * descriptor). KF_E_NOTFOUND when the photo has no such face stored. */
int kf_store_face_box_from_photo(struct kf_store *st, int64_t photo_id, int face_index,
				 struct kf_face_ref *r, struct kf_err *err);

/* A value that changes whenever the gallery's references change (added or
 * removed): workers reload their search index when it does. */
int kf_store_face_version(struct kf_store *st, int64_t gallery_id, int64_t *version,
			  struct kf_err *err);

/* The reference with this uid (KF_E_NOTFOUND when there is none). */
int kf_store_face_by_uid(struct kf_store *st, const char *uid, struct kf_face_ref *r,
			 struct kf_err *err);

/* Store a reference made on another machine under its uid r->uid, unless one
 * with that uid is here already (*added 0). Drops the gallery's cached results.
 * Call inside a transaction. */
int kf_store_face_put_uid(struct kf_store *st, const struct kf_face_ref *r, int *added,
			  struct kf_err *err);

/* Remove the reference with this uid, if any; drops the cached results. Call
 * inside a transaction. */
int kf_store_face_drop_uid(struct kf_store *st, const char *uid, struct kf_err *err);

/* The engine ids (face_id) of the remote references of a gallery: of one
 * client (client_id > 0), of one reference of it (ref_id > 0 too), or all.
 * *ids is the caller's (kf_store_face_ids_free), NULL when there are none. */
int kf_store_face_remote_ids(struct kf_store *st, int64_t gallery_id, int64_t client_id,
			     int64_t ref_id, char ***ids, size_t *n, struct kf_err *err);
void kf_store_face_ids_free(char **ids, size_t n);

/* How many references of the gallery's clients the engine made. */
int kf_store_face_count(struct kf_store *st, int64_t gallery_id, const char *engine,
			int64_t *n, struct kf_err *err);

void kf_store_face_release(struct kf_face_ref *r);
void kf_store_face_list_free(struct kf_face_ref *list, size_t n);

#endif
