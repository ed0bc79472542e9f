/* u-nn_landmark.c: the 68-point landmark net on the fixed 112x112 sample1 input,
 * stage by stage against tests/data/reference/layers/sample1_landmark68_stages.json
 * (mean_abs, first8 and probe values) and the 136 outputs against
 * sample1_landmark68.json. Tolerances: float summation order only (about 1e-6
 * relative per layer, amplified by depth), see docs/internals/nn.md. */
#include "testutil.h"
#include "stages.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "core/nn_landmark.h"

#define REF KF_TEST_DATA "/reference/layers/"

static void test_sample1(void **state)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_arena a = KF_ARENA_INIT;
	struct kf_landmark *net = NULL;
	size_t n_in;
	uint8_t *in8 = kf_test_read_file(REF "sample1_landmark_input_112x112_rgb_u8.bin", &n_in);
	cJSON *stages = kf_test_load_json(REF "sample1_landmark68_stages.json");
	cJSON *ref = kf_test_load_json(REF "sample1_landmark68.json");
	cJSON *want = cJSON_GetObjectItem(ref, "output"), *it;
	float *in = malloc(n_in * sizeof(float)), out[136], out2[136];
	struct kf_test_stages w = { .stages = cJSON_GetObjectItem(stages, "stages"),
				    .flags = KF_TEST_STAGES_FIRST8 };
	double max_diff = 0;
	int i = 0;
	(void)state;

	assert_int_equal(n_in, 112 * 112 * 3);
	assert_non_null(w.stages);
	assert_int_equal(cJSON_GetArraySize(want), 136);
	for (size_t k = 0; k < n_in; k++)
		in[k] = (float)in8[k];
	assert_int_equal(kf_landmark_load(&net, KF_TEST_MODELS, &err), KF_OK);
	assert_int_equal(kf_landmark_forward_stages(net, in, out, &a, kf_test_on_stage, &w, &err), KF_OK);
	assert_int_equal(w.seen, 24);
	cJSON_ArrayForEach(it, want) {
		double d = fabs((double)out[i++] - it->valuedouble);

		max_diff = d > max_diff ? d : max_diff;
	}
	print_message("landmark sample1: worst stage rel err %.3g, output max |diff| %.3g "
		      "(%.4f px at 112)\n", w.worst, max_diff, max_diff * 112);
	assert_true(max_diff < 1e-5);

	/* the plain entry point gives the same output; a square crop the same too */
	kf_arena_reset(&a);
	assert_int_equal(kf_landmark_forward(net, in, out2, &a, &err), KF_OK);
	assert_memory_equal(out2, out, sizeof(out));
	kf_arena_reset(&a);
	assert_int_equal(kf_landmark_forward_crop(net, in, 200, 200, out2, &a, &err), KF_OK);
	assert_memory_equal(out2, out, sizeof(out));

	/* a tall crop: x is shifted by the centred padding and stretched, y is not */
	kf_arena_reset(&a);
	assert_int_equal(kf_landmark_forward_crop(net, in, 100, 200, out2, &a, &err), KF_OK);
	for (int k = 0; k < 136; k += 2) {
		assert_float_equal(out2[k], (out[k] * 112 - 28) / 56, 1e-5);
		assert_float_equal(out2[k + 1], out[k + 1], 1e-6);
	}
	assert_int_equal(kf_landmark_forward_crop(net, in, 0, 200, out2, &a, &err), KF_E_INVALID);
	kf_landmark_free(net);
	kf_landmark_free(NULL);
	kf_arena_release(&a);
	cJSON_Delete(stages);
	cJSON_Delete(ref);
	free(in);
	free(in8);
}

static void test_load_missing(void **state)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_landmark *net = (struct kf_landmark *)&err;
	(void)state;

	assert_int_equal(kf_landmark_load(&net, kf_test_tmpdir(), &err), KF_E_NOTFOUND);
	assert_null(net);
	assert_non_null(strstr(err.msg, "face_landmark_68_model-weights_manifest.json"));
}

/* Every allocation of the loader, then of a forward pass, fails in turn:
 * KF_E_NOMEM, *out NULL, and LeakSanitizer finds nothing at exit. */
static void test_nomem(void **state)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_landmark *net = NULL;
	static float in[112 * 112 * 3];
	float out[136];
	long n;
	(void)state;

	kf_alloc_fail_at(0);
	assert_int_equal(kf_landmark_load(&net, KF_TEST_MODELS, &err), KF_OK);
	n = kf_alloc_fail_at(0);
	kf_landmark_free(net);
	assert_true(n > 15);	/* the loader's buffers and 16 packed filters */
	for (long k = 1; k <= n; k++) {
		kf_err_clear(&err);
		kf_alloc_fail_at(k);
		assert_int_equal(kf_landmark_load(&net, KF_TEST_MODELS, &err), KF_E_NOMEM);
		kf_alloc_fail_at(0);
		assert_null(net);
	}
	assert_int_equal(kf_landmark_load(&net, KF_TEST_MODELS, &err), KF_OK);
	{
		struct kf_arena a = KF_ARENA_INIT;

		kf_alloc_fail_at(0);
		assert_int_equal(kf_landmark_forward(net, in, out, &a, &err), KF_OK);
		n = kf_alloc_fail_at(0);
		kf_arena_release(&a);
	}
	for (long k = 1; k <= n; k++) {
		struct kf_arena a = KF_ARENA_INIT;

		kf_alloc_fail_at(k);
		assert_int_equal(kf_landmark_forward(net, in, out, &a, &err), KF_E_NOMEM);
		kf_alloc_fail_at(0);
		kf_arena_release(&a);
	}
	kf_landmark_free(net);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sample1),
		cmocka_unit_test(test_load_missing),
		cmocka_unit_test(test_nomem),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
