/* pool.h: a fixed pool of worker threads with a stop flag and live counters.
 *
 * DESIGN: kf_pool_start() runs fn(ctx, worker) on n threads; each worker loops
 * on its own (claiming jobs from wherever it likes) and returns when it has
 * nothing left or kf_pool_stopping() says so. The pool knows nothing of jobs:
 * workers publish what they did in the pool's atomic counters, and any thread
 * (the console's UI thread, a progress printer) reads a consistent-enough
 * snapshot with kf_pool_snapshot() without taking a lock — as redis's bio.c
 * workers report back, nobody but the owner thread draws.
 *
 * Thread-safety: every function may be called from any thread, except
 * kf_pool_join(), which is called once, by the thread that started the pool.
 */
#ifndef KF_POOL_H
#define KF_POOL_H

#include <stdint.h>

#include "core/err.h"

enum kf_pool_counter {
	KF_POOL_TOTAL,		/* jobs this run expects (may grow) */
	KF_POOL_DONE,		/* finished by computing */
	KF_POOL_CACHED,		/* finished from the cache */
	KF_POOL_FAILED,		/* failed attempts (retried later) */
	KF_POOL_DEAD,		/* jobs that ran out of attempts */
	KF_POOL_RUNNING,	/* in flight now */
	KF_POOL_NCOUNTERS
};

struct kf_pool_snapshot {
	int64_t v[KF_POOL_NCOUNTERS];
	int64_t elapsed_ms;
	int finished;		/* every worker has returned */
	int stopping;
};

struct kf_pool;

typedef void (*kf_pool_fn)(void *ctx, int worker, struct kf_pool *pool);

/* Start n (1..64) workers. On success *out is owned by the caller, who ends
 * it with kf_pool_join(). */
int kf_pool_start(struct kf_pool **out, int n, kf_pool_fn fn, void *ctx, struct kf_err *err);

/* Ask the workers to stop after what they are doing (idempotent). */
void kf_pool_stop(struct kf_pool *p);
int kf_pool_stopping(const struct kf_pool *p);

void kf_pool_add(struct kf_pool *p, enum kf_pool_counter c, int64_t n);
void kf_pool_snapshot(const struct kf_pool *p, struct kf_pool_snapshot *s);

/* Wait for every worker, then free the pool. NULL is a no-op. */
void kf_pool_join(struct kf_pool *p);

/* Sleep up to ms milliseconds, waking early when the pool is asked to stop.
 * Returns kf_pool_stopping(). */
int kf_pool_sleep(struct kf_pool *p, int64_t ms);

#endif
