/* pg_queue.h: the job queue on the platform's PostgreSQL (rekognition_photo_jobs),
 * shared by workers on several machines.
 *
 * The same states and rules as the local queue (queue.h): pending -> running
 * -> done, or -> failed (retried at next_attempt_at after a backoff of 2 s
 * doubling to 60 s, +-20% jitter) -> dead after max_attempts, keeping its last
 * error. Every time is the server's (now()), so the clocks of the worker
 * machines do not matter.
 *
 * Claiming is ONE statement, an UPDATE of the row a sub-select picked with
 * FOR UPDATE SKIP LOCKED: two workers never get the same job, and they do not
 * wait for each other. A running job carries a lease (owner and expiry); a
 * live worker renews it, and a job whose lease expired (its worker died or
 * lost the network, on any machine) is claimable again, attempt counted. Each
 * change to a claimed job is refused (KF_E_NOTFOUND) unless the owner still
 * holds it, so a worker that lost its lease never overwrites another's work.
 *
 * Errors are those of kf_pg_exec() (pg.h): KF_E_NET when the connection broke
 * (nothing was changed, or the transaction is lost: retry after reconnecting),
 * KF_E_DB otherwise. Each function runs on the caller's own struct kf_pg: one
 * connection per thread.
 */
#ifndef KF_PG_QUEUE_H
#define KF_PG_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "data/pg.h"
#include "data/queue.h"

/* A claimed job. key is owned by the job (kf_pg_queue_job_release). */
struct kf_pg_job {
	int64_t id, photo_id, gallery_id;	/* platform ids */
	char *key;				/* r2_key: the photo's object key */
	char etag[72];				/* r2_etag of the last run, "" if none */
	int attempts;				/* including this one */
};

/* A lease owner unique across machines and processes: "host:pid:worker:nonce"
 * (written into buf). */
void kf_pg_queue_owner(char *buf, size_t n, int worker);

/* Queue the platform gallery's photos (king_photos): a pending job for each
 * photo that has none (r2_key = file_path); failed and dead jobs keep their
 * state. With `all`, done jobs go back to pending too (attempts 0). *pending
 * gets the number of pending jobs of the gallery after. KF_E_NOTFOUND when
 * king_galleries has no such gallery. One transaction. */
/* Dead jobs (dead), failed ones (failed), or both of the platform gallery back
 * to pending, attempts 0, as kf_queue_requeue() does locally. *n gets how
 * many. */
int kf_pg_queue_requeue(struct kf_pg *pg, int64_t gallery_id, int dead, int failed, int64_t *n,
			struct kf_err *err);

int kf_pg_queue_enqueue(struct kf_pg *pg, int64_t gallery_id, int all, int64_t *pending,
			struct kf_err *err);

/* Claim the next job of the gallery (0: of any gallery), by id: pending,
 * failed with next_attempt_at passed, or running with an expired lease that
 * was not its last attempt (o->max_attempts). On success *job is the
 * caller's. KF_E_NOTFOUND when none is ready. */
int kf_pg_queue_claim(struct kf_pg *pg, int64_t gallery_id, const char *owner,
		      const struct kf_queue_opts *o, struct kf_pg_job *job, struct kf_err *err);

/* When nothing could be claimed: a running job whose lease expired on its
 * last attempt goes dead (its worker stopped on it: the reason says so);
 * then *open gets the gallery's (0: every gallery's) jobs that are not
 * finished (pending, running, failed), *wait_ms the time until the next
 * failed job is due or running lease expires (-1 when none). */
int kf_pg_queue_idle(struct kf_pg *pg, int64_t gallery_id, const struct kf_queue_opts *o,
		     int64_t *open, int64_t *wait_ms, struct kf_err *err);

/* Extend the lease of a job this owner holds. KF_E_NOTFOUND when it lost it. */
int kf_pg_queue_renew(struct kf_pg *pg, int64_t job_id, const char *owner,
		      const struct kf_queue_opts *o, struct kf_err *err);

/* Mark the job done with the photo's ETag (call inside the transaction that
 * stores its results). KF_E_NOTFOUND when the owner no longer holds it: roll
 * the transaction back, another worker has the job. */
int kf_pg_queue_done(struct kf_pg *pg, int64_t job_id, const char *owner, const char *etag,
		     struct kf_err *err);

/* Record a failure of the photo with its reason: failed with a backoff, or
 * dead after o->max_attempts. *dead (may be NULL) tells which. KF_E_NOTFOUND
 * when the owner no longer holds the job. */
int kf_pg_queue_fail(struct kf_pg *pg, int64_t job_id, const char *owner, const char *reason,
		     const struct kf_queue_opts *o, int *dead, struct kf_err *err);

/* Give a claimed job back (pending, the attempt not counted): a clean stop or
 * a failure of the run rather than of the photo. */
int kf_pg_queue_release(struct kf_pg *pg, int64_t job_id, const char *owner,
			struct kf_err *err);

/* Jobs of the gallery (0: any) in state `state`. */
int kf_pg_queue_count(struct kf_pg *pg, int64_t gallery_id, const char *state, int64_t *n,
		      struct kf_err *err);

/* The gallery's jobs, optionally of one state, by r2_key, as the local
 * queue lists them (queue.h: times in ms since the epoch, 0 when NULL). On
 * success *out is the caller's (kf_queue_list_free). */
int kf_pg_queue_list(struct kf_pg *pg, int64_t gallery_id, const char *state,
		     struct kf_job_row **out, size_t *n, struct kf_err *err);

/* Free the job's strings and zero it; NULL-safe. */
void kf_pg_queue_job_release(struct kf_pg_job *job);

#endif
