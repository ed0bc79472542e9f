/* queue.c: the durable job queue on SQLite (queue.h). */
#include "data/queue.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "data/store_int.h"

static void hostname_of(char *buf, size_t n)
{
	if (gethostname(buf, n) != 0 || !buf[0])
		snprintf(buf, n, "localhost");
	buf[n - 1] = '\0';
	for (char *p = buf; *p; p++)	/* ':' separates the owner's fields */
		if (*p == ':')
			*p = '_';
}

void kf_queue_owner(char *buf, size_t n, int worker)
{
	char host[128];

	hostname_of(host, sizeof(host));
	snprintf(buf, n, "%s:%ld:%d", host, (long)getpid(), worker);
}

int64_t kf_queue_backoff_ms(const struct kf_queue_opts *o, int attempt, double r)
{
	double d = (double)o->backoff_ms;

	for (int i = 1; i < attempt && d < (double)o->backoff_max_ms; i++)
		d *= 2;
	if (d > (double)o->backoff_max_ms)
		d = (double)o->backoff_max_ms;
	d *= 1.0 + o->jitter * (2.0 * r - 1.0);
	if (d > (double)o->backoff_max_ms)
		d = (double)o->backoff_max_ms;
	return d < 0 ? 0 : (int64_t)d;
}

/* Run sql with the given int64 and text parameters; *changes gets the count. */
static int run(struct kf_store *st, const char *sql, const int64_t *ints, int nints,
	       const char *text, int text_at, int64_t *changes, const char *what,
	       struct kf_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = kf_store_prepare(st, &s, sql, err)) < 0)
		return rc;
	for (int i = 0; i < nints; i++)
		sqlite3_bind_int64(s, i + 1, ints[i]);
	if (text_at > 0)
		kf_store_bind_text(s, text_at, text);
	if ((rc = kf_store_step_done(st, s, what, err)) < 0)
		return rc;
	if (changes)
		*changes = sqlite3_changes(st->db);
	return KF_OK;
}

int kf_queue_enqueue(struct kf_store *st, int64_t gallery_id, int all, int64_t *queued,
		     struct kf_err *err)
{
	int64_t p[3] = { gallery_id, all, kf_store_now_ms() };
	sqlite3_stmt *s;
	int rc;

	/* every photo has a job row since import; make sure of it anyway */
	if ((rc = kf_store_begin(st, err)) < 0)
		return rc;
	if ((rc = run(st, "INSERT INTO photo_jobs(photo_id, updated_at) SELECT id, ?3 FROM photos "
		      "WHERE gallery_id = ?1 ON CONFLICT(photo_id) DO NOTHING",
		      p, 3, NULL, 0, NULL, "enqueue", err)) < 0 ||
	    (rc = run(st, "UPDATE photo_jobs SET state = 'pending', attempts = 0, "
		      "next_attempt_at = NULL, last_error = NULL, updated_at = ?3 "
		      "WHERE ?2 AND state = 'done' AND photo_id IN "
		      "(SELECT id FROM photos WHERE gallery_id = ?1 AND NOT missing)",
		      p, 3, NULL, 0, NULL, "enqueue", err)) < 0)
		goto fail;
	if ((rc = kf_store_prepare(st, &s, "SELECT count(*) FROM photo_jobs j JOIN photos p ON "
				   "p.id = j.photo_id WHERE p.gallery_id = ?1 AND NOT p.missing "
				   "AND j.state IN ('pending', 'failed')", err)) < 0)
		goto fail;
	sqlite3_bind_int64(s, 1, gallery_id);
	rc = sqlite3_step(s);
	*queued = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW) {
		rc = kf_store_fail(st, rc, "enqueue", err);
		goto fail;
	}
	return kf_store_commit(st, err);
fail:
	kf_store_rollback(st);
	return rc;
}

static int next_wait(struct kf_store *st, int64_t gallery_id, int64_t now, int64_t *wait_ms,
		     struct kf_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = kf_store_prepare(st, &s, "SELECT min(j.next_attempt_at) FROM photo_jobs j "
				   "JOIN photos p ON p.id = j.photo_id WHERE (?1 = 0 OR "
				   "p.gallery_id = ?1) AND NOT p.missing AND j.state = 'failed'",
				   err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, gallery_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		if (sqlite3_column_type(s, 0) == SQLITE_NULL) {
			*wait_ms = -1;
		} else {
			int64_t at = sqlite3_column_int64(s, 0);
			*wait_ms = at > now ? at - now : 0;
		}
	}
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? KF_OK : kf_store_fail(st, rc, "read queue", err);
}

int kf_queue_claim(struct kf_store *st, int64_t gallery_id, const char *owner,
		   const struct kf_queue_opts *o, struct kf_job *job, int64_t *wait_ms,
		   struct kf_err *err)
{
	int64_t now = kf_store_now_ms();
	sqlite3_stmt *s;
	int rc;

	memset(job, 0, sizeof(*job));
	if ((rc = kf_store_prepare(st, &s,
			"UPDATE photo_jobs SET state = 'running', attempts = attempts + 1, "
			"lease_owner = ?2, lease_expires_at = ?3, updated_at = ?4 "
			"WHERE id = (SELECT j.id FROM photo_jobs j JOIN photos p ON p.id = j.photo_id "
			"  WHERE (?1 = 0 OR p.gallery_id = ?1) AND NOT p.missing AND "
			"  (j.state = 'pending' OR (j.state = 'failed' AND "
			"   coalesce(j.next_attempt_at, 0) <= ?4)) "
			"  ORDER BY j.state = 'failed', p.id LIMIT 1) "
			"RETURNING id, photo_id, attempts", err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, gallery_id);
	sqlite3_bind_text(s, 2, owner, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, now + o->lease_ms);
	sqlite3_bind_int64(s, 4, now);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		job->id = sqlite3_column_int64(s, 0);
		job->photo_id = sqlite3_column_int64(s, 1);
		job->attempts = sqlite3_column_int(s, 2);
	}
	sqlite3_finalize(s);
	if (rc == SQLITE_DONE) {
		if (wait_ms && (rc = next_wait(st, gallery_id, now, wait_ms, err)) < 0)
			return rc;
		return KF_E_NOTFOUND;
	}
	if (rc != SQLITE_ROW)
		return kf_store_fail(st, rc, "claim a job", err);

	if ((rc = kf_store_prepare(st, &s, "SELECT gallery_id, key, path, etag FROM photos "
				   "WHERE id = ?1", err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, job->photo_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		job->gallery_id = sqlite3_column_int64(s, 0);
		if (kf_store_col_strdup(s, 1, &job->key) < 0 ||
		    kf_store_col_strdup(s, 2, &job->path) < 0 ||
		    kf_store_col_strdup(s, 3, &job->etag) < 0)
			rc = SQLITE_NOMEM;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW) {
		kf_queue_job_release(job);
		return kf_store_fail(st, rc, "read a claimed job", err);
	}
	return KF_OK;
}

int kf_queue_claim_photo(struct kf_store *st, int64_t photo_id, const char *owner,
			 const struct kf_queue_opts *o, int64_t *job_id, struct kf_err *err)
{
	int64_t now = kf_store_now_ms();
	sqlite3_stmt *s;
	int rc;

	if ((rc = kf_store_prepare(st, &s,
			"INSERT INTO photo_jobs(photo_id, state, attempts, lease_owner, "
			"lease_expires_at, updated_at) VALUES (?1, 'running', 1, ?2, ?3, ?4) "
			"ON CONFLICT(photo_id) DO UPDATE SET state = 'running', "
			"attempts = CASE WHEN state IN ('done', 'dead') THEN 1 ELSE attempts + 1 END, "
			"lease_owner = ?2, lease_expires_at = ?3, updated_at = ?4 "
			"WHERE state <> 'running' OR lease_expires_at < ?4 OR lease_owner = ?2 "
			"RETURNING id", err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, photo_id);
	sqlite3_bind_text(s, 2, owner, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, now + o->lease_ms);
	sqlite3_bind_int64(s, 4, now);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*job_id = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	if (rc == SQLITE_DONE)
		return kf_err_set(err, KF_E_BUSY, "the photo is being processed by a worker; try "
				  "again when it is done");
	return rc == SQLITE_ROW ? KF_OK : kf_store_fail(st, rc, "claim the photo's job", err);
}

/* An UPDATE of one job held by owner; KF_E_NOTFOUND when it is not held. */
static int owned_update(struct kf_store *st, const char *sql, int64_t job_id, int64_t a,
			int64_t b, const char *owner, const char *what, struct kf_err *err)
{
	int64_t p[4] = { job_id, kf_store_now_ms(), a, b }, changed;
	sqlite3_stmt *s;
	int rc;

	if ((rc = kf_store_prepare(st, &s, sql, err)) < 0)
		return rc;
	for (int i = 0; i < 4; i++)
		sqlite3_bind_int64(s, i + 1, p[i]);
	sqlite3_bind_text(s, 5, owner, -1, SQLITE_STATIC);
	if ((rc = kf_store_step_done(st, s, what, err)) < 0)
		return rc;
	changed = sqlite3_changes(st->db);
	if (changed == 0)
		return kf_err_set(err, KF_E_NOTFOUND, "job %lld is no longer held by '%s'",
				  (long long)job_id, owner);
	return KF_OK;
}

int kf_queue_renew(struct kf_store *st, int64_t job_id, const char *owner,
		   const struct kf_queue_opts *o, struct kf_err *err)
{
	return owned_update(st, "UPDATE photo_jobs SET lease_expires_at = ?2 + ?3 "
			    "WHERE id = ?1 AND state = 'running' AND lease_owner = ?5",
			    job_id, o->lease_ms, 0, owner, "renew a lease", err);
}

int kf_queue_done(struct kf_store *st, int64_t job_id, const char *owner, const char *etag,
		  struct kf_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = kf_store_prepare(st, &s, "UPDATE photo_jobs SET state = 'done', "
				   "last_error = NULL, next_attempt_at = NULL, lease_owner = NULL, "
				   "lease_expires_at = NULL, etag = ?3, processed_at = ?2, "
				   "updated_at = ?2 WHERE id = ?1 AND state = 'running' AND "
				   "lease_owner = ?4", err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, job_id);
	sqlite3_bind_int64(s, 2, kf_store_now_ms());
	kf_store_bind_text(s, 3, etag);
	sqlite3_bind_text(s, 4, owner, -1, SQLITE_STATIC);
	if ((rc = kf_store_step_done(st, s, "finish a job", err)) < 0)
		return rc;
	if (sqlite3_changes(st->db) == 0)
		return kf_err_set(err, KF_E_NOTFOUND, "job %lld is no longer held by '%s'",
				  (long long)job_id, owner);
	return KF_OK;
}

/* A number in [0, 1) for the jitter; per thread (drand48's state is shared). */
static double jitter_random(void)
{
	static _Thread_local unsigned short xs[3];
	static _Thread_local int seeded;

	if (!seeded) {
		uint64_t seed = (uint64_t)kf_store_now_ms() ^ ((uint64_t)getpid() << 20) ^
				(uint64_t)(uintptr_t)&seeded;

		xs[0] = (unsigned short)seed;
		xs[1] = (unsigned short)(seed >> 16);
		xs[2] = (unsigned short)(seed >> 32);
		seeded = 1;
	}
	return erand48(xs);
}

int kf_queue_fail(struct kf_store *st, int64_t job_id, const char *owner, const char *reason,
		  const struct kf_queue_opts *o, int *dead, struct kf_err *err)
{
	int64_t now = kf_store_now_ms();
	sqlite3_stmt *s;
	int rc, attempts;

	if ((rc = kf_store_prepare(st, &s, "SELECT attempts FROM photo_jobs WHERE id = ?1 AND "
				   "state = 'running' AND lease_owner = ?2", err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, job_id);
	sqlite3_bind_text(s, 2, owner, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	attempts = rc == SQLITE_ROW ? sqlite3_column_int(s, 0) : 0;
	sqlite3_finalize(s);
	if (rc == SQLITE_DONE)
		return kf_err_set(err, KF_E_NOTFOUND, "job %lld is no longer held by '%s'",
				  (long long)job_id, owner);
	if (rc != SQLITE_ROW)
		return kf_store_fail(st, rc, "fail a job", err);

	int is_dead = attempts >= o->max_attempts;
	int64_t next = is_dead ? 0 : now + kf_queue_backoff_ms(o, attempts, jitter_random());

	/* still held by owner: the lease may have expired and the job gone to
	 * another worker since the SELECT */
	if ((rc = kf_store_prepare(st, &s, "UPDATE photo_jobs SET state = ?2, last_error = ?3, "
				   "next_attempt_at = ?4, lease_owner = NULL, lease_expires_at = NULL, "
				   "updated_at = ?5 WHERE id = ?1 AND state = 'running' AND "
				   "lease_owner = ?6", err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, job_id);
	sqlite3_bind_text(s, 2, is_dead ? "dead" : "failed", -1, SQLITE_STATIC);
	kf_store_bind_text(s, 3, reason);
	if (is_dead)
		sqlite3_bind_null(s, 4);
	else
		sqlite3_bind_int64(s, 4, next);
	sqlite3_bind_int64(s, 5, now);
	sqlite3_bind_text(s, 6, owner, -1, SQLITE_STATIC);
	if ((rc = kf_store_step_done(st, s, "fail a job", err)) < 0)
		return rc;
	if (sqlite3_changes(st->db) == 0)
		return kf_err_set(err, KF_E_NOTFOUND, "job %lld is no longer held by '%s'",
				  (long long)job_id, owner);
	if (dead)
		*dead = is_dead;
	return KF_OK;
}

int kf_queue_release(struct kf_store *st, int64_t job_id, const char *owner,
		     struct kf_err *err)
{
	return owned_update(st, "UPDATE photo_jobs SET state = 'pending', attempts = "
			    "max(attempts - 1, 0), lease_owner = NULL, lease_expires_at = NULL, "
			    "updated_at = ?2 WHERE id = ?1 AND state = 'running' AND "
			    "lease_owner = ?5", job_id, 0, 0, owner, "release a job", err);
}

/* Is the owner "host:pid:worker" a process of this host that has exited? */
static int owner_is_dead(const char *owner, const char *host)
{
	size_t hl = strlen(host);
	char *end;
	long pid;

	if (strncmp(owner, host, hl) != 0 || owner[hl] != ':')
		return 0;
	pid = strtol(owner + hl + 1, &end, 10);
	if (pid <= 0 || *end != ':')
		return 0;
	return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

int kf_queue_reclaim(struct kf_store *st, int64_t *n, struct kf_err *err)
{
	int64_t now = kf_store_now_ms(), total = 0, changed;
	char host[128];
	sqlite3_stmt *s;
	int rc;

	hostname_of(host, sizeof(host));
	if ((rc = kf_store_begin(st, err)) < 0)
		return rc;
	if ((rc = run(st, "UPDATE photo_jobs SET state = 'pending', lease_owner = NULL, "
		      "lease_expires_at = NULL, updated_at = ?1 WHERE state = 'running' AND "
		      "lease_expires_at < ?1", &now, 1, NULL, 0, &total, "reclaim jobs", err)) < 0)
		goto fail;
	if ((rc = kf_store_prepare(st, &s, "SELECT id, lease_owner FROM photo_jobs WHERE "
				   "state = 'running' AND lease_owner IS NOT NULL", err)) < 0)
		goto fail;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t p[2] = { sqlite3_column_int64(s, 0), now };

		if (!owner_is_dead((const char *)sqlite3_column_text(s, 1), host))
			continue;
		if ((rc = run(st, "UPDATE photo_jobs SET state = 'pending', lease_owner = NULL, "
			      "lease_expires_at = NULL, updated_at = ?2 WHERE id = ?1", p, 2,
			      NULL, 0, &changed, "reclaim jobs", err)) < 0) {
			sqlite3_finalize(s);
			goto fail;
		}
		total += changed;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		rc = kf_store_fail(st, rc, "reclaim jobs", err);
		goto fail;
	}
	if ((rc = kf_store_commit(st, err)) < 0)
		goto fail;
	if (n)
		*n = total;
	return KF_OK;
fail:
	kf_store_rollback(st);
	return rc;
}

int kf_queue_requeue(struct kf_store *st, int64_t gallery_id, enum kf_requeue_which which,
		     int64_t *n, struct kf_err *err)
{
	int64_t p[4] = { gallery_id, kf_store_now_ms(), (which & KF_REQUEUE_DEAD) != 0,
			 (which & KF_REQUEUE_FAILED) != 0 };

	return run(st, "UPDATE photo_jobs SET state = 'pending', attempts = 0, "
		   "next_attempt_at = NULL, updated_at = ?2 WHERE ((?3 AND state = 'dead') OR "
		   "(?4 AND state = 'failed')) AND photo_id IN (SELECT id FROM photos WHERE "
		   "gallery_id = ?1)", p, 4, NULL, 0, n, "re-queue jobs", err);
}

int kf_queue_count(struct kf_store *st, int64_t gallery_id, const char *state, int64_t *n,
		   struct kf_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = kf_store_prepare(st, &s, "SELECT count(*) FROM photo_jobs j JOIN photos p ON "
				   "p.id = j.photo_id WHERE (?1 = 0 OR p.gallery_id = ?1) AND "
				   "j.state = ?2", err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, gallery_id);
	sqlite3_bind_text(s, 2, state, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	*n = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? KF_OK : kf_store_fail(st, rc, "count jobs", err);
}

static void release_row(void *row)
{
	struct kf_job_row *r = row;

	kf_free(r->key);
	kf_free(r->last_error);
	kf_free(r->lease_owner);
}

static int read_row(sqlite3_stmt *s, void *row)
{
	struct kf_job_row *r = row;

	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(s, 0);
	r->photo_id = sqlite3_column_int64(s, 1);
	snprintf(r->state, sizeof(r->state), "%s", (const char *)sqlite3_column_text(s, 3));
	r->attempts = sqlite3_column_int(s, 4);
	r->next_attempt_at = sqlite3_column_int64(s, 6);
	r->updated_at = sqlite3_column_int64(s, 7);
	if (kf_store_col_strdup(s, 2, &r->key) < 0 || kf_store_col_strdup(s, 5, &r->last_error) < 0 ||
	    kf_store_col_strdup(s, 8, &r->lease_owner) < 0) {
		release_row(r);
		return KF_E_NOMEM;
	}
	return KF_OK;
}


int kf_queue_list(struct kf_store *st, int64_t gallery_id, const char *state,
		  struct kf_job_row **out, size_t *n, struct kf_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = kf_store_prepare(st, &s, "SELECT j.id, j.photo_id, p.key, j.state, j.attempts, "
				   "j.last_error, coalesce(j.next_attempt_at, 0), j.updated_at, "
				   "j.lease_owner FROM photo_jobs j JOIN photos p ON p.id = j.photo_id "
				   "WHERE p.gallery_id = ?1 AND (?2 IS NULL OR j.state = ?2) "
				   "ORDER BY p.key", err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, gallery_id);
	kf_store_bind_text(s, 2, state);
	return kf_store_collect(st, s, sizeof(**out), read_row, release_row, (void **)out, n,
				"list jobs", err);
}

void kf_queue_job_release(struct kf_job *job)
{
	if (!job)
		return;
	kf_free(job->key);
	kf_free(job->path);
	kf_free(job->etag);
	memset(job, 0, sizeof(*job));
}

void kf_queue_list_free(struct kf_job_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		release_row(&rows[i]);
	kf_free(rows);
}
