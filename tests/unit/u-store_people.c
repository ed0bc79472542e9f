/* u-store_people.c: a gallery's unknown faces (data/store_people.h): which
 * faces count (no match, a descriptor, this gallery), their order (photo
 * key, face index), their clusters, ids, photos and representatives, an
 * empty gallery, allocation failures. */
#include "testutil.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "data/store.h"
#include "data/store_client.h"
#include "data/store_gallery.h"
#include "data/store_people.h"

#define DIM KF_DESC_DIM

static int64_t photo(struct kf_store *st, int64_t gid, const char *key)
{
	sqlite3_stmt *s;

	assert_int_equal(sqlite3_prepare_v2(st->db, "INSERT INTO photos(gallery_id, key, path, "
					    "etag, size, mtime_ns, created_at, updated_at) VALUES "
					    "(?1, ?2, NULL, 'e', 1, 0, 0, 0)", -1, &s, NULL),
			 SQLITE_OK);
	sqlite3_bind_int64(s, 1, gid);
	sqlite3_bind_text(s, 2, key, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(s), SQLITE_DONE);
	sqlite3_finalize(s);
	return sqlite3_last_insert_rowid(st->db);
}

/* A face of photo pid whose descriptor is x along axis ax (ax < 0: no
 * descriptor, too small; ax == DIM: an empty one, as a remote engine's). */
static int64_t face(struct kf_store *st, int64_t pid, int index, int ax, float x, float w)
{
	float d[DIM] = { 0 };
	sqlite3_stmt *s;

	assert_int_equal(sqlite3_prepare_v2(st->db, "INSERT INTO photo_faces(photo_id, face_index, "
					    "box_left, box_top, box_width, box_height, confidence, "
					    "descriptor, recognizable) VALUES (?1, ?2, 0.1, 0.2, ?3, "
					    "?3, 97.5, ?4, ?5)", -1, &s, NULL), SQLITE_OK);
	sqlite3_bind_int64(s, 1, pid);
	sqlite3_bind_int(s, 2, index);
	sqlite3_bind_double(s, 3, w);
	if (ax >= 0 && ax < DIM) {
		d[ax] = x;
		sqlite3_bind_blob(s, 4, d, sizeof(d), SQLITE_STATIC);
	} else if (ax == DIM) {
		sqlite3_bind_zeroblob(s, 4, 0);
	}
	sqlite3_bind_int(s, 5, ax >= 0);
	assert_int_equal(sqlite3_step(s), SQLITE_DONE);
	sqlite3_finalize(s);
	return sqlite3_last_insert_rowid(st->db);
}

struct fixture {
	struct kf_store *st;
	int64_t gid, empty;
	int64_t a0, a1;
};

static void make(struct fixture *fx)
{
	struct kf_err err = KF_ERR_INIT;
	int64_t other, cid, a, b, c, d;
	char sql[128];

	assert_int_equal(kf_store_open(&fx->st, kf_test_path("%s/k.db", kf_test_tmpdir()),
				       KF_STORE_CREATE, &err), KF_OK);
	assert_int_equal(kf_store_gallery_create(fx->st, "g", NULL, &fx->gid, &err), KF_OK);
	assert_int_equal(kf_store_gallery_create(fx->st, "other", NULL, &other, &err), KF_OK);
	assert_int_equal(kf_store_gallery_create(fx->st, "empty", NULL, &fx->empty, &err), KF_OK);
	assert_int_equal(kf_store_client_add(fx->st, fx->gid, "Ana", NULL, &cid, &err), KF_OK);
	/* inserted out of key order; two people: P1 along axis 1, P2 along axis 2 */
	c = photo(fx->st, fx->gid, "c.jpg");
	b = photo(fx->st, fx->gid, "b.jpg");
	a = photo(fx->st, fx->gid, "a.jpg");
	d = photo(fx->st, fx->gid, "d.jpg");
	fx->a1 = face(fx->st, a, 1, 1, 1.0f, 0.2f);	/* P1 */
	fx->a0 = face(fx->st, a, 0, 2, 1.0f, 0.1f);	/* P2 */
	face(fx->st, b, 0, 1, 1.1f, 0.3f);		/* P1: the larger box */
	face(fx->st, b, 1, -1, 0, 0.01f);		/* too small: left out */
	int64_t matched = face(fx->st, c, 0, 1, 1.05f, 0.2f);	/* P1, matched: left out */
	face(fx->st, c, 1, 2, 1.1f, 0.1f);		/* P2 */
	face(fx->st, d, 0, DIM, 0, 0.2f);		/* no descriptor (remote): left out */
	face(fx->st, photo(fx->st, other, "a.jpg"), 0, 1, 1.0f, 0.2f);	/* another gallery */
	snprintf(sql, sizeof(sql), "INSERT INTO face_matches(photo_face_id, client_id, similarity) "
		 "VALUES (%lld, %lld, 99)", (long long)matched, (long long)cid);
	assert_int_equal(sqlite3_exec(fx->st->db, sql, NULL, NULL, NULL), SQLITE_OK);
}

static void test_unknown_faces(void **state)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_people_faces f;
	struct fixture fx;
	(void)state;

	make(&fx);
	assert_int_equal(kf_store_people_faces(fx.st, fx.gid, &f, &err), KF_OK);
	assert_int_equal(f.n, 4);
	assert_int_equal(f.nkeys, 3);
	assert_string_equal(f.keys[0], "a.jpg");
	assert_string_equal(f.keys[2], "c.jpg");
	assert_int_equal(f.faces[0].id, fx.a0);
	assert_int_equal(f.faces[0].face_index, 0);
	assert_int_equal(f.faces[1].id, fx.a1);
	assert_ptr_equal(f.faces[0].key, f.faces[1].key);
	assert_string_equal(f.faces[2].key, "b.jpg");
	assert_string_equal(f.faces[3].key, "c.jpg");
	assert_int_equal(f.faces[3].face_index, 1);
	assert_float_equal(f.faces[0].box_left, 0.1, 1e-6);
	assert_float_equal(f.faces[0].box_width, 0.1, 1e-6);
	assert_float_equal(f.faces[0].confidence, 97.5, 1e-4);
	assert_float_equal(f.desc[0 * DIM + 2], 1.0, 0);
	assert_float_equal(f.desc[2 * DIM + 1], 1.1f, 0);
	kf_store_people_faces_release(&f);
	kf_store_people_faces_release(&f);	/* released twice: harmless */
	assert_int_equal(kf_store_people_faces(fx.st, fx.empty, &f, &err), KF_OK);
	assert_int_equal(f.n, 0);
	kf_store_people_faces_release(&f);
	kf_store_close(fx.st);
}

static void test_clusters(void **state)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_people p;
	struct fixture fx;
	(void)state;

	make(&fx);
	assert_int_equal(kf_store_people_clusters(fx.st, fx.gid, NULL, &p, &err), KF_OK);
	assert_int_equal(p.nclusters, 2);
	/* two clusters of 2: the one holding a.jpg face 0 (P2) first */
	assert_int_equal(p.clusters[0].id, 1);
	assert_int_equal(p.clusters[0].nfaces, 2);
	assert_int_equal(p.clusters[0].faces[0], 0);
	assert_int_equal(p.clusters[0].faces[1], 3);
	assert_int_equal(p.clusters[0].nphotos, 2);
	assert_string_equal(p.clusters[0].photos[0], "a.jpg");
	assert_string_equal(p.clusters[0].photos[1], "c.jpg");
	/* P2's faces are 1.0 and 1.1 along one axis: equally far from the mean, same
	 * box: the first */
	assert_int_equal(p.clusters[0].rep, 0);
	assert_int_equal(p.clusters[1].id, 2);
	assert_string_equal(p.clusters[1].photos[0], "a.jpg");
	assert_string_equal(p.clusters[1].photos[1], "b.jpg");
	assert_int_equal(p.clusters[1].rep, 2);	/* the tie goes to b.jpg's larger box */
	for (size_t i = 0; i < p.faces.n; i++)
		assert_int_equal(p.label[i], i == 0 || i == 3 ? 0 : 1);
	kf_store_people_release(&p);
	kf_store_people_release(&p);
	assert_int_equal(kf_store_people_clusters(fx.st, fx.empty, NULL, &p, &err), KF_OK);
	assert_int_equal(p.nclusters, 0);
	kf_store_people_release(&p);
	kf_store_close(fx.st);
}

/* Each of kingface's allocations failing in turn: KF_E_NOMEM, nothing leaked. */
static void test_nomem(void **state)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_people p;
	struct fixture fx;
	long calls;
	(void)state;

	make(&fx);
	kf_alloc_fail_at(0);
	assert_int_equal(kf_store_people_clusters(fx.st, fx.gid, NULL, &p, &err), KF_OK);
	calls = kf_alloc_fail_at(0);
	kf_store_people_release(&p);
	assert_true(calls > 0);
	for (long i = 1; i <= calls; i++) {
		struct kf_err e2 = KF_ERR_INIT;

		kf_alloc_fail_at(i);
		assert_int_equal(kf_store_people_clusters(fx.st, fx.gid, NULL, &p, &e2), KF_E_NOMEM);
		kf_alloc_fail_at(0);
		assert_true(strstr(e2.msg, "out of memory") != NULL);
		kf_store_people_release(&p);
	}
	kf_store_close(fx.st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unknown_faces),
		cmocka_unit_test(test_clusters),
		cmocka_unit_test(test_nomem),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
