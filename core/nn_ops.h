/* nn_ops.h: the layer operations of the four face-api networks, on NHWC
 * float32 tensors (tensor.h: ne = {C, W, H, N}).
 *
 * Each op is a plain function with a scalar _ref twin (same arguments, naive
 * loops, no scratch) that the tests compare against; the fast versions use
 * AVX-512 or AVX2+FMA kernels picked at run time (__builtin_cpu_supports),
 * NEON kernels on AArch64 (part of its base ISA), with a portable C fallback. Numbers differ from _ref only by summation order
 * (see docs/internals/nn.md for the NMSE tolerance).
 *
 * ROW RANGE: the ops that take (ith, nth) compute only output rows
 * [ith*R/nth, (ith+1)*R/nth) where R = N*H_out (all rows of all images), like
 * ggml's ith/nth split; a single thread passes (0, 1). The ops never start
 * threads. Ranges of one op may run on different threads at once if each has
 * its own scratch arena.
 *
 * SHAPES are the caller's job: a mismatch between dst, src and weights is a
 * bug and asserts. dst must be contiguous (kf_tensor_new); src may have any
 * strides (channels contiguous for the fast paths: nb[0] == 4). dst must not
 * alias src except in the element-wise ops (add, relu, act), where it may.
 *
 * SCRATCH: ops that take a struct kf_arena take their temporary buffers
 * (im2col rows, packed weights) from it and return KF_E_NOMEM if it cannot
 * grow; they do not reset it. Ops without a return value cannot fail.
 * Weights (w, bias) are read-only: any number of threads can share them.
 */
#ifndef KF_NN_OPS_H
#define KF_NN_OPS_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/tensor.h"

struct kf_arena;
struct kf_gemm_q8;

enum kf_act {
	KF_ACT_NONE = 0,
	KF_ACT_RELU,	/* max(x, 0) */
	KF_ACT_RELU6,	/* min(max(x, 0), 6) (tf.clipByValue(x, 0, 6)) */
	KF_ACT_LEAKY,	/* m = 0.1f*x; max(x - m, 0) + m, bit-exact with face-api's leaky */
};

enum kf_pad {
	KF_PAD_VALID = 0,	/* no padding */
	KF_PAD_SAME,		/* TF 'same': out = ceil(in/s), total = max((out-1)*s + k - in, 0),
				 * top/left = total/2 (floored), bottom/right the rest */
	KF_PAD_EXPLICIT,	/* pad_t, pad_b, pad_l, pad_r zeros */
};

struct kf_conv_params {
	int stride;		/* same in both directions, >= 1 */
	enum kf_pad pad;
	int pad_t, pad_b, pad_l, pad_r;	/* KF_PAD_EXPLICIT only */
	enum kf_act act;	/* applied after the bias */
};

/* Output size and actual padding of a window op (conv or pool) along one axis.
 * Returns out (< 1 when the window does not fit); *lo and *hi get the padding. */
int kf_nn_out_size(int in, int k, int stride, enum kf_pad pad, int exp_lo, int exp_hi,
		   int *lo, int *hi);

/* dst = act(conv2d(src, w) + bias). src [N,H,W,Cin]; w [kh,kw,Cin,Cout]
 * (ne = {Cout,Cin,kw,kh}, contiguous); bias Cout floats or NULL; dst
 * [N,Hout,Wout,Cout]. A 1x1 stride-1 unpadded conv over a contiguous src is a
 * plain GEMM; the rest goes through im2col in chunks. */
int kf_nn_conv2d(struct kf_tensor *dst, const struct kf_tensor *src, const struct kf_tensor *w,
		 const float *bias, const struct kf_conv_params *p, struct kf_arena *scratch,
		 int ith, int nth);
void kf_nn_conv2d_ref(struct kf_tensor *dst, const struct kf_tensor *src,
		      const struct kf_tensor *w, const float *bias,
		      const struct kf_conv_params *p, int ith, int nth);
/* As kf_nn_conv2d with the filter packed once, e.g. at load time, by
 * kf_gemm_pack_b(K, Cout, w->data, Cout, packed) with K = kh*kw*Cin, into
 * kf_gemm_packed_size(K, Cout) floats; packed is read-only here and may be
 * shared between threads like w, which then only gives the shape (w->data may
 * be NULL). Saves re-packing the filter on every call (8% of the SSD forward
 * pass; for the recognition net's large filters as much as the arithmetic) and
 * the scratch space for it. Same numbers as kf_nn_conv2d; its _ref twin is
 * kf_nn_conv2d_ref.
 * q8 (may be NULL) is the same filter for the int8 GEMM (kf_gemm_q8_pack,
 * nn_gemm_q8.h): used instead of packed while kf_gemm_q8_active(), with the
 * int8 path's accuracy rather than the NMSE above; packed may then be NULL
 * (a caller whose float32 path is Winograd's, nn_wino.h). Each output's
 * window (its im2col row) is quantised over its own range, except in a
 * stride-1 conv of a dense input whose kernel rows are whole 4-byte groups
 * (kw * Cin % 4 == 0): there the windows of KF_Q8_GROUP neighbouring outputs
 * of a row (from column 0 on) share one range, their windows' together, so
 * their input is quantised once and read in place. */
#define KF_Q8_GROUP 6
int kf_nn_conv2d_packed(struct kf_tensor *dst, const struct kf_tensor *src,
			const struct kf_tensor *w, const float *packed,
			const struct kf_gemm_q8 *q8, const float *bias,
			const struct kf_conv_params *p, struct kf_arena *scratch, int ith, int nth);

/* dst = act(conv2d((src - mean[c]) / div, w) + bias) through the int8 GEMM
 * (q8: w as kf_gemm_q8_pack made it; w gives the shape) for src an image's
 * values in [0, 255] (C channels, contiguous; windows inside it only: no
 * padding). Exact in its input (kf_q8_split): no window is quantised over
 * its own range, so it is faster and closer to float32 than
 * kf_nn_conv2d_packed on the normalised image (docs/internals/nn.md, "Int8").
 * The face recognition net's first conv. KF_E_NOMEM; KF_E_INVALID for
 * padding, a strided src or q8 of another shape. */
int kf_nn_conv2d_q8_pixels(struct kf_tensor *dst, const struct kf_tensor *src,
			   const struct kf_tensor *w, const struct kf_gemm_q8 *q8,
			   const float *mean, float div, const float *bias,
			   const struct kf_conv_params *p, struct kf_arena *scratch);

/* Depthwise conv, channel multiplier 1: w [kh,kw,C,1] (ne = {1,C,kw,kh});
 * dst[c] = act(sum_taps src[c]*w[tap][c] + bias[c]). bias may be NULL. */
void kf_nn_depthwise(struct kf_tensor *dst, const struct kf_tensor *src,
		     const struct kf_tensor *w, const float *bias,
		     const struct kf_conv_params *p, int ith, int nth);
void kf_nn_depthwise_ref(struct kf_tensor *dst, const struct kf_tensor *src,
			 const struct kf_tensor *w, const float *bias,
			 const struct kf_conv_params *p, int ith, int nth);

/* Max pool k x k: KF_PAD_SAME cells outside the input do not take part (-inf);
 * KF_PAD_VALID. Explicit padding is not supported. */
void kf_nn_maxpool(struct kf_tensor *dst, const struct kf_tensor *src, int k, int stride,
		   enum kf_pad pad, int ith, int nth);
void kf_nn_maxpool_ref(struct kf_tensor *dst, const struct kf_tensor *src, int k, int stride,
		       enum kf_pad pad, int ith, int nth);

/* Average pool k x k, 'valid' (face-api's avgPool 7x7 stride 2 on a 7x7 map). */
void kf_nn_avgpool(struct kf_tensor *dst, const struct kf_tensor *src, int k, int stride,
		   int ith, int nth);
/* Mean over H and W: dst [N,1,1,C]. */
void kf_nn_global_avgpool(struct kf_tensor *dst, const struct kf_tensor *src);

/* dst = act(a + b), same shapes; dst may be a or b. */
void kf_nn_add(struct kf_tensor *dst, const struct kf_tensor *a, const struct kf_tensor *b,
	       enum kf_act act, int ith, int nth);
/* dst += nearest 2x upsampling of src: dst [N,2H,2W,C], src [N,H,W,C], both
 * contiguous (YuNet's neck: elementAdd(upsampleX2(small), big)). */
void kf_nn_add_upsample2x(struct kf_tensor *dst, const struct kf_tensor *src);

/* dst = act(src); dst may be src. */
void kf_nn_act(struct kf_tensor *dst, const struct kf_tensor *src, enum kf_act act,
	       int ith, int nth);

/* Fully connected: dst [N,1,1,Out] = act(flatten(src[n]) . w + bias), w
 * [In,Out] (ne = {Out,In,1,1}) with In = elements per image of src. */
int kf_nn_fc(struct kf_tensor *dst, const struct kf_tensor *src, const struct kf_tensor *w,
	     const float *bias, enum kf_act act, struct kf_arena *scratch);
void kf_nn_fc_ref(struct kf_tensor *dst, const struct kf_tensor *src,
		  const struct kf_tensor *w, const float *bias, enum kf_act act);

/* The scalar activation the fast kernels implement. */
float kf_nn_act_ref(float x, enum kf_act act);

/* ---- input normalisation (n_pixels RGB triples, src may be dst) ---------- */

/* dst = (src - mean[c]) / div, float32: subtract, then divide
 * (tiny detector, landmarks: div 255; recognition: div 256). */
void kf_nn_normalize_mean(float *dst, const float *src, size_t n_pixels, const float mean[3],
			  float div);
/* dst = src / div - sub, float32: divide, then subtract (SSD: 127.5, 1). */
void kf_nn_normalize_scale(float *dst, const float *src, size_t n, float div, float sub);

/* ---- folding at load time ---------------------------------------------- */

/* face-api's batch-norm epsilon, 0.0010000000474974513 as float. */
#define KF_BN_EPS 0.001f

/* Per output channel c: f[c] = scale[c] / sqrt(var[c] + KF_BN_EPS), add[c] =
 * offset[c] - mean[c] * f[c], so bn(x) = x * f + add. */
void kf_nn_bn_factors(int n, const float *mean, const float *var, const float *scale,
		      const float *offset, float *f, float *add);
/* Fold y = (conv(x) + bias) * f + add into the weights: w (n_w floats, output
 * channel fastest, n_out channels: [kh,kw,in,out] and [kh,kw,C,1] both are)
 * is scaled in place, bias (n_out, in/out; pass zeros for a conv without
 * bias) becomes bias*f + add. add may be NULL (no shift). */
void kf_nn_fold_affine(float *w, size_t n_w, int n_out, float *bias, const float *f,
		       const float *add);

/* ---- debugging ----------------------------------------------------------- */

/* Networks' *_forward_stages() call this after every stage with the stage name
 * (as in tests/data/reference/layers/<net>_stages.json) and its output. */
typedef void (*kf_nn_stage_fn)(void *ctx, const char *name, const struct kf_tensor *t);

/* ---- GEMM ---------------------------------------------------------------- */

/* C[M,N] = act(A[M,K] . B[K,N] + bias[N]), row-major with leading dimensions
 * lda, ldb, ldc (elements); bias may be NULL. Packs B into scratch. */
int kf_gemm(int M, int N, int K, const float *A, int lda, const float *B, int ldb,
	    float *C, int ldc, const float *bias, enum kf_act act, struct kf_arena *scratch);
void kf_gemm_ref(int M, int N, int K, const float *A, int lda, const float *B, int ldb,
		 float *C, int ldc, const float *bias, enum kf_act act);

/* Packed B, for callers that reuse one B over many A blocks. */
size_t kf_gemm_packed_size(int K, int N);	/* floats */
void kf_gemm_pack_b(int K, int N, const float *B, int ldb, float *packed);
void kf_gemm_packed(int M, int N, int K, const float *A, int lda, const float *packed,
		    float *C, int ldc, const float *bias, enum kf_act act);
/* As kf_gemm_packed with K split into nsl >= 1 slices of ks >= 1 whose A rows lie
 * in different places: C = act(sum over s of A[s][M,ks] . B[s*ks .., N] + bias).
 * A convolution over an input it can read in place (each filter row's window
 * contiguous) needs no im2col this way. */
void kf_gemm_packed_sum(int M, int N, int ks, int nsl, const float *const *A, int lda,
			const float *packed, float *C, int ldc, const float *bias,
			enum kf_act act);

/* Which kernel kf_gemm uses: "avx512", "avx2", "neon" or "generic".
 * KF_GEMM_KERNEL in the environment ("generic", "avx2") forces a slower one
 * (tests, bench). The depthwise conv follows the same choice. */
const char *kf_gemm_kernel_name(void);
/* Test and bench hook: use kernel `name` ("avx512", "avx2", "neon",
 * "generic") from now on, process-wide. KF_E_UNSUPPORTED if this CPU cannot
 * run it. Not thread-safe with running ops. */
int kf_gemm_set_kernel(const char *name);

#endif
