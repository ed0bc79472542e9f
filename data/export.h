/* export.h: deliver each client's photos: a folder per client holding exactly
 * the photos `kingface results --client` lists, and a manifest.
 *
 *   DIR/<client name>/<photo file name>   hard link to the photo (a copy with
 *                                         copy set, or across file systems)
 *   DIR/manifest.csv                      client,photo,face,similarity,review
 *
 * Safety:
 * - Everything is created relative to DIR's descriptor (mkdirat, linkat,
 *   openat) with names that hold no '/', so nothing is written outside DIR; a
 *   client folder that exists as a symlink is refused.
 * - Client names become folder names by kf_export_folder_name(); two names
 *   that end up equal, or equal but for case (a case-insensitive disk), get
 *   " (2)", " (3)" in the order of the client list.
 * - A photo's file name is its key's last component; two photos of one client
 *   with the same file name (day1/A.jpg, day2/A.jpg) both take the whole key
 *   with '/' as '_'.
 * - An existing file is never overwritten: it is counted in `existing`; when
 *   it is not the photo already (an earlier export's link or copy), also in
 *   `kept`, and the note callback names it; the export goes on.
 * - A copy that fails (a full disk) removes its partial file. The manifest is
 *   written to a temporary file and renamed over DIR/manifest.csv only when
 *   every photo is in place; an error leaves no manifest of this run.
 * - A photo of a pulled gallery that is only in the bucket comes through the
 *   photo cache (photo_fetch.h).
 *
 * Fields of the manifest that could start a spreadsheet formula (= + - @)
 * are prefixed with a single quote; fields are quoted as RFC 4180 says.
 */
#ifndef KF_EXPORT_H
#define KF_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "data/store.h"

struct kf_export_opts {
	const char *dir;		/* created when missing (its parent must exist) */
	int64_t client_id;		/* 0: every client of the gallery */
	int copy;			/* copy instead of hard links */
	/* Called for each photo left out because another file holds its name
	 * (may be NULL). */
	void (*note)(void *ctx, const char *path);
	void *ctx;
};

struct kf_export_stats {
	size_t clients;		/* client folders written (clients with photos) */
	size_t photos;		/* rows of the manifest */
	size_t linked, copied;
	size_t existing;	/* names already taken: by the photo itself or not */
	size_t kept;		/* of them, other files: left as they are */
};

/* What kept counts, in words: "name taken by another file", or the plural
 * when kept != 1 (a static string). */
const char *kf_export_kept_words(size_t kept);

/* Export the gallery's results. Errors: KF_E_IO naming the path and the
 * reason (unwritable, full disk, a symlinked client folder), KF_E_NOTFOUND
 * for a photo file that is gone, the store's, the photo cache's. */
int kf_export(struct kf_store *st, int64_t gallery_id, const struct kf_export_opts *o,
	      struct kf_export_stats *stats, struct kf_err *err);

/* A client's name as a folder name into out (n >= 8 bytes): '/', '\\',
 * control characters and : * ? " < > | become '_', leading and trailing dots
 * and spaces go, at most 200 bytes (never cutting a UTF-8 character); an
 * empty result, "." or ".." becomes "_". */
void kf_export_folder_name(const char *name, char *out, size_t n);

#endif
