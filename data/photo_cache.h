/* photo_cache.h: the local copies of photos that live in S3, keyed by ETag.
 *
 * Connected mode downloads a photo once and processes it from disk, so a
 * gallery whose photos are cached is processed offline, without any request.
 * An object's ETag changes whenever its bytes do, so a file named by the ETag
 * is never stale: a changed photo is simply a new file.
 *
 * Layout: DIR/ab/abcdef0123...-2.jpg (the first two characters of the ETag as
 * a shard folder; the extension of the key: .jpg, .jpeg or .png, lowercased).
 * DIR is $KINGFACE_PHOTO_CACHE, else $XDG_CACHE_HOME/kingface/photos, else
 * ~/.cache/kingface/photos.
 *
 * Size limit: $KINGFACE_PHOTO_CACHE_MB (default 2048 MiB). After each download
 * the least recently used files (by mtime: a hit touches its file) are
 * removed until the total fits, never the file just fetched.
 *
 * Threads and processes: any number may use one folder at once. Downloads go
 * to a temporary file that is renamed into place, so a reader never sees half
 * a photo; a file evicted under a reader's feet is just fetched again.
 */
#ifndef KF_PHOTO_CACHE_H
#define KF_PHOTO_CACHE_H

#include <limits.h>
#include <stdint.h>

#include "core/err.h"
#include "data/s3.h"

#define KF_PHOTO_CACHE_DEFAULT_MB 2048

struct kf_photo_cache {
	char dir[PATH_MAX];
	int64_t limit_bytes;
};

/* Fill c: dir (NULL: from the environment as above), limit_bytes (<= 0: from
 * $KINGFACE_PHOTO_CACHE_MB, else the default). The folder is created (0700)
 * when missing. No allocation: nothing to release. KF_E_INVALID for a bad
 * KINGFACE_PHOTO_CACHE_MB, KF_E_IO when the folder cannot be made. */
int kf_photo_cache_init(struct kf_photo_cache *c, const char *dir, int64_t limit_bytes,
			struct kf_err *err);

/* The cached file of (key, etag) into path (PATH_MAX bytes) when there is one,
 * touching it (it was used). Returns 1 when found, 0 when not. No network. */
int kf_photo_cache_lookup(const struct kf_photo_cache *c, const char *key, const char *etag,
			  char *path);

/* The local file of photo key: the cached one when expected_etag (may be NULL)
 * is cached, without any request (s3 may then be NULL); otherwise downloaded
 * with s3, filed under the ETag the server sent, and the cache trimmed to its
 * limit. On success *path_out is kf_malloc'd (caller kf_frees) and etag_out
 * holds the file's ETag: when it differs from expected_etag the photo has
 * changed in the bucket. Errors: those of kf_s3_get_file(); KF_E_NET naming
 * the key when it is not cached and s3 is NULL; KF_E_FORMAT when the server
 * sent no ETag. */
int kf_photo_cache_fetch(const struct kf_photo_cache *c, struct kf_s3 *s3, const char *key,
			 const char *expected_etag, char **path_out,
			 char etag_out[KF_S3_ETAG_SIZE], struct kf_err *err);

/* Remove the least recently used files until the cache holds at most
 * c->limit_bytes; keep (may be NULL) is never removed. *removed (may be NULL)
 * gets the number of files removed. Temporary files are left alone unless a
 * day old (a crash's leftovers). */
int kf_photo_cache_trim(const struct kf_photo_cache *c, const char *keep, int64_t *removed,
			struct kf_err *err);

#endif
