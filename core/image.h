/* image.h: photo decoding (JPEG, PNG) and the pixel operations the networks need.
 *
 * Every image in kingface is 8-bit RGB, rows packed (stride width * 3), upright:
 * the EXIF orientation of a camera JPEG is applied while decoding, so a width and
 * height here are always "as a person sees the photo".
 *
 * Format is chosen by magic bytes, never by file name. JPEG goes through
 * libjpeg-turbo, PNG through libpng; both report every problem (truncation,
 * corrupt data, even what libjpeg calls a warning) as an error with the reason,
 * so a half-decoded photo is never returned. Sizes from outside are capped
 * (KF_IMAGE_MAX_SIDE, KF_IMAGE_MAX_PIXELS, KF_IMAGE_MAX_FILE).
 *
 * A JPEG can be decoded at 1/2, 1/4 or 1/8 scale straight from its DCT
 * coefficients (much faster than full size, then resizing): the detectors ask
 * for the smallest scale whose long side still covers their input size.
 *
 * The float operations reproduce face-api's preprocessing exactly:
 * kf_image_to_net_input() is NetInput.toBatchTensor(size, isCenterImage), bit for
 * bit (see docs/internals/image.md and tests/data/reference/README.md).
 *
 * Example: the SSD input of a photo, then a full-size crop of a face.
 *
 *	struct kf_image img = { 0 }, face = { 0 };
 *	struct kf_image_info info;
 *	struct kf_err err = KF_ERR_INIT;
 *	if (kf_image_load(path, 512, &img, &info, &err) < 0) ... err.msg ...
 *	kf_image_to_net_input(&img, 0, 0, img.width, img.height, 512, 0, input, &err);
 *	kf_image_release(&img);
 *	kf_image_load(path, 0, &img, &info, &err);                // scale 1
 *	kf_image_crop(&img, bx, by, bw, bh, &face, &err);
 *
 * Errors: every function returns KF_OK or a negative KF_E_* and fills err (first
 * error wins, see err.h). Bad bytes are KF_E_FORMAT; too large is
 * KF_E_UNSUPPORTED; out of memory (ours or libjpeg's/libpng's) KF_E_NOMEM; file
 * problems KF_E_IO / KF_E_NOTFOUND; bad arguments KF_E_INVALID. On error an
 * output image is left zeroed (nothing to release) and *info is unspecified.
 *
 * Thread-safety: no shared state; any number of threads may decode at once, each
 * with its own output structs. A struct kf_image may be read by several threads.
 */
#ifndef KF_IMAGE_H
#define KF_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct kf_arena;

/* Limits on what a file may claim (like stb_image's STBI_MAX_DIMENSIONS). */
#define KF_IMAGE_MAX_SIDE 32768			/* pixels, either side */
#define KF_IMAGE_MAX_PIXELS 300000000LL		/* full-resolution width * height */
#define KF_IMAGE_MAX_FILE (256L << 20)		/* bytes kf_image_load() reads */

enum kf_image_format { KF_IMAGE_JPEG = 1, KF_IMAGE_PNG = 2 };

/* 8-bit RGB, stride width * 3. rgb is owned by the struct: kf_image_release().
 * An all-zero struct is a valid empty image (release is a no-op). */
struct kf_image {
	int width, height;
	uint8_t *rgb;
};

struct kf_image_info {
	enum kf_image_format format;
	int width, height;	/* as a person sees it: after EXIF orientation, full resolution */
	int orientation;	/* EXIF 1..8, 1 when absent (always 1 for PNG) */
	int scale_denom;	/* of the decode that filled this info: 1, 2, 4 or 8 (probe: 1) */
};

/* The format of buf by its magic bytes, or 0 when it is neither (no error set). */
enum kf_image_format kf_image_sniff(const uint8_t *buf, size_t len);

/* Header only (JPEG markers up to the first scan + EXIF, PNG IHDR): cheap, for
 * gallery import. Fills *info (scale_denom 1). Does not read the pixel data, so
 * a file that probes fine may still fail to decode. Not a JPEG or PNG:
 * KF_E_FORMAT "not a JPEG or PNG file". */
int kf_image_probe(const uint8_t *buf, size_t len, struct kf_image_info *info,
		   struct kf_err *err);

/* The denominator (1, 2, 4 or 8) kf_image_decode() uses for a JPEG whose long
 * side is long_side pixels: the largest whose scaled long side
 * ceil(long_side / denom) is still >= min_side; 1 when min_side <= 0. */
int kf_image_pick_scale(int long_side, int min_side);

/* Decode buf into upright RGB.
 * min_side = 0: full resolution; > 0: the smallest DCT scale whose long side is
 * >= min_side (JPEG only; PNG is always decoded at full size).
 * out->width/height are the decoded (possibly scaled) upright size, as libjpeg
 * rounds it: ceil(full / scale_denom). info (may be NULL) gets the full upright
 * size and the scale used. *out is overwritten, not released: release an image
 * it held first. On success the caller owns out->rgb (kf_image_release()); on
 * error *out is zeroed. A JPEG that libjpeg would decode with a warning
 * (truncated, corrupt entropy data, extraneous bytes) is an error, KF_E_FORMAT,
 * the message giving libjpeg's reason, e.g. "bad JPEG: premature end of JPEG file".
 * Decoding memory: the output plus, for a rotated (orientation != 1) or CMYK
 * JPEG, 16 rows; libjpeg's own buffers (a progressive JPEG keeps all its DCT
 * coefficients, about 2 bytes a pixel per component) are capped at 1 GiB. */
int kf_image_decode(const uint8_t *buf, size_t len, int min_side, struct kf_image *out,
		    struct kf_image_info *info, struct kf_err *err);

/* Flags of kf_image_decode_ex(). */
enum kf_image_decode_flags {
	/* JPEG: convert YCbCr to RGB exactly as jpeg-js (the decoder behind
	 * face-api's reference outputs) does: float formula, truncated instead of
	 * rounded. On sample1 96% of the bytes then equal jpeg-js's (mean |diff|
	 * 0.04) instead of 57% (0.43, biased +0.38); the rest is the IDCT. For
	 * parity tests against tests/data/reference; costs a scalar colour pass. */
	KF_IMAGE_JPEGJS_COLOR = 1 << 0,
};

/* kf_image_decode() with flags (enum kf_image_decode_flags, or 0). */
int kf_image_decode_ex(const uint8_t *buf, size_t len, int min_side, unsigned flags,
		       struct kf_image *out, struct kf_image_info *info, struct kf_err *err);

/* kf_image_decode() with out->rgb from arena a (arena.h) instead of kf_malloc:
 * it lives until a is reset or rewound past it, and is not for
 * kf_image_release(). A worker decoding photo after photo into its own arena
 * maps no new memory once the arena has grown: a decoded 24-megapixel photo
 * was 72 MB of fresh pages a photo, their zeroing 5% of the CPU of a gallery
 * of group photos. On error *out is zeroed. */
int kf_image_decode_in(struct kf_arena *a, const uint8_t *buf, size_t len, int min_side,
		       struct kf_image *out, struct kf_image_info *info, struct kf_err *err);

/* kf_image_decode_in() at full resolution of upright rows [rows[0], rows[1])
 * only, for a caller that reads no other (engine.c: the rows around the
 * faces). out has the whole photo's size; its other rows are not written
 * (they hold whatever the arena held). A JPEG whose stored rows are upright
 * rows (EXIF orientation 1 to 4) skips the rows above (entropy-decoded, no
 * IDCT) and stops after the last: the rows' bytes are those of a whole
 * decode, but a file cut short below them is not noticed (the caller has
 * decoded it whole once). Anything else (PNG, orientation 5 to 8, rows empty
 * or out of the photo) is decoded whole. On success rows holds the rows
 * written. */
int kf_image_decode_rows_in(struct kf_arena *a, const uint8_t *buf, size_t len, int *rows,
			    struct kf_image *out, struct kf_err *err);

/* Read a whole file (at most KF_IMAGE_MAX_FILE bytes) into a buffer from
 * kf_malloc; the caller kf_free()s *buf. Errors name the path. */
int kf_image_read_file(const char *path, uint8_t **buf, size_t *len, struct kf_err *err);

/* kf_image_read_file() + kf_image_decode(); every error message starts with
 * "'<path>': ". Same ownership as kf_image_decode(). */
int kf_image_load(const char *path, int min_side, struct kf_image *out,
		  struct kf_image_info *info, struct kf_err *err);

/* Free img->rgb and zero *img. NULL-safe; releasing twice is harmless. */
void kf_image_release(struct kf_image *img);

/* Copy the rectangle (x, y, w, h) of img, clamped to the image, into a new image
 * *out (caller releases). An empty intersection is KF_E_INVALID. */
int kf_image_crop(const struct kf_image *img, int x, int y, int w, int h,
		  struct kf_image *out, struct kf_err *err);

/* Resize img to w x h into a new image *out (caller releases) by area
 * averaging: each output pixel is the mean of the input area it covers, with
 * fractional edge weights, so a reduction does not alias (bilinear sampling
 * would skip pixels beyond 2x); an enlargement repeats pixels. KF_E_INVALID for
 * an empty target, KF_E_NOMEM. */
int kf_image_resize(const struct kf_image *img, int w, int h, struct kf_image *out,
		    struct kf_err *err);

/* Centre img on a canvas of max(width, min_w) x max(height, min_h) filled with
 * the grey level fill (what tests/data/reference/oracle.mjs --pad-to does for small
 * face photos). *off_x and *off_y (may be NULL) get where the image's top-left
 * landed: floor((canvas - size) / 2). Always makes a copy; caller releases *out. */
int kf_image_pad(const struct kf_image *img, int min_w, int min_h, uint8_t fill,
		 struct kf_image *out, int *off_x, int *off_y, struct kf_err *err);

/* face-api's NetInput.toBatchTensor(size, center) on the rectangle (x, y, w, h)
 * of img, clamped to the image (a float crop like tf.slice of the int image):
 * pad with zeros to a square, at the bottom/right (center = 0, the detectors) or
 * on both sides as padToSquare(.., true) does (center != 0, face crops: the
 * smaller half, floor(diff / 2), before), then tf.image.resizeBilinear to
 * size x size with alignCorners = false and halfPixelCenters = false, in
 * float32 exactly as the tfjs wasm kernel computes it. Writes size * size * 3
 * floats (NHWC RGB, 0..255) to dst, which the caller owns. size must be in
 * 1..4096; an empty rectangle is KF_E_INVALID. Allocates a row of the square
 * (3 floats a pixel of its side) while it runs: KF_E_NOMEM. */
int kf_image_to_net_input(const struct kf_image *img, int x, int y, int w, int h, int size,
			  int center, float *dst, struct kf_err *err);

#endif
