/* u-nn_ssd.c: the SSD MobileNetV1 detector on the fixed 512x512 sample1 input,
 * stage by stage against tests/data/reference/layers/sample1_ssd_stages.json
 * (sum, mean, mean_abs, min, max, first8 and probe values of all 52 stages),
 * then the decoded boxes and scores against sample1_ssd_stages_{boxes,scores}_f32.bin.
 *
 * Tolerances: only float summation order differs from face-api (blocked K,
 * FMA, batch norm folded into the depthwise filters). Errors are measured
 * against the stage's scale: |a - b| / (|b| + mean_abs) for single values,
 * |a - b| / mean_abs for mean, and the sum likewise per element, so that
 * summaries close to 0 (box encodings) do not blow up. Measured worst values
 * are printed (KF_TEST_VERBOSE=1 lists every value off by more than 1e-6). */
#include "testutil.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "core/nn_ssd.h"

#define REF KF_TEST_DATA "/reference/layers/"
#define N_IN (KF_SSD_INPUT * KF_SSD_INPUT * 3)

enum { M_SUMMARY, M_VALUES, M_COUNT };

struct walk {
	cJSON *stages;
	int seen;
	double worst[M_COUNT];
	char where[M_COUNT][64];
};

/* measured (AVX-512, AVX2 and portable GEMM): summaries <= 1.9e-6, single
 * values <= 2.4e-5 (one probe of conv_11_pointwise; the others <= 1e-5) */
static const double limit[M_COUNT] = {
	2e-5,	/* sum, mean, mean_abs, min, max */
	1e-4,	/* first8, probes */
};

static double num(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItem(o, key);

	assert_non_null(v);
	return v->valuedouble;
}

static void check(struct walk *w, int m, const char *stage, const char *what, double got,
		  double want, double scale)
{
	double rel = fabs(got - want) / scale;

	if (getenv("KF_TEST_VERBOSE") && rel > 1e-6)	/* to see where errors grow */
		print_message("  %s %s: rel err %.3g\n", stage, what, rel);
	if (rel > w->worst[m]) {
		w->worst[m] = rel;
		snprintf(w->where[m], sizeof(w->where[m]), "%s %s", stage, what);
	}
	if (!(rel <= limit[m]))
		fail_msg("stage %s: %s = %.9g, reference %.9g (rel %.3g)", stage, what, got, want, rel);
}

static void on_stage(void *ctx, const char *name, const struct kf_tensor *t)
{
	struct walk *w = ctx;
	const float *f = t->data;
	const cJSON *s = cJSON_GetArrayItem(w->stages, w->seen), *p;
	int64_t n = kf_tensor_nelements(t);
	double sum = 0, mean_abs = 0, mn = INFINITY, mx = -INFINITY, ref_ma;
	char what[32];
	int i = 0;

	/* the stages come in the reference's order */
	assert_non_null(s);
	assert_string_equal(cJSON_GetObjectItem(s, "name")->valuestring, name);
	assert_true(kf_tensor_is_contiguous(t));
	assert_int_equal((int64_t)num(s, "size"), n);
	for (int64_t j = 0; j < n; j++) {
		sum += (double)f[j];
		mean_abs += fabs((double)f[j]);
		mn = f[j] < mn ? f[j] : mn;
		mx = f[j] > mx ? f[j] : mx;
	}
	mean_abs /= (double)n;
	ref_ma = num(s, "mean_abs");
	check(w, M_SUMMARY, name, "mean_abs", mean_abs, ref_ma, ref_ma);
	check(w, M_SUMMARY, name, "sum", sum / (double)n, num(s, "sum") / (double)n, ref_ma);
	check(w, M_SUMMARY, name, "mean", sum / (double)n, num(s, "mean"), ref_ma);
	check(w, M_SUMMARY, name, "min", mn, num(s, "min"), fabs(num(s, "min")) + ref_ma);
	check(w, M_SUMMARY, name, "max", mx, num(s, "max"), fabs(num(s, "max")) + ref_ma);
	cJSON_ArrayForEach(p, cJSON_GetObjectItem(s, "first8")) {
		snprintf(what, sizeof(what), "first8[%d]", i);
		check(w, M_VALUES, name, what, f[i], p->valuedouble, fabs(p->valuedouble) + ref_ma);
		i++;
	}
	assert_int_equal(i, n < 8 ? n : 8);
	cJSON_ArrayForEach(p, cJSON_GetObjectItem(s, "probe")) {
		int64_t idx = (int64_t)cJSON_GetArrayItem(p, 0)->valuedouble;
		double ref = cJSON_GetArrayItem(p, 1)->valuedouble;

		assert_true(idx >= 0 && idx < n);
		snprintf(what, sizeof(what), "[%lld]", (long long)idx);
		check(w, M_VALUES, name, what, f[idx], ref, fabs(ref) + ref_ma);
	}
	w->seen++;
}

struct fixture {
	struct kf_ssd *net;
	float *in;
	char *json;
	size_t n_json;
};

static int setup(void **state)
{
	struct kf_err err = KF_ERR_INIT;
	struct fixture *fx = calloc(1, sizeof(*fx));
	size_t n;
	uint8_t *in8 = kf_test_read_file(REF "sample1_ssd_input_512x512_rgb_u8.bin", &n);

	assert_int_equal(n, N_IN);
	fx->in = malloc(N_IN * sizeof(float));
	for (size_t i = 0; i < n; i++)
		fx->in[i] = (float)in8[i];
	free(in8);
	fx->json = (char *)kf_test_read_file(REF "sample1_ssd_stages.json", &fx->n_json);
	if (kf_ssd_load(&fx->net, KF_TEST_MODELS, &err) < 0)
		fail_msg("%s", err.msg);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	kf_ssd_free(fx->net);
	free(fx->in);
	free(fx->json);
	free(fx);
	return 0;
}

static double max_abs_diff(const float *a, const float *b, size_t n, size_t *at)
{
	double m = 0;

	for (size_t i = 0; i < n; i++) {
		double d = fabs((double)a[i] - (double)b[i]);

		if (d > m) {
			m = d;
			*at = i;
		}
	}
	return m;
}

static void test_sample1(void **state)
{
	struct fixture *fx = *state;
	struct kf_err err = KF_ERR_INIT;
	struct kf_arena a = KF_ARENA_INIT;
	cJSON *root = cJSON_ParseWithLength(fx->json, fx->n_json);
	struct walk w = { cJSON_GetObjectItem(root, "stages"), 0, { 0 }, { "", "" } };
	float *boxes = malloc(KF_SSD_ANCHORS * 4 * sizeof(float));
	float *scores = malloc(KF_SSD_ANCHORS * sizeof(float));
	float *b2 = malloc(KF_SSD_ANCHORS * 4 * sizeof(float)), *s2 = malloc(KF_SSD_ANCHORS * sizeof(float));
	size_t n_b, n_s, at_b = 0, at_s = 0;
	float *want_b = (float *)kf_test_read_file(REF "sample1_ssd_stages_boxes_f32.bin", &n_b);
	float *want_s = (float *)kf_test_read_file(REF "sample1_ssd_stages_scores_f32.bin", &n_s);
	double db, ds;
	int above = 0;

	assert_non_null(w.stages);
	assert_int_equal(cJSON_GetArraySize(w.stages), 52);
	assert_int_equal(n_b, KF_SSD_ANCHORS * 4 * sizeof(float));
	assert_int_equal(n_s, KF_SSD_ANCHORS * sizeof(float));
	assert_int_equal(kf_ssd_forward_stages(fx->net, fx->in, boxes, scores, &a, on_stage, &w, &err),
			 KF_OK);
	assert_int_equal(w.seen, 52);

	db = max_abs_diff(boxes, want_b, KF_SSD_ANCHORS * 4, &at_b);
	ds = max_abs_diff(scores, want_s, KF_SSD_ANCHORS, &at_s);
	for (int i = 0; i < KF_SSD_ANCHORS; i++)
		above += scores[i] > 0.5f;
	print_message("ssd sample1: worst rel err: summaries %.3g (%s), values %.3g (%s)\n",
		      w.worst[M_SUMMARY], w.where[M_SUMMARY], w.worst[M_VALUES], w.where[M_VALUES]);
	print_message("ssd sample1: boxes max |diff| %.3g (at %zu), scores max |diff| %.3g (at %zu), "
		      "%d scores > 0.5\n", db, at_b, ds, at_s, above);
	assert_true(db < 2e-5);	/* measured 2.2e-6 */
	assert_true(ds < 5e-6);	/* measured 5.4e-7 */
	assert_int_equal(above, 7);	/* num_scores_above_0_5 */

	/* the plain entry point, on a reused arena, gives the same bits */
	kf_arena_reset(&a);
	assert_int_equal(kf_ssd_forward(fx->net, fx->in, b2, s2, &a, &err), KF_OK);
	assert_memory_equal(b2, boxes, KF_SSD_ANCHORS * 4 * sizeof(float));
	assert_memory_equal(s2, scores, KF_SSD_ANCHORS * sizeof(float));

	kf_arena_release(&a);
	cJSON_Delete(root);
	free(boxes); free(scores); free(b2); free(s2); free(want_b); free(want_s);
}

/* The anchors are Output/extra_dim as stored (float32, not quantized). */
static void test_anchors(void **state)
{
	struct fixture *fx = *state;
	cJSON *root = cJSON_ParseWithLength(fx->json, fx->n_json);
	const cJSON *s = cJSON_GetObjectItem(root, "anchors_extra_dim"), *p;
	const float *an = kf_ssd_anchors(fx->net);
	double sum = 0;
	int i = 0;

	assert_non_null(s);
	for (int j = 0; j < KF_SSD_ANCHORS * 4; j++)
		sum += (double)an[j];
	assert_true(fabs(sum - num(s, "sum")) < 1e-9 * fabs(num(s, "sum")));
	cJSON_ArrayForEach(p, cJSON_GetObjectItem(s, "first8"))
		assert_true(an[i++] == (float)p->valuedouble);
	cJSON_ArrayForEach(p, cJSON_GetObjectItem(s, "probe"))
		assert_true(an[(int)cJSON_GetArrayItem(p, 0)->valuedouble] ==
			    (float)cJSON_GetArrayItem(p, 1)->valuedouble);
	cJSON_Delete(root);
}

static void test_load_missing(void **state)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_ssd *net = (struct kf_ssd *)&err;
	(void)state;

	assert_int_equal(kf_ssd_load(&net, kf_test_tmpdir(), &err), KF_E_NOTFOUND);
	assert_null(net);
	assert_non_null(strstr(err.msg, "ssd_mobilenetv1_model-weights_manifest.json"));
	kf_ssd_free(NULL);
}

/* A manifest edited so the file still loads but does not fit the net: the
 * error names the manifest and the tensor. */
static void load_edited(const char *from, const char *to, int code, const char *tensor)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_ssd *net = NULL;
	const char *dir = kf_test_tmpdir();
	size_t n, nf = strlen(from), nt = strlen(to);
	char *man = (char *)kf_test_read_file(KF_TEST_MODELS "/ssd_mobilenetv1_model-weights_manifest.json", &n);
	uint8_t *bin;
	char *hit = memmem(man, n, from, nf), *edited = malloc(n + nt);

	assert_non_null(hit);
	memcpy(edited, man, (size_t)(hit - man));
	memcpy(edited + (hit - man), to, nt);
	memcpy(edited + (hit - man) + nt, hit + nf, n - (size_t)(hit - man) - nf);
	kf_test_write_file(kf_test_path("%s/ssd_mobilenetv1_model-weights_manifest.json", dir),
			   edited, n - nf + nt);
	bin = kf_test_read_file(KF_TEST_MODELS "/ssd_mobilenetv1_model.bin", &n);
	kf_test_write_file(kf_test_path("%s/ssd_mobilenetv1_model.bin", dir), bin, n);

	assert_int_equal(kf_ssd_load(&net, dir, &err), code);
	assert_null(net);
	print_message("  %s\n", err.msg);
	assert_non_null(strstr(err.msg, "ssd_mobilenetv1_model-weights_manifest.json"));
	assert_non_null(strstr(err.msg, tensor));
	free(man); free(edited); free(bin);
}

static void test_load_bad_shape(void **state)
{
	(void)state;
	/* same byte count, transposed */
	load_edited("\"shape\":[1,1,512,9]", "\"shape\":[1,1,9,512]", KF_E_FORMAT,
		    "'Prediction/BoxPredictor_0/ClassPredictor/weights'");
	/* an anchor count that does not match the net */
	load_edited("\"min\":5118", "\"min\":5117", KF_E_FORMAT, "'Postprocessor/stack/1'");
}

struct job {
	const struct fixture *fx;
	float boxes[KF_SSD_ANCHORS * 4], scores[KF_SSD_ANCHORS];
	int rc;
};

static void *run_job(void *arg)
{
	struct job *j = arg;
	struct kf_err err = KF_ERR_INIT;
	struct kf_arena a = KF_ARENA_INIT;

	j->rc = kf_ssd_forward(j->fx->net, j->fx->in, j->boxes, j->scores, &a, &err);
	kf_arena_release(&a);
	return NULL;
}

/* One loaded net, two threads with their own arenas: same bits as one thread. */
static void test_threads(void **state)
{
	kf_test_slow();	/* before anything is allocated */
	struct fixture *fx = *state;
	struct job *j = calloc(3, sizeof(*j));
	pthread_t t[2];

	for (int i = 0; i < 3; i++)
		j[i].fx = fx;
	run_job(&j[2]);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, run_job, &j[i]), 0);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(j[i].rc, KF_OK);
		assert_memory_equal(j[i].boxes, j[2].boxes, sizeof(j[2].boxes));
		assert_memory_equal(j[i].scores, j[2].scores, sizeof(j[2].scores));
	}
	free(j);
}

/* Every allocation of kf_ssd_load and of a forward pass on a fresh arena
 * fails in turn: KF_E_NOMEM, nothing leaks (LeakSanitizer), outputs untouched. */
static void test_alloc_failure(void **state)
{
	kf_test_slow();	/* before anything is allocated */
	struct fixture *fx = *state;
	struct kf_err err = KF_ERR_INIT;
	struct kf_ssd *net;
	float *boxes = malloc(KF_SSD_ANCHORS * 4 * sizeof(float));
	float *scores = malloc(KF_SSD_ANCHORS * sizeof(float));
	long n, n_load;

	kf_alloc_fail_at(0);
	assert_int_equal(kf_ssd_load(&net, KF_TEST_MODELS, &err), KF_OK);
	n = kf_alloc_fail_at(0);
	kf_ssd_free(net);
	assert_true(n > 0);
	for (long i = 1; i <= n; i++) {
		kf_err_clear(&err);
		kf_alloc_fail_at(i);
		assert_int_equal(kf_ssd_load(&net, KF_TEST_MODELS, &err), KF_E_NOMEM);
		assert_null(net);
	}
	kf_alloc_fail_at(0);
	n_load = n;

	{
		struct kf_arena a = KF_ARENA_INIT;

		assert_int_equal(kf_ssd_forward(fx->net, fx->in, boxes, scores, &a, &err), KF_OK);
		n = kf_alloc_fail_at(0);
		kf_arena_release(&a);
	}
	assert_true(n > 0);
	for (long i = 1; i <= n; i++) {
		struct kf_arena a = KF_ARENA_INIT;

		memset(scores, 0, KF_SSD_ANCHORS * sizeof(float));
		kf_err_clear(&err);
		kf_alloc_fail_at(i);
		assert_int_equal(kf_ssd_forward(fx->net, fx->in, boxes, scores, &a, &err), KF_E_NOMEM);
		kf_alloc_fail_at(0);
		assert_non_null(strstr(err.msg, "out of memory"));
		assert_true(scores[0] == 0.0f && scores[KF_SSD_ANCHORS - 1] == 0.0f);
		kf_arena_release(&a);
	}
	print_message("ssd: %ld allocations in load, %ld in forward, failed in turn\n", n_load, n);
	free(boxes);
	free(scores);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sample1),
		cmocka_unit_test(test_anchors),
		cmocka_unit_test(test_load_missing),
		cmocka_unit_test(test_load_bad_shape),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_alloc_failure),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
