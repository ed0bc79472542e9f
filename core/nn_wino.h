/* nn_wino.h: 3x3 stride-1 convolutions by Winograd's minimal filtering,
 * F(2x2, 3x3) (Lavin and Gray, "Fast Algorithms for Convolutional Neural
 * Networks", 2015), for the float32 path of the recognition net.
 *
 * Each 2x2 block of output pixels comes from the 4x4 input tile around it:
 * Y = A^T [(G g G^T) . (B^T d B)] A, elementwise product in the middle. The
 * filter g is transformed once at load (U = G g G^T, 16 values a filter); the
 * 4x4 tiles of the input are transformed per call (V = B^T d B), and the
 * 16 products summed over the input channels are 16 GEMMs [tiles x cin] .
 * [cin x cout] on kingface's GEMM kernels. 16 multiply-adds a block of 2x2
 * outputs and channel pair instead of 36: 2.25 times fewer, plus the
 * transforms (additions only). The numbers differ from the direct
 * convolution's by float rounding (relative 1e-6: u-nn_ops, u-face).
 *
 * A prepared filter is read-only: threads may share it.
 */
#ifndef KF_NN_WINO_H
#define KF_NN_WINO_H

#include "core/nn_ops.h"

struct kf_arena;
struct kf_wino;

/* Prepare filter w [3][3][cin][cout] (HWIO, as kf_nn_conv2d reads it). On
 * success *out is owned by the caller (kf_wino_free); KF_E_NOMEM otherwise. */
int kf_wino_prepare(const float *w, int cin, int cout, struct kf_wino **out);
void kf_wino_free(struct kf_wino *wn);

/* dst = act(conv3x3(src, w) + bias), stride 1, p's padding (p->stride must be
 * 1), as kf_nn_conv2d with the filter wn was prepared from. src and dst are
 * NHWC and contiguous. Scratch from the arena, given back before returning.
 * KF_E_NOMEM when it cannot grow. */
int kf_nn_conv3x3_wino(struct kf_tensor *dst, const struct kf_tensor *src,
		       const struct kf_wino *wn, const float *bias,
		       const struct kf_conv_params *p, struct kf_arena *scratch);

#endif
