/* face.h: the per-face pipeline after detection: 68 landmarks, the aligned crop
 * and the 128-D descriptor, exactly as face-api's
 * detectAllFaces().withFaceLandmarks().withFaceDescriptors() computes them.
 *
 * For one detection box (pixels of the upright full-resolution image):
 *
 *  1. Landmark crop: the box clipped with face-api's Box.clipAtImageBorders
 *     (x, y = max(0, .); width, height = min(right - x, W - x), ... ; then all
 *     four floored), padded centred to a square and resized to 112
 *     (kf_image_to_net_input(..., center = 1)).
 *  2. Landmarks: the net's output relative to the crop (face-api's
 *     postProcess undoes the padding), times the crop size, plus the
 *     detection box's (unfloored) x, y: face-api's landmarks.shiftBy(box.x, box.y).
 *     For a box sticking out left or top of the photo face-api still shifts by
 *     the negative x or y although the crop starts at 0, so its landmarks
 *     (and aligned crop) land that far off; we keep that, to stay comparable.
 *  3. Descriptor crop: FaceLandmarks.align(null, {useDlibAlignment: true}):
 *     the centres of the left eye (points 36-41), right eye (42-47) and mouth
 *     (48-67); size = floor(mean eye-to-mouth distance / 0.45); centre c = the
 *     mean of the three; x = floor(max(0, c.x - 0.5 size)), y = floor(max(0,
 *     c.y - 0.43 size)), width = min(size, crop width + x), height = min(size,
 *     crop height + y) (face-api compares with the landmark crop's size, not the
 *     image's); then clipAtImageBorders as in 1, padded centred, resized to 150.
 *  4. Descriptor: the recognition net on that input.
 * Geometry is computed in double, as face-api's JavaScript does; the net
 * outputs are float32 as in tfjs.
 *
 * Thread-safety: the nets are read-only and may be shared; each thread passes
 * its own scratch arena. No state is kept between calls.
 *
 * Example: every face of a photo, after a detector gave boxes[0..n).
 *
 *	struct kf_face_nets nets = { landmark_net, facerec_net };
 *	for (int i = 0; i < n; i++) {
 *		kf_arena_reset(&worker->arena);
 *		if (kf_face_describe(&nets, &img, &boxes[i], lm[i], desc[i],
 *				     &worker->arena, &err) == KF_E_NOFACE)
 *			continue;	// box outside the photo: skip, as face-api does
 *		...
 *	}
 */
#ifndef KF_FACE_H
#define KF_FACE_H

#include "core/box.h"
#include "core/err.h"
#include "core/image.h"

struct kf_arena;
struct kf_landmark;
struct kf_facerec;

struct kf_face_nets {
	const struct kf_landmark *landmark;
	const struct kf_facerec *facerec;	/* may be NULL when no descriptor is asked */
};

/* An integer crop rectangle in image pixels. */
struct kf_face_rect {
	int x, y, width, height;
};

/* The rectangles a kf_face_describe call used (face-api's names in the
 * reference: landmark_crop_box, descriptor_align_box_dlib, descriptor_crop_box). */
struct kf_face_crops {
	struct kf_face_rect landmark;	/* clipped detection box, fed to the landmark net */
	struct kf_face_rect align;	/* dlib alignment box, before clipping */
	struct kf_face_rect descriptor;	/* clipped alignment box, fed to the recognition net */
};

/* face-api's Box.clipAtImageBorders(img_w, img_h) of the box (x, y, width,
 * height), in double, then floored. Returns 1 when the result is non-empty
 * (width and height >= 1), else 0 with *out zeroed (NaN gives 0 too). */
int kf_face_clip(double x, double y, double width, double height, int img_w, int img_h,
		 struct kf_face_rect *out);

/* face-api's FaceLandmarks68.align(null, {useDlibAlignment: true}) (step 3
 * above, before clipping) on 68 points x0,y0,... in image pixels, in double;
 * crop_w, crop_h: the size of the landmark crop they came from. */
void kf_face_align_dlib(const double *landmarks, int crop_w, int crop_h,
			struct kf_face_rect *out);

/* img: the upright full-resolution image; det: the detection box in its pixels.
 * landmarks (136 floats, may be NULL) get the 68 points x0,y0,x1,y1,... in
 * image pixels; desc (128 floats, may be NULL: then only landmarks are
 * computed and nets->facerec is not used) gets the descriptor.
 * Intermediates (net inputs and activations: about 7 MB) come
 * from scratch, which is not reset here: reset it between faces.
 * Errors: KF_E_NOFACE when a crop is empty (the box or the aligned box lies
 * outside the image), KF_E_INVALID for a bad image, no box or a missing net,
 * KF_E_NOMEM. On error the outputs are unspecified. */
int kf_face_describe(const struct kf_face_nets *nets, const struct kf_image *img,
		     const struct kf_box *det, float *landmarks, float *desc,
		     struct kf_arena *scratch, struct kf_err *err);

/* As kf_face_describe; crops (may be NULL) gets the rectangles used (the
 * descriptor ones only when desc is asked for). */
int kf_face_describe_crops(const struct kf_face_nets *nets, const struct kf_image *img,
			   const struct kf_box *det, float *landmarks, float *desc,
			   struct kf_face_crops *crops, struct kf_arena *scratch,
			   struct kf_err *err);

enum kf_face_flags {
	/* The descriptor is the mean of the recognition net's outputs on the
	 * aligned 150x150 crop and on that crop mirrored left to right: the net
	 * runs twice (+75% per face). An experiment, off everywhere in kingface:
	 * measured by bench/accuracy --mirror both, it did not separate the same
	 * person from different people better (docs/internals/nn.md, "Descriptor
	 * experiments (issue 17)"). Not face-api's descriptor. */
	KF_FACE_MIRROR = 1 << 0,
};

/* As kf_face_describe_crops, with flags from enum kf_face_flags (0: exactly
 * kf_face_describe_crops, face-api's pipeline). */
int kf_face_describe_flags(const struct kf_face_nets *nets, const struct kf_image *img,
			   const struct kf_box *det, unsigned flags, float *landmarks, float *desc,
			   struct kf_face_crops *crops, struct kf_arena *scratch,
			   struct kf_err *err);

/* kf_face_describe_flags in two steps, so that the recognition net can run
 * on several faces at once (it is then faster a face: nn_facerec.h).
 * kf_face_prepare: the landmarks (may be NULL) and, when input is not NULL,
 * the recognition net's input for the face (KF_FACEREC_INPUT^2 x 3 floats,
 * the caller's); errors as kf_face_describe. kf_face_recognise: the
 * descriptors of n such inputs back to back (in is changed with
 * KF_FACE_MIRROR), 128 floats each into desc; the same numbers as
 * kf_face_describe_flags gives each face alone. Scratch as kf_face_describe,
 * about 3 MB a face for kf_face_recognise. */
int kf_face_prepare(const struct kf_face_nets *nets, const struct kf_image *img,
		    const struct kf_box *det, float *landmarks, float *input,
		    struct kf_face_crops *crops, struct kf_arena *scratch, struct kf_err *err);
int kf_face_recognise(const struct kf_face_nets *nets, float *in, int n, unsigned flags,
		      float *desc, struct kf_arena *scratch, struct kf_err *err);

#endif
