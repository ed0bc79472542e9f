/* queue.h: the durable job queue, one job per photo (table photo_jobs).
 *
 * States: pending -> running -> done, or -> failed (retried at next_attempt_at,
 * after an exponential backoff with jitter) -> dead after max_attempts, where a
 * job keeps its last error until an operator re-queues it.
 *
 * Claiming is one UPDATE ... RETURNING statement, so it is atomic across
 * threads and processes sharing the database. A running job carries a lease
 * (owner "host:pid:worker" and an expiry) that a live worker renews; a job
 * whose lease expired, or whose owner is a process of this host that no longer
 * exists, goes back to pending (kf_queue_reclaim), so a killed `process`
 * resumes where it stopped and no job is ever run by two workers at once.
 *
 * Each function runs on the caller's own struct kf_store (one per thread).
 */
#ifndef KF_QUEUE_H
#define KF_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "data/store.h"

struct kf_queue_opts {
	int max_attempts;		/* failures before dead (default 3) */
	int64_t backoff_ms;		/* first retry delay (default 2000) */
	int64_t backoff_max_ms;		/* cap (default 60000) */
	double jitter;			/* +- fraction of the delay (default 0.2) */
	int64_t lease_ms;		/* lease length (default 60000) */
};

#define KF_QUEUE_OPTS_DEFAULT { 3, 2000, 60000, 0.2, 60000 }

/* A claimed job. Strings are owned by the job (kf_queue_job_release). */
struct kf_job {
	int64_t id, photo_id, gallery_id;
	char *key, *path, *etag;
	int attempts;			/* including this one */
};

/* A job as listed for operators. */
struct kf_job_row {
	int64_t id, photo_id;
	char *key;
	char state[8];
	int attempts;
	char *last_error;
	int64_t next_attempt_at, updated_at;
	char *lease_owner;
};

/* This process's lease owner prefix "host:pid" (written into buf). */
void kf_queue_owner(char *buf, size_t n, int worker);

/* Queue the gallery's photos that are not done: new and changed photos are
 * pending already (import resets them), failed ones keep waiting for their
 * retry, dead ones stay dead until kf_queue_requeue(). With `all`, done photos
 * go back to pending too (attempts 0). Photos missing from their source are
 * left alone. *queued gets the number of jobs a run works through: pending
 * ones and failed ones waiting for their retry. */
int kf_queue_enqueue(struct kf_store *st, int64_t gallery_id, int all, int64_t *queued,
		     struct kf_err *err);

/* Claim the next ready job of the gallery (gallery_id 0: of any gallery):
 * pending, or failed with next_attempt_at passed. Returns KF_E_NOTFOUND when
 * none is ready; then *wait_ms (may be NULL) gets the time until the next
 * failed job becomes ready, or -1 when the gallery has none waiting. */
int kf_queue_claim(struct kf_store *st, int64_t gallery_id, const char *owner,
		   const struct kf_queue_opts *o, struct kf_job *job, int64_t *wait_ms,
		   struct kf_err *err);

/* Claim the job of one photo whatever its state (the `match` command), unless
 * another worker holds it with a live lease (KF_E_BUSY). *job_id gets its id. */
int kf_queue_claim_photo(struct kf_store *st, int64_t photo_id, const char *owner,
			 const struct kf_queue_opts *o, int64_t *job_id, struct kf_err *err);

/* Extend the lease of a job this owner holds. KF_E_NOTFOUND when it lost it. */
int kf_queue_renew(struct kf_store *st, int64_t job_id, const char *owner,
		   const struct kf_queue_opts *o, struct kf_err *err);

/* Mark a claimed job done (call inside the transaction that stores its
 * results). KF_E_NOTFOUND when the owner no longer holds it. */
int kf_queue_done(struct kf_store *st, int64_t job_id, const char *owner, const char *etag,
		  struct kf_err *err);

/* Record a failure: failed with a backoff, or dead after max_attempts.
 * *dead (may be NULL) tells which. */
int kf_queue_fail(struct kf_store *st, int64_t job_id, const char *owner, const char *reason,
		  const struct kf_queue_opts *o, int *dead, struct kf_err *err);

/* Give a claimed job back (pending, the attempt not counted): for a clean stop. */
int kf_queue_release(struct kf_store *st, int64_t job_id, const char *owner,
		     struct kf_err *err);

/* Running jobs back to pending when their lease expired or their owner is a
 * dead process of this host. *n (may be NULL) gets how many. */
int kf_queue_reclaim(struct kf_store *st, int64_t *n, struct kf_err *err);

enum kf_requeue_which { KF_REQUEUE_DEAD = 1, KF_REQUEUE_FAILED = 2, KF_REQUEUE_ALL = 3 };

/* Dead and/or failed jobs of the gallery back to pending, attempts 0. */
int kf_queue_requeue(struct kf_store *st, int64_t gallery_id, enum kf_requeue_which which,
		     int64_t *n, struct kf_err *err);

/* Jobs of the gallery (0: any) in state `state`. */
int kf_queue_count(struct kf_store *st, int64_t gallery_id, const char *state, int64_t *n,
		   struct kf_err *err);

/* The gallery's jobs, optionally of one state, by key. */
int kf_queue_list(struct kf_store *st, int64_t gallery_id, const char *state,
		  struct kf_job_row **out, size_t *n, struct kf_err *err);

/* The backoff before retry number `attempt` (1 = after the first failure),
 * with jitter drawn from r in [0, 1). */
int64_t kf_queue_backoff_ms(const struct kf_queue_opts *o, int attempt, double r);

void kf_queue_job_release(struct kf_job *job);
void kf_queue_list_free(struct kf_job_row *rows, size_t n);

#endif
