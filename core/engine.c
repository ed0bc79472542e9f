/* engine.c: the local face engine (engine.h). */
#include "core/engine.h"

#include <math.h>
#include <string.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "core/face.h"
#include "core/nn_facerec.h"
#include "core/nn_gemm_q8.h"
#include "core/nn_landmark.h"

struct kf_engine {
	struct kf_detector *det;
	struct kf_landmark *landmark;
	struct kf_facerec *facerec;
};

unsigned kf_engine_detector_flag(enum kf_detector_kind k)
{
	return k == KF_DETECTOR_SSD ? KF_ENGINE_SSD :
	       k == KF_DETECTOR_TINY ? KF_ENGINE_TINY : KF_ENGINE_YUNET;
}

int kf_engine_load(struct kf_engine **out, const char *model_dir, const char *yunet_dir,
		   unsigned flags, struct kf_err *err)
{
	struct kf_engine *e = kf_calloc(1, sizeof(*e));
	unsigned det = (flags & KF_ENGINE_SSD ? KF_LOAD_SSD : 0) |
		       (flags & KF_ENGINE_TINY ? KF_LOAD_TINY : 0) |
		       (flags & KF_ENGINE_YUNET ? KF_LOAD_YUNET : 0);
	int rc;

	*out = NULL;
	if (!e)
		return kf_err_set(err, KF_E_NOMEM, "out of memory loading the engine");
	if ((rc = kf_detector_load(&e->det, model_dir, yunet_dir, det, err)) < 0)
		goto fail;
	if ((flags & (KF_ENGINE_LANDMARKS | KF_ENGINE_DESCRIPTORS)) &&
	    (rc = kf_landmark_load(&e->landmark, model_dir, err)) < 0)
		goto fail;
	/* the recognition net's weights for the process's precision only */
	if ((flags & KF_ENGINE_DESCRIPTORS) &&
	    (rc = kf_facerec_load_for(&e->facerec, model_dir, kf_gemm_q8_active() ?
				      KF_FACEREC_INT8 : KF_FACEREC_FP32, err)) < 0)
		goto fail;
	*out = e;
	return KF_OK;
fail:
	kf_engine_free(e);
	return rc;
}

void kf_engine_free(struct kf_engine *e)
{
	if (!e)
		return;
	kf_detector_free(e->det);
	kf_landmark_free(e->landmark);
	kf_facerec_free(e->facerec);
	kf_free(e);
}

/* A face whose box runs past the photo's edge (a tight crop, a head cut by the
 * frame) is described on a grey canvas around it, as the padded retry does:
 * the landmark and descriptor crops then keep the face's shape instead of being
 * clipped to the photo. *canvas is the box's surroundings (margin of half the
 * box each side) with the photo's pixels where it has some; *ox, *oy its origin
 * in img. Returns 0 when the box lies inside img (nothing made). */
static int edge_canvas(const struct kf_image *img, const struct kf_box *b,
		       struct kf_image *canvas, int *ox, int *oy, struct kf_err *err)
{
	int x0, y0, x1, y1, w, h;

	if (b->x >= 0 && b->y >= 0 && b->x + b->width <= (float)img->width &&
	    b->y + b->height <= (float)img->height)
		return 0;
	x0 = (int)floorf(b->x - b->width / 2);
	y0 = (int)floorf(b->y - b->height / 2);
	x1 = (int)ceilf(b->x + b->width * 1.5f);
	y1 = (int)ceilf(b->y + b->height * 1.5f);
	w = x1 - x0;
	h = y1 - y0;
	if (w < 1 || h < 1 || w > KF_IMAGE_MAX_SIDE || h > KF_IMAGE_MAX_SIDE ||
	    !(canvas->rgb = kf_malloc((size_t)w * (size_t)h * 3)))
		return kf_err_set(err, KF_E_NOMEM, "out of memory describing a face at the edge");
	canvas->width = w;
	canvas->height = h;
	memset(canvas->rgb, 128, (size_t)w * (size_t)h * 3);
	for (int y = y0 > 0 ? y0 : 0; y < y1 && y < img->height; y++) {
		int a = x0 > 0 ? x0 : 0, e = x1 < img->width ? x1 : img->width;

		if (e > a)
			memcpy(canvas->rgb + ((size_t)(y - y0) * (size_t)w + (size_t)(a - x0)) * 3,
			       img->rgb + ((size_t)y * (size_t)img->width + (size_t)a) * 3,
			       (size_t)(e - a) * 3);
	}
	*ox = x0;
	*oy = y0;
	return 1;
}

/* Is a face with this box too small to recognise (engine.h)? */
static int too_small(const struct kf_box *b, unsigned flags)
{
	return !(flags & KF_FIND_ANY_SIZE) && b->width < (float)KF_RECOGNIZABLE_MIN_FACE;
}

/* Mark the faces too small to recognise. */
static void mark_small(struct kf_face *faces, size_t n, unsigned flags)
{
	for (size_t i = 0; i < n; i++)
		faces[i].too_small = too_small(&faces[i].box, flags);
}

/* The photo rows describe() reads for a face: its box (the landmark crop),
 * for a face cut by the photo's side half a box above and below it
 * (edge_canvas), and its aligned crop, which lies about the box (on 459
 * faces of the samples, dev sets, dlib's examples and bench photos: from 5%
 * of the box's height below its top to 16% below its bottom). Faces are
 * described from the full-size rows from BAND_MARGIN box heights above the
 * highest to as much below the lowest (face_rows); describe() checks each
 * face's crops against them and asks for the whole photo when one leaves
 * them. */
#ifndef BAND_MARGIN
#define BAND_MARGIN 0.6
#endif

/* The rows of a photo of height H around the faces to describe; the whole
 * photo when they are nearly all of it. */
static void face_rows(const struct kf_detection *dets, size_t n, unsigned flags, int H,
		      int rows[2])
{
	double lo = H, hi = 0;

	for (size_t i = 0; i < n; i++) {
		const struct kf_box *b = &dets[i].box;

		if (too_small(b, flags))
			continue;
		lo = fmin(lo, b->y - BAND_MARGIN * b->height);
		hi = fmax(hi, b->y + (1 + BAND_MARGIN) * b->height);
	}
	rows[0] = lo <= 0 ? 0 : (int)floor(lo);
	rows[1] = hi >= H ? H : (int)ceil(hi);
	if (rows[1] <= rows[0] || rows[1] - rows[0] > H * 9 / 10) {
		rows[0] = 0;
		rows[1] = H;
	}
}

/* Do rows [y0, y1) of an image of height h lie in rows (NULL: all of it)? */
static int in_rows(const int *rows, int y0, int y1, int h)
{
	y0 = y0 < 0 ? 0 : y0;
	y1 = y1 > h ? h : y1;
	return !rows || y1 <= y0 || (y0 >= rows[0] && y1 <= rows[1]);
}

/* Does the landmark crop of a face with box b in img (face.h kf_face_clip)
 * lie in rows? Yes when there is none (the box is outside img: an error of
 * the whole photo too). */
static int landmark_crop_in_rows(const int *rows, const struct kf_box *b,
				 const struct kf_image *img)
{
	struct kf_face_rect lc;

	return !kf_face_clip(b->x, b->y, b->width, b->height, img->width, img->height, &lc) ||
	       in_rows(rows, lc.y, lc.y + lc.height, img->height);
}

/* Faces described by one run of the recognition net: measured with AVX2,
 * the net 10.0 ms a face alone, 6.5 in fours, 6.3 in eights; eights took 4%
 * less CPU than fours on the group gallery (docs/internals/nn.md). */
#define DESCRIBE_BATCH 8

/* The descriptors of the faces prepared in `in` (their indices in idx). */
static int recognise(const struct kf_face_nets *nets, float *in, const size_t *idx, int nb,
		     unsigned flags, struct kf_face *faces, struct kf_arena *a,
		     struct kf_err *err)
{
	float desc[DESCRIBE_BATCH * KF_FACEREC_DIM];
	struct kf_arena_mark m = kf_arena_mark(a);
	int rc = kf_face_recognise(nets, in, nb, flags & KF_FIND_MIRROR ? KF_FACE_MIRROR : 0, desc,
				   a, err);

	kf_arena_rewind(a, m);
	if (rc < 0)
		return rc;
	for (int k = 0; k < nb; k++) {
		memcpy(faces[idx[k]].descriptor, desc + (size_t)k * KF_FACEREC_DIM,
		       KF_FACEREC_DIM * sizeof(float));
		faces[idx[k]].has_descriptor = 1;
	}
	return KF_OK;
}

/* Landmarks and descriptors of each detection not too small, on the full image img, whose
 * origin is (dx, dy) in photo pixels (a padded canvas has negative offsets). The
 * recognition net runs on DESCRIBE_BATCH faces at a time. Scratch from a is
 * given back face by face (img may live in it). rows: the rows of img that
 * hold pixels (kf_image_decode_rows_in), or NULL for all. Returns 1 when a
 * face's crops leave them: the faces are then to be described again from the
 * whole photo. The rows the landmarks come from are checked before they are
 * read, so an error is the whole photo's too; the descriptor's crop, placed
 * by the landmarks, after (what it read outside them, stale arena bytes,
 * is dropped). */
static int describe(const struct kf_engine *e, const struct kf_image *img, const int *rows,
		    const struct kf_detection *dets, size_t n, double dx, double dy,
		    unsigned flags, struct kf_face *faces, struct kf_arena *a, struct kf_err *err)
{
	const size_t side = KF_FACEREC_INPUT, one = side * side * 3;
	struct kf_face_nets nets = { e->landmark, e->facerec };
	int want_desc = (flags & KF_FIND_DESCRIPTORS) != 0, nb = 0, rc = KF_OK;
	size_t idx[DESCRIBE_BATCH];
	struct kf_arena_mark m = kf_arena_mark(a);
	float *in = NULL;

	if (!e->landmark || (want_desc && !e->facerec))
		return kf_err_set(err, KF_E_INVALID, "the landmark or recognition net is not loaded");
	if (want_desc && !(in = kf_malloc_array(DESCRIBE_BATCH * one, sizeof(float))))
		return kf_err_set(err, KF_E_NOMEM, "out of memory describing faces");
	for (size_t i = 0; i < n && rc == KF_OK; i++) {
		struct kf_image canvas = { 0, 0, NULL };
		struct kf_box box = dets[i].box;
		struct kf_face_crops cr;
		int ox = 0, oy = 0, edge;

		if (faces[i].too_small)
			continue;
		kf_arena_rewind(a, m);
		if ((edge = edge_canvas(img, &box, &canvas, &ox, &oy, err)) < 0) {
			rc = edge;
			break;
		}
		box.x -= (float)ox;
		box.y -= (float)oy;
		/* the rows the landmarks come from, checked before they are read
		 * (an edge face's canvas copied them): any error after this is the
		 * whole photo's too */
		if (edge ? !in_rows(rows, oy, oy + canvas.height, img->height) :
			   !landmark_crop_in_rows(rows, &box, img)) {
			kf_image_release(&canvas);
			rc = 1;
			break;
		}
		rc = kf_face_prepare(&nets, edge ? &canvas : img, &box, faces[i].landmarks,
				     want_desc ? in + (size_t)nb * one : NULL, &cr, a, err);
		kf_image_release(&canvas);
		if (rc < 0) {
			rc = kf_err_context(err, "face %zu", i);
			break;
		}
		/* then the rows of the descriptor's crop, placed by the landmarks */
		if (!edge && want_desc &&
		    !in_rows(rows, cr.descriptor.y, cr.descriptor.y + cr.descriptor.height,
			     img->height)) {
			rc = 1;
			break;
		}
		for (int k = 0; k < 68; k++) {
			faces[i].landmarks[2 * k] += (float)(dx + ox);
			faces[i].landmarks[2 * k + 1] += (float)(dy + oy);
		}
		faces[i].has_landmarks = 1;
		if (want_desc)
			idx[nb++] = i;
		if (nb == DESCRIBE_BATCH) {
			rc = recognise(&nets, in, idx, nb, flags, faces, a, err);
			nb = 0;
		}
	}
	if (rc == KF_OK && nb > 0)
		rc = recognise(&nets, in, idx, nb, flags, faces, a, err);
	kf_arena_rewind(a, m);
	kf_free(in);
	return rc;
}

/* Search img (full resolution) centred on canvases of KF_ENGINE_PADS. */
static int pad_retry(const struct kf_engine *e, const struct kf_detect_opts *o,
		     const struct kf_image *img, unsigned flags, struct kf_face **out, size_t *n,
		     double *pad, struct kf_arena *a, struct kf_err *err)
{
	static const double pads[] = KF_ENGINE_PADS;
	struct kf_detect_opts single = *o;
	int longest = img->width > img->height ? img->width : img->height, rc = KF_OK;

	single.tiles = KF_TILES_OFF;	/* the canvas is mostly grey */
	for (size_t p = 0; p < sizeof(pads) / sizeof(pads[0]); p++) {
		struct kf_image canvas = { 0, 0, NULL };
		struct kf_detection *dets = NULL;
		int side = (int)lround(longest * pads[p]), ox, oy;
		size_t nd = 0;

		if ((rc = kf_image_pad(img, side, side, 128, &canvas, &ox, &oy, err)) < 0)
			return rc;
		rc = kf_detect(e->det, &single, &canvas, canvas.width, canvas.height, &dets, &nd, a,
			       err);
		if (rc == KF_OK && nd > 0) {
			struct kf_face *faces = kf_calloc(nd, sizeof(*faces));

			if (!faces) {
				rc = kf_err_set(err, KF_E_NOMEM, "out of memory describing faces");
			} else {
				for (size_t i = 0; i < nd; i++) {
					faces[i].box = dets[i].box;
					faces[i].box.x -= (float)ox;
					faces[i].box.y -= (float)oy;
					faces[i].raw = dets[i].raw;
					faces[i].has_raw = o->detector == KF_DETECTOR_YUNET;
					faces[i].raw.x -= (float)ox;
					faces[i].raw.y -= (float)oy;
					for (int k = 0; k < 10 && o->detector == KF_DETECTOR_YUNET; k++)
						faces[i].lm5[k] = dets[i].lm5[k] - (float)(k % 2 ? oy : ox);
					faces[i].score = dets[i].score;
				}
				mark_small(faces, nd, flags);
				if (flags & (KF_FIND_LANDMARKS | KF_FIND_DESCRIPTORS))
					rc = describe(e, &canvas, NULL, dets, nd, -ox, -oy, flags, faces,
						      a, err);
				if (rc == KF_OK) {
					*out = faces;
					*n = nd;
					*pad = pads[p];
				} else {
					kf_free(faces);
				}
			}
		}
		kf_free(dets);
		kf_image_release(&canvas);
		if (rc < 0 || *n > 0)
			return rc;
	}
	return KF_OK;
}

int kf_engine_faces(const struct kf_engine *e, const struct kf_detect_opts *o,
		    const uint8_t *buf, size_t len, unsigned flags, struct kf_face **out,
		    size_t *n, struct kf_image_info *info, double *pad, struct kf_arena *scratch,
		    struct kf_err *err)
{
	/* the decoded photos live in scratch: no fresh pages a photo */
	struct kf_image small = { 0, 0, NULL }, full = { 0, 0, NULL };
	struct kf_arena_mark start = kf_arena_mark(scratch);
	struct kf_detection *dets = NULL;
	struct kf_image_info inf;
	struct kf_face *faces = NULL;
	double pad_used = 0;
	size_t nd = 0;
	int need_full = (flags & (KF_FIND_LANDMARKS | KF_FIND_DESCRIPTORS)) != 0, rc, rows[2];

	*out = NULL;
	*n = 0;
	if ((rc = kf_image_probe(buf, len, &inf, err)) < 0 ||
	    (rc = kf_image_decode_in(scratch, buf, len, kf_detect_min_side(o, inf.width, inf.height),
				     &small, &inf, err)) < 0)
		goto out;
	if ((rc = kf_detect(e->det, o, &small, inf.width, inf.height, &dets, &nd, scratch, err)) < 0)
		goto out;
	/* reference photos: nothing found, or nothing sure (a tight crop often gives
	 * a weak partial detection): try padded canvases, keep the surer result */
	int retry = (flags & KF_FIND_PAD_RETRY) &&
		    (nd == 0 || dets[0].score < KF_ENGINE_SURE_SCORE);
	if (nd == 0 && !retry)
		goto out;
	/* faces come from the full-resolution photo (the detector's copy is
	 * given back first: a worker then holds one decoded photo at a time),
	 * only its rows around them when it is a JPEG to decode again */
	rows[0] = 0;
	rows[1] = inf.height;
	if (need_full || retry) {
		if (small.width == inf.width && small.height == inf.height) {
			full = small;
		} else {
			kf_arena_rewind(scratch, start);
			if (!retry && !(flags & KF_FIND_WHOLE_PHOTO))
				face_rows(dets, nd, flags, inf.height, rows);
			if ((rc = kf_image_decode_rows_in(scratch, buf, len, rows, &full, err)) < 0)
				goto out;
		}
	}
	if (retry) {
		struct kf_face *padded = NULL;
		size_t np = 0;

		if ((rc = pad_retry(e, o, &full, flags, &padded, &np, &pad_used, scratch, err)) < 0)
			goto out;
		if (np > 0 && (nd == 0 || padded[0].score > dets[0].score)) {
			faces = padded;
			nd = np;
			goto out;
		}
		kf_free(padded);
		pad_used = 0;
		if (nd == 0)
			goto out;
	}
	if (!(faces = kf_calloc(nd, sizeof(*faces)))) {
		rc = kf_err_set(err, KF_E_NOMEM, "out of memory describing faces");
		goto out;
	}
	for (size_t i = 0; i < nd; i++) {
		faces[i].box = dets[i].box;
		faces[i].score = dets[i].score;
		faces[i].raw = dets[i].raw;
		faces[i].has_raw = o->detector == KF_DETECTOR_YUNET;
		memcpy(faces[i].lm5, dets[i].lm5, sizeof(faces[i].lm5));
	}
	mark_small(faces, nd, flags);
	if (need_full)
		rc = describe(e, &full, rows[1] - rows[0] < full.height ? rows : NULL, dets, nd, 0, 0,
			      flags, faces, scratch, err);
	if (rc == 1) {	/* a face's crops left those rows: all of them */
		kf_arena_rewind(scratch, start);
		rows[0] = 0;
		rows[1] = inf.height;
		if ((rc = kf_image_decode_rows_in(scratch, buf, len, rows, &full, err)) == KF_OK)
			rc = describe(e, &full, NULL, dets, nd, 0, 0, flags, faces, scratch, err);
	}
out:
	if (rc == KF_OK) {
		*out = faces;
		*n = faces ? nd : 0;
		if (info)
			*info = inf;
		if (pad)
			*pad = pad_used;
	} else {
		kf_free(faces);
	}
	kf_free(dets);
	kf_arena_rewind(scratch, start);
	return rc;
}
