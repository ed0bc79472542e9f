/* bench/accuracy.c: how well kingface's descriptors separate the same person
 * from different people (issue 17). Plain text, stable, to diff before/after
 * a change.
 *
 *   accuracy [options]
 *     --root DIR        the source tree (default .): models/yunet,
 *                       tests/data/datasets/dev, .deps/face-api/{model,demo}
 *     --labelled DIR    more labelled faces (repeatable): DIR/<identity>/<photo>,
 *                       photos .jpg, .jpeg or .png; the set is named after DIR
 *     --groups FILE...  more group photos (until the next option): their faces
 *                       are only paired with each other, as different people
 *     --mirror off|on|both   descriptors of the aligned crop (off), averaged
 *                       with its mirror's (on, face.h KF_FACE_MIRROR), or a
 *                       report for each (both); default: the engine's default
 *     --quality         a landmark quality check (yaw, blur; below): what it
 *                       would reject and the separation of what is left
 *     --cluster [PHOTO...]  the clustering of `kingface people` (below, "clustering"):
 *                       purity and completeness at several distances; each PHOTO
 *                       is also clustered alone
 *     --dump FILE       every face as TSV, a header line then one line per face
 *                       and variant: variant (plain, mirror), set, source,
 *                       identity ("" for unlabelled), face index (in
 *                       kf_engine_faces' order), box width, d0..d127
 *
 * Faces: labelled photos (the dev identities, --labelled) are searched as
 * `kingface identify` does (kf_engine_faces with KF_FIND_PAD_RETRY) and give
 * their largest face; the demo samples (strangers), the dev group photos
 * (bbt*.jpg) and --groups give all their faces, as `process` finds them. Only
 * recognizable faces (too_small == 0) count.
 *
 * Pairs, by Euclidean distance:
 *   genuine       two faces of one identity of one labelled set
 *   imp-labelled  two labelled faces of different identities (any sets)
 *   imp-photo     two faces of one photo (samples, dev groups, --groups)
 *   imp-stranger  a demo sample face and a labelled face
 * The dev groups show the dev identities' cast: they are never paired with
 * labelled faces, and the samples share people across photos: they are paired
 * within a photo only. Reports, per variant of the descriptor:
 *  - histograms (0.05 bins) and statistics of each kind of pair;
 *  - the separation of genuine and impostor pairs: d' = (mu_imp - mu_gen) /
 *    sqrt((sd_gen^2 + sd_imp^2) / 2), the EER (accepting d <= t, at the t
 *    where FNMR and FMR are closest) and the FNMR at FMR 1e-3 (empirical: the
 *    threshold below which at most 1e-3 of the impostor pairs fall), for all
 *    pairs, for dev (its pairs, the samples against it, the within-photo
 *    pairs of the samples and the dev groups) and for each --labelled set
 *    (its pairs, the samples against it); then every pair on the wrong side
 *    of 0.6;
 *  - the identification protocol of tests/data/datasets/README.md on each
 *    labelled set: the first file of each identity (by name) enrolled, the
 *    others identified; per probe the right client's distance and the best
 *    wrong one; hits and false matches at distance 0.6 (similarity 80);
 *  - several references per client: for R = 1, 2, 3 every choice of R of an
 *    identity's files as its references (the same choice for every identity),
 *    the other files probes and the sample faces strangers, pooled over the
 *    choices; a client scored best-of (kingface today), by the mean distance
 *    to its references, or by the distance to their mean descriptor;
 *  - with --quality, what the quality check below would reject.
 *
 * Build (bench/accuracy does it):
 *   cc -std=c11 -D_GNU_SOURCE -O2 -I. bench/accuracy.c build-bench/libkf_core.a \
 *      -lcjson -lcrypto -ljpeg -lpng -lm -lpthread -o build-bench/accuracy
 */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "core/cluster.h"
#include "core/engine.h"
#include "core/face.h"
#include "core/image.h"
#include "core/nn_facerec.h"
#include "core/nn_landmark.h"
#include "core/assign.h"
#include "core/search.h"
#include "core/threshold.h"

#define MAX_SETS 8
#define MAX_IDS 64
#define MAX_PHOTOS 1024
#define MAX_FACES 4096
#define DIM KF_DESC_DIM
#define THRESHOLD 0.6	/* similarity 80 */
#define NBINS 30	/* 0.05 wide, the last one open */
#define DEFAULT_VARIANT 0	/* what kf_engine_faces gives by default: plain */

enum kind { KIND_LABELLED, KIND_STRANGERS, KIND_GROUPS };
enum pair { GEN, IMP_LAB, IMP_PHOTO, IMP_STRANGER, IMP_ALL, NPAIRS };
static const char *const pair_name[NPAIRS] = {
	"genuine", "imp-labelled", "imp-photo", "imp-stranger", "impostor"
};

struct set {
	char name[64];
	enum kind kind;
	int ids;
	char id[MAX_IDS][128];
};

struct photo {
	char path[2048];
	int set, id;		/* id: index in the set's ids, -1 unlabelled */
	int rank;		/* position of the file within its identity, by name */
};

/* the quality check's measures (below) */
struct quality {
	float yaw, blur;
};

struct face {
	int photo, set, id, rank, index;
	float width;
	float desc[2][DIM];	/* plain, mirrored */
	struct quality q;
};

struct vec {
	double *v;
	size_t n, cap;
};

static struct {
	struct set sets[MAX_SETS];
	int nsets;
	struct photo photos[MAX_PHOTOS];
	int nphotos;
	struct face faces[MAX_FACES];
	int nfaces;
	int variant;	/* 0 plain, 1 mirrored */
	double ms_face[2];	/* describe time per face, median */
} g;

static void die(const char *fmt, const char *a)
{
	fprintf(stderr, "accuracy: ");
	fprintf(stderr, fmt, a);
	fputc('\n', stderr);
	exit(1);
}

static void push(struct vec *v, double x)
{
	if (v->n == v->cap) {
		v->cap = v->cap ? 2 * v->cap : 256;
		if (!(v->v = realloc(v->v, v->cap * sizeof(double))))
			die("%s", "out of memory");
	}
	v->v[v->n++] = x;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ---- inputs ------------------------------------------------------------ */

static int has_ext(const char *name, const char *const *exts)
{
	const char *dot = strrchr(name, '.');

	for (; dot && *exts; exts++)
		if (strcasecmp(dot + 1, *exts) == 0)
			return 1;
	return 0;
}

/* The entries of dir (directories when dirs, else image files), sorted by
 * name; *n gets the count. Caller frees each and the array. */
static char **list_dir(const char *dir, int dirs, int *n)
{
	static const char *const exts[] = { "jpg", "jpeg", "png", NULL };
	DIR *d = opendir(dir);
	struct dirent *de;
	char **v = NULL;
	int cap = 0;

	*n = 0;
	if (!d)
		die("cannot open folder '%s'", dir);
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (dirs ? de->d_type != DT_DIR : (de->d_type == DT_DIR || !has_ext(de->d_name, exts)))
			continue;
		if (*n == cap && !(v = realloc(v, (size_t)(cap = cap ? 2 * cap : 16) * sizeof(*v))))
			die("%s", "out of memory");
		if (!(v[(*n)++] = strdup(de->d_name)))
			die("%s", "out of memory");
	}
	closedir(d);
	if (*n)
		qsort(v, (size_t)*n, sizeof(*v), cmp_str);
	return v;
}

static void add_photo(const char *path, int set, int id, int rank)
{
	struct photo *p;

	if (g.nphotos == MAX_PHOTOS)
		die("%s", "too many photos");
	p = &g.photos[g.nphotos++];
	snprintf(p->path, sizeof(p->path), "%s", path);
	p->set = set;
	p->id = id;
	p->rank = rank;
}

static int new_set(const char *name, enum kind kind)
{
	if (g.nsets == MAX_SETS)
		die("%s", "too many sets");
	snprintf(g.sets[g.nsets].name, sizeof(g.sets[0].name), "%s", name);
	g.sets[g.nsets].kind = kind;
	return g.nsets++;
}

/* DIR/<identity>/<files> */
static void add_labelled(const char *name, const char *dir)
{
	int set = new_set(name, KIND_LABELLED), nid, nf;
	char **ids = list_dir(dir, 1, &nid), path[2048];

	if (nid > MAX_IDS)
		die("too many identities in '%s'", dir);
	for (int i = 0; i < nid; i++) {
		char **files;

		snprintf(g.sets[set].id[i], sizeof(g.sets[set].id[i]), "%s", ids[i]);
		snprintf(path, sizeof(path), "%s/%s", dir, ids[i]);
		files = list_dir(path, 0, &nf);
		for (int k = 0; k < nf; k++) {
			snprintf(path, sizeof(path), "%s/%s/%s", dir, ids[i], files[k]);
			add_photo(path, set, i, k);
			free(files[k]);
		}
		free(files);
		free(ids[i]);
	}
	g.sets[set].ids = nid;
	free(ids);
}

/* the files of dir whose names start with prefix */
static void add_unlabelled_dir(const char *name, enum kind kind, const char *dir,
			       const char *prefix)
{
	int set = new_set(name, kind), nf;
	char **files = list_dir(dir, 0, &nf), path[2048];

	for (int k = 0; k < nf; k++) {
		if (strncmp(files[k], prefix, strlen(prefix)) == 0) {
			snprintf(path, sizeof(path), "%s/%s", dir, files[k]);
			add_photo(path, set, -1, k);
		}
		free(files[k]);
	}
	free(files);
}

static const char *base(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* "identity/file" for a labelled face, "file#index" for the others */
static const char *face_name(const struct face *f, char *buf, size_t n)
{
	const char *file = base(g.photos[f->photo].path);

	if (f->id >= 0)
		snprintf(buf, n, "%s/%s", g.sets[f->set].id[f->id], file);
	else
		snprintf(buf, n, "%s#%d", file, f->index);
	return buf;
}

/* ---- the quality check (step 5c, dropped: docs/internals/nn.md) -------------
 *
 * yaw: the nose tip (point 30) projected on the line through the outer eye
 * corners (points 36 and 45) falls at t = 0.5 of the way for a frontal face
 * and towards one corner as the head turns; yaw = |2t - 1|, clamped to 0..1
 * (0 frontal, about 0.3 at a three-quarter view, 1 a profile or worse).
 * blur: the variance of the 4-neighbour Laplacian of the grey (BT.601 luma)
 * dlib-aligned crop (face.h step 3, clipped to the photo) resampled
 * bilinearly to 150x150, in grey levels squared: low when blurred.
 */
static float quality_yaw(const float *lm)
{
	double ax = lm[2 * 36], ay = lm[2 * 36 + 1], bx = lm[2 * 45], by = lm[2 * 45 + 1];
	double nx = lm[2 * 30], ny = lm[2 * 30 + 1];
	double ex = bx - ax, ey = by - ay, len2 = ex * ex + ey * ey, t, yaw;

	if (!(len2 > 1e-12) || !isfinite(nx + ny + len2))
		return 1;
	t = ((nx - ax) * ex + (ny - ay) * ey) / len2;
	yaw = fabs(2 * t - 1);
	return (float)(yaw < 1 ? yaw : 1);
}

/* the luma of img at (x, y), bilinear, x and y inside [0, w - 1] x [0, h - 1] */
static double luma(const struct kf_image *img, double x, double y)
{
	int x0 = (int)x, y0 = (int)y;
	int x1 = x0 + 1 < img->width ? x0 + 1 : x0, y1 = y0 + 1 < img->height ? y0 + 1 : y0;
	double fx = x - x0, fy = y - y0, v[4];
	const int xs[4] = { x0, x1, x0, x1 }, ys[4] = { y0, y0, y1, y1 };

	for (int k = 0; k < 4; k++) {
		const uint8_t *p = img->rgb + ((size_t)ys[k] * (size_t)img->width + (size_t)xs[k]) * 3;

		v[k] = 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
	}
	return (v[0] * (1 - fx) + v[1] * fx) * (1 - fy) + (v[2] * (1 - fx) + v[3] * fx) * fy;
}

static int face_quality(const struct kf_image *img, const float *landmarks,
			struct quality *q, struct kf_err *err)
{
	enum { S = 150 };
	float grey[S * S];
	double pts[136], sum = 0, sum2 = 0;
	struct kf_face_rect al, r;
	int n = 0;

	q->yaw = q->blur = 0;
	if (!img || !img->rgb || img->width < 1 || img->height < 1)
		return kf_err_set(err, KF_E_INVALID, "empty image");
	for (int i = 0; i < 136; i++)
		pts[i] = landmarks[i];
	kf_face_align_dlib(pts, img->width, img->height, &al);
	if (!kf_face_clip(al.x, al.y, al.width, al.height, img->width, img->height, &r))
		return kf_err_set(err, KF_E_NOFACE, "aligned box %d,%d %dx%d is outside the %dx%d image",
				  al.x, al.y, al.width, al.height, img->width, img->height);
	for (int v = 0; v < S; v++)
		for (int u = 0; u < S; u++) {
			double x = r.x + (u + 0.5) * r.width / S - 0.5;
			double y = r.y + (v + 0.5) * r.height / S - 0.5;

			x = x < 0 ? 0 : x > img->width - 1 ? img->width - 1 : x;
			y = y < 0 ? 0 : y > img->height - 1 ? img->height - 1 : y;
			grey[v * S + u] = (float)luma(img, x, y);
		}
	for (int v = 1; v < S - 1; v++)
		for (int u = 1; u < S - 1; u++) {
			const float *p = grey + v * S + u;
			double l = (double)p[-1] + p[1] + p[-S] + p[S] - 4.0 * p[0];

			sum += l;
			sum2 += l * l;
			n++;
		}
	q->yaw = quality_yaw(landmarks);
	q->blur = (float)(sum2 / n - (sum / n) * (sum / n));
	return KF_OK;
}

/* ---- faces --------------------------------------------------------------- */

static double cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* kf_engine_faces on every photo, once per variant wanted; the faces found
 * must be the same (the detection does not depend on the variant). */
static void find_faces(const struct kf_engine *e, const int *want, int quality)
{
	struct kf_detect_opts o = KF_DETECT_OPTS_DEFAULT;
	struct kf_arena arena;
	struct kf_err err = KF_ERR_INIT;

	kf_arena_init(&arena);
	for (int p = 0; p < g.nphotos; p++) {
		const struct photo *ph = &g.photos[p];
		int labelled = g.sets[ph->set].kind == KIND_LABELLED, first = g.nfaces;
		struct kf_image img = { 0, 0, NULL };
		uint8_t *buf = NULL;
		size_t len;

		if (kf_image_read_file(ph->path, &buf, &len, &err) < 0)
			die("%s", err.msg);
		if (quality && kf_image_load(ph->path, 0, &img, NULL, &err) < 0)
			die("%s", err.msg);
		for (int v = 0, done = 0; v < 2; v++) {
			unsigned flags = KF_FIND_DESCRIPTORS | (labelled ? KF_FIND_PAD_RETRY : 0) |
					 (v ? KF_FIND_MIRROR : 0);
			struct kf_face *f = NULL;
			size_t n = 0;
			int k = first, again = 0;

			if (!want[v])
				continue;
			if (kf_engine_faces(e, &o, buf, len, flags, &f, &n, NULL, NULL, &arena, &err) < 0)
				die("%s", err.msg);
			for (size_t i = 0; i < n; i++) {
				struct face *fa;

				if (f[i].too_small || !f[i].has_descriptor)
					continue;
				if (done) {	/* the faces the first variant kept */
					for (k = first; k < g.nfaces && g.faces[k].index != (int)i; k++)
						;
					if (k < g.nfaces) {
						memcpy(g.faces[k].desc[v], f[i].descriptor,
						       sizeof(g.faces[k].desc[v]));
						again++;
					}
					continue;
				}
				if (labelled && k > first) {	/* keep the largest */
					if (f[i].box.width <= g.faces[first].width)
						continue;
					k = first;
				}
				if (k == MAX_FACES)
					die("%s", "too many faces");
				fa = &g.faces[k];
				fa->photo = p;
				fa->set = ph->set;
				fa->id = ph->id;
				fa->rank = ph->rank;
				fa->index = (int)i;
				fa->width = f[i].box.width;
				if (quality && face_quality(&img, f[i].landmarks, &fa->q, &err) < 0)
					die("%s", err.msg);
				memcpy(fa->desc[v], f[i].descriptor, sizeof(fa->desc[v]));
				k++;
			}
			if (done && again != g.nfaces - first)
				die("faces of '%s' differ between variants", ph->path);
			if (!done)
				g.nfaces = k;
			done = 1;
			kf_free(f);
		}
		kf_image_release(&img);
		free(buf);
	}
	kf_arena_release(&arena);
}

/* Time kf_face_describe_flags per face, plain and mirrored, on the sample
 * faces: median over faces of the median of 5 runs (thread CPU time). */
static void time_describe(const char *models, const struct kf_engine *e, const char *demo_dir)
{
	struct kf_landmark *lm = NULL;
	struct kf_facerec *fr = NULL;
	struct kf_detect_opts o = KF_DETECT_OPTS_DEFAULT;
	struct kf_arena arena;
	struct kf_err err = KF_ERR_INIT;
	struct vec per[2] = { { 0 }, { 0 } };
	char path[2048];

	kf_arena_init(&arena);
	if (kf_landmark_load(&lm, models, &err) < 0 || kf_facerec_load(&fr, models, &err) < 0)
		die("%s", err.msg);
	for (int s = 1; s <= 6; s++) {
		struct kf_face_nets nets = { lm, fr };
		struct kf_image img = { 0, 0, NULL };
		struct kf_face *f = NULL;
		uint8_t *buf = NULL;
		size_t len, n = 0;

		snprintf(path, sizeof(path), "%s/sample%d.jpg", demo_dir, s);
		if (kf_image_read_file(path, &buf, &len, &err) < 0 ||
		    kf_engine_faces(e, &o, buf, len, 0, &f, &n, NULL, NULL, &arena, &err) < 0 ||
		    kf_image_load(path, 0, &img, NULL, &err) < 0)
			die("%s", err.msg);
		for (size_t i = 0; i < n; i++) {
			float lmk[136], d[DIM];

			if (f[i].too_small)
				continue;
			for (int v = 0; v < 2; v++) {
				double t[7];
				int ok = 1;

				for (int r = 0; r < 7 && ok; r++) {
					double t0;

					kf_arena_reset(&arena);
					t0 = cpu_ms();
					ok = kf_face_describe_flags(&nets, &img, &f[i].box,
								    v ? KF_FACE_MIRROR : 0, lmk, d,
								    NULL, &arena, &err) == KF_OK;
					t[r] = cpu_ms() - t0;
				}
				if (!ok)
					break;	/* a box at the edge: the engine pads it */
				qsort(t + 2, 5, sizeof(double), cmp_double);
				push(&per[v], t[4]);
			}
		}
		kf_free(f);
		kf_image_release(&img);
		free(buf);
	}
	for (int v = 0; v < 2; v++) {
		qsort(per[v].v, per[v].n, sizeof(double), cmp_double);
		g.ms_face[v] = per[v].n ? per[v].v[per[v].n / 2] : 0;
		free(per[v].v);
	}
	kf_landmark_free(lm);
	kf_facerec_free(fr);
	kf_arena_release(&arena);
}

/* ---- statistics ---------------------------------------------------------- */

static double dist(const float *a, const float *b)
{
	double s = 0;

	for (int i = 0; i < DIM; i++) {
		double d = (double)a[i] - (double)b[i];

		s += d * d;
	}
	return sqrt(s);
}

static double fdist(const struct face *a, const struct face *b)
{
	return dist(a->desc[g.variant], b->desc[g.variant]);
}

struct stats {
	size_t n;
	double mean, sd, median, p1, p5, p95, p99, min, max;
};

/* v is sorted here */
static double quantile(const struct vec *v, double q)
{
	double x = q * (double)(v->n - 1);
	size_t i = (size_t)x;

	if (i + 1 >= v->n)
		return v->v[v->n - 1];
	return v->v[i] + (x - (double)i) * (v->v[i + 1] - v->v[i]);
}

static struct stats stats_of(struct vec *v)
{
	struct stats s = { 0 };
	double sum = 0, ss = 0;

	if (!(s.n = v->n))
		return s;
	qsort(v->v, v->n, sizeof(double), cmp_double);
	for (size_t i = 0; i < v->n; i++)
		sum += v->v[i];
	s.mean = sum / (double)v->n;
	for (size_t i = 0; i < v->n; i++)
		ss += (v->v[i] - s.mean) * (v->v[i] - s.mean);
	s.sd = v->n > 1 ? sqrt(ss / (double)(v->n - 1)) : 0;
	s.median = quantile(v, 0.5);
	s.p1 = quantile(v, 0.01);
	s.p5 = quantile(v, 0.05);
	s.p95 = quantile(v, 0.95);
	s.p99 = quantile(v, 0.99);
	s.min = v->v[0];
	s.max = v->v[v->n - 1];
	return s;
}

struct separation {
	double dprime, eer, eer_t, fnmr3, fnmr3_t;
	size_t gen_over, imp_under;	/* at THRESHOLD */
};

/* gen and imp sorted ascending (stats_of does it) */
static struct separation separation_of(const struct vec *gen, const struct vec *imp,
				       const struct stats *sg, const struct stats *si)
{
	struct separation r = { 0 };
	double best = 2;
	size_t i = 0, j = 0, k;

	if (!gen->n || !imp->n)
		return r;
	r.dprime = (si->mean - sg->mean) / sqrt((sg->sd * sg->sd + si->sd * si->sd) / 2);
	/* accept d <= t: FNMR(t) = gen > t, FMR(t) = imp <= t; t over every score */
	for (;;) {
		double t, fnmr, fmr;

		if (i < gen->n && (j >= imp->n || gen->v[i] <= imp->v[j]))
			t = gen->v[i];
		else if (j < imp->n)
			t = imp->v[j];
		else
			break;
		while (i < gen->n && gen->v[i] <= t)
			i++;
		while (j < imp->n && imp->v[j] <= t)
			j++;
		fnmr = (double)(gen->n - i) / (double)gen->n;
		fmr = (double)j / (double)imp->n;
		if (fabs(fnmr - fmr) < best) {
			best = fabs(fnmr - fmr);
			r.eer = (fnmr + fmr) / 2;
			r.eer_t = t;
		}
	}
	/* the largest t (accept d < t) with at most 1e-3 of the impostors under it */
	k = (size_t)floor(1e-3 * (double)imp->n);
	r.fnmr3_t = imp->v[k];
	for (i = 0; i < gen->n && gen->v[i] < r.fnmr3_t; i++)
		;
	r.fnmr3 = (double)(gen->n - i) / (double)gen->n;
	for (i = 0; i < gen->n; i++)
		r.gen_over += gen->v[i] >= THRESHOLD;
	for (j = 0; j < imp->n; j++)
		r.imp_under += imp->v[j] < THRESHOLD;
	return r;
}

static void print_separation(const char *name, struct vec *gen, struct vec *imp)
{
	struct stats sg = stats_of(gen), si = stats_of(imp);
	struct separation s = separation_of(gen, imp, &sg, &si);

	printf("%-22s %6zu %7zu  %5.3f %5.3f  %5.3f %5.3f  %6.3f  %5.2f%% @%5.3f  %6.2f%% @%5.3f  %4zu %5zu\n",
	       name, gen->n, imp->n, sg.mean, sg.sd, si.mean, si.sd, s.dprime, 100 * s.eer,
	       s.eer_t, 100 * s.fnmr3, s.fnmr3_t, s.gen_over, s.imp_under);
}

static void separation_header(const char *what)
{
	printf("%-22s %6s %7s  %-11s  %-11s  %6s  %-12s  %-13s  %4s %5s\n", what, "gen", "imp",
	       "gen mean/sd", "imp mean/sd", "d'", "EER @t", "FNMR@1e-3 @t", ">=.6", "<.6");
}

/* which pair kind two faces make, -1 for none (see the top of the file) */
static int pair_kind(const struct face *a, const struct face *b)
{
	enum kind ka = g.sets[a->set].kind, kb = g.sets[b->set].kind;

	if (a->photo == b->photo)
		return IMP_PHOTO;
	if (ka == KIND_LABELLED && kb == KIND_LABELLED)
		return a->set == b->set && a->id == b->id ? GEN : IMP_LAB;
	if ((ka == KIND_LABELLED && kb == KIND_STRANGERS) ||
	    (ka == KIND_STRANGERS && kb == KIND_LABELLED))
		return IMP_STRANGER;
	return -1;
}

/* the labelled set a pair counts for in the per-set lines (-1: none): the
 * within-photo pairs of the samples and the dev groups count for dev (the
 * first set), those of --groups only for all */
static int pair_set(const struct face *a, const struct face *b, int kind)
{
	if (kind == IMP_PHOTO)
		return strcmp(g.sets[a->set].name, "groups") ? 0 : -1;
	if (g.sets[a->set].kind == KIND_LABELLED && g.sets[b->set].kind == KIND_LABELLED)
		return a->set == b->set ? a->set : -1;
	return g.sets[a->set].kind == KIND_LABELLED ? a->set : b->set;
}

static void histograms(void)
{
	struct vec v[NPAIRS] = { { 0 } };
	size_t h[NPAIRS][NBINS] = { { 0 } };
	struct stats s[NPAIRS];

	for (int i = 0; i < g.nfaces; i++)
		for (int j = i + 1; j < g.nfaces; j++) {
			int k = pair_kind(&g.faces[i], &g.faces[j]), b;
			double d;

			if (k < 0)
				continue;
			d = fdist(&g.faces[i], &g.faces[j]);
			b = (int)(d / 0.05);
			b = b < NBINS ? b : NBINS - 1;
			push(&v[k], d);
			h[k][b]++;
			if (k != GEN) {
				push(&v[IMP_ALL], d);
				h[IMP_ALL][b]++;
			}
		}
	printf("\n## distances (0.05 bins)\n%-11s", "distance");
	for (int k = 0; k < NPAIRS; k++)
		printf(" %12s", pair_name[k]);
	putchar('\n');
	for (int b = 0; b < NBINS; b++) {
		int any = 0;

		for (int k = 0; k < NPAIRS; k++)
			any |= h[k][b] != 0;
		if (!any)
			continue;
		if (b == NBINS - 1)
			printf(">=%4.2f     ", b * 0.05);
		else
			printf("%4.2f-%4.2f  ", b * 0.05, (b + 1) * 0.05);
		for (int k = 0; k < NPAIRS; k++)
			printf(" %12zu", h[k][b]);
		putchar('\n');
	}
	for (int k = 0; k < NPAIRS; k++)
		s[k] = stats_of(&v[k]);
#define ROW(label, field, fmt)                                    \
	do {                                                      \
		printf("%-11s", label);                           \
		for (int k = 0; k < NPAIRS; k++)                  \
			printf(" %12" fmt, s[k].field);           \
		putchar('\n');                                    \
	} while (0)
	ROW("n", n, "zu");
	ROW("mean", mean, ".3f");
	ROW("sd", sd, ".3f");
	ROW("min", min, ".3f");
	ROW("p1", p1, ".3f");
	ROW("p5", p5, ".3f");
	ROW("median", median, ".3f");
	ROW("p95", p95, ".3f");
	ROW("p99", p99, ".3f");
	ROW("max", max, ".3f");
#undef ROW
	for (int k = 0; k < NPAIRS; k++)
		free(v[k].v);
}

/* ---- the auto threshold on simulated galleries ----------------------------- */

static uint64_t rng_state = 0x2545f4914f6cdd1du;

static double draw(const struct vec *v)	/* one of v's values, uniformly */
{
	rng_state ^= rng_state << 13, rng_state ^= rng_state >> 7, rng_state ^= rng_state << 17;
	return v->v[rng_state % v->n];
}

/* Galleries of N clients whose impostor distances follow one of the measured
 * impostor distributions: kf_threshold_solve() on the pairs such a gallery
 * would show (up to 20,000 drawn), then 20,000 strangers each compared with
 * N clients (N draws): how many match somebody, against the promise, and the
 * share of the genuine pairs the threshold keeps. 10 galleries each. */
static void auto_thresholds(void)
{
	static const int sizes[] = { 10, 100, 1000 };
	struct vec gen = { 0 }, pool[2] = { { 0 } };
	static const char *const pool_name[2] = { "all impostors", "one-photo impostors" };

	for (int i = 0; i < g.nfaces; i++)
		for (int j = i + 1; j < g.nfaces; j++) {
			int k = pair_kind(&g.faces[i], &g.faces[j]);
			double d;

			if (k < 0)
				continue;
			d = fdist(&g.faces[i], &g.faces[j]);
			if (k == GEN)
				push(&gen, d);
			else
				push(&pool[k == IMP_PHOTO], d);
			if (k == IMP_PHOTO)
				push(&pool[0], d);
		}
	printf("\n## auto threshold (core/threshold.h) on simulated galleries: impostor distances"
	       "\n## drawn from a measured pool; 10 galleries x 20,000 strangers each\n");
	printf("%-20s %5s %9s %7s %10s %10s %8s\n", "pool", "N", "threshold", "d",
	       "promised", "measured", "genuine");
	for (int p = 0; p < 2; p++) {
		if (pool[p].n < 10 || gen.n == 0)
			continue;
		for (size_t z = 0; z < sizeof(sizes) / sizeof(sizes[0]); z++) {
			int n = sizes[z];
			double t_sum = 0, d_sum = 0, promised = 0, measured = 0, kept = 0;

			for (int trial = 0; trial < 10; trial++) {
				static float drawn[20000];
				struct kf_threshold_auto a;
				size_t pairs = (size_t)n * (n - 1) / 2;
				double d;
				long fm = 0;

				pairs = pairs < 20000 ? pairs : 20000;
				for (size_t k = 0; k < pairs; k++)
					drawn[k] = (float)draw(&pool[p]);
				kf_threshold_solve(drawn, pairs, (size_t)n, KF_THRESHOLD_TARGET, &a);
				d = kf_search_distance_at(a.threshold);
				for (int st = 0; st < 20000; st++)
					for (int c = 0; c < n; c++)
						if (draw(&pool[p]) < d) {
							fm++;
							break;
						}
				for (size_t k = 0; k < gen.n; k++)
					kept += gen.v[k] < d;
				t_sum += a.threshold;
				d_sum += d;
				promised += a.expected;
				measured += (double)fm / 20.0;
			}
			printf("%-20s %5d %9.1f %7.3f %10.2f %10.2f %7.1f%%\n", pool_name[p], n,
			       t_sum / 10, d_sum / 10, promised / 10, measured / 10,
			       100.0 * kept / (10.0 * (double)gen.n));
		}
	}
	printf("(promised and measured: false matches per 1,000 strangers; genuine: the share "
	       "of genuine pairs at or above the threshold)\n");
	free(gen.v);
	free(pool[0].v);
	free(pool[1].v);
}

/* every pair on the wrong side of 0.6 */
static void errors(void)
{
	char a[256], b[256];
	int n = 0;

	printf("\n## pairs on the wrong side of 0.6\n");
	for (int i = 0; i < g.nfaces; i++)
		for (int j = i + 1; j < g.nfaces; j++) {
			const struct face *x = &g.faces[i], *y = &g.faces[j];
			int k = pair_kind(x, y);
			double d;

			if (k < 0)
				continue;
			d = fdist(x, y);
			if ((k == GEN) == (d < THRESHOLD))
				continue;
			printf("%-12s %6.3f  %-36s %-36s\n", pair_name[k], d,
			       face_name(x, a, sizeof(a)), face_name(y, b, sizeof(b)));
			n++;
		}
	printf("%d pairs\n", n);
}

static void separations(void)
{
	struct vec gen[MAX_SETS + 1] = { { 0 } }, imp[MAX_SETS + 1] = { { 0 } };

	for (int i = 0; i < g.nfaces; i++)
		for (int j = i + 1; j < g.nfaces; j++) {
			int k = pair_kind(&g.faces[i], &g.faces[j]), s;
			double d;

			if (k < 0)
				continue;
			d = fdist(&g.faces[i], &g.faces[j]);
			push(k == GEN ? &gen[MAX_SETS] : &imp[MAX_SETS], d);
			if ((s = pair_set(&g.faces[i], &g.faces[j], k)) >= 0)
				push(k == GEN ? &gen[s] : &imp[s], d);
		}
	printf("\n## separation (genuine vs impostor pairs; accept d <= t; counts at 0.6)\n");
	separation_header("pairs");
	print_separation("all", &gen[MAX_SETS], &imp[MAX_SETS]);
	for (int s = 0; s < g.nsets; s++)
		if (g.sets[s].kind == KIND_LABELLED)
			print_separation(g.sets[s].name, &gen[s], &imp[s]);
	for (int s = 0; s <= MAX_SETS; s++) {
		free(gen[s].v);
		free(imp[s].v);
	}
}

/* ---- identification ------------------------------------------------------ */

enum scoring { SCORE_BEST, SCORE_MEAN, SCORE_CENTROID, NSCORINGS };
static const char *const scoring_name[NSCORINGS] = { "best-of", "mean-dist", "centroid" };

/* probe against the client made of the faces of identity id of set s whose
 * rank is in the bit mask refs (its references) */
static double client_score(int s, int id, unsigned refs, enum scoring sc,
			   const struct face *probe)
{
	float mean[DIM] = { 0 };
	double best = 1e9, sum = 0;
	int n = 0;

	for (int i = 0; i < g.nfaces; i++) {
		const struct face *f = &g.faces[i];
		double d;

		if (f->set != s || f->id != id || f->rank >= 32 || !(refs >> f->rank & 1))
			continue;
		d = fdist(f, probe);
		best = d < best ? d : best;
		sum += d;
		for (int k = 0; k < DIM; k++)
			mean[k] += f->desc[g.variant][k];
		n++;
	}
	if (!n)
		return NAN;	/* no reference face found */
	if (sc == SCORE_BEST)
		return best;
	if (sc == SCORE_MEAN)
		return sum / n;
	for (int k = 0; k < DIM; k++)
		mean[k] /= (float)n;
	return dist(mean, probe->desc[g.variant]);
}

/* The dev protocol on set s: references rank 0, probes the others. */
static void protocol(int s)
{
	const struct set *st = &g.sets[s];
	int hits = 0, falses = 0, probes = 0, top1 = 0;

	printf("\n## identification: %s (reference: first file of each identity; threshold 0.6)\n",
	       st->name);
	printf("%-40s %-6s %-24s %s\n", "probe", "right", "best wrong", "result");
	for (int i = 0; i < g.nfaces; i++) {
		const struct face *p = &g.faces[i];
		double right = NAN, wrong = 1e9;
		int wid = -1, hit, fal;
		char name[256];

		if (p->set != s || p->rank == 0)
			continue;
		for (int c = 0; c < st->ids; c++) {
			double d = client_score(s, c, 1u, SCORE_BEST, p);

			if (c == p->id)
				right = d;
			else if (d < wrong) {
				wrong = d;
				wid = c;
			}
		}
		probes++;
		hit = right < THRESHOLD && right < wrong;
		fal = wrong < THRESHOLD;
		hits += hit;
		falses += fal;
		top1 += right < wrong;
		printf("%-40s %6.3f %6.3f %-17s %s%s\n", face_name(p, name, sizeof(name)), right, wrong,
		       wid >= 0 ? st->id[wid] : "-", hit ? "hit" : "miss", fal ? " FALSE" : "");
	}
	printf("%s: %d probes, %d hits, %d misses, %d false matches, top-1 %d\n", st->name, probes,
	       hits, probes - hits, falses, top1);
}

/* Several references per client: for R = 1, 2, 3 every choice of R of the
 * first m files of each identity (m: the fewest files an identity has, at
 * most 16) as the references, the other labelled faces of the set as probes;
 * the sample faces are impostors to every client. Pooled over the choices, so
 * every scoring sees the same splits. */
/* ---- the operating point: what kingface shows ------------------------------ */

/* One set's clients (its rank-0 faces, one reference each), as the product
 * searches them; *auto_t gets the gallery's auto threshold. */
static void clients_of(int s, struct kf_search *srch, float *auto_t)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_threshold_auto a;

	kf_search_init(srch);
	for (int i = 0; i < g.nfaces; i++)
		if (g.faces[i].set == s && g.faces[i].rank == 0 &&
		    kf_search_add(srch, 1 + g.faces[i].id, g.faces[i].desc[g.variant], &err) < 0)
			die("%s", err.msg);
	if (kf_threshold_auto(srch, KF_THRESHOLD_TARGET, &a, &err) < 0)
		die("%s", err.msg);
	*auto_t = a.threshold;
}

/* The demo gallery (scripts/demo): clients enrolled from sample1.jpg's three
 * faces and sample5.jpg's first; every other sample face is a stranger. */
#define DEMO_RIGHT (-2)

static int demo_client(const struct face *f)
{
	const char *name = base(g.photos[f->photo].path);

	if (!strcmp(name, "sample1.jpg") && f->index < 3)
		return f->index;
	if (!strcmp(name, "sample5.jpg") && f->index == 0)
		return 3;
	return -1;
}

/* The faces of photo ph (or the one face i when ph < 0) searched at t and
 * assigned with margin (< 0: off), as processing does; counts by outcome. */
struct outcome {
	int hits, misses, falses, ambiguous;
};

static void match_faces(const struct kf_search *srch, int ph, int i0, float t, float margin,
			int right, struct outcome *o)
{
	struct kf_match_face mf[64];
	struct kf_err err = KF_ERR_INIT;
	int idx[64], n = 0;

	for (int i = 0; i < g.nfaces && n < 64; i++) {
		if (ph >= 0 ? g.faces[i].photo != ph : i != i0)
			continue;
		memset(&mf[n], 0, sizeof(mf[n]));
		memcpy(mf[n].descriptor, g.faces[i].desc[g.variant], sizeof(mf[n].descriptor));
		if (kf_search_query(srch, mf[n].descriptor, t, mf[n].hits, KF_MATCH_MAX_HITS,
				    &mf[n].nhits, &mf[n].best_below, &err) < 0)
			die("%s", err.msg);
		idx[n++] = i;
	}
	/* before: every client over the threshold is a match; now: assigned */
	if (margin >= 0 && kf_match_assign(mf, (size_t)n, margin, &err) < 0)
		die("%s", err.msg);
	for (int k = 0; k < n; k++) {
		int who = mf[k].nhits ? (int)mf[k].hits[0].client_id - 1 : -1;
		int wrong = 0;

		int r = right == DEMO_RIGHT ? demo_client(&g.faces[idx[k]]) : right;

		for (size_t h = 0; h < mf[k].nhits; h++)
			wrong |= (int)mf[k].hits[h].client_id - 1 != r;
		if (mf[k].nambiguous)
			o->ambiguous++;
		else if (wrong)
			o->falses++;
		else if (who >= 0 && who == r)
			o->hits++;
		else if (r >= 0)
			o->misses++;
	}
}

static void demo_point(const char *mode, float margin, int auto_t)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_threshold_auto a;
	struct kf_search srch;
	struct outcome o = { 0 };
	float t;

	kf_search_init(&srch);
	for (int i = 0; i < g.nfaces; i++)
		if (demo_client(&g.faces[i]) >= 0 &&
		    kf_search_add(&srch, 1 + demo_client(&g.faces[i]), g.faces[i].desc[g.variant],
				  &err) < 0)
			die("%s", err.msg);
	if (srch.nclients != 4) {
		kf_search_release(&srch);
		return;
	}
	if (kf_threshold_auto(&srch, KF_THRESHOLD_TARGET, &a, &err) < 0)
		die("%s", err.msg);
	t = auto_t ? a.threshold : 80.0f;
	for (int ph = 0; ph < g.nphotos; ph++)
		if (!strcmp(g.sets[g.photos[ph].set].name, "samples"))
			match_faces(&srch, ph, -1, t, margin, DEMO_RIGHT, &o);
	printf("%-10s %-36s %7.1f %5d %6d %6d %9d\n", "demo", mode, t, o.hits, o.misses,
	       o.falses, o.ambiguous);
	kf_search_release(&srch);
}

static void operating_point(void)
{
	static const struct {
		const char *name;
		int auto_t;
		float margin;
		int assign;
	} modes[] = {
		{ "80, every client over it (before)", 0, -1, 0 },
		{ "80, one client a photo + margin", 0, KF_MATCH_MARGIN, 1 },
		{ "auto, one client a photo + margin", 1, KF_MATCH_MARGIN, 1 },
	};

	printf("\n## operating point: each labelled set's rank-0 files enrolled as its clients;"
	       "\n## its other files identified; the strangers' and groups' photos matched against"
	       "\n## the same clients (every match there is false)\n");
	printf("%-10s %-36s %7s %5s %6s %6s %9s %12s %12s\n", "clients", "mode", "t", "hits",
	       "misses", "false", "ambiguous", "photos:false", "photos:ambig");
	for (int s = 0; s < g.nsets; s++) {
		struct kf_search srch;
		float auto_t;

		if (g.sets[s].kind != KIND_LABELLED)
			continue;
		clients_of(s, &srch, &auto_t);
		for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
			struct outcome probes = { 0 }, strangers = { 0 };
			float t = modes[m].auto_t ? auto_t : 80.0f;

			for (int i = 0; i < g.nfaces; i++)
				if (g.faces[i].set == s && g.faces[i].rank > 0)
					match_faces(&srch, -1, i, t, modes[m].assign ? modes[m].margin : -1,
						    g.faces[i].id, &probes);
			for (int ph = 0; ph < g.nphotos; ph++) {
				const struct set *ps = &g.sets[g.photos[ph].set];

				/* the dev cast is in bbt*: not strangers to dev */
				if (ps->kind == KIND_LABELLED || (!strcmp(ps->name, "bbt") &&
								  !strcmp(g.sets[s].name, "dev")))
					continue;
				match_faces(&srch, ph, -1, t, modes[m].assign ? modes[m].margin : -1,
					    -1, &strangers);
			}
			printf("%-10s %-36s %7.1f %5d %6d %6d %9d %12d %12d\n", g.sets[s].name,
			       modes[m].name, t, probes.hits, probes.misses, probes.falses,
			       probes.ambiguous, strangers.falses, strangers.ambiguous);
		}
		kf_search_release(&srch);
	}
	demo_point(modes[0].name, -1, 0);
	demo_point(modes[1].name, KF_MATCH_MARGIN, 0);
	demo_point(modes[2].name, KF_MATCH_MARGIN, 1);
	printf("(demo: its 4 clients; hits are the 4 faces they were enrolled from, every other "
	       "match is false)\n");
}

static void references(void)
{
	printf("\n## references per client: every choice of R reference files (same for all identities),\n"
	       "## the other files probes, the sample faces strangers; pooled over the choices\n");
	printf("%-8s %-1s %4s %-10s %6s %6s  %-11s  %-11s  %6s  %-12s  %6s %7s %7s\n", "set", "R",
	       "sets", "scoring", "gen", "imp", "gen mean/sd", "imp mean/sd", "d'", "EER @t",
	       "imp<.6", "hits", "false");
	for (int s = 0; s < g.nsets; s++) {
		int m = 16;

		if (g.sets[s].kind != KIND_LABELLED)
			continue;
		for (int c = 0; c < g.sets[s].ids; c++) {
			int k = 0;

			for (int p = 0; p < g.nphotos; p++)
				k += g.photos[p].set == s && g.photos[p].id == c;
			m = k < m ? k : m;
		}
		for (int r = 1; r <= 3 && r < m; r++)
			for (int sc = 0; sc < NSCORINGS; sc++) {
				struct vec gen = { 0 }, imp = { 0 };
				struct stats sg, si;
				struct separation sp;
				int hits = 0, falses = 0, probes = 0, splits = 0;

				for (unsigned refs = 0; refs < 1u << m; refs++) {
					if (__builtin_popcount(refs) != r)
						continue;
					splits++;
					for (int i = 0; i < g.nfaces; i++) {
						const struct face *p = &g.faces[i];
						int labelled = p->set == s && !(p->rank < 32 && refs >> p->rank & 1);
						double right = NAN, wrong = 1e9;

						if (g.sets[p->set].kind == KIND_LABELLED ? !labelled :
						    g.sets[p->set].kind != KIND_STRANGERS)
							continue;
						for (int c = 0; c < g.sets[s].ids; c++) {
							double d = client_score(s, c, refs, (enum scoring)sc, p);

							if (isnan(d))
								continue;
							if (labelled && c == p->id) {
								right = d;
								push(&gen, d);
							} else {
								wrong = d < wrong ? d : wrong;
								push(&imp, d);
							}
						}
						if (!labelled)
							continue;
						probes++;
						hits += right < THRESHOLD && right < wrong;
						falses += wrong < THRESHOLD;
					}
				}
				sg = stats_of(&gen);
				si = stats_of(&imp);
				sp = separation_of(&gen, &imp, &sg, &si);
				printf("%-8s %-1d %4d %-10s %6zu %6zu  %5.3f %5.3f  %5.3f %5.3f  %6.3f  %5.2f%% @%5.3f  %5.2f%% %6.2f%% %6.2f%%\n",
				       g.sets[s].name, r, splits, scoring_name[sc], gen.n, imp.n, sg.mean,
				       sg.sd, si.mean, si.sd, sp.dprime, 100 * sp.eer, sp.eer_t,
				       100.0 * (double)sp.imp_under / (double)imp.n,
				       100.0 * hits / probes, 100.0 * falses / probes);
				free(gen.v);
				free(imp.v);
			}
	}
}

/* ---- quality ---------------------------------------------------------------- */

/* whether face i is in a pair on the wrong side of 0.6 */
static int in_error(int i)
{
	for (int j = 0; j < g.nfaces; j++) {
		int k = j == i ? -1 : pair_kind(&g.faces[i], &g.faces[j]);

		if (k >= 0 && (k == GEN) != (fdist(&g.faces[i], &g.faces[j]) < THRESHOLD))
			return 1;
	}
	return 0;
}

static int rejects(const struct face *f, double yaw, double blur)
{
	return f->q.yaw >= yaw || f->q.blur < blur;
}

/* What the quality check would reject, whether those faces are the ones in
 * errors at 0.6, and the separation of the pairs left. */
static void quality(void)
{
	static const double yaws[] = { 1.01, 0.6, 0.5, 0.4, 0.3 }, blurs[] = { 0, 20, 50 };
	char name[256];

	printf("\n## quality check (yaw = |2t - 1|, t = the nose tip between the outer eye corners;\n"
	       "## blur = Laplacian variance of the grey aligned crop at 150x150): faces with yaw >= 0.3 or in an error at 0.6\n");
	printf("%-40s %-8s %6s %6s %7s  %s\n", "face", "set", "width", "yaw", "blur", "error at 0.6");
	for (int i = 0; i < g.nfaces; i++) {
		const struct face *f = &g.faces[i];
		int e = in_error(i);

		if (f->q.yaw >= 0.3 || e)
			printf("%-40s %-8s %6.1f %6.3f %7.1f  %s\n", face_name(f, name, sizeof(name)),
			       g.sets[f->set].name, (double)f->width, (double)f->q.yaw,
			       (double)f->q.blur, e ? "yes" : "");
	}
	printf("\nrejected: faces (of them in an error at 0.6); pairs left\n");
	separation_header("yaw< blur>= rej(err)");
	for (size_t y = 0; y < sizeof(yaws) / sizeof(yaws[0]); y++)
		for (size_t b = 0; b < sizeof(blurs) / sizeof(blurs[0]); b++) {
			struct vec gen = { 0 }, imp = { 0 };
			int rejected = 0, rej_err = 0;

			for (int i = 0; i < g.nfaces; i++) {
				const struct face *f = &g.faces[i];

				if (rejects(f, yaws[y], blurs[b])) {
					rejected++;
					rej_err += in_error(i);
					continue;
				}
				for (int j = i + 1; j < g.nfaces; j++) {
					const struct face *o = &g.faces[j];
					int k = pair_kind(f, o);

					if (k >= 0 && !rejects(o, yaws[y], blurs[b]))
						push(k == GEN ? &gen : &imp, fdist(f, o));
				}
			}
			if (yaws[y] > 1)
				snprintf(name, sizeof(name), " off %3.0f %3d (%d)", blurs[b], rejected,
					 rej_err);
			else
				snprintf(name, sizeof(name), "%4.2f %3.0f %3d (%d)", yaws[y], blurs[b],
					 rejected, rej_err);
			print_separation(name, &gen, &imp);
			free(gen.v);
			free(imp.v);
		}
}

/* ---- clustering (kingface people, issue 18) ---------------------------------
 *
 * The faces of the labelled sets and the strangers (the samples and --groups;
 * not the dev group photos, which show the dev identities' cast) clustered by
 * core/cluster.h at several linking distances, by Chinese whispers weighted
 * with the photo constraint (kingface's: two faces of one photo never share a
 * cluster), weighted without it, unweighted without it (dlib's example), and
 * by connected components (single linkage, for comparison). Per labelled face: purity (its cluster's
 * majority identity, among the cluster's labelled faces, is its own) and
 * completeness (it is in its identity's largest cluster); with strangers, a
 * stranger in a cluster that holds labelled faces is an intruder, counted
 * against purity (pure labelled faces / (labelled faces + intruders)), and
 * two faces of one photo in one cluster are a conflict (one photo never
 * shows a person twice). The identities of strangers across photos are not
 * known (the samples share people), so their own clusters are only counted.
 * The photos given to --cluster are clustered each alone (dlib's
 * bald_guys.jpg: its example finds 4 people).
 */
enum cl_method { CL_PHOTO, CL_WEIGHTED, CL_UNWEIGHTED, CL_COMPONENTS, NCL_METHODS };
static const char *const cl_method_name[NCL_METHODS] = {
	"photo", "whispers", "unweighted", "components"
};

static uint32_t cl_find(uint32_t *up, uint32_t i)
{
	while (up[i] != i)
		i = up[i] = up[up[i]];
	return i;
}

/* Cluster the n descriptors d (photo: each face's photo, for CL_PHOTO);
 * labels in lab, *k clusters. */
static void cl_run(const float *d, int n, const uint32_t *photo, float t, enum cl_method m,
		   uint32_t *lab, size_t *k)
{
	struct kf_cluster_opts o = KF_CLUSTER_OPTS_DEFAULT;
	struct kf_err err = KF_ERR_INIT;

	o.threshold = t;
	o.unweighted = m == CL_UNWEIGHTED;
	o.group = m == CL_PHOTO ? photo : NULL;
	if (m != CL_COMPONENTS) {
		if (kf_cluster(d, (size_t)n, &o, lab, k, &err) < 0)
			die("%s", err.msg);
		return;
	}
	uint32_t *up = malloc((size_t)n * sizeof(*up) + 1), *root = malloc((size_t)n * sizeof(*up) + 1);

	if (!up || !root)
		die("%s", "out of memory");
	for (int i = 0; i < n; i++)
		up[i] = (uint32_t)i;
	for (int i = 0; i < n; i++)
		for (int j = i + 1; j < n; j++)
			if (kf_search_distance(d + (size_t)i * DIM, d + (size_t)j * DIM) < t)
				up[cl_find(up, (uint32_t)i)] = cl_find(up, (uint32_t)j);
	*k = 0;
	for (int i = 0; i < n; i++)
		root[i] = UINT32_MAX;
	for (int i = 0; i < n; i++) {
		uint32_t r = cl_find(up, (uint32_t)i);

		if (root[r] == UINT32_MAX)
			root[r] = (uint32_t)(*k)++;
		lab[i] = root[r];
	}
	free(up);
	free(root);
}

struct cl_eval {
	int faces, labelled, pure, complete, intruders, conflicts, clusters, singles,
	    stranger_clusters;
};

/* Cluster the faces idx[0..n) of g.faces and score them. */
static void cl_eval(const int *idx, int n, float t, enum cl_method m, struct cl_eval *ev)
{
	enum { IDS = MAX_SETS * MAX_IDS };
	float *d = malloc((size_t)n * DIM * sizeof(float) + 1);
	uint32_t *lab = malloc((size_t)n * sizeof(uint32_t) + 1);
	uint32_t *photo = malloc((size_t)n * sizeof(uint32_t) + 1);
	int *count, *size, *strangers, best[IDS];
	size_t k;

	if (!d || !lab || !photo)
		die("%s", "out of memory");
	for (int i = 0; i < n; i++) {
		memcpy(d + (size_t)i * DIM, g.faces[idx[i]].desc[g.variant], DIM * sizeof(float));
		photo[i] = (uint32_t)g.faces[idx[i]].photo;
	}
	cl_run(d, n, photo, t, m, lab, &k);
	count = calloc(k * IDS + 1, sizeof(int));
	size = calloc(k + 1, sizeof(int));
	strangers = calloc(k + 1, sizeof(int));
	if (!count || !size || !strangers)
		die("%s", "out of memory");
	memset(ev, 0, sizeof(*ev));
	ev->faces = n;
	for (int i = 0; i < n; i++) {
		const struct face *f = &g.faces[idx[i]];

		size[lab[i]]++;
		if (f->id >= 0) {
			count[lab[i] * IDS + f->set * MAX_IDS + f->id]++;
			ev->labelled++;
		} else {
			strangers[lab[i]]++;
		}
		for (int j = 0; j < i; j++)
			ev->conflicts += lab[j] == lab[i] && g.faces[idx[j]].photo == f->photo;
	}
	for (int x = 0; x < IDS; x++)
		best[x] = 0;
	for (size_t c = 0; c < k; c++) {
		int maj = 0, labelled = 0;

		for (int x = 0; x < IDS; x++) {
			labelled += count[c * IDS + x];
			maj = count[c * IDS + x] > maj ? count[c * IDS + x] : maj;
			best[x] = count[c * IDS + x] > best[x] ? count[c * IDS + x] : best[x];
		}
		ev->pure += maj;
		if (labelled)
			ev->intruders += strangers[c];
		else if (size[c] >= 2)
			ev->stranger_clusters++;
		ev->clusters += size[c] >= 2;
		ev->singles += size[c] == 1;
	}
	for (int x = 0; x < IDS; x++)
		ev->complete += best[x];
	free(count);
	free(size);
	free(strangers);
	free(d);
	free(lab);
	free(photo);
}

/* The recognizable faces of photo path into *d (malloc'd), their number. */
static int cl_photo_faces(const struct kf_engine *e, const char *path, float **d)
{
	struct kf_detect_opts o = KF_DETECT_OPTS_DEFAULT;
	struct kf_arena arena;
	struct kf_err err = KF_ERR_INIT;
	struct kf_face *f = NULL;
	uint8_t *buf = NULL;
	size_t len, n = 0;
	int k = 0;

	kf_arena_init(&arena);
	if (kf_image_read_file(path, &buf, &len, &err) < 0 ||
	    kf_engine_faces(e, &o, buf, len, KF_FIND_DESCRIPTORS | (g.variant ? KF_FIND_MIRROR : 0),
			    &f, &n, NULL, NULL, &arena, &err) < 0)
		die("%s", err.msg);
	if (!(*d = malloc(n * DIM * sizeof(float) + 1)))
		die("%s", "out of memory");
	for (size_t i = 0; i < n; i++)
		if (!f[i].too_small && f[i].has_descriptor)
			memcpy(*d + (size_t)k++ * DIM, f[i].descriptor, DIM * sizeof(float));
	kf_free(f);
	free(buf);
	kf_arena_release(&arena);
	return k;
}

static void clustering(const struct kf_engine *e, const char *const *photos, int nphotos)
{
	static const float ts[] = { 0.40f, 0.45f, 0.50f, 0.55f, 0.60f };
	int *dev = malloc((size_t)g.nfaces * sizeof(int) + 1);
	int *lab = malloc((size_t)g.nfaces * sizeof(int) + 1);
	int *all = malloc((size_t)g.nfaces * sizeof(int) + 1);
	int ndev = 0, nlab = 0, nall = 0, nsets = 0;
	float *pd[MAX_PHOTOS];
	int pn[MAX_PHOTOS];

	if (!dev || !lab || !all)
		die("%s", "out of memory");
	for (int i = 0; i < g.nfaces; i++) {
		const struct set *s = &g.sets[g.faces[i].set];

		if (s->kind == KIND_LABELLED) {
			if (!strcmp(s->name, "dev"))
				dev[ndev++] = i;
			lab[nlab++] = i;
		} else if (!strcmp(s->name, "bbt")) {
			continue;	/* the dev identities' cast */
		}
		all[nall++] = i;
	}
	for (int s = 0; s < g.nsets; s++)
		nsets += g.sets[s].kind == KIND_LABELLED;
	for (int p = 0; p < nphotos; p++)
		pn[p] = cl_photo_faces(e, photos[p], &pd[p]);
	printf("\n## clustering (kingface people): dev %d faces; labelled (%d sets) %d faces; "
	       "with strangers %d faces (%d strangers)\n", ndev, nsets, nlab, nall, nall - nlab);
	printf("## purity / completeness of the labelled faces; clusters of 2+ faces, single faces;\n"
	       "## with strangers: intruders (strangers in a labelled cluster), conflicts (two faces\n"
	       "## of one photo in one cluster), clusters of strangers only (2+)\n");
	printf("%-10s %4s | %-27s | %-27s | %-45s", "method", "t", "dev: pur  compl  cl single",
	       "labelled: pur compl  cl sgl", "with strangers: pur  compl intr confl  cl sgl str");
	for (int p = 0; p < nphotos; p++)
		printf(" | %s (%d faces): cl (2+)", base(photos[p]), pn[p]);
	putchar('\n');
	for (int m = 0; m < NCL_METHODS; m++)
		for (size_t x = 0; x < sizeof(ts) / sizeof(ts[0]); x++) {
			struct cl_eval a, b, c;

			cl_eval(dev, ndev, ts[x], (enum cl_method)m, &a);
			cl_eval(lab, nlab, ts[x], (enum cl_method)m, &b);
			cl_eval(all, nall, ts[x], (enum cl_method)m, &c);
			printf("%-10s %4.2f | %5.1f%% %5.1f%% %3d %3d | %5.1f%% %5.1f%% %3d %3d | "
			       "%5.1f%% %5.1f%% %4d %4d %4d %4d %3d", cl_method_name[m], (double)ts[x],
			       100.0 * a.pure / (a.labelled ? a.labelled : 1),
			       100.0 * a.complete / (a.labelled ? a.labelled : 1), a.clusters, a.singles,
			       100.0 * b.pure / (b.labelled ? b.labelled : 1),
			       100.0 * b.complete / (b.labelled ? b.labelled : 1), b.clusters, b.singles,
			       100.0 * c.pure / (c.labelled + c.intruders ? c.labelled + c.intruders : 1),
			       100.0 * c.complete / (c.labelled ? c.labelled : 1), c.intruders,
			       c.conflicts, c.clusters, c.singles, c.stranger_clusters);
			for (int p = 0; p < nphotos; p++) {
				uint32_t *l = malloc((size_t)pn[p] * sizeof(uint32_t) + 1);
				size_t k;
				int two = 0, *sz = calloc((size_t)pn[p] + 1, sizeof(int));

				if (!l || !sz)
					die("%s", "out of memory");
				/* one photo: no photo constraint (it would split everyone) */
				cl_run(pd[p], pn[p], NULL, ts[x], m == CL_PHOTO ? CL_WEIGHTED :
				       (enum cl_method)m, l, &k);
				for (int i = 0; i < pn[p]; i++)
					sz[l[i]]++;
				for (size_t q = 0; q < k; q++)
					two += sz[q] >= 2;
				printf(" | %3zu (%d)", k, two);
				free(l);
				free(sz);
			}
			putchar('\n');
		}
	for (int p = 0; p < nphotos; p++)
		free(pd[p]);
	free(dev);
	free(lab);
	free(all);
}

/* ---- output ------------------------------------------------------------------ */

static void dump(FILE *f, const int *want)
{
	fputs("variant\tset\tsource\tidentity\tface\twidth", f);
	for (int k = 0; k < DIM; k++)
		fprintf(f, "\td%d", k);
	fputc('\n', f);
	for (int v = 0; v < 2; v++) {
		if (!want[v])
			continue;
		for (int i = 0; i < g.nfaces; i++) {
			const struct face *fa = &g.faces[i];

			fprintf(f, "%s\t%s\t%s\t%s\t%d\t%.2f", v ? "mirror" : "plain",
				g.sets[fa->set].name, g.photos[fa->photo].path,
				fa->id >= 0 ? g.sets[fa->set].id[fa->id] : "", fa->index,
				(double)fa->width);
			for (int k = 0; k < DIM; k++)
				fprintf(f, "\t%.9g", (double)fa->desc[v][k]);
			fputc('\n', f);
		}
	}
}

static void inventory(void)
{
	printf("## faces (recognizable; labelled photos give their largest face)\n");
	for (int s = 0; s < g.nsets; s++) {
		int photos = 0, faces = 0;

		for (int p = 0; p < g.nphotos; p++)
			photos += g.photos[p].set == s;
		for (int i = 0; i < g.nfaces; i++)
			faces += g.faces[i].set == s;
		printf("%-8s %-10s %4d photos %4d faces", g.sets[s].name,
		       g.sets[s].kind == KIND_LABELLED ? "labelled" :
		       g.sets[s].kind == KIND_STRANGERS ? "strangers" : "groups",
		       photos, faces);
		if (g.sets[s].kind == KIND_LABELLED)
			printf(" %3d identities", g.sets[s].ids);
		putchar('\n');
	}
	/* labelled photos without a recognizable face */
	for (int p = 0; p < g.nphotos; p++) {
		int found = 0;

		if (g.sets[g.photos[p].set].kind != KIND_LABELLED)
			continue;
		for (int i = 0; i < g.nfaces && !found; i++)
			found = g.faces[i].photo == p;
		if (!found)
			printf("no face: %s\n", g.photos[p].path);
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: accuracy [--root DIR] [--labelled DIR]... [--groups FILE...] "
			"[--mirror off|on|both] [--quality] [--cluster [PHOTO...]] [--dump FILE]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *root = ".", *dump_path = NULL, *labelled[MAX_SETS], *mirror = NULL;
	const char *groups[MAX_PHOTOS], *cluster_photos[MAX_PHOTOS];
	int cluster_check = 0, ncluster = 0;
	char models[2048], yunet[2048], dir[2048];
	int nlab = 0, ngroups = 0, want[2] = { 0, 0 }, quality_check = 0;
	struct kf_engine *e = NULL;
	struct kf_err err = KF_ERR_INIT;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--root") && i + 1 < argc) {
			root = argv[++i];
		} else if (!strcmp(argv[i], "--labelled") && i + 1 < argc && nlab < 4) {
			labelled[nlab++] = argv[++i];
		} else if (!strcmp(argv[i], "--groups")) {
			while (i + 1 < argc && strncmp(argv[i + 1], "--", 2) && ngroups < MAX_PHOTOS)
				groups[ngroups++] = argv[++i];
		} else if (!strcmp(argv[i], "--mirror") && i + 1 < argc) {
			mirror = argv[++i];
		} else if (!strcmp(argv[i], "--dump") && i + 1 < argc) {
			dump_path = argv[++i];
		} else if (!strcmp(argv[i], "--quality")) {
			quality_check = 1;
		} else if (!strcmp(argv[i], "--cluster")) {
			cluster_check = 1;
			while (i + 1 < argc && strncmp(argv[i + 1], "--", 2) && ncluster < MAX_PHOTOS)
				cluster_photos[ncluster++] = argv[++i];
		} else {
			usage();
		}
	}
	if (!mirror)
		want[DEFAULT_VARIANT] = 1;
	else if (!strcmp(mirror, "off") || !strcmp(mirror, "on"))
		want[!strcmp(mirror, "on")] = 1;
	else if (!strcmp(mirror, "both"))
		want[0] = want[1] = 1;
	else
		usage();

	snprintf(models, sizeof(models), "%s/.deps/face-api/model", root);
	snprintf(yunet, sizeof(yunet), "%s/models/yunet", root);
	if (kf_engine_load(&e, models, yunet, KF_ENGINE_YUNET | KF_ENGINE_DESCRIPTORS, &err) < 0)
		die("%s", err.msg);
	snprintf(dir, sizeof(dir), "%s/tests/data/datasets/dev/identities", root);
	add_labelled("dev", dir);
	for (int i = 0; i < nlab; i++) {
		char name[64], *slash;

		snprintf(dir, sizeof(dir), "%s", labelled[i]);
		while ((slash = strrchr(dir, '/')) && slash > dir && !slash[1])
			*slash = '\0';	/* "johns/" is johns */
		snprintf(name, sizeof(name), "%s", base(dir));
		add_labelled(name, labelled[i]);
	}
	snprintf(dir, sizeof(dir), "%s/.deps/face-api/demo", root);
	add_unlabelled_dir("samples", KIND_STRANGERS, dir, "sample");
	snprintf(dir, sizeof(dir), "%s/tests/data/datasets/dev/groups", root);
	add_unlabelled_dir("bbt", KIND_GROUPS, dir, "bbt");
	if (ngroups) {
		int s = new_set("groups", KIND_GROUPS);

		for (int i = 0; i < ngroups; i++)
			add_photo(groups[i], s, -1, i);
	}

	find_faces(e, want, quality_check);
	inventory();
	if (want[1]) {
		snprintf(dir, sizeof(dir), "%s/.deps/face-api/demo", root);
		time_describe(models, e, dir);
		printf("describe per face (kf_face_describe_flags, thread CPU, median of the sample faces): plain %.1f ms, mirror %.1f ms\n",
		       g.ms_face[0], g.ms_face[1]);
	}
	for (int v = 0; v < 2; v++) {
		if (!want[v])
			continue;
		g.variant = v;
		printf("\n# descriptors: %s\n", v ? "mirror (mean of the crop's and its mirror's)" :
						       "plain (face-api's)");
		histograms();
		auto_thresholds();
		separations();
		errors();
		for (int s = 0; s < g.nsets; s++)
			if (g.sets[s].kind == KIND_LABELLED)
				protocol(s);
		operating_point();
		references();
		if (quality_check)
			quality();
		if (cluster_check)
			clustering(e, cluster_photos, ncluster);
	}
	if (dump_path) {
		FILE *f = fopen(dump_path, "w");

		if (!f)
			die("cannot write '%s'", dump_path);
		dump(f, want);
		if (fclose(f))
			die("cannot write '%s'", dump_path);
	}
	kf_engine_free(e);
	return 0;
}
