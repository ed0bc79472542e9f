/* nn_landmark.c: 68-point landmark net forward pass (nn_landmark.h). */
#include "core/nn_landmark.h"

#include <math.h>
#include <stdio.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "core/clones.h"
#include "core/weights.h"

static const float lm_mean[3] = { 122.782f, 117.001f, 104.298f };
static const int lm_ch[5] = { 3, 32, 64, 128, 256 };

#define N_OUT (2 * KF_LANDMARK_POINTS)

/* The pointwise, conv0 and fc weights are also kept packed for the GEMM
 * (kf_gemm_pack_b, done once here instead of on every call). */
struct sep {
	const struct kf_tensor *dw, *pw;
	const float *b;
	float *pw_packed;
};

struct kf_landmark {
	struct kf_weights *w;
	const struct kf_tensor *conv0_f;	/* dense0/conv0, a full 3x3 conv */
	const float *conv0_b;
	float *conv0_packed;
	struct sep sep[4][4];			/* [block][conv]; sep[0][0] unused */
	const struct kf_tensor *fc_w;
	const float *fc_b;
	float *fc_packed;
};

void kf_landmark_free(struct kf_landmark *net)
{
	if (!net)
		return;
	for (int d = 0; d < 4; d++)
		for (int c = 0; c < 4; c++)
			kf_free(net->sep[d][c].pw_packed);
	kf_free(net->conv0_packed);
	kf_free(net->fc_packed);
	kf_weights_free(net->w);
	kf_free(net);
}

/* B [K, N] packed for kf_gemm_packed, 64-byte aligned; NULL when out of memory. */
static float *pack(const struct kf_tensor *t, int K, int N)
{
	float *p = kf_aligned_alloc(64, (kf_gemm_packed_size(K, N) + 1) * sizeof(float));

	if (p)
		kf_gemm_pack_b(K, N, t->data, N, p);
	return p;
}

int kf_landmark_load(struct kf_landmark **out, const char *model_dir, struct kf_err *err)
{
	struct kf_landmark *net;
	char name[64];
	int rc;

	*out = NULL;
	if (!(net = kf_calloc(1, sizeof(*net))))
		return kf_err_set(err, KF_E_NOMEM, "out of memory");
	if ((rc = kf_weights_load(&net->w, model_dir, "face_landmark_68_model", 0, err)) < 0)
		goto fail;
	rc = KF_E_FORMAT;
	if (!(net->conv0_f = kf_weights_get(net->w, "dense0/conv0/filters", 4,
					    (const int[]){ 3, 3, 3, 32 }, err)) ||
	    !(net->conv0_b = kf_weights_f32(net->w, "dense0/conv0/bias", 1, (const int[]){ 32 }, err)))
		goto fail;
	for (int d = 0; d < 4; d++) {
		for (int c = d ? 0 : 1; c < 4; c++) {
			struct sep *s = &net->sep[d][c];
			int cin = c ? lm_ch[d + 1] : lm_ch[d], cout = lm_ch[d + 1];

			snprintf(name, sizeof(name), "dense%d/conv%d/depthwise_filter", d, c);
			if (!(s->dw = kf_weights_get(net->w, name, 4, (const int[]){ 3, 3, cin, 1 }, err)))
				goto fail;
			snprintf(name, sizeof(name), "dense%d/conv%d/pointwise_filter", d, c);
			if (!(s->pw = kf_weights_get(net->w, name, 4, (const int[]){ 1, 1, cin, cout }, err)))
				goto fail;
			snprintf(name, sizeof(name), "dense%d/conv%d/bias", d, c);
			if (!(s->b = kf_weights_f32(net->w, name, 1, (const int[]){ cout }, err)))
				goto fail;
			if (!(s->pw_packed = pack(s->pw, cin, cout)))
				goto nomem;
		}
	}
	if (!(net->fc_w = kf_weights_get(net->w, "fc/weights", 2, (const int[]){ 256, N_OUT }, err)) ||
	    !(net->fc_b = kf_weights_f32(net->w, "fc/bias", 1, (const int[]){ N_OUT }, err)))
		goto fail;
	if (!(net->conv0_packed = pack(net->conv0_f, 3 * 3 * 3, lm_ch[1])) ||
	    !(net->fc_packed = pack(net->fc_w, 256, N_OUT)))
		goto nomem;
	*out = net;
	return KF_OK;
nomem:
	rc = kf_err_set(err, KF_E_NOMEM, "out of memory");
fail:
	kf_landmark_free(net);
	return rc;
}

#define STAGE(n, t) do { if (fn) fn(ctx, (n), (t)); } while (0)

/* dst = pointwise(depthwise(src)) + bias: tf.separableConv2d(.., 'same') + bias. */
static int sep_conv(struct kf_tensor **dst, const struct kf_tensor *src, const struct sep *s,
		    int stride, enum kf_act act, struct kf_arena *a)
{
	const struct kf_conv_params dw = { stride, KF_PAD_SAME, 0, 0, 0, 0, KF_ACT_NONE };
	const struct kf_conv_params pw = { 1, KF_PAD_VALID, 0, 0, 0, 0, act };
	int lo, hi, h = kf_nn_out_size((int)src->ne[2], 3, stride, KF_PAD_SAME, 0, 0, &lo, &hi);
	int w = kf_nn_out_size((int)src->ne[1], 3, stride, KF_PAD_SAME, 0, 0, &lo, &hi);
	struct kf_tensor *d;

	if (!(d = kf_tensor_nhwc(a, src->ne[3], h, w, src->ne[0])))
		return KF_E_NOMEM;
	kf_nn_depthwise(d, src, s->dw, NULL, &dw, 0, 1);
	if (!(*dst = kf_tensor_nhwc(a, src->ne[3], h, w, s->pw->ne[0])))
		return KF_E_NOMEM;
	return kf_nn_conv2d_packed(*dst, d, s->pw, s->pw_packed, NULL, s->b, &pw, a, 0, 1);
}

/* d = relu(a + b), relu(a + (b + c)) or relu(a + (b + (c + e))) element by
 * element (c, e NULL for fewer terms): a dense block's sums in face-api's
 * order (nn_landmark.h), in one pass over the n floats instead of a pass an
 * addition. */
KF_TARGET_CLONES
static void dense_sum(float *restrict d, const float *a, const float *b, const float *c,
		      const float *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		float v = !c ? a[i] + b[i] : !e ? a[i] + (b[i] + c[i]) : a[i] + (b[i] + (c[i] + e[i]));

		d[i] = v > 0.0f ? v : 0.0f;
	}
}

/* One dense block (see nn_landmark.h); *x becomes its output. */
static int dense_block(const struct kf_landmark *net, int d, struct kf_tensor **x,
		       struct kf_arena *a, kf_nn_stage_fn fn, void *ctx)
{
	const struct kf_conv_params c0 = { 2, KF_PAD_SAME, 0, 0, 0, 0, KF_ACT_RELU };
	struct kf_tensor *o1, *o2, *o3, *o4, *t, *out;
	char name[24];
	size_t n;
	int rc;

	if (d == 0) {
		int lo, hi, h = kf_nn_out_size((int)(*x)->ne[2], 3, 2, KF_PAD_SAME, 0, 0, &lo, &hi);
		int w = kf_nn_out_size((int)(*x)->ne[1], 3, 2, KF_PAD_SAME, 0, 0, &lo, &hi);

		if (!(o1 = kf_tensor_nhwc(a, (*x)->ne[3], h, w, lm_ch[1])))
			return KF_E_NOMEM;
		if ((rc = kf_nn_conv2d_packed(o1, *x, net->conv0_f, net->conv0_packed, NULL, net->conv0_b,
					       &c0, a, 0, 1)) < 0)
			return rc;
	} else if ((rc = sep_conv(&o1, *x, &net->sep[d][0], 2, KF_ACT_RELU, a)) < 0) {
		return rc;
	}
	snprintf(name, sizeof(name), "dense%d_conv0", d);
	STAGE(name, o1);
	if ((rc = sep_conv(&o2, o1, &net->sep[d][1], 1, KF_ACT_NONE, a)) < 0)
		return rc;
	snprintf(name, sizeof(name), "dense%d_conv1", d);
	STAGE(name, o2);

	if (!(t = kf_tensor_nhwc(a, o1->ne[3], o1->ne[2], o1->ne[1], o1->ne[0])) ||
	    !(out = kf_tensor_nhwc(a, o1->ne[3], o1->ne[2], o1->ne[1], o1->ne[0])))
		return KF_E_NOMEM;
	n = (size_t)kf_tensor_nelements(o1);
	dense_sum(t->data, o1->data, o2->data, NULL, NULL, n);
	if ((rc = sep_conv(&o3, t, &net->sep[d][2], 1, KF_ACT_NONE, a)) < 0)
		return rc;
	snprintf(name, sizeof(name), "dense%d_conv2", d);
	STAGE(name, o3);

	dense_sum(t->data, o1->data, o2->data, o3->data, NULL, n);
	if ((rc = sep_conv(&o4, t, &net->sep[d][3], 1, KF_ACT_NONE, a)) < 0)
		return rc;
	snprintf(name, sizeof(name), "dense%d_conv3", d);
	STAGE(name, o4);

	dense_sum(out->data, o1->data, o2->data, o3->data, o4->data, n);
	snprintf(name, sizeof(name), "dense%d_out", d);
	STAGE(name, out);
	*x = out;
	return KF_OK;
}

static int forward(const struct kf_landmark *net, const float *in, int crop_w, int crop_h,
		   float *out, struct kf_arena *scratch, kf_nn_stage_fn fn, void *ctx,
		   struct kf_err *err)
{
	const int S = KF_LANDMARK_INPUT;
	struct kf_tensor *x, *pool, *fc, res;
	double scale, dw, dh;
	float pad_x, pad_y, dim_x, dim_y;

	if (crop_w < 1 || crop_h < 1)
		return kf_err_set(err, KF_E_INVALID, "landmark net: bad crop size %dx%d", crop_w, crop_h);
	if (!(x = kf_tensor_nhwc(scratch, 1, S, S, 3)))
		goto nomem;
	kf_nn_normalize_mean(x->data, in, (size_t)S * S, lm_mean, 255.0f);
	STAGE("input_normalized", x);
	for (int d = 0; d < 4; d++)
		if (dense_block(net, d, &x, scratch, fn, ctx) < 0)
			goto nomem;
	if (!(pool = kf_tensor_nhwc(scratch, 1, 1, 1, lm_ch[4])) ||
	    !(fc = kf_tensor_nhwc(scratch, 1, 1, 1, N_OUT)))
		goto nomem;
	kf_nn_avgpool(pool, x, 7, 2, 0, 1);
	STAGE("avg_pool", pool);
	kf_gemm_packed(1, N_OUT, lm_ch[4], pool->data, lm_ch[4], net->fc_packed, fc->data, N_OUT,
		       net->fc_b, KF_ACT_NONE);
	STAGE("fc", fc);

	/* face-api's postProcess: the crop scaled to fit S, in double (JS numbers),
	 * then tf.fill'ed into float32 tensors for the element-wise mul/sub/div */
	scale = (double)S / (double)(crop_w > crop_h ? crop_w : crop_h);
	dw = crop_w * scale;
	dh = crop_h * scale;
	pad_x = (float)(dw < dh ? fabs(dw - dh) / 2 : 0.0);
	pad_y = (float)(dh < dw ? fabs(dw - dh) / 2 : 0.0);
	dim_x = (float)dw;
	dim_y = (float)dh;
	for (int i = 0; i < N_OUT; i += 2) {
		const float *f = fc->data;

		out[i] = (f[i] * (float)S - pad_x) / dim_x;
		out[i + 1] = (f[i + 1] * (float)S - pad_y) / dim_y;
	}
	kf_tensor_init(&res, KF_F32, N_OUT, 1, 1, 1, out);
	STAGE("output", &res);
	return KF_OK;
nomem:
	return kf_err_set(err, KF_E_NOMEM, "landmark net: out of memory");
}

int kf_landmark_forward_stages(const struct kf_landmark *net, const float *in, float *out,
			       struct kf_arena *scratch, kf_nn_stage_fn fn, void *ctx,
			       struct kf_err *err)
{
	return forward(net, in, KF_LANDMARK_INPUT, KF_LANDMARK_INPUT, out, scratch, fn, ctx, err);
}

int kf_landmark_forward(const struct kf_landmark *net, const float *in, float *out,
			struct kf_arena *scratch, struct kf_err *err)
{
	return forward(net, in, KF_LANDMARK_INPUT, KF_LANDMARK_INPUT, out, scratch, NULL, NULL, err);
}

int kf_landmark_forward_crop(const struct kf_landmark *net, const float *in, int crop_w,
			     int crop_h, float *out, struct kf_arena *scratch,
			     struct kf_err *err)
{
	return forward(net, in, crop_w, crop_h, out, scratch, NULL, NULL, err);
}
