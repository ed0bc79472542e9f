/* engine.h: the local face engine: detection, landmarks and descriptors of
 * every face in a photo, from its file bytes.
 *
 * A struct kf_engine holds the loaded networks (read-only, shared by every
 * thread). kf_engine_faces() decodes a photo twice at most: at the small DCT
 * scale the detector needs (core/detect.h), then, only when faces were found
 * and landmarks or descriptors are wanted, at full resolution, because face
 * crops always come from the full-resolution image.
 *
 * KF_FIND_PAD_RETRY is for reference photos (enrollment, identification):
 * tight face crops and ID-style portraits whose face fills the frame defeat
 * the detectors, so when nothing is found, or nothing scores at least
 * KF_ENGINE_SURE_SCORE, the photo is centred on larger grey canvases
 * (KF_ENGINE_PADS, as face-api's oracle --pad-to does) and searched again;
 * the surer result is kept and its boxes are mapped back to the photo. A face
 * is only ever reported where a detector found one.
 *
 * Thread-safety: any number of threads may call kf_engine_faces() on one
 * engine at once, each with its own arena.
 */
#ifndef KF_ENGINE_H
#define KF_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "core/box.h"
#include "core/detect.h"
#include "core/err.h"
#include "core/image.h"
#include "core/search.h"

struct kf_arena;

/* The descriptor model: descriptors of different models never compare. */
#define KF_ENGINE_MODEL "face-api-1.7.15/face_recognition_model"

enum kf_engine_load_flags {
	KF_ENGINE_SSD = 1 << 0,
	KF_ENGINE_TINY = 1 << 1,
	KF_ENGINE_LANDMARKS = 1 << 2,
	KF_ENGINE_DESCRIPTORS = 1 << 3,	/* implies landmarks */
	KF_ENGINE_YUNET = 1 << 4,
};

/* The load flag of a detector. */
unsigned kf_engine_detector_flag(enum kf_detector_kind k);

enum kf_find_flags {
	KF_FIND_LANDMARKS = 1 << 0,
	KF_FIND_DESCRIPTORS = 1 << 1,	/* implies landmarks */
	KF_FIND_PAD_RETRY = 1 << 2,
	KF_FIND_ANY_SIZE = 1 << 3,	/* describe faces below KF_RECOGNIZABLE_MIN_FACE
					 * too (bench/small-faces measures it so) */
	KF_FIND_MIRROR = 1 << 4,	/* descriptors averaged with the mirrored
					 * crop's (face.h KF_FACE_MIRROR): for
					 * bench/accuracy, kingface does not use it */
	KF_FIND_WHOLE_PHOTO = 1 << 5,	/* decode all of a large JPEG at full size for
					 * the faces, not only the rows around them
					 * (engine.c, BAND_MARGIN): tests compare */
};

/* The narrowest face (width of its face-api-shaped box, pixels of the full
 * photo) that is recognised. A narrower face is found and reported, but gets
 * no landmarks and no descriptor and is never matched ("recognizable": false):
 * below this width identification on the dev protocol breaks down (fewer than
 * 30 of 32 hits, or a false match, at threshold 80). Measured by
 * bench/small-faces; the table is in docs/similarity.md ("Small faces"). */
#define KF_RECOGNIZABLE_MIN_FACE 47

struct kf_face {
	struct kf_box box;		/* pixels of the upright full-resolution photo */
	float score;			/* detector score, 0..1 */
	struct kf_box raw;		/* YuNet's own box (box is face-api's shape) */
	float lm5[10];			/* YuNet's 5 landmarks (x, y) */
	int has_landmarks, has_descriptor;
	int has_raw;			/* raw and lm5 are YuNet's */
	int too_small;			/* narrower than KF_RECOGNIZABLE_MIN_FACE (and
					 * not KF_FIND_ANY_SIZE): not described */
	float landmarks[136];		/* 68 points x0,y0,... in photo pixels */
	float descriptor[KF_DESC_DIM];
};

struct kf_engine;

/* Load the networks named by flags: face-api's from model_dir, YuNet from
 * yunet_dir. The recognition net gets the weights of the precision the
 * process runs now only (kf_nn_set_precision first: nn_facerec.h). *out is
 * owned by the caller (kf_engine_free). Errors name the weight file and
 * tensor. */
int kf_engine_load(struct kf_engine **out, const char *model_dir, const char *yunet_dir,
		   unsigned flags, struct kf_err *err);
void kf_engine_free(struct kf_engine *e);

/* The faces of the photo in buf (JPEG or PNG), sorted by score. On success
 * *out (caller kf_free()s; NULL when none) holds *n faces and info (may be
 * NULL) the photo's upright size and orientation; *pad (may be NULL) gets the
 * canvas factor that found them (0: the photo itself). Errors: the decoder's
 * (KF_E_FORMAT with the reason), KF_E_INVALID for options or a network the
 * engine did not load, KF_E_NOMEM. scratch holds the decoded photo and the
 * nets' memory while the work proceeds, and is given back at the end (what
 * the caller had in it stays). */
int kf_engine_faces(const struct kf_engine *e, const struct kf_detect_opts *o,
		    const uint8_t *buf, size_t len, unsigned flags, struct kf_face **out,
		    size_t *n, struct kf_image_info *info, double *pad, struct kf_arena *scratch,
		    struct kf_err *err);

/* Below this best score a reference photo is also searched padded. */
#define KF_ENGINE_SURE_SCORE 0.8f

/* The canvas sizes tried by KF_FIND_PAD_RETRY, as multiples of the photo's
 * long side, in order. */
#define KF_ENGINE_PADS { 2.0, 1.5, 3.0 }

#endif
