/* worker.c: worker threads on the durable queue (worker.h). */
#include "data/worker.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "core/run.h"
#include "data/engines.h"
#include "data/queue.h"
#include "data/store_face.h"

#define MAX_WORKERS 64
#define IDLE_MS 1000		/* worker mode: poll for new jobs */
#define WAIT_OTHERS_MS 200	/* process mode: others still running */

struct kf_worker_run {
	struct kf_match_engine engine;		/* the run's handle; threads take their own */
	struct kf_worker_opts o;
	struct kf_run run;			/* the workers and the lease keeper */
	_Atomic int64_t slot[MAX_WORKERS];	/* job in flight per worker, 0 none */
	char owner[MAX_WORKERS][160];
};


/* The search index of the job's gallery, (re)loaded when it changed. */
static int gallery_for(struct kf_store *st, int64_t gallery_id, struct kf_match_gallery *g,
		       int64_t *version, struct kf_err *err)
{
	int64_t v;
	int rc;

	if ((rc = kf_store_face_version(st, gallery_id, &v, err)) < 0)
		return rc;
	if (g->id == gallery_id && v == *version && g->id != 0)
		return KF_OK;
	kf_match_gallery_release(g);
	if ((rc = kf_match_gallery_load(st, gallery_id, g, err)) < 0)
		return rc;
	*version = v;
	return KF_OK;
}

/* The gallery's results are of this engine. */
static int uses(const struct kf_match_engine *me, const struct kf_match_gallery *g)
{
	return me->ops && !strcmp(g->engine, kf_match_engine_name(me));
}

/* any_engine: a gallery of another engine than the run's gets that engine in
 * *other, opened once per thread. */
static int engine_for(struct kf_worker_run *r, const struct kf_match_gallery *g,
		      const struct kf_match_engine *me, struct kf_match_engine *other,
		      struct kf_err *err)
{
	if (!r->o.any_engine || !g->engine[0] || uses(me, g) || uses(other, g))
		return KF_OK;
	kf_match_engine_close(other);
	if (kf_engines_open(g->engine, NULL, other, err) < 0)
		return kf_err_context(err, "gallery %lld uses the %s engine (start a worker with "
				      "--engine %s)", (long long)g->id, g->engine, g->engine);
	return KF_OK;
}

/* Nothing ready: in process mode, is the gallery finished? Returns 1 to end. */
static int idle(struct kf_worker_run *r, struct kf_pool *pool, struct kf_store *st,
		int64_t wait_ms, struct kf_err *err)
{
	int64_t running;

	if (!r->o.until_empty)
		return kf_pool_sleep(pool, wait_ms >= 0 && wait_ms < IDLE_MS ? wait_ms + 1 : IDLE_MS);
	if (wait_ms >= 0)	/* a failed job waits out its backoff */
		return kf_pool_sleep(pool, (wait_ms < IDLE_MS ? wait_ms : IDLE_MS) + 1);
	if (kf_queue_count(st, r->o.gallery_id, "running", &running, err) < 0) {
		kf_run_fail(&r->run, pool, err);
		return 1;
	}
	if (running == 0)
		return 1;
	/* others in flight may still fail and come back; leases of the dead expire */
	kf_queue_reclaim(st, NULL, NULL);
	return kf_pool_sleep(pool, WAIT_OTHERS_MS);
}

static void work(void *ctx, int index, struct kf_pool *pool)
{
	struct kf_worker_run *r = ctx;
	struct kf_arena arena = KF_ARENA_INIT;
	struct kf_match_gallery g;
	struct kf_store *st = NULL;
	struct kf_err err = KF_ERR_INIT;
	struct kf_match_engine me = { NULL, NULL }, other = { NULL, NULL };
	const char *owner = r->owner[index];
	int64_t version = -1;

	memset(&g, 0, sizeof(g));
	if (kf_match_engine_thread(&r->engine, &me, &err) < 0 ||
	    kf_store_open(&st, r->o.db_path, 0, &err) < 0) {
		kf_run_fail(&r->run, pool, &err);
		goto out;
	}
	while (!kf_pool_stopping(pool)) {
		struct kf_photo_match_out res;
		struct kf_photo_match_opts mo;
		struct kf_job job;
		int64_t wait_ms = -1;
		int rc, detector;

		kf_err_clear(&err);
		rc = kf_queue_claim(st, r->o.gallery_id, owner, &r->o.match.queue, &job, &wait_ms, &err);
		if (rc == KF_E_NOTFOUND) {
			if (idle(r, pool, st, wait_ms, &err))
				break;
			continue;
		}
		if (rc < 0) {
			kf_run_fail(&r->run, pool, &err);
			break;
		}
		atomic_store(&r->slot[index], job.id);
		kf_pool_add(pool, KF_POOL_RUNNING, 1);
		if (!r->o.until_empty)
			kf_pool_add(pool, KF_POOL_TOTAL, 1);
		memset(&res, 0, sizeof(res));
		rc = gallery_for(st, job.gallery_id, &g, &version, &err);
		if (rc == KF_OK)
			rc = engine_for(r, &g, &me, &other, &err);
		mo = r->o.match;
		if (r->o.any_detector && (detector = kf_detector_parse(g.detector)) >= 0)
			mo.detect.detector = (enum kf_detector_kind)detector;
		if (rc == KF_OK)
			rc = kf_photo_match(st, uses(&other, &g) ? &other : &me, &g, job.photo_id,
					    owner, job.id, &mo, &res, &arena, &err);
		kf_arena_trim(&arena, KF_ARENA_KEEP);
		kf_pool_add(pool, KF_POOL_RUNNING, -1);
		atomic_store(&r->slot[index], 0);
		if (rc == KF_OK)
			kf_pool_add(pool, res.cached ? KF_POOL_CACHED : KF_POOL_DONE, 1);
		else if (res.job_failed)
			kf_pool_add(pool, res.job_dead ? KF_POOL_DEAD : KF_POOL_FAILED, 1);
		else {
			/* the run's own failure: give the photo back, stop */
			kf_queue_release(st, job.id, owner, NULL);
			kf_run_fail(&r->run, pool, &err);
		}
		kf_free(res.payload);
		kf_queue_job_release(&job);
	}
out:
	kf_match_gallery_release(&g);
	kf_match_engine_close(&other);
	kf_match_engine_close(&me);
	kf_store_close(st);
	kf_arena_release(&arena);
}

/* The last pool thread: renews the leases of the jobs in flight. */
static void keep_leases(void *ctx, struct kf_pool *pool)
{
	struct kf_worker_run *r = ctx;
	struct kf_err err = KF_ERR_INIT;
	struct kf_store *st = NULL;
	int64_t every = r->o.match.queue.lease_ms / 3;

	if (kf_store_open(&st, r->o.db_path, 0, &err) < 0) {
		kf_run_fail(&r->run, pool, &err);
		return;
	}
	while (kf_run_working(&r->run)) {
		/* short naps, even while stopping (in-flight photos still need their
		 * leases): end soon after the workers do */
		for (int64_t t = 0; t < every && kf_run_working(&r->run); t += 100)
			usleep(100 * 1000);
		for (int i = 0; i < r->o.concurrency; i++) {
			int64_t job = atomic_load(&r->slot[i]);

			if (job)
				kf_queue_renew(st, job, r->owner[i], &r->o.match.queue, NULL);
		}
	}
	kf_store_close(st);
}

int kf_worker_start(const struct kf_match_engine *me, const struct kf_worker_opts *o,
		    int64_t total, struct kf_worker_run **out, struct kf_err *err)
{
	struct kf_worker_run *r;
	int rc;

	*out = NULL;
	if (o->concurrency < 1 || o->concurrency >= MAX_WORKERS)
		return kf_err_set(err, KF_E_INVALID, "concurrency must be from 1 to %d, not %d",
				  MAX_WORKERS - 1, o->concurrency);
	if (!(r = kf_calloc(1, sizeof(*r))))
		return kf_err_set(err, KF_E_NOMEM, "out of memory starting workers");
	if ((rc = kf_match_engine_thread(me, &r->engine, err)) < 0) {
		kf_free(r);
		return rc;
	}
	r->o = *o;
	for (int i = 0; i < o->concurrency; i++)
		kf_queue_owner(r->owner[i], sizeof(r->owner[i]), i);
	if ((rc = kf_run_start(&r->run, o->concurrency, work, keep_leases, r, err)) < 0) {
		kf_match_engine_close(&r->engine);
		kf_free(r);
		return rc;
	}
	kf_pool_add(r->run.pool, KF_POOL_TOTAL, total);
	*out = r;
	return KF_OK;
}

void kf_worker_snapshot(const struct kf_worker_run *r, struct kf_pool_snapshot *s)
{
	kf_run_snapshot(&((struct kf_worker_run *)r)->run, s);
}

void kf_worker_stop(struct kf_worker_run *r)
{
	kf_run_stop(&r->run);
}

int kf_worker_wait(struct kf_worker_run *r, struct kf_err *err)
{
	int rc = kf_run_wait(&r->run, err);

	kf_match_engine_close(&r->engine);
	kf_free(r);
	return rc;
}
