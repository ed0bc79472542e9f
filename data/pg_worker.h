/* pg_worker.h: workers on several machines: a pool of worker threads
 * (core/pool.h) that claim jobs from the platform's PostgreSQL
 * (pg_queue.h), run the step-1 match on each photo and store the result in
 * the rekognition_* tables. `kingface worker --pg` runs one per machine;
 * any number of them share the jobs.
 *
 * DESIGN
 * - The engine is loaded once by the caller and shared read-only. Each worker
 *   thread has its own PostgreSQL connection, its own scratch arena and its
 *   own copy of the search index of the gallery it works on, loaded again
 *   when the gallery's references or clients change (kf_pg_gallery_version,
 *   compared before each photo).
 * - A lease keeper thread, on a connection of its own, renews the lease of
 *   every job in flight every lease/3, only where this worker still owns it.
 *   A worker that dies (kill -9, power, network) stops renewing: its jobs
 *   are claimed again by any worker once the lease expired.
 * - Per job: the photo's bytes from DIR/<r2_key> when the folder has the
 *   file (ETag = MD5 hex of the bytes), otherwise from the bucket; the cache
 *   (key kf_photo_match_key(), valid while expires_at > now()) answers
 *   without decoding; otherwise the engine, then ONE transaction replaces
 *   the photo's faces and matches, upserts the cache entry and marks the job
 *   done only where this worker still holds its lease (else it rolls back:
 *   another worker has the job).
 * - A failure of the photo itself (missing, unreadable, corrupt) fails its
 *   job with the reason (retried after the backoff, dead after max
 *   attempts). A broken connection (KF_E_NET) marks nothing: the worker
 *   reconnects with a backoff and the job comes back through its lease. A
 *   deadlock (KF_E_BUSY, rolled back) gives the job back and goes on. Any
 *   other failure of the run (a refused login, a database error) gives the
 *   job back, stops every worker and is returned by kf_pg_worker_wait().
 * - until_empty: a worker ends when the gallery (or every gallery) has no
 *   pending, running or failed job left; otherwise it waits for new jobs
 *   until stopped. A stop lets in-flight photos finish.
 */
#ifndef KF_PG_WORKER_H
#define KF_PG_WORKER_H

#include <stddef.h>
#include <stdint.h>

#include "core/engine.h"
#include "core/pool.h"
#include "data/photo_match.h"

enum kf_pg_event_kind {
	KF_PG_EVENT_DONE,	/* processed: faces and matches stored */
	KF_PG_EVENT_CACHED,	/* answered from the processing cache */
	KF_PG_EVENT_FAILED,	/* the photo failed: retried after its backoff */
	KF_PG_EVENT_DEAD,	/* the photo failed for the last time */
	KF_PG_EVENT_LOST,	/* the lease went to another worker: result dropped */
	KF_PG_EVENT_NET,	/* the connection broke: reconnecting */
};

/* What a worker just did. Strings belong to the worker and die when the
 * callback returns. */
struct kf_pg_event {
	enum kf_pg_event_kind kind;
	int worker;			/* thread index */
	int64_t job_id, photo_id, gallery_id;	/* 0 for KF_PG_EVENT_NET */
	const char *key;		/* r2_key, NULL for KF_PG_EVENT_NET */
	const char *etag;		/* DONE and CACHED */
	int attempts;
	int64_t faces, matches;		/* DONE and CACHED */
	const char *reason;		/* FAILED, DEAD, LOST, NET */
};

/* Called from the worker threads, one call at a time (the run serialises
 * them), so it may print without a lock of its own. Must not block long. */
typedef void (*kf_pg_event_fn)(void *ctx, const struct kf_pg_event *ev);

struct kf_pg_worker_opts {
	const char *url;		/* the PostgreSQL URL (kf_pg_url) */
	int64_t gallery_id;		/* platform gallery id, 0: every gallery */
	const char *photos_dir;		/* photos as DIR/<r2_key>, or NULL */
	const char *bucket;		/* of the other photos; NULL: KINGFACE_BUCKET */
	int concurrency;		/* worker threads, 1..63 */
	int until_empty;
	struct kf_photo_match_opts match;	/* queue: lease, backoff, attempts */
	kf_pg_event_fn on_event;	/* may be NULL */
	void *ctx;
};

struct kf_pg_worker_run;

/* Start the workers; o and the strings it points to must outlive the run.
 * On success *out is owned by the caller (kf_pg_worker_wait). */
int kf_pg_worker_start(const struct kf_engine *e, const struct kf_pg_worker_opts *o,
		       struct kf_pg_worker_run **out, struct kf_err *err);

/* Live counts (KF_POOL_TOTAL counts the jobs claimed); any thread, any time. */
void kf_pg_worker_snapshot(const struct kf_pg_worker_run *r, struct kf_pool_snapshot *s);

/* Ask for a clean stop: photos in flight finish, nothing more is claimed.
 * Idempotent; not async-signal-safe (call it from a thread). */
void kf_pg_worker_stop(struct kf_pg_worker_run *r);

/* Wait for the workers and free the run. Returns KF_OK, or the first failure
 * of the run itself (with err). */
int kf_pg_worker_wait(struct kf_pg_worker_run *r, struct kf_err *err);

#endif
