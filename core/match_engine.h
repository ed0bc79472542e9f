/* match_engine.h: the match engine interface: what matching a photo and
 * enrolling a reference need of a face engine, so that the store, the workers,
 * the CLI and the console never ask which engine they run.
 *
 * Two implementations:
 *   "local"        the face-api port (core/engine.h, core/match.h), here:
 *                  kf_match_engine_local(). Offline, free, gives descriptors.
 *   "rekognition"  Amazon Rekognition (data/rek_engine.h): DetectFaces, a crop
 *                  per face, SearchFacesByImage against the gallery's
 *                  collection; IndexFaces to enroll. It talks to the network,
 *                  so it lives in data/ and plugs in through this vtable.
 *
 * DESIGN
 * - A struct kf_match_engine is a vtable (ops) and the implementation's handle
 *   (impl). A handle is used by one thread at a time; kf_match_engine_thread()
 *   gives another thread its own (the local engine shares its read-only
 *   networks; Rekognition opens another HTTP client).
 * - Results are the common struct kf_match_result (core/match.h) in the same
 *   shapes whatever the engine: boxes as pixels of the upright photo (the
 *   store turns them back into Rekognition's fractions), score 0..1 (AWS's
 *   Confidence / 100), similarity 0..100 (AWS's Similarity as it comes). An
 *   engine without descriptors (KF_MATCH_ENGINE_DESCRIPTORS unset) sets
 *   no_descriptor on every face: re-matching stored faces and "the best client
 *   below the threshold" need the local engine.
 * - The gallery's references: the local engine searches q->search (the
 *   descriptors); a remote engine searches its own collection named after
 *   q->gallery_id, which holds q->remote_refs references of q's clients.
 * - Costs: calls() counts the billable requests the handle has sent
 *   (retries included); the local engine's is always 0.
 *
 * Errors are the implementation's, with a message saying what failed; an
 * engine never prints. KF_E_AUTH, KF_E_NET and KF_E_NOTFOUND are the run's
 * (credentials, network, the remote collection: every photo would fail the
 * same way), anything else is the photo's.
 *
 * Example: match with whichever engine the gallery uses.
 *
 *	struct kf_match_engine me;
 *	kf_match_engine_local(&me, engine);          (or kf_rek_engine_open(&me, ...))
 *	kf_match_engine_match(&me, &q, buf, len, &res, &arena, &err);
 *	... res.faces[i].hits ...
 *	kf_match_result_release(&res);
 *	kf_match_engine_close(&me);
 */
#ifndef KF_MATCH_ENGINE_H
#define KF_MATCH_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "core/assign.h"
#include "core/detect.h"
#include "core/engine.h"
#include "core/err.h"
#include "core/match.h"
#include "core/search.h"

struct kf_arena;

#define KF_MATCH_ENGINE_LOCAL "local"
#define KF_MATCH_ENGINE_REKOGNITION "rekognition"
#define KF_MATCH_ENGINE_REF_SIZE 64	/* an engine's reference id + NUL */

enum kf_match_engine_caps {
	KF_MATCH_ENGINE_DESCRIPTORS = 1 << 0,	/* results carry descriptors */
	KF_MATCH_ENGINE_REMOTE = 1 << 1,	/* references live remotely; calls cost money */
};

/* What a photo is matched against. */
struct kf_match_query {
	struct kf_detect_opts detect;	/* the local detector's options */
	float threshold;		/* similarity 0..100 */
	const struct kf_search *search;	/* the gallery's local references */
	int64_t gallery_id;		/* names the remote collection */
	size_t remote_refs;		/* references in it (0: nothing to search) */
	const int64_t *client_ids;	/* the gallery's clients: hits of others are dropped */
	size_t nclients;
	float margin;			/* ambiguity margin in descriptor distance
					 * (KF_MATCH_MARGIN, core/assign.h); < 0 off.
					 * Ignored (off) for an engine without
					 * descriptors */
	const struct kf_match_review *reviews;	/* the photo's, applied before the */
	size_t nreviews;			/* assignment (core/assign.h) */
};

/* A reference to enroll: one face the local detector found in a photo. */
struct kf_enroll_query {
	int64_t gallery_id, client_id;
	const uint8_t *photo;		/* the photo file's bytes (JPEG or PNG) */
	size_t len;
	double left, top, width, height;	/* the face, fractions of the upright photo */
	int only_face;			/* the detector found this face and no other */
};

struct kf_match_engine;

struct kf_match_engine_ops {
	const char *name;		/* galleries.engine, client_faces.engine */
	const char *model;		/* client_faces.model of its references */
	unsigned caps;			/* enum kf_match_engine_caps */
	/* A handle for another thread into *out. */
	int (*thread)(const struct kf_match_engine *me, struct kf_match_engine *out,
		      struct kf_err *err);
	void (*close)(struct kf_match_engine *me);
	int (*match)(struct kf_match_engine *me, const struct kf_match_query *q,
		     const uint8_t *buf, size_t len, struct kf_match_result *res,
		     struct kf_arena *scratch, struct kf_err *err);
	/* Make the reference; ref_id gets the engine's id of it ("" when the
	 * descriptor is the reference, as for the local engine). */
	int (*enroll)(struct kf_match_engine *me, const struct kf_enroll_query *q,
		      char ref_id[KF_MATCH_ENGINE_REF_SIZE], struct kf_err *err);
	/* Delete references by id from the gallery's collection (NULL: nothing to do). */
	int (*forget)(struct kf_match_engine *me, int64_t gallery_id, const char *const *ref_ids,
		      size_t n, struct kf_err *err);
	/* Delete the gallery's collection; a missing one is success (NULL: nothing). */
	int (*drop_gallery)(struct kf_match_engine *me, int64_t gallery_id, struct kf_err *err);
	unsigned long (*calls)(const struct kf_match_engine *me);	/* NULL: 0 */
};

struct kf_match_engine {
	const struct kf_match_engine_ops *ops;	/* NULL: closed */
	void *impl;
};

/* The local engine over e (borrowed: e must outlive me and its threads'
 * handles). No allocation; closing it does not free e. e may be NULL for a
 * handle that only enrolls (the descriptor is made already: kf_enroll_detect). */
void kf_match_engine_local(struct kf_match_engine *me, const struct kf_engine *e);

/* A handle of the same engine for another thread; *out is the caller's
 * (kf_match_engine_close). On error *out is closed. */
int kf_match_engine_thread(const struct kf_match_engine *me, struct kf_match_engine *out,
			   struct kf_err *err);

/* Release the handle. NULL-safe, idempotent. */
void kf_match_engine_close(struct kf_match_engine *me);

/* The faces of the photo in buf and who they are; *res is the caller's
 * (kf_match_result_release), empty on error. Whatever the engine, the faces
 * are then assigned to clients jointly (kf_match_assign, core/assign.h): a
 * client on at most one face, at most one hit a face, ambiguous faces with no
 * hit and their candidates (q->margin; never for an engine without
 * descriptors). */
int kf_match_engine_match(struct kf_match_engine *me, const struct kf_match_query *q,
			  const uint8_t *buf, size_t len, struct kf_match_result *res,
			  struct kf_arena *scratch, struct kf_err *err);

/* Make a reference of q's face (see the ops). */
int kf_match_engine_enroll(struct kf_match_engine *me, const struct kf_enroll_query *q,
			   char ref_id[KF_MATCH_ENGINE_REF_SIZE], struct kf_err *err);

/* Delete n references (ids from enroll) of the gallery; n 0 does nothing. */
int kf_match_engine_forget(struct kf_match_engine *me, int64_t gallery_id,
			   const char *const *ref_ids, size_t n, struct kf_err *err);

/* Delete everything the engine keeps for the gallery. */
int kf_match_engine_drop_gallery(struct kf_match_engine *me, int64_t gallery_id,
				 struct kf_err *err);

/* Billable calls this handle has made so far. */
unsigned long kf_match_engine_calls(const struct kf_match_engine *me);

/* The engine's name ("local", "rekognition"), model and capabilities. */
const char *kf_match_engine_name(const struct kf_match_engine *me);
const char *kf_match_engine_model(const struct kf_match_engine *me);
int kf_match_engine_has(const struct kf_match_engine *me, unsigned caps);

/* 1 when name is an engine this build knows ("local", "rekognition"). */
int kf_match_engine_known(const char *name);

#endif
