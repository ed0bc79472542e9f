/* fixtures: rek */
/* u-rekognition.c: the Rekognition client against rekfake.mjs (the rek
 * fixture: SigV4 checked with AWS's signer, answers shaped as the API
 * reference documents them): settings, every call, retries and the call
 * counter, error classification (wrong secret, unknown key, bad image, no face
 * in a crop), a whole photo with three faces and two enrolled clients, and
 * the response parsers on the API reference's examples. Tests that need the
 * server skip when KF_TEST_REK_ENDPOINT is not set. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/evp.h>

#include "core/alloc.h"
#include "core/image.h"
#include "core/image_encode.h"
#include "data/rekognition.h"

#define WRONG_SECRET "wrong-secret/KF-9f8e7d6c5b4a"

/* ---- the fake's control paths ------------------------------------------------ */

/* GET (body NULL) or POST a control path; returns the answer (caller frees). */
static char *fake(const char *path, const char *body)
{
	const char *ep = getenv("KF_TEST_REK_ENDPOINT");
	long status = 0;
	char *s;

	assert_non_null(ep);
	s = kf_test_http(kf_test_path("%s%s", ep, path), body, &status);
	if (status >= 300)
		fail_msg("fake %s: HTTP %ld %s", path, status, s);
	return s;
}

static void fake_do(const char *path, const char *body)
{
	free(fake(path, body));
}

/* Register what is in the image: faces is a JSON array (see rekfake.mjs). */
static void fake_image(const uint8_t *img, size_t len, const char *faces)
{
	unsigned char md[32];
	char hex[65], *body;
	size_t n;

	assert_int_equal(EVP_Digest(img, len, md, NULL, EVP_sha256(), NULL), 1);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	n = strlen(faces) + 128;
	body = malloc(n);
	assert_non_null(body);
	snprintf(body, n, "{\"sha256\":\"%s\",\"faces\":%s}", hex, faces);
	fake_do("/_fake/image", body);
	free(body);
}

static void fake_fail(const char *action, const char *type, int count, int status)
{
	char body[256];

	snprintf(body, sizeof(body), "{\"action\":\"%s\",\"type\":\"%s\",\"count\":%d,\"status\":%d}",
		 action, type, count, status);
	fake_do("/_fake/fail", body);
}

/* How many signed calls of action the fake saw since the last reset. */
static long fake_calls(const char *action)
{
	char *s = fake("/_fake/calls", NULL), key[64], *p;
	long n = 0;

	snprintf(key, sizeof(key), "\"%s\":", action);
	if ((p = strstr(s, key)))
		n = strtol(p + strlen(key), NULL, 10);
	free(s);
	return n;
}

/* ---- set-up ------------------------------------------------------------------ */

static int have_server(void)
{
	return getenv("KF_TEST_REK_ENDPOINT") != NULL;
}

/* The environment kf_rek_open reads, pointing at the fake. */
static void test_env(const char *secret)
{
	const char *ep = getenv("KF_TEST_REK_ENDPOINT");

	setenv("AWS_ACCESS_KEY_ID", getenv("KF_TEST_S3_KEY_ID"), 1);
	setenv("AWS_SECRET_ACCESS_KEY", secret ? secret : getenv("KF_TEST_S3_SECRET"), 1);
	setenv("AWS_REGION", getenv("KF_TEST_S3_REGION"), 1);
	if (ep)
		setenv("KINGFACE_REKOGNITION_ENDPOINT", ep, 1);
	setenv("KINGFACE_REK_BACKOFF_MS", "1", 1);
	unsetenv("AWS_SESSION_TOKEN");
	unsetenv("KINGFACE_REK_MAX_ATTEMPTS");
}

static void open_rek(struct kf_rek *rek, const char *secret)
{
	struct kf_err err = KF_ERR_INIT;

	test_env(secret);
	if (kf_rek_open(rek, NULL, &err) != KF_OK)
		fail_msg("kf_rek_open: %s", err.msg);
}

/* A w x h JPEG of noise (seeded: different seeds, different bytes); *img
 * (may be NULL) gets the decoded pixels, as the client will see them. */
static uint8_t *make_jpeg(int w, int h, uint32_t seed, int quality, size_t *len,
			  struct kf_image *img)
{
	struct kf_image px = { w, h, malloc((size_t)w * (size_t)h * 3) };
	struct kf_err err = KF_ERR_INIT;
	uint8_t *jpg;

	assert_non_null(px.rgb);
	for (size_t i = 0; i < (size_t)w * (size_t)h * 3; i++) {
		seed = seed * 1103515245u + 12345u;
		px.rgb[i] = (uint8_t)(seed >> 24);
	}
	assert_int_equal(kf_image_encode_jpeg(&px, quality, &jpg, len, &err), KF_OK);
	free(px.rgb);
	if (img)
		assert_int_equal(kf_image_decode(jpg, *len, 0, img, NULL, &err), KF_OK);
	return jpg;
}

/* Register the crop kf_rek_match_photo will send for box (l, t, w, h) of img
 * as holding one face of label, with the given similarity. */
static void fake_crop(const struct kf_image *img, double l, double t, double w, double h,
		      const char *label, double similarity)
{
	struct kf_err err = KF_ERR_INIT;
	uint8_t *crop;
	size_t len;

	assert_int_equal(kf_image_crop_jpeg(img, l, t, w, h, KF_REK_CROP_MARGIN,
					    KF_REK_CROP_QUALITY, &crop, &len, &err), KF_OK);
	fake_image(crop, len, kf_test_path("[{\"label\":\"%s\",\"Similarity\":%g,\"BoundingBox\":"
					   "{\"Width\":0.6,\"Height\":0.6,\"Left\":0.2,\"Top\":0.2}}]",
					   label, similarity));
	kf_free(crop);
}

/* a string literal and its length */
#define JS(lit) (lit), (sizeof(lit) - 1)

#define BOX(w, h, l, t) "{\"Width\":" #w ",\"Height\":" #h ",\"Left\":" #l ",\"Top\":" #t "}"

/* ---- settings ------------------------------------------------------------------ */

static void test_open_settings(void **state)
{
	struct kf_rek rek;
	struct kf_err err = KF_ERR_INIT;
	char coll[KF_REK_COLLECTION_SIZE];

	(void)state;
	test_env("s3cr3t-value");
	unsetenv("KINGFACE_REKOGNITION_ENDPOINT");
	assert_int_equal(kf_rek_open(&rek, NULL, &err), KF_OK);
	assert_string_equal(rek.endpoint, kf_test_path("https://rekognition.%s.amazonaws.com",
						       getenv("AWS_REGION")));
	assert_string_equal(rek.host, kf_test_path("rekognition.%s.amazonaws.com",
						   getenv("AWS_REGION")));
	assert_int_equal(rek.backoff_ms, 1);
	assert_int_equal(rek.max_attempts, KF_REK_DEFAULT_ATTEMPTS);
	kf_rek_close(&rek);
	kf_rek_close(&rek);
	kf_rek_close(NULL);

	setenv("KINGFACE_REKOGNITION_ENDPOINT", "http://127.0.0.1:9/", 1);
	assert_int_equal(kf_rek_open(&rek, NULL, &err), KF_OK);
	assert_string_equal(rek.endpoint, "http://127.0.0.1:9");
	assert_string_equal(rek.host, "127.0.0.1:9");
	kf_rek_close(&rek);

	/* each missing or bad setting is named, the secret never */
	static const struct {
		const char *var, *value;
		int code;
		const char *want;
	} rows[] = {
		{ "AWS_ACCESS_KEY_ID", NULL, KF_E_AUTH, "AWS_ACCESS_KEY_ID is not set" },
		{ "AWS_SECRET_ACCESS_KEY", NULL, KF_E_AUTH, "AWS_SECRET_ACCESS_KEY is not set" },
		{ "AWS_REGION", NULL, KF_E_INVALID, "AWS_REGION is not set" },
		{ "AWS_REGION", "us east/1", KF_E_INVALID, "is not a region name" },
		{ "KINGFACE_REKOGNITION_ENDPOINT", "ftp://x", KF_E_INVALID, "https:// or http://" },
		{ "KINGFACE_REKOGNITION_ENDPOINT", "https://h/p", KF_E_INVALID, "no path" },
		{ "KINGFACE_REKOGNITION_ENDPOINT", "https://u:s3cr3t-value@h", KF_E_INVALID, "no path" },
		{ "KINGFACE_REK_MAX_ATTEMPTS", "0", KF_E_INVALID, "KINGFACE_REK_MAX_ATTEMPTS" },
		{ "KINGFACE_REK_BACKOFF_MS", "x", KF_E_INVALID, "KINGFACE_REK_BACKOFF_MS" },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		test_env("s3cr3t-value");
		kf_err_clear(&err);
		if (rows[i].value)
			setenv(rows[i].var, rows[i].value, 1);
		else
			unsetenv(rows[i].var);
		assert_int_equal(kf_rek_open(&rek, NULL, &err), rows[i].code);
		if (!strstr(err.msg, rows[i].want) || strstr(err.msg, "s3cr3t"))
			fail_msg("row %zu: '%s'", i, err.msg);
		assert_null(rek.curl);
		kf_rek_close(&rek);
	}

	assert_int_equal(kf_rek_collection_id("42", coll, &err), KF_OK);
	assert_string_equal(coll, "kingface-42");
	assert_int_equal(kf_rek_collection_id("a b", coll, &err), KF_E_INVALID);
	assert_string_equal(coll, "");
	assert_int_equal(kf_rek_collection_id("", coll, &err), KF_E_INVALID);
}

/* ---- calls against the fake --------------------------------------------------- */

static void test_collections(void **state)
{
	struct kf_rek rek;
	struct kf_err err = KF_ERR_INIT;

	(void)state;
	if (!have_server())
		skip();
	open_rek(&rek, NULL);
	assert_int_equal(kf_rek_create_collection(&rek, "kingface-u-coll", &err), KF_OK);
	/* ResourceAlreadyExistsException is success, and leaves no message */
	assert_int_equal(kf_rek_create_collection(&rek, "kingface-u-coll", &err), KF_OK);
	assert_string_equal(err.msg, "");
	assert_int_equal(kf_rek_delete_collection(&rek, "kingface-u-coll", &err), KF_OK);
	assert_int_equal(kf_rek_delete_collection(&rek, "kingface-u-coll", &err), KF_E_NOTFOUND);
	assert_non_null(strstr(err.msg, "rekognition DeleteCollection: ResourceNotFoundException: "
				       "The collection id: kingface-u-coll does not exist"));
	assert_int_equal(rek.calls, 4);
	assert_int_equal(rek.retries, 0);
	/* refused locally, nothing sent */
	kf_err_clear(&err);
	assert_int_equal(kf_rek_create_collection(&rek, "bad id", &err), KF_E_INVALID);
	assert_int_equal(rek.calls, 4);
	kf_rek_close(&rek);
}

static void test_index_and_delete(void **state)
{
	struct kf_rek rek;
	struct kf_err err = KF_ERR_INIT;
	struct kf_rek_index_result ix;
	uint8_t *img, *other;
	size_t len, other_len, n_deleted = 99;
	char *list;
	const char *ids[2];

	(void)state;
	if (!have_server())
		skip();
	open_rek(&rek, NULL);
	img = make_jpeg(64, 48, 101, 90, &len, NULL);
	other = make_jpeg(64, 48, 102, 90, &other_len, NULL);
	fake_image(img, len, "[{\"label\":\"ana\",\"BoundingBox\":" BOX(0.5, 0.6, 0.1, 0.2) "},"
			     "{\"label\":\"bob\",\"BoundingBox\":" BOX(0.2, 0.2, 0.7, 0.1) "}]");
	assert_int_equal(kf_rek_create_collection(&rek, "kingface-u-index", &err), KF_OK);
	/* MaxFaces 1: the largest face is indexed, the other reported unindexed */
	assert_int_equal(kf_rek_index_faces(&rek, "kingface-u-index", img, len, "client-7", 1,
					    KF_REK_QUALITY_AUTO, &ix, &err), KF_OK);
	assert_int_equal(ix.n, 1);
	assert_int_equal(ix.n_unindexed, 1);
	assert_int_equal(strlen(ix.faces[0].face_id), 36);
	assert_string_equal(ix.faces[0].external_id, "client-7");
	assert_true(ix.faces[0].box.width == 0.5 && ix.faces[0].box.height == 0.6 &&
		    ix.faces[0].box.left == 0.1 && ix.faces[0].box.top == 0.2);
	assert_true(ix.faces[0].confidence > 99.0);
	list = fake("/_fake/collection?id=kingface-u-index", NULL);
	assert_non_null(strstr(list, ix.faces[0].face_id));
	assert_non_null(strstr(list, "\"label\":\"ana\""));
	free(list);
	/* an image without faces indexes nothing, and that is not an error */
	kf_rek_index_release(&ix);
	assert_int_equal(kf_rek_index_faces(&rek, "kingface-u-index", other, other_len, NULL, 0,
					    KF_REK_QUALITY_NONE, &ix, &err), KF_OK);
	assert_int_equal(ix.n, 0);
	assert_null(ix.faces);
	kf_rek_index_release(&ix);
	/* index again, then delete both: one known, one not */
	assert_int_equal(kf_rek_index_faces(&rek, "kingface-u-index", img, len, "client-7", 1,
					    KF_REK_QUALITY_AUTO, &ix, &err), KF_OK);
	ids[0] = ix.faces[0].face_id;
	ids[1] = "00000000-0000-4000-8000-000000000000";
	assert_int_equal(kf_rek_delete_faces(&rek, "kingface-u-index", ids, 2, &n_deleted, &err),
			 KF_OK);
	assert_int_equal(n_deleted, 1);
	kf_rek_index_release(&ix);
	/* bad arguments are refused before anything is sent */
	assert_int_equal(kf_rek_index_faces(&rek, "kingface-u-index", img, len, "a b", 1,
					    KF_REK_QUALITY_AUTO, &ix, &err), KF_E_INVALID);
	assert_int_equal(kf_rek_delete_faces(&rek, "kingface-u-index", ids, 0, NULL, &err),
			 KF_E_INVALID);
	/* a missing collection */
	kf_err_clear(&err);
	assert_int_equal(kf_rek_index_faces(&rek, "kingface-u-nope", img, len, "c", 1,
					    KF_REK_QUALITY_AUTO, &ix, &err), KF_E_NOTFOUND);
	assert_non_null(strstr(err.msg, "ResourceNotFoundException"));
	assert_int_equal(kf_rek_delete_collection(&rek, "kingface-u-index", &err), KF_OK);
	kf_free(img);
	kf_free(other);
	kf_rek_close(&rek);
}

static void test_detect(void **state)
{
	struct kf_rek rek;
	struct kf_err err = KF_ERR_INIT;
	struct kf_rek_detect_result det;
	uint8_t *img, *other;
	size_t len, other_len;

	(void)state;
	if (!have_server())
		skip();
	open_rek(&rek, NULL);
	img = make_jpeg(80, 60, 201, 90, &len, NULL);
	other = make_jpeg(80, 60, 202, 90, &other_len, NULL);
	fake_image(img, len,
		   "[{\"label\":\"a\",\"Confidence\":99.25,\"BoundingBox\":" BOX(0.3, 0.4, 0.05, 0.1) "},"
		   "{\"label\":\"b\",\"BoundingBox\":" BOX(0.2, 0.25, 0.5, 0.5) "},"
		   "{\"label\":\"c\",\"BoundingBox\":" BOX(0.1, 0.125, 0.85, 0.05) "}]");
	assert_int_equal(kf_rek_detect_faces(&rek, img, len, &det, &err), KF_OK);
	assert_int_equal(det.n, 3);
	assert_true(det.faces[0].box.width == 0.3 && det.faces[0].box.top == 0.1);
	assert_true(det.faces[0].confidence == 99.25);
	assert_true(det.faces[2].box.left == 0.85);
	kf_rek_detect_release(&det);
	kf_rek_detect_release(&det);
	assert_int_equal(kf_rek_detect_faces(&rek, other, other_len, &det, &err), KF_OK);
	assert_int_equal(det.n, 0);
	kf_rek_detect_release(&det);
	kf_free(img);
	kf_free(other);
	kf_rek_close(&rek);
}

static void test_wrong_credentials(void **state)
{
	struct kf_rek rek;
	struct kf_err err = KF_ERR_INIT;
	struct kf_rek_detect_result det;
	uint8_t *img;
	size_t len;

	(void)state;
	if (!have_server())
		skip();
	img = make_jpeg(32, 32, 301, 90, &len, NULL);
	/* a wrong secret: the signature does not match (HTTP 403), not retried */
	open_rek(&rek, WRONG_SECRET);
	assert_int_equal(kf_rek_detect_faces(&rek, img, len, &det, &err), KF_E_AUTH);
	assert_non_null(strstr(err.msg, "AWS_SECRET_ACCESS_KEY"));
	assert_non_null(strstr(err.msg, "InvalidSignatureException"));
	assert_non_null(strstr(err.msg, "The request signature we calculated does not match"));
	assert_null(strstr(err.msg, WRONG_SECRET));
	assert_null(strstr(err.msg, "KF-9f8e"));
	assert_int_equal(rek.calls, 1);
	assert_null(det.faces);
	kf_rek_close(&rek);
	/* an access key AWS does not know */
	kf_err_clear(&err);
	test_env(NULL);
	setenv("AWS_ACCESS_KEY_ID", "AKIDNOBODYKNOWS", 1);
	assert_int_equal(kf_rek_open(&rek, NULL, &err), KF_OK);
	assert_int_equal(kf_rek_detect_faces(&rek, img, len, &det, &err), KF_E_AUTH);
	assert_non_null(strstr(err.msg, "check AWS_ACCESS_KEY_ID"));
	assert_non_null(strstr(err.msg, "UnrecognizedClientException"));
	assert_null(strstr(err.msg, getenv("KF_TEST_S3_SECRET")));
	kf_rek_close(&rek);
	/* a region the key is not scoped to */
	kf_err_clear(&err);
	test_env(NULL);
	setenv("AWS_REGION", "eu-west-3", 1);
	assert_int_equal(kf_rek_open(&rek, NULL, &err), KF_OK);
	assert_int_equal(kf_rek_detect_faces(&rek, img, len, &det, &err), KF_E_AUTH);
	assert_non_null(strstr(err.msg, "check AWS_REGION"));
	kf_rek_close(&rek);
	/* the right ones */
	open_rek(&rek, NULL);
	assert_int_equal(kf_rek_detect_faces(&rek, img, len, &det, &err), KF_OK);
	kf_rek_detect_release(&det);
	kf_rek_close(&rek);
	kf_free(img);
}

static void test_retries(void **state)
{
	struct kf_rek rek;
	struct kf_err err = KF_ERR_INIT;
	struct kf_rek_detect_result det;
	struct timespec t0, t1;
	uint8_t *img;
	size_t len;

	(void)state;
	if (!have_server())
		skip();
	img = make_jpeg(32, 32, 401, 90, &len, NULL);
	open_rek(&rek, NULL);
	/* throttled twice, then answered: three requests sent and counted */
	fake_do("/_fake/reset", "");
	fake_fail("DetectFaces", "ThrottlingException", 2, 400);
	assert_int_equal(kf_rek_detect_faces(&rek, img, len, &det, &err), KF_OK);
	assert_int_equal(rek.calls, 3);
	assert_int_equal(rek.retries, 2);
	assert_int_equal(fake_calls("DetectFaces"), 3);
	kf_rek_detect_release(&det);
	/* the other retryable answers: provisioned throughput, a 500, a 503 */
	fake_fail("DetectFaces", "ProvisionedThroughputExceededException", 1, 400);
	fake_fail("DetectFaces", "InternalServerError", 1, 500);
	fake_fail("*", "ServiceUnavailable", 1, 503);
	assert_int_equal(kf_rek_detect_faces(&rek, img, len, &det, &err), KF_OK);
	assert_int_equal(rek.calls, 7);
	assert_int_equal(fake_calls("DetectFaces"), 7);
	kf_rek_detect_release(&det);
	kf_rek_close(&rek);
	/* the backoff doubles: 50 then 100 ms, each at least 80% of that (only the
	 * lower bound is checked: a loaded machine may always be slower) */
	test_env(NULL);
	setenv("KINGFACE_REK_BACKOFF_MS", "50", 1);
	assert_int_equal(kf_rek_open(&rek, NULL, &err), KF_OK);
	fake_fail("DetectFaces", "ThrottlingException", 2, 400);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(kf_rek_detect_faces(&rek, img, len, &det, &err), KF_OK);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true((double)(t1.tv_sec - t0.tv_sec) * 1e3 +
		    (double)(t1.tv_nsec - t0.tv_nsec) / 1e6 >= 0.8 * 150);
	assert_int_equal(rek.retries, 2);
	kf_rek_detect_release(&det);
	kf_rek_close(&rek);
	/* never answered: gives up after max attempts with AWS's reason */
	test_env(NULL);
	setenv("KINGFACE_REK_MAX_ATTEMPTS", "3", 1);
	assert_int_equal(kf_rek_open(&rek, NULL, &err), KF_OK);
	fake_do("/_fake/reset", "");
	fake_fail("DetectFaces", "ThrottlingException", 10, 400);
	assert_int_equal(kf_rek_detect_faces(&rek, img, len, &det, &err), KF_E_NET);
	assert_non_null(strstr(err.msg, "gave up after 3 attempts"));
	assert_non_null(strstr(err.msg, "ThrottlingException"));
	assert_int_equal(rek.calls, 3);
	assert_int_equal(fake_calls("DetectFaces"), 3);
	fake_do("/_fake/reset", "");
	kf_rek_close(&rek);
	/* nobody listening: a network error, retried, then KF_E_NET */
	kf_err_clear(&err);
	test_env(NULL);
	setenv("KINGFACE_REK_MAX_ATTEMPTS", "2", 1);
	setenv("KINGFACE_REKOGNITION_ENDPOINT", "http://127.0.0.1:1", 1);
	assert_int_equal(kf_rek_open(&rek, NULL, &err), KF_OK);
	assert_int_equal(kf_rek_detect_faces(&rek, img, len, &det, &err), KF_E_NET);
	assert_non_null(strstr(err.msg, "127.0.0.1:1"));
	assert_int_equal(rek.calls, 2);
	kf_rek_close(&rek);
	kf_free(img);
}

static void test_image_errors(void **state)
{
	static const uint8_t gif[] = "GIF89a\x01\x00\x01\x00\x00\x00\x00;";
	struct kf_rek rek;
	struct kf_err err = KF_ERR_INIT;
	struct kf_rek_detect_result det;
	struct kf_rek_search_result sr;
	uint8_t *img, *big;
	size_t len;

	(void)state;
	if (!have_server())
		skip();
	open_rek(&rek, NULL);
	fake_do("/_fake/reset", "");
	/* not a JPEG or PNG: AWS's reason, not retried */
	assert_int_equal(kf_rek_detect_faces(&rek, gif, sizeof(gif) - 1, &det, &err), KF_E_FORMAT);
	assert_string_equal(err.msg, "rekognition DetectFaces: InvalidImageFormatException: "
				     "Request has invalid image format");
	assert_int_equal(rek.calls, 1);
	/* too large for AWS: refused before sending; and if AWS says so */
	big = calloc(1, (size_t)KF_REK_MAX_IMAGE + 1);
	assert_non_null(big);
	kf_err_clear(&err);
	assert_int_equal(kf_rek_detect_faces(&rek, big, (size_t)KF_REK_MAX_IMAGE + 1, &det, &err),
			 KF_E_UNSUPPORTED);
	assert_int_equal(rek.calls, 1);
	free(big);
	img = make_jpeg(32, 32, 501, 90, &len, NULL);
	kf_err_clear(&err);
	fake_fail("DetectFaces", "ImageTooLargeException", 1, 400);
	assert_int_equal(kf_rek_detect_faces(&rek, img, len, &det, &err), KF_E_UNSUPPORTED);
	assert_non_null(strstr(err.msg, "ImageTooLargeException: Image size is too large."));
	/* no face where SearchFacesByImage needs one */
	assert_int_equal(kf_rek_create_collection(&rek, "kingface-u-img", &err), KF_OK);
	kf_err_clear(&err);
	assert_int_equal(kf_rek_search_faces(&rek, "kingface-u-img", img, len, 90, 2, &sr, &err),
			 KF_E_NOFACE);
	assert_string_equal(err.msg, "rekognition SearchFacesByImage: InvalidParameterException: "
				     "There are no faces in the image. Should be at least 1.");
	assert_int_equal(kf_rek_delete_collection(&rek, "kingface-u-img", &err), KF_OK);
	kf_free(img);
	kf_rek_close(&rek);
}

/* The photo of the brief: three faces, two of them enrolled. */
static void test_match_photo(void **state)
{
	struct kf_rek rek;
	struct kf_err err = KF_ERR_INIT;
	struct kf_rek_index_result ix;
	struct kf_rek_photo_result ph;
	struct kf_image img = { 0 };
	uint8_t *photo, *ana, *bia;
	size_t len, ana_len, bia_len;
	unsigned long before;

	(void)state;
	if (!have_server())
		skip();
	open_rek(&rek, NULL);
	fake_do("/_fake/reset", "");
	photo = make_jpeg(240, 160, 601, 90, &len, &img);
	ana = make_jpeg(64, 64, 602, 90, &ana_len, NULL);
	bia = make_jpeg(64, 64, 603, 90, &bia_len, NULL);
	/* largest first, so DetectFaces order is ana, bia, carl */
	fake_image(photo, len,
		   "[{\"label\":\"ana\",\"BoundingBox\":" BOX(0.25, 0.375, 0.0625, 0.125) "},"
		   "{\"label\":\"bia\",\"BoundingBox\":" BOX(0.2, 0.3, 0.4, 0.2) "},"
		   "{\"label\":\"carl\",\"BoundingBox\":" BOX(0.15, 0.2, 0.75, 0.5) "}]");
	fake_crop(&img, 0.0625, 0.125, 0.25, 0.375, "ana", 99.5);
	fake_crop(&img, 0.4, 0.2, 0.2, 0.3, "bia", 97.25);
	fake_crop(&img, 0.75, 0.5, 0.15, 0.2, "carl", 99.0);
	fake_image(ana, ana_len, "[{\"label\":\"ana\",\"BoundingBox\":" BOX(0.6, 0.7, 0.2, 0.1) "}]");
	fake_image(bia, bia_len, "[{\"label\":\"bia\",\"BoundingBox\":" BOX(0.6, 0.7, 0.2, 0.1) "}]");
	assert_int_equal(kf_rek_create_collection(&rek, "kingface-u-photo", &err), KF_OK);
	assert_int_equal(kf_rek_index_faces(&rek, "kingface-u-photo", ana, ana_len, "client-ana", 1,
					    KF_REK_QUALITY_AUTO, &ix, &err), KF_OK);
	kf_rek_index_release(&ix);
	assert_int_equal(kf_rek_index_faces(&rek, "kingface-u-photo", bia, bia_len, "client-bia", 1,
					    KF_REK_QUALITY_AUTO, &ix, &err), KF_OK);
	kf_rek_index_release(&ix);

	before = rek.calls;
	if (kf_rek_match_photo(&rek, "kingface-u-photo", photo, len, 90.0, 2, &ph, &err) != KF_OK)
		fail_msg("match: %s", err.msg);
	assert_int_equal(rek.calls - before, 4);	/* DetectFaces + 3 searches */
	assert_int_equal(fake_calls("DetectFaces"), 1);
	assert_int_equal(fake_calls("SearchFacesByImage"), 3);
	assert_int_equal(ph.n, 3);
	assert_true(ph.faces[0].box.left == 0.0625 && ph.faces[2].box.left == 0.75);
	assert_int_equal(ph.faces[0].n_matches, 1);
	assert_string_equal(ph.faces[0].matches[0].external_id, "client-ana");
	assert_true(ph.faces[0].matches[0].similarity == 99.5);
	assert_int_equal(strlen(ph.faces[0].matches[0].face_id), 36);
	assert_int_equal(ph.faces[1].n_matches, 1);
	assert_string_equal(ph.faces[1].matches[0].external_id, "client-bia");
	assert_int_equal(ph.faces[2].n_matches, 0);
	kf_rek_photo_release(&ph);
	/* a higher threshold drops bia (97.25) */
	assert_int_equal(kf_rek_match_photo(&rek, "kingface-u-photo", photo, len, 98.0, 2, &ph,
					    &err), KF_OK);
	assert_int_equal(ph.n, 3);
	assert_int_equal(ph.faces[0].n_matches, 1);
	assert_int_equal(ph.faces[1].n_matches, 0);
	kf_rek_photo_release(&ph);
	assert_int_equal(kf_rek_delete_collection(&rek, "kingface-u-photo", &err), KF_OK);
	kf_image_release(&img);
	kf_free(photo);
	kf_free(ana);
	kf_free(bia);
	kf_rek_close(&rek);
}

/* A crop in which AWS finds no face fails the photo with the reason. */
static void test_match_no_face_in_crop(void **state)
{
	struct kf_rek rek;
	struct kf_err err = KF_ERR_INIT;
	struct kf_rek_photo_result ph;
	struct kf_image img = { 0 };
	uint8_t *photo;
	size_t len;

	(void)state;
	if (!have_server())
		skip();
	open_rek(&rek, NULL);
	photo = make_jpeg(200, 120, 701, 90, &len, &img);
	fake_image(photo, len,
		   "[{\"label\":\"ana\",\"BoundingBox\":" BOX(0.3, 0.5, 0.1, 0.1) "},"
		   "{\"label\":\"ghost\",\"BoundingBox\":" BOX(0.1, 0.2, 0.7, 0.3) "}]");
	fake_crop(&img, 0.1, 0.1, 0.3, 0.5, "ana", 99.0);	/* not the ghost's crop */
	assert_int_equal(kf_rek_create_collection(&rek, "kingface-u-ghost", &err), KF_OK);
	assert_int_equal(kf_rek_match_photo(&rek, "kingface-u-ghost", photo, len, 90.0, 5, &ph,
					    &err), KF_E_NOFACE);
	assert_string_equal(err.msg, "face 2: rekognition SearchFacesByImage: "
				     "InvalidParameterException: There are no faces in the image. "
				     "Should be at least 1.");
	assert_int_equal(ph.n, 0);
	assert_null(ph.faces);
	/* bytes that are no photo fail locally */
	kf_err_clear(&err);
	assert_int_equal(kf_rek_match_photo(&rek, "kingface-u-ghost", photo, len / 2, 90.0, 5, &ph,
					    &err), KF_E_FORMAT);
	assert_int_equal(kf_rek_delete_collection(&rek, "kingface-u-ghost", &err), KF_OK);
	kf_image_release(&img);
	kf_free(photo);
	kf_rek_close(&rek);
}

/* Over 5 MB: DetectFaces gets the re-encoded photo, the crops come from the
 * full-size one. */
static void test_match_large_photo(void **state)
{
	struct kf_rek rek;
	struct kf_err err = KF_ERR_INIT;
	struct kf_rek_photo_result ph;
	struct kf_image img = { 0 };
	uint8_t *photo, *small;
	size_t len, small_len;

	(void)state;
	if (!have_server())
		skip();
	open_rek(&rek, NULL);
	photo = make_jpeg(2400, 1800, 801, 100, &len, &img);
	assert_true(len > (size_t)KF_REK_MAX_IMAGE);
	assert_int_equal(kf_image_encode_under(&img, (size_t)KF_REK_MAX_IMAGE, &small, &small_len,
					       &err), KF_OK);
	fake_image(small, small_len, "[{\"label\":\"big\",\"BoundingBox\":" BOX(0.1, 0.1, 0.45, 0.45) "}]");
	fake_crop(&img, 0.45, 0.45, 0.1, 0.1, "big", 99.0);
	assert_int_equal(kf_rek_create_collection(&rek, "kingface-u-large", &err), KF_OK);
	if (kf_rek_match_photo(&rek, "kingface-u-large", photo, len, 90.0, 1, &ph, &err) != KF_OK)
		fail_msg("match: %s", err.msg);
	assert_int_equal(ph.n, 1);
	assert_int_equal(ph.faces[0].n_matches, 0);
	kf_rek_photo_release(&ph);
	assert_int_equal(kf_rek_delete_collection(&rek, "kingface-u-large", &err), KF_OK);
	kf_image_release(&img);
	kf_free(small);
	kf_free(photo);
	kf_rek_close(&rek);
}

/* ---- parsers, no server ------------------------------------------------------------- */

static void test_parsers(void **state)
{
	/* shaped as the API reference's examples */
	static const char detect[] =
		"{\"FaceDetails\":[{\"BoundingBox\":{\"Width\":0.18,\"Height\":0.33,"
		"\"Left\":0.60,\"Top\":0.16},\"Landmarks\":[{\"Type\":\"eyeLeft\",\"X\":0.65,"
		"\"Y\":0.29}],\"Pose\":{\"Roll\":-5.0,\"Yaw\":5.3,\"Pitch\":5.9},\"Quality\":"
		"{\"Brightness\":81.2,\"Sharpness\":86.9},\"Confidence\":99.99}],"
		"\"OrientationCorrection\":\"ROTATE_0\"}";
	static const char index[] =
		"{\"FaceRecords\":[{\"Face\":{\"FaceId\":\"11111111-2222-3333-4444-555555555555\","
		"\"BoundingBox\":{\"Width\":0.2,\"Height\":0.3,\"Left\":0.1,\"Top\":0.4},"
		"\"ImageId\":\"66666666-7777-8888-9999-000000000000\",\"ExternalImageId\":\"client-1\","
		"\"Confidence\":99.9,\"IndexFacesModelVersion\":\"7.0\"},\"FaceDetail\":"
		"{\"BoundingBox\":{\"Width\":0.2,\"Height\":0.3,\"Left\":0.1,\"Top\":0.4},"
		"\"Confidence\":99.9}}],\"FaceModelVersion\":\"7.0\",\"UnindexedFaces\":"
		"[{\"Reasons\":[\"EXCEEDS_MAX_FACES\"],\"FaceDetail\":{}}]}";
	static const char search[] =
		"{\"SearchedFaceBoundingBox\":{\"Width\":0.43,\"Height\":0.67,\"Left\":0.28,"
		"\"Top\":0.09},\"SearchedFaceConfidence\":99.99,\"FaceMatches\":[{\"Similarity\":"
		"93.4,\"Face\":{\"FaceId\":\"38271d79-7bc2-5efb-b752-398a8d575b85\",\"BoundingBox\":"
		"{\"Width\":0.46,\"Height\":0.68,\"Left\":0.27,\"Top\":0.09},\"ImageId\":"
		"\"d5631190-d039-54e4-b267-abd22c8647c5\",\"Confidence\":99.99}}],"
		"\"FaceModelVersion\":\"7.0\"}";
	static const struct {
		const char *json;
		const char *want;	/* in the message */
	} bad_detect[] = {
		{ "", "not a JSON object" },
		{ "[]", "not a JSON object" },
		{ "{}", "'FaceDetails'" },
		{ "{\"FaceDetails\":{}}", "'FaceDetails'" },
		{ "{\"FaceDetails\":[{\"Confidence\":1}]}", "FaceDetails[0]: rekognition answer: no 'BoundingBox'" },
		{ "{\"FaceDetails\":[{\"BoundingBox\":{\"Width\":\"x\",\"Height\":1,\"Left\":0,\"Top\":0},"
		  "\"Confidence\":1}]}", "'Width' is not a number" },
		{ "{\"FaceDetails\":[{\"BoundingBox\":{\"Width\":1e999,\"Height\":1,\"Left\":0,\"Top\":0},"
		  "\"Confidence\":1}]}", "'Width' is not a number" },
	};
	struct kf_err err = KF_ERR_INIT;
	struct kf_rek_detect_result det;
	struct kf_rek_index_result ix;
	struct kf_rek_search_result sr;
	char type[64], msg[128], longid[400];
	size_t n;

	(void)state;
	assert_int_equal(kf_rek_parse_detect(detect, strlen(detect), &det, &err), KF_OK);
	assert_int_equal(det.n, 1);
	assert_true(det.faces[0].box.left == 0.60 && det.faces[0].confidence == 99.99);
	kf_rek_detect_release(&det);
	assert_int_equal(kf_rek_parse_detect(JS("{\"FaceDetails\":[]}"), &det, &err), KF_OK);
	assert_int_equal(det.n, 0);
	for (size_t i = 0; i < sizeof(bad_detect) / sizeof(bad_detect[0]); i++) {
		kf_err_clear(&err);
		assert_int_equal(kf_rek_parse_detect(bad_detect[i].json, strlen(bad_detect[i].json),
						     &det, &err), KF_E_FORMAT);
		if (!strstr(err.msg, bad_detect[i].want))
			fail_msg("row %zu: '%s'", i, err.msg);
		assert_null(det.faces);
	}
	assert_int_equal(kf_rek_parse_index(index, strlen(index), &ix, &err), KF_OK);
	assert_int_equal(ix.n, 1);
	assert_int_equal(ix.n_unindexed, 1);
	assert_string_equal(ix.faces[0].face_id, "11111111-2222-3333-4444-555555555555");
	assert_string_equal(ix.faces[0].external_id, "client-1");
	kf_rek_index_release(&ix);
	assert_int_equal(kf_rek_parse_search(search, strlen(search), &sr, &err), KF_OK);
	assert_int_equal(sr.n, 1);
	assert_true(sr.matches[0].similarity == 93.4);
	assert_string_equal(sr.matches[0].external_id, "");	/* none in the example */
	assert_true(sr.searched_box.width == 0.43 && sr.searched_confidence == 99.99);
	kf_rek_search_release(&sr);
	/* a FaceId longer than its field */
	memset(longid, 'a', sizeof(longid));
	snprintf(longid, sizeof(longid), "{\"FaceRecords\":[{\"Face\":{\"FaceId\":\"%070d\"}}]}", 0);
	kf_err_clear(&err);
	assert_int_equal(kf_rek_parse_index(longid, strlen(longid), &ix, &err), KF_E_FORMAT);
	assert_non_null(strstr(err.msg, "'FaceId' is too long"));
	assert_int_equal(kf_rek_parse_delete_faces(JS("{\"DeletedFaces\":[\"a\",\"b\"]}"), &n, &err),
			 KF_OK);
	assert_int_equal(n, 2);
	assert_int_equal(kf_rek_parse_delete_faces(JS("{\"DeletedFaces\":[1]}"), &n, &err),
			 KF_E_FORMAT);

	/* errors: service ("Message"), front door ("message"), namespaced, header only */
	kf_rek_parse_error(JS("{\"__type\":\"InvalidS3ObjectException\",\"Code\":\"InvalidS3Object"
			   "Exception\",\"Logref\":\"x\",\"Message\":\"Unable to get object\"}"),
			   NULL, type, sizeof(type), msg, sizeof(msg));
	assert_string_equal(type, "InvalidS3ObjectException");
	assert_string_equal(msg, "Unable to get object");
	kf_rek_parse_error(JS("{\"__type\":\"com.amazonaws.rekognition#ThrottlingException\","
			   "\"message\":\"Rate\\nexceeded\"}"), NULL, type, sizeof(type), msg,
			   sizeof(msg));
	assert_string_equal(type, "ThrottlingException");
	assert_string_equal(msg, "Rate exceeded");
	kf_rek_parse_error(JS("<html>"), "ServiceUnavailable:http://internal", type, sizeof(type),
			   msg, sizeof(msg));
	assert_string_equal(type, "ServiceUnavailable");
	assert_string_equal(msg, "");
	kf_rek_parse_error(NULL, 0, NULL, type, sizeof(type), msg, sizeof(msg));
	assert_string_equal(type, "");
}

static void test_parser_alloc_failures(void **state)
{
	static const char js[] =
		"{\"SearchedFaceBoundingBox\":{\"Width\":1,\"Height\":1,\"Left\":0,\"Top\":0},"
		"\"SearchedFaceConfidence\":99,\"FaceMatches\":[{\"Similarity\":93.4,\"Face\":"
		"{\"FaceId\":\"f\",\"BoundingBox\":{\"Width\":1,\"Height\":1,\"Left\":0,\"Top\":0},"
		"\"Confidence\":99}}]}";
	struct kf_rek_search_result sr;
	long n;

	(void)state;
	kf_alloc_fail_at(0);
	assert_int_equal(kf_rek_parse_search(js, strlen(js), &sr, NULL), KF_OK);
	kf_rek_search_release(&sr);
	n = kf_alloc_fail_at(0);
	for (long i = 1; i <= n; i++) {
		kf_alloc_fail_at(i);
		assert_int_equal(kf_rek_parse_search(js, strlen(js), &sr, NULL), KF_E_NOMEM);
		assert_null(sr.matches);
	}
	kf_alloc_fail_at(0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_settings),
		cmocka_unit_test(test_collections),
		cmocka_unit_test(test_index_and_delete),
		cmocka_unit_test(test_detect),
		cmocka_unit_test(test_wrong_credentials),
		cmocka_unit_test(test_retries),
		cmocka_unit_test(test_image_errors),
		cmocka_unit_test(test_match_photo),
		cmocka_unit_test(test_match_no_face_in_crop),
		cmocka_unit_test(test_match_large_photo),
		cmocka_unit_test(test_parsers),
		cmocka_unit_test(test_parser_alloc_failures),
	};
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
