/* nn_yunet.c: YuNet forward pass, streamed backbone, decoding and NMS (nn_yunet.h). */
#include "core/nn_yunet.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "core/weights.h"

#define N_DP 14		/* backbone DP blocks 0..10, neck lateral convs 11..13 */
#define HEAD_CH 16	/* cls, obj, box 4, landmarks 10 */
#define CHUNK 16	/* stride-2 rows the stem gives at a time (a multiple of 4) */

/* A 1x1 (or the stem's 3x3) conv with its filter packed for the GEMM: shape in f
 * (f.data NULL), packed, bias b (points into the weights). */
struct yn_conv {
	struct kf_tensor f;
	float *packed;
	const float *b;
};

/* Pointwise conv, then 3x3 depthwise (+ ReLU except in the heads). */
struct yn_dp {
	struct yn_conv pw;
	const struct kf_tensor *dw;
	const float *dw_b;
};

struct yn_head {
	struct yn_conv pw;		/* the four heads' pointwise convs as one 64->16 */
	float pw_w[64 * HEAD_CH], pw_b[HEAD_CH];
	struct kf_tensor dw;		/* their depthwise convs as one over 16 channels */
	float dw_w[9 * HEAD_CH], dw_b[HEAD_CH];
};

struct kf_yunet {
	struct kf_weights *w;
	struct yn_conv stem;
	struct yn_dp dp[N_DP];
	struct yn_head head[3];		/* stride 8, 16, 32 */
};

static const int dp_in[N_DP] = { 16, 16, 16, 32, 32, 64, 64, 64, 64, 64, 64, 64, 64, 64 };
static const int dp_out[N_DP] = { 16, 16, 32, 32, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64 };
/* The heads in the original's table order, and where each goes in the 16 channels. */
static const char *const head_name[4] = { "cls", "bbox", "obj", "kps" };
static const int head_ch[4] = { 1, 4, 1, 10 }, head_at[4] = { 0, 2, 1, 6 };

void kf_yunet_free(struct kf_yunet *net)
{
	if (!net)
		return;
	kf_free(net->stem.packed);
	for (int i = 0; i < N_DP; i++)
		kf_free(net->dp[i].pw.packed);
	for (int i = 0; i < 3; i++)
		kf_free(net->head[i].pw.packed);
	kf_weights_free(net->w);
	kf_free(net);
}

static int pack_conv(struct yn_conv *c, const float *w, const float *b, int k, int cin, int cout)
{
	int K = k * k * cin;

	kf_tensor_init(&c->f, KF_F32, cout, cin, k, k, NULL);
	c->b = b;
	if (!(c->packed = kf_aligned_alloc(64, (kf_gemm_packed_size(K, cout) + 1) * sizeof(float))))
		return KF_E_NOMEM;
	kf_gemm_pack_b(K, cout, w, cout, c->packed);
	return KF_OK;
}

/* The weight and bias of the original's layer `name` (without _weight/_bias). */
static int get_layer(const struct kf_weights *w, const char *name, int k, int cin, int cout,
		     int depthwise, const struct kf_tensor **t, const float **b, struct kf_err *err)
{
	char n[KF_TENSOR_NAME_SIZE];

	snprintf(n, sizeof(n), "%s_weight", name);
	*t = depthwise ? kf_weights_get(w, n, 4, (const int[]){ 3, 3, cout, 1 }, err)
		       : kf_weights_get(w, n, 4, (const int[]){ k, k, cin, cout }, err);
	snprintf(n, sizeof(n), "%s_bias", name);
	if (!*t || !(*b = kf_weights_f32(w, n, 1, (const int[]){ cout }, err)))
		return KF_E_FORMAT;
	return KF_OK;
}

static int load_dp(struct kf_yunet *net, int i, const char *prefix, struct kf_err *err)
{
	const struct kf_tensor *pw;
	const float *pw_b;
	char n[80];
	int rc;

	snprintf(n, sizeof(n), "%s_pw", prefix);
	if ((rc = get_layer(net->w, n, 1, dp_in[i], dp_out[i], 0, &pw, &pw_b, err)) < 0)
		return rc;
	snprintf(n, sizeof(n), "%s_dw", prefix);
	if ((rc = get_layer(net->w, n, 3, dp_out[i], dp_out[i], 1, &net->dp[i].dw,
			    &net->dp[i].dw_b, err)) < 0)
		return rc;
	if (pack_conv(&net->dp[i].pw, pw->data, pw_b, 1, dp_in[i], dp_out[i]) < 0)
		return kf_err_set(err, KF_E_NOMEM, "out of memory");
	return KF_OK;
}

static int load_head(struct kf_yunet *net, int level, struct kf_err *err)
{
	struct yn_head *h = &net->head[level];
	char n[64];
	int rc;

	for (int k = 0; k < 4; k++) {
		const struct kf_tensor *pw, *dw;
		const float *pw_b, *dw_b;
		int nc = head_ch[k], at = head_at[k];

		snprintf(n, sizeof(n), "bbox_head__multi_level_%s__%d_pw", head_name[k], level);
		if ((rc = get_layer(net->w, n, 1, 64, nc, 0, &pw, &pw_b, err)) < 0)
			return rc;
		snprintf(n, sizeof(n), "bbox_head__multi_level_%s__%d_dw", head_name[k], level);
		if ((rc = get_layer(net->w, n, 3, nc, nc, 1, &dw, &dw_b, err)) < 0)
			return rc;
		for (int c = 0; c < nc; c++) {
			for (int i = 0; i < 64; i++)
				h->pw_w[i * HEAD_CH + at + c] = ((const float *)pw->data)[i * nc + c];
			for (int t = 0; t < 9; t++)
				h->dw_w[t * HEAD_CH + at + c] = ((const float *)dw->data)[t * nc + c];
			h->pw_b[at + c] = pw_b[c];
			h->dw_b[at + c] = dw_b[c];
		}
	}
	kf_tensor_init(&h->dw, KF_F32, 1, HEAD_CH, 3, 3, h->dw_w);
	if (pack_conv(&h->pw, h->pw_w, h->pw_b, 1, 64, HEAD_CH) < 0)
		return kf_err_set(err, KF_E_NOMEM, "out of memory");
	return KF_OK;
}

int kf_yunet_load(struct kf_yunet **out, const char *model_dir, struct kf_err *err)
{
	struct kf_yunet *net;
	const struct kf_tensor *stem;
	const float *stem_b;
	float stem_w[27 * 16];
	char n[64];
	int rc;

	*out = NULL;
	if (!(net = kf_calloc(1, sizeof(*net))))
		return kf_err_set(err, KF_E_NOMEM, "out of memory");
	if ((rc = kf_weights_load(&net->w, model_dir, KF_YUNET_MODEL, 0, err)) < 0)
		goto fail;
	if ((rc = get_layer(net->w, "backbone__model0_pw", 3, 3, 16, 0, &stem, &stem_b, err)) < 0)
		goto fail;
	/* the stem's filter kx-major (stem_rows): [kx][ky][c][out] */
	for (int ky = 0; ky < 3; ky++)
		for (int kx = 0; kx < 3; kx++)
			memcpy(stem_w + (kx * 3 + ky) * 3 * 16,
			       (const float *)stem->data + (ky * 3 + kx) * 3 * 16, 3 * 16 * sizeof(float));
	if (pack_conv(&net->stem, stem_w, stem_b, 3, 3, 16) < 0)
		goto nomem;
	for (int i = 0; i < N_DP; i++) {
		if (i == 0)
			snprintf(n, sizeof(n), "backbone__model0_dp");
		else if (i <= 10)
			snprintf(n, sizeof(n), "backbone__model%d_dp%d", (i + 1) / 2, 2 - i % 2);
		else
			snprintf(n, sizeof(n), "neck__lateral_convs__%d", i - 11);
		if ((rc = load_dp(net, i, n, err)) < 0)
			goto fail;
	}
	for (int l = 0; l < 3; l++)
		if ((rc = load_head(net, l, err)) < 0)
			goto fail;
	*out = net;
	return KF_OK;
nomem:
	rc = kf_err_set(err, KF_E_NOMEM, "out of memory");
fail:
	kf_yunet_free(net);
	return rc;
}

/* ---- layers on row ranges ---------------------------------------------- */

/* Rows [lo, hi) of a layer whose whole output has `full` rows, in t. */
struct rows {
	struct kf_tensor t;
	int lo, hi, full;
};

static void rows_init(struct rows *r, float *data, int lo, int hi, int full, int w, int c)
{
	kf_tensor_init(&r->t, KF_F32, c, w, hi - lo, 1, data);
	r->lo = lo;
	r->hi = hi;
	r->full = full;
}

static int pw_rows(const struct yn_conv *c, const struct rows *in, float *buf, struct rows *out,
		   struct kf_arena *scratch)
{
	const struct kf_conv_params p = { 1, KF_PAD_VALID, 0, 0, 0, 0, KF_ACT_NONE };

	rows_init(out, buf, in->lo, in->hi, in->full, (int)in->t.ne[1], (int)c->f.ne[0]);
	return kf_nn_conv2d_packed(&out->t, &in->t, &c->f, c->packed, NULL, c->b, &p, scratch, 0, 1);
}

/* A 3x3 depthwise conv on rows [lo, hi) gives rows [lo + 1, hi - 1), or from
 * row 0 with pt (lo is 0: zero padding above), down to the last row where the
 * range reaches the layer's bottom (zero padding below). */
static void dw_rows(const struct kf_tensor *w, const float *b, enum kf_act act,
		    const struct rows *in, int pt, float *buf, struct rows *out)
{
	int pb = in->hi == in->full;
	const struct kf_conv_params p = { 1, KF_PAD_EXPLICIT, pt, pb, 1, 1, act };

	assert(in->hi - in->lo + pt + pb >= 3);
	rows_init(out, buf, in->lo + 1 - pt, in->hi - 1 + pb, in->full, (int)in->t.ne[1],
		  (int)in->t.ne[0]);
	kf_nn_depthwise(&out->t, &in->t, w, b, &p, 0, 1);
}

/* A DP block fed its input a few rows at a time, top to bottom (the
 * backbone up to stride 8: nothing of it is held whole). t keeps the
 * pointwise output of the rows [a, b) that the depthwise rows from `done` on
 * still need: the two above them, or the first rows until they make a
 * window. */
struct dp_stage {
	const struct yn_conv *pw;
	const struct kf_tensor *dw;
	const float *dw_b;
	enum kf_act act;	/* after the depthwise conv */
	float *t, *o;		/* pointwise and depthwise rows, cap each */
	int a, b, done, cap;
};

/* Feed x (rows [x->lo, x->hi), x->lo == the rows fed so far); out gets the
 * depthwise rows now complete (in s->o; maybe none), down to the last one
 * once x reaches the bottom: they end a row above x, or at the bottom. The
 * same sums as the whole layer. */
static int dp_push(struct dp_stage *s, const struct rows *x, struct rows *out,
		   struct kf_arena *scratch)
{
	int w = (int)x->t.ne[1], cout = (int)s->pw->f.ne[0], rc;
	int a = s->done > 0 ? s->done - 1 : 0;
	size_t row = (size_t)w * (size_t)cout;
	struct rows y;

	assert(x->lo == s->b && a >= s->a && s->b - a + x->hi - x->lo <= s->cap);
	memmove(s->t, s->t + (size_t)(a - s->a) * row, (size_t)(s->b - a) * row * sizeof(float));
	if ((rc = pw_rows(s->pw, x, s->t + (size_t)(s->b - a) * row, &y, scratch)) < 0)
		return rc;
	s->a = a;
	s->b = x->hi;
	if (s->b - a + (s->done == 0) + (s->b == x->full) < 3) {	/* no window yet */
		rows_init(out, s->o, s->done, s->done, x->full, w, cout);
		return KF_OK;
	}
	rows_init(&y, s->t, a, s->b, x->full, w, cout);
	dw_rows(s->dw, s->dw_b, s->act, &y, s->done == 0, s->o, out);
	assert(out->lo == s->done);
	s->done = out->hi;
	return KF_OK;
}

/* Max pool 2x2 stride 2: rows [lo, hi) give the whole pairs they hold. */
static void pool_rows(const struct rows *in, float *buf, struct rows *out)
{
	int lo = (in->lo + 1) / 2, hi = in->hi / 2;
	int64_t w = in->t.ne[1], c = in->t.ne[0];
	struct kf_tensor src;

	assert(hi > lo);
	kf_tensor_init(&src, KF_F32, c, w, 2 * (hi - lo), 1,
		       (float *)in->t.data + (size_t)(2 * lo - in->lo) * (size_t)(w * c));
	rows_init(out, buf, lo, hi, in->full / 2, (int)w / 2, (int)c);
	kf_nn_maxpool(&out->t, &src, 2, 2, KF_PAD_VALID, 0, 1);
}

/* The stem on stride-2 rows [a, b): a 3x3 stride-2 conv of the RGB image (w x h,
 * zero beyond it) for output columns [0, wp/2). For each output row, its three
 * input rows go side by side into s, 9 floats a column (row, then channel;
 * column j is image column j - 1), so a window's 27 inputs are contiguous and
 * the GEMM reads them in place, every other column (the filter is packed in
 * that order: net->stem, kx-major). s holds 9 x (wp + 1) floats. */
static void stem_rows(const struct kf_yunet *net, const uint8_t *rgb, int w, int h, size_t stride,
		      int wp, int hp, int a, int b, float *s, float *buf, struct rows *out)
{
	int w2 = wp / 2, cols = wp + 1;

	rows_init(out, buf, a, b, hp / 2, w2, 16);
	for (int oy = a; oy < b; oy++) {
		for (int ky = 0; ky < 3; ky++) {
			int y = 2 * oy - 1 + ky, j = 1;
			float *d = s + ky * 3;

			if (y >= 0 && y < h) {
				const uint8_t *r = rgb + (size_t)y * stride;

				for (; j <= w; j++, r += 3) {
					d[(size_t)j * 9] = (float)r[0];
					d[(size_t)j * 9 + 1] = (float)r[1];
					d[(size_t)j * 9 + 2] = (float)r[2];
				}
			}
			d[0] = d[1] = d[2] = 0.0f;	/* column 0, and right of the image */
			for (; j < cols; j++)
				d[(size_t)j * 9] = d[(size_t)j * 9 + 1] = d[(size_t)j * 9 + 2] = 0.0f;
		}
		kf_gemm_packed(w2, 16, 27, s, 18, net->stem.packed,
			       buf + (size_t)(oy - a) * (size_t)w2 * 16, 16, net->stem.b, KF_ACT_RELU);
	}
}

static int chunk_override;

void kf_yunet_set_chunk_rows(int rows)
{
	chunk_override = rows > 0 ? rows : 0;
}

/* fb1, the backbone's stride-8 output (dp6's, 64 channels, whole), from the
 * image, streamed: the stem gives CHUNK stride-2 rows at a time, and each
 * layer after it passes on the rows it can finish (dp_push), so the layers
 * up to dp6 hold a few rows each, in cache, and compute every row once; dp6
 * writes into fb1. The stem's windows end at rows 4k + 1, so the rows
 * reaching each 2x2 pool end on an even row (each DP block's output ends a
 * row above its input's; the first pool halves it). */
static int backbone_fb1(const struct kf_yunet *net, const uint8_t *rgb, int w, int h,
			size_t stride, int wp, int hp, struct kf_tensor *fb1,
			struct kf_arena *scratch)
{
	int h2 = hp / 2, w2 = wp / 2, step = chunk_override ? 4 * chunk_override : CHUNK;
	struct kf_arena_mark mark = kf_arena_mark(scratch);
	struct dp_stage dp[7];
	float *stem, *x2, *x4, *x8;
	size_t row8 = (size_t)(w2 / 4) * 64;
	int cap[3], rc = KF_OK;

	step = step > h2 ? (h2 + 3) / 4 * 4 : step;
	/* rows a stage holds at most, by stride: 2 kept, the most it gets at a
	 * time (the stem's first window, halved by each pool, a row more from
	 * each block at the bottom) */
	cap[0] = step + 4;
	cap[1] = step / 2 + 8;
	cap[2] = step / 4 + 12;
	if (!(stem = kf_arena_alloc_array(scratch, (size_t)(wp + 1) * 9, sizeof(float))) ||
	    !(x2 = kf_arena_alloc_array(scratch, (size_t)cap[0] * w2 * 16, sizeof(float))) ||
	    !(x4 = kf_arena_alloc_array(scratch, (size_t)cap[1] * (w2 / 2) * 16, sizeof(float))) ||
	    !(x8 = kf_arena_alloc_array(scratch, (size_t)cap[2] * row8, sizeof(float))))
		return KF_E_NOMEM;
	for (int i = 0; i < 7; i++) {
		int lv = i == 0 ? 0 : i <= 4 ? 1 : 2;	/* stride 2, 4, 8 */
		size_t n = (size_t)cap[lv] * (size_t)(w2 >> lv) * (size_t)dp_out[i];

		const struct yn_dp *d = &net->dp[i];

		dp[i] = (struct dp_stage){ &d->pw, d->dw, d->dw_b, KF_ACT_RELU, NULL, NULL, 0, 0, 0,
					   cap[lv] };
		if (!(dp[i].t = kf_arena_alloc_array(scratch, n, sizeof(float))) ||
		    (i < 6 && !(dp[i].o = kf_arena_alloc_array(scratch, n, sizeof(float)))))
			return KF_E_NOMEM;
	}
	for (int a = 0, b; a < h2 && rc >= 0; a = b) {
		struct rows x, y;
		int i;

		b = a ? a + step : step + 1;
		b = b < h2 ? b : h2;
		stem_rows(net, rgb, w, h, stride, wp, hp, a, b, stem, x2, &x);
		for (i = 0; i < 7; i++) {
			if (i == 1 || i == 5) {	/* the 2x2 pools before dp1 and dp5 */
				assert(x.lo % 2 == 0 && x.hi % 2 == 0);
				pool_rows(&x, i == 1 ? x4 : x8, &y);
				x = y;
			}
			if (i == 6)	/* the last block writes into fb1 */
				dp[6].o = (float *)fb1->data + (size_t)dp[6].done * row8;
			if ((rc = dp_push(&dp[i], &x, &y, scratch)) < 0 || y.hi == y.lo)
				break;
			x = y;
		}
	}
	assert(rc < 0 || dp[6].done == hp / 8);
	kf_arena_rewind(scratch, mark);
	return rc;
}

/* ---- whole tensors (stride 8 and coarser) ------------------------------- */

/* DP on a whole tensor, streamed as the backbone is (dp_push, CHUNK rows at
 * a time), so no whole pointwise output is ever held; the depthwise output
 * goes to `into` when given (it may be x itself: a row is written only once
 * the pointwise conv has read it, and the block does not widen the rows). */
static struct kf_tensor *dp_whole(const struct yn_conv *pw, const struct kf_tensor *dw,
				  const float *dw_b, enum kf_act act, struct kf_tensor *x,
				  struct kf_tensor *into, struct kf_arena *scratch)
{
	int h = (int)x->ne[2], w = (int)x->ne[1], cin = (int)x->ne[0], c = (int)pw->f.ne[0];
	struct kf_tensor *out = into && into->ne[0] == c ? into : kf_tensor_nhwc(scratch, 1, h, w, c);
	struct kf_arena_mark mark = kf_arena_mark(scratch);
	struct dp_stage s = { pw, dw, dw_b, act, NULL, NULL, 0, 0, 0, CHUNK + 3 };
	int rc = KF_OK;

	assert(out != x || c <= cin);
	if (!out || !(s.t = kf_arena_alloc_array(scratch, (size_t)s.cap * w * c, sizeof(float))))
		return NULL;
	for (int lo = 0; lo < h && rc == KF_OK; lo += CHUNK) {
		struct rows in, y;

		rows_init(&in, (float *)x->data + (size_t)lo * w * cin, lo, lo + CHUNK < h ? lo + CHUNK : h,
			  h, w, cin);
		s.o = (float *)out->data + (size_t)s.done * w * c;
		rc = dp_push(&s, &in, &y, scratch);
	}
	assert(rc < 0 || s.done == h);
	kf_arena_rewind(scratch, mark);
	return rc < 0 ? NULL : out;
}

static struct kf_tensor *pool_whole(const struct kf_tensor *x, struct kf_arena *scratch)
{
	struct kf_tensor *y = kf_tensor_nhwc(scratch, 1, x->ne[2] / 2, x->ne[1] / 2, x->ne[0]);

	if (y)
		kf_nn_maxpool(y, x, 2, 2, KF_PAD_VALID, 0, 1);
	return y;
}

/* Two DP blocks of 64 channels on x, in place (x is the result). */
static struct kf_tensor *dp2_whole(const struct kf_yunet *net, int i, struct kf_tensor *x,
				   struct kf_arena *scratch)
{
	const struct yn_dp *a = &net->dp[i], *b = &net->dp[i + 1];

	if (!(x = dp_whole(&a->pw, a->dw, a->dw_b, KF_ACT_RELU, x, x, scratch)))
		return NULL;
	return dp_whole(&b->pw, b->dw, b->dw_b, KF_ACT_RELU, x, x, scratch);
}

/* ---- decoding ----------------------------------------------------------- */

struct cand {
	struct kf_yunet_face f;
	int order;
};

static float sigmoid(float v)
{
	v = v < -88.3762626647949f ? -88.3762626647949f : v > 88.3762626647949f ? 88.3762626647949f : v;
	return 1.0f / (1.0f + expf(-v));
}

static int cand_cmp(const void *pa, const void *pb)
{
	const struct cand *a = pa, *b = pb;

	if (a->f.score != b->f.score)
		return a->f.score > b->f.score ? -1 : 1;
	return a->order - b->order;
}

static float iou(const struct kf_yunet_face *a, const struct kf_yunet_face *b)
{
	float iw = fminf(a->x1, b->x1) - fmaxf(a->x0, b->x0);
	float ih = fminf(a->y1, b->y1) - fmaxf(a->y0, b->y0);
	float inter, ua;

	if (iw <= 0.0f || ih <= 0.0f)
		return 0.0f;
	inter = iw * ih;
	ua = (a->x1 - a->x0) * (a->y1 - a->y0) + (b->x1 - b->x0) * (b->y1 - b->y0) - inter;
	return inter / ua;
}

static size_t decode_level(const struct kf_tensor *head, int s, float min_score,
			   struct cand *c, size_t n)
{
	const float *p = head->data;
	float fs = (float)s;

	for (int r = 0; r < head->ne[2]; r++)
		for (int col = 0; col < head->ne[1]; col++, p += HEAD_CH) {
			float score = sqrtf(sigmoid(p[0]) * sigmoid(p[1]));
			float px = (float)(col * s), py = (float)(r * s), cx, cy, bw, bh;
			struct kf_yunet_face *f = &c[n].f;

			if (!(score >= min_score))
				continue;
			cx = p[2] * fs + px;
			cy = p[3] * fs + py;
			bw = expf(p[4]) * fs;
			bh = expf(p[5]) * fs;
			f->x0 = cx - bw / 2.0f;
			f->y0 = cy - bh / 2.0f;
			f->x1 = cx + bw / 2.0f;
			f->y1 = cy + bh / 2.0f;
			f->score = score;
			for (int k = 0; k < 5; k++) {
				f->lm[2 * k] = p[6 + 2 * k] * fs + px;
				f->lm[2 * k + 1] = p[7 + 2 * k] * fs + py;
			}
			c[n].order = (int)n;
			n++;
		}
	return n;
}

static int decode(struct kf_tensor *const heads[3], float min_score, float nms_iou,
		  struct kf_yunet_face **out, size_t *n_out, struct kf_arena *scratch)
{
	size_t cells = 0, n = 0, kept = 0;
	struct cand *c;
	struct kf_yunet_face *f;

	for (int l = 0; l < 3; l++)
		cells += (size_t)(heads[l]->ne[1] * heads[l]->ne[2]);
	if (!(c = kf_arena_alloc_array(scratch, cells, sizeof(*c))))
		return KF_E_NOMEM;
	for (int l = 0; l < 3; l++)
		n = decode_level(heads[l], 8 << l, min_score, c, n);
	qsort(c, n, sizeof(*c), cand_cmp);
	if (n > KF_YUNET_TOP_K)
		n = KF_YUNET_TOP_K;
	if (!n)
		return KF_OK;
	if (!(f = kf_malloc(n * sizeof(*f))))
		return KF_E_NOMEM;
	for (size_t i = 0; i < n && kept < KF_YUNET_MAX_FACES; i++) {
		int keep = 1;

		for (size_t k = 0; k < kept && keep; k++)
			keep = iou(&c[i].f, &f[k]) <= nms_iou;
		if (keep)
			f[kept++] = c[i].f;
	}
	*out = f;
	*n_out = kept;
	return KF_OK;
}

/* ---- the whole pass ----------------------------------------------------- */

#define STAGE(name, t) do { if (fn) fn(ctx, (name), (t)); } while (0)

static struct kf_tensor *head_whole(const struct yn_head *h, struct kf_tensor *x,
				    struct kf_arena *scratch)
{
	return dp_whole(&h->pw, &h->dw, h->dw_b, KF_ACT_NONE, x, NULL, scratch);
}

int kf_yunet_detect_stages(const struct kf_yunet *net, const uint8_t *rgb, int w, int h,
			   size_t stride, float min_score, float nms_iou,
			   struct kf_yunet_face **out, size_t *n, struct kf_arena *scratch,
			   kf_nn_stage_fn fn, void *ctx, struct kf_err *err)
{
	int wp = (w + 31) / 32 * 32, hp = (h + 31) / 32 * 32, rc;
	struct kf_tensor *fb1, *fb2, *fb3, *heads[3];

	*out = NULL;
	*n = 0;
	if (w < 1 || h < 1 || w > KF_YUNET_MAX_SIDE || h > KF_YUNET_MAX_SIDE)
		return kf_err_set(err, KF_E_INVALID, "yunet: image size %dx%d is outside 1..%d",
				  w, h, KF_YUNET_MAX_SIDE);
	if (!(fb1 = kf_tensor_nhwc(scratch, 1, hp / 8, wp / 8, 64)))
		goto nomem;
	if ((rc = backbone_fb1(net, rgb, w, h, stride, wp, hp, fb1, scratch)) < 0)
		goto nomem;
	STAGE("fb1", fb1);
	if (!(fb2 = pool_whole(fb1, scratch)) || !(fb2 = dp2_whole(net, 7, fb2, scratch)))
		goto nomem;
	STAGE("fb2", fb2);
	if (!(fb3 = pool_whole(fb2, scratch)) || !(fb3 = dp2_whole(net, 9, fb3, scratch)))
		goto nomem;
	STAGE("fb3", fb3);

	/* neck and heads, coarse to fine */
	if (!(fb3 = dp_whole(&net->dp[13].pw, net->dp[13].dw, net->dp[13].dw_b, KF_ACT_RELU,
			     fb3, fb3, scratch)) ||
	    !(heads[2] = head_whole(&net->head[2], fb3, scratch)))
		goto nomem;
	kf_nn_add_upsample2x(fb2, fb3);
	if (!(fb2 = dp_whole(&net->dp[12].pw, net->dp[12].dw, net->dp[12].dw_b, KF_ACT_RELU,
			     fb2, fb2, scratch)) ||
	    !(heads[1] = head_whole(&net->head[1], fb2, scratch)))
		goto nomem;
	kf_nn_add_upsample2x(fb1, fb2);
	if (!(fb1 = dp_whole(&net->dp[11].pw, net->dp[11].dw, net->dp[11].dw_b, KF_ACT_RELU,
			     fb1, fb1, scratch)) ||
	    !(heads[0] = head_whole(&net->head[0], fb1, scratch)))
		goto nomem;
	STAGE("head8", heads[0]);
	STAGE("head16", heads[1]);
	STAGE("head32", heads[2]);
	if (decode(heads, min_score, nms_iou, out, n, scratch) < 0)
		goto nomem;
	return KF_OK;
nomem:
	return kf_err_set(err, KF_E_NOMEM, "yunet: out of memory on a %dx%d image", w, h);
}

int kf_yunet_detect(const struct kf_yunet *net, const uint8_t *rgb, int w, int h, size_t stride,
		    float min_score, float nms_iou, struct kf_yunet_face **out, size_t *n,
		    struct kf_arena *scratch, struct kf_err *err)
{
	return kf_yunet_detect_stages(net, rgb, w, h, stride, min_score, nms_iou, out, n,
				      scratch, NULL, NULL, err);
}
