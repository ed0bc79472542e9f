/* store_photo.h: the photos of a gallery and their processing status.
 *
 * Every photo has one job row (photo_jobs) whose state is the photo's status:
 * pending, running, done, failed or dead. Rows returned are owned by the caller
 * (kf_store_photo_release / kf_store_photo_list_free).
 */
#ifndef KF_STORE_PHOTO_H
#define KF_STORE_PHOTO_H

#include <stddef.h>
#include <stdint.h>

#include "data/store.h"

struct kf_photo {
	int64_t id, gallery_id;
	char *key;		/* path relative to the gallery's source */
	char *path;		/* local file, or NULL */
	char *etag;		/* MD5 hex of the bytes, or NULL */
	int64_t size, mtime_ns;
	int width, height;	/* upright; 0 when unknown */
	int missing;		/* gone from the source at the last import */
	char status[8];		/* the job state */
	char *error;		/* last error, or NULL */
	int attempts;
	int64_t faces, matches;
	int64_t processed_at;	/* Unix ms, 0 when never */
	int64_t platform_id;	/* king_photos.id when pulled, else 0 */
};

/* A file found in a gallery's source, as import records it. */
struct kf_photo_file {
	const char *key, *path, *etag;
	int64_t size, mtime_ns;
	int width, height;
	const char *error;	/* NULL, or why it cannot be processed (job failed) */
};

/* Is s one of the five states? */
int kf_store_photo_status_valid(const char *s);

/* Find a photo of the gallery by id or exact key. */
int kf_store_photo_find(struct kf_store *st, int64_t gallery_id, const char *ref,
			struct kf_photo *out, struct kf_err *err);

/* A page of the gallery's photos by key, optionally only one status (NULL: all;
 * "missing": the photos gone from the folder, whatever their job's state).
 * *total gets the number of matching photos. */
int kf_store_photo_list(struct kf_store *st, int64_t gallery_id, const char *status,
			int64_t offset, int64_t limit, struct kf_photo **out, size_t *n,
			int64_t *total, struct kf_err *err);

/* kf_store_photo_list() of the photos whose key contains key_part (NULL or
 * "": all), for the console's filter. */
int kf_store_photo_search(struct kf_store *st, int64_t gallery_id, const char *status,
			  const char *key_part, int64_t offset, int64_t limit,
			  struct kf_photo **out, size_t *n, int64_t *total, struct kf_err *err);

/* Insert or update the photo with f->key: its file fields are set, it is no
 * longer missing, and its job is reset to pending (or failed with f->error,
 * attempts 0). Run inside a transaction for many files. *id may be NULL. */
int kf_store_photo_put(struct kf_store *st, int64_t gallery_id,
		       const struct kf_photo_file *f, int64_t *id, struct kf_err *err);

/* Same content, new modification time (the ETag is kept). */
int kf_store_photo_touch(struct kf_store *st, int64_t photo_id, int64_t mtime_ns,
			 struct kf_err *err);

/* The file changed on disk: record its new ETag, size and mtime. */
int kf_store_photo_refresh(struct kf_store *st, int64_t photo_id, const char *etag,
			   int64_t size, int64_t mtime_ns, struct kf_err *err);

/* Mark the photo missing from (or back in) its source. */
int kf_store_photo_set_missing(struct kf_store *st, int64_t photo_id, int missing,
			       struct kf_err *err);

void kf_store_photo_release(struct kf_photo *p);
void kf_store_photo_list_free(struct kf_photo *list, size_t n);

#endif
