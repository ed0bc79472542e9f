/* nn_yunet.h: YuNet, libfacedetection's face detector (Shiqi Yu et al.,
 * BSD-3-Clause), written for kingface's NN runtime from the published network.
 *
 * WEIGHTS: models/yunet/yunet-weights_manifest.json + yunet.bin, converted from
 * the original's C arrays by scripts/yunet-convert (layout in that script and in
 * models/yunet/README.md), sha256-checked at load like face-api's files.
 *
 * NETWORK (53 conv layers; "DP" = 1x1 pointwise conv, then 3x3 depthwise + ReLU):
 *   input  RGB 0..255, zero-padded bottom/right to a multiple of 32
 *   stem   conv 3x3 stride 2 (3->16) + ReLU, DP 16->16, maxpool 2x2
 *   stage1 DP 16->16, DP 16->32          (stride 4)
 *   stage2 DP 32->32, DP 32->64, maxpool  (stride 8)
 *   fb1    DP 64->64 x2                  (stride 8)   then maxpool
 *   fb2    DP 64->64 x2                  (stride 16)  then maxpool
 *   fb3    DP 64->64 x2                  (stride 32)
 *   neck   fb3 = DP(fb3); fb2 = DP(fb2 + up2(fb3)); fb1 = DP(fb1 + up2(fb2))
 *   heads  on each of fb1, fb2, fb3: pointwise 64->{cls 1, box 4, obj 1, kps 10}
 *          then 3x3 depthwise, no ReLU (run here as one 64->16 conv).
 * DECODING (anchor-free, one prior per cell at (col*s, row*s)): score =
 * sqrt(sigmoid(cls) * sigmoid(obj)); centre = prior + s*(dx, dy), size =
 * s*exp(dw, dh); landmark k = prior + s*(kx, ky). Candidates >= min_score
 * (stride 8, 16, 32, each row-major), stable-sorted by score, the first 1000
 * kept, greedy NMS at IoU > nms_iou, at most KF_YUNET_MAX_FACES out: the
 * original's order and rules.
 *
 * MEMORY: the stride-2 and stride-4 layers (the bulk of the activations) are
 * streamed: the stem gives them a few rows at a time and each passes on the
 * rows it can finish, holding only those and the two its 3x3 window shares
 * with the next rows; every row is computed once and the numbers are the
 * whole image's. Stride 8 and coarser live whole (a DP block there streams
 * its input the same way, writing in place). A 3000x2000 input needs about
 * 49 MB of scratch, most of it the stride-8 tensors.
 *
 * A loaded net is read-only: threads may share it, each with its own arena.
 */
#ifndef KF_NN_YUNET_H
#define KF_NN_YUNET_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/nn_ops.h"

struct kf_arena;
struct kf_yunet;

#define KF_YUNET_MODEL "yunet"
#define KF_YUNET_MAX_SIDE 16384		/* either side of the input */
#define KF_YUNET_TOP_K 1000		/* candidates kept before NMS */
#define KF_YUNET_MAX_FACES 512		/* kept after NMS */

/* One face in pixels of the input: corners (x0, y0) - (x1, y1) as decoded, not
 * clipped to the image; lm = 5 landmarks (x, y): right eye, left eye, nose tip,
 * right and left mouth corner, as the person faces the camera. */
struct kf_yunet_face {
	float x0, y0, x1, y1;
	float score;
	float lm[10];
};

/* Load <model_dir>/yunet-weights_manifest.json + yunet.bin. On success *out is
 * owned by the caller (kf_yunet_free); on error *out = NULL and err names the
 * file and tensor. */
int kf_yunet_load(struct kf_yunet **out, const char *model_dir, struct kf_err *err);
void kf_yunet_free(struct kf_yunet *net);

/* Detect faces in w x h RGB bytes (row stride `stride` bytes). On success *out
 * (kf_free; NULL when none) holds *n faces, highest score first. Scratch
 * memory comes from `scratch` (not reset here). KF_E_INVALID for an empty or
 * too large image, KF_E_NOMEM when the arena cannot grow. */
int kf_yunet_detect(const struct kf_yunet *net, const uint8_t *rgb, int w, int h,
		    size_t stride, float min_score, float nms_iou,
		    struct kf_yunet_face **out, size_t *n, struct kf_arena *scratch,
		    struct kf_err *err);

/* As kf_yunet_detect, calling fn(ctx, stage, tensor) with "fb1", "fb2", "fb3"
 * (backbone outputs, before the neck) and "head8", "head16", "head32" (the
 * raw head maps, 16 channels: cls, obj, box dx dy dw dh, 5 x landmark dx dy). */
int kf_yunet_detect_stages(const struct kf_yunet *net, const uint8_t *rgb, int w, int h,
			   size_t stride, float min_score, float nms_iou,
			   struct kf_yunet_face **out, size_t *n, struct kf_arena *scratch,
			   kf_nn_stage_fn fn, void *ctx, struct kf_err *err);

/* Test hook: the stem gives the streamed layers 4 * rows stride-2 rows at a
 * time (0: the default, 16), process-wide. Not thread-safe with running
 * passes. */
void kf_yunet_set_chunk_rows(int rows);

#endif
