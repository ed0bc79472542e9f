/* u-store_result.c: what matching stores (data/store_result.h) for one client
 * per photo: an ambiguous face's candidates stored, read back by the detail
 * query, removed with a client, replaced with the faces, and re-matched
 * (kf_store_rematch assigns each photo's faces, margin on and off). The
 * similarities are set by hand or follow from distances chosen far from the
 * threshold: nothing depends on the exact similarity scale. */
#include "testutil.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/assign.h"
#include "data/store.h"
#include "data/store_client.h"
#include "data/store_gallery.h"
#include "data/store_photo.h"
#include "data/store_result.h"

static struct kf_store *open_fresh(void)
{
	const char *path = kf_test_path("%s/k.db", kf_test_tmpdir());
	struct kf_err err = KF_ERR_INIT;
	struct kf_store *st;

	assert_int_equal(kf_store_open(&st, path, KF_STORE_CREATE, &err), KF_OK);
	return st;
}

static int64_t count(struct kf_store *st, const char *table)
{
	char sql[128];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	return kf_test_sql_int(st, sql);
}

/* face 0 ambiguous between a and b, face 1 matched to c */
static void two_faces(struct kf_match_face *f, int64_t a, int64_t b, int64_t c)
{
	memset(f, 0, 2 * sizeof(*f));
	for (int i = 0; i < 2; i++) {
		f[i].box.x = 10.0f + 40.0f * (float)i;
		f[i].box.y = f[i].box.width = f[i].box.height = 20;
		f[i].score = 0.9f;
	}
	f[0].nambiguous = 2;
	f[0].ambiguous[0] = (struct kf_search_hit){ a, 85.0f, 0.45f };
	f[0].ambiguous[1] = (struct kf_search_hit){ b, 84.7f, 0.46f };
	f[1].descriptor[2] = 1.0f;
	f[1].nhits = 1;
	f[1].hits[0] = (struct kf_search_hit){ c, 100.0f, 0.0f };
}

static void test_result_candidates(void **state)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_store *st = open_fresh();
	struct kf_photo_file pf = { .key = "p.jpg", .path = "/x/p.jpg", .etag = "e",
				    .size = 1, .mtime_ns = 1, .width = 100, .height = 100 };
	struct kf_match_face f[2];
	struct kf_match_result res = { 100, 100, 2, f };
	struct kf_detail_face *d;
	struct kf_search s;
	float v[KF_DESC_DIM];
	int64_t gid, ana, bia, cai, pid, nf, nm;
	size_t n;
	(void)state;

	assert_int_equal(kf_store_gallery_create(st, "G", "/x", &gid, &err), KF_OK);
	assert_int_equal(kf_store_client_add(st, gid, "Ana", NULL, &ana, &err), KF_OK);
	assert_int_equal(kf_store_client_add(st, gid, "Bia", NULL, &bia, &err), KF_OK);
	assert_int_equal(kf_store_client_add(st, gid, "Cai", NULL, &cai, &err), KF_OK);
	assert_int_equal(kf_store_photo_put(st, gid, &pf, &pid, &err), KF_OK);

	/* stored and read back: no match for face 0, its candidates best first */
	two_faces(f, ana, bia, cai);
	assert_int_equal(kf_store_begin(st, &err), KF_OK);
	assert_int_equal(kf_store_result_replace(st, pid, &res, &err), KF_OK);
	assert_int_equal(kf_store_commit(st, &err), KF_OK);
	assert_int_equal(kf_store_detail(st, pid, &d, &n, &err), KF_OK);
	assert_int_equal(n, 2);
	assert_int_equal(d[0].nmatches, 0);
	assert_int_equal(d[0].nambiguous, 2);
	assert_int_equal(d[0].ambiguous[0].client_id, ana);
	assert_float_equal(d[0].ambiguous[0].distance, 0.45f, 1e-6);
	assert_int_equal(d[0].ambiguous[1].client_id, bia);
	assert_int_equal(d[1].nmatches, 1);
	assert_int_equal(d[1].matches[0].client_id, cai);
	assert_int_equal(d[1].nambiguous, 0);
	kf_free(d);
	assert_int_equal(count(st, "face_matches"), 1);
	assert_int_equal(count(st, "face_candidates"), 2);

	/* a removed client takes its candidacies along */
	assert_int_equal(sqlite3_exec(st->db, "DELETE FROM clients WHERE name = 'Bia'", NULL, NULL,
				      NULL), SQLITE_OK);
	assert_int_equal(count(st, "face_candidates"), 1);

	/* replaced with the faces: none left over */
	f[0].nambiguous = 0;
	assert_int_equal(kf_store_begin(st, &err), KF_OK);
	assert_int_equal(kf_store_result_replace(st, pid, &res, &err), KF_OK);
	assert_int_equal(kf_store_commit(st, &err), KF_OK);
	assert_int_equal(count(st, "face_candidates"), 0);

	/* rematch: face 0 (the zero descriptor) between two references 0.01
	 * apart in distance, face 1 exactly on Cai's */
	assert_int_equal(kf_store_client_add(st, gid, "Bia", NULL, &bia, &err), KF_OK);
	kf_search_init(&s);
	memset(v, 0, sizeof(v));
	v[0] = 0.45f;
	assert_int_equal(kf_search_add(&s, ana, v, &err), KF_OK);
	v[0] = 0;
	v[1] = 0.46f;
	assert_int_equal(kf_search_add(&s, bia, v, &err), KF_OK);
	v[1] = 0;
	v[2] = 1.0f;
	assert_int_equal(kf_search_add(&s, cai, v, &err), KF_OK);
	assert_int_equal(kf_store_rematch(st, gid, &s, 80, KF_MATCH_MARGIN, &nf, &nm, &err), KF_OK);
	assert_int_equal(nf, 2);
	assert_int_equal(nm, 1);
	assert_int_equal(kf_store_detail(st, pid, &d, &n, &err), KF_OK);
	assert_int_equal(d[0].nmatches, 0);
	assert_int_equal(d[0].nambiguous, 2);
	assert_int_equal(d[0].ambiguous[0].client_id, ana);
	assert_int_equal(d[0].ambiguous[1].client_id, bia);
	assert_int_equal(d[1].nmatches, 1);
	assert_int_equal(d[1].matches[0].client_id, cai);
	kf_free(d);
	/* margin off: face 0 is Ana's */
	assert_int_equal(kf_store_rematch(st, gid, &s, 80, -1, &nf, &nm, &err), KF_OK);
	assert_int_equal(nm, 2);
	assert_int_equal(count(st, "face_candidates"), 0);
	kf_search_release(&s);
	kf_store_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_result_candidates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
