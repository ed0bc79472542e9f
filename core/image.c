/* image.c: format dispatch, file reading and the pixel operations (see image.h).
 *
 * The codecs live in image_jpeg.c and image_png.c (image_codec.h); this file
 * picks one by magic bytes and holds what works on decoded RGB: crop, pad and
 * the network input.
 *
 * kf_image_to_net_input reproduces face-api's toBatchTensor bit for bit: the
 * tfjs wasm ResizeBilinear kernel computes, in float32, for output row r
 *   sy = scale * r, y0 = floor(sy), fy = sy - y0, y1 = min(S - 1, ceil(sy))
 * (the same for columns) with scale = (float)S / size, then
 *   top = tl + (tr - tl) * fx, bottom = bl + (br - bl) * fx,
 *   out = top + (bottom - top) * fy.
 * Every operation must round to float32 in that order: no FMA contraction (C11
 * mode keeps GCC's -ffp-contract=off), no x87 excess precision (FLT_EVAL_METHOD 0
 * on x86-64 and aarch64). tests/unit/u-image.c checks the result against the
 * reference summary, so a compiler that breaks this is caught.
 */
#include "core/image.h"

#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "core/clones.h"
#include "core/image_codec.h"

#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD != 0
#error "kf_image_to_net_input needs float arithmetic rounded to float (FLT_EVAL_METHOD 0)"
#endif

#define NET_INPUT_MAX 4096
#define NET_COL_CHUNK 512	/* columns per table of taps (18 KB of stack) */

enum kf_image_format kf_image_sniff(const uint8_t *buf, size_t len)
{
	static const uint8_t png_magic[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };

	if (!buf)
		return 0;
	if (len >= 3 && buf[0] == 0xff && buf[1] == 0xd8 && buf[2] == 0xff)
		return KF_IMAGE_JPEG;
	if (len >= 8 && memcmp(buf, png_magic, 8) == 0)
		return KF_IMAGE_PNG;
	return 0;
}

int kf_image_check_size(const char *format, long long w, long long h, struct kf_err *err)
{
	if (w <= 0 || h <= 0)
		return kf_err_set(err, KF_E_FORMAT, "bad %s: empty image (%lldx%lld)", format, w, h);
	if (w > KF_IMAGE_MAX_SIDE || h > KF_IMAGE_MAX_SIDE)
		return kf_err_set(err, KF_E_UNSUPPORTED,
				  "%s too large: %lldx%lld (at most %d pixels a side)",
				  format, w, h, KF_IMAGE_MAX_SIDE);
	if (w * h > KF_IMAGE_MAX_PIXELS)
		return kf_err_set(err, KF_E_UNSUPPORTED,
				  "%s too large: %lldx%lld (at most %lld megapixels)",
				  format, w, h, KF_IMAGE_MAX_PIXELS / 1000000);
	return KF_OK;
}

int kf_image_alloc(struct kf_image *img, int w, int h, struct kf_arena *a, struct kf_err *err)
{
	size_t n;

	if (w <= 0 || h <= 0 || w > KF_IMAGE_MAX_SIDE || h > KF_IMAGE_MAX_SIDE)
		return kf_err_set(err, KF_E_INVALID, "bad image size %dx%d", w, h);
	/* (size_t)w * h <= 2^30, times 3 fits any 64-bit size_t */
	n = (size_t)w * (size_t)h * 3;
	if (!(img->rgb = a ? kf_arena_alloc(a, n) : kf_malloc_large(n)))
		return kf_err_set(err, KF_E_NOMEM, "out of memory for a %dx%d image", w, h);
	img->width = w;
	img->height = h;
	return KF_OK;
}

void kf_image_release(struct kf_image *img)
{
	if (!img)
		return;
	kf_free(img->rgb);
	img->rgb = NULL;
	img->width = 0;
	img->height = 0;
}

int kf_image_pick_scale(int long_side, int min_side)
{
	static const int denoms[] = { 8, 4, 2 };

	if (min_side <= 0 || long_side <= 0)
		return 1;
	for (size_t i = 0; i < sizeof(denoms) / sizeof(denoms[0]); i++) {
		int d = denoms[i];

		if ((long_side + d - 1) / d >= min_side)	/* libjpeg rounds up */
			return d;
	}
	return 1;
}

int kf_image_probe(const uint8_t *buf, size_t len, struct kf_image_info *info,
		   struct kf_err *err)
{
	switch (kf_image_sniff(buf, len)) {
	case KF_IMAGE_JPEG:
		return kf_image_jpeg_probe(buf, len, info, err);
	case KF_IMAGE_PNG:
		return kf_image_png_probe(buf, len, info, err);
	}
	return kf_err_set(err, KF_E_FORMAT, "not a JPEG or PNG file");
}

int kf_image_decode(const uint8_t *buf, size_t len, int min_side, struct kf_image *out,
		    struct kf_image_info *info, struct kf_err *err)
{
	return kf_image_decode_ex(buf, len, min_side, 0, out, info, err);
}

static int decode(const uint8_t *buf, size_t len, int min_side, unsigned flags, int *rows,
		  struct kf_arena *a, struct kf_image *out, struct kf_image_info *info,
		  struct kf_err *err)
{
	int rc;

	if (!out)
		return kf_err_set(err, KF_E_INVALID, "no output image");
	memset(out, 0, sizeof(*out));
	switch (kf_image_sniff(buf, len)) {
	case KF_IMAGE_JPEG:
		return kf_image_jpeg_decode(buf, len, min_side, flags, rows, a, out, info, err);
	case KF_IMAGE_PNG:
		if ((rc = kf_image_png_decode(buf, len, a, out, info, err)) == KF_OK && rows) {
			rows[0] = 0;
			rows[1] = out->height;
		}
		return rc;
	}
	return kf_err_set(err, KF_E_FORMAT, "not a JPEG or PNG file");
}

int kf_image_decode_ex(const uint8_t *buf, size_t len, int min_side, unsigned flags,
		       struct kf_image *out, struct kf_image_info *info, struct kf_err *err)
{
	return decode(buf, len, min_side, flags, NULL, NULL, out, info, err);
}

int kf_image_decode_in(struct kf_arena *a, const uint8_t *buf, size_t len, int min_side,
		       struct kf_image *out, struct kf_image_info *info, struct kf_err *err)
{
	if (!a)
		return kf_err_set(err, KF_E_INVALID, "no arena");
	return decode(buf, len, min_side, 0, NULL, a, out, info, err);
}

int kf_image_decode_rows_in(struct kf_arena *a, const uint8_t *buf, size_t len, int *rows,
			    struct kf_image *out, struct kf_err *err)
{
	if (!a || !rows)
		return kf_err_set(err, KF_E_INVALID, "no arena or rows");
	return decode(buf, len, 0, 0, rows, a, out, NULL, err);
}

int kf_image_read_file(const char *path, uint8_t **buf, size_t *len, struct kf_err *err)
{
	FILE *f = NULL;
	uint8_t *data = NULL;
	struct stat st;
	long n;
	int rc, fd;

	*buf = NULL;
	*len = 0;
	/* not blocking: a named pipe is refused below, not waited on */
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0) {
		rc = kf_err_errno(err, errno == ENOENT ? KF_E_NOTFOUND : KF_E_IO,
				  "cannot open '%s'", path);
		goto out;
	}
	if (fstat(fd, &st) != 0) {
		rc = kf_err_errno(err, KF_E_IO, "cannot read '%s'", path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {	/* a folder's size is no file's */
		rc = kf_err_set(err, KF_E_INVALID, S_ISDIR(st.st_mode) ?
				"'%s' is a folder, not an image file" :
				"'%s' is not a file (a pipe or a device?)", path);
		goto out;
	}
	if (!(f = fdopen(fd, "rb"))) {
		rc = kf_err_errno(err, KF_E_IO, "cannot open '%s'", path);
		goto out;
	}
	fd = -1;	/* f's now */
	n = st.st_size > LONG_MAX ? LONG_MAX : (long)st.st_size;
	if (n > KF_IMAGE_MAX_FILE) {
		rc = kf_err_set(err, KF_E_UNSUPPORTED, "'%s': file too large (%ld bytes, at most %ld)",
				path, n, KF_IMAGE_MAX_FILE);
		goto out;
	}
	if (!(data = kf_malloc((size_t)n))) {
		rc = kf_err_set(err, KF_E_NOMEM, "'%s': out of memory reading %ld bytes", path, n);
		goto out;
	}
	if (fread(data, 1, (size_t)n, f) != (size_t)n) {
		rc = ferror(f) ? kf_err_errno(err, KF_E_IO, "cannot read '%s'", path)
			       : kf_err_set(err, KF_E_IO, "cannot read '%s': file shrank", path);
		goto out;
	}
	*buf = data;
	*len = (size_t)n;
	data = NULL;
	rc = KF_OK;
out:
	kf_free(data);
	if (f)
		fclose(f);
	if (fd >= 0)
		close(fd);
	return rc;
}

int kf_image_load(const char *path, int min_side, struct kf_image *out,
		  struct kf_image_info *info, struct kf_err *err)
{
	uint8_t *buf = NULL;
	size_t len;
	int rc;

	if (out)
		memset(out, 0, sizeof(*out));
	if ((rc = kf_image_read_file(path, &buf, &len, err)) < 0)
		return rc;
	if ((rc = kf_image_decode(buf, len, min_side, out, info, err)) < 0)
		kf_err_context(err, "'%s'", path);
	kf_free(buf);
	return rc;
}

/* Intersect (x, y, w, h) with the image; 0 when empty. */
static int clamp_rect(const struct kf_image *img, int *x, int *y, int *w, int *h)
{
	long long x0 = *x, y0 = *y, x1 = (long long)*x + *w, y1 = (long long)*y + *h;

	if (x0 < 0) x0 = 0;
	if (y0 < 0) y0 = 0;
	if (x1 > img->width) x1 = img->width;
	if (y1 > img->height) y1 = img->height;
	if (x1 <= x0 || y1 <= y0)
		return 0;
	*x = (int)x0;
	*y = (int)y0;
	*w = (int)(x1 - x0);
	*h = (int)(y1 - y0);
	return 1;
}

static int check_image(const struct kf_image *img, struct kf_err *err)
{
	if (!img || !img->rgb || img->width <= 0 || img->height <= 0)
		return kf_err_set(err, KF_E_INVALID, "empty image");
	if (img->width > KF_IMAGE_MAX_SIDE || img->height > KF_IMAGE_MAX_SIDE)	/* int strides fit */
		return kf_err_set(err, KF_E_INVALID, "bad image size %dx%d", img->width, img->height);
	return KF_OK;
}

int kf_image_crop(const struct kf_image *img, int x, int y, int w, int h,
		  struct kf_image *out, struct kf_err *err)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = check_image(img, err)) < 0)
		return rc;
	if (!clamp_rect(img, &x, &y, &w, &h))
		return kf_err_set(err, KF_E_INVALID, "crop %d,%d %dx%d is outside the %dx%d image",
				  x, y, w, h, img->width, img->height);
	if ((rc = kf_image_alloc(out, w, h, NULL, err)) < 0)
		return rc;
	for (int r = 0; r < h; r++)
		memcpy(out->rgb + (size_t)r * (size_t)w * 3,
		       img->rgb + ((size_t)(y + r) * (size_t)img->width + (size_t)x) * 3, (size_t)w * 3);
	return KF_OK;
}

/* Weights of the input cells [first, first + n) covering output cell o of an
 * axis scaled from `in` to `out` cells; they add up to 1. */
struct area_tap {
	int first, n;
	float *w;
};

static int area_taps(int in, int out, struct area_tap *t, float *pool)
{
	double step = (double)in / out;
	int used = 0;

	for (int o = 0; o < out; o++) {
		double a = o * step, b = (o + 1) * step;
		int i0 = (int)a, i1 = (int)ceil(b - 1e-9);

		if (i1 > in)
			i1 = in;
		if (i1 <= i0)
			i1 = i0 + 1;
		t[o].first = i0;
		t[o].n = i1 - i0;
		t[o].w = pool + used;
		for (int i = i0; i < i1; i++) {
			double lo = i > a ? i : a, hi = i + 1 < b ? i + 1 : b;

			t[o].w[i - i0] = (float)((hi - lo) / step);
		}
		used += t[o].n;
	}
	return used;
}

/* Four floats (GCC's and clang's vector extension: SSE, NEON or plain code). */
typedef float v4f __attribute__((vector_size(16)));

/* kf_image_resize's arithmetic: for each output row, the input rows of its
 * band weighted into `row` (floats, one input row long and one more), then
 * the columns. */
KF_TARGET_CLONES
static void resize_rows(const struct kf_image *img, const struct area_tap *tx,
			const struct area_tap *ty, float *row, struct kf_image *out)
{
	int w = out->width, h = out->height;

	for (int y = 0; y < h; y++) {
		uint8_t *o = out->rgb + (size_t)y * (size_t)w * 3;

		/* the rows of the band, weighted, then the columns (the first row
		 * sets `row`: 0 + x == x) */
		for (int k = 0; k < ty[y].n; k++) {
			const uint8_t *src = img->rgb + (size_t)(ty[y].first + k) * (size_t)img->width * 3;
			float f = ty[y].w[k];

			if (k == 0)
				for (int i = 0; i < img->width * 3; i++)
					row[i] = f * (float)src[i];
			else
				for (int i = 0; i < img->width * 3; i++)
					row[i] += f * (float)src[i];
		}
		/* a pixel's 3 channels in one vector (its 4th lane, the next
		 * pixel's red or the row's padding, is not used): the same
		 * multiplies and adds, in the same order, as channel by channel */
		for (int x = 0; x < w; x++) {
			v4f acc = { 0, 0, 0, 0 };

			for (int k = 0; k < tx[x].n; k++) {
				v4f p;

				memcpy(&p, row + (size_t)(tx[x].first + k) * 3, sizeof(p));
				acc += tx[x].w[k] * p;
			}
			for (int c = 0; c < 3; c++) {
				float v = acc[c] + 0.5f;

				o[3 * x + c] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
			}
		}
	}
}

int kf_image_resize(const struct kf_image *img, int w, int h, struct kf_image *out,
		    struct kf_err *err)
{
	struct area_tap *tx = NULL, *ty = NULL;
	float *wx = NULL, *wy = NULL, *row = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = check_image(img, err)) < 0)
		return rc;
	if (w < 1 || h < 1 || w > KF_IMAGE_MAX_SIDE || h > KF_IMAGE_MAX_SIDE)
		return kf_err_set(err, KF_E_INVALID, "cannot resize to %dx%d", w, h);
	/* each axis has at most in + out taps */
	tx = kf_malloc((size_t)w * sizeof(*tx));
	ty = kf_malloc((size_t)h * sizeof(*ty));
	wx = kf_malloc(((size_t)img->width + (size_t)w) * sizeof(float));
	wy = kf_malloc(((size_t)img->height + (size_t)h) * sizeof(float));
	row = kf_calloc((size_t)img->width * 3 + 1, sizeof(float));
	if (!tx || !ty || !wx || !wy || !row) {
		rc = kf_err_set(err, KF_E_NOMEM, "out of memory resizing a %dx%d image",
				img->width, img->height);
		goto out;
	}
	if ((rc = kf_image_alloc(out, w, h, NULL, err)) < 0)
		goto out;
	area_taps(img->width, w, tx, wx);
	area_taps(img->height, h, ty, wy);
	resize_rows(img, tx, ty, row, out);
	rc = KF_OK;
out:
	kf_free(tx);
	kf_free(ty);
	kf_free(wx);
	kf_free(wy);
	kf_free(row);
	return rc;
}

int kf_image_pad(const struct kf_image *img, int min_w, int min_h, uint8_t fill,
		 struct kf_image *out, int *off_x, int *off_y, struct kf_err *err)
{
	int cw, ch, ox, oy, rc;

	memset(out, 0, sizeof(*out));
	if ((rc = check_image(img, err)) < 0)
		return rc;
	cw = img->width > min_w ? img->width : min_w;
	ch = img->height > min_h ? img->height : min_h;
	if ((rc = kf_image_alloc(out, cw, ch, NULL, err)) < 0)
		return rc;
	ox = (cw - img->width) / 2;
	oy = (ch - img->height) / 2;
	memset(out->rgb, fill, (size_t)cw * (size_t)ch * 3);
	for (int r = 0; r < img->height; r++)
		memcpy(out->rgb + ((size_t)(r + oy) * (size_t)cw + (size_t)ox) * 3,
		       img->rgb + (size_t)r * (size_t)img->width * 3, (size_t)img->width * 3);
	if (off_x)
		*off_x = ox;
	if (off_y)
		*off_y = oy;
	return KF_OK;
}

/* The taps of a chunk of output columns, by output value (column i,
 * channel c at i * 3 + c): where its left and right source values are in
 * the floats of a source row (net_row), and its weight fx. The chunk reads
 * source columns x0..x1 (those outside the rectangle are zeros). */
struct net_cols {
	int x0, x1;
	int l[NET_COL_CHUNK * 3], r[NET_COL_CHUNK * 3];
	float fx[NET_COL_CHUNK * 3];
};

/* Source row y (of the w x h rectangle at base, zeros outside) interpolated
 * across the chunk's nc columns: out[i * 3 + c] = left + (right - left) * fx,
 * the first half of tfjs's bilinear arithmetic. The row's bytes are made
 * floats once, in f (room for (x1 - x0 + 1) * 3), then read by the taps. */
static void net_row(const struct net_cols *cols, int nc, const uint8_t *base, int stride, int w,
		    int h, int y, float *f, float *out)
{
	int n = (cols->x1 - cols->x0 + 1) * 3;
	int a = cols->x0 < 0 ? 0 : cols->x0, b = cols->x1 < w ? cols->x1 + 1 : w;

	if (y < 0 || y >= h || a >= b) {
		memset(out, 0, (size_t)nc * 3 * sizeof(float));
		return;
	}
	for (int i = 0; i < (a - cols->x0) * 3; i++)
		f[i] = 0.0f;
	for (int i = (b - cols->x0) * 3; i < n; i++)
		f[i] = 0.0f;
	{
		const uint8_t *src = base + (size_t)y * (size_t)stride + (size_t)a * 3;
		float *dst = f + (size_t)(a - cols->x0) * 3;

		for (int i = 0; i < (b - a) * 3; i++)
			dst[i] = (float)src[i];
	}
	for (int j = 0; j < nc * 3; j++) {
		float l = f[cols->l[j]], r = f[cols->r[j]];

		out[j] = l + (r - l) * cols->fx[j];
	}
}

int kf_image_to_net_input(const struct kf_image *img, int x, int y, int w, int h, int size,
			  int center, float *dst, struct kf_err *err)
{
	struct net_cols cols;
	/* the last two source rows interpolated across the chunk (hy: which
	 * rows): an enlarged crop reads each source row for several rows */
	float hbuf[2][NET_COL_CHUNK * 3], *f;
	int hy[2];
	const uint8_t *base;
	int rc, s, offx = 0, offy = 0, stride;
	float scale;

	if ((rc = check_image(img, err)) < 0)
		return rc;
	if (!dst || size < 1 || size > NET_INPUT_MAX)
		return kf_err_set(err, KF_E_INVALID, "bad network input size %d", size);
	if (!clamp_rect(img, &x, &y, &w, &h))
		return kf_err_set(err, KF_E_INVALID, "rectangle %d,%d %dx%d is outside the %dx%d image",
				  x, y, w, h, img->width, img->height);
	s = w > h ? w : h;
	if (center) {
		/* padToSquare(img, true): append round(diff / 2) (Math.round, half up), prepend the rest */
		int diff = s - (w < h ? w : h), prepend = diff - (diff + 1) / 2;

		if (w < h)
			offx = prepend;
		else
			offy = prepend;
	}
	stride = img->width * 3;
	base = img->rgb + ((size_t)y * (size_t)img->width + (size_t)x) * 3;
	scale = (float)s / (float)size;
	/* a chunk reads at most the square's s columns */
	if (!(f = kf_malloc_array((size_t)s * 3, sizeof(float))))
		return kf_err_set(err, KF_E_NOMEM, "out of memory");
	/* The column taps and weights are the same for every row: computed once
	 * per chunk of columns, in a table on the stack. (A thread-local table
	 * of NET_INPUT_MAX columns broke the -O3 AArch64 build: GCC addressed it
	 * at negative offsets, which a local-exec TLS relocation cannot hold.) */
	for (int c0 = 0; c0 < size; c0 += NET_COL_CHUNK) {
		int nc = size - c0 < NET_COL_CHUNK ? size - c0 : NET_COL_CHUNK;

		for (int i = 0; i < nc; i++) {
			float sx = scale * (float)(c0 + i), fx0 = floorf(sx);
			int x0 = (int)fx0 - offx, x1 = (int)ceilf(sx);

			x1 = (x1 > s - 1 ? s - 1 : x1) - offx;
			if (i == 0)
				cols.x0 = x0;
			cols.x1 = x1;	/* both grow with i */
			for (int c = 0; c < 3; c++) {
				cols.l[i * 3 + c] = (x0 - cols.x0) * 3 + c;
				cols.r[i * 3 + c] = (x1 - cols.x0) * 3 + c;
				cols.fx[i * 3 + c] = sx - fx0;
			}
		}
		hy[0] = hy[1] = INT_MIN;
		for (int r = 0; r < size; r++) {
			float sy = scale * (float)r, fy0 = floorf(sy), fy = sy - fy0;
			int want[2] = { (int)fy0, (int)ceilf(sy) };
			float *o = dst + ((size_t)r * (size_t)size + (size_t)c0) * 3;
			const float *top, *bottom;

			if (want[1] > s - 1)
				want[1] = s - 1;
			want[0] -= offy;
			want[1] -= offy;
			for (int k = 0; k < 2; k++) {
				int slot = hy[0] == want[1 - k] ? 1 : 0;

				if (hy[0] == want[k] || hy[1] == want[k])
					continue;
				net_row(&cols, nc, base, stride, w, h, want[k], f, hbuf[slot]);
				hy[slot] = want[k];
			}
			top = hbuf[hy[0] == want[0] ? 0 : 1];
			bottom = hbuf[hy[0] == want[1] ? 0 : 1];
			for (int i = 0; i < nc * 3; i++)
				o[i] = top[i] + (bottom[i] - top[i]) * fy;
		}
	}
	kf_free(f);
	return KF_OK;
}
