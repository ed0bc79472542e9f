/* store_sync.c: outbox, sync state and pull writes (store_sync.h). */
#include "data/store_sync.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "data/store_client.h"
#include "data/store_gallery.h"
#include "data/store_int.h"

static int read_item(sqlite3_stmt *s, void *row)
{
	struct kf_outbox_item *it = row;

	memset(it, 0, sizeof(*it));
	it->id = sqlite3_column_int64(s, 0);
	it->gallery_id = sqlite3_column_int64(s, 1);
	snprintf(it->kind, sizeof(it->kind), "%s", (const char *)sqlite3_column_text(s, 2));
	it->seq = sqlite3_column_int64(s, 4);
	return kf_store_col_strdup(s, 3, &it->ref) < 0 ? KF_E_NOMEM : KF_OK;
}

int kf_store_outbox_next(struct kf_store *st, int64_t gallery_id, int64_t after,
			 struct kf_outbox_item *it, struct kf_err *err)
{
	sqlite3_stmt *s;
	int rc;

	memset(it, 0, sizeof(*it));
	if ((rc = kf_store_prepare(st, &s, "SELECT id, gallery_id, kind, ref, seq FROM outbox "
				   "WHERE id > ?1 AND (?2 = 0 OR gallery_id = ?2) ORDER BY id "
				   "LIMIT 1", err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, after);
	sqlite3_bind_int64(s, 2, gallery_id);
	return kf_store_find_one(st, s, read_item, it, "read the outbox", err, "empty");
}

int kf_store_outbox_done(struct kf_store *st, const struct kf_outbox_item *it,
			 struct kf_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = kf_store_prepare(st, &s, "DELETE FROM outbox WHERE id = ?1 AND seq = ?2",
				   err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, it->id);
	sqlite3_bind_int64(s, 2, it->seq);
	return kf_store_step_done(st, s, "update the outbox", err);
}

static int one_int(struct kf_store *st, const char *sql, int64_t arg, int64_t *out,
		   const char *what, struct kf_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = kf_store_prepare(st, &s, sql, err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, arg);
	rc = sqlite3_step(s);
	*out = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? KF_OK : kf_store_fail(st, rc, what, err);
}

int kf_store_outbox_count(struct kf_store *st, int64_t gallery_id, int64_t *n,
			  struct kf_err *err)
{
	return one_int(st, "SELECT count(*) FROM outbox WHERE ?1 = 0 OR gallery_id = ?1",
		       gallery_id, n, "count the outbox", err);
}

int kf_store_outbox_pending(struct kf_store *st, const char *kind, const char *ref, int *yes,
			    struct kf_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = kf_store_prepare(st, &s, "SELECT 1 FROM outbox WHERE kind = ?1 AND ref = ?2",
				   err)) < 0)
		return rc;
	sqlite3_bind_text(s, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, ref, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	*yes = rc == SQLITE_ROW;
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? KF_OK : kf_store_fail(st, rc,
									   "read the outbox", err);
}

int kf_store_outbox_forget(struct kf_store *st, const char *uid, struct kf_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = kf_store_prepare(st, &s, "DELETE FROM outbox WHERE kind = 'reference' AND "
				   "ref = ?1", err)) < 0)
		return rc;
	sqlite3_bind_text(s, 1, uid, -1, SQLITE_STATIC);
	return kf_store_step_done(st, s, "update the outbox", err);
}

void kf_store_outbox_item_release(struct kf_outbox_item *it)
{
	if (it) {
		kf_free(it->ref);
		it->ref = NULL;
	}
}

static int read_state(sqlite3_stmt *s, void *row)
{
	struct kf_sync_state *st = row;

	st->pulled_at = sqlite3_column_int64(s, 0);
	st->last_ok_at = sqlite3_column_int64(s, 1);
	st->last_attempt_at = sqlite3_column_int64(s, 2);
	return kf_store_col_strdup(s, 3, &st->last_error) < 0 ? KF_E_NOMEM : KF_OK;
}

int kf_store_sync_state(struct kf_store *st, int64_t gallery_id, struct kf_sync_state *out,
			struct kf_err *err)
{
	sqlite3_stmt *s;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = kf_store_prepare(st, &s, "SELECT coalesce(pulled_at, 0), coalesce(last_ok_at, 0), "
				   "coalesce(last_attempt_at, 0), last_error FROM sync_state "
				   "WHERE gallery_id = ?1", err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, gallery_id);
	rc = kf_store_find_one(st, s, read_state, out, "read the sync state", err, "never");
	return rc == KF_E_NOTFOUND ? (kf_err_clear(err), KF_OK) : rc;
}

int kf_store_sync_mark(struct kf_store *st, int64_t gallery_id, enum kf_sync_event ev,
		       const char *error, struct kf_err *err)
{
	static const char *const sql[] = {
		[KF_SYNC_PULLED] = "pulled_at = ?2",
		[KF_SYNC_OK] = "last_ok_at = ?2, last_attempt_at = ?2, last_error = NULL",
		[KF_SYNC_FAILED] = "last_attempt_at = ?2, last_error = ?3",
	};
	char text[128];
	sqlite3_stmt *s;
	int rc;

	if ((rc = kf_store_prepare(st, &s, "INSERT INTO sync_state(gallery_id) VALUES (?1) "
				   "ON CONFLICT DO NOTHING", err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, gallery_id);
	if ((rc = kf_store_step_done(st, s, "record the sync", err)) < 0)
		return rc;
	snprintf(text, sizeof(text), "UPDATE sync_state SET %s WHERE gallery_id = ?1", sql[ev]);
	if ((rc = kf_store_prepare(st, &s, text, err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, gallery_id);
	sqlite3_bind_int64(s, 2, kf_store_now_ms());
	if (ev == KF_SYNC_FAILED)
		kf_store_bind_text(s, 3, error);
	return kf_store_step_done(st, s, "record the sync", err);
}

void kf_store_sync_state_release(struct kf_sync_state *s)
{
	if (s) {
		kf_free(s->last_error);
		s->last_error = NULL;
	}
}

/* Run sql binding ?1 int64 a, ?2 text b (may be NULL), ?3 text c (may be NULL). */
static int run(struct kf_store *st, const char *sql, int64_t a, const char *b, const char *c,
	       const char *what, struct kf_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = kf_store_prepare(st, &s, sql, err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, a);
	kf_store_bind_text(s, 2, b);
	kf_store_bind_text(s, 3, c);
	return kf_store_step_done(st, s, what, err);
}

int kf_store_sync_gallery(struct kf_store *st, int64_t platform_id, const char *name,
			  const char *source, const char *bucket, int64_t *id, int *created,
			  struct kf_err *err)
{
	char alt[512];
	int rc;

	*created = 0;
	if ((rc = one_int(st, "SELECT coalesce((SELECT id FROM galleries WHERE platform_id = ?1), 0)",
			  platform_id, id, "find the gallery", err)) < 0)
		return rc;
	if (!*id) {
		rc = kf_store_gallery_create(st, name, source, id, NULL);
		if (rc == KF_E_EXISTS) {
			snprintf(alt, sizeof(alt), "%s #%lld", name, (long long)platform_id);
			rc = kf_store_gallery_create(st, alt, source, id, err);
		}
		if (rc < 0)
			return kf_err_set(err, rc, "cannot create the gallery '%s'", name);
		*created = 1;
		if ((rc = kf_store_run_ii(st, "UPDATE galleries SET platform_id = ?2 WHERE id = ?1",
					  *id, platform_id, "link the gallery", err)) < 0)
			return rc;
	}
	if ((rc = run(st, "UPDATE galleries SET source = coalesce(?2, source), "
		      "bucket = coalesce(?3, bucket) WHERE id = ?1", *id, source, bucket,
		      "update the gallery", err)) < 0)
		return rc;
	/* the platform's name wins, unless another local gallery has it */
	return run(st, "UPDATE galleries SET name = ?2 WHERE id = ?1 AND name <> ?2 AND "
		   "NOT EXISTS (SELECT 1 FROM galleries WHERE name = ?2)", *id, name, NULL,
		   "rename the gallery", err);
}

static int read_text(sqlite3_stmt *s, void *row)
{
	return kf_store_col_strdup(s, 0, row) < 0 ? KF_E_NOMEM : KF_OK;
}

int kf_store_sync_gallery_bucket(struct kf_store *st, int64_t platform_id, char **bucket,
				 struct kf_err *err)
{
	sqlite3_stmt *s;
	int rc;

	*bucket = NULL;
	if ((rc = kf_store_prepare(st, &s, "SELECT bucket FROM galleries WHERE platform_id = ?1",
				   err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, platform_id);
	rc = kf_store_find_one(st, s, read_text, bucket, "read the gallery", err, "none");
	return rc == KF_E_NOTFOUND ? (kf_err_clear(err), KF_OK) : rc;
}

int kf_store_sync_client(struct kf_store *st, int64_t gallery_id, int64_t platform_id,
			 const char *name, int64_t *client_id, int *changed, struct kf_err *err)
{
	char ext[24];
	sqlite3_stmt *s;
	int rc;

	*changed = 0;
	snprintf(ext, sizeof(ext), "%lld", (long long)platform_id);
	/* a client added here first is adopted, its name in other letters too
	 * (kf_store_name_key: one person, one name) */
	if ((rc = kf_store_prepare(st, &s, "SELECT id, name = ?3 FROM clients WHERE gallery_id = ?1 "
				   "AND (external_id = ?2 OR (external_id IS NULL AND "
				   "kf_name_key(name) = kf_name_key(?3))) "
				   "ORDER BY external_id IS NULL, name = ?3 DESC LIMIT 1", err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, gallery_id);
	sqlite3_bind_text(s, 2, ext, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		int same = sqlite3_column_int(s, 1);

		*client_id = sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
		if (!same)
			*changed = 2;
		/* adopted: its references were never pushed */
		if ((rc = kf_store_run_ii(st, "INSERT INTO outbox(gallery_id, kind, ref, created_at) "
					  "SELECT c.gallery_id, 'reference', f.uid, ?2 FROM client_faces "
					  "f JOIN clients c ON c.id = f.client_id WHERE f.client_id = ?1 "
					  "AND c.external_id IS NULL ON CONFLICT (kind, ref) DO UPDATE "
					  "SET seq = seq + 1", *client_id, kf_store_now_ms(),
					  "queue the client's references", err)) < 0)
			return rc;
		return run(st, "UPDATE clients SET external_id = ?2, name = ?3 WHERE id = ?1",
			   *client_id, ext, name, "update the client", err);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return kf_store_fail(st, rc, "find the client", err);
	*changed = 1;
	return kf_store_client_add(st, gallery_id, name, ext, client_id, err);
}

int kf_store_sync_clients_prune(struct kf_store *st, int64_t gallery_id, const char *keep,
				int64_t *removed, struct kf_err *err)
{
	int rc;

	if ((rc = run(st, "DELETE FROM clients WHERE gallery_id = ?1 AND external_id IS NOT NULL "
		      "AND external_id NOT IN (SELECT value FROM json_each(?2))", gallery_id, keep,
		      NULL, "remove clients", err)) < 0)
		return rc;
	*removed = sqlite3_changes(st->db);
	return KF_OK;
}

int kf_store_sync_photo_link(struct kf_store *st, int64_t photo_id, int64_t platform_id,
			     struct kf_err *err)
{
	return kf_store_run_ii(st, "UPDATE photos SET platform_id = ?2 WHERE id = ?1", photo_id,
			       platform_id, "link the photo", err);
}

int kf_store_sync_photos_prune(struct kf_store *st, int64_t gallery_id, const char *keep,
			       int64_t *n, struct kf_err *err)
{
	int rc;

	if ((rc = run(st, "UPDATE photos SET missing = 1 WHERE gallery_id = ?1 AND NOT missing "
		      "AND platform_id IS NOT NULL AND CAST(platform_id AS TEXT) NOT IN "
		      "(SELECT value FROM json_each(?2))", gallery_id, keep, NULL,
		      "mark photos missing", err)) < 0)
		return rc;
	*n = sqlite3_changes(st->db);
	return KF_OK;
}

static int read_uid(sqlite3_stmt *s, void *row)
{
	snprintf(row, 33, "%s", (const char *)sqlite3_column_text(s, 0));
	return KF_OK;
}

int kf_store_sync_ref_uids(struct kf_store *st, int64_t gallery_id, char (**uids)[33],
			   size_t *n, struct kf_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = kf_store_prepare(st, &s, "SELECT f.uid FROM client_faces f JOIN clients c "
				   "ON c.id = f.client_id WHERE c.gallery_id = ?1 AND "
				   "c.external_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM outbox o "
				   "WHERE o.kind = 'reference' AND o.ref = f.uid)", err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, gallery_id);
	return kf_store_collect(st, s, sizeof(**uids), read_uid, NULL, (void **)uids, n,
				"list references", err);
}

struct cache_row {
	char *key, *payload;
	int64_t expires_at;
};

static int read_cache(sqlite3_stmt *s, void *row)
{
	struct cache_row *r = row;

	r->expires_at = sqlite3_column_int64(s, 2);
	return kf_store_col_strdup(s, 0, &r->key) < 0 || kf_store_col_strdup(s, 1, &r->payload) < 0
		       ? KF_E_NOMEM : KF_OK;
}

int kf_store_sync_photo_cache(struct kf_store *st, int64_t photo_id, char **key,
			      char **payload, int64_t *expires_at, struct kf_err *err)
{
	struct cache_row row = { NULL, NULL, 0 };
	sqlite3_stmt *s;
	int rc;

	*key = *payload = NULL;
	*expires_at = 0;
	if ((rc = kf_store_prepare(st, &s, "SELECT key, payload, expires_at FROM processing_cache "
				   "WHERE photo_id = ?1 ORDER BY created_at DESC LIMIT 1",
				   err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, photo_id);
	rc = kf_store_find_one(st, s, read_cache, &row, "read the cache", NULL, "none");
	if (rc == KF_E_NOTFOUND)
		return KF_OK;
	if (rc < 0) {
		kf_free(row.key);
		kf_free(row.payload);
		return kf_err_set(err, rc, "cannot read the cached result of photo %lld",
				  (long long)photo_id);
	}
	*key = row.key;
	*payload = row.payload;
	*expires_at = row.expires_at;
	return KF_OK;
}
