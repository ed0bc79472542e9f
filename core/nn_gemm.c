/* nn_gemm.c: single-threaded SGEMM with fused bias + activation (nn_ops.h).
 *
 * DESIGN (the usual Goto/BLIS scheme, cut down): B is packed into panels of
 * 32 columns (zero-padded), k-major, so the micro-kernel streams it linearly.
 * A is not packed: the kernel broadcasts A[m][k] from up to 6 rows in place.
 * Loops, outer to inner: 256-column blocks of B (8 panels, 256 KB at kc 256,
 * kept in L2) -> kc = 256 slices of K -> 6-row tiles of A (6 KB, L1) -> panels.
 * The 6x32 AVX-512 tile keeps 12 zmm accumulators (for at most 16 columns,
 * YuNet's thin layers, a 12x16 tile does: 12 too); the AVX2 kernel does the
 * same tile as two 6x16 halves, and so does the AArch64 NEON kernel (a half's
 * accumulators take 24 of its 32 vector registers). Partial tiles: missing
 * rows re-read the last valid row and are not stored; missing columns are
 * masked. Bias and the activation are applied when the last K slice is stored.
 */
#include "core/nn_ops.h"

#include <assert.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/nn_act_simd.h"

#define NR 32	/* panel width */
#define MR 6	/* rows per tile */
#define MR16 12	/* rows per tile of a panel of at most 16 columns (AVX-512) */
#define KC 256
#define NB 8	/* panels per column block */

size_t kf_gemm_packed_size(int K, int N)
{
	return (size_t)((N + NR - 1) / NR) * NR * (size_t)K;
}

void kf_gemm_pack_b(int K, int N, const float *B, int ldb, float *packed)
{
	for (int p = 0; p * NR < N; p++) {
		int nr = N - p * NR < NR ? N - p * NR : NR;
		float *dst = packed + (size_t)p * NR * (size_t)K;

		for (int k = 0; k < K; k++) {
			memcpy(dst + (size_t)k * NR, B + (size_t)k * (size_t)ldb + p * NR,
			       (size_t)nr * sizeof(float));
			if (nr < NR)
				memset(dst + (size_t)k * NR + nr, 0, (size_t)(NR - nr) * sizeof(float));
		}
	}
}

float kf_nn_act_ref(float x, enum kf_act act)
{
	float m;

	switch (act) {
	case KF_ACT_NONE: return x;
	case KF_ACT_RELU: return x > 0.0f ? x : 0.0f;
	case KF_ACT_RELU6: return x > 0.0f ? (x < 6.0f ? x : 6.0f) : 0.0f;
	case KF_ACT_LEAKY:
		m = 0.1f * x;
		x = x - m;
		return (x > 0.0f ? x : 0.0f) + m;
	}
	return x;
}

/* One tile: C[mr x nr] (+)= A[mr x kc] . Bp[kc x 32]; `first`: start from 0,
 * else from C; `last`: add bias (may be NULL) and apply act. */
typedef void (*tile_fn)(int mr, int nr, int kc, const float *A, int lda, const float *Bp,
			float *C, int ldc, int first, int last, const float *bias,
			enum kf_act act);

static void tile_generic(int mr, int nr, int kc, const float *A, int lda, const float *Bp,
			 float *C, int ldc, int first, int last, const float *bias,
			 enum kf_act act)
{
	float acc[MR][NR];

	for (int r = 0; r < mr; r++)
		for (int j = 0; j < NR; j++)
			acc[r][j] = first || j >= nr ? 0.0f : C[(size_t)r * (size_t)ldc + j];
	for (int k = 0; k < kc; k++) {
		const float *b = Bp + (size_t)k * NR;

		for (int r = 0; r < mr; r++) {
			float a = A[(size_t)r * (size_t)lda + k];

			for (int j = 0; j < NR; j++)
				acc[r][j] += a * b[j];
		}
	}
	for (int r = 0; r < mr; r++) {
		for (int j = 0; j < nr; j++) {
			float v = acc[r][j];

			if (last)
				v = kf_nn_act_ref(bias ? v + bias[j] : v, act);
			C[(size_t)r * (size_t)ldc + j] = v;
		}
	}
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define KF_X86 1

/* 16 columns of a finished row: add what C holds (not the first K slice),
 * then on the last slice the bias and the activation; masked columns are
 * neither read nor written. */
__attribute__((target("avx512f")))
static inline void store16_avx512(float *cr, __m512 v, __mmask16 m, int first, int last,
				  const float *bias, enum kf_act act)
{
	if (!first)
		v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, cr));
	if (last) {
		if (bias)
			v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, bias));
		v = act512(v, act);
	}
	_mm512_mask_storeu_ps(cr, m, v);
}

__attribute__((target("avx512f")))
static void tile_avx512(int mr, int nr, int kc, const float *A, int lda, const float *Bp,
			float *C, int ldc, int first, int last, const float *bias,
			enum kf_act act)
{
	__m512 c[MR][2];
	const float *a[MR];
	__mmask16 m0 = (__mmask16)(nr >= 16 ? 0xffff : (1u << nr) - 1);
	__mmask16 m1 = (__mmask16)(nr >= 32 ? 0xffff : nr <= 16 ? 0 : (1u << (nr - 16)) - 1);

	for (int r = 0; r < MR; r++) {
		a[r] = A + (size_t)(r < mr ? r : mr - 1) * (size_t)lda;
		c[r][0] = c[r][1] = _mm512_setzero_ps();
	}
	if (nr <= 16) {
		/* a panel's second half is padding: thin outputs (YuNet's 16 channels) */
		for (int k = 0; k < kc; k++) {
			__m512 b0 = _mm512_loadu_ps(Bp + (size_t)k * NR);

#define KF_ROW(r) c[r][0] = _mm512_fmadd_ps(_mm512_set1_ps(a[r][k]), b0, c[r][0])
			KF_ROW(0); KF_ROW(1); KF_ROW(2); KF_ROW(3); KF_ROW(4); KF_ROW(5);
#undef KF_ROW
		}
	} else {
		for (int k = 0; k < kc; k++) {
			__m512 b0 = _mm512_loadu_ps(Bp + (size_t)k * NR);
			__m512 b1 = _mm512_loadu_ps(Bp + (size_t)k * NR + 16);

#define KF_ROW(r) do { __m512 av = _mm512_set1_ps(a[r][k]); \
			c[r][0] = _mm512_fmadd_ps(av, b0, c[r][0]); \
			c[r][1] = _mm512_fmadd_ps(av, b1, c[r][1]); } while (0)
			KF_ROW(0); KF_ROW(1); KF_ROW(2); KF_ROW(3); KF_ROW(4); KF_ROW(5);
#undef KF_ROW
		}
	}
	for (int r = 0; r < mr; r++) {
		float *cr = C + (size_t)r * (size_t)ldc;

		store16_avx512(cr, c[r][0], m0, first, last, bias, act);
		store16_avx512(cr + 16, c[r][1], m1, first, last, bias ? bias + 16 : NULL, act);
	}
}

/* Thin outputs (a panel of at most 16 columns: YuNet's 16 channels and its
 * stem): 12 rows of 16 columns, so each weight vector loaded feeds 12 FMAs
 * instead of 6. The same sums as tile_avx512. */
__attribute__((target("avx512f")))
static void tile16_avx512(int mr, int nr, int kc, const float *A, int lda, const float *Bp,
			  float *C, int ldc, int first, int last, const float *bias,
			  enum kf_act act)
{
	__m512 c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11;
	const float *a[MR16];
	__mmask16 m = (__mmask16)(nr >= 16 ? 0xffff : (1u << nr) - 1);

	for (int r = 0; r < MR16; r++)
		a[r] = A + (size_t)(r < mr ? r : mr - 1) * (size_t)lda;
	c0 = c1 = c2 = c3 = c4 = c5 = c6 = c7 = c8 = c9 = c10 = c11 = _mm512_setzero_ps();
	for (int k = 0; k < kc; k++) {
		__m512 b = _mm512_loadu_ps(Bp + (size_t)k * NR);

#define KF_ROW(r) c##r = _mm512_fmadd_ps(_mm512_set1_ps(a[r][k]), b, c##r)
		KF_ROW(0); KF_ROW(1); KF_ROW(2); KF_ROW(3); KF_ROW(4); KF_ROW(5);
		KF_ROW(6); KF_ROW(7); KF_ROW(8); KF_ROW(9); KF_ROW(10); KF_ROW(11);
#undef KF_ROW
	}
	/* constant row numbers, so the accumulators stay in registers */
#define KF_STORE(r) if (r < mr) \
		store16_avx512(C + (size_t)(r) * (size_t)ldc, c##r, m, first, last, bias, act)
	KF_STORE(0); KF_STORE(1); KF_STORE(2); KF_STORE(3); KF_STORE(4); KF_STORE(5);
	KF_STORE(6); KF_STORE(7); KF_STORE(8); KF_STORE(9); KF_STORE(10); KF_STORE(11);
#undef KF_STORE
}

/* One row of a finished 6x16 half: add what C holds (not the first K slice),
 * then on the last slice the bias and the activation; nr < 16 stores only the
 * columns that exist. */
__attribute__((target("avx2,fma")))
static inline void store_avx2(float *cr, __m256 v0, __m256 v1, int nr, const float *bias,
			      int first, int last, enum kf_act act)
{
	float tmp[16];

	if (nr == 16) {
		if (!first) {
			v0 = _mm256_add_ps(v0, _mm256_loadu_ps(cr));
			v1 = _mm256_add_ps(v1, _mm256_loadu_ps(cr + 8));
		}
		if (last) {
			if (bias) {
				v0 = _mm256_add_ps(v0, _mm256_loadu_ps(bias));
				v1 = _mm256_add_ps(v1, _mm256_loadu_ps(bias + 8));
			}
			v0 = act256(v0, act);
			v1 = act256(v1, act);
		}
		_mm256_storeu_ps(cr, v0);
		_mm256_storeu_ps(cr + 8, v1);
		return;
	}
	_mm256_storeu_ps(tmp, v0);
	_mm256_storeu_ps(tmp + 8, v1);
	for (int j = 0; j < nr; j++) {
		float v = first ? tmp[j] : tmp[j] + cr[j];

		if (last)
			v = kf_nn_act_ref(bias ? v + bias[j] : v, act);
		cr[j] = v;
	}
}

/* 6x16 half of a panel: Bp points at column `off` of the 32-wide panel. The
 * accumulators are named, not an array indexed by the row: GCC kept such an
 * array on the stack and stored all twelve on every k step, which halved the
 * kernel's speed (12 stores a step against 12 FMAs). 12 accumulators, 2 B
 * vectors and a broadcast: 15 of the 16 ymm registers. */
__attribute__((target("avx2,fma")))
static void half_avx2(int mr, int nr, int kc, const float *const a[MR], const float *Bp,
		      float *C, int ldc, int first, int last, const float *bias,
		      enum kf_act act)
{
	const __m256 z = _mm256_setzero_ps();
	__m256 c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z;
	__m256 c30 = z, c31 = z, c40 = z, c41 = z, c50 = z, c51 = z;
	const float *a0 = a[0], *a1 = a[1], *a2 = a[2], *a3 = a[3], *a4 = a[4], *a5 = a[5];

	for (int k = 0; k < kc; k++) {
		__m256 b0 = _mm256_loadu_ps(Bp + (size_t)k * NR);
		__m256 b1 = _mm256_loadu_ps(Bp + (size_t)k * NR + 8);
		__m256 av;

#define KF_ROW(r) do { av = _mm256_broadcast_ss(a##r + k); \
		c##r##0 = _mm256_fmadd_ps(av, b0, c##r##0); \
		c##r##1 = _mm256_fmadd_ps(av, b1, c##r##1); } while (0)
		KF_ROW(0); KF_ROW(1); KF_ROW(2); KF_ROW(3); KF_ROW(4); KF_ROW(5);
#undef KF_ROW
	}
	store_avx2(C, c00, c01, nr, bias, first, last, act);
	if (mr > 1)
		store_avx2(C + (size_t)ldc, c10, c11, nr, bias, first, last, act);
	if (mr > 2)
		store_avx2(C + 2 * (size_t)ldc, c20, c21, nr, bias, first, last, act);
	if (mr > 3)
		store_avx2(C + 3 * (size_t)ldc, c30, c31, nr, bias, first, last, act);
	if (mr > 4)
		store_avx2(C + 4 * (size_t)ldc, c40, c41, nr, bias, first, last, act);
	if (mr > 5)
		store_avx2(C + 5 * (size_t)ldc, c50, c51, nr, bias, first, last, act);
}

__attribute__((target("avx2,fma")))
static void tile_avx2(int mr, int nr, int kc, const float *A, int lda, const float *Bp,
		      float *C, int ldc, int first, int last, const float *bias,
		      enum kf_act act)
{
	const float *a[MR];

	for (int r = 0; r < MR; r++)
		a[r] = A + (size_t)(r < mr ? r : mr - 1) * (size_t)lda;
	half_avx2(mr, nr < 16 ? nr : 16, kc, a, Bp, C, ldc, first, last, bias, act);
	if (nr > 16)
		half_avx2(mr, nr - 16, kc, a, Bp + 16, C + 16, ldc, first, last,
			  bias ? bias + 16 : NULL, act);
}
#endif

#if defined(__aarch64__)
/* NEON is part of the AArch64 base ISA: no run-time check. */
#include <arm_neon.h>
#define KF_NEON 1

/* Four finished columns: add what C holds (not the first K slice), then on
 * the last slice the bias and the activation. */
static inline void store_neon(float *cr, float32x4_t v, const float *bias, int first, int last,
			      enum kf_act act)
{
	if (!first)
		v = vaddq_f32(v, vld1q_f32(cr));
	if (last) {
		if (bias)
			v = vaddq_f32(v, vld1q_f32(bias));
		v = act_neon(v, act);
	}
	vst1q_f32(cr, v);
}

/* GCC's first scheduling pass moves every load of a k step above its FMAs:
 * 24 accumulators + 4 B + 6 A are more than the 32 vector registers, and it
 * then spilled accumulators on every k. Without that pass the loop below
 * uses 31 registers and spills nothing. Clang's scheduler does not need it. */
#if defined(__GNUC__) && !defined(__clang__)
#define KF_NO_SCHED1 __attribute__((optimize("no-schedule-insns")))
#else
#define KF_NO_SCHED1
#endif

/* 6x16 half of a panel: Bp points at column `off` of the 32-wide panel. The
 * whole 6x32 tile would need 48 accumulators; a half takes 24 of the 32
 * vector registers. A[r][k] is used by element (FMLA v.4s, v.4s, v.s[0]), so
 * it needs no broadcast. */
KF_NO_SCHED1
static void half_neon(int mr, int nr, int kc, const float *const a[MR], const float *Bp,
		      float *C, int ldc, int first, int last, const float *bias,
		      enum kf_act act)
{
	/* named accumulators: GCC keeps an array indexed by the row in memory */
	const float32x4_t z = vdupq_n_f32(0.0f);
	float32x4_t c00 = z, c01 = z, c02 = z, c03 = z, c10 = z, c11 = z, c12 = z, c13 = z;
	float32x4_t c20 = z, c21 = z, c22 = z, c23 = z, c30 = z, c31 = z, c32 = z, c33 = z;
	float32x4_t c40 = z, c41 = z, c42 = z, c43 = z, c50 = z, c51 = z, c52 = z, c53 = z;
	float tmp[16];

	for (int k = 0; k < kc; k++) {
		const float *b = Bp + (size_t)k * NR;
		float a0 = a[0][k], a1 = a[1][k], a2 = a[2][k];
		float a3 = a[3][k], a4 = a[4][k], a5 = a[5][k];
		float32x4_t bj;

		/* one B vector at a time against the six rows */
#define KF_COL(j) do { bj = vld1q_f32(b + 4 * (j)); \
		c0##j = vfmaq_n_f32(c0##j, bj, a0); \
		c1##j = vfmaq_n_f32(c1##j, bj, a1); \
		c2##j = vfmaq_n_f32(c2##j, bj, a2); \
		c3##j = vfmaq_n_f32(c3##j, bj, a3); \
		c4##j = vfmaq_n_f32(c4##j, bj, a4); \
		c5##j = vfmaq_n_f32(c5##j, bj, a5); } while (0)
		KF_COL(0); KF_COL(1); KF_COL(2); KF_COL(3);
#undef KF_COL
	}
	const float32x4_t c[MR][4] = {
		{ c00, c01, c02, c03 }, { c10, c11, c12, c13 }, { c20, c21, c22, c23 },
		{ c30, c31, c32, c33 }, { c40, c41, c42, c43 }, { c50, c51, c52, c53 },
	};

	for (int r = 0; r < mr; r++) {
		float *cr = C + (size_t)r * (size_t)ldc;

		if (nr == 16) {
			store_neon(cr, c[r][0], bias, first, last, act);
			store_neon(cr + 4, c[r][1], bias ? bias + 4 : NULL, first, last, act);
			store_neon(cr + 8, c[r][2], bias ? bias + 8 : NULL, first, last, act);
			store_neon(cr + 12, c[r][3], bias ? bias + 12 : NULL, first, last, act);
			continue;
		}
		/* the last panel's partial columns: C past nr must not be touched */
		vst1q_f32(tmp, c[r][0]);
		vst1q_f32(tmp + 4, c[r][1]);
		vst1q_f32(tmp + 8, c[r][2]);
		vst1q_f32(tmp + 12, c[r][3]);
		for (int j = 0; j < nr; j++) {
			float v = first ? tmp[j] : tmp[j] + cr[j];

			if (last)
				v = kf_nn_act_ref(bias ? v + bias[j] : v, act);
			cr[j] = v;
		}
	}
}

/* Missing rows (mr < 6) re-read the last valid row and are not stored; a
 * panel with nr <= 16 is zero padding past column 16, so its second half is
 * skipped (thin outputs). */
static void tile_neon(int mr, int nr, int kc, const float *A, int lda, const float *Bp,
		      float *C, int ldc, int first, int last, const float *bias,
		      enum kf_act act)
{
	const float *a[MR];

	for (int r = 0; r < MR; r++)
		a[r] = A + (size_t)(r < mr ? r : mr - 1) * (size_t)lda;
	half_neon(mr, nr < 16 ? nr : 16, kc, a, Bp, C, ldc, first, last, bias, act);
	if (nr > 16)
		half_neon(mr, nr - 16, kc, a, Bp + 16, C + 16, ldc, first, last,
			  bias ? bias + 16 : NULL, act);
}
#endif

static atomic_int kernel_choice;	/* 0 unknown, 1 generic, 2 avx2, 3 avx512, 4 neon */

static int choose_kernel(void)
{
	int k = atomic_load_explicit(&kernel_choice, memory_order_relaxed);
	const char *e;

	if (k)
		return k;
	k = 1;
#ifdef KF_X86
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
		k = 2;
	if (__builtin_cpu_supports("avx512f"))
		k = 3;
#endif
#ifdef KF_NEON
	k = 4;
#endif
	if ((e = getenv("KF_GEMM_KERNEL"))) {
		if (!strcmp(e, "generic"))
			k = 1;
		else if (!strcmp(e, "avx2") && k == 3)
			k = 2;
	}
	atomic_store_explicit(&kernel_choice, k, memory_order_relaxed);
	return k;
}

const char *kf_gemm_kernel_name(void)
{
	static const char *const names[] = { "?", "generic", "avx2", "avx512", "neon" };

	return names[choose_kernel()];
}

int kf_gemm_set_kernel(const char *name)
{
	int k = 0, best;

	atomic_store(&kernel_choice, 0);
	best = choose_kernel();
	if (!strcmp(name, "generic"))
		k = 1;
	else if (!strcmp(name, "avx2"))
		k = 2;
	else if (!strcmp(name, "avx512"))
		k = 3;
	else if (!strcmp(name, "neon"))
		k = 4;
	/* the portable tile runs anywhere; AVX2 also where AVX-512 does */
	if (!k || (k != 1 && k != best && !(k == 2 && best == 3)))
		return KF_E_UNSUPPORTED;
	atomic_store(&kernel_choice, k);
	return KF_OK;
}

static tile_fn pick_tile(void)
{
	switch (choose_kernel()) {
#ifdef KF_X86
	case 3: return tile_avx512;
	case 2: return tile_avx2;
#endif
#ifdef KF_NEON
	case 4: return tile_neon;
#endif
	default: return tile_generic;
	}
}

void kf_gemm_packed(int M, int N, int K, const float *A, int lda, const float *packed,
		    float *C, int ldc, const float *bias, enum kf_act act)
{
	tile_fn tile = pick_tile();
	int np = (N + NR - 1) / NR, step = MR;

#ifdef KF_X86
	if (N <= 16 && tile == tile_avx512) {
		tile = tile16_avx512;
		step = MR16;
	}
#endif
	if (K == 0) {
		for (int m = 0; m < M; m++)
			for (int j = 0; j < N; j++)
				C[(size_t)m * (size_t)ldc + j] =
					kf_nn_act_ref(bias ? bias[j] : 0.0f, act);
		return;
	}
	for (int p0 = 0; p0 < np; p0 += NB) {
		int p1 = p0 + NB < np ? p0 + NB : np;

		for (int k0 = 0; k0 < K; k0 += KC) {
			int kc = K - k0 < KC ? K - k0 : KC;
			int first = k0 == 0, last = k0 + kc == K;

			for (int m0 = 0; m0 < M; m0 += step) {
				int mr = M - m0 < step ? M - m0 : step;
				const float *a = A + (size_t)m0 * (size_t)lda + k0;

				for (int p = p0; p < p1; p++) {
					int nr = N - p * NR < NR ? N - p * NR : NR;

					tile(mr, nr, kc, a, lda,
					     packed + (size_t)p * NR * (size_t)K + (size_t)k0 * NR,
					     C + (size_t)m0 * (size_t)ldc + p * NR, ldc, first, last,
					     bias ? bias + p * NR : NULL, act);
				}
			}
		}
	}
}

void kf_gemm_packed_sum(int M, int N, int ks, int nsl, const float *const *A, int lda,
			const float *packed, float *C, int ldc, const float *bias,
			enum kf_act act)
{
	tile_fn tile = pick_tile();
	int np = (N + NR - 1) / NR, K = ks * nsl;

	assert(ks >= 1 && nsl >= 1);
	for (int m0 = 0; m0 < M; m0 += MR) {
		int mr = M - m0 < MR ? M - m0 : MR;

		for (int p = 0; p < np; p++) {
			int nr = N - p * NR < NR ? N - p * NR : NR;

			for (int s = 0; s < nsl; s++)
				tile(mr, nr, ks, A[s] + (size_t)m0 * (size_t)lda, lda,
				     packed + (size_t)p * NR * (size_t)K + (size_t)s * ks * NR,
				     C + (size_t)m0 * (size_t)ldc + p * NR, ldc, s == 0, s == nsl - 1,
				     bias ? bias + p * NR : NULL, act);
		}
	}
}

int kf_gemm(int M, int N, int K, const float *A, int lda, const float *B, int ldb,
	    float *C, int ldc, const float *bias, enum kf_act act, struct kf_arena *scratch)
{
	float *packed = kf_arena_alloc_array(scratch, kf_gemm_packed_size(K, N) + 1,
					     sizeof(float));

	if (!packed)
		return KF_E_NOMEM;
	kf_gemm_pack_b(K, N, B, ldb, packed);
	kf_gemm_packed(M, N, K, A, lda, packed, C, ldc, bias, act);
	return 0;
}

void kf_gemm_ref(int M, int N, int K, const float *A, int lda, const float *B, int ldb,
		 float *C, int ldc, const float *bias, enum kf_act act)
{
	for (int m = 0; m < M; m++) {
		for (int n = 0; n < N; n++) {
			float s = 0.0f;

			for (int k = 0; k < K; k++)
				s += A[(size_t)m * (size_t)lda + k] * B[(size_t)k * (size_t)ldb + n];
			C[(size_t)m * (size_t)ldc + n] = kf_nn_act_ref(bias ? s + bias[n] : s, act);
		}
	}
}
