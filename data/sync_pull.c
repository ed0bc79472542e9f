/* sync_pull.c: a platform gallery into the local store (sync.h). */
#include "data/sync.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "core/alloc.h"
#include "data/config.h"
#include "data/paths.h"
#include "data/pg_gallery.h"
#include "data/photo_match.h"
#include "data/s3.h"
#include "data/settings.h"
#include "data/source_folder.h"
#include "data/store_face.h"
#include "data/store_photo.h"
#include "data/store_result.h"
#include "data/store_review.h"
#include "data/store_sync.h"

/* What PostgreSQL has of the gallery, read before the local transaction. */
struct remote {
	char *name;
	PGresult *clients;	/* id, name */
	PGresult *photos;	/* id, file_path, size_bytes */
	PGresult *refs;		/* uid, client_id, model, hex descriptor, source_key,
				 * source_sha256, box json, confidence, created ms */
	PGresult *reviews;	/* photo_id, face_index, box json, client_id, verdict,
				 * created ms; by photo, in the order made */
};

static void remote_release(struct remote *r)
{
	kf_free(r->name);
	PQclear(r->clients);
	PQclear(r->photos);
	PQclear(r->refs);
	PQclear(r->reviews);
}

static int remote_select(struct kf_pg *pg, int64_t platform_id, struct remote *r,
			 struct kf_err *err)
{
	char id[24];
	const char *p[1] = { kf_pg_i64(id, platform_id) };
	PGresult *res;
	int rc;

	if ((rc = kf_pg_exec(pg, "SELECT name FROM king_galleries WHERE id = $1", 1, p, &res,
			     "read the gallery", err)) < 0)
		return rc;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return kf_err_set(err, KF_E_NOTFOUND, "no gallery %s on the platform (PostgreSQL "
				  "at %s)", id, pg->where);
	}
	r->name = kf_strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	if (!r->name)
		return kf_err_set(err, KF_E_NOMEM, "out of memory");
	if ((rc = kf_pg_exec(pg, "SELECT id, name FROM king_gallery_clients WHERE gallery_id = $1 "
			     "ORDER BY id", 1, p, &r->clients, "read the clients", err)) < 0 ||
	    (rc = kf_pg_exec(pg, "SELECT id, file_path, coalesce(size_bytes, 0) FROM king_photos "
			     "WHERE gallery_id = $1 ORDER BY id", 1, p, &r->photos,
			     "read the photos", err)) < 0 ||
	    (rc = kf_pg_exec(pg, "SELECT uid, client_id, model, encode(descriptor, 'hex'), "
			     "source_key, source_sha256, bounding_box_json::text, "
			     "coalesce(confidence, 0), "
			     "(extract(epoch FROM created_at) * 1000)::bigint "
			     "FROM rekognition_client_faces WHERE gallery_id = $1 AND "
			     "engine = 'local' AND descriptor IS NOT NULL ORDER BY id", 1, p,
			     &r->refs, "read the references", err)) < 0 ||
	    (rc = kf_pg_exec(pg, "SELECT r.photo_id, r.face_index, r.bounding_box_json::text, "
			     "r.client_id, r.verdict, (extract(epoch FROM r.created_at) * 1000)::bigint "
			     "FROM kingface_face_reviews r JOIN king_photos p ON p.id = r.photo_id "
			     "WHERE p.gallery_id = $1 ORDER BY r.photo_id, r.id", 1, p, &r->reviews,
			     "read the reviews", err)) < 0)
		return rc;
	return KF_OK;
}

/* The gallery, its clients, photos and references as of one snapshot. */
static int remote_read(struct kf_pg *pg, int64_t platform_id, struct remote *r,
		       struct kf_err *err)
{
	int rc;

	if ((rc = kf_pg_begin(pg, err)) < 0)
		return rc;
	if ((rc = kf_pg_exec(pg, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY", 0,
			     NULL, NULL, "read the gallery", err)) < 0 ||
	    (rc = remote_select(pg, platform_id, r, err)) < 0) {
		kf_pg_rollback(pg);
		return rc;
	}
	return kf_pg_commit(pg, err);
}

/* A JSON array of column col of res, as strings ("[\"1\",\"2\"]"). */
static char *id_array(const PGresult *res, int col)
{
	cJSON *a = cJSON_CreateArray();
	char *text, *out = NULL;

	for (int i = 0; a && i < PQntuples(res); i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(PQgetvalue(res, i, col)));
	if (a && (text = cJSON_PrintUnformatted(a))) {
		out = kf_strdup(text);
		cJSON_free(text);
	}
	cJSON_Delete(a);
	return out;
}

static int cmp_key(const void *key, const void *elem)
{
	return strcmp(key, ((const struct kf_photo *)elem)->key);
}

/* The bucket's objects under the photos' common prefix, sorted by key. */
struct listing {
	struct object {
		char *key;
		char etag[KF_S3_ETAG_SIZE];
		int64_t size;
	} *o;
	size_t n, cap;
};

static int collect(const struct kf_s3_object *obj, void *ctx, struct kf_err *err)
{
	struct listing *l = ctx;

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 256;
		struct object *o = kf_realloc(l->o, cap * sizeof(*o));

		if (!o)
			return kf_err_set(err, KF_E_NOMEM, "out of memory listing the bucket");
		l->o = o;
		l->cap = cap;
	}
	if (!(l->o[l->n].key = kf_strdup(obj->key)))
		return kf_err_set(err, KF_E_NOMEM, "out of memory listing the bucket");
	memcpy(l->o[l->n].etag, obj->etag, sizeof(obj->etag));
	l->o[l->n++].size = obj->size;
	return KF_OK;
}

static int cmp_object(const void *a, const void *b)
{
	return strcmp(((const struct object *)a)->key, ((const struct object *)b)->key);
}

static int cmp_object_key(const void *key, const void *elem)
{
	return strcmp(key, ((const struct object *)elem)->key);
}

static void listing_release(struct listing *l)
{
	for (size_t i = 0; i < l->n; i++)
		kf_free(l->o[i].key);
	kf_free(l->o);
	memset(l, 0, sizeof(*l));
}

/* Is key in dir? */
static int in_dir(const char *dir, const char *key, char *path, size_t n, struct stat *sb)
{
	return dir && !strstr(key, "..") && snprintf(path, n, "%s/%s", dir, key) < (int)n &&
	       stat(path, sb) == 0 && S_ISREG(sb->st_mode);
}

/* List the bucket for the ETags of the photos not in dir (the ETag is part of
 * the match cache key: a changed object is processed again). A bucket that
 * cannot be listed (offline, no credentials) is not an error: the photos are
 * then checked when fetched, and sum->bucket_note says why. */
static void list_bucket(const struct remote *r, const char *dir, const char *bucket,
			struct listing *l, struct kf_pull_summary *sum)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_config cfg;
	struct kf_s3 *s3 = NULL;
	char path[PATH_MAX], prefix[KF_S3_MAX_KEY] = "";
	struct stat sb;
	size_t plen = 0;
	int away = 0;

	for (int i = 0; i < PQntuples(r->photos); i++) {
		const char *key = PQgetvalue(r->photos, i, 1);

		if (in_dir(dir, key, path, sizeof(path), &sb))
			continue;
		if (!away++) {
			snprintf(prefix, sizeof(prefix), "%s", key);
			plen = strlen(prefix);
		}
		while (plen && strncmp(prefix, key, plen))
			plen--;
	}
	if (!away)
		return;
	while (plen && prefix[plen - 1] != '/')	/* whole folders only */
		plen--;
	prefix[plen] = '\0';
	if (kf_config_load(&cfg, NULL, &err) == KF_OK) {
		if (kf_s3_open(&s3, &cfg, bucket, &err) == KF_OK &&
		    kf_s3_list(s3, prefix, collect, l, &err) == KF_OK) {
			qsort(l->o, l->n, sizeof(*l->o), cmp_object);
			sum->bucket_listed = 1;
		}
		kf_s3_close(s3);
		kf_config_release(&cfg);
	}
	if (!sum->bucket_listed) {
		listing_release(l);
		snprintf(sum->bucket_note, sizeof(sum->bucket_note), "%s", err.msg);
	}
}

/* One platform photo: a file in dir when it is there, else a bucket photo
 * (obj: its listing, NULL when the bucket was not listed or lacks it). */
static int one_photo(struct kf_store *st, int64_t gallery_id, const char *dir,
		     const struct kf_photo *old, const char *key, int64_t platform_id,
		     int64_t size, const struct object *obj, int listed,
		     struct kf_pull_summary *sum, struct kf_err *err)
{
	struct kf_photo_file f = { .key = key, .size = size };
	char path[PATH_MAX], etag[33];
	struct stat sb;
	int64_t id = old ? old->id : 0;
	int rc;

	if (in_dir(dir, key, path, sizeof(path), &sb)) {
		int64_t mtime_ns = kf_stat_mtime_ns(&sb);

		sum->photos_local++;
		f.path = path;
		f.size = sb.st_size;
		f.mtime_ns = mtime_ns;
		if (old && old->path && !strcmp(old->path, path) && old->etag &&
		    old->size == sb.st_size && old->mtime_ns == mtime_ns)
			goto link;
		if ((rc = kf_source_file_etag(path, etag, err)) < 0)
			return rc;
		f.etag = etag;
		if (old && old->etag && !strcmp(old->etag, etag) && old->path &&
		    !strcmp(old->path, path)) {
			if ((rc = kf_store_photo_touch(st, old->id, mtime_ns, err)) < 0)
				return rc;
			goto link;
		}
	} else if (obj) {
		f.etag = obj->etag;
		f.size = obj->size;
		if (old && !old->path && old->etag && !strcmp(old->etag, obj->etag))
			goto link;
	} else if (old) {
		goto link;	/* not listed: its ETag is checked when it is fetched */
	} else if (listed) {
		f.error = "not in the photos folder nor in the bucket";
	}
	if ((rc = kf_store_photo_put(st, gallery_id, &f, &id, err)) < 0)
		return rc;
	if (old)
		sum->photos_changed++;
	else
		sum->photos_added++;
link:
	if (old && old->missing && (rc = kf_store_photo_set_missing(st, id, 0, err)) < 0)
		return rc;
	return kf_store_sync_photo_link(st, id, platform_id, err);
}

static int pull_photos(struct kf_store *st, const struct remote *r, int64_t gallery_id,
		       const char *dir, const struct listing *l, struct kf_pull_summary *sum,
		       struct kf_err *err)
{
	struct kf_photo *old = NULL;
	size_t nold = 0;
	int64_t total;
	char *keep = NULL;
	int rc;

	if ((rc = kf_store_photo_list(st, gallery_id, NULL, 0, INT64_MAX, &old, &nold, &total,
				      err)) < 0)
		return rc;
	for (int i = 0; i < PQntuples(r->photos); i++) {
		const char *key = PQgetvalue(r->photos, i, 1);
		const struct kf_photo *o = nold ? bsearch(key, old, nold, sizeof(*old), cmp_key)
						: NULL;
		const struct object *obj = l->n ? bsearch(key, l->o, l->n, sizeof(*l->o),
							  cmp_object_key) : NULL;

		if ((rc = one_photo(st, gallery_id, dir, o, key, kf_pg_int(r->photos, i, 0),
				    kf_pg_int(r->photos, i, 2), obj, sum->bucket_listed, sum,
				    err)) < 0)
			goto out;
	}
	sum->photos = PQntuples(r->photos);
	if (!(keep = id_array(r->photos, 0))) {
		rc = kf_err_set(err, KF_E_NOMEM, "out of memory");
		goto out;
	}
	rc = kf_store_sync_photos_prune(st, gallery_id, keep, &sum->photos_missing, err);
out:
	kf_free(keep);
	kf_store_photo_list_free(old, nold);
	return rc;
}

/* The reference of row i, for client_id. */
static int ref_of(const PGresult *res, int i, int64_t client_id, struct kf_face_ref *r)
{
	cJSON *box = cJSON_Parse(kf_pg_str(res, i, 6) ? kf_pg_str(res, i, 6) : "null");
	const cJSON *v;

	memset(r, 0, sizeof(*r));
	snprintf(r->uid, sizeof(r->uid), "%s", PQgetvalue(res, i, 0));
	r->client_id = client_id;
	r->model = PQgetvalue(res, i, 2);
	r->source_path = (char *)kf_pg_str(res, i, 4);
	r->source_sha256 = (char *)kf_pg_str(res, i, 5);
	r->source_face_index = -1;
	r->score = (float)kf_pg_num(res, i, 7) / 100;
	r->created_at = kf_pg_int(res, i, 8);
	if ((v = cJSON_GetObjectItemCaseSensitive(box, "Left")) && cJSON_IsNumber(v))
		r->box_left = (float)v->valuedouble;
	if ((v = cJSON_GetObjectItemCaseSensitive(box, "Top")) && cJSON_IsNumber(v))
		r->box_top = (float)v->valuedouble;
	if ((v = cJSON_GetObjectItemCaseSensitive(box, "Width")) && cJSON_IsNumber(v))
		r->box_width = (float)v->valuedouble;
	if ((v = cJSON_GetObjectItemCaseSensitive(box, "Height")) && cJSON_IsNumber(v))
		r->box_height = (float)v->valuedouble;
	cJSON_Delete(box);
	return kf_pg_desc_parse(PQgetvalue(res, i, 3), r->descriptor, NULL);
}

static int pull_refs(struct kf_store *st, const struct remote *r, const int64_t *client_of,
		     struct kf_pull_summary *sum, struct kf_err *err)
{
	char (*uids)[33] = NULL;
	size_t nuids = 0;
	int rc = KF_OK;

	if ((rc = kf_store_sync_ref_uids(st, sum->gallery_id, &uids, &nuids, err)) < 0)
		return rc;
	for (int i = 0; i < PQntuples(r->refs); i++) {
		int64_t platform_client = kf_pg_int(r->refs, i, 1), client_id = 0;
		struct kf_face_ref ref;
		int added, pending;

		for (int c = 0; c < PQntuples(r->clients); c++)
			if (kf_pg_int(r->clients, c, 0) == platform_client)
				client_id = client_of[c];
		if (!client_id)
			continue;	/* a client the platform removed meanwhile */
		/* removed here, not pushed yet: the removal wins */
		if ((rc = kf_store_outbox_pending(st, "reference", PQgetvalue(r->refs, i, 0),
						  &pending, err)) < 0)
			goto out;
		if (pending)
			continue;
		if (ref_of(r->refs, i, client_id, &ref) < 0) {
			rc = kf_err_set(err, KF_E_FORMAT, "reference %s on the platform has a "
					"malformed descriptor", PQgetvalue(r->refs, i, 0));
			goto out;
		}
		if ((rc = kf_store_face_put_uid(st, &ref, &added, err)) < 0 ||
		    (rc = kf_store_outbox_forget(st, ref.uid, err)) < 0)
			goto out;
		sum->refs_added += added;
	}
	/* references the platform no longer has (removed on another machine) */
	for (size_t k = 0; k < nuids; k++) {
		int found = 0;

		for (int i = 0; !found && i < PQntuples(r->refs); i++)
			found = !strcmp(uids[k], PQgetvalue(r->refs, i, 0));
		if (!found) {
			if ((rc = kf_store_face_drop_uid(st, uids[k], err)) < 0 ||
			    (rc = kf_store_outbox_forget(st, uids[k], err)) < 0)
				goto out;
			sum->refs_removed++;
		}
	}
out:
	kf_free(uids);
	return rc;
}

/* The platform's reviews, photo by photo (store_review.h): a photo whose
 * reviews changed is re-matched so that they apply; one that has reviews
 * here and none there (cleared on another laptop) loses them. */
static int pull_reviews(struct kf_store *st, const struct remote *r, const int64_t *client_of,
			struct kf_pull_summary *sum, struct kf_err *err)
{
	int n = PQntuples(r->reviews), rc = KF_OK;
	struct kf_review_row *rows = NULL;
	int64_t *reviewed = NULL, *changed = NULL;
	size_t nreviewed = 0, nchanged = 0;
	struct kf_match_gallery mg;
	double setting;

	memset(&mg, 0, sizeof(mg));
	if ((rc = kf_store_review_platform_photos(st, sum->gallery_id, &reviewed, &nreviewed,
						  err)) < 0)
		return rc;
	if (!(rows = kf_calloc((size_t)n + 1, sizeof(*rows))) ||
	    !(changed = kf_calloc((size_t)n + nreviewed + 1, sizeof(*changed)))) {
		rc = kf_err_set(err, KF_E_NOMEM, "out of memory");
		goto out;
	}
	/* each platform photo with reviews, then each reviewed here that has none there */
	for (int i = 0; i < n || nreviewed;) {
		int64_t photo, local;
		size_t k = 0;
		int done;

		if (i < n) {
			photo = kf_pg_int(r->reviews, i, 0);
			for (; i < n && kf_pg_int(r->reviews, i, 0) == photo; i++) {
				int64_t client = kf_pg_int(r->reviews, i, 3), id = 0;
				cJSON *box = cJSON_Parse(PQgetvalue(r->reviews, i, 2));
				const cJSON *v;

				for (int c = 0; c < PQntuples(r->clients); c++)
					if (kf_pg_int(r->clients, c, 0) == client)
						id = client_of[c];
				if (!id) {
					cJSON_Delete(box);
					continue;	/* a client the platform removed */
				}
				rows[k].r.face_index = (int)kf_pg_int(r->reviews, i, 1);
				rows[k].r.client_id = id;
				rows[k].r.confirmed = !strcmp(PQgetvalue(r->reviews, i, 4), "confirmed");
				rows[k].created_at = kf_pg_int(r->reviews, i, 5);
				if ((v = cJSON_GetObjectItemCaseSensitive(box, "Left")))
					rows[k].r.box.x = (float)cJSON_GetNumberValue(v);
				if ((v = cJSON_GetObjectItemCaseSensitive(box, "Top")))
					rows[k].r.box.y = (float)cJSON_GetNumberValue(v);
				if ((v = cJSON_GetObjectItemCaseSensitive(box, "Width")))
					rows[k].r.box.width = (float)cJSON_GetNumberValue(v);
				if ((v = cJSON_GetObjectItemCaseSensitive(box, "Height")))
					rows[k].r.box.height = (float)cJSON_GetNumberValue(v);
				cJSON_Delete(box);
				k++;
			}
		} else {
			photo = reviewed[--nreviewed];
		}
		for (size_t j = 0; j < nreviewed; j++)	/* this photo is handled now */
			if (reviewed[j] == photo)
				reviewed[j] = reviewed[--nreviewed];
		if ((rc = kf_store_review_pulled(st, sum->gallery_id, photo, rows, k, &local, &done,
						 err)) < 0)
			goto out;
		if (done)
			changed[nchanged++] = local;
	}
	sum->reviews_changed = (int64_t)nchanged;
	if (!nchanged)
		goto out;
	if ((rc = kf_settings_get(st, "threshold", &setting, err)) < 0 ||
	    (rc = kf_match_gallery_load(st, sum->gallery_id, &mg, err)) < 0)
		goto out;
	for (size_t j = 0; j < nchanged && !strcmp(mg.engine, KF_MATCH_ENGINE_LOCAL); j++)
		if ((rc = kf_store_rematch_photo(st, sum->gallery_id, changed[j], &mg.search,
						 kf_match_gallery_threshold(&mg, (float)setting),
						 KF_MATCH_MARGIN, err)) < 0)
			goto out;
out:
	kf_match_gallery_release(&mg);
	kf_free(rows);
	kf_free(changed);
	kf_free(reviewed);
	return rc;
}

static int pull_clients(struct kf_store *st, const struct remote *r, int64_t *client_of,
			struct kf_pull_summary *sum, struct kf_err *err)
{
	char *keep;
	int rc;

	for (int i = 0; i < PQntuples(r->clients); i++) {
		int changed;

		if ((rc = kf_store_sync_client(st, sum->gallery_id, kf_pg_int(r->clients, i, 0),
					       PQgetvalue(r->clients, i, 1), &client_of[i],
					       &changed, err)) < 0)
			return rc;
		sum->clients_added += changed == 1;
		sum->clients_renamed += changed == 2;
	}
	sum->clients = PQntuples(r->clients);
	if (!(keep = id_array(r->clients, 0)))
		return kf_err_set(err, KF_E_NOMEM, "out of memory");
	rc = kf_store_sync_clients_prune(st, sum->gallery_id, keep, &sum->clients_removed, err);
	kf_free(keep);
	return rc;
}

int kf_sync_pull(struct kf_store *st, struct kf_pg *pg, const struct kf_pull_opts *o,
		 struct kf_pull_summary *sum, struct kf_err *err)
{
	struct remote r = { 0 };
	struct listing l = { 0 };
	char dir[PATH_MAX], *bucket = NULL;
	int64_t *client_of = NULL;
	int rc;

	memset(sum, 0, sizeof(*sum));
	if (o->photos_dir && !realpath(o->photos_dir, dir))
		return kf_err_errno(err, KF_E_NOTFOUND, "cannot use photos folder '%s'",
				    o->photos_dir);
	if ((rc = remote_read(pg, o->platform_id, &r, err)) < 0)
		goto out;
	if (!o->bucket && (rc = kf_store_sync_gallery_bucket(st, o->platform_id, &bucket, err)) < 0)
		goto out;
	list_bucket(&r, o->photos_dir ? dir : NULL, o->bucket ? o->bucket : bucket, &l, sum);
	if (!(client_of = kf_calloc((size_t)PQntuples(r.clients) + 1, sizeof(*client_of)))) {
		rc = kf_err_set(err, KF_E_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = kf_store_begin(st, err)) < 0)
		goto out;
	if ((rc = kf_store_sync_gallery(st, o->platform_id, r.name,
					o->photos_dir ? dir : NULL, o->bucket,
					&sum->gallery_id, &sum->created, err)) < 0 ||
	    (rc = pull_clients(st, &r, client_of, sum, err)) < 0 ||
	    (rc = pull_photos(st, &r, sum->gallery_id, o->photos_dir ? dir : NULL, &l, sum,
			      err)) < 0 ||
	    (rc = pull_refs(st, &r, client_of, sum, err)) < 0 ||
	    (rc = pull_reviews(st, &r, client_of, sum, err)) < 0 ||
	    (rc = kf_store_sync_mark(st, sum->gallery_id, KF_SYNC_PULLED, NULL, err)) < 0 ||
	    (rc = kf_store_commit(st, err)) < 0)
		kf_store_rollback(st);
out:
	kf_free(client_of);
	listing_release(&l);
	remote_release(&r);
	kf_free(bucket);
	if (rc < 0)
		kf_err_context(err, "cannot pull gallery %lld", (long long)o->platform_id);
	return rc;
}
