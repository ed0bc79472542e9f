/* store_photo.c: photo rows and their job state (store_photo.h). */
#include "data/store_photo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "data/store_int.h"

#define PHOTO_COLUMNS \
	"SELECT p.id, p.gallery_id, p.key, p.path, p.etag, p.size, p.mtime_ns," \
	" p.width, p.height, p.missing, coalesce(j.state, 'pending'), j.last_error," \
	" coalesce(j.attempts, 0), coalesce(j.processed_at, 0)," \
	" (SELECT count(*) FROM photo_faces f WHERE f.photo_id = p.id)," \
	" (SELECT count(*) FROM photo_faces f JOIN face_matches m" \
	"   ON m.photo_face_id = f.id WHERE f.photo_id = p.id)," \
	" coalesce(p.platform_id, 0)" \
	" FROM photos p LEFT JOIN photo_jobs j ON j.photo_id = p.id"

static const char *const states[] = { "pending", "running", "done", "failed", "dead" };

int kf_store_photo_status_valid(const char *s)
{
	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++)
		if (strcmp(s, states[i]) == 0)
			return 1;
	return 0;
}

static int read_row(sqlite3_stmt *s, struct kf_photo *p)
{
	memset(p, 0, sizeof(*p));
	p->id = sqlite3_column_int64(s, 0);
	p->gallery_id = sqlite3_column_int64(s, 1);
	if (kf_store_col_strdup(s, 2, &p->key) < 0 || kf_store_col_strdup(s, 3, &p->path) < 0 ||
	    kf_store_col_strdup(s, 4, &p->etag) < 0 || kf_store_col_strdup(s, 11, &p->error) < 0) {
		kf_store_photo_release(p);
		return KF_E_NOMEM;
	}
	p->size = sqlite3_column_int64(s, 5);
	p->mtime_ns = sqlite3_column_int64(s, 6);
	p->width = sqlite3_column_int(s, 7);
	p->height = sqlite3_column_int(s, 8);
	p->missing = sqlite3_column_int(s, 9);
	snprintf(p->status, sizeof(p->status), "%s", (const char *)sqlite3_column_text(s, 10));
	p->attempts = sqlite3_column_int(s, 12);
	p->processed_at = sqlite3_column_int64(s, 13);
	p->faces = sqlite3_column_int64(s, 14);
	p->matches = sqlite3_column_int64(s, 15);
	p->platform_id = sqlite3_column_int64(s, 16);
	return KF_OK;
}

static int read_row_any(sqlite3_stmt *s, void *row)
{
	return read_row(s, row);
}

static void release_any(void *row)
{
	kf_store_photo_release(row);
}

int kf_store_photo_find(struct kf_store *st, int64_t gallery_id, const char *ref,
			struct kf_photo *out, struct kf_err *err)
{
	sqlite3_stmt *s;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = kf_store_prepare(st, &s, PHOTO_COLUMNS " WHERE p.gallery_id = ?1 AND "
				   "(p.id = ?2 OR p.key = ?3) ORDER BY p.id = ?2 DESC LIMIT 1",
				   err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, gallery_id);
	sqlite3_bind_int64(s, 2, kf_store_ref_id(ref));
	sqlite3_bind_text(s, 3, ref, -1, SQLITE_STATIC);
	return kf_store_find_one(st, s, read_row_any, out, "find photo", err,
				 "no photo '%s' in this gallery (see 'kingface photo list')", ref);
}

int kf_store_photo_list(struct kf_store *st, int64_t gallery_id, const char *status,
			int64_t offset, int64_t limit, struct kf_photo **out, size_t *n,
			int64_t *total, struct kf_err *err)
{
	return kf_store_photo_search(st, gallery_id, status, NULL, offset, limit, out, n, total,
				     err);
}

int kf_store_photo_search(struct kf_store *st, int64_t gallery_id, const char *status,
			  const char *key_part, int64_t offset, int64_t limit,
			  struct kf_photo **out, size_t *n, int64_t *total, struct kf_err *err)
{
	sqlite3_stmt *s;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = kf_store_prepare(st, &s, "SELECT count(*) FROM photos p LEFT JOIN photo_jobs j "
				   "ON j.photo_id = p.id WHERE p.gallery_id = ?1 AND "
				   "(?2 IS NULL OR coalesce(j.state, 'pending') = ?2 OR "
				   "(?2 = 'missing' AND p.missing)) AND "
				   "(?3 IS NULL OR instr(p.key, ?3) > 0)", err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, gallery_id);
	kf_store_bind_text(s, 2, status);
	kf_store_bind_text(s, 3, key_part && *key_part ? key_part : NULL);
	rc = sqlite3_step(s);
	*total = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW)
		return kf_store_fail(st, rc, "count photos", err);

	if ((rc = kf_store_prepare(st, &s, PHOTO_COLUMNS " WHERE p.gallery_id = ?1 AND "
				   "(?2 IS NULL OR coalesce(j.state, 'pending') = ?2 OR "
				   "(?2 = 'missing' AND p.missing)) AND "
				   "(?5 IS NULL OR instr(p.key, ?5) > 0) "
				   "ORDER BY p.key LIMIT ?3 OFFSET ?4", err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, gallery_id);
	kf_store_bind_text(s, 2, status);
	sqlite3_bind_int64(s, 3, limit);
	sqlite3_bind_int64(s, 4, offset);
	kf_store_bind_text(s, 5, key_part && *key_part ? key_part : NULL);
	return kf_store_collect(st, s, sizeof(**out), read_row_any, release_any, (void **)out, n,
				"list photos", err);
}

int kf_store_photo_put(struct kf_store *st, int64_t gallery_id,
		       const struct kf_photo_file *f, int64_t *id, struct kf_err *err)
{
	sqlite3_stmt *s;
	int64_t now = kf_store_now_ms(), pid;
	int rc;

	if ((rc = kf_store_prepare(st, &s,
			"INSERT INTO photos(gallery_id, key, path, etag, size, mtime_ns, width, "
			"height, missing, created_at, updated_at) "
			"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 0, ?9, ?9) "
			"ON CONFLICT(gallery_id, key) DO UPDATE SET path = excluded.path, "
			"etag = excluded.etag, size = excluded.size, mtime_ns = excluded.mtime_ns, "
			"width = excluded.width, height = excluded.height, missing = 0, "
			"updated_at = excluded.updated_at RETURNING id", err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, gallery_id);
	sqlite3_bind_text(s, 2, f->key, -1, SQLITE_STATIC);
	kf_store_bind_text(s, 3, f->path);
	kf_store_bind_text(s, 4, f->etag);
	sqlite3_bind_int64(s, 5, f->size);
	sqlite3_bind_int64(s, 6, f->mtime_ns);
	if (f->width > 0) {
		sqlite3_bind_int(s, 7, f->width);
		sqlite3_bind_int(s, 8, f->height);
	}
	sqlite3_bind_int64(s, 9, now);
	rc = sqlite3_step(s);
	pid = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW)
		return kf_store_fail(st, rc, "store photo", err);

	if ((rc = kf_store_prepare(st, &s,
			"INSERT INTO photo_jobs(photo_id, state, attempts, last_error, updated_at) "
			"VALUES (?1, ?2, 0, ?3, ?4) ON CONFLICT(photo_id) DO UPDATE SET "
			"state = excluded.state, attempts = 0, last_error = excluded.last_error, "
			"next_attempt_at = NULL, lease_owner = NULL, lease_expires_at = NULL, "
			"updated_at = excluded.updated_at", err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, pid);
	sqlite3_bind_text(s, 2, f->error ? "failed" : "pending", -1, SQLITE_STATIC);
	kf_store_bind_text(s, 3, f->error);
	sqlite3_bind_int64(s, 4, now);
	if ((rc = kf_store_step_done(st, s, "store photo job", err)) < 0)
		return rc;
	if (id)
		*id = pid;
	return KF_OK;
}

static int update_one(struct kf_store *st, const char *sql, int64_t id, int64_t value,
		      const char *what, struct kf_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = kf_store_prepare(st, &s, sql, err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, value);
	sqlite3_bind_int64(s, 3, kf_store_now_ms());
	return kf_store_step_done(st, s, what, err);
}

int kf_store_photo_touch(struct kf_store *st, int64_t photo_id, int64_t mtime_ns,
			 struct kf_err *err)
{
	return update_one(st, "UPDATE photos SET mtime_ns = ?2, missing = 0, updated_at = ?3 "
			  "WHERE id = ?1", photo_id, mtime_ns, "update photo", err);
}

int kf_store_photo_refresh(struct kf_store *st, int64_t photo_id, const char *etag,
			   int64_t size, int64_t mtime_ns, struct kf_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = kf_store_prepare(st, &s, "UPDATE photos SET etag = ?2, size = ?3, mtime_ns = ?4, "
				   "missing = 0, updated_at = ?5 WHERE id = ?1", err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, photo_id);
	sqlite3_bind_text(s, 2, etag, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, size);
	sqlite3_bind_int64(s, 4, mtime_ns);
	sqlite3_bind_int64(s, 5, kf_store_now_ms());
	return kf_store_step_done(st, s, "update photo", err);
}

int kf_store_photo_set_missing(struct kf_store *st, int64_t photo_id, int missing,
			       struct kf_err *err)
{
	return update_one(st, "UPDATE photos SET missing = ?2, updated_at = ?3 WHERE id = ?1",
			  photo_id, missing != 0, "update photo", err);
}

void kf_store_photo_release(struct kf_photo *p)
{
	if (!p)
		return;
	kf_free(p->key);
	kf_free(p->path);
	kf_free(p->etag);
	kf_free(p->error);
	memset(p, 0, sizeof(*p));
}

void kf_store_photo_list_free(struct kf_photo *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		kf_store_photo_release(&list[i]);
	kf_free(list);
}
