/* u-precision.c: the int8 path (core/nn_gemm_q8.h) against float32.
 *
 * - The GEMM: every int8 kernel this CPU runs gives the generic kernel's
 *   numbers, and all stay within the quantisation error of kf_gemm_ref.
 * - Forcing: KF_GEMM_INT8 / kf_gemm_q8_set_kernel never select a kernel the
 *   CPU lacks; precision fp32 turns int8 off.
 * - Built with KF_Q8_EMULATE_AVXVNNI (test unit.precision-avxvnni), the
 *   AVX-VNNI kernel runs on any CPU with AVX2, its VPDPBUSD made of AVX2
 *   instructions: all of the above, and the accuracy below with it.
 * - The accuracy bar, int8 against float32, on the faces of the sample photos,
 *   the dev group photos and the dev identity crops: detection boxes IoU >=
 *   0.95 and scores within 0.02, landmarks within 0.5% of the box width,
 *   descriptors within 0.02 (on the float32 path's crop, and through the
 *   whole face pipeline on the float32 box). The mean and worst are printed
 *   (the figures in docs/internals/nn.md come from here). Today only the
 *   recognition net has int8 weights: the detector and the landmark net must
 *   come out unchanged. On a CPU without dot products the generic int8
 *   kernel is checked instead: the same integers.
 */
#include "testutil.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#endif

#include "core/alloc.h"
#include "core/arena.h"
#include "core/box.h"
#include "core/engine.h"
#include "core/face.h"
#include "core/image.h"
#include "core/nn_gemm_q8.h"
#include "core/nn_facerec.h"
#include "core/nn_landmark.h"
#include "core/nn_ops.h"

static const char *const q8_kernels[] = { "generic", "avxvnni", "avx512vnni", "neondot" };

static float frand(unsigned *s)
{
	*s = *s * 1103515245u + 12345u;
	return (float)((*s >> 8) & 0xffff) / 32768.0f - 1.0f;
}

static void test_gemm_kernels_agree(void **state)
{
	static const int shapes[][3] = {
		{ 1, 1, 1 }, { 5, 7, 3 }, { 6, 32, 4 }, { 13, 33, 27 }, { 48, 16, 288 },
		{ 49, 64, 147 }, { 100, 130, 61 }, { 25, 256, 2304 },
	};
	struct kf_arena arena = KF_ARENA_INIT;
	unsigned seed = 7;
	char ran[64] = "";
	(void)state;

	for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
		int M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
		float *A = kf_malloc_array((size_t)M * K, sizeof(float));
		float *B = kf_malloc_array((size_t)K * N, sizeof(float));
		float *bias = kf_malloc_array((size_t)N, sizeof(float));
		float *ref = kf_malloc_array((size_t)M * N, sizeof(float));
		float *gen = kf_malloc_array((size_t)M * N, sizeof(float));
		float *got = kf_malloc_array((size_t)M * N, sizeof(float));
		struct kf_gemm_q8 *q;
		double err2 = 0.0, ref2 = 0.0;

		assert_non_null(A);
		assert_non_null(B);
		assert_non_null(bias);
		assert_non_null(ref);
		assert_non_null(gen);
		assert_non_null(got);
		for (int i = 0; i < M * K; i++)
			A[i] = frand(&seed) * (i % 5 ? 1.0f : 3.0f);
		for (int i = 0; i < K * N; i++)
			B[i] = frand(&seed);
		for (int i = 0; i < N; i++)
			bias[i] = frand(&seed);
		assert_int_equal(kf_gemm_q8_pack(K, N, B, N, (int)(s % 3), &q), KF_OK);
		kf_gemm_ref(M, N, K, A, K, B, N, ref, N, bias, KF_ACT_LEAKY);
		assert_int_equal(kf_gemm_q8_set_kernel("generic"), KF_OK);
		assert_int_equal(kf_gemm_q8(M, A, K, q, gen, N, bias, KF_ACT_LEAKY, &arena), KF_OK);
		for (int i = 0; i < M * N; i++) {
			err2 += (gen[i] - ref[i]) * (gen[i] - ref[i]);
			ref2 += ref[i] * ref[i];
		}
		/* two 8-bit roundings: relative error well under 2% */
		assert_true(err2 <= 4e-4 * ref2);
		for (size_t k = 1; k < sizeof(q8_kernels) / sizeof(q8_kernels[0]); k++) {
			if (kf_gemm_q8_set_kernel(q8_kernels[k]) < 0)
				continue;
			if (!s) {
				strcat(ran, " ");
				strcat(ran, q8_kernels[k]);
			}
			memset(got, 0, (size_t)M * N * sizeof(float));
			assert_int_equal(kf_gemm_q8(M, A, K, q, got, N, bias, KF_ACT_LEAKY, &arena),
					 KF_OK);
			for (int i = 0; i < M * N; i++)
				if (fabsf(got[i] - gen[i]) > 1e-6f * (1.0f + fabsf(gen[i])))
					fail_msg("%s %dx%dx%d [%d]: %g vs generic %g", q8_kernels[k],
						 M, N, K, i, got[i], gen[i]);
		}
		kf_gemm_q8_free(q);
		kf_free(A), kf_free(B), kf_free(bias), kf_free(ref), kf_free(gen), kf_free(got);
		kf_arena_reset(&arena);
	}
	kf_arena_release(&arena);
	kf_nn_set_precision(KF_PRECISION_AUTO);
	print_message("int8 kernels checked against generic:%s\n", ran[0] ? ran : " none");
#ifdef KF_Q8_EMULATE_AVXVNNI
	/* the point of this build: the AVX-VNNI kernel ran */
	if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
		assert_non_null(strstr(ran, " avxvnni"));
#endif
}

/* kf_gemm_q8_pack's rounding, read back through the GEMM: a row of A that
 * is 1 at some k and 0 elsewhere quantises exactly (0 and 255), so C[n] =
 * sw[n] times the sum of those weights' bytes. Rounded to nearest, each
 * byte is within half a step; keeping sums (group G), each within one step,
 * each column's sum within half a step, and each group's within one and a
 * half (the column's correction moves a group by one more step at most). */
static void test_pack_keeps_sums(void **state)
{
	enum { K = 3 * 3 * 8, N = 20, G = 8 };
	struct kf_arena arena = KF_ARENA_INIT;
	static float B[K * N], A[(K + G + 1) * K], C[(K + G + 1) * N];
	float sw[N];
	unsigned seed = 5;
	(void)state;

	for (int i = 0; i < K * N; i++)
		B[i] = frand(&seed) * (i % 11 ? 0.3f : 1.0f);
	for (int n = 0; n < N; n++) {
		sw[n] = 0.0f;
		for (int k = 0; k < K; k++)
			sw[n] = fmaxf(sw[n], fabsf(B[k * N + n]));
		sw[n] /= 127.0f;
	}
	/* rows: each k alone, then each group, then all of K */
	memset(A, 0, sizeof(A));
	for (int k = 0; k < K; k++) {
		A[k * K + k] = 1.0f;
		A[(K + k % G) * K + k] = 1.0f;
		A[(K + G) * K + k] = 1.0f;
	}
	assert_int_equal(kf_gemm_q8_set_kernel("generic"), KF_OK);
	for (int group = 0; group <= G; group += G) {
		struct kf_gemm_q8 *q;

		assert_int_equal(kf_gemm_q8_pack(K, N, B, N, group, &q), KF_OK);
		assert_int_equal(kf_gemm_q8(K + G + 1, A, K, q, C, N, NULL, KF_ACT_NONE, &arena), KF_OK);
		for (int n = 0; n < N; n++)
			for (int r = 0; r < K + G + 1; r++) {
				double want = 0.0, steps;

				for (int k = 0; k < K; k++)
					want += A[r * K + k] * B[k * N + n];
				steps = fabs(C[r * N + n] - want) / sw[n];
				if (r < K)
					assert_true(steps <= (group ? 1.0 : 0.5) + 1e-3);
				else if (group && r < K + G)
					assert_true(steps <= 1.5 + 1e-3);
				else if (group)
					assert_true(steps <= 0.5 + 1e-3);
			}
		kf_gemm_q8_free(q);
	}
	kf_arena_release(&arena);
	kf_nn_set_precision(KF_PRECISION_AUTO);
}

/* A convolution quantises each window straight from its input
 * (nn_ops.c, conv_q8): the same numbers as the im2col rows, padding as
 * zeros, each quantised over its window's range, or its group's
 * (KF_Q8_GROUP, nn_ops.h), for every kernel this CPU runs. */
static void test_conv_windows_match_im2col(void **state)
{
	static const struct { int N, H, W, C, k, s, CO; enum kf_pad pad; } cases[] = {
		{ 2, 9, 7, 32, 3, 1, 32, KF_PAD_SAME },	/* a residual conv */
		{ 1, 9, 9, 16, 3, 2, 40, KF_PAD_VALID },		/* residualDown */
		{ 2, 15, 15, 3, 7, 2, 32, KF_PAD_VALID },		/* conv32_down */
		{ 1, 6, 11, 5, 3, 1, 7, KF_PAD_SAME },			/* odd sizes */
		{ 2, 9, 13, 32, 3, 1, 40, KF_PAD_SAME },	/* groups of 6, 6, 1; 2 panels */
		{ 1, 5, 5, 64, 3, 1, 24, KF_PAD_SAME },		/* a row shorter than a group */
		{ 1, 7, 9, 4, 3, 1, 8, KF_PAD_VALID },		/* 4 channels, no edge */
		{ 1, 6, 8, 8, 3, 1, 12, KF_PAD_SAME },		/* kernel rows of 16 + 8 bytes */
		{ 1, 40, 1, 8, 3, 1, 8, KF_PAD_SAME },		/* a group an output: batches cut */
	};
	struct kf_arena arena = KF_ARENA_INIT;
	unsigned seed = 11;
	(void)state;

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		int N = cases[c].N, H = cases[c].H, W = cases[c].W, C = cases[c].C;
		int k = cases[c].k, s = cases[c].s, CO = cases[c].CO;
		int K = k * k * C, pt, pb, pl, pr;
		int OH = kf_nn_out_size(H, k, s, cases[c].pad, 0, 0, &pt, &pb);
		int OW = kf_nn_out_size(W, k, s, cases[c].pad, 0, 0, &pl, &pr);
		struct kf_conv_params p = { s, cases[c].pad, 0, 0, 0, 0, KF_ACT_RELU };
		struct kf_tensor *src = kf_tensor_nhwc(&arena, N, H, W, C);
		struct kf_tensor *dst = kf_tensor_nhwc(&arena, N, OH, OW, CO), w;
		float *wd = kf_arena_alloc_array(&arena, (size_t)K * CO, sizeof(float));
		float *bias = kf_arena_alloc_array(&arena, (size_t)CO, sizeof(float));
		float *rows = kf_arena_alloc_array(&arena, (size_t)N * OH * OW * K, sizeof(float));
		float *want = kf_arena_alloc_array(&arena, (size_t)N * OH * OW * CO, sizeof(float));
		float *glo = kf_arena_alloc_array(&arena, (size_t)N * OH * OW * 2, sizeof(float));
		struct kf_gemm_q8 *q;
		/* the convs whose neighbouring windows share a range (nn_ops.h) */
		bool grouped = s == 1 && (k * C) % 4 == 0;

		assert_non_null(src);
		assert_non_null(dst);
		assert_non_null(wd);
		assert_non_null(bias);
		assert_non_null(rows);
		assert_non_null(want);
		assert_non_null(glo);
		for (size_t i = 0; i < (size_t)N * H * W * C; i++)	/* some rows all >= 0 */
			((float *)src->data)[i] = frand(&seed) + (i % 97 < 40 ? 1.0f : 0.0f);
		for (int i = 0; i < K * CO; i++)
			wd[i] = frand(&seed);
		for (int i = 0; i < CO; i++)
			bias[i] = frand(&seed);
		kf_tensor_init(&w, KF_F32, CO, C, k, k, wd);
		assert_int_equal(kf_gemm_q8_pack(K, CO, wd, CO, C, &q), KF_OK);
		/* im2col: (ky, kx, c) of each window, zeros past the edge */
		for (int n = 0; n < N; n++)
			for (int oy = 0; oy < OH; oy++)
				for (int ox = 0; ox < OW; ox++) {
					float *r = rows + (((size_t)n * OH + oy) * OW + ox) * K;

					for (int ky = 0; ky < k; ky++)
						for (int kx = 0; kx < k; kx++)
							for (int ch = 0; ch < C; ch++) {
								int y = oy * s - pt + ky, x = ox * s - pl + kx;

								*r++ = y < 0 || y >= H || x < 0 || x >= W ? 0.0f :
									((float *)src->data)[(((size_t)n * H + y) * W + x) * C + ch];
							}
				}
		/* each window's range, then (grouped) its group's: the windows of
		 * outputs ox - ox % KF_Q8_GROUP .. of its row */
		for (int i = 0; i < N * OH * OW; i++) {
			const float *r = rows + (size_t)i * K;

			glo[2 * i] = glo[2 * i + 1] = r[0];
			for (int j = 1; j < K; j++) {
				glo[2 * i] = r[j] < glo[2 * i] ? r[j] : glo[2 * i];
				glo[2 * i + 1] = r[j] > glo[2 * i + 1] ? r[j] : glo[2 * i + 1];
			}
		}
		for (int row = 0; grouped && row < N * OH; row++)
			for (int gs = 0; gs < OW; gs += KF_Q8_GROUP) {
				float *g = glo + 2 * ((size_t)row * OW + gs);
				int cnt = OW - gs < KF_Q8_GROUP ? OW - gs : KF_Q8_GROUP;

				for (int j = 1; j < cnt; j++) {
					g[0] = fminf(g[0], g[2 * j]);
					g[1] = fmaxf(g[1], g[2 * j + 1]);
				}
				for (int j = 1; j < cnt; j++) {
					g[2 * j] = g[0];
					g[2 * j + 1] = g[1];
				}
			}
		for (size_t kn = 0; kn < sizeof(q8_kernels) / sizeof(q8_kernels[0]); kn++) {
			if (kf_gemm_q8_set_kernel(q8_kernels[kn]) < 0)
				continue;
			for (int i = 0; i < N * OH * OW; i++) {
				uint8_t *qb = kf_arena_alloc(&arena, (size_t)q->K4);
				const float *r = rows + (size_t)i * K;
				float sa, mn;

				assert_non_null(qb);
				kf_q8_quant_row_in(&r, 1, K, q->K4, glo[2 * i], glo[2 * i + 1], qb, &sa, &mn);
				kf_gemm_q8_rows(1, qb, q->K4, &sa, &mn, q, want + (size_t)i * CO, CO, bias,
						KF_ACT_RELU);
			}
			assert_int_equal(kf_nn_conv2d_packed(dst, src, &w, NULL, q, bias, &p, &arena, 0, 1),
					 KF_OK);
			if (memcmp(dst->data, want, (size_t)N * OH * OW * CO * sizeof(float)))
				fail_msg("%s, case %zu: the windows' numbers differ from im2col's",
					 q8_kernels[kn], c);
		}
		kf_gemm_q8_free(q);
		kf_arena_reset(&arena);
	}
	kf_arena_release(&arena);
	kf_nn_set_precision(KF_PRECISION_AUTO);
}

/* kf_nn_conv2d_q8_pixels (the recognition net's first conv): exact in its
 * input, so within float rounding of the float32 conv of the normalised
 * image with the weights the GEMM uses; every kernel the same numbers. */
static void test_conv_pixels_exact(void **state)
{
	static const float mean[3] = { 122.782f, 117.001f, 104.298f };
	const int N = 2, H = 17, W = 15, C = 3, k = 7, s = 2, K = k * k * C;
	struct kf_arena arena = KF_ARENA_INIT;
	struct kf_conv_params p = { s, KF_PAD_VALID, 0, 0, 0, 0, KF_ACT_RELU };
	unsigned seed = 5;
	(void)state;

	for (int CO = 32; CO <= 40; CO += 8) {	/* one panel, and two */
		int pt, pb, OH = kf_nn_out_size(H, k, s, KF_PAD_VALID, 0, 0, &pt, &pb);
		int OW = kf_nn_out_size(W, k, s, KF_PAD_VALID, 0, 0, &pt, &pb);
		size_t nv = (size_t)N * H * W * C, no = (size_t)N * OH * OW * CO;
		struct kf_tensor *src = kf_tensor_nhwc(&arena, N, H, W, C);
		struct kf_tensor *norm = kf_tensor_nhwc(&arena, N, H, W, C);
		struct kf_tensor *dst = kf_tensor_nhwc(&arena, N, OH, OW, CO);
		struct kf_tensor *ref = kf_tensor_nhwc(&arena, N, OH, OW, CO), w, wq;
		float *wd = kf_arena_alloc_array(&arena, (size_t)K * CO, sizeof(float));
		float *wqd = kf_arena_alloc_array(&arena, (size_t)K * CO, sizeof(float));
		float *bias = kf_arena_alloc_array(&arena, (size_t)CO, sizeof(float));
		float *first = kf_arena_alloc_array(&arena, no, sizeof(float));
		double worst = 0.0;
		int ran = 0;
		struct kf_gemm_q8 *q;

		assert_true(src && norm && dst && ref && wd && wqd && bias && first);
		for (size_t i = 0; i < nv; i++) {	/* a resized image: not whole levels */
			float v = 127.5f + 127.5f * frand(&seed);

			((float *)src->data)[i] = i % 50 ? v : i % 100 ? 0.0f : 255.0f;
			((float *)norm->data)[i] = (((float *)src->data)[i] - mean[i % 3]) / 255.0f;
		}
		for (int i = 0; i < K * CO; i++)
			wd[i] = frand(&seed);
		for (int i = 0; i < CO; i++)
			bias[i] = frand(&seed);
		assert_int_equal(kf_gemm_q8_pack(K, CO, wd, CO, C, &q), KF_OK);
		for (int kk = 0; kk < K; kk++)
			for (int n = 0; n < CO; n++)
				wqd[kk * CO + n] = (float)kf_gemm_q8_weight(q, kk, n) * q->scale[n];
		kf_tensor_init(&w, KF_F32, CO, C, k, k, wd);
		kf_tensor_init(&wq, KF_F32, CO, C, k, k, wqd);
		kf_nn_conv2d_ref(ref, norm, &wq, bias, &p, 0, 1);
		for (size_t kn = 0; kn < sizeof(q8_kernels) / sizeof(q8_kernels[0]); kn++) {
			if (kf_gemm_q8_set_kernel(q8_kernels[kn]) < 0)
				continue;
			assert_int_equal(kf_nn_conv2d_q8_pixels(dst, src, &w, q, mean, 255.0f, bias, &p,
								&arena), KF_OK);
			if (!ran++)
				memcpy(first, dst->data, no * sizeof(float));
			else if (memcmp(first, dst->data, no * sizeof(float)))
				fail_msg("%s, %d channels: not the generic kernel's numbers",
					 q8_kernels[kn], CO);
			for (size_t i = 0; i < no; i++) {
				double d = fabs((double)((float *)dst->data)[i] - ((float *)ref->data)[i]);

				worst = d > worst ? d : worst;
			}
		}
		/* outputs up to about 7: float rounding and the input's rounding
		 * to 1/256 of a level, about 1e-4 (the windows quantised over
		 * their ranges, kf_nn_conv2d_packed on norm, are 0.03 off) */
		if (worst > 5e-4)
			fail_msg("%d channels: %g from the float32 conv", CO, worst);
		kf_gemm_q8_free(q);
		kf_arena_reset(&arena);
	}
	kf_arena_release(&arena);
	kf_nn_set_precision(KF_PRECISION_AUTO);
}

static void test_forcing_is_safe(void **state)
{
	const char *best;
	(void)state;

	kf_nn_set_precision(KF_PRECISION_AUTO);
	best = kf_gemm_q8_kernel_name();
	assert_true(!strcmp(best, "off") || !strcmp(best, "avxvnni") ||
		    !strcmp(best, "avx512vnni") || !strcmp(best, "neondot"));
	/* AArch64 with SDOT (qemu's default CPU has it): the NEON kernel */
#if defined(__aarch64__) && defined(__linux__)
	if (getauxval(AT_HWCAP) & (1ul << 20))	/* HWCAP_ASIMDDP */
		assert_string_equal(best, "neondot");
#endif
	/* a kernel the CPU lacks is refused, the one in use stays */
	for (size_t k = 1; k < sizeof(q8_kernels) / sizeof(q8_kernels[0]); k++) {
		int rc = kf_gemm_q8_set_kernel(q8_kernels[k]);

		if (rc < 0)
			assert_int_equal(rc, KF_E_UNSUPPORTED);
		else
			assert_string_equal(kf_gemm_q8_kernel_name(), q8_kernels[k]);
	}
	assert_int_equal(kf_gemm_q8_set_kernel("sse9"), KF_E_UNSUPPORTED);
	/* the environment is read when the precision is set */
	setenv("KF_GEMM_INT8", "avx512vnni", 1);
	kf_nn_set_precision(KF_PRECISION_AUTO);
	assert_true(!strcmp(kf_gemm_q8_kernel_name(), "avx512vnni") ||
		    !strcmp(kf_gemm_q8_kernel_name(), best));
	setenv("KF_GEMM_INT8", "off", 1);
	kf_nn_set_precision(KF_PRECISION_AUTO);
	assert_string_equal(kf_gemm_q8_kernel_name(), "off");
	assert_false(kf_gemm_q8_active());
	setenv("KF_GEMM_INT8", "generic", 1);
	kf_nn_set_precision(KF_PRECISION_FP32);
	assert_string_equal(kf_gemm_q8_kernel_name(), "generic");
	unsetenv("KF_GEMM_INT8");
	kf_nn_set_precision(KF_PRECISION_FP32);
	assert_string_equal(kf_gemm_q8_kernel_name(), "off");
	kf_nn_set_precision(KF_PRECISION_AUTO);
	assert_string_equal(kf_gemm_q8_kernel_name(), best);
	assert_int_equal(kf_precision_parse("auto"), KF_PRECISION_AUTO);
	assert_int_equal(kf_precision_parse("fp32"), KF_PRECISION_FP32);
	assert_int_equal(kf_precision_parse("int4"), -1);
}

struct stats {
	int faces, photos;
	double desc_sum, desc_max, lm_sum, lm_max, iou_min, score_max, chain_sum, chain_max;
};

static struct kf_engine *engine;
static struct kf_face_nets nets;

/* Detection: the faces YuNet finds in float32 and int8 (flags 0: boxes and
 * scores only). Landmarks and descriptors: each net on the float32 boxes in
 * both precisions, so a box that moves does not count against them. */
static void compare_photo(const char *path, struct stats *st)
{
	struct kf_detect_opts o = KF_DETECT_OPTS_DEFAULT;
	struct kf_arena arena = KF_ARENA_INIT;
	struct kf_err err = KF_ERR_INIT;
	struct kf_face *f32 = NULL, *i8 = NULL;
	struct kf_image img = { 0 };
	size_t len, n32 = 0, n8 = 0;
	uint8_t *buf = kf_test_read_file(path, &len);
	const char *int8 = kf_gemm_q8_kernel_name();

	kf_gemm_q8_set_kernel("off");
	if (kf_engine_faces(engine, &o, buf, len, KF_FIND_PAD_RETRY, &f32, &n32, NULL, NULL,
			    &arena, &err) < 0 ||
	    kf_image_load(path, 0, &img, NULL, &err) < 0)
		fail_msg("%s: %s", path, err.msg);
	assert_int_equal(kf_gemm_q8_set_kernel(int8), KF_OK);
	if (kf_engine_faces(engine, &o, buf, len, KF_FIND_PAD_RETRY, &i8, &n8, NULL, NULL, &arena,
			    &err) < 0)
		fail_msg("%s: %s", path, err.msg);
	st->photos++;
	for (size_t i = 0; i < n32; i++) {
		const struct kf_face *a = &f32[i];
		float lm[2][136], desc[2][KF_DESC_DIM], chain[2][KF_DESC_DIM];
		float in[KF_FACEREC_INPUT * KF_FACEREC_INPUT * 3];
		struct kf_face_crops crops;
		double best = 0.0, score = 1.0, d2 = 0.0, c2 = 0.0, lmax = 0.0;

		for (size_t j = 0; j < n8; j++) {
			double iou = kf_box_iou(&a->box, &i8[j].box);

			if (iou > best)
				best = iou, score = fabs(a->score - i8[j].score);
		}
		st->iou_min = best < st->iou_min ? best : st->iou_min;
		st->score_max = score > st->score_max ? score : st->score_max;
		if (best < 0.95 || score > 0.02)
			fail_msg("%s: face %zu (%.0fx%.0f, score %.3f): IoU %.3f, score %.3f apart",
				 path, i, a->box.width, a->box.height, a->score, best, score);
		/* landmarks on the box; the descriptor on the float32 path's crop */
		for (int p = 0; p < 2; p++) {
			kf_gemm_q8_set_kernel(p ? int8 : "off");
			if (kf_face_describe_crops(&nets, &img, &a->box, lm[p], chain[p], &crops, &arena,
						   &err) < 0 ||
			    (!p && kf_image_to_net_input(&img, crops.descriptor.x, crops.descriptor.y,
							 crops.descriptor.width,
							 crops.descriptor.height, KF_FACEREC_INPUT,
							 1, in, &err) < 0) ||
			    kf_facerec_forward(nets.facerec, in, desc[p], &arena, &err) < 0)
				fail_msg("%s: %s", path, err.msg);
		}
		for (int k = 0; k < KF_DESC_DIM; k++)
			c2 += (chain[0][k] - chain[1][k]) * (chain[0][k] - chain[1][k]);
		st->chain_sum += sqrt(c2);
		st->chain_max = sqrt(c2) > st->chain_max ? sqrt(c2) : st->chain_max;
		for (int k = 0; k < KF_DESC_DIM; k++)
			d2 += (desc[0][k] - desc[1][k]) * (desc[0][k] - desc[1][k]);
		for (int k = 0; k < 136; k++)
			lmax = fabs(lm[0][k] - lm[1][k]) > lmax ? fabs(lm[0][k] - lm[1][k]) : lmax;
		lmax /= a->box.width;
		st->faces++;
		st->desc_sum += sqrt(d2);
		st->lm_sum += lmax;
		st->desc_max = sqrt(d2) > st->desc_max ? sqrt(d2) : st->desc_max;
		st->lm_max = lmax > st->lm_max ? lmax : st->lm_max;
		if (sqrt(d2) > 0.02 || sqrt(c2) > 0.02 || lmax > 0.005)
			fail_msg("%s: face %zu descriptor %.4f apart (%.4f through the pipeline), "
				 "landmarks %.2f%% of the width", path, i, sqrt(d2), sqrt(c2),
				 100.0 * lmax);
	}
	if (n8 != n32)
		fail_msg("%s: %zu faces in float32, %zu in int8", path, n32, n8);
	kf_free(f32);
	kf_free(i8);
	kf_free(buf);
	kf_image_release(&img);
	kf_arena_release(&arena);
}

static void compare_dir(const char *dir, struct stats *st)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0;

	assert_non_null(d);
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		names = realloc(names, (n + 1) * sizeof(*names));
		assert_non_null(names);
		names[n++] = strdup(kf_test_path("%s/%s", dir, de->d_name));
	}
	closedir(d);
	for (size_t i = 0; i < n; i++) {
		if (strstr(names[i], ".jpg") || strstr(names[i], ".png"))
			compare_photo(names[i], st);
		else
			compare_dir(names[i], st);
		free(names[i]);
	}
	free(names);
}

static void test_int8_keeps_accuracy(void **state)
{
	kf_test_slow();	/* before anything is allocated */
	struct kf_err err = KF_ERR_INIT;
	struct kf_landmark *lm = NULL;
	struct kf_facerec *fr = NULL;
	struct stats st = { .iou_min = 1.0 };
	(void)state;

	kf_nn_set_precision(KF_PRECISION_AUTO);
#ifdef KF_Q8_EMULATE_AVXVNNI
	kf_gemm_q8_set_kernel("avxvnni");	/* through the nets too (refused without AVX2) */
#endif
	if (!kf_gemm_q8_active())
		assert_int_equal(kf_gemm_q8_set_kernel("generic"), KF_OK);
	if (kf_engine_load(&engine, KF_TEST_MODELS, KF_TEST_YUNET, KF_ENGINE_YUNET, &err) < 0 ||
	    kf_landmark_load(&lm, KF_TEST_MODELS, &err) < 0 ||
	    kf_facerec_load(&fr, KF_TEST_MODELS, &err) < 0)
		fail_msg("%s", err.msg);
	nets.landmark = lm;
	nets.facerec = fr;
	for (int i = 1; i <= 6; i++)
		compare_photo(kf_test_path("%s/sample%d.jpg", KF_TEST_DEMO, i), &st);
	compare_dir(KF_TEST_DATA "/datasets/dev/groups", &st);
	compare_dir(KF_TEST_DATA "/datasets/dev/identities", &st);
	print_message("int8 (%s) vs float32, %d photos, %d faces: descriptor distance mean %.4f "
		      "max %.4f; landmarks mean %.3f%% max %.3f%% of the box width; box IoU min "
		      "%.4f; score difference max %.4f; descriptor through the face pipeline mean "
		      "%.4f max %.4f\n", kf_gemm_q8_kernel_name(), st.photos, st.faces,
		      st.desc_sum / st.faces, st.desc_max, 100.0 * st.lm_sum / st.faces,
		      100.0 * st.lm_max, st.iou_min, st.score_max, st.chain_sum / st.faces,
		      st.chain_max);
	assert_true(st.faces >= 80);
	kf_engine_free(engine);
	kf_landmark_free(lm);
	kf_facerec_free(fr);
	kf_nn_set_precision(KF_PRECISION_AUTO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gemm_kernels_agree),
		cmocka_unit_test(test_pack_keeps_sums),
		cmocka_unit_test(test_conv_windows_match_im2col),
		cmocka_unit_test(test_conv_pixels_exact),
		cmocka_unit_test(test_forcing_is_safe),
		cmocka_unit_test(test_int8_keeps_accuracy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
