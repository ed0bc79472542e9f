/* u-image.c: image decoding (JPEG + EXIF, PNG), size limits, errors, and the
 * network input against face-api's reference (tests/data/reference/layers).
 *
 * Fixtures are made here with libjpeg's and libpng's writers, so every case
 * (orientation, colour type, bit depth) is a row of a table, not a binary file.
 */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>
#include <jpeglib.h>
#include <openssl/sha.h>
#include <png.h>
#include <zlib.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "core/exif.h"
#include "core/image.h"

/* ---------------------------------------------------------------- fixtures */

struct buf {
	uint8_t *data;
	size_t len;
};

/* An EXIF APP1 payload holding only IFD0 with an orientation entry. */
static size_t make_exif(uint8_t *p, int orientation, int big_endian)
{
	static const uint8_t le[] = { 'E', 'x', 'i', 'f', 0, 0, 'I', 'I', 42, 0, 8, 0, 0, 0,
				      1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	static const uint8_t be[] = { 'E', 'x', 'i', 'f', 0, 0, 'M', 'M', 0, 42, 0, 0, 0, 8,
				      0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0 };

	memcpy(p, big_endian ? be : le, sizeof(le));
	if (big_endian)
		p[6 + 8 + 2 + 8 + 1] = (uint8_t)orientation;
	else
		p[6 + 8 + 2 + 8] = (uint8_t)orientation;
	return sizeof(le);
}

/* Encode w x h pixels (comps 3 = RGB, 1 = gray, 4 = CMYK) as a JPEG; 4:4:4 so
 * colours do not bleed; orientation > 0 adds an EXIF APP1 segment. */
static int progressive;		/* encode_jpeg writes progressive JPEGs while set */
static int chroma_420;		/* ... and 4:2:0 ones (a camera's) while set */

static struct buf encode_jpeg(const uint8_t *px, int w, int h, int comps, int quality,
			      int orientation, int big_endian)
{
	struct jpeg_compress_struct c;
	struct jpeg_error_mgr e;
	unsigned char *mem = NULL;
	unsigned long size = 0;
	struct buf out;

	c.err = jpeg_std_error(&e);
	jpeg_create_compress(&c);
	jpeg_mem_dest(&c, &mem, &size);
	c.image_width = (JDIMENSION)w;
	c.image_height = (JDIMENSION)h;
	c.input_components = comps;
	c.in_color_space = comps == 1 ? JCS_GRAYSCALE : comps == 4 ? JCS_CMYK : JCS_RGB;
	jpeg_set_defaults(&c);
	jpeg_set_quality(&c, quality, TRUE);
	for (int i = 0; i < c.num_components; i++)
		c.comp_info[i].h_samp_factor = c.comp_info[i].v_samp_factor =
			chroma_420 && i == 0 && comps == 3 ? 2 : 1;
	if (progressive)
		jpeg_simple_progression(&c);
	jpeg_start_compress(&c, TRUE);
	if (orientation > 0) {
		uint8_t exif[64];
		size_t n = make_exif(exif, orientation, big_endian);

		jpeg_write_marker(&c, JPEG_APP0 + 1, exif, (unsigned)n);
	}
	while (c.next_scanline < c.image_height) {
		JSAMPROW row = (JSAMPROW)(px + (size_t)c.next_scanline * (size_t)w * (size_t)comps);
		jpeg_write_scanlines(&c, &row, 1);
	}
	jpeg_finish_compress(&c);
	jpeg_destroy_compress(&c);
	out.data = malloc(size);
	assert_non_null(out.data);
	memcpy(out.data, mem, size);
	out.len = size;
	free(mem);
	return out;
}

static void png_write_cb(png_structp png, png_bytep data, size_t n)
{
	struct buf *b = png_get_io_ptr(png);

	b->data = realloc(b->data, b->len + n);
	assert_non_null(b->data);
	memcpy(b->data + b->len, data, n);
	b->len += n;
}

static void png_flush_cb(png_structp png)
{
	(void)png;
}

/* Encode raw PNG samples (rows of png_rowbytes) with libpng's writer. */
static struct buf encode_png(const uint8_t *raw, int w, int h, int depth, int ctype, int interlace,
			     const png_color *pal, int npal, const uint8_t *trans, int ntrans)
{
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	png_infop info = png_create_info_struct(png);
	struct buf b = { NULL, 0 };
	size_t rowbytes;

	assert_non_null(png);
	assert_non_null(info);
	png_set_write_fn(png, &b, png_write_cb, png_flush_cb);
	png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, depth, ctype,
		     interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
		     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	if (pal)
		png_set_PLTE(png, info, pal, npal);
	if (trans)
		png_set_tRNS(png, info, trans, ntrans, NULL);
	png_write_info(png, info);
	rowbytes = png_get_rowbytes(png, info);
	if (depth == 16)
		png_set_swap(png);	/* our raw 16-bit samples are little-endian */
	{
		int passes = png_set_interlace_handling(png);

		for (int p = 0; p < passes; p++)
			for (int y = 0; y < h; y++)
				png_write_row(png, raw + (size_t)y * rowbytes);
	}
	png_write_end(png, info);
	png_destroy_write_struct(&png, &info);
	return b;
}

static void expect_rgb(const struct kf_image *img, int x, int y, int r, int g, int b, int tol)
{
	const uint8_t *p = img->rgb + ((size_t)y * (size_t)img->width + (size_t)x) * 3;

	if (abs(p[0] - r) > tol || abs(p[1] - g) > tol || abs(p[2] - b) > tol)
		fail_msg("pixel %d,%d is %d,%d,%d, want %d,%d,%d (+-%d)", x, y, p[0], p[1], p[2],
			 r, g, b, tol);
}

/* ---------------------------------------------------------------- magic bytes */

static void test_not_an_image(void **state)
{
	static const char text[] = "hello, this is a text file\n";
	struct kf_image img = { 7, 7, NULL };
	struct kf_image_info info;
	struct kf_err err = KF_ERR_INIT;
	(void)state;

	assert_int_equal(kf_image_decode((const uint8_t *)text, sizeof(text), 0, &img, &info, &err),
			 KF_E_FORMAT);
	assert_string_equal(err.msg, "not a JPEG or PNG file");
	assert_null(img.rgb);
	assert_int_equal(img.width, 0);
	kf_err_clear(&err);
	assert_int_equal(kf_image_probe((const uint8_t *)text, 2, &info, &err), KF_E_FORMAT);
	assert_string_equal(err.msg, "not a JPEG or PNG file");
	kf_err_clear(&err);
	assert_int_equal(kf_image_decode(NULL, 0, 0, &img, &info, &err), KF_E_FORMAT);
	assert_string_equal(err.msg, "not a JPEG or PNG file");
	/* GIF and a JPEG magic of two bytes only */
	kf_err_clear(&err);
	assert_int_equal(kf_image_probe((const uint8_t *)"GIF89a", 6, &info, &err), KF_E_FORMAT);
	assert_int_equal(kf_image_sniff((const uint8_t *)"\xff\xd8", 2), 0);
	kf_image_release(NULL);
	kf_image_release(&img);
}

/* ---------------------------------------------------------------- EXIF */

static void test_exif_parser(void **state)
{
	uint8_t p[64];
	size_t n;
	(void)state;

	for (int o = 1; o <= 8; o++) {
		n = make_exif(p, o, 0);
		assert_int_equal(kf_exif_orientation(p, n), o);
		n = make_exif(p, o, 1);
		assert_int_equal(kf_exif_orientation(p, n), o);
	}
	n = make_exif(p, 9, 0);
	assert_int_equal(kf_exif_orientation(p, n), 1);		/* out of range */
	assert_int_equal(kf_exif_orientation((const uint8_t *)"http://ns.adobe.com/xap/1.0/", 28), 0);
	assert_int_equal(kf_exif_orientation(NULL, 0), 0);
	n = make_exif(p, 6, 0);
	assert_int_equal(kf_exif_orientation(p, 6 + 8 + 2 + 11), 1);	/* entry cut short */
	p[14] = 0xff;							/* count 255, one entry present */
	assert_int_equal(kf_exif_orientation(p, n), 6);
	p[10] = 0xf0;							/* IFD0 offset past the end */
	assert_int_equal(kf_exif_orientation(p, n), 1);
	n = make_exif(p, 6, 0);
	p[18] = 4;							/* type LONG */
	assert_int_equal(kf_exif_orientation(p, n), 6);
	p[18] = 2;							/* type ASCII */
	assert_int_equal(kf_exif_orientation(p, n), 1);
	p[6] = 'X';							/* bad byte order */
	assert_int_equal(kf_exif_orientation(p, n), 1);
}

/* Stored 48x32 image with four coloured quadrants; per orientation, the
 * quadrant colours a viewer sees (EXIF semantics, written out by hand). */
enum { RED, GREEN, BLUE, WHITE };
static const int quad_rgb[4][3] = { { 230, 20, 20 }, { 20, 200, 20 }, { 20, 20, 230 }, { 240, 240, 240 } };
static const struct {
	int o;
	int tl, tr, bl, br;
} orient_cases[] = {
	{ 1, RED, GREEN, BLUE, WHITE },
	{ 2, GREEN, RED, WHITE, BLUE },		/* mirror left-right */
	{ 3, WHITE, BLUE, GREEN, RED },		/* rotate 180 */
	{ 4, BLUE, WHITE, RED, GREEN },		/* mirror top-bottom */
	{ 5, RED, BLUE, GREEN, WHITE },		/* transpose */
	{ 6, BLUE, RED, WHITE, GREEN },		/* rotate 90 clockwise */
	{ 7, WHITE, GREEN, BLUE, RED },		/* transverse */
	{ 8, GREEN, WHITE, RED, BLUE },		/* rotate 90 counter-clockwise */
};

static uint8_t *quadrants(int w, int h)
{
	uint8_t *px = malloc((size_t)w * h * 3);

	assert_non_null(px);
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			int q = (y >= h / 2) * 2 + (x >= w / 2);

			for (int c = 0; c < 3; c++)
				px[((size_t)y * w + x) * 3 + c] = (uint8_t)quad_rgb[q][c];
		}
	return px;
}

static void test_orientations(void **state)
{
	const int W = 48, H = 32;
	uint8_t *px = quadrants(W, H);
	(void)state;

	for (size_t i = 0; i < sizeof(orient_cases) / sizeof(orient_cases[0]); i++) {
		int o = orient_cases[i].o, uw = o >= 5 ? H : W, uh = o >= 5 ? W : H;
		struct buf j = encode_jpeg(px, W, H, 3, 95, o, (int)(i & 1));
		struct kf_image img = { 0 };
		struct kf_image_info info;
		struct kf_err err = KF_ERR_INIT;
		const int q[4] = { orient_cases[i].tl, orient_cases[i].tr, orient_cases[i].bl,
				   orient_cases[i].br };

		assert_int_equal(kf_image_probe(j.data, j.len, &info, &err), KF_OK);
		assert_int_equal(info.orientation, o);
		assert_int_equal(info.width, uw);
		assert_int_equal(info.height, uh);
		assert_int_equal(info.format, KF_IMAGE_JPEG);
		if (kf_image_decode(j.data, j.len, 0, &img, &info, &err) < 0)
			fail_msg("orientation %d: %s", o, err.msg);
		assert_int_equal(img.width, uw);
		assert_int_equal(img.height, uh);
		assert_int_equal(info.scale_denom, 1);
		for (int k = 0; k < 4; k++) {
			int x = (k & 1) ? uw * 3 / 4 : uw / 4, y = (k & 2) ? uh * 3 / 4 : uh / 4;

			expect_rgb(&img, x, y, quad_rgb[q[k]][0], quad_rgb[q[k]][1], quad_rgb[q[k]][2], 12);
		}
		/* the corners too: an off-by-one in the mapping shows there */
		expect_rgb(&img, 0, 0, quad_rgb[q[0]][0], quad_rgb[q[0]][1], quad_rgb[q[0]][2], 40);
		expect_rgb(&img, uw - 1, uh - 1, quad_rgb[q[3]][0], quad_rgb[q[3]][1], quad_rgb[q[3]][2], 40);
		kf_image_release(&img);
		free(j.data);
	}
	free(px);
}

/* ---------------------------------------------------------------- DCT scaling */

static void test_pick_scale(void **state)
{
	static const struct { int long_side, min_side, denom; } rows[] = {
		{ 6000, 512, 8 }, { 4096, 512, 8 }, { 4089, 512, 8 }, { 4088, 512, 4 }, { 4000, 512, 4 },
		{ 1920, 512, 2 }, { 1023, 512, 2 }, { 1022, 512, 1 }, { 512, 512, 1 },
		{ 100, 512, 1 }, { 6000, 0, 1 }, { 6000, -5, 1 }, { 6000, 416, 8 },
		{ 6000, 751, 4 }, { 6000, 750, 8 }, { 0, 512, 1 },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (kf_image_pick_scale(rows[i].long_side, rows[i].min_side) != rows[i].denom)
			fail_msg("pick_scale(%d, %d) = %d, want %d", rows[i].long_side, rows[i].min_side,
				 kf_image_pick_scale(rows[i].long_side, rows[i].min_side), rows[i].denom);
}

static void test_scaled_decode(void **state)
{
	/* stored 600x400 with orientation 6: upright 400x600, long side 600 */
	static const struct { int min_side, denom, w, h; } rows[] = {
		{ 0, 1, 400, 600 }, { 75, 8, 50, 75 }, { 76, 4, 100, 150 }, { 150, 4, 100, 150 },
		{ 151, 2, 200, 300 }, { 300, 2, 200, 300 }, { 301, 1, 400, 600 }, { 5000, 1, 400, 600 },
	};
	const int W = 600, H = 400;
	uint8_t *px = quadrants(W, H);
	struct buf j = encode_jpeg(px, W, H, 3, 90, 6, 0);
	(void)state;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct kf_image img = { 0 };
		struct kf_image_info info;
		struct kf_err err = KF_ERR_INIT;

		assert_int_equal(kf_image_decode(j.data, j.len, rows[i].min_side, &img, &info, &err), KF_OK);
		assert_int_equal(info.scale_denom, rows[i].denom);
		assert_int_equal(info.width, 400);
		assert_int_equal(info.height, 600);
		assert_int_equal(img.width, rows[i].w);
		assert_int_equal(img.height, rows[i].h);
		/* orientation 6: the stored bottom-left (blue) is the upright top-left */
		expect_rgb(&img, img.width / 4, img.height / 4, 20, 20, 230, 16);
		expect_rgb(&img, img.width * 3 / 4, img.height * 3 / 4, 20, 200, 20, 16);
		kf_image_release(&img);
	}
	free(j.data);
	free(px);
}

/* ---------------------------------------------------------------- bad JPEGs */

static uint8_t *noise(int w, int h, int comps)
{
	uint8_t *px = malloc((size_t)w * h * comps);
	uint32_t s = 12345;

	assert_non_null(px);
	for (size_t i = 0; i < (size_t)w * h * comps; i++) {
		s = s * 1103515245u + 12345u;
		px[i] = (uint8_t)(s >> 16);
	}
	return px;
}

static int decode_fails(const uint8_t *data, size_t len, int code, const char *needle)
{
	struct kf_image img = { 0 };
	struct kf_image_info info;
	struct kf_err err = KF_ERR_INIT;
	int rc = kf_image_decode(data, len, 0, &img, &info, &err);

	if (rc != code) {
		kf_image_release(&img);
		fail_msg("decode of %zu bytes returned %d (%s), want %d", len, rc, err.msg, code);
	}
	assert_null(img.rgb);
	assert_int_equal(img.width, 0);
	if (needle && !strstr(err.msg, needle))
		fail_msg("message '%s' does not mention '%s'", err.msg, needle);
	return rc;
}

static void test_truncated_jpeg(void **state)
{
	uint8_t *px = noise(128, 96, 3);
	(void)state;

	for (progressive = 0; progressive < 2; progressive++) {	/* baseline, progressive */
		struct buf j = encode_jpeg(px, 128, 96, 3, 90, 6, 0);
		struct kf_image img = { 0 };
		struct kf_err err = KF_ERR_INIT;

		assert_int_equal(kf_image_decode(j.data, j.len, 0, &img, NULL, &err), KF_OK);
		kf_image_release(&img);
		decode_fails(j.data, j.len / 2, KF_E_FORMAT, "premature end");
		decode_fails(j.data, j.len - 2, KF_E_FORMAT, "premature end");	/* only EOI missing */
		/* every cut, from the header on, is an error, never a partial image */
		for (size_t n = 1; n < j.len; n += 1 + n / 8)
			decode_fails(j.data, n, KF_E_FORMAT, NULL);
		free(j.data);
	}
	progressive = 0;
	free(px);
}

static size_t find_marker(const struct buf *j, uint8_t m)
{
	for (size_t i = 2; i + 1 < j->len; i++)
		if (j->data[i] == 0xff && j->data[i + 1] == m)
			return i;
	fail_msg("marker 0x%02x not found", m);
	return 0;
}

static void test_corrupt_jpeg(void **state)
{
	uint8_t *px = noise(128, 96, 3);
	struct buf j = encode_jpeg(px, 128, 96, 3, 90, 0, 0);
	size_t sos = find_marker(&j, 0xda), sof = find_marker(&j, 0xc0);
	uint8_t *c = malloc(j.len + 32);
	(void)state;

	assert_non_null(c);
	/* a marker in the middle of the entropy-coded data */
	memcpy(c, j.data, j.len);
	c[sos + (j.len - sos) / 2] = 0xff;
	c[sos + (j.len - sos) / 2 + 1] = 0xd9;
	decode_fails(c, j.len, KF_E_FORMAT, "premature end of data segment");
	/* junk between the scan and EOI: libjpeg only warns, we refuse */
	memcpy(c, j.data, j.len - 2);
	memcpy(c + j.len - 2, "junk after the scan", 16);	/* more than libjpeg reads ahead */
	memcpy(c + j.len + 14, "\xff\xd9", 2);
	decode_fails(c, j.len + 16, KF_E_FORMAT, "extraneous bytes");
	/* 12-bit precision in SOF0 */
	memcpy(c, j.data, j.len);
	c[sof + 4] = 12;
	decode_fails(c, j.len, KF_E_FORMAT, "bad JPEG");
	/* a bad Huffman table class */
	memcpy(c, j.data, j.len);
	c[find_marker(&j, 0xc4) + 4] = 0x77;
	decode_fails(c, j.len, KF_E_FORMAT, "bad JPEG");
	free(c);
	free(j.data);
	free(px);
}

/* Patch a JPEG's SOF0 size, or a PNG's IHDR size (fixing its CRC). */
static void patch_jpeg_size(struct buf *j, int w, int h)
{
	size_t sof = find_marker(j, 0xc0);

	j->data[sof + 5] = (uint8_t)(h >> 8);
	j->data[sof + 6] = (uint8_t)h;
	j->data[sof + 7] = (uint8_t)(w >> 8);
	j->data[sof + 8] = (uint8_t)w;
}

static void patch_png_size(struct buf *p, uint32_t w, uint32_t h)
{
	uint8_t *ihdr = p->data + 12;		/* "IHDR" + 13 bytes, then CRC */
	uint32_t crc;

	for (int i = 0; i < 4; i++) {
		ihdr[4 + i] = (uint8_t)(w >> (24 - 8 * i));
		ihdr[8 + i] = (uint8_t)(h >> (24 - 8 * i));
	}
	crc = (uint32_t)crc32(0, ihdr, 17);
	for (int i = 0; i < 4; i++)
		ihdr[17 + i] = (uint8_t)(crc >> (24 - 8 * i));
}

static void test_size_limits(void **state)
{
	uint8_t *px = noise(16, 16, 3);
	struct buf j = encode_jpeg(px, 16, 16, 3, 90, 0, 0);
	struct buf p = encode_png(px, 16, 16, 8, PNG_COLOR_TYPE_RGB, 0, NULL, 0, NULL, 0);
	struct kf_image_info info;
	struct kf_err err = KF_ERR_INIT;
	(void)state;

	patch_jpeg_size(&j, 40000, 16);
	assert_int_equal(kf_image_probe(j.data, j.len, &info, &err), KF_E_UNSUPPORTED);
	assert_non_null(strstr(err.msg, "too large"));
	decode_fails(j.data, j.len, KF_E_UNSUPPORTED, "JPEG too large: 40000x16");
	patch_jpeg_size(&j, 20000, 20000);				/* 400 megapixels */
	decode_fails(j.data, j.len, KF_E_UNSUPPORTED, "megapixels");
	patch_jpeg_size(&j, 0, 16);
	decode_fails(j.data, j.len, KF_E_FORMAT, "bad JPEG");

	patch_png_size(&p, 40000, 16);
	kf_err_clear(&err);
	assert_int_equal(kf_image_probe(p.data, p.len, &info, &err), KF_E_UNSUPPORTED);
	assert_string_equal(err.msg, "PNG too large: 40000x16 (at most 32768 pixels a side)");
	patch_png_size(&p, 30000, 30000);
	decode_fails(p.data, p.len, KF_E_UNSUPPORTED, "PNG too large: 30000x30000");
	free(j.data);
	free(p.data);
	free(px);
}

static void test_gray_and_cmyk_jpeg(void **state)
{
	uint8_t g[8 * 8], k[8 * 8 * 4];
	struct kf_image img = { 0 };
	struct kf_err err = KF_ERR_INIT;
	struct buf j;
	(void)state;

	memset(g, 77, sizeof(g));
	j = encode_jpeg(g, 8, 8, 1, 95, 3, 0);
	assert_int_equal(kf_image_decode(j.data, j.len, 0, &img, NULL, &err), KF_OK);
	expect_rgb(&img, 4, 4, 77, 77, 77, 1);
	kf_image_release(&img);
	free(j.data);
	/* Adobe CMYK as libjpeg writes it (inverted: 255 = no ink): magenta */
	for (int i = 0; i < 64; i++)
		memcpy(k + 4 * i, "\xff\x00\xff\xff", 4);
	for (int o = 0; o <= 6; o += 6) {	/* also through the rotating path */
		j = encode_jpeg(k, 8, 8, 4, 95, o, 0);
		assert_int_equal(kf_image_decode(j.data, j.len, 0, &img, NULL, &err), KF_OK);
		expect_rgb(&img, 4, 4, 255, 0, 255, 3);
		expect_rgb(&img, 7, 0, 255, 0, 255, 3);
		kf_image_release(&img);
		free(j.data);
	}
}

/* ---------------------------------------------------------------- PNG */

/* Source sample value of channel c at (x, y), 16 bits. */
static unsigned sample16(int x, int y, int c)
{
	return (unsigned)((x * 7919 + y * 104729 + c * 7001) * 2654435761u >> 16) & 0xffff;
}

static void test_png_variants(void **state)
{
	static const struct {
		const char *name;
		int ctype, depth, interlace, trns;
	} rows[] = {
		{ "gray 8", PNG_COLOR_TYPE_GRAY, 8, 0, 0 },
		{ "gray 16", PNG_COLOR_TYPE_GRAY, 16, 0, 0 },
		{ "gray 1", PNG_COLOR_TYPE_GRAY, 1, 0, 0 },
		{ "gray 4 + tRNS", PNG_COLOR_TYPE_GRAY, 4, 0, 1 },
		{ "gray+alpha 8", PNG_COLOR_TYPE_GRAY_ALPHA, 8, 0, 0 },
		{ "gray+alpha 16", PNG_COLOR_TYPE_GRAY_ALPHA, 16, 0, 0 },
		{ "palette", PNG_COLOR_TYPE_PALETTE, 8, 0, 0 },
		{ "palette 2-bit + tRNS", PNG_COLOR_TYPE_PALETTE, 2, 0, 1 },
		{ "rgb 8", PNG_COLOR_TYPE_RGB, 8, 0, 0 },
		{ "rgb 8 interlaced", PNG_COLOR_TYPE_RGB, 8, 1, 0 },
		{ "rgb 16", PNG_COLOR_TYPE_RGB, 16, 0, 0 },
		{ "rgb 8 + tRNS", PNG_COLOR_TYPE_RGB, 8, 0, 1 },
		{ "rgba 8", PNG_COLOR_TYPE_RGB_ALPHA, 8, 0, 0 },
		{ "rgba 16 interlaced", PNG_COLOR_TYPE_RGB_ALPHA, 16, 1, 0 },
	};
	const int W = 13, H = 9;
	png_color pal[256];
	(void)state;

	for (int i = 0; i < 256; i++) {
		pal[i].red = (png_byte)i;
		pal[i].green = (png_byte)(255 - i);
		pal[i].blue = (png_byte)(i * 7);
	}
	for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		int ctype = rows[r].ctype, depth = rows[r].depth;
		int gray = !(ctype & PNG_COLOR_MASK_COLOR) && ctype != PNG_COLOR_TYPE_PALETTE;
		int chans = ctype == PNG_COLOR_TYPE_PALETTE ? 1 : (gray ? 1 : 3) + !!(ctype & PNG_COLOR_MASK_ALPHA);
		size_t rowbytes = ((size_t)W * chans * depth + 7) / 8;
		uint8_t *raw = calloc(rowbytes * H, 1), *want = malloc((size_t)W * H * 3);
		png_color_16 trans_color = { 0, 1, 2, 3, 1 };
		uint8_t trans[4] = { 0, 128, 255, 0 };
		struct kf_image img = { 0 };
		struct kf_image_info info;
		struct kf_err err = KF_ERR_INIT;
		struct buf p;

		assert_non_null(raw);
		assert_non_null(want);
		for (int y = 0; y < H; y++)
			for (int x = 0; x < W; x++)
				for (int c = 0; c < chans; c++) {
					unsigned v16 = sample16(x, y, c), v;
					size_t bit = ((size_t)x * chans + c) * depth;
					uint8_t *row = raw + (size_t)y * rowbytes;

					if (depth == 16) {
						row[bit / 8] = (uint8_t)v16;		/* little-endian, png_set_swap */
						row[bit / 8 + 1] = (uint8_t)(v16 >> 8);
						v = (v16 * 255 + 32767) / 65535;	/* round(v * 255 / 65535) */
					} else {
						unsigned s = v16 >> (16 - depth);

						row[bit / 8] |= (uint8_t)(s << (8 - depth - bit % 8));
						if (ctype == PNG_COLOR_TYPE_PALETTE)
							v = s;				/* index */
						else
							v = s * 255 / ((1u << depth) - 1);
					}
					if (c >= 3 || (gray && c >= 1))
						continue;				/* alpha is dropped */
					if (ctype == PNG_COLOR_TYPE_PALETTE) {
						uint8_t *w = want + ((size_t)y * W + x) * 3;

						w[0] = pal[v].red;
						w[1] = pal[v].green;
						w[2] = pal[v].blue;
					} else if (gray) {
						memset(want + ((size_t)y * W + x) * 3, (int)v, 3);
					} else {
						want[((size_t)y * W + x) * 3 + c] = (uint8_t)v;
					}
				}
		p = encode_png(raw, W, H, depth, ctype, rows[r].interlace,
			       ctype == PNG_COLOR_TYPE_PALETTE ? pal : NULL, 1 << (depth < 8 ? depth : 8),
			       NULL, 0);
		if (rows[r].trns) {	/* re-encode with tRNS */
			png_structp png;

			free(p.data);
			p.data = NULL;
			p.len = 0;
			png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
			png_infop pi = png_create_info_struct(png);
			png_set_write_fn(png, &p, png_write_cb, png_flush_cb);
			png_set_IHDR(png, pi, W, H, depth, ctype, PNG_INTERLACE_NONE,
				     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
			if (ctype == PNG_COLOR_TYPE_PALETTE) {
				png_set_PLTE(png, pi, pal, 1 << depth);
				png_set_tRNS(png, pi, trans, 4, NULL);
			} else {
				png_set_tRNS(png, pi, NULL, 0, &trans_color);
			}
			png_write_info(png, pi);
			for (int y = 0; y < H; y++)
				png_write_row(png, raw + (size_t)y * rowbytes);
			png_write_end(png, pi);
			png_destroy_write_struct(&png, &pi);
		}
		if (kf_image_decode(p.data, p.len, 512, &img, &info, &err) < 0)
			fail_msg("%s: %s", rows[r].name, err.msg);
		assert_int_equal(info.format, KF_IMAGE_PNG);
		assert_int_equal(info.scale_denom, 1);		/* min_side ignored */
		assert_int_equal(img.width, W);
		assert_int_equal(img.height, H);
		if (memcmp(img.rgb, want, (size_t)W * H * 3) != 0) {
			for (size_t i = 0; i < (size_t)W * H * 3; i++)
				if (img.rgb[i] != want[i])
					fail_msg("%s: byte %zu is %d, want %d", rows[r].name, i, img.rgb[i], want[i]);
		}
		kf_err_clear(&err);
		assert_int_equal(kf_image_probe(p.data, p.len, &info, &err), KF_OK);
		assert_int_equal(info.width, W);
		assert_int_equal(info.orientation, 1);
		/* truncated anywhere: an error */
		for (size_t n = 8; n < p.len; n += 1 + n / 4)
			decode_fails(p.data, n, KF_E_FORMAT, NULL);
		decode_fails(p.data, p.len / 2, KF_E_FORMAT, "premature end");
		kf_image_release(&img);
		free(p.data);
		free(raw);
		free(want);
	}
}

static void test_corrupt_png(void **state)
{
	uint8_t *px = noise(32, 32, 3);
	struct buf p = encode_png(px, 32, 32, 8, PNG_COLOR_TYPE_RGB, 0, NULL, 0, NULL, 0);
	uint8_t *c = malloc(p.len);
	(void)state;

	assert_non_null(c);
	memcpy(c, p.data, p.len);
	c[p.len / 2] ^= 0x55;			/* inside IDAT: the CRC no longer matches */
	decode_fails(c, p.len, KF_E_FORMAT, "bad PNG");
	memcpy(c, p.data, p.len);
	c[12] = 'X';				/* IHDR renamed: first chunk is not IHDR */
	decode_fails(c, p.len, KF_E_FORMAT, "bad PNG");
	free(c);
	free(p.data);
	free(px);
}

/* ---------------------------------------------------------------- crop, pad */

static void test_crop_pad(void **state)
{
	struct kf_image img = { 0 }, c = { 0 }, p = { 0 };
	struct kf_err err = KF_ERR_INIT;
	int ox, oy;
	(void)state;

	img.width = 5;
	img.height = 4;
	img.rgb = kf_malloc(5 * 4 * 3);
	for (int i = 0; i < 60; i++)
		img.rgb[i] = (uint8_t)i;
	assert_int_equal(kf_image_crop(&img, 3, -2, 10, 4, &c, &err), KF_OK);	/* clamped to 3,0 2x2 */
	assert_int_equal(c.width, 2);
	assert_int_equal(c.height, 2);
	assert_int_equal(c.rgb[0], 9);
	assert_int_equal(c.rgb[6], 24);
	assert_int_equal(kf_image_crop(&img, 5, 0, 3, 3, &p, &err), KF_E_INVALID);
	assert_null(p.rgb);
	assert_int_equal(kf_image_pad(&img, 10, 3, 128, &p, &ox, &oy, &err), KF_OK);
	assert_int_equal(p.width, 10);
	assert_int_equal(p.height, 4);
	assert_int_equal(ox, 2);	/* floor((10 - 5) / 2) */
	assert_int_equal(oy, 0);
	assert_int_equal(p.rgb[0], 128);
	assert_int_equal(p.rgb[6], 0);
	assert_int_equal(p.rgb[(3 * 10 + 6) * 3 + 2], (3 * 5 + 4) * 3 + 2);	/* image 4,3 */
	kf_image_release(&p);
	kf_image_release(&c);
	kf_image_release(&img);
}

/* ---------------------------------------------------------------- net input */

static void test_net_input_small(void **state)
{
	uint8_t px[] = { 0, 0, 0, 100, 100, 100 };		/* 2x1: black, grey 100 */
	uint8_t tall[] = { 10, 10, 10, 20, 20, 20, 30, 30, 30, 40, 40, 40 };	/* 1x4 */
	struct kf_image img = { 2, 1, px }, t = { 1, 4, tall };
	struct kf_err err = KF_ERR_INIT;
	float o[4 * 4 * 3];
	(void)state;

	/* bottom/right: padded 2x2 = [0 100; 0 0], resized to 4x4 (scale 0.5) */
	assert_int_equal(kf_image_to_net_input(&img, 0, 0, 2, 1, 4, 0, o, &err), KF_OK);
	assert_true(o[(0 * 4 + 1) * 3] == 50.0f);
	assert_true(o[(1 * 4 + 1) * 3] == 25.0f);
	assert_true(o[(0 * 4 + 3) * 3] == 100.0f);
	assert_true(o[(3 * 4 + 3) * 3] == 0.0f);
	/* centred, same size: the 1x4 column lands at x = floor(3 / 2) = 1 of 4 */
	assert_int_equal(kf_image_to_net_input(&t, 0, 0, 1, 4, 4, 1, o, &err), KF_OK);
	for (int y = 0; y < 4; y++)
		for (int x = 0; x < 4; x++)
			assert_true(o[(y * 4 + x) * 3 + 1] == (x == 1 ? (float)(10 * (y + 1)) : 0.0f));
	/* a rectangle half outside is clamped; a rectangle fully outside is an error */
	assert_int_equal(kf_image_to_net_input(&t, -3, 2, 5, 9, 2, 1, o, &err), KF_OK);
	assert_int_equal(kf_image_to_net_input(&t, 1, 0, 1, 4, 4, 1, o, &err), KF_E_INVALID);
	assert_int_equal(kf_image_to_net_input(&t, 0, 0, 1, 4, 0, 1, o, &err), KF_E_INVALID);
}

static char *sha256_hex(const void *data, size_t n, char hex[65])
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	SHA256(data, n, md);
	for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return hex;
}

static cJSON *load_json(const char *path)
{
	size_t n;
	uint8_t *b = kf_test_read_file(path, &n);
	cJSON *j = cJSON_ParseWithLength((const char *)b, n);

	free(b);
	assert_non_null(j);
	return j;
}

/* Compare kf_image_to_net_input on our decode of sample1 with face-api's. */
struct tol {
	double mean, max_u8, mean_u8, probe;	/* vs face-api: mean, vs uint8 input: max, mean |diff| */
};

static void check_net_input(const struct kf_image *img, int exact, struct tol tol,
			    const char *stages, const char *u8_bin, int size)
{
	cJSON *doc = load_json(kf_test_path("%s/reference/layers/%s", KF_TEST_DATA, stages));
	cJSON *pkg = cJSON_GetObjectItem(doc, "net_input_package");
	cJSON *sum = cJSON_GetObjectItem(pkg, "summary");
	size_t n = (size_t)size * size * 3, u8len;
	float *in = malloc(n * sizeof(float));
	uint8_t *u8 = kf_test_read_file(kf_test_path("%s/reference/layers/%s", KF_TEST_DATA, u8_bin), &u8len);
	struct kf_err err = KF_ERR_INIT;
	double s = 0, mn = 1e9, mx = -1e9, maxd = 0, meand = 0;
	char hex[65];
	cJSON *it;

	assert_non_null(in);
	assert_int_equal(u8len, n);
	assert_int_equal(kf_image_to_net_input(img, 0, 0, img->width, img->height, size, 0, in, &err), KF_OK);
	if (exact)
		assert_string_equal(sha256_hex(in, n * sizeof(float), hex),
				    cJSON_GetObjectItem(pkg, "float32_sha256")->valuestring);
	for (size_t i = 0; i < n; i++) {
		double d = fabs((double)in[i] - u8[i]);

		s += in[i];
		mn = in[i] < mn ? in[i] : mn;
		mx = in[i] > mx ? in[i] : mx;
		maxd = d > maxd ? d : maxd;
		meand += d;
	}
	meand /= (double)n;
	print_message("net input %d: sum %.4f (face-api %.4f), mean %.5f (%.5f), vs uint8 input "
		      "max |diff| %.3f mean |diff| %.4f\n", size, s,
		      cJSON_GetObjectItem(sum, "sum")->valuedouble, s / (double)n,
		      cJSON_GetObjectItem(sum, "mean")->valuedouble, maxd, meand);
	/* libjpeg-turbo vs jpeg-js: see docs/internals/image.md (max 3 per pixel, mean 0.43) */
	if (exact)
		tol = (struct tol){ 1e-6, 0.5, 0.25, 0 };
	assert_true(fabs(s / (double)n - cJSON_GetObjectItem(sum, "mean")->valuedouble) < tol.mean);
	assert_true(mn == cJSON_GetObjectItem(sum, "min")->valuedouble);
	assert_true(mx == cJSON_GetObjectItem(sum, "max")->valuedouble);
	assert_true(maxd <= tol.max_u8);
	assert_true(meand <= tol.mean_u8);
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(sum, "probe")) {
		size_t at = (size_t)cJSON_GetArrayItem(it, 0)->valuedouble;
		double want = cJSON_GetArrayItem(it, 1)->valuedouble;

		assert_true(at < n);
		if (fabs(in[at] - want) > tol.probe)
			fail_msg("probe %zu: %g, face-api %g", at, (double)in[at], want);
	}
	free(u8);
	free(in);
	cJSON_Delete(doc);
}

static void test_net_input_sample1(void **state)
{
	cJSON *doc = load_json(kf_test_path("%s/reference/sample1.json", KF_TEST_DATA));
	const char *want = cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "image"), "decoded_rgb_sha256")->valuestring;
	struct kf_image img = { 0 };
	struct kf_image_info info;
	struct kf_err err = KF_ERR_INIT;
	char hex[65];
	size_t len;
	int exact;
	(void)state;

	if (kf_image_load(KF_TEST_DEMO "/sample1.jpg", 0, &img, &info, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(img.width, 1920);
	assert_int_equal(img.height, 1280);
	exact = !strcmp(sha256_hex(img.rgb, (size_t)img.width * img.height * 3, hex), want);
	print_message("decoded RGB sha256 %s jpeg-js's\n", exact ? "equals" : "differs from");
	check_net_input(&img, exact, (struct tol){ 0.5, 3.5, 0.6, 3.5 }, "sample1_ssd_stages.json",
			"sample1_ssd_input_512x512_rgb_u8.bin", 512);
	check_net_input(&img, exact, (struct tol){ 0.5, 3.5, 0.6, 3.5 }, "sample1_tiny_stages.json",
			"sample1_tiny_input_416x416_rgb_u8.bin", 416);
	kf_image_release(&img);

	/* jpeg-js's colour conversion: much closer (96% of bytes equal on sample1) */
	{
		uint8_t *buf = kf_test_read_file(KF_TEST_DEMO "/sample1.jpg", &len);

		assert_int_equal(kf_image_decode_ex(buf, len, 0, KF_IMAGE_JPEGJS_COLOR, &img, &info, &err), KF_OK);
		free(buf);
	}
	exact = !strcmp(sha256_hex(img.rgb, (size_t)img.width * img.height * 3, hex), want);
	print_message("with KF_IMAGE_JPEGJS_COLOR: decoded RGB sha256 %s jpeg-js's\n",
		      exact ? "equals" : "differs from");
	check_net_input(&img, exact, (struct tol){ 0.05, 3.5, 0.15, 3.5 }, "sample1_ssd_stages.json",
			"sample1_ssd_input_512x512_rgb_u8.bin", 512);
	check_net_input(&img, exact, (struct tol){ 0.05, 3.5, 0.15, 3.5 }, "sample1_tiny_stages.json",
			"sample1_tiny_input_416x416_rgb_u8.bin", 416);
	kf_image_release(&img);
	/* the detector's scaled decode: 1/2 for a 1920 long side and min_side 512 */
	assert_int_equal(kf_image_load(KF_TEST_DEMO "/sample1.jpg", 512, &img, &info, &err), KF_OK);
	assert_int_equal(info.scale_denom, 2);
	assert_int_equal(img.width, 960);
	assert_int_equal(img.height, 640);
	kf_image_release(&img);
	cJSON_Delete(doc);
}

/* KF_IMAGE_JPEGJS_COLOR equals libjpeg's YCbCr output (chroma replicated)
 * converted with jpeg-js's formula, byte for byte, in every orientation. */
static uint8_t js_clamp(double v)
{
	return v < 0 ? 0 : v > 255 ? 255 : (uint8_t)v;
}

static void test_jpegjs_color(void **state)
{
	uint8_t *px = noise(37, 21, 3);
	(void)state;

	for (int o = 1; o <= 8; o += 5) {	/* 1 and 6 */
		struct buf j = encode_jpeg(px, 37, 21, 3, 85, o, 0);
		struct jpeg_decompress_struct c;
		struct jpeg_error_mgr e;
		struct kf_image img = { 0 };
		struct kf_err err = KF_ERR_INIT;
		uint8_t row[37 * 3];

		assert_int_equal(kf_image_decode_ex(j.data, j.len, 0, KF_IMAGE_JPEGJS_COLOR, &img, NULL, &err), KF_OK);
		c.err = jpeg_std_error(&e);
		jpeg_create_decompress(&c);
		jpeg_mem_src(&c, j.data, j.len);
		jpeg_read_header(&c, TRUE);
		c.out_color_space = JCS_YCbCr;
		c.do_fancy_upsampling = FALSE;
		jpeg_start_decompress(&c);
		while (c.output_scanline < c.output_height) {
			int sy = (int)c.output_scanline;
			JSAMPROW r = row;

			jpeg_read_scanlines(&c, &r, 1);
			for (int sx = 0; sx < 37; sx++) {
				double y = row[sx * 3], cb = row[sx * 3 + 1] - 128, cr = row[sx * 3 + 2] - 128;
				uint8_t want[3] = { js_clamp(y + 1.402 * cr),
						    js_clamp(y - 0.3441363 * cb - 0.71413636 * cr),
						    js_clamp(y + 1.772 * cb) };
				int ox, oy;

				kf_exif_dest(o, 37, 21, sx, sy, &ox, &oy);
				if (memcmp(img.rgb + ((size_t)oy * img.width + ox) * 3, want, 3) != 0)
					fail_msg("orientation %d, pixel %d,%d differs", o, sx, sy);
			}
		}
		jpeg_finish_decompress(&c);
		jpeg_destroy_decompress(&c);
		kf_image_release(&img);
		free(j.data);
	}
	free(px);
}

/* ---------------------------------------------------------------- files, memory */

static void test_load_errors(void **state)
{
	const char *dir = kf_test_tmpdir(), *txt = kf_test_path("%s/notes.jpg", dir);
	struct kf_image img = { 0 };
	struct kf_err err = KF_ERR_INIT;
	(void)state;

	assert_int_equal(kf_image_load(kf_test_path("%s/missing.jpg", dir), 0, &img, NULL, &err),
			 KF_E_NOTFOUND);
	assert_non_null(strstr(err.msg, "missing.jpg"));
	kf_test_write_file(txt, "not a photo\n", 12);
	kf_err_clear(&err);
	assert_int_equal(kf_image_load(txt, 0, &img, NULL, &err), KF_E_FORMAT);
	assert_string_equal(err.msg, kf_test_path("'%s': not a JPEG or PNG file", txt));
	assert_null(img.rgb);
	/* a folder (its size is no file's) and a named pipe (not waited on) */
	kf_err_clear(&err);
	assert_int_equal(kf_image_load(dir, 0, &img, NULL, &err), KF_E_INVALID);
	assert_string_equal(err.msg, kf_test_path("'%s' is a folder, not an image file", dir));
	kf_err_clear(&err);
	assert_int_equal(mkfifo(kf_test_path("%s/pipe.jpg", dir), 0600), 0);
	assert_int_equal(kf_image_load(kf_test_path("%s/pipe.jpg", dir), 0, &img, NULL, &err),
			 KF_E_INVALID);
	assert_non_null(strstr(err.msg, "pipe.jpg' is not a file"));
	assert_null(img.rgb);
}

/* Fail each allocation of a decode in turn: KF_E_NOMEM, *out zeroed, no leak
 * (ASan's leak checker runs at exit). */
static void fail_each_alloc(const char *path, int min_side)
{
	struct kf_image img = { 0 };
	struct kf_err err = KF_ERR_INIT;
	long n;

	kf_alloc_fail_at(0);
	assert_int_equal(kf_image_load(path, min_side, &img, NULL, &err), KF_OK);
	kf_image_release(&img);
	n = kf_alloc_fail_at(0);
	assert_true(n >= 2);
	for (long i = 1; i <= n; i++) {
		kf_err_clear(&err);
		kf_alloc_fail_at(i);
		assert_int_equal(kf_image_load(path, min_side, &img, NULL, &err), KF_E_NOMEM);
		assert_null(img.rgb);
		assert_int_equal(img.width, 0);
		assert_non_null(strstr(err.msg, "out of memory"));
	}
	kf_alloc_fail_at(0);
}

static void test_alloc_failures(void **state)
{
	const char *dir = kf_test_tmpdir();
	uint8_t *px = quadrants(40, 24);
	struct buf j = encode_jpeg(px, 40, 24, 3, 90, 8, 0);
	struct buf p = encode_png(px, 40, 24, 8, PNG_COLOR_TYPE_RGB, 0, NULL, 0, NULL, 0);
	struct kf_image img = { 0 }, c = { 0 };
	struct kf_err err = KF_ERR_INIT;
	(void)state;

	kf_test_write_file(kf_test_path("%s/o8.jpg", dir), j.data, j.len);
	kf_test_write_file(kf_test_path("%s/rgb.png", dir), p.data, p.len);
	fail_each_alloc(kf_test_path("%s/o8.jpg", dir), 0);
	fail_each_alloc(kf_test_path("%s/o8.jpg", dir), 10);
	fail_each_alloc(kf_test_path("%s/rgb.png", dir), 0);
	fail_each_alloc(KF_TEST_DEMO "/sample2.jpg", 512);
	assert_int_equal(kf_image_decode(j.data, j.len, 0, &img, NULL, &err), KF_OK);
	kf_alloc_fail_at(1);
	assert_int_equal(kf_image_crop(&img, 0, 0, 4, 4, &c, &err), KF_E_NOMEM);
	kf_alloc_fail_at(1);
	assert_int_equal(kf_image_pad(&img, 50, 50, 0, &c, NULL, NULL, &err), KF_E_NOMEM);
	assert_null(c.rgb);
	kf_alloc_fail_at(0);
	kf_image_release(&img);
	free(j.data);
	free(p.data);
	free(px);
}

/* kf_image_decode_in: the same pixels from an arena, JPEG (rotated too) and
 * PNG with alpha; a broken file leaves *out zeroed and its memory to the
 * arena (ASan would catch a free of it), which is given back whole. */
static void test_decode_in(void **state)
{
	uint8_t *px = quadrants(40, 24), *rgba = noise(40, 24, 4);
	struct buf j = encode_jpeg(px, 40, 24, 3, 90, 6, 0);
	struct buf p = encode_png(rgba, 40, 24, 8, PNG_COLOR_TYPE_RGB_ALPHA, 0, NULL, 0, NULL, 0);
	const struct buf *files[2] = { &j, &p };
	struct kf_arena a = KF_ARENA_INIT;
	struct kf_err err = KF_ERR_INIT;
	(void)state;

	for (int f = 0; f < 2; f++) {
		struct kf_image heap = { 0 }, in = { 0 };
		struct kf_image_info hi, ii;
		struct kf_arena_mark m = kf_arena_mark(&a);

		assert_int_equal(kf_image_decode(files[f]->data, files[f]->len, 0, &heap, &hi, &err),
				 KF_OK);
		assert_int_equal(kf_image_decode_in(&a, files[f]->data, files[f]->len, 0, &in, &ii,
						    &err), KF_OK);
		assert_int_equal(in.width, heap.width);
		assert_int_equal(in.height, heap.height);
		assert_int_equal(ii.orientation, hi.orientation);
		assert_memory_equal(in.rgb, heap.rgb, (size_t)heap.width * heap.height * 3);
		assert_true(a.used_total > 0);
		kf_image_release(&heap);
		assert_int_equal(kf_image_decode_in(&a, files[f]->data, files[f]->len / 2, 0, &in, NULL,
						    &err), KF_E_FORMAT);
		assert_null(in.rgb);
		assert_int_equal(in.width, 0);
		kf_arena_rewind(&a, m);
		assert_int_equal(a.used_total, 0);
	}
	assert_int_equal(kf_image_decode_in(NULL, j.data, j.len, 0, &(struct kf_image){ 0 }, NULL,
					    &err), KF_E_INVALID);
	for (int f = 0; f < 2; f++) {	/* the arena cannot grow: KF_E_NOMEM, nothing to free */
		struct kf_arena fresh = KF_ARENA_INIT;
		struct kf_image in = { 0 };

		kf_alloc_fail_at(1);
		assert_int_equal(kf_image_decode_in(&fresh, files[f]->data, files[f]->len, 0, &in, NULL,
						    &err), KF_E_NOMEM);
		kf_alloc_fail_at(0);
		assert_null(in.rgb);
		kf_arena_release(&fresh);
	}
	kf_arena_release(&a);
	free(j.data);
	free(p.data);
	free(rgba);
	free(px);
}

/* Upright rows [r[0], r[1]) of buf decoded alone (kf_image_decode_rows_in)
 * are those rows of the whole decode; want: the rows it says it wrote. */
static void expect_rows(const struct buf *b, int y0, int y1, int want0, int want1,
			const char *what)
{
	struct kf_arena a = KF_ARENA_INIT;
	struct kf_err err = KF_ERR_INIT;
	struct kf_image whole = { 0 }, part = { 0 };
	int rows[2] = { y0, y1 };

	if (kf_image_decode(b->data, b->len, 0, &whole, NULL, &err) < 0 ||
	    kf_image_decode_rows_in(&a, b->data, b->len, rows, &part, &err) < 0)
		fail_msg("%s: %s", what, err.msg);
	assert_int_equal(part.width, whole.width);
	assert_int_equal(part.height, whole.height);
	if (rows[0] != want0 || rows[1] != want1)
		fail_msg("%s, rows %d..%d: wrote %d..%d, not %d..%d", what, y0, y1, rows[0], rows[1],
			 want0, want1);
	if (memcmp(part.rgb + (size_t)want0 * whole.width * 3, whole.rgb + (size_t)want0 * whole.width * 3,
		   (size_t)(want1 - want0) * whole.width * 3))
		fail_msg("%s, rows %d..%d: not the whole decode's bytes", what, y0, y1);
	kf_image_release(&whole);
	kf_arena_release(&a);
}

/* kf_image_decode_rows_in: the rows asked for, with the whole decode's bytes
 * (4:2:0 chroma, progressive, each orientation, a camera photo); the whole
 * photo when its stored rows are not upright rows, for PNG, and for rows
 * that make no band. */
static void test_decode_rows(void **state)
{
	const int W = 64, H = 48;
	uint8_t *px = noise(W, H, 3), *rgba = noise(W, H, 4);
	size_t len;
	uint8_t *cam = kf_test_read_file(KF_TEST_DEMO "/sample1.jpg", &len);
	struct buf j = { cam, len }, p = encode_png(rgba, W, H, 8, PNG_COLOR_TYPE_RGB_ALPHA, 0, NULL, 0,
						    NULL, 0);
	struct kf_arena a = KF_ARENA_INIT;
	struct kf_err err = KF_ERR_INIT;
	int rows[2] = { 1200, 1280 };
	(void)state;

	expect_rows(&j, 301, 977, 301, 977, "sample1");
	expect_rows(&j, 600, 601, 600, 601, "sample1");
	expect_rows(&j, 0, 1280, 0, 1280, "sample1");
	expect_rows(&j, 1279, 1280, 1279, 1280, "sample1");
	expect_rows(&j, 977, 301, 0, 1280, "sample1, rows reversed");
	expect_rows(&j, -1, 20, 0, 1280, "sample1, rows above the photo");
	expect_rows(&j, 20, 1281, 0, 1280, "sample1, rows below the photo");
	expect_rows(&p, 5, 29, 0, H, "PNG");
	chroma_420 = 1;
	for (progressive = 0; progressive < 2; progressive++)
		for (int o = 1; o <= 8; o++) {
			struct buf b = encode_jpeg(px, W, H, 3, 90, o, 0);
			int uh = o >= 5 ? W : H;

			expect_rows(&b, 5, 29, o <= 4 ? 5 : 0, o <= 4 ? 29 : uh,
				    progressive ? "progressive 4:2:0" : "4:2:0");
			expect_rows(&b, 17, uh, o <= 4 ? 17 : 0, uh, "4:2:0, to the bottom");
			free(b.data);
		}
	progressive = chroma_420 = 0;
	/* rows past the end of a file cut short */
	assert_int_equal(kf_image_decode_rows_in(&a, j.data, j.len / 2, rows, &(struct kf_image){ 0 },
						 &err), KF_E_FORMAT);
	assert_int_equal(kf_image_decode_rows_in(&a, j.data, j.len, NULL, &(struct kf_image){ 0 },
						 &err), KF_E_INVALID);
	kf_arena_release(&a);
	kf_free(cam);
	free(p.data);
	free(px);
	free(rgba);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_in),
		cmocka_unit_test(test_decode_rows),
		cmocka_unit_test(test_not_an_image),
		cmocka_unit_test(test_exif_parser),
		cmocka_unit_test(test_orientations),
		cmocka_unit_test(test_pick_scale),
		cmocka_unit_test(test_scaled_decode),
		cmocka_unit_test(test_truncated_jpeg),
		cmocka_unit_test(test_corrupt_jpeg),
		cmocka_unit_test(test_size_limits),
		cmocka_unit_test(test_gray_and_cmyk_jpeg),
		cmocka_unit_test(test_png_variants),
		cmocka_unit_test(test_corrupt_png),
		cmocka_unit_test(test_crop_pad),
		cmocka_unit_test(test_net_input_small),
		cmocka_unit_test(test_jpegjs_color),
		cmocka_unit_test(test_net_input_sample1),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_alloc_failures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
