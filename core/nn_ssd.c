/* nn_ssd.c: SSD MobileNetV1 forward pass (nn_ssd.h).
 *
 * The predictor convs write straight into the concatenated box/class buffers:
 * face-api reshapes each [1,H,W,anchors*4] output to [1,H*W*anchors,1,4] and
 * concatenates along the anchor axis, which in NHWC is the same bytes, so
 * predictor i's output is a view at anchor offset sum(anchors of 0..i-1). */
#include "core/nn_ssd.h"

#include <assert.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "core/weights.h"

#define SSD_MODEL "ssd_mobilenetv1_model"

/* MobileNetV1 conv_0..13: output channels and stride (conv_0, then the depthwise ones) */
static const int mb_ch[14] = { 32, 64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024 };
static const int mb_stride[14] = { 2, 1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1 };
/* prediction_conv_0..7 output channels; even ones are 1x1, odd ones 3x3/2 */
static const int pred_ch[8] = { 256, 512, 128, 256, 128, 256, 64, 128 };
/* box predictors: input channels, grid side at 512, anchors per cell */
static const int head_cin[6] = { 512, 1024, 512, 256, 256, 128 };
static const int head_grid[6] = { 32, 16, 8, 4, 2, 1 };
static const int head_anchors[6] = { 3, 6, 6, 6, 6, 6 };

struct ssd_conv {
	const struct kf_tensor *w;	/* shape; the data is read once, to pack */
	const float *b;
	const float *packed;		/* w in GEMM panels (kf_gemm_pack_b), into net->packed */
};

struct kf_ssd {
	struct kf_weights *w;
	float *folded;			/* depthwise filters and biases with batch norm folded in */
	float *packed;			/* every conv filter, packed for the GEMM */
	struct ssd_conv conv0;
	struct {
		struct kf_tensor dw;	/* over folded */
		const float *dw_b;	/* folded */
		struct ssd_conv pw;
	} layer[14];			/* 1..13 */
	struct ssd_conv pred[8];
	struct ssd_conv box[6], cls[6];
	const float *anchors;		/* Output/extra_dim */
};

void kf_ssd_free(struct kf_ssd *net)
{
	if (!net)
		return;
	kf_weights_free(net->w);
	kf_free(net->folded);
	kf_free(net->packed);
	kf_free(net);
}

const float *kf_ssd_anchors(const struct kf_ssd *net)
{
	return net->anchors;
}

static int get_conv(struct ssd_conv *c, const struct kf_weights *w, const char *prefix,
		    const char *wname, const char *bname, int k, int cin, int cout,
		    struct kf_err *err)
{
	char name[2 * KF_TENSOR_NAME_SIZE];	/* prefix < KF_TENSOR_NAME_SIZE: never truncated */

	snprintf(name, sizeof(name), "%s/%s", prefix, wname);
	if (!(c->w = kf_weights_get(w, name, 4, (const int[]){ k, k, cin, cout }, err)))
		return KF_E_FORMAT;
	snprintf(name, sizeof(name), "%s/%s", prefix, bname);
	if (!(c->b = kf_weights_f32(w, name, 1, (const int[]){ cout }, err)))
		return KF_E_FORMAT;
	return KF_OK;
}

/* An int32 scalar constant of the graph that must equal want (the anchor
 * counts face-api's forward code hard-wires through the reshapes). */
static int check_i32(const struct kf_weights *w, const char *name, int want, struct kf_err *err)
{
	const struct kf_tensor *t = kf_weights_find(w, name);

	if (!t || t->type != KF_I32 || kf_tensor_nelements(t) != 1)
		return kf_err_set(err, KF_E_FORMAT, "'%s': tensor '%s' is missing or not an int32 scalar",
				  kf_weights_path(w), name);
	if (*(const int32_t *)t->data != want)
		return kf_err_set(err, KF_E_FORMAT, "'%s': tensor '%s' is %d, expected %d",
				  kf_weights_path(w), name, (int)*(const int32_t *)t->data, want);
	return KF_OK;
}

/* conv_i_depthwise: fetch filter and batch norm, fold into the private copy
 * at *mem (9*C filter floats, then C bias floats). */
static int load_depthwise(struct kf_ssd *net, int i, float **mem, struct kf_err *err)
{
	static const char *const bn[4] = { "moving_mean", "moving_variance", "gamma", "beta" };
	const struct kf_weights *w = net->w;
	const float *p[4], *dw;
	int C = mb_ch[i - 1];
	float *wf = *mem, *b = wf + 9 * C, *f, *add;
	char name[KF_TENSOR_NAME_SIZE];

	snprintf(name, sizeof(name), "MobilenetV1/Conv2d_%d_depthwise/depthwise_weights", i);
	if (!(dw = kf_weights_f32(w, name, 4, (const int[]){ 3, 3, C, 1 }, err)))
		return KF_E_FORMAT;
	for (int j = 0; j < 4; j++) {
		snprintf(name, sizeof(name), "MobilenetV1/Conv2d_%d_depthwise/BatchNorm/%s", i, bn[j]);
		if (!(p[j] = kf_weights_f32(w, name, 1, (const int[]){ C }, err)))
			return KF_E_FORMAT;
	}
	/* bn(x) = x*f + add, folded into the filter and a bias */
	if (!(f = kf_malloc_array(2 * (size_t)C, sizeof(float))))
		return kf_err_set(err, KF_E_NOMEM, "out of memory");
	add = f + C;
	kf_nn_bn_factors(C, p[0], p[1], p[2], p[3], f, add);
	memcpy(wf, dw, 9 * (size_t)C * sizeof(float));
	memset(b, 0, (size_t)C * sizeof(float));
	kf_nn_fold_affine(wf, 9 * (size_t)C, C, b, f, add);
	kf_free(f);
	kf_tensor_init(&net->layer[i].dw, KF_F32, 1, C, 3, 3, wf);
	snprintf(name, sizeof(name), "MobilenetV1/Conv2d_%d_depthwise (folded)", i);
	kf_tensor_set_name(&net->layer[i].dw, name);
	net->layer[i].dw_b = b;
	*mem = b + C;
	return KF_OK;
}

/* Pack every conv filter once (34 convs, 22 MB), so forward does not. */
static int pack_all(struct kf_ssd *net, struct kf_err *err)
{
	struct ssd_conv *all[34];
	size_t total = 0;
	float *p;
	int n = 0;

	all[n++] = &net->conv0;
	for (int i = 1; i < 14; i++)
		all[n++] = &net->layer[i].pw;
	for (int i = 0; i < 8; i++)
		all[n++] = &net->pred[i];
	for (int i = 0; i < 6; i++) {
		all[n++] = &net->box[i];
		all[n++] = &net->cls[i];
	}
	assert(n == 34);
	for (int i = 0; i < n; i++) {
		const struct kf_tensor *w = all[i]->w;

		total += kf_gemm_packed_size((int)(w->ne[3] * w->ne[2] * w->ne[1]), (int)w->ne[0]);
	}
	if (!(net->packed = p = kf_aligned_alloc(64, total * sizeof(float))))
		return kf_err_set(err, KF_E_NOMEM, "out of memory");
	for (int i = 0; i < n; i++) {
		const struct kf_tensor *w = all[i]->w;
		int K = (int)(w->ne[3] * w->ne[2] * w->ne[1]), N = (int)w->ne[0];

		kf_gemm_pack_b(K, N, w->data, N, p);
		all[i]->packed = p;
		p += kf_gemm_packed_size(K, N);
	}
	return KF_OK;
}

int kf_ssd_load(struct kf_ssd **out, const char *model_dir, struct kf_err *err)
{
	struct kf_ssd *net;
	char name[KF_TENSOR_NAME_SIZE];
	size_t n_fold = 0;
	float *mem;
	int rc, cin;

	*out = NULL;
	if (!(net = kf_calloc(1, sizeof(*net))))
		return kf_err_set(err, KF_E_NOMEM, "out of memory");
	if ((rc = kf_weights_load(&net->w, model_dir, SSD_MODEL, 0, err)) < 0)
		goto fail;
	for (int i = 1; i < 14; i++)
		n_fold += 10 * (size_t)mb_ch[i - 1];
	rc = KF_E_NOMEM;
	if (!(net->folded = kf_aligned_alloc(64, n_fold * sizeof(float)))) {
		kf_err_set(err, KF_E_NOMEM, "out of memory");
		goto fail;
	}
	rc = KF_E_FORMAT;
	if (get_conv(&net->conv0, net->w, "MobilenetV1/Conv2d_0_pointwise", "weights",
		     "convolution_bn_offset", 3, 3, mb_ch[0], err) < 0)
		goto fail;
	mem = net->folded;
	for (int i = 1; i < 14; i++) {
		if ((rc = load_depthwise(net, i, &mem, err)) < 0)
			goto fail;
		rc = KF_E_FORMAT;
		snprintf(name, sizeof(name), "MobilenetV1/Conv2d_%d_pointwise", i);
		if (get_conv(&net->layer[i].pw, net->w, name, "weights", "convolution_bn_offset", 1,
			     mb_ch[i - 1], mb_ch[i], err) < 0)
			goto fail;
	}
	cin = mb_ch[13];
	for (int i = 0; i < 8; i++) {
		snprintf(name, sizeof(name), "Prediction/Conv2d_%d_pointwise", i);
		if (get_conv(&net->pred[i], net->w, name, "weights", "convolution_bn_offset",
			     i % 2 ? 3 : 1, cin, pred_ch[i], err) < 0)
			goto fail;
		cin = pred_ch[i];
	}
	for (int i = 0; i < 6; i++) {
		int na = head_anchors[i];

		snprintf(name, sizeof(name), "Prediction/BoxPredictor_%d/BoxEncodingPredictor", i);
		if (get_conv(&net->box[i], net->w, name, "weights", "biases", 1, head_cin[i], na * 4,
			     err) < 0)
			goto fail;
		snprintf(name, sizeof(name), "Prediction/BoxPredictor_%d/ClassPredictor", i);
		if (get_conv(&net->cls[i], net->w, name, "weights", "biases", 1, head_cin[i], na * 3,
			     err) < 0)
			goto fail;
		snprintf(name, sizeof(name), "Prediction/BoxPredictor_%d/stack_1/1", i);
		if (check_i32(net->w, name, head_grid[i] * head_grid[i] * na, err) < 0)
			goto fail;
	}
	if (check_i32(net->w, "Postprocessor/stack/1", KF_SSD_ANCHORS, err) < 0 ||
	    !(net->anchors = kf_weights_f32(net->w, "Output/extra_dim", 3,
					    (const int[]){ 1, KF_SSD_ANCHORS, 4 }, err)))
		goto fail;
	for (int a = 0; a < KF_SSD_ANCHORS; a++) {
		const float *an = net->anchors + 4 * a;

		if (!isfinite(an[0]) || !isfinite(an[1]) || !(an[2] > an[0]) || !(an[3] > an[1]) ||
		    !isfinite(an[2]) || !isfinite(an[3])) {
			kf_err_set(err, KF_E_FORMAT, "'%s': tensor 'Output/extra_dim': anchor %d is not a box",
				   kf_weights_path(net->w), a);
			goto fail;
		}
	}
	if ((rc = pack_all(net, err)) < 0)
		goto fail;
	*out = net;
	return KF_OK;
fail:
	kf_ssd_free(net);
	return rc;
}

/* ---- forward ------------------------------------------------------------- */

#define STAGE(n, t) do { if (fn) fn(ctx, (n), (t)); } while (0)

/* Where the activations go. The chain of layers alternates between two
 * buffers as big as the largest activation (16 MB, conv_1_pointwise), so a
 * pass needs about 40 MB of arena instead of the 110 MB that one tensor per
 * stage would take; the six feature maps the box predictors read at the end
 * (3.3 MB) get their own arena space. */
struct acts {
	struct kf_arena *a;
	float *buf[2];
	size_t cap;			/* floats per buffer */
	int next;			/* the buffer not holding the newest activation */
	struct kf_tensor t[2];
};

/* The largest activation of the chain, in floats. */
static size_t chain_max(void)
{
	size_t m = (size_t)KF_SSD_INPUT * KF_SSD_INPUT * 3, s = KF_SSD_INPUT / 2;

	m = s * s * (size_t)mb_ch[0] > m ? s * s * (size_t)mb_ch[0] : m;
	for (int i = 1; i < 14; i++) {
		s = (s + (size_t)mb_stride[i] - 1) / (size_t)mb_stride[i];
		m = s * s * (size_t)mb_ch[i] > m ? s * s * (size_t)mb_ch[i] : m;
		m = s * s * (size_t)mb_ch[i - 1] > m ? s * s * (size_t)mb_ch[i - 1] : m;
	}
	return m;	/* the prediction convs are smaller than conv_13 */
}

static int acts_init(struct acts *s, struct kf_arena *a)
{
	s->a = a;
	s->cap = chain_max();
	s->next = 0;
	/* 16 MB apart, the two buffers would map the same offsets to the same
	 * cache sets and 4 KB pages: the depthwise conv's stores would then alias
	 * its loads (4K aliasing; conv_7..11 ran 2x slower). 1088 bytes of slack
	 * keep them off 0 and 2 KB modulo 4 KB. */
	if (!(s->buf[0] = kf_arena_alloc_array(a, s->cap + 272, sizeof(float))) ||
	    !(s->buf[1] = kf_arena_alloc_array(a, s->cap, sizeof(float))))
		return KF_E_NOMEM;
	return KF_OK;
}

/* A [1,h,w,c] activation: in the next ping-pong buffer, or (keep) in the arena
 * for the whole pass. NULL when the arena cannot grow. */
static struct kf_tensor *act_new(struct acts *s, bool keep, int h, int w, int64_t c)
{
	struct kf_tensor *t;

	if (keep)
		return kf_tensor_nhwc(s->a, 1, h, w, c);
	assert((size_t)h * (size_t)w * (size_t)c <= s->cap);
	t = &s->t[s->next];
	kf_tensor_init(t, KF_F32, c, w, h, 1, s->buf[s->next]);
	s->next ^= 1;
	return t;
}

/* relu6(conv(src) + bias), TF 'same' padding. */
static struct kf_tensor *conv(struct acts *s, const struct kf_tensor *src,
			      const struct ssd_conv *c, int stride, bool keep)
{
	const struct kf_conv_params p = { stride, KF_PAD_SAME, 0, 0, 0, 0, KF_ACT_RELU6 };
	int lo, hi, oh, ow;
	struct kf_tensor *dst;

	oh = kf_nn_out_size((int)src->ne[2], (int)c->w->ne[3], stride, KF_PAD_SAME, 0, 0, &lo, &hi);
	ow = kf_nn_out_size((int)src->ne[1], (int)c->w->ne[2], stride, KF_PAD_SAME, 0, 0, &lo, &hi);
	if (!(dst = act_new(s, keep, oh, ow, c->w->ne[0])) ||
	    kf_nn_conv2d_packed(dst, src, c->w, c->packed, NULL, c->b, &p, s->a, 0, 1) < 0)
		return NULL;
	return dst;
}

/* relu6(depthwise(src) + folded batch norm) */
static struct kf_tensor *depthwise(struct acts *s, const struct kf_tensor *src,
				   const struct kf_tensor *w, const float *b, int stride)
{
	const struct kf_conv_params p = { stride, KF_PAD_SAME, 0, 0, 0, 0, KF_ACT_RELU6 };
	int lo, hi, oh, ow;
	struct kf_tensor *dst;

	oh = kf_nn_out_size((int)src->ne[2], 3, stride, KF_PAD_SAME, 0, 0, &lo, &hi);
	ow = kf_nn_out_size((int)src->ne[1], 3, stride, KF_PAD_SAME, 0, 0, &lo, &hi);
	if (!(dst = act_new(s, false, oh, ow, src->ne[0])))
		return NULL;
	kf_nn_depthwise(dst, src, w, b, &p, 0, 1);
	return dst;
}

/* face-api's decodeBoxesLayer, in the same float operations and order. */
static void decode_boxes(const float *anchors, const float *enc, float *boxes)
{
	for (int i = 0; i < KF_SSD_ANCHORS; i++) {
		const float *an = anchors + 4 * i, *t = enc + 4 * i;
		float ah = an[2] - an[0], aw = an[3] - an[1];
		float acy = an[0] + ah / 2.0f, acx = an[1] + aw / 2.0f;
		float hh = expf(t[2] / 5.0f) * ah / 2.0f, hw = expf(t[3] / 5.0f) * aw / 2.0f;
		float cy = t[0] / 10.0f * ah + acy, cx = t[1] / 10.0f * aw + acx;

		boxes[4 * i + 0] = cy - hh;
		boxes[4 * i + 1] = cx - hw;
		boxes[4 * i + 2] = cy + hh;
		boxes[4 * i + 3] = cx + hw;
	}
}

int kf_ssd_forward_stages(const struct kf_ssd *net, const float *in, float *boxes, float *scores,
			  struct kf_arena *scratch, kf_nn_stage_fn fn, void *ctx,
			  struct kf_err *err)
{
	const struct kf_conv_params head = { 1, KF_PAD_VALID, 0, 0, 0, 0, KF_ACT_NONE };
	struct kf_tensor *x, *feat[6], *enc, *logits, t;
	struct acts s;
	char name[40];
	int off = 0;

	if (acts_init(&s, scratch) < 0 || !(x = act_new(&s, false, KF_SSD_INPUT, KF_SSD_INPUT, 3)))
		goto nomem;
	kf_nn_normalize_scale(x->data, in, (size_t)KF_SSD_INPUT * KF_SSD_INPUT * 3, 127.5f, 1.0f);
	STAGE("input_normalized", x);
	if (!(x = conv(&s, x, &net->conv0, 2, false)))
		goto nomem;
	STAGE("conv_0", x);
	for (int i = 1; i < 14; i++) {
		if (!(x = depthwise(&s, x, &net->layer[i].dw, net->layer[i].dw_b, mb_stride[i])))
			goto nomem;
		snprintf(name, sizeof(name), "conv_%d_depthwise", i);
		STAGE(name, x);
		/* conv_11 and conv_13 feed box predictors 0 and 1 */
		if (!(x = conv(&s, x, &net->layer[i].pw, 1, i == 11 || i == 13)))
			goto nomem;
		snprintf(name, sizeof(name), "conv_%d_pointwise", i);
		STAGE(name, x);
		if (i == 11 || i == 13)
			feat[(i - 11) / 2] = x;
	}
	for (int i = 0; i < 8; i++) {
		/* the 3x3/2 ones feed box predictors 2..5 */
		if (!(x = conv(&s, x, &net->pred[i], i % 2 ? 2 : 1, i % 2)))
			goto nomem;
		snprintf(name, sizeof(name), "prediction_conv_%d", i);
		STAGE(name, x);
		if (i % 2)
			feat[2 + i / 2] = x;
	}

	/* the heads, each a view into the concatenated outputs */
	if (!(enc = kf_tensor_new(scratch, KF_F32, 4, 1, KF_SSD_ANCHORS, 1)) ||
	    !(logits = kf_tensor_new(scratch, KF_F32, 3, KF_SSD_ANCHORS, 1, 1)))
		goto nomem;
	for (int i = 0; i < 6; i++) {
		int na = head_anchors[i];
		const struct kf_tensor *f = feat[i];

		kf_tensor_init(&t, KF_F32, 4 * na, f->ne[1], f->ne[2], 1, (float *)enc->data + 4 * off);
		if (kf_nn_conv2d_packed(&t, f, net->box[i].w, net->box[i].packed, NULL, net->box[i].b, &head,
					scratch, 0, 1) < 0)
			goto nomem;
		snprintf(name, sizeof(name), "box_predictor_%d_box_encoding", i);
		STAGE(name, &t);
		kf_tensor_init(&t, KF_F32, 3 * na, f->ne[1], f->ne[2], 1, (float *)logits->data + 3 * off);
		if (kf_nn_conv2d_packed(&t, f, net->cls[i].w, net->cls[i].packed, NULL, net->cls[i].b, &head,
					scratch, 0, 1) < 0)
			goto nomem;
		snprintf(name, sizeof(name), "box_predictor_%d_class", i);
		STAGE(name, &t);
		off += (int)(f->ne[1] * f->ne[2]) * na;
	}
	assert(off == KF_SSD_ANCHORS);
	STAGE("box_predictions", enc);
	STAGE("class_predictions", logits);

	decode_boxes(net->anchors, enc->data, boxes);
	kf_tensor_init(&t, KF_F32, 4, KF_SSD_ANCHORS, 1, 1, boxes);
	STAGE("decoded_boxes", &t);
	for (int i = 0; i < KF_SSD_ANCHORS; i++)
		scores[i] = 1.0f / (1.0f + expf(-((const float *)logits->data)[3 * i + 1]));
	kf_tensor_init(&t, KF_F32, KF_SSD_ANCHORS, 1, 1, 1, scores);
	STAGE("scores", &t);
	return KF_OK;
nomem:
	return kf_err_set(err, KF_E_NOMEM, "ssd detector: out of memory");
}

int kf_ssd_forward(const struct kf_ssd *net, const float *in, float *boxes, float *scores,
		   struct kf_arena *scratch, struct kf_err *err)
{
	return kf_ssd_forward_stages(net, in, boxes, scores, scratch, NULL, NULL, err);
}
