/* photo_fetch.h: the bytes of a photo, wherever it lives.
 *
 * A photo imported from a folder has a path: its file is read, and its ETag
 * recomputed (MD5 of the bytes) when the file's size or mtime changed since
 * the store last saw it. A photo imported from a bucket has no path: it is
 * fetched by its key through the photo cache (photo_cache.h) from its
 * gallery's bucket (the gallery's source when it is s3://BUCKET/..., else
 * KINGFACE_BUCKET), with the credentials of the config (config.h, s3.h). A
 * photo cached under its stored ETag costs no request at all, so a cached
 * gallery is processed offline. When the bucket sends another ETag than the
 * stored one, the photo changed: the store gets the new ETag
 * (kf_store_photo_refresh), so results are cached under the new one.
 *
 * Thread-safe with one struct kf_store per thread: each call that needs the
 * network opens its own S3 client.
 */
#ifndef KF_PHOTO_FETCH_H
#define KF_PHOTO_FETCH_H

#include <stddef.h>
#include <stdint.h>

#include "data/s3.h"
#include "data/store.h"
#include "data/store_photo.h"

struct kf_photo_local {
	char *path;			/* the file to read: the photo's own or its cached copy */
	char etag[KF_S3_ETAG_SIZE];	/* the photo's current ETag */
	uint8_t *buf;			/* the bytes when they were read on the way, else NULL */
	size_t len;
	int own_failure;		/* on error: the photo's (unreadable, not downloadable,
					 * settings missing), not the run's (database, memory) */
};

/* Make photo p readable: out->path and out->etag always, out->buf when the
 * bytes were read (a changed local file). On success release *out with
 * kf_photo_local_release. On error *out holds no memory; out->own_failure tells
 * whose failure it is; the message names what to fix (a file, a setting such as
 * KINGFACE_BUCKET or AWS_SECRET_ACCESS_KEY, the network). */
int kf_photo_fetch(struct kf_store *st, const struct kf_photo *p, struct kf_photo_local *out,
		   struct kf_err *err);

/* A photo of bucket (NULL: KINGFACE_BUCKET) by key: its cached copy when the
 * cache holds key at etag (may be NULL: unknown), without any request; else
 * downloaded into the cache. out->path and out->etag (the ETag the bucket
 * sent) on success, release with kf_photo_local_release; out->own_failure on
 * error as for kf_photo_fetch. For callers without a local store (the
 * PostgreSQL workers). */
int kf_photo_fetch_bucket(const char *bucket, const char *key, const char *etag,
			  struct kf_photo_local *out, struct kf_err *err);

/* Free path and buf; NULL-safe, releasing twice is harmless. */
void kf_photo_local_release(struct kf_photo_local *l);

#endif
