/* store_review.c: face_reviews (store_review.h). */
#include "data/store_review.h"

#include <string.h>

#include "core/alloc.h"
#include "data/store_int.h"
#include "data/store_result.h"

int kf_store_review_set(struct kf_store *st, int64_t photo_id, int face_index,
			int64_t client_id, int confirmed, struct kf_err *err)
{
	sqlite3_stmt *s;
	double box[4];
	int rc;

	if ((rc = kf_store_prepare(st, &s, "SELECT box_left, box_top, box_width, box_height "
				   "FROM photo_faces WHERE photo_id = ?1 AND face_index = ?2",
				   err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, photo_id);
	sqlite3_bind_int(s, 2, face_index);
	rc = sqlite3_step(s);
	for (int k = 0; k < 4 && rc == SQLITE_ROW; k++)
		box[k] = sqlite3_column_double(s, k);
	sqlite3_finalize(s);
	if (rc == SQLITE_DONE)
		return kf_err_set(err, KF_E_NOTFOUND, "photo %lld has no face %d (see kingface "
				  "detail: faces are numbered from 0)", (long long)photo_id,
				  face_index);
	if (rc != SQLITE_ROW)
		return kf_store_fail(st, rc, "find the face", err);
	if ((rc = kf_store_prepare(st, &s, confirmed ?
				   "DELETE FROM face_reviews WHERE photo_id = ?1 AND "
				   "((face_index = ?2 AND (verdict = 'confirmed' OR client_id = ?3)) OR "
				   " (client_id = ?3 AND verdict = 'confirmed'))" :
				   "DELETE FROM face_reviews WHERE photo_id = ?1 AND face_index = ?2 "
				   "AND client_id = ?3", err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, photo_id);
	sqlite3_bind_int(s, 2, face_index);
	sqlite3_bind_int64(s, 3, client_id);
	if ((rc = kf_store_step_done(st, s, "replace reviews", err)) < 0 ||
	    (rc = kf_store_prepare(st, &s, "INSERT INTO face_reviews(photo_id, face_index, "
				   "box_left, box_top, box_width, box_height, client_id, verdict, "
				   "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
				   err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, photo_id);
	sqlite3_bind_int(s, 2, face_index);
	for (int k = 0; k < 4; k++)
		sqlite3_bind_double(s, 3 + k, box[k]);
	sqlite3_bind_int64(s, 7, client_id);
	sqlite3_bind_text(s, 8, confirmed ? "confirmed" : "rejected", -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 9, kf_store_now_ms());
	return kf_store_step_done(st, s, "store a review", err);
}

int kf_store_review_clear(struct kf_store *st, int64_t photo_id, int face_index,
			  int64_t *removed, struct kf_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = kf_store_prepare(st, &s, "DELETE FROM face_reviews WHERE photo_id = ?1 AND "
				   "face_index = ?2", err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, photo_id);
	sqlite3_bind_int(s, 2, face_index);
	if ((rc = kf_store_step_done(st, s, "clear reviews", err)) < 0)
		return rc;
	if (removed)
		*removed = sqlite3_changes(st->db);
	return KF_OK;
}

static int read_row(sqlite3_stmt *s, void *row)
{
	struct kf_review_row *r = row;

	memset(r, 0, sizeof(*r));
	r->r.face_index = sqlite3_column_int(s, 0);
	r->r.box.x = (float)sqlite3_column_double(s, 1);
	r->r.box.y = (float)sqlite3_column_double(s, 2);
	r->r.box.width = (float)sqlite3_column_double(s, 3);
	r->r.box.height = (float)sqlite3_column_double(s, 4);
	r->r.client_id = sqlite3_column_int64(s, 5);
	r->r.confirmed = strcmp((const char *)sqlite3_column_text(s, 6), "confirmed") == 0;
	r->created_at = sqlite3_column_int64(s, 8);
	return kf_store_col_strdup(s, 7, &r->client_name);
}

static void release_row(void *row)
{
	kf_free(((struct kf_review_row *)row)->client_name);
}

int kf_store_review_list(struct kf_store *st, int64_t photo_id, struct kf_review_row **out,
			 size_t *n, struct kf_err *err)
{
	sqlite3_stmt *s;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = kf_store_prepare(st, &s, "SELECT r.face_index, r.box_left, r.box_top, "
				   "r.box_width, r.box_height, r.client_id, r.verdict, c.name, "
				   "r.created_at FROM face_reviews r JOIN clients c ON c.id = "
				   "r.client_id WHERE r.photo_id = ?1 ORDER BY r.id", err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, photo_id);
	return kf_store_collect(st, s, sizeof(**out), read_row, release_row, (void **)out, n,
				"read reviews", err);
}

void kf_store_review_free(struct kf_review_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		release_row(&rows[i]);
	kf_free(rows);
}

int kf_store_review_load(struct kf_store *st, int64_t photo_id, struct kf_match_review **out,
			 size_t *n, struct kf_err *err)
{
	struct kf_review_row *rows;
	int rc;

	*out = NULL;
	if ((rc = kf_store_review_list(st, photo_id, &rows, n, err)) < 0 || *n == 0)
		return rc;
	if (!(*out = kf_calloc(*n, sizeof(**out)))) {
		kf_store_review_free(rows, *n);
		*n = 0;
		return kf_err_set(err, KF_E_NOMEM, "out of memory reading reviews");
	}
	for (size_t i = 0; i < *n; i++)
		(*out)[i] = rows[i].r;
	kf_store_review_free(rows, *n);
	return KF_OK;
}

int kf_store_review_pulled(struct kf_store *st, int64_t gallery_id, int64_t platform_photo,
			   const struct kf_review_row *rows, size_t n, int64_t *photo_id,
			   int *changed, struct kf_err *err)
{
	struct kf_review_row *have = NULL;
	size_t nhave = 0;
	sqlite3_stmt *s;
	int rc, pending = 0, queued = 0, same;

	*photo_id = 0;
	*changed = 0;
	if ((rc = kf_store_prepare(st, &s, "SELECT p.id, p.reviews_pending, EXISTS (SELECT 1 "
				   "FROM outbox o WHERE o.kind = 'photo' AND o.ref = CAST(p.id AS "
				   "TEXT)) FROM photos p WHERE p.gallery_id = ?1 AND p.platform_id = ?2",
				   err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, gallery_id);
	sqlite3_bind_int64(s, 2, platform_photo);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*photo_id = sqlite3_column_int64(s, 0);
		pending = sqlite3_column_int(s, 1);
		queued = sqlite3_column_int(s, 2);
	}
	sqlite3_finalize(s);
	if (rc == SQLITE_DONE)
		return KF_OK;
	if (rc != SQLITE_ROW)
		return kf_store_fail(st, rc, "find a pulled photo", err);
	if (pending)	/* reviews changed here and not pushed yet: they win */
		return KF_OK;
	if ((rc = kf_store_review_list(st, *photo_id, &have, &nhave, err)) < 0)
		return rc;
	same = nhave == n;
	for (size_t k = 0; same && k < n; k++)
		same = have[k].r.face_index == rows[k].r.face_index &&
		       have[k].r.client_id == rows[k].r.client_id &&
		       have[k].r.confirmed == rows[k].r.confirmed;
	kf_store_review_free(have, nhave);
	if (same)
		return KF_OK;
	if ((rc = kf_store_run_i(st, "DELETE FROM face_reviews WHERE photo_id = ?1", *photo_id,
				 "replace reviews", err)) < 0)
		return rc;
	for (size_t k = 0; k < n; k++) {
		if ((rc = kf_store_prepare(st, &s, "INSERT OR REPLACE INTO face_reviews(photo_id, "
					   "face_index, box_left, box_top, box_width, box_height, "
					   "client_id, verdict, created_at) VALUES (?1, ?2, ?3, ?4, "
					   "?5, ?6, ?7, ?8, ?9)", err)) < 0)
			return rc;
		sqlite3_bind_int64(s, 1, *photo_id);
		sqlite3_bind_int(s, 2, rows[k].r.face_index);
		sqlite3_bind_double(s, 3, rows[k].r.box.x);
		sqlite3_bind_double(s, 4, rows[k].r.box.y);
		sqlite3_bind_double(s, 5, rows[k].r.box.width);
		sqlite3_bind_double(s, 6, rows[k].r.box.height);
		sqlite3_bind_int64(s, 7, rows[k].r.client_id);
		sqlite3_bind_text(s, 8, rows[k].r.confirmed ? "confirmed" : "rejected", -1,
				  SQLITE_STATIC);
		sqlite3_bind_int64(s, 9, rows[k].created_at);
		if ((rc = kf_store_step_done(st, s, "store a pulled review", err)) < 0)
			return rc;
	}
	/* the platform has these: not a change to push (unless the photo was
	 * queued anyway, processed here) */
	if ((rc = kf_store_run_i(st, "UPDATE photos SET reviews_pending = 0 WHERE id = ?1",
				 *photo_id, "forget a pulled change", err)) < 0 ||
	    (!queued && (rc = kf_store_run_i(st, "DELETE FROM outbox WHERE kind = 'photo' AND "
					     "ref = CAST(?1 AS TEXT)", *photo_id,
					     "forget a pulled change", err)) < 0))
		return rc;
	*changed = 1;
	return KF_OK;
}

static int read_id(sqlite3_stmt *s, void *row)
{
	*(int64_t *)row = sqlite3_column_int64(s, 0);
	return KF_OK;
}

static void release_nothing(void *row)
{
	(void)row;
}

int kf_store_review_platform_photos(struct kf_store *st, int64_t gallery_id, int64_t **out,
				    size_t *n, struct kf_err *err)
{
	sqlite3_stmt *s;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = kf_store_prepare(st, &s, "SELECT DISTINCT p.platform_id FROM face_reviews r JOIN "
				   "photos p ON p.id = r.photo_id WHERE p.gallery_id = ?1 AND "
				   "p.platform_id IS NOT NULL ORDER BY 1", err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, gallery_id);
	return kf_store_collect(st, s, sizeof(**out), read_id, release_nothing, (void **)out, n,
				"read reviewed photos", err);
}

int kf_store_review_pushed(struct kf_store *st, int64_t photo_id, struct kf_err *err)
{
	return kf_store_run_i(st, "UPDATE photos SET reviews_pending = 0 WHERE id = ?1",
			      photo_id, "mark reviews pushed", err);
}

int kf_store_review_faces(struct kf_store *st, int64_t photo_id,
			  const struct kf_detail_face *df, size_t n, struct kf_face_review **out,
			  struct kf_err *err)
{
	struct kf_review_row *rows = NULL;
	struct kf_match_face *faces = NULL;
	size_t nr = 0;
	int rc;

	*out = NULL;
	if ((rc = kf_store_review_list(st, photo_id, &rows, &nr, err)) < 0)
		return rc;
	if (n && (!(*out = kf_calloc(n, sizeof(**out))) ||
		  !(faces = kf_calloc(n, sizeof(*faces))))) {
		kf_store_review_free(rows, nr);
		kf_free(*out);
		*out = NULL;
		return kf_err_set(err, KF_E_NOMEM, "out of memory reading reviews");
	}
	for (size_t i = 0; i < n; i++)
		faces[i].box = (struct kf_box){ df[i].box.left, df[i].box.top, df[i].box.width,
						df[i].box.height };
	for (size_t k = 0; k < nr; k++) {
		int i = kf_match_review_face(faces, n, 1, 1, &rows[k].r);
		struct kf_face_review *fr;
		size_t j = 0;

		if (i < 0)
			continue;
		fr = &(*out)[i];
		for (size_t m = 0; m < fr->nrejected; m++)	/* the latest word counts */
			if (fr->rejected[m] != rows[k].r.client_id)
				fr->rejected[j++] = fr->rejected[m];
		fr->nrejected = j;
		if (rows[k].r.confirmed)
			fr->confirmed = rows[k].r.client_id;
		else {
			if (fr->confirmed == rows[k].r.client_id)
				fr->confirmed = 0;
			if (fr->nrejected < sizeof(fr->rejected) / sizeof(fr->rejected[0]))
				fr->rejected[fr->nrejected++] = rows[k].r.client_id;
		}
	}
	kf_free(faces);
	kf_store_review_free(rows, nr);
	return KF_OK;
}
