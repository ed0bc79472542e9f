/* image_encode.h: JPEG encoding of RGB images, for sending photos and face
 * crops to a remote engine (Amazon Rekognition takes at most 5 MB of bytes).
 *
 * Three steps build on each other:
 *   kf_image_encode_jpeg()   an image as a baseline JPEG (libjpeg-turbo,
 *                            4:2:0 like a camera, optimized Huffman tables)
 *   kf_image_crop_jpeg()     a box given in fractions of the upright image
 *                            (Rekognition's BoundingBox), grown by a margin on
 *                            every side, clamped to the image, as a JPEG
 *   kf_image_encode_under()  a JPEG of at most `limit` bytes: lower quality
 *                            first, then smaller sizes, until it fits
 * kf_image_fit_jpeg() is the last one for encoded bytes: they are kept as they
 * are when they already fit.
 *
 * Output buffers come from kf_malloc and belong to the caller (kf_free); on
 * error *out is NULL and *out_len 0. Encoding is deterministic: the same
 * pixels, box and quality always give the same bytes (tests rely on it).
 *
 * Errors: KF_E_INVALID for a bad argument (empty image, quality outside
 * 1..100, a box that is not finite or misses the image), KF_E_NOMEM, KF_E_FORMAT
 * for bytes kf_image_decode() refuses, KF_E_UNSUPPORTED when an image cannot
 * be made to fit (already at KF_IMAGE_FIT_MIN_SIDE pixels). Nothing prints.
 *
 * Thread-safe: no shared state.
 */
#ifndef KF_IMAGE_ENCODE_H
#define KF_IMAGE_ENCODE_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/image.h"

#define KF_IMAGE_JPEG_QUALITY 90	/* default quality: crops, first try of a fit */
#define KF_IMAGE_FIT_MIN_SIDE 64	/* kf_image_encode_under() stops shrinking here */

/* Encode img as a JPEG of the given quality (1..100). */
int kf_image_encode_jpeg(const struct kf_image *img, int quality, uint8_t **out,
			 size_t *out_len, struct kf_err *err);

/* The pixel rectangle of a box in fractions of img's size (left, top, width,
 * height as Rekognition's BoundingBox: left/top may be negative, the box may
 * run past the image) grown by margin * width on the left and on the right and
 * margin * height above and below (margin 0.2 = 20%), then clamped to the
 * image: x0 = floor((left - margin*width) * W), x1 = ceil((left + width +
 * margin*width) * W), clamped to 0..W, likewise for y (a value within 1e-6
 * of an integer counts as that integer, so fractions like 0.1 + 0.3 do not
 * gain a pixel from rounding). KF_E_INVALID when a
 * value is not finite, width/height <= 0, margin < 0, or the rectangle misses
 * the image. No allocation. */
int kf_image_box_rect(int img_w, int img_h, double left, double top, double width,
		      double height, double margin, int *x, int *y, int *w, int *h,
		      struct kf_err *err);

/* Cut the box (kf_image_box_rect) out of img and encode it at quality. */
int kf_image_crop_jpeg(const struct kf_image *img, double left, double top, double width,
		       double height, double margin, int quality, uint8_t **out,
		       size_t *out_len, struct kf_err *err);

/* A JPEG of img of at most limit bytes: KF_IMAGE_JPEG_QUALITY, then 75 and 60
 * at full size, then the same qualities at 3/4 of the previous size (area
 * averaging) until it fits; KF_E_UNSUPPORTED when the long side would go below
 * KF_IMAGE_FIT_MIN_SIDE. */
int kf_image_encode_under(const struct kf_image *img, size_t limit, uint8_t **out,
			  size_t *out_len, struct kf_err *err);

/* Bytes of a JPEG or PNG photo that fit in limit: a copy of buf when len <=
 * limit and it is a JPEG or PNG (by magic, not decoded), else buf decoded
 * upright and kf_image_encode_under(). Not a JPEG or PNG: KF_E_FORMAT. */
int kf_image_fit_jpeg(const uint8_t *buf, size_t len, size_t limit, uint8_t **out,
		      size_t *out_len, struct kf_err *err);

#endif
