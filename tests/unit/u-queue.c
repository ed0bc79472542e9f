/* u-queue.c: the durable job queue: claim order and atomicity, leases,
 * backoff, dead letters, re-queue, and reclaiming jobs of dead processes. */
#include "testutil.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "data/queue.h"
#include "data/store.h"
#include "data/store_gallery.h"
#include "data/store_photo.h"

#define PHOTOS 40

static const char *db_path;
static int64_t gallery;

/* A fresh database with one gallery of PHOTOS pending photos. */
static struct kf_store *fixture(void)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_store *st;
	char key[32];

	db_path = kf_test_path("%s/q.db", kf_test_tmpdir());
	assert_int_equal(kf_store_open(&st, db_path, KF_STORE_CREATE, &err), KF_OK);
	assert_int_equal(kf_store_gallery_create(st, "g", "/g", &gallery, &err), KF_OK);
	assert_int_equal(kf_store_begin(st, &err), KF_OK);
	for (int i = 0; i < PHOTOS; i++) {
		struct kf_photo_file f = { .key = key, .path = "/g/x.jpg", .etag = "e" };

		snprintf(key, sizeof(key), "p%03d.jpg", i);
		assert_int_equal(kf_store_photo_put(st, gallery, &f, NULL, &err), KF_OK);
	}
	assert_int_equal(kf_store_commit(st, &err), KF_OK);
	return st;
}

static int count_state(struct kf_store *st, const char *state)
{
	sqlite3_stmt *s;
	int n;

	sqlite3_prepare_v2(st->db, "SELECT count(*) FROM photo_jobs WHERE state = ?1", -1, &s, NULL);
	sqlite3_bind_text(s, 1, state, -1, SQLITE_STATIC);
	sqlite3_step(s);
	n = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return n;
}

static void test_backoff(void **state)
{
	struct kf_queue_opts o = KF_QUEUE_OPTS_DEFAULT;
	static const struct { int attempt; double r; int64_t ms; } rows[] = {
		{ 1, 0.5, 2000 }, { 2, 0.5, 4000 }, { 3, 0.5, 8000 }, { 5, 0.5, 32000 },
		{ 6, 0.5, 60000 }, { 30, 0.5, 60000 }, { 1, 0.0, 1600 }, { 1, 0.999999, 2399 },
		{ 6, 0.0, 48000 }, { 6, 0.999999, 60000 },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		assert_int_equal(kf_queue_backoff_ms(&o, rows[i].attempt, rows[i].r), rows[i].ms);
}

static void test_claim_done_fail_dead_requeue(void **state)
{
	struct kf_queue_opts o = KF_QUEUE_OPTS_DEFAULT;
	struct kf_err err = KF_ERR_INIT;
	struct kf_store *st = fixture();
	struct kf_job job, job2;
	int64_t wait, n;
	int dead;
	(void)state;

	o.max_attempts = 2;
	o.backoff_ms = 50;
	o.backoff_max_ms = 50;
	o.jitter = 0;
	assert_int_equal(kf_queue_claim(st, gallery, "h:1:0", &o, &job, &wait, &err), KF_OK);
	assert_string_equal(job.key, "p000.jpg");
	assert_int_equal(job.attempts, 1);
	assert_int_equal(kf_queue_done(st, job.id, "h:1:0", "e", &err), KF_OK);
	/* a second done by a worker that no longer holds it is refused */
	assert_int_equal(kf_queue_done(st, job.id, "h:1:0", "e", &err), KF_E_NOTFOUND);
	kf_err_clear(&err);
	kf_queue_job_release(&job);

	assert_int_equal(kf_queue_claim(st, gallery, "h:1:0", &o, &job, NULL, &err), KF_OK);
	assert_int_equal(kf_queue_fail(st, job.id, "h:1:0", "corrupt JPEG", &o, &dead, &err), KF_OK);
	assert_false(dead);
	/* a run still has all of them to work through, the failed one too */
	assert_int_equal(kf_queue_enqueue(st, gallery, 0, &n, &err), KF_OK);
	assert_int_equal(n, PHOTOS - 1);
	/* the failed job waits its backoff: the others come first */
	for (int i = 2; i < PHOTOS; i++) {
		assert_int_equal(kf_queue_claim(st, gallery, "h:1:0", &o, &job2, NULL, &err), KF_OK);
		assert_int_not_equal(job2.id, job.id);
		assert_int_equal(kf_queue_done(st, job2.id, "h:1:0", "e", &err), KF_OK);
		kf_queue_job_release(&job2);
	}
	usleep(60 * 1000);
	assert_int_equal(kf_queue_claim(st, gallery, "h:1:0", &o, &job2, &wait, &err), KF_OK);
	assert_int_equal(job2.id, job.id);
	assert_int_equal(job2.attempts, 2);
	assert_int_equal(kf_queue_fail(st, job.id, "h:1:0", "corrupt JPEG", &o, &dead, &err), KF_OK);
	assert_true(dead);
	kf_queue_job_release(&job2);
	assert_int_equal(kf_queue_claim(st, gallery, "h:1:0", &o, &job2, &wait, &err), KF_E_NOTFOUND);
	assert_int_equal(wait, -1);	/* nothing left to wait for */
	kf_err_clear(&err);
	assert_int_equal(count_state(st, "dead"), 1);
	assert_int_equal(count_state(st, "done"), PHOTOS - 1);

	struct kf_job_row *rows;
	size_t nrows;
	assert_int_equal(kf_queue_list(st, gallery, "dead", &rows, &nrows, &err), KF_OK);
	assert_int_equal(nrows, 1);
	assert_string_equal(rows[0].last_error, "corrupt JPEG");
	assert_int_equal(rows[0].attempts, 2);
	kf_queue_list_free(rows, nrows);

	assert_int_equal(kf_queue_requeue(st, gallery, KF_REQUEUE_DEAD, &n, &err), KF_OK);
	assert_int_equal(n, 1);
	assert_int_equal(count_state(st, "pending"), 1);
	/* enqueue with all: everything pending again */
	assert_int_equal(kf_queue_enqueue(st, gallery, 1, &n, &err), KF_OK);
	assert_int_equal(n, PHOTOS);
	kf_queue_job_release(&job);
	kf_store_close(st);
}

static void test_reclaim_expired_and_dead_owner(void **state)
{
	struct kf_queue_opts o = KF_QUEUE_OPTS_DEFAULT;
	struct kf_err err = KF_ERR_INIT;
	struct kf_store *st = fixture();
	struct kf_job a, b, c;
	char dead_owner[160], live_owner[160];
	int64_t n;
	pid_t child;
	(void)state;

	/* a: short lease that expires; b: held by an exited process of this host;
	 * c: held by this live process */
	child = fork();
	if (child == 0)
		_exit(0);
	waitpid(child, NULL, 0);
	kf_queue_owner(live_owner, sizeof(live_owner), 0);
	snprintf(dead_owner, sizeof(dead_owner), "%.*s:%ld:0",
		 (int)(strchr(live_owner, ':') - live_owner), live_owner, (long)child);

	o.lease_ms = 1;
	assert_int_equal(kf_queue_claim(st, gallery, "elsewhere:1:0", &o, &a, NULL, &err), KF_OK);
	o.lease_ms = 60000;
	assert_int_equal(kf_queue_claim(st, gallery, dead_owner, &o, &b, NULL, &err), KF_OK);
	assert_int_equal(kf_queue_claim(st, gallery, live_owner, &o, &c, NULL, &err), KF_OK);
	usleep(5 * 1000);
	assert_int_equal(kf_queue_reclaim(st, &n, &err), KF_OK);
	assert_int_equal(n, 2);
	assert_int_equal(count_state(st, "running"), 1);
	assert_int_equal(kf_queue_renew(st, c.id, live_owner, &o, &err), KF_OK);
	assert_int_equal(kf_queue_renew(st, b.id, dead_owner, &o, &err), KF_E_NOTFOUND);
	kf_err_clear(&err);
	assert_int_equal(kf_queue_release(st, c.id, live_owner, &err), KF_OK);
	assert_int_equal(count_state(st, "pending"), PHOTOS);
	kf_queue_job_release(&a);
	kf_queue_job_release(&b);
	kf_queue_job_release(&c);
	kf_store_close(st);
}

struct worker {
	int id, done;
	int64_t claimed[PHOTOS];
};

static void *work(void *arg)
{
	struct kf_queue_opts o = KF_QUEUE_OPTS_DEFAULT;
	struct kf_err err = KF_ERR_INIT;
	struct worker *w = arg;
	struct kf_store *st;
	struct kf_job job;
	char owner[64];
	int rc;

	snprintf(owner, sizeof(owner), "test:1:%d", w->id);
	if (kf_store_open(&st, db_path, 0, &err) < 0)
		return NULL;
	while ((rc = kf_queue_claim(st, gallery, owner, &o, &job, NULL, &err)) == KF_OK) {
		w->claimed[w->done++] = job.id;
		kf_queue_done(st, job.id, owner, "e", &err);
		kf_queue_job_release(&job);
	}
	kf_store_close(st);
	return NULL;
}

static void test_concurrent_claims_never_share(void **state)
{
	struct worker w[4];
	pthread_t t[4];
	int seen[PHOTOS + 1] = { 0 }, total = 0;
	struct kf_store *st = fixture();
	(void)state;

	for (int i = 0; i < 4; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].id = i;
		pthread_create(&t[i], NULL, work, &w[i]);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		for (int k = 0; k < w[i].done; k++) {
			assert_true(w[i].claimed[k] >= 1 && w[i].claimed[k] <= PHOTOS);
			seen[w[i].claimed[k]]++;
		}
		total += w[i].done;
	}
	assert_int_equal(total, PHOTOS);
	for (int k = 1; k <= PHOTOS; k++)
		assert_int_equal(seen[k], 1);
	assert_int_equal(count_state(st, "done"), PHOTOS);
	kf_store_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_claim_done_fail_dead_requeue),
		cmocka_unit_test(test_reclaim_expired_and_dead_owner),
		cmocka_unit_test(test_concurrent_claims_never_share),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
