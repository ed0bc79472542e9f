/* u-nn_facerec.c: the face recognition net on the fixed 150x150 sample1 crop,
 * stage by stage against the 19 stage summaries in
 * tests/data/reference/layers/sample1_facerec.json (mean_abs, first8 and probe
 * values) and the 128-float descriptor (max abs diff, Euclidean distance).
 * Differences come from float summation order and from the scale layers being
 * folded into the conv weights, see docs/internals/nn.md. */
#include "testutil.h"
#include "stages.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "core/nn_facerec.h"
#include "core/nn_gemm_q8.h"

#define REF KF_TEST_DATA "/reference/layers/"

static void test_sample1(void **state)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_arena a = KF_ARENA_INIT;
	struct kf_facerec *net = NULL;
	size_t n_in;
	uint8_t *in8 = kf_test_read_file(REF "sample1_facerec_input_150x150_rgb_u8.bin", &n_in);
	cJSON *root = kf_test_load_json(REF "sample1_facerec.json");
	cJSON *want = cJSON_GetObjectItem(root, "descriptor"), *it;
	float *in = malloc(n_in * sizeof(float)), desc[128], desc2[128];
	struct kf_test_stages w = { .stages = cJSON_GetObjectItem(root, "stages"),
				    .flags = KF_TEST_STAGES_FIRST8 };
	double max_diff = 0, dist = 0;
	int i = 0;
	(void)state;

	assert_int_equal(n_in, 150 * 150 * 3);
	assert_non_null(w.stages);
	assert_int_equal(cJSON_GetArraySize(want), 128);
	for (size_t k = 0; k < n_in; k++)
		in[k] = (float)in8[k];
	if (kf_facerec_load(&net, KF_TEST_MODELS, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(kf_facerec_forward_stages(net, in, desc, &a, kf_test_on_stage, &w, &err),
			 KF_OK);
	assert_int_equal(w.seen, 19);
	cJSON_ArrayForEach(it, want) {
		double d = fabs((double)desc[i++] - it->valuedouble);

		max_diff = d > max_diff ? d : max_diff;
		dist += d * d;
	}
	dist = sqrt(dist);
	print_message("facerec sample1: worst stage rel err %.3g, descriptor max |diff| %.3g, "
		      "distance %.3g\n", w.worst, max_diff, dist);
	assert_true(max_diff < 1e-5);
	assert_true(dist < 1e-5);

	/* the plain entry point gives the same descriptor */
	kf_arena_reset(&a);
	assert_int_equal(kf_facerec_forward(net, in, desc2, &a, &err), KF_OK);
	assert_memory_equal(desc2, desc, sizeof(desc));
	kf_facerec_free(net);
	kf_facerec_free(NULL);
	kf_arena_release(&a);
	cJSON_Delete(root);
	free(in);
	free(in8);
}

static void test_load_missing(void **state)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_facerec *net = (struct kf_facerec *)&err;
	(void)state;

	assert_int_equal(kf_facerec_load(&net, kf_test_tmpdir(), &err), KF_E_NOTFOUND);
	assert_null(net);
	assert_non_null(strstr(err.msg, "face_recognition_model-weights_manifest.json"));
}

/* Every allocation of the loader fails in turn: KF_E_NOMEM, *out NULL, and
 * LeakSanitizer finds nothing at exit. */
static void test_load_nomem(void **state)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_facerec *net = NULL;
	long n;
	(void)state;

	kf_alloc_fail_at(0);
	assert_int_equal(kf_facerec_load(&net, KF_TEST_MODELS, &err), KF_OK);
	n = kf_alloc_fail_at(0);
	kf_facerec_free(net);
	assert_true(n > 50);	/* the loader's buffers, 29 folded convs, the fc */
	for (long k = 1; k <= n; k += 7) {
		kf_err_clear(&err);
		kf_alloc_fail_at(k);
		assert_int_equal(kf_facerec_load(&net, KF_TEST_MODELS, &err), KF_E_NOMEM);
		assert_null(net);
	}
	kf_alloc_fail_at(0);
}

/* A net loaded for one precision: the same descriptors as a net with both in
 * that precision, a clear refusal in the other one. */
static void test_load_for(void **state)
{
	static const struct { unsigned which; const char *kernel; } cases[] = {
		{ KF_FACEREC_FP32, "off" }, { KF_FACEREC_INT8, "generic" },
	};
	struct kf_err err = KF_ERR_INIT;
	struct kf_arena a = KF_ARENA_INIT;
	struct kf_facerec *both = NULL, *one = (struct kf_facerec *)&err;
	float *in = malloc(2 * 150 * 150 * 3 * sizeof(float)), want[256], got[256];
	(void)state;

	assert_non_null(in);
	for (size_t i = 0; i < 2 * 150 * 150 * 3; i++)
		in[i] = (float)((i * 2654435761u) >> 24);
	assert_int_equal(kf_facerec_load_for(&one, KF_TEST_MODELS, 0, &err), KF_E_INVALID);
	assert_null(one);
	assert_int_equal(kf_facerec_load_for(&one, KF_TEST_MODELS, 4, &err), KF_E_INVALID);
	assert_int_equal(kf_facerec_load(&both, KF_TEST_MODELS, &err), KF_OK);
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		const char *other = c ? "off" : "generic";

		assert_int_equal(kf_gemm_q8_set_kernel(cases[c].kernel), KF_OK);
		assert_int_equal(kf_facerec_load_for(&one, KF_TEST_MODELS, cases[c].which, &err),
				 KF_OK);
		assert_int_equal(kf_facerec_forward_batch(both, in, 2, want, &a, &err), KF_OK);
		kf_arena_reset(&a);
		assert_int_equal(kf_facerec_forward_batch(one, in, 2, got, &a, &err), KF_OK);
		kf_arena_reset(&a);
		assert_memory_equal(got, want, sizeof(want));
		assert_int_equal(kf_gemm_q8_set_kernel(other), KF_OK);
		kf_err_clear(&err);
		assert_int_equal(kf_facerec_forward(one, in, got, &a, &err), KF_E_INVALID);
		assert_non_null(strstr(err.msg, "precision changed"));
		kf_facerec_free(one);
	}
	kf_nn_set_precision(KF_PRECISION_FP32);
	kf_facerec_free(both);
	kf_arena_release(&a);
	free(in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sample1),
		cmocka_unit_test(test_load_missing),
		cmocka_unit_test(test_load_nomem),
		cmocka_unit_test(test_load_for),
	};

	/* face-api parity is the float32 path's (u-precision checks int8) */
	kf_nn_set_precision(KF_PRECISION_FP32);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
