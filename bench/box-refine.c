/* bench/box-refine.c: does refining YuNet's landmark crop from the landmarks
 * themselves bring its descriptors closer to those from face-api's SSD boxes
 * (issue 16, docs/internals/detect.md "Descriptors")?
 *
 *   box-refine MODEL_DIR YUNET_DIR IMAGE...
 *
 * Each image is searched with SSD (tiles off) and YuNet, both described as
 * `kingface detect --descriptors` does (kf_engine_faces); faces are paired as
 * bench/yunet-box-fit pairs them (SSD's box against YuNet's raw box, IoU >=
 * 0.4). Then, for each pair, the landmark net runs on YuNet's mapped box
 * (L0, kingface today), a box in SSD's shape is derived from the 68 points,
 * the landmark net runs again on it, and the face is aligned and described as
 * usual. The box from the points: a geometry (bb: the points' bounding box;
 * em: the mean of the eye and mouth centres, sized by the mean eye-to-mouth
 * distance, what kf_face_align_dlib uses), its centre moved by (dx, dy) of its
 * size and scaled by (sw, sh): the medians of SSD's box relative to it over
 * the pairs, fitted here on L0 or on the landmarks from SSD's own box (Lssd).
 * Variants, named GEOMETRY-FIT-PASSES:
 *   mapped          the mapped box, one landmark pass (kingface today)
 *   bb-L0-1, -2     the landmark box, one or two refinement passes
 *   avg-bb-L0-1,-2  the mean of the landmark box and the previous pass's box
 *   em-..., *-Lssd-1  the same with the other geometry or fit
 *   ssd (check)     SSD's own box: 0, or the canvas changed something
 * Each face is described on a grey canvas around it (as the engine does for a
 * face at the edge), so that a refined box may leave the photo; the check line
 * "canvas vs engine" must read 0. Prints the fits, the landmark net's cost per
 * face (thread CPU, median: what one refinement pass adds) next to the whole
 * landmarks + descriptor of a face, and per variant
 * the descriptor distance to the SSD face's (median, p90, max, within 0.05)
 * and the median IoU of the landmark box with SSD's.
 *
 * Run (the faces of bench/yunet-box-fit; CROPS: the 40 dev identity photos,
 * each centred on 300x300 grey, e.g. `convert F -background 'rgb(128,128,128)'
 * -gravity center -extent 300x300 CROPS/NAME.png`):
 *   taskset -c 1 build-bench/box-refine .deps/face-api/model models/yunet \
 *     .deps/face-api/demo/sample[1-6].jpg tests/data/datasets/dev/groups/bbt[1-5].jpg \
 *     CROPS/[a-z]*.png
 *
 * Build: cc -std=c11 -D_GNU_SOURCE -O2 -I. bench/box-refine.c \
 *   build-bench/libkf_core.a -lcjson -lcrypto -ljpeg -lpng -lm -lpthread \
 *   -o build-bench/box-refine
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "core/engine.h"
#include "core/face.h"
#include "core/image.h"
#include "core/nn_facerec.h"
#include "core/nn_landmark.h"

#define MAXP 512
#define NV 16

struct pair {
	struct kf_image canvas;	/* the face's surroundings, grey outside the photo */
	int ox, oy;		/* canvas origin in the photo */
	struct kf_box ssd, yun;	/* photo pixels */
	float ssd_desc[KF_DESC_DIM], yun_desc[KF_DESC_DIM];
	float lm0[136];		/* landmarks from the mapped box, photo pixels */
	float lms[136];		/* landmarks from SSD's box (the engine's) */
};

static struct pair P[MAXP];
static int np;

static double now_cpu(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmpd);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double quant(double *v, int n, double q)
{
	qsort(v, (size_t)n, sizeof(*v), cmpd);
	return v[(int)floor(q * (n - 1) + 0.5)];
}

static double l2(const float *a, const float *b)
{
	double s = 0;

	for (int i = 0; i < KF_DESC_DIM; i++)
		s += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
	return sqrt(s);
}

/* A landmark geometry: a centre and a size (x, y) in photo pixels. */
enum geom { BBOX, EYEMOUTH, NGEOM };

static void centre(const float *lm, int from, int n, double *x, double *y)
{
	*x = *y = 0;
	for (int i = from; i < from + n; i++) {
		*x += lm[2 * i];
		*y += lm[2 * i + 1];
	}
	*x /= n;
	*y /= n;
}

/* BBOX: the bounding box of the 68 points. EYEMOUTH: the mean of the eye and
 * mouth centres, and the mean eye-to-mouth distance as both sizes (what
 * kf_face_align_dlib builds the descriptor crop from). */
static void geometry(enum geom g, const float *lm, double *cx, double *cy, double *sx,
		     double *sy)
{
	if (g == BBOX) {
		float x0 = lm[0], x1 = lm[0], y0 = lm[1], y1 = lm[1];

		for (int i = 1; i < 68; i++) {
			x0 = fminf(x0, lm[2 * i]);
			x1 = fmaxf(x1, lm[2 * i]);
			y0 = fminf(y0, lm[2 * i + 1]);
			y1 = fmaxf(y1, lm[2 * i + 1]);
		}
		*cx = (x0 + x1) / 2.0;
		*cy = (y0 + y1) / 2.0;
		*sx = x1 - x0;
		*sy = y1 - y0;
	} else {
		double e1x, e1y, e2x, e2y, mx, my;

		centre(lm, 36, 6, &e1x, &e1y);
		centre(lm, 42, 6, &e2x, &e2y);
		centre(lm, 48, 20, &mx, &my);
		*cx = (e1x + e2x + mx) / 3;
		*cy = (e1y + e2y + my) / 3;
		*sx = *sy = (hypot(mx - e1x, my - e1y) + hypot(mx - e2x, my - e2y)) / 2;
	}
}

/* SSD's box relative to a geometry: centre shift in sizes, size ratios. */
struct fit {
	enum geom g;
	double dx, dy, sw, sh;
};

static void relative(enum geom g, const float *lm, const struct kf_box *s, double *r)
{
	double cx, cy, sx, sy;

	geometry(g, lm, &cx, &cy, &sx, &sy);
	r[0] = (s->x + s->width / 2 - cx) / sx;
	r[1] = (s->y + s->height / 2 - cy) / sy;
	r[2] = s->width / sx;
	r[3] = s->height / sy;
}

static struct kf_box lm_box(const struct fit *f, const float *lm)
{
	double cx, cy, sx, sy, w, h;

	geometry(f->g, lm, &cx, &cy, &sx, &sy);
	cx += f->dx * sx;
	cy += f->dy * sy;
	w = f->sw * sx;
	h = f->sh * sy;
	return (struct kf_box){ (float)(cx - w / 2), (float)(cy - h / 2), (float)w, (float)h };
}

static struct kf_box avg(struct kf_box a, struct kf_box b)
{
	return (struct kf_box){ (a.x + b.x) / 2, (a.y + b.y) / 2, (a.width + b.width) / 2,
				(a.height + b.height) / 2 };
}

/* Landmarks (photo pixels) and, when desc, the descriptor of the face of p on box b. */
static int run(const struct kf_face_nets *nets, struct pair *p, struct kf_box b, float *lm,
	       float *desc, struct kf_arena *a)
{
	struct kf_err err = { 0 };
	int rc;

	b.x -= (float)p->ox;
	b.y -= (float)p->oy;
	kf_arena_reset(a);
	rc = kf_face_describe_flags(nets, &p->canvas, &b, 0, lm, desc, NULL, a, &err);
	if (rc < 0) {
		fprintf(stderr, "box-refine: %s\n", err.msg);
		return rc;
	}
	for (int k = 0; k < 68; k++) {
		lm[2 * k] += (float)p->ox;
		lm[2 * k + 1] += (float)p->oy;
	}
	return KF_OK;
}

static int canvas(const struct kf_image *img, const struct kf_box *b, struct pair *p)
{
	int m = (int)ceilf(fmaxf(b->width, b->height) * 1.5f);
	int x0 = (int)floorf(b->x) - m, y0 = (int)floorf(b->y) - m;
	int w = (int)ceilf(b->width) + 2 * m, h = (int)ceilf(b->height) + 2 * m;

	if (!(p->canvas.rgb = kf_malloc((size_t)w * (size_t)h * 3)))
		return -1;
	p->canvas.width = w;
	p->canvas.height = h;
	memset(p->canvas.rgb, 128, (size_t)w * (size_t)h * 3);
	for (int y = y0 > 0 ? y0 : 0; y < y0 + h && y < img->height; y++) {
		int a = x0 > 0 ? x0 : 0, e = x0 + w < img->width ? x0 + w : img->width;

		if (e > a)
			memcpy(p->canvas.rgb + ((size_t)(y - y0) * (size_t)w + (size_t)(a - x0)) * 3,
			       img->rgb + ((size_t)y * (size_t)img->width + (size_t)a) * 3,
			       (size_t)(e - a) * 3);
	}
	p->ox = x0;
	p->oy = y0;
	return 0;
}

int main(int argc, char **argv)
{
	struct kf_engine *e = NULL;
	struct kf_landmark *lmnet = NULL;
	struct kf_facerec *frnet = NULL;
	struct kf_arena a;
	struct kf_err err = { 0 };
	struct kf_detect_opts so = KF_DETECT_OPTS_DEFAULT, yo = KF_DETECT_OPTS_DEFAULT;
	unsigned fl = KF_FIND_DESCRIPTORS;
	static double dist[NV][MAXP], iou[NV][MAXP], cost[MAXP], full_cost[MAXP], col[4][MAXP];
	static char vname[NV][32];
	struct fit fits[4];
	int nv = 0;

	if (argc < 4) {
		fprintf(stderr, "usage: box-refine MODEL_DIR YUNET_DIR IMAGE...\n");
		return 2;
	}
	so.detector = KF_DETECTOR_SSD;
	so.tiles = KF_TILES_OFF;
	kf_arena_init(&a);
	if (kf_engine_load(&e, argv[1], argv[2],
			   KF_ENGINE_SSD | KF_ENGINE_YUNET | KF_ENGINE_DESCRIPTORS, &err) < 0 ||
	    kf_landmark_load(&lmnet, argv[1], &err) < 0 || kf_facerec_load(&frnet, argv[1], &err) < 0) {
		fprintf(stderr, "box-refine: %s\n", err.msg);
		return 1;
	}
	struct kf_face_nets nets = { lmnet, frnet };

	for (int i = 3; i < argc; i++) {
		uint8_t *buf = NULL;
		size_t len = 0, ns = 0, ny = 0;
		struct kf_face *sf = NULL, *yf = NULL;
		struct kf_image full = { 0, 0, NULL };

		if (kf_image_read_file(argv[i], &buf, &len, &err) < 0 ||
		    kf_engine_faces(e, &so, buf, len, fl, &sf, &ns, NULL, NULL, &a, &err) < 0 ||
		    kf_engine_faces(e, &yo, buf, len, fl, &yf, &ny, NULL, NULL, &a, &err) < 0 ||
		    kf_image_decode(buf, len, 0, &full, NULL, &err) < 0) {
			fprintf(stderr, "box-refine: %s: %s\n", argv[i], err.msg);
			return 1;
		}
		for (size_t s = 0; s < ns; s++) {
			size_t best = 0;
			float bi = -1;

			for (size_t y = 0; y < ny; y++) {
				float v = kf_box_iou(&sf[s].box, &yf[y].raw);

				if (v > bi) {
					bi = v;
					best = y;
				}
			}
			if (bi < 0.4f || !sf[s].has_descriptor || !yf[best].has_descriptor ||
			    np == MAXP)
				continue;
			struct pair *p = &P[np];

			p->ssd = sf[s].box;
			p->yun = yf[best].box;
			memcpy(p->ssd_desc, sf[s].descriptor, sizeof(p->ssd_desc));
			memcpy(p->yun_desc, yf[best].descriptor, sizeof(p->yun_desc));
			memcpy(p->lms, sf[s].landmarks, sizeof(p->lms));
			if (canvas(&full, &p->yun, p) < 0)
				return 1;
			np++;
		}
		kf_free(sf);
		kf_free(yf);
		kf_free(buf);
		kf_image_release(&full);
	}

	/* L0 and the check that the canvas gives the engine's descriptor */
	double maxdiff = 0;

	for (int k = 0; k < np; k++) {
		float d[KF_DESC_DIM], lm[136];
		double t0 = now_cpu();

		if (run(&nets, &P[k], P[k].yun, lm, NULL, &a) < 0)
			return 1;
		cost[k] = now_cpu() - t0;
		t0 = now_cpu();
		if (run(&nets, &P[k], P[k].yun, P[k].lm0, d, &a) < 0)
			return 1;
		full_cost[k] = now_cpu() - t0;
		maxdiff = fmax(maxdiff, l2(d, P[k].yun_desc));
	}
	printf("%d faces found by both detectors in %d images\n", np, argc - 3);
	printf("canvas vs engine descriptor (mapped box): max distance %.5f\n", maxdiff);
	printf("per face (thread CPU, median): landmarks %.1f ms, landmarks + descriptor %.1f ms\n",
	       median(cost, np), median(full_cost, np));
	/* fits: each geometry, on the landmarks from the mapped box (0, 1) and from SSD's box (2, 3) */
	for (int f = 0; f < 4; f++) {
		double r[4];

		fits[f].g = (enum geom)(f % 2);
		for (int k = 0; k < np; k++) {
			relative(fits[f].g, f < 2 ? P[k].lm0 : P[k].lms, &P[k].ssd, r);
			for (int c = 0; c < 4; c++)
				col[c][k] = r[c];
		}
		fits[f].dx = median(col[0], np);
		fits[f].dy = median(col[1], np);
		fits[f].sw = median(col[2], np);
		fits[f].sh = median(col[3], np);
		printf("fit %s on %s: dx %.4f dy %.4f sw %.4f sh %.4f\n",
		       f % 2 ? "eye-mouth" : "bbox", f < 2 ? "L0 (mapped box)" : "L_ssd (SSD's box)",
		       fits[f].dx, fits[f].dy, fits[f].sw, fits[f].sh);
	}

	for (int k = 0; k < np; k++) {
		struct pair *p = &P[k];
		float lm[136], d[KF_DESC_DIM];
		int v = 0;

		dist[v][k] = l2(p->yun_desc, p->ssd_desc);
		iou[v++][k] = kf_box_iou(&p->yun, &p->ssd);
		snprintf(vname[0], sizeof(vname[0]), "mapped");
		for (int f = 0; f < 4; f++)
			for (int mode = 0; mode < 2; mode++) {	/* landmark box, mean with the previous */
				struct kf_box b = p->yun;

				memcpy(lm, p->lm0, sizeof(lm));
				for (int pass = 1; pass <= (f < 2 ? 2 : 1); pass++) {
					struct kf_box l = lm_box(&fits[f], lm);

					b = mode ? avg(b, l) : l;
					if (run(&nets, p, b, lm, d, &a) < 0)
						return 1;
					snprintf(vname[v], sizeof(vname[v]), "%s%s-%s-%d",
						 mode ? "avg-" : "", f % 2 ? "em" : "bb",
						 f < 2 ? "L0" : "Lssd", pass);
					dist[v][k] = l2(d, p->ssd_desc);
					iou[v++][k] = kf_box_iou(&b, &p->ssd);
				}
			}
		if (run(&nets, p, p->ssd, lm, d, &a) < 0)
			return 1;
		snprintf(vname[v], sizeof(vname[v]), "ssd (check)");
		dist[v][k] = l2(d, p->ssd_desc);
		iou[v++][k] = 1;
		nv = v;
	}
	printf("\n%-16s %8s %8s %8s %10s %10s\n", "variant", "median", "p90", "max", "<=0.05",
	       "IoU median");
	for (int v = 0; v < nv; v++) {
		int within = 0;

		for (int k = 0; k < np; k++)
			within += dist[v][k] <= 0.05;
		printf("%-16s %8.4f %8.4f %8.4f %7d/%-3d %9.3f\n", vname[v], median(dist[v], np),
		       quant(dist[v], np, 0.9), quant(dist[v], np, 1.0), within, np,
		       median(iou[v], np));
	}
	for (int k = 0; k < np; k++)
		kf_image_release(&P[k].canvas);
	kf_engine_free(e);
	kf_landmark_free(lmnet);
	kf_facerec_free(frnet);
	kf_arena_release(&a);
	return 0;
}
