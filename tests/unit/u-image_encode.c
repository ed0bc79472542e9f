/* u-image_encode.c: JPEG encoding (round trip through our decoder), the
 * fraction-box to pixel-rectangle table, face crops, "fit under N bytes",
 * bad arguments and allocation failures. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/image.h"
#include "core/image_encode.h"

/* A w x h image: a smooth gradient, or noise (which compresses badly). */
static struct kf_image make_image(int w, int h, int noise)
{
	struct kf_image img = { w, h, malloc((size_t)w * (size_t)h * 3) };
	uint32_t s = 12345;

	assert_non_null(img.rgb);
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			uint8_t *p = img.rgb + ((size_t)y * (size_t)w + (size_t)x) * 3;

			if (noise) {
				for (int c = 0; c < 3; c++) {
					s = s * 1103515245u + 12345u;
					p[c] = (uint8_t)(s >> 24);
				}
			} else {
				p[0] = (uint8_t)(x * 255 / (w > 1 ? w - 1 : 1));
				p[1] = (uint8_t)(y * 255 / (h > 1 ? h - 1 : 1));
				p[2] = 128;
			}
		}
	return img;
}

static double mean_abs_diff(const struct kf_image *a, const struct kf_image *b)
{
	size_t n = (size_t)a->width * (size_t)a->height * 3;
	double sum = 0;

	assert_int_equal(a->width, b->width);
	assert_int_equal(a->height, b->height);
	for (size_t i = 0; i < n; i++)
		sum += abs((int)a->rgb[i] - (int)b->rgb[i]);
	return sum / (double)n;
}

static void test_round_trip(void **state)
{
	struct kf_image img = make_image(97, 61, 0), back = { 0 };
	struct kf_err err = KF_ERR_INIT;
	uint8_t *jpg, *again;
	size_t len, len2;

	(void)state;
	assert_int_equal(kf_image_encode_jpeg(&img, 95, &jpg, &len, &err), KF_OK);
	assert_int_equal(kf_image_sniff(jpg, len), KF_IMAGE_JPEG);
	assert_int_equal(kf_image_decode(jpg, len, 0, &back, NULL, &err), KF_OK);
	assert_true(mean_abs_diff(&img, &back) < 3.0);
	/* deterministic: the same pixels give the same bytes */
	assert_int_equal(kf_image_encode_jpeg(&img, 95, &again, &len2, &err), KF_OK);
	assert_int_equal(len, len2);
	assert_memory_equal(jpg, again, len);
	kf_free(jpg);
	kf_free(again);
	kf_image_release(&back);
	free(img.rgb);
}

static void test_bad_arguments(void **state)
{
	struct kf_image img = make_image(8, 8, 0), empty = { 0 };
	struct kf_err err = KF_ERR_INIT;
	uint8_t *out = (uint8_t *)&err;
	size_t len = 1;

	(void)state;
	assert_int_equal(kf_image_encode_jpeg(&img, 0, &out, &len, &err), KF_E_INVALID);
	assert_null(out);
	assert_int_equal(len, 0);
	assert_non_null(strstr(err.msg, "quality 0"));
	kf_err_clear(&err);
	assert_int_equal(kf_image_encode_jpeg(&img, 101, &out, &len, &err), KF_E_INVALID);
	kf_err_clear(&err);
	assert_int_equal(kf_image_encode_jpeg(&empty, 90, &out, &len, &err), KF_E_INVALID);
	kf_err_clear(&err);
	assert_int_equal(kf_image_crop_jpeg(&img, 2.0, 0, 0.5, 0.5, 0.2, 90, &out, &len, &err),
			 KF_E_INVALID);
	assert_non_null(strstr(err.msg, "outside the image"));
	kf_err_clear(&err);
	assert_int_equal(kf_image_fit_jpeg((const uint8_t *)"GIF89a....", 10, 100, &out, &len,
					   &err), KF_E_FORMAT);
	assert_null(out);
	free(img.rgb);
}

static void test_box_rect(void **state)
{
	static const struct {
		int W, H;
		double l, t, w, h, m;
		int rc, x, y, rw, rh;
	} rows[] = {
		/* exact fractions: no rounding question */
		{ 64, 32, 0.25, 0.25, 0.5, 0.5, 0.25, KF_OK, 8, 4, 48, 24 },
		{ 64, 32, 0.25, 0.25, 0.5, 0.5, 0.0, KF_OK, 16, 8, 32, 16 },
		/* past the left and bottom edges: clamped */
		{ 64, 32, -0.125, 0.75, 0.5, 0.5, 0.0, KF_OK, 0, 24, 24, 8 },
		/* a margin larger than the image is clamped to the whole image */
		{ 64, 32, 0.25, 0.25, 0.5, 0.5, 2.0, KF_OK, 0, 0, 64, 32 },
		/* 0.1 + 0.3 + 0.06 is 0.46000000000000002: still 46 px, not 47 */
		{ 100, 50, 0.1, 0.2, 0.3, 0.4, 0.2, KF_OK, 4, 6, 42, 28 },
		/* fractional edges round outwards */
		{ 10, 10, 0.11, 0.11, 0.28, 0.28, 0.0, KF_OK, 1, 1, 3, 3 },
		/* errors */
		{ 64, 32, 1.5, 0.0, 0.1, 0.1, 0.2, KF_E_INVALID, 0, 0, 0, 0 },
		{ 64, 32, 0.0, 0.0, 0.0, 0.1, 0.2, KF_E_INVALID, 0, 0, 0, 0 },
		{ 64, 32, 0.0, 0.0, 0.1, 0.1, -0.1, KF_E_INVALID, 0, 0, 0, 0 },
		{ 64, 32, NAN, 0.0, 0.1, 0.1, 0.2, KF_E_INVALID, 0, 0, 0, 0 },
		{ 64, 32, 0.0, 0.0, INFINITY, 0.1, 0.2, KF_E_INVALID, 0, 0, 0, 0 },
		{ 0, 32, 0.0, 0.0, 0.1, 0.1, 0.2, KF_E_INVALID, 0, 0, 0, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct kf_err err = KF_ERR_INIT;
		int x = -1, y = -1, w = -1, h = -1;
		int rc = kf_image_box_rect(rows[i].W, rows[i].H, rows[i].l, rows[i].t, rows[i].w,
					   rows[i].h, rows[i].m, &x, &y, &w, &h, &err);

		if (rc != rows[i].rc || x != rows[i].x || y != rows[i].y || w != rows[i].rw ||
		    h != rows[i].rh)
			fail_msg("row %zu: rc %d rect %d,%d %dx%d (%s)", i, rc, x, y, w, h, err.msg);
		assert_true(rc == KF_OK || err.msg[0]);
	}
}

static void test_crop(void **state)
{
	/* four flat quadrants; the bottom-right one is pure blue */
	struct kf_image img = make_image(80, 60, 0), back = { 0 };
	struct kf_err err = KF_ERR_INIT;
	uint8_t *jpg;
	size_t len;

	(void)state;
	for (int y = 0; y < 60; y++)
		for (int x = 0; x < 80; x++) {
			uint8_t *p = img.rgb + ((size_t)y * 80 + (size_t)x) * 3;

			p[0] = x < 40 ? 200 : 0;
			p[1] = y < 30 ? 200 : 0;
			p[2] = x >= 40 && y >= 30 ? 255 : 0;
		}
	/* the bottom-right quadrant with a 25% margin, clamped at the right/bottom */
	assert_int_equal(kf_image_crop_jpeg(&img, 0.5, 0.5, 0.5, 0.5, 0.25, 95, &jpg, &len,
					    &err), KF_OK);
	assert_int_equal(kf_image_decode(jpg, len, 0, &back, NULL, &err), KF_OK);
	assert_int_equal(back.width, 80 - 30);	/* x0 = (0.5 - 0.125) * 80 = 30 */
	assert_int_equal(back.height, 60 - 22);	/* y0 = floor(0.375 * 60) = 22 */
	{
		const uint8_t *p = back.rgb + ((size_t)(back.height - 5) * (size_t)back.width +
					       (size_t)back.width - 5) * 3;

		assert_true(p[0] < 30 && p[1] < 30 && p[2] > 220);
	}
	kf_image_release(&back);
	kf_free(jpg);
	free(img.rgb);
}

static void test_encode_under(void **state)
{
	struct kf_image img = make_image(400, 300, 1), back = { 0 };
	struct kf_err err = KF_ERR_INIT;
	uint8_t *full, *jpg;
	size_t full_len, len;

	(void)state;
	assert_int_equal(kf_image_encode_jpeg(&img, KF_IMAGE_JPEG_QUALITY, &full, &full_len, &err),
			 KF_OK);
	/* noise at quality 90 is large; a third of it needs a smaller image */
	assert_int_equal(kf_image_encode_under(&img, full_len / 3, &jpg, &len, &err), KF_OK);
	assert_true(len <= full_len / 3);
	assert_int_equal(kf_image_decode(jpg, len, 0, &back, NULL, &err), KF_OK);
	assert_true(back.width < 400 && back.height < 300);
	/* the aspect ratio is kept (within a pixel of 4:3) */
	assert_true(abs(back.width * 3 - back.height * 4) <= 4);
	kf_image_release(&back);
	kf_free(jpg);
	/* already small enough: full size at the first quality */
	assert_int_equal(kf_image_encode_under(&img, full_len, &jpg, &len, &err), KF_OK);
	assert_int_equal(len, full_len);
	assert_memory_equal(jpg, full, len);
	kf_free(jpg);
	/* impossible */
	assert_int_equal(kf_image_encode_under(&img, 100, &jpg, &len, &err), KF_E_UNSUPPORTED);
	assert_null(jpg);
	assert_non_null(strstr(err.msg, "cannot make a 400x300 image fit in 100 bytes"));
	kf_free(full);
	free(img.rgb);
}

static void test_fit(void **state)
{
	struct kf_image img = make_image(300, 200, 1), back = { 0 };
	struct kf_err err = KF_ERR_INIT;
	uint8_t *jpg, *out;
	size_t len, out_len;

	(void)state;
	assert_int_equal(kf_image_encode_jpeg(&img, 95, &jpg, &len, &err), KF_OK);
	/* fits: the very same bytes */
	assert_int_equal(kf_image_fit_jpeg(jpg, len, len, &out, &out_len, &err), KF_OK);
	assert_int_equal(out_len, len);
	assert_memory_equal(out, jpg, len);
	kf_free(out);
	/* too large: decoded and re-encoded under the limit */
	assert_int_equal(kf_image_fit_jpeg(jpg, len, len / 2, &out, &out_len, &err), KF_OK);
	assert_true(out_len <= len / 2);
	assert_int_equal(kf_image_decode(out, out_len, 0, &back, NULL, &err), KF_OK);
	kf_image_release(&back);
	kf_free(out);
	/* too large and broken: the decoder's reason */
	assert_int_equal(kf_image_fit_jpeg(jpg, len / 2, 100, &out, &out_len, &err), KF_E_FORMAT);
	assert_non_null(strstr(err.msg, "JPEG"));
	kf_free(jpg);
	free(img.rgb);
}

static void test_alloc_failures(void **state)
{
	struct kf_image img = make_image(120, 90, 1);
	uint8_t *jpg;
	size_t len;
	long n;

	(void)state;
	kf_alloc_fail_at(0);
	assert_int_equal(kf_image_crop_jpeg(&img, 0.1, 0.1, 0.5, 0.5, 0.2, 90, &jpg, &len, NULL),
			 KF_OK);
	kf_free(jpg);
	n = kf_alloc_fail_at(0);
	assert_true(n >= 3);
	for (long i = 1; i <= n; i++) {
		struct kf_err err = KF_ERR_INIT;

		kf_alloc_fail_at(i);
		assert_int_equal(kf_image_crop_jpeg(&img, 0.1, 0.1, 0.5, 0.5, 0.2, 90, &jpg, &len,
						    &err), KF_E_NOMEM);
		assert_null(jpg);
		assert_non_null(strstr(err.msg, "memory"));
	}
	kf_alloc_fail_at(0);
	/* shrinking too */
	assert_int_equal(kf_image_encode_under(&img, 4000, &jpg, &len, NULL), KF_OK);
	kf_free(jpg);
	n = kf_alloc_fail_at(0);
	for (long i = 1; i <= n; i++) {
		kf_alloc_fail_at(i);
		assert_int_equal(kf_image_encode_under(&img, 4000, &jpg, &len, NULL), KF_E_NOMEM);
	}
	kf_alloc_fail_at(0);
	free(img.rgb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_box_rect),
		cmocka_unit_test(test_crop),
		cmocka_unit_test(test_encode_under),
		cmocka_unit_test(test_fit),
		cmocka_unit_test(test_alloc_failures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
