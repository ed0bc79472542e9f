/* nn_facerec.c: face recognition ResNet forward pass (nn_facerec.h). */
#include "core/nn_facerec.h"

#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "core/nn_gemm_q8.h"
#include "core/nn_wino.h"
#include "core/weights.h"

static const float fr_mean[3] = { 122.782f, 117.001f, 104.298f };

/* The residual layers in order; down = residualDown. */
static const struct fr_layer {
	const char *name;
	int cin, cout, down;
} fr_layers[] = {
	{ "conv32_1", 32, 32, 0 }, { "conv32_2", 32, 32, 0 }, { "conv32_3", 32, 32, 0 },
	{ "conv64_down", 32, 64, 1 }, { "conv64_1", 64, 64, 0 }, { "conv64_2", 64, 64, 0 },
	{ "conv64_3", 64, 64, 0 },
	{ "conv128_down", 64, 128, 1 }, { "conv128_1", 128, 128, 0 }, { "conv128_2", 128, 128, 0 },
	{ "conv256_down", 128, 256, 1 }, { "conv256_1", 256, 256, 0 }, { "conv256_2", 256, 256, 0 },
	{ "conv256_down_out", 256, 256, 1 },
};

#define N_RES (int)(sizeof(fr_layers) / sizeof(fr_layers[0]))

/* A conv layer with its scale layer folded in, the filter packed for the GEMM
 * (kf_nn_conv2d_packed) in float32 and int8: shape only in f (f.data is
 * NULL), packed, q8, bias b; or, for a 3x3 stride-1 conv, its Winograd
 * transform (wino) in place of packed: float32 runs that instead. */
struct fr_conv {
	struct kf_tensor f;
	float *packed, *b;
	struct kf_gemm_q8 *q8;
	struct kf_wino *wino;
};

struct kf_facerec {
	unsigned which;				/* enum kf_facerec_weights */
	struct fr_conv first;			/* conv32_down */
	struct fr_conv res[N_RES][2];		/* conv1, conv2 of each residual layer */
	float *fc;				/* [256, 128] packed (kf_gemm_pack_b) */
};

static void conv_release(struct fr_conv *c)
{
	kf_free(c->packed);
	kf_free(c->b);
	kf_gemm_q8_free(c->q8);
	kf_wino_free(c->wino);
}

/* B [K, N] packed for kf_gemm_packed, 64-byte aligned; NULL when out of memory. */
static float *pack(const float *b, int K, int N)
{
	float *p = kf_aligned_alloc(64, (kf_gemm_packed_size(K, N) + 1) * sizeof(float));

	if (p)
		kf_gemm_pack_b(K, N, b, N, p);
	return p;
}

void kf_facerec_free(struct kf_facerec *net)
{
	if (!net)
		return;
	conv_release(&net->first);
	for (int i = 0; i < N_RES; i++) {
		conv_release(&net->res[i][0]);
		conv_release(&net->res[i][1]);
	}
	kf_free(net->fc);
	kf_free(net);
}

/* Copy <prefix>/conv/{filters,bias} and fold <prefix>/scale/{weights,biases}:
 * scale(conv(x) + bias) = conv'(x) + bias' with w' = w * s, bias' = bias * s + b.
 * which: the precisions to prepare (enum kf_facerec_weights); wino: a 3x3
 * stride-1 conv, whose float32 filter is Winograd's transform. */
static int load_conv(const struct kf_weights *w, const char *prefix, int k, int cin, int cout,
		     unsigned which, int wino, struct fr_conv *c, struct kf_err *err)
{
	char name[96];
	const float *f, *bias, *sw, *sb;
	size_t n = (size_t)k * k * cin * cout;
	int rc = KF_E_NOMEM;
	float *tmp;

	snprintf(name, sizeof(name), "%s/conv/filters", prefix);
	if (!(f = kf_weights_f32(w, name, 4, (const int[]){ k, k, cin, cout }, err)))
		return KF_E_FORMAT;
	snprintf(name, sizeof(name), "%s/conv/bias", prefix);
	if (!(bias = kf_weights_f32(w, name, 1, (const int[]){ cout }, err)))
		return KF_E_FORMAT;
	snprintf(name, sizeof(name), "%s/scale/weights", prefix);
	if (!(sw = kf_weights_f32(w, name, 1, (const int[]){ cout }, err)))
		return KF_E_FORMAT;
	snprintf(name, sizeof(name), "%s/scale/biases", prefix);
	if (!(sb = kf_weights_f32(w, name, 1, (const int[]){ cout }, err)))
		return KF_E_FORMAT;
	kf_tensor_init(&c->f, KF_F32, cout, cin, k, k, NULL);
	kf_tensor_set_name(&c->f, prefix);
	tmp = kf_malloc_array(n, sizeof(float));
	c->b = kf_malloc_array((size_t)cout, sizeof(float));
	if (tmp && c->b) {
		memcpy(tmp, f, n * sizeof(float));
		memcpy(c->b, bias, (size_t)cout * sizeof(float));
		kf_nn_fold_affine(tmp, n, cout, c->b, sw, sb);
		rc = KF_OK;
		/* one-byte weights keeping the sums of each input channel's
		 * taps: descriptors within 0.015 of float32, against 0.025
		 * rounded to nearest (u-precision; docs/internals/nn.md, "Int8") */
		if (which & KF_FACEREC_INT8)
			rc = kf_gemm_q8_pack(k * k * cin, cout, tmp, cout, cin, &c->q8);
		/* with Winograd, float32 never reads the packed filter */
		if (rc == KF_OK && (which & KF_FACEREC_FP32) && wino)
			rc = kf_wino_prepare(tmp, cin, cout, &c->wino);
		else if (rc == KF_OK && (which & KF_FACEREC_FP32) &&
			 !(c->packed = pack(tmp, k * k * cin, cout)))
			rc = KF_E_NOMEM;
	}
	kf_free(tmp);
	if (rc < 0)
		return kf_err_set(err, KF_E_NOMEM, "out of memory");
	return KF_OK;
}

int kf_facerec_load(struct kf_facerec **out, const char *model_dir, struct kf_err *err)
{
	return kf_facerec_load_for(out, model_dir, KF_FACEREC_FP32 | KF_FACEREC_INT8, err);
}

int kf_facerec_load_for(struct kf_facerec **out, const char *model_dir, unsigned which,
			struct kf_err *err)
{
	struct kf_facerec *net;
	struct kf_weights *w = NULL;
	const float *fc;
	char prefix[64];
	int rc;

	*out = NULL;
	if (!which || (which & ~(unsigned)(KF_FACEREC_FP32 | KF_FACEREC_INT8)))
		return kf_err_set(err, KF_E_INVALID, "face recognition net: bad weights %#x", which);
	if (!(net = kf_calloc(1, sizeof(*net))))
		return kf_err_set(err, KF_E_NOMEM, "out of memory");
	net->which = which;
	if ((rc = kf_weights_load(&w, model_dir, "face_recognition_model", 0, err)) < 0)
		goto fail;
	if ((rc = load_conv(w, "conv32_down", 7, 3, 32, which, 0, &net->first, err)) < 0)
		goto fail;
	for (int i = 0; i < N_RES; i++) {
		const struct fr_layer *l = &fr_layers[i];

		/* Winograd for every 3x3 stride-1 conv: 1.2 to 2.5 times faster
		 * than the direct ones (docs/internals/nn.md); at 256 channels (3x3
		 * pixels, 9 MB more weights) it pays only with faces in batches */
		snprintf(prefix, sizeof(prefix), "%s/conv1", l->name);
		if ((rc = load_conv(w, prefix, 3, l->cin, l->cout, which, !l->down,
				    &net->res[i][0], err)) < 0)
			goto fail;
		snprintf(prefix, sizeof(prefix), "%s/conv2", l->name);
		if ((rc = load_conv(w, prefix, 3, l->cout, l->cout, which, 1, &net->res[i][1],
				    err)) < 0)
			goto fail;
	}
	rc = KF_E_FORMAT;
	if (!(fc = kf_weights_f32(w, "fc", 2, (const int[]){ 256, KF_FACEREC_DIM }, err)))
		goto fail;
	rc = KF_E_NOMEM;
	if (!(net->fc = pack(fc, 256, KF_FACEREC_DIM))) {
		kf_err_set(err, KF_E_NOMEM, "out of memory");
		goto fail;
	}
	kf_weights_free(w);
	*out = net;
	return KF_OK;
fail:
	kf_weights_free(w);
	kf_facerec_free(net);
	return rc;
}

#define STAGE(n, t) do { if (fn) fn(ctx, (n), (t)); } while (0)

static struct kf_tensor *conv_out(struct kf_arena *a, const struct kf_tensor *src, int k,
				  int stride, enum kf_pad pad, int c)
{
	int lo, hi;
	int h = kf_nn_out_size((int)src->ne[2], k, stride, pad, 0, 0, &lo, &hi);
	int w = kf_nn_out_size((int)src->ne[1], k, stride, pad, 0, 0, &lo, &hi);

	return kf_tensor_nhwc(a, src->ne[3], h, w, c);
}

/* dst[n,y,x,c] = relu(pooled (zero beyond its channels) + b (zero beyond its
 * rows/columns)): the merge of face-api's residualDown. */
static void merge_down(struct kf_tensor *dst, const struct kf_tensor *pooled,
		       const struct kf_tensor *b)
{
	int C = (int)dst->ne[0], W = (int)dst->ne[1], H = (int)dst->ne[2], N = (int)dst->ne[3];
	int pc = (int)pooled->ne[0], bw = (int)b->ne[1], bh = (int)b->ne[2];
	const float *p = pooled->data, *bv = b->data;
	float *o = dst->data;

	assert(pooled->ne[1] == W && pooled->ne[2] == H && pc <= C && b->ne[0] == C);
	assert(bw <= W && bh <= H);
	for (int n = 0; n < N; n++)
		for (int y = 0; y < H; y++)
			for (int x = 0; x < W; x++) {
				const float *pp = p + (((size_t)n * H + y) * W + x) * pc;
				const float *bp = y < bh && x < bw ?
					bv + (((size_t)n * bh + y) * bw + x) * C : NULL;
				float *op = o + (((size_t)n * H + y) * W + x) * C;

				for (int c = 0; c < C; c++) {
					float v = (c < pc ? pp[c] : 0.0f) + (bp ? bp[c] : 0.0f);

					op[c] = v > 0.0f ? v : 0.0f;
				}
			}
}

static int conv(struct kf_tensor *dst, const struct kf_tensor *src, const struct fr_conv *c,
		const struct kf_conv_params *p, struct kf_arena *a)
{
	if (c->wino && !kf_gemm_q8_active())
		return kf_nn_conv3x3_wino(dst, src, c->wino, c->b, p, a);
	return kf_nn_conv2d_packed(dst, src, &c->f, c->packed, c->q8, c->b, p, a, 0, 1);
}

static int residual(const struct fr_conv *cv, const struct fr_layer *l, struct kf_tensor **x,
		    struct kf_arena *a)
{
	const struct kf_conv_params same_relu = { 1, KF_PAD_SAME, 0, 0, 0, 0, KF_ACT_RELU };
	const struct kf_conv_params same = { 1, KF_PAD_SAME, 0, 0, 0, 0, KF_ACT_NONE };
	const struct kf_conv_params down = { 2, KF_PAD_VALID, 0, 0, 0, 0, KF_ACT_RELU };
	struct kf_tensor *t, *b, *pooled, *out;
	int rc;

	if (!l->down) {
		if (!(t = conv_out(a, *x, 3, 1, KF_PAD_SAME, l->cout)) ||
		    !(b = conv_out(a, t, 3, 1, KF_PAD_SAME, l->cout)))
			return KF_E_NOMEM;
		if ((rc = conv(t, *x, &cv[0], &same_relu, a)) < 0 ||
		    (rc = conv(b, t, &cv[1], &same, a)) < 0)
			return rc;
		kf_nn_add(b, b, *x, KF_ACT_RELU, 0, 1);
		*x = b;
		return KF_OK;
	}
	if (!(t = conv_out(a, *x, 3, 2, KF_PAD_VALID, l->cout)) ||
	    !(b = conv_out(a, t, 3, 1, KF_PAD_SAME, l->cout)) ||
	    !(pooled = conv_out(a, *x, 2, 2, KF_PAD_VALID, l->cin)) ||
	    !(out = kf_tensor_nhwc(a, pooled->ne[3], pooled->ne[2], pooled->ne[1], l->cout)))
		return KF_E_NOMEM;
	if ((rc = conv(t, *x, &cv[0], &down, a)) < 0 ||
	    (rc = conv(b, t, &cv[1], &same, a)) < 0)
		return rc;
	kf_nn_avgpool(pooled, *x, 2, 2, 0, 1);
	merge_down(out, pooled, b);
	*x = out;
	return KF_OK;
}

/* The net on n faces (in: n inputs back to back; desc: n descriptors). */
static int forward(const struct kf_facerec *net, const float *in, int n, float *desc,
		   struct kf_arena *scratch, kf_nn_stage_fn fn, void *ctx, struct kf_err *err)
{
	const struct kf_conv_params first = { 2, KF_PAD_VALID, 0, 0, 0, 0, KF_ACT_RELU };
	const int S = KF_FACEREC_INPUT;
	struct kf_tensor *x, *y, *avg, out;

	if (n < 1)
		return kf_err_set(err, KF_E_INVALID, "face recognition net: %d faces", n);
	if (!(net->which & (kf_gemm_q8_active() ? KF_FACEREC_INT8 : KF_FACEREC_FP32)))
		return kf_err_set(err, KF_E_INVALID, "face recognition net: loaded without its %s "
				  "weights (the precision changed after loading)",
				  kf_gemm_q8_active() ? "int8" : "float32");
	if (kf_gemm_q8_active()) {
		/* int8: the first conv reads the pixels, exactly, with the
		 * normalisation folded in (kf_nn_conv2d_q8_pixels); the op only
		 * reads px */
		struct kf_tensor px;

		kf_tensor_init(&px, KF_F32, 3, S, S, n, (void *)(uintptr_t)in);
		if (!(y = conv_out(scratch, &px, 7, 2, KF_PAD_VALID, 32)) ||
		    kf_nn_conv2d_q8_pixels(y, &px, &net->first.f, net->first.q8, fr_mean, 255.0f,
					   net->first.b, &first, scratch) < 0)
			goto nomem;
	} else {
		if (!(x = kf_tensor_nhwc(scratch, n, S, S, 3)))
			goto nomem;
		kf_nn_normalize_mean(x->data, in, (size_t)S * S * (size_t)n, fr_mean, 255.0f);
		STAGE("input_normalized", x);
		if (!(y = conv_out(scratch, x, 7, 2, KF_PAD_VALID, 32)) ||
		    conv(y, x, &net->first, &first, scratch) < 0)
			goto nomem;
	}
	STAGE("conv32_down", y);
	if (!(x = conv_out(scratch, y, 3, 2, KF_PAD_VALID, 32)))
		goto nomem;
	kf_nn_maxpool(x, y, 3, 2, KF_PAD_VALID, 0, 1);
	STAGE("maxpool", x);
	for (int i = 0; i < N_RES; i++) {
		if (residual(net->res[i], &fr_layers[i], &x, scratch) < 0)
			goto nomem;
		STAGE(fr_layers[i].name, x);
	}
	if (!(avg = kf_tensor_nhwc(scratch, n, 1, 1, x->ne[0])))
		goto nomem;
	kf_nn_global_avgpool(avg, x);
	STAGE("global_avg", avg);
	kf_gemm_packed(n, KF_FACEREC_DIM, 256, avg->data, 256, net->fc, desc, KF_FACEREC_DIM, NULL,
		       KF_ACT_NONE);
	kf_tensor_init(&out, KF_F32, KF_FACEREC_DIM, 1, 1, n, desc);
	STAGE("fc_descriptor", &out);
	return KF_OK;
nomem:
	return kf_err_set(err, KF_E_NOMEM, "face recognition net: out of memory");
}

int kf_facerec_forward_stages(const struct kf_facerec *net, const float *in, float *desc,
			      struct kf_arena *scratch, kf_nn_stage_fn fn, void *ctx,
			      struct kf_err *err)
{
	return forward(net, in, 1, desc, scratch, fn, ctx, err);
}

int kf_facerec_forward_batch(const struct kf_facerec *net, const float *in, int n, float *desc,
			     struct kf_arena *scratch, struct kf_err *err)
{
	return forward(net, in, n, desc, scratch, NULL, NULL, err);
}

int kf_facerec_forward(const struct kf_facerec *net, const float *in, float *desc,
		       struct kf_arena *scratch, struct kf_err *err)
{
	return forward(net, in, 1, desc, scratch, NULL, NULL, err);
}
