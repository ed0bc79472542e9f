/* nn_gemm_q8.h: the int8 GEMM, the reduced-precision path of the face nets'
 * convolutions (docs/internals/nn.md, "Int8").
 *
 * C[M,N] = act(A[M,K] . B[K,N] + bias[N]) computed as
 *   sw[n] * (sa[m] * sum_k qa[m][k] * qb[k][n] + mn[m] * sum_k qb[k][n])
 * with B quantised once per output column to signed 8 bits (qb = B / sw[n]
 * rounded, kf_gemm_q8_pack; sw[n] = max_k |B[k][n]| / 127) and each row of
 * A quantised when it is used to unsigned 8 bits over its own range (qa =
 * round((A - mn[m]) / sa[m]), mn[m] its minimum, sa[m] = (max - min) /
 * 255): int32 sums, nothing calibrated, so nothing to keep in step with the
 * weights. A row after a ReLU uses all 256 steps for its values (a symmetric
 * int8 row would use 128); the dot-product instructions take unsigned times
 * signed bytes.
 *
 * Every kernel computes the same integers and scales them in the same order
 * of operations, so all give the same floats.
 *
 * PRECISION: int8 runs only when the process precision is KF_PRECISION_AUTO
 * (the default) and the CPU has integer dot products (AVX512-VNNI, AVX-VNNI,
 * AArch64 dotprod): kf_gemm_q8_kernel_name() says which, or "off". Elsewhere
 * the callers keep the float32 GEMM (nn_ops.h). KF_GEMM_INT8 in the
 * environment forces a kernel ("generic", "avxvnni", "avx512vnni",
 * "neondot") or "off"; one this CPU cannot run falls back to the best it can,
 * so forcing never reaches an illegal instruction.
 */
#ifndef KF_NN_GEMM_Q8_H
#define KF_NN_GEMM_Q8_H

#include <stddef.h>
#include <stdint.h>

#include "core/nn_ops.h"

struct kf_arena;

enum kf_precision {
	KF_PRECISION_AUTO = 0,	/* int8 where the CPU has dot products, else float32 */
	KF_PRECISION_FP32,	/* float32 everywhere */
};

/* B quantised and packed: panels of 32 columns (zero-padded), each
 * [K4/4][32][4] int8, i.e. for every 4 consecutive k the 4 values of column
 * 0, then of column 1... (what VPDPBUSD and SDOT read). One allocation, owned
 * by the caller of kf_gemm_q8_pack, freed with kf_gemm_q8_free; read-only
 * afterwards, shared by any number of threads. */
struct kf_gemm_q8 {
	int K, N, K4;		/* K4 = K rounded up to a multiple of 4 */
	const int8_t *qb;	/* ceil(N/32) panels of 32 * K4 bytes */
	const float *scale;	/* N: sw */
	const float *colsum;	/* N: sum_k of the column's bytes */
	const int32_t *isum;	/* the same, as integers. SDOT (AArch64)
				 * multiplies signed by signed: the NEON kernel
				 * stores each activation minus 128 and adds
				 * 128 * these sums back, exactly. */
};

/* Quantise and pack B [K,N] (row-major, leading dimension ldb), one byte a
 * weight. With group > 0 each column is rounded so that the sums of its
 * weights k = g, g + group, g + 2 group ... (for a convolution's filter with
 * `group` input channels: the taps of one input channel, whose inputs are
 * neighbouring pixels and so alike) stay within half a step of the float
 * sums, and then the whole column's sum too (which moves a group's sum by
 * one more step at most): each weight still within one step, the values
 * nearest half a step moved first (docs/internals/nn.md, "Int8"). group 0:
 * each weight rounded to nearest. KF_E_NOMEM. */
int kf_gemm_q8_pack(int K, int N, const float *B, int ldb, int group, struct kf_gemm_q8 **out);
void kf_gemm_q8_free(struct kf_gemm_q8 *q);

/* C = act(A . B + bias) through the int8 kernel in use (the generic one when
 * int8 is off: callers normally check kf_gemm_q8_active() first). Takes
 * 48 * K4 bytes of scratch and gives them back; KF_E_NOMEM. */
int kf_gemm_q8(int M, const float *A, int lda, const struct kf_gemm_q8 *q, float *C, int ldc,
	       const float *bias, enum kf_act act, struct kf_arena *scratch);

/* The same GEMM for a caller that gathers each row of A from pieces (a
 * convolution reading its windows straight from its input, nn_ops.c):
 *   kf_q8_quant_row: the row made of np <= KF_Q8_MAX_PIECES pieces of len
 *     floats (piece[i] NULL: zeros) to the bytes q[0..K4) the kernel in use
 *     reads, with its step *sa and minimum *mn: the bytes kf_gemm_q8 makes
 *     of the whole row (np * len <= K4; bytes after the row set to 0);
 *   kf_q8_quant_row_in: the same with the row's range [lo, hi] given (0
 *     in it when a piece is NULL), e.g. from kf_q8_pixel_range;
 *   kf_q8_pixel_range: lo[i], hi[i] = the range of a[i * C .. i * C + C),
 *     for npix pixels of C >= 1 channels;
 *   kf_gemm_q8_rows: C = act(A . B + bias) for M such rows of q->K4 bytes,
 *     lda apart, with their steps sa[M] and minima mn[M]. */
#define KF_Q8_MAX_PIECES 256
void kf_q8_quant_row(const float *const *piece, int np, int len, int K4, uint8_t *q, float *sa,
		     float *mn);
void kf_q8_quant_row_in(const float *const *piece, int np, int len, int K4, float lo, float hi,
			uint8_t *q, float *sa, float *mn);
void kf_q8_pixel_range(const float *a, size_t npix, int C, float *lo, float *hi);
void kf_gemm_q8_rows(int M, const uint8_t *A, int lda, const float *sa, const float *mn,
		     const struct kf_gemm_q8 *q, float *C, int ldc, const float *bias,
		     enum kf_act act);

/* kf_gemm_q8_rows with row i's bytes in nseg segments of seglen (a multiple
 * of 4; nseg * seglen == q->K4), segment s at arow[i] + s * segstride: a
 * convolution's windows read in place from its quantised input. */
void kf_gemm_q8_rows_seg(int M, const uint8_t *const *arow, int nseg, int seglen,
			 size_t segstride, const float *sa, const float *mn,
			 const struct kf_gemm_q8 *q, float *C, int ldc, const float *bias,
			 enum kf_act act);

/* For inputs known to lie in [0, 255] (an image's values), exactly:
 *   kf_q8_split: v[0..n) rounded to 1/256 and split as v = hi + lo / 256,
 *     hi and lo bytes in the form the kernel in use reads (values past 255
 *     or under 0 clamped). A row of hi bytes has step 1 and minimum 0 for
 *     kf_gemm_q8_rows, one of lo bytes step 1/256: two GEMMs whose sum is
 *     the product with the input itself, no row quantised over its range;
 *   kf_gemm_q8_weight: B's byte at (k, n), B[k][n] / q->scale[n] rounded. */
void kf_q8_split(const float *v, size_t n, uint8_t *hi, uint8_t *lo);
int kf_gemm_q8_weight(const struct kf_gemm_q8 *q, int k, int n);

/* The process precision (default KF_PRECISION_AUTO). Set it before
 * inference starts; not thread-safe with running ops. */
void kf_nn_set_precision(enum kf_precision p);
/* The words of the precisions, indexed by enum kf_precision, NULL-terminated. */
extern const char *const kf_precision_words[];
/* "auto" -> KF_PRECISION_AUTO, "fp32" -> KF_PRECISION_FP32; -1 otherwise. */
int kf_precision_parse(const char *s);

/* Whether the convolutions given int8 weights use them now. */
int kf_gemm_q8_active(void);
/* The int8 kernel in use: "avx512vnni", "avxvnni", "neondot", "generic", or
 * "off" (precision fp32, or no dot-product instructions). */
const char *kf_gemm_q8_kernel_name(void);
/* Test and bench hook: use int8 kernel `name` (as above, "off" included) from
 * now on, whatever the precision. KF_E_UNSUPPORTED if this CPU cannot run it.
 * Not thread-safe with running ops. */
int kf_gemm_q8_set_kernel(const char *name);

#endif
