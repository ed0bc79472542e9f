/* fixtures: rek */
/* u-match_engine.c: the match engine interface (core/match_engine.h): the
 * local implementation's plumbing, engines by name (data/engines.h), the
 * Rekognition implementation against rekfake.mjs (enrollment of a photo with
 * one face sent whole, of a chosen face sent as its crop, matching with hits
 * folded per client and strangers dropped, no reference yet, per-thread
 * handles, a wrong secret, forget and drop), and what the store keeps of a
 * remote reference (migration 3). Tests that need the server skip when
 * KF_TEST_REK_ENDPOINT is not set. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "core/alloc.h"
#include "core/assign.h"
#include "core/image.h"
#include "core/image_encode.h"
#include "core/match_engine.h"
#include "data/engines.h"
#include "data/rek_engine.h"
#include "data/rekognition.h"
#include "data/store.h"
#include "data/store_client.h"
#include "data/store_face.h"
#include "data/store_gallery.h"

#define WRONG_SECRET "wrong-secret/KF-me-0a1b2c"

/* ---- the fake's control paths ------------------------------------------------ */

/* GET (body NULL) or POST a control path; *status gets the HTTP status;
 * returns the answer (caller frees). */
static char *fake(const char *path, const char *body, long *status)
{
	const char *ep = getenv("KF_TEST_REK_ENDPOINT");

	assert_non_null(ep);
	return kf_test_http(kf_test_path("%s%s", ep, path), body, status);
}

static void fake_ok(const char *path, const char *body)
{
	long status;
	char *s = fake(path, body, &status);

	if (status >= 300)
		fail_msg("fake %s: HTTP %ld %s", path, status, s);
	free(s);
}

/* The labels of the faces stored in collection kingface-<gid>, in order,
 * joined by ',' into out; "-" when there is no such collection. */
static const char *labels(int64_t gid)
{
	static char out[512];
	long status;
	char *s = fake(kf_test_path("/_fake/collection?id=kingface-%lld", (long long)gid), NULL,
		       &status), *p = s;

	out[0] = '\0';
	if (status == 404) {
		free(s);
		return "-";
	}
	while ((p = strstr(p, "\"label\":\""))) {
		char *q;

		p += 9;
		q = strchr(p, '"');
		assert_non_null(q);
		snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%.*s", out[0] ? "," : "",
			 (int)(q - p), p);
		p = q;
	}
	free(s);
	return out;
}

static long fake_calls(const char *action)
{
	long status, n = 0;
	char *s = fake("/_fake/calls", NULL, &status), key[64], *p;

	snprintf(key, sizeof(key), "\"%s\":", action);
	if ((p = strstr(s, key)))
		n = strtol(p + strlen(key), NULL, 10);
	free(s);
	return n;
}

static int have_server(void)
{
	return getenv("KF_TEST_REK_ENDPOINT") != NULL;
}

static void test_env(const char *secret)
{
	setenv("AWS_ACCESS_KEY_ID", getenv("KF_TEST_S3_KEY_ID"), 1);
	setenv("AWS_SECRET_ACCESS_KEY", secret ? secret : getenv("KF_TEST_S3_SECRET"), 1);
	setenv("AWS_REGION", getenv("KF_TEST_S3_REGION"), 1);
	setenv("KINGFACE_REKOGNITION_ENDPOINT", getenv("KF_TEST_REK_ENDPOINT"), 1);
	setenv("KINGFACE_REK_BACKOFF_MS", "1", 1);
	setenv("XDG_CONFIG_HOME", kf_test_tmpdir(), 1);	/* no config file */
	unsetenv("AWS_SESSION_TOKEN");
	unsetenv("KINGFACE_REK_MAX_ATTEMPTS");
}

static void open_rek(struct kf_match_engine *me, const char *secret)
{
	struct kf_err err = KF_ERR_INIT;

	test_env(secret);
	if (kf_engines_open(KF_MATCH_ENGINE_REKOGNITION, NULL, me, &err) != KF_OK)
		fail_msg("kf_engines_open: %s", err.msg);
}

/* A w x h JPEG of noise in a file; *buf gets its bytes (caller frees). */
static const char *noise_photo(const char *name, int w, int h, uint32_t seed, uint8_t **buf,
			       size_t *len)
{
	struct kf_image px = { w, h, malloc((size_t)w * (size_t)h * 3) };
	struct kf_err err = KF_ERR_INIT;
	const char *path = kf_test_path("%s/%s", kf_test_tmpdir(), name);
	uint8_t *jpg;

	assert_non_null(px.rgb);
	for (size_t i = 0; i < (size_t)w * (size_t)h * 3; i++) {
		seed = seed * 1103515245u + 12345u;
		px.rgb[i] = (uint8_t)(seed >> 24);
	}
	assert_int_equal(kf_image_encode_jpeg(&px, 85, &jpg, len, &err), KF_OK);
	free(px.rgb);
	kf_test_write_file(path, jpg, *len);
	*buf = jpg;
	return path;
}

#define BOX(w, h, l, t) "{\"Width\":" #w ",\"Height\":" #h ",\"Left\":" #l ",\"Top\":" #t "}"

/* ---- the interface, local implementation ------------------------------------- */

static void test_local_plumbing(void **state)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_match_engine me, th;
	char ref[KF_MATCH_ENGINE_REF_SIZE] = "x";
	struct kf_enroll_query q;
	(void)state;

	memset(&q, 0, sizeof(q));
	kf_match_engine_local(&me, NULL);	/* no networks needed for these */
	assert_string_equal(kf_match_engine_name(&me), "local");
	assert_string_equal(kf_match_engine_model(&me), KF_ENGINE_MODEL);
	assert_true(kf_match_engine_has(&me, KF_MATCH_ENGINE_DESCRIPTORS));
	assert_false(kf_match_engine_has(&me, KF_MATCH_ENGINE_REMOTE));
	assert_int_equal(kf_match_engine_calls(&me), 0);
	assert_int_equal(kf_match_engine_enroll(&me, &q, ref, &err), KF_OK);
	assert_string_equal(ref, "");	/* the descriptor is the reference */
	assert_int_equal(kf_match_engine_forget(&me, 1, NULL, 0, &err), KF_OK);
	assert_int_equal(kf_match_engine_drop_gallery(&me, 1, &err), KF_OK);
	assert_int_equal(kf_match_engine_thread(&me, &th, &err), KF_OK);
	assert_ptr_equal(th.ops, me.ops);
	kf_match_engine_close(&th);
	kf_match_engine_close(&me);
	assert_null(me.ops);
	kf_match_engine_close(&me);	/* idempotent */
	kf_match_engine_close(NULL);
	assert_true(kf_match_engine_known("local"));
	assert_true(kf_match_engine_known("rekognition"));
	assert_false(kf_match_engine_known("Rekognition"));
	assert_false(kf_match_engine_known(NULL));
	/* by name */
	assert_int_equal(kf_engines_open("azure", NULL, &me, &err), KF_E_INVALID);
	assert_non_null(strstr(err.msg, "local or rekognition"));
	kf_err_clear(&err);
	assert_int_equal(kf_engines_open("local", NULL, &me, &err), KF_E_INVALID);
	assert_null(me.ops);
}

static void test_missing_credentials(void **state)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_match_engine me;
	(void)state;

	setenv("XDG_CONFIG_HOME", kf_test_tmpdir(), 1);
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	setenv("AWS_REGION", "us-east-1", 1);
	assert_int_equal(kf_engines_open("rekognition", NULL, &me, &err), KF_E_AUTH);
	assert_non_null(strstr(err.msg, "AWS_ACCESS_KEY_ID"));
	assert_null(me.ops);
	kf_match_engine_close(&me);
}

/* ---- Rekognition ------------------------------------------------------------- */

static void test_rek_enroll(void **state)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_match_engine me;
	struct kf_enroll_query q;
	char ref[KF_MATCH_ENGINE_REF_SIZE];
	const int64_t gid = 960001;
	uint8_t *solo, *group;
	size_t solo_len, group_len;
	const char *solo_path, *group_path;
	long idx;
	(void)state;

	if (!have_server())
		skip();
	open_rek(&me, NULL);
	/* a photo with one face: sent whole (the fake knows it by its sha256) */
	solo_path = noise_photo("solo.jpg", 320, 240, 1, &solo, &solo_len);
	fake_ok("/_fake/photo", kf_test_path("{\"path\":\"%s\",\"faces\":[{\"label\":\"solo\","
					     "\"BoundingBox\":" BOX(0.3, 0.4, 0.35, 0.3) "}]}", solo_path));
	memset(&q, 0, sizeof(q));
	q.gallery_id = gid;
	q.client_id = 7;
	q.photo = solo;
	q.len = solo_len;
	q.left = 0.35, q.top = 0.3, q.width = 0.3, q.height = 0.4;
	q.only_face = 1;
	assert_string_equal(labels(gid), "-");
	idx = fake_calls("IndexFaces");
	if (kf_match_engine_enroll(&me, &q, ref, &err) != KF_OK)
		fail_msg("enroll: %s", err.msg);
	assert_int_equal(strlen(ref), 36);	/* a FaceId */
	assert_string_equal(labels(gid), "solo");	/* the collection was created */
	assert_int_equal(fake_calls("IndexFaces"), idx + 2);	/* NotFound, then indexed */
	assert_int_equal(kf_match_engine_calls(&me), 3);	/* + CreateCollection */
	/* several faces: the chosen one's crop, which the fake knows by its size */
	group_path = noise_photo("group.jpg", 800, 600, 2, &group, &group_len);
	fake_ok("/_fake/photo", kf_test_path("{\"path\":\"%s\",\"faces\":["
		"{\"label\":\"big\",\"BoundingBox\":" BOX(0.3, 0.4, 0.05, 0.1) "},"
		"{\"label\":\"chosen\",\"BoundingBox\":" BOX(0.1, 0.15, 0.6, 0.5) "}]}", group_path));
	q.client_id = 8;
	q.photo = group;
	q.len = group_len;
	q.left = 0.6, q.top = 0.5, q.width = 0.1, q.height = 0.15;
	q.only_face = 0;
	assert_int_equal(kf_match_engine_enroll(&me, &q, ref, &err), KF_OK);
	assert_string_equal(labels(gid), "solo,chosen");
	/* the detector saw one face, AWS ranks another first: the crop after all */
	q.only_face = 1;
	assert_int_equal(kf_match_engine_enroll(&me, &q, ref, &err), KF_OK);
	assert_string_equal(labels(gid), "solo,chosen,chosen");
	/* forget one, then the collection */
	{
		const char *ids[1] = { ref };

		assert_int_equal(kf_match_engine_forget(&me, gid, ids, 1, &err), KF_OK);
		assert_string_equal(labels(gid), "solo,chosen");
	}
	assert_int_equal(kf_match_engine_drop_gallery(&me, gid, &err), KF_OK);
	assert_string_equal(labels(gid), "-");
	assert_int_equal(kf_match_engine_drop_gallery(&me, gid, &err), KF_OK);	/* gone: fine */
	{
		const char *ids[1] = { "00000000-0000-0000-0000-000000000000" };

		assert_int_equal(kf_match_engine_forget(&me, gid, ids, 1, &err), KF_OK);
	}
	kf_match_engine_close(&me);
	kf_free(solo);
	kf_free(group);
}

static void test_rek_match(void **state)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_arena *none = NULL;
	struct kf_match_engine me, th;
	struct kf_match_result res;
	struct kf_match_query mq;
	struct kf_enroll_query q;
	char ref[KF_MATCH_ENGINE_REF_SIZE];
	const int64_t gid = 960002, clients[2] = { 11, 12 };
	uint8_t *photo;
	size_t len;
	const char *path;
	long search;
	(void)state;

	if (!have_server())
		skip();
	open_rek(&me, NULL);
	/* three faces: ana (client 11, twice enrolled), bob (client 12),
	 * eve (enrolled under an id that is no client of the gallery) */
	path = noise_photo("three.jpg", 900, 600, 3, &photo, &len);
	fake_ok("/_fake/photo", kf_test_path("{\"path\":\"%s\",\"faces\":["
		"{\"label\":\"ana\",\"Confidence\":97.5,\"Similarity\":98.25,\"BoundingBox\":"
		BOX(0.12, 0.2, 0.1, 0.1) "},"
		"{\"label\":\"bob\",\"Confidence\":99.5,\"Similarity\":91.5,\"BoundingBox\":"
		BOX(0.1, 0.16, 0.45, 0.5) "},"
		"{\"label\":\"eve\",\"Confidence\":95,\"BoundingBox\":" BOX(0.09, 0.13, 0.8, 0.3)
		"}]}", path));
	memset(&q, 0, sizeof(q));
	q.gallery_id = gid;
	q.photo = photo;
	q.len = len;
	q.client_id = 11, q.left = 0.1, q.top = 0.1, q.width = 0.12, q.height = 0.2;
	assert_int_equal(kf_match_engine_enroll(&me, &q, ref, &err), KF_OK);
	assert_int_equal(kf_match_engine_enroll(&me, &q, ref, &err), KF_OK);
	q.client_id = 12, q.left = 0.45, q.top = 0.5, q.width = 0.1, q.height = 0.16;
	assert_int_equal(kf_match_engine_enroll(&me, &q, ref, &err), KF_OK);
	q.client_id = 99, q.left = 0.8, q.top = 0.3, q.width = 0.09, q.height = 0.13;
	assert_int_equal(kf_match_engine_enroll(&me, &q, ref, &err), KF_OK);
	assert_string_equal(labels(gid), "ana,ana,bob,eve");

	/* a thread's own handle: its own client and count */
	assert_int_equal(kf_match_engine_thread(&me, &th, &err), KF_OK);
	assert_int_equal(kf_match_engine_calls(&th), 0);
	memset(&mq, 0, sizeof(mq));
	mq.threshold = 80;
	mq.gallery_id = gid;
	mq.remote_refs = 4;
	mq.client_ids = clients;
	mq.nclients = 2;
	if (kf_match_engine_match(&th, &mq, photo, len, &res, none, &err) != KF_OK)
		fail_msg("match: %s", err.msg);
	assert_int_equal(kf_match_engine_calls(&th), 4);	/* DetectFaces + 3 crops */
	assert_int_equal(res.width, 900);
	assert_int_equal(res.height, 600);
	assert_int_equal(res.nfaces, 3);
	/* by score: bob 99.5, ana 97.5, eve 95 */
	assert_float_equal(res.faces[0].score, 0.995, 1e-6);
	assert_float_equal(res.faces[0].box.x, 0.45 * 900, 1e-3);
	assert_float_equal(res.faces[0].box.height, 0.16 * 600, 1e-3);
	assert_int_equal(res.faces[0].nhits, 1);
	assert_int_equal(res.faces[0].hits[0].client_id, 12);
	assert_float_equal(res.faces[0].hits[0].similarity, 91.5, 1e-4);
	assert_int_equal(res.faces[1].nhits, 1);	/* two references, one client */
	assert_int_equal(res.faces[1].hits[0].client_id, 11);
	assert_float_equal(res.faces[1].hits[0].similarity, 98.25, 1e-4);
	assert_int_equal(res.faces[2].nhits, 0);	/* eve is no client here */
	for (size_t i = 0; i < res.nfaces; i++) {
		assert_true(res.faces[i].no_descriptor);
		assert_int_equal(res.faces[i].best_below.client_id, 0);
	}
	kf_match_result_release(&res);
	/* a threshold above bob's similarity drops him */
	mq.threshold = 95;
	assert_int_equal(kf_match_engine_match(&th, &mq, photo, len, &res, none, &err), KF_OK);
	assert_int_equal(res.faces[0].nhits, 0);
	assert_int_equal(res.faces[1].nhits, 1);
	kf_match_result_release(&res);
	/* nothing enrolled yet: DetectFaces only */
	search = fake_calls("SearchFacesByImage");
	mq.gallery_id = gid + 1;
	mq.remote_refs = 0;
	assert_int_equal(kf_match_engine_match(&th, &mq, photo, len, &res, none, &err), KF_OK);
	assert_int_equal(res.nfaces, 3);
	assert_int_equal(fake_calls("SearchFacesByImage"), search);
	kf_match_result_release(&res);
	/* a corrupt photo fails before any call */
	assert_int_equal(kf_match_engine_match(&th, &mq, photo, len / 2, &res, none, &err),
			 KF_E_FORMAT);
	assert_int_equal(res.nfaces, 0);
	kf_err_clear(&err);
	kf_match_engine_close(&th);
	assert_int_equal(kf_match_engine_drop_gallery(&me, gid, &err), KF_OK);
	kf_match_engine_close(&me);
	kf_free(photo);
}

/* Rekognition's faces are assigned as the local engine's (core/assign.h): a
 * client on one face, its best; no margin (no distances), so never ambiguous. */
static void test_rek_match_assigns(void **state)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_match_engine me;
	struct kf_match_result res;
	struct kf_match_query mq;
	struct kf_enroll_query q;
	char ref[KF_MATCH_ENGINE_REF_SIZE];
	const int64_t gid = 960004, clients[2] = { 11, 12 };
	uint8_t *photo;
	size_t len;
	const char *path;
	(void)state;

	if (!have_server())
		skip();
	open_rek(&me, NULL);
	/* two faces AWS takes for ana (client 11), one for bob (client 12); box
	 * sizes of their own (the fake knows a crop by its size) */
	path = noise_photo("assign.jpg", 900, 600, 5, &photo, &len);
	fake_ok("/_fake/photo", kf_test_path("{\"path\":\"%s\",\"faces\":["
		"{\"label\":\"ana\",\"Confidence\":99.5,\"Similarity\":90,\"BoundingBox\":"
		BOX(0.11, 0.17, 0.1, 0.1) "},"
		"{\"label\":\"ana\",\"Confidence\":97.5,\"Similarity\":95,\"BoundingBox\":"
		BOX(0.14, 0.22, 0.4, 0.4) "},"
		"{\"label\":\"bob\",\"Confidence\":95,\"Similarity\":95,\"BoundingBox\":"
		BOX(0.08, 0.12, 0.7, 0.3) "}]}", path));
	memset(&q, 0, sizeof(q));
	q.gallery_id = gid;
	q.photo = photo;
	q.len = len;
	q.client_id = 11, q.left = 0.1, q.top = 0.1, q.width = 0.11, q.height = 0.17;
	assert_int_equal(kf_match_engine_enroll(&me, &q, ref, &err), KF_OK);
	q.client_id = 12, q.left = 0.7, q.top = 0.3, q.width = 0.08, q.height = 0.12;
	assert_int_equal(kf_match_engine_enroll(&me, &q, ref, &err), KF_OK);

	memset(&mq, 0, sizeof(mq));
	mq.threshold = 80;
	mq.gallery_id = gid;
	mq.remote_refs = 2;
	mq.client_ids = clients;
	mq.nclients = 2;
	mq.margin = KF_MATCH_MARGIN;	/* off: Rekognition gives no distances */
	if (kf_match_engine_match(&me, &mq, photo, len, &res, NULL, &err) != KF_OK)
		fail_msg("match: %s", err.msg);
	assert_int_equal(res.nfaces, 3);
	/* by score; ana goes to the face she is surer of (95 > 90) */
	assert_int_equal(res.faces[0].nhits, 0);
	assert_int_equal(res.faces[1].nhits, 1);
	assert_int_equal(res.faces[1].hits[0].client_id, 11);
	assert_float_equal(res.faces[1].hits[0].similarity, 95, 1e-4);
	assert_int_equal(res.faces[2].nhits, 1);
	assert_int_equal(res.faces[2].hits[0].client_id, 12);
	for (size_t i = 0; i < res.nfaces; i++)
		assert_int_equal(res.faces[i].nambiguous, 0);
	kf_match_result_release(&res);
	assert_int_equal(kf_match_engine_drop_gallery(&me, gid, &err), KF_OK);
	kf_match_engine_close(&me);
	kf_free(photo);
}

static void test_rek_wrong_secret(void **state)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_match_engine me;
	struct kf_match_result res;
	struct kf_match_query mq;
	uint8_t *photo;
	size_t len;
	(void)state;

	if (!have_server())
		skip();
	open_rek(&me, WRONG_SECRET);
	noise_photo("w.jpg", 64, 64, 4, &photo, &len);
	memset(&mq, 0, sizeof(mq));
	mq.gallery_id = 960003;
	assert_int_equal(kf_match_engine_match(&me, &mq, photo, len, &res, NULL, &err), KF_E_AUTH);
	assert_non_null(strstr(err.msg, "AWS_SECRET_ACCESS_KEY"));
	assert_null(strstr(err.msg, WRONG_SECRET));
	assert_int_equal(res.nfaces, 0);
	kf_match_engine_close(&me);
	kf_free(photo);
}

/* ---- the store: migration 3 --------------------------------------------------- */

static void test_store_remote_refs(void **state)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_store *st;
	struct kf_face_ref r, *list;
	struct kf_search s;
	struct kf_gallery g;
	char **ids;
	size_t n;
	int64_t gid, cid, local_id, remote_id, nrefs, other, results, refs, requeued;
	(void)state;

	assert_int_equal(kf_store_open(&st, kf_test_path("%s/me.db", kf_test_tmpdir()),
				       KF_STORE_CREATE, &err), KF_OK);
	assert_int_equal(kf_store_gallery_create(st, "g", NULL, &gid, &err), KF_OK);
	assert_int_equal(kf_store_client_add(st, gid, "Ana", NULL, &cid, &err), KF_OK);
	memset(&r, 0, sizeof(r));
	r.client_id = cid;
	r.model = (char *)KF_ENGINE_MODEL;
	r.descriptor[0] = 1;
	assert_int_equal(kf_store_face_add(st, &r, &local_id, &err), KF_OK);
	r.model = (char *)KF_REK_ENGINE_MODEL;
	r.engine = (char *)"rekognition";
	snprintf(r.face_id, sizeof(r.face_id), "%s", "f-1");
	assert_int_equal(kf_store_face_add(st, &r, &remote_id, &err), KF_OK);
	/* the local search never loads the remote reference */
	kf_search_init(&s);
	assert_int_equal(kf_store_face_load_search(st, gid, KF_ENGINE_MODEL, &s, &nrefs, &other,
						   &err), KF_OK);
	assert_int_equal(nrefs, 1);
	assert_int_equal(other, 1);
	kf_search_release(&s);
	assert_int_equal(kf_store_face_list(st, cid, &list, &n, &err), KF_OK);
	assert_int_equal(n, 2);
	assert_string_equal(list[0].engine, "local");
	assert_string_equal(list[0].face_id, "");
	assert_string_equal(list[1].engine, "rekognition");
	assert_string_equal(list[1].face_id, "f-1");
	assert_float_equal(list[1].descriptor[0], 0, 0);	/* none stored */
	kf_store_face_list_free(list, n);
	assert_int_equal(kf_store_face_remote_ids(st, gid, 0, 0, &ids, &n, &err), KF_OK);
	assert_int_equal(n, 1);
	assert_string_equal(ids[0], "f-1");
	kf_store_face_ids_free(ids, n);
	assert_int_equal(kf_store_face_remote_ids(st, gid, cid, local_id, &ids, &n, &err), KF_OK);
	assert_int_equal(n, 0);
	assert_null(ids);
	assert_int_equal(kf_store_face_count(st, gid, "rekognition", &nrefs, &err), KF_OK);
	assert_int_equal(nrefs, 1);
	/* the calls counter and the engine switch */
	assert_int_equal(kf_store_gallery_add_calls(st, gid, 5, &err), KF_OK);
	assert_int_equal(kf_store_gallery_get(st, gid, &g, &err), KF_OK);
	assert_int_equal(g.remote_calls, 5);
	assert_string_equal(g.engine, "local");
	assert_int_equal(kf_store_gallery_engine_use(st, &g, &results, &refs, &err), KF_OK);
	assert_int_equal(results, 0);
	assert_int_equal(refs, 1);
	kf_store_gallery_release(&g);
	assert_int_equal(kf_store_gallery_set_engine(st, gid, "rekognition", 1, &requeued, &err),
			 KF_OK);
	assert_int_equal(requeued, 0);
	assert_int_equal(kf_store_gallery_get(st, gid, &g, &err), KF_OK);
	assert_string_equal(g.engine, "rekognition");
	kf_store_gallery_release(&g);
	kf_store_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_local_plumbing),
		cmocka_unit_test(test_missing_credentials),
		cmocka_unit_test(test_rek_enroll),
		cmocka_unit_test(test_rek_match),
		cmocka_unit_test(test_rek_match_assigns),
		cmocka_unit_test(test_rek_wrong_secret),
		cmocka_unit_test(test_store_remote_refs),
	};
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
