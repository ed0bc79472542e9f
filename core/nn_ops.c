/* nn_ops.c: conv2d (im2col + GEMM, or in place), pooling, element-wise ops,
 * fully connected, input normalisation and weight folding (nn_ops.h). The
 * depthwise convolution is in nn_depthwise.c, the GEMM and its kernels in
 * nn_gemm.c and nn_gemm_q8.c. */
#include "core/nn_ops.h"

#include <assert.h>
#include <math.h>
#include <string.h>

#include "core/arena.h"
#include "core/clones.h"
#include "core/err.h"
#include "core/nn_gemm_q8.h"
#include "core/nn_window.h"

int kf_nn_out_size(int in, int k, int stride, enum kf_pad pad, int exp_lo, int exp_hi,
		   int *lo, int *hi)
{
	int out, total;

	assert(stride >= 1 && k >= 1);
	switch (pad) {
	case KF_PAD_SAME:
		out = (in + stride - 1) / stride;
		total = (out - 1) * stride + k - in;
		if (total < 0)
			total = 0;
		*lo = total / 2;
		*hi = total - *lo;
		return out;
	case KF_PAD_EXPLICIT:
		*lo = exp_lo;
		*hi = exp_hi;
		break;
	case KF_PAD_VALID:
	default:
		*lo = *hi = 0;
		break;
	}
	in += *lo + *hi;
	return in < k ? 0 : (in - k) / stride + 1;
}

void kf_nn_window_geom(struct kf_nn_geom *g, const struct kf_tensor *dst,
		       const struct kf_tensor *src, int kh, int kw, int stride, enum kf_pad pad,
		       int pt, int pb, int pl, int pr)
{
	g->C = (int)src->ne[0];
	g->W = (int)src->ne[1];
	g->H = (int)src->ne[2];
	g->N = (int)src->ne[3];
	g->kh = kh;
	g->kw = kw;
	g->s = stride;
	g->OH = kf_nn_out_size(g->H, kh, stride, pad, pt, pb, &g->pt, &g->pb);
	g->OW = kf_nn_out_size(g->W, kw, stride, pad, pl, pr, &g->pl, &g->pr);
	g->CO = (int)dst->ne[0];
	assert(src->type == KF_F32 && dst->type == KF_F32);
	assert(g->OH >= 1 && g->OW >= 1);
	assert(dst->ne[1] == g->OW && dst->ne[2] == g->OH && dst->ne[3] == g->N);
	assert(kf_tensor_is_contiguous(dst));
}

/* ---- conv2d -------------------------------------------------------------- */

static void conv_geom(struct kf_nn_geom *g, const struct kf_tensor *dst, const struct kf_tensor *src,
		      const struct kf_tensor *w, const struct kf_conv_params *p)
{
	kf_nn_window_geom(g, dst, src, (int)w->ne[3], (int)w->ne[2], p->stride, p->pad, p->pad_t,
		    p->pad_b, p->pad_l, p->pad_r);
	assert(w->type == KF_F32 && kf_tensor_is_contiguous(w));
	assert(w->ne[1] == g->C && w->ne[0] == g->CO);
}

/* One im2col row: the kh*kw*C inputs of output pixel q, zeros for padding. */
static void im2col_row(const struct kf_nn_geom *g, const struct kf_tensor *src, int64_t q, float *row)
{
	int64_t hw = (int64_t)g->OH * g->OW;
	int n = (int)(q / hw), oy = (int)(q % hw / g->OW), ox = (int)(q % g->OW);
	bool dense = src->nb[0] == sizeof(float);
	/* pixels of a source row back to back: a window row inside the image is
	 * one copy (SSD conv_0 has C = 3: one 36-byte copy instead of three 12-byte ones) */
	bool packed_x = dense && src->nb[1] == (size_t)g->C * sizeof(float);
	int ix0 = ox * g->s - g->pl;

	for (int ky = 0; ky < g->kh; ky++) {
		int iy = oy * g->s - g->pt + ky;

		if (packed_x && iy >= 0 && iy < g->H && ix0 >= 0 && ix0 + g->kw <= g->W) {
			memcpy(row, kf_nn_px(src, n, iy, ix0), (size_t)g->kw * (size_t)g->C * sizeof(float));
			row += g->kw * g->C;
			continue;
		}
		for (int kx = 0; kx < g->kw; kx++, row += g->C) {
			int ix = ox * g->s - g->pl + kx;

			if (iy < 0 || iy >= g->H || ix < 0 || ix >= g->W)
				memset(row, 0, (size_t)g->C * sizeof(float));
			else if (dense)
				memcpy(row, kf_nn_px(src, n, iy, ix), (size_t)g->C * sizeof(float));
			else
				for (int c = 0; c < g->C; c++)
					row[c] = kf_nn_src_at(src, n, iy, ix, c);
		}
	}
}

/* A convolution without im2col: each window row is contiguous in the input,
 * or is made so by a copy of the input with its left and right padding; the
 * GEMM then reads the window rows in place, one filter row a slice
 * (kf_gemm_packed_sum), and rows above or below the input read a row of zeros.
 * Output rows [r0, r1). */
static int conv_in_place(const struct kf_nn_geom *g, const struct kf_tensor *src, const float *packed,
			 const float *bias, enum kf_act act, float *out, int64_t r0, int64_t r1,
			 struct kf_arena *scratch)
{
	int wp = g->W + g->pl + g->pr;
	size_t row = (size_t)wp * (size_t)g->C, img = (size_t)g->H * row;	/* floats */
	const float *base = src->data, *a[16], *zero = NULL;
	struct kf_arena_mark mark = kf_arena_mark(scratch);

	if (g->pl || g->pr || src->nb[1] != (size_t)g->C * sizeof(float) ||
	    src->nb[2] != (size_t)g->W * src->nb[1] || src->nb[3] != (size_t)g->H * src->nb[2]) {
		float *b = kf_arena_alloc_array(scratch, (size_t)g->N * img, sizeof(float));

		if (!b)
			return KF_E_NOMEM;
		bool packed_x = src->nb[1] == (size_t)g->C * sizeof(float);

		for (int n = 0; n < g->N; n++)
			for (int y = 0; y < g->H; y++) {
				float *d = b + (size_t)n * img + (size_t)y * row;

				memset(d, 0, (size_t)g->pl * (size_t)g->C * sizeof(float));
				d += (size_t)g->pl * (size_t)g->C;
				if (packed_x) {	/* the row's pixels back to back: one copy */
					memcpy(d, kf_nn_px(src, n, y, 0),
					       (size_t)g->W * (size_t)g->C * sizeof(float));
					d += (size_t)g->W * (size_t)g->C;
				} else {
					for (int x = 0; x < g->W; x++, d += g->C)
						memcpy(d, kf_nn_px(src, n, y, x),
						       (size_t)g->C * sizeof(float));
				}
				memset(d, 0, (size_t)g->pr * (size_t)g->C * sizeof(float));
			}
		base = b;
	}
	if (g->pt || (g->OH - 1) * g->s - g->pt + g->kh > g->H) {
		float *z = kf_arena_alloc_array(scratch, row, sizeof(float));

		if (!z)
			return KF_E_NOMEM;
		memset(z, 0, row * sizeof(float));
		zero = z;
	}
	for (int64_t r = r0; r < r1; r++) {
		int n = (int)(r / g->OH), oy = (int)(r % g->OH);

		for (int ky = 0; ky < g->kh; ky++) {
			int iy = oy * g->s - g->pt + ky;

			a[ky] = iy < 0 || iy >= g->H ? zero : base + (size_t)n * img + (size_t)iy * row;
		}
		kf_gemm_packed_sum(g->OW, g->CO, g->kw * g->C, g->kh, a, g->s * g->C, packed,
				   out + r * g->OW * g->CO, g->CO, bias, act);
	}
	kf_arena_rewind(scratch, mark);
	return KF_OK;
}

/* The range of every window of output rows [r0, r1) (r = n * OH + oy) from
 * its pixels' ranges (plo, phi: kf_q8_pixel_range over the input), 0 in it
 * when the window runs past the edge: the minimum over the window's rows,
 * then over its columns. wlo, whi: by output pixel from r0 * OW; v: 2 * W
 * floats of room. */
static void window_ranges(const struct kf_nn_geom *g, const float *plo, const float *phi, int64_t r0,
			  int64_t r1, float *v, float *wlo, float *whi)
{
	float *vlo = v, *vhi = v + g->W;

	for (int64_t r = r0; r < r1; r++) {
		int n = (int)(r / g->OH), y0 = (int)(r % g->OH) * g->s - g->pt;
		int ya = y0 < 0 ? 0 : y0, yb = y0 + g->kh < g->H ? y0 + g->kh : g->H;
		size_t at = ((size_t)n * (size_t)g->H + (size_t)ya) * (size_t)g->W;
		float *wl = wlo + (r - r0) * g->OW, *wh = whi + (r - r0) * g->OW;

		if (ya >= yb) {
			memset(wl, 0, (size_t)g->OW * sizeof(float));
			memset(wh, 0, (size_t)g->OW * sizeof(float));
			continue;
		}
		memcpy(vlo, plo + at, (size_t)g->W * sizeof(float));
		memcpy(vhi, phi + at, (size_t)g->W * sizeof(float));
		for (int y = ya + 1; y < yb; y++) {
			const float *l = plo + at + (size_t)(y - ya) * g->W;
			const float *h = phi + at + (size_t)(y - ya) * g->W;

			for (int x = 0; x < g->W; x++) {
				vlo[x] = l[x] < vlo[x] ? l[x] : vlo[x];
				vhi[x] = h[x] > vhi[x] ? h[x] : vhi[x];
			}
		}
		for (int ox = 0; ox < g->OW; ox++) {
			int x0 = ox * g->s - g->pl, xa = x0 < 0 ? 0 : x0;
			int xb = x0 + g->kw < g->W ? x0 + g->kw : g->W;
			float lo = 0.0f, hi = 0.0f;

			if (xa < xb) {
				lo = vlo[xa];
				hi = vhi[xa];
				for (int x = xa + 1; x < xb; x++) {
					lo = vlo[x] < lo ? vlo[x] : lo;
					hi = vhi[x] > hi ? vhi[x] : hi;
				}
				if (yb - ya < g->kh || xb - xa < g->kw) {
					lo = lo < 0.0f ? lo : 0.0f;
					hi = hi > 0.0f ? hi : 0.0f;
				}
			}
			wl[ox] = lo;
			wh[ox] = hi;
		}
	}
}

#define Q8_ROWS 48
#define Q8_GROUPS 16	/* conv_q8_groups: groups a batch of Q8_ROWS outputs holds */

/* Quantise the input under the windows of outputs [ox, ox + cnt) of row (n,
 * oy): kh rows of pw pixels from column x0, to bytes over [lo, hi] (those
 * past the image's edges the byte of 0), row ky at patch + ky * stride. */
static void quant_patch(const struct kf_nn_geom *g, const struct kf_tensor *src, int n, int oy,
			int x0, int pw, size_t stride, float lo, float hi, uint8_t *patch)
{
	int C = g->C, xa = x0 < 0 ? 0 : x0, xb = x0 + pw < g->W ? x0 + pw : g->W;
	float sa, mn;

	for (int ky = 0; ky < g->kh; ky++, patch += stride) {
		int y = oy * g->s - g->pt + ky;
		const float *seg[3] = { NULL, NULL, NULL };
		int len[3] = { (xa - x0) * C, (xb - xa) * C, (x0 + pw - xb) * C }, at = 0;

		if (y < 0 || y >= g->H || xa >= xb) {
			len[0] = pw * C;
			len[1] = len[2] = 0;
		} else {
			seg[1] = kf_nn_px(src, n, y, xa);
		}
		for (int i = 0; i < 3; at += len[i], i++)
			if (len[i] > 0)
				kf_q8_quant_row_in(&seg[i], 1, len[i], len[i], lo, hi, patch + at, &sa, &mn);
	}
}

/* conv_q8 for a dense input whose window rows are whole 4-byte groups: the
 * windows of up to KF_Q8_GROUP neighbouring outputs of a row share one range
 * (their windows' ranges together), the input under them is quantised
 * once, and the GEMM reads each window's kh rows in place. */
static int conv_q8_groups(const struct kf_nn_geom *g, const struct kf_tensor *src,
			  const struct kf_gemm_q8 *q8, const float *bias, enum kf_act act, float *out,
			  int64_t r0, int64_t r1, const float *wlo, const float *whi,
			  struct kf_arena *scratch)
{
	int64_t q0 = r0 * g->OW, q1 = r1 * g->OW;
	int C = g->C, n, oy, ox, pwm = (KF_Q8_GROUP - 1) * g->s + g->kw, i, gx0 = 0;
	size_t psz = (size_t)g->kh * (size_t)pwm * (size_t)C;
	struct kf_arena_mark mark = kf_arena_mark(scratch);
	uint8_t *patches = kf_arena_alloc(scratch, Q8_GROUPS * psz);
	const uint8_t *arow[Q8_ROWS];
	float sa[Q8_ROWS], mn[Q8_ROWS], glo = 0.0f, ghi = 0.0f;

	if (!patches)
		return KF_E_NOMEM;
	n = (int)(r0 / g->OH);
	oy = (int)(r0 % g->OH);
	ox = 0;
	for (int64_t q = q0; q < q1; q += i) {
		int m = q1 - q < Q8_ROWS ? (int)(q1 - q) : Q8_ROWS, slot = -1;

		for (i = 0; i < m; i++, ox++) {
			if (ox == g->OW) {
				ox = 0;
				if (++oy == g->OH) {
					oy = 0;
					n++;
				}
			}
			if (i == 0 || ox % KF_Q8_GROUP == 0) {
				int gs = ox - ox % KF_Q8_GROUP;
				int cnt = g->OW - gs < KF_Q8_GROUP ? g->OW - gs : KF_Q8_GROUP;
				size_t at = (size_t)(q + i - q0 - (ox - gs));

				if (slot + 1 == Q8_GROUPS)
					break;	/* this output starts the next batch */
				glo = wlo[at];
				ghi = whi[at];
				for (int j = 1; j < cnt; j++) {
					glo = wlo[at + j] < glo ? wlo[at + j] : glo;
					ghi = whi[at + j] > ghi ? whi[at + j] : ghi;
				}
				gx0 = gs * g->s - g->pl;
				slot++;
				quant_patch(g, src, n, oy, gx0, (cnt - 1) * g->s + g->kw, (size_t)pwm * C,
					    glo, ghi, patches + (size_t)slot * psz);
			}
			arow[i] = patches + (size_t)slot * psz + (size_t)(ox * g->s - g->pl - gx0) * C;
			sa[i] = (ghi - glo) / 255.0f;
			mn[i] = glo;
		}
		kf_gemm_q8_rows_seg(i, arow, g->kh, g->kw * C, (size_t)pwm * C, sa, mn, q8,
				    out + q * g->CO, g->CO, bias, act);
	}
	kf_arena_rewind(scratch, mark);
	return KF_OK;
}

/* The int8 convolution without im2col: each row of the im2col matrix (one
 * output pixel's window) is quantised straight from the input
 * (kf_q8_quant_row): a window inside the image as its kh rows, one at the
 * edge pixel by pixel, NULL (zeros) past the edge. The bytes kf_gemm_q8
 * makes of an im2col row, without the float copy. Each pixel's range is
 * found once (kf_q8_pixel_range: a pixel is in up to kh * kw windows) and
 * the windows' from them (window_ranges). Q8_ROWS rows at a time; output
 * rows [r0, r1); src dense NHWC, kh * kw <= KF_Q8_MAX_PIECES. */
static int conv_q8(const struct kf_nn_geom *g, const struct kf_tensor *src, const struct kf_gemm_q8 *q8,
		   const float *bias, enum kf_act act, float *out, int64_t r0, int64_t r1,
		   struct kf_arena *scratch)
{
	int64_t q0 = r0 * g->OW, q1 = r1 * g->OW;
	int C = g->C, K4 = q8->K4, n, oy, ox;
	size_t npx = (size_t)g->N * (size_t)g->H * (size_t)g->W, nq = (size_t)(q1 - q0);
	struct kf_arena_mark mark = kf_arena_mark(scratch);
	uint8_t *rows;
	float *plo = NULL, *wlo = NULL, *v;
	const float *piece[KF_Q8_MAX_PIECES];
	float sa[Q8_ROWS], mn[Q8_ROWS];

	assert(g->kh * g->kw <= KF_Q8_MAX_PIECES);
	if (kf_tensor_is_contiguous(src)) {
		if (!(plo = kf_arena_alloc_array(scratch, 2 * npx, sizeof(float))) ||
		    !(wlo = kf_arena_alloc_array(scratch, 2 * nq, sizeof(float))) ||
		    !(v = kf_arena_alloc_array(scratch, 2 * (size_t)g->W, sizeof(float)))) {
			kf_arena_rewind(scratch, mark);
			return KF_E_NOMEM;
		}
		kf_q8_pixel_range(src->data, npx, C, plo, plo + npx);
		window_ranges(g, plo, plo + npx, r0, r1, v, wlo, wlo + nq);
		if (g->s == 1 && (g->kw * C) % 4 == 0 && K4 == g->kh * g->kw * C) {
			int rc = conv_q8_groups(g, src, q8, bias, act, out, r0, r1, wlo, wlo + nq,
						scratch);

			kf_arena_rewind(scratch, mark);
			return rc;
		}
	}
	if (!(rows = kf_arena_alloc(scratch, (size_t)Q8_ROWS * (size_t)K4))) {
		kf_arena_rewind(scratch, mark);
		return KF_E_NOMEM;
	}
	/* the output pixel q + i is (n, oy, ox), counted along */
	n = (int)(r0 / g->OH);
	oy = (int)(r0 % g->OH);
	ox = 0;
	for (int64_t q = q0; q < q1; q += Q8_ROWS) {
		int m = q1 - q < Q8_ROWS ? (int)(q1 - q) : Q8_ROWS;

		for (int i = 0; i < m; i++, ox++) {
			uint8_t *row = rows + (size_t)i * K4;
			int x0, y0, inside, np, len;

			if (ox == g->OW) {
				ox = 0;
				if (++oy == g->OH) {
					oy = 0;
					n++;
				}
			}
			x0 = ox * g->s - g->pl;
			y0 = oy * g->s - g->pt;
			inside = y0 >= 0 && y0 + g->kh <= g->H && x0 >= 0 && x0 + g->kw <= g->W;
			np = inside ? g->kh : g->kh * g->kw;
			len = inside ? g->kw * C : C;
			for (int ky = 0; ky < g->kh; ky++)
				for (int kx = 0; kx < (inside ? 1 : g->kw); kx++) {
					int y = y0 + ky, x = x0 + kx;

					piece[ky * (inside ? 1 : g->kw) + kx] = y >= 0 && y < g->H &&
						x >= 0 && x < g->W ? kf_nn_px(src, n, y, x) : NULL;
				}
			if (wlo)
				kf_q8_quant_row_in(piece, np, len, K4, wlo[q + i - q0],
						   wlo[nq + (size_t)(q + i - q0)], row, &sa[i], &mn[i]);
			else
				kf_q8_quant_row(piece, np, len, K4, row, &sa[i], &mn[i]);
		}
		kf_gemm_q8_rows(m, rows, K4, sa, mn, q8, out + q * g->CO, g->CO, bias, act);
	}
	kf_arena_rewind(scratch, mark);
	return KF_OK;
}

/* memcpy of a few bytes without a call: 16 at a time, the last 16 overlapping */
static inline void copy_short(uint8_t *d, const uint8_t *s, int len)
{
	int i = 0;

	if (len < 16) {
		memcpy(d, s, (size_t)len);
		return;
	}
	for (; i + 16 <= len; i += 16)
		memcpy(d + i, s + i, 16);
	memcpy(d + len - 16, s + len - 16, 16);
}

int kf_nn_conv2d_q8_pixels(struct kf_tensor *dst, const struct kf_tensor *src,
			   const struct kf_tensor *w, const struct kf_gemm_q8 *q8,
			   const float *mean, float div, const float *bias,
			   const struct kf_conv_params *p, struct kf_arena *scratch)
{
	struct kf_nn_geom g;
	struct kf_tensor o, t;
	struct kf_arena_mark mark = kf_arena_mark(scratch);
	size_t nv;
	int64_t nq;
	int len, K4 = q8->K4, rc = KF_E_NOMEM;
	uint8_t *hi, *lo, *rhi, *rlo;
	float *b, *tmp, *out = dst->data, sa_hi[Q8_ROWS], sa_lo[Q8_ROWS], mn[Q8_ROWS] = { 0 };

	conv_geom(&g, dst, src, w, p);
	if (g.pt || g.pb || g.pl || g.pr || !kf_tensor_is_contiguous(src) ||
	    q8->K != g.kh * g.kw * g.C || q8->N != g.CO)
		return KF_E_INVALID;	/* windows inside a dense input only */
	nv = (size_t)g.N * (size_t)g.H * (size_t)g.W * (size_t)g.C;
	nq = (int64_t)g.N * g.OH * g.OW;
	len = g.kw * g.C;
	hi = kf_arena_alloc(scratch, nv);
	lo = kf_arena_alloc(scratch, nv);
	rhi = kf_arena_alloc(scratch, (size_t)Q8_ROWS * (size_t)K4);
	rlo = kf_arena_alloc(scratch, (size_t)Q8_ROWS * (size_t)K4);
	b = kf_arena_alloc_array(scratch, (size_t)g.CO, sizeof(float));
	tmp = kf_arena_alloc_array(scratch, (size_t)Q8_ROWS * (size_t)g.CO, sizeof(float));
	if (!hi || !lo || !rhi || !rlo || !b || !tmp)
		goto out;
	kf_q8_split(src->data, nv, hi, lo);
	memset(rhi, 0, (size_t)Q8_ROWS * (size_t)K4);
	memset(rlo, 0, (size_t)Q8_ROWS * (size_t)K4);
	for (int i = 0; i < Q8_ROWS; i++) {
		sa_hi[i] = 1.0f / div;
		sa_lo[i] = 1.0f / (256.0f * div);
	}
	/* the means' share of each output, with the weights the GEMM uses */
	for (int n = 0; n < g.CO; n++) {
		double m = 0.0;

		for (int k = 0; k < q8->K; k++)
			m += (double)kf_gemm_q8_weight(q8, k, n) * mean[k % g.C];
		b[n] = (bias ? bias[n] : 0.0f) - (float)(m * q8->scale[n] / div);
	}
	/* the output pixel q + i is (n, oy, ox), counted along */
	for (int64_t q = 0, n = 0, oy = 0, ox = 0; q < nq; q += Q8_ROWS) {
		int m = nq - q < Q8_ROWS ? (int)(nq - q) : Q8_ROWS;

		for (int i = 0; i < m; i++, ox++) {
			size_t at;

			if (ox == g.OW) {
				ox = 0;
				if (++oy == g.OH) {
					oy = 0;
					n++;
				}
			}
			at = (((size_t)n * (size_t)g.H + (size_t)(oy * g.s)) * (size_t)g.W +
			      (size_t)(ox * g.s)) * (size_t)g.C;
			for (int ky = 0; ky < g.kh; ky++, at += (size_t)g.W * (size_t)g.C) {
				copy_short(rhi + (size_t)i * K4 + (size_t)ky * len, hi + at, len);
				copy_short(rlo + (size_t)i * K4 + (size_t)ky * len, lo + at, len);
			}
		}
		kf_gemm_q8_rows(m, rhi, K4, sa_hi, mn, q8, out + q * g.CO, g.CO, b, KF_ACT_NONE);
		kf_gemm_q8_rows(m, rlo, K4, sa_lo, mn, q8, tmp, g.CO, NULL, KF_ACT_NONE);
		kf_tensor_init(&o, KF_F32, (int64_t)m * g.CO, 1, 1, 1, out + q * g.CO);
		kf_tensor_init(&t, KF_F32, (int64_t)m * g.CO, 1, 1, 1, tmp);
		kf_nn_add(&o, &o, &t, p->act, 0, 1);
	}
	rc = KF_OK;
out:
	kf_arena_rewind(scratch, mark);
	return rc;
}

/* kf_nn_conv2d and kf_nn_conv2d_packed: packed is w packed by kf_gemm_pack_b,
 * or NULL to pack it here (into scratch); q8, when not NULL and int8 is on,
 * is used instead. */
static int conv2d(struct kf_tensor *dst, const struct kf_tensor *src, const struct kf_tensor *w,
		  const float *packed, const struct kf_gemm_q8 *q8, const float *bias,
		  const struct kf_conv_params *p, struct kf_arena *scratch, int ith, int nth)
{
	struct kf_nn_geom g;
	int64_t r0, r1, q0, q1, chunk;
	int K;
	float *pk, *buf, *out = dst->data;

	conv_geom(&g, dst, src, w, p);
	kf_nn_row_range((int64_t)g.N * g.OH, ith, nth, &r0, &r1);
	if (r0 == r1)
		return KF_OK;
	K = g.kh * g.kw * g.C;
	q0 = r0 * g.OW;
	q1 = r1 * g.OW;
	if (g.kh == 1 && g.kw == 1 && g.s == 1 && !g.pt && !g.pb && !g.pl && !g.pr &&
	    kf_tensor_is_contiguous(src)) {
		if (q8)
			return kf_gemm_q8((int)(q1 - q0), (const float *)src->data + q0 * K, K, q8,
					  out + q0 * g.CO, g.CO, bias, p->act, scratch);
		if (!packed)
			return kf_gemm((int)(q1 - q0), g.CO, K, (const float *)src->data + q0 * K, K,
				       w->data, g.CO, out + q0 * g.CO, g.CO, bias, p->act, scratch);
		kf_gemm_packed((int)(q1 - q0), g.CO, K, (const float *)src->data + q0 * K, K,
			       packed, out + q0 * g.CO, g.CO, bias, p->act);
		return KF_OK;
	}

	if (!q8 && packed && nth == 1 && g.kh <= 16 && src->nb[0] == sizeof(float))
		return conv_in_place(&g, src, packed, bias, p->act, out, r0, r1, scratch);
	if (q8 && g.kh <= 16 && g.kw <= 16 && src->nb[0] == sizeof(float) &&
	    src->nb[1] == (size_t)g.C * sizeof(float))
		return conv_q8(&g, src, q8, bias, p->act, out, r0, r1, scratch);

	/* im2col in chunks of about 1 MB, so the rows stay in L2 (the int8 GEMM
	 * comes here only for an input or a window conv_q8 does not take) */
	chunk = (256 * 1024) / K;
	chunk = chunk < 6 ? 6 : chunk - chunk % 6;
	if (chunk > q1 - q0)
		chunk = q1 - q0;
	if (!packed && !q8) {
		if (!(pk = kf_arena_alloc_array(scratch, kf_gemm_packed_size(K, g.CO) + 1, sizeof(float))))
			return KF_E_NOMEM;
		kf_gemm_pack_b(K, g.CO, w->data, g.CO, pk);
		packed = pk;
	}
	if (!(buf = kf_arena_alloc_array(scratch, (size_t)chunk * (size_t)K, sizeof(float))))
		return KF_E_NOMEM;
	for (int64_t q = q0; q < q1; q += chunk) {
		int64_t m = q1 - q < chunk ? q1 - q : chunk;

		for (int64_t i = 0; i < m; i++)
			im2col_row(&g, src, q + i, buf + i * K);
		if (q8) {
			int rc = kf_gemm_q8((int)m, buf, K, q8, out + q * g.CO, g.CO, bias, p->act,
					    scratch);

			if (rc < 0)
				return rc;
			continue;
		}
		kf_gemm_packed((int)m, g.CO, K, buf, K, packed, out + q * g.CO, g.CO, bias, p->act);
	}
	return KF_OK;
}

int kf_nn_conv2d(struct kf_tensor *dst, const struct kf_tensor *src, const struct kf_tensor *w,
		 const float *bias, const struct kf_conv_params *p, struct kf_arena *scratch,
		 int ith, int nth)
{
	return conv2d(dst, src, w, NULL, NULL, bias, p, scratch, ith, nth);
}

int kf_nn_conv2d_packed(struct kf_tensor *dst, const struct kf_tensor *src,
			const struct kf_tensor *w, const float *packed,
			const struct kf_gemm_q8 *q8, const float *bias,
			const struct kf_conv_params *p, struct kf_arena *scratch, int ith, int nth)
{
	if (q8 && !kf_gemm_q8_active())
		q8 = NULL;
	assert(packed || q8);
	return conv2d(dst, src, w, packed, q8, bias, p, scratch, ith, nth);
}

void kf_nn_conv2d_ref(struct kf_tensor *dst, const struct kf_tensor *src,
		      const struct kf_tensor *w, const float *bias,
		      const struct kf_conv_params *p, int ith, int nth)
{
	struct kf_nn_geom g;
	int64_t r0, r1;
	const float *wf = w->data;
	float *out = dst->data;

	conv_geom(&g, dst, src, w, p);
	kf_nn_row_range((int64_t)g.N * g.OH, ith, nth, &r0, &r1);
	for (int64_t r = r0; r < r1; r++) {
		int n = (int)(r / g.OH), oy = (int)(r % g.OH);

		for (int ox = 0; ox < g.OW; ox++) {
			for (int co = 0; co < g.CO; co++) {
				float s = 0.0f;

				for (int ky = 0; ky < g.kh; ky++) {
					int iy = oy * g.s - g.pt + ky;

					if (iy < 0 || iy >= g.H)
						continue;
					for (int kx = 0; kx < g.kw; kx++) {
						int ix = ox * g.s - g.pl + kx;

						if (ix < 0 || ix >= g.W)
							continue;
						for (int ci = 0; ci < g.C; ci++)
							s += kf_nn_src_at(src, n, iy, ix, ci) *
							     wf[(((size_t)ky * g.kw + kx) * g.C + ci) * g.CO + co];
					}
				}
				out[(r * g.OW + ox) * g.CO + co] =
					kf_nn_act_ref(bias ? s + bias[co] : s, p->act);
			}
		}
	}
}

/* ---- pooling ------------------------------------------------------------- */

static void pool_geom(struct kf_nn_geom *g, const struct kf_tensor *dst, const struct kf_tensor *src,
		      int k, int stride, enum kf_pad pad)
{
	assert(pad == KF_PAD_SAME || pad == KF_PAD_VALID);
	kf_nn_window_geom(g, dst, src, k, k, stride, pad, 0, 0, 0, 0);
	assert(g->CO == g->C);
}

/* Max over the in-range cells of the window of output (oy, ox). */
static void maxpool_pixel(const struct kf_nn_geom *g, const struct kf_tensor *src, int n, int oy,
			  int ox, float *o)
{
	bool any = false;

	for (struct kf_nn_tap t = kf_nn_tap_first(g, oy, ox); kf_nn_tap_inside(g, &t); t.kx++) {
		int iy = t.y0 + t.ky, ix = t.x0 + t.kx;

		if (src->nb[0] == sizeof(float)) {
			const float *in = kf_nn_px(src, n, iy, ix);

			if (!any)
				memcpy(o, in, (size_t)g->C * sizeof(float));
			else
				for (int c = 0; c < g->C; c++)
					o[c] = in[c] > o[c] ? in[c] : o[c];
		} else {
			for (int c = 0; c < g->C; c++) {
				float v = kf_nn_src_at(src, n, iy, ix, c);

				o[c] = !any || v > o[c] ? v : o[c];
			}
		}
		any = true;
	}
	if (!any)
		for (int c = 0; c < g->C; c++)
			o[c] = -INFINITY;
}

/* One window inside the input: the max of its k x k pixels from t (dx floats
 * between pixels, dy between rows) into o, the taps in maxpool_pixel's order:
 * 2x2 in one pass over the channels, 3x3 tap by tap (measured faster, 16
 * to 64 channels). */
static inline void max_window(const float *restrict t, size_t dx, size_t dy, int k, int C,
			      float *restrict o)
{
	if (k == 2) {
		for (int c = 0; c < C; c++) {
			float m = t[c];

			m = t[dx + c] > m ? t[dx + c] : m;
			m = t[dy + c] > m ? t[dy + c] : m;
			o[c] = t[dy + dx + c] > m ? t[dy + dx + c] : m;
		}
		return;
	}
	memcpy(o, t, (size_t)C * sizeof(float));
	for (int ky = 0; ky < k; ky++)
		for (int kx = ky ? 0 : 1; kx < k; kx++) {
			const float *restrict p = t + (size_t)ky * dy + (size_t)kx * dx;

			for (int c = 0; c < C; c++)
				o[c] = p[c] > o[c] ? p[c] : o[c];
		}
}

/* The 2x2 and 3x3 pools (YuNet, the tiny detector, the recognition net;
 * channels contiguous): inside the input, a row's windows by a pointer
 * moved along its input rows; at the edges, maxpool_pixel. The same values. */
KF_TARGET_CLONES
static void maxpool_rows(const struct kf_nn_geom *g, const struct kf_tensor *src, float *out,
			 int64_t r0, int64_t r1)
{
	size_t dx = src->nb[1] / sizeof(float), dy = src->nb[2] / sizeof(float);
	size_t step = (size_t)g->s * dx;
	int k = g->kh;
	/* the windows [x0, x1) of a row lie inside the input's width */
	int x0 = (g->pl + g->s - 1) / g->s;
	int x1 = g->W + g->pl >= k ? (g->W + g->pl - k) / g->s + 1 : 0;

	x1 = x1 < g->OW ? x1 : g->OW;
	for (int64_t r = r0; r < r1; r++) {
		int n = (int)(r / g->OH), oy = (int)(r % g->OH), iy = oy * g->s - g->pt;
		int inside = iy >= 0 && iy + k <= g->H && x0 < x1;

		for (int ox = 0; ox < g->OW; ox++) {
			float *o = out + (r * g->OW + ox) * g->C;

			if (inside && ox == x0) {
				const float *t = kf_nn_px(src, n, iy, ox * g->s - g->pl);

				for (; ox < x1; ox++, o += g->C, t += step)
					if (k == 2)	/* constant k: the taps unrolled */
						max_window(t, dx, dy, 2, g->C, o);
					else
						max_window(t, dx, dy, 3, g->C, o);
				if (ox == g->OW)
					break;
			}
			maxpool_pixel(g, src, n, oy, ox, o);
		}
	}
}

void kf_nn_maxpool(struct kf_tensor *dst, const struct kf_tensor *src, int k, int stride,
		   enum kf_pad pad, int ith, int nth)
{
	struct kf_nn_geom g;
	int64_t r0, r1;
	float *out = dst->data;

	pool_geom(&g, dst, src, k, stride, pad);
	kf_nn_row_range((int64_t)g.N * g.OH, ith, nth, &r0, &r1);
	if ((k == 2 || k == 3) && src->nb[0] == sizeof(float)) {
		maxpool_rows(&g, src, out, r0, r1);
		return;
	}
	for (int64_t r = r0; r < r1; r++)
		for (int ox = 0; ox < g.OW; ox++)
			maxpool_pixel(&g, src, (int)(r / g.OH), (int)(r % g.OH), ox,
				      out + (r * g.OW + ox) * g.C);
}

void kf_nn_maxpool_ref(struct kf_tensor *dst, const struct kf_tensor *src, int k, int stride,
		       enum kf_pad pad, int ith, int nth)
{
	struct kf_nn_geom g;
	int64_t r0, r1;
	float *out = dst->data;

	pool_geom(&g, dst, src, k, stride, pad);
	kf_nn_row_range((int64_t)g.N * g.OH, ith, nth, &r0, &r1);
	for (int64_t r = r0; r < r1; r++) {
		int n = (int)(r / g.OH), oy = (int)(r % g.OH);

		for (int ox = 0; ox < g.OW; ox++) {
			for (int c = 0; c < g.C; c++) {
				float m = -INFINITY;

				for (int ky = 0; ky < k; ky++) {
					for (int kx = 0; kx < k; kx++) {
						int iy = oy * stride - g.pt + ky, ix = ox * stride - g.pl + kx;

						if (iy >= 0 && iy < g.H && ix >= 0 && ix < g.W &&
						    kf_nn_src_at(src, n, iy, ix, c) > m)
							m = kf_nn_src_at(src, n, iy, ix, c);
					}
				}
				out[(r * g.OW + ox) * g.C + c] = m;
			}
		}
	}
}

/* kf_nn_avgpool on channels that are contiguous: each window's sum tap by
 * tap over all its channels, in the same order (row by row from 0), then
 * divided. */
KF_TARGET_CLONES
static void avgpool_rows(const struct kf_nn_geom *g, const struct kf_tensor *src, float *out,
			 int64_t r0, int64_t r1)
{
	float div = (float)(g->kh * g->kw);

	for (int64_t r = r0; r < r1; r++) {
		int n = (int)(r / g->OH), oy = (int)(r % g->OH);

		for (int ox = 0; ox < g->OW; ox++) {
			float *restrict o = out + (r * g->OW + ox) * g->C;

			for (int c = 0; c < g->C; c++)
				o[c] = 0.0f;
			for (int ky = 0; ky < g->kh; ky++)
				for (int kx = 0; kx < g->kw; kx++) {
					const float *restrict t = kf_nn_px(src, n, oy * g->s + ky,
									   ox * g->s + kx);

					for (int c = 0; c < g->C; c++)
						o[c] += t[c];
				}
			for (int c = 0; c < g->C; c++)
				o[c] /= div;
		}
	}
}

void kf_nn_avgpool(struct kf_tensor *dst, const struct kf_tensor *src, int k, int stride,
		   int ith, int nth)
{
	struct kf_nn_geom g;
	int64_t r0, r1;
	float *out = dst->data;

	pool_geom(&g, dst, src, k, stride, KF_PAD_VALID);
	kf_nn_row_range((int64_t)g.N * g.OH, ith, nth, &r0, &r1);
	if (src->nb[0] == sizeof(float)) {
		avgpool_rows(&g, src, out, r0, r1);
		return;
	}
	for (int64_t r = r0; r < r1; r++) {
		int n = (int)(r / g.OH), oy = (int)(r % g.OH);

		for (int ox = 0; ox < g.OW; ox++) {
			float *o = out + (r * g.OW + ox) * g.C;

			for (int c = 0; c < g.C; c++) {
				float s = 0.0f;

				for (int ky = 0; ky < k; ky++)
					for (int kx = 0; kx < k; kx++)
						s += kf_nn_src_at(src, n, oy * stride + ky, ox * stride + kx, c);
				o[c] = s / (float)(k * k);
			}
		}
	}
}

void kf_nn_global_avgpool(struct kf_tensor *dst, const struct kf_tensor *src)
{
	int C = (int)src->ne[0], W = (int)src->ne[1], H = (int)src->ne[2], N = (int)src->ne[3];
	float *out = dst->data;

	assert(dst->ne[0] == C && dst->ne[1] == 1 && dst->ne[2] == 1 && dst->ne[3] == N);
	assert(kf_tensor_is_contiguous(dst));
	for (int n = 0; n < N; n++) {
		float *o = out + (size_t)n * C;

		for (int c = 0; c < C; c++) {
			float s = 0.0f;

			for (int y = 0; y < H; y++)
				for (int x = 0; x < W; x++)
					s += kf_nn_src_at(src, n, y, x, c);
			o[c] = s / (float)(H * W);
		}
	}
}

/* ---- element-wise -------------------------------------------------------- */

static float *elem(const struct kf_tensor *t, int64_t i0, int64_t i1, int64_t i2, int64_t i3)
{
	return (float *)((char *)t->data + kf_tensor_offset(t, i0, i1, i2, i3));
}

void kf_nn_add_upsample2x(struct kf_tensor *dst, const struct kf_tensor *src)
{
	int64_t C = src->ne[0], W = src->ne[1], H = src->ne[2], N = src->ne[3];

	assert(dst->ne[0] == C && dst->ne[1] == 2 * W && dst->ne[2] == 2 * H && dst->ne[3] == N);
	assert(kf_tensor_is_contiguous(dst) && kf_tensor_is_contiguous(src));
	for (int64_t r = 0; r < 2 * H * N; r++) {
		const float *s = (const float *)src->data + (r / 2) * W * C;
		float *d = (float *)dst->data + r * 2 * W * C;

		for (int64_t x = 0; x < 2 * W; x++, d += C) {
			const float *sp = s + (x / 2) * C;

			for (int64_t c = 0; c < C; c++)
				d[c] += sp[c];
		}
	}
}

/* d = x + y, then ReLU when relu, over n floats (kf_nn_add's contiguous case). */
KF_TARGET_CLONES
static void add_flat(float *d, const float *x, const float *y, int64_t n, bool relu)
{
	if (!relu) {
		for (int64_t i = 0; i < n; i++)
			d[i] = x[i] + y[i];
		return;
	}
	for (int64_t i = 0; i < n; i++) {
		float v = x[i] + y[i];

		d[i] = v > 0.0f ? v : 0.0f;
	}
}

void kf_nn_add(struct kf_tensor *dst, const struct kf_tensor *a, const struct kf_tensor *b,
	       enum kf_act act, int ith, int nth)
{
	int64_t r0, r1;

	assert(kf_tensor_same_shape(dst, a) && kf_tensor_same_shape(dst, b));
	kf_nn_row_range(dst->ne[2] * dst->ne[3], ith, nth, &r0, &r1);
	if (kf_tensor_is_contiguous(dst) && kf_tensor_is_contiguous(a) &&
	    kf_tensor_is_contiguous(b)) {
		/* flat loops the compiler vectorises; same arithmetic as below */
		int64_t row = dst->ne[0] * dst->ne[1];
		float *d = (float *)dst->data + r0 * row;
		const float *x = (const float *)a->data + r0 * row, *y = (const float *)b->data + r0 * row;
		int64_t n = (r1 - r0) * row;

		if (act == KF_ACT_NONE || act == KF_ACT_RELU) {
			add_flat(d, x, y, n, act == KF_ACT_RELU);
		} else {
			for (int64_t i = 0; i < n; i++)
				d[i] = kf_nn_act_ref(x[i] + y[i], act);
		}
		return;
	}
	for (int64_t r = r0; r < r1; r++) {
		int64_t i2 = r % dst->ne[2], i3 = r / dst->ne[2];

		for (int64_t i1 = 0; i1 < dst->ne[1]; i1++)
			for (int64_t i0 = 0; i0 < dst->ne[0]; i0++)
				*elem(dst, i0, i1, i2, i3) = kf_nn_act_ref(
					*elem(a, i0, i1, i2, i3) + *elem(b, i0, i1, i2, i3), act);
	}
}

void kf_nn_act(struct kf_tensor *dst, const struct kf_tensor *src, enum kf_act act,
	       int ith, int nth)
{
	int64_t r0, r1;

	assert(kf_tensor_same_shape(dst, src));
	kf_nn_row_range(dst->ne[2] * dst->ne[3], ith, nth, &r0, &r1);
	if (kf_tensor_is_contiguous(dst) && kf_tensor_is_contiguous(src)) {
		int64_t row = dst->ne[0] * dst->ne[1], n = (r1 - r0) * row;
		float *d = (float *)dst->data + r0 * row;
		const float *x = (const float *)src->data + r0 * row;

		if (act == KF_ACT_RELU) {
			for (int64_t i = 0; i < n; i++)
				d[i] = x[i] > 0.0f ? x[i] : 0.0f;
		} else {
			for (int64_t i = 0; i < n; i++)
				d[i] = kf_nn_act_ref(x[i], act);
		}
		return;
	}
	for (int64_t r = r0; r < r1; r++) {
		int64_t i2 = r % dst->ne[2], i3 = r / dst->ne[2];

		for (int64_t i1 = 0; i1 < dst->ne[1]; i1++)
			for (int64_t i0 = 0; i0 < dst->ne[0]; i0++)
				*elem(dst, i0, i1, i2, i3) =
					kf_nn_act_ref(*elem(src, i0, i1, i2, i3), act);
	}
}

/* ---- fully connected ----------------------------------------------------- */

static void fc_check(const struct kf_tensor *dst, const struct kf_tensor *src,
		     const struct kf_tensor *w)
{
	(void)dst; (void)src; (void)w;
	assert(kf_tensor_is_contiguous(src) && kf_tensor_is_contiguous(w) &&
	       kf_tensor_is_contiguous(dst));
	assert(w->ne[1] * w->ne[0] == kf_tensor_nelements(w));
	assert(w->ne[1] == src->ne[0] * src->ne[1] * src->ne[2]);
	assert(dst->ne[0] == w->ne[0] && dst->ne[3] == src->ne[3]);
}

int kf_nn_fc(struct kf_tensor *dst, const struct kf_tensor *src, const struct kf_tensor *w,
	     const float *bias, enum kf_act act, struct kf_arena *scratch)
{
	fc_check(dst, src, w);
	return kf_gemm((int)src->ne[3], (int)w->ne[0], (int)w->ne[1], src->data, (int)w->ne[1],
		       w->data, (int)w->ne[0], dst->data, (int)w->ne[0], bias, act, scratch);
}

void kf_nn_fc_ref(struct kf_tensor *dst, const struct kf_tensor *src,
		  const struct kf_tensor *w, const float *bias, enum kf_act act)
{
	fc_check(dst, src, w);
	kf_gemm_ref((int)src->ne[3], (int)w->ne[0], (int)w->ne[1], src->data, (int)w->ne[1],
		    w->data, (int)w->ne[0], dst->data, (int)w->ne[0], bias, act);
}

/* ---- normalisation and folding ------------------------------------------- */

/* kf_nn_normalize_mean's loop: 16 pixels at a time against the means
 * repeated, so it vectorises (i % 3 kept it from it); the same operations.
 * Static: clang 14 emits a multiversioned function only where it is called. */
KF_TARGET_CLONES
static void normalize_mean(float *dst, const float *src, size_t n, const float mean[3],
			   float div)
{
	float m[48];
	size_t i = 0;

	for (int j = 0; j < 48; j++)
		m[j] = mean[j % 3];
	for (; i + 48 <= n; i += 48)
		for (int j = 0; j < 48; j++)
			dst[i + j] = (src[i + j] - m[j]) / div;
	for (; i < n; i++)
		dst[i] = (src[i] - mean[i % 3]) / div;
}

void kf_nn_normalize_mean(float *dst, const float *src, size_t n_pixels, const float mean[3],
			  float div)
{
	normalize_mean(dst, src, n_pixels * 3, mean, div);
}

void kf_nn_normalize_scale(float *dst, const float *src, size_t n, float div, float sub)
{
	for (size_t i = 0; i < n; i++)
		dst[i] = src[i] / div - sub;
}

void kf_nn_bn_factors(int n, const float *mean, const float *var, const float *scale,
		      const float *offset, float *f, float *add)
{
	for (int c = 0; c < n; c++) {
		f[c] = scale[c] / sqrtf(var[c] + KF_BN_EPS);
		add[c] = offset[c] - mean[c] * f[c];
	}
}

void kf_nn_fold_affine(float *w, size_t n_w, int n_out, float *bias, const float *f,
		       const float *add)
{
	assert(n_out > 0 && n_w % (size_t)n_out == 0);
	for (size_t i = 0; i < n_w; i++)
		w[i] *= f[i % (size_t)n_out];
	for (int c = 0; c < n_out; c++)
		bias[c] = bias[c] * f[c] + (add ? add[c] : 0.0f);
}
