/* image_decode.c: JPEG decode time at full size vs at the detectors' DCT scale.
 *
 * Usage:
 *   image_decode --make OUT.jpg SRC.jpg [W H [QUALITY]]
 *       upscale SRC (bilinear) to W x H (default 6000 x 4000), encode 4:2:0 at
 *       QUALITY (default 90): a camera-sized test photo
 *   image_decode FILE [RUNS]
 *       decode FILE RUNS times (default 7) with min_side 0 (full), 512 (SSD),
 *       416 (tiny) and print the median and best time of each, and the ratio;
 *       then full size with KF_IMAGE_JPEGJS_COLOR; then full size for rows
 *       30-70%, 10-90% and 0-50% of the photo only (kf_image_decode_rows_in,
 *       as the engine decodes the rows around the faces)
 *
 * Build (not part of the CMake targets; use a Release build of kf_core):
 *   cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release && cmake --build build-rel --target kf_core
 *   cc -O2 -I. bench/image_decode.c build-rel/libkf_core.a -ljpeg -lpng -lcjson -lcrypto -lm -lpthread \
 *      -o build-rel/image_decode
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jpeglib.h>

#include "core/arena.h"
#include "core/image.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int make(const char *out, const char *src, int w, int h, int quality)
{
	struct kf_image img = { 0 };
	struct kf_err err = KF_ERR_INIT;
	struct jpeg_compress_struct c;
	struct jpeg_error_mgr e;
	unsigned char *row;
	FILE *f;

	if (kf_image_load(src, 0, &img, NULL, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	if (!(f = fopen(out, "wb")) || !(row = malloc((size_t)w * 3))) {
		perror(out);
		return 1;
	}
	c.err = jpeg_std_error(&e);
	jpeg_create_compress(&c);
	jpeg_stdio_dest(&c, f);
	c.image_width = (JDIMENSION)w;
	c.image_height = (JDIMENSION)h;
	c.input_components = 3;
	c.in_color_space = JCS_RGB;
	jpeg_set_defaults(&c);
	jpeg_set_quality(&c, quality, TRUE);
	jpeg_start_compress(&c, TRUE);
	while (c.next_scanline < c.image_height) {
		double sy = ((double)c.next_scanline + 0.5) * img.height / h - 0.5;
		int y0 = sy < 0 ? 0 : (int)sy, y1 = y0 + 1 < img.height ? y0 + 1 : y0;
		double fy = sy < 0 ? 0 : sy - y0;

		for (int x = 0; x < w; x++) {
			double sx = (x + 0.5) * img.width / w - 0.5;
			int x0 = sx < 0 ? 0 : (int)sx, x1 = x0 + 1 < img.width ? x0 + 1 : x0;
			double fx = sx < 0 ? 0 : sx - x0;

			for (int k = 0; k < 3; k++) {
				const uint8_t *p = img.rgb;
				double t = p[((size_t)y0 * img.width + x0) * 3 + k] * (1 - fx) +
					   p[((size_t)y0 * img.width + x1) * 3 + k] * fx;
				double b = p[((size_t)y1 * img.width + x0) * 3 + k] * (1 - fx) +
					   p[((size_t)y1 * img.width + x1) * 3 + k] * fx;

				row[(size_t)x * 3 + k] = (unsigned char)(t * (1 - fy) + b * fy + 0.5);
			}
		}
		jpeg_write_scanlines(&c, &row, 1);
	}
	jpeg_finish_compress(&c);
	jpeg_destroy_compress(&c);
	fclose(f);
	free(row);
	kf_image_release(&img);
	return 0;
}

int main(int argc, char **argv)
{
	static const int sides[] = { 0, 512, 416 };
	double median[3];
	uint8_t *buf;
	size_t len;
	int runs;
	struct kf_err err = KF_ERR_INIT;

	if (argc >= 4 && !strcmp(argv[1], "--make"))
		return make(argv[2], argv[3], argc > 5 ? atoi(argv[4]) : 6000, argc > 5 ? atoi(argv[5]) : 4000,
			    argc > 6 ? atoi(argv[6]) : 90);
	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE [RUNS] | --make OUT SRC [W H [Q]]\n", argv[0]);
		return 2;
	}
	runs = argc > 2 ? atoi(argv[2]) : 7;
	if (runs < 1 || runs > 100)
		runs = 7;
	if (kf_image_read_file(argv[1], &buf, &len, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	for (size_t s = 0; s < sizeof(sides) / sizeof(sides[0]); s++) {
		double t[100];
		struct kf_image img = { 0 };
		struct kf_image_info info = { 0 };

		for (int r = 0; r < runs; r++) {
			double t0 = now_ms();

			if (kf_image_decode(buf, len, sides[s], &img, &info, &err) < 0) {
				fprintf(stderr, "%s\n", err.msg);
				return 1;
			}
			t[r] = now_ms() - t0;
			if (r + 1 < runs)
				kf_image_release(&img);
		}
		qsort(t, (size_t)runs, sizeof(t[0]), cmp_double);
		median[s] = t[runs / 2];
		printf("min_side %4d: 1/%d -> %5dx%-5d  median %7.1f ms  best %7.1f ms  (%d runs)\n",
		       sides[s], info.scale_denom, img.width, img.height, median[s], t[0], runs);
		kf_image_release(&img);
	}
	printf("full / SSD-scale: %.1fx faster\n", median[0] / median[1]);
	{
		double t[100];
		struct kf_image img = { 0 };

		for (int r = 0; r < runs; r++) {
			double t0 = now_ms();

			if (kf_image_decode_ex(buf, len, 0, KF_IMAGE_JPEGJS_COLOR, &img, NULL, &err) < 0) {
				fprintf(stderr, "%s\n", err.msg);
				return 1;
			}
			t[r] = now_ms() - t0;
			kf_image_release(&img);
		}
		qsort(t, (size_t)runs, sizeof(t[0]), cmp_double);
		printf("full, KF_IMAGE_JPEGJS_COLOR: median %7.1f ms  best %7.1f ms\n", t[runs / 2], t[0]);
	}
	/* full size, only some rows (kf_image_decode_rows_in: what the engine
	 * decodes around the faces) */
	for (int part = 0; part < 3; part++) {
		static const double band[3][2] = { { 0.3, 0.7 }, { 0.1, 0.9 }, { 0.0, 0.5 } };
		struct kf_arena a = KF_ARENA_INIT;
		struct kf_image img = { 0 };
		double t[100];
		struct kf_image_info info;
		int h, rows[2];

		if (kf_image_probe(buf, len, &info, &err) < 0) {
			fprintf(stderr, "%s\n", err.msg);
			return 1;
		}
		h = info.height;
		for (int r = 0; r < runs; r++) {
			double t0 = now_ms();

			rows[0] = (int)(band[part][0] * h);
			rows[1] = (int)(band[part][1] * h);
			if (kf_image_decode_rows_in(&a, buf, len, rows, &img, &err) < 0) {
				fprintf(stderr, "%s\n", err.msg);
				return 1;
			}
			t[r] = now_ms() - t0;
			kf_arena_reset(&a);
		}
		qsort(t, (size_t)runs, sizeof(t[0]), cmp_double);
		printf("full, rows %d..%d of %d: median %7.1f ms  best %7.1f ms\n", rows[0], rows[1], h,
		       t[runs / 2], t[0]);
		kf_arena_release(&a);
	}
	free(buf);
	return 0;
}
