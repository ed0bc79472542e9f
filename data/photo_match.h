/* photo_match.h: seed step 1, "match one photo", with its persistence:
 *
 *   1. the photo's ETag (recomputed when the file's size or mtime changed, so a
 *      changed file never hits a stale cache entry);
 *   2. the cache: key match:<galleryId>:<photoKey>:<etag>:t<threshold>:m<maxFaces>,
 *      served while it has not expired, without decoding the photo;
 *   3. otherwise the engine (core/match.h), then in ONE transaction: the photo's
 *      faces and matches replaced, the cache entry written, the job done.
 *
 * A photo that cannot be read or decoded fails its job with the reason (retried
 * later with backoff, dead after max-attempts) and the error is returned.
 *
 * A struct kf_match_gallery is what matching needs of a gallery, loaded once per
 * run: its references in a search index and its clients' names. Read-only after
 * loading: workers share it.
 */
#ifndef KF_PHOTO_MATCH_H
#define KF_PHOTO_MATCH_H

#include <stdint.h>

#include "core/detect.h"
#include "core/engine.h"
#include "core/match.h"
#include "core/match_engine.h"
#include "core/search.h"
#include "core/threshold.h"
#include "data/queue.h"
#include "data/store.h"
#include "data/store_result.h"

struct kf_arena;

struct kf_match_gallery {
	int64_t id;
	struct kf_search search;
	size_t nclients;
	int64_t *client_ids;
	char **client_names;
	int64_t references, other_model;	/* loaded, and skipped as of another model */
	char engine[32];		/* galleries.engine: the engine of its results */
	char detector[8];		/* galleries.detector of its local results, "" none yet */
	int64_t remote_refs;		/* references of a remote engine (its collection) */
	struct kf_threshold_auto autot;	/* "auto" for the local engine's references */
};

int kf_match_gallery_load(struct kf_store *st, int64_t gallery_id, struct kf_match_gallery *g,
			  struct kf_err *err);
void kf_match_gallery_release(struct kf_match_gallery *g);
/* The threshold in force for g: t itself, or for KF_THRESHOLD_AUTO the
 * gallery's auto threshold (core/threshold.h; a remote engine's is
 * KF_THRESHOLD_FLOOR, Rekognition's default FaceMatchThreshold). */
float kf_match_gallery_threshold(const struct kf_match_gallery *g, float t);

/* The same, with a line saying which threshold and why into buf (n bytes),
 * e.g. "threshold 86.2 (auto, 312 clients: about 3.1 false matches per 1,000
 * unknown faces)", and kf_match_gallery_alike's after "; ". */
float kf_match_gallery_threshold_why(const struct kf_match_gallery *g, float t, char *buf,
				     size_t n);

/* After the enrollment of a gallery changed (a reference added or removed, a
 * client removed, a cluster named): every stored face of it searched again
 * against its current references at t (KF_THRESHOLD_AUTO: the gallery's auto
 * threshold) by kf_store_rematch, no photo decoded. Returns 1 when done, 0 for
 * a gallery on a remote engine (no descriptors here: its results change when
 * its photos are processed again), < 0 on error. *used, *faces, *matches (each
 * may be NULL) get the threshold in force and the counts. */
int kf_match_gallery_rematch(struct kf_store *st, int64_t gallery_id, float t, float *used,
			     int64_t *faces, int64_t *matches, struct kf_err *err);
/* The same at the threshold setting (what enroll, unenroll and removing a
 * client do, on the command line and in the console). */
int kf_match_gallery_refresh(struct kf_store *st, int64_t gallery_id, float *used,
			     int64_t *faces, int64_t *matches, struct kf_err *err);

/* The name of a client of the gallery, "?" when unknown. */
/* When two clients of g look alike: their references one person's
 * (core/threshold.h KF_THRESHOLD_SAME_PERSON: left out of the auto
 * threshold), or closer than threshold t (a face of one scores over it for
 * the other too): 1 with "'Ana' and 'Ana S.' look like one person
 * (similarity 100.0)" or "... look alike (similarity 99.4)" in buf (n
 * bytes), the closest two; else 0. */
int kf_match_gallery_alike(const struct kf_match_gallery *g, float t, char *buf, size_t n);

const char *kf_match_gallery_name(const struct kf_match_gallery *g, int64_t client_id);

struct kf_photo_match_opts {
	struct kf_detect_opts detect;
	float threshold;		/* 0..100, or KF_THRESHOLD_AUTO */
	int64_t ttl_ms;			/* cache lifetime */
	int no_cache;			/* skip the cache lookup (still writes it) */
	struct kf_queue_opts queue;	/* for failures: backoff, max attempts */
};

/* Fill o from the settings: face-api's detection defaults with the max-faces
 * setting, the threshold setting, cache-ttl-days and max-attempts; no_cache
 * off. The CLI then applies its options on top (kf_cli_match_opts); the
 * console uses these as they are. Errors: a bad stored setting. */
int kf_photo_match_opts_load(struct kf_store *st, struct kf_photo_match_opts *o,
			     struct kf_err *err);

/* The best client of g not among f's stored matches (nor its ambiguous
 * candidates, which are shown already), from f's descriptor and
 * g's current references: why a client was not matched (the detail view of
 * `kingface detail` and the console). out->client_id is 0 when there is none
 * (every client matched, none enrolled, or f has no descriptor). */
int kf_match_best_below(const struct kf_match_gallery *g, const struct kf_detail_face *f,
			struct kf_search_hit *out, struct kf_err *err);

/* What became of a photo match. */
struct kf_photo_match_out {
	char *payload;		/* the result JSON (caller kf_free()s), NULL on error */
	int cached;		/* answered from the cache */
	int job_failed;		/* the photo failed: recorded on its job (failed or dead) */
	int job_dead;		/* ... and it was the last attempt */
};

/* Match photo_id (a photo of g) with the engine me (the gallery's: another
 * one is KF_E_INVALID naming 'kingface gallery engine', before anything is
 * claimed or called) and, for the local engine, o's detector (the gallery's
 * when it has one: another is KF_E_INVALID naming 'kingface gallery
 * detector'; the first results of a gallery without one make it its own).
 * job_owner: the worker holding its job (kf_queue_claim), or NULL to claim
 * the photo's job here (the `match` command; KF_E_BUSY when a worker holds
 * it). An error with out->job_failed set is the photo's own (unreadable,
 * corrupt, refused by the engine: the reason is on its job); otherwise it is
 * the run's (database, memory, the engine's credentials or network, a missing
 * remote collection: KF_E_AUTH, KF_E_NET, KF_E_NOTFOUND) and the job keeps
 * its lease. The billable calls the engine made are added to the gallery's
 * count, failed or not. */
int kf_photo_match(struct kf_store *st, struct kf_match_engine *me,
		   const struct kf_match_gallery *g, int64_t photo_id, const char *job_owner,
		   int64_t job_id, const struct kf_photo_match_opts *o,
		   struct kf_photo_match_out *out, struct kf_arena *scratch, struct kf_err *err);

/* The step-1 result JSON of photo photo_id (its key) in gallery g (for the
 * client names), found by detector (NULL for a remote engine: JSON null),
 * "cached": false; kf_malloc'd, NULL when out of memory. The same payload
 * with "cached": true, or NULL when payload is not JSON. */
char *kf_photo_match_payload(const struct kf_match_gallery *g, int64_t photo_id,
			     const char *key, const char *detector,
			     const struct kf_match_result *r);
char *kf_photo_match_payload_cached(const char *payload);

/* The cache key of a photo (buf of n bytes). */
void kf_photo_match_key(char *buf, size_t n, int64_t gallery_id, const char *photo_key,
			const char *etag, float threshold, int max_faces);

#endif
