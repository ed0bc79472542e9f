/* detect.c: YuNet's fine and coarse passes, and face-api's SSD and tiny
 * detectors with tiling (detect.h). For face-api's detectors the box
 * arithmetic follows face-api 1.7.15 line by line:
 * SsdMobilenetv1.locateFaces + ssdMobilenetv1/nonMaxSuppression for SSD,
 * TinyYolov2Base.detect/extractBoxes + ops/nonMaxSuppression for tiny. */
#include "core/detect.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "core/image.h"
#include "core/nn_ssd.h"
#include "core/nn_tiny.h"
#include "core/nn_yunet.h"

#define TINY_IOU 0.4		/* face-api tinyFaceDetector/const.ts IOU_THRESHOLD */
#define TINY_ANCHORS 5
#define NMS_MAX 1000		/* detections kept per pass before the max_faces rule */
#define EDGE_EPS 2.0f		/* pixels: "touches a tile's inner edge" */

static const double tiny_anchors[TINY_ANCHORS][2] = {
	{ 1.603231, 2.094468 }, { 6.041143, 7.080126 }, { 2.882459, 3.518061 },
	{ 4.266906, 5.178857 }, { 9.041765, 10.66308 },
};

struct kf_detector {
	struct kf_ssd *ssd;
	struct kf_tiny *tiny;
	struct kf_yunet *yunet;
};

/* A growing list of detections in pixels of the decoded image. */
struct dets {
	struct kf_detection *v;
	size_t n, cap;
};

/* A new zeroed detection at the end of d, or NULL when out of memory. */
static struct kf_detection *dets_add(struct dets *d)
{
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 32;
		struct kf_detection *v = kf_realloc(d->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		d->v = v;
		d->cap = cap;
	}
	memset(&d->v[d->n], 0, sizeof(d->v[d->n]));
	return &d->v[d->n++];
}

static int dets_push(struct dets *d, float x, float y, float w, float h, float score)
{
	struct kf_detection *k = dets_add(d);

	if (!k)
		return KF_E_NOMEM;
	k->box = (struct kf_box){ x, y, w, h };
	k->score = score;
	return KF_OK;
}

int kf_detector_load(struct kf_detector **out, const char *model_dir, const char *yunet_dir,
		     unsigned flags, struct kf_err *err)
{
	struct kf_detector *d = kf_calloc(1, sizeof(*d));
	int rc = KF_OK;

	*out = NULL;
	if (!d)
		return kf_err_set(err, KF_E_NOMEM, "out of memory loading the detector");
	if ((flags & KF_LOAD_SSD) && (rc = kf_ssd_load(&d->ssd, model_dir, err)) < 0)
		goto fail;
	if ((flags & KF_LOAD_TINY) && (rc = kf_tiny_load(&d->tiny, model_dir, err)) < 0)
		goto fail;
	if ((flags & KF_LOAD_YUNET) && (rc = kf_yunet_load(&d->yunet, yunet_dir, err)) < 0)
		goto fail;
	*out = d;
	return KF_OK;
fail:
	kf_detector_free(d);
	return rc;
}

void kf_detector_free(struct kf_detector *d)
{
	if (!d)
		return;
	kf_ssd_free(d->ssd);
	kf_tiny_free(d->tiny);
	kf_yunet_free(d->yunet);
	kf_free(d);
}

static const char *const detector_names[] = { "ssd", "tiny", "yunet" };

const char *kf_detector_name(enum kf_detector_kind k)
{
	return (unsigned)k < 3 ? detector_names[k] : "?";
}

int kf_detector_parse(const char *name)
{
	for (int k = 0; k < 3; k++)
		if (name && !strcmp(name, detector_names[k]))
			return k;
	return -1;
}

int kf_detect_opts_check(const struct kf_detect_opts *o, struct kf_err *err)
{
	if (o->detector != KF_DETECTOR_SSD && o->detector != KF_DETECTOR_TINY &&
	    o->detector != KF_DETECTOR_YUNET)
		return kf_err_set(err, KF_E_INVALID, "detector must be yunet, ssd or tiny");
	if (!(o->min_score >= 0 && o->min_score <= 1))
		return kf_err_set(err, KF_E_INVALID, "minimum score must be from 0 to 1");
	if (o->max_faces < 1 || o->max_faces > NMS_MAX)
		return kf_err_set(err, KF_E_INVALID, "maximum faces must be from 1 to %d", NMS_MAX);
	if (!(o->nms_iou > 0 && o->nms_iou <= 1))
		return kf_err_set(err, KF_E_INVALID, "NMS IoU must be above 0 and at most 1");
	if (o->tiny_size < 128 || o->tiny_size > 608 || o->tiny_size % 32)
		return kf_err_set(err, KF_E_INVALID,
				  "tiny input size must be a multiple of 32 from 128 to 608, not %d",
				  o->tiny_size);
	if (o->tiles != KF_TILES_AUTO && o->tiles != KF_TILES_OFF)
		return kf_err_set(err, KF_E_INVALID, "tiles must be auto or off");
	return KF_OK;
}

static int net_size(const struct kf_detect_opts *o)
{
	return o->detector == KF_DETECTOR_TINY ? o->tiny_size : KF_SSD_INPUT;
}

static int min_face(const struct kf_detect_opts *o)
{
	return o->detector == KF_DETECTOR_SSD ? KF_SSD_MIN_FACE : KF_TINY_MIN_FACE;
}

int kf_detect_tiled(const struct kf_detect_opts *o, int full_w, int full_h)
{
	int longest = full_w > full_h ? full_w : full_h;

	/* a single pass scales by net_size/longest */
	return o->detector != KF_DETECTOR_YUNET && o->tiles == KF_TILES_AUTO &&
	       (double)KF_DETECT_SMALL_FACE * net_size(o) / longest < min_face(o);
}

/* The finest scale (relative to the full photo): a small face becomes min_face,
 * but never above the full resolution. */
static double finest_scale(const struct kf_detect_opts *o)
{
	double s = (double)min_face(o) / KF_DETECT_SMALL_FACE;

	return s > 1 ? 1 : s;
}

/* YuNet's fine pass: the long side where a KF_DETECT_SMALL_FACE face has
 * KF_YUNET_MIN_FACE pixels, but no smaller than the coarse pass nor larger than
 * the photo. */
static int yunet_fine_side(int longest)
{
	int fine = (int)ceil((double)longest * KF_YUNET_MIN_FACE / KF_DETECT_SMALL_FACE);
	int floor_side = longest < KF_YUNET_COARSE_SIDE ? longest : KF_YUNET_COARSE_SIDE;

	return fine > floor_side ? fine : floor_side;
}

int kf_detect_min_side(const struct kf_detect_opts *o, int full_w, int full_h)
{
	int longest = full_w > full_h ? full_w : full_h;
	int single = KF_DETECT_DECODE_FACTOR * net_size(o), tiles;

	if (o->detector == KF_DETECTOR_YUNET)
		return yunet_fine_side(longest);
	if (!kf_detect_tiled(o, full_w, full_h))
		return single;
	if (finest_scale(o) >= 1)
		return 0;
	tiles = (int)ceil(longest * finest_scale(o));
	return tiles > single ? tiles : single;
}

static double sigmoid(double x)
{
	return 1.0 / (1.0 + exp(-x));
}

/* face-api computeReshapedDimensions: the image scaled so its long side is size. */
static void reshaped(int w, int h, int size, double *rw, double *rh)
{
	double scale = (double)size / (w > h ? w : h);

	*rw = round(w * scale);
	*rh = round(h * scale);
}

static double ssd_iou(const float *a, const float *b)
{
	double ay0 = fmin(a[0], a[2]), ax0 = fmin(a[1], a[3]), ay1 = fmax(a[0], a[2]),
	       ax1 = fmax(a[1], a[3]), by0 = fmin(b[0], b[2]), bx0 = fmin(b[1], b[3]),
	       by1 = fmax(b[0], b[2]), bx1 = fmax(b[1], b[3]);
	double aa = (ay1 - ay0) * (ax1 - ax0), ab = (by1 - by0) * (bx1 - bx0), inter;

	if (aa <= 0 || ab <= 0)
		return 0;
	inter = fmax(fmin(ay1, by1) - fmax(ay0, by0), 0) * fmax(fmin(ax1, bx1) - fmax(ax0, bx0), 0);
	return inter / (aa + ab - inter);
}

struct cand {
	float score;
	int index;
};

static int cand_desc(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	if (x->score != y->score)
		return x->score < y->score ? 1 : -1;
	return x->index - y->index;	/* stable, as JavaScript's sort */
}

/* SSD on region (rx, ry, rw, rh) of img; detections in img pixels. */
static int run_ssd(const struct kf_detector *d, const struct kf_detect_opts *o,
		   const struct kf_image *img, int rx, int ry, int rw, int rh, struct dets *out,
		   struct kf_arena *a, struct kf_err *err)
{
	const int S = KF_SSD_INPUT;
	float *in = kf_arena_alloc_array(a, (size_t)S * S * 3, sizeof(float));
	float *boxes = kf_arena_alloc_array(a, KF_SSD_ANCHORS * 4, sizeof(float));
	float *scores = kf_arena_alloc_array(a, KF_SSD_ANCHORS, sizeof(float));
	struct cand *c = kf_arena_alloc_array(a, KF_SSD_ANCHORS, sizeof(*c));
	int *sel = kf_arena_alloc_array(a, NMS_MAX, sizeof(int));
	int nc = 0, nsel = 0, rc;
	double rW, rH;

	if (!in || !boxes || !scores || !c || !sel)
		return kf_err_set(err, KF_E_NOMEM, "out of memory running the detector");
	if ((rc = kf_image_to_net_input(img, rx, ry, rw, rh, S, 0, in, err)) < 0 ||
	    (rc = kf_ssd_forward(d->ssd, in, boxes, scores, a, err)) < 0)
		return rc;
	for (int i = 0; i < KF_SSD_ANCHORS; i++)
		if (scores[i] > o->min_score)
			c[nc++] = (struct cand){ scores[i], i };
	if (nc > 1)
		qsort(c, (size_t)nc, sizeof(*c), cand_desc);
	for (int i = 0; i < nc && nsel < NMS_MAX; i++) {
		int keep = 1;

		for (int j = nsel - 1; j >= 0; j--)
			if (ssd_iou(boxes + 4 * c[i].index, boxes + 4 * sel[j]) > o->nms_iou) {
				keep = 0;
				break;
			}
		if (keep)
			sel[nsel++] = c[i].index;
	}
	reshaped(rw, rh, S, &rW, &rH);
	for (int i = 0; i < nsel; i++) {
		const float *b = boxes + 4 * sel[i];
		double top = fmax(0, b[0]) * (S / rH), bottom = fmin(1.0, b[2]) * (S / rH);
		double left = fmax(0, b[1]) * (S / rW), right = fmin(1.0, b[3]) * (S / rW);

		if ((rc = dets_push(out, (float)(rx + left * rw), (float)(ry + top * rh),
				    (float)((right - left) * rw), (float)((bottom - top) * rh),
				    scores[sel[i]])) < 0)
			return kf_err_set(err, rc, "out of memory running the detector");
	}
	return KF_OK;
}

/* ops/iou.ts on boxes given as x, y, w, h */
static double box_iou(const double *a, const double *b)
{
	double w = fmax(0, fmin(a[0] + a[2], b[0] + b[2]) - fmax(a[0], b[0]));
	double h = fmax(0, fmin(a[1] + a[3], b[1] + b[3]) - fmax(a[1], b[1]));
	double inter = w * h;

	return inter / (a[2] * a[3] + b[2] * b[3] - inter);
}

/* Tiny detector on region (rx, ry, rw, rh) of img; detections in img pixels. */
static int run_tiny(const struct kf_detector *d, const struct kf_detect_opts *o,
		    const struct kf_image *img, int rx, int ry, int rw, int rh, struct dets *out,
		    struct kf_arena *a, struct kf_err *err)
{
	const int S = o->tiny_size, cells = S / 32, nmax = cells * cells * TINY_ANCHORS;
	float *in = kf_arena_alloc_array(a, (size_t)S * S * 3, sizeof(float));
	float *grid = kf_arena_alloc_array(a, (size_t)nmax * 5, sizeof(float));
	double *box = kf_arena_alloc_array(a, (size_t)nmax * 4, sizeof(double));
	struct cand *c = kf_arena_alloc_array(a, (size_t)nmax, sizeof(*c));
	unsigned char *gone = kf_arena_alloc(a, (size_t)nmax);
	double rW, rH, corr_x, corr_y;
	int nc = 0, rc;

	if (!in || !grid || !box || !c || !gone)
		return kf_err_set(err, KF_E_NOMEM, "out of memory running the detector");
	if ((rc = kf_image_to_net_input(img, rx, ry, rw, rh, S, 0, in, err)) < 0 ||
	    (rc = kf_tiny_forward(d->tiny, in, S, grid, a, err)) < 0)
		return rc;
	reshaped(rw, rh, S, &rW, &rH);
	corr_x = fmax(rW, rH) / rW;
	corr_y = fmax(rW, rH) / rH;
	for (int row = 0; row < cells; row++)
		for (int col = 0; col < cells; col++)
			for (int k = 0; k < TINY_ANCHORS; k++) {
				const float *g = grid + ((size_t)(row * cells + col) * TINY_ANCHORS + k) * 5;
				double score = sigmoid(g[4]), cx, cy, w, h;

				if (!(score > o->min_score))
					continue;
				cx = (col + sigmoid(g[0])) / cells * corr_x;
				cy = (row + sigmoid(g[1])) / cells * corr_y;
				w = exp(g[2]) * tiny_anchors[k][0] / cells * corr_x;
				h = exp(g[3]) * tiny_anchors[k][1] / cells * corr_y;
				box[4 * nc + 0] = cx - w / 2;
				box[4 * nc + 1] = cy - h / 2;
				box[4 * nc + 2] = w;
				box[4 * nc + 3] = h;
				c[nc] = (struct cand){ (float)score, nc };
				nc++;
			}
	/* ops/nonMaxSuppression.ts: highest first, drop what overlaps it (IoU on
	 * boxes rescaled to the input size: the ratio is scale-free) */
	if (nc > 1)
		qsort(c, (size_t)nc, sizeof(*c), cand_desc);
	memset(gone, 0, (size_t)nc);
	for (int i = 0; i < nc; i++) {
		const double *b = box + 4 * c[i].index;

		if (gone[i])
			continue;
		for (int j = i + 1; j < nc; j++)
			if (!gone[j] && box_iou(b, box + 4 * c[j].index) > TINY_IOU)
				gone[j] = 1;
		if ((rc = dets_push(out, (float)(rx + b[0] * rw), (float)(ry + b[1] * rh),
				    (float)(b[2] * rw), (float)(b[3] * rh), c[i].score)) < 0)
			return kf_err_set(err, rc, "out of memory running the detector");
	}
	return KF_OK;
}

static int run_net(const struct kf_detector *d, const struct kf_detect_opts *o,
		   const struct kf_image *img, int rx, int ry, int rw, int rh,
		   struct dets *out, struct kf_arena *a, struct kf_err *err)
{
	if (o->detector == KF_DETECTOR_YUNET)
		return kf_err_set(err, KF_E_INVALID, "tiling is not for YuNet");
	if (o->detector == KF_DETECTOR_SSD) {
		if (!d->ssd)
			return kf_err_set(err, KF_E_INVALID, "the SSD detector is not loaded");
		return run_ssd(d, o, img, rx, ry, rw, rh, out, a, err);
	}
	if (!d->tiny)
		return kf_err_set(err, KF_E_INVALID, "the tiny detector is not loaded");
	return run_tiny(d, o, img, rx, ry, rw, rh, out, a, err);
}

static int run_region(const struct kf_detector *d, const struct kf_detect_opts *o,
		      const struct kf_image *img, int rx, int ry, int rw, int rh,
		      struct dets *out, struct kf_arena *a, struct kf_err *err)
{
	/* nothing of a pass outlives it: its scratch is given back */
	struct kf_arena_mark m = kf_arena_mark(a);
	int rc = run_net(d, o, img, rx, ry, rw, rh, out, a, err);

	kf_arena_rewind(a, m);
	return rc;
}

static int by_score(const void *a, const void *b)
{
	const struct kf_detection *x = a, *y = b;

	return x->score < y->score ? 1 : x->score > y->score ? -1 : 0;
}

static int by_area(const void *a, const void *b)
{
	const struct kf_detection *x = a, *y = b;
	float ax = x->box.width * x->box.height, ay = y->box.width * y->box.height;

	return ax < ay ? 1 : ax > ay ? -1 : by_score(a, b);
}

/* Does a overlap b: IoU above iou, or (iou == 0) any real overlap: IoU above
 * 0.1 or half of the smaller box covered. */
static int overlaps(const struct kf_box *a, const struct kf_box *b, float iou)
{
	float x0, y0, x1, y1, inter, amin;

	if (iou > 0)
		return kf_box_iou(a, b) > iou;
	x0 = fmaxf(a->x, b->x);
	y0 = fmaxf(a->y, b->y);
	x1 = fminf(a->x + a->width, b->x + b->width);
	y1 = fminf(a->y + a->height, b->y + b->height);
	if (x1 <= x0 || y1 <= y0)
		return 0;
	inter = (x1 - x0) * (y1 - y0);
	amin = fminf(a->width * a->height, b->width * b->height);
	return kf_box_iou(a, b) > 0.1f || inter > 0.5f * amin;
}

/* Search one scale: tiles of S x S pixels at `scale` (relative to the full
 * photo) with the given overlap (pixels at that scale). Detections touching a
 * tile's inner edge are dropped. */
static int run_scale(const struct kf_detector *d, const struct kf_detect_opts *o,
		     const struct kf_image *img, double img_scale, double scale, int overlap,
		     struct dets *out, struct kf_arena *a, struct kf_err *err)
{
	int S = net_size(o);
	/* tile side in decoded pixels */
	int tile = (int)ceil(S * img_scale / scale), step, rc;

	overlap = (int)ceil(overlap * img_scale / scale);
	if (overlap > tile / 2)
		overlap = tile / 2;
	step = tile - overlap;
	for (int y = 0;; y += step) {
		int th = y + tile > img->height ? img->height - y : tile;

		for (int x = 0;; x += step) {
			int tw = x + tile > img->width ? img->width - x : tile;
			size_t first = out->n;

			if ((rc = run_region(d, o, img, x, y, tw, th, out, a, err)) < 0)
				return rc;
			for (size_t i = first; i < out->n;) {
				const struct kf_box *b = &out->v[i].box;
				int inner = (x > 0 && b->x <= x + EDGE_EPS) ||
					    (y > 0 && b->y <= y + EDGE_EPS) ||
					    (x + tw < img->width && b->x + b->width >= x + tw - EDGE_EPS) ||
					    (y + th < img->height && b->y + b->height >= y + th - EDGE_EPS);

				if (inner)
					out->v[i] = out->v[--out->n];
				else
					i++;
			}
			if (x + tw >= img->width)
				break;
		}
		if (y + th >= img->height)
			break;
	}
	return KF_OK;
}

/* The single pass, then finer and finer scales (see detect.h). */
static int run_tiled(const struct kf_detector *d, const struct kf_detect_opts *o,
		     const struct kf_image *img, int full_w, int full_h, struct dets *out,
		     struct kf_arena *a, struct kf_err *err)
{
	double img_scale = (double)img->width / full_w;	/* decoded / full */
	double prev = (double)net_size(o) / (full_w > full_h ? full_w : full_h);
	double finest = finest_scale(o);
	int rc;

	/* scales evenly spaced from the single pass to the finest, each at most
	 * twice the previous one */
	int steps = prev < finest ? (int)ceil(log2(finest / prev) - 1e-9) : 0;
	double ratio = steps > 0 ? pow(finest / prev, 1.0 / steps) : 1;

	if ((rc = run_region(d, o, img, 0, 0, img->width, img->height, out, a, err)) < 0)
		return rc;
	for (int step = 1; step <= steps; step++) {
		double scale = step == steps ? finest : prev * ratio;
		/* the largest face the coarser scale may miss, at this scale */
		int overlap = (int)ceil(1.25 * min_face(o) * scale / prev);
		size_t kept = out->n, first = out->n;

		if ((rc = run_scale(d, o, img, img_scale, scale, overlap, out, a, err)) < 0)
			return rc;
		/* coarser faces stand; this scale adds the ones that overlap none of
		 * them, NMS'd among themselves, best score first */
		if (out->n - first > 1)
			qsort(out->v + first, out->n - first, sizeof(*out->v), by_score);
		for (size_t i = first; i < out->n; i++) {
			int keep = 1;

			for (size_t j = 0; j < kept && keep; j++)
				if (overlaps(&out->v[i].box, &out->v[j].box, j < first ? 0 : o->nms_iou))
					keep = 0;
			if (keep)
				out->v[kept++] = out->v[i];
		}
		out->n = kept;
		prev = scale;
	}
	return KF_OK;
}

/* YuNet's box (x, y, w, h) in the shape face-api's SSD gives the same face. */
static struct kf_box yunet_to_faceapi(struct kf_box r)
{
	float cx = r.x + r.width * (0.5f + KF_YUNET_BOX_DX);
	float cy = r.y + r.height * (0.5f + KF_YUNET_BOX_DY);
	float w = r.width * KF_YUNET_BOX_SW, h = r.height * KF_YUNET_BOX_SH;

	return (struct kf_box){ cx - w / 2, cy - h / 2, w, h };
}

/* One YuNet pass on img scaled to a long side of `side` (img itself when it is
 * within 15% of that); faces of at least min_w pixels of the pass's input are
 * added to out, in img pixels. */
static int yunet_pass(const struct kf_detector *d, const struct kf_detect_opts *o,
		      const struct kf_image *img, int side, int min_w, struct dets *out,
		      struct kf_arena *a, struct kf_err *err)
{
	struct kf_image scaled = { 0, 0, NULL };
	const struct kf_image *in = img;
	int longest = img->width > img->height ? img->width : img->height, rc;
	struct kf_yunet_face *f = NULL;
	struct kf_arena_mark m;
	size_t nf = 0;
	float back;

	if (longest > side * 1.15) {
		double s = (double)side / longest;
		int w = (int)lround(img->width * s), h = (int)lround(img->height * s);

		if ((rc = kf_image_resize(img, w > 0 ? w : 1, h > 0 ? h : 1, &scaled, err)) < 0)
			return rc;
		in = &scaled;
	}
	back = (float)img->width / (float)in->width;
	m = kf_arena_mark(a);
	rc = kf_yunet_detect(d->yunet, in->rgb, in->width, in->height, (size_t)in->width * 3,
			     o->min_score, KF_YUNET_NMS_IOU, &f, &nf, a, err);
	kf_arena_rewind(a, m);
	for (size_t i = 0; rc == KF_OK && i < nf; i++) {
		struct kf_detection *k;
		float x0 = f[i].x0, y0 = f[i].y0, x1 = f[i].x1, y1 = f[i].y1;

		/* boxes are not clipped: a face cut by the frame keeps its shape
		 * (core/engine.c describes it on a grey canvas) */
		if (x1 - x0 < (float)min_w || x1 <= 0 || y1 <= 0 || x0 >= (float)in->width ||
		    y0 >= (float)in->height)
			continue;
		if (!(k = dets_add(out))) {
			rc = kf_err_set(err, KF_E_NOMEM, "out of memory running the detector");
			break;
		}
		k->raw = (struct kf_box){ x0 * back, y0 * back, (x1 - x0) * back, (y1 - y0) * back };
		k->score = f[i].score;
		for (int j = 0; j < 10; j++)
			k->lm5[j] = f[i].lm[j] * back;
	}
	kf_free(f);
	kf_image_release(&scaled);
	return rc;
}

/* The coarse passes and the fine one (detect.h), then one list: best first, a
 * face that overlaps a better one is the same face (a large face the fine pass
 * cut in pieces, or a face two passes found). */
static int run_yunet(const struct kf_detector *d, const struct kf_detect_opts *o,
		     const struct kf_image *img, int full_w, int full_h, struct dets *out,
		     struct kf_arena *a, struct kf_err *err)
{
	int fine = yunet_fine_side(full_w > full_h ? full_w : full_h), rc = KF_OK;
	int side = fine / 2 < KF_YUNET_COARSE_SIDE ? fine / 2 : KF_YUNET_COARSE_SIDE;
	size_t kept = 0;

	if (!d->yunet)
		return kf_err_set(err, KF_E_INVALID, "the YuNet detector is not loaded");
	for (; fine >= KF_YUNET_COARSE_FROM && side >= KF_YUNET_COARSE_LAST; side /= 2)
		if ((rc = yunet_pass(d, o, img, side, KF_YUNET_COARSE_MIN, out, a, err)) < 0)
			return rc;
	if ((rc = yunet_pass(d, o, img, fine, 0, out, a, err)) < 0)
		return rc;
	if (out->n > 1)
		qsort(out->v, out->n, sizeof(*out->v), by_score);
	for (size_t i = 0; i < out->n; i++) {
		int dup = 0;

		for (size_t j = 0; j < kept && !dup; j++)
			dup = overlaps(&out->v[i].raw, &out->v[j].raw, 0);
		if (!dup)
			out->v[kept++] = out->v[i];
	}
	out->n = kept;
	for (size_t i = 0; i < out->n; i++)
		out->v[i].box = yunet_to_faceapi(out->v[i].raw);
	return KF_OK;
}

int kf_detect(const struct kf_detector *d, const struct kf_detect_opts *o,
	      const struct kf_image *img, int full_w, int full_h, struct kf_detection **out,
	      size_t *n, struct kf_arena *scratch, struct kf_err *err)
{
	struct dets found = { NULL, 0, 0 };
	double fx, fy;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = kf_detect_opts_check(o, err)) < 0)
		return rc;
	if (img->width < 1 || img->height < 1 || full_w < 1 || full_h < 1)
		return kf_err_set(err, KF_E_INVALID, "empty image");
	if (o->detector == KF_DETECTOR_YUNET)
		rc = run_yunet(d, o, img, full_w, full_h, &found, scratch, err);
	else if (kf_detect_tiled(o, full_w, full_h))
		rc = run_tiled(d, o, img, full_w, full_h, &found, scratch, err);
	else
		rc = run_region(d, o, img, 0, 0, img->width, img->height, &found, scratch, err);
	if (rc < 0) {
		kf_free(found.v);
		return rc;
	}
	/* more faces than allowed: keep the largest (as Rekognition does) */
	if (found.n > (size_t)o->max_faces) {
		qsort(found.v, found.n, sizeof(*found.v), by_area);
		found.n = (size_t)o->max_faces;
	}
	if (found.n > 1)
		qsort(found.v, found.n, sizeof(*found.v), by_score);
	fx = (double)full_w / img->width;
	fy = (double)full_h / img->height;
	for (size_t i = 0; i < found.n; i++) {
		struct kf_box *b = &found.v[i].box;

		struct kf_box *r = &found.v[i].raw;

		b->x = (float)(b->x * fx);
		b->y = (float)(b->y * fy);
		b->width = (float)(b->width * fx);
		b->height = (float)(b->height * fy);
		if (o->detector != KF_DETECTOR_YUNET) {
			*r = *b;
			continue;
		}
		r->x = (float)(r->x * fx);
		r->y = (float)(r->y * fy);
		r->width = (float)(r->width * fx);
		r->height = (float)(r->height * fy);
		for (int k = 0; k < 10; k += 2) {
			found.v[i].lm5[k] = (float)(found.v[i].lm5[k] * fx);
			found.v[i].lm5[k + 1] = (float)(found.v[i].lm5[k + 1] * fy);
		}
	}
	*out = found.v;
	*n = found.n;
	return KF_OK;
}
