/* smallfaces: generates the labelled small-face test set (docs/internals/detect.md,
 * "The small-face test set") that tests/e2e/t0250-smallfaces.sh judges detectors on.
 *
 *   smallfaces --demo DIR --ref DIR --dev DIR --out DIR [--preview DIR [--preview-side N]]
 *   smallfaces --paste W H IMAGE SIZE X Y OUT
 *
 * --paste writes one image for a test that needs a face at a known size
 * (t0240): IMAGE scaled to SIZE px wide (its aspect kept; 0: as it is) on a
 * W x H grey (128) canvas with its top-left corner at X, Y; OUT is a PNG or
 * (any other name) a JPEG of quality 95.
 * --demo  face-api's demo photos sample1..6.jpg (.deps/face-api/demo)
 * --ref   face-api's results on them, sample1..6.json (tests/data/reference)
 * --dev   the dev identity crops identities/NAME/NAMEk.png and faceapi-ssd-boxes.tsv,
 *         face-api's SSD box of each crop padded on grey (tests/data/datasets/dev)
 * --out   where the images and labels.json go (created if needed)
 * --preview  also a PNG of each image (long side at most N, 1600) with its labels
 *         drawn, and of each demo photo with its face-api boxes: to check by eye
 *         that every visible face is labelled
 *
 * labels.json: [{"image": "group.jpg", "scenario": "group", "faces":
 * [{"x":..,"y":..,"w":..,"h":..}]}], pixels of the written image.
 *
 * DESIGN. Everything is a fixed recipe (no random numbers), so the same inputs
 * give the same pixels and labels; nothing big is committed. A label is always a
 * face-api SSD box put through the same scale and offset as the pixels; a box is
 * clipped to its image, and dropped (with a warning) when less than half of it
 * is left. Rotated faces: the face is the ellipse inscribed in its box, and the
 * label is the axis-aligned box of the rotated ellipse (the rotated box's
 * corners would give a box up to 1.5 times too large at 30 degrees).
 * A test tool: errors print and exit 1.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>
#include <png.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/image.h"
#include "core/image_encode.h"

#define NSAMPLES 6
#define MAX_CROPS 40
#define MAX_FACES 64
#define BIG_W 6000
#define BIG_H 4000
#define GREY 128		/* the dev crops' face-api boxes were measured on this grey */

struct box {
	double x, y, w, h;
};

struct sample {			/* a face-api demo photo and face-api's SSD boxes */
	struct kf_image img;
	struct box face[8];
	int n;
};

struct crop {			/* a 150x150 dev identity crop and its face-api box */
	char name[64];		/* "amy/amy1.png" */
	struct kf_image img;
	struct box face;
};

struct shot {			/* one generated image and its labels */
	char name[64];
	const char *scenario;
	struct kf_image img;
	struct box face[MAX_FACES];
	int n;
};

struct set {
	struct sample sample[NSAMPLES];
	struct crop crop[MAX_CROPS];
	int ncrops;
	const char *out, *preview;
	int preview_side;
	FILE *labels;
	int nshots;
};

static void die(const char *fmt, ...) KF_PRINTF(1, 2);
static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("smallfaces: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static void check(int rc, const struct kf_err *err)
{
	if (rc < 0)
		die("%s", err->msg);
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = kf_calloc(n, size);
	if (!p)
		die("out of memory");
	return p;
}

/* ---- pixels ---- */

static struct kf_image canvas(int w, int h, uint8_t grey)
{
	struct kf_image img = { w, h, xcalloc((size_t)w * h, 3) };
	memset(img.rgb, grey, (size_t)w * h * 3);
	return img;
}

/* The taps of one axis of a resize from n_in to n_out pixels: output i reads
 * count[i] inputs from first[i] with weights w[i * taps ..]. Shrinking, an output
 * pixel averages the input it covers (by overlap); enlarging, it is bilinear
 * between the two inputs around its centre (half-pixel centres). */
struct axis {
	int taps;
	int *first, *count;
	float *w;
};

static struct axis axis_make(int n_in, int n_out)
{
	double r = (double)n_in / n_out;
	struct axis a = { r > 1 ? (int)ceil(r) + 1 : 2, NULL, NULL, NULL };
	a.first = xcalloc((size_t)n_out, sizeof(int));
	a.count = xcalloc((size_t)n_out, sizeof(int));
	a.w = xcalloc((size_t)n_out * a.taps, sizeof(float));
	for (int i = 0; i < n_out; i++) {
		float *w = a.w + (size_t)i * a.taps;
		if (r > 1) {
			double lo = i * r, hi = (i + 1) * r;
			int j0 = (int)floor(lo), j1 = (int)ceil(hi);
			if (j1 > n_in)
				j1 = n_in;
			a.first[i] = j0;
			a.count[i] = j1 - j0;
			for (int j = j0; j < j1; j++)
				w[j - j0] = (float)((fmin(hi, j + 1) - fmax(lo, j)) / r);
		} else {
			double c = (i + 0.5) * r - 0.5;
			int j = (int)floor(c);
			double f = c - j;
			if (j < 0)
				j = 0, f = 0;
			if (j >= n_in - 1)
				j = n_in - 1, f = 0;
			a.first[i] = j;
			a.count[i] = f > 0 ? 2 : 1;
			w[0] = (float)(1 - f);
			w[1] = (float)f;
		}
	}
	return a;
}

static void axis_free(struct axis *a)
{
	kf_free(a->first);
	kf_free(a->count);
	kf_free(a->w);
}

/* src resized to w x h: area average when shrinking, bilinear when enlarging. */
static struct kf_image resize(const struct kf_image *src, int w, int h)
{
	struct axis ax = axis_make(src->width, w), ay = axis_make(src->height, h);
	float *tmp = xcalloc((size_t)w * src->height * 3, sizeof(float));
	struct kf_image out = { w, h, xcalloc((size_t)w * h, 3) };

	for (int y = 0; y < src->height; y++)
		for (int x = 0; x < w; x++)
			for (int c = 0; c < 3; c++) {
				float s = 0;
				for (int k = 0; k < ax.count[x]; k++)
					s += ax.w[(size_t)x * ax.taps + k] *
					     src->rgb[((size_t)y * src->width + ax.first[x] + k) * 3 + c];
				tmp[((size_t)y * w + x) * 3 + c] = s;
			}
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++)
			for (int c = 0; c < 3; c++) {
				float s = 0;
				for (int k = 0; k < ay.count[y]; k++)
					s += ay.w[(size_t)y * ay.taps + k] *
					     tmp[((size_t)(ay.first[y] + k) * w + x) * 3 + c];
				out.rgb[((size_t)y * w + x) * 3 + c] = (uint8_t)fminf(255, s + 0.5f);
			}
	kf_free(tmp);
	axis_free(&ax);
	axis_free(&ay);
	return out;
}

/* Copy src onto dst with its top-left corner at (x, y); it must fit. */
static void paste(struct kf_image *dst, const struct kf_image *src, int x, int y)
{
	if (x < 0 || y < 0 || x + src->width > dst->width || y + src->height > dst->height)
		die("bug: %dx%d pasted at %d,%d does not fit", src->width, src->height, x, y);
	for (int r = 0; r < src->height; r++)
		memcpy(dst->rgb + ((size_t)(y + r) * dst->width + x) * 3,
		       src->rgb + (size_t)r * src->width * 3, (size_t)src->width * 3);
}

/* Bilinear sample of channel c at (x, y) (pixel centres at integers), edges clamped. */
static float bilinear(const struct kf_image *img, double x, double y, int c)
{
	x = fmin(fmax(x, 0), img->width - 1);
	y = fmin(fmax(y, 0), img->height - 1);
	int x0 = (int)x, y0 = (int)y;
	int x1 = x0 + (x0 < img->width - 1), y1 = y0 + (y0 < img->height - 1);
	double fx = x - x0, fy = y - y0;
	const uint8_t *p = img->rgb;
	int W = img->width;
	double top = p[((size_t)y0 * W + x0) * 3 + c] * (1 - fx) + p[((size_t)y0 * W + x1) * 3 + c] * fx;
	double bot = p[((size_t)y1 * W + x0) * 3 + c] * (1 - fx) + p[((size_t)y1 * W + x1) * 3 + c] * fx;
	return (float)(top * (1 - fy) + bot * fy);
}

/* ---- labels ---- */

static void add_face(struct shot *s, struct box b)
{
	if (s->n == MAX_FACES)
		die("bug: more than %d faces in '%s'", MAX_FACES, s->name);
	s->face[s->n++] = b;
}

/* Box b of an image scaled by (sx, sy) and pasted at (ox, oy). */
static struct box place(struct box b, double sx, double sy, double ox, double oy)
{
	return (struct box){ b.x * sx + ox, b.y * sy + oy, b.w * sx, b.h * sy };
}

/* The sample photo scaled so that its smallest face is min_w pixels wide, pasted
 * centred on (cx, cy) of the shot, with its faces. */
static void paste_sample(struct shot *s, const struct sample *smp, double min_w, int cx, int cy)
{
	double narrow = smp->face[0].w;
	for (int i = 1; i < smp->n; i++)
		narrow = fmin(narrow, smp->face[i].w);
	double f = min_w / narrow;
	struct kf_image im = resize(&smp->img, (int)lround(smp->img.width * f),
				    (int)lround(smp->img.height * f));
	int x = cx - im.width / 2, y = cy - im.height / 2;
	paste(&s->img, &im, x, y);
	for (int i = 0; i < smp->n; i++)
		add_face(s, place(smp->face[i], (double)im.width / smp->img.width,
				  (double)im.height / smp->img.height, x, y));
	kf_image_release(&im);
}

/* Face k of the sample, scaled to face_w pixels wide and rotated by deg
 * (clockwise on screen) about its box's centre, pasted as a disc of radius
 * `radius` * the box's long side centred on (cx, cy): 0.65 holds the face and
 * keeps the neighbours out, 0.8 holds the head with its hair. Label: the
 * rotated inscribed ellipse's box. */
static void paste_rotated(struct shot *s, const struct sample *smp, int k, double face_w,
			  double deg, double radius, int cx, int cy)
{
	const struct box *b = &smp->face[k];
	double f = face_w / b->w;
	struct kf_image im = resize(&smp->img, (int)lround(smp->img.width * f),
				    (int)lround(smp->img.height * f));
	double sx = (double)im.width / smp->img.width, sy = (double)im.height / smp->img.height;
	double fx = (b->x + b->w / 2) * sx - 0.5, fy = (b->y + b->h / 2) * sy - 0.5;
	double R = radius * fmax(b->w * sx, b->h * sy);
	double t = deg * M_PI / 180, ct = cos(t), st = sin(t);
	int r = (int)ceil(R);

	if (cx - r < 0 || cy - r < 0 || cx + r >= s->img.width || cy + r >= s->img.height)
		die("bug: rotated face at %d,%d does not fit", cx, cy);
	for (int v = -r; v <= r; v++)
		for (int u = -r; u <= r; u++) {
			if (u * u + v * v > R * R)
				continue;
			/* output (u, v) shows the face at the inverse rotation of it */
			double x = fx + u * ct + v * st, y = fy - u * st + v * ct;
			uint8_t *p = s->img.rgb + ((size_t)(cy + v) * s->img.width + cx + u) * 3;
			for (int c = 0; c < 3; c++)
				p[c] = (uint8_t)(bilinear(&im, x, y, c) + 0.5f);
		}
	double a = b->w * sx / 2, e = b->h * sy / 2;
	double hw = sqrt(a * a * ct * ct + e * e * st * st);
	double hh = sqrt(a * a * st * st + e * e * ct * ct);
	add_face(s, (struct box){ cx + 0.5 - hw, cy + 0.5 - hh, 2 * hw, 2 * hh });
	kf_image_release(&im);
}

/* ---- output ---- */

static void write_file(const char *path, const uint8_t *buf, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f) != 0)
		die("cannot write '%s'", path);
}

static void write_png(const char *path, const struct kf_image *img)
{
	png_image pi;
	memset(&pi, 0, sizeof pi);
	pi.version = PNG_IMAGE_VERSION;
	pi.width = (png_uint_32)img->width;
	pi.height = (png_uint_32)img->height;
	pi.format = PNG_FORMAT_RGB;
	if (!png_image_write_to_file(&pi, path, 0, img->rgb, img->width * 3, NULL))
		die("cannot write '%s': %s", path, pi.message);
}

static void write_image(const char *path, const struct kf_image *img)
{
	size_t n = strlen(path);
	if (n > 4 && !strcmp(path + n - 4, ".png")) {
		write_png(path, img);
	} else {
		struct kf_err err = KF_ERR_INIT;
		uint8_t *buf = NULL;
		size_t len = 0;
		check(kf_image_encode_jpeg(img, 95, &buf, &len, &err), &err);
		write_file(path, buf, len);
		kf_free(buf);
	}
}

static void draw_rect(struct kf_image *img, struct box b)
{
	int x0 = (int)lround(b.x), y0 = (int)lround(b.y);
	int x1 = (int)lround(b.x + b.w) - 1, y1 = (int)lround(b.y + b.h) - 1;
	for (int y = y0 - 1; y <= y1 + 1; y++)
		for (int x = x0 - 1; x <= x1 + 1; x++) {
			int edge = abs(y - y0) <= 1 || abs(y - y1) <= 1 || abs(x - x0) <= 1 || abs(x - x1) <= 1;
			if (!edge || x < 0 || y < 0 || x >= img->width || y >= img->height)
				continue;
			uint8_t *p = img->rgb + ((size_t)y * img->width + x) * 3;
			p[0] = 255, p[1] = 0, p[2] = 40;
		}
}

/* A PNG of img, shrunk to the preview side, with the boxes drawn. */
static void write_preview(const struct set *set, const char *name, const struct kf_image *img,
			  const struct box *faces, int n)
{
	char path[1024];
	int side = img->width > img->height ? img->width : img->height;
	double f = side > set->preview_side ? (double)set->preview_side / side : 1;
	struct kf_image pv = resize(img, (int)lround(img->width * f), (int)lround(img->height * f));
	for (int i = 0; i < n; i++)
		draw_rect(&pv, place(faces[i], (double)pv.width / img->width,
				     (double)pv.height / img->height, 0, 0));
	snprintf(path, sizeof path, "%s/%.*s.png", set->preview, (int)strcspn(name, "."), name);
	write_png(path, &pv);
	kf_image_release(&pv);
}

/* Clip the labels to the image, write it, its labels and its preview; frees it. */
static void emit(struct set *set, struct shot *s)
{
	char path[1024];
	int kept = 0;

	for (int i = 0; i < s->n; i++) {
		struct box b = s->face[i];
		double x0 = fmax(b.x, 0), y0 = fmax(b.y, 0);
		double x1 = fmin(b.x + b.w, s->img.width), y1 = fmin(b.y + b.h, s->img.height);
		if (x1 <= x0 || y1 <= y0)
			continue;
		if ((x1 - x0) * (y1 - y0) < 0.5 * b.w * b.h) {
			fprintf(stderr, "smallfaces: %s: face %d mostly outside, not labelled\n",
				s->name, i);
			continue;
		}
		s->face[kept++] = (struct box){ x0, y0, x1 - x0, y1 - y0 };
	}
	s->n = kept;

	snprintf(path, sizeof path, "%s/%s", set->out, s->name);
	write_image(path, &s->img);
	fprintf(set->labels, "%s\n {\"image\": \"%s\", \"scenario\": \"%s\", \"faces\": [",
		set->nshots++ ? "," : "", s->name, s->scenario);
	for (int i = 0; i < s->n; i++)
		fprintf(set->labels, "%s\n  {\"x\": %.2f, \"y\": %.2f, \"w\": %.2f, \"h\": %.2f}",
			i ? "," : "", s->face[i].x, s->face[i].y, s->face[i].w, s->face[i].h);
	fprintf(set->labels, "]}");
	if (set->preview)
		write_preview(set, s->name, &s->img, s->face, s->n);
	printf("%-22s %5dx%-5d %2d faces\n", s->name, s->img.width, s->img.height, s->n);
	kf_image_release(&s->img);
	memset(s, 0, sizeof *s);
}

static struct shot *shot_new(const char *name, const char *scenario, struct kf_image img)
{
	struct shot *s = xcalloc(1, sizeof *s);
	snprintf(s->name, sizeof s->name, "%s", name);
	s->scenario = scenario;
	s->img = img;
	return s;
}

/* ---- inputs ---- */

static void load_samples(struct set *set, const char *demo, const char *ref)
{
	char path[1024];
	struct kf_err err = KF_ERR_INIT;

	for (int i = 0; i < NSAMPLES; i++) {
		struct sample *smp = &set->sample[i];
		uint8_t *buf = NULL;
		size_t len = 0;
		snprintf(path, sizeof path, "%s/sample%d.jpg", demo, i + 1);
		check(kf_image_load(path, 0, &smp->img, NULL, &err), &err);
		snprintf(path, sizeof path, "%s/sample%d.json", ref, i + 1);
		check(kf_image_read_file(path, &buf, &len, &err), &err);
		cJSON *root = cJSON_ParseWithLength((const char *)buf, len);
		cJSON *dets = cJSON_GetObjectItem(cJSON_GetObjectItem(root, "ssd"), "detect_only");
		cJSON *d;
		if (!cJSON_IsArray(dets))
			die("'%s': no ssd.detect_only array", path);
		cJSON_ArrayForEach(d, dets) {
			cJSON *b = cJSON_GetObjectItem(d, "box");
			if (smp->n == (int)(sizeof smp->face / sizeof smp->face[0]))
				die("'%s': too many faces", path);
			smp->face[smp->n++] = (struct box){
				cJSON_GetNumberValue(cJSON_GetObjectItem(b, "x")),
				cJSON_GetNumberValue(cJSON_GetObjectItem(b, "y")),
				cJSON_GetNumberValue(cJSON_GetObjectItem(b, "width")),
				cJSON_GetNumberValue(cJSON_GetObjectItem(b, "height")) };
			if (!(smp->face[smp->n - 1].w > 0 && smp->face[smp->n - 1].h > 0))
				die("'%s': bad box", path);
		}
		cJSON_Delete(root);
		kf_free(buf);
		if (set->preview) {
			snprintf(path, sizeof path, "source-sample%d", i + 1);
			write_preview(set, path, &smp->img, smp->face, smp->n);
		}
	}
}

static void load_crops(struct set *set, const char *dev)
{
	char path[1024], line[256];
	struct kf_err err = KF_ERR_INIT;
	FILE *f;

	snprintf(path, sizeof path, "%s/faceapi-ssd-boxes.tsv", dev);
	if (!(f = fopen(path, "r")))
		die("cannot open '%s'", path);
	while (fgets(line, sizeof line, f)) {
		struct crop *cr = &set->crop[set->ncrops];
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (set->ncrops == MAX_CROPS)
			die("'%s': more than %d crops", path, MAX_CROPS);
		if (sscanf(line, "%63s %lf %lf %lf %lf", cr->name, &cr->face.x, &cr->face.y,
			   &cr->face.w, &cr->face.h) != 5 || !(cr->face.w > 0 && cr->face.h > 0))
			die("'%s': bad line '%s'", path, line);
		snprintf(path, sizeof path, "%s/identities/%s", dev, cr->name);
		check(kf_image_load(path, 0, &cr->img, NULL, &err), &err);
		set->ncrops++;
	}
	fclose(f);
	if (set->ncrops < 36)
		die("'%s/faceapi-ssd-boxes.tsv': %d crops, expected 36", dev, set->ncrops);
}

/* ---- the scenarios ---- */

/* The six demo photos scaled so that their faces are 40..150 px wide, in a
 * 3 x 2 grid of 2000 px cells on a 6000x4000 background. min_w[i] is the width
 * of sample i's narrowest face (at least 42: the rounding of the photo's size
 * moves it by up to 0.1 px); its widest is at most 1.33 times that. */
static void mosaic(struct set *set, const char *name, struct kf_image bg, const double min_w[])
{
	struct shot *s = shot_new(name, "mosaic", bg);
	for (int i = 0; i < NSAMPLES; i++)
		paste_sample(s, &set->sample[i], min_w[i], 1000 + 2000 * (i % 3), 1000 + 2000 * (i / 3));
	emit(set, s);
	kf_free(s);
}

/* A background with no detail: sample3 shrunk to 16x11, enlarged again (at
 * 48x32 its faces were still skin-coloured blobs with hair). */
static struct kf_image blurred_background(const struct set *set)
{
	struct kf_image small = resize(&set->sample[2].img, 16, 11);
	struct kf_image bg = resize(&small, BIG_W, BIG_H);
	kf_image_release(&small);
	return bg;
}

/* Face k (counting through all the samples' faces) as a head: the disc of
 * radius 0.8 holds hair and ears, as people in a group photo have them. A dev
 * crop would not do: it is cut at the forehead and chin, and no photo of a
 * group shows faces without heads. */
static void paste_head(struct shot *s, const struct set *set, int k, double face_w, int cx, int cy)
{
	for (int i = 0;; i = (i + 1) % NSAMPLES) {
		if (k < set->sample[i].n) {
			paste_rotated(s, &set->sample[i], k, face_w, 0, 0.8, cx, cy);
			return;
		}
		k -= set->sample[i].n;
	}
}

static int nfaces(const struct set *set)
{
	int n = 0;
	for (int i = 0; i < NSAMPLES; i++)
		n += set->sample[i].n;
	return n;
}

/* 36 heads of the sample faces in four rows of nine on a blurred background,
 * like a school group: faces from 41 px (back row) to 150 px (front row). */
static void group(struct set *set)
{
	struct shot *s = shot_new("group.jpg", "group", blurred_background(set));
	for (int i = 0; i < 36; i++)
		paste_head(s, set, i * 7 % nfaces(set), 41 + 109.0 * i / 35,
			   BIG_W * (2 * (i % 9) + 1) / 18, 800 + 800 * (i / 9));
	emit(set, s);
	kf_free(s);
}

/* Heads at seven sizes, 48 to 360 px faces, on grey; then three dev crops as
 * they are, 150x150, the face filling the frame. */
static void scaled_crops(struct set *set)
{
	static const double face_w[] = { 48, 64, 90, 128, 180, 256, 360 };
	static const int tight[] = { 0, 13, 27 };
	struct shot *s = shot_new("sizes.jpg", "sizes", canvas(3200, 1000, GREY));
	int x = 40;
	for (int i = 0; i < 7; i++) {
		int r = (int)ceil(0.8 * 1.6 * face_w[i]);	/* the disc, faces at most 1.6:1 */
		paste_head(s, set, i * 3 + 1, face_w[i], x + r, 500);
		x += 2 * r + 30;
	}
	emit(set, s);
	kf_free(s);

	for (int i = 0; i < 3; i++) {
		const struct crop *cr = &set->crop[tight[i]];
		char name[64], id[48];
		struct kf_image copy = canvas(cr->img.width, cr->img.height, 0);
		snprintf(id, sizeof id, "%s", strchr(cr->name, '/') + 1);
		*strrchr(id, '.') = 0;
		snprintf(name, sizeof name, "tight-%s.png", id);
		s = shot_new(name, "tight", copy);
		paste(&s->img, &cr->img, 0, 0);
		add_face(s, cr->face);
		emit(set, s);
		kf_free(s);
	}
}

/* A close-up portrait: face k of a sample cut out so that it fills most of a
 * 3:4 frame (85% of its height, or 75% of its width), enlarged to 600x800. */
static void portrait(struct set *set, const char *name, int smp_i, int k)
{
	const struct sample *smp = &set->sample[smp_i];
	const struct box *b = &smp->face[k];
	double h = fmax(b->h / 0.85, b->w / 0.75 * 4 / 3), w = h * 3 / 4;
	int x = (int)lround(b->x + b->w / 2 - w / 2), y = (int)lround(b->y + b->h / 2 - h / 2);
	struct kf_err err = KF_ERR_INIT;
	struct kf_image cut = { 0 };

	check(kf_image_crop(&smp->img, x, y, (int)lround(w), (int)lround(h), &cut, &err), &err);
	if (cut.width != (int)lround(w) || cut.height != (int)lround(h))
		die("bug: portrait %s runs off sample%d", name, smp_i + 1);
	struct shot *s = shot_new(name, "portrait", resize(&cut, 600, 800));
	for (int i = 0; i < smp->n; i++)
		add_face(s, place(smp->face[i], 600.0 / cut.width, 800.0 / cut.height,
				  -x * 600.0 / cut.width, -y * 800.0 / cut.height));
	kf_image_release(&cut);
	emit(set, s);
	kf_free(s);
}

/* Eight sample faces turned by -30, -15, 15 and 30 degrees, 50 to 140 px wide. */
static void rotations(struct set *set)
{
	static const double deg[] = { -30, -15, 15, 30, 30, 15, -15, -30 };
	static const double face_w[] = { 60, 80, 100, 120, 50, 70, 110, 140 };
	struct shot *s = shot_new("rotations.jpg", "rotation", canvas(2400, 1600, GREY));
	for (int i = 0; i < 8; i++) {
		int smp_i = i % NSAMPLES, k = i % set->sample[smp_i].n;
		paste_rotated(s, &set->sample[smp_i], k, face_w[i], deg[i], 0.65,
			      300 + 600 * (i % 4), 400 + 800 * (i / 4));
	}
	emit(set, s);
	kf_free(s);
}

static void usage(void)
{
	fputs("usage: smallfaces --demo DIR --ref DIR --dev DIR --out DIR"
	      " [--preview DIR [--preview-side N]]\n"
	      "       smallfaces --paste W H IMAGE SIZE X Y OUT\n", stderr);
	exit(2);
}

static int paste_one(char **argv)
{
	int w = atoi(argv[0]), h = atoi(argv[1]), size = atoi(argv[3]);
	int x = atoi(argv[4]), y = atoi(argv[5]);
	struct kf_err err = KF_ERR_INIT;
	struct kf_image img, bg;

	if (w < 1 || h < 1 || w > 20000 || h > 20000 || size < 0 || size > 20000)
		usage();
	check(kf_image_load(argv[2], 0, &img, NULL, &err), &err);
	if (size > 0) {
		struct kf_image r = resize(&img, size, (int)lround((double)img.height * size /
								    img.width));
		kf_image_release(&img);
		img = r;
	}
	bg = canvas(w, h, GREY);
	paste(&bg, &img, x, y);
	write_image(argv[6], &bg);
	kf_image_release(&img);
	kf_image_release(&bg);
	return 0;
}

int main(int argc, char **argv)
{
	/* narrowest face of each sample in the two mosaics (px) */
	static const double grey_w[NSAMPLES] = { 42, 56, 72, 88, 104, 110 };
	static const double blur_w[NSAMPLES] = { 100, 88, 42, 48, 60, 72 };
	struct set *set = xcalloc(1, sizeof *set);
	const char *demo = NULL, *ref = NULL, *dev = NULL;
	char path[1024];

	if (argc == 9 && !strcmp(argv[1], "--paste")) {
		kf_free(set);
		return paste_one(argv + 2);
	}
	set->preview_side = 1600;
	for (int i = 1; i < argc; i += 2) {	/* --option value pairs */
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!v)
			usage();
		if (!strcmp(argv[i], "--demo"))
			demo = v;
		else if (!strcmp(argv[i], "--ref"))
			ref = v;
		else if (!strcmp(argv[i], "--dev"))
			dev = v;
		else if (!strcmp(argv[i], "--out"))
			set->out = v;
		else if (!strcmp(argv[i], "--preview"))
			set->preview = v;
		else if (!strcmp(argv[i], "--preview-side") && atoi(v) >= 100)
			set->preview_side = atoi(v);
		else
			usage();
	}
	if (!demo || !ref || !dev || !set->out)
		usage();

	if ((mkdir(set->out, 0777) < 0 && errno != EEXIST) ||
	    (set->preview && mkdir(set->preview, 0777) < 0 && errno != EEXIST))
		die("cannot create '%s' or '%s': %s", set->out, set->preview ? set->preview : "",
		    strerror(errno));
	load_samples(set, demo, ref);
	load_crops(set, dev);
	snprintf(path, sizeof path, "%s/labels.json", set->out);
	if (!(set->labels = fopen(path, "w")))
		die("cannot write '%s'", path);
	fputs("[", set->labels);

	mosaic(set, "mosaic-grey.jpg", canvas(BIG_W, BIG_H, GREY), grey_w);
	mosaic(set, "mosaic-blur.jpg", blurred_background(set), blur_w);
	group(set);
	scaled_crops(set);
	portrait(set, "portrait-1.jpg", 0, 0);
	portrait(set, "portrait-5.jpg", 4, 4);
	rotations(set);

	fputs("\n]\n", set->labels);
	if (fclose(set->labels) != 0)
		die("cannot write '%s'", path);
	for (int i = 0; i < NSAMPLES; i++)
		kf_image_release(&set->sample[i].img);
	for (int i = 0; i < set->ncrops; i++)
		kf_image_release(&set->crop[i].img);
	kf_free(set);
	return 0;
}
