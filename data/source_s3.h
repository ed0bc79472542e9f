/* source_s3.h: a bucket prefix of S3-compatible storage as a gallery's source.
 *
 * kingface gallery import s3://BUCKET/PREFIX lists the prefix (every page)
 * and records each object whose key ends in .jpg, .jpeg or .png (any case)
 * under its full key, with the ETag and size of the listing and no local path:
 * photos are downloaded when processed, through the photo cache
 * (photo_cache.h, photo_fetch.h). Nothing is downloaded here.
 *
 * The gallery's source is the URL as given, so importing it again is
 * incremental, with the semantics of a folder import (source_folder.h): the
 * same ETag is unchanged, a new ETag is changed (back to pending, processed
 * again), a key gone from the listing is marked missing. The listing comes
 * first; the store is then written in one transaction, so on error nothing is.
 *
 * Credentials and the endpoint come from cfg (s3.h).
 */
#ifndef KF_SOURCE_S3_H
#define KF_SOURCE_S3_H

#include "data/config.h"
#include "data/source_folder.h"
#include "data/store.h"

/* Import url ("s3://BUCKET/PREFIX") into the gallery called name (NULL: the
 * last part of the prefix, else the bucket). KF_E_EXISTS when that gallery
 * imports from another source; KF_E_INVALID for a bad URL; the errors of
 * kf_s3_open() and kf_s3_list(). sum->skipped counts keys that are not photos
 * by name. */
int kf_source_s3_import(struct kf_store *st, const struct kf_config *cfg, const char *url,
			const char *name, struct kf_import_summary *sum, struct kf_err *err);

#endif
