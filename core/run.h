/* run.h: a processing run on a core/pool: N worker threads plus one keeper
 * thread (a job queue's lease renewer) that runs while any worker does, and
 * the run's first failure, which stops it. data/worker.c (the local queue) and
 * data/pg_worker.c (PostgreSQL) are both such runs.
 *
 * Thread-safety: kf_run_fail(), kf_run_working() and kf_run_snapshot() from
 * any thread; start, stop and wait from the owner's.
 */
#ifndef KF_RUN_H
#define KF_RUN_H

#include <pthread.h>
#include <stdatomic.h>

#include "core/err.h"
#include "core/pool.h"

struct kf_run {
	struct kf_pool *pool;
	int workers;
	atomic_int active;		/* workers not finished */
	pthread_mutex_t lock;		/* first; the owner may use it too */
	struct kf_err first;		/* the run's first failure */
	void (*work)(void *ctx, int worker, struct kf_pool *pool);
	void (*keep)(void *ctx, struct kf_pool *pool);
	void *ctx;
};

/* Start workers threads running work(ctx, i, pool) and one running
 * keep(ctx, pool). r is the caller's (zeroed or not) and must stay put until
 * kf_run_wait(). */
int kf_run_start(struct kf_run *r, int workers, void (*work)(void *, int, struct kf_pool *),
		 void (*keep)(void *, struct kf_pool *), void *ctx, struct kf_err *err);

/* Record a failure of the run itself (the first one is kept) and stop the
 * pool (the pool the failing thread was given: r->pool may not be set yet). */
void kf_run_fail(struct kf_run *r, struct kf_pool *pool, const struct kf_err *err);

/* Workers still running: the keeper's loop condition. */
int kf_run_working(struct kf_run *r);

/* The pool's counters; finished once the workers are (the keeper is no
 * worker). */
void kf_run_snapshot(struct kf_run *r, struct kf_pool_snapshot *s);

/* Ask for a clean stop (idempotent). */
void kf_run_stop(struct kf_run *r);

/* Wait for every thread; returns KF_OK or the first failure (into err). */
int kf_run_wait(struct kf_run *r, struct kf_err *err);

#endif
