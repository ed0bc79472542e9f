/* source_s3.c: importing a bucket prefix (source_s3.h). */
#include "data/source_s3.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "data/s3.h"
#include "data/store_gallery.h"
#include "data/store_photo.h"

/* one listed photo */
struct item {
	char *key;
	char etag[KF_S3_ETAG_SIZE];
	int64_t size, mtime_ms;
};

struct listing {
	struct item *items;
	size_t n, cap;
	int64_t skipped;
};

static int is_photo_key(const char *key)
{
	const char *dot = strrchr(key, '.');

	return dot && !strchr(dot, '/') && (!strcasecmp(dot, ".jpg") ||
					     !strcasecmp(dot, ".jpeg") || !strcasecmp(dot, ".png"));
}

static int collect(const struct kf_s3_object *o, void *ctx, struct kf_err *err)
{
	struct listing *l = ctx;
	struct item *it;

	if (!is_photo_key(o->key)) {
		l->skipped++;
		return KF_OK;
	}
	if (!o->etag[0])
		return kf_err_set(err, KF_E_FORMAT, "the listing gives no ETag for '%s'", o->key);
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;

		if (!(it = kf_realloc(l->items, cap * sizeof(*it))))
			return kf_err_set(err, KF_E_NOMEM, "out of memory listing the bucket");
		l->items = it;
		l->cap = cap;
	}
	it = &l->items[l->n];
	if (!(it->key = kf_strdup(o->key)))
		return kf_err_set(err, KF_E_NOMEM, "out of memory listing the bucket");
	memcpy(it->etag, o->etag, sizeof(it->etag));
	it->size = o->size;
	it->mtime_ms = o->mtime_ms;
	l->n++;
	return KF_OK;
}

/* The gallery called name whose source is url, created when missing. */
static int gallery_for(struct kf_store *st, const char *name, const char *url,
		       struct kf_import_summary *sum, struct kf_err *err)
{
	struct kf_err ferr = KF_ERR_INIT;
	struct kf_gallery g;
	int rc = kf_store_gallery_find(st, name, &g, &ferr);

	if (rc == KF_OK && !kf_store_name_same(g.name, name)) {	/* found by id, not by name */
		kf_store_gallery_release(&g);
		rc = KF_E_NOTFOUND;
	}
	if (rc == KF_E_NOTFOUND) {
		sum->created = 1;
		return kf_store_gallery_create(st, name, url, &sum->gallery_id, err);
	}
	if (rc < 0)
		return kf_err_set(err, rc, "%s", ferr.msg);
	sum->gallery_id = g.id;
	if (!g.source || strcmp(g.source, url) != 0)
		rc = kf_err_set(err, KF_E_EXISTS, "gallery '%s' imports from '%s', not '%s'; import "
				"under another name with --name NAME", g.name,
				g.source ? g.source : "no source", url);
	kf_store_gallery_release(&g);
	return rc;
}

static int cmp_key(const void *key, const void *elem)
{
	return strcmp(key, ((const struct kf_photo *)elem)->key);
}

/* Write the listing into the gallery: added, changed, unchanged, missing. */
static int apply(struct kf_store *st, const struct listing *l, struct kf_import_summary *sum,
		 struct kf_err *err)
{
	struct kf_photo *old = NULL, *o;
	unsigned char *seen = NULL;
	size_t nold = 0;
	int64_t total;
	int rc;

	if ((rc = kf_store_photo_list(st, sum->gallery_id, NULL, 0, -1, &old, &nold, &total,
				      err)) < 0)
		return rc;
	if (nold && !(seen = kf_calloc(nold, 1))) {
		rc = kf_err_set(err, KF_E_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < l->n; i++) {
		const struct item *it = &l->items[i];
		struct kf_photo_file f = { .key = it->key, .etag = it->etag, .size = it->size,
					   .mtime_ns = it->mtime_ms * 1000000 };

		o = nold ? bsearch(it->key, old, nold, sizeof(*old), cmp_key) : NULL;
		if (o)
			seen[o - old] = 1;
		if (o && o->etag && !strcmp(o->etag, it->etag)) {
			sum->unchanged++;
			if (o->missing && (rc = kf_store_photo_set_missing(st, o->id, 0, err)) < 0)
				goto out;
			continue;
		}
		if ((rc = kf_store_photo_put(st, sum->gallery_id, &f, NULL, err)) < 0) {
			kf_err_context(err, "photo '%s'", it->key);
			goto out;
		}
		if (o)
			sum->changed++;
		else
			sum->added++;
	}
	for (size_t i = 0; i < nold; i++) {
		if (seen[i] || old[i].missing)
			continue;
		if ((rc = kf_store_photo_set_missing(st, old[i].id, 1, err)) < 0)
			goto out;
		sum->removed++;
	}
	rc = KF_OK;
out:
	kf_store_photo_list_free(old, nold);
	kf_free(seen);
	return rc;
}

/* The default gallery name: the prefix's last part, else the bucket. */
static void default_name(const char *bucket, const char *prefix, char *out, size_t n)
{
	size_t len = strlen(prefix), end;

	while (len && prefix[len - 1] == '/')
		len--;
	end = len;
	while (len && prefix[len - 1] != '/')
		len--;
	if (end > len)
		snprintf(out, n, "%.*s", (int)(end - len), prefix + len);
	else
		snprintf(out, n, "%s", bucket);
}

int kf_source_s3_import(struct kf_store *st, const struct kf_config *cfg, const char *url,
			const char *name, struct kf_import_summary *sum, struct kf_err *err)
{
	struct listing l = { 0 };
	struct kf_s3 *s3 = NULL;
	char *bucket = NULL, *prefix = NULL, def[256];
	int rc;

	memset(sum, 0, sizeof(*sum));
	if ((rc = kf_s3_parse_url(url, &bucket, &prefix, err)) < 0 ||
	    (rc = kf_s3_open(&s3, cfg, bucket, err)) < 0 ||
	    (rc = kf_s3_list(s3, prefix, collect, &l, err)) < 0)
		goto out;
	sum->skipped = l.skipped;
	if (!name || !*name) {
		default_name(bucket, prefix, def, sizeof(def));
		name = def;
	}
	if ((rc = kf_store_begin(st, err)) < 0)
		goto out;
	if ((rc = gallery_for(st, name, url, sum, err)) < 0 ||
	    (rc = apply(st, &l, sum, err)) < 0) {
		kf_store_rollback(st);
		goto out;
	}
	rc = kf_store_commit(st, err);
out:
	for (size_t i = 0; i < l.n; i++)
		kf_free(l.items[i].key);
	kf_free(l.items);
	kf_s3_close(s3);
	kf_free(bucket);
	kf_free(prefix);
	return rc;
}
