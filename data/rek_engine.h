/* rek_engine.h: Amazon Rekognition as a match engine (core/match_engine.h),
 * over the client of data/rekognition.h.
 *
 * - Collection: one per gallery, "kingface-<local gallery id>", created by the
 *   first enrollment (IndexFaces answers ResourceNotFoundException: create,
 *   then index again), deleted with the gallery (drop_gallery).
 * - Enrollment: IndexFaces with ExternalImageId = the client id and MaxFaces 1,
 *   never on a photo with several faces: when the local detector found exactly
 *   one face the photo is sent (re-encoded under 5 MB when larger), otherwise
 *   the chosen face's crop (KF_REK_CROP_MARGIN). Should AWS index another
 *   face of a photo sent whole (one the detector did not report: under
 *   --min-score, too small), it is deleted again and the crop indexed instead.
 *   The reference id is AWS's
 *   FaceId; the reference has no descriptor (model KF_REK_ENGINE_MODEL).
 * - Matching: kf_rek_match_photo() with FaceMatchThreshold = the threshold and
 *   MaxFaces = the number of references in the collection (not of clients:
 *   a client with several references would otherwise crowd the others out);
 *   a client's similarity to a face is its best reference's. With no reference
 *   enrolled only DetectFaces is called (no collection may exist yet).
 *   Matches whose ExternalImageId is not a client of the gallery are dropped.
 * - Costs: calls() is the client's count of requests sent, retries included.
 *
 * Settings (credentials, region, endpoint) come from the environment and the
 * config file (data/config.h); errors name the variable, never the secret.
 * Thread-safety: one handle per thread (kf_match_engine_thread opens another
 * HTTP client). Nothing prints.
 */
#ifndef KF_REK_ENGINE_H
#define KF_REK_ENGINE_H

#include "core/match_engine.h"

/* client_faces.model of a Rekognition reference (the descriptor is empty). */
#define KF_REK_ENGINE_MODEL "aws-rekognition"

/* Open the engine into *me (caller kf_match_engine_close()s). Errors: the
 * config file's, kf_rek_open()'s (KF_E_AUTH naming the missing variable). */
int kf_rek_engine_open(struct kf_match_engine *me, struct kf_err *err);

#endif
