/* nn_window.h: the geometry of a window (a convolution's, a pool's) moved
 * over an NHWC tensor, shared by nn_ops.c and nn_depthwise.c. Internal to
 * core/: not a contract for other modules. */
#ifndef KF_NN_WINDOW_H
#define KF_NN_WINDOW_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#include "core/nn_ops.h"

/* Input N x H x W x C, output OH x OW x CO; a kh x kw window moved by s, the
 * input padded by pt, pb, pl, pr. */
struct kf_nn_geom {
	int N, H, W, C, OH, OW, CO, kh, kw, s, pt, pb, pl, pr;
};

/* g for src -> dst (float32, dst contiguous) with that window; the output
 * size and padding as kf_nn_out_size gives them (nn_ops.c). */
void kf_nn_window_geom(struct kf_nn_geom *g, const struct kf_tensor *dst,
		       const struct kf_tensor *src, int kh, int kw, int stride, enum kf_pad pad,
		       int pt, int pb, int pl, int pr);

/* The taps of output pixel (oy, ox)'s window that lie inside the input, row
 * by row, each once:
 *	for (struct kf_nn_tap t = kf_nn_tap_first(g, oy, ox); kf_nn_tap_inside(g, &t); t.kx++)
 *		... input pixel (t.y0 + t.ky, t.x0 + t.kx), window position (t.ky, t.kx) ...
 */
struct kf_nn_tap {
	int y0, x0;	/* the window's top-left corner in the input (may be outside) */
	int ky, kx;
};

static inline struct kf_nn_tap kf_nn_tap_first(const struct kf_nn_geom *g, int oy, int ox)
{
	struct kf_nn_tap t = { oy * g->s - g->pt, ox * g->s - g->pl, 0, 0 };

	return t;
}

/* Moves t to the first tap inside the input from where it is; 0 when none is left. */
static inline int kf_nn_tap_inside(const struct kf_nn_geom *g, struct kf_nn_tap *t)
{
	for (; t->ky < g->kh; t->ky++, t->kx = 0) {
		int iy = t->y0 + t->ky;

		if (iy < 0 || iy >= g->H)
			continue;
		for (; t->kx < g->kw; t->kx++) {
			int ix = t->x0 + t->kx;

			if (ix >= 0 && ix < g->W)
				return 1;
		}
	}
	return 0;
}

/* Rows [*r0, *r1) of R for part ith of nth. */
static inline void kf_nn_row_range(int64_t R, int ith, int nth, int64_t *r0, int64_t *r1)
{
	assert(nth >= 1 && ith >= 0 && ith < nth);
	*r0 = R * ith / nth;
	*r1 = R * (ith + 1) / nth;
}

/* The first channel of pixel (n, y, x) of t. */
static inline const float *kf_nn_px(const struct kf_tensor *t, int n, int y, int x)
{
	return (const float *)((const char *)t->data + (size_t)n * t->nb[3] + (size_t)y * t->nb[2] +
			       (size_t)x * t->nb[1]);
}

static inline float kf_nn_src_at(const struct kf_tensor *t, int n, int y, int x, int c)
{
	return *(const float *)((const char *)kf_nn_px(t, n, y, x) + (size_t)c * t->nb[0]);
}

#endif
