/* nn_facerec.h: face-api's face recognition net (face_recognition_model, 117
 * weight tensors): dlib's ResNet-29-style metric network, 150x150 RGB in,
 * a 128-D descriptor out. Two faces are the same person when the Euclidean
 * distance of their descriptors is below about 0.6.
 *
 * Input: a 150x150 RGB face crop, values 0..255 as float, NHWC, made by
 * kf_image_to_net_input(..., KF_FACEREC_INPUT, center = 1, ...) from the dlib
 * alignment box of the landmarks (face.h does this).
 *
 * Layers (face-api src/faceRecognitionNet): (x - mean)/255 with the landmark
 * net's mean, then
 *   conv32_down   7x7 stride 2 'valid' + bias, scale, relu     150 -> 72
 *   maxpool 3x3 stride 2 'valid'                                72 -> 35
 *   residual x3 (32), residualDown + x3 (64), residualDown + x2 (128),
 *   residualDown + x2 (256), residualDown (conv256_down_out)   35->17->8->4->2
 *   mean over H, W -> fc 256 x 128 (no bias)
 * where conv(x) = scale(conv2d(x) + bias) with scale(y) = y * weights + biases,
 *   residual(x)     = relu(conv2(relu(conv1(x))) + x), 3x3 'same' convs;
 *   residualDown(x) = relu(avgPool2x2(x) + conv2(relu(conv1(x)))), conv1 3x3
 *                     stride 2 'valid', the pooled input zero-padded in channels
 *                     and conv2's output zero-padded at the bottom/right when it
 *                     is one pixel smaller (8 -> 3 vs 4, 4 -> 1 vs 2).
 * The scale layers are folded into the conv weights at load time.
 *
 * ARITHMETIC: where int8 runs (nn_gemm_q8.h), every conv is an int8 GEMM;
 * in float32, the 3x3 stride-1 convs use Winograd's F(2x2, 3x3) (nn_wino.h)
 * and the others the direct GEMM (nn_ops.h).
 *
 * A loaded net is read-only: threads may share it, each with its own arena.
 */
#ifndef KF_NN_FACEREC_H
#define KF_NN_FACEREC_H

#include "core/err.h"
#include "core/nn_ops.h"

struct kf_arena;
struct kf_facerec;

#define KF_FACEREC_INPUT 150
#define KF_FACEREC_DIM 128

/* Load <model_dir>/face_recognition_model-weights_manifest.json + .bin and fold
 * the scale layers (the loaded file is not kept: about 22 MB stay).
 * On success *out is owned by the caller (kf_facerec_free); on error *out =
 * NULL and err names the file and tensor. */
int kf_facerec_load(struct kf_facerec **out, const char *model_dir, struct kf_err *err);

/* The weights a net holds: kf_facerec_load makes both, so a process may run
 * it in either precision (tests and benches switch); the engine asks for the
 * one its process runs (kf_gemm_q8_active() when it loads): with int8 it
 * then holds 33 MB less (no float32 filters, no Winograd transforms), with
 * float32 6 MB less and it loads in a third of the time (no int8 packing).
 * A forward in a precision whose weights the net lacks fails (KF_E_INVALID). */
enum kf_facerec_weights {
	KF_FACEREC_FP32 = 1 << 0,
	KF_FACEREC_INT8 = 1 << 1,
};

/* kf_facerec_load with the weights `which` (enum kf_facerec_weights, one or
 * both). */
int kf_facerec_load_for(struct kf_facerec **out, const char *model_dir, unsigned which,
			struct kf_err *err);
void kf_facerec_free(struct kf_facerec *net);

/* Run the net on in (150*150*3 floats, RGB 0..255, NHWC); desc gets 128 floats.
 * Intermediates come from scratch (not reset here; about 3 MB). KF_E_NOMEM
 * when the arena cannot grow. */
int kf_facerec_forward(const struct kf_facerec *net, const float *in, float *desc,
		       struct kf_arena *scratch, struct kf_err *err);

/* kf_facerec_forward on n faces at once: in n inputs back to back, desc n
 * descriptors. Each face's descriptor is bit for bit the one kf_facerec_forward
 * gives it; the later layers (8x8 and 3x3 pixels, 0.6 and 2.4 MB of weights a
 * conv) read their weights once for all n. Scratch about 3 MB a face. */
int kf_facerec_forward_batch(const struct kf_facerec *net, const float *in, int n, float *desc,
			     struct kf_arena *scratch, struct kf_err *err);

/* As kf_facerec_forward, calling fn(ctx, stage, tensor) after every stage:
 * input_normalized, conv32_down, maxpool, conv32_1 .. conv256_down_out,
 * global_avg, fc_descriptor (the names of tests/data/reference/layers/
 * sample1_facerec.json). */
int kf_facerec_forward_stages(const struct kf_facerec *net, const float *in, float *desc,
			      struct kf_arena *scratch, kf_nn_stage_fn fn, void *ctx,
			      struct kf_err *err);

#endif
