/* nn_tiny.c: Tiny Face Detector forward pass (nn_tiny.h). */
#include "core/nn_tiny.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "core/weights.h"

static const float tiny_mean[3] = { 117.001f, 114.697f, 97.404f };
static const int tiny_ch[7] = { 3, 16, 32, 64, 128, 256, 512 };

struct kf_tiny {
	struct kf_weights *w;
	const struct kf_tensor *conv0_f;
	const float *conv0_b;
	struct {
		const struct kf_tensor *dw, *pw;
		const float *b;
	} sep[5];	/* conv1..conv5 */
	const struct kf_tensor *conv8_f;
	const float *conv8_b;
};

void kf_tiny_free(struct kf_tiny *net)
{
	if (!net)
		return;
	kf_weights_free(net->w);
	kf_free(net);
}

int kf_tiny_load(struct kf_tiny **out, const char *model_dir, struct kf_err *err)
{
	struct kf_tiny *net;
	char name[64];
	int rc;

	*out = NULL;
	if (!(net = kf_calloc(1, sizeof(*net))))
		return kf_err_set(err, KF_E_NOMEM, "out of memory");
	if ((rc = kf_weights_load(&net->w, model_dir, "tiny_face_detector_model", 0, err)) < 0)
		goto fail;
	rc = KF_E_FORMAT;
	if (!(net->conv0_f = kf_weights_get(net->w, "conv0/filters", 4, (const int[]){ 3, 3, 3, 16 }, err)) ||
	    !(net->conv0_b = kf_weights_f32(net->w, "conv0/bias", 1, (const int[]){ 16 }, err)))
		goto fail;
	for (int i = 0; i < 5; i++) {
		int cin = tiny_ch[i + 1], cout = tiny_ch[i + 2];

		snprintf(name, sizeof(name), "conv%d/depthwise_filter", i + 1);
		if (!(net->sep[i].dw = kf_weights_get(net->w, name, 4, (const int[]){ 3, 3, cin, 1 }, err)))
			goto fail;
		snprintf(name, sizeof(name), "conv%d/pointwise_filter", i + 1);
		if (!(net->sep[i].pw = kf_weights_get(net->w, name, 4, (const int[]){ 1, 1, cin, cout }, err)))
			goto fail;
		snprintf(name, sizeof(name), "conv%d/bias", i + 1);
		if (!(net->sep[i].b = kf_weights_f32(net->w, name, 1, (const int[]){ cout }, err)))
			goto fail;
	}
	if (!(net->conv8_f = kf_weights_get(net->w, "conv8/filters", 4, (const int[]){ 1, 1, 512, 25 }, err)) ||
	    !(net->conv8_b = kf_weights_f32(net->w, "conv8/bias", 1, (const int[]){ 25 }, err)))
		goto fail;
	*out = net;
	return KF_OK;
fail:
	kf_tiny_free(net);
	return rc;
}

static struct kf_tensor *out_of(struct kf_arena *a, const struct kf_tensor *src, int k, int s,
				enum kf_pad pad, int pads, int c)
{
	int lo, hi;
	int h = kf_nn_out_size((int)src->ne[2], k, s, pad, pads, pads, &lo, &hi);
	int w = kf_nn_out_size((int)src->ne[1], k, s, pad, pads, pads, &lo, &hi);

	return kf_tensor_nhwc(a, src->ne[3], h, w, c);
}

#define STAGE(n, t) do { if (fn) fn(ctx, (n), (t)); } while (0)

int kf_tiny_forward_stages(const struct kf_tiny *net, const float *in, int size, float *grid,
			   struct kf_arena *scratch, kf_nn_stage_fn fn, void *ctx,
			   struct kf_err *err)
{
	const struct kf_conv_params conv0 = { 1, KF_PAD_VALID, 0, 0, 0, 0, KF_ACT_LEAKY };
	const struct kf_conv_params dw = { 1, KF_PAD_EXPLICIT, 1, 1, 1, 1, KF_ACT_NONE };
	const struct kf_conv_params pw = { 1, KF_PAD_VALID, 0, 0, 0, 0, KF_ACT_LEAKY };
	const struct kf_conv_params head = { 1, KF_PAD_VALID, 0, 0, 0, 0, KF_ACT_NONE };
	struct kf_tensor *x, *y, out;
	char name[16];

	if (size < 32 || size > KF_TINY_MAX_SIZE || size % 32)
		return kf_err_set(err, KF_E_INVALID, "tiny detector: input size %d is not a multiple of 32 in 32..%d",
				  size, KF_TINY_MAX_SIZE);
	if (!(x = kf_tensor_nhwc(scratch, 1, size, size, 3)))
		goto nomem;
	kf_nn_normalize_mean(x->data, in, (size_t)size * (size_t)size, tiny_mean, 255.0f);
	STAGE("input_normalized", x);

	if (!(y = out_of(scratch, x, 3, 1, KF_PAD_VALID, 0, 16)) ||
	    kf_nn_conv2d(y, x, net->conv0_f, net->conv0_b, &conv0, scratch, 0, 1) < 0)
		goto nomem;
	STAGE("conv0", y);
	if (!(x = out_of(scratch, y, 2, 2, KF_PAD_SAME, 0, 16)))
		goto nomem;
	kf_nn_maxpool(x, y, 2, 2, KF_PAD_SAME, 0, 1);
	STAGE("maxpool0", x);

	for (int i = 0; i < 5; i++) {
		int cin = tiny_ch[i + 1], cout = tiny_ch[i + 2], ps = i < 4 ? 2 : 1;
		struct kf_tensor *d;

		if (!(d = out_of(scratch, x, 3, 1, KF_PAD_EXPLICIT, 1, cin)))
			goto nomem;
		kf_nn_depthwise(d, x, net->sep[i].dw, NULL, &dw, 0, 1);
		if (!(y = kf_tensor_nhwc(scratch, 1, d->ne[2], d->ne[1], cout)) ||
		    kf_nn_conv2d(y, d, net->sep[i].pw, net->sep[i].b, &pw, scratch, 0, 1) < 0)
			goto nomem;
		snprintf(name, sizeof(name), "conv%d", i + 1);
		STAGE(name, y);
		if (!(x = out_of(scratch, y, 2, ps, KF_PAD_SAME, 0, cout)))
			goto nomem;
		kf_nn_maxpool(x, y, 2, ps, KF_PAD_SAME, 0, 1);
		snprintf(name, sizeof(name), "maxpool%d", i + 1);
		STAGE(name, x);
	}
	kf_tensor_init(&out, KF_F32, 25, x->ne[1], x->ne[2], 1, grid);
	if (kf_nn_conv2d(&out, x, net->conv8_f, net->conv8_b, &head, scratch, 0, 1) < 0)
		goto nomem;
	STAGE("conv8", &out);
	return KF_OK;
nomem:
	return kf_err_set(err, KF_E_NOMEM, "tiny detector: out of memory");
}

int kf_tiny_forward(const struct kf_tiny *net, const float *in, int size, float *grid,
		    struct kf_arena *scratch, struct kf_err *err)
{
	return kf_tiny_forward_stages(net, in, size, grid, scratch, NULL, NULL, err);
}
