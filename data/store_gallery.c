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
	" g.platform_id, g.bucket" \
	" FROM galleries g"

static int read_row(sqlite3_stmt *s, struct kf_gallery *g)
{
	memset(g, 0, sizeof(*g));
	g->id = sqlite3_column_int64(s, 0);
	if (kf_store_col_strdup(s, 1, &g->name) < 0 || kf_store_col_strdup(s, 2, &g->source) < 0 ||
	    kf_store_col_strdup(s, 3, &g->engine) < 0 || kf_store_col_strdup(s, 16, &g->bucket) < 0) {
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
	return kf_store_find_one(st, s, read_row_any, out, "find gallery", err,
				 "no gallery '%s' (see 'kingface gallery list')", ref);
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

void kf_store_gallery_release(struct kf_gallery *g)
{
	if (!g)
		return;
	kf_free(g->name);
	kf_free(g->source);
	kf_free(g->engine);
	kf_free(g->bucket);
	memset(g, 0, sizeof(*g));
}

void kf_store_gallery_list_free(struct kf_gallery *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		kf_store_gallery_release(&list[i]);
	kf_free(list);
}
