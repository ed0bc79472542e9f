/* cmd_pg.c: `queue --pg` and `worker --pg`: the job queue on the studio
 * platform's PostgreSQL, shared by workers on several machines
 * (data/pg_queue.h, data/pg_worker.h; docs/internals/pg-worker.md).
 *
 * Only --pg switches these commands to PostgreSQL; KINGFACE_PG_URL alone does
 * not (it configures `--pg -`, which keeps the password out of the process
 * list). The local database is optional on a worker machine: its settings
 * apply when it exists, the defaults otherwise, and it is never created. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/engine.h"
#include "data/config.h"
#include "data/paths.h"
#include "data/pg.h"
#include "data/pg_queue.h"
#include "data/pg_worker.h"
#include "data/settings.h"
#include "data/store.h"
#include "src/cli_engine.h"

#define LEASE_MIN_MS 150
#define LEASE_MAX_MS 3600000

/* The URL of --pg (kf_cli_pg_url); prints the error itself. */
static int pg_url(const struct kf_command *cmd, const struct kf_args *a, struct kf_config *cfg,
		  const char **url)
{
	struct kf_err err = KF_ERR_INIT;

	return kf_cli_pg_url(cmd, a, cfg, url, &err) < 0 ? kf_cli_error(&err) : KF_EXIT_OK;
}

/* A platform gallery id (king_galleries.id). */
static int gallery_id(const struct kf_command *cmd, const char *text, int64_t *id)
{
	char *end;
	long long v = strtoll(text, &end, 10);

	if (!*text || *end || v < 1)
		return kf_cli_usage(cmd, "with --pg, GALLERY is a platform gallery id "
				    "(king_galleries.id), not '%s'", text);
	*id = v;
	return KF_EXIT_OK;
}

int kf_cmd_pg_queue(struct kf_cli *cli, const struct kf_command *cmd, struct kf_args *a)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_config cfg = { 0 };
	struct kf_pg pg = { 0 };
	const char *url;
	int64_t gid = 0, pending;
	int rc;

	if ((rc = gallery_id(cmd, a->pos[0], &gid)) != KF_EXIT_OK ||
	    (rc = pg_url(cmd, a, &cfg, &url)) != KF_EXIT_OK)
		goto out;
	if (kf_pg_open(&pg, url, &err) < 0 ||
	    kf_pg_queue_enqueue(&pg, gid, kf_cli_opt(cmd, a, "all") != NULL, &pending, &err) < 0) {
		rc = kf_cli_error(&err);
		goto out;
	}
	if (cli->json) {
		cJSON *o = cJSON_CreateObject();

		kf_json_int(o, "galleryId", gid);
		kf_json_int(o, "queued", pending);
		rc = kf_cli_print_json(cli, o);
	} else {
		fprintf(cli->out, "%lld photo(s) queued\n", (long long)pending);
		rc = KF_EXIT_OK;
	}
out:
	kf_pg_close(&pg);
	kf_config_release(&cfg);
	return rc;
}

int kf_cmd_pg_requeue(struct kf_cli *cli, const struct kf_command *cmd, struct kf_args *a,
		      int dead, int failed)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_config cfg = { 0 };
	struct kf_pg pg = { 0 };
	const char *url;
	int64_t gid = 0, n = 0;
	int rc;

	if ((rc = gallery_id(cmd, a->pos[0], &gid)) != KF_EXIT_OK ||
	    (rc = pg_url(cmd, a, &cfg, &url)) != KF_EXIT_OK)
		goto out;
	if (kf_pg_open(&pg, url, &err) < 0 ||
	    kf_pg_queue_requeue(&pg, gid, dead, failed, &n, &err) < 0)
		rc = kf_cli_error(&err);
	else
		rc = kf_cli_print_count(cli, "requeued", n, "job(s) back to pending");
out:
	kf_pg_close(&pg);
	kf_config_release(&cfg);
	return rc;
}

int kf_cli_pg_jobs(struct kf_cli *cli, const struct kf_command *cmd, const struct kf_args *a,
		   const char *state, struct kf_job_row **rows, size_t *n)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_config cfg = { 0 };
	struct kf_pg pg = { 0 };
	const char *url;
	int64_t gid = 0;
	int rc;

	(void)cli;
	if ((rc = gallery_id(cmd, a->pos[0], &gid)) != KF_EXIT_OK ||
	    (rc = pg_url(cmd, a, &cfg, &url)) != KF_EXIT_OK)
		goto out;
	if (kf_pg_open(&pg, url, &err) < 0 ||
	    kf_pg_queue_list(&pg, gid, state, rows, n, &err) < 0)
		rc = kf_cli_error(&err);
out:
	kf_pg_close(&pg);
	kf_config_release(&cfg);
	return rc;
}

/* The local database's path, without creating its folder. */
static int local_db(struct kf_cli *cli, char *out, size_t n, struct kf_err *err)
{
	const char *env = getenv("KINGFACE_DB"), *x = getenv("XDG_DATA_HOME");
	const char *home = getenv("HOME");
	int w;

	if ((cli->db_flag && *cli->db_flag) || (env && *env))
		return kf_paths_db(cli->db_flag, out, n, err);
	if (x && *x)
		w = snprintf(out, n, "%s/kingface/kingface.db", x);
	else
		w = snprintf(out, n, "%s/.local/share/kingface/kingface.db", home ? home : "");
	if (w < 0 || (size_t)w >= n)
		return kf_err_set(err, KF_E_INVALID, "data folder path is too long");
	return KF_OK;
}

static double setting_default(const char *key)
{
	return kf_settings_find(key)->def;
}

/* The match options: as the local worker's when the local database exists
 * (its settings), else the options over the settings' defaults. */
static int match_opts(struct kf_cli *cli, const struct kf_command *cmd, const struct kf_args *a,
		      struct kf_photo_match_opts *o)
{
	struct kf_queue_opts q = KF_QUEUE_OPTS_DEFAULT;
	struct kf_err err = KF_ERR_INIT;
	struct kf_store *st = NULL;
	struct stat sb;
	char path[4096];
	double t;
	int rc;

	if (local_db(cli, path, sizeof(path), &err) < 0)
		return kf_cli_error(&err);
	if (stat(path, &sb) == 0) {
		kf_cli_warn_db(path);
		if (kf_store_open(&st, path, KF_STORE_READONLY, &err) < 0)
			return kf_cli_error(&err);
		rc = kf_cli_match_opts(cli, cmd, a, st, o);
		kf_store_close(st);
		return rc;
	}
	memset(o, 0, sizeof(*o));
	if ((rc = kf_cli_detect_opts(cmd, a, &o->detect)) != KF_EXIT_OK)
		return rc;
	t = setting_default("threshold");
	/* with --threshold, kf_cli_threshold() reads no setting */
	if (kf_cli_opt(cmd, a, "threshold") &&
	    (rc = kf_cli_threshold(cli, cmd, a, NULL, &t)) != KF_EXIT_OK)
		return rc;
	o->threshold = (float)t;
	if (!kf_cli_opt(cmd, a, "max-faces"))
		o->detect.max_faces = (int)setting_default("max-faces");
	o->ttl_ms = (int64_t)(setting_default("cache-ttl-days") * 86400000.0);
	q.max_attempts = (int)setting_default("max-attempts");
	o->queue = q;
	return KF_EXIT_OK;
}

/* KINGFACE_LEASE_MS over the default lease (tests, slow machines). */
static int lease_env(const struct kf_command *cmd, struct kf_queue_opts *q)
{
	const char *env = getenv("KINGFACE_LEASE_MS");
	char *end;
	long long v;

	if (!env || !*env)
		return KF_EXIT_OK;
	v = strtoll(env, &end, 10);
	if (*end || v < LEASE_MIN_MS || v > LEASE_MAX_MS)
		return kf_cli_usage(cmd, "KINGFACE_LEASE_MS must be from %d to %d, not '%s'",
				    LEASE_MIN_MS, LEASE_MAX_MS, env);
	q->lease_ms = v;
	return KF_EXIT_OK;
}

static const char *const kind_names[] = {
	[KF_PG_EVENT_DONE] = "done", [KF_PG_EVENT_CACHED] = "done",
	[KF_PG_EVENT_FAILED] = "failed", [KF_PG_EVENT_DEAD] = "dead",
	[KF_PG_EVENT_LOST] = "lost", [KF_PG_EVENT_NET] = "disconnected",
};

/* One line per event: photos on stdout, connection trouble on stderr (text). */
static void print_event(void *ctx, const struct kf_pg_event *ev)
{
	struct kf_cli *cli = ctx;
	int finished = ev->kind == KF_PG_EVENT_DONE || ev->kind == KF_PG_EVENT_CACHED;

	if (cli->json) {
		cJSON *o = cJSON_CreateObject();
		char *text;

		cJSON_AddStringToObject(o, "event", kind_names[ev->kind]);
		if (ev->kind != KF_PG_EVENT_NET) {
			kf_json_int(o, "photoId", ev->photo_id);
			kf_json_int(o, "galleryId", ev->gallery_id);
			kf_json_int(o, "jobId", ev->job_id);
			kf_json_str(o, "key", ev->key);
			kf_json_int(o, "attempts", ev->attempts);
		}
		if (finished) {
			kf_json_str(o, "etag", ev->etag);
			kf_json_int(o, "faces", ev->faces);
			kf_json_int(o, "matches", ev->matches);
			cJSON_AddBoolToObject(o, "cached", ev->kind == KF_PG_EVENT_CACHED);
		} else {
			kf_json_str(o, "reason", ev->reason);
		}
		kf_json_int(o, "worker", ev->worker);
		if ((text = cJSON_PrintUnformatted(o)))
			fprintf(cli->out, "%s\n", text);
		cJSON_free(text);
		cJSON_Delete(o);
	} else if (finished) {
		fprintf(cli->out, "done %lld %s: %lld face%s, %lld match%s%s\n",
			(long long)ev->photo_id, ev->key, (long long)ev->faces,
			ev->faces == 1 ? "" : "s", (long long)ev->matches,
			ev->matches == 1 ? "" : "es",
			ev->kind == KF_PG_EVENT_CACHED ? " (from the cache)" : "");
	} else if (ev->kind == KF_PG_EVENT_FAILED || ev->kind == KF_PG_EVENT_DEAD) {
		fprintf(cli->out, "%s %lld %s: %s (attempt %d%s)\n", kind_names[ev->kind],
			(long long)ev->photo_id, ev->key, ev->reason, ev->attempts,
			ev->kind == KF_PG_EVENT_DEAD ? ", no retry" : ", retried later");
	} else if (ev->kind == KF_PG_EVENT_LOST) {
		fprintf(stderr, "kingface: photo %lld '%s': another worker took the job (%s)\n",
			(long long)ev->photo_id, ev->key, ev->reason);
	} else {
		fprintf(stderr, "kingface: %s; reconnecting\n", ev->reason);
	}
	/* a killed worker's lines are not lost in a buffer */
	fflush(cli->out);
}

int kf_cmd_pg_worker(struct kf_cli *cli, const struct kf_command *cmd, struct kf_args *a,
		     int concurrency)
{
	struct kf_err err = KF_ERR_INIT;
	const char *gref = kf_cli_opt(cmd, a, "gallery");
	struct kf_config cfg = { 0 };
	struct kf_pg_worker_opts wo;
	struct kf_pg_worker_run *r;
	struct kf_pool_snapshot s;
	struct kf_engine *e = NULL;
	struct kf_pg pg = { 0 };
	struct stat sb;
	int rc, stopped = 0;

	memset(&wo, 0, sizeof(wo));
	wo.concurrency = concurrency;
	wo.until_empty = kf_cli_opt(cmd, a, "exit-when-empty") != NULL;
	wo.photos_dir = kf_cli_opt(cmd, a, "photos");
	wo.bucket = kf_cli_opt(cmd, a, "bucket");
	wo.on_event = print_event;
	wo.ctx = cli;
	if (kf_cli_opt(cmd, a, "engine") && strcmp(kf_cli_opt(cmd, a, "engine"), "local"))
		return kf_cli_usage(cmd, "worker --pg runs the local engine only: the platform's "
				    "references are face-api descriptors");
	if ((gref && (rc = gallery_id(cmd, gref, &wo.gallery_id)) != KF_EXIT_OK) ||
	    (rc = match_opts(cli, cmd, a, &wo.match)) != KF_EXIT_OK ||
	    (rc = lease_env(cmd, &wo.match.queue)) != KF_EXIT_OK ||
	    (rc = pg_url(cmd, a, &cfg, &wo.url)) != KF_EXIT_OK)
		goto out;
	rc = KF_EXIT_ERROR;
	if (wo.photos_dir && (stat(wo.photos_dir, &sb) != 0 || !S_ISDIR(sb.st_mode))) {
		kf_err_errno(&err, KF_E_NOTFOUND, "--photos '%s' is not a folder", wo.photos_dir);
		kf_cli_error(&err);
		goto out;
	}
	/* fail now on a bad URL or login, and migrate once, before the threads */
	if (kf_pg_open(&pg, wo.url, &err) < 0) {
		kf_cli_error(&err);
		goto out;
	}
	kf_pg_close(&pg);
	if ((rc = kf_cli_load_engine(cli, &wo.match.detect, &e)) != KF_EXIT_OK)
		goto out;
	rc = KF_EXIT_ERROR;
	kf_cli_catch_signals();
	if (kf_pg_worker_start(e, &wo, &r, &err) < 0) {
		kf_cli_error(&err);
		goto out;
	}
	fprintf(stderr, "kingface: worker with %d thread(s) on PostgreSQL at %s, jobs of %s%s\n",
		wo.concurrency, pg.where, gref ? "gallery " : "every gallery", gref ? gref : "");
	for (;;) {
		kf_pg_worker_snapshot(r, &s);
		if (kf_cli_interrupted && !stopped) {
			fprintf(stderr, "kingface: stopping: in-flight photos finish, the rest stays "
				"queued\n");
			kf_pg_worker_stop(r);
			stopped = 1;
		}
		if (s.finished)
			break;
		usleep(100 * 1000);
	}
	kf_pg_worker_snapshot(r, &s);
	if (kf_pg_worker_wait(r, &err) < 0) {
		kf_cli_error(&err);
		goto out;
	}
	fprintf(stderr, "kingface: %lld processed, %lld from the cache, %lld failed, %lld dead "
		"in %.1f s\n", (long long)s.v[KF_POOL_DONE], (long long)s.v[KF_POOL_CACHED],
		(long long)s.v[KF_POOL_FAILED], (long long)s.v[KF_POOL_DEAD],
		(double)s.elapsed_ms / 1000.0);
	rc = KF_EXIT_OK;
out:
	kf_engine_free(e);
	kf_config_release(&cfg);
	return rc;
}
