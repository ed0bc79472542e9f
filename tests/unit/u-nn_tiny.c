/* u-nn_tiny.c: the Tiny Face Detector on the fixed 416x416 sample1 input,
 * stage by stage against tests/data/reference/layers/sample1_tiny_stages.json
 * (mean_abs and probe values) and the final grid against
 * sample1_tiny_stages_out_f32.bin. Tolerances: float summation order only
 * (about 1e-6 relative per layer, amplified by depth), see docs/internals/nn.md. */
#include "testutil.h"
#include "stages.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/nn_tiny.h"

#define REF KF_TEST_DATA "/reference/layers/"

static void test_sample1(void **state)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_arena a = KF_ARENA_INIT;
	struct kf_tiny *net = NULL;
	size_t n_in, n_out;
	uint8_t *in8 = kf_test_read_file(REF "sample1_tiny_input_416x416_rgb_u8.bin", &n_in);
	float *want = (float *)kf_test_read_file(REF "sample1_tiny_stages_out_f32.bin", &n_out);
	float *in = malloc(n_in * sizeof(float)), grid[13 * 13 * 25];
	cJSON *root = kf_test_load_json(REF "sample1_tiny_stages.json");
	struct kf_test_stages w = { .stages = cJSON_GetObjectItem(root, "stages") };
	double max_diff = 0;
	(void)state;

	assert_int_equal(n_in, 416 * 416 * 3);
	assert_int_equal(n_out, sizeof(grid));
	assert_non_null(w.stages);
	for (size_t i = 0; i < n_in; i++)
		in[i] = (float)in8[i];
	assert_int_equal(kf_tiny_load(&net, KF_TEST_MODELS, &err), KF_OK);
	assert_int_equal(kf_tiny_forward_stages(net, in, 416, grid, &a, kf_test_on_stage, &w, &err),
			 KF_OK);
	assert_int_equal(w.seen, 14);
	for (int i = 0; i < 13 * 13 * 25; i++) {
		double d = fabs((double)grid[i] - want[i]);

		max_diff = d > max_diff ? d : max_diff;
	}
	print_message("tiny sample1: worst stage rel err %.3g, grid max |diff| %.3g\n", w.worst, max_diff);
	assert_true(max_diff < 5e-4);	/* measured 4.2e-5 */

	/* the plain entry point gives the same grid; bad sizes are refused */
	kf_arena_reset(&a);
	{
		float g2[13 * 13 * 25];

		assert_int_equal(kf_tiny_forward(net, in, 416, g2, &a, &err), KF_OK);
		assert_memory_equal(g2, grid, sizeof(grid));
		assert_int_equal(kf_tiny_forward(net, in, 400, g2, &a, &err), KF_E_INVALID);
	}
	kf_tiny_free(net);
	kf_tiny_free(NULL);
	kf_arena_release(&a);
	cJSON_Delete(root);
	free(in); free(in8); free(want);
}

static void test_load_missing(void **state)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_tiny *net = (struct kf_tiny *)&err;
	(void)state;

	assert_int_equal(kf_tiny_load(&net, kf_test_tmpdir(), &err), KF_E_NOTFOUND);
	assert_null(net);
	assert_non_null(strstr(err.msg, "tiny_face_detector_model-weights_manifest.json"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sample1),
		cmocka_unit_test(test_load_missing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
