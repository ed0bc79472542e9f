/* bench/detect_stages.c: single-core time of each stage of kingface's face
 * detection, inference only (weights loaded and file read beforehand), for
 * bench/detect to compare with face-api's.
 *
 * Usage:
 *   detect_stages [--runs N] [--warmup N] [--tiled-runs N] [--yunet DIR] MODEL_DIR BIG.jpg PHOTO...
 *
 * For each PHOTO (the face-api samples), the median of N timed runs after the
 * warm-up runs (defaults 5 and 2) of:
 *   decode_ssd, decode_tiny  kf_image_decode at kf_detect_min_side() of the
 *                            single pass (--tiles off) of each detector
 *   input_ssd, input_tiny    kf_image_to_net_input to 512 / 416
 *   forward_ssd, forward_tiny the net alone (kf_ssd_forward, kf_tiny_forward)
 *   detect_ssd, detect_tiny  kf_detect, tiles off: decoded photo -> detections
 *                            (net input + forward + NMS + boxes); this is what
 *                            face-api's detectAllFaces on a decoded tensor does
 * then, for BIG (a 6000x4000 JPEG, made by `image_decode --make`), decode:
 *   big_decode_full          full size (min_side 0)
 *   big_decode_ssd           at kf_detect_min_side(SSD, tiles off)
 *   big_decode_512           at min_side 512 (1/8), for comparison
 *   big_decode_yunet         at kf_detect_min_side(default: YuNet; with --yunet)
 * and with --yunet DIR (models/yunet), YuNet on BIG, the passes kf_detect runs
 * (core/detect.h's scale rule: on a 6000x4000 photo the fine pass on the 1/2
 * decode, 3000x2000, and the coarse pass at a long side of 1000):
 *   yunet_fine               kf_yunet_detect on the fine pass's input
 *   yunet_resize             kf_image_resize of the decode to the coarse side
 *   yunet_coarse             kf_yunet_detect on the coarse pass's input
 *   detect_yunet             kf_detect, default options, on the decode (both
 *                            passes, the resize, merge and box mapping)
 * and, when --tiled-runs is not 0, for the first PHOTO and BIG, SSD and tiny
 * decoded at the tiled min_side (--tiles auto), --tiled-runs runs after one
 * warm-up of
 *   tiled_ssd, tiled_tiny    kf_detect with tiles auto
 *   untiled_ssd, ...         kf_detect with tiles off on the same decode
 *
 * MACs (multiply-adds of the convolutions, from the layer shapes; bias,
 * activations, pooling, upsampling and decoding not counted) are printed as
 *   macs NAME INPUT MACS
 * for SSD MobileNetV1 at 512x512 (macs ssd 512x512 N) and for each YuNet pass
 * timed (macs yunet_fine 3008x2016 N: the input padded to a multiple of 32,
 * as the net runs it). MACs / median time = the GMAC/s these kernels reach.
 *
 * Output: a header line starting with '#', then one line per measurement,
 *   KEY PHOTO DETAIL MEDIAN_MS MIN_MS MAX_MS CPU_MEDIAN_MS
 * (DETAIL has no spaces; the times are wall clock, CPU_MEDIAN_MS is the
 * median CPU time of the process, which another job on the same core does
 * not inflate), then per key over the photos: `summary KEY MEDIAN_MS MEAN_MS
 * CPU_MEDIAN_MS`, the median and mean of the photos' medians and the median
 * of their CPU medians. bench/detect reads these.
 *
 * Build against a Release kf_core (bench/detect does this):
 *   cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release && cmake --build build-bench --target kf_core
 *   cc -O2 -I. bench/detect_stages.c build-bench/libkf_core.a -lcjson -lcrypto -ljpeg -lpng -lm \
 *      -lpthread -o build-bench/detect_stages
 *   taskset -c 0 build-bench/detect_stages --yunet models/yunet --tiled-runs 0 \
 *      .deps/face-api/model build-bench/big6000.jpg .deps/face-api/demo/sample*.jpg
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "core/detect.h"
#include "core/image.h"
#include "core/nn_ssd.h"
#include "core/nn_tiny.h"
#include "core/nn_yunet.h"

#define MAX_RUNS 50
#define MAX_PHOTOS 16

/* One thing to time: run() is timed, done() (may be NULL) undoes it untimed. */
struct job {
	int (*run)(struct job *j, struct kf_err *err);
	void (*done)(struct job *j);
	/* inputs */
	const uint8_t *buf;
	size_t len;
	int min_side;
	const struct kf_image *img;
	int full_w, full_h, size;
	const struct kf_detector *det;
	const struct kf_ssd *ssd;
	const struct kf_tiny *tiny;
	const struct kf_yunet *yunet;
	struct kf_detect_opts opts;
	const float *in;
	/* outputs and scratch */
	struct kf_image out;
	struct kf_image_info info;
	struct kf_detection *faces;
	struct kf_yunet_face *yfaces;
	size_t nfaces;
	float *f1, *f2;
	struct kf_arena *arena;
};

/* Medians per key, for the summary lines. */
static struct {
	char key[32];
	double med[MAX_PHOTOS], cpu[MAX_PHOTOS];
	int n;
} keys[32];
static int nkeys;

static double clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void remember(const char *key, double med, double cpu)
{
	int k;

	for (k = 0; k < nkeys && strcmp(keys[k].key, key); k++)
		;
	if (k == nkeys) {
		if (nkeys == (int)(sizeof(keys) / sizeof(keys[0])))
			return;
		snprintf(keys[nkeys++].key, sizeof(keys[0].key), "%s", key);
	}
	if (keys[k].n < MAX_PHOTOS) {
		keys[k].cpu[keys[k].n] = cpu;
		keys[k].med[keys[k].n++] = med;
	}
}

/* Time j: warmup untimed runs, then runs timed ones; print one line. The
 * detail may contain %d for the face count of a detection job. */
static int timed(struct job *j, const char *key, const char *photo, const char *detail,
		 int warmup, int runs, int summarise, double *med_out)
{
	double t[MAX_RUNS], c[MAX_RUNS], med, cpu, lo, hi;
	struct kf_err err = KF_ERR_INIT;
	char text[128];

	for (int r = 0; r < warmup + runs; r++) {
		double t0 = clock_ms(CLOCK_MONOTONIC), c0 = clock_ms(CLOCK_PROCESS_CPUTIME_ID);

		if (j->run(j, &err) < 0) {
			fprintf(stderr, "detect_stages: %s %s: %s\n", key, photo, err.msg);
			return -1;
		}
		if (r >= warmup) {
			t[r - warmup] = clock_ms(CLOCK_MONOTONIC) - t0;
			c[r - warmup] = clock_ms(CLOCK_PROCESS_CPUTIME_ID) - c0;
		}
		if (r + 1 < warmup + runs && j->done)
			j->done(j);
	}
	snprintf(text, sizeof(text), detail, (int)j->nfaces);
	if (j->done)
		j->done(j);
	lo = hi = t[0];
	for (int r = 1; r < runs; r++) {
		lo = t[r] < lo ? t[r] : lo;
		hi = t[r] > hi ? t[r] : hi;
	}
	med = median(t, runs);
	cpu = median(c, runs);
	printf("%-16s %-12s %-32s %9.2f %9.2f %9.2f %9.2f\n", key, photo, text, med, lo, hi, cpu);
	fflush(stdout);
	if (summarise)
		remember(key, med, cpu);
	if (med_out)
		*med_out = med;
	return 0;
}

static int run_decode(struct job *j, struct kf_err *err)
{
	return kf_image_decode(j->buf, j->len, j->min_side, &j->out, &j->info, err);
}

static void done_decode(struct job *j)
{
	kf_image_release(&j->out);
}

static int run_input(struct job *j, struct kf_err *err)
{
	return kf_image_to_net_input(j->img, 0, 0, j->img->width, j->img->height, j->size, 0, j->f1,
				     err);
}

static int run_ssd(struct job *j, struct kf_err *err)
{
	return kf_ssd_forward(j->ssd, j->in, j->f1, j->f2, j->arena, err);
}

static int run_tiny(struct job *j, struct kf_err *err)
{
	return kf_tiny_forward(j->tiny, j->in, j->size, j->f1, j->arena, err);
}

static void done_forward(struct job *j)
{
	kf_arena_reset(j->arena);
}

static int run_detect(struct job *j, struct kf_err *err)
{
	return kf_detect(j->det, &j->opts, j->img, j->full_w, j->full_h, &j->faces, &j->nfaces,
			 j->arena, err);
}

static void done_detect(struct job *j)
{
	kf_free(j->faces);
	j->faces = NULL;
	kf_arena_reset(j->arena);
}

static int run_yunet(struct job *j, struct kf_err *err)
{
	return kf_yunet_detect(j->yunet, j->img->rgb, j->img->width, j->img->height,
			       (size_t)j->img->width * 3, j->opts.min_score, KF_YUNET_NMS_IOU,
			       &j->yfaces, &j->nfaces, j->arena, err);
}

static void done_yunet(struct job *j)
{
	kf_free(j->yfaces);
	j->yfaces = NULL;
	kf_arena_reset(j->arena);
}

static int run_resize(struct job *j, struct kf_err *err)
{
	return kf_image_resize(j->img, j->full_w, j->full_h, &j->out, err);
}

/* MACs of one YuNet pass on a w x h image, from the layer list of
 * core/nn_yunet.h. The net runs on the image zero-padded to multiples of 32;
 * a layer at stride s has (wp / s) x (hp / s) output pixels. */
static double yunet_macs(int w, int h)
{
	static const struct {
		int stride, in, out;
	} dp[] = {	/* DP block: 1x1 in -> out, then 3x3 depthwise on out */
		{ 2, 16, 16 },					/* stem's DP */
		{ 4, 16, 16 }, { 4, 16, 32 },			/* stage1 */
		{ 4, 32, 32 }, { 4, 32, 64 },			/* stage2 */
		{ 8, 64, 64 }, { 8, 64, 64 },			/* fb1 */
		{ 16, 64, 64 }, { 16, 64, 64 },			/* fb2 */
		{ 32, 64, 64 }, { 32, 64, 64 },			/* fb3 */
		{ 32, 64, 64 }, { 16, 64, 64 }, { 8, 64, 64 },	/* neck */
		{ 8, 64, 16 }, { 16, 64, 16 }, { 32, 64, 16 },	/* heads: cls+box+obj+kps = 16 */
	};
	double px = (double)((w + 31) / 32 * 32) * (double)((h + 31) / 32 * 32);
	double m = px / 4 * 9 * 3 * 16;	/* stem: 3x3 stride 2, 3 -> 16 */

	for (size_t i = 0; i < sizeof(dp) / sizeof(dp[0]); i++)
		m += px / ((double)dp[i].stride * dp[i].stride) *
		     (double)(dp[i].in * dp[i].out + 9 * dp[i].out);
	return m;
}

/* MACs of one SSD MobileNetV1 pass at 512x512, from core/nn_ssd.c's tables
 * (TF 'same' padding: a stride-2 layer halves the side, rounding up). */
static double ssd_macs(void)
{
	static const int mb_ch[14] = { 32, 64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512,
				       1024, 1024 };
	static const int mb_stride[14] = { 2, 1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1 };
	static const int pred_ch[8] = { 256, 512, 128, 256, 128, 256, 64, 128 };
	static const int head_cin[6] = { 512, 1024, 512, 256, 256, 128 };
	static const int head_grid[6] = { 32, 16, 8, 4, 2, 1 };
	static const int head_anchors[6] = { 3, 6, 6, 6, 6, 6 };
	int s = KF_SSD_INPUT / 2, c = mb_ch[0];
	double m = (double)s * s * 9 * 3 * c;	/* conv_0: 3x3 stride 2, 3 -> 32 */

	for (int i = 1; i < 14; i++) {	/* 3x3 depthwise, then 1x1 */
		s = (s + mb_stride[i] - 1) / mb_stride[i];
		m += (double)s * s * (9.0 * c + (double)c * mb_ch[i]);
		c = mb_ch[i];
	}
	for (int i = 0; i < 8; i++) {	/* prediction convs: 1x1, 3x3 stride 2, ... */
		int k = i % 2 ? 9 : 1;

		if (i % 2)
			s = (s + 1) / 2;
		m += (double)s * s * k * c * pred_ch[i];
		c = pred_ch[i];
	}
	for (int i = 0; i < 6; i++)	/* box (4) and class (3) predictors, 1x1 */
		m += (double)head_grid[i] * head_grid[i] * head_cin[i] * head_anchors[i] * 7;
	return m;
}

/* "macs NAME WxH MACS", the size padded to a multiple of 32 (as YuNet runs it;
 * 512 stays 512). */
static void print_macs(const char *name, int w, int h, double macs)
{
	char size[32];

	snprintf(size, sizeof(size), "%dx%d", (w + 31) / 32 * 32, (h + 31) / 32 * 32);
	printf("macs %-16s %-12s %.0f\n", name, size, macs);
}

static const char *base(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

struct photo {
	const char *path, *name;
	uint8_t *buf;
	size_t len;
	struct kf_image_info info;	/* full size */
};

static int load_photo(struct photo *p, const char *path, struct kf_err *err)
{
	p->path = path;
	p->name = base(path);
	if (kf_image_read_file(path, &p->buf, &p->len, err) < 0 ||
	    kf_image_probe(p->buf, p->len, &p->info, err) < 0) {
		fprintf(stderr, "detect_stages: %s\n", err->msg);
		return -1;
	}
	return 0;
}

/* Decode p as kf_detect_min_side() asks for detector `kind` and `tiles`. */
static int decode_for(const struct photo *p, enum kf_detector_kind kind, enum kf_tiles tiles,
		      struct kf_image *img, struct kf_err *err)
{
	struct kf_detect_opts o = KF_DETECT_OPTS_DEFAULT;

	o.detector = kind;
	o.tiles = tiles;
	if (kf_image_decode(p->buf, p->len, kf_detect_min_side(&o, p->info.width, p->info.height),
			    img, NULL, err) < 0) {
		fprintf(stderr, "detect_stages: '%s': %s\n", p->path, err->msg);
		return -1;
	}
	return 0;
}

/* The per-photo stages of one detector. */
static int photo_stages(const struct photo *p, enum kf_detector_kind kind,
			const struct kf_detector *det, const struct kf_ssd *ssd,
			const struct kf_tiny *tiny, struct kf_arena *arena, int warmup, int runs)
{
	const struct kf_detect_opts def = KF_DETECT_OPTS_DEFAULT;
	const int ssd_k = kind == KF_DETECTOR_SSD, S = ssd_k ? KF_SSD_INPUT : def.tiny_size;
	const char *sfx = ssd_k ? "ssd" : "tiny";
	struct kf_err err = KF_ERR_INIT;
	struct job j = { 0 };
	struct kf_image img = { 0 };
	char key[32], detail[64];
	float *in = malloc((size_t)S * (size_t)S * 3 * sizeof(float));
	float *o1 = malloc(KF_SSD_ANCHORS * 4 * sizeof(float));
	float *o2 = malloc(KF_SSD_ANCHORS * sizeof(float));
	int rc = -1;

	if (!in || !o1 || !o2)
		goto out;
	j.opts = (struct kf_detect_opts)KF_DETECT_OPTS_DEFAULT;
	j.opts.detector = kind;
	j.opts.tiles = KF_TILES_OFF;
	j.buf = p->buf;
	j.len = p->len;
	j.min_side = kf_detect_min_side(&j.opts, p->info.width, p->info.height);
	j.run = run_decode;
	j.done = done_decode;
	snprintf(key, sizeof(key), "decode_%s", sfx);
	/* the decoded size: kf_image_pick_scale is what kf_image_decode uses */
	{
		int long_side = p->info.width > p->info.height ? p->info.width : p->info.height;
		int d = kf_image_pick_scale(long_side, j.min_side);

		snprintf(detail, sizeof(detail), "min_side=%d,1/%d", j.min_side, d);
	}
	if (timed(&j, key, p->name, detail, warmup, runs, 1, NULL) < 0)
		goto out;
	if (decode_for(p, kind, KF_TILES_OFF, &img, &err) < 0)
		goto out;

	j = (struct job){ .run = run_input, .img = &img, .size = S, .f1 = in };
	snprintf(key, sizeof(key), "input_%s", sfx);
	snprintf(detail, sizeof(detail), "%dx%d->%d", img.width, img.height, S);
	if (timed(&j, key, p->name, detail, warmup, runs, 1, NULL) < 0)
		goto out;

	j = (struct job){ .run = ssd_k ? run_ssd : run_tiny, .done = done_forward, .ssd = ssd,
			  .tiny = tiny, .in = in, .size = S, .f1 = o1, .f2 = o2, .arena = arena };
	snprintf(key, sizeof(key), "forward_%s", sfx);
	snprintf(detail, sizeof(detail), "%d", S);
	if (timed(&j, key, p->name, detail, warmup, runs, 1, NULL) < 0)
		goto out;

	j = (struct job){ .run = run_detect, .done = done_detect, .det = det, .img = &img,
			  .full_w = p->info.width, .full_h = p->info.height, .arena = arena };
	j.opts = (struct kf_detect_opts)KF_DETECT_OPTS_DEFAULT;
	j.opts.detector = kind;
	j.opts.tiles = KF_TILES_OFF;
	snprintf(key, sizeof(key), "detect_%s", sfx);
	if (timed(&j, key, p->name, "tiles=off,faces=%d", warmup, runs, 1, NULL) < 0)
		goto out;
	rc = 0;
out:
	kf_image_release(&img);
	free(in);
	free(o1);
	free(o2);
	return rc;
}

/* kf_detect with tiles auto (and off, on the same decode, for the ratio). */
static int tiled(const struct photo *p, enum kf_detector_kind kind, const struct kf_detector *det,
		 struct kf_arena *arena, int runs)
{
	const char *sfx = kind == KF_DETECTOR_SSD ? "ssd" : "tiny";
	struct kf_err err = KF_ERR_INIT;
	struct kf_image img = { 0 };
	struct job j = { .run = run_detect, .done = done_detect, .det = det, .img = &img,
			 .full_w = p->info.width, .full_h = p->info.height, .arena = arena };
	char key[32], detail[64];
	int rc = -1;

	if (decode_for(p, kind, KF_TILES_AUTO, &img, &err) < 0)
		return -1;
	j.opts = (struct kf_detect_opts)KF_DETECT_OPTS_DEFAULT;
	j.opts.detector = kind;
	snprintf(key, sizeof(key), "tiled_%s", sfx);
	snprintf(detail, sizeof(detail), "auto,decoded=%dx%d,faces=%%d", img.width, img.height);
	if (timed(&j, key, p->name, detail, 1, runs, 0, NULL) < 0)
		goto out;
	j.opts.tiles = KF_TILES_OFF;
	snprintf(key, sizeof(key), "untiled_%s", sfx);
	snprintf(detail, sizeof(detail), "off,decoded=%dx%d,faces=%%d", img.width, img.height);
	if (timed(&j, key, p->name, detail, 1, runs, 0, NULL) < 0)
		goto out;
	rc = 0;
out:
	kf_image_release(&img);
	return rc;
}

/* YuNet on BIG as kf_detect runs it: decode at its min_side, the fine pass,
 * the coarse pass (with its resize), and kf_detect on the decode. */
static int yunet_stages(const struct photo *p, const struct kf_detector *det,
			const struct kf_yunet *yunet, struct kf_arena *arena, int warmup, int runs)
{
	struct kf_detect_opts o = KF_DETECT_OPTS_DEFAULT;
	int long_side = p->info.width > p->info.height ? p->info.width : p->info.height;
	int fine = kf_detect_min_side(&o, p->info.width, p->info.height);
	int coarse = fine / 2 < KF_YUNET_COARSE_SIDE ? fine / 2 : KF_YUNET_COARSE_SIDE;
	struct kf_err err = KF_ERR_INIT;
	struct kf_image img = { 0 }, fine_img = { 0 }, coarse_img = { 0 };
	const struct kf_image *fin = &img;
	struct job j = { .run = run_decode, .done = done_decode, .buf = p->buf, .len = p->len,
			 .min_side = fine };
	char detail[80];
	int rc = -1, dlong;

	snprintf(detail, sizeof(detail), "min_side=%d,1/%d", fine,
		 kf_image_pick_scale(long_side, fine));
	if (timed(&j, "big_decode_yunet", p->name, detail, warmup, runs, 0, NULL) < 0 ||
	    decode_for(p, KF_DETECTOR_YUNET, KF_TILES_AUTO, &img, &err) < 0)
		return -1;
	/* core/detect.c's yunet_pass: the decode itself when within 15% of the side */
	dlong = img.width > img.height ? img.width : img.height;
	if (dlong > fine * 1.15) {
		double s = (double)fine / dlong;

		if (kf_image_resize(&img, (int)(img.width * s + 0.5), (int)(img.height * s + 0.5),
				    &fine_img, &err) < 0)
			goto fail;
		fin = &fine_img;
	}
	print_macs("ssd", KF_SSD_INPUT, KF_SSD_INPUT, ssd_macs());
	print_macs("yunet_fine", fin->width, fin->height, yunet_macs(fin->width, fin->height));
	j = (struct job){ .run = run_yunet, .done = done_yunet, .yunet = yunet, .img = fin,
			  .arena = arena, .opts = o };
	snprintf(detail, sizeof(detail), "%dx%d,faces=%%d", fin->width, fin->height);
	if (timed(&j, "yunet_fine", p->name, detail, warmup, runs, 0, NULL) < 0)
		goto out;

	if (fine >= KF_YUNET_COARSE_FROM) {
		double s = (double)coarse / dlong;

		j = (struct job){ .run = run_resize, .done = done_decode, .img = &img,
				  .full_w = (int)(img.width * s + 0.5),
				  .full_h = (int)(img.height * s + 0.5) };
		snprintf(detail, sizeof(detail), "%dx%d->%dx%d", img.width, img.height, j.full_w,
			 j.full_h);
		if (timed(&j, "yunet_resize", p->name, detail, warmup, runs, 0, NULL) < 0 ||
		    kf_image_resize(&img, j.full_w, j.full_h, &coarse_img, &err) < 0)
			goto fail;
		print_macs("yunet_coarse", coarse_img.width, coarse_img.height,
			   yunet_macs(coarse_img.width, coarse_img.height));
		j = (struct job){ .run = run_yunet, .done = done_yunet, .yunet = yunet,
				  .img = &coarse_img, .arena = arena, .opts = o };
		snprintf(detail, sizeof(detail), "%dx%d,faces=%%d", coarse_img.width, coarse_img.height);
		if (timed(&j, "yunet_coarse", p->name, detail, warmup, runs, 0, NULL) < 0)
			goto out;
	}
	j = (struct job){ .run = run_detect, .done = done_detect, .det = det, .img = &img,
			  .full_w = p->info.width, .full_h = p->info.height, .arena = arena,
			  .opts = o };
	snprintf(detail, sizeof(detail), "decoded=%dx%d,faces=%%d", img.width, img.height);
	if (timed(&j, "detect_yunet", p->name, detail, warmup, runs, 0, NULL) < 0)
		goto out;
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "detect_stages: '%s': %s\n", p->path, err.msg);
out:
	kf_image_release(&img);
	kf_image_release(&fine_img);
	kf_image_release(&coarse_img);
	return rc;
}

int main(int argc, char **argv)
{
	int runs = 5, warmup = 2, tiled_runs = 3, np = 0, rc = 1, i = 1;
	struct kf_err err = KF_ERR_INIT;
	struct kf_detector *det = NULL;
	struct kf_ssd *ssd = NULL;
	struct kf_tiny *tiny = NULL;
	struct kf_yunet *yunet = NULL;
	struct kf_arena arena = KF_ARENA_INIT;
	struct photo photos[MAX_PHOTOS] = { { 0 } }, big = { 0 };
	const char *models, *yunet_dir = NULL;

	for (; i + 1 < argc && !strncmp(argv[i], "--", 2); i += 2) {
		int v = atoi(argv[i + 1]);

		if (!strcmp(argv[i], "--yunet"))
			yunet_dir = argv[i + 1];
		else if (!strcmp(argv[i], "--runs") && v >= 1 && v <= MAX_RUNS)
			runs = v;
		else if (!strcmp(argv[i], "--warmup") && v >= 0)
			warmup = v;
		else if (!strcmp(argv[i], "--tiled-runs") && v >= 0 && v <= MAX_RUNS)
			tiled_runs = v;
		else
			break;
	}
	if (argc - i < 3 || argc - i - 2 > MAX_PHOTOS) {
		fprintf(stderr, "usage: %s [--runs N] [--warmup N] [--tiled-runs N] [--yunet DIR] "
			"MODEL_DIR BIG.jpg PHOTO... (at most %d photos)\n", argv[0], MAX_PHOTOS);
		return 2;
	}
	models = argv[i];
	if (load_photo(&big, argv[i + 1], &err) < 0)
		goto out;
	for (int k = i + 2; k < argc; k++)
		if (load_photo(&photos[np++], argv[k], &err) < 0)
			goto out;
	if (kf_detector_load(&det, models, yunet_dir,
			     KF_LOAD_SSD | KF_LOAD_TINY | (yunet_dir ? KF_LOAD_YUNET : 0), &err) < 0 ||
	    kf_ssd_load(&ssd, models, &err) < 0 || kf_tiny_load(&tiny, models, &err) < 0 ||
	    (yunet_dir && kf_yunet_load(&yunet, yunet_dir, &err) < 0)) {
		fprintf(stderr, "detect_stages: %s\n", err.msg);
		goto out;
	}
	printf("# gemm kernel %s; %d warm-up + %d timed runs (tiled: 1 + %d)\n",
	       kf_gemm_kernel_name(), warmup, runs, tiled_runs);
	printf("# %-14s %-12s %-32s %9s %9s %9s %9s\n", "stage", "photo", "detail", "median_ms",
	       "min_ms", "max_ms", "cpu_ms");
	for (int k = 0; k < np; k++)
		if (photo_stages(&photos[k], KF_DETECTOR_SSD, det, ssd, tiny, &arena, warmup, runs) < 0 ||
		    photo_stages(&photos[k], KF_DETECTOR_TINY, det, ssd, tiny, &arena, warmup, runs) < 0)
			goto out;

	/* the camera-sized photo: decode at full size vs at the SSD's single-pass scale */
	{
		struct kf_detect_opts o = KF_DETECT_OPTS_DEFAULT;
		int long_side = big.info.width > big.info.height ? big.info.width : big.info.height;
		struct job j = { .run = run_decode, .done = done_decode, .buf = big.buf, .len = big.len };
		char detail[64];

		o.detector = KF_DETECTOR_SSD;
		o.tiles = KF_TILES_OFF;
		j.min_side = 0;
		if (timed(&j, "big_decode_full", big.name, "min_side=0,1/1", warmup, runs, 0, NULL) < 0)
			goto out;
		j.min_side = kf_detect_min_side(&o, big.info.width, big.info.height);
		snprintf(detail, sizeof(detail), "min_side=%d,1/%d", j.min_side,
			 kf_image_pick_scale(long_side, j.min_side));
		if (timed(&j, "big_decode_ssd", big.name, detail, warmup, runs, 0, NULL) < 0)
			goto out;
		j.min_side = KF_SSD_INPUT;
		snprintf(detail, sizeof(detail), "min_side=%d,1/%d", j.min_side,
			 kf_image_pick_scale(long_side, j.min_side));
		if (timed(&j, "big_decode_512", big.name, detail, warmup, runs, 0, NULL) < 0)
			goto out;
	}
	if (yunet && yunet_stages(&big, det, yunet, &arena, warmup, runs) < 0)
		goto out;
	if (tiled_runs &&
	    (tiled(&photos[0], KF_DETECTOR_SSD, det, &arena, tiled_runs) < 0 ||
	     tiled(&photos[0], KF_DETECTOR_TINY, det, &arena, tiled_runs) < 0 ||
	     tiled(&big, KF_DETECTOR_SSD, det, &arena, tiled_runs) < 0 ||
	     tiled(&big, KF_DETECTOR_TINY, det, &arena, tiled_runs) < 0))
		goto out;
	for (int k = 0; k < nkeys; k++) {
		double sum = 0;

		for (int r = 0; r < keys[k].n; r++)
			sum += keys[k].med[r];
		printf("summary %-16s %9.2f %9.2f %9.2f\n", keys[k].key, median(keys[k].med, keys[k].n),
		       sum / keys[k].n, median(keys[k].cpu, keys[k].n));
	}
	rc = 0;
out:
	for (int k = 0; k < np; k++)
		kf_free(photos[k].buf);
	kf_free(big.buf);
	kf_detector_free(det);
	kf_ssd_free(ssd);
	kf_tiny_free(tiny);
	kf_yunet_free(yunet);
	kf_arena_release(&arena);
	return rc;
}
