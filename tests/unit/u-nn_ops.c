/* u-nn_ops.c: every fast op against its scalar _ref twin on random tensors
 * (ggml test-backend-ops style: NMSE = sum((a-b)^2) / sum(b^2) <= 1e-7),
 * on odd sizes, stride-2 'same' padding, strided sources and row-range splits,
 * for each GEMM kernel this CPU can run. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "core/nn_ops.h"
#include "core/nn_wino.h"
#include "core/weights.h"

#include <cjson/cJSON.h>

#define NMSE_MAX 1e-7

static uint64_t rng = 0x12345678abcdefULL;

static float frand(void)
{
	rng ^= rng >> 12; rng ^= rng << 25; rng ^= rng >> 27;
	return (float)((rng * 2685821657736338717ULL) >> 40) / (float)(1 << 24) * 2.0f - 1.0f;
}

static void fill(struct kf_tensor *t)
{
	float *f = t->data;
	int64_t n = (int64_t)(t->nb[3] / sizeof(float)) * t->ne[3];

	for (int64_t i = 0; i < n; i++)
		f[i] = frand();
}

static double nmse(const struct kf_tensor *a, const struct kf_tensor *b)
{
	const float *x = a->data, *y = b->data;
	double num = 0, den = 0;

	for (int64_t i = 0; i < kf_tensor_nelements(a); i++) {
		double d = (double)x[i] - (double)y[i];

		if (isinf(x[i]) && x[i] == y[i])
			continue;
		num += d * d;
		den += (double)y[i] * y[i];
	}
	return den > 0 ? num / den : num;
}

/* fastest first: restore_kernel() picks the first this CPU runs */
static const char *kernels[] = { "avx512", "avx2", "neon", "generic" };
#define N_KERNELS (sizeof(kernels) / sizeof(kernels[0]))

static void restore_kernel(void)
{
	for (size_t i = 0; i < N_KERNELS; i++)
		if (kf_gemm_set_kernel(kernels[i]) == KF_OK)
			return;
}

static void test_out_size(void **state)
{
	static const struct { int in, k, s; enum kf_pad pad; int out, lo, hi; } rows[] = {
		{ 512, 3, 2, KF_PAD_SAME, 256, 0, 1 },	/* ssd conv_0 */
		{ 256, 3, 1, KF_PAD_SAME, 256, 1, 1 },
		{ 207, 2, 2, KF_PAD_SAME, 104, 0, 1 },	/* tiny maxpool1 */
		{ 414, 2, 2, KF_PAD_SAME, 207, 0, 0 },
		{ 13, 2, 1, KF_PAD_SAME, 13, 0, 1 },	/* tiny maxpool5 */
		{ 416, 3, 1, KF_PAD_VALID, 414, 0, 0 },	/* tiny conv0 */
		{ 150, 7, 2, KF_PAD_VALID, 72, 0, 0 },	/* facerec conv32_down */
		{ 112, 3, 2, KF_PAD_SAME, 56, 0, 1 },	/* landmark dense0_conv0 */
		{ 7, 7, 2, KF_PAD_VALID, 1, 0, 0 },	/* landmark avg pool */
		{ 2, 3, 1, KF_PAD_VALID, 0, 0, 0 },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int lo = -1, hi = -1;
		int out = kf_nn_out_size(rows[i].in, rows[i].k, rows[i].s, rows[i].pad, 0, 0, &lo, &hi);

		if (out != rows[i].out || lo != rows[i].lo || hi != rows[i].hi)
			fail_msg("row %zu: out %d lo %d hi %d", i, out, lo, hi);
	}
}

static void test_act(void **state)
{
	(void)state;
	for (int i = 0; i < 10000; i++) {
		float x = frand() * 10.0f, m = 0.1f * x, want = (x - m > 0.0f ? x - m : 0.0f) + m;

		assert_true(kf_nn_act_ref(x, KF_ACT_LEAKY) == want);
	}
	assert_true(kf_nn_act_ref(7.0f, KF_ACT_RELU6) == 6.0f);
	assert_true(kf_nn_act_ref(-1.0f, KF_ACT_RELU6) == 0.0f);
	assert_true(kf_nn_act_ref(-1.0f, KF_ACT_RELU) == 0.0f);
}

struct conv_case {
	int n, h, w, c, co, k, s;
	enum kf_pad pad;
	int pt, pb, pl, pr;
	enum kf_act act;
};

static const struct conv_case conv_cases[] = {
	{ 1, 17, 13, 3, 32, 3, 2, KF_PAD_SAME, 0, 0, 0, 0, KF_ACT_RELU6 },	/* ssd conv_0 */
	{ 1, 16, 16, 3, 32, 3, 2, KF_PAD_SAME, 0, 0, 0, 0, KF_ACT_RELU6 },
	{ 2, 9, 11, 37, 45, 1, 1, KF_PAD_VALID, 0, 0, 0, 0, KF_ACT_LEAKY },	/* pointwise, odd */
	{ 1, 8, 8, 64, 70, 1, 1, KF_PAD_VALID, 0, 0, 0, 0, KF_ACT_NONE },
	{ 1, 12, 10, 3, 16, 3, 1, KF_PAD_VALID, 0, 0, 0, 0, KF_ACT_LEAKY },	/* tiny conv0 */
	{ 1, 23, 23, 3, 32, 7, 2, KF_PAD_VALID, 0, 0, 0, 0, KF_ACT_RELU },	/* facerec 7x7 */
	{ 1, 9, 9, 40, 33, 3, 1, KF_PAD_SAME, 0, 0, 0, 0, KF_ACT_RELU },
	{ 1, 10, 7, 20, 17, 3, 2, KF_PAD_EXPLICIT, 1, 2, 0, 1, KF_ACT_NONE },
	{ 1, 5, 5, 300, 7, 3, 1, KF_PAD_SAME, 0, 0, 0, 0, KF_ACT_RELU },	/* K > KC */
	{ 1, 4, 4, 8, 1, 1, 2, KF_PAD_SAME, 0, 0, 0, 0, KF_ACT_NONE },
	/* 3x3 depthwise rows: interiors longer than 4 pixels, channel tails */
	{ 1, 7, 23, 48, 5, 3, 1, KF_PAD_SAME, 0, 0, 0, 0, KF_ACT_RELU6 },
	{ 1, 8, 22, 40, 5, 3, 2, KF_PAD_SAME, 0, 0, 0, 0, KF_ACT_RELU6 },
	{ 1, 6, 19, 33, 4, 3, 1, KF_PAD_EXPLICIT, 1, 1, 1, 1, KF_ACT_LEAKY },
	{ 1, 6, 19, 16, 4, 3, 2, KF_PAD_EXPLICIT, 2, 0, 2, 0, KF_ACT_NONE },
	{ 2, 2, 2, 16, 4, 3, 1, KF_PAD_SAME, 0, 0, 0, 0, KF_ACT_RELU },
};

static struct kf_tensor *conv_dst(struct kf_arena *a, const struct conv_case *cc, int co)
{
	int lo, hi;
	int oh = kf_nn_out_size(cc->h, cc->k, cc->s, cc->pad, cc->pt, cc->pb, &lo, &hi);
	int ow = kf_nn_out_size(cc->w, cc->k, cc->s, cc->pad, cc->pl, cc->pr, &lo, &hi);

	return kf_tensor_nhwc(a, cc->n, oh, ow, co);
}

static void run_conv(const struct conv_case *cc, bool depthwise, bool strided)
{
	struct kf_arena a = KF_ARENA_INIT;
	struct kf_conv_params p = { cc->s, cc->pad, cc->pt, cc->pb, cc->pl, cc->pr, cc->act };
	int co = depthwise ? cc->c : cc->co;
	struct kf_tensor *src, *w, *want, *got, *bias;
	struct kf_tensor view;
	float *pk = NULL;

	/* strided: the source is a channel slice of a wider tensor */
	src = kf_tensor_nhwc(&a, cc->n, cc->h, cc->w, cc->c + (strided ? 5 : 0));
	assert_non_null(src);
	fill(src);
	if (strided) {
		view = *src;
		view.ne[0] = cc->c;
		view.data = (float *)src->data + 2;
		src = &view;
	}
	w = depthwise ? kf_tensor_new(&a, KF_F32, 1, cc->c, cc->k, cc->k)
		      : kf_tensor_new(&a, KF_F32, cc->co, cc->c, cc->k, cc->k);
	bias = kf_tensor_new(&a, KF_F32, co, 1, 1, 1);
	want = conv_dst(&a, cc, co);
	got = conv_dst(&a, cc, co);
	assert_non_null(w && bias && want && got);
	fill(w);
	fill(bias);
	if (!depthwise) {
		int K = cc->k * cc->k * cc->c;

		pk = kf_arena_alloc_array(&a, kf_gemm_packed_size(K, cc->co), sizeof(float));
		assert_non_null(pk);
		kf_gemm_pack_b(K, cc->co, w->data, cc->co, pk);
	}
	for (size_t ki = 0; ki < N_KERNELS; ki++) {
		if (kf_gemm_set_kernel(kernels[ki]) < 0)
			continue;
		/* conv: each kernel and thread count both ways, the filter packed
		 * here (kf_nn_conv2d) and in advance (kf_nn_conv2d_packed, pk packed
		 * under another kernel: the panel layout does not depend on it) */
		for (int run = 0; run < (depthwise ? 2 : 4); run++) {
			int nth = run % 2 ? 3 : 1;
			const float *packed = run >= 2 ? pk : NULL;

			memset(got->data, 0xff, kf_tensor_nbytes(got));	/* NaN */
			for (int ith = 0; ith < nth; ith++) {
				if (depthwise)
					kf_nn_depthwise(got, src, w, bias->data, &p, ith, nth);
				else if (packed)
					assert_int_equal(kf_nn_conv2d_packed(got, src, w, packed, NULL, bias->data,
									     &p, &a, ith, nth), KF_OK);
				else
					assert_int_equal(kf_nn_conv2d(got, src, w, bias->data, &p, &a, ith, nth),
							 KF_OK);
			}
			if (depthwise)
				kf_nn_depthwise_ref(want, src, w, bias->data, &p, 0, 1);
			else
				kf_nn_conv2d_ref(want, src, w, bias->data, &p, 0, 1);
			if (!(nmse(got, want) <= NMSE_MAX))
				fail_msg("%s%s %s case %dx%dx%d k%d s%d: nmse %g (nth %d)",
					 depthwise ? "depthwise" : "conv", packed ? " packed" : "",
					 kernels[ki], cc->h, cc->w, cc->c, cc->k, cc->s, nmse(got, want), nth);
		}
	}
	restore_kernel();
	kf_arena_release(&a);
}

static void test_conv2d(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(conv_cases) / sizeof(conv_cases[0]); i++) {
		run_conv(&conv_cases[i], false, false);
		run_conv(&conv_cases[i], false, true);
	}
}

static void test_depthwise(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(conv_cases) / sizeof(conv_cases[0]); i++) {
		run_conv(&conv_cases[i], true, false);
		run_conv(&conv_cases[i], true, true);
	}
}

/* Winograd F(2x2, 3x3) against the direct convolution: odd and even sizes
 * (partial edge tiles), 'same' and explicit padding, channels that are not a
 * multiple of 8, two images, more tiles than one chunk, each GEMM kernel. */
static void test_wino(void **state)
{
	static const struct conv_case cases[] = {
		{ 1, 35, 35, 32, 32, 3, 1, KF_PAD_SAME, 0, 0, 0, 0, KF_ACT_RELU },
		{ 2, 17, 16, 13, 21, 3, 1, KF_PAD_SAME, 0, 0, 0, 0, KF_ACT_NONE },
		{ 1, 8, 9, 64, 64, 3, 1, KF_PAD_EXPLICIT, 1, 0, 0, 1, KF_ACT_RELU },
		{ 1, 5, 7, 3, 5, 3, 1, KF_PAD_VALID, 0, 0, 0, 0, KF_ACT_LEAKY },
		{ 1, 1, 1, 8, 8, 3, 1, KF_PAD_SAME, 0, 0, 0, 0, KF_ACT_NONE },
		{ 1, 40, 33, 8, 8, 3, 1, KF_PAD_SAME, 0, 0, 0, 0, KF_ACT_RELU6 },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct conv_case *cc = &cases[i];
		struct kf_arena a = KF_ARENA_INIT;
		struct kf_conv_params p = { 1, cc->pad, cc->pt, cc->pb, cc->pl, cc->pr, cc->act };
		struct kf_tensor *src = kf_tensor_nhwc(&a, cc->n, cc->h, cc->w, cc->c);
		struct kf_tensor *w = kf_tensor_new(&a, KF_F32, cc->co, cc->c, 3, 3);
		struct kf_tensor *bias = kf_tensor_new(&a, KF_F32, cc->co, 1, 1, 1);
		struct kf_tensor *want = conv_dst(&a, cc, cc->co), *got = conv_dst(&a, cc, cc->co);
		struct kf_wino *wn;

		assert_non_null(src && w && bias && want && got);
		fill(src);
		fill(w);
		fill(bias);
		assert_int_equal(kf_wino_prepare(w->data, cc->c, cc->co, &wn), KF_OK);
		kf_nn_conv2d_ref(want, src, w, bias->data, &p, 0, 1);
		for (size_t ki = 0; ki < N_KERNELS; ki++) {
			if (kf_gemm_set_kernel(kernels[ki]) < 0)
				continue;
			memset(got->data, 0xff, kf_tensor_nbytes(got));	/* NaN */
			assert_int_equal(kf_nn_conv3x3_wino(got, src, wn, bias->data, &p, &a), KF_OK);
			if (!(nmse(got, want) <= NMSE_MAX))
				fail_msg("winograd %s %dx%dx%d -> %d: nmse %g", kernels[ki], cc->h, cc->w,
					 cc->c, cc->co, nmse(got, want));
		}
		restore_kernel();
		kf_wino_free(wn);
		kf_arena_release(&a);
	}
}

static void test_gemm(void **state)
{
	static const int shapes[][3] = { { 1, 1, 1 }, { 7, 33, 5 }, { 13, 64, 257 }, { 100, 31, 600 },
					 { 6, 32, 256 }, { 5, 300, 9 } };
	struct kf_arena a = KF_ARENA_INIT;
	(void)state;

	for (size_t ki = 0; ki < N_KERNELS; ki++) {
		if (kf_gemm_set_kernel(kernels[ki]) < 0)
			continue;
		for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
			int M = shapes[i][0], N = shapes[i][1], K = shapes[i][2];
			struct kf_tensor *A = kf_tensor_new(&a, KF_F32, K + 3, M, 1, 1);
			struct kf_tensor *B = kf_tensor_new(&a, KF_F32, N + 1, K, 1, 1);
			struct kf_tensor *b = kf_tensor_new(&a, KF_F32, N, 1, 1, 1);
			struct kf_tensor *C = kf_tensor_new(&a, KF_F32, N, M, 1, 1);
			struct kf_tensor *R = kf_tensor_new(&a, KF_F32, N, M, 1, 1);

			fill(A); fill(B); fill(b);
			assert_int_equal(kf_gemm(M, N, K, A->data, K + 3, B->data, N + 1, C->data, N,
						 b->data, KF_ACT_LEAKY, &a), KF_OK);
			kf_gemm_ref(M, N, K, A->data, K + 3, B->data, N + 1, R->data, N, b->data,
				    KF_ACT_LEAKY);
			if (!(nmse(C, R) <= NMSE_MAX))
				fail_msg("gemm %s %dx%dx%d nmse %g", kernels[ki], M, N, K, nmse(C, R));
		}
	}
	restore_kernel();
	kf_arena_release(&a);
}

/* C = act(A.B + bias) by kernel `name` (NULL: the one in force), into C with
 * ldc = N + 5 and one row more than M, all preset to a sentinel. */
#define SENTINEL 12345.0f

static void gemm_into(const char *name, int M, int N, int K, const float *A, const float *B,
		      const float *bias, enum kf_act act, float *C, struct kf_arena *a)
{
	for (int i = 0; i < (M + 1) * (N + 5); i++)
		C[i] = SENTINEL;
	if (name)
		assert_int_equal(kf_gemm_set_kernel(name), KF_OK);
	assert_int_equal(kf_gemm(M, N, K, A, K, B, N, C, N + 5, bias, act, a), KF_OK);
}

/* NMSE of x against y over the M x N block (leading dimension ld); fails if
 * anything outside it lost its sentinel (a partial tile stored too much). */
static double gemm_nmse(const float *x, const float *y, int M, int N, int ld)
{
	double num = 0, den = 0;

	for (int m = 0; m <= M; m++)
		for (int n = 0; n < ld; n++) {
			double d = (double)x[m * ld + n] - (double)y[m * ld + n];

			if (m == M || n >= N) {
				if (x[m * ld + n] != SENTINEL)
					fail_msg("gemm %dx%d: C[%d][%d] written", M, N, m, n);
				continue;
			}
			num += d * d;
			den += (double)y[m * ld + n] * y[m * ld + n];
		}
	return den > 0 ? num / den : num;
}

/* The fastest kernel (NEON on ARM64, AVX-512 or AVX2 on x86) against the
 * portable tile forced with kf_gemm_set_kernel("generic"), and both against
 * kf_gemm_ref: every partial tile (1..5 rows left over, 1..11 for AVX-512's
 * 12-row tile of at most 16 columns; columns around the 16-column halves and
 * 32-column panels), K around the 256-wide slices, all
 * activations, with and without bias, C wider than N. */
static void test_gemm_kernels(void **state)
{
	static const int Ms[] = { 1, 5, 6, 7, 11, 12, 13, 25 };
	static const int Ns[] = { 1, 3, 4, 15, 16, 17, 31, 32, 33, 48, 67 };
	static const int Ks[] = { 1, 7, 256, 300 };
	struct kf_arena a = KF_ARENA_INIT;
	const char *best;
	int i = 0;
	(void)state;

	restore_kernel();
	best = kf_gemm_kernel_name();
#if defined(__aarch64__)
	/* NEON is baseline there: chosen unless KF_GEMM_KERNEL says otherwise */
	if (!getenv("KF_GEMM_KERNEL"))
		assert_string_equal(best, "neon");
	assert_int_equal(kf_gemm_set_kernel("avx2"), KF_E_UNSUPPORTED);
	assert_int_equal(kf_gemm_set_kernel("avx512"), KF_E_UNSUPPORTED);
#else
	assert_int_equal(kf_gemm_set_kernel("neon"), KF_E_UNSUPPORTED);
#endif
	assert_int_equal(kf_gemm_set_kernel("nonesuch"), KF_E_UNSUPPORTED);
	for (size_t mi = 0; mi < sizeof(Ms) / sizeof(Ms[0]); mi++)
		for (size_t ni = 0; ni < sizeof(Ns) / sizeof(Ns[0]); ni++)
			for (size_t ki = 0; ki < sizeof(Ks) / sizeof(Ks[0]); ki++, i++) {
				int M = Ms[mi], N = Ns[ni], K = Ks[ki], ld = N + 5;
				enum kf_act act = (enum kf_act)(i % 4);
				float *A = kf_arena_alloc_array(&a, (size_t)M * K, sizeof(float));
				float *B = kf_arena_alloc_array(&a, (size_t)K * N, sizeof(float));
				float *bias = kf_arena_alloc_array(&a, (size_t)N, sizeof(float));
				float *fast = kf_arena_alloc_array(&a, (size_t)(M + 1) * ld, sizeof(float));
				float *gen = kf_arena_alloc_array(&a, (size_t)(M + 1) * ld, sizeof(float));
				float *ref = kf_arena_alloc_array(&a, (size_t)(M + 1) * ld, sizeof(float));
				const float *bp;
				double e_fast, e_gen, e_both;

				assert_non_null(A && B && bias && fast && gen && ref);
				for (int j = 0; j < M * K; j++)
					A[j] = frand();
				for (int j = 0; j < K * N; j++)
					B[j] = frand();
				for (int j = 0; j < N; j++)
					bias[j] = frand();
				bp = i % 3 ? bias : NULL;
				gemm_into(best, M, N, K, A, B, bp, act, fast, &a);
				gemm_into("generic", M, N, K, A, B, bp, act, gen, &a);
				for (int j = 0; j < (M + 1) * ld; j++)
					ref[j] = SENTINEL;
				kf_gemm_ref(M, N, K, A, K, B, N, ref, ld, bp, act);
				e_fast = gemm_nmse(fast, ref, M, N, ld);
				e_gen = gemm_nmse(gen, ref, M, N, ld);
				e_both = gemm_nmse(fast, gen, M, N, ld);
				if (!(e_fast <= NMSE_MAX && e_gen <= NMSE_MAX && e_both <= NMSE_MAX))
					fail_msg("gemm %dx%dx%d act %d%s: nmse %s %g, generic %g, "
						 "%s vs generic %g", M, N, K, (int)act,
						 bp ? " bias" : "", best, e_fast, e_gen, best, e_both);
				kf_arena_reset(&a);
			}
	restore_kernel();
	kf_arena_release(&a);
}

static void test_pool(void **state)
{
	static const struct { int h, w, c, k, s; enum kf_pad pad; } rows[] = {
		{ 207, 207, 5, 2, 2, KF_PAD_SAME }, { 14, 14, 3, 2, 2, KF_PAD_SAME },
		{ 13, 13, 17, 2, 1, KF_PAD_SAME }, { 7, 9, 4, 3, 2, KF_PAD_VALID },
		{ 72, 72, 3, 3, 2, KF_PAD_VALID }, { 21, 20, 32, 3, 2, KF_PAD_VALID },
		/* 2x2 and 3x3 pools (all above and below): windows inside by
		 * rows, the edges by the pixel; YuNet's, the tiny detector's and
		 * the recognition net's channels */
		{ 15, 15, 16, 2, 2, KF_PAD_SAME }, { 13, 13, 32, 2, 1, KF_PAD_SAME },
		{ 8, 9, 48, 2, 2, KF_PAD_VALID },
		/* inputs narrower or shorter than the window: edges only */
		{ 4, 1, 16, 2, 2, KF_PAD_SAME }, { 1, 1, 16, 2, 2, KF_PAD_SAME },
		{ 2, 1, 5, 3, 2, KF_PAD_SAME },
	};
	struct kf_arena a = KF_ARENA_INIT;
	(void)state;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int lo, hi, oh = kf_nn_out_size(rows[i].h, rows[i].k, rows[i].s, rows[i].pad, 0, 0, &lo, &hi);
		int ow = kf_nn_out_size(rows[i].w, rows[i].k, rows[i].s, rows[i].pad, 0, 0, &lo, &hi);
		struct kf_tensor *src = kf_tensor_nhwc(&a, 2, rows[i].h, rows[i].w, rows[i].c);
		struct kf_tensor *got = kf_tensor_nhwc(&a, 2, oh, ow, rows[i].c);
		struct kf_tensor *want = kf_tensor_nhwc(&a, 2, oh, ow, rows[i].c);

		fill(src);
		for (int ith = 0; ith < 4; ith++)
			kf_nn_maxpool(got, src, rows[i].k, rows[i].s, rows[i].pad, ith, 4);
		kf_nn_maxpool_ref(want, src, rows[i].k, rows[i].s, rows[i].pad, 0, 1);
		assert_memory_equal(got->data, want->data, kf_tensor_nbytes(got));
	}
	/* the padded cell does not take part: all-negative input, bottom-right */
	{
		struct kf_tensor *src = kf_tensor_nhwc(&a, 1, 3, 3, 1), *dst = kf_tensor_nhwc(&a, 1, 2, 2, 1);
		float *s = src->data, *d = dst->data;

		for (int i = 0; i < 9; i++)
			s[i] = -1.0f - (float)i;
		kf_nn_maxpool(dst, src, 2, 2, KF_PAD_SAME, 0, 1);
		assert_true(d[3] == -9.0f && d[0] == -1.0f && d[1] == -3.0f);
	}
	/* avg pool 7x7 stride 2 on 7x7 = the mean */
	{
		struct kf_tensor *src = kf_tensor_nhwc(&a, 1, 7, 7, 2), *dst = kf_tensor_nhwc(&a, 1, 1, 1, 2);
		struct kf_tensor *g = kf_tensor_nhwc(&a, 1, 1, 1, 2);
		double m = 0;

		fill(src);
		for (int i = 0; i < 49; i++)
			m += ((float *)src->data)[2 * i + 1];
		kf_nn_avgpool(dst, src, 7, 2, 0, 1);
		kf_nn_global_avgpool(g, src);
		assert_true(fabs(((float *)dst->data)[1] - m / 49) < 1e-6);
		assert_true(fabs(((float *)g->data)[1] - m / 49) < 1e-6);
	}
	kf_arena_release(&a);
}

static void test_elementwise_fc(void **state)
{
	struct kf_arena a = KF_ARENA_INIT;
	struct kf_tensor *x = kf_tensor_nhwc(&a, 2, 5, 3, 7), *y = kf_tensor_nhwc(&a, 2, 5, 3, 7);
	struct kf_tensor *z = kf_tensor_nhwc(&a, 2, 5, 3, 7);
	struct kf_tensor *w = kf_tensor_new(&a, KF_F32, 136, 105, 1, 1);
	struct kf_tensor *b = kf_tensor_new(&a, KF_F32, 136, 1, 1, 1);
	struct kf_tensor *o = kf_tensor_nhwc(&a, 2, 1, 1, 136), *r = kf_tensor_nhwc(&a, 2, 1, 1, 136);
	float *xf, *yf, *zf;
	(void)state;

	fill(x); fill(y); fill(w); fill(b);
	xf = x->data; yf = y->data; zf = z->data;
	kf_nn_add(z, x, y, KF_ACT_RELU, 0, 2);
	kf_nn_add(z, x, y, KF_ACT_RELU, 1, 2);
	for (int i = 0; i < 210; i++)
		assert_true(zf[i] == kf_nn_act_ref(xf[i] + yf[i], KF_ACT_RELU));
	/* strided views (a channel slice) take the generic path: same values */
	{
		struct kf_tensor *wide = kf_tensor_nhwc(&a, 2, 5, 3, 9), vx, vz;
		float *wf;

		assert_non_null(wide);
		fill(wide);
		wf = wide->data;
		vx = *wide;
		vx.ne[0] = 7;
		vx.data = wf + 1;
		vz = *x;	/* a contiguous dst */
		for (int act = KF_ACT_NONE; act <= KF_ACT_LEAKY; act++) {
			kf_nn_add(&vz, &vx, y, (enum kf_act)act, 0, 1);
			for (int n = 0, i = 0; n < 2 * 5 * 3; n++)
				for (int c = 0; c < 7; c++, i++)
					assert_true(xf[i] == kf_nn_act_ref(wf[n * 9 + 1 + c] + yf[i],
									 (enum kf_act)act));
			kf_nn_act(&vz, &vx, (enum kf_act)act, 0, 1);
			for (int n = 0, i = 0; n < 2 * 5 * 3; n++)
				for (int c = 0; c < 7; c++, i++)
					assert_true(xf[i] == kf_nn_act_ref(wf[n * 9 + 1 + c], (enum kf_act)act));
		}
		fill(x);
		for (int act = KF_ACT_NONE; act <= KF_ACT_LEAKY; act++) {
			kf_nn_add(z, x, y, (enum kf_act)act, 0, 1);
			for (int i = 0; i < 210; i++)
				assert_true(zf[i] == kf_nn_act_ref(xf[i] + yf[i], (enum kf_act)act));
			kf_nn_act(z, x, (enum kf_act)act, 1, 2);
			kf_nn_act(z, x, (enum kf_act)act, 0, 2);
			for (int i = 0; i < 210; i++)
				assert_true(zf[i] == kf_nn_act_ref(xf[i], (enum kf_act)act));
		}
	}
	kf_nn_act(x, x, KF_ACT_RELU6, 0, 1);
	for (int i = 0; i < 210; i++)
		assert_true(xf[i] >= 0.0f);
	assert_int_equal(kf_nn_fc(o, y, w, b->data, KF_ACT_NONE, &a), KF_OK);
	kf_nn_fc_ref(r, y, w, b->data, KF_ACT_NONE);
	assert_true(nmse(o, r) <= NMSE_MAX);
	kf_arena_release(&a);
}

static void test_normalize_fold(void **state)
{
	const float mean[3] = { 117.001f, 114.697f, 97.404f };
	float src[6] = { 0, 255, 128, 1, 2, 3 }, dst[6];
	float w[6] = { 1, 2, 3, 4, 5, 6 }, bias[3] = { 0, 1, 2 }, f[3], add[3];
	const float mu[3] = { 1, 2, 3 }, var[3] = { 4, 0, 1 }, sc[3] = { 1, 1, 2 }, off[3] = { 0, 1, 0 };
	(void)state;

	kf_nn_normalize_mean(dst, src, 2, mean, 255.0f);
	assert_true(dst[1] == (255.0f - 114.697f) / 255.0f);
	kf_nn_normalize_scale(dst, src, 6, 127.5f, 1.0f);
	assert_true(dst[0] == -1.0f && dst[1] == 1.0f);
	kf_nn_bn_factors(3, mu, var, sc, off, f, add);
	assert_true(f[1] == 1.0f / sqrtf(0.0f + 0.0010000000474974513f));
	kf_nn_fold_affine(w, 6, 3, bias, f, add);
	/* bn(conv) at x = 1 for channel 2: (3 + 2 - 3) * 2/sqrt(1.001) */
	assert_true(fabsf((w[2] + bias[2]) - 2.0f * 2.0f / sqrtf(1.001f)) < 1e-5f);
}

static void test_alloc_failure(void **state)
{
	struct kf_arena a = KF_ARENA_INIT;
	struct kf_conv_params p = { 2, KF_PAD_SAME, 0, 0, 0, 0, KF_ACT_RELU6 };
	struct kf_tensor src, w, dst;
	float s[4 * 4 * 3] = { 0 }, wf[3 * 3 * 3 * 4] = { 0 }, d[2 * 2 * 4];
	(void)state;

	kf_tensor_init(&src, KF_F32, 3, 4, 4, 1, s);
	kf_tensor_init(&w, KF_F32, 4, 3, 3, 3, wf);
	kf_tensor_init(&dst, KF_F32, 4, 2, 2, 1, d);
	kf_alloc_fail_at(1);
	assert_int_equal(kf_nn_conv2d(&dst, &src, &w, NULL, &p, &a, 0, 1), KF_E_NOMEM);
	kf_alloc_fail_at(0);
	assert_int_equal(kf_nn_conv2d(&dst, &src, &w, NULL, &p, &a, 0, 1), KF_OK);
	kf_arena_release(&a);
}

/* The ops compose into face-api's SSD: the first five stages of
 * sample1_ssd_stages.json, with batch norm folded into the depthwise weights
 * by kf_nn_bn_factors + kf_nn_fold_affine (mean|x| within 1e-4 relative,
 * probes within 1e-3 of |ref| + mean|x|). */
static void check_stage(const cJSON *stages, const char *name, const struct kf_tensor *t)
{
	const cJSON *s, *p;
	const float *f = t->data;
	double mean_abs = 0;
	int64_t n = kf_tensor_nelements(t);

	for (int64_t i = 0; i < n; i++)
		mean_abs += fabs((double)f[i]);
	mean_abs /= (double)n;
	cJSON_ArrayForEach(s, stages) {
		double ref;

		if (strcmp(cJSON_GetObjectItem(s, "name")->valuestring, name))
			continue;
		assert_int_equal(cJSON_GetObjectItem(s, "size")->valuedouble, (double)n);
		ref = cJSON_GetObjectItem(s, "mean_abs")->valuedouble;
		if (fabs(mean_abs - ref) > 1e-4 * ref)
			fail_msg("%s: mean_abs %.9g, reference %.9g", name, mean_abs, ref);
		cJSON_ArrayForEach(p, cJSON_GetObjectItem(s, "probe")) {
			int64_t idx = (int64_t)cJSON_GetArrayItem(p, 0)->valuedouble;
			double v = cJSON_GetArrayItem(p, 1)->valuedouble;

			if (fabs((double)f[idx] - v) > 1e-3 * (fabs(v) + mean_abs))
				fail_msg("%s[%lld] = %.9g, reference %.9g", name, (long long)idx,
					 (double)f[idx], v);
		}
		return;
	}
	fail_msg("no stage %s", name);
}

static struct kf_tensor *dw_bn(struct kf_arena *a, const struct kf_weights *w, int layer, int c,
			       float *bias, struct kf_err *err)
{
	static const char *const bn[4] = { "moving_mean", "moving_variance", "gamma", "beta" };
	const float *v[4];
	char name[96];
	float f[64], add[64];
	struct kf_tensor *t = kf_tensor_new(a, KF_F32, 1, c, 3, 3);
	const float *src;

	assert_true(c <= 64);
	snprintf(name, sizeof(name), "MobilenetV1/Conv2d_%d_depthwise/depthwise_weights", layer);
	assert_non_null(src = kf_weights_f32(w, name, 4, (const int[]){ 3, 3, c, 1 }, err));
	memcpy(t->data, src, kf_tensor_nbytes(t));
	for (int i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "MobilenetV1/Conv2d_%d_depthwise/BatchNorm/%s", layer, bn[i]);
		assert_non_null(v[i] = kf_weights_f32(w, name, 1, (const int[]){ c }, err));
	}
	kf_nn_bn_factors(c, v[0], v[1], v[2], v[3], f, add);
	memset(bias, 0, (size_t)c * sizeof(float));
	kf_nn_fold_affine(t->data, (size_t)c * 9, c, bias, f, add);
	return t;
}

static void test_ssd_first_stages(void **state)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_arena a = KF_ARENA_INIT;
	struct kf_weights *w = NULL;
	const struct kf_conv_params s2 = { 2, KF_PAD_SAME, 0, 0, 0, 0, KF_ACT_RELU6 };
	const struct kf_conv_params s1 = { 1, KF_PAD_SAME, 0, 0, 0, 0, KF_ACT_RELU6 };
	size_t n_in, n_json;
	uint8_t *in8 = kf_test_read_file(KF_TEST_DATA "/reference/layers/sample1_ssd_input_512x512_rgb_u8.bin", &n_in);
	char *json = (char *)kf_test_read_file(KF_TEST_DATA "/reference/layers/sample1_ssd_stages.json", &n_json);
	cJSON *root = cJSON_ParseWithLength(json, n_json);
	const cJSON *stages = cJSON_GetObjectItem(root, "stages");
	struct kf_tensor *x, *c0, *d1, *p1, *d2;
	float b1[32], b2[64];
	(void)state;

	assert_int_equal(kf_weights_load(&w, KF_TEST_MODELS, "ssd_mobilenetv1_model", 0, &err), KF_OK);
	x = kf_tensor_nhwc(&a, 1, 512, 512, 3);
	for (size_t i = 0; i < n_in; i++)
		((float *)x->data)[i] = (float)in8[i];
	kf_nn_normalize_scale(x->data, x->data, n_in, 127.5f, 1.0f);
	check_stage(stages, "input_normalized", x);

	c0 = kf_tensor_nhwc(&a, 1, 256, 256, 32);
	assert_int_equal(kf_nn_conv2d(c0, x,
		kf_weights_get(w, "MobilenetV1/Conv2d_0_pointwise/weights", 4, (const int[]){ 3, 3, 3, 32 }, &err),
		kf_weights_f32(w, "MobilenetV1/Conv2d_0_pointwise/convolution_bn_offset", 1, (const int[]){ 32 }, &err),
		&s2, &a, 0, 1), KF_OK);
	check_stage(stages, "conv_0", c0);

	d1 = kf_tensor_nhwc(&a, 1, 256, 256, 32);
	kf_nn_depthwise(d1, c0, dw_bn(&a, w, 1, 32, b1, &err), b1, &s1, 0, 1);
	check_stage(stages, "conv_1_depthwise", d1);

	p1 = kf_tensor_nhwc(&a, 1, 256, 256, 64);
	for (int ith = 0; ith < 2; ith++)
		assert_int_equal(kf_nn_conv2d(p1, d1,
			kf_weights_get(w, "MobilenetV1/Conv2d_1_pointwise/weights", 4, (const int[]){ 1, 1, 32, 64 }, &err),
			kf_weights_f32(w, "MobilenetV1/Conv2d_1_pointwise/convolution_bn_offset", 1, (const int[]){ 64 }, &err),
			&s1, &a, ith, 2), KF_OK);
	check_stage(stages, "conv_1_pointwise", p1);

	d2 = kf_tensor_nhwc(&a, 1, 128, 128, 64);
	kf_nn_depthwise(d2, p1, dw_bn(&a, w, 2, 64, b2, &err), b2, &s2, 0, 1);
	check_stage(stages, "conv_2_depthwise", d2);

	kf_weights_free(w);
	kf_arena_release(&a);
	cJSON_Delete(root);
	free(in8);
	free(json);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_out_size),
		cmocka_unit_test(test_act),
		cmocka_unit_test(test_gemm),
		cmocka_unit_test(test_gemm_kernels),
		cmocka_unit_test(test_conv2d),
		cmocka_unit_test(test_depthwise),
		cmocka_unit_test(test_wino),
		cmocka_unit_test(test_pool),
		cmocka_unit_test(test_elementwise_fc),
		cmocka_unit_test(test_normalize_fold),
		cmocka_unit_test(test_alloc_failure),
		cmocka_unit_test(test_ssd_first_stages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
