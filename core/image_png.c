/* image_png.c: PNG back end of image.c, on libpng.
 *
 * Design:
 * - Errors: png_set_error_fn with our own handlers. The error handler copies
 *   libpng's message into the context and longjmps to the one setjmp of the
 *   call (png_run); warnings (ancillary chunk CRCs, unknown sRGB profiles) are
 *   dropped, since they never affect pixels. Nothing prints.
 * - Input comes from memory through png_set_read_fn; reading past the end is
 *   the error "premature end of PNG file", so a truncated file never decodes.
 *   png_read_end() checks the rest of the stream up to IEND as well.
 * - Every PNG becomes 8-bit RGB: palette expanded, gray 1/2/4 bits expanded,
 *   16 bits scaled (round(v * 255 / 65535), as pngjs does), gray copied to
 *   R = G = B. Alpha (an alpha channel or tRNS) is decoded and then dropped:
 *   colours are kept as stored, not composited. Since libpng may add an
 *   alpha channel (tRNS) the image is read with 3 or 4 channels and packed to
 *   3 in place afterwards.
 * - PNG has no cheap reduced-size decode: min_side does not apply.
 * - State that changes after setjmp lives in struct pdec, reached through an
 *   unchanging pointer.
 */
#include "core/image_codec.h"

#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <png.h>

#include "core/alloc.h"
#include "core/arena.h"

struct pdec {
	png_structp png;
	png_infop info;
	jmp_buf jb;
	int code;
	char msg[KF_ERR_MSG_SIZE];
	const uint8_t *buf;
	size_t len, pos;
	int want_pixels;
	struct kf_arena *arena;			/* the pixels' memory, or NULL: kf_malloc */
	struct kf_image *out;
	struct kf_image_info kinfo;
	png_bytep *rows;
	uint8_t *pixels;			/* w * h * channels */
};

static void fail_jump(struct pdec *d, int code, const char *reason)
{
	const char *what = code == KF_E_NOMEM ? "out of memory decoding PNG" :
			   code == KF_E_UNSUPPORTED ? "unsupported PNG" : "bad PNG";
	char first = reason[0];

	if (first >= 'A' && first <= 'Z' && !(reason[1] >= 'A' && reason[1] <= 'Z'))
		first = (char)(first - 'A' + 'a');
	d->code = code;
	snprintf(d->msg, sizeof(d->msg), "%s: %c%s", what, first, first ? reason + 1 : "");
	longjmp(d->jb, 1);
}

static void fail_err(struct pdec *d, const struct kf_err *e)
{
	d->code = e->code;
	snprintf(d->msg, sizeof(d->msg), "%s", e->msg);
	longjmp(d->jb, 1);
}

static void on_error(png_structp png, png_const_charp msg)
{
	struct pdec *d = png_get_error_ptr(png);

	/* libpng words its allocation failures "Out of memory", "Insufficient memory" */
	fail_jump(d, strstr(msg, "memory") ? KF_E_NOMEM : KF_E_FORMAT, msg);
}

static void on_warning(png_structp png, png_const_charp msg)
{
	(void)png;
	(void)msg;
}

static void on_read(png_structp png, png_bytep data, size_t n)
{
	struct pdec *d = png_get_io_ptr(png);

	if (n > d->len - d->pos)
		fail_jump(d, KF_E_FORMAT, "premature end of PNG file");
	memcpy(data, d->buf + d->pos, n);
	d->pos += n;
}

static int png_run(struct pdec *d)
{
	struct kf_err e = KF_ERR_INIT;
	png_uint_32 w, h;
	int depth, ctype;
	size_t ch;

	if (setjmp(d->jb))
		return d->code;
	if (!(d->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, d, on_error, on_warning)))
		fail_jump(d, KF_E_NOMEM, "cannot create decoder");
	if (!(d->info = png_create_info_struct(d->png)))
		fail_jump(d, KF_E_NOMEM, "cannot create decoder");
	png_set_read_fn(d->png, d, on_read);
	png_read_info(d->png, d->info);
	png_get_IHDR(d->png, d->info, &w, &h, &depth, &ctype, NULL, NULL, NULL);
	if (kf_image_check_size("PNG", w, h, &e) < 0)
		fail_err(d, &e);
	d->kinfo.format = KF_IMAGE_PNG;
	d->kinfo.width = (int)w;
	d->kinfo.height = (int)h;
	d->kinfo.orientation = 1;
	d->kinfo.scale_denom = 1;
	if (!d->want_pixels)
		return KF_OK;

	if (ctype == PNG_COLOR_TYPE_PALETTE)
		png_set_palette_to_rgb(d->png);
	if ((ctype & PNG_COLOR_MASK_COLOR) == 0 && depth < 8)
		png_set_expand_gray_1_2_4_to_8(d->png);
	if (depth == 16)
		png_set_scale_16(d->png);
	if ((ctype & PNG_COLOR_MASK_COLOR) == 0)
		png_set_gray_to_rgb(d->png);
	png_set_interlace_handling(d->png);
	png_read_update_info(d->png, d->info);
	ch = png_get_channels(d->png, d->info);
	if (png_get_bit_depth(d->png, d->info) != 8 || (ch != 3 && ch != 4) ||
	    png_get_rowbytes(d->png, d->info) != (size_t)w * ch)
		fail_jump(d, KF_E_UNSUPPORTED, "unexpected pixel layout after conversion");

	/* w * h <= KF_IMAGE_MAX_PIXELS, so w * h * 4 fits a size_t */
	if (!(d->pixels = d->arena ? kf_arena_alloc(d->arena, (size_t)w * h * ch)
				   : kf_malloc_array((size_t)w * h, ch)) ||
	    !(d->rows = kf_malloc_array(h, sizeof(*d->rows))))
		fail_jump(d, KF_E_NOMEM, "pixel buffer");
	for (png_uint_32 y = 0; y < h; y++)
		d->rows[y] = d->pixels + (size_t)y * w * ch;
	png_read_image(d->png, d->rows);
	png_read_end(d->png, NULL);

	if (ch == 4) {		/* drop alpha, packing in place (dst never passes src) */
		size_t n = (size_t)w * h;
		uint8_t *p = d->pixels;

		for (size_t i = 0; i < n; i++) {
			p[3 * i] = p[4 * i];
			p[3 * i + 1] = p[4 * i + 1];
			p[3 * i + 2] = p[4 * i + 2];
		}
	}
	d->out->width = (int)w;
	d->out->height = (int)h;
	d->out->rgb = d->pixels;	/* kf_free() does not care that it is larger */
	d->pixels = NULL;
	return KF_OK;
}

static int png_call(const uint8_t *buf, size_t len, struct kf_arena *a, struct kf_image *out,
		    struct kf_image_info *info, struct kf_err *err)
{
	struct pdec d;
	int rc;

	memset(&d, 0, sizeof(d));
	d.buf = buf;
	d.len = len;
	d.arena = a;
	d.out = out;
	d.want_pixels = out != NULL;
	rc = png_run(&d);
	png_destroy_read_struct(d.png ? &d.png : NULL, d.info ? &d.info : NULL, NULL);
	kf_free(d.rows);
	if (!a)	/* else the caller's arena takes it back */
		kf_free(d.pixels);
	if (rc < 0)
		return kf_err_set(err, rc, "%s", d.msg);
	if (info)
		*info = d.kinfo;
	return KF_OK;
}

int kf_image_png_probe(const uint8_t *buf, size_t len, struct kf_image_info *info,
		       struct kf_err *err)
{
	return png_call(buf, len, NULL, NULL, info, err);
}

int kf_image_png_decode(const uint8_t *buf, size_t len, struct kf_arena *a,
			struct kf_image *out, struct kf_image_info *info, struct kf_err *err)
{
	return png_call(buf, len, a, out, info, err);
}
