/* source_folder.c: importing a folder of photos (source_folder.h). */
#include "data/source_folder.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "core/alloc.h"
#include "core/image.h"
#include "data/paths.h"
#include "data/store_gallery.h"
#include "data/store_photo.h"

#define MAX_DEPTH 32
#define MAX_PHOTO_BYTES ((int64_t)512 << 20)

struct scan {
	struct kf_store *st;
	int64_t gallery_id;
	struct kf_photo *old;		/* existing photos, sorted by key */
	size_t nold;
	unsigned char *seen;		/* per old photo */
	struct kf_import_summary *sum;
	uint8_t *buf;			/* reused file buffer */
	size_t cap;
	char **unread;			/* key prefixes of the subfolders not read */
	size_t nunread;
};

int kf_source_is_photo_name(const char *name)
{
	const char *dot = strrchr(name, '.');

	return dot && (!strcasecmp(dot, ".jpg") || !strcasecmp(dot, ".jpeg") ||
		       !strcasecmp(dot, ".png"));
}

void kf_source_md5_hex(const uint8_t *data, size_t len, char out[33])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	EVP_Digest(data, len, md, &n, EVP_md5(), NULL);
	for (unsigned i = 0; i < n && i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

void kf_source_sha256_hex(const uint8_t *data, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
	for (unsigned i = 0; i < n && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* Read a whole file into s->buf. Returns 0, or an errno-style failure message
 * in why (the photo is then recorded as failed). */
static int read_file(struct scan *s, const char *path, size_t *len, char *why, size_t nwhy)
{
	FILE *f = fopen(path, "rb");
	size_t n = 0, got;

	if (!f) {
		snprintf(why, nwhy, "cannot read: %s", strerror(errno));
		return -1;
	}
	for (;;) {
		if (n == s->cap) {
			size_t cap = s->cap ? s->cap * 2 : (size_t)1 << 22;
			uint8_t *b;

			if ((int64_t)cap > MAX_PHOTO_BYTES + 1 || !(b = kf_realloc(s->buf, cap))) {
				snprintf(why, nwhy, "file is too large (over %lld MB)",
					 (long long)(MAX_PHOTO_BYTES >> 20));
				fclose(f);
				return -1;
			}
			s->buf = b;
			s->cap = cap;
		}
		got = fread(s->buf + n, 1, s->cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		snprintf(why, nwhy, "cannot read: %s", strerror(errno));
		fclose(f);
		return -1;
	}
	fclose(f);
	*len = n;
	return 0;
}

int kf_source_file_etag(const char *path, char out[33], struct kf_err *err)
{
	struct scan s = { 0 };
	char why[128];
	size_t len;
	int rc = KF_OK;

	if (read_file(&s, path, &len, why, sizeof(why)) < 0)
		rc = kf_err_set(err, KF_E_IO, "'%s': %s", path, why);
	else
		kf_source_md5_hex(s.buf, len, out);
	kf_free(s.buf);
	return rc;
}

static int cmp_key(const void *key, const void *elem)
{
	return strcmp(key, ((const struct kf_photo *)elem)->key);
}

static int one_file(struct scan *s, const char *path, const char *key, const struct stat *sb,
		    struct kf_err *err)
{
	struct kf_photo *old = s->nold ? bsearch(key, s->old, s->nold, sizeof(*s->old), cmp_key)
					: NULL;
	int64_t mtime_ns = kf_stat_mtime_ns(sb);
	struct kf_photo_file f = { .key = key, .path = path, .size = sb->st_size,
				   .mtime_ns = mtime_ns };
	struct kf_image_info info;
	struct kf_err ierr = KF_ERR_INIT;
	char etag[33] = "", why[KF_ERR_MSG_SIZE];
	size_t len;
	int rc;

	if (old) {
		s->seen[old - s->old] = 1;
		if (old->size == sb->st_size && old->mtime_ns == mtime_ns && old->etag) {
			s->sum->unchanged++;
			return old->missing ? kf_store_photo_set_missing(s->st, old->id, 0, err)
					    : KF_OK;
		}
	}
	if (read_file(s, path, &len, why, sizeof(why)) < 0) {
		f.error = why;
	} else {
		kf_source_md5_hex(s->buf, len, etag);
		f.etag = etag;
		f.size = (int64_t)len;
		if (old && old->etag && strcmp(old->etag, etag) == 0) {
			s->sum->unchanged++;
			return kf_store_photo_touch(s->st, old->id, mtime_ns, err);
		}
		if (kf_image_probe(s->buf, len, &info, &ierr) == KF_OK) {
			f.width = info.width;
			f.height = info.height;
		} else {
			snprintf(why, sizeof(why), "%s", ierr.msg);
			f.error = why;
		}
	}
	if ((rc = kf_store_photo_put(s->st, s->gallery_id, &f, NULL, err)) < 0)
		return rc;
	if (old)
		s->sum->changed++;
	else
		s->sum->added++;
	if (f.error)
		s->sum->failed++;
	return KF_OK;
}

/* Subfolder rel cannot be read: counted, and its photos left as they are. */
static int unreadable(struct scan *s, const char *rel, struct kf_err *err)
{
	int why = errno;
	char **grown = kf_realloc(s->unread, (s->nunread + 1) * sizeof(*s->unread));

	if (!grown || !(grown[s->nunread] = kf_strdup(rel))) {
		if (grown)
			s->unread = grown;
		return kf_err_set(err, KF_E_NOMEM, "out of memory");
	}
	s->unread = grown;
	if (!s->nunread++)
		snprintf(s->sum->unreadable_first, sizeof(s->sum->unreadable_first), "'%s': %s",
			 rel, strerror(why));
	s->sum->unreadable++;
	return KF_OK;
}

/* Is key under one of the subfolders not read? */
static int under_unread(const struct scan *s, const char *key)
{
	for (size_t i = 0; i < s->nunread; i++) {
		size_t n = strlen(s->unread[i]);

		if (!strncmp(key, s->unread[i], n) && key[n] == '/')
			return 1;
	}
	return 0;
}

/* Walk dir (path on disk) whose key prefix is rel ("" at the top). */
static int walk(struct scan *s, const char *dir, const char *rel, int depth, struct kf_err *err)
{
	struct dirent **names = NULL;
	int n, rc = KF_OK;

	if (depth > MAX_DEPTH)
		return kf_err_set(err, KF_E_INVALID, "folder '%s' is nested more than %d deep",
				  dir, MAX_DEPTH);
	/* scandir sorts, so imports run in a stable order */
	if ((n = scandir(dir, &names, NULL, alphasort)) < 0 && *rel &&
	    (errno == EACCES || errno == EPERM))
		return unreadable(s, rel, err);
	if (n < 0)
		return kf_err_errno(err, KF_E_IO, "cannot read folder '%s'", dir);
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		char path[PATH_MAX], key[PATH_MAX];
		struct stat sb;

		if (rc < 0 || !strcmp(name, ".") || !strcmp(name, ".."))
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path) ||
		    snprintf(key, sizeof(key), "%s%s%s", rel, *rel ? "/" : "", name) >=
		    (int)sizeof(key)) {
			rc = kf_err_set(err, KF_E_INVALID, "path '%s/%s' is too long", dir, name);
			continue;
		}
		if (lstat(path, &sb) != 0) {
			rc = kf_err_errno(err, KF_E_IO, "cannot read '%s'", path);
			continue;
		}
		if (name[0] == '.') {
			if (!S_ISDIR(sb.st_mode))
				s->sum->skipped++;
			continue;
		}
		if (S_ISDIR(sb.st_mode)) {
			rc = walk(s, path, key, depth + 1, err);
			continue;
		}
		/* Symbolic links to files are followed; links to folders are not (loops). */
		if (S_ISLNK(sb.st_mode) && (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))) {
			s->sum->skipped++;
			continue;
		}
		if (!S_ISREG(sb.st_mode) || !kf_source_is_photo_name(name)) {
			s->sum->skipped++;
			continue;
		}
		rc = one_file(s, path, key, &sb, err);
		if (rc < 0)
			kf_err_context(err, "photo '%s'", key);
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

static int find_or_create(struct kf_store *st, const char *name, const char *source,
			  struct kf_import_summary *sum, struct kf_err *err)
{
	struct kf_gallery g;
	struct kf_err ferr = KF_ERR_INIT;
	int rc = kf_store_gallery_find(st, name, &g, &ferr);

	/* a name that is all digits may find the gallery of that id: only the
	 * same name (in other letters too) is the same gallery */
	if (rc == KF_OK && !kf_store_name_same(g.name, name)) {
		kf_store_gallery_release(&g);
		rc = KF_E_NOTFOUND;
	}
	if (rc == KF_E_NOTFOUND) {
		sum->created = 1;
		return kf_store_gallery_create(st, name, source, &sum->gallery_id, err);
	}
	if (rc < 0)
		return kf_err_set(err, rc, "%s", ferr.msg);
	sum->gallery_id = g.id;
	if (!g.source || strcmp(g.source, source) != 0)
		rc = kf_err_set(err, KF_E_EXISTS,
				"gallery '%s' imports from '%s', not '%s'; import this folder "
				"under another name with --name NAME, or remove the gallery first "
				"(kingface gallery remove)", g.name, g.source ? g.source : "no folder",
				source);
	kf_store_gallery_release(&g);
	return rc;
}

/* The gallery that imports from source already, when the import names none:
 * its name into buf (n bytes). 0 when none does, 1 when one does,
 * KF_E_EXISTS when several do (which one is meant?). */
static int gallery_of(struct kf_store *st, const char *source, char *buf, size_t n,
		      struct kf_err *err)
{
	struct kf_gallery *list;
	size_t nl, found = 0;
	int rc;

	if ((rc = kf_store_gallery_list(st, &list, &nl, err)) < 0)
		return rc;
	for (size_t i = 0; i < nl; i++) {
		if (!list[i].source || strcmp(list[i].source, source) != 0)
			continue;
		if (found++) {
			rc = kf_err_set(err, KF_E_EXISTS, "galleries '%s' and '%s' both import '%s': "
					"say which with --name NAME", buf, list[i].name, source);
			break;
		}
		snprintf(buf, n, "%s", list[i].name);
		rc = 1;
	}
	kf_store_gallery_list_free(list, nl);
	return rc;
}

int kf_source_folder_import(struct kf_store *st, const char *dir, const char *name,
			    struct kf_import_summary *sum, struct kf_err *err)
{
	struct scan s = { .st = st, .sum = sum };
	char source[PATH_MAX], known[1024];
	struct stat sb;
	int64_t total;
	int rc;

	memset(sum, 0, sizeof(*sum));
	if (!realpath(dir, source) || stat(source, &sb) != 0)
		return kf_err_errno(err, errno == ENOENT ? KF_E_NOTFOUND : KF_E_IO,
				    "cannot read folder '%s'", dir);
	if (!S_ISDIR(sb.st_mode))
		return kf_err_set(err, KF_E_INVALID, "'%s' is not a folder", dir);
	if (!name || !*name) {	/* the gallery of this folder, else its name */
		if ((rc = gallery_of(st, source, known, sizeof(known), err)) < 0)
			return rc;
		name = rc ? known : strrchr(source, '/') + 1;
		if (!*name)
			name = "root";
	}
	if ((rc = kf_store_begin(st, err)) < 0)
		return rc;
	if ((rc = find_or_create(st, name, source, sum, err)) < 0)
		goto out;
	s.gallery_id = sum->gallery_id;
	if ((rc = kf_store_photo_list(st, s.gallery_id, NULL, 0, -1, &s.old, &s.nold, &total,
				      err)) < 0)
		goto out;
	if (s.nold && !(s.seen = kf_calloc(s.nold, 1))) {
		rc = kf_err_set(err, KF_E_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = walk(&s, source, "", 0, err)) < 0)
		goto out;
	for (size_t i = 0; i < s.nold; i++) {
		if (s.seen[i] || s.old[i].missing || under_unread(&s, s.old[i].key))
			continue;
		if ((rc = kf_store_photo_set_missing(st, s.old[i].id, 1, err)) < 0)
			goto out;
		sum->removed++;
	}
	rc = kf_store_commit(st, err);
out:
	if (rc < 0)
		kf_store_rollback(st);
	kf_store_photo_list_free(s.old, s.nold);
	for (size_t i = 0; i < s.nunread; i++)
		kf_free(s.unread[i]);
	kf_free(s.unread);
	kf_free(s.seen);
	kf_free(s.buf);
	return rc;
}
