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
