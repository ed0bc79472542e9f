/* sync_push.c: the outbox to the platform's rekognition_* tables (sync.h). */
#include "data/sync.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/alloc.h"
#include "data/pg_gallery.h"
#include "data/store_client.h"
#include "data/store_face.h"
#include "data/store_gallery.h"
#include "data/store_photo.h"
#include "data/store_result.h"
#include "data/store_review.h"
#include "data/store_sync.h"

/* The platform ids a push needs, for one local gallery. */
struct ids {
	int64_t gallery_id, platform_id;
	struct kf_client *clients;
	size_t nclients;
};

static void ids_release(struct ids *m)
{
	kf_store_client_list_free(m->clients, m->nclients);
	memset(m, 0, sizeof(*m));
}

static int ids_load(struct kf_store *st, int64_t gallery_id, struct ids *m, struct kf_err *err)
{
	struct kf_gallery g;
	int rc;

	ids_release(m);
	if ((rc = kf_store_gallery_get(st, gallery_id, &g, err)) < 0)
		return rc;
	m->gallery_id = gallery_id;
	m->platform_id = g.platform_id;
	kf_store_gallery_release(&g);
	return kf_store_client_list(st, gallery_id, &m->clients, &m->nclients, err);
}

/* The platform id of local client id, 0 when it exists only here. */
static int64_t platform_client(const struct ids *m, int64_t id)
{
	for (size_t i = 0; i < m->nclients; i++)
		if (m->clients[i].id == id)
			return m->clients[i].external_id ? strtoll(m->clients[i].external_id, NULL, 10)
							 : 0;
	return 0;
}

static void box_json(char *buf, size_t n, float l, float t, float w, float h)
{
	snprintf(buf, n, "{\"Width\":%.6f,\"Height\":%.6f,\"Left\":%.6f,\"Top\":%.6f}", w, h, l, t);
}

/* Push one reference: upserted when it is here, deleted when it is gone. */
static int push_ref(struct kf_store *st, struct kf_pg *pg, const struct ids *m,
		    const char *uid, struct kf_push_summary *sum, struct kf_err *err)
{
	struct kf_face_ref r;
	char gid[24], cid[24], conf[32], created[24], box[160];
	char desc[KF_PG_DESC_HEX];
	int64_t client;
	int rc = kf_store_face_by_uid(st, uid, &r, err);

	if (rc == KF_E_NOTFOUND) {
		const char *p[1] = { uid };

		kf_err_clear(err);
		sum->references++;
		return kf_pg_exec(pg, "DELETE FROM rekognition_client_faces WHERE uid = $1", 1, p,
				  NULL, "remove a reference", err);
	}
	if (rc < 0)
		return rc;
	if (!(client = platform_client(m, r.client_id))) {
		sum->local_only++;
		goto out;
	}
	if (r.engine && strcmp(r.engine, "local") != 0) {
		sum->local_only++;	/* Rekognition references are not synced yet */
		goto out;
	}
	kf_pg_desc_hex(r.descriptor, desc);
	box_json(box, sizeof(box), r.box_left, r.box_top, r.box_width, r.box_height);
	snprintf(conf, sizeof(conf), "%.4f", (double)r.score * 100);
	{
		/* the file's name only: this laptop's folders are none of the platform's */
		const char *slash = r.source_path ? strrchr(r.source_path, '/') : NULL;
		const char *p[10] = { uid, kf_pg_i64(gid, m->platform_id), kf_pg_i64(cid, client),
				      r.model, desc, slash ? slash + 1 : r.source_path,
				      r.source_sha256, box, conf, kf_pg_i64(created, r.created_at) };

		rc = kf_pg_exec(pg, "INSERT INTO rekognition_client_faces (uid, gallery_id, "
				"client_id, engine, model, descriptor, source_key, source_sha256, "
				"bounding_box_json, confidence, created_at) VALUES ($1, $2, $3, "
				"'local', $4, $5::bytea, $6, $7, $8::jsonb, $9, "
				"to_timestamp($10::double precision / 1000)) "
				"ON CONFLICT (uid) DO NOTHING", 10, p, NULL, "push a reference",
				err);
	}
	if (rc == KF_E_NOTFOUND) {	/* its client was deleted on the platform */
		kf_err_clear(err);
		sum->local_only++;
		rc = KF_OK;
	} else if (rc == KF_OK) {
		sum->references++;
	}
out:
	kf_store_face_release(&r);
	return rc;
}

/* o printed into a kf_malloc string; frees o. NULL when out of memory. */
static char *print_own(cJSON *o)
{
	char *text = o ? cJSON_PrintUnformatted(o) : NULL, *out = text ? kf_strdup(text) : NULL;

	cJSON_free(text);
	cJSON_Delete(o);
	return out;
}

/* The local payload with platform ids: photoId and each match's clientId. */
static char *platform_payload(const char *payload, const struct ids *m, int64_t photo_id)
{
	cJSON *o = cJSON_Parse(payload), *it;

	if (!o)
		return NULL;
	cJSON_ReplaceItemInObject(o, "photoId", cJSON_CreateNumber((double)photo_id));
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(o, "matches")) {
		cJSON *c = cJSON_GetObjectItemCaseSensitive(it, "clientId");

		if (cJSON_IsNumber(c))
			cJSON_SetNumberValue(c, (double)platform_client(m, (int64_t)c->valuedouble));
	}
	/* an ambiguous face's candidates are no match (never in face_matches),
	 * but the payload names them: the platform's ids there too */
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(o, "faces")) {
		cJSON *a;

		cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(it, "ambiguous")) {
			cJSON *c = cJSON_GetObjectItemCaseSensitive(a, "clientId");

			if (cJSON_IsNumber(c))
				cJSON_SetNumberValue(c, (double)platform_client(m,
								(int64_t)c->valuedouble));
		}
	}
	cJSON_ReplaceItemInObject(o, "cached", cJSON_CreateBool(0));
	return print_own(o);
}

/* The local cache key "match:<local gallery>:rest" as the platform's. */
static int platform_key(char *buf, size_t n, const char *key, const struct ids *m)
{
	const char *rest = strncmp(key, "match:", 6) ? NULL : strchr(key + 6, ':');

	if (!rest)
		return -1;
	return snprintf(buf, n, "match:%lld%s", (long long)m->platform_id, rest) < (int)n ? 0 : -1;
}

/* The photo's faces and matches as two JSON arrays for one statement:
 * [{"i": face index, "box": {...}, "c": confidence, "d": "\\x..."}] and
 * [{"i": face index, "client": platform id, "s": similarity}]. Matches of
 * clients only this laptop has are left out. NULL when out of memory. */
static int results_json(const struct ids *m, const struct kf_detail_face *faces, size_t n,
			char **fj, char **mj)
{
	cJSON *fa = cJSON_CreateArray(), *ma = cJSON_CreateArray();
	char desc[KF_PG_DESC_HEX];

	for (size_t i = 0; fa && ma && i < n; i++) {
		const struct kf_detail_face *f = &faces[i];
		cJSON *o = cJSON_CreateObject(), *b;

		cJSON_AddItemToArray(fa, o);
		cJSON_AddNumberToObject(o, "i", f->face_index);
		b = cJSON_AddObjectToObject(o, "box");
		cJSON_AddNumberToObject(b, "Width", f->box.width);
		cJSON_AddNumberToObject(b, "Height", f->box.height);
		cJSON_AddNumberToObject(b, "Left", f->box.left);
		cJSON_AddNumberToObject(b, "Top", f->box.top);
		cJSON_AddNumberToObject(o, "c", f->confidence);
		if (f->has_descriptor) {
			kf_pg_desc_hex(f->descriptor, desc);
			cJSON_AddStringToObject(o, "d", desc);
		}
		for (size_t k = 0; k < f->nmatches; k++) {
			int64_t client = platform_client(m, f->matches[k].client_id);
			cJSON *mo;

			if (!client)
				continue;
			mo = cJSON_CreateObject();
			cJSON_AddItemToArray(ma, mo);
			cJSON_AddNumberToObject(mo, "i", f->face_index);
			cJSON_AddNumberToObject(mo, "client", (double)client);
			cJSON_AddNumberToObject(mo, "s", f->matches[k].similarity);
		}
	}
	*fj = print_own(fa);
	*mj = print_own(ma);
	if (*fj && *mj)
		return KF_OK;
	kf_free(*fj);
	kf_free(*mj);
	*fj = *mj = NULL;
	return KF_E_NOMEM;
}

/* The photo's reviews as one JSON array, [{"i", "box", "client", "v", "at"}],
 * clients only this laptop has left out; NULL when out of memory. */
static char *reviews_json(const struct ids *m, const struct kf_review_row *rows, size_t n)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t k = 0; a && k < n; k++) {
		int64_t client = platform_client(m, rows[k].r.client_id);
		cJSON *o, *b;

		if (!client)
			continue;
		o = cJSON_CreateObject();
		cJSON_AddItemToArray(a, o);
		cJSON_AddNumberToObject(o, "i", rows[k].r.face_index);
		b = cJSON_AddObjectToObject(o, "box");
		cJSON_AddNumberToObject(b, "Width", rows[k].r.box.width);
		cJSON_AddNumberToObject(b, "Height", rows[k].r.box.height);
		cJSON_AddNumberToObject(b, "Left", rows[k].r.box.x);
		cJSON_AddNumberToObject(b, "Top", rows[k].r.box.y);
		cJSON_AddNumberToObject(o, "client", (double)client);
		cJSON_AddStringToObject(o, "v", rows[k].r.confirmed ? "confirmed" : "rejected");
		cJSON_AddNumberToObject(o, "at", (double)rows[k].created_at);
	}
	return print_own(a);
}

/* Replace the photo's reviews on the platform with the local ones. */
static int push_reviews(struct kf_store *st, struct kf_pg *pg, const struct ids *m,
			int64_t photo_id, const char *pid, struct kf_err *err)
{
	struct kf_review_row *rows = NULL;
	size_t n = 0;
	char *rj;
	int rc;

	if ((rc = kf_store_review_list(st, photo_id, &rows, &n, err)) < 0)
		return rc;
	rj = reviews_json(m, rows, n);
	kf_store_review_free(rows, n);
	if (!rj)
		return kf_err_set(err, KF_E_NOMEM, "out of memory");
	if ((rc = kf_pg_exec(pg, "DELETE FROM kingface_face_reviews WHERE photo_id = $1", 1, &pid,
			     NULL, "replace the photo's reviews", err)) == KF_OK)
		rc = kf_pg_exec(pg, "INSERT INTO kingface_face_reviews (photo_id, face_index, "
				"bounding_box_json, client_id, verdict, created_at) SELECT $1, "
				"(x->>'i')::int, x->'box', (x->>'client')::bigint, x->>'v', "
				"to_timestamp((x->>'at')::double precision / 1000) "
				"FROM jsonb_array_elements($2::jsonb) x", 2,
				(const char *[]){ pid, rj }, NULL, "push the photo's reviews", err);
	kf_free(rj);
	return rc;
}

/* A done photo's faces, matches and cache entry: three statements whatever
 * the number of faces (round trips are what a sync over a slow link pays). */
static int push_results(struct kf_store *st, struct kf_pg *pg, const struct ids *m,
			const struct kf_photo *p, const char *pid, struct kf_err *err)
{
	struct kf_detail_face *faces = NULL;
	size_t nfaces = 0;
	char *key = NULL, *payload = NULL, *text = NULL, *fj = NULL, *mj = NULL;
	char pkey[1200], exp[24], gid[24];
	int64_t expires;
	int rc;

	if ((rc = kf_store_detail(st, p->id, &faces, &nfaces, err)) < 0)
		goto out;
	if (results_json(m, faces, nfaces, &fj, &mj) < 0) {
		rc = kf_err_set(err, KF_E_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = kf_pg_exec(pg, "DELETE FROM rekognition_photo_faces WHERE photo_id = $1", 1,
			     &pid, NULL, "replace the photo's faces", err)) < 0 ||
	    (rc = kf_pg_exec(pg, "WITH f AS (INSERT INTO rekognition_photo_faces (photo_id, "
			     "face_index, bounding_box_json, confidence, descriptor) SELECT $1, "
			     "(x->>'i')::int, x->'box', (x->>'c')::real, (x->>'d')::bytea "
			     "FROM jsonb_array_elements($2::jsonb) x RETURNING id, face_index) "
			     "INSERT INTO rekognition_face_matches (photo_face_id, client_id, "
			     "similarity) SELECT f.id, (y->>'client')::bigint, (y->>'s')::real "
			     "FROM f JOIN jsonb_array_elements($3::jsonb) y ON "
			     "(y->>'i')::int = f.face_index", 3, (const char *[]){ pid, fj, mj },
			     NULL, "push the photo's faces and matches", err)) < 0)
		goto out;
	/* the photo's cache entry, under the platform's gallery id */
	if ((rc = kf_store_sync_photo_cache(st, p->id, &key, &payload, &expires, err)) < 0)
		goto out;
	if (key && platform_key(pkey, sizeof(pkey), key, m) == 0) {
		if (!(text = platform_payload(payload, m, p->platform_id))) {
			rc = kf_err_set(err, KF_E_NOMEM, "out of memory");
			goto out;
		}
		rc = kf_pg_exec(pg, "WITH old AS (DELETE FROM rekognition_processing_cache WHERE "
				"photo_id = $3 AND cache_key <> $1) INSERT INTO "
				"rekognition_processing_cache (cache_key, gallery_id, photo_id, "
				"payload_json, expires_at) VALUES ($1, $2, $3, $4::jsonb, "
				"to_timestamp($5::double precision / 1000)) ON CONFLICT (cache_key) "
				"DO UPDATE SET payload_json = excluded.payload_json, expires_at = "
				"excluded.expires_at, photo_id = excluded.photo_id", 5,
				(const char *[]){ pkey, kf_pg_i64(gid, m->platform_id), pid, text,
						  kf_pg_i64(exp, expires) },
				NULL, "push the cache entry", err);
	}
out:
	kf_free(fj);
	kf_free(mj);
	kf_free(text);
	kf_free(key);
	kf_free(payload);
	kf_free(faces);
	return rc;
}

enum { PUSHED, WAITING, KEPT_REMOTE, LOCAL_ONLY };

/* One photo in one transaction: its job state, and its results when done. */
static int push_photo_tx(struct kf_store *st, struct kf_pg *pg, const struct ids *m,
			 const struct kf_photo *p, int *what, struct kf_err *err)
{
	char pid[24], gid[24], att[24], at[24];
	const char *lp[1] = { kf_pg_i64(pid, p->platform_id) };
	PGresult *res;
	int rc;

	if ((rc = kf_pg_exec(pg, "SELECT process_status = 'running' AND lease_expires_at > now(), "
			     "coalesce((extract(epoch FROM processed_at) * 1000)::bigint, 0) "
			     "FROM rekognition_photo_jobs WHERE photo_id = $1 FOR UPDATE", 1, lp,
			     &res, "lock the photo's job", err)) < 0)
		return rc;
	if (PQntuples(res) == 1) {
		int held = PQgetvalue(res, 0, 0)[0] == 't';
		int64_t remote_at = kf_pg_int(res, 0, 1);

		PQclear(res);
		if (held) {
			*what = WAITING;
			return KF_OK;
		}
		if (remote_at > p->processed_at) {
			*what = KEPT_REMOTE;
			return KF_OK;
		}
	} else {
		PQclear(res);
	}
	{
		const char *jp[8] = { kf_pg_i64(gid, m->platform_id), pid, p->key, p->etag,
				      p->status, kf_pg_i64(att, p->attempts), p->error,
				      kf_pg_i64(at, p->processed_at) };

		if ((rc = kf_pg_exec(pg, "INSERT INTO rekognition_photo_jobs (gallery_id, photo_id, "
				     "r2_key, r2_etag, process_status, attempts, last_error, "
				     "processed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, CASE WHEN "
				     "$8::bigint > 0 THEN to_timestamp($8::double precision / 1000) END) "
				     "ON CONFLICT (photo_id) DO UPDATE SET r2_etag = excluded.r2_etag, "
				     "process_status = excluded.process_status, attempts = "
				     "excluded.attempts, last_error = excluded.last_error, processed_at "
				     "= excluded.processed_at, lease_owner = NULL, lease_expires_at = "
				     "NULL, next_attempt_at = NULL, updated_at = now()", 8, jp, NULL,
				     "push the photo's job", err)) < 0)
			return rc;
	}
	if (!strcmp(p->status, "done") && ((rc = push_results(st, pg, m, p, pid, err)) < 0 ||
					    (rc = push_reviews(st, pg, m, p->id, pid, err)) < 0 ||
					    (rc = kf_store_review_pushed(st, p->id, err)) < 0))
		return rc;
	*what = PUSHED;
	return KF_OK;
}

static int push_photo(struct kf_store *st, struct kf_pg *pg, const struct ids *m,
		      const char *ref, int *what, struct kf_err *err)
{
	struct kf_photo p;
	int rc = kf_store_photo_find(st, m->gallery_id, ref, &p, err);

	if (rc == KF_E_NOTFOUND) {	/* removed here since: nothing to say */
		kf_err_clear(err);
		*what = LOCAL_ONLY;
		return KF_OK;
	}
	if (rc < 0)
		return rc;
	if (!p.platform_id || p.missing) {	/* gone from the platform */
		*what = LOCAL_ONLY;
	} else if ((rc = kf_pg_begin(pg, err)) == KF_OK) {
		rc = push_photo_tx(st, pg, m, &p, what, err);
		if (rc == KF_OK && *what == PUSHED)
			rc = kf_pg_commit(pg, err);
		else
			kf_pg_rollback(pg);
		if (rc == KF_E_NOTFOUND) {	/* deleted on the platform meanwhile */
			kf_err_clear(err);
			*what = LOCAL_ONLY;
			rc = KF_OK;
		}
	}
	kf_store_photo_release(&p);
	return rc;
}

int kf_sync_push(struct kf_store *st, struct kf_pg *pg, int64_t gallery_id,
		 struct kf_push_summary *sum, struct kf_err *err)
{
	struct kf_outbox_item it;
	struct ids m = { 0 };
	int64_t after = 0;
	int rc, what = PUSHED;

	memset(sum, 0, sizeof(*sum));
	while ((rc = kf_store_outbox_next(st, gallery_id, after, &it, err)) == KF_OK) {
		after = it.id;
		if (it.gallery_id != m.gallery_id && (rc = ids_load(st, it.gallery_id, &m, err)) < 0)
			break;
		if (!strcmp(it.kind, "reference")) {
			rc = push_ref(st, pg, &m, it.ref, sum, err);
			what = PUSHED;
		} else {
			rc = push_photo(st, pg, &m, it.ref, &what, err);
			sum->photos += what == PUSHED;
			sum->waiting += what == WAITING;
			sum->kept_remote += what == KEPT_REMOTE;
			sum->local_only += what == LOCAL_ONLY;
		}
		/* a waiting photo stays in the outbox for the next sync */
		if (rc == KF_OK && what != WAITING)
			rc = kf_store_outbox_done(st, &it, err);
		kf_store_outbox_item_release(&it);
		if (rc < 0)
			break;
	}
	ids_release(&m);
	if (rc == KF_E_NOTFOUND) {
		kf_err_clear(err);
		rc = KF_OK;
	}
	return rc;
}
