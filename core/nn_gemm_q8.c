/* nn_gemm_q8.c: the int8 GEMM (nn_gemm_q8.h).
 *
 * DESIGN: B is packed once into 32-column panels of 4-k groups, the layout the
 * dot-product instructions read: one 512-bit load holds 4 k of 16 columns.
 * A is quantised 48 rows at a time (each row over its whole K, with its own
 * scale) into a small buffer; then for each panel of B (K4 * 32 bytes, L2) the
 * 6-row tiles of that buffer (L1) run the whole K in int32 accumulators, and
 * the tile's store scales, adds the bias and applies the activation. No K
 * slicing: the largest K of the face nets (2304) keeps a panel at 72 KB.
 *
 * Overflow: |qa * qb| <= 255 * 127, so K up to 66,000 fits an int32 sum;
 * the nets' K is at most 2304.
 */
#include "core/nn_gemm_q8.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "core/err.h"

#define NR 32	/* panel width */
#define MR 6	/* rows per tile */
#define MB 48	/* rows quantised at a time */

/* B[k][n] of one column, at its place in the panels. */
static size_t at(int K4, int k, int n)
{
	return (size_t)(n / NR) * NR * (size_t)K4 + (size_t)(k / 4) * NR * 4 + (size_t)(n % NR) * 4 +
	       (size_t)(k % 4);
}

static int8_t round_s8(float v)
{
	v = nearbyintf(v);
	return (int8_t)(v > 127.0f ? 127 : v < -127.0f ? -127 : v);
}

int kf_gemm_q8_pack(int K, int N, const float *B, int ldb, int bytes, struct kf_gemm_q8 **out)
{
	int K4 = (K + 3) & ~3, np = (N + NR - 1) / NR;
	size_t nb = (size_t)np * NR * (size_t)K4;
	struct kf_gemm_q8 *q;
	int8_t *hi, *lo = NULL;
	float *scale, *colsum;
	int32_t *sum_hi, *sum_lo = NULL;

	*out = NULL;
	/* one block: the struct, the panels, then 4 arrays of np * NR floats or
	 * int32 (nb is a multiple of 128, so they stay aligned) */
	if (!(q = kf_aligned_alloc(64, 64 + nb * (size_t)bytes + (size_t)np * NR * 4 * sizeof(float))))
		return KF_E_NOMEM;
	hi = (int8_t *)q + 64;
	if (bytes == 2)
		lo = hi + nb;
	scale = (float *)(hi + nb * (size_t)bytes);
	colsum = scale + (size_t)np * NR;
	sum_hi = (int32_t *)(colsum + (size_t)np * NR);
	if (lo)
		sum_lo = sum_hi + (size_t)np * NR;
	memset(hi, 0, nb * (size_t)bytes);
	for (int n = 0; n < np * NR; n++) {
		float amax = 0.0f, inv;
		int32_t s1 = 0, s2 = 0;

		for (int k = 0; n < N && k < K; k++)
			amax = fmaxf(amax, fabsf(B[(size_t)k * (size_t)ldb + n]));
		inv = amax > 0.0f ? 127.0f / amax : 0.0f;
		for (int k = 0; n < N && k < K; k++) {
			float v = B[(size_t)k * (size_t)ldb + n] * inv;
			int8_t h = round_s8(v);

			hi[at(K4, k, n)] = h;
			s1 += h;
			if (lo) {
				int8_t l = round_s8((v - h) * KF_Q8_LO_STEPS);

				lo[at(K4, k, n)] = l;
				s2 += l;
			}
		}
		scale[n] = amax / 127.0f;
		colsum[n] = (float)s1 + (float)s2 * (1.0f / KF_Q8_LO_STEPS);
		sum_hi[n] = s1;
		if (sum_lo)
			sum_lo[n] = s2;
	}
	q->K = K;
	q->N = N;
	q->K4 = K4;
	q->hi = hi;
	q->lo = lo;
	q->scale = scale;
	q->colsum = colsum;
	q->sum_hi = sum_hi;
	q->sum_lo = sum_lo;
	*out = q;
	return KF_OK;
}

void kf_gemm_q8_free(struct kf_gemm_q8 *q)
{
	kf_free(q);
}

/* ---- kernels ------------------------------------------------------------- */

/* Quantise one row: a[0..K) -> q[0..K4) (zeros after K), *scale = sa,
 * *min = the row's minimum. */
typedef void (*quant_fn)(int K, int K4, const float *a, uint8_t *q, float *scale, float *min);

/* One tile: C[mr x nr] = act(sw[j] * (sa[r] * S[r][j] + mn[r] * colsum[j]) +
 * bias[j]) with S the sums of A's rows (mr rows of K4 bytes, lda apart) times
 * the panel Bh's columns, plus those times Bl's / KF_Q8_LO_STEPS when Bl is
 * not NULL (two-byte weights). sh, sl: the panel's integer column sums of Bh
 * and Bl (sl NULL with Bl), for kernels whose quant_fn stores A - 128. */
typedef void (*tile_fn)(int mr, int nr, int K4, const uint8_t *A, int lda, const int8_t *Bh,
			const int8_t *Bl, float *C, int ldc, const float *sa, const float *mn,
			const float *sw, const float *colsum, const int32_t *sh, const int32_t *sl,
			const float *bias, enum kf_act act);

static void quant_generic(int K, int K4, const float *a, uint8_t *q, float *scale, float *min)
{
	float lo = a[0], hi = a[0], inv;

	for (int k = 1; k < K; k++) {
		lo = fminf(lo, a[k]);
		hi = fmaxf(hi, a[k]);
	}
	inv = hi > lo ? 255.0f / (hi - lo) : 0.0f;
	for (int k = 0; k < K4; k++) {
		float v = k < K ? nearbyintf((a[k] - lo) * inv) : 0.0f;

		q[k] = (uint8_t)(v > 255.0f ? 255 : v < 0.0f ? 0 : (int)v);
	}
	*scale = (hi - lo) / 255.0f;
	*min = lo;
}

/* The store of every kernel, in this order of operations: s1, s2 the sums
 * with the high and low bytes of the weights. */
static inline float dequant(int32_t s1, int32_t s2, float sa, float mn, float sw, float colsum)
{
	float s = (float)s1 + (float)s2 * (1.0f / KF_Q8_LO_STEPS);
	float t = sa * s, u = mn * colsum;

	return sw * (t + u);
}

static void dots_generic(int mr, int nr, int K4, const uint8_t *A, int lda, const int8_t *Bp,
			 int32_t acc[MR][NR])
{
	memset(acc, 0, sizeof(int32_t) * MR * NR);
	if (!Bp)
		return;
	for (int k = 0; k < K4; k += 4) {
		const int8_t *b = Bp + (size_t)k * NR;

		for (int r = 0; r < mr; r++) {
			const uint8_t *a = A + (size_t)r * (size_t)lda + k;

			for (int j = 0; j < nr; j++)
				acc[r][j] += a[0] * b[4 * j] + a[1] * b[4 * j + 1] +
					     a[2] * b[4 * j + 2] + a[3] * b[4 * j + 3];
		}
	}
}

/* The scalar store from the sums (also the partial tiles of the AVX-VNNI kernel). */
static void store_generic(int mr, int nr, int32_t s1[MR][NR], int32_t s2[MR][NR], float *C,
			  int ldc, const float *sa, const float *mn, const float *sw,
			  const float *colsum, const float *bias, enum kf_act act)
{
	for (int r = 0; r < mr; r++) {
		for (int j = 0; j < nr; j++) {
			float v = dequant(s1[r][j], s2[r][j], sa[r], mn[r], sw[j], colsum[j]);

			if (bias)
				v += bias[j];
			C[(size_t)r * (size_t)ldc + j] = kf_nn_act_ref(v, act);
		}
	}
}

static void tile_generic(int mr, int nr, int K4, const uint8_t *A, int lda, const int8_t *Bh,
			 const int8_t *Bl, float *C, int ldc, const float *sa, const float *mn,
			 const float *sw, const float *colsum, const int32_t *sh, const int32_t *sl,
			 const float *bias, enum kf_act act)
{
	int32_t s1[MR][NR], s2[MR][NR];

	(void)sh, (void)sl;	/* A is unsigned here */
	dots_generic(mr, nr, K4, A, lda, Bh, s1);
	dots_generic(mr, nr, K4, A, lda, Bl, s2);
	store_generic(mr, nr, s1, s2, C, ldc, sa, mn, sw, colsum, bias, act);
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define KF_X86 1

__attribute__((target("avx512f,avx512bw")))
static inline __m512 act512(__m512 v, enum kf_act act)
{
	__m512 z = _mm512_setzero_ps(), m;

	switch (act) {
	case KF_ACT_NONE: return v;
	case KF_ACT_RELU: return _mm512_max_ps(v, z);
	case KF_ACT_RELU6: return _mm512_min_ps(_mm512_max_ps(v, z), _mm512_set1_ps(6.0f));
	case KF_ACT_LEAKY:
		m = _mm512_mul_ps(v, _mm512_set1_ps(0.1f));
		return _mm512_add_ps(_mm512_max_ps(_mm512_sub_ps(v, m), z), m);
	}
	return v;
}

/* The same numbers as quant_generic: min and max, one subtraction and one
 * multiply, round to nearest even (the default MXCSR mode). The values are
 * in 0..255, so the packs' saturation never clips; 64 values go to bytes
 * with two packs and a dword permutation (the packs work within 128-bit
 * lanes). */
__attribute__((target("avx512f,avx512bw")))
static void quant_avx512(int K, int K4, const float *a, uint8_t *q, float *scale, float *min)
{
	const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
	__m512 lo = _mm512_set1_ps(a[0]), hi = lo, inv, mn;
	float l, h;
	int k;

	for (k = 0; k < K; k += 16) {
		__mmask16 m = (__mmask16)(K - k >= 16 ? 0xffff : (1u << (K - k)) - 1);

		lo = _mm512_mask_min_ps(lo, m, lo, _mm512_maskz_loadu_ps(m, a + k));
		hi = _mm512_mask_max_ps(hi, m, hi, _mm512_maskz_loadu_ps(m, a + k));
	}
	l = _mm512_reduce_min_ps(lo);
	h = _mm512_reduce_max_ps(hi);
	mn = _mm512_set1_ps(l);
	inv = _mm512_set1_ps(h > l ? 255.0f / (h - l) : 0.0f);
#define KF_Q(p) _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_sub_ps(_mm512_loadu_ps(p), mn), inv))
	for (k = 0; k + 64 <= K; k += 64) {
		__m512i w0 = _mm512_packs_epi32(KF_Q(a + k), KF_Q(a + k + 16));
		__m512i w1 = _mm512_packs_epi32(KF_Q(a + k + 32), KF_Q(a + k + 48));

		_mm512_storeu_si512(q + k, _mm512_permutexvar_epi32(order, _mm512_packus_epi16(w0, w1)));
	}
#undef KF_Q
	for (; k < K4; k += 16) {
		__mmask16 ml = (__mmask16)(K - k >= 16 ? 0xffff : (1u << (K - k)) - 1);
		__m512 v = _mm512_maskz_mul_ps(ml, _mm512_sub_ps(_mm512_maskz_loadu_ps(ml, a + k), mn),
					       inv);
		uint8_t tmp[16];

		_mm_storeu_si128((__m128i *)tmp, _mm512_cvtusepi32_epi8(_mm512_cvtps_epi32(v)));
		memcpy(q + k, tmp, (size_t)(K4 - k < 16 ? K4 - k : 16));
	}
	*scale = (h - l) / 255.0f;
	*min = l;
}

/* dequant() on 16 columns. */
__attribute__((target("avx512f")))
static inline __m512 dequant512(__m512i s1, __m512i s2, __m512 sa, __m512 mn, const float *sw,
				const float *colsum, __mmask16 m)
{
	__m512 s = _mm512_add_ps(_mm512_cvtepi32_ps(s1), _mm512_mul_ps(_mm512_cvtepi32_ps(s2),
					_mm512_set1_ps(1.0f / KF_Q8_LO_STEPS)));
	__m512 t = _mm512_mul_ps(sa, s), u = _mm512_mul_ps(mn, _mm512_maskz_loadu_ps(m, colsum));

	return _mm512_mul_ps(_mm512_maskz_loadu_ps(m, sw), _mm512_add_ps(t, u));
}

/* One row of the 6x32 tile: dequant, bias, activation, masked store. */
__attribute__((target("avx512f,avx512bw")))
static inline void store512(float *cr, __m512i c0, __m512i c1, __m512i d0, __m512i d1, float sa,
			    float mn, const float *sw, const float *colsum, const float *bias,
			    enum kf_act act, __mmask16 m0, __mmask16 m1)
{
	__m512 s = _mm512_set1_ps(sa), l = _mm512_set1_ps(mn);
	__m512 v0 = dequant512(c0, d0, s, l, sw, colsum, m0);
	__m512 v1 = dequant512(c1, d1, s, l, sw + 16, colsum + 16, m1);

	if (bias) {
		v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(m0, bias));
		v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(m1, bias + 16));
	}
	_mm512_mask_storeu_ps(cr, m0, act512(v0, act));
	_mm512_mask_storeu_ps(cr + 16, m1, act512(v1, act));
}

/* acc += the dot products of 4 unsigned bytes of a with 4 signed bytes of b in
 * each lane. GCC's _mm512_dpbusd_epi32 makes it copy the accumulators
 * between registers and spill them (measured: half the tile's time with 24
 * accumulators); the instruction itself keeps them in place. */
#define KF_DPBUSD(acc, a, b) __asm__("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(a), "v"(b))

/* The 6x32 tile: for each 4 k, 2 loads of each weight panel, 6 broadcasts of
 * 4 activation bytes, 12 (24 with Bl) VPDPBUSD into as many accumulators. A
 * panel whose second half is padding (nr <= 16: YuNet's 16 channels) does
 * half the work. */
__attribute__((target("avx512f,avx512bw,avx512vnni")))
static void tile_avx512vnni(int mr, int nr, int K4, const uint8_t *A, int lda, const int8_t *Bh,
			    const int8_t *Bl, float *C, int ldc, const float *sa, const float *mn,
			    const float *sw, const float *colsum, const int32_t *sh, const int32_t *sl,
			    const float *bias, enum kf_act act)
{
	__m512i c[MR][2], d[MR][2];
	const uint8_t *a[MR];
	__mmask16 m0 = (__mmask16)(nr >= 16 ? 0xffff : (1u << nr) - 1);
	__mmask16 m1 = (__mmask16)(nr >= 32 ? 0xffff : nr <= 16 ? 0 : (1u << (nr - 16)) - 1);

	(void)sh, (void)sl;	/* VPDPBUSD takes A unsigned */
	for (int r = 0; r < MR; r++)
		a[r] = A + (size_t)(r < mr ? r : mr - 1) * (size_t)lda;
#define KF_ALL(X) X(0); X(1); X(2); X(3); X(4); X(5)
#define KF_ZERO(r) c[r][0] = c[r][1] = d[r][0] = d[r][1] = _mm512_setzero_si512()
	KF_ALL(KF_ZERO);
#undef KF_ZERO
#define KF_B(p, h) _mm512_loadu_si512((p) + (size_t)k * NR + 64 * (h))
#define KF_A(r) _mm512_set1_epi32(*(const int32_t *)(a[r] + k))
	if (nr <= 16 && !Bl) {
		for (int k = 0; k < K4; k += 4) {
			__m512i b0 = KF_B(Bh, 0);
#define KF_ROW(r) KF_DPBUSD(c[r][0], KF_A(r), b0)
			KF_ALL(KF_ROW);
#undef KF_ROW
		}
	} else if (!Bl) {
		for (int k = 0; k < K4; k += 4) {
			__m512i b0 = KF_B(Bh, 0), b1 = KF_B(Bh, 1);
#define KF_ROW(r) do { __m512i av = KF_A(r); \
			KF_DPBUSD(c[r][0], av, b0); \
			KF_DPBUSD(c[r][1], av, b1); } while (0)
			KF_ALL(KF_ROW);
#undef KF_ROW
		}
	} else if (nr <= 16) {
		for (int k = 0; k < K4; k += 4) {
			__m512i b0 = KF_B(Bh, 0), l0 = KF_B(Bl, 0);
#define KF_ROW(r) do { __m512i av = KF_A(r); \
			KF_DPBUSD(c[r][0], av, b0); \
			KF_DPBUSD(d[r][0], av, l0); } while (0)
			KF_ALL(KF_ROW);
#undef KF_ROW
		}
	} else {
		for (int k = 0; k < K4; k += 4) {
			__m512i b0 = KF_B(Bh, 0), b1 = KF_B(Bh, 1), l0 = KF_B(Bl, 0), l1 = KF_B(Bl, 1);
#define KF_ROW(r) do { __m512i av = KF_A(r); \
			KF_DPBUSD(c[r][0], av, b0); \
			KF_DPBUSD(c[r][1], av, b1); \
			KF_DPBUSD(d[r][0], av, l0); \
			KF_DPBUSD(d[r][1], av, l1); } while (0)
			KF_ALL(KF_ROW);
#undef KF_ROW
		}
	}
#undef KF_B
#undef KF_A
	/* constant row indices, so the accumulators stay in registers */
#define KF_STORE(r) if (r < mr) store512(C + (size_t)(r) * (size_t)ldc, c[r][0], c[r][1], d[r][0], \
					 d[r][1], sa[r], mn[r], sw, colsum, bias, act, m0, m1)
	KF_ALL(KF_STORE);
#undef KF_STORE
#undef KF_ALL
}

/* quant_generic with AVX2: 8 values at a time, the tail as quant_generic. */
__attribute__((target("avx2,fma")))
static void quant_avx2(int K, int K4, const float *a, uint8_t *q, float *scale, float *min)
{
	__m256 lo = _mm256_set1_ps(a[0]), hi = lo, inv, mn;
	__m128 l4, h4;
	float l, h, fi;
	int k;

	for (k = 0; k + 8 <= K; k += 8) {
		lo = _mm256_min_ps(lo, _mm256_loadu_ps(a + k));
		hi = _mm256_max_ps(hi, _mm256_loadu_ps(a + k));
	}
	l4 = _mm_min_ps(_mm256_castps256_ps128(lo), _mm256_extractf128_ps(lo, 1));
	l4 = _mm_min_ps(l4, _mm_movehl_ps(l4, l4));
	l = _mm_cvtss_f32(_mm_min_ss(l4, _mm_shuffle_ps(l4, l4, 1)));
	h4 = _mm_max_ps(_mm256_castps256_ps128(hi), _mm256_extractf128_ps(hi, 1));
	h4 = _mm_max_ps(h4, _mm_movehl_ps(h4, h4));
	h = _mm_cvtss_f32(_mm_max_ss(h4, _mm_shuffle_ps(h4, h4, 1)));
	for (; k < K; k++) {
		l = fminf(l, a[k]);
		h = fmaxf(h, a[k]);
	}
	fi = h > l ? 255.0f / (h - l) : 0.0f;
	mn = _mm256_set1_ps(l);
	inv = _mm256_set1_ps(fi);
	for (k = 0; k + 8 <= K; k += 8) {
		__m256i i = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(a + k), mn),
							     inv));
		__m128i w = _mm_packs_epi32(_mm256_castsi256_si128(i), _mm256_extracti128_si256(i, 1));

		_mm_storel_epi64((__m128i *)(q + k), _mm_packus_epi16(w, w));
	}
	for (; k < K4; k++) {
		float v = k < K ? nearbyintf((a[k] - l) * fi) : 0.0f;

		q[k] = (uint8_t)(v > 255.0f ? 255 : v < 0.0f ? 0 : (int)v);
	}
	*scale = (h - l) / 255.0f;
	*min = l;
}

/* The sums of 6 rows with 16 columns of a panel (Bp at the first), AVX-VNNI. */
/* The VEX form (AVX-VNNI): the same instruction on ymm registers 0-15. */
#define KF_DPBUSD_VEX(acc, a, b) __asm__("%{vex%} vpdpbusd %2, %1, %0" : "+x"(acc) : "x"(a), "x"(b))

__attribute__((target("avx2,fma,avxvnni")))
static void dots_avxvnni(int K4, const uint8_t *const a[MR], const int8_t *Bp,
			 int32_t acc[MR][NR], int off)
{
	__m256i c[MR][2];

	for (int r = 0; r < MR; r++)
		c[r][0] = c[r][1] = _mm256_setzero_si256();
	for (int k = 0; k < K4; k += 4) {
		__m256i b0 = _mm256_loadu_si256((const __m256i *)(Bp + (size_t)k * NR));
		__m256i b1 = _mm256_loadu_si256((const __m256i *)(Bp + (size_t)k * NR + 32));

#define KF_ROW(r) do { __m256i av = _mm256_set1_epi32(*(const int32_t *)(a[r] + k)); \
		KF_DPBUSD_VEX(c[r][0], av, b0); \
		KF_DPBUSD_VEX(c[r][1], av, b1); } while (0)
		KF_ROW(0); KF_ROW(1); KF_ROW(2); KF_ROW(3); KF_ROW(4); KF_ROW(5);
#undef KF_ROW
	}
	for (int r = 0; r < MR; r++) {
		_mm256_storeu_si256((__m256i *)(acc[r] + off), c[r][0]);
		_mm256_storeu_si256((__m256i *)(acc[r] + off + 8), c[r][1]);
	}
}

/* 16 registers of 8 lanes: the sums of each half panel and weight byte go to
 * memory, then the scalar store (the int8 work dominates). */
__attribute__((target("avx2,fma,avxvnni")))
static void tile_avxvnni(int mr, int nr, int K4, const uint8_t *A, int lda, const int8_t *Bh,
			 const int8_t *Bl, float *C, int ldc, const float *sa, const float *mn,
			 const float *sw, const float *colsum, const int32_t *sh, const int32_t *sl,
			 const float *bias, enum kf_act act)
{
	int32_t s1[MR][NR], s2[MR][NR];
	const uint8_t *a[MR];

	(void)sh, (void)sl;	/* VPDPBUSD takes A unsigned */
	for (int r = 0; r < MR; r++)
		a[r] = A + (size_t)(r < mr ? r : mr - 1) * (size_t)lda;
	memset(s2, 0, sizeof(s2));
	for (int h = 0; h < (nr > 16 ? 2 : 1); h++) {
		dots_avxvnni(K4, a, Bh + 64 * h, s1, 16 * h);
		if (Bl)
			dots_avxvnni(K4, a, Bl + 64 * h, s2, 16 * h);
	}
	store_generic(mr, nr, s1, s2, C, ldc, sa, mn, sw, colsum, bias, act);
}
#endif

/* ---- dispatch ------------------------------------------------------------ */

enum { K_UNKNOWN, K_OFF, K_GENERIC, K_AVXVNNI, K_AVX512VNNI };

static const struct q8_kernel {
	const char *name;
	quant_fn quant;
	tile_fn tile;
} kernels[] = {
	[K_UNKNOWN] = { "?", NULL, NULL },
	[K_OFF] = { "off", quant_generic, tile_generic },
	[K_GENERIC] = { "generic", quant_generic, tile_generic },
#ifdef KF_X86
	[K_AVXVNNI] = { "avxvnni", quant_avx2, tile_avxvnni },
	[K_AVX512VNNI] = { "avx512vnni", quant_avx512, tile_avx512vnni },
#endif
};

static atomic_int precision;	/* enum kf_precision */
static atomic_int kernel_choice;

/* Can this CPU run kernel k? Each kernel asks for its own instructions: a
 * CPU with AVX512-VNNI may lack AVX-VNNI (Ice Lake, Zen 4). */
static int runnable(int k)
{
	switch (k) {
	case K_OFF:
	case K_GENERIC:
		return 1;
#ifdef KF_X86
	case K_AVXVNNI:
		__builtin_cpu_init();
		return __builtin_cpu_supports("avxvnni") && __builtin_cpu_supports("avx2") &&
		       __builtin_cpu_supports("fma");
	case K_AVX512VNNI:
		__builtin_cpu_init();
		return __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw");
#endif
	}
	return 0;
}

/* The best int8 kernel this CPU runs (K_OFF when it has no dot products). */
static int best_kernel(void)
{
	static const int order[] = { K_AVX512VNNI, K_AVXVNNI };

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (runnable(order[i]))
			return order[i];
	return K_OFF;
}

static int kernel_by_name(const char *name)
{
	for (int k = K_OFF; k < (int)(sizeof(kernels) / sizeof(kernels[0])); k++)
		if (kernels[k].name && !strcmp(kernels[k].name, name))
			return k;
	return K_UNKNOWN;
}

static int choose(void)
{
	int k = atomic_load_explicit(&kernel_choice, memory_order_relaxed), best, f;
	const char *e;

	if (k)
		return k;
	best = best_kernel();
	k = atomic_load(&precision) == KF_PRECISION_FP32 ? K_OFF : best;
	if ((e = getenv("KF_GEMM_INT8")) && (f = kernel_by_name(e)) != K_UNKNOWN)
		k = runnable(f) ? f : best;
	atomic_store_explicit(&kernel_choice, k, memory_order_relaxed);
	return k;
}

void kf_nn_set_precision(enum kf_precision p)
{
	atomic_store(&precision, (int)p);
	atomic_store(&kernel_choice, K_UNKNOWN);
}

enum kf_precision kf_nn_precision(void)
{
	return (enum kf_precision)atomic_load(&precision);
}

int kf_precision_parse(const char *s)
{
	if (!strcmp(s, "auto"))
		return KF_PRECISION_AUTO;
	if (!strcmp(s, "fp32"))
		return KF_PRECISION_FP32;
	return -1;
}

const char *kf_precision_name(enum kf_precision p)
{
	return p == KF_PRECISION_FP32 ? "fp32" : "auto";
}

int kf_gemm_q8_active(void)
{
	return choose() != K_OFF;
}

const char *kf_gemm_q8_kernel_name(void)
{
	return kernels[choose()].name;
}

int kf_gemm_q8_set_kernel(const char *name)
{
	int k = kernel_by_name(name);

	if (k == K_UNKNOWN || !runnable(k))
		return KF_E_UNSUPPORTED;
	atomic_store(&kernel_choice, k);
	return KF_OK;
}

/* ---- the GEMM ------------------------------------------------------------ */

int kf_gemm_q8(int M, const float *A, int lda, const struct kf_gemm_q8 *q, float *C, int ldc,
	       const float *bias, enum kf_act act, struct kf_arena *scratch)
{
	const struct q8_kernel *kn = &kernels[choose()];
	int K4 = q->K4, np = (q->N + NR - 1) / NR;
	uint8_t *buf = kf_arena_alloc(scratch, (size_t)MB * (size_t)K4);
	float sa[MB], mn[MB];

	if (!buf)
		return KF_E_NOMEM;
	for (int m0 = 0; m0 < M; m0 += MB) {
		int mb = M - m0 < MB ? M - m0 : MB;

		for (int i = 0; i < mb; i++)
			kn->quant(q->K, K4, A + (size_t)(m0 + i) * (size_t)lda, buf + (size_t)i * K4,
				  &sa[i], &mn[i]);
		for (int p = 0; p < np; p++) {
			int nr = q->N - p * NR < NR ? q->N - p * NR : NR;

			for (int t = 0; t < mb; t += MR)
				kn->tile(mb - t < MR ? mb - t : MR, nr, K4, buf + (size_t)t * K4, K4,
					 q->hi + (size_t)p * NR * (size_t)K4,
					 q->lo ? q->lo + (size_t)p * NR * (size_t)K4 : NULL,
					 C + (size_t)(m0 + t) * (size_t)ldc + p * NR, ldc, sa + t,
					 mn + t, q->scale + p * NR, q->colsum + p * NR,
					 q->sum_hi + p * NR, q->lo ? q->sum_lo + p * NR : NULL,
					 bias ? bias + p * NR : NULL, act);
		}
	}
	return KF_OK;
}
