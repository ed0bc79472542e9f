/* pg_queue.c: the job queue on PostgreSQL (pg_queue.h). */
#include "data/pg_queue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"

/* Lease lengths and delays go to the server as milliseconds. */
#define MS "* interval '1 millisecond'"

/* A number in [0, 1), per thread (erand48 with a thread-local state). */
static double random01(void)
{
	static _Thread_local unsigned short xs[3];
	static _Thread_local int seeded;

	if (!seeded) {
		struct timespec ts;
		uint64_t seed;

		clock_gettime(CLOCK_REALTIME, &ts);
		seed = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^
		       ((uint64_t)getpid() << 20) ^ (uint64_t)(uintptr_t)&seeded;
		xs[0] = (unsigned short)seed;
		xs[1] = (unsigned short)(seed >> 16);
		xs[2] = (unsigned short)(seed >> 32);
		seeded = 1;
	}
	return erand48(xs);
}

void kf_pg_queue_owner(char *buf, size_t n, int worker)
{
	char local[160];

	/* host:pid alone may repeat across containers with the same host name */
	kf_queue_owner(local, sizeof(local), worker);
	snprintf(buf, n, "%s:%08x", local, (unsigned)(random01() * 4294967296.0));
}

int kf_pg_queue_requeue(struct kf_pg *pg, int64_t gallery_id, int dead, int failed, int64_t *n,
			struct kf_err *err)
{
	char gbuf[24];
	const char *p[3] = { kf_pg_i64(gbuf, gallery_id), dead ? "dead" : "", failed ? "failed" : "" };
	PGresult *res;
	int rc;

	if ((rc = kf_pg_exec(pg, "WITH r AS (UPDATE rekognition_photo_jobs SET process_status = "
			     "'pending', attempts = 0, next_attempt_at = NULL, lease_owner = NULL, "
			     "lease_expires_at = NULL, updated_at = now() WHERE gallery_id = $1 AND "
			     "process_status IN ($2, $3) RETURNING 1) SELECT count(*) FROM r", 3, p,
			     &res, "requeue jobs", err)) < 0)
		return rc;
	*n = kf_pg_int(res, 0, 0);
	PQclear(res);
	return KF_OK;
}

int kf_pg_queue_enqueue(struct kf_pg *pg, int64_t gallery_id, int all, int64_t *pending,
			struct kf_err *err)
{
	char gbuf[24];
	const char *p[2] = { kf_pg_i64(gbuf, gallery_id), all ? "true" : "false" };
	PGresult *res = NULL;
	int rc;

	if ((rc = kf_pg_begin(pg, err)) < 0)
		return rc;
	if ((rc = kf_pg_exec(pg, "SELECT 1 FROM king_galleries WHERE id = $1", 1, p, &res,
			     "find the gallery", err)) < 0)
		goto fail;
	if (PQntuples(res) == 0) {
		rc = kf_err_set(err, KF_E_NOTFOUND, "PostgreSQL at %s has no gallery %lld "
				"(king_galleries.id)", pg->where, (long long)gallery_id);
		goto fail;
	}
	PQclear(res);
	res = NULL;
	if ((rc = kf_pg_exec(pg, "INSERT INTO rekognition_photo_jobs (gallery_id, photo_id, r2_key) "
			     "SELECT gallery_id, id, file_path FROM king_photos WHERE gallery_id = $1 "
			     "ORDER BY id ON CONFLICT (photo_id) DO NOTHING", 1, p, NULL,
			     "queue the photos", err)) < 0 ||
	    (rc = kf_pg_exec(pg, "UPDATE rekognition_photo_jobs j SET process_status = 'pending', "
			     "attempts = 0, next_attempt_at = NULL, last_error = NULL, "
			     "r2_key = k.file_path, updated_at = now() FROM king_photos k "
			     "WHERE $2::boolean AND k.id = j.photo_id AND j.gallery_id = $1 AND "
			     "j.process_status = 'done'", 2, p, NULL, "queue the photos", err)) < 0 ||
	    (rc = kf_pg_exec(pg, "SELECT count(*) FROM rekognition_photo_jobs WHERE "
			     "gallery_id = $1 AND process_status = 'pending'", 1, p, &res,
			     "count the queued photos", err)) < 0)
		goto fail;
	*pending = kf_pg_int(res, 0, 0);
	PQclear(res);
	return kf_pg_commit(pg, err);
fail:
	PQclear(res);
	kf_pg_rollback(pg);
	return rc;
}

int kf_pg_queue_claim(struct kf_pg *pg, int64_t gallery_id, const char *owner,
		      const struct kf_queue_opts *o, struct kf_pg_job *job, struct kf_err *err)
{
	char gbuf[24], lbuf[24], mbuf[24];
	const char *p[4] = { kf_pg_i64(gbuf, gallery_id), owner, kf_pg_i64(lbuf, o->lease_ms),
			     kf_pg_i64(mbuf, o->max_attempts) };
	PGresult *res;
	int rc;

	memset(job, 0, sizeof(*job));
	/* SKIP LOCKED: a row another worker is claiming right now is passed
	 * over, not waited for; the outer UPDATE then changes the row the
	 * sub-select locked, so no two workers can claim it */
	if ((rc = kf_pg_exec(pg, "UPDATE rekognition_photo_jobs SET process_status = 'running', "
			     "attempts = attempts + 1, lease_owner = $2, "
			     "lease_expires_at = now() + $3::bigint " MS ", updated_at = now() "
			     "WHERE id = (SELECT id FROM rekognition_photo_jobs "
			     "  WHERE ($1::bigint = 0 OR gallery_id = $1) AND "
			     "  (process_status = 'pending' OR "
			     "   (process_status = 'failed' AND next_attempt_at <= now()) OR "
			     "   (process_status = 'running' AND lease_expires_at < now() AND "
			     "    attempts < $4::integer)) "
			     "  ORDER BY id FOR UPDATE SKIP LOCKED LIMIT 1) "
			     "RETURNING id, photo_id, gallery_id, r2_key, attempts, r2_etag", 4, p, &res,
			     "claim a job", err)) < 0)
		return rc;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return KF_E_NOTFOUND;
	}
	job->id = kf_pg_int(res, 0, 0);
	job->photo_id = kf_pg_int(res, 0, 1);
	job->gallery_id = kf_pg_int(res, 0, 2);
	job->attempts = (int)kf_pg_int(res, 0, 4);
	job->key = kf_strdup(kf_pg_str(res, 0, 3));
	if (kf_pg_str(res, 0, 5))
		snprintf(job->etag, sizeof(job->etag), "%s", kf_pg_str(res, 0, 5));
	PQclear(res);
	if (!job->key) {
		/* give it back rather than leave it to the lease */
		kf_pg_queue_release(pg, job->id, owner, NULL);
		memset(job, 0, sizeof(*job));
		return kf_err_set(err, KF_E_NOMEM, "out of memory claiming a job");
	}
	return KF_OK;
}

int kf_pg_queue_idle(struct kf_pg *pg, int64_t gallery_id, const struct kf_queue_opts *o,
		     int64_t *open, int64_t *wait_ms, struct kf_err *err)
{
	char gbuf[24], mbuf[24];
	const char *p[2] = { kf_pg_i64(gbuf, gallery_id), kf_pg_i64(mbuf, o->max_attempts) };
	PGresult *res;
	int rc;

	/* a job whose worker died on its last attempt is not run again (the
	 * claim passes it over): a photo that kills its worker would otherwise
	 * take every worker down in turn */
	if ((rc = kf_pg_exec(pg, "UPDATE rekognition_photo_jobs SET process_status = 'dead', "
			     "last_error = 'its worker stopped on attempt ' || attempts || "
			     "' (lease expired)', lease_owner = NULL, lease_expires_at = NULL, "
			     "next_attempt_at = NULL, updated_at = now() WHERE id IN (SELECT id FROM "
			     "rekognition_photo_jobs WHERE ($1::bigint = 0 OR gallery_id = $1) AND "
			     "process_status = 'running' AND lease_expires_at < now() AND "
			     "attempts >= $2::integer FOR UPDATE SKIP LOCKED)", 2, p, NULL,
			     "read the queue", err)) < 0)
		return rc;
	if ((rc = kf_pg_exec(pg, "SELECT count(*), ceil(1000 * extract(epoch FROM "
			     "min(CASE process_status WHEN 'failed' THEN next_attempt_at "
			     "ELSE lease_expires_at END) - now()))::bigint "
			     "FROM rekognition_photo_jobs WHERE ($1::bigint = 0 OR gallery_id = $1) "
			     "AND process_status IN ('pending', 'running', 'failed')", 1, p, &res,
			     "read the queue", err)) < 0)
		return rc;
	*open = kf_pg_int(res, 0, 0);
	*wait_ms = -1;
	if (kf_pg_str(res, 0, 1))	/* 0 when overdue */
		*wait_ms = kf_pg_int(res, 0, 1) > 0 ? kf_pg_int(res, 0, 1) : 0;
	PQclear(res);
	return KF_OK;
}

/* An UPDATE ... RETURNING id of one job held by owner (parameters $1 job id,
 * $2 owner, then the rest); KF_E_NOTFOUND when it is not held. */
static int owned(struct kf_pg *pg, const char *sql, int n, const char *const *p,
		 const char *what, struct kf_err *err)
{
	PGresult *res;
	int rc, rows;

	if ((rc = kf_pg_exec(pg, sql, n, p, &res, what, err)) < 0)
		return rc;
	rows = PQntuples(res);
	PQclear(res);
	if (rows == 0)
		return kf_err_set(err, KF_E_NOTFOUND, "job %s is no longer held by '%s'", p[0],
				  p[1]);
	return KF_OK;
}

int kf_pg_queue_renew(struct kf_pg *pg, int64_t job_id, const char *owner,
		      const struct kf_queue_opts *o, struct kf_err *err)
{
	char jbuf[24], lbuf[24];
	const char *p[3] = { kf_pg_i64(jbuf, job_id), owner, kf_pg_i64(lbuf, o->lease_ms) };

	return owned(pg, "UPDATE rekognition_photo_jobs SET lease_expires_at = now() + "
		     "$3::bigint " MS " WHERE id = $1 AND process_status = 'running' AND "
		     "lease_owner = $2 RETURNING id", 3, p, "renew a lease", err);
}

int kf_pg_queue_done(struct kf_pg *pg, int64_t job_id, const char *owner, const char *etag,
		     struct kf_err *err)
{
	char jbuf[24];
	const char *p[3] = { kf_pg_i64(jbuf, job_id), owner, etag };

	return owned(pg, "UPDATE rekognition_photo_jobs SET process_status = 'done', "
		     "r2_etag = $3, processed_at = now(), last_error = NULL, "
		     "next_attempt_at = NULL, lease_owner = NULL, lease_expires_at = NULL, "
		     "updated_at = now() WHERE id = $1 AND process_status = 'running' AND "
		     "lease_owner = $2 RETURNING id", 3, p, "finish a job", err);
}

int kf_pg_queue_fail(struct kf_pg *pg, int64_t job_id, const char *owner, const char *reason,
		     const struct kf_queue_opts *o, int *dead, struct kf_err *err)
{
	char jbuf[24], dbuf[24];
	const char *p[5] = { kf_pg_i64(jbuf, job_id), owner, NULL, reason, NULL };
	PGresult *res;
	int rc, attempts, is_dead;

	if ((rc = kf_pg_exec(pg, "SELECT attempts FROM rekognition_photo_jobs WHERE id = $1 AND "
			     "process_status = 'running' AND lease_owner = $2", 2, p, &res,
			     "fail a job", err)) < 0)
		return rc;
	attempts = PQntuples(res) ? (int)kf_pg_int(res, 0, 0) : -1;
	PQclear(res);
	if (attempts < 0)
		return kf_err_set(err, KF_E_NOTFOUND, "job %s is no longer held by '%s'", p[0],
				  owner);
	is_dead = attempts >= o->max_attempts;
	p[2] = is_dead ? "dead" : "failed";
	p[4] = is_dead ? NULL : kf_pg_i64(dbuf, kf_queue_backoff_ms(o, attempts, random01()));
	/* still held: the lease may have gone to another worker since the SELECT */
	if ((rc = owned(pg, "UPDATE rekognition_photo_jobs SET process_status = $3, "
			"last_error = $4, next_attempt_at = now() + $5::bigint " MS ", "
			"lease_owner = NULL, lease_expires_at = NULL, updated_at = now() "
			"WHERE id = $1 AND process_status = 'running' AND lease_owner = $2 "
			"RETURNING id", 5, p, "fail a job", err)) < 0)
		return rc;
	if (dead)
		*dead = is_dead;
	return KF_OK;
}

int kf_pg_queue_release(struct kf_pg *pg, int64_t job_id, const char *owner,
			struct kf_err *err)
{
	char jbuf[24];
	const char *p[2] = { kf_pg_i64(jbuf, job_id), owner };

	return owned(pg, "UPDATE rekognition_photo_jobs SET process_status = 'pending', "
		     "attempts = greatest(attempts - 1, 0), lease_owner = NULL, "
		     "lease_expires_at = NULL, updated_at = now() WHERE id = $1 AND "
		     "process_status = 'running' AND lease_owner = $2 RETURNING id", 2, p,
		     "release a job", err);
}

int kf_pg_queue_count(struct kf_pg *pg, int64_t gallery_id, const char *state, int64_t *n,
		      struct kf_err *err)
{
	char gbuf[24];
	const char *p[2] = { kf_pg_i64(gbuf, gallery_id), state };
	PGresult *res;
	int rc;

	if ((rc = kf_pg_exec(pg, "SELECT count(*) FROM rekognition_photo_jobs WHERE "
			     "($1::bigint = 0 OR gallery_id = $1) AND process_status = $2", 2, p,
			     &res, "count jobs", err)) < 0)
		return rc;
	*n = kf_pg_int(res, 0, 0);
	PQclear(res);
	return KF_OK;
}

/* A copy of column j of row i, NULL for SQL NULL; *fail set when out of memory. */
static char *dup_col(const PGresult *res, int i, int j, int *fail)
{
	const char *v = kf_pg_str(res, i, j);
	char *d = v ? kf_strdup(v) : NULL;

	*fail |= v && !d;
	return d;
}

int kf_pg_queue_list(struct kf_pg *pg, int64_t gallery_id, const char *state,
		     struct kf_job_row **out, size_t *n, struct kf_err *err)
{
	char gbuf[24];
	const char *p[2] = { kf_pg_i64(gbuf, gallery_id), state };
	struct kf_job_row *rows = NULL;
	PGresult *res;
	int rc, nrows, fail = 0;

	*out = NULL;
	*n = 0;
	if ((rc = kf_pg_exec(pg, "SELECT id, photo_id, r2_key, process_status, attempts, "
			     "last_error, coalesce((extract(epoch FROM next_attempt_at) * 1000)"
			     "::bigint, 0), (extract(epoch FROM updated_at) * 1000)::bigint, "
			     "lease_owner FROM rekognition_photo_jobs WHERE gallery_id = $1 AND "
			     "($2::text IS NULL OR process_status = $2) ORDER BY r2_key, id", 2, p,
			     &res, "list jobs", err)) < 0)
		return rc;
	nrows = PQntuples(res);
	if (nrows && !(rows = kf_calloc((size_t)nrows, sizeof(*rows)))) {
		PQclear(res);
		return kf_err_set(err, KF_E_NOMEM, "out of memory listing jobs");
	}
	for (int i = 0; i < nrows; i++) {
		struct kf_job_row *r = &rows[i];

		r->id = kf_pg_int(res, i, 0);
		r->photo_id = kf_pg_int(res, i, 1);
		r->key = dup_col(res, i, 2, &fail);
		snprintf(r->state, sizeof(r->state), "%s", kf_pg_str(res, i, 3));
		r->attempts = (int)kf_pg_int(res, i, 4);
		r->last_error = dup_col(res, i, 5, &fail);
		r->next_attempt_at = kf_pg_int(res, i, 6);
		r->updated_at = kf_pg_int(res, i, 7);
		r->lease_owner = dup_col(res, i, 8, &fail);
	}
	PQclear(res);
	if (fail) {
		kf_queue_list_free(rows, (size_t)nrows);
		return kf_err_set(err, KF_E_NOMEM, "out of memory listing jobs");
	}
	*out = rows;
	*n = (size_t)nrows;
	return KF_OK;
}

void kf_pg_queue_job_release(struct kf_pg_job *job)
{
	if (!job)
		return;
	kf_free(job->key);
	memset(job, 0, sizeof(*job));
}
