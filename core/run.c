/* run.c: workers and a keeper on a pool (run.h). */
#include "core/run.h"

static void thread_main(void *ctx, int index, struct kf_pool *pool)
{
	struct kf_run *r = ctx;

	if (index == r->workers) {
		r->keep(r->ctx, pool);
		return;
	}
	r->work(r->ctx, index, pool);
	atomic_fetch_sub(&r->active, 1);
}

int kf_run_start(struct kf_run *r, int workers, void (*work)(void *, int, struct kf_pool *),
		 void (*keep)(void *, struct kf_pool *), void *ctx, struct kf_err *err)
{
	int rc;

	r->pool = NULL;
	r->workers = workers;
	r->work = work;
	r->keep = keep;
	r->ctx = ctx;
	kf_err_clear(&r->first);
	atomic_store(&r->active, workers);
	pthread_mutex_init(&r->lock, NULL);
	if ((rc = kf_pool_start(&r->pool, workers + 1, thread_main, r, err)) < 0)
		pthread_mutex_destroy(&r->lock);
	return rc;
}

void kf_run_fail(struct kf_run *r, struct kf_pool *pool, const struct kf_err *err)
{
	pthread_mutex_lock(&r->lock);
	if (r->first.code == KF_OK)
		r->first = *err;
	pthread_mutex_unlock(&r->lock);
	kf_pool_stop(pool);
}

int kf_run_working(struct kf_run *r)
{
	return atomic_load(&r->active) > 0;
}

void kf_run_snapshot(struct kf_run *r, struct kf_pool_snapshot *s)
{
	/* read first, so that the counts taken after it are final */
	int finished = atomic_load(&r->active) == 0;

	kf_pool_snapshot(r->pool, s);
	s->finished = finished;
}

void kf_run_stop(struct kf_run *r)
{
	kf_pool_stop(r->pool);
}

int kf_run_wait(struct kf_run *r, struct kf_err *err)
{
	int rc;

	kf_pool_join(r->pool);
	rc = r->first.code;
	if (rc < 0 && err)
		*err = r->first;
	pthread_mutex_destroy(&r->lock);
	return rc;
}
