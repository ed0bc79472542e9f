/* store_client.c: client rows (store_client.h). */
#include "data/store_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "data/store_int.h"

#define CLIENT_COLUMNS \
	"SELECT c.id, c.gallery_id, c.name, c.external_id, c.created_at," \
	" (SELECT count(*) FROM client_faces cf WHERE cf.client_id = c.id)," \
	" (SELECT count(DISTINCT f.photo_id) FROM face_matches m" \
	"   JOIN photo_faces f ON f.id = m.photo_face_id WHERE m.client_id = c.id)" \
	" FROM clients c"

static int read_row(sqlite3_stmt *s, struct kf_client *c)
{
	memset(c, 0, sizeof(*c));
	c->id = sqlite3_column_int64(s, 0);
	c->gallery_id = sqlite3_column_int64(s, 1);
	if (kf_store_col_strdup(s, 2, &c->name) < 0 ||
	    kf_store_col_strdup(s, 3, &c->external_id) < 0) {
		kf_store_client_release(c);
		return KF_E_NOMEM;
	}
	c->created_at = sqlite3_column_int64(s, 4);
	c->faces = sqlite3_column_int64(s, 5);
	c->photos = sqlite3_column_int64(s, 6);
	return KF_OK;
}

static int read_row_any(sqlite3_stmt *s, void *row)
{
	return read_row(s, row);
}

static void release_any(void *row)
{
	kf_store_client_release(row);
}

/* The name of another client (not except_id) under name's key
 * (kf_store_name_key) into found: 1, none 0, or an error. The gallery:
 * except_id's, or gallery_id when except_id is 0. */
static int name_taken(struct kf_store *st, int64_t gallery_id, const char *name,
		      int64_t except_id, char *found, size_t n, struct kf_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = kf_store_prepare(st, &s, "SELECT name FROM clients WHERE gallery_id = "
				   "coalesce((SELECT gallery_id FROM clients WHERE id = ?2), ?1) AND "
				   "id != ?2 AND kf_name_key(name) = kf_name_key(?3) "
				   "ORDER BY name = ?3 DESC, id LIMIT 1", err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, gallery_id);
	sqlite3_bind_int64(s, 2, except_id);
	sqlite3_bind_text(s, 3, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		snprintf(found, n, "%s", (const char *)sqlite3_column_text(s, 0));
	rc = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : kf_store_fail(st, rc, "find client", err);
	sqlite3_finalize(s);
	return rc;
}

static int taken_error(const char *name, const char *found, struct kf_err *err)
{
	if (!strcmp(name, found))
		return kf_err_set(err, KF_E_EXISTS, "the gallery already has a client named '%s'",
				  name);
	return kf_err_set(err, KF_E_EXISTS, "the gallery already has a client named '%s', the "
			  "same name but for case, accents or spaces: use that one, or a name "
			  "that tells the two apart", found);
}

/* After no exact match: the one client of the gallery whose name has ref's
 * key. KF_E_NOTFOUND when none (ref taken for an id or a name: by_ref),
 * KF_E_INVALID naming them when several do. */
static int find_by_key(struct kf_store *st, int64_t gallery_id, const char *ref,
		       struct kf_client *out, int by_ref, struct kf_err *err)
{
	struct kf_client *list = NULL;
	sqlite3_stmt *s;
	size_t n = 0;
	int rc;

	if ((rc = kf_store_prepare(st, &s, CLIENT_COLUMNS " WHERE c.gallery_id = ?1 AND "
				   "kf_name_key(c.name) = kf_name_key(?2) ORDER BY c.id LIMIT 2",
				   err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, gallery_id);
	sqlite3_bind_text(s, 2, ref, -1, SQLITE_STATIC);
	if ((rc = kf_store_collect(st, s, sizeof(*list), read_row_any, release_any,
				   (void **)&list, &n, "find client", err)) < 0)
		return rc;
	if (n == 1) {
		*out = list[0];
		kf_free(list);
		return KF_OK;
	}
	if (n == 0 && by_ref)
		rc = kf_err_set(err, KF_E_NOTFOUND, "no client '%s' in this gallery (see "
				"'kingface client list')", ref);
	else if (n == 0)
		rc = kf_err_set(err, KF_E_NOTFOUND, "no client named '%s' in this gallery", ref);
	else
		rc = kf_err_set(err, KF_E_INVALID, "'%s' could be client '%s' (%lld) or '%s' "
				"(%lld): give the exact name or the id", ref, list[0].name,
				(long long)list[0].id, list[1].name, (long long)list[1].id);
	kf_store_client_list_free(list, n);
	return rc;
}

int kf_store_client_add(struct kf_store *st, int64_t gallery_id, const char *name,
			const char *external_id, int64_t *id, struct kf_err *err)
{
	char found[4 * KF_NAME_MAX + 1];
	sqlite3_stmt *s;
	int rc;

	/* the platform's clients keep the platform's names */
	if (!external_id && (rc = name_taken(st, gallery_id, name, 0, found, sizeof(found),
					     err)) != 0)
		return rc < 0 ? rc : taken_error(name, found, err);
	if ((rc = kf_store_prepare(st, &s, "INSERT INTO clients(gallery_id, name, external_id, "
				   "created_at) VALUES (?1, ?2, ?3, ?4)", err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, gallery_id);
	sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
	kf_store_bind_text(s, 3, external_id);
	sqlite3_bind_int64(s, 4, kf_store_now_ms());
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc == SQLITE_CONSTRAINT_UNIQUE)
		return kf_err_set(err, KF_E_EXISTS,
				  "the gallery already has a client named '%s'", name);
	if (rc != SQLITE_DONE)
		return kf_store_fail(st, rc, "add client", err);
	if (id)
		*id = sqlite3_last_insert_rowid(st->db);
	return KF_OK;
}

/* kf_store_client_find (id: ref's, by_ref) and kf_store_client_named (id -1,
 * no client has it): by id or exact name, else by the name's key. */
static int find_client(struct kf_store *st, int64_t gallery_id, int64_t id, const char *ref,
		       int by_ref, struct kf_client *out, struct kf_err *err)
{
	sqlite3_stmt *s;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = kf_store_prepare(st, &s, CLIENT_COLUMNS " WHERE c.gallery_id = ?1 AND "
				   "(c.id = ?2 OR c.name = ?3) ORDER BY c.id = ?2 DESC LIMIT 1",
				   err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, gallery_id);
	sqlite3_bind_int64(s, 2, id);
	sqlite3_bind_text(s, 3, ref, -1, SQLITE_STATIC);
	if ((rc = kf_store_find_one(st, s, read_row_any, out, "find client", err, "%s", ref)) !=
	    KF_E_NOTFOUND)
		return rc;
	kf_err_clear(err);
	return find_by_key(st, gallery_id, ref, out, by_ref, err);
}

int kf_store_client_find(struct kf_store *st, int64_t gallery_id, const char *ref,
			 struct kf_client *out, struct kf_err *err)
{
	return find_client(st, gallery_id, kf_store_ref_id(ref), ref, 1, out, err);
}

int kf_store_client_named(struct kf_store *st, int64_t gallery_id, const char *name,
			  struct kf_client *out, struct kf_err *err)
{
	return find_client(st, gallery_id, -1, name, 0, out, err);
}

int kf_store_client_list(struct kf_store *st, int64_t gallery_id, struct kf_client **out,
			 size_t *n, struct kf_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = kf_store_prepare(st, &s, CLIENT_COLUMNS " WHERE c.gallery_id = ?1 "
				   "ORDER BY c.name, c.id", err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, gallery_id);
	return kf_store_collect(st, s, sizeof(**out), read_row_any, release_any, (void **)out, n,
				"list clients", err);
}

int kf_store_client_rename(struct kf_store *st, int64_t client_id, const char *name,
			   struct kf_err *err)
{
	char found[4 * KF_NAME_MAX + 1];
	sqlite3_stmt *s;
	int rc;

	if ((rc = name_taken(st, 0, name, client_id, found, sizeof(found), err)) != 0)
		return rc < 0 ? rc : taken_error(name, found, err);
	/* not a client of the platform in a pulled gallery: the sync would take its
	 * name back */
	if ((rc = kf_store_prepare(st, &s, "UPDATE clients SET name = ?2 WHERE id = ?1 AND NOT "
				   "(external_id IS NOT NULL AND (SELECT platform_id FROM galleries g "
				   "WHERE g.id = gallery_id) IS NOT NULL)", err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, client_id);
	sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc == SQLITE_CONSTRAINT_UNIQUE)
		return kf_err_set(err, KF_E_EXISTS,
				  "the gallery already has a client named '%s'", name);
	if (rc != SQLITE_DONE)
		return kf_store_fail(st, rc, "rename client", err);
	if (sqlite3_changes(st->db) == 0)
		return kf_err_set(err, KF_E_INVALID, "a client of the platform takes its name from "
				  "the platform at each sync: rename it there");
	return KF_OK;
}

/* Run `sql` with ?1 = id and return the number of changed rows in *count. */
static int delete_count(struct kf_store *st, const char *sql, int64_t id, int64_t *count,
			struct kf_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = kf_store_prepare(st, &s, sql, err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, id);
	if ((rc = kf_store_step_done(st, s, "remove client", err)) < 0)
		return rc;
	*count = sqlite3_changes(st->db);
	return KF_OK;
}

int kf_store_client_remove(struct kf_store *st, int64_t client_id,
			   struct kf_client_removed *removed, struct kf_err *err)
{
	struct kf_client_removed r = { 0, 0, 0 };
	int64_t gone;
	int rc;

	if ((rc = kf_store_begin(st, err)) < 0)
		return rc;
	if ((rc = delete_count(st, "DELETE FROM processing_cache WHERE gallery_id = "
			       "(SELECT gallery_id FROM clients WHERE id = ?1)",
			       client_id, &r.cache_entries, err)) < 0 ||
	    (rc = delete_count(st, "DELETE FROM client_faces WHERE client_id = ?1",
			       client_id, &r.faces, err)) < 0 ||
	    (rc = delete_count(st, "DELETE FROM face_matches WHERE client_id = ?1",
			       client_id, &r.matches, err)) < 0 ||
	    (rc = delete_count(st, "DELETE FROM clients WHERE id = ?1", client_id, &gone,
			       err)) < 0)
		goto fail;
	if (gone == 0) {
		rc = kf_err_set(err, KF_E_NOTFOUND, "no client with id %lld", (long long)client_id);
		goto fail;
	}
	if ((rc = kf_store_commit(st, err)) < 0)
		goto fail;
	if (removed)
		*removed = r;
	return KF_OK;
fail:
	kf_store_rollback(st);
	return rc;
}

void kf_store_client_release(struct kf_client *c)
{
	if (!c)
		return;
	kf_free(c->name);
	kf_free(c->external_id);
	memset(c, 0, sizeof(*c));
}

void kf_store_client_list_free(struct kf_client *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		kf_store_client_release(&list[i]);
	kf_free(list);
}
