/* u-weights.c: the tfjs weight loader on the four face-api models kingface
 * uses, its dequantisation against the raw bytes, and its error messages. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/weights.h"

static const uint8_t *raw_bin(const char *model, size_t *len)
{
	return kf_test_read_file(kf_test_path("%s/%s.bin", KF_TEST_MODELS, model), len);
}

static float u8_value(const uint8_t *bin, size_t off, double scale, double min)
{
	return (float)((double)bin[off] * scale + min);
}

static void test_counts(void **state)
{
	static const struct { const char *model; int n; } rows[] = {
		{ "ssd_mobilenetv1_model", 151 },
		{ "tiny_face_detector_model", 19 },
		{ "face_landmark_68_model", 49 },
		{ "face_recognition_model", 117 },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct kf_err err = KF_ERR_INIT;
		struct kf_weights *w = NULL;

		assert_int_equal(kf_weights_load(&w, KF_TEST_MODELS, rows[i].model, 0, &err), KF_OK);
		assert_int_equal(kf_weights_count(w), rows[i].n);
		kf_weights_free(w);
	}
	kf_weights_free(NULL);
}

static void test_tiny_values(void **state)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_weights *w = NULL;
	const struct kf_tensor *t;
	const float *f;
	size_t len;
	uint8_t *bin = (uint8_t *)raw_bin("tiny_face_detector_model", &len);
	(void)state;

	assert_int_equal(kf_weights_load(&w, KF_TEST_MODELS, "tiny_face_detector_model", 0, &err), KF_OK);
	t = kf_weights_get(w, "conv0/filters", 4, (const int[]){ 3, 3, 3, 16 }, &err);
	assert_non_null(t);
	assert_int_equal(t->ne[0], 16);
	assert_int_equal(t->ne[3], 3);
	assert_string_equal(t->name, "conv0/filters");
	f = t->data;
	for (int i = 0; i < 432; i += 37)
		assert_true(f[i] == u8_value(bin, (size_t)i, 0.009007044399485869, -1.2069439495311063));
	f = kf_weights_f32(w, "conv8/bias", 1, (const int[]){ 25 }, &err);
	assert_non_null(f);
	assert_true(f[24] == u8_value(bin, 193320, 0.002268134028303857, -0.41053225912299807));
	assert_true(f[0] == u8_value(bin, 193296, 0.002268134028303857, -0.41053225912299807));
	f = kf_weights_f32(w, "conv5/pointwise_filter", 4, (const int[]){ 1, 1, 256, 512 }, &err);
	assert_non_null(f);
	/* element [0][0][200][301] */
	assert_true(f[200 * 512 + 301] == u8_value(bin, 48912 + 200 * 512 + 301,
						   0.030007277283014035, -3.8709387695088107));
	/* wrong shape, unknown name: error names file and tensor */
	assert_null(kf_weights_get(w, "conv0/filters", 4, (const int[]){ 3, 3, 3, 32 }, &err));
	assert_non_null(strstr(err.msg, "conv0/filters"));
	assert_non_null(strstr(err.msg, "tiny_face_detector_model-weights_manifest.json"));
	assert_non_null(strstr(err.msg, "[3,3,3,16]"));
	kf_err_clear(&err);
	assert_null(kf_weights_get(w, "conv9/bias", 1, (const int[]){ 25 }, &err));
	assert_non_null(strstr(err.msg, "'conv9/bias' is missing"));
	assert_null(kf_weights_find(w, "nope"));
	assert_non_null(kf_weights_at(w, 18));
	assert_null(kf_weights_at(w, 19));
	kf_weights_free(w);
	free(bin);
}

static void test_ssd_recog_values(void **state)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_weights *w = NULL;
	const struct kf_tensor *t;
	const float *f;
	size_t len;
	uint8_t *bin;
	float x;
	(void)state;

	bin = (uint8_t *)raw_bin("ssd_mobilenetv1_model", &len);
	assert_int_equal(kf_weights_load(&w, KF_TEST_MODELS, "ssd_mobilenetv1_model", 0, &err), KF_OK);
	t = kf_weights_find(w, "Postprocessor/stack/1");
	assert_non_null(t);
	assert_int_equal(t->type, KF_I32);
	assert_int_equal(*(const int32_t *)t->data, 5118);
	/* raw float32 at an unaligned offset */
	f = kf_weights_f32(w, "Output/extra_dim", 3, (const int[]){ 1, 5118, 4 }, &err);
	assert_non_null(f);
	memcpy(&x, bin + 5535069 + 4 * 4093, 4);
	assert_true(f[4093] == x);
	f = kf_weights_f32(w, "Prediction/Conv2d_7_pointwise/weights", 4,
			   (const int[]){ 3, 3, 64, 128 }, &err);
	assert_non_null(f);
	assert_true(f[73727] == u8_value(bin, 5461207 + 73727, 0.020821522731407017,
					 -2.7484410005457263));
	kf_weights_free(w);
	free(bin);

	bin = (uint8_t *)raw_bin("face_recognition_model", &len);
	assert_int_equal(kf_weights_load(&w, KF_TEST_MODELS, "face_recognition_model", 0, &err), KF_OK);
	f = kf_weights_f32(w, "conv64_down/conv1/conv/filters", 4, (const int[]){ 3, 3, 32, 64 }, &err);
	assert_non_null(f);
	memcpy(&x, bin + 60672 + 4 * 1234, 4);
	assert_true(f[1234] == x);
	f = kf_weights_f32(w, "conv32_down/conv/filters", 4, (const int[]){ 7, 7, 3, 32 }, &err);
	assert_non_null(f);
	assert_true(f[4703] == u8_value(bin, 4703, 0.0005260649557207145, -0.07101876902229645));
	kf_weights_free(w);
	free(bin);
}

/* A copy of the tiny model in a temp folder, so it can be damaged. */
static const char *tiny_copy(const char *sub, size_t bin_len, const char *json_from,
			     const char *json_to)
{
	const char *dir = kf_test_path("%s/%s", kf_test_tmpdir(), sub);
	size_t jl, bl;
	uint8_t *json = kf_test_read_file(kf_test_path("%s/tiny_face_detector_model-weights_manifest.json",
						       KF_TEST_MODELS), &jl);
	uint8_t *bin = kf_test_read_file(kf_test_path("%s/tiny_face_detector_model.bin",
						      KF_TEST_MODELS), &bl);
	char *copy = malloc(jl + 64);
	char *d;

	assert_non_null(copy);
	memcpy(copy, json, jl);
	copy[jl] = '\0';
	if (json_from && (d = strstr(copy, json_from))) {
		size_t a = strlen(json_from), b = strlen(json_to);
		memmove(d + b, d + a, strlen(d + a) + 1);
		memcpy(d, json_to, b);
	}
	static char dirbuf[8][512];
	static int slot;
	char *keep = dirbuf[slot++ % 8];
	snprintf(keep, 512, "%s", dir);
	mkdir(keep, 0700);
	kf_test_write_file(kf_test_path("%s/tiny_face_detector_model-weights_manifest.json", keep),
			   copy, strlen(copy));
	if (bin_len != (size_t)-1)
		kf_test_write_file(kf_test_path("%s/tiny_face_detector_model.bin", keep), bin,
				   bin_len < bl ? bin_len : bl);
	free(copy);
	free(json);
	free(bin);
	return keep;
}

static void expect_fail(const char *dir, int code, const char *s1, const char *s2)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_weights *w = (struct kf_weights *)&err;

	assert_int_equal(kf_weights_load(&w, dir, "tiny_face_detector_model", 0, &err), code);
	assert_null(w);
	if (!strstr(err.msg, s1) || (s2 && !strstr(err.msg, s2)))
		fail_msg("message '%s' lacks '%s' / '%s'", err.msg, s1, s2 ? s2 : "");
}

static void test_errors(void **state)
{
	const char *d;
	(void)state;

	d = tiny_copy("trunc", 193300, NULL, NULL);
	expect_fail(d, KF_E_FORMAT, "tiny_face_detector_model.bin", "'conv8/bias'");
	d = tiny_copy("missing", (size_t)-1, NULL, NULL);
	expect_fail(d, KF_E_NOTFOUND, "tiny_face_detector_model.bin", "'conv0/filters'");
	d = tiny_copy("dtype", 193321, "\"name\":\"conv2/bias\",\"shape\":[64],\"dtype\":\"float32\"",
		      "\"name\":\"conv2/bias\",\"shape\":[64],\"dtype\":\"bfloat7\"");
	expect_fail(d, KF_E_UNSUPPORTED, "tiny_face_detector_model-weights_manifest.json", "'conv2/bias'");
	d = tiny_copy("dup", 193321, "\"conv3/bias\"", "\"conv2/bias\"");
	expect_fail(d, KF_E_FORMAT, "duplicate tensor 'conv2/bias'", NULL);
	d = tiny_copy("overflow", 193321, "[1,1,512,25]", "[65536,65536,65536,65536]");
	expect_fail(d, KF_E_FORMAT, "'conv8/filters'", "too large");
	d = tiny_copy("extra", 193321, "\"shape\":[25]", "\"shape\":[24]");
	expect_fail(d, KF_E_FORMAT, "tiny_face_detector_model.bin", "more than");
	d = tiny_copy("nomanifest", 10, NULL, NULL);
	expect_fail(kf_test_tmpdir(), KF_E_NOTFOUND, "tiny_face_detector_model-weights_manifest.json", NULL);
	(void)d;
}

static void test_sha256(void **state)
{
	const char *d = tiny_copy("sha", 193321, NULL, NULL);
	const char *p = kf_test_path("%s/tiny_face_detector_model.bin", d);
	struct kf_err err = KF_ERR_INIT;
	struct kf_weights *w = NULL;
	size_t len;
	uint8_t *bin = kf_test_read_file(p, &len);
	(void)state;

	bin[1000] ^= 1;
	kf_test_write_file(p, bin, len);
	free(bin);
	expect_fail(d, KF_E_FORMAT, "tiny_face_detector_model.bin", "sha256");
	assert_int_equal(kf_weights_load(&w, d, "tiny_face_detector_model", KF_WEIGHTS_NO_SHA256,
					 &err), KF_OK);
	kf_weights_free(w);
}

static void test_manifest_small(void **state)
{
	static const struct { const char *json; int rc; const char *msg; } rows[] = {
		{ "[]", KF_E_FORMAT, "array of 1" },
		{ "{}", KF_E_FORMAT, "array of 1" },
		{ "[{\"paths\":[\"a.bin\"],\"weights\":[]}]", KF_OK, NULL },
		{ "[{\"paths\":[\"../a.bin\"],\"weights\":[]}]", KF_E_FORMAT, "bad shard path" },
		{ "[{\"paths\":[\"/etc/passwd\"],\"weights\":[]}]", KF_E_FORMAT, "bad shard path" },
		{ "[{\"paths\":[\"a.bin\"],\"weights\":[{\"name\":\"x\",\"shape\":[2,3],\"dtype\":\"float32\"}]}]", KF_OK, NULL },
		{ "[{\"paths\":[\"a.bin\"],\"weights\":[{\"name\":\"x\",\"shape\":[2,-3],\"dtype\":\"float32\"}]}]", KF_E_FORMAT, "'x': bad dimension 1" },
		{ "[{\"paths\":[\"a.bin\"],\"weights\":[{\"name\":\"x\",\"shape\":[1,1,1,1,1],\"dtype\":\"float32\"}]}]", KF_E_UNSUPPORTED, "'x' has more than 4" },
		{ "[{\"paths\":[\"a.bin\"],\"weights\":[{\"name\":\"x\",\"shape\":[2],\"dtype\":\"float32\",\"quantization\":{\"dtype\":\"uint4\"}}]}]", KF_E_UNSUPPORTED, "'x': unknown quantization" },
		{ "[{\"paths\":[\"a.bin\"],\"weights\":[{\"name\":\"x\",\"shape\":[2],\"dtype\":\"float32\",\"quantization\":{\"dtype\":\"uint8\",\"scale\":1}}]}]", KF_E_FORMAT, "scale and min" },
		{ "[{\"paths\":[\"a.bin\"],\"weights\":[{\"shape\":[2],\"dtype\":\"float32\"}]}]", KF_E_FORMAT, "weight 0 has no name" },
		{ "[{\"paths\":[\"a.bin\"],\"weights\":[{\"name\":\"x\",\"shape\":[2],\"dtype\":\"float32\"},{\"name\":\"x\",\"shape\":[2],\"dtype\":\"int32\"}]}]", KF_E_FORMAT, "duplicate tensor 'x'" },
		{ "[{\"paths\":[\"a.bin\"],\"weights\":[{\"name\":\"x\",\"shape\":[268435456,2],\"dtype\":\"float32\"}]}]", KF_E_FORMAT, "'x': shape too large" },
		{ "[{\"paths\":[\"a.bin\"],\"weights\":[{\"name\":\"x\",\"shape\":[2.5],\"dtype\":\"float32\"}]}]", KF_E_FORMAT, "bad dimension" },
		{ "[{\"paths\":[\"a.bin\"],\"weights\":[{\"name\":\"x\",\"shape\":[3],\"dtype\":\"float32\"}", KF_E_FORMAT, "not valid JSON" },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct kf_err err = KF_ERR_INIT;
		struct kf_manifest m;
		int rc = kf_weights_parse_manifest(rows[i].json, strlen(rows[i].json), "m.json", &m, &err);

		if (rc != rows[i].rc || (rows[i].msg && !strstr(err.msg, rows[i].msg)))
			fail_msg("row %zu: rc %d msg '%s'", i, rc, err.msg);
		if (rc == KF_OK && m.n_entries == 1) {
			assert_int_equal(m.entries[0].n_bytes, 24);
			assert_int_equal(m.entries[0].n_dims, 2);
		}
		kf_manifest_release(&m);
	}
}

static void test_alloc_failures(void **state)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_weights *w = NULL;
	long n;
	(void)state;

	kf_alloc_fail_at(0);
	assert_int_equal(kf_weights_load(&w, KF_TEST_MODELS, "tiny_face_detector_model", 0, &err), KF_OK);
	kf_weights_free(w);
	n = kf_alloc_fail_at(0);
	assert_true(n > 3);
	for (long i = 1; i <= n; i++) {
		kf_err_clear(&err);
		kf_alloc_fail_at(i);
		assert_int_equal(kf_weights_load(&w, KF_TEST_MODELS, "tiny_face_detector_model", 0, &err),
				 KF_E_NOMEM);
		assert_null(w);
	}
	kf_alloc_fail_at(0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_tiny_values),
		cmocka_unit_test(test_ssd_recog_values),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_sha256),
		cmocka_unit_test(test_manifest_small),
		cmocka_unit_test(test_alloc_failures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
