/* image_encode.c: JPEG encoding, face crops and "fit under N bytes"
 * (image_encode.h).
 *
 * Design:
 * - libjpeg-turbo's compressor writes into a destination manager of ours that
 *   grows a kf_malloc'd buffer (so the allocation hook of tests sees it and the
 *   caller frees with kf_free). Errors longjmp back to the one setjmp of
 *   encode_run(); everything that changes after setjmp lives in struct jenc.
 * - Warnings and trace messages of the compressor are ignored (the input is
 *   our own pixels, a warning cannot mean a damaged output); nothing prints.
 * - Shrinking averages whole source pixels into each destination pixel (area
 *   filter, integer sums), so a 4000 px photo shrunk to 3000 px does not alias.
 */
#include "core/image_encode.h"

#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>

#include "core/alloc.h"

#define DEST_CHUNK (64u << 10)	/* destination buffer growth step */
#define BOX_EPS 1e-6		/* pixels: rounding noise of fractions is not a pixel */

struct jenc {
	struct jpeg_compress_struct cinfo;
	struct jpeg_error_mgr jerr;
	struct jpeg_destination_mgr dest;
	jmp_buf jb;
	int code;
	char msg[KF_ERR_MSG_SIZE];
	uint8_t *buf;		/* output so far, kf_malloc'd */
	size_t cap, len;
};

static void on_error(j_common_ptr c)
{
	struct jenc *e = (struct jenc *)c->client_data;
	char reason[JMSG_LENGTH_MAX];

	c->err->format_message(c, reason);
	e->code = c->err->msg_code == JERR_OUT_OF_MEMORY ? KF_E_NOMEM : KF_E_INVALID;
	snprintf(e->msg, sizeof(e->msg), "cannot encode JPEG: %s", reason);
	longjmp(e->jb, 1);
}

static void on_message(j_common_ptr c, int level)
{
	(void)c;
	(void)level;
}

static void on_output(j_common_ptr c)
{
	(void)c;
}

static int grow(struct jenc *e)
{
	size_t cap = e->cap + DEST_CHUNK;
	uint8_t *p;

	if (cap < e->cap || !(p = kf_realloc(e->buf, cap)))
		return 0;
	e->buf = p;
	e->cap = cap;
	e->dest.next_output_byte = e->buf + e->len;
	e->dest.free_in_buffer = e->cap - e->len;
	return 1;
}

static void dest_init(j_compress_ptr c)
{
	struct jenc *e = (struct jenc *)c->client_data;

	e->len = 0;
	if (!grow(e))
		ERREXIT1(c, JERR_OUT_OF_MEMORY, 0);
}

/* libjpeg calls this only when the buffer is full (free_in_buffer == 0) */
static boolean dest_empty(j_compress_ptr c)
{
	struct jenc *e = (struct jenc *)c->client_data;

	e->len = e->cap;
	if (!grow(e))
		ERREXIT1(c, JERR_OUT_OF_MEMORY, 0);
	return TRUE;
}

static void dest_term(j_compress_ptr c)
{
	struct jenc *e = (struct jenc *)c->client_data;

	e->len = e->cap - e->dest.free_in_buffer;
}

/* The part between setjmp and the end; returns 0 or sets e->code. */
static int encode_run(struct jenc *e, const struct kf_image *img, int quality)
{
	struct jpeg_compress_struct *c = &e->cinfo;

	if (setjmp(e->jb)) {
		jpeg_destroy_compress(c);
		return e->code;
	}
	jpeg_create_compress(c);
	c->client_data = e;
	c->dest = &e->dest;
	c->image_width = (JDIMENSION)img->width;
	c->image_height = (JDIMENSION)img->height;
	c->input_components = 3;
	c->in_color_space = JCS_RGB;
	jpeg_set_defaults(c);
	jpeg_set_quality(c, quality, TRUE);
	c->optimize_coding = TRUE;
	c->dct_method = JDCT_ISLOW;
	jpeg_start_compress(c, TRUE);
	while (c->next_scanline < c->image_height) {
		JSAMPROW row = (JSAMPROW)(img->rgb +
					  (size_t)c->next_scanline * (size_t)img->width * 3);

		jpeg_write_scanlines(c, &row, 1);
	}
	jpeg_finish_compress(c);
	jpeg_destroy_compress(c);
	return 0;
}

int kf_image_encode_jpeg(const struct kf_image *img, int quality, uint8_t **out,
			 size_t *out_len, struct kf_err *err)
{
	struct jenc *e;
	int rc;

	*out = NULL;
	*out_len = 0;
	if (!img || !img->rgb || img->width <= 0 || img->height <= 0)
		return kf_err_set(err, KF_E_INVALID, "cannot encode an empty image");
	if (img->width > JPEG_MAX_DIMENSION || img->height > JPEG_MAX_DIMENSION)
		return kf_err_set(err, KF_E_UNSUPPORTED, "image of %dx%d is too large for JPEG",
				  img->width, img->height);
	if (quality < 1 || quality > 100)
		return kf_err_set(err, KF_E_INVALID, "JPEG quality %d is not in 1..100", quality);
	if (!(e = kf_calloc(1, sizeof(*e))))
		return kf_err_set(err, KF_E_NOMEM, "out of memory encoding JPEG");
	e->cinfo.err = jpeg_std_error(&e->jerr);
	e->jerr.error_exit = on_error;
	e->jerr.emit_message = on_message;
	e->jerr.output_message = on_output;
	e->dest.init_destination = dest_init;
	e->dest.empty_output_buffer = dest_empty;
	e->dest.term_destination = dest_term;
	rc = encode_run(e, img, quality);
	if (rc < 0) {
		kf_err_set(err, rc, "%s", e->msg);
		kf_free(e->buf);
	} else {
		*out = e->buf;
		*out_len = e->len;
	}
	kf_free(e);
	return rc;
}

int kf_image_box_rect(int img_w, int img_h, double left, double top, double width,
		      double height, double margin, int *x, int *y, int *w, int *h,
		      struct kf_err *err)
{
	double x0, y0, x1, y1;

	*x = *y = *w = *h = 0;
	if (img_w <= 0 || img_h <= 0)
		return kf_err_set(err, KF_E_INVALID, "cannot crop an empty image");
	if (!isfinite(left) || !isfinite(top) || !isfinite(width) || !isfinite(height) ||
	    !isfinite(margin) || width <= 0 || height <= 0 || margin < 0)
		return kf_err_set(err, KF_E_INVALID, "bad face box (%g, %g, %g, %g) margin %g",
				  left, top, width, height, margin);
	/* BOX_EPS: 0.1 + 0.3 is 0.4000000000000001 in binary; 46.000000001 px is 46 */
	x0 = floor((left - margin * width) * img_w + BOX_EPS);
	x1 = ceil((left + width + margin * width) * img_w - BOX_EPS);
	y0 = floor((top - margin * height) * img_h + BOX_EPS);
	y1 = ceil((top + height + margin * height) * img_h - BOX_EPS);
	x0 = x0 < 0 ? 0 : x0;
	y0 = y0 < 0 ? 0 : y0;
	x1 = x1 > img_w ? img_w : x1;
	y1 = y1 > img_h ? img_h : y1;
	if (x1 <= x0 || y1 <= y0)
		return kf_err_set(err, KF_E_INVALID, "face box (%g, %g, %g, %g) is outside the image",
				  left, top, width, height);
	*x = (int)x0;
	*y = (int)y0;
	*w = (int)(x1 - x0);
	*h = (int)(y1 - y0);
	return KF_OK;
}

int kf_image_crop_jpeg(const struct kf_image *img, double left, double top, double width,
		       double height, double margin, int quality, uint8_t **out,
		       size_t *out_len, struct kf_err *err)
{
	struct kf_image face = { 0 };
	int x, y, w, h, rc;

	*out = NULL;
	*out_len = 0;
	if (!img || !img->rgb)
		return kf_err_set(err, KF_E_INVALID, "cannot crop an empty image");
	rc = kf_image_box_rect(img->width, img->height, left, top, width, height, margin,
			       &x, &y, &w, &h, err);
	if (rc < 0)
		return rc;
	rc = kf_image_crop(img, x, y, w, h, &face, err);
	if (rc == KF_OK)
		rc = kf_image_encode_jpeg(&face, quality, out, out_len, err);
	kf_image_release(&face);
	return rc;
}

/* Area-average src into a new w x h image (w <= src width, h <= src height). */
static int shrink(const struct kf_image *src, int w, int h, struct kf_image *dst,
		  struct kf_err *err)
{
	size_t n = (size_t)w * (size_t)h * 3;

	dst->rgb = kf_malloc(n);
	if (!dst->rgb)
		return kf_err_set(err, KF_E_NOMEM, "out of memory shrinking %dx%d to %dx%d",
				  src->width, src->height, w, h);
	dst->width = w;
	dst->height = h;
	for (int dy = 0; dy < h; dy++) {
		int y0 = (int)((long long)dy * src->height / h);
		int y1 = (int)((long long)(dy + 1) * src->height / h);

		for (int dx = 0; dx < w; dx++) {
			int x0 = (int)((long long)dx * src->width / w);
			int x1 = (int)((long long)(dx + 1) * src->width / w);
			unsigned long sum[3] = { 0, 0, 0 }, cnt;

			for (int sy = y0; sy < y1; sy++) {
				const uint8_t *p = src->rgb + ((size_t)sy * (size_t)src->width +
							       (size_t)x0) * 3;

				for (int sx = x0; sx < x1; sx++, p += 3) {
					sum[0] += p[0];
					sum[1] += p[1];
					sum[2] += p[2];
				}
			}
			cnt = (unsigned long)(x1 - x0) * (unsigned long)(y1 - y0);
			for (int c = 0; c < 3; c++)
				dst->rgb[((size_t)dy * (size_t)w + (size_t)dx) * 3 + (size_t)c] =
					(uint8_t)((sum[c] + cnt / 2) / cnt);
		}
	}
	return KF_OK;
}

int kf_image_encode_under(const struct kf_image *img, size_t limit, uint8_t **out,
			  size_t *out_len, struct kf_err *err)
{
	static const int qualities[] = { KF_IMAGE_JPEG_QUALITY, 75, 60 };
	struct kf_image small = { 0 };
	const struct kf_image *cur = img;
	int rc;

	*out = NULL;
	*out_len = 0;
	if (!img || !img->rgb || img->width <= 0 || img->height <= 0)
		return kf_err_set(err, KF_E_INVALID, "cannot encode an empty image");
	for (;;) {
		int w, h;

		for (size_t i = 0; i < sizeof(qualities) / sizeof(qualities[0]); i++) {
			rc = kf_image_encode_jpeg(cur, qualities[i], out, out_len, err);
			if (rc < 0)
				goto out;
			if (*out_len <= limit)
				goto out;
			kf_free(*out);
			*out = NULL;
			*out_len = 0;
		}
		w = (int)((long long)cur->width * 3 / 4);
		h = (int)((long long)cur->height * 3 / 4);
		if ((w > h ? w : h) < KF_IMAGE_FIT_MIN_SIDE || w < 1 || h < 1) {
			rc = kf_err_set(err, KF_E_UNSUPPORTED,
					"cannot make a %dx%d image fit in %zu bytes",
					img->width, img->height, limit);
			goto out;
		}
		{
			struct kf_image next = { 0 };

			rc = shrink(cur, w, h, &next, err);
			if (rc < 0)
				goto out;
			kf_image_release(&small);
			small = next;
			cur = &small;
		}
	}
out:
	kf_image_release(&small);
	return rc;
}

int kf_image_fit_jpeg(const uint8_t *buf, size_t len, size_t limit, uint8_t **out,
		      size_t *out_len, struct kf_err *err)
{
	struct kf_image img = { 0 };
	int rc;

	*out = NULL;
	*out_len = 0;
	if (!kf_image_sniff(buf, len))
		return kf_err_set(err, KF_E_FORMAT, "not a JPEG or PNG file");
	if (len <= limit) {
		if (!(*out = kf_malloc(len)))
			return kf_err_set(err, KF_E_NOMEM, "out of memory copying %zu bytes", len);
		memcpy(*out, buf, len);
		*out_len = len;
		return KF_OK;
	}
	rc = kf_image_decode(buf, len, 0, &img, NULL, err);
	if (rc == KF_OK)
		rc = kf_image_encode_under(&img, limit, out, out_len, err);
	kf_image_release(&img);
	return rc;
}
