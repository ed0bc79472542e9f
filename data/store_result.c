/* store_result.c: faces, matches, cache and the result queries (store_result.h). */
#include "data/store_result.h"

#include <string.h>

#include "core/alloc.h"
#include "core/assign.h"
#include "data/store_int.h"
#include "data/store_review.h"

#define DESC_BYTES (KF_DESC_DIM * sizeof(float))

#define INSERT_MATCH \
	"INSERT INTO face_matches(photo_face_id, client_id, similarity) VALUES (?1, ?2, ?3)"
#define INSERT_CANDIDATE \
	"INSERT INTO face_candidates(photo_face_id, client_id, similarity, distance) " \
	"VALUES (?1, ?2, ?3, ?4)"

/* Insert the matches of one face (already prepared statement m). */
static int insert_matches(struct kf_store *st, sqlite3_stmt *m, int64_t face_id,
			  const struct kf_search_hit *hits, size_t n, struct kf_err *err)
{
	for (size_t k = 0; k < n; k++) {
		int rc;

		sqlite3_reset(m);
		sqlite3_bind_int64(m, 1, face_id);
		sqlite3_bind_int64(m, 2, hits[k].client_id);
		sqlite3_bind_double(m, 3, hits[k].similarity);
		if ((rc = sqlite3_step(m)) != SQLITE_DONE)
			return kf_store_fail(st, rc, "store a match", err);
	}
	return KF_OK;
}

/* Insert the candidates of an ambiguous face (prepared statement c); the
 * distance is NULL for a face without a descriptor (Rekognition). */
static int insert_candidates(struct kf_store *st, sqlite3_stmt *c, int64_t face_id,
			     const struct kf_match_face *face, struct kf_err *err)
{
	for (size_t k = 0; k < face->nambiguous; k++) {
		const struct kf_search_hit *h = &face->ambiguous[k];
		int rc;

		sqlite3_reset(c);
		sqlite3_bind_int64(c, 1, face_id);
		sqlite3_bind_int64(c, 2, h->client_id);
		sqlite3_bind_double(c, 3, h->similarity);
		if (face->no_descriptor)
			sqlite3_bind_null(c, 4);
		else
			sqlite3_bind_double(c, 4, h->distance);
		if ((rc = sqlite3_step(c)) != SQLITE_DONE)
			return kf_store_fail(st, rc, "store a candidate", err);
	}
	return KF_OK;
}

int kf_store_result_replace(struct kf_store *st, int64_t photo_id,
			    const struct kf_match_result *res, struct kf_err *err)
{
	sqlite3_stmt *f = NULL, *m = NULL, *c = NULL;
	int rc;

	/* face_matches and face_candidates go with their faces (ON DELETE CASCADE) */
	if ((rc = kf_store_run_i(st, "DELETE FROM photo_faces WHERE photo_id = ?1", photo_id,
			"replace photo faces", err)) < 0)
		return rc;
	/* the file may have changed since import: its size as decoded */
	if ((rc = kf_store_prepare(st, &f, "UPDATE photos SET width = ?2, height = ?3 WHERE id = ?1",
				   err)) < 0)
		return rc;
	sqlite3_bind_int64(f, 1, photo_id);
	sqlite3_bind_int(f, 2, res->width);
	sqlite3_bind_int(f, 3, res->height);
	if ((rc = kf_store_step_done(st, f, "update photo size", err)) < 0)
		return rc;
	if ((rc = kf_store_prepare(st, &f, "INSERT INTO photo_faces(photo_id, face_index, box_left, "
				   "box_top, box_width, box_height, confidence, descriptor, "
				   "recognizable) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
				   err)) < 0 ||
	    (rc = kf_store_prepare(st, &m, INSERT_MATCH, err)) < 0 ||
	    (rc = kf_store_prepare(st, &c, INSERT_CANDIDATE, err)) < 0)
		goto out;
	for (size_t i = 0; i < res->nfaces; i++) {
		const struct kf_match_face *face = &res->faces[i];
		int64_t id;

		sqlite3_reset(f);
		sqlite3_bind_int64(f, 1, photo_id);
		sqlite3_bind_int(f, 2, (int)i);
		sqlite3_bind_double(f, 3, face->box.x / res->width);
		sqlite3_bind_double(f, 4, face->box.y / res->height);
		sqlite3_bind_double(f, 5, face->box.width / res->width);
		sqlite3_bind_double(f, 6, face->box.height / res->height);
		sqlite3_bind_double(f, 7, face->score * 100.0);
		if (face->no_descriptor)
			sqlite3_bind_null(f, 8);
		else
			sqlite3_bind_blob(f, 8, face->descriptor, (int)DESC_BYTES, SQLITE_STATIC);
		sqlite3_bind_int(f, 9, !face->too_small);
		if ((rc = sqlite3_step(f)) != SQLITE_DONE) {
			rc = kf_store_fail(st, rc, "store a face", err);
			goto out;
		}
		id = sqlite3_last_insert_rowid(st->db);
		if ((rc = insert_matches(st, m, id, face->hits, face->nhits, err)) < 0 ||
		    (rc = insert_candidates(st, c, id, face, err)) < 0)
			goto out;
	}
	rc = KF_OK;
out:
	sqlite3_finalize(f);
	sqlite3_finalize(m);
	sqlite3_finalize(c);
	return rc;
}

int kf_store_cache_get(struct kf_store *st, const char *key, char **payload,
		       struct kf_err *err)
{
	sqlite3_stmt *s;
	int rc;

	*payload = NULL;
	if ((rc = kf_store_prepare(st, &s, "SELECT payload FROM processing_cache WHERE key = ?1 "
				   "AND expires_at > ?2", err)) < 0)
		return rc;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, kf_store_now_ms());
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		rc = kf_store_col_strdup(s, 0, payload) < 0
			? kf_err_set(err, KF_E_NOMEM, "out of memory reading the cache") : KF_OK;
	else if (rc == SQLITE_DONE)
		rc = KF_OK;
	else
		rc = kf_store_fail(st, rc, "read the cache", err);
	sqlite3_finalize(s);
	return rc;
}

int kf_store_cache_put(struct kf_store *st, const char *key, int64_t gallery_id,
		       int64_t photo_id, const char *payload, int64_t expires_at,
		       struct kf_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = kf_store_run_i(st, "DELETE FROM processing_cache WHERE photo_id = ?1", photo_id,
			"write the cache", err)) < 0 ||
	    (rc = kf_store_prepare(st, &s, "INSERT INTO processing_cache(key, gallery_id, photo_id, "
				   "payload, expires_at, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
				   "ON CONFLICT(key) DO UPDATE SET photo_id = excluded.photo_id, "
				   "payload = excluded.payload, expires_at = excluded.expires_at, "
				   "created_at = excluded.created_at", err)) < 0)
		return rc;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, gallery_id);
	sqlite3_bind_int64(s, 3, photo_id);
	sqlite3_bind_text(s, 4, payload, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, expires_at);
	sqlite3_bind_int64(s, 6, kf_store_now_ms());
	return kf_store_step_done(st, s, "write the cache", err);
}

int kf_store_cache_drop(struct kf_store *st, int64_t gallery_id, int64_t *n,
			struct kf_err *err)
{
	int rc = kf_store_run_i(st, "DELETE FROM processing_cache WHERE gallery_id = ?1", gallery_id,
		       "drop cached results", err);

	if (rc == KF_OK && n)
		*n = sqlite3_changes(st->db);
	return rc;
}

static void read_box(sqlite3_stmt *s, int col, struct kf_frac_box *b)
{
	b->left = (float)sqlite3_column_double(s, col);
	b->top = (float)sqlite3_column_double(s, col + 1);
	b->width = (float)sqlite3_column_double(s, col + 2);
	b->height = (float)sqlite3_column_double(s, col + 3);
}

static void result_release(void *row)
{
	kf_free(((struct kf_result_row *)row)->key);
}

static int result_read(sqlite3_stmt *s, void *row)
{
	struct kf_result_row *r = row;

	memset(r, 0, sizeof(*r));
	r->photo_id = sqlite3_column_int64(s, 0);
	r->similarity = (float)sqlite3_column_double(s, 2);
	r->face_index = sqlite3_column_int(s, 3);
	read_box(s, 4, &r->box);
	r->confirmed = sqlite3_column_int(s, 8);
	return kf_store_col_strdup(s, 1, &r->key) < 0 ? KF_E_NOMEM : KF_OK;
}

/* Each photo once, with its best face for the client. */
#define CLIENT_PHOTOS \
	"WITH best AS (SELECT f.photo_id, f.face_index, f.box_left, f.box_top, f.box_width," \
	"  f.box_height, m.similarity, row_number() OVER (PARTITION BY f.photo_id" \
	"  ORDER BY m.similarity DESC, f.face_index) AS rn FROM face_matches m" \
	"  JOIN photo_faces f ON f.id = m.photo_face_id WHERE m.client_id = ?1) "

int kf_store_results_client(struct kf_store *st, int64_t client_id, int64_t offset,
			    int64_t limit, struct kf_result_row **out, size_t *n, int64_t *total,
			    struct kf_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = kf_store_prepare(st, &s, CLIENT_PHOTOS "SELECT count(*) FROM best WHERE rn = 1",
				   err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, client_id);
	rc = sqlite3_step(s);
	*total = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW)
		return kf_store_fail(st, rc, "count results", err);
	if ((rc = kf_store_prepare(st, &s, CLIENT_PHOTOS "SELECT b.photo_id, p.key, b.similarity, "
				   "b.face_index, b.box_left, b.box_top, b.box_width, b.box_height, "
				   "EXISTS (SELECT 1 FROM face_reviews r WHERE r.photo_id = b.photo_id "
				   "AND r.client_id = ?1 AND r.verdict = 'confirmed') "
				   "FROM best b JOIN photos p ON p.id = b.photo_id WHERE b.rn = 1 "
				   "ORDER BY b.similarity DESC, p.key LIMIT ?2 OFFSET ?3", err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, client_id);
	sqlite3_bind_int64(s, 2, limit);
	sqlite3_bind_int64(s, 3, offset);
	return kf_store_collect(st, s, sizeof(**out), result_read, result_release, (void **)out, n,
				"list results", err);
}

void kf_store_results_free(struct kf_result_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		result_release(&rows[i]);
	kf_free(rows);
}

static void nothing(void *row)
{
	(void)row;
}

static int detail_read(sqlite3_stmt *s, void *row)
{
	struct kf_detail_face *f = row;

	memset(f, 0, sizeof(*f));
	f->id = sqlite3_column_int64(s, 0);
	f->face_index = sqlite3_column_int(s, 1);
	read_box(s, 2, &f->box);
	f->confidence = (float)sqlite3_column_double(s, 6);
	if (sqlite3_column_bytes(s, 7) == (int)DESC_BYTES) {
		memcpy(f->descriptor, sqlite3_column_blob(s, 7), DESC_BYTES);
		f->has_descriptor = 1;
	}
	f->too_small = !sqlite3_column_int(s, 8);
	return KF_OK;
}

int kf_detail_matched_on(const struct kf_detail_face *faces, size_t n, size_t i,
			 int64_t client_id)
{
	for (size_t j = 0; j < n; j++)
		for (size_t k = 0; j != i && k < faces[j].nmatches; k++)
			if (faces[j].matches[k].client_id == client_id)
				return faces[j].face_index;
	return -1;
}

int kf_store_detail(struct kf_store *st, int64_t photo_id, struct kf_detail_face **out,
		    size_t *n, struct kf_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = kf_store_prepare(st, &s, "SELECT id, face_index, box_left, box_top, box_width, "
				   "box_height, confidence, descriptor, recognizable FROM photo_faces "
				   "WHERE photo_id = ?1 ORDER BY face_index", err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, photo_id);
	if ((rc = kf_store_collect(st, s, sizeof(**out), detail_read, nothing, (void **)out, n,
				   "read photo faces", err)) < 0)
		return rc;
	if ((rc = kf_store_prepare(st, &s, "SELECT client_id, similarity FROM face_matches "
				   "WHERE photo_face_id = ?1 ORDER BY similarity DESC, client_id",
				   err)) < 0)
		goto fail;
	for (size_t i = 0; i < *n; i++) {
		struct kf_detail_face *f = &(*out)[i];

		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, f->id);
		while ((rc = sqlite3_step(s)) == SQLITE_ROW && f->nmatches < KF_MATCH_MAX_HITS) {
			struct kf_search_hit *h = &f->matches[f->nmatches++];

			h->client_id = sqlite3_column_int64(s, 0);
			h->similarity = (float)sqlite3_column_double(s, 1);
		}
		if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
			sqlite3_finalize(s);
			rc = kf_store_fail(st, rc, "read matches", err);
			goto fail;
		}
	}
	sqlite3_finalize(s);
	if ((rc = kf_store_prepare(st, &s, "SELECT client_id, similarity, distance FROM "
				   "face_candidates WHERE photo_face_id = ?1 "
				   "ORDER BY similarity DESC, client_id", err)) < 0)
		goto fail;
	for (size_t i = 0; i < *n; i++) {
		struct kf_detail_face *f = &(*out)[i];

		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, f->id);
		while ((rc = sqlite3_step(s)) == SQLITE_ROW &&
		       f->nambiguous < KF_MATCH_MAX_AMBIGUOUS) {
			struct kf_search_hit *h = &f->ambiguous[f->nambiguous++];

			h->client_id = sqlite3_column_int64(s, 0);
			h->similarity = (float)sqlite3_column_double(s, 1);
			h->distance = (float)sqlite3_column_double(s, 2);
		}
		if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
			sqlite3_finalize(s);
			rc = kf_store_fail(st, rc, "read candidates", err);
			goto fail;
		}
	}
	sqlite3_finalize(s);
	return KF_OK;
fail:
	kf_free(*out);
	*out = NULL;
	*n = 0;
	return rc;
}

static void recog_release(void *row)
{
	kf_free(((struct kf_recognition_row *)row)->name);
}

static int recog_read(sqlite3_stmt *s, void *row)
{
	struct kf_recognition_row *r = row;

	r->client_id = sqlite3_column_int64(s, 0);
	r->photos = sqlite3_column_int64(s, 2);
	return kf_store_col_strdup(s, 1, &r->name) < 0 ? KF_E_NOMEM : KF_OK;
}

int kf_store_recognition(struct kf_store *st, int64_t gallery_id,
			 struct kf_recognition_row **out, size_t *n, struct kf_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = kf_store_prepare(st, &s, "SELECT c.id, c.name, (SELECT count(DISTINCT f.photo_id) "
				   "FROM face_matches m JOIN photo_faces f ON f.id = m.photo_face_id "
				   "WHERE m.client_id = c.id) AS photos FROM clients c "
				   "WHERE c.gallery_id = ?1 ORDER BY photos DESC, c.name", err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, gallery_id);
	return kf_store_collect(st, s, sizeof(**out), recog_read, recog_release, (void **)out, n,
				"count recognitions", err);
}

void kf_store_recognition_free(struct kf_recognition_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		recog_release(&rows[i]);
	kf_free(rows);
}

/* The stored faces of one photo being re-matched. */
struct rematch_photo {
	int64_t photo_id;
	size_t n, cap;
	struct kf_match_face *faces;
	int64_t *ids;
};

/* Apply the photo's reviews, assign its faces and store their matches and
 * candidates. */
static int rematch_flush(struct kf_store *st, struct rematch_photo *p,
			 const struct kf_search *srch, float margin, sqlite3_stmt *m,
			 sqlite3_stmt *c, int64_t *nm, struct kf_err *err)
{
	struct kf_match_review *reviews;
	size_t nr;
	int rc;

	if ((rc = kf_store_review_load(st, p->photo_id, &reviews, &nr, err)) < 0)
		return rc;
	kf_match_review_apply(p->faces, p->n, 1, 1, reviews, nr, srch);	/* boxes: fractions */
	kf_free(reviews);
	if ((rc = kf_match_assign(p->faces, p->n, margin, err)) < 0)
		return rc;
	for (size_t i = 0; i < p->n; i++) {
		if ((rc = insert_matches(st, m, p->ids[i], p->faces[i].hits, p->faces[i].nhits,
					 err)) < 0 ||
		    (rc = insert_candidates(st, c, p->ids[i], &p->faces[i], err)) < 0)
			return rc;
		*nm += (int64_t)p->faces[i].nhits;
	}
	p->n = 0;
	return KF_OK;
}

/* Re-match the gallery's photos, or only photo_id when it is not 0. */
static int rematch(struct kf_store *st, int64_t gallery_id, int64_t photo_id,
		   const struct kf_search *srch, float threshold, float margin, int64_t *faces,
		   int64_t *matches, struct kf_err *err)
{
	struct rematch_photo ph = { 0, 0, 0, NULL, NULL };
	sqlite3_stmt *f = NULL, *m = NULL, *c = NULL;
	int64_t nf = 0, nm = 0;
	int rc;

	if ((rc = kf_store_begin(st, err)) < 0)
		return rc;
	if ((rc = kf_store_run_ii(st, "DELETE FROM face_matches WHERE photo_face_id IN (SELECT "
				  "f.id FROM photo_faces f JOIN photos p ON p.id = f.photo_id WHERE "
				  "p.gallery_id = ?1 AND (?2 = 0 OR p.id = ?2))", gallery_id, photo_id,
				  "rematch", err)) < 0 ||
	    (rc = kf_store_run_ii(st, "DELETE FROM face_candidates WHERE photo_face_id IN (SELECT "
				  "f.id FROM photo_faces f JOIN photos p ON p.id = f.photo_id WHERE "
				  "p.gallery_id = ?1 AND (?2 = 0 OR p.id = ?2))", gallery_id, photo_id,
				  "rematch", err)) < 0 ||
	    (rc = kf_store_run_ii(st, "DELETE FROM processing_cache WHERE gallery_id = ?1 AND "
				  "(?2 = 0 OR photo_id = ?2)", gallery_id, photo_id, "rematch",
				  err)) < 0 ||
	    /* by photo, each in face order: one photo's faces are assigned together */
	    (rc = kf_store_prepare(st, &f, "SELECT f.id, f.photo_id, f.descriptor, f.box_left, "
				   "f.box_top, f.box_width, f.box_height FROM photo_faces f "
				   "JOIN photos p ON p.id = f.photo_id WHERE p.gallery_id = ?1 "
				   "AND (?2 = 0 OR p.id = ?2) ORDER BY f.photo_id, f.face_index",
				   err)) < 0 ||
	    (rc = kf_store_prepare(st, &m, INSERT_MATCH, err)) < 0 ||
	    (rc = kf_store_prepare(st, &c, INSERT_CANDIDATE, err)) < 0)
		goto fail;
	sqlite3_bind_int64(f, 1, gallery_id);
	sqlite3_bind_int64(f, 2, photo_id);
	while ((rc = sqlite3_step(f)) == SQLITE_ROW) {
		int64_t pid = sqlite3_column_int64(f, 1);
		struct kf_match_face *face;

		if (sqlite3_column_bytes(f, 2) != (int)DESC_BYTES)
			continue;	/* too small, or Rekognition's: never matched here */
		if (ph.n && pid != ph.photo_id &&
		    (rc = rematch_flush(st, &ph, srch, margin, m, c, &nm, err)) < 0)
			goto fail;
		ph.photo_id = pid;
		if (ph.n == ph.cap) {
			size_t cap = ph.cap ? 2 * ph.cap : 16;
			struct kf_match_face *nfaces = kf_realloc(ph.faces, cap * sizeof(*nfaces));
			int64_t *nids = nfaces ? kf_realloc(ph.ids, cap * sizeof(*nids)) : NULL;

			if (nfaces)
				ph.faces = nfaces;
			if (!nids) {
				rc = kf_err_set(err, KF_E_NOMEM, "out of memory re-matching");
				goto fail;
			}
			ph.ids = nids;
			ph.cap = cap;
		}
		face = &ph.faces[ph.n];
		memset(face, 0, sizeof(*face));
		memcpy(face->descriptor, sqlite3_column_blob(f, 2), DESC_BYTES);
		face->box.x = (float)sqlite3_column_double(f, 3);
		face->box.y = (float)sqlite3_column_double(f, 4);
		face->box.width = (float)sqlite3_column_double(f, 5);
		face->box.height = (float)sqlite3_column_double(f, 6);
		ph.ids[ph.n++] = sqlite3_column_int64(f, 0);
		if ((rc = kf_search_query(srch, face->descriptor, threshold, face->hits,
					  KF_MATCH_MAX_HITS, &face->nhits, &face->best_below,
					  err)) < 0)
			goto fail;
		nf++;
	}
	if (rc != SQLITE_DONE) {
		rc = kf_store_fail(st, rc, "rematch", err);
		goto fail;
	}
	if (ph.n && (rc = rematch_flush(st, &ph, srch, margin, m, c, &nm, err)) < 0)
		goto fail;
	sqlite3_finalize(f);
	sqlite3_finalize(m);
	sqlite3_finalize(c);
	kf_free(ph.faces);
	kf_free(ph.ids);
	if ((rc = kf_store_commit(st, err)) < 0)
		return rc;
	if (faces)
		*faces = nf;
	if (matches)
		*matches = nm;
	return KF_OK;
fail:
	sqlite3_finalize(f);
	sqlite3_finalize(m);
	sqlite3_finalize(c);
	kf_free(ph.faces);
	kf_free(ph.ids);
	kf_store_rollback(st);
	return rc;
}

int kf_store_rematch(struct kf_store *st, int64_t gallery_id, const struct kf_search *s,
		     float threshold, float margin, int64_t *faces, int64_t *matches,
		     struct kf_err *err)
{
	return rematch(st, gallery_id, 0, s, threshold, margin, faces, matches, err);
}

int kf_store_rematch_photo(struct kf_store *st, int64_t gallery_id, int64_t photo_id,
			   const struct kf_search *s, float threshold, float margin,
			   struct kf_err *err)
{
	return rematch(st, gallery_id, photo_id, s, threshold, margin, NULL, NULL, err);
}
