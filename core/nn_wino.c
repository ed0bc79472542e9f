/* nn_wino.c: Winograd F(2x2, 3x3) convolution (nn_wino.h). */
#include "core/nn_wino.h"

#include <assert.h>
#include <string.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "core/clones.h"
#include "core/err.h"

/* The loops below write v (o) and read d (m) through pointers the compiler
 * cannot prove apart: they never overlap, so it may vectorise over channels. */
#if defined(__clang__)
#define KF_IVDEP _Pragma("clang loop vectorize(assume_safety)")
#elif defined(__GNUC__)
#define KF_IVDEP _Pragma("GCC ivdep")
#else
#define KF_IVDEP
#endif

struct kf_wino {
	int cin, cout;
	float *packed[16];	/* U at tile position i*4+j: [cin x cout], packed */
};

void kf_wino_free(struct kf_wino *wn)
{
	if (!wn)
		return;
	for (int i = 0; i < 16; i++)
		kf_free(wn->packed[i]);
	kf_free(wn);
}

int kf_wino_prepare(const float *w, int cin, int cout, struct kf_wino **out)
{
	static const double G[4][3] = { { 1, 0, 0 }, { .5, .5, .5 }, { .5, -.5, .5 }, { 0, 0, 1 } };
	struct kf_wino *wn = kf_calloc(1, sizeof(*wn));
	float *u = kf_malloc_array((size_t)16 * (size_t)cin * (size_t)cout, sizeof(float));
	int rc = KF_E_NOMEM;

	*out = NULL;
	if (!wn || !u)
		goto out;
	wn->cin = cin;
	wn->cout = cout;
	for (int ci = 0; ci < cin; ci++)
		for (int co = 0; co < cout; co++) {
			double t[4][3];

			/* U = G g G^T, in double: one rounding to float */
			for (int i = 0; i < 4; i++)
				for (int kx = 0; kx < 3; kx++) {
					t[i][kx] = 0;
					for (int ky = 0; ky < 3; ky++)
						t[i][kx] += G[i][ky] *
							    w[((size_t)(ky * 3 + kx) * cin + ci) * cout + co];
				}
			for (int i = 0; i < 4; i++)
				for (int j = 0; j < 4; j++) {
					double s = 0;

					for (int kx = 0; kx < 3; kx++)
						s += t[i][kx] * G[j][kx];
					u[((size_t)(i * 4 + j) * cin + ci) * cout + co] = (float)s;
				}
		}
	for (int i = 0; i < 16; i++) {
		if (!(wn->packed[i] = kf_aligned_alloc(64, (kf_gemm_packed_size(cin, cout) + 1) *
							   sizeof(float))))
			goto out;
		kf_gemm_pack_b(cin, cout, u + (size_t)i * cin * cout, cout, wn->packed[i]);
	}
	*out = wn;
	wn = NULL;
	rc = KF_OK;
out:
	kf_free(u);
	kf_wino_free(wn);
	return rc;
}

/* V = B^T d B for one 4x4 tile, every channel: d[y*4+x] points at the input
 * pixel (C floats, or zeros outside the input); v gets [16][C]. */
KF_TARGET_CLONES
static void tile_in(const float *const d[16], int C, float *v)
{
	KF_IVDEP
	for (int c = 0; c < C; c++) {
		float t[4][4];

		for (int x = 0; x < 4; x++) {
			t[0][x] = d[x][c] - d[8 + x][c];
			t[1][x] = d[4 + x][c] + d[8 + x][c];
			t[2][x] = d[8 + x][c] - d[4 + x][c];
			t[3][x] = d[4 + x][c] - d[12 + x][c];
		}
		for (int i = 0; i < 4; i++) {
			v[(size_t)(i * 4) * C + c] = t[i][0] - t[i][2];
			v[(size_t)(i * 4 + 1) * C + c] = t[i][1] + t[i][2];
			v[(size_t)(i * 4 + 2) * C + c] = t[i][2] - t[i][1];
			v[(size_t)(i * 4 + 3) * C + c] = t[i][1] - t[i][3];
		}
	}
}

/* Y = A^T m A + bias for one tile, every output channel: m is [16][N]; o[a*2+b]
 * points at output pixel (a, b) of the block (N floats), NULL past the edge. */
KF_TARGET_CLONES
static void tile_out(const float *m, int N, const float *bias, float *const o[4])
{
	KF_IVDEP
	for (int c = 0; c < N; c++) {
		float s0[4], s1[4], b = bias ? bias[c] : 0.0f, y[4];

		for (int j = 0; j < 4; j++) {
			s0[j] = m[(size_t)j * N + c] + m[(size_t)(4 + j) * N + c] +
				m[(size_t)(8 + j) * N + c];
			s1[j] = m[(size_t)(4 + j) * N + c] - m[(size_t)(8 + j) * N + c] -
				m[(size_t)(12 + j) * N + c];
		}
		y[0] = s0[0] + s0[1] + s0[2];
		y[1] = s0[1] - s0[2] - s0[3];
		y[2] = s1[0] + s1[1] + s1[2];
		y[3] = s1[1] - s1[2] - s1[3];
		for (int k = 0; k < 4; k++)
			if (o[k])
				o[k][c] = y[k] + b;
	}
}

int kf_nn_conv3x3_wino(struct kf_tensor *dst, const struct kf_tensor *src,
		       const struct kf_wino *wn, const float *bias,
		       const struct kf_conv_params *p, struct kf_arena *scratch)
{
	int C = (int)src->ne[0], W = (int)src->ne[1], H = (int)src->ne[2], N = (int)src->ne[3];
	int CO = wn->cout, pt, pb, pl, pr;
	int OH = kf_nn_out_size(H, 3, 1, p->pad, p->pad_t, p->pad_b, &pt, &pb);
	int OW = kf_nn_out_size(W, 3, 1, p->pad, p->pad_l, p->pad_r, &pl, &pr);
	int tw = (OW + 1) / 2, th = (OH + 1) / 2, tiles = N * th * tw;
	/* tiles a chunk: its transformed input and products about 256 KB (L2) */
	int chunk = 65536 / (16 * (C + CO));
	struct kf_arena_mark mark = kf_arena_mark(scratch);
	const float *in = src->data;
	float *v, *m, *zero, *outp = dst->data;

	assert(p->stride == 1 && C == wn->cin && kf_tensor_is_contiguous(src) &&
	       kf_tensor_is_contiguous(dst));
	assert(dst->ne[0] == CO && dst->ne[1] == OW && dst->ne[2] == OH && dst->ne[3] == N);
	chunk = chunk < 6 ? 6 : chunk - chunk % 6;
	if (!(v = kf_arena_alloc_array(scratch, (size_t)chunk * 16 * C, sizeof(float))) ||
	    !(m = kf_arena_alloc_array(scratch, (size_t)chunk * 16 * CO, sizeof(float))) ||
	    !(zero = kf_arena_alloc_array(scratch, (size_t)C, sizeof(float))))
		return KF_E_NOMEM;
	memset(zero, 0, (size_t)C * sizeof(float));
	for (int t0 = 0; t0 < tiles; t0 += chunk) {
		int nt = tiles - t0 < chunk ? tiles - t0 : chunk;

		for (int i = 0; i < nt; i++) {
			int t = t0 + i, n = t / (th * tw), ty = t / tw % th, tx = t % tw;
			const float *d[16];

			for (int y = 0; y < 4; y++)
				for (int x = 0; x < 4; x++) {
					int iy = 2 * ty - pt + y, ix = 2 * tx - pl + x;

					d[y * 4 + x] = iy < 0 || iy >= H || ix < 0 || ix >= W ? zero :
						in + (((size_t)n * H + iy) * W + ix) * C;
				}
			tile_in(d, C, v + (size_t)i * 16 * C);
		}
		for (int k = 0; k < 16; k++)
			kf_gemm_packed(nt, CO, C, v + (size_t)k * C, 16 * C, wn->packed[k],
				       m + (size_t)k * CO, 16 * CO, NULL, KF_ACT_NONE);
		for (int i = 0; i < nt; i++) {
			int t = t0 + i, n = t / (th * tw), ty = t / tw % th, tx = t % tw;
			float *o[4];

			for (int a = 0; a < 2; a++)
				for (int b = 0; b < 2; b++) {
					int oy = 2 * ty + a, ox = 2 * tx + b;

					o[a * 2 + b] = oy < OH && ox < OW ?
						outp + (((size_t)n * OH + oy) * OW + ox) * CO : NULL;
				}
			tile_out(m + (size_t)i * 16 * CO, CO, bias, o);
		}
	}
	if (p->act != KF_ACT_NONE)
		kf_nn_act(dst, dst, p->act, 0, 1);
	kf_arena_rewind(scratch, mark);
	return KF_OK;
}
