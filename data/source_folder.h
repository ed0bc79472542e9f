/* source_folder.h: a local folder of photos as a gallery's source.
 *
 * kf_source_folder_import() scans DIR recursively and records each photo file
 * (by extension .jpg, .jpeg, .png in any case; dot-files are skipped) under the
 * key "its path relative to DIR". A gallery remembers its folder, so importing
 * the same folder again is incremental: files whose size and modification time
 * are unchanged are not read; changed files get their new ETag (MD5 hex of the
 * bytes, the S3 single-part convention) and go back to pending; files gone from
 * the folder are marked missing and reported. A file that is not a JPEG or PNG
 * (by its first bytes) is still recorded, as a failed photo with the reason.
 * The whole import is one transaction: on error nothing is written.
 */
#ifndef KF_SOURCE_FOLDER_H
#define KF_SOURCE_FOLDER_H

#include <stddef.h>
#include <stdint.h>

#include "data/store.h"

struct kf_import_summary {
	int64_t gallery_id;
	int created;		/* the gallery was created by this import */
	int64_t added, changed, unchanged, removed;
	int64_t skipped;	/* files that are not photos by name (or not regular) */
	int64_t failed;		/* added or changed photos that cannot be read as images */
	int64_t unreadable;	/* subfolders that cannot be read: their photos are left as
				 * they were, not marked missing */
	char unreadable_first[256];	/* the first one's key and why */
};

/* A subfolder that cannot be read (its permissions) does not stop the import:
 * it is counted in sum->unreadable and its photos stay as they were. The
 * folder itself must be readable.
 *
 * Import dir into the gallery called name (NULL: the gallery that imports
 * from dir already, else a new one named after the folder). KF_E_EXISTS when
 * that gallery imports from another folder, or name is NULL and several
 * galleries import from dir; KF_E_NOTFOUND / KF_E_IO when dir is missing or
 * unreadable. */
int kf_source_folder_import(struct kf_store *st, const char *dir, const char *name,
			    struct kf_import_summary *sum, struct kf_err *err);

/* MD5 hex (32 chars + NUL) of a file's bytes. */
int kf_source_file_etag(const char *path, char out[33], struct kf_err *err);

/* Is name a photo's by its extension (.jpg, .jpeg, .png in any case)? */
int kf_source_is_photo_name(const char *name);

/* MD5 hex (32 chars + NUL) of a buffer: a local photo's ETag. */
void kf_source_md5_hex(const uint8_t *data, size_t len, char out[33]);

/* SHA-256 hex (64 chars + NUL) of a buffer: the fingerprint of a reference photo. */
void kf_source_sha256_hex(const uint8_t *data, size_t len, char out[65]);

#endif
