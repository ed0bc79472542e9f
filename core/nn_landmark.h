/* nn_landmark.h: face-api's 68-point face landmark net (face_landmark_68_model,
 * 49 weight tensors: a dense-block feature extractor and a 256 -> 136 fc).
 *
 * Input: a 112x112 RGB face crop, values 0..255 as float, NHWC, made by
 * kf_image_to_net_input(..., KF_LANDMARK_INPUT, center = 1, ...). Output: 136
 * floats x0,y0,x1,y1,... (points in dlib's 68-point order), relative (0..1).
 *
 * Layers (tests/data/reference/README.md "Landmarks"): (x - mean)/255, then four
 * dense blocks (dense0..3, 112 -> 56 -> 28 -> 14 -> 7, 32/64/128/256 channels):
 *   out1 = relu(conv0(x))                       conv0: stride 2 'same' (pad 0
 *   out2 = conv1(out1)                            top/left, 1 bottom/right);
 *   out3 = conv2(relu(out1 + out2))               a full 3x3 conv in dense0, a
 *   out4 = conv3(relu(out1 + (out2 + out3)))      separable one in dense1..3
 *   out  = relu(out1 + (out2 + (out3 + out4)))  conv1..3: separable, stride 1,
 * then avgPool 7x7 -> fc 256 -> 136.            + bias, no activation.
 * Additions are done in that order, as face-api does.
 *
 * A loaded net is read-only: threads may share it, each with its own arena.
 */
#ifndef KF_NN_LANDMARK_H
#define KF_NN_LANDMARK_H

#include "core/err.h"
#include "core/nn_ops.h"

struct kf_arena;
struct kf_landmark;

#define KF_LANDMARK_INPUT 112
#define KF_LANDMARK_POINTS 68

/* Load <model_dir>/face_landmark_68_model-weights_manifest.json + .bin.
 * On success *out is owned by the caller (kf_landmark_free); on error *out =
 * NULL and err names the file and tensor. */
int kf_landmark_load(struct kf_landmark **out, const char *model_dir, struct kf_err *err);
void kf_landmark_free(struct kf_landmark *net);

/* Run the net on in (112*112*3 floats, RGB 0..255, NHWC). out gets 136 floats
 * x0,y0,x1,y1,... relative (0..1) to the input: face-api's forward() for a
 * square input. Intermediates come from scratch (not reset here; about 7 MB).
 * KF_E_NOMEM when the arena cannot grow. */
int kf_landmark_forward(const struct kf_landmark *net, const float *in, float *out,
			struct kf_arena *scratch, struct kf_err *err);

/* As kf_landmark_forward for an input made from a crop_w x crop_h crop padded
 * centred to a square: out is relative to the crop (0..1 of crop_w, crop_h),
 * computed as face-api's postProcess does, in float32: (fc * 112 - pad) / dim
 * with dim = crop side * 112 / max(crop_w, crop_h) and pad = |dim_w - dim_h| / 2
 * on the shorter side. crop_w, crop_h > 0 (else KF_E_INVALID). */
int kf_landmark_forward_crop(const struct kf_landmark *net, const float *in, int crop_w,
			     int crop_h, float *out, struct kf_arena *scratch,
			     struct kf_err *err);

/* As kf_landmark_forward, calling fn(ctx, stage, tensor) after every stage:
 * input_normalized, dense{0..3}_conv{0..3}, dense{0..3}_out, avg_pool, fc,
 * output (the names of tests/data/reference/layers/sample1_landmark68_stages.json). */
int kf_landmark_forward_stages(const struct kf_landmark *net, const float *in, float *out,
			       struct kf_arena *scratch, kf_nn_stage_fn fn, void *ctx,
			       struct kf_err *err);

#endif
