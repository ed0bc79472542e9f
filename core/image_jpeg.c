/* image_jpeg.c: JPEG back end of image.c, on libjpeg-turbo.
 *
 * Design:
 * - Errors: libjpeg reports through an error manager. Ours formats the message
 *   into the decode context and longjmps back to the one setjmp of each call
 *   (decode_run / probe_run), which destroys the decompressor and returns. A
 *   warning (emit_message level -1: "premature end of data segment", "N
 *   extraneous bytes", "Premature end of JPEG file" from the memory source on
 *   truncation) is an error too, so a photo whose bottom half libjpeg would
 *   have filled with grey is refused. Trace messages are ignored; nothing prints.
 * - Everything that changes after setjmp lives in struct jdec (reached through
 *   a pointer that does not change), never in a local of the function that
 *   called setjmp, so it is valid after the longjmp.
 * - Output: JCS_RGB, JDCT_ISLOW (libjpeg's accurate integer IDCT, SIMD in
 *   libjpeg-turbo), chroma upsampled by replication (do_fancy_upsampling off),
 *   see docs/internals/image.md for how this compares with jpeg-js.
 * - Scaling: libjpeg decodes at scale_num/scale_denom = 1/denom straight from
 *   the DCT (denom 2, 4, 8); output is ceil(size / denom).
 * - Rows (kf_image_decode_rows_in): at full size and orientation 1 to 4,
 *   jpeg_skip_scanlines passes the stored rows above the band (entropy
 *   decoding only) and jpeg_abort_decompress ends after it.
 * - Orientation: each block of BLOCK_ROWS decoded stored rows is scattered to
 *   its upright place (kf_exif_dest), so rotation needs a few rows of extra
 *   memory, not a second image. Orientation 1 decodes straight into the output.
 * - Bounds: the header's size is checked against KF_IMAGE_MAX_* before any
 *   pixel memory is allocated; libjpeg's own memory is capped, and a
 *   progressive file may have at most JPEG_MAX_SCANS scans (a file of thousands
 *   of tiny scans otherwise takes minutes).
 * - KF_IMAGE_JPEGJS_COLOR: libjpeg outputs YCbCr (chroma replicated, as
 *   jpeg-js does) and ycc_to_rgb_jpegjs converts it with jpeg-js's formula.
 * - CMYK/YCCK files (print exports) are converted to RGB here, Adobe-inverted
 *   when an Adobe marker says so (as libjpeg writes them).
 */
#include "core/image_codec.h"

#include <limits.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "core/exif.h"

#define JPEG_MAX_SCANS 256
#define BLOCK_ROWS 16			/* scanlines per jpeg_read_scanlines call */
#define JPEG_MAX_MEMORY (1024L << 20)	/* libjpeg's own buffers (progressive coefficients) */

struct jdec {
	struct jpeg_decompress_struct cinfo;
	struct jpeg_error_mgr jerr;
	struct jpeg_progress_mgr progress;
	jmp_buf jb;
	int code;				/* KF_E_* of the failure */
	char msg[KF_ERR_MSG_SIZE];
	/* input */
	const uint8_t *buf;
	size_t len;
	int min_side;
	unsigned flags;
	int rows[2];				/* in: upright rows wanted (kf_image_decode_rows_in),
						 * [0, 0) for all; out: the rows written */
	JDIMENSION end_row;			/* the stored row the decode stops at */
	struct kf_arena *arena;			/* the pixels' memory, or NULL: kf_malloc */
	/* results and memory that must survive a longjmp */
	struct kf_image *out;
	struct kf_image_info info;
	uint8_t *row;				/* BLOCK_ROWS stored rows, for orientation != 1 or CMYK */
};

/* Record the failure, "<what>: <libjpeg's reason>", and leave for the setjmp. */
static void fail_jump(struct jdec *d, int code, const char *reason)
{
	const char *what = code == KF_E_NOMEM ? "out of memory decoding JPEG" :
			   code == KF_E_UNSUPPORTED ? "unsupported JPEG" : "bad JPEG";
	char first = reason[0];

	/* git wording: lowercase, but keep acronyms ("SOF", "JPEG") */
	if (first >= 'A' && first <= 'Z' && !(reason[1] >= 'A' && reason[1] <= 'Z'))
		first = (char)(first - 'A' + 'a');
	d->code = code;
	snprintf(d->msg, sizeof(d->msg), "%s: %c%s", what, first, first ? reason + 1 : "");
	longjmp(d->jb, 1);
}

/* A kf_err already worded (size checks, our allocations). */
static void fail_err(struct jdec *d, const struct kf_err *e)
{
	d->code = e->code;
	snprintf(d->msg, sizeof(d->msg), "%s", e->msg);
	longjmp(d->jb, 1);
}

static struct jdec *jdec_of(j_common_ptr c)
{
	return (struct jdec *)((char *)c->err - offsetof(struct jdec, jerr));
}

static void on_error(j_common_ptr c)
{
	char buf[JMSG_LENGTH_MAX];
	int code = KF_E_FORMAT;

	switch (c->err->msg_code) {
	case JERR_OUT_OF_MEMORY:
	case JERR_NO_BACKING_STORE:
	case JERR_VIRTUAL_BUG:
		code = KF_E_NOMEM;
		break;
	case JERR_CONVERSION_NOTIMPL:
	case JERR_NOT_COMPILED:
	case JERR_ARITH_NOTIMPL:
		code = KF_E_UNSUPPORTED;
		break;
	default:
		break;
	}
	c->err->format_message(c, buf);
	fail_jump(jdec_of(c), code, buf);
}

static void on_message(j_common_ptr c, int level)
{
	if (level < 0)		/* a corrupt-data warning: refuse the image */
		on_error(c);
	/* level >= 0: advisory and trace messages; core never prints */
}

static void on_output(j_common_ptr c)
{
	(void)c;
}

static void on_progress(j_common_ptr c)
{
	j_decompress_ptr di = (j_decompress_ptr)c;

	if (di->input_scan_number > JPEG_MAX_SCANS)
		fail_jump(jdec_of(c), KF_E_FORMAT, "too many progressive scans");
}

/* Set up error handling and the memory source; libjpeg errors longjmp to d->jb. */
static void open_decoder(struct jdec *d)
{
	d->cinfo.err = jpeg_std_error(&d->jerr);
	d->jerr.error_exit = on_error;
	d->jerr.emit_message = on_message;
	d->jerr.output_message = on_output;
	jpeg_create_decompress(&d->cinfo);
	d->cinfo.mem->max_memory_to_use = JPEG_MAX_MEMORY;
	d->progress.progress_monitor = on_progress;
	d->cinfo.progress = &d->progress;
	jpeg_mem_src(&d->cinfo, d->buf, (unsigned long)d->len);
	jpeg_save_markers(&d->cinfo, JPEG_APP0 + 1, 0xffff);
}

/* After jpeg_read_header: size checks and EXIF orientation into d->info. */
static void read_info(struct jdec *d)
{
	struct kf_err e = KF_ERR_INIT;
	int o = 1;

	if (kf_image_check_size("JPEG", d->cinfo.image_width, d->cinfo.image_height, &e) < 0)
		fail_err(d, &e);
	for (jpeg_saved_marker_ptr m = d->cinfo.marker_list; m; m = m->next) {
		int v;

		if (m->marker != JPEG_APP0 + 1)
			continue;
		if ((v = kf_exif_orientation(m->data, m->data_length)) > 0) {
			o = v;		/* the first EXIF segment counts */
			break;
		}
	}
	d->info.format = KF_IMAGE_JPEG;
	d->info.orientation = o;
	d->info.width = (int)(o >= 5 ? d->cinfo.image_height : d->cinfo.image_width);
	d->info.height = (int)(o >= 5 ? d->cinfo.image_width : d->cinfo.image_height);
	d->info.scale_denom = 1;
}

static int probe_run(struct jdec *d)
{
	if (setjmp(d->jb))
		return d->code;
	open_decoder(d);
	jpeg_read_header(&d->cinfo, TRUE);
	read_info(d);
	return KF_OK;
}

int kf_image_jpeg_probe(const uint8_t *buf, size_t len, struct kf_image_info *info,
			struct kf_err *err)
{
	struct jdec d;
	int rc;

	memset(&d, 0, sizeof(d));
	d.buf = buf;
	d.len = len;
	rc = probe_run(&d);
	jpeg_destroy_decompress(&d.cinfo);
	if (rc < 0)
		return kf_err_set(err, rc, "%s", d.msg);
	*info = d.info;
	return KF_OK;
}

/* CMYK as libjpeg returns it (Adobe files store it inverted) to RGB. */
static void cmyk_to_rgb(const uint8_t *src, uint8_t *dst, int n, int inverted)
{
	for (int i = 0; i < n; i++, src += 4, dst += 3) {
		unsigned c = src[0], m = src[1], y = src[2], k = src[3];

		if (!inverted) {
			c = 255 - c; m = 255 - m; y = 255 - y; k = 255 - k;
		}
		dst[0] = (uint8_t)((c * k + 127) / 255);
		dst[1] = (uint8_t)((m * k + 127) / 255);
		dst[2] = (uint8_t)((y * k + 127) / 255);
	}
}

static uint8_t trunc8(double v)
{
	return v < 0 ? 0 : v > 255 ? 255 : (uint8_t)v;	/* Uint8Array store: truncates */
}

/* YCbCr to RGB in place, as jpeg-js 0.4.4 computes it (decoder.js, getData):
 * double arithmetic in the same order, then clampTo8bit and a Uint8Array store. */
static void ycc_to_rgb_jpegjs(uint8_t *p, int n)
{
	for (int i = 0; i < n; i++, p += 3) {
		double y = p[0];
		int cb = p[1] - 128, cr = p[2] - 128;

		p[0] = trunc8(y + 1.402 * cr);
		p[1] = trunc8(y - 0.3441363 * cb - 0.71413636 * cr);
		p[2] = trunc8(y + 1.772 * cb);
	}
}

/* Copy n decoded stored rows (RGB, from stored row sy on) to their upright
 * place. The mapping is affine, so two steps describe it. For the transposing
 * orientations (5..8) the stored column x of the block becomes a run of n
 * pixels in one upright row: walking x outside and the block rows inside keeps
 * the writes contiguous. Still, a transposed full-size decode costs about as
 * much again as the decode (see docs/internals/image.md); larger blocks and
 * tiles measured no better. */
static void scatter_rows(const struct jdec *d, const uint8_t *block, int sy, int n)
{
	int w = (int)d->cinfo.output_width, h = (int)d->cinfo.output_height;
	int o = d->info.orientation, ow = d->out->width, x0, y0, x1, y1, x2, y2;
	ptrdiff_t step_x, step_y;
	size_t src_stride = (size_t)w * 3;
	uint8_t *base;

	kf_exif_dest(o, w, h, 0, sy, &x0, &y0);
	kf_exif_dest(o, w, h, 1, sy, &x1, &y1);		/* affine: fine even if w == 1 */
	kf_exif_dest(o, w, h, 0, sy + 1, &x2, &y2);
	step_x = ((ptrdiff_t)(y1 - y0) * ow + (x1 - x0)) * 3;
	step_y = ((ptrdiff_t)(y2 - y0) * ow + (x2 - x0)) * 3;
	base = d->out->rgb + ((size_t)y0 * (size_t)ow + (size_t)x0) * 3;
	if (o == 1) {		/* colour-converted rows: copy them */
		for (int i = 0; i < n; i++)
			memcpy(base + (ptrdiff_t)i * step_y, block + (size_t)i * src_stride, src_stride);
		return;
	}
	if (o <= 4) {
		for (int i = 0; i < n; i++) {
			const uint8_t *src = block + (size_t)i * src_stride;
			uint8_t *p = base + (ptrdiff_t)i * step_y;

			for (int x = 0; x < w; x++, src += 3, p += step_x)
				memcpy(p, src, 3);
		}
		return;
	}
	for (int x = 0; x < w; x++) {
		const uint8_t *src = block + (size_t)x * 3;
		uint8_t *p = base + (ptrdiff_t)x * step_x;

		for (int i = 0; i < n; i++, src += src_stride, p += step_y)
			memcpy(p, src, 3);
	}
}

/* For kf_image_decode_rows_in: when the upright rows d->rows are stored
 * rows too, in order or reversed (orientation 1 to 4, full size), skip the
 * stored rows before them (entropy-decoded only) and return 1 with
 * d->end_row the stored row to stop at; else 0 (decode all). */
static int band_rows(struct jdec *d)
{
	j_decompress_ptr c = &d->cinfo;
	int h = (int)c->output_height, y0 = d->rows[0], y1 = d->rows[1], s0;

	d->end_row = c->output_height;
	if (y1 <= y0 || y0 < 0 || y1 > h || d->info.scale_denom != 1 || d->info.orientation > 4)
		return 0;
	s0 = d->info.orientation <= 2 ? y0 : h - y1;	/* 3, 4: upside down */
	d->end_row = (JDIMENSION)(s0 + y1 - y0);
	while ((int)c->output_scanline < s0)
		if (jpeg_skip_scanlines(c, (JDIMENSION)s0 - c->output_scanline) == 0)
			fail_jump(d, KF_E_FORMAT, "no scanline skipped");
	return 1;
}

static int decode_run(struct jdec *d)
{
	struct kf_err e = KF_ERR_INIT;
	j_decompress_ptr c = &d->cinfo;
	int cmyk, jsc;

	if (setjmp(d->jb))
		return d->code;
	open_decoder(d);
	jpeg_read_header(c, TRUE);
	read_info(d);
	d->info.scale_denom = kf_image_pick_scale(d->info.width > d->info.height ?
						  d->info.width : d->info.height, d->min_side);
	cmyk = c->jpeg_color_space == JCS_CMYK || c->jpeg_color_space == JCS_YCCK;
	jsc = (d->flags & KF_IMAGE_JPEGJS_COLOR) && c->jpeg_color_space == JCS_YCbCr;
	c->out_color_space = cmyk ? JCS_CMYK : jsc ? JCS_YCbCr : JCS_RGB;
	c->dct_method = JDCT_ISLOW;
	/* Chroma by replication, as jpeg-js (face-api's decoder) does it: closer to
	 * the reference (max pixel difference 3 instead of 34 on sample1) and
	 * faster (libjpeg-turbo's merged upsample + colour convert). */
	c->do_fancy_upsampling = FALSE;
	c->scale_num = 1;
	c->scale_denom = (unsigned)d->info.scale_denom;
	jpeg_start_decompress(c);
	if (c->output_components != (cmyk ? 4 : 3))
		fail_jump(d, KF_E_UNSUPPORTED, "unexpected number of color components");
	if (kf_image_alloc(d->out, (int)(d->info.orientation >= 5 ? c->output_height : c->output_width),
			   (int)(d->info.orientation >= 5 ? c->output_width : c->output_height), d->arena,
			   &e) < 0)
		fail_err(d, &e);
	if (d->info.orientation != 1 || cmyk || jsc) {
		if (!(d->row = kf_malloc_array((size_t)c->output_width * 4, BLOCK_ROWS)))
			fail_jump(d, KF_E_NOMEM, "row buffer");
	}
	if (!band_rows(d)) {
		d->rows[0] = 0;
		d->rows[1] = d->out->height;
	}
	while (c->output_scanline < d->end_row) {
		int sy = (int)c->output_scanline;
		JDIMENSION n = d->end_row - c->output_scanline, got;
		JSAMPROW rows[BLOCK_ROWS];

		if (n > BLOCK_ROWS)
			n = BLOCK_ROWS;
		for (JDIMENSION i = 0; i < n; i++)	/* upright RGB: straight into the output */
			rows[i] = d->row ? d->row + (size_t)i * c->output_width * (cmyk ? 4 : 3)
					 : d->out->rgb + ((size_t)sy + i) * (size_t)c->output_width * 3;
		if ((got = jpeg_read_scanlines(c, rows, n)) == 0)
			fail_jump(d, KF_E_FORMAT, "no scanline decoded");
		if (!d->row)
			continue;
		if (jsc)
			ycc_to_rgb_jpegjs(d->row, (int)(got * c->output_width));
		if (cmyk)	/* 4 to 3 bytes a pixel, packing the block's rows in place */
			for (JDIMENSION i = 0; i < got; i++)
				cmyk_to_rgb(rows[i], d->row + (size_t)i * c->output_width * 3,
					    (int)c->output_width, c->saw_Adobe_marker);
		scatter_rows(d, d->row, sy, (int)got);
	}
	if (d->end_row < c->output_height)
		jpeg_abort_decompress(c);	/* the rows below are not wanted */
	else
		jpeg_finish_decompress(c);
	return KF_OK;
}

int kf_image_jpeg_decode(const uint8_t *buf, size_t len, int min_side, unsigned flags,
			 int *rows, struct kf_arena *a, struct kf_image *out,
			 struct kf_image_info *info, struct kf_err *err)
{
	struct jdec d;
	int rc;

	memset(&d, 0, sizeof(d));
	d.buf = buf;
	d.len = len;
	d.min_side = min_side;
	d.flags = flags;
	if (rows)
		memcpy(d.rows, rows, sizeof(d.rows));
	d.arena = a;
	d.out = out;
	rc = decode_run(&d);
	jpeg_destroy_decompress(&d.cinfo);
	kf_free(d.row);
	if (rc < 0) {
		if (a)	/* the caller's arena takes its memory back */
			memset(out, 0, sizeof(*out));
		else
			kf_image_release(out);
		return kf_err_set(err, rc, "%s", d.msg);
	}
	if (info)
		*info = d.info;
	if (rows)
		memcpy(rows, d.rows, sizeof(d.rows));
	return KF_OK;
}
