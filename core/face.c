/* face.c: landmarks, dlib-aligned crop and descriptor of one face (face.h).
 *
 * Every rounding step mirrors face-api 1.7.15 (src/classes/Box.ts
 * clipAtImageBorders, src/classes/FaceLandmarks.ts alignDlib,
 * src/faceLandmarkNet/FaceLandmark68NetBase.ts postProcess,
 * src/factories/WithFaceLandmarks.ts shiftBy), because a crop one pixel off
 * moves the descriptor by about 0.01-0.05.
 */
#include "core/face.h"

#include <math.h>

#include "core/arena.h"
#include "core/nn_facerec.h"
#include "core/nn_landmark.h"

int kf_face_clip(double x, double y, double width, double height, int img_w, int img_h,
		 struct kf_face_rect *out)
{
	double right = x + width, bottom = y + height;
	double cx = x > 0 ? x : 0, cy = y > 0 ? y : 0;
	double cw = right - cx, ch = bottom - cy;

	if (cw > img_w - cx)
		cw = img_w - cx;
	if (ch > img_h - cy)
		ch = img_h - cy;
	/* Box.floor(); NaN or huge values end up as an empty rectangle */
	if (!(cx < img_w && cy < img_h && cw >= 1 && ch >= 1)) {
		*out = (struct kf_face_rect){ 0, 0, 0, 0 };
		return 0;
	}
	out->x = (int)floor(cx);
	out->y = (int)floor(cy);
	out->width = (int)floor(cw);
	out->height = (int)floor(ch);
	return 1;
}

struct pt {
	double x, y;
};

/* getCenterPoint: the sum from (0, 0) in order, then divided by the count. */
static struct pt center(const struct pt *p, int n)
{
	struct pt s = { 0, 0 };

	for (int i = 0; i < n; i++) {
		s.x += p[i].x;
		s.y += p[i].y;
	}
	s.x /= n;
	s.y /= n;
	return s;
}

static double dist(struct pt a, struct pt b)
{
	double dx = a.x - b.x, dy = a.y - b.y;

	return sqrt(dx * dx + dy * dy);
}

void kf_face_align_dlib(const double *landmarks, int crop_w, int crop_h,
			struct kf_face_rect *r)
{
	struct pt p[KF_LANDMARK_POINTS], c[3], ref;
	double eye_to_mouth, size, x, y;

	for (int i = 0; i < KF_LANDMARK_POINTS; i++) {
		p[i].x = landmarks[2 * i];
		p[i].y = landmarks[2 * i + 1];
	}
	c[0] = center(p + 36, 6);	/* left eye */
	c[1] = center(p + 42, 6);	/* right eye */
	c[2] = center(p + 48, 20);	/* mouth */
	eye_to_mouth = (dist(c[2], c[0]) + dist(c[2], c[1])) / 2;
	size = floor(eye_to_mouth / 0.45);
	ref = center(c, 3);
	x = floor(fmax(0, ref.x - 0.5 * size));
	y = floor(fmax(0, ref.y - 0.43 * size));
	r->x = (int)x;
	r->y = (int)y;
	r->width = (int)fmin(size, crop_w + x);
	r->height = (int)fmin(size, crop_h + y);
}

/* Mirror a net input (side x side RGB floats, NHWC) left to right, in place. */
static void mirror_input(float *in, int side)
{
	for (int y = 0; y < side; y++) {
		float *row = in + (size_t)y * (size_t)side * 3;

		for (int l = 0, r = side - 1; l < r; l++, r--)
			for (int c = 0; c < 3; c++) {
				float t = row[3 * l + c];

				row[3 * l + c] = row[3 * r + c];
				row[3 * r + c] = t;
			}
	}
}

int kf_face_recognise(const struct kf_face_nets *nets, float *in, int n, unsigned flags,
		      float *desc, struct kf_arena *scratch, struct kf_err *err)
{
	const size_t side = KF_FACEREC_INPUT;
	struct kf_arena_mark m = kf_arena_mark(scratch);
	float *flip;
	int rc;

	if (!nets || !nets->facerec)
		return kf_err_set(err, KF_E_INVALID, "face pipeline: network not loaded");
	if ((rc = kf_facerec_forward_batch(nets->facerec, in, n, desc, scratch, err)) < 0 ||
	    !(flags & KF_FACE_MIRROR))
		return rc;
	kf_arena_rewind(scratch, m);
	if (!(flip = kf_arena_alloc_array(scratch, (size_t)n * KF_FACEREC_DIM, sizeof(float))))
		return kf_err_set(err, KF_E_NOMEM, "face pipeline: out of memory");
	for (int i = 0; i < n; i++)
		mirror_input(in + (size_t)i * side * side * 3, (int)side);
	if ((rc = kf_facerec_forward_batch(nets->facerec, in, n, flip, scratch, err)) < 0)
		return rc;
	for (size_t i = 0; i < (size_t)n * KF_FACEREC_DIM; i++)
		desc[i] = (desc[i] + flip[i]) * 0.5f;
	return KF_OK;
}

int kf_face_prepare(const struct kf_face_nets *nets, const struct kf_image *img,
		    const struct kf_box *det, float *landmarks, float *input,
		    struct kf_face_crops *crops, struct kf_arena *scratch, struct kf_err *err)
{
	struct kf_face_rect lc, al, dc;
	double pts[2 * KF_LANDMARK_POINTS];
	float rel[2 * KF_LANDMARK_POINTS], *in;
	int rc;

	if (!nets || !nets->landmark)
		return kf_err_set(err, KF_E_INVALID, "face pipeline: network not loaded");
	if (!img || !img->rgb || img->width < 1 || img->height < 1)
		return kf_err_set(err, KF_E_INVALID, "face pipeline: empty image");
	if (!det)
		return kf_err_set(err, KF_E_INVALID, "face pipeline: no face box");
	if (!kf_face_clip(det->x, det->y, det->width, det->height, img->width, img->height, &lc))
		return kf_err_set(err, KF_E_NOFACE, "face box %.1f,%.1f %.1fx%.1f is outside the %dx%d image",
				  (double)det->x, (double)det->y, (double)det->width,
				  (double)det->height, img->width, img->height);
	if (crops)
		crops->landmark = lc;

	if (!(in = kf_arena_alloc_array(scratch, (size_t)KF_LANDMARK_INPUT * KF_LANDMARK_INPUT * 3,
					sizeof(float))))
		return kf_err_set(err, KF_E_NOMEM, "face pipeline: out of memory");
	if ((rc = kf_image_to_net_input(img, lc.x, lc.y, lc.width, lc.height, KF_LANDMARK_INPUT, 1,
					in, err)) < 0 ||
	    (rc = kf_landmark_forward_crop(nets->landmark, in, lc.width, lc.height, rel, scratch,
					   err)) < 0)
		return rc;
	/* relative (float32) * crop size + the detection box origin, in double */
	for (int i = 0; i < KF_LANDMARK_POINTS; i++) {
		pts[2 * i] = (double)rel[2 * i] * lc.width + (double)det->x;
		pts[2 * i + 1] = (double)rel[2 * i + 1] * lc.height + (double)det->y;
		if (landmarks) {
			landmarks[2 * i] = (float)pts[2 * i];
			landmarks[2 * i + 1] = (float)pts[2 * i + 1];
		}
	}
	if (!input)
		return KF_OK;

	kf_face_align_dlib(pts, lc.width, lc.height, &al);
	if (crops)
		crops->align = al;
	if (!kf_face_clip(al.x, al.y, al.width, al.height, img->width, img->height, &dc))
		return kf_err_set(err, KF_E_NOFACE, "aligned face box %d,%d %dx%d is outside the %dx%d image",
				  al.x, al.y, al.width, al.height, img->width, img->height);
	if (crops)
		crops->descriptor = dc;
	return kf_image_to_net_input(img, dc.x, dc.y, dc.width, dc.height, KF_FACEREC_INPUT, 1,
				     input, err);
}

int kf_face_describe_flags(const struct kf_face_nets *nets, const struct kf_image *img,
			   const struct kf_box *det, unsigned flags, float *landmarks, float *desc,
			   struct kf_face_crops *crops, struct kf_arena *scratch,
			   struct kf_err *err)
{
	float *in = NULL;
	int rc;

	if (desc && (!nets || !nets->facerec))
		return kf_err_set(err, KF_E_INVALID, "face pipeline: network not loaded");
	if (desc && !(in = kf_arena_alloc_array(scratch, (size_t)KF_FACEREC_INPUT *
						KF_FACEREC_INPUT * 3, sizeof(float))))
		return kf_err_set(err, KF_E_NOMEM, "face pipeline: out of memory");
	if ((rc = kf_face_prepare(nets, img, det, landmarks, in, crops, scratch, err)) < 0 || !desc)
		return rc;
	return kf_face_recognise(nets, in, 1, flags, desc, scratch, err);
}

int kf_face_describe_crops(const struct kf_face_nets *nets, const struct kf_image *img,
			   const struct kf_box *det, float *landmarks, float *desc,
			   struct kf_face_crops *crops, struct kf_arena *scratch,
			   struct kf_err *err)
{
	return kf_face_describe_flags(nets, img, det, 0, landmarks, desc, crops, scratch, err);
}

int kf_face_describe(const struct kf_face_nets *nets, const struct kf_image *img,
		     const struct kf_box *det, float *landmarks, float *desc,
		     struct kf_arena *scratch, struct kf_err *err)
{
	return kf_face_describe_crops(nets, img, det, landmarks, desc, NULL, scratch, err);
}
