/* nn_gemm_q8.c: the int8 GEMM (nn_gemm_q8.h).
 *
 * DESIGN: B is packed once into 32-column panels of 4-k groups, the layout the
 * dot-product instructions read: one 512-bit load holds 4 k of 16 columns.
 * A is quantised 48 rows at a time (each row over its whole K, with its own
 * scale; a convolution gathers each row from its input's pixels,
 * kf_q8_quant_row) into a small buffer; then for each panel of B (K4 * 32
 * bytes, L2) the 6-row tiles of that buffer (L1) run the whole K in int32
 * accumulators, and the tile's store scales, adds the bias and applies the
 * activation. No K slicing: the largest K of the face nets (2304) keeps a
 * panel at 72 KB.
 *
 * Overflow: |qa * qb| <= 255 * 127, so K up to 66,000 fits an int32 sum;
 * the nets' K is at most 2304. The NEON kernel's partial sums (128 * the
 * column sum, plus (qa - 128) * qb) stay under 256 * 127 * K: the same bound.
 *
 * AArch64: SDOT multiplies signed bytes by signed bytes, so the NEON kernel
 * quantises A as above and stores qa - 128; its sums start at 128 * the
 * column's integer sum (isum), which gives the same integers.
 */
#include "core/nn_gemm_q8.h"

#include <assert.h>
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "core/clones.h"
#include "core/err.h"
#include "core/nn_act_simd.h"

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

/* Move the values q[0], q[stride], ... (n of them, each v rounded to
 * nearest) by one step, those nearest half a step first, until their sum is
 * within half a step of v's: the least squared error with that sum. */
static void keep_sum(const float *v, int8_t *q, int n, int stride)
{
	float r = 0.0f;

	for (int i = 0; i < n; i += stride)
		r += (float)q[i] - v[i];
	while (r > 0.5f || r < -0.5f) {
		int dir = r > 0.0f ? -1 : 1, best = -1;
		float cost = 2.0f;

		for (int i = 0; i < n; i += stride) {
			float c = fabsf((float)(q[i] + dir) - v[i]);

			if (q[i] + dir >= -127 && q[i] + dir <= 127 && c < cost) {
				cost = c;
				best = i;
			}
		}
		if (best < 0 || cost > 1.0f)
			break;
		q[best] = (int8_t)(q[best] + dir);
		r += (float)dir;
	}
}

int kf_gemm_q8_pack(int K, int N, const float *B, int ldb, int group, struct kf_gemm_q8 **out)
{
	int K4 = (K + 3) & ~3, np = (N + NR - 1) / NR;
	size_t nb = (size_t)np * NR * (size_t)K4, kn = (size_t)K * (size_t)(N > 0 ? N : 1);
	struct kf_gemm_q8 *q;
	int8_t *qb, *h = kf_malloc(kn);
	float *scale, *colsum, *v = kf_malloc_array(kn, sizeof(float));
	int32_t *isum;

	*out = NULL;
	/* one block: the struct, the panels, then 3 arrays of np * NR floats or
	 * int32 (nb is a multiple of 128, so they stay aligned) */
	q = kf_aligned_alloc(64, 64 + nb + (size_t)np * NR * 3 * sizeof(float));
	if (!q || !h || !v) {
		kf_free(q), kf_free(h), kf_free(v);
		return KF_E_NOMEM;
	}
	qb = (int8_t *)q + 64;
	scale = (float *)(qb + nb);
	colsum = scale + (size_t)np * NR;
	isum = (int32_t *)(colsum + (size_t)np * NR);
	memset(qb, 0, nb);
	memset(scale, 0, (size_t)np * NR * 3 * sizeof(float));
	/* B is read by rows (a column at a time missed the cache at every k: half
	 * of loading the recognition net); v and h hold it by columns */
	for (int k = 0; k < K; k++)
		for (int n = 0; n < N; n++) {
			float a = fabsf(B[(size_t)k * (size_t)ldb + n]);

			scale[n] = a > scale[n] ? a : scale[n];
		}
	for (int n = 0; n < N; n++)	/* colsum holds the inverse steps until the sums */
		colsum[n] = scale[n] > 0.0f ? 127.0f / scale[n] : 0.0f;
	for (int k = 0; k < K; k++)
		for (int n = 0; n < N; n++) {
			size_t i = (size_t)n * (size_t)K + (size_t)k;

			v[i] = B[(size_t)k * (size_t)ldb + n] * colsum[n];
			h[i] = round_s8(v[i]);
		}
	for (int n = 0; n < N; n++) {
		float *vn = v + (size_t)n * (size_t)K;
		int8_t *hn = h + (size_t)n * (size_t)K;
		int32_t sum = 0;

		if (group > 0) {
			for (int g = 0; g < group && g < K; g++)
				keep_sum(vn + g, hn + g, K - g, group);
			keep_sum(vn, hn, K, 1);
		}
		for (int k = 0; k < K; k++) {
			qb[at(K4, k, n)] = hn[k];
			sum += hn[k];
		}
		scale[n] /= 127.0f;
		colsum[n] = (float)sum;
		isum[n] = sum;
	}
	kf_free(h);
	kf_free(v);
	q->K = K;
	q->N = N;
	q->K4 = K4;
	q->qb = qb;
	q->scale = scale;
	q->colsum = colsum;
	q->isum = isum;
	*out = q;
	return KF_OK;
}

void kf_gemm_q8_free(struct kf_gemm_q8 *q)
{
	kf_free(q);
}

/* ---- kernels ------------------------------------------------------------- */

/* A row's range: *lo, *hi = the minimum and maximum of its np >= 1 pieces
 * p[i][0..len), len >= 1 (kf_q8_quant_row). */
typedef void (*range_fn)(const float *const *p, int np, int len, float *lo, float *hi);
/* A row of np pieces p[i][0..len) (p[i] NULL: zeros) to the bytes the tile
 * reads, q = round((a - lo) * inv) in 0..255 (kf_q8_quant_row). Each kernel
 * writes the quantiser of n values (quant1_*) and KF_QUANT_PIECES makes this
 * of it, so a row is one call. */
typedef void (*quant_fn)(const float *const *p, int np, int len, float lo, float inv, uint8_t *q);

#define KF_QUANT_PIECES(name, one, attr) \
	attr static void name(const float *const *p, int np, int len, float lo, float inv, \
			      uint8_t *q) \
	{ \
		const float zero = 0.0f; \
		uint8_t z = 0; \
		int have_z = 0; \
		for (int i = 0; i < np; i++, q += len) { \
			if (p[i]) { \
				one(p[i], len, lo, inv, q); \
				continue; \
			} \
			if (!have_z) /* the byte of a 0 past the edge */ \
				one(&zero, 1, lo, inv, &z); \
			have_z = 1; \
			memset(q, z, (size_t)len); \
		} \
	}

/* A tile's rows: row r's K4 = nseg * seglen bytes are nseg segments of
 * seglen (a multiple of 4), segment s at a[r] + s * segstride (a whole row:
 * one segment; a convolution's window read in place: one a kernel row).
 * Rows past the tile's mr point at its last. */
struct q8_rows {
	const uint8_t *a[MR];
	int nseg, seglen;
	size_t segstride;
};

/* One tile: C[mr x nr] = act(sw[j] * (sa[r] * S[r][j] + mn[r] * colsum[j]) +
 * bias[j]) with S the sums of A's rows times the panel Bp's columns. is: the
 * panel's integer column sums, for kernels whose quant_fn stores A - 128. */
typedef void (*tile_fn)(int mr, int nr, const struct q8_rows *A, const int8_t *Bp, float *C,
			int ldc, const float *sa, const float *mn, const float *sw,
			const float *colsum, const int32_t *is, const float *bias, enum kf_act act);

static void range_generic(const float *const *p, int np, int len, float *lo, float *hi)
{
	float l = p[0][0], h = p[0][0];

	for (int i = 0; i < np; i++)
		for (int k = 0; k < len; k++) {
			l = fminf(l, p[i][k]);
			h = fmaxf(h, p[i][k]);
		}
	*lo = l;
	*hi = h;
}

static inline void quant1_generic(const float *a, int n, float lo, float inv, uint8_t *q)
{
	for (int k = 0; k < n; k++) {
		float v = nearbyintf((a[k] - lo) * inv);

		q[k] = (uint8_t)(v > 255.0f ? 255 : v < 0.0f ? 0 : (int)v);
	}
}

KF_QUANT_PIECES(quant_generic, quant1_generic, )

/* The store of every kernel, in this order of operations. */
static inline float dequant(int32_t s1, float sa, float mn, float sw, float colsum)
{
	float t = sa * (float)s1, u = mn * colsum;

	return sw * (t + u);
}

static void dots_generic(int mr, int nr, const struct q8_rows *A, const int8_t *Bp,
			 int32_t acc[MR][NR])
{
	memset(acc, 0, sizeof(int32_t) * MR * NR);
	for (int sg = 0; sg < A->nseg; sg++, Bp += (size_t)A->seglen * NR) {
		for (int k = 0; k < A->seglen; k += 4) {
			const int8_t *b = Bp + (size_t)k * NR;

			for (int r = 0; r < mr; r++) {
				const uint8_t *a = A->a[r] + (size_t)sg * A->segstride + k;

				for (int j = 0; j < nr; j++)
					acc[r][j] += a[0] * b[4 * j] + a[1] * b[4 * j + 1] +
						     a[2] * b[4 * j + 2] + a[3] * b[4 * j + 3];
			}
		}
	}
}

/* The scalar store from the sums, of columns j0..nr-1 (the vector stores
 * leave it the last columns of a partial panel). */
static void store_generic(int mr, int j0, int nr, int32_t s1[MR][NR], float *C, int ldc,
			  const float *sa, const float *mn, const float *sw, const float *colsum,
			  const float *bias, enum kf_act act)
{
	for (int r = 0; r < mr; r++) {
		for (int j = j0; j < nr; j++) {
			float v = dequant(s1[r][j], sa[r], mn[r], sw[j], colsum[j]);

			if (bias)
				v += bias[j];
			C[(size_t)r * (size_t)ldc + j] = kf_nn_act_ref(v, act);
		}
	}
}

static void tile_generic(int mr, int nr, const struct q8_rows *A, const int8_t *Bp, float *C,
			 int ldc, const float *sa, const float *mn, const float *sw,
			 const float *colsum, const int32_t *is, const float *bias, enum kf_act act)
{
	int32_t s1[MR][NR];

	(void)is;	/* A is unsigned here */
	dots_generic(mr, nr, A, Bp, s1);
	store_generic(mr, 0, nr, s1, C, ldc, sa, mn, sw, colsum, bias, act);
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <immintrin.h>
#define KF_X86 1

/* The same numbers as range_generic and quant_generic: one subtraction and
 * one multiply, round to nearest even (the default MXCSR mode). The values
 * are in 0..255, so the packs' saturation never clips; 64 values go to bytes
 * with two packs and a dword permutation (the packs work within 128-bit
 * lanes). */
__attribute__((target("avx512f")))
static void range_avx512(const float *const *p, int np, int len, float *lo, float *hi)
{
	__m512 l = _mm512_set1_ps(p[0][0]), h = l;

	for (int i = 0; i < np; i++)
		for (int k = 0; k < len; k += 16) {
			__mmask16 m = (__mmask16)(len - k >= 16 ? 0xffff : (1u << (len - k)) - 1);
			__m512 v = _mm512_maskz_loadu_ps(m, p[i] + k);

			l = _mm512_mask_min_ps(l, m, l, v);
			h = _mm512_mask_max_ps(h, m, h, v);
		}
	*lo = _mm512_reduce_min_ps(l);
	*hi = _mm512_reduce_max_ps(h);
}

__attribute__((target("avx512f,avx512bw")))
static inline void quant1_avx512(const float *a, int n, float lo, float inv, uint8_t *q)
{
	const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
	const __m512 mn = _mm512_set1_ps(lo), s = _mm512_set1_ps(inv);
	int k;

#define KF_Q(p) _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_sub_ps(_mm512_loadu_ps(p), mn), s))
	for (k = 0; k + 64 <= n; k += 64) {
		__m512i w0 = _mm512_packs_epi32(KF_Q(a + k), KF_Q(a + k + 16));
		__m512i w1 = _mm512_packs_epi32(KF_Q(a + k + 32), KF_Q(a + k + 48));

		_mm512_storeu_si512(q + k, _mm512_permutexvar_epi32(order, _mm512_packus_epi16(w0, w1)));
	}
#undef KF_Q
	for (; k < n; k += 16) {
		__mmask16 m = (__mmask16)(n - k >= 16 ? 0xffff : (1u << (n - k)) - 1);
		__m512 v = _mm512_mul_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, a + k), mn), s);

		_mm512_mask_cvtusepi32_storeu_epi8(q + k, m, _mm512_cvtps_epi32(v));
	}
}

KF_QUANT_PIECES(quant_avx512, quant1_avx512, __attribute__((target("avx512f,avx512bw"))))

/* dequant() on 16 columns. */
__attribute__((target("avx512f")))
static inline __m512 dequant512(__m512i s1, __m512 sa, __m512 mn, const float *sw,
				const float *colsum, __mmask16 m)
{
	__m512 t = _mm512_mul_ps(sa, _mm512_cvtepi32_ps(s1));
	__m512 u = _mm512_mul_ps(mn, _mm512_maskz_loadu_ps(m, colsum));

	return _mm512_mul_ps(_mm512_maskz_loadu_ps(m, sw), _mm512_add_ps(t, u));
}

/* One row of the 6x32 tile: dequant, bias, activation, masked store. */
__attribute__((target("avx512f,avx512bw")))
static inline void store512(float *cr, __m512i c0, __m512i c1, float sa, float mn,
			    const float *sw, const float *colsum, const float *bias, enum kf_act act,
			    __mmask16 m0, __mmask16 m1)
{
	__m512 s = _mm512_set1_ps(sa), l = _mm512_set1_ps(mn);
	__m512 v0 = dequant512(c0, s, l, sw, colsum, m0);
	__m512 v1 = dequant512(c1, s, l, sw + 16, colsum + 16, m1);

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

/* The 6x32 tile: for each 4 k, 2 loads of the weight panel, 6 broadcasts of
 * 4 activation bytes, 12 VPDPBUSD into as many accumulators. A panel whose
 * second half is padding (nr <= 16) does half the work. */
__attribute__((target("avx512f,avx512bw,avx512vnni")))
static void tile_avx512vnni(int mr, int nr, const struct q8_rows *A, const int8_t *Bp, float *C,
			    int ldc, const float *sa, const float *mn, const float *sw,
			    const float *colsum, const int32_t *is, const float *bias,
			    enum kf_act act)
{
	__m512i c[MR][2];
	const uint8_t *a[MR];
	__mmask16 m0 = (__mmask16)(nr >= 16 ? 0xffff : (1u << nr) - 1);
	__mmask16 m1 = (__mmask16)(nr >= 32 ? 0xffff : nr <= 16 ? 0 : (1u << (nr - 16)) - 1);
	int seglen = A->seglen;

	(void)is;	/* VPDPBUSD takes A unsigned */
#define KF_ALL(X) X(0); X(1); X(2); X(3); X(4); X(5)
#define KF_ZERO(r) c[r][0] = c[r][1] = _mm512_setzero_si512()
	KF_ALL(KF_ZERO);
#undef KF_ZERO
#define KF_B(h) _mm512_loadu_si512(Bp + (size_t)k * NR + 64 * (h))
#define KF_A(r) _mm512_set1_epi32(*(const int32_t *)(a[r] + k))
	for (int sg = 0; sg < A->nseg; sg++, Bp += (size_t)seglen * NR) {
		for (int r = 0; r < MR; r++)
			a[r] = A->a[r] + (size_t)sg * A->segstride;
		if (nr <= 16) {
			for (int k = 0; k < seglen; k += 4) {
				__m512i b0 = KF_B(0);
#define KF_ROW(r) KF_DPBUSD(c[r][0], KF_A(r), b0)
				KF_ALL(KF_ROW);
#undef KF_ROW
			}
		} else {
			for (int k = 0; k < seglen; k += 4) {
				__m512i b0 = KF_B(0), b1 = KF_B(1);
#define KF_ROW(r) do { __m512i av = KF_A(r); \
				KF_DPBUSD(c[r][0], av, b0); \
				KF_DPBUSD(c[r][1], av, b1); } while (0)
				KF_ALL(KF_ROW);
#undef KF_ROW
			}
		}
	}
#undef KF_B
#undef KF_A
	/* constant row indices, so the accumulators stay in registers */
#define KF_STORE(r) if (r < mr) store512(C + (size_t)(r) * (size_t)ldc, c[r][0], c[r][1], sa[r], \
					 mn[r], sw, colsum, bias, act, m0, m1)
	KF_ALL(KF_STORE);
#undef KF_STORE
#undef KF_ALL
}

/* range_generic and quant_generic with AVX2: 8 values at a time, the tail
 * as the generic ones. */
__attribute__((target("avx2,fma")))
static void range_avx2(const float *const *p, int np, int len, float *lo, float *hi)
{
	__m256 l8 = _mm256_set1_ps(p[0][0]), h8 = l8;
	__m128 l4, h4;
	float l, h;

	for (int i = 0; i < np; i++)
		for (int k = 0; k + 8 <= len; k += 8) {
			l8 = _mm256_min_ps(l8, _mm256_loadu_ps(p[i] + k));
			h8 = _mm256_max_ps(h8, _mm256_loadu_ps(p[i] + k));
		}
	l4 = _mm_min_ps(_mm256_castps256_ps128(l8), _mm256_extractf128_ps(l8, 1));
	l4 = _mm_min_ps(l4, _mm_movehl_ps(l4, l4));
	l = _mm_cvtss_f32(_mm_min_ss(l4, _mm_shuffle_ps(l4, l4, 1)));
	h4 = _mm_max_ps(_mm256_castps256_ps128(h8), _mm256_extractf128_ps(h8, 1));
	h4 = _mm_max_ps(h4, _mm_movehl_ps(h4, h4));
	h = _mm_cvtss_f32(_mm_max_ss(h4, _mm_shuffle_ps(h4, h4, 1)));
	for (int i = 0; i < np; i++)
		for (int k = len & ~7; k < len; k++) {
			l = fminf(l, p[i][k]);
			h = fmaxf(h, p[i][k]);
		}
	*lo = l;
	*hi = h;
}

__attribute__((target("avx2,fma")))
static inline void quant1_avx2(const float *a, int n, float lo, float inv, uint8_t *q)
{
	const __m256 mn = _mm256_set1_ps(lo), s = _mm256_set1_ps(inv);
	int k;

	for (k = 0; k + 8 <= n; k += 8) {
		__m256i i = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(a + k), mn), s));
		__m128i w = _mm_packs_epi32(_mm256_castsi256_si128(i), _mm256_extracti128_si256(i, 1));

		_mm_storel_epi64((__m128i *)(q + k), _mm_packus_epi16(w, w));
	}
	quant1_generic(a + k, n - k, lo, inv, q + k);
}

KF_QUANT_PIECES(quant_avx2, quant1_avx2, __attribute__((target("avx2,fma"))))

/* store_generic 8 columns at a time (dequant()'s operations in its order),
 * the last columns of a partial panel by store_generic. */
__attribute__((target("avx2,fma")))
static void store_avx2(int mr, int nr, int32_t s1[MR][NR], float *C, int ldc, const float *sa,
		       const float *mn, const float *sw, const float *colsum, const float *bias,
		       enum kf_act act)
{
	int j8 = nr & ~7;

	for (int r = 0; r < mr; r++) {
		float *cr = C + (size_t)r * (size_t)ldc;
		__m256 a = _mm256_set1_ps(sa[r]), m = _mm256_set1_ps(mn[r]);

		for (int j = 0; j < j8; j += 8) {
			__m256i i1 = _mm256_loadu_si256((const __m256i *)(s1[r] + j));
			__m256 t = _mm256_mul_ps(a, _mm256_cvtepi32_ps(i1));
			__m256 u = _mm256_mul_ps(m, _mm256_loadu_ps(colsum + j));
			__m256 v = _mm256_mul_ps(_mm256_loadu_ps(sw + j), _mm256_add_ps(t, u));

			if (bias)
				v = _mm256_add_ps(v, _mm256_loadu_ps(bias + j));
			_mm256_storeu_ps(cr + j, act256(v, act));
		}
	}
	store_generic(mr, j8, nr, s1, C, ldc, sa, mn, sw, colsum, bias, act);
}

#ifdef KF_Q8_EMULATE_AVXVNNI
/* Tests only (tests/CMakeLists.txt, unit.precision-avxvnni): VPDPBUSD on ymm
 * made of AVX2, so that the AVX-VNNI kernel runs, and is checked, on any CPU
 * with AVX2. The same int32 sums: the even and the odd bytes widened to 16
 * bits, multiplied and added in pairs (at most 2 x 255 x 128: no overflow). */
__attribute__((target("avx2")))
static inline __m256i dpbusd_avx2(__m256i acc, __m256i a, __m256i b)
{
	__m256i ae = _mm256_and_si256(a, _mm256_set1_epi16(0xff)), ao = _mm256_srli_epi16(a, 8);
	__m256i be = _mm256_srai_epi16(_mm256_slli_epi16(b, 8), 8), bo = _mm256_srai_epi16(b, 8);

	acc = _mm256_add_epi32(acc, _mm256_madd_epi16(ae, be));
	return _mm256_add_epi32(acc, _mm256_madd_epi16(ao, bo));
}
#define KF_DPBUSD_VEX(acc, a, b) ((acc) = dpbusd_avx2((acc), (a), (b)))
#define KF_AVXVNNI_TARGET "avx2,fma"
#else
/* The VEX form (AVX-VNNI): the same instruction on ymm registers 0-15. */
#define KF_DPBUSD_VEX(acc, a, b) __asm__("%{vex%} vpdpbusd %2, %1, %0" : "+x"(acc) : "x"(a), "x"(b))
#define KF_AVXVNNI_TARGET "avx2,fma,avxvnni"
#endif

/* The sums of 6 rows with 16 columns of a panel (Bp at the first), AVX-VNNI. */
__attribute__((target(KF_AVXVNNI_TARGET)))
static void dots_avxvnni(const struct q8_rows *A, const int8_t *Bp, int32_t acc[MR][NR], int off)
{
	__m256i c[MR][2];
	const uint8_t *a[MR];

	for (int r = 0; r < MR; r++)
		c[r][0] = c[r][1] = _mm256_setzero_si256();
	for (int sg = 0; sg < A->nseg; sg++, Bp += (size_t)A->seglen * NR) {
		for (int r = 0; r < MR; r++)
			a[r] = A->a[r] + (size_t)sg * A->segstride;
		for (int k = 0; k < A->seglen; k += 4) {
			__m256i b0 = _mm256_loadu_si256((const __m256i *)(Bp + (size_t)k * NR));
			__m256i b1 = _mm256_loadu_si256((const __m256i *)(Bp + (size_t)k * NR + 32));

#define KF_ROW(r) do { __m256i av = _mm256_set1_epi32(*(const int32_t *)(a[r] + k)); \
			KF_DPBUSD_VEX(c[r][0], av, b0); \
			KF_DPBUSD_VEX(c[r][1], av, b1); } while (0)
			KF_ROW(0); KF_ROW(1); KF_ROW(2); KF_ROW(3); KF_ROW(4); KF_ROW(5);
#undef KF_ROW
		}
	}
	for (int r = 0; r < MR; r++) {
		_mm256_storeu_si256((__m256i *)(acc[r] + off), c[r][0]);
		_mm256_storeu_si256((__m256i *)(acc[r] + off + 8), c[r][1]);
	}
}

/* 16 registers of 8 lanes: the sums of each half panel go to memory, then
 * the store. */
__attribute__((target(KF_AVXVNNI_TARGET)))
static void tile_avxvnni(int mr, int nr, const struct q8_rows *A, const int8_t *Bp, float *C,
			 int ldc, const float *sa, const float *mn, const float *sw,
			 const float *colsum, const int32_t *is, const float *bias, enum kf_act act)
{
	int32_t s1[MR][NR];

	(void)is;	/* VPDPBUSD takes A unsigned */
	for (int h = 0; h < (nr > 16 ? 2 : 1); h++)
		dots_avxvnni(A, Bp + 64 * h, s1, 16 * h);
	store_avx2(mr, nr, s1, C, ldc, sa, mn, sw, colsum, bias, act);
}
#endif

/* GCC's arm_neon.h declares the dot-product intrinsics for any function
 * compiled for them, clang's only since clang 16 (before, only when the whole
 * build targets dotprod, as Apple's clang does by default): with an older
 * clang for a baseline ARMv8 there is no int8 kernel. */
#if defined(__aarch64__) && \
	(defined(__ARM_FEATURE_DOTPROD) || !defined(__clang__) || __clang_major__ >= 16)
#include <arm_neon.h>
#define KF_NEONDOT 1
#if defined(__linux__)
#include <sys/auxv.h>
#ifndef HWCAP_ASIMDDP
#define HWCAP_ASIMDDP (1 << 20)	/* Linux's bit for SDOT/UDOT (asm/hwcap.h) */
#endif
#elif defined(__APPLE__)
#include <sys/sysctl.h>
#endif

/* SDOT and UDOT are optional before ARMv8.4: only the kernel's dot loops are
 * compiled for them, and best_kernel() asks the OS before using it. GCC's
 * arm_neon.h declares them for armv8.2-a+dotprod, and an intrinsic inlines
 * only into a function with at least its features, so "+dotprod" alone is
 * refused. Clang spells the feature "dotprod". */
#if defined(__clang__)
#define KF_DOTPROD __attribute__((target("dotprod")))
#else
#define KF_DOTPROD __attribute__((target("arch=armv8.2-a+dotprod")))
#endif

/* GCC's first scheduling pass moves the B loads above the SDOTs that use
 * them, and then spilled 3 accumulators on every 16 k: as for nn_gemm.c's
 * half_neon, the dot loop is compiled without that pass. */
#if defined(__GNUC__) && !defined(__clang__)
#define KF_NO_SCHED1_Q8 __attribute__((optimize("no-schedule-insns")))
#else
#define KF_NO_SCHED1_Q8
#endif

/* Does this CPU have the dot-product instructions? */
static int has_dotprod(void)
{
#if defined(__ARM_FEATURE_DOTPROD)
	return 1;	/* the whole build already assumes them */
#elif defined(__linux__)
	return (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) != 0;
#elif defined(__APPLE__)
	int v = 0;
	size_t len = sizeof(v);

	return sysctlbyname("hw.optional.arm.FEAT_DotProd", &v, &len, NULL, 0) == 0 && v;
#else
	return 0;
#endif
}

/* range_generic with NEON: FMINNM/FMAXNM skip NaNs as fminf/fmaxf do. */
static void range_neon(const float *const *p, int np, int len, float *lo, float *hi)
{
	float32x4_t l4 = vdupq_n_f32(p[0][0]), h4 = l4;
	float l, h;

	for (int i = 0; i < np; i++)
		for (int k = 0; k + 4 <= len; k += 4) {
			float32x4_t v = vld1q_f32(p[i] + k);

			l4 = vminnmq_f32(l4, v);
			h4 = vmaxnmq_f32(h4, v);
		}
	l = vminnmvq_f32(l4);
	h = vmaxnmvq_f32(h4);
	for (int i = 0; i < np; i++)
		for (int k = len & ~3; k < len; k++) {
			l = fminf(l, p[i][k]);
			h = fmaxf(h, p[i][k]);
		}
	*lo = l;
	*hi = h;
}

/* quant1_generic's numbers, stored minus 128 (q ^ 0x80, as signed bytes):
 * SDOT multiplies signed by signed, UDOT unsigned by unsigned, and the
 * weights are signed. FCVTNS rounds to nearest even (nearbyintf in the
 * default mode), SQXTUN and UQXTN saturate to 0..255. */
static inline void quant1_neon(const float *a, int n, float lo, float inv, uint8_t *q)
{
	const float32x4_t mn = vdupq_n_f32(lo), s = vdupq_n_f32(inv);
	const uint8x16_t flip = vdupq_n_u8(0x80);
	int k;

#define KF_Q(p) vqmovun_s32(vcvtnq_s32_f32(vmulq_f32(vsubq_f32(vld1q_f32(p), mn), s)))
	for (k = 0; k + 16 <= n; k += 16) {
		uint8x8_t b0 = vqmovn_u16(vcombine_u16(KF_Q(a + k), KF_Q(a + k + 4)));
		uint8x8_t b1 = vqmovn_u16(vcombine_u16(KF_Q(a + k + 8), KF_Q(a + k + 12)));

		vst1q_u8(q + k, veorq_u8(vcombine_u8(b0, b1), flip));
	}
#undef KF_Q
	quant1_generic(a + k, n - k, lo, inv, q + k);
	for (; k < n; k++)
		q[k] ^= 0x80;
}

KF_QUANT_PIECES(quant_neon, quant1_neon, )

/* The last bytes k .. K4 of a segment (4, 8 or 12) for dots_neondot, added
 * to acc[r][off..off+16): 4 bytes of each row at a time, broadcast. A function of its own: with this
 * loop inline, GCC spilled an accumulator in the main loop. */
KF_DOTPROD __attribute__((noinline))
static void dots_tail_neondot(int k, int K4, const int8_t *const a[MR], const int8_t *Bp,
			      int32_t acc[MR][NR], int off)
{
	for (; k < K4; k += 4) {
		const int8_t *b = Bp + (size_t)k * NR;
		int8x16_t b0 = vld1q_s8(b), b1 = vld1q_s8(b + 16), b2 = vld1q_s8(b + 32);
		int8x16_t b3 = vld1q_s8(b + 48);

		for (int r = 0; r < MR; r++) {
			int32_t *c = acc[r] + off, w;
			int8x16_t ar;

			memcpy(&w, a[r] + k, 4);
			ar = vreinterpretq_s8_s32(vdupq_n_s32(w));
			vst1q_s32(c, vdotq_s32(vld1q_s32(c), b0, ar));
			vst1q_s32(c + 4, vdotq_s32(vld1q_s32(c + 4), b1, ar));
			vst1q_s32(c + 8, vdotq_s32(vld1q_s32(c + 8), b2, ar));
			vst1q_s32(c + 12, vdotq_s32(vld1q_s32(c + 12), b3, ar));
		}
	}
}

/* The sums of 6 rows (a[r]: A - 128, signed) with 16 columns of a panel (Bp
 * at the first), into acc[r][off..off+16). Each accumulator starts at 128 *
 * its column's sum (sum[j]): sum_k (a - 128) * b + 128 * sum_k b is the
 * generic kernel's sum_k a * b, exactly (int32 arithmetic wraps, and the
 * final sum fits). 24 accumulators and 16 bytes of each row (4 k) used by
 * lane (SDOT v.4s, v.16b, v.4b[i]) take 30 registers, so the B vectors are
 * loaded one at a time. Each segment's seglen % 16 left over:
 * dots_tail_neondot. */
KF_DOTPROD KF_NO_SCHED1_Q8
static void dots_neondot(const struct q8_rows *A, const int8_t *Bp, const int32_t *sum,
			 int32_t acc[MR][NR], int off)
{
	/* named accumulators: GCC keeps an array indexed by the row in memory */
	const int32x4_t i0 = vshlq_n_s32(vld1q_s32(sum), 7), i1 = vshlq_n_s32(vld1q_s32(sum + 4), 7);
	const int32x4_t i2 = vshlq_n_s32(vld1q_s32(sum + 8), 7);
	const int32x4_t i3 = vshlq_n_s32(vld1q_s32(sum + 12), 7);
	int32x4_t c00 = i0, c01 = i1, c02 = i2, c03 = i3, c10 = i0, c11 = i1, c12 = i2, c13 = i3;
	int32x4_t c20 = i0, c21 = i1, c22 = i2, c23 = i3, c30 = i0, c31 = i1, c32 = i2, c33 = i3;
	int32x4_t c40 = i0, c41 = i1, c42 = i2, c43 = i3, c50 = i0, c51 = i1, c52 = i2, c53 = i3;
	int8x16_t a0, a1, a2, a3, a4, a5, bj;
	const int8_t *a[MR];
	int seglen = A->seglen, k16 = seglen & ~15;

	/* one B vector (4 columns x 4 k) at a time against the six rows */
#define KF_COL(j, l) do { bj = vld1q_s8(b + 16 * (j)); \
	c0##j = vdotq_laneq_s32(c0##j, bj, a0, l); \
	c1##j = vdotq_laneq_s32(c1##j, bj, a1, l); \
	c2##j = vdotq_laneq_s32(c2##j, bj, a2, l); \
	c3##j = vdotq_laneq_s32(c3##j, bj, a3, l); \
	c4##j = vdotq_laneq_s32(c4##j, bj, a4, l); \
	c5##j = vdotq_laneq_s32(c5##j, bj, a5, l); } while (0)
#define KF_STEP(l) do { KF_COL(0, l); KF_COL(1, l); KF_COL(2, l); KF_COL(3, l); \
	b += 4 * NR; } while (0)
	for (int sg = 0; sg < A->nseg; sg++) {
		const int8_t *bs = Bp + (size_t)sg * seglen * NR;

		for (int r = 0; r < MR; r++)
			a[r] = (const int8_t *)A->a[r] + (size_t)sg * A->segstride;
		for (int k = 0; k < k16; k += 16) {
			const int8_t *b = bs + (size_t)k * NR;

			a0 = vld1q_s8(a[0] + k);
			a1 = vld1q_s8(a[1] + k);
			a2 = vld1q_s8(a[2] + k);
			a3 = vld1q_s8(a[3] + k);
			a4 = vld1q_s8(a[4] + k);
			a5 = vld1q_s8(a[5] + k);
			KF_STEP(0);
			KF_STEP(1);
			KF_STEP(2);
			KF_STEP(3);
		}
	}
#undef KF_STEP
#undef KF_COL
#define KF_ROW(r) do { vst1q_s32(acc[r] + off, c##r##0); vst1q_s32(acc[r] + off + 4, c##r##1); \
	vst1q_s32(acc[r] + off + 8, c##r##2); vst1q_s32(acc[r] + off + 12, c##r##3); } while (0)
	KF_ROW(0); KF_ROW(1); KF_ROW(2); KF_ROW(3); KF_ROW(4); KF_ROW(5);
#undef KF_ROW
	/* each segment's last seglen % 16 bytes, added in memory */
	for (int sg = 0; k16 < seglen && sg < A->nseg; sg++) {
		for (int r = 0; r < MR; r++)
			a[r] = (const int8_t *)A->a[r] + (size_t)sg * A->segstride;
		dots_tail_neondot(k16, seglen, a, Bp + (size_t)sg * seglen * NR, acc, off);
	}
}

/* store_generic on 4 columns at a time, the same operations in the same
 * order (no FMA: dequant() rounds each product), the last nr % 4 columns
 * by store_generic. */
static void store_neon(int mr, int nr, int32_t s1[MR][NR], float *C, int ldc, const float *sa,
		       const float *mn, const float *sw, const float *colsum, const float *bias,
		       enum kf_act act)
{
	int n4 = nr & ~3;

	for (int r = 0; r < mr; r++) {
		float32x4_t sar = vdupq_n_f32(sa[r]), mnr = vdupq_n_f32(mn[r]);
		float *cr = C + (size_t)r * (size_t)ldc;

		for (int j = 0; j < n4; j += 4) {
			float32x4_t t = vmulq_f32(sar, vcvtq_f32_s32(vld1q_s32(s1[r] + j)));
			float32x4_t u = vmulq_f32(mnr, vld1q_f32(colsum + j));
			float32x4_t v = vmulq_f32(vld1q_f32(sw + j), vaddq_f32(t, u));

			if (bias)
				v = vaddq_f32(v, vld1q_f32(bias + j));
			vst1q_f32(cr + j, act_neon(v, act));
		}
	}
	store_generic(mr, n4, nr, s1, C, ldc, sa, mn, sw, colsum, bias, act);
}

/* The 6x32 tile as 6x16 halves (48 accumulators would not fit in 32
 * registers); the sums go to memory, then the store. Missing rows re-read
 * the last one and are not stored; a panel with nr <= 16 skips its second
 * half. */
static void tile_neondot(int mr, int nr, const struct q8_rows *A, const int8_t *Bp, float *C,
			 int ldc, const float *sa, const float *mn, const float *sw,
			 const float *colsum, const int32_t *is, const float *bias, enum kf_act act)
{
	int32_t s1[MR][NR];

	for (int h = 0; h < (nr > 16 ? 2 : 1); h++)
		dots_neondot(A, Bp + 64 * h, is + 16 * h, s1, 16 * h);
	store_neon(mr, nr, s1, C, ldc, sa, mn, sw, colsum, bias, act);
}
#endif

/* ---- dispatch ------------------------------------------------------------ */

enum { K_UNKNOWN, K_OFF, K_GENERIC, K_AVXVNNI, K_AVX512VNNI, K_NEONDOT };

static const struct q8_kernel {
	const char *name;
	range_fn range;
	quant_fn quant;
	tile_fn tile;
} kernels[] = {
	[K_UNKNOWN] = { "?", NULL, NULL, NULL },
	[K_OFF] = { "off", range_generic, quant_generic, tile_generic },
	[K_GENERIC] = { "generic", range_generic, quant_generic, tile_generic },
#ifdef KF_X86
	[K_AVXVNNI] = { "avxvnni", range_avx2, quant_avx2, tile_avxvnni },
	[K_AVX512VNNI] = { "avx512vnni", range_avx512, quant_avx512, tile_avx512vnni },
#endif
#ifdef KF_NEONDOT
	/* quant_neon stores A - 128 for tile_neondot: the two go together */
	[K_NEONDOT] = { "neondot", range_neon, quant_neon, tile_neondot },
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
	case K_AVXVNNI: {
		/* CPUID leaf 7 sub-leaf 1, EAX bit 4: clang before 16 has no
		 * "avxvnni" for __builtin_cpu_supports (the AVX checks below
		 * also say the OS saves the ymm state) */
		unsigned a = 0, b, c, d;

		__builtin_cpu_init();
		if (!__get_cpuid_count(7, 1, &a, &b, &c, &d))
			a = 0;
#ifdef KF_Q8_EMULATE_AVXVNNI
		a |= 1u << 4;	/* tests: VPDPBUSD made of AVX2 (above) */
#endif
		return (a & (1u << 4)) && __builtin_cpu_supports("avx2") &&
		       __builtin_cpu_supports("fma");
	}
	case K_AVX512VNNI:
		__builtin_cpu_init();
		return __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw");
#endif
#ifdef KF_NEONDOT
	case K_NEONDOT:
		return has_dotprod();
#endif
	}
	return 0;
}

/* The best int8 kernel this CPU runs (K_OFF when it has no dot products). */
static int best_kernel(void)
{
	static const int order[] = { K_AVX512VNNI, K_AVXVNNI, K_NEONDOT };

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

const char *const kf_precision_words[] = { "auto", "fp32", NULL };

int kf_precision_parse(const char *s)
{
	for (int i = 0; kf_precision_words[i]; i++)
		if (!strcmp(s, kf_precision_words[i]))
			return i;
	return -1;
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

void kf_q8_pixel_range(const float *a, size_t npix, int C, float *lo, float *hi)
{
	range_fn range = kernels[choose()].range;

	if (C == 3) {	/* an RGB input: a loop the compiler vectorises */
		for (size_t i = 0; i < npix; i++) {
			float r = a[3 * i], g = a[3 * i + 1], b = a[3 * i + 2];
			float l = g < r ? g : r, h = g > r ? g : r;

			lo[i] = b < l ? b : l;
			hi[i] = b > h ? b : h;
		}
		return;
	}
	for (size_t i = 0; i < npix; i++, a += C) {
		float l = a[0], h = a[0];

		if (C >= 16) {	/* a vector's worth: the kernel's */
			range(&a, 1, C, &lo[i], &hi[i]);
			continue;
		}
		for (int c = 1; c < C; c++) {
			l = a[c] < l ? a[c] : l;
			h = a[c] > h ? a[c] : h;
		}
		lo[i] = l;
		hi[i] = h;
	}
}

void kf_q8_quant_row_in(const float *const *piece, int np, int len, int K4, float lo, float hi,
			uint8_t *q, float *sa, float *mn)
{
	*sa = (hi - lo) / 255.0f;
	*mn = lo;
	kernels[choose()].quant(piece, np, len, lo, hi > lo ? 255.0f / (hi - lo) : 0.0f, q);
	memset(q + np * len, 0, (size_t)(K4 - np * len));
}

/* kf_q8_split's loop, in a form the compiler vectorises */
KF_TARGET_CLONES
static void split(const float *v, size_t n, uint8_t flip, uint8_t *hi, uint8_t *lo)
{
	for (size_t i = 0; i < n; i++) {
		float x = v[i] * 256.0f + 0.5f;
		int u;

		x = x > 0.0f ? x : 0.0f;
		x = x < 65535.0f ? x : 65535.0f;
		u = (int)x;
		hi[i] = (uint8_t)((u >> 8) ^ flip);
		lo[i] = (uint8_t)((u & 255) ^ flip);
	}
}

void kf_q8_split(const float *v, size_t n, uint8_t *hi, uint8_t *lo)
{
	/* the NEON kernel reads its activations minus 128 (quant_neon) */
	split(v, n, choose() == K_NEONDOT ? 0x80 : 0, hi, lo);
}

int kf_gemm_q8_weight(const struct kf_gemm_q8 *q, int k, int n)
{
	assert(k >= 0 && k < q->K && n >= 0 && n < q->N);
	return q->qb[at(q->K4, k, n)];
}

void kf_q8_quant_row(const float *const *piece, int np, int len, int K4, uint8_t *q, float *sa,
		     float *mn)
{
	const float *p[KF_Q8_MAX_PIECES];
	int n = 0, edge = 0;
	float lo = 0.0f, hi = 0.0f;

	for (int i = 0; i < np; i++) {
		if (piece[i])
			p[n++] = piece[i];
		edge |= !piece[i];
	}
	if (n)
		kernels[choose()].range(p, n, len, &lo, &hi);
	if (edge) {
		lo = lo < 0.0f ? lo : 0.0f;
		hi = hi > 0.0f ? hi : 0.0f;
	}
	kf_q8_quant_row_in(piece, np, len, K4, lo, hi, q, sa, mn);
}

/* C = act(A . B + bias) for M rows: row i at arow[i], or at A + i * lda when
 * arow is NULL. Panel by panel, so one stays in cache for all the tiles. */
static void gemm_rows(int M, const uint8_t *const *arow, const uint8_t *A, int lda, int nseg,
		      int seglen, size_t segstride, const float *sa, const float *mn,
		      const struct kf_gemm_q8 *q, float *C, int ldc, const float *bias,
		      enum kf_act act)
{
	const struct q8_kernel *kn = &kernels[choose()];
	int np = (q->N + NR - 1) / NR;
	struct q8_rows r = { .nseg = nseg, .seglen = seglen, .segstride = segstride };

	assert(nseg * seglen == q->K4 && seglen % 4 == 0);
	for (int p = 0; p < np; p++) {
		int nr = q->N - p * NR < NR ? q->N - p * NR : NR;

		for (int t = 0; t < M; t += MR) {
			int mr = M - t < MR ? M - t : MR;

			for (int i = 0; i < MR; i++) {
				int at = t + (i < mr ? i : mr - 1);

				r.a[i] = arow ? arow[at] : A + (size_t)at * (size_t)lda;
			}
			kn->tile(mr, nr, &r, q->qb + (size_t)p * NR * (size_t)q->K4,
				 C + (size_t)t * (size_t)ldc + p * NR, ldc, sa + t, mn + t,
				 q->scale + p * NR, q->colsum + p * NR, q->isum + p * NR,
				 bias ? bias + p * NR : NULL, act);
		}
	}
}

void kf_gemm_q8_rows(int M, const uint8_t *A, int lda, const float *sa, const float *mn,
		     const struct kf_gemm_q8 *q, float *C, int ldc, const float *bias,
		     enum kf_act act)
{
	gemm_rows(M, NULL, A, lda, 1, q->K4, 0, sa, mn, q, C, ldc, bias, act);
}

void kf_gemm_q8_rows_seg(int M, const uint8_t *const *arow, int nseg, int seglen,
			 size_t segstride, const float *sa, const float *mn,
			 const struct kf_gemm_q8 *q, float *C, int ldc, const float *bias,
			 enum kf_act act)
{
	gemm_rows(M, arow, NULL, 0, nseg, seglen, segstride, sa, mn, q, C, ldc, bias, act);
}

int kf_gemm_q8(int M, const float *A, int lda, const struct kf_gemm_q8 *q, float *C, int ldc,
	       const float *bias, enum kf_act act, struct kf_arena *scratch)
{
	int K = q->K, K4 = q->K4;
	struct kf_arena_mark mark = kf_arena_mark(scratch);
	uint8_t *buf = kf_arena_alloc(scratch, (size_t)MB * (size_t)K4);
	float sa[MB], mn[MB];

	if (!buf)
		return KF_E_NOMEM;
	for (int m0 = 0; m0 < M; m0 += MB) {
		int mb = M - m0 < MB ? M - m0 : MB;

		for (int i = 0; i < mb; i++) {
			const float *a = A + (size_t)(m0 + i) * (size_t)lda;

			kf_q8_quant_row(&a, 1, K, K4, buf + (size_t)i * K4, &sa[i], &mn[i]);
		}
		kf_gemm_q8_rows(mb, buf, K4, sa, mn, q, C + (size_t)m0 * (size_t)ldc, ldc, bias, act);
	}
	kf_arena_rewind(scratch, mark);
	return KF_OK;
}
