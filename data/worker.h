/* worker.h: the processing run: a pool of worker threads (core/pool.h) that
 * claim jobs from the durable queue (queue.h) and run the step-1 match on each
 * (photo_match.h), seed steps 3 and 4.
 *
 * DESIGN
 * - The match engine (core/match_engine.h) is opened once by the caller;
 *   each worker thread gets its own handle of it (kf_match_engine_thread: the
 *   local networks are shared read-only, Rekognition gets an HTTP client per
 *   thread), its own SQLite connection, its own scratch arena and its own
 *   copy of the gallery's search index, reloaded when the gallery's enrolled
 *   references change.
 * - Engines never mix in one gallery: a job of a gallery of another engine
 *   stops the run with the message (kf_photo_match), unless any_engine is set
 *   (`worker` with neither --gallery nor --engine): then a thread opens that
 *   gallery's engine by name when it first needs it (data/engines.h; only a
 *   remote engine can be opened so: the local networks are the caller's).
 * - Detectors never mix either (galleries.detector): a job of a gallery of
 *   another detector than o.match's stops the run (kf_photo_match), unless
 *   any_detector is set (`worker` with neither --gallery nor --detector): then
 *   each job runs with its gallery's detector, from the caller's engine,
 *   which has them all loaded.
 * - SQLite writes are single statements (claim) or short BEGIN IMMEDIATE
 *   transactions (one photo's results) on WAL with a busy timeout, so a writer
 *   waits its turn instead of failing with SQLITE_BUSY.
 * - A lease keeper thread renews the lease of every job in flight every
 *   lease/3, so a slow photo is never taken by another worker, while the jobs
 *   of a killed process come back (kf_queue_reclaim).
 * - until_empty (`process`): the run ends when the gallery has no pending,
 *   failed (waiting out its backoff) or running job; otherwise (`worker`) it
 *   waits for new jobs until stopped. A stop lets in-flight photos finish.
 * - A photo's own failure (unreadable, corrupt) is recorded on its job and the
 *   run goes on; a failure of the run itself (database, disk) stops every
 *   worker and is returned by kf_worker_wait().
 */
#ifndef KF_WORKER_H
#define KF_WORKER_H

#include <stdint.h>

#include "core/match_engine.h"
#include "core/pool.h"
#include "data/photo_match.h"

struct kf_worker_opts {
	const char *db_path;
	int64_t gallery_id;		/* 0: every gallery */
	int concurrency;		/* worker threads, 1..63 */
	int until_empty;
	int any_engine;			/* serve galleries of another engine too */
	int any_detector;		/* each gallery's detector (the local engine has
					 * them all loaded), match.detect's for a
					 * gallery without one */
	struct kf_photo_match_opts match;
};

struct kf_worker_run;

/* Start the workers with engine me (the run takes its own handles: the
 * caller may close me once this returns; a local engine's networks must live
 * until kf_worker_wait). total: the jobs the caller expects this run to finish
 * (the Y of "X/Y"). On success *out is owned by the caller (kf_worker_wait).
 * Errors: the engine's (a Rekognition handle that cannot be opened). */
int kf_worker_start(const struct kf_match_engine *me, const struct kf_worker_opts *o, int64_t total,
		    struct kf_worker_run **out, struct kf_err *err);

/* Live progress; any thread, any time. */
void kf_worker_snapshot(const struct kf_worker_run *r, struct kf_pool_snapshot *s);

/* Ask for a clean stop (idempotent, async-signal-unsafe: call from a thread). */
void kf_worker_stop(struct kf_worker_run *r);

/* Wait for the workers and free the run. Returns KF_OK, or the first failure
 * of the run itself (with err). */
int kf_worker_wait(struct kf_worker_run *r, struct kf_err *err);

#endif
