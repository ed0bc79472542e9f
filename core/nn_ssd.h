/* nn_ssd.h: face-api's SSD MobileNetV1 face detector (151 weight tensors).
 *
 * Input: the 512x512 RGB net input, values 0..255 as float, NHWC (the image
 * padded bottom/right to a square and resized by the caller). Output, for
 * each of the 5118 anchors: the decoded box [ymin,xmin,ymax,xmax] in 0..1 of
 * the input (not clamped) and the face score. NMS, thresholds and the
 * conversion to image pixels are the caller's (face-api's locateFaces).
 *
 * Layers (tests/data/reference/README.md "SSD", stage names in brackets):
 *   x/127.5 - 1                                             [input_normalized]
 *   conv_0: 3x3/2 'same' conv + bias, relu6      -> 256x256x32     [conv_0]
 *   conv_1..13: depthwise 3x3 (stride 2 at 2,4,6,12) + batch norm, relu6
 *               [conv_i_depthwise], pointwise 1x1 + bias, relu6
 *               [conv_i_pointwise]            -> 32x32x512 (11), 16x16x1024 (13)
 *   prediction_conv_0..7: 1x1 then 3x3/2 'same', + bias, relu6, alternating,
 *               on conv_13  -> 8x8x512 (1), 4x4x256 (3), 2x2x256 (5), 1x1x128 (7)
 *   box predictors 0..5 on conv_11, conv_13, prediction_conv_1,3,5,7: 1x1
 *               convs + bias giving 4 box offsets [ty,tx,th,tw] and 3 class
 *               logits per anchor, 3 anchors per cell on conv_11, 6 elsewhere
 *               (3072+1536+384+96+24+6 = 5118), concatenated in that order
 *               [box_predictor_i_box_encoding/_class, box_predictions,
 *               class_predictions]
 *   decode with the anchors of Output/extra_dim [ymin,xmin,ymax,xmax]:
 *               h = a2-a0, cy = a0 + h/2, box height = exp(th/5)*h,
 *               centre = ty/10*h + cy (x likewise)            [decoded_boxes]
 *   score = sigmoid(class logit 1)                                   [scores]
 *
 * Batch norm is folded into private copies of the depthwise filters at load
 * time; the pointwise and prediction convs use the file's
 * convolution_bn_offset as their bias.
 *
 * THREADS: a loaded net is read-only; any number of threads may run
 * kf_ssd_forward on it at once, each with its own scratch arena.
 */
#ifndef KF_NN_SSD_H
#define KF_NN_SSD_H

#include "core/err.h"
#include "core/nn_ops.h"

struct kf_arena;
struct kf_ssd;

#define KF_SSD_INPUT 512	/* the net's input side, pixels */
#define KF_SSD_ANCHORS 5118	/* boxes and scores per forward pass */

/* Load <model_dir>/ssd_mobilenetv1_model-weights_manifest.json + .bin, check
 * every tensor's shape (and the int32 anchor-count constants), fold batch norm.
 * On success *out is owned by the caller (kf_ssd_free); on error returns < 0
 * (as kf_weights_load; KF_E_FORMAT for a wrong shape or constant), *out = NULL
 * and err names the manifest file and the tensor. */
int kf_ssd_load(struct kf_ssd **out, const char *model_dir, struct kf_err *err);
/* Free a loaded net; NULL is fine. */
void kf_ssd_free(struct kf_ssd *net);

/* Run the net. in: KF_SSD_INPUT^2 * 3 floats, RGB 0..255, NHWC (not
 * modified). boxes: KF_SSD_ANCHORS * 4 floats [ymin,xmin,ymax,xmax] relative
 * to the input, decoded with the anchors (face-api's decoded boxes, before
 * NMS); scores: KF_SSD_ANCHORS floats, sigmoid of class logit 1. Both are
 * written only on success. Intermediates (about 40 MB) come from scratch,
 * which is not reset here. KF_E_NOMEM when the arena cannot grow.
 * One thread per call; calls on different arenas may run at once. */
int kf_ssd_forward(const struct kf_ssd *net, const float *in, float *boxes, float *scores,
		   struct kf_arena *scratch, struct kf_err *err);

/* As kf_ssd_forward, calling fn(ctx, stage, tensor) after every stage named in
 * tests/data/reference/layers/sample1_ssd_stages.json (52 stages, in that order).
 * The tensor is valid only during the call. fn may be NULL. */
int kf_ssd_forward_stages(const struct kf_ssd *net, const float *in, float *boxes, float *scores,
			  struct kf_arena *scratch, kf_nn_stage_fn fn, void *ctx,
			  struct kf_err *err);

/* The anchors (Output/extra_dim): KF_SSD_ANCHORS * 4 floats [ymin,xmin,ymax,xmax]
 * relative to the input. Owned by net. */
const float *kf_ssd_anchors(const struct kf_ssd *net);

#endif
