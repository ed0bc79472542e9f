/* detect.h: find faces in a photo: YuNet (the default), or face-api's SSD and
 * tiny detectors with tiling.
 *
 * The options struct is shared by every command that looks at faces (detect,
 * enroll, identify, match, the workers) so they all agree. A struct
 * kf_detector holds the loaded networks: read-only after kf_detector_load(),
 * shared by all threads; each call brings its own arena.
 *
 * YuNet (core/nn_yunet.h) runs on the whole photo at the scale where the
 * smallest face kingface promises to find (KF_DETECT_SMALL_FACE pixels of the
 * full photo) is still KF_YUNET_MIN_FACE pixels: the "fine" pass. YuNet
 * undersizes faces wider than about 400 pixels of its input and finds them
 * in pieces, so coarse passes (KF_YUNET_COARSE_SIDE, then halving) look for
 * large faces, keeping those of at least KF_YUNET_COARSE_MIN pixels. All passes'
 * faces are taken best score first; one overlapping a better one is dropped as
 * the same face. Boxes are then mapped to the shape face-api's landmark and
 * descriptor nets were trained on (KF_YUNET_BOX_*, fitted on faces both
 * detectors find; docs/internals/detect.md), and YuNet's own box is kept in
 * `raw`. --tiles does not apply to YuNet.
 *
 * face-api's detectors, single pass (face-api exactly): the image is padded
 * bottom/right to a square, resized to the net input (512 for SSD, 128..608 for
 * tiny), run, and the boxes are non-max suppressed and mapped back to pixels
 * as face-api does.
 *
 * Tiling (SSD and tiny only): face-api shrinks the whole photo to 512 px, so a
 * 60-px face in a 6000-px photo becomes 5 px and is lost. When a single pass
 * would shrink a KF_DETECT_SMALL_FACE-pixel face below the smallest face the
 * detector finds reliably (KF_SSD_MIN_FACE / KF_TINY_MIN_FACE pixels of its
 * input), the photo is also searched at finer scales, evenly spaced and each
 * at most twice the previous one, up to the scale where such a face has that size (never above the full
 * resolution: upsampling invents no detail, at 17 times the cost for tiny on a
 * 24-megapixel photo): at each scale the
 * photo is cut into overlapping net-sized tiles. The overlap is the largest
 * face the previous scale may miss, so every face is whole in some tile of the
 * first scale that can see it. Faces found at a coarser scale stand (the
 * single pass keeps face-api's results exactly); a finer scale only adds faces
 * that overlap none of them, and a tile's detection touching its inner edge is
 * dropped. docs/internals/detect.md has the measurements and the cost.
 */
#ifndef KF_DETECT_H
#define KF_DETECT_H

#include <stddef.h>

#include "core/box.h"
#include "core/err.h"

struct kf_arena;
struct kf_image;

enum kf_detector_kind { KF_DETECTOR_SSD = 0, KF_DETECTOR_TINY = 1, KF_DETECTOR_YUNET = 2 };
enum kf_tiles { KF_TILES_AUTO = 0, KF_TILES_OFF = 1 };

struct kf_detect_opts {
	enum kf_detector_kind detector;	/* yunet */
	float min_score;		/* 0.5: face-api's, and YuNet's by measurement (detect.md) */
	int max_faces;			/* 100: when more, the largest are kept */
	float nms_iou;			/* 0.5 (SSD; tiny uses 0.4, YuNet 0.45 themselves) */
	int tiny_size;			/* 416: multiple of 32, 128..608 */
	enum kf_tiles tiles;		/* auto (SSD and tiny only) */
};

#define KF_DETECT_OPTS_DEFAULT { KF_DETECTOR_YUNET, 0.5f, 100, 0.5f, 416, KF_TILES_AUTO }

#define KF_YUNET_NMS_IOU 0.45f	/* libfacedetection's */

/* "yunet", "ssd" or "tiny"; and back (-1 for another name). */
const char *kf_detector_name(enum kf_detector_kind k);
int kf_detector_parse(const char *name);

/* The face size tiling is designed to keep (pixels of the full photo), and the
 * smallest faces the detectors find reliably (pixels of their input: SSD finds
 * 19 of 22 pasted faces of 36 px at 512, tiny 16 of 20 at 44-48 px and all from
 * 52 px at 416; measured in docs/internals/detect.md). */
#define KF_DETECT_SMALL_FACE 40
#define KF_SSD_MIN_FACE 36
#define KF_TINY_MIN_FACE 48

/* YuNet's scale rule (docs/internals/detect.md): the fine pass has a long side
 * of max(full * KF_YUNET_MIN_FACE / KF_DETECT_SMALL_FACE, min(full,
 * KF_YUNET_COARSE_SIDE)). When it is at least KF_YUNET_COARSE_FROM, coarse
 * passes follow at min(KF_YUNET_COARSE_SIDE, fine / 2), then half that, down
 * to KF_YUNET_COARSE_LAST (a 6000-px photo: 2700, 1000, 500): each sees well
 * the faces up to 40% of its long side, and keeps only its faces of
 * KF_YUNET_COARSE_MIN pixels or more. */
#define KF_YUNET_MIN_FACE 18
#define KF_YUNET_COARSE_SIDE 1000
#define KF_YUNET_COARSE_FROM 800
#define KF_YUNET_COARSE_LAST 400
#define KF_YUNET_COARSE_MIN 100

/* YuNet's box to face-api's shape: centre moved by (DX, DY) box sizes, size
 * scaled by (SW, SH); fitted on faces both detectors find (detect.md). */
#define KF_YUNET_BOX_DX (-0.0027f)
#define KF_YUNET_BOX_DY (-0.0230f)
#define KF_YUNET_BOX_SW 0.9862f
#define KF_YUNET_BOX_SH 1.0365f

struct kf_detection {
	struct kf_box box;	/* pixels of the full-resolution upright photo */
	float score;		/* 0..1 */
	struct kf_box raw;	/* YuNet: its own box before the face-api shape; else = box */
	float lm5[10];		/* YuNet: eyes, nose, mouth corners (x, y); else zeros */
};

struct kf_detector;

enum kf_detector_load_flags {
	KF_LOAD_SSD = 1 << 0,
	KF_LOAD_TINY = 1 << 1,
	KF_LOAD_YUNET = 1 << 2,
};

/* Load the detector networks named by flags: face-api's from model_dir, YuNet
 * from yunet_dir. *out is owned by the caller (kf_detector_free). Errors name
 * the weight file and the tensor. */
int kf_detector_load(struct kf_detector **out, const char *model_dir, const char *yunet_dir,
		     unsigned flags, struct kf_err *err);
void kf_detector_free(struct kf_detector *d);

/* Check the options (ranges, tiny size a multiple of 32): KF_E_INVALID with a
 * message naming the option and its range. */
int kf_detect_opts_check(const struct kf_detect_opts *o, struct kf_err *err);

/* A single pass decodes the photo at the smallest DCT scale whose long side is
 * at least this many times the net input. face-api resizes the full photo with
 * plain bilinear sampling (no antialiasing); a decode closer to the net size
 * changes the detector's input enough to move tiny scores by 0.041 (decode
 * 2.3x the input) to 0.091 (1.2x) on the sample photos, beyond the 0.02 parity
 * tolerance; at 4x and more they stay within it. */
#define KF_DETECT_DECODE_FACTOR 4

/* The min_side to decode a full_w x full_h photo with (kf_image_decode) so that
 * kf_detect() has the resolution it needs: the net input for a single pass,
 * more when the photo will be tiled. 0 means full resolution. */
int kf_detect_min_side(const struct kf_detect_opts *o, int full_w, int full_h);

/* Whether these options tile a full_w x full_h photo. */
int kf_detect_tiled(const struct kf_detect_opts *o, int full_w, int full_h);

/* Detect faces in img, an upright decode of a full_w x full_h photo at any
 * scale. On success *out (caller frees with kf_free; NULL when none) holds *n
 * detections in full-resolution pixels, sorted by score, highest first.
 * Temporary memory comes from scratch and is given back after each pass
 * (kf_arena_rewind): what the caller holds in it, img included, stays. */
int kf_detect(const struct kf_detector *d, const struct kf_detect_opts *o,
	      const struct kf_image *img, int full_w, int full_h, struct kf_detection **out,
	      size_t *n, struct kf_arena *scratch, struct kf_err *err);

#endif
