/* nn_depthwise.c: the depthwise convolution (nn_ops.h): 3x3 by output rows
 * with AVX-512, AVX2 or NEON, any window pixel by pixel, and the reference. */
#include "core/nn_ops.h"

#include <assert.h>
#include <string.h>

#include "core/nn_act_simd.h"
#include "core/nn_window.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define KF_X86 1
#endif
#if defined(__aarch64__)
#include <arm_neon.h>	/* baseline on AArch64: no run-time check */
#define KF_NEON 1
#endif

static void dw_geom(struct kf_nn_geom *g, const struct kf_tensor *dst, const struct kf_tensor *src,
		    const struct kf_tensor *w, const struct kf_conv_params *p)
{
	kf_nn_window_geom(g, dst, src, (int)w->ne[3], (int)w->ne[2], p->stride, p->pad, p->pad_t,
		    p->pad_b, p->pad_l, p->pad_r);
	assert(w->type == KF_F32 && kf_tensor_is_contiguous(w));
	assert(w->ne[0] == 1 && w->ne[1] == g->C && g->CO == g->C);
}

/* One output pixel over channels [c0, C): the shared scalar loop. */
static void dw_pixel_scalar(const struct kf_nn_geom *g, const struct kf_tensor *src, const float *wf,
			    const float *bias, enum kf_act act, int n, int oy, int ox, int c0,
			    float *out)
{
	for (int c = c0; c < g->C; c++) {
		float s = 0.0f;

		for (struct kf_nn_tap t = kf_nn_tap_first(g, oy, ox); kf_nn_tap_inside(g, &t); t.kx++)
			s += kf_nn_src_at(src, n, t.y0 + t.ky, t.x0 + t.kx, c) *
			     wf[((size_t)t.ky * g->kw + t.kx) * g->C + c];
		out[c] = kf_nn_act_ref(bias ? s + bias[c] : s, act);
	}
}

/* The in-range taps of output pixel (oy, ox) of a depthwise window: input
 * pixels in tap[], their filter rows in tw[]; returns how many (at most 64). */
static inline int dw_taps(const struct kf_nn_geom *g, const struct kf_tensor *src, const float *wf,
			  int n, int oy, int ox, const float **tap, const float **tw)
{
	int nt = 0;

	for (struct kf_nn_tap t = kf_nn_tap_first(g, oy, ox); kf_nn_tap_inside(g, &t); t.kx++) {
		tap[nt] = kf_nn_px(src, n, t.y0 + t.ky, t.x0 + t.kx);
		tw[nt++] = wf + ((size_t)t.ky * g->kw + t.kx) * g->C;
	}
	return nt;
}

/* Portable fast path for dense channels (at most 64 taps): taps outer,
 * channels inner, so the inner loop is contiguous and the compiler can
 * vectorise it. Same summation order as dw_pixel_scalar. */
static void dw_pixel_rows(const struct kf_nn_geom *g, const struct kf_tensor *src, const float *wf,
			  const float *bias, enum kf_act act, int n, int oy, int ox, float *out)
{
	const float *tap[64], *tw[64];
	int nt = dw_taps(g, src, wf, n, oy, ox, tap, tw);

	memset(out, 0, (size_t)g->C * sizeof(float));
	for (int i = 0; i < nt; i++)
		for (int c = 0; c < g->C; c++)
			out[c] += tap[i][c] * tw[i][c];
	for (int c = 0; c < g->C; c++)
		out[c] = kf_nn_act_ref(bias ? out[c] + bias[c] : out[c], act);
}

#if defined(KF_X86) || defined(KF_NEON)
typedef void (*dw_pixel_fn)(const struct kf_nn_geom *g, const struct kf_tensor *src, const float *wf,
			    const float *bias, enum kf_act act, int n, int oy, int ox, float *out);

/* Output row oy of a 3x3 depthwise conv: its three input rows (a row outside
 * the image points at one inside, and ok[] says to weight it 0: fma(x, 0, s)
 * == s for finite x) and its interior columns [*ox0, *ox1), those whose three
 * input columns are all in range (empty: both OW); the columns outside them
 * are done here, each by the ISA's per-pixel kernel `edge` (NULL: by the
 * caller). */

static void dw_row3_setup(const struct kf_nn_geom *g, const struct kf_tensor *src, const float *wf,
			  const float *bias, enum kf_act act, int n, int oy, float *out,
			  dw_pixel_fn edge, const char *row[3], bool ok[3], int *ox0, int *ox1)
{
	bool any = false;
	int s = g->s;

	for (int ky = 0; ky < 3; ky++) {
		int iy = oy * s - g->pt + ky;

		ok[ky] = iy >= 0 && iy < g->H;
		any |= ok[ky];
		row[ky] = ok[ky] ? (const char *)kf_nn_px(src, n, iy, 0) : NULL;
	}
	/* interior: 0 <= ox*s - pl and ox*s - pl + 2 <= W - 1 */
	*ox0 = (g->pl + s - 1) / s;
	*ox1 = g->W - 3 + g->pl < 0 ? 0 : (g->W - 3 + g->pl) / s + 1;
	if (*ox1 > g->OW)
		*ox1 = g->OW;
	if (!any || *ox0 >= *ox1)
		*ox0 = *ox1 = g->OW;
	for (int ky = 0; ky < 3; ky++)
		if (!ok[ky])
			row[ky] = row[ok[0] ? 0 : ok[1] ? 1 : 2];
	for (int ox = 0; edge && ox < g->OW; ox++)
		if (ox < *ox0 || ox >= *ox1)
			edge(g, src, wf, bias, act, n, oy, ox, out + (size_t)ox * g->C);
}
#endif

#ifdef KF_X86
__attribute__((target("avx512f")))
static void dw_pixel_avx512(const struct kf_nn_geom *g, const struct kf_tensor *src, const float *wf,
			    const float *bias, enum kf_act act, int n, int oy, int ox, float *out)
{
	const float *tap[64];
	const float *tw[64];
	__m512 z = _mm512_setzero_ps();
	int nt = dw_taps(g, src, wf, n, oy, ox, tap, tw);
	for (int c = 0; c < g->C; c += 16) {
		__mmask16 m = (__mmask16)(g->C - c >= 16 ? 0xffff : (1u << (g->C - c)) - 1);
		__m512 s = z, t;

		for (int i = 0; i < nt; i++)
			s = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, tap[i] + c),
					    _mm512_maskz_loadu_ps(m, tw[i] + c), s);
		if (bias)
			s = _mm512_add_ps(s, _mm512_maskz_loadu_ps(m, bias + c));
		switch (act) {
		case KF_ACT_NONE: break;
		case KF_ACT_RELU: s = _mm512_max_ps(s, z); break;
		case KF_ACT_RELU6: s = _mm512_min_ps(_mm512_max_ps(s, z), _mm512_set1_ps(6.0f)); break;
		case KF_ACT_LEAKY:
			t = _mm512_mul_ps(s, _mm512_set1_ps(0.1f));
			s = _mm512_add_ps(_mm512_max_ps(_mm512_sub_ps(s, t), z), t);
			break;
		}
		_mm512_mask_storeu_ps(out + c, m, s);
	}
}

/* The activation on 16 lanes, as kf_nn_act_ref. */
__attribute__((target("avx512f")))
static inline __m512 dw_act512(__m512 s, enum kf_act act)
{
	__m512 z = _mm512_setzero_ps(), t;

	switch (act) {
	case KF_ACT_NONE: break;
	case KF_ACT_RELU: s = _mm512_max_ps(s, z); break;
	case KF_ACT_RELU6: s = _mm512_min_ps(_mm512_max_ps(s, z), _mm512_set1_ps(6.0f)); break;
	case KF_ACT_LEAKY:
		t = _mm512_mul_ps(s, _mm512_set1_ps(0.1f));
		s = _mm512_add_ps(_mm512_max_ps(_mm512_sub_ps(s, t), z), t);
		break;
	}
	return s;
}

/* A whole output row of a 3x3 depthwise conv (MobileNet's): the columns whose
 * three input columns are all in range go channel block by channel block with
 * the 9 filter vectors in registers and 4 output pixels in flight (the
 * per-pixel path re-collects its taps and reloads the filter for every pixel,
 * and its 9-FMA chain is latency-bound). Input rows outside the image get a
 * zero filter row, which is exact for finite x (fma(x, 0, s) == s), so the sums are
 * bit-identical to dw_pixel_avx512, which still does the edge columns. */
__attribute__((target("avx512f")))
static void dw_row3_avx512(const struct kf_nn_geom *g, const struct kf_tensor *src, const float *wf,
			   const float *bias, enum kf_act act, int n, int oy, float *out)
{
	const char *row[3];
	bool ok[3];
	int s = g->s, C = g->C, ox0, ox1;
	size_t pxb = src->nb[1];

	dw_row3_setup(g, src, wf, bias, act, n, oy, out, NULL, row, ok, &ox0, &ox1);

	for (int c = 0; c < C; c += 16) {
		__mmask16 m = (__mmask16)(C - c >= 16 ? 0xffff : (1u << (C - c)) - 1);
		__m512 w[9], b = bias ? _mm512_maskz_loadu_ps(m, bias + c) : _mm512_setzero_ps();
		int ox = ox0;

		for (int t = 0; t < 9; t++)
			w[t] = ok[t / 3] ? _mm512_maskz_loadu_ps(m, wf + (size_t)t * C + c)
					 : _mm512_setzero_ps();
		/* the edge columns [0, ox0) and [ox1, OW): their taps inside the
		 * image, in dw_pixel_avx512's order, with the filter in registers */
		for (int e = ox0 > 0 ? 0 : ox1; e < g->OW; e = e + 1 == ox0 ? ox1 : e + 1) {
			int x0 = e * s - g->pl;
			__m512 acc = _mm512_setzero_ps();

			for (int ky = 0; ky < 3; ky++)
				for (int kx = 0; kx < 3; kx++)
					if (ok[ky] && x0 + kx >= 0 && x0 + kx < g->W)
						acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m,
							(const float *)(row[ky] + (size_t)(x0 + kx) * pxb) + c),
							w[ky * 3 + kx], acc);
			if (bias)
				acc = _mm512_add_ps(acc, b);
			_mm512_mask_storeu_ps(out + (size_t)e * C + c, m, dw_act512(acc, act));
		}
#define KF_TAPS(acc, o) do { \
		const size_t x0_ = (size_t)((o) * s - g->pl) * pxb + (size_t)c * sizeof(float); \
		acc = _mm512_setzero_ps(); \
		for (int ky = 0; ky < 3; ky++) \
			for (int kx = 0; kx < 3; kx++) \
				acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, \
					(const float *)(row[ky] + x0_ + (size_t)kx * pxb)), \
					w[ky * 3 + kx], acc); \
		if (bias) \
			acc = _mm512_add_ps(acc, b); \
		_mm512_mask_storeu_ps(out + (size_t)(o) * C + c, m, dw_act512(acc, act)); \
	} while (0)
		/* stride 1: four outputs share their input pixels (6 loads a row
		 * instead of 12), the same sums in the same order */
		for (; s == 1 && ox + 4 <= ox1; ox += 4) {
			__m512 a[4] = { _mm512_setzero_ps(), _mm512_setzero_ps(),
					_mm512_setzero_ps(), _mm512_setzero_ps() };
			const size_t x0 = (size_t)(ox - g->pl) * pxb + (size_t)c * sizeof(float);

			for (int ky = 0; ky < 3; ky++) {
				__m512 p[6];

				for (int i = 0; i < 6; i++)
					p[i] = _mm512_maskz_loadu_ps(m, (const float *)(row[ky] + x0 +
										    (size_t)i * pxb));
				for (int j = 0; j < 4; j++)
					for (int kx = 0; kx < 3; kx++)
						a[j] = _mm512_fmadd_ps(p[j + kx], w[ky * 3 + kx], a[j]);
			}
			for (int j = 0; j < 4; j++) {
				if (bias)
					a[j] = _mm512_add_ps(a[j], b);
				_mm512_mask_storeu_ps(out + (size_t)(ox + j) * C + c, m,
						      dw_act512(a[j], act));
			}
		}
		for (; ox + 4 <= ox1; ox += 4) {
			__m512 a0, a1, a2, a3;

			KF_TAPS(a0, ox);
			KF_TAPS(a1, ox + 1);
			KF_TAPS(a2, ox + 2);
			KF_TAPS(a3, ox + 3);
		}
		for (; ox < ox1; ox++) {
			__m512 a0;

			KF_TAPS(a0, ox);
		}
#undef KF_TAPS
	}
}

__attribute__((target("avx2,fma")))
static void dw_pixel_avx2(const struct kf_nn_geom *g, const struct kf_tensor *src, const float *wf,
			  const float *bias, enum kf_act act, int n, int oy, int ox, float *out)
{
	const float *tap[64];
	const float *tw[64];
	__m256 z = _mm256_setzero_ps();
	int c = 0, nt = dw_taps(g, src, wf, n, oy, ox, tap, tw);
	for (; c + 8 <= g->C; c += 8) {
		__m256 s = z, t;

		for (int i = 0; i < nt; i++)
			s = _mm256_fmadd_ps(_mm256_loadu_ps(tap[i] + c), _mm256_loadu_ps(tw[i] + c), s);
		if (bias)
			s = _mm256_add_ps(s, _mm256_loadu_ps(bias + c));
		switch (act) {
		case KF_ACT_NONE: break;
		case KF_ACT_RELU: s = _mm256_max_ps(s, z); break;
		case KF_ACT_RELU6: s = _mm256_min_ps(_mm256_max_ps(s, z), _mm256_set1_ps(6.0f)); break;
		case KF_ACT_LEAKY:
			t = _mm256_mul_ps(s, _mm256_set1_ps(0.1f));
			s = _mm256_add_ps(_mm256_max_ps(_mm256_sub_ps(s, t), z), t);
			break;
		}
		_mm256_storeu_ps(out + c, s);
	}
	if (c < g->C)
		dw_pixel_scalar(g, src, wf, bias, act, n, oy, ox, c, out);
}

/* As dw_row3_avx512, 8 lanes (C a multiple of 8). Stride 1: four output
 * pixels at a time, and for each, every channel block: per input row, its 3
 * filter vectors and the 6 input pixels the four share, 12 FMAs (13 of the 16
 * ymm registers); the group's input stays in L1 across the channel blocks. An
 * input row outside the image is skipped, as dw_pixel_avx2 skips its taps.
 * Other strides, and the columns left over, go tap by tap with the 9 filter
 * vectors in registers. Edge columns go through dw_pixel_avx2. The sums are
 * the same, in the same order. */
__attribute__((target("avx2,fma")))
static void dw_row3_avx2(const struct kf_nn_geom *g, const struct kf_tensor *src, const float *wf,
			 const float *bias, enum kf_act act, int n, int oy, float *out)
{
	const char *row[3];
	bool ok[3];
	int s = g->s, C = g->C, ox0, ox1, ox;
	size_t pxb = src->nb[1], pxf = pxb / sizeof(float);

	dw_row3_setup(g, src, wf, bias, act, n, oy, out, dw_pixel_avx2, row, ok, &ox0, &ox1);
#define KF_END(acc, o) do { if (bias) acc = _mm256_add_ps(acc, _mm256_loadu_ps(bias + c)); \
		_mm256_storeu_ps(out + (size_t)(o) * C + c, act256(acc, act)); } while (0)
	for (ox = ox0; s == 1 && ox + 4 <= ox1; ox += 4) {
		size_t x0 = (size_t)(ox - g->pl) * pxb;

		for (int c = 0; c < C; c += 8) {
			__m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;

			for (int ky = 0; ky < 3; ky++) {
				const float *q = (const float *)(row[ky] + x0) + c;
				const float *w = wf + (size_t)ky * 3 * C + c;
				__m256 wk[3], pix[6];

				if (!ok[ky])
					continue;
				for (int kx = 0; kx < 3; kx++)
					wk[kx] = _mm256_loadu_ps(w + (size_t)kx * C);
				for (int i = 0; i < 6; i++)
					pix[i] = _mm256_loadu_ps(q + (size_t)i * pxf);
				for (int kx = 0; kx < 3; kx++) {
					a0 = _mm256_fmadd_ps(pix[kx], wk[kx], a0);
					a1 = _mm256_fmadd_ps(pix[kx + 1], wk[kx], a1);
					a2 = _mm256_fmadd_ps(pix[kx + 2], wk[kx], a2);
					a3 = _mm256_fmadd_ps(pix[kx + 3], wk[kx], a3);
				}
			}
			KF_END(a0, ox);
			KF_END(a1, ox + 1);
			KF_END(a2, ox + 2);
			KF_END(a3, ox + 3);
		}
	}
	for (int c = 0, ox2 = ox; c < C; c += 8) {
		__m256 w[9];

		for (int t = 0; t < 9; t++)
			w[t] = _mm256_loadu_ps(wf + (size_t)t * C + c);
		for (ox = ox2; ox < ox1; ox++) {
			__m256 a0 = _mm256_setzero_ps();

			for (int ky = 0; ky < 3; ky++) {
				const float *q;

				if (!ok[ky])
					continue;
				q = (const float *)(row[ky] + (size_t)(ox * s - g->pl) * pxb) + c;
				for (int kx = 0; kx < 3; kx++)
					a0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + kx * pxf),
							     w[ky * 3 + kx], a0);
			}
			KF_END(a0, ox);
		}
	}
#undef KF_END
}
#endif

#ifdef KF_NEON
static inline void dw_store_neon(float *out, float32x4_t s, const float *bias, enum kf_act act)
{
	if (bias)
		s = vaddq_f32(s, vld1q_f32(bias));
	vst1q_f32(out, act_neon(s, act));
}

/* As dw_pixel_avx2, 4 lanes wide: the sums stay in registers over the taps
 * (dw_pixel_rows loads and stores out[] once per tap), 16 channels at a time
 * in four independent FMA chains, then 4 at a time; the last C % 4 channels
 * go the scalar way. Same tap order as _ref, only fused. */
static void dw_pixel_neon(const struct kf_nn_geom *g, const struct kf_tensor *src, const float *wf,
			  const float *bias, enum kf_act act, int n, int oy, int ox, float *out)
{
	const float *tap[64];
	const float *tw[64];
	int c = 0, nt = dw_taps(g, src, wf, n, oy, ox, tap, tw);

	for (; c + 16 <= g->C; c += 16) {
		float32x4_t s0 = vdupq_n_f32(0.0f), s1 = s0, s2 = s0, s3 = s0;

		for (int i = 0; i < nt; i++) {
			const float *x = tap[i] + c, *w = tw[i] + c;

			s0 = vfmaq_f32(s0, vld1q_f32(x), vld1q_f32(w));
			s1 = vfmaq_f32(s1, vld1q_f32(x + 4), vld1q_f32(w + 4));
			s2 = vfmaq_f32(s2, vld1q_f32(x + 8), vld1q_f32(w + 8));
			s3 = vfmaq_f32(s3, vld1q_f32(x + 12), vld1q_f32(w + 12));
		}
		dw_store_neon(out + c, s0, bias ? bias + c : NULL, act);
		dw_store_neon(out + c + 4, s1, bias ? bias + c + 4 : NULL, act);
		dw_store_neon(out + c + 8, s2, bias ? bias + c + 8 : NULL, act);
		dw_store_neon(out + c + 12, s3, bias ? bias + c + 12 : NULL, act);
	}
	for (; c + 4 <= g->C; c += 4) {
		float32x4_t s = vdupq_n_f32(0.0f);

		for (int i = 0; i < nt; i++)
			s = vfmaq_f32(s, vld1q_f32(tap[i] + c), vld1q_f32(tw[i] + c));
		dw_store_neon(out + c, s, bias ? bias + c : NULL, act);
	}
	if (c < g->C)
		dw_pixel_scalar(g, src, wf, bias, act, n, oy, ox, c, out);
}

/* As dw_row3_avx2, 4 lanes (C a multiple of 4): at stride 1 four output
 * pixels at a time, per input row its 3 filter vectors and the 6 input pixels
 * the four share; other strides and the columns left over tap by tap; edge
 * columns through dw_pixel_neon. The same sums in the same order. */
static void dw_row3_neon(const struct kf_nn_geom *g, const struct kf_tensor *src, const float *wf,
			 const float *bias, enum kf_act act, int n, int oy, float *out)
{
	const char *row[3];
	bool ok[3];
	int s = g->s, C = g->C, ox0, ox1, ox;
	size_t pxb = src->nb[1], pxf = pxb / sizeof(float);

	dw_row3_setup(g, src, wf, bias, act, n, oy, out, dw_pixel_neon, row, ok, &ox0, &ox1);
	for (ox = ox0; s == 1 && ox + 4 <= ox1; ox += 4) {
		size_t x0 = (size_t)(ox - g->pl) * pxb;

		for (int c = 0; c < C; c += 4) {
			float32x4_t a[4] = { vdupq_n_f32(0.0f), vdupq_n_f32(0.0f), vdupq_n_f32(0.0f),
					     vdupq_n_f32(0.0f) };

			for (int ky = 0; ky < 3; ky++) {
				const float *q = (const float *)(row[ky] + x0) + c;
				const float *w = wf + (size_t)ky * 3 * C + c;
				float32x4_t wk[3], pix[6];

				if (!ok[ky])
					continue;
				for (int kx = 0; kx < 3; kx++)
					wk[kx] = vld1q_f32(w + (size_t)kx * C);
				for (int i = 0; i < 6; i++)
					pix[i] = vld1q_f32(q + (size_t)i * pxf);
				for (int kx = 0; kx < 3; kx++)
					for (int j = 0; j < 4; j++)
						a[j] = vfmaq_f32(a[j], pix[j + kx], wk[kx]);
			}
			for (int j = 0; j < 4; j++)
				dw_store_neon(out + (size_t)(ox + j) * C + c, a[j], bias ? bias + c : NULL,
					      act);
		}
	}
	for (int c = 0, ox2 = ox; c < C; c += 4)
		for (ox = ox2; ox < ox1; ox++) {
			float32x4_t a0 = vdupq_n_f32(0.0f);

			for (int ky = 0; ky < 3; ky++) {
				const float *q;

				if (!ok[ky])
					continue;
				q = (const float *)(row[ky] + (size_t)(ox * s - g->pl) * pxb) + c;
				for (int kx = 0; kx < 3; kx++)
					a0 = vfmaq_f32(a0, vld1q_f32(q + kx * pxf),
						       vld1q_f32(wf + (size_t)(ky * 3 + kx) * C + c));
			}
			dw_store_neon(out + (size_t)ox * C + c, a0, bias ? bias + c : NULL, act);
		}
}
#endif

void kf_nn_depthwise(struct kf_tensor *dst, const struct kf_tensor *src,
		     const struct kf_tensor *w, const float *bias,
		     const struct kf_conv_params *p, int ith, int nth)
{
	struct kf_nn_geom g;
	int64_t r0, r1;
	float *out = dst->data;
	int fast = 0;	/* 2 avx2, 3 avx512, 4 avx512 3x3 rows, 5 neon, 6 avx2 3x3 rows,
			 * 7 neon 3x3 rows: follows the GEMM kernel choice */

	dw_geom(&g, dst, src, w, p);
	kf_nn_row_range((int64_t)g.N * g.OH, ith, nth, &r0, &r1);
#ifdef KF_X86
	if (src->nb[0] == sizeof(float) && g.kh * g.kw <= 64)
		fast = !strcmp(kf_gemm_kernel_name(), "avx512") ? 3 :
		       !strcmp(kf_gemm_kernel_name(), "avx2") ? 2 : 0;
	if (fast == 3 && g.kh == 3 && g.kw == 3)
		fast = 4;	/* whole rows */
	if (fast == 2 && g.kh == 3 && g.kw == 3 && g.C % 8 == 0)
		fast = 6;
#endif
#ifdef KF_NEON
	if (src->nb[0] == sizeof(float) && g.kh * g.kw <= 64 && !strcmp(kf_gemm_kernel_name(), "neon"))
		fast = g.kh == 3 && g.kw == 3 && g.C % 4 == 0 ? 7 : 5;
#endif
	for (int64_t r = r0; r < r1; r++) {
		int n = (int)(r / g.OH), oy = (int)(r % g.OH);

		for (int ox = 0; ox < g.OW; ox++) {
			float *o = out + (r * g.OW + ox) * g.C;
#ifdef KF_X86
			if (fast == 4) {
				dw_row3_avx512(&g, src, w->data, bias, p->act, n, oy, o);
				break;
			}
			if (fast == 6) {
				dw_row3_avx2(&g, src, w->data, bias, p->act, n, oy, o);
				break;
			}
			if (fast == 3) {
				dw_pixel_avx512(&g, src, w->data, bias, p->act, n, oy, ox, o);
				continue;
			}
			if (fast == 2) {
				dw_pixel_avx2(&g, src, w->data, bias, p->act, n, oy, ox, o);
				continue;
			}
#endif
#ifdef KF_NEON
			if (fast == 7) {
				dw_row3_neon(&g, src, w->data, bias, p->act, n, oy, o);
				break;
			}
			if (fast == 5) {
				dw_pixel_neon(&g, src, w->data, bias, p->act, n, oy, ox, o);
				continue;
			}
#endif
			if (src->nb[0] == sizeof(float) && g.kh * g.kw <= 64)
				dw_pixel_rows(&g, src, w->data, bias, p->act, n, oy, ox, o);
			else
				dw_pixel_scalar(&g, src, w->data, bias, p->act, n, oy, ox, 0, o);
		}
	}
	(void)fast;
}

void kf_nn_depthwise_ref(struct kf_tensor *dst, const struct kf_tensor *src,
			 const struct kf_tensor *w, const float *bias,
			 const struct kf_conv_params *p, int ith, int nth)
{
	struct kf_nn_geom g;
	int64_t r0, r1;
	float *out = dst->data;

	dw_geom(&g, dst, src, w, p);
	kf_nn_row_range((int64_t)g.N * g.OH, ith, nth, &r0, &r1);
	for (int64_t r = r0; r < r1; r++)
		for (int ox = 0; ox < g.OW; ox++)
			dw_pixel_scalar(&g, src, w->data, bias, p->act, (int)(r / g.OH),
					(int)(r % g.OH), ox, 0, out + (r * g.OW + ox) * g.C);
}
