/* nn_tiny.h: face-api's Tiny Face Detector (tiny YOLOv2, 19 weight tensors).
 *
 * Input: a size x size RGB image, values 0..255 as float, NHWC, size a
 * multiple of 32 (face-api default 416). Output: the raw (size/32)^2 x 25 grid,
 * NHWC, channel = anchor*5 + [tx, ty, tw, th, score_logit], before sigmoid
 * and box decoding (done by the caller, as face-api's TinyYolov2Base does).
 *
 * Layers (tests/data/reference/README.md "Tiny"): (x - mean)/255 -> conv0 3x3
 * 'valid' + leaky -> maxpool 2x2/2 'same' -> 4 x [pad 1, depthwise 3x3,
 * pointwise + bias, leaky, maxpool 2x2/2] -> conv5 the same with a stride-1
 * maxpool -> conv8 1x1 + bias.
 *
 * A loaded net is read-only: threads may share it, each with its own arena.
 */
#ifndef KF_NN_TINY_H
#define KF_NN_TINY_H

#include "core/err.h"
#include "core/nn_ops.h"

struct kf_arena;
struct kf_tiny;

#define KF_TINY_MAX_SIZE 2048

/* Load <model_dir>/tiny_face_detector_model-weights_manifest.json + .bin.
 * On success *out is owned by the caller (kf_tiny_free); on error *out = NULL
 * and err names the file and tensor. */
int kf_tiny_load(struct kf_tiny **out, const char *model_dir, struct kf_err *err);
void kf_tiny_free(struct kf_tiny *net);

/* Run the net. in: size*size*3 floats; grid: (size/32)^2*25 floats.
 * Intermediates come from scratch (not reset here). KF_E_INVALID for a bad
 * size, KF_E_NOMEM when the arena cannot grow. */
int kf_tiny_forward(const struct kf_tiny *net, const float *in, int size, float *grid,
		    struct kf_arena *scratch, struct kf_err *err);
/* As kf_tiny_forward, calling fn(ctx, stage, tensor) after every stage. */
int kf_tiny_forward_stages(const struct kf_tiny *net, const float *in, int size, float *grid,
			   struct kf_arena *scratch, kf_nn_stage_fn fn, void *ctx,
			   struct kf_err *err);

#endif
