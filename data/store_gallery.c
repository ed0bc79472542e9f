/* store_gallery.c: gallery rows and their counts (store_gallery.h). */
#include "data/store_gallery.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "data/store_int.h"

#define GALLERY_COLUMNS \
	"SELECT g.id, g.name, g.source, g.engine, g.created_at," \
	" (SELECT count(*) FROM photos p WHERE p.gallery_id = g.id)," \
	" (SELECT count(*) FROM clients c WHERE c.gallery_id = g.id)," \
	" (SELECT count(*) FROM photos p WHERE p.gallery_id = g.id AND p.missing)," \
	" (SELECT count(*) FROM photos p JOIN photo_jobs j ON j.photo_id = p.id" \
	"   WHERE p.gallery_id = g.id AND j.state = 'running')," \
	" (SELECT count(*) FROM photos p JOIN photo_jobs j ON j.photo_id = p.id" \
	"   WHERE p.gallery_id = g.id AND j.state = 'done')," \
	" (SELECT count(*) FROM photos p JOIN photo_jobs j ON j.photo_id = p.id" \
	"   WHERE p.gallery_id = g.id AND j.state = 'failed')," \
	" (SELECT count(*) FROM photos p JOIN photo_jobs j ON j.photo_id = p.id" \
	"   WHERE p.gallery_id = g.id AND j.state = 'dead')," \
	" (SELECT count(*) FROM photos p JOIN photo_faces f ON f.photo_id = p.id" \
	"   WHERE p.gallery_id = g.id)," \
	" (SELECT count(*) FROM photos p JOIN photo_faces f ON f.photo_id = p.id" \
	"   JOIN face_matches m ON m.photo_face_id = f.id WHERE p.gallery_id = g.id)," \
	" (SELECT coalesce(max(j.processed_at), 0) FROM photos p" \
	"   JOIN photo_jobs j ON j.photo_id = p.id WHERE p.gallery_id = g.id)," \
	" g.platform_id, g.bucket, g.remote_calls," \
	" (SELECT count(*) FROM outbox o WHERE o.gallery_id = g.id)," \
	" nullif(g.detector, '')" \
	" FROM galleries g"

static int read_row(sqlite3_stmt *s, struct kf_gallery *g)
{
	memset(g, 0, sizeof(*g));
	g->id = sqlite3_column_int64(s, 0);
	if (kf_store_col_strdup(s, 1, &g->name) < 0 || kf_store_col_strdup(s, 2, &g->source) < 0 ||
	    kf_store_col_strdup(s, 3, &g->engine) < 0 || kf_store_col_strdup(s, 16, &g->bucket) < 0 ||
	    kf_store_col_strdup(s, 19, &g->detector) < 0) {
		kf_store_gallery_release(g);
		return KF_E_NOMEM;
	}
	g->created_at = sqlite3_column_int64(s, 4);
	g->photos = sqlite3_column_int64(s, 5);
	g->clients = sqlite3_column_int64(s, 6);
	g->missing = sqlite3_column_int64(s, 7);
	g->running = sqlite3_column_int64(s, 8);
	g->done = sqlite3_column_int64(s, 9);
	g->failed = sqlite3_column_int64(s, 10);
	g->dead = sqlite3_column_int64(s, 11);
	g->faces = sqlite3_column_int64(s, 12);
	g->matches = sqlite3_column_int64(s, 13);
	g->last_processed_at = sqlite3_column_int64(s, 14);
	g->platform_id = sqlite3_column_int64(s, 15);
	g->remote_calls = sqlite3_column_int64(s, 17);
	g->sync_pending = sqlite3_column_int64(s, 18);
	g->pending = g->photos - g->running - g->done - g->failed - g->dead;
	return KF_OK;
}

static int read_row_any(sqlite3_stmt *s, void *row)
{
	return read_row(s, row);
}

static void release_any(void *row)
{
	kf_store_gallery_release(row);
}

int kf_store_gallery_create(struct kf_store *st, const char *name, const char *source,
			    int64_t *id, struct kf_err *err)
{
	sqlite3_stmt *s;
	int64_t now = kf_store_now_ms();
	int rc;

	if ((rc = kf_store_prepare(st, &s, "INSERT INTO galleries(name, source, created_at, "
				   "updated_at) VALUES (?1, ?2, ?3, ?3)", err)) < 0)
		return rc;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	kf_store_bind_text(s, 2, source);
	sqlite3_bind_int64(s, 3, now);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc == SQLITE_CONSTRAINT_UNIQUE)
		return kf_err_set(err, KF_E_EXISTS, "a gallery named '%s' already exists", name);
	if (rc != SQLITE_DONE)
		return kf_store_fail(st, rc, "create gallery", err);
	if (id)
		*id = sqlite3_last_insert_rowid(st->db);
	return KF_OK;
}

int kf_store_gallery_rename(struct kf_store *st, int64_t id, const char *name,
			    struct kf_err *err)
{
	char other[4 * KF_NAME_MAX + 1];
	sqlite3_stmt *s;
	int rc;

	/* one gallery, one name: not another's in other letters */
	if ((rc = kf_store_prepare(st, &s, "SELECT name FROM galleries WHERE id != ?1 AND "
				   "kf_name_key(name) = kf_name_key(?2) LIMIT 1", err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		snprintf(other, sizeof(other), "%s", (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	if (rc == SQLITE_ROW)
		return kf_err_set(err, KF_E_EXISTS, "a gallery named '%s' already exists%s", other,
				  strcmp(other, name) ? ", the same name but for case, accents or "
				  "spaces" : "");
	if (rc != SQLITE_DONE)
		return kf_store_fail(st, rc, "rename gallery", err);
	if ((rc = kf_store_prepare(st, &s, "UPDATE galleries SET name = ?2, updated_at = ?3 "
				   "WHERE id = ?1 AND platform_id IS NULL", err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, kf_store_now_ms());
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc == SQLITE_CONSTRAINT_UNIQUE)
		return kf_err_set(err, KF_E_EXISTS, "a gallery named '%s' already exists", name);
	if (rc != SQLITE_DONE)
		return kf_store_fail(st, rc, "rename gallery", err);
	if (sqlite3_changes(st->db) == 0)	/* the sync would take its name back */
		return kf_err_set(err, KF_E_INVALID, "a pulled gallery takes its name from the "
				  "platform at each sync: rename it there");
	return KF_OK;
}

/* After no exact match (*err says so): the one gallery whose name has
 * name's key (kf_store_name_key: "colegio sao jose" is "Colégio São José"),
 * or KF_E_INVALID naming two when several do. */
static int find_by_key(struct kf_store *st, const char *name, struct kf_gallery *out,
		       struct kf_err *err)
{
	struct kf_gallery *list = NULL;
	sqlite3_stmt *s;
	size_t n = 0;
	int rc;

	if ((rc = kf_store_prepare(st, &s, GALLERY_COLUMNS " WHERE kf_name_key(g.name) = "
				   "kf_name_key(?1) ORDER BY g.id LIMIT 2", err)) < 0)
		return rc;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	if ((rc = kf_store_collect(st, s, sizeof(*list), read_row_any, release_any,
				   (void **)&list, &n, "find gallery", err)) < 0)
		return rc;
	if (n == 1) {
		kf_err_clear(err);
		*out = list[0];
		kf_free(list);
		return KF_OK;
	}
	if (n == 2)
		rc = kf_err_set(err, KF_E_INVALID, "'%s' could be gallery '%s' (%lld) or '%s' "
				"(%lld): give the exact name or the id", name, list[0].name,
				(long long)list[0].id, list[1].name, (long long)list[1].id);
	kf_store_gallery_list_free(list, n);
	return n ? rc : KF_E_NOTFOUND;
}

static int find_one(struct kf_store *st, int64_t id, const char *name, const char *ref,
		    struct kf_gallery *out, struct kf_err *err)
{
	sqlite3_stmt *s;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = kf_store_prepare(st, &s, GALLERY_COLUMNS " WHERE g.id = ?1 OR g.name = ?2 "
				   "ORDER BY g.id = ?1 DESC LIMIT 1", err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, id);
	kf_store_bind_text(s, 2, name);
	if ((rc = kf_store_find_one(st, s, read_row_any, out, "find gallery", err,
				    "no gallery '%s' (see 'kingface gallery list')", ref)) !=
	    KF_E_NOTFOUND || !name)
		return rc;
	return find_by_key(st, name, out, err);
}

int kf_store_gallery_find(struct kf_store *st, const char *ref, struct kf_gallery *out,
			  struct kf_err *err)
{
	return find_one(st, kf_store_ref_id(ref), ref, ref, out, err);
}

int kf_store_gallery_get(struct kf_store *st, int64_t id, struct kf_gallery *out,
			 struct kf_err *err)
{
	char ref[24];

	snprintf(ref, sizeof(ref), "%lld", (long long)id);
	return find_one(st, id, NULL, ref, out, err);
}

int kf_store_gallery_list(struct kf_store *st, struct kf_gallery **out, size_t *n,
			  struct kf_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = kf_store_prepare(st, &s, GALLERY_COLUMNS " ORDER BY g.name", err)) < 0)
		return rc;
	return kf_store_collect(st, s, sizeof(**out), read_row_any, release_any, (void **)out, n,
				"list galleries", err);
}

int kf_store_gallery_remove(struct kf_store *st, int64_t id, struct kf_err *err)
{
	sqlite3_stmt *s;
	int rc;

	/* ON DELETE CASCADE removes clients, photos, jobs, faces, matches, cache. */
	if ((rc = kf_store_begin(st, err)) < 0)
		return rc;
	if ((rc = kf_store_prepare(st, &s, "DELETE FROM galleries WHERE id = ?1", err)) < 0)
		goto fail;
	sqlite3_bind_int64(s, 1, id);
	if ((rc = kf_store_step_done(st, s, "remove gallery", err)) < 0)
		goto fail;
	return kf_store_commit(st, err);
fail:
	kf_store_rollback(st);
	return rc;
}

int kf_store_gallery_source(struct kf_store *st, int64_t id, char **source,
			    struct kf_err *err)
{
	sqlite3_stmt *s;
	int rc;

	*source = NULL;
	if ((rc = kf_store_prepare(st, &s, "SELECT coalesce('s3://' || bucket || '/', source) "
				   "FROM galleries WHERE id = ?1", err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		rc = kf_store_col_strdup(s, 0, source) < 0 ?
		     kf_err_set(err, KF_E_NOMEM, "out of memory") : KF_OK;
	else if (rc == SQLITE_DONE)
		rc = kf_err_set(err, KF_E_NOTFOUND, "no gallery %lld", (long long)id);
	else
		rc = kf_store_fail(st, rc, "read gallery", err);
	sqlite3_finalize(s);
	return rc;
}

int kf_store_gallery_add_calls(struct kf_store *st, int64_t id, int64_t n, struct kf_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if (n <= 0)
		return KF_OK;
	if ((rc = kf_store_prepare(st, &s, "UPDATE galleries SET remote_calls = remote_calls + ?2 "
				   "WHERE id = ?1", err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, n);
	return kf_store_step_done(st, s, "count the engine's calls", err);
}

int kf_store_gallery_engine_use(struct kf_store *st, const struct kf_gallery *g,
				int64_t *results, int64_t *refs, struct kf_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = kf_store_prepare(st, &s, "SELECT (SELECT count(*) FROM photos p JOIN photo_jobs j "
				   "ON j.photo_id = p.id WHERE p.gallery_id = ?1 AND j.state = 'done'), "
				   "(SELECT count(*) FROM client_faces f JOIN clients c ON c.id = "
				   "f.client_id WHERE c.gallery_id = ?1 AND f.engine = ?2)", err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, g->id);
	kf_store_bind_text(s, 2, g->engine ? g->engine : "local");
	rc = sqlite3_step(s);
	*results = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	*refs = rc == SQLITE_ROW ? sqlite3_column_int64(s, 1) : 0;
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? KF_OK : kf_store_fail(st, rc, "read the gallery's engine", err);
}

/* What a switch sets: the engine (and the detector cleared) or the detector. */
enum what { SET_ENGINE, SET_DETECTOR };

/* kf_store_gallery_set_engine and _set_detector: set the column, with reset
 * dropping the results first, in one transaction. */
static int set_gallery(struct kf_store *st, int64_t id, enum what what, const char *value,
		       int reset, int64_t *requeued, struct kf_err *err)
{
	sqlite3_stmt *s;
	int64_t running = 0, photos = 0;
	int rc;

	if (requeued)
		*requeued = 0;
	if ((rc = kf_store_begin(st, err)) < 0)
		return rc;
	if ((rc = kf_store_prepare(st, &s, "SELECT (SELECT count(*) FROM photos p JOIN photo_jobs j "
				   "ON j.photo_id = p.id WHERE p.gallery_id = ?1 AND j.state = "
				   "'running'), (SELECT count(*) FROM photos WHERE gallery_id = ?1 "
				   "AND NOT missing)", err)) < 0)
		goto fail;
	sqlite3_bind_int64(s, 1, id);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		running = sqlite3_column_int64(s, 0);
		photos = sqlite3_column_int64(s, 1);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW) {
		rc = kf_store_fail(st, rc, "read the gallery's jobs", err);
		goto fail;
	}
	if (reset && running) {
		rc = kf_err_set(err, KF_E_BUSY, "%lld photo(s) of the gallery are being processed; "
				"stop the workers first", (long long)running);
		goto fail;
	}
	if (reset &&
	    ((rc = kf_store_run_i(st, "DELETE FROM photo_faces WHERE photo_id IN (SELECT id FROM "
				  "photos WHERE gallery_id = ?1)", id, "drop the gallery's faces",
				  err)) < 0 ||
	     (rc = kf_store_run_i(st, "DELETE FROM processing_cache WHERE gallery_id = ?1", id,
				  "drop the gallery's cache", err)) < 0 ||
	     (rc = kf_store_run_i(st, "UPDATE photo_jobs SET state = 'pending', attempts = 0, "
				  "last_error = NULL, next_attempt_at = NULL, lease_owner = NULL, "
				  "lease_expires_at = NULL, etag = NULL, processed_at = NULL, "
				  "updated_at = CAST((julianday('now') - 2440587.5) * 86400000 AS "
				  "INTEGER) WHERE photo_id IN (SELECT id FROM photos WHERE "
				  "gallery_id = ?1)", id, "re-queue the gallery's photos", err)) < 0))
		goto fail;
	if ((rc = kf_store_prepare(st, &s, what == SET_DETECTOR ?
				   "UPDATE galleries SET detector = ?2, updated_at = ?3 WHERE id = ?1" :
				   "UPDATE galleries SET engine = ?2, updated_at = ?3, detector = "
				   "CASE WHEN ?4 THEN NULL ELSE detector END WHERE id = ?1", err)) < 0)
		goto fail;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_text(s, 2, value, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, kf_store_now_ms());
	if (what == SET_ENGINE)
		sqlite3_bind_int(s, 4, reset);
	if ((rc = kf_store_step_done(st, s, what == SET_DETECTOR ? "set the gallery's detector" :
				     "set the gallery's engine", err)) < 0 ||
	    (rc = kf_store_commit(st, err)) < 0)
		goto fail;
	if (requeued && reset)
		*requeued = photos;
	return KF_OK;
fail:
	kf_store_rollback(st);
	return rc;
}

int kf_store_gallery_set_engine(struct kf_store *st, int64_t id, const char *engine, int reset,
				int64_t *requeued, struct kf_err *err)
{
	return set_gallery(st, id, SET_ENGINE, engine, reset, requeued, err);
}

int kf_store_gallery_set_detector(struct kf_store *st, int64_t id, const char *detector,
				  int reset, int64_t *requeued, struct kf_err *err)
{
	return set_gallery(st, id, SET_DETECTOR, detector, reset, requeued, err);
}

int kf_store_gallery_adopt_detector(struct kf_store *st, int64_t id, const char *detector,
				    struct kf_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = kf_store_prepare(st, &s, "UPDATE galleries SET detector = ?2 WHERE id = ?1 "
				   "AND coalesce(detector, '') IN ('', ?2)", err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_text(s, 2, detector, -1, SQLITE_STATIC);
	if ((rc = kf_store_step_done(st, s, "set the gallery's detector", err)) < 0)
		return rc;
	if (sqlite3_changes(st->db) == 0)
		return kf_err_set(err, KF_E_INVALID, "gallery %lld holds results of another detector "
				  "than %s (switch with 'kingface gallery detector %lld %s')",
				  (long long)id, detector, (long long)id, detector);
	return KF_OK;
}

void kf_store_gallery_release(struct kf_gallery *g)
{
	if (!g)
		return;
	kf_free(g->name);
	kf_free(g->source);
	kf_free(g->engine);
	kf_free(g->detector);
	kf_free(g->bucket);
	memset(g, 0, sizeof(*g));
}

void kf_store_gallery_list_free(struct kf_gallery *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		kf_store_gallery_release(&list[i]);
	kf_free(list);
}
