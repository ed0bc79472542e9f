/* stages.h: compare a network's stage tensors with reference stage summaries.
 *
 * The references are the "stages" arrays of
 * tests/data/reference/layers/sample1_<net>_stages.json and sample1_facerec.json:
 * one object per stage with "name", "size", "mean_abs", "first8" (the first
 * eight values) and "probe" ([index, value] pairs). kf_test_on_stage() is a
 * kf_nn_stage_fn for the networks' *_forward_stages(); for each stage it
 * finds the reference of that name (any order) and checks, failing the test
 * (cmocka) on the first value out of tolerance:
 *   - size: equal to the tensor's element count;
 *   - mean_abs: |got - ref| / ref <= KF_TEST_STAGE_MEAN_ABS_TOL;
 *   - each probe, and each of first8 with KF_TEST_STAGES_FIRST8:
 *     |got - ref| / (|ref| + mean_abs) <= KF_TEST_STAGE_VALUE_TOL, that is
 *     relative to the stage's scale, so that values near 0 do not blow up.
 * The tolerances allow for float summation order only (about 1e-6 relative
 * per layer, amplified by depth), see docs/internals/nn.md. The tensors must
 * be contiguous float32. The SSD test has its own, stricter and ordered,
 * comparison (tests/unit/u-nn_ssd.c).
 *
 *	struct kf_test_stages w = { .stages = cJSON_GetObjectItem(root, "stages") };
 *	kf_tiny_forward_stages(net, in, 416, grid, &a, kf_test_on_stage, &w, &err);
 *	assert_int_equal(w.seen, 14);
 */
#ifndef KF_TEST_STAGES_H
#define KF_TEST_STAGES_H

#include <cjson/cJSON.h>

#include "core/tensor.h"

#define KF_TEST_STAGE_MEAN_ABS_TOL 1e-4
#define KF_TEST_STAGE_VALUE_TOL 1e-3

enum kf_test_stages_flags {
	KF_TEST_STAGES_FIRST8 = 1 << 0,	/* also check the "first8" values */
};

/* The walk through one forward pass; the caller owns stages. */
struct kf_test_stages {
	const cJSON *stages;	/* the reference's "stages" array */
	enum kf_test_stages_flags flags;
	int seen;		/* stages checked so far */
	double worst;		/* largest relative mean_abs / value error seen */
};

/* kf_nn_stage_fn: ctx is a struct kf_test_stages. Fails the test when the
 * stage is not in the reference or is out of tolerance (see above). */
void kf_test_on_stage(void *ctx, const char *name, const struct kf_tensor *t);

/* Read and parse a JSON file; the caller frees it with cJSON_Delete. Fails the
 * test when the file cannot be read or parsed. */
cJSON *kf_test_load_json(const char *path);

#endif
