/* image_codec.h: internal to core/image*.c, not API (use core/image.h).
 *
 * The JPEG (image_jpeg.c) and PNG (image_png.c) back ends behind the format
 * dispatch in image.c, and the size checks they share. Same contracts as the
 * kf_image_probe/decode they implement: *out zeroed on entry and on error.
 */
#ifndef KF_IMAGE_CODEC_H
#define KF_IMAGE_CODEC_H

#include "core/image.h"

int kf_image_jpeg_probe(const uint8_t *buf, size_t len, struct kf_image_info *info,
			struct kf_err *err);
/* a (may be NULL) as in kf_image_decode_in; rows (may be NULL) as in
 * kf_image_decode_rows_in. */
int kf_image_jpeg_decode(const uint8_t *buf, size_t len, int min_side, unsigned flags,
			 int *rows, struct kf_arena *a, struct kf_image *out,
			 struct kf_image_info *info, struct kf_err *err);
int kf_image_png_probe(const uint8_t *buf, size_t len, struct kf_image_info *info,
		       struct kf_err *err);
int kf_image_png_decode(const uint8_t *buf, size_t len, struct kf_arena *a,
			struct kf_image *out, struct kf_image_info *info, struct kf_err *err);

/* KF_E_UNSUPPORTED naming the format when w x h (full resolution, as stored)
 * is over KF_IMAGE_MAX_SIDE or KF_IMAGE_MAX_PIXELS; KF_E_FORMAT when a side is 0. */
int kf_image_check_size(const char *format, long long w, long long h, struct kf_err *err);

/* Allocate img->rgb for w x h (already checked), from arena a when not NULL,
 * and set the size; KF_E_NOMEM. */
int kf_image_alloc(struct kf_image *img, int w, int h, struct kf_arena *a, struct kf_err *err);

#endif
