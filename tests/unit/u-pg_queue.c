/* fixtures: pg */
/* u-pg_queue.c: the PostgreSQL job queue: enqueue, claim exclusivity across
 * connections, lease expiry and reclaim, fail -> backoff -> dead, changes
 * refused without the lease; the gallery loader's descriptors. */
#include "testutil.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/engine.h"
#include "data/pg.h"
#include "data/pg_gallery.h"
#include "data/pg_queue.h"

#define PHOTOS 60	/* demo.sql's 6 and 54 more */

static void exec_ok(struct kf_pg *pg, const char *sql)
{
	struct kf_err err = KF_ERR_INIT;

	if (kf_pg_exec(pg, sql, 0, NULL, NULL, "test", &err) < 0)
		fail_msg("%s: %s", sql, err.msg);
}

static int64_t count(struct kf_pg *pg, const char *sql)
{
	struct kf_err err = KF_ERR_INIT;
	PGresult *res;
	int64_t n;

	assert_int_equal(kf_pg_exec(pg, sql, 0, NULL, &res, "count", &err), KF_OK);
	n = kf_pg_int(res, 0, 0);
	PQclear(res);
	return n;
}

/* A fresh database (kf_<name>) with gallery 1 of PHOTOS photos, queued. */
static const char *fixture(const char *name, struct kf_pg *pg)
{
	const char *url = kf_test_pg_db(name, 1);
	struct kf_err err = KF_ERR_INIT;
	int64_t pending;

	assert_int_equal(kf_pg_open(pg, url, &err), KF_OK);
	exec_ok(pg, "INSERT INTO king_photos (gallery_id, file_path, file_name) "
		"SELECT 1, 'galleries/1/p' || n || '.jpg', 'p' || n || '.jpg' "
		"FROM generate_series(7, 60) AS n");
	assert_int_equal(kf_pg_queue_enqueue(pg, 1, 0, &pending, &err), KF_OK);
	assert_int_equal(pending, PHOTOS);
	return url;
}

static void test_enqueue(void **state)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_queue_opts o = KF_QUEUE_OPTS_DEFAULT;
	struct kf_pg_job job;
	struct kf_pg pg;
	int64_t pending;
	char owner[200];

	(void)state;
	fixture("u_pgq_enqueue", &pg);
	/* again: nothing new; r2_key is the photo's file_path */
	assert_int_equal(kf_pg_queue_enqueue(&pg, 1, 0, &pending, &err), KF_OK);
	assert_int_equal(pending, PHOTOS);
	assert_int_equal(count(&pg, "SELECT count(*) FROM rekognition_photo_jobs j JOIN "
			       "king_photos k ON k.id = j.photo_id WHERE j.r2_key = k.file_path"),
			 PHOTOS);
	kf_pg_queue_owner(owner, sizeof(owner), 0);
	assert_int_equal(kf_pg_queue_claim(&pg, 1, owner, &o, &job, &err), KF_OK);
	assert_int_equal(job.photo_id, 1);
	assert_string_equal(job.key, "galleries/1/sample1.jpg");
	assert_int_equal(kf_pg_queue_done(&pg, job.id, owner, "etag1", &err), KF_OK);
	kf_pg_queue_job_release(&job);
	assert_int_equal(kf_pg_queue_enqueue(&pg, 1, 0, &pending, &err), KF_OK);
	assert_int_equal(pending, PHOTOS - 1);
	/* --all: done goes back to pending */
	assert_int_equal(kf_pg_queue_enqueue(&pg, 1, 1, &pending, &err), KF_OK);
	assert_int_equal(pending, PHOTOS);
	/* an unknown gallery is named */
	assert_int_equal(kf_pg_queue_enqueue(&pg, 99, 0, &pending, &err), KF_E_NOTFOUND);
	assert_non_null(strstr(err.msg, "no gallery 99"));
	kf_pg_close(&pg);
}

struct claimer {
	const char *url;
	int worker;
	int n;
	int64_t ids[PHOTOS];
};

static void *claim_all(void *arg)
{
	struct claimer *c = arg;
	struct kf_queue_opts o = KF_QUEUE_OPTS_DEFAULT;
	struct kf_err err = KF_ERR_INIT;
	struct kf_pg_job job;
	struct kf_pg pg;
	char owner[200];
	int rc;

	kf_pg_queue_owner(owner, sizeof(owner), c->worker);
	if (kf_pg_open(&pg, c->url, &err) < 0)
		return NULL;
	while ((rc = kf_pg_queue_claim(&pg, 1, owner, &o, &job, &err)) == KF_OK) {
		c->ids[c->n++] = job.id;
		if (kf_pg_queue_done(&pg, job.id, owner, "e", &err) < 0)
			c->n = -1000;
		kf_pg_queue_job_release(&job);
	}
	if (rc != KF_E_NOTFOUND)
		c->n = -1000;
	kf_pg_close(&pg);
	return NULL;
}

static void test_claim_exclusive(void **state)
{
	struct claimer c[4];
	pthread_t t[4];
	struct kf_pg pg;
	const char *url;
	char seen[PHOTOS + 1];
	int total = 0;

	(void)state;
	url = fixture("u_pgq_exclusive", &pg);
	memset(seen, 0, sizeof(seen));
	memset(c, 0, sizeof(c));
	for (int i = 0; i < 4; i++) {
		c[i].url = url;
		c[i].worker = i;
		assert_int_equal(pthread_create(&t[i], NULL, claim_all, &c[i]), 0);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	/* every job claimed exactly once, over four connections */
	for (int i = 0; i < 4; i++) {
		assert_true(c[i].n >= 0);
		total += c[i].n;
		for (int k = 0; k < c[i].n; k++) {
			assert_true(c[i].ids[k] >= 1 && c[i].ids[k] <= PHOTOS);
			assert_int_equal(seen[c[i].ids[k]], 0);
			seen[c[i].ids[k]] = 1;
		}
	}
	assert_int_equal(total, PHOTOS);
	assert_int_equal(count(&pg, "SELECT count(*) FROM rekognition_photo_jobs WHERE "
			       "process_status = 'done' AND attempts = 1"), PHOTOS);
	kf_pg_close(&pg);
}

/* Two workers, A and B, on their own connections, over the one job left. */
struct pair {
	struct kf_pg a, b;
	char oa[200], ob[200];
};

static void pair_open(const char *name, struct pair *p)
{
	struct kf_err err = KF_ERR_INIT;
	const char *url = fixture(name, &p->a);

	exec_ok(&p->a, "DELETE FROM rekognition_photo_jobs WHERE photo_id > 1");
	assert_int_equal(kf_pg_open(&p->b, url, &err), KF_OK);
	kf_pg_queue_owner(p->oa, sizeof(p->oa), 0);
	kf_pg_queue_owner(p->ob, sizeof(p->ob), 0);
	assert_string_not_equal(p->oa, p->ob);
}

static void pair_close(struct pair *p)
{
	kf_pg_close(&p->a);
	kf_pg_close(&p->b);
}

static void test_lease_expiry(void **state)
{
	struct kf_queue_opts o = KF_QUEUE_OPTS_DEFAULT;
	struct kf_err err = KF_ERR_INIT;
	struct kf_pg_job ja, jb;
	struct pair p;
	int64_t open, wait_ms;

	(void)state;
	pair_open("u_pgq_lease", &p);
	o.lease_ms = 300;
	assert_int_equal(kf_pg_queue_claim(&p.a, 0, p.oa, &o, &ja, &err), KF_OK);
	assert_int_equal(ja.attempts, 1);
	/* held: B gets nothing and learns when the lease ends */
	assert_int_equal(kf_pg_queue_claim(&p.b, 0, p.ob, &o, &jb, &err), KF_E_NOTFOUND);
	assert_int_equal(kf_pg_queue_idle(&p.b, 0, &o, &open, &wait_ms, &err), KF_OK);
	assert_int_equal(open, 1);
	assert_true(wait_ms >= 0 && wait_ms <= 300);
	/* a renewed lease keeps it held past its first expiry */
	usleep(200 * 1000);
	assert_int_equal(kf_pg_queue_renew(&p.a, ja.id, p.oa, &o, &err), KF_OK);
	usleep(200 * 1000);
	assert_int_equal(kf_pg_queue_claim(&p.b, 0, p.ob, &o, &jb, &err), KF_E_NOTFOUND);
	/* A stops renewing (dead): B takes the job once the lease expired */
	usleep(400 * 1000);
	assert_int_equal(kf_pg_queue_claim(&p.b, 0, p.ob, &o, &jb, &err), KF_OK);
	assert_int_equal(jb.id, ja.id);
	assert_int_equal(jb.attempts, 2);
	/* A can no longer renew, finish, fail or release it */
	kf_err_clear(&err);
	assert_int_equal(kf_pg_queue_renew(&p.a, ja.id, p.oa, &o, &err), KF_E_NOTFOUND);
	assert_non_null(strstr(err.msg, "no longer held"));
	assert_int_equal(kf_pg_queue_done(&p.a, ja.id, p.oa, "x", &err), KF_E_NOTFOUND);
	assert_int_equal(kf_pg_queue_fail(&p.a, ja.id, p.oa, "x", &o, NULL, &err),
			 KF_E_NOTFOUND);
	assert_int_equal(kf_pg_queue_release(&p.a, ja.id, p.oa, &err), KF_E_NOTFOUND);
	assert_int_equal(kf_pg_queue_done(&p.b, jb.id, p.ob, "etag-b", &err), KF_OK);
	assert_int_equal(count(&p.a, "SELECT count(*) FROM rekognition_photo_jobs WHERE "
			       "process_status = 'done' AND r2_etag = 'etag-b' AND lease_owner "
			       "IS NULL AND processed_at IS NOT NULL"), 1);
	assert_int_equal(kf_pg_queue_idle(&p.b, 0, &o, &open, &wait_ms, &err), KF_OK);
	assert_int_equal(open, 0);
	assert_int_equal(wait_ms, -1);
	kf_pg_queue_job_release(&ja);
	kf_pg_queue_job_release(&jb);
	pair_close(&p);
}

static void test_expired_last_attempt(void **state)
{
	struct kf_queue_opts o = KF_QUEUE_OPTS_DEFAULT;
	struct kf_err err = KF_ERR_INIT;
	struct kf_pg_job j;
	struct pair p;
	int64_t open, wait_ms;

	(void)state;
	pair_open("u_pgq_expired", &p);
	o.lease_ms = 150;
	o.max_attempts = 2;
	/* the worker dies twice on the photo: dead, not a third run */
	for (int i = 0; i < 2; i++) {
		assert_int_equal(kf_pg_queue_claim(i ? &p.b : &p.a, 1, i ? p.ob : p.oa, &o, &j,
						   &err), KF_OK);
		assert_int_equal(j.attempts, i + 1);
		kf_pg_queue_job_release(&j);
		usleep(250 * 1000);
	}
	assert_int_equal(kf_pg_queue_claim(&p.a, 1, p.oa, &o, &j, &err), KF_E_NOTFOUND);
	assert_int_equal(kf_pg_queue_idle(&p.a, 1, &o, &open, &wait_ms, &err), KF_OK);
	assert_int_equal(open, 0);
	assert_int_equal(count(&p.a, "SELECT count(*) FROM rekognition_photo_jobs WHERE "
			       "process_status = 'dead' AND attempts = 2 AND last_error = "
			       "'its worker stopped on attempt 2 (lease expired)'"), 1);
	pair_close(&p);
}

static void test_fail_backoff_dead(void **state)
{
	struct kf_queue_opts o = KF_QUEUE_OPTS_DEFAULT;
	struct kf_err err = KF_ERR_INIT;
	struct kf_pg_job j;
	struct pair p;
	int64_t open, wait_ms, n;
	int dead = -1;

	(void)state;
	pair_open("u_pgq_fail", &p);
	o.max_attempts = 2;
	o.backoff_ms = 400;
	o.jitter = 0;
	assert_int_equal(kf_pg_queue_claim(&p.a, 1, p.oa, &o, &j, &err), KF_OK);
	assert_int_equal(kf_pg_queue_fail(&p.a, j.id, p.oa, "premature end of data", &o, &dead,
					  &err), KF_OK);
	assert_int_equal(dead, 0);
	assert_int_equal(count(&p.a, "SELECT count(*) FROM rekognition_photo_jobs WHERE "
			       "process_status = 'failed' AND last_error = 'premature end of data' "
			       "AND next_attempt_at > now() + interval '300 ms' AND lease_owner "
			       "IS NULL"), 1);
	kf_pg_queue_job_release(&j);
	/* waits out its backoff, for every worker */
	assert_int_equal(kf_pg_queue_claim(&p.b, 1, p.ob, &o, &j, &err), KF_E_NOTFOUND);
	assert_int_equal(kf_pg_queue_idle(&p.b, 1, &o, &open, &wait_ms, &err), KF_OK);
	assert_int_equal(open, 1);
	assert_true(wait_ms > 200 && wait_ms <= 400);
	usleep((useconds_t)(wait_ms + 50) * 1000);
	assert_int_equal(kf_pg_queue_claim(&p.b, 1, p.ob, &o, &j, &err), KF_OK);
	assert_int_equal(j.attempts, 2);
	assert_int_equal(kf_pg_queue_fail(&p.b, j.id, p.ob, "still broken", &o, &dead, &err),
			 KF_OK);
	assert_int_equal(dead, 1);
	kf_pg_queue_job_release(&j);
	/* dead: never claimed again, not open, keeps its reason */
	assert_int_equal(kf_pg_queue_claim(&p.a, 1, p.oa, &o, &j, &err), KF_E_NOTFOUND);
	assert_int_equal(kf_pg_queue_idle(&p.a, 1, &o, &open, &wait_ms, &err), KF_OK);
	assert_int_equal(open, 0);
	assert_int_equal(kf_pg_queue_count(&p.a, 1, "dead", &n, &err), KF_OK);
	assert_int_equal(n, 1);
	assert_int_equal(count(&p.a, "SELECT count(*) FROM rekognition_photo_jobs WHERE "
			       "process_status = 'dead' AND last_error = 'still broken' AND "
			       "attempts = 2 AND next_attempt_at IS NULL"), 1);
	pair_close(&p);
}

static void test_done_needs_lease(void **state)
{
	struct kf_queue_opts o = KF_QUEUE_OPTS_DEFAULT;
	struct kf_err err = KF_ERR_INIT;
	struct kf_pg_job j;
	struct pair p;

	(void)state;
	pair_open("u_pgq_done", &p);
	assert_int_equal(kf_pg_queue_claim(&p.a, 1, p.oa, &o, &j, &err), KF_OK);
	/* B does not hold it: refused, in a transaction as the worker does */
	assert_int_equal(kf_pg_begin(&p.b, &err), KF_OK);
	assert_int_equal(kf_pg_queue_done(&p.b, j.id, p.ob, "x", &err), KF_E_NOTFOUND);
	kf_pg_rollback(&p.b);
	assert_int_equal(kf_pg_queue_renew(&p.b, j.id, p.ob, &o, &err), KF_E_NOTFOUND);
	assert_int_equal(kf_pg_queue_release(&p.b, j.id, p.ob, &err), KF_E_NOTFOUND);
	assert_int_equal(count(&p.b, "SELECT count(*) FROM rekognition_photo_jobs WHERE "
			       "process_status = 'running'"), 1);
	/* released by its owner: pending, the attempt not counted */
	assert_int_equal(kf_pg_queue_release(&p.a, j.id, p.oa, &err), KF_OK);
	assert_int_equal(count(&p.b, "SELECT count(*) FROM rekognition_photo_jobs WHERE "
			       "process_status = 'pending' AND attempts = 0 AND lease_owner "
			       "IS NULL"), 1);
	kf_pg_queue_job_release(&j);
	pair_close(&p);
}

static void test_gallery_load(void **state)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_match_gallery g;
	float d[KF_DESC_DIM], back[KF_DESC_DIM];
	char hex[KF_PG_DESC_HEX], sql[3 * KF_PG_DESC_HEX + 600], v1[160], v2[160];
	struct kf_pg pg;

	(void)state;
	fixture("u_pgq_gallery", &pg);
	for (int i = 0; i < KF_DESC_DIM; i++)
		d[i] = (float)(i - 64) / 100.0f;
	/* little-endian float32: 1.0f is 00 00 80 3f */
	d[0] = 1.0f;
	kf_pg_desc_hex(d, hex);
	assert_memory_equal(hex, "\\x0000803f", 10);
	assert_int_equal(kf_pg_desc_parse(hex + 2, back, &err), KF_OK);
	assert_memory_equal(back, d, sizeof(d));
	assert_int_equal(kf_pg_desc_parse("00ff", back, &err), KF_E_FORMAT);

	assert_int_equal(kf_pg_gallery_version(&pg, 1, v1, sizeof(v1), &err), KF_OK);
	snprintf(sql, sizeof(sql), "INSERT INTO rekognition_client_faces (uid, gallery_id, "
		 "client_id, engine, model, descriptor) VALUES ('r1', 1, 2, 'local', '%s', "
		 "'%s'::bytea), ('r2', 1, 3, 'local', 'another-model', '%s'::bytea), "
		 "('r3', 1, 3, 'rekognition', '%s', NULL)", KF_ENGINE_MODEL, hex, hex,
		 KF_ENGINE_MODEL);
	exec_ok(&pg, sql);
	assert_int_equal(kf_pg_gallery_version(&pg, 1, v2, sizeof(v2), &err), KF_OK);
	assert_string_not_equal(v1, v2);
	assert_int_equal(kf_pg_gallery_load(&pg, 1, &g, &err), KF_OK);
	assert_int_equal(g.id, 1);
	assert_int_equal(g.references, 1);
	assert_int_equal(g.other_model, 2);
	assert_int_equal(g.search.nrefs, 1);
	assert_memory_equal(g.search.desc, d, sizeof(d));
	assert_int_equal(g.nclients, 3);
	assert_string_equal(kf_match_gallery_name(&g, 2), "Bruno Lima");
	kf_match_gallery_release(&g);
	/* a rename changes the version */
	exec_ok(&pg, "UPDATE king_gallery_clients SET name = 'Bruno L.' WHERE id = 2");
	assert_int_equal(kf_pg_gallery_version(&pg, 1, v1, sizeof(v1), &err), KF_OK);
	assert_string_not_equal(v1, v2);
	kf_pg_close(&pg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_enqueue),
		cmocka_unit_test(test_claim_exclusive),
		cmocka_unit_test(test_lease_expiry),
		cmocka_unit_test(test_expired_last_attempt),
		cmocka_unit_test(test_fail_backoff_dead),
		cmocka_unit_test(test_done_needs_lease),
		cmocka_unit_test(test_gallery_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
