/* cmd_process.c: the queue commands (queue, jobs, requeue) and the processing
 * runs (process, worker), seed steps 3 and 4. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/engine.h"
#include "core/match_engine.h"
#include "data/paths.h"
#include "data/queue.h"
#include "data/store_gallery.h"
#include "data/store_photo.h"
#include "data/worker.h"
#include "src/cli_engine.h"

int kf_cmd_queue(struct kf_cli *cli, const struct kf_command *cmd, struct kf_args *a)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_gallery g;
	struct kf_store *st;
	int64_t queued;
	int rc;

	if (kf_cli_opt(cmd, a, "pg"))
		return kf_cmd_pg_queue(cli, cmd, a);
	if ((rc = kf_cli_gallery(cli, a->pos[0], &st, &g)) != KF_EXIT_OK)
		return rc;
	rc = kf_queue_enqueue(st, g.id, kf_cli_opt(cmd, a, "all") != NULL, &queued, &err);
	kf_store_gallery_release(&g);
	if (rc < 0)
		return kf_cli_error(&err);
	return kf_cli_print_count(cli, "queued", queued, "photo(s) queued");
}

int kf_cmd_jobs(struct kf_cli *cli, const struct kf_command *cmd, struct kf_args *a)
{
	struct kf_err err = KF_ERR_INIT;
	const char *state = kf_cli_opt(cmd, a, "state");
	struct kf_job_row *rows;
	struct kf_gallery g;
	struct kf_store *st;
	size_t n;
	int rc;

	if (state && !kf_store_photo_status_valid(state))
		return kf_cli_usage(cmd, "--state must be pending, running, done, failed or dead, "
				    "not '%s'", state);
	if (kf_cli_opt(cmd, a, "pg")) {
		if ((rc = kf_cli_pg_jobs(cli, cmd, a, state, &rows, &n)) != KF_EXIT_OK)
			return rc;
	} else {
		if ((rc = kf_cli_gallery(cli, a->pos[0], &st, &g)) != KF_EXIT_OK)
			return rc;
		rc = kf_queue_list(st, g.id, state, &rows, &n, &err);
		kf_store_gallery_release(&g);
		if (rc < 0)
			return kf_cli_error(&err);
	}
	if (cli->json) {
		cJSON *o = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(o, "jobs");

		for (size_t i = 0; i < n; i++) {
			cJSON *j = cJSON_CreateObject();

			kf_json_int(j, "id", rows[i].id);
			kf_json_int(j, "photoId", rows[i].photo_id);
			kf_json_str(j, "key", rows[i].key);
			kf_json_str(j, "state", rows[i].state);
			kf_json_int(j, "attempts", rows[i].attempts);
			kf_json_str(j, "lastError", rows[i].last_error);
			if (rows[i].next_attempt_at)
				kf_json_int(j, "nextAttemptAt", rows[i].next_attempt_at);
			else
				cJSON_AddNullToObject(j, "nextAttemptAt");
			kf_json_str(j, "leaseOwner", rows[i].lease_owner);
			kf_json_int(j, "updatedAt", rows[i].updated_at);
			cJSON_AddItemToArray(arr, j);
		}
		rc = kf_cli_print_json(cli, o);
	} else {
		if (n > 0)
			fprintf(cli->out, "%6s  %-8s %5s  %s\n", "ID", "STATE", "TRIES", "PHOTO");
		for (size_t i = 0; i < n; i++)
			fprintf(cli->out, "%6lld  %-8s %5d  %s%s%s\n", (long long)rows[i].id,
				rows[i].state, rows[i].attempts, rows[i].key,
				rows[i].last_error ? "  " : "",
				rows[i].last_error ? rows[i].last_error : "");
		fprintf(cli->out, "%zu job(s)\n", n);
		rc = KF_EXIT_OK;
	}
	kf_queue_list_free(rows, n);
	return rc;
}

int kf_cmd_requeue(struct kf_cli *cli, const struct kf_command *cmd, struct kf_args *a)
{
	struct kf_err err = KF_ERR_INIT;
	enum kf_requeue_which which = KF_REQUEUE_DEAD;
	struct kf_gallery g;
	struct kf_store *st;
	int64_t n;
	int rc;

	if (kf_cli_opt(cmd, a, "failed"))
		which = KF_REQUEUE_FAILED;
	if (kf_cli_opt(cmd, a, "all") ||
	    (kf_cli_opt(cmd, a, "failed") && kf_cli_opt(cmd, a, "dead")))
		which = KF_REQUEUE_ALL;
	if (kf_cli_opt(cmd, a, "pg"))
		return kf_cmd_pg_requeue(cli, cmd, a, which != KF_REQUEUE_FAILED,
					 which != KF_REQUEUE_DEAD);
	if ((rc = kf_cli_gallery(cli, a->pos[0], &st, &g)) != KF_EXIT_OK)
		return rc;
	rc = kf_queue_requeue(st, g.id, which, &n, &err);
	kf_store_gallery_release(&g);
	if (rc < 0)
		return kf_cli_error(&err);
	return kf_cli_print_count(cli, "requeued", n, "job(s) back to pending");
}

/* --concurrency, else $WORKER_CONCURRENCY, else the number of cores. */
static int concurrency(const struct kf_command *cmd, const struct kf_args *a, int64_t *n)
{
	const char *env = getenv("WORKER_CONCURRENCY");
	long cores = sysconf(_SC_NPROCESSORS_ONLN);

	*n = cores > 0 ? cores : 1;
	if (env && *env) {
		char *end;
		long v = strtol(env, &end, 10);

		if (*end || v < 1 || v > 63)
			return kf_cli_usage(cmd, "WORKER_CONCURRENCY must be from 1 to 63, not '%s'", env);
		*n = v;
	}
	if (*n > 63)
		*n = 63;
	return kf_cli_opt_int(cmd, a, "concurrency", 1, 63, n);
}

static void progress_line(struct kf_cli *cli, const struct kf_pool_snapshot *s, int tty, int end)
{
	int64_t x = s->v[KF_POOL_DONE] + s->v[KF_POOL_CACHED] + s->v[KF_POOL_DEAD];
	int64_t y = s->v[KF_POOL_TOTAL];
	double minutes = (double)s->elapsed_ms / 60000.0;
	double rate = minutes > 0 ? (double)x / minutes : 0;
	char eta[32] = "--:--";

	if (rate > 0 && y > x) {
		long sec = (long)((double)(y - x) / rate * 60.0);
		snprintf(eta, sizeof(eta), "%ld:%02ld", sec / 60, sec % 60);
	} else if (y > 0 && x >= y) {
		snprintf(eta, sizeof(eta), "0:00");
	}
	fprintf(stderr, "%sProcessing… %lld/%lld  failed %lld  %.0f photos/min  ETA %s%s",
		tty ? "\r\033[K" : "", (long long)x, (long long)y,
		(long long)(s->v[KF_POOL_FAILED] + s->v[KF_POOL_DEAD]), rate, eta,
		tty && !end ? "" : "\n");
	fflush(stderr);
	(void)cli;
}

/* Run the workers and print progress until they finish (or a signal). */
static int run(struct kf_cli *cli, const struct kf_match_engine *e, const struct kf_worker_opts *wo,
	       int64_t total, struct kf_pool_snapshot *last, struct kf_err *err)
{
	struct kf_worker_run *r;
	int tty = isatty(STDERR_FILENO), stopped = 0;
	int64_t printed = -1, last_print_ms = 0;
	int rc;

	if ((rc = kf_worker_start(e, wo, total, &r, err)) < 0)
		return rc;
	for (;;) {
		kf_worker_snapshot(r, last);
		if (kf_cli_interrupted && !stopped) {
			fprintf(stderr, "%skingface: stopping: in-flight photos finish, the rest stays "
				"queued\n", tty ? "\n" : "");
			kf_worker_stop(r);
			stopped = 1;
		}
		if (last->finished)
			break;
		int64_t x = last->v[KF_POOL_DONE] + last->v[KF_POOL_CACHED] + last->v[KF_POOL_DEAD];
		if (tty || (x != printed && last->elapsed_ms - last_print_ms >= 2000)) {
			progress_line(cli, last, tty, 0);
			printed = x;
			last_print_ms = last->elapsed_ms;
		}
		usleep(200 * 1000);
	}
	kf_worker_snapshot(r, last);
	progress_line(cli, last, tty, 1);
	return kf_worker_wait(r, err);
}

/* A paid engine: say how many calls the run makes at least and ask, unless
 * --yes; refused (usage) without a terminal to ask on. */
static int confirm_cost(const struct kf_command *cmd, const struct kf_args *a,
			const struct kf_match_engine *me, int64_t photos)
{
	if (!kf_match_engine_has(me, KF_MATCH_ENGINE_REMOTE) || photos == 0)
		return KF_EXIT_OK;
	fprintf(stderr, "kingface: about to make at least %lld Rekognition calls (%lld photos + "
		"1 per face found)\n", (long long)photos, (long long)photos);
	if (kf_cli_opt(cmd, a, "yes"))
		return KF_EXIT_OK;
	if (!isatty(STDIN_FILENO))
		return kf_cli_usage(cmd, "Rekognition calls are paid: confirm with --yes");
	if (!kf_cli_confirm("make them?")) {
		fputs("kingface: nothing processed; the photos stay queued\n", stderr);
		return KF_EXIT_ERROR;
	}
	return KF_EXIT_OK;
}

int kf_cmd_process(struct kf_cli *cli, const struct kf_command *cmd, struct kf_args *a)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_worker_opts wo;
	struct kf_pool_snapshot s;
	struct kf_match_engine me = { NULL, NULL };
	struct kf_engine *e = NULL;
	struct kf_gallery g = { 0 };
	struct kf_store *st;
	const char *engine;
	char db[4096];
	int64_t conc, queued;
	int rc;

	memset(&wo, 0, sizeof(wo));
	if ((rc = concurrency(cmd, a, &conc)) != KF_EXIT_OK)
		return rc;
	if ((rc = kf_cli_gallery(cli, a->pos[0], &st, &g)) != KF_EXIT_OK)
		return rc;
	if ((rc = kf_cli_match_opts(cli, cmd, a, st, &wo.match)) != KF_EXIT_OK ||
	    (rc = kf_cli_engine_name(cli, cmd, a, st, &g, 1, &engine)) != KF_EXIT_OK ||
	    (rc = kf_cli_detector(cmd, a, st, &g, 1, &wo.match.detect)) != KF_EXIT_OK ||
	    (rc = kf_cli_engine_open(cli, engine, &wo.match.detect, &e, &me)) != KF_EXIT_OK)
		goto out;
	rc = KF_EXIT_ERROR;
	if (kf_paths_db(cli->db_flag, db, sizeof(db), &err) < 0 ||
	    kf_queue_reclaim(st, NULL, &err) < 0 ||
	    kf_queue_enqueue(st, g.id, kf_cli_opt(cmd, a, "all") != NULL, &queued, &err) < 0) {
		kf_cli_error(&err);
		goto out;
	}
	if ((rc = confirm_cost(cmd, a, &me, queued)) != KF_EXIT_OK)
		goto out;
	rc = KF_EXIT_ERROR;
	wo.db_path = db;
	wo.gallery_id = g.id;
	wo.concurrency = (int)conc;
	wo.until_empty = 1;
	kf_cli_catch_signals();
	if (run(cli, &me, &wo, queued, &s, &err) < 0) {
		kf_cli_error(&err);
		goto out;
	}
	double per_min = s.elapsed_ms > 0 ? (double)(s.v[KF_POOL_DONE] + s.v[KF_POOL_CACHED]) /
						   ((double)s.elapsed_ms / 60000.0) : 0;
	if (cli->json) {
		cJSON *o = cJSON_CreateObject();

		kf_json_int(o, "galleryId", g.id);
		kf_json_int(o, "total", s.v[KF_POOL_TOTAL]);
		kf_json_int(o, "processed", s.v[KF_POOL_DONE]);
		kf_json_int(o, "cached", s.v[KF_POOL_CACHED]);
		kf_json_int(o, "failed", s.v[KF_POOL_FAILED]);
		kf_json_int(o, "dead", s.v[KF_POOL_DEAD]);
		kf_json_int(o, "elapsedMs", s.elapsed_ms);
		kf_json_num(o, "photosPerMinute", per_min, 1);
		cJSON_AddBoolToObject(o, "interrupted", kf_cli_interrupted != 0);
		rc = kf_cli_print_json(cli, o);
	} else {
		fprintf(cli->out, "%s: %lld photo(s): %lld processed, %lld from the cache, %lld dead "
			"(%lld failed attempts) in %.1f s, %.0f photos/min\n", g.name,
			(long long)s.v[KF_POOL_TOTAL], (long long)s.v[KF_POOL_DONE],
			(long long)s.v[KF_POOL_CACHED], (long long)s.v[KF_POOL_DEAD],
			(long long)(s.v[KF_POOL_FAILED] + s.v[KF_POOL_DEAD]),
			(double)s.elapsed_ms / 1000.0, per_min);
		if (s.v[KF_POOL_DEAD])
			fprintf(cli->out, "  dead photos keep their reason: kingface jobs %s --state "
				"dead; kingface requeue %s\n", kf_cli_gallery_arg(&g),
				kf_cli_gallery_arg(&g));
		rc = KF_EXIT_OK;
	}
	if (kf_cli_interrupted)
		rc = KF_EXIT_ERROR;
out:
	kf_match_engine_close(&me);
	kf_engine_free(e);
	kf_store_gallery_release(&g);
	return rc;
}

int kf_cmd_worker(struct kf_cli *cli, const struct kf_command *cmd, struct kf_args *a)
{
	struct kf_err err = KF_ERR_INIT;
	const char *gref = kf_cli_opt(cmd, a, "gallery");
	struct kf_worker_opts wo;
	struct kf_pool_snapshot s;
	struct kf_match_engine me = { NULL, NULL };
	struct kf_engine *e = NULL;
	struct kf_gallery g = { 0 };
	struct kf_store *st;
	const char *engine;
	char db[4096];
	int64_t conc, total = 0;
	int rc;

	memset(&wo, 0, sizeof(wo));
	if ((rc = concurrency(cmd, a, &conc)) != KF_EXIT_OK)
		return rc;
	if (kf_cli_opt(cmd, a, "pg"))
		return kf_cmd_pg_worker(cli, cmd, a, (int)conc);
	if (kf_cli_opt(cmd, a, "photos") || kf_cli_opt(cmd, a, "bucket"))
		return kf_cli_usage(cmd, "--photos and --bucket need --pg");
	if (gref) {
		if ((rc = kf_cli_gallery(cli, gref, &st, &g)) != KF_EXIT_OK)
			return rc;
	} else if ((rc = kf_cli_store(cli, &st)) != KF_EXIT_OK) {
		return rc;
	}
	/* for every gallery, without --detector: each gallery's detector */
	wo.any_detector = !gref && !kf_cli_opt(cmd, a, "detector");
	if ((rc = kf_cli_match_opts(cli, cmd, a, st, &wo.match)) != KF_EXIT_OK ||
	    (rc = kf_cli_engine_name(cli, cmd, a, st, gref ? &g : NULL, 1, &engine)) != KF_EXIT_OK ||
	    (rc = kf_cli_detector(cmd, a, st, gref ? &g : NULL, 1, &wo.match.detect)) != KF_EXIT_OK ||
	    (rc = kf_cli_engine_open(cli, engine, wo.any_detector ? NULL : &wo.match.detect, &e,
				     &me)) != KF_EXIT_OK)
		goto out;
	rc = KF_EXIT_ERROR;
	if (kf_paths_db(cli->db_flag, db, sizeof(db), &err) < 0 ||
	    kf_queue_reclaim(st, NULL, &err) < 0) {
		kf_cli_error(&err);
		goto out;
	}
	wo.db_path = db;
	wo.gallery_id = g.id;
	wo.concurrency = (int)conc;
	wo.until_empty = kf_cli_opt(cmd, a, "exit-when-empty") != NULL;
	wo.any_engine = !gref && !kf_cli_opt(cmd, a, "engine");
	/* until empty, the workers count no new job: the Y of X/Y is known now */
	if (wo.until_empty) {
		int64_t pending = 0, failed = 0;

		if (kf_queue_count(st, g.id, "pending", &pending, &err) < 0 ||
		    kf_queue_count(st, g.id, "failed", &failed, &err) < 0) {
			kf_cli_error(&err);
			goto out;
		}
		total = pending + failed;
	}
	kf_cli_catch_signals();
	fprintf(stderr, "kingface: %s worker with %d thread(s) waiting for jobs%s%s; Ctrl-C stops\n",
		engine, wo.concurrency, gref ? " of " : "", gref ? g.name : "");
	if (run(cli, &me, &wo, total, &s, &err) < 0) {
		kf_cli_error(&err);
		goto out;
	}
	rc = KF_EXIT_OK;
out:
	kf_match_engine_close(&me);
	kf_engine_free(e);
	kf_store_gallery_release(&g);
	return rc;
}
