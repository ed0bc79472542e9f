/* pg_worker.c: worker threads on the PostgreSQL queue (pg_worker.h). */
#include "data/pg_worker.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "core/assign.h"
#include "core/run.h"
#include "core/image.h"
#include "core/match.h"
#include "data/pg.h"
#include "data/pg_gallery.h"
#include "data/pg_queue.h"
#include "data/photo_fetch.h"
#include "data/source_folder.h"

#define MAX_WORKERS 64
#define IDLE_MS 1000		/* waiting for new jobs */
#define WAIT_OTHERS_MS 200	/* until_empty: others still running */
#define RECONNECT_MIN_MS 250
#define RECONNECT_MAX_MS 30000

struct kf_pg_worker_run {
	const struct kf_engine *engine;
	struct kf_pg_worker_opts o;
	struct kf_run run;			/* the workers and the lease keeper; its
						 * lock also serialises on_event */
	_Atomic int64_t slot[MAX_WORKERS];	/* job in flight per worker, 0 none */
	char owner[MAX_WORKERS][200];
};

/* One worker thread's state. */
struct worker {
	struct kf_pg_worker_run *r;
	struct kf_pool *pool;
	int index;
	struct kf_pg pg;
	struct kf_match_gallery g;
	char version[160];			/* of g, "" when none loaded */
	struct kf_arena arena;
};

static void emit(struct kf_pg_worker_run *r, const struct kf_pg_event *ev)
{
	if (!r->o.on_event)
		return;
	pthread_mutex_lock(&r->run.lock);
	r->o.on_event(r->o.ctx, ev);
	pthread_mutex_unlock(&r->run.lock);
}

static void run_failed(struct worker *w, const struct kf_err *err)
{
	kf_run_fail(&w->r->run, w->pool, err);
}

/* Connect, retrying with a backoff while the server cannot be reached.
 * Returns KF_OK, KF_E_CANCELED when stopped first, or a failure of the run
 * (a refused login, not a kingface database). */
static int connect_pg(struct worker *w, struct kf_err *err)
{
	int64_t delay = RECONNECT_MIN_MS;
	int rc;

	for (;;) {
		kf_err_clear(err);
		if ((rc = kf_pg_open(&w->pg, w->r->o.url, err)) != KF_E_NET)
			return rc;
		if (kf_pool_sleep(w->pool, delay))
			return KF_E_CANCELED;
		delay = delay * 2 < RECONNECT_MAX_MS ? delay * 2 : RECONNECT_MAX_MS;
	}
}

/* The connection broke: say so, drop it (connect_pg() makes a new one). The
 * job in flight, if any, is left to its lease. */
static void net_lost(struct worker *w, const struct kf_err *err)
{
	struct kf_pg_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = KF_PG_EVENT_NET;
	ev.worker = w->index;
	ev.reason = err->msg;
	emit(w->r, &ev);
	kf_pg_close(&w->pg);
	memset(w->version, 0, sizeof(w->version));
}

/* The gallery's search index, loaded again when it changed. */
static int gallery_for(struct worker *w, int64_t gallery_id, struct kf_err *err)
{
	char v[sizeof(w->version)];
	int rc;

	if ((rc = kf_pg_gallery_version(&w->pg, gallery_id, v, sizeof(v), err)) < 0)
		return rc;
	if (w->g.id == gallery_id && w->version[0] && strcmp(v, w->version) == 0)
		return KF_OK;
	kf_match_gallery_release(&w->g);
	w->version[0] = '\0';
	if ((rc = kf_pg_gallery_load(&w->pg, gallery_id, &w->g, err)) < 0)
		return rc;
	snprintf(w->version, sizeof(w->version), "%s", v);
	return KF_OK;
}

/* The bucket (--bucket, else KINGFACE_BUCKET): where a photo comes from when
 * --photos does not have it, through the photo cache (no request when the ETag
 * of the last run is cached). On success *buf is the caller's (kf_free) and
 * etag the object's ETag. */
static int bucket_read(const char *bucket, const char *key, const char *known_etag,
		       uint8_t **buf, size_t *len, char *etag, size_t etag_n, struct kf_err *err)
{
	struct kf_photo_local l;
	int rc;

	*buf = NULL;
	*len = 0;
	if ((rc = kf_photo_fetch_bucket(bucket, key, known_etag, &l, err)) < 0)
		return rc;
	snprintf(etag, etag_n, "%s", l.etag);
	rc = kf_image_read_file(l.path, buf, len, err);
	kf_photo_local_release(&l);
	return rc;
}

/* A key that stays inside the photos folder: relative, no ".." component. */
static int key_is_safe(const char *key)
{
	if (!*key || *key == '/')
		return 0;
	for (const char *p = key; *p; ) {
		size_t n = strcspn(p, "/");

		if (n == 2 && p[0] == '.' && p[1] == '.')
			return 0;
		p += n;
		p += *p == '/';
	}
	return 1;
}

/* The photo's bytes and ETag: DIR/<key> when the folder has it, else the
 * bucket. Errors are the photo's. */
static int read_photo(struct kf_pg_worker_run *r, const struct kf_pg_job *job, uint8_t **buf,
		      size_t *len, char *etag, size_t etag_n, struct kf_err *err)
{
	const char *key = job->key;
	char path[4096];
	struct stat sb;
	int rc;

	*buf = NULL;
	if (!key_is_safe(key))
		return kf_err_set(err, KF_E_INVALID, "the key leaves the photo folder");
	if (r->o.photos_dir && snprintf(path, sizeof(path), "%s/%s", r->o.photos_dir, key) <
	    (int)sizeof(path) && stat(path, &sb) == 0) {
		if ((rc = kf_image_read_file(path, buf, len, err)) < 0)
			return rc;
		if (etag_n < 33)
			return kf_err_set(err, KF_E_INVALID, "no room for an ETag");
		kf_source_md5_hex(*buf, *len, etag);
		return KF_OK;
	}
	return bucket_read(r->o.bucket, key, job->etag[0] ? job->etag : NULL, buf, len, etag,
			   etag_n, err);
}

/* The cache entry of key, when valid: *hit set, with its counts. */
static int cache_get(struct kf_pg *pg, const char *key, int *hit, int64_t *faces,
		     int64_t *matches, struct kf_err *err)
{
	const char *p[1] = { key };
	PGresult *res;
	int rc;

	if ((rc = kf_pg_exec(pg, "SELECT coalesce((payload_json->>'faceCount')::bigint, 0), "
			     "coalesce(jsonb_array_length(payload_json->'matches'), 0) FROM "
			     "rekognition_processing_cache WHERE cache_key = $1 AND "
			     "expires_at > now()", 1, p, &res, "read the cache", err)) < 0)
		return rc;
	*hit = PQntuples(res) > 0;
	if (*hit) {
		*faces = kf_pg_int(res, 0, 0);
		*matches = kf_pg_int(res, 0, 1);
	}
	PQclear(res);
	return KF_OK;
}

/* In one transaction: the photo's faces and matches replaced, the cache entry
 * upserted, the job done. KF_E_NOTFOUND (rolled back) when the lease is lost. */
static int store(struct worker *w, const struct kf_pg_job *job, const char *etag,
		 const char *cache_key, const struct kf_match_result *res, const char *payload,
		 int64_t *nmatches, struct kf_err *err)
{
	struct kf_pg *pg = &w->pg;
	char photo[24], gallery[24], idx[24], conf[32], box[200], ttl[24], desc[KF_PG_DESC_HEX];
	PGresult *q;
	int rc;

	*nmatches = 0;
	kf_pg_i64(photo, job->photo_id);
	kf_pg_i64(gallery, job->gallery_id);
	if ((rc = kf_pg_begin(pg, err)) < 0)
		return rc;
	{
		const char *p[1] = { photo };

		if ((rc = kf_pg_exec(pg, "DELETE FROM rekognition_photo_faces WHERE photo_id = $1",
				     1, p, NULL, "replace the photo's faces", err)) < 0)
			goto fail;
	}
	for (size_t i = 0; i < res->nfaces; i++) {
		const struct kf_match_face *f = &res->faces[i];
		const char *p[5] = { photo, kf_pg_i64(idx, (int64_t)i), box, conf, desc };
		int64_t face_id;

		snprintf(box, sizeof(box), "{\"Width\": %.6f, \"Height\": %.6f, \"Left\": %.6f, "
			 "\"Top\": %.6f}", (double)(f->box.width / (float)res->width),
			 (double)(f->box.height / (float)res->height),
			 (double)(f->box.x / (float)res->width),
			 (double)(f->box.y / (float)res->height));
		snprintf(conf, sizeof(conf), "%.4f", (double)f->score * 100.0);
		kf_pg_desc_hex(f->descriptor, desc);
		if (f->no_descriptor)	/* too small to recognise: NULL, as locally */
			p[4] = NULL;
		if ((rc = kf_pg_exec(pg, "INSERT INTO rekognition_photo_faces (photo_id, face_index, "
				     "bounding_box_json, confidence, descriptor) VALUES ($1, $2, "
				     "$3::jsonb, $4, $5::bytea) RETURNING id", 5, p, &q,
				     "store a face", err)) < 0)
			goto fail;
		face_id = kf_pg_int(q, 0, 0);
		PQclear(q);
		for (size_t k = 0; k < f->nhits; k++) {
			char fid[24], cid[24], sim[32];
			const char *m[3] = { kf_pg_i64(fid, face_id),
					     kf_pg_i64(cid, f->hits[k].client_id), sim };

			snprintf(sim, sizeof(sim), "%.4f", (double)f->hits[k].similarity);
			if ((rc = kf_pg_exec(pg, "INSERT INTO rekognition_face_matches (photo_face_id, "
					     "client_id, similarity) VALUES ($1, $2, $3)", 3, m, NULL,
					     "store a match", err)) < 0)
				goto fail;
			(*nmatches)++;
		}
	}
	{
		const char *p[5] = { cache_key, gallery, photo, payload,
				     kf_pg_i64(ttl, w->r->o.match.ttl_ms) };

		if ((rc = kf_pg_exec(pg, "INSERT INTO rekognition_processing_cache (cache_key, "
				     "gallery_id, photo_id, payload_json, expires_at) VALUES ($1, $2, "
				     "$3, $4::jsonb, now() + $5::bigint * interval '1 millisecond') "
				     "ON CONFLICT (cache_key) DO UPDATE SET gallery_id = "
				     "EXCLUDED.gallery_id, photo_id = EXCLUDED.photo_id, payload_json = "
				     "EXCLUDED.payload_json, expires_at = EXCLUDED.expires_at, "
				     "created_at = now()", 5, p, NULL, "write the cache", err)) < 0)
			goto fail;
	}
	if ((rc = kf_pg_queue_done(pg, job->id, w->r->owner[w->index], etag, err)) < 0 ||
	    (rc = kf_pg_commit(pg, err)) < 0)
		goto fail;
	return KF_OK;
fail:
	kf_pg_rollback(pg);
	return rc;
}

/* Match one claimed job into ev. *photo_failed tells that an error is the
 * photo's own (to record on its job); otherwise it is the run's, or KF_E_NET. */
static int process(struct worker *w, const struct kf_pg_job *job, struct kf_pg_event *ev,
		   char *etag, size_t etag_n, int *photo_failed, struct kf_err *err)
{
	struct kf_pg_worker_run *r = w->r;
	const struct kf_photo_match_opts *o = &r->o.match;
	struct kf_match_result res = { 0, 0, 0, NULL };
	char cache_key[1200], *payload = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;
	float threshold;
	int rc, hit = 0;

	*photo_failed = 0;
	if ((rc = gallery_for(w, job->gallery_id, err)) < 0)
		goto out;
	if ((rc = read_photo(r, job, &buf, &len, etag, etag_n, err)) < 0) {
		*photo_failed = 1;
		goto out;
	}
	ev->etag = etag;
	threshold = kf_match_gallery_threshold(&w->g, o->threshold);
	kf_photo_match_key(cache_key, sizeof(cache_key), job->gallery_id, job->key, etag,
			   threshold, o->detect.max_faces);
	if (!o->no_cache &&
	    (rc = cache_get(&w->pg, cache_key, &hit, &ev->faces, &ev->matches, err)) < 0)
		goto out;
	if (hit) {
		ev->kind = KF_PG_EVENT_CACHED;
		rc = kf_pg_queue_done(&w->pg, job->id, r->owner[w->index], etag, err);
		goto out;
	}
	rc = kf_match_photo(r->engine, &o->detect, &w->g.search, threshold, buf, len, &res,
			    &w->arena, err);
	kf_arena_trim(&w->arena, KF_ARENA_KEEP);
	/* as kf_match_engine_match does: one client per photo, ambiguous faces */
	if (rc == KF_OK)
		rc = kf_match_assign(res.faces, res.nfaces, KF_MATCH_MARGIN, err);
	if (rc < 0) {
		*photo_failed = rc != KF_E_NOMEM;
		goto out;
	}
	if (!(payload = kf_photo_match_payload(&w->g, job->photo_id, job->key,
						kf_detector_name(o->detect.detector), &res))) {
		rc = kf_err_set(err, KF_E_NOMEM, "out of memory writing the result");
		goto out;
	}
	ev->kind = KF_PG_EVENT_DONE;
	ev->faces = (int64_t)res.nfaces;
	rc = store(w, job, etag, cache_key, &res, payload, &ev->matches, err);
out:
	/* a reason stored on the photo's job does not repeat its key */
	if (rc < 0 && rc != KF_E_NOTFOUND && !*photo_failed)
		kf_err_context(err, "photo '%s'", job->key);
	kf_free(payload);
	kf_free(buf);
	kf_match_result_release(&res);
	return rc;
}

/* Nothing to claim: wait, or return 1 when the run should end. */
static int idle(struct worker *w, struct kf_err *err)
{
	int64_t open, wait_ms, nap;
	int rc;

	if ((rc = kf_pg_queue_idle(&w->pg, w->r->o.gallery_id, &w->r->o.match.queue, &open,
				   &wait_ms, err)) < 0) {
		if (rc == KF_E_NET) {
			net_lost(w, err);
			return 0;
		}
		run_failed(w, err);
		return 1;
	}
	if (w->r->o.until_empty && open == 0)
		return 1;
	/* a failed job waits out its backoff, a dead worker's lease expires, a
	 * live one's job may still fail and come back */
	nap = w->r->o.until_empty ? WAIT_OTHERS_MS : IDLE_MS;
	if (wait_ms >= 0 && wait_ms + 1 < nap)
		nap = wait_ms + 1;
	return kf_pool_sleep(w->pool, nap);
}

/* One claimed job, start to end. */
static void run_job(struct worker *w, struct kf_pg_job *job)
{
	struct kf_pg_worker_run *r = w->r;
	const char *owner = r->owner[w->index];
	struct kf_err err = KF_ERR_INIT;
	struct kf_pg_event ev;
	char etag[160] = "";
	int rc, photo_failed, dead = 0;

	memset(&ev, 0, sizeof(ev));
	ev.worker = w->index;
	ev.job_id = job->id;
	ev.photo_id = job->photo_id;
	ev.gallery_id = job->gallery_id;
	ev.key = job->key;
	ev.attempts = job->attempts;
	atomic_store(&r->slot[w->index], job->id);
	kf_pool_add(w->pool, KF_POOL_RUNNING, 1);
	kf_pool_add(w->pool, KF_POOL_TOTAL, 1);
	rc = process(w, job, &ev, etag, sizeof(etag), &photo_failed, &err);
	if (rc < 0 && photo_failed) {
		struct kf_err ferr = KF_ERR_INIT;

		rc = kf_pg_queue_fail(&w->pg, job->id, owner, err.msg, &r->o.match.queue, &dead,
				      &ferr);
		ev.kind = dead ? KF_PG_EVENT_DEAD : KF_PG_EVENT_FAILED;
		ev.reason = err.msg;
		if (rc < 0)
			err = ferr;
	}
	/* the lease keeper lets go of the job from here on */
	atomic_store(&r->slot[w->index], 0);
	kf_pool_add(w->pool, KF_POOL_RUNNING, -1);
	if (rc == KF_E_NOTFOUND) {
		ev.kind = KF_PG_EVENT_LOST;
		ev.reason = err.msg;
		emit(r, &ev);
		return;
	}
	if (rc == KF_E_NET) {
		net_lost(w, &err);
		return;
	}
	if (rc == KF_E_BUSY) {
		/* a deadlock or serialization failure, rolled back: try it again */
		kf_pg_queue_release(&w->pg, job->id, owner, NULL);
		return;
	}
	if (rc < 0) {
		/* the run's own failure (database, memory): give the photo back, stop */
		kf_pg_queue_release(&w->pg, job->id, owner, NULL);
		run_failed(w, &err);
		return;
	}
	switch (ev.kind) {
	case KF_PG_EVENT_DONE:
		kf_pool_add(w->pool, KF_POOL_DONE, 1);
		break;
	case KF_PG_EVENT_CACHED:
		kf_pool_add(w->pool, KF_POOL_CACHED, 1);
		break;
	default:
		kf_pool_add(w->pool, dead ? KF_POOL_DEAD : KF_POOL_FAILED, 1);
		break;
	}
	emit(r, &ev);
}

static void work(void *ctx, int index, struct kf_pool *pool)
{
	struct kf_pg_worker_run *r = ctx;
	struct kf_err err = KF_ERR_INIT;
	struct worker w;
	int rc;

	memset(&w, 0, sizeof(w));
	w.r = r;
	w.pool = pool;
	w.index = index;
	kf_arena_init(&w.arena);
	while (!kf_pool_stopping(pool)) {
		struct kf_pg_job job;

		kf_err_clear(&err);
		if (!w.pg.conn) {
			if ((rc = connect_pg(&w, &err)) == KF_E_CANCELED)
				break;
			if (rc < 0) {
				run_failed(&w, &err);
				break;
			}
		}
		rc = kf_pg_queue_claim(&w.pg, r->o.gallery_id, r->owner[index], &r->o.match.queue,
				       &job, &err);
		if (rc == KF_E_NOTFOUND) {
			if (idle(&w, &err))
				break;
			continue;
		}
		if (rc == KF_E_NET) {
			net_lost(&w, &err);
			continue;
		}
		if (rc == KF_E_BUSY) {
			kf_pool_sleep(pool, 50);
			continue;
		}
		if (rc < 0) {
			run_failed(&w, &err);
			break;
		}
		run_job(&w, &job);
		kf_pg_queue_job_release(&job);
	}
	kf_match_gallery_release(&w.g);
	kf_pg_close(&w.pg);
	kf_arena_release(&w.arena);
}

/* The last pool thread: renews the leases of the jobs in flight, on its own
 * connection (made again when it breaks). */
static void keep_leases(void *ctx, struct kf_pool *pool)
{
	struct kf_pg_worker_run *r = ctx;
	struct kf_pg pg;
	int64_t every = r->o.match.queue.lease_ms / 3;

	memset(&pg, 0, sizeof(pg));
	if (every < 50)
		every = 50;
	(void)pool;
	while (kf_run_working(&r->run)) {
		/* short naps, even while stopping (in-flight photos still need their
		 * leases): end soon after the workers do */
		for (int64_t t = 0; t < every && kf_run_working(&r->run); t += 50)
			usleep(50 * 1000);
		for (int i = 0; i < r->o.concurrency; i++) {
			int64_t job = atomic_load(&r->slot[i]);

			if (!job)
				continue;
			if (!pg.conn && kf_pg_open(&pg, r->o.url, NULL) < 0)
				break;
			if (kf_pg_queue_renew(&pg, job, r->owner[i], &r->o.match.queue, NULL) ==
			    KF_E_NET)
				kf_pg_close(&pg);
		}
	}
	kf_pg_close(&pg);
}

int kf_pg_worker_start(const struct kf_engine *e, const struct kf_pg_worker_opts *o,
		       struct kf_pg_worker_run **out, struct kf_err *err)
{
	struct kf_pg_worker_run *r;
	int rc;

	*out = NULL;
	if (o->concurrency < 1 || o->concurrency >= MAX_WORKERS)
		return kf_err_set(err, KF_E_INVALID, "concurrency must be from 1 to %d, not %d",
				  MAX_WORKERS - 1, o->concurrency);
	if (o->match.queue.lease_ms < 150)
		return kf_err_set(err, KF_E_INVALID, "the lease must be at least 150 ms, not %lld",
				  (long long)o->match.queue.lease_ms);
	if (!(r = kf_calloc(1, sizeof(*r))))
		return kf_err_set(err, KF_E_NOMEM, "out of memory starting workers");
	r->engine = e;
	r->o = *o;
	for (int i = 0; i < o->concurrency; i++)
		kf_pg_queue_owner(r->owner[i], sizeof(r->owner[i]), i);
	if ((rc = kf_run_start(&r->run, o->concurrency, work, keep_leases, r, err)) < 0) {
		kf_free(r);
		return rc;
	}
	*out = r;
	return KF_OK;
}

void kf_pg_worker_snapshot(const struct kf_pg_worker_run *r, struct kf_pool_snapshot *s)
{
	kf_run_snapshot(&((struct kf_pg_worker_run *)r)->run, s);
}

void kf_pg_worker_stop(struct kf_pg_worker_run *r)
{
	kf_run_stop(&r->run);
}

int kf_pg_worker_wait(struct kf_pg_worker_run *r, struct kf_err *err)
{
	int rc = kf_run_wait(&r->run, err);

	kf_free(r);
	return rc;
}
