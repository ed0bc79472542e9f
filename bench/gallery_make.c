/* bench/gallery_make.c: the synthetic photo galleries of bench/gallery, built
 * from the face-api sample photos.
 *
 *   gallery_make FACES OUTDIR mixed|big|group COUNT SEED PART NPARTS
 *
 * FACES lists the sample photos' faces, one per line: "PATH X Y W H" (pixels;
 * bench/gallery writes it from `kingface detect --tiles off`). Photo i (0 ..
 * COUNT-1) is made only when i % NPARTS == PART, so two processes can share
 * the work; every photo depends only on SEED and i, whatever the split.
 *
 * mixed: camera and web sizes from 800x533 up to 6000x4000 (landscape and
 *   portrait, sizes weighted towards camera photos); one sample, or two side
 *   by side, each either whole or a random crop of 65-100% of it, fitted into
 *   its half without distortion on a grey background; then 0 to 2 extra faces
 *   (a face of a sample with a margin) pasted where they overlap no face. JPEG
 *   quality 80 to 95. Every 50th photo (i % 50 == 7) is cut to 40-70% of its
 *   bytes: a truncated JPEG whose header still reads (2% corrupt).
 *   Files go to OUTDIR/session-NN/IMG_NNNN.jpg (10 sessions).
 * big: 6000x4000 (24 megapixels), one of samples 4, 5, 6 filling the frame
 *   (cropped to 3:2 around its faces), plus one pasted face when the sample has
 *   fewer than 5: about 5 faces each. Quality 90. OUTDIR/BIG_NNNN.jpg.
 * group: 6000x4000, a sample filling the frame as in big (samples 1 to 6 in
 *   turn), then sample faces (with a margin) of 50 to 200 px pasted where they
 *   overlap no face until 28 to 32 faces are placed: a group or event photo
 *   of about 30 faces. Quality 90. OUTDIR/GROUP_NNNN.jpg.
 *
 * Output: one line per photo made, "KEY WIDTH HEIGHT FACES CORRUPT", where
 * FACES counts the faces placed whole in the photo (the sample faces inside
 * the crop, and the pasted ones).
 *
 * Build: cc -std=c11 -D_GNU_SOURCE -O2 -I. bench/gallery_make.c build-bench/libkf_core.a \
 *          -lcjson -lcrypto -ljpeg -lpng -lm -lpthread -o build-bench/gallery_make
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jpeglib.h>

#include "core/image.h"

#define MAX_SAMPLES 16
#define MAX_FACES 16
#define MAX_PLACED 64

struct rect {
	double x, y, w, h;
};

struct sample {
	char path[1024];
	struct kf_image img;
	int nfaces;
	struct rect face[MAX_FACES];
};

static struct sample samples[MAX_SAMPLES];
static int nsamples;

static uint64_t rng;

static double uniform(void)	/* xorshift64*, [0, 1) */
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (double)((rng * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}

static int pick(int n)
{
	return (int)(uniform() * n);
}

/* An RGB canvas. */
struct canvas {
	int w, h;
	uint8_t *rgb;
	int nplaced;
	struct rect placed[MAX_PLACED];	/* faces in canvas pixels */
};

/* Bilinear copy of the source rectangle src (sample pixels) into the canvas
 * rectangle (dx, dy, dw, dh). */
static void blit(struct canvas *c, const struct kf_image *s, struct rect src, int dx, int dy,
		 int dw, int dh)
{
	for (int y = 0; y < dh; y++) {
		int cy = dy + y;
		double sy = src.y + ((double)y + 0.5) * src.h / dh - 0.5;
		int y0, y1;
		double fy;

		if (cy < 0 || cy >= c->h)
			continue;
		sy = sy < 0 ? 0 : sy > s->height - 1 ? s->height - 1 : sy;
		y0 = (int)sy;
		y1 = y0 + 1 < s->height ? y0 + 1 : y0;
		fy = sy - y0;
		for (int x = 0; x < dw; x++) {
			int cx = dx + x;
			double sx = src.x + ((double)x + 0.5) * src.w / dw - 0.5;
			int x0, x1;
			double fx;

			if (cx < 0 || cx >= c->w)
				continue;
			sx = sx < 0 ? 0 : sx > s->width - 1 ? s->width - 1 : sx;
			x0 = (int)sx;
			x1 = x0 + 1 < s->width ? x0 + 1 : x0;
			fx = sx - x0;
			const uint8_t *p00 = s->rgb + ((size_t)y0 * s->width + x0) * 3;
			const uint8_t *p01 = s->rgb + ((size_t)y0 * s->width + x1) * 3;
			const uint8_t *p10 = s->rgb + ((size_t)y1 * s->width + x0) * 3;
			const uint8_t *p11 = s->rgb + ((size_t)y1 * s->width + x1) * 3;
			uint8_t *d = c->rgb + ((size_t)cy * c->w + cx) * 3;

			for (int k = 0; k < 3; k++) {
				double t = p00[k] + (p01[k] - p00[k]) * fx;
				double b = p10[k] + (p11[k] - p10[k]) * fx;
				d[k] = (uint8_t)(t + (b - t) * fy + 0.5);
			}
		}
	}
}

static void add_placed(struct canvas *c, struct rect r)
{
	if (c->nplaced < MAX_PLACED)
		c->placed[c->nplaced++] = r;
}

/* Put the crop `src` of sample s into the canvas rectangle (tx, ty, tw, th):
 * `fill` scales it to cover the rectangle (cropping the excess, centred),
 * otherwise it fits inside (grey around). Records the faces placed whole. */
static void place(struct canvas *c, const struct sample *s, struct rect src, int tx, int ty,
		  int tw, int th, int fill)
{
	double sc = fill ? (tw / src.w > th / src.h ? tw / src.w : th / src.h)
			 : (tw / src.w < th / src.h ? tw / src.w : th / src.h);
	int dw = (int)(src.w * sc + 0.5), dh = (int)(src.h * sc + 0.5);
	int dx = tx + (tw - dw) / 2, dy = ty + (th - dh) / 2;

	if (fill) {	/* crop the source instead of drawing outside the tile */
		struct rect r = { src.x + (dw - tw) / 2.0 / sc, src.y + (dh - th) / 2.0 / sc,
				  tw / sc, th / sc };
		src = r;
		dx = tx, dy = ty, dw = tw, dh = th;
	}
	blit(c, &s->img, src, dx, dy, dw, dh);
	for (int f = 0; f < s->nfaces; f++) {
		const struct rect *b = &s->face[f];

		if (b->x >= src.x && b->y >= src.y && b->x + b->w <= src.x + src.w &&
		    b->y + b->h <= src.y + src.h) {
			struct rect r = { dx + (b->x - src.x) * dw / src.w, dy + (b->y - src.y) * dh / src.h,
					  b->w * dw / src.w, b->h * dh / src.h };
			add_placed(c, r);
		}
	}
}

static int overlaps(const struct rect *a, const struct rect *b)
{
	return a->x < b->x + b->w && b->x < a->x + a->w && a->y < b->y + b->h && b->y < a->y + a->h;
}

/* Paste a random sample face (with a margin) of face width fw pixels where it
 * overlaps no placed face; 1 when pasted. */
static int paste_face(struct canvas *c, double fw)
{
	int si = pick(nsamples);
	const struct sample *s = &samples[si];

	if (s->nfaces == 0)
		return 0;
	const struct rect *b = &s->face[pick(s->nfaces)];
	/* the face box with a margin of 40% of its size each side */
	struct rect src = { b->x - 0.4 * b->w, b->y - 0.4 * b->h, 1.8 * b->w, 1.8 * b->h };
	double sc = fw / b->w;
	int pw = (int)(src.w * sc), ph = (int)(src.h * sc);

	if (src.x < 0)
		src.x = 0;
	if (src.y < 0)
		src.y = 0;
	if (src.x + src.w > s->img.width)
		src.w = s->img.width - src.x;
	if (src.y + src.h > s->img.height)
		src.h = s->img.height - src.y;
	if (pw >= c->w || ph >= c->h)
		return 0;
	for (int tries = 0; tries < 50; tries++) {
		struct rect at = { pick(c->w - pw), pick(c->h - ph), pw, ph };
		int clear = 1;

		for (int i = 0; i < c->nplaced && clear; i++) {
			struct rect grown = { c->placed[i].x - 0.4 * c->placed[i].w,
					      c->placed[i].y - 0.4 * c->placed[i].h,
					      1.8 * c->placed[i].w, 1.8 * c->placed[i].h };
			clear = !overlaps(&at, &grown);
		}
		if (!clear)
			continue;
		blit(c, &s->img, src, (int)at.x, (int)at.y, pw, ph);
		struct rect face = { at.x + (b->x - src.x) * sc, at.y + (b->y - src.y) * sc,
				     b->w * sc, b->h * sc };
		add_placed(c, face);
		return 1;
	}
	return 0;
}

static int save_jpeg(const struct canvas *c, const char *path, int quality)
{
	struct jpeg_compress_struct j;
	struct jpeg_error_mgr e;
	FILE *f = fopen(path, "wb");

	if (!f) {
		fprintf(stderr, "gallery_make: cannot write '%s': %s\n", path, strerror(errno));
		return -1;
	}
	j.err = jpeg_std_error(&e);
	jpeg_create_compress(&j);
	jpeg_stdio_dest(&j, f);
	j.image_width = (JDIMENSION)c->w;
	j.image_height = (JDIMENSION)c->h;
	j.input_components = 3;
	j.in_color_space = JCS_RGB;
	jpeg_set_defaults(&j);
	jpeg_set_quality(&j, quality, TRUE);
	jpeg_start_compress(&j, TRUE);
	while (j.next_scanline < j.image_height) {
		JSAMPROW row = (JSAMPROW)(c->rgb + (size_t)j.next_scanline * c->w * 3);
		jpeg_write_scanlines(&j, &row, 1);
	}
	jpeg_finish_compress(&j);
	jpeg_destroy_compress(&j);
	return fclose(f) == 0 ? 0 : -1;
}

static int truncate_file(const char *path, double keep)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return -1;
	return truncate(path, (off_t)((double)st.st_size * keep));
}

static int load_faces(const char *list)
{
	FILE *f = fopen(list, "r");
	char path[1024];
	double x, y, w, h;
	struct kf_err err = KF_ERR_INIT;

	if (!f) {
		fprintf(stderr, "gallery_make: cannot read '%s'\n", list);
		return -1;
	}
	while (fscanf(f, "%1023s %lf %lf %lf %lf", path, &x, &y, &w, &h) == 5) {
		int i;

		for (i = 0; i < nsamples && strcmp(samples[i].path, path); i++)
			;
		if (i == nsamples) {
			if (nsamples == MAX_SAMPLES)
				break;
			snprintf(samples[i].path, sizeof(samples[i].path), "%s", path);
			if (kf_image_load(path, 0, &samples[i].img, NULL, &err) < 0) {
				fprintf(stderr, "gallery_make: %s\n", err.msg);
				fclose(f);
				return -1;
			}
			nsamples++;
		}
		if (samples[i].nfaces < MAX_FACES) {
			struct rect r = { x, y, w, h };
			samples[i].face[samples[i].nfaces++] = r;
		}
	}
	fclose(f);
	return nsamples ? 0 : -1;
}

/* The sample whose file name ends with name, or -1. */
static int sample_named(const char *name)
{
	size_t n = strlen(name);

	for (int i = 0; i < nsamples; i++) {
		size_t m = strlen(samples[i].path);
		if (m >= n && !strcmp(samples[i].path + m - n, name))
			return i;
	}
	return -1;
}

static struct rect random_crop(const struct sample *s)
{
	struct rect r = { 0, 0, s->img.width, s->img.height };

	if (uniform() < 0.5) {
		r.w = s->img.width * (0.65 + 0.35 * uniform());
		r.h = s->img.height * (0.65 + 0.35 * uniform());
		r.x = uniform() * (s->img.width - r.w);
		r.y = uniform() * (s->img.height - r.h);
	}
	return r;
}

static int make_mixed(const char *outdir, int i, char *key, size_t keyn, struct canvas *c,
		      int *quality, int *corrupt)
{
	static const int sizes[][3] = {	/* w, h, weight */
		{ 6000, 4000, 15 }, { 4000, 6000, 5 }, { 5472, 3648, 10 }, { 4032, 3024, 15 },
		{ 3000, 2000, 15 }, { 2048, 1365, 15 }, { 1920, 1280, 10 }, { 1200, 800, 10 },
		{ 800, 533, 5 },
	};
	int total = 0, r, k = 0;
	char dir[1100];

	for (size_t j = 0; j < sizeof(sizes) / sizeof(sizes[0]); j++)
		total += sizes[j][2];
	r = pick(total);
	while (r >= sizes[k][2])
		r -= sizes[k++][2];
	c->w = sizes[k][0];
	c->h = sizes[k][1];
	if (!(c->rgb = malloc((size_t)c->w * c->h * 3)))
		return -1;
	memset(c->rgb, 118, (size_t)c->w * c->h * 3);
	if (uniform() < 0.3) {	/* two samples side by side (stacked when portrait) */
		int port = c->h > c->w;
		for (int t = 0; t < 2; t++) {
			const struct sample *s = &samples[pick(nsamples)];
			if (port)
				place(c, s, random_crop(s), 0, t * c->h / 2, c->w, c->h / 2, 0);
			else
				place(c, s, random_crop(s), t * c->w / 2, 0, c->w / 2, c->h, 0);
		}
	} else {
		const struct sample *s = &samples[pick(nsamples)];
		place(c, s, random_crop(s), 0, 0, c->w, c->h, 0);
	}
	for (int n = pick(3); n > 0; n--)
		paste_face(c, c->w * (0.04 + 0.06 * uniform()));
	*quality = 80 + pick(16);
	*corrupt = i % 50 == 7;
	snprintf(dir, sizeof(dir), "%s/session-%02d", outdir, i % 10 + 1);
	mkdir(dir, 0755);
	snprintf(key, keyn, "session-%02d/IMG_%04d.jpg", i % 10 + 1, i + 1);
	return 0;
}

/* A sample filling a 6000x4000 canvas: a 3:2 crop of its full width placed so
 * that every face stays whole. */
static int fill_frame(struct canvas *c, const struct sample *s)
{
	struct rect src;
	double top = 1e9, bottom = 0;

	c->w = 6000;
	c->h = 4000;
	if (!(c->rgb = malloc((size_t)c->w * c->h * 3)))
		return -1;
	src.w = s->img.width;
	src.h = s->img.width * 2.0 / 3.0;
	if (src.h > s->img.height)
		src.h = s->img.height;
	for (int f = 0; f < s->nfaces; f++) {
		top = s->face[f].y < top ? s->face[f].y : top;
		bottom = s->face[f].y + s->face[f].h > bottom ? s->face[f].y + s->face[f].h : bottom;
	}
	src.x = 0;
	src.y = (top + bottom) / 2 - src.h / 2;
	src.y = src.y < 0 ? 0 : src.y + src.h > s->img.height ? s->img.height - src.h : src.y;
	src.y += (uniform() - 0.5) * 0.02 * src.h;	/* a little variety */
	src.y = src.y < 0 ? 0 : src.y + src.h > s->img.height ? s->img.height - src.h : src.y;
	place(c, s, src, 0, 0, c->w, c->h, 1);
	return 0;
}

static int make_group(int i, char *key, size_t keyn, struct canvas *c, int *quality)
{
	int want = 28 + pick(5);

	if (fill_frame(c, &samples[i % nsamples]) < 0)
		return -1;
	for (int tries = 0; c->nplaced < want && tries < 200; tries++)
		paste_face(c, 50 + 150 * uniform());
	*quality = 90;
	snprintf(key, keyn, "GROUP_%04d.jpg", i + 1);
	return 0;
}

static int make_big(int i, char *key, size_t keyn, struct canvas *c, int *quality)
{
	static const char *const names[] = { "sample5.jpg", "sample4.jpg", "sample6.jpg" };
	int si = sample_named(names[i % 3]);

	if (si < 0) {
		fprintf(stderr, "gallery_make: big needs %s in the faces list\n", names[i % 3]);
		return -1;
	}
	if (fill_frame(c, &samples[si]) < 0)
		return -1;
	if (c->nplaced < 5) {
		double fw = 0;
		for (int f = 0; f < c->nplaced; f++)
			fw += c->placed[f].w;
		paste_face(c, fw / c->nplaced);
	}
	*quality = 90;
	snprintf(key, keyn, "BIG_%04d.jpg", i + 1);
	return 0;
}

int main(int argc, char **argv)
{
	int count, part, nparts;
	unsigned long long seed;

	if (argc != 8 || (strcmp(argv[3], "mixed") && strcmp(argv[3], "big") &&
			  strcmp(argv[3], "group"))) {
		fprintf(stderr, "usage: %s FACES OUTDIR mixed|big|group COUNT SEED PART NPARTS\n",
			argv[0]);
		return 2;
	}
	count = atoi(argv[4]);
	seed = strtoull(argv[5], NULL, 10);
	part = atoi(argv[6]);
	nparts = atoi(argv[7]);
	if (nparts < 1 || part < 0 || part >= nparts || load_faces(argv[1]) < 0)
		return 1;
	mkdir(argv[2], 0755);
	for (int i = part; i < count; i += nparts) {
		struct canvas c = { 0 };
		char key[256], path[2048];
		int quality = 90, corrupt = 0, rc;

		rng = (seed + 1) * 0x9E3779B97F4A7C15ull ^ ((uint64_t)i + 1) * 0xBF58476D1CE4E5B9ull;
		for (int w = 0; w < 4; w++)
			uniform();
		if (!strcmp(argv[3], "mixed"))
			rc = make_mixed(argv[2], i, key, sizeof(key), &c, &quality, &corrupt);
		else if (!strcmp(argv[3], "big"))
			rc = make_big(i, key, sizeof(key), &c, &quality);
		else
			rc = make_group(i, key, sizeof(key), &c, &quality);
		if (rc < 0)
			return 1;
		snprintf(path, sizeof(path), "%s/%s", argv[2], key);
		if (save_jpeg(&c, path, quality) < 0 ||
		    (corrupt && truncate_file(path, 0.4 + 0.3 * uniform()) < 0))
			return 1;
		printf("%s %d %d %d %d\n", key, c.w, c.h, c.nplaced, corrupt);
		free(c.rgb);
	}
	for (int i = 0; i < nsamples; i++)
		kf_image_release(&samples[i].img);
	return 0;
}
