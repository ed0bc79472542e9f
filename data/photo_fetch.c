/* photo_fetch.c: a photo's bytes from its file or its bucket (photo_fetch.h). */
#include "data/photo_fetch.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/alloc.h"
#include "core/image.h"
#include "data/config.h"
#include "data/paths.h"
#include "data/photo_cache.h"
#include "data/source_folder.h"
#include "data/store_gallery.h"

void kf_photo_local_release(struct kf_photo_local *l)
{
	if (!l)
		return;
	kf_free(l->path);
	kf_free(l->buf);
	l->path = NULL;
	l->buf = NULL;
	l->len = 0;
}

/* A folder photo: its file, the ETag recomputed when the file changed. */
static int from_file(struct kf_store *st, const struct kf_photo *p, struct kf_photo_local *out,
		     struct kf_err *err)
{
	struct stat sb;
	int64_t mtime_ns;
	int rc;

	out->own_failure = 1;
	if (stat(p->path, &sb) != 0)
		return kf_err_errno(err, KF_E_IO, "cannot read photo file '%s'", p->path);
	mtime_ns = kf_stat_mtime_ns(&sb);
	if (!(out->path = kf_strdup(p->path))) {
		out->own_failure = 0;
		return kf_err_set(err, KF_E_NOMEM, "out of memory");
	}
	if (p->etag && sb.st_size == p->size && mtime_ns == p->mtime_ns) {
		snprintf(out->etag, sizeof(out->etag), "%s", p->etag);
		return KF_OK;
	}
	if ((rc = kf_image_read_file(p->path, &out->buf, &out->len, err)) < 0)
		return rc;
	kf_source_md5_hex(out->buf, out->len, out->etag);
	out->own_failure = 0;
	return kf_store_photo_refresh(st, p->id, out->etag, (int64_t)out->len, mtime_ns, err);
}

/* The bucket of the photo's gallery into *bucket (NULL: KINGFACE_BUCKET). */
static int bucket_of(struct kf_store *st, const struct kf_photo *p, char **bucket,
		     struct kf_photo_local *out, struct kf_err *err)
{
	char *source = NULL, *prefix = NULL;
	int rc;

	*bucket = NULL;
	if ((rc = kf_store_gallery_source(st, p->gallery_id, &source, err)) < 0)
		return rc;
	if (source && !strncmp(source, "s3://", 5)) {
		out->own_failure = 1;
		rc = kf_s3_parse_url(source, bucket, &prefix, err);
	}
	kf_free(source);
	kf_free(prefix);
	return rc;
}

int kf_photo_fetch_bucket(const char *bucket, const char *key, const char *etag,
			  struct kf_photo_local *out, struct kf_err *err)
{
	struct kf_photo_cache cache;
	struct kf_config cfg = { 0 };
	struct kf_s3 *s3 = NULL;
	char path[PATH_MAX];
	int rc;

	memset(out, 0, sizeof(*out));
	out->own_failure = 1;
	if ((rc = kf_photo_cache_init(&cache, NULL, 0, err)) < 0)
		return rc;
	if (kf_photo_cache_lookup(&cache, key, etag, path)) {
		snprintf(out->etag, sizeof(out->etag), "%s", etag);
		if (!(out->path = kf_strdup(path))) {
			out->own_failure = 0;
			return kf_err_set(err, KF_E_NOMEM, "out of memory");
		}
		return KF_OK;
	}
	if ((rc = kf_config_load(&cfg, NULL, err)) == KF_OK &&
	    (rc = kf_s3_open(&s3, &cfg, bucket, err)) == KF_OK)
		rc = kf_photo_cache_fetch(&cache, s3, key, etag, &out->path, out->etag, err);
	kf_s3_close(s3);
	kf_config_release(&cfg);
	return rc;
}

/* A bucket photo: through the photo cache, the network only on a miss. */
static int from_bucket(struct kf_store *st, const struct kf_photo *p,
		       struct kf_photo_local *out, struct kf_err *err)
{
	char *bucket = NULL;
	struct stat sb;
	int rc;

	if ((rc = bucket_of(st, p, &bucket, out, err)) < 0)
		return rc;
	rc = kf_photo_fetch_bucket(bucket, p->key, p->etag, out, err);
	kf_free(bucket);
	if (rc < 0)
		return rc;
	out->own_failure = 0;
	if (!p->etag || strcmp(p->etag, out->etag) != 0)	/* the photo changed */
		rc = kf_store_photo_refresh(st, p->id, out->etag,
					    stat(out->path, &sb) == 0 ? (int64_t)sb.st_size : p->size,
					    p->mtime_ns, err);
	return rc;
}

int kf_photo_fetch(struct kf_store *st, const struct kf_photo *p, struct kf_photo_local *out,
		   struct kf_err *err)
{
	int rc;

	memset(out, 0, sizeof(*out));
	rc = p->path ? from_file(st, p, out, err) : from_bucket(st, p, out, err);
	if (rc < 0) {
		int own = out->own_failure;

		kf_photo_local_release(out);
		out->own_failure = own;
	}
	return rc;
}
