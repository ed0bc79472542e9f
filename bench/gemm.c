/* bench/gemm.c: single-core GEMM speed on the layer shapes of the face-api nets.
 *
 * Build (Release core, optional OpenBLAS comparison):
 *   cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release && cmake --build build-rel -j2
 *   cc -O2 -I. bench/gemm.c build-rel/libkf_core.a -lcjson -lcrypto -ljpeg -lpng -lm \
 *      -lpthread [-DKF_BENCH_OPENBLAS -I/usr/include/x86_64-linux-gnu/openblas-pthread -lopenblas] -o /tmp/kf-gemm
 *   taskset -c 1 /tmp/kf-gemm            (KF_GEMM_KERNEL=avx2|generic to compare)
 * Prints GFLOP/s per shape (best of runs for >= 0.3 s each).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/arena.h"
#include "core/nn_ops.h"
#ifdef KF_BENCH_OPENBLAS
#include <cblas.h>
void openblas_set_num_threads(int);
#endif

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(void)
{
	/* M (pixels), N (out channels), K (in * kh * kw), what */
	static const struct { int M, N, K; const char *what; } shapes[] = {
		{ 256 * 256, 64, 32, "ssd conv_1_pointwise 256x256 32->64" },
		{ 128 * 128, 128, 128, "ssd conv_3_pointwise 128x128" },
		{ 64 * 64, 256, 256, "ssd conv_5_pointwise 64x64" },
		{ 32 * 32, 512, 512, "ssd conv_7..11_pointwise 32x32" },
		{ 16 * 16, 1024, 1024, "ssd conv_13_pointwise 16x16" },
		{ 256 * 256, 32, 27, "ssd conv_0 3x3x3 im2col" },
		{ 35 * 35, 32, 288, "facerec conv32 3x3x32" },
		{ 9 * 9, 256, 2304, "facerec conv256 3x3x256" },
		{ 104 * 104, 64, 32, "tiny conv2 pointwise" },
		{ 1500 * 16, 16, 16, "yunet dp0 pointwise 16->16 (a band)" },
		{ 750 * 16, 32, 16, "yunet dp2 pointwise 16->32 (a band)" },
		{ 375 * 16, 64, 32, "yunet dp4 pointwise 32->64 (a band)" },
		{ 1000, 1000, 1000, "square 1000" },
	};
	struct kf_arena arena = KF_ARENA_INIT;
	double total_flop = 0, total_s = 0;

#ifdef KF_BENCH_OPENBLAS
	openblas_set_num_threads(1);
#endif
	printf("kernel: %s\n", kf_gemm_kernel_name());
	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		int M = shapes[i].M, N = shapes[i].N, K = shapes[i].K;
		float *A = malloc(sizeof(float) * (size_t)M * K), *B = malloc(sizeof(float) * (size_t)K * N);
		float *C = malloc(sizeof(float) * (size_t)M * N), *bias = calloc((size_t)N, sizeof(float));
		double best = 1e9, best_blas = 1e9, flop = 2.0 * M * N * K;

		for (size_t j = 0; j < (size_t)M * K; j++) A[j] = (float)(j % 17) * 0.1f;
		for (size_t j = 0; j < (size_t)K * N; j++) B[j] = (float)(j % 13) * 0.1f;
		for (double t0 = now(); now() - t0 < 0.3;) {
			double t = now();
			kf_gemm(M, N, K, A, K, B, N, C, N, bias, KF_ACT_RELU6, &arena);
			kf_arena_reset(&arena);
			t = now() - t;
			if (t < best) best = t;
		}
#ifdef KF_BENCH_OPENBLAS
		for (double t0 = now(); now() - t0 < 0.3;) {
			double t = now();
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.0f, A, K, B, N,
				    0.0f, C, N);
			t = now() - t;
			if (t < best_blas) best_blas = t;
		}
		printf("%-40s %8.3f ms %6.1f GFLOP/s | openblas %8.3f ms %6.1f GFLOP/s\n", shapes[i].what,
		       best * 1e3, flop / best * 1e-9, best_blas * 1e3, flop / best_blas * 1e-9);
#else
		(void)best_blas;
		printf("%-40s %8.3f ms %6.1f GFLOP/s\n", shapes[i].what, best * 1e3, flop / best * 1e-9);
#endif
		total_flop += flop;
		total_s += best;
		free(A); free(B); free(C); free(bias);
	}
	printf("all shapes: %.1f GFLOP/s\n", total_flop / total_s * 1e-9);
	kf_arena_release(&arena);
	return 0;
}
