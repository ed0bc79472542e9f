/* store_face.c: enrolled reference faces (store_face.h). */
#include "data/store_face.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/engine.h"
#include "data/store_int.h"
#include "data/store_photo.h"

#define DESC_BYTES (KF_DESC_DIM * sizeof(float))

/* Descriptors are stored as 128 little-endian float32 (x86 and ARM are LE). */
_Static_assert(sizeof(float) == 4, "float32 descriptors");

static int drop_cache(struct kf_store *st, int64_t client_id, struct kf_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = kf_store_prepare(st, &s, "DELETE FROM processing_cache WHERE gallery_id = "
				   "(SELECT gallery_id FROM clients WHERE id = ?1)", err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, client_id);
	return kf_store_step_done(st, s, "drop cached results", err);
}

/* A reference of a remote engine: no descriptor. */
static int remote(const struct kf_face_ref *r)
{
	return r->engine && strcmp(r->engine, "local") != 0;
}

/* Insert r (with r->uid when set, else a new one made by the schema's trigger). */
static int insert(struct kf_store *st, const struct kf_face_ref *r, struct kf_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = kf_store_prepare(st, &s,
			"INSERT INTO client_faces(client_id, descriptor, model, source_path, "
			"source_sha256, source_photo_id, source_face_index, box_left, box_top, "
			"box_width, box_height, score, created_at, uid, engine, face_id) "
			"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "
			"coalesce(?15, 'local'), ?16)", err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, r->client_id);
	if (remote(r))	/* no descriptor: an empty blob (the column is NOT NULL) */
		sqlite3_bind_zeroblob(s, 2, 0);
	else
		sqlite3_bind_blob(s, 2, r->descriptor, (int)DESC_BYTES, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, r->model, -1, SQLITE_STATIC);
	kf_store_bind_text(s, 4, r->source_path);
	kf_store_bind_text(s, 5, r->source_sha256);
	if (r->source_photo_id > 0) {
		sqlite3_bind_int64(s, 6, r->source_photo_id);
		sqlite3_bind_int(s, 7, r->source_face_index);
	}
	sqlite3_bind_double(s, 8, r->box_left);
	sqlite3_bind_double(s, 9, r->box_top);
	sqlite3_bind_double(s, 10, r->box_width);
	sqlite3_bind_double(s, 11, r->box_height);
	sqlite3_bind_double(s, 12, r->score);
	sqlite3_bind_int64(s, 13, r->created_at > 0 ? r->created_at : kf_store_now_ms());
	kf_store_bind_text(s, 14, r->uid[0] ? r->uid : NULL);
	kf_store_bind_text(s, 15, r->engine);
	kf_store_bind_text(s, 16, r->face_id[0] ? r->face_id : NULL);
	return kf_store_step_done(st, s, "store the reference face", err);
}

int kf_store_face_add(struct kf_store *st, const struct kf_face_ref *r, int64_t *id,
		      struct kf_err *err)
{
	struct kf_face_ref fresh = *r;
	int rc;

	fresh.uid[0] = '\0';
	fresh.created_at = 0;
	if ((rc = kf_store_begin(st, err)) < 0)
		return rc;
	if ((rc = insert(st, &fresh, err)) < 0)
		goto fail;
	if (id)
		*id = sqlite3_last_insert_rowid(st->db);
	if ((rc = drop_cache(st, r->client_id, err)) < 0)
		goto fail;
	return kf_store_commit(st, err);
fail:
	kf_store_rollback(st);
	return rc;
}

#define REF_COLUMNS \
	"SELECT id, client_id, descriptor, model, source_path, source_sha256," \
	" coalesce(source_photo_id, 0), source_face_index, box_left, box_top, box_width," \
	" box_height, score, created_at, uid, engine, coalesce(face_id, '') FROM client_faces "

static int read_desc(sqlite3_stmt *s, int col, float *out)
{
	if (sqlite3_column_bytes(s, col) != (int)DESC_BYTES)
		return -1;
	memcpy(out, sqlite3_column_blob(s, col), DESC_BYTES);
	return 0;
}

static void release_any(void *row)
{
	kf_store_face_release(row);
}

static int read_row(sqlite3_stmt *s, void *row)
{
	struct kf_face_ref *r = row;

	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(s, 0);
	r->client_id = sqlite3_column_int64(s, 1);
	if (read_desc(s, 2, r->descriptor) < 0)
		memset(r->descriptor, 0, sizeof(r->descriptor));	/* never written so */
	if (kf_store_col_strdup(s, 3, &r->model) < 0 || kf_store_col_strdup(s, 4, &r->source_path) < 0 ||
	    kf_store_col_strdup(s, 5, &r->source_sha256) < 0 ||
	    kf_store_col_strdup(s, 15, &r->engine) < 0) {
		kf_store_face_release(r);
		return KF_E_NOMEM;
	}
	r->source_photo_id = sqlite3_column_int64(s, 6);
	r->source_face_index = sqlite3_column_type(s, 7) == SQLITE_NULL ? -1
							: sqlite3_column_int(s, 7);
	r->box_left = (float)sqlite3_column_double(s, 8);
	r->box_top = (float)sqlite3_column_double(s, 9);
	r->box_width = (float)sqlite3_column_double(s, 10);
	r->box_height = (float)sqlite3_column_double(s, 11);
	r->score = (float)sqlite3_column_double(s, 12);
	r->created_at = sqlite3_column_int64(s, 13);
	if (sqlite3_column_type(s, 14) == SQLITE_TEXT)
		snprintf(r->uid, sizeof(r->uid), "%s", (const char *)sqlite3_column_text(s, 14));
	snprintf(r->face_id, sizeof(r->face_id), "%s", (const char *)sqlite3_column_text(s, 16));
	return KF_OK;
}

int kf_store_face_list(struct kf_store *st, int64_t client_id, struct kf_face_ref **out,
		       size_t *n, struct kf_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = kf_store_prepare(st, &s, REF_COLUMNS "WHERE client_id = ?1 ORDER BY id",
				   err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, client_id);
	return kf_store_collect(st, s, sizeof(**out), read_row, release_any, (void **)out, n,
				"list reference faces", err);
}

void kf_store_face_source(struct kf_store *st, int64_t gallery_id, const struct kf_face_ref *r,
			  char *buf, size_t n)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_photo p;
	char id[24];

	snprintf(id, sizeof(id), "%lld", (long long)r->source_photo_id);
	if (r->source_photo_id > 0 && kf_store_photo_find(st, gallery_id, id, &p, &err) == KF_OK) {
		snprintf(buf, n, "%s, face %d", p.key, r->source_face_index);
		kf_store_photo_release(&p);
	} else if (r->source_photo_id > 0) {
		snprintf(buf, n, "photo %s, face %d", id, r->source_face_index);
	} else {
		snprintf(buf, n, "%s", r->source_path ? r->source_path : "(enrolled on the platform)");
	}
}

int kf_store_face_remove(struct kf_store *st, int64_t client_id, int64_t ref_id,
			 struct kf_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = kf_store_begin(st, err)) < 0)
		return rc;
	if ((rc = kf_store_prepare(st, &s, "DELETE FROM client_faces WHERE id = ?1 AND "
				   "client_id = ?2", err)) < 0)
		goto fail;
	sqlite3_bind_int64(s, 1, ref_id);
	sqlite3_bind_int64(s, 2, client_id);
	if ((rc = kf_store_step_done(st, s, "remove the reference face", err)) < 0)
		goto fail;
	if (sqlite3_changes(st->db) == 0) {
		rc = kf_err_set(err, KF_E_NOTFOUND, "the client has no reference face %lld "
				"(see 'kingface client faces')", (long long)ref_id);
		goto fail;
	}
	if ((rc = drop_cache(st, client_id, err)) < 0)
		goto fail;
	return kf_store_commit(st, err);
fail:
	kf_store_rollback(st);
	return rc;
}

int kf_store_face_load_search(struct kf_store *st, int64_t gallery_id, const char *model,
			      struct kf_search *srch, int64_t *nrefs, int64_t *other,
			      struct kf_err *err)
{
	int64_t count = 0, skipped = 0;
	float desc[KF_DESC_DIM];
	sqlite3_stmt *s;
	int rc;

	if ((rc = kf_store_prepare(st, &s, "SELECT f.client_id, f.descriptor, f.model = ?2 "
				   "FROM client_faces f JOIN clients c ON c.id = f.client_id "
				   "WHERE c.gallery_id = ?1 ORDER BY f.client_id, f.id", err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, gallery_id);
	sqlite3_bind_text(s, 2, model, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (!sqlite3_column_int(s, 2) || read_desc(s, 1, desc) < 0) {
			skipped++;
			continue;
		}
		if ((rc = kf_search_add(srch, sqlite3_column_int64(s, 0), desc, err)) < 0) {
			sqlite3_finalize(s);
			return rc;
		}
		count++;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return kf_store_fail(st, rc, "load reference faces", err);
	if (nrefs)
		*nrefs = count;
	if (other)
		*other = skipped;
	return KF_OK;
}

static int from_photo(struct kf_store *st, int64_t photo_id, int face_index, int need_desc,
		      struct kf_face_ref *r, struct kf_err *err)
{
	sqlite3_stmt *s;
	int rc;

	memset(r, 0, sizeof(*r));
	if ((rc = kf_store_prepare(st, &s, "SELECT descriptor, box_left, box_top, box_width, "
				   "box_height, confidence, recognizable FROM photo_faces WHERE "
				   "photo_id = ?1 AND "
				   "face_index = ?2", err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, photo_id);
	sqlite3_bind_int(s, 2, face_index);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && (read_desc(s, 0, r->descriptor) == 0 || !need_desc)) {
		r->source_photo_id = photo_id;
		r->source_face_index = face_index;
		r->box_left = (float)sqlite3_column_double(s, 1);
		r->box_top = (float)sqlite3_column_double(s, 2);
		r->box_width = (float)sqlite3_column_double(s, 3);
		r->box_height = (float)sqlite3_column_double(s, 4);
		r->score = (float)(sqlite3_column_double(s, 5) / 100.0);
		rc = KF_OK;
	} else if (rc == SQLITE_ROW && !sqlite3_column_int(s, 6)) {
		rc = kf_err_set(err, KF_E_INVALID, "face %d of the photo is too small to recognise "
				"(narrower than %d px): it cannot be a reference", face_index,
				KF_RECOGNIZABLE_MIN_FACE);
	} else if (rc == SQLITE_ROW) {
		rc = kf_err_set(err, KF_E_NOTFOUND, "face %d of the photo has no descriptor (its "
				"gallery's engine keeps none): enroll from the photo file instead",
				face_index);
	} else if (rc == SQLITE_DONE) {
		rc = kf_err_set(err, KF_E_NOTFOUND, "the photo has no stored face %d%s; process "
				"it first (kingface match)", face_index,
				need_desc ? " with a descriptor" : "");
	} else {
		rc = kf_store_fail(st, rc, "read a photo face", err);
	}
	sqlite3_finalize(s);
	return rc;
}

int kf_store_face_from_photo(struct kf_store *st, int64_t photo_id, int face_index,
			     struct kf_face_ref *r, struct kf_err *err)
{
	return from_photo(st, photo_id, face_index, 1, r, err);
}

int kf_store_face_box_from_photo(struct kf_store *st, int64_t photo_id, int face_index,
				 struct kf_face_ref *r, struct kf_err *err)
{
	int rc = from_photo(st, photo_id, face_index, 0, r, err);

	if (rc == KF_OK)
		memset(r->descriptor, 0, sizeof(r->descriptor));
	return rc;
}

int kf_store_face_version(struct kf_store *st, int64_t gallery_id, int64_t *version,
			  struct kf_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = kf_store_prepare(st, &s, "SELECT count(*) * 4294967296 + coalesce(max(f.id), 0) "
				   "FROM client_faces f JOIN clients c ON c.id = f.client_id "
				   "WHERE c.gallery_id = ?1", err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, gallery_id);
	rc = sqlite3_step(s);
	*version = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? KF_OK : kf_store_fail(st, rc, "read references", err);
}

int kf_store_face_by_uid(struct kf_store *st, const char *uid, struct kf_face_ref *r,
			 struct kf_err *err)
{
	sqlite3_stmt *s;
	int rc;

	memset(r, 0, sizeof(*r));
	if ((rc = kf_store_prepare(st, &s, REF_COLUMNS "WHERE uid = ?1", err)) < 0)
		return rc;
	sqlite3_bind_text(s, 1, uid, -1, SQLITE_STATIC);
	return kf_store_find_one(st, s, read_row, r, "find reference face", err,
				 "no reference face %s", uid);
}

int kf_store_face_put_uid(struct kf_store *st, const struct kf_face_ref *r, int *added,
			  struct kf_err *err)
{
	struct kf_face_ref old;
	int rc = kf_store_face_by_uid(st, r->uid, &old, NULL);

	*added = 0;
	if (rc == KF_OK) {
		kf_store_face_release(&old);
		return KF_OK;
	}
	if ((rc = insert(st, r, err)) < 0 || (rc = drop_cache(st, r->client_id, err)) < 0)
		return rc;
	*added = 1;
	return KF_OK;
}

int kf_store_face_drop_uid(struct kf_store *st, const char *uid, struct kf_err *err)
{
	struct kf_face_ref old;
	sqlite3_stmt *s;
	int rc;

	if (kf_store_face_by_uid(st, uid, &old, NULL) != KF_OK)
		return KF_OK;
	if ((rc = drop_cache(st, old.client_id, err)) < 0 ||
	    (rc = kf_store_prepare(st, &s, "DELETE FROM client_faces WHERE uid = ?1", err)) < 0)
		goto out;
	sqlite3_bind_text(s, 1, uid, -1, SQLITE_STATIC);
	rc = kf_store_step_done(st, s, "remove the reference face", err);
out:
	kf_store_face_release(&old);
	return rc;
}

int kf_store_face_remote_ids(struct kf_store *st, int64_t gallery_id, int64_t client_id,
			     int64_t ref_id, char ***ids, size_t *n, struct kf_err *err)
{
	sqlite3_stmt *s;
	size_t cap = 0;
	int rc;

	*ids = NULL;
	*n = 0;
	if ((rc = kf_store_prepare(st, &s, "SELECT f.face_id FROM client_faces f JOIN clients c "
				   "ON c.id = f.client_id WHERE c.gallery_id = ?1 AND "
				   "f.engine <> 'local' AND f.face_id IS NOT NULL AND "
				   "(?2 = 0 OR f.client_id = ?2) AND (?3 = 0 OR f.id = ?3) "
				   "ORDER BY f.id", err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, gallery_id);
	sqlite3_bind_int64(s, 2, client_id);
	sqlite3_bind_int64(s, 3, ref_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (*n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			char **v = kf_realloc(*ids, ncap * sizeof(*v));

			if (!v)
				goto nomem;
			*ids = v;
			cap = ncap;
		}
		if (!((*ids)[*n] = kf_strdup((const char *)sqlite3_column_text(s, 0))))
			goto nomem;
		(*n)++;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		kf_store_face_ids_free(*ids, *n);
		*ids = NULL;
		*n = 0;
		return kf_store_fail(st, rc, "list remote references", err);
	}
	return KF_OK;
nomem:
	sqlite3_finalize(s);
	kf_store_face_ids_free(*ids, *n);
	*ids = NULL;
	*n = 0;
	return kf_err_set(err, KF_E_NOMEM, "out of memory listing references");
}

void kf_store_face_ids_free(char **ids, size_t n)
{
	for (size_t i = 0; ids && i < n; i++)
		kf_free(ids[i]);
	kf_free(ids);
}

int kf_store_face_count(struct kf_store *st, int64_t gallery_id, const char *engine,
			int64_t *n, struct kf_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = kf_store_prepare(st, &s, "SELECT count(*) FROM client_faces f JOIN clients c "
				   "ON c.id = f.client_id WHERE c.gallery_id = ?1 AND f.engine = ?2",
				   err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, gallery_id);
	sqlite3_bind_text(s, 2, engine, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	*n = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? KF_OK : kf_store_fail(st, rc, "count references", err);
}

void kf_store_face_release(struct kf_face_ref *r)
{
	if (!r)
		return;
	kf_free(r->model);
	kf_free(r->source_path);
	kf_free(r->source_sha256);
	kf_free(r->engine);
	memset(r, 0, sizeof(*r));
}

void kf_store_face_list_free(struct kf_face_ref *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		kf_store_face_release(&list[i]);
	kf_free(list);
}
