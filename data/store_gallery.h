/* store_gallery.h: galleries in the local store.
 *
 * A gallery is a set of photos (from one source folder) and the clients whose
 * faces are looked for in them. Rows returned here are owned by the caller and
 * released with kf_store_gallery_release() / kf_store_gallery_list_free().
 */
#ifndef KF_STORE_GALLERY_H
#define KF_STORE_GALLERY_H

#include <stddef.h>
#include <stdint.h>

#include "data/store.h"

struct kf_gallery {
	int64_t id;
	char *name;
	char *source;		/* absolute source folder, or NULL */
	char *engine;		/* match engine of the stored results ("local") */
	char *detector;		/* face detector of the stored local results
				 * ("yunet", "ssd", "tiny"), NULL when none yet */
	int64_t platform_id;	/* king_galleries.id when pulled (connected mode), else 0 */
	char *bucket;		/* S3 bucket of its photos when pulled with one, or NULL */
	int64_t sync_pending;	/* local changes the platform has not had yet (outbox) */
	int64_t created_at;	/* Unix ms */
	/* counts */
	int64_t photos, clients, missing;
	int64_t pending, running, done, failed, dead;	/* photos by job state */
	int64_t faces, matches;
	int64_t last_processed_at;	/* Unix ms, 0 when none */
	int64_t remote_calls;		/* billable calls of a remote engine (Rekognition) */
};

/* Create a gallery. KF_E_EXISTS when the name is taken. *id may be NULL. */
int kf_store_gallery_create(struct kf_store *st, const char *name, const char *source,
			    int64_t *id, struct kf_err *err);

/* Find by id (when ref is all digits and such an id exists) or exact name, else
 * by the name in other letters (kf_store_name_key) when one gallery alone has
 * it (KF_E_INVALID naming two when several do), with its counts.
 * KF_E_NOTFOUND names ref. */
int kf_store_gallery_find(struct kf_store *st, const char *ref, struct kf_gallery *out,
			  struct kf_err *err);

/* The gallery with this id, with its counts. */
int kf_store_gallery_get(struct kf_store *st, int64_t id, struct kf_gallery *out,
			 struct kf_err *err);

/* Where the gallery's photos without a local file come from, into *source,
 * kf_malloc'd (caller kf_frees): "s3://BUCKET/" for a gallery pulled with a
 * bucket, else its source (NULL when it has none). Cheap, for each photo of a
 * run. KF_E_NOTFOUND when there is no gallery id. */
int kf_store_gallery_source(struct kf_store *st, int64_t id, char **source,
			    struct kf_err *err);

/* All galleries with their counts, by name. *out is NULL when there are none. */
int kf_store_gallery_list(struct kf_store *st, struct kf_gallery **out, size_t *n,
			  struct kf_err *err);

/* Rename; KF_E_EXISTS when another gallery has the name, KF_E_INVALID for a
 * pulled gallery (the platform's name comes back at each sync). */
int kf_store_gallery_rename(struct kf_store *st, int64_t id, const char *name,
			    struct kf_err *err);

/* Delete a gallery with its clients, photos, faces, matches, jobs and cache
 * entries, in one transaction. */
int kf_store_gallery_remove(struct kf_store *st, int64_t id, struct kf_err *err);

/* Count n more billable calls of a remote engine for the gallery (its own
 * statement: calls made are counted even when the photo then fails). */
int kf_store_gallery_add_calls(struct kf_store *st, int64_t id, int64_t n, struct kf_err *err);

/* What the gallery holds of its engine and detector: *results the photos
 * with stored results (job done), *refs the references its engine
 * (g->engine) made. */
int kf_store_gallery_engine_use(struct kf_store *st, const struct kf_gallery *g,
				int64_t *results, int64_t *refs, struct kf_err *err);

/* Make engine the gallery's. With reset, in one transaction: its faces,
 * matches and cached results are dropped and every job goes back to pending
 * (*requeued, may be NULL, gets how many photos will be processed again), and
 * its detector is cleared (the next results set it); KF_E_BUSY when a job is
 * running. References are kept: each engine only uses its own. */
int kf_store_gallery_set_engine(struct kf_store *st, int64_t id, const char *engine, int reset,
				int64_t *requeued, struct kf_err *err);

/* Make detector the gallery's, as kf_store_gallery_set_engine does (with
 * reset: its faces, matches and cached results dropped, every job back to
 * pending, in one transaction; KF_E_BUSY when a job is running). */
int kf_store_gallery_set_detector(struct kf_store *st, int64_t id, const char *detector,
				  int reset, int64_t *requeued, struct kf_err *err);

/* The first local results of a gallery without a detector make theirs its
 * detector (call inside the transaction that stores them). KF_E_INVALID,
 * naming 'kingface gallery detector', when the gallery holds results of
 * another detector. */
int kf_store_gallery_adopt_detector(struct kf_store *st, int64_t id, const char *detector,
				    struct kf_err *err);

void kf_store_gallery_release(struct kf_gallery *g);
void kf_store_gallery_list_free(struct kf_gallery *list, size_t n);

#endif
