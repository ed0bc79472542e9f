/* pool.c: worker threads, stop flag and counters (pool.h). */
#include "core/pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"

#define MAX_WORKERS 64

struct worker {
	struct kf_pool *pool;
	int index;
	pthread_t thread;
};

struct kf_pool {
	kf_pool_fn fn;
	void *ctx;
	int n;
	struct worker w[MAX_WORKERS];
	atomic_int stopping;
	atomic_int running_workers;
	_Atomic int64_t counters[KF_POOL_NCOUNTERS];
	int64_t start_ms;
	pthread_mutex_t lock;		/* for the stop condition only */
	pthread_cond_t wake;
};

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *run(void *arg)
{
	struct worker *w = arg;

	w->pool->fn(w->pool->ctx, w->index, w->pool);
	atomic_fetch_sub(&w->pool->running_workers, 1);
	return NULL;
}

int kf_pool_start(struct kf_pool **out, int n, kf_pool_fn fn, void *ctx, struct kf_err *err)
{
	struct kf_pool *p;
	int started = 0;

	*out = NULL;
	if (n < 1 || n > MAX_WORKERS)
		return kf_err_set(err, KF_E_INVALID, "concurrency must be from 1 to %d, not %d",
				  MAX_WORKERS, n);
	if (!(p = kf_calloc(1, sizeof(*p))))
		return kf_err_set(err, KF_E_NOMEM, "out of memory starting workers");
	p->fn = fn;
	p->ctx = ctx;
	p->start_ms = mono_ms();
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->wake, NULL);
	atomic_store(&p->running_workers, n);
	for (int i = 0; i < n; i++) {
		p->w[i].pool = p;
		p->w[i].index = i;
		if (pthread_create(&p->w[i].thread, NULL, run, &p->w[i]) != 0)
			break;
		started++;
	}
	p->n = started;
	if (started < n) {
		atomic_fetch_sub(&p->running_workers, n - started);
		kf_pool_stop(p);
		kf_pool_join(p);
		return kf_err_set(err, KF_E_NOMEM, "cannot start %d worker threads", n);
	}
	*out = p;
	return KF_OK;
}

void kf_pool_stop(struct kf_pool *p)
{
	pthread_mutex_lock(&p->lock);
	atomic_store(&p->stopping, 1);
	pthread_cond_broadcast(&p->wake);
	pthread_mutex_unlock(&p->lock);
}

int kf_pool_stopping(const struct kf_pool *p)
{
	return atomic_load(&p->stopping);
}

int kf_pool_sleep(struct kf_pool *p, int64_t ms)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&p->lock);
	while (!atomic_load(&p->stopping) &&
	       pthread_cond_timedwait(&p->wake, &p->lock, &until) == 0)
		;
	pthread_mutex_unlock(&p->lock);
	return kf_pool_stopping(p);
}

void kf_pool_add(struct kf_pool *p, enum kf_pool_counter c, int64_t n)
{
	atomic_fetch_add(&p->counters[c], n);
}

void kf_pool_snapshot(const struct kf_pool *p, struct kf_pool_snapshot *s)
{
	/* "finished" first: when it is seen, every worker's counts came before */
	s->finished = atomic_load(&((struct kf_pool *)p)->running_workers) == 0;
	for (int i = 0; i < KF_POOL_NCOUNTERS; i++)
		s->v[i] = atomic_load(&((struct kf_pool *)p)->counters[i]);
	s->elapsed_ms = mono_ms() - p->start_ms;
	s->stopping = kf_pool_stopping(p);
}

void kf_pool_join(struct kf_pool *p)
{
	if (!p)
		return;
	for (int i = 0; i < p->n; i++)
		pthread_join(p->w[i].thread, NULL);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->wake);
	kf_free(p);
}
