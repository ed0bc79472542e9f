/* bench/nn.c: single-core time of whole networks built from the ops.
 *
 *   cc -O2 -I. bench/nn.c build-rel/libkf_core.a -lcjson -lcrypto -ljpeg -lpng -lm -lpthread -o /tmp/kf-nn
 *   taskset -c 1 /tmp/kf-nn [MODEL_DIR]
 * 1. an SSD MobileNetV1 backbone + prediction convs at 512x512 with random
 *    weights (same shapes as ssd_mobilenetv1_model, BN folded), per layer type;
 * 2. the Tiny Face Detector at 416 with the real weights (if MODEL_DIR given);
 * 3. the SSD MobileNetV1 detector at 512 with the real weights (if MODEL_DIR
 *    given): median of 15 runs after 3 warm-up runs, and a per-layer-type
 *    breakdown timed between the stage callbacks (median per type).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/arena.h"
#include "core/nn_ops.h"
#include "core/nn_ssd.h"
#include "core/nn_tiny.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static struct kf_tensor *rnd(struct kf_arena *a, int64_t ne0, int64_t ne1, int64_t ne2, int64_t ne3)
{
	struct kf_tensor *t = kf_tensor_new(a, KF_F32, ne0, ne1, ne2, ne3);
	float *f = t->data;

	for (int64_t i = 0; i < kf_tensor_nelements(t); i++)
		f[i] = (float)((i * 7919) % 201 - 100) * 0.001f;
	return t;
}

static double t_dw, t_pw, t_conv, macs;

static struct kf_tensor *conv(struct kf_arena *a, struct kf_arena *s, struct kf_tensor *x, int k,
			      int stride, int cout)
{
	struct kf_conv_params p = { stride, KF_PAD_SAME, 0, 0, 0, 0, KF_ACT_RELU6 };
	int lo, hi, oh = kf_nn_out_size((int)x->ne[2], k, stride, KF_PAD_SAME, 0, 0, &lo, &hi);
	struct kf_tensor *w = rnd(a, cout, x->ne[0], k, k), *b = rnd(a, cout, 1, 1, 1);
	struct kf_tensor *y = kf_tensor_nhwc(a, 1, oh, oh, cout);
	double t = now();

	kf_nn_conv2d(y, x, w, b->data, &p, s, 0, 1);
	t = now() - t;
	*(k == 1 ? &t_pw : &t_conv) += t;
	macs += (double)oh * oh * cout * x->ne[0] * k * k;
	return y;
}

static struct kf_tensor *dw(struct kf_arena *a, struct kf_tensor *x, int stride)
{
	struct kf_conv_params p = { stride, KF_PAD_SAME, 0, 0, 0, 0, KF_ACT_RELU6 };
	int lo, hi, oh = kf_nn_out_size((int)x->ne[2], 3, stride, KF_PAD_SAME, 0, 0, &lo, &hi);
	struct kf_tensor *w = rnd(a, 1, x->ne[0], 3, 3), *b = rnd(a, x->ne[0], 1, 1, 1);
	struct kf_tensor *y = kf_tensor_nhwc(a, 1, oh, oh, x->ne[0]);
	double t = now();

	kf_nn_depthwise(y, x, w, b->data, &p, 0, 1);
	t_dw += now() - t;
	macs += (double)oh * oh * x->ne[0] * 9;
	return y;
}

/* SSD stage timing: the time since the previous stage goes to its layer type */
enum { T_CONV0, T_DW, T_PW, T_PRED1, T_PRED3, T_HEADS, T_OTHER, T_TYPES };
static const char *const t_name[T_TYPES] = {
	"conv_0", "depthwise", "pointwise", "prediction 1x1", "prediction 3x3/2", "box predictors",
	"input, decode, sigmoid",
};

struct stage_clock {
	double last, t[T_TYPES];
};

static void on_stage(void *ctx, const char *name, const struct kf_tensor *t)
{
	struct stage_clock *c = ctx;
	double n = now();
	int ty = T_OTHER;

	(void)t;
	if (!strcmp(name, "conv_0"))
		ty = T_CONV0;
	else if (strstr(name, "_depthwise"))
		ty = T_DW;
	else if (strstr(name, "_pointwise"))
		ty = T_PW;
	else if (!strncmp(name, "prediction_conv_", 16))
		ty = (name[16] - '0') % 2 ? T_PRED3 : T_PRED1;
	else if (!strncmp(name, "box_predictor_", 14))
		ty = T_HEADS;
	c->t[ty] += n - c->last;
	c->last = n;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void bench_ssd(const char *dir, struct kf_arena *s)
{
	enum { WARM = 3, RUNS = 15 };
	struct kf_err err = KF_ERR_INIT;
	struct kf_ssd *net;
	float *in = malloc(512 * 512 * 3 * sizeof(float));
	float *boxes = malloc(KF_SSD_ANCHORS * 4 * sizeof(float));
	float *scores = malloc(KF_SSD_ANCHORS * sizeof(float));
	double t[RUNS], per[T_TYPES][RUNS];

	if (kf_ssd_load(&net, dir, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		exit(1);
	}
	for (int i = 0; i < 512 * 512 * 3; i++)
		in[i] = (float)((unsigned)i * 7919u % 256u);
	for (int run = 0; run < WARM + RUNS; run++) {
		double t0 = now();

		kf_ssd_forward(net, in, boxes, scores, s, &err);
		kf_arena_reset(s);
		if (run >= WARM)
			t[run - WARM] = now() - t0;
	}
	for (int run = 0; run < RUNS; run++) {
		struct stage_clock c = { now(), { 0 } };

		kf_ssd_forward_stages(net, in, boxes, scores, s, on_stage, &c, &err);
		kf_arena_reset(s);
		for (int ty = 0; ty < T_TYPES; ty++)
			per[ty][run] = c.t[ty];
	}
	qsort(t, RUNS, sizeof(double), cmp_double);
	printf("ssd mobilenetv1 512: %.1f ms median of %d (min %.1f, max %.1f)\n",
	       t[RUNS / 2] * 1e3, RUNS, t[0] * 1e3, t[RUNS - 1] * 1e3);
	for (int ty = 0; ty < T_TYPES; ty++) {
		qsort(per[ty], RUNS, sizeof(double), cmp_double);
		printf("  %-24s %6.2f ms\n", t_name[ty], per[ty][RUNS / 2] * 1e3);
	}
	kf_ssd_free(net);
	free(in); free(boxes); free(scores);
}

int main(int argc, char **argv)
{
	static const int ch[14] = { 32, 64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024 };
	static const int st[14] = { 2, 1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1 };
	struct kf_arena a = KF_ARENA_INIT, s = KF_ARENA_INIT;
	double best = 1e9;

	printf("gemm kernel: %s\n", kf_gemm_kernel_name());
	for (int run = 0; run < (getenv("KF_BENCH_SSD_ONLY") ? 0 : 5); run++) {
		struct kf_tensor *x = rnd(&a, 3, 512, 512, 1);
		double t0, tot;

		t_dw = t_pw = t_conv = macs = 0;
		t0 = now();
		x = conv(&a, &s, x, 3, 2, 32);
		for (int i = 1; i < 14; i++)
			x = conv(&a, &s, dw(&a, x, st[i]), 1, 1, ch[i]);
		for (int i = 0; i < 4; i++) {
			static const int c1[4] = { 256, 128, 128, 64 }, c2[4] = { 512, 256, 256, 128 };
			x = conv(&a, &s, conv(&a, &s, x, 1, 1, c1[i]), 3, 2, c2[i]);
		}
		tot = now() - t0;
		if (tot < best) {
			best = tot;
			printf("ssd-like 512: %.1f ms total (%.2f GMAC, %.1f GFLOP/s): depthwise %.1f ms, "
			       "pointwise %.1f ms, 3x3 conv %.1f ms\n", tot * 1e3, macs * 1e-9,
			       2 * macs / tot * 1e-9, t_dw * 1e3, t_pw * 1e3, t_conv * 1e3);
		}
		kf_arena_reset(&a);
		kf_arena_reset(&s);
	}
	if (argc > 1) {
		struct kf_err err = KF_ERR_INIT;
		struct kf_tiny *net;
		float *in = calloc(416 * 416 * 3, sizeof(float)), grid[13 * 13 * 25];

		if (kf_tiny_load(&net, argv[1], &err) < 0) {
			fprintf(stderr, "%s\n", err.msg);
			return 1;
		}
		best = 1e9;
		for (int run = 0; run < 10; run++) {
			double t = now();

			kf_tiny_forward(net, in, 416, grid, &s, &err);
			kf_arena_reset(&s);
			t = now() - t;
			best = t < best ? t : best;
		}
		printf("tiny face detector 416: %.1f ms\n", best * 1e3);
		kf_tiny_free(net);
		free(in);
		bench_ssd(argv[1], &s);
	}
	kf_arena_release(&a);
	kf_arena_release(&s);
	return 0;
}
