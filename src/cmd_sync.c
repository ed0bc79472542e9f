/* cmd_sync.c: gallery pull, sync, sync --status (connected mode). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "data/config.h"
#include "data/pg.h"
#include "data/store_gallery.h"
#include "data/store_sync.h"
#include "data/sync.h"
#include "src/cli.h"

/* Connect to the --pg URL (or KINGFACE_PG_URL). */
static int connect_pg(const struct kf_command *cmd, const struct kf_args *a, struct kf_pg *pg,
		      struct kf_err *err)
{
	struct kf_config cfg;
	const char *url;
	int rc;

	if ((rc = kf_cli_pg_url(cmd, a, &cfg, &url, err)) == KF_OK)
		rc = kf_pg_open(pg, url, err);
	kf_config_release(&cfg);
	return rc;
}

static void pull_print(struct kf_cli *cli, const struct kf_pull_summary *s, cJSON *o)
{
	if (o) {
		kf_json_int(o, "galleryId", s->gallery_id);
		cJSON_AddBoolToObject(o, "created", s->created);
		kf_json_int(o, "clients", s->clients);
		kf_json_int(o, "clientsAdded", s->clients_added);
		kf_json_int(o, "clientsRenamed", s->clients_renamed);
		kf_json_int(o, "clientsRemoved", s->clients_removed);
		kf_json_int(o, "photos", s->photos);
		kf_json_int(o, "photosAdded", s->photos_added);
		kf_json_int(o, "photosChanged", s->photos_changed);
		kf_json_int(o, "photosMissing", s->photos_missing);
		kf_json_int(o, "photosInFolder", s->photos_local);
		kf_json_int(o, "referencesAdded", s->refs_added);
		kf_json_int(o, "referencesRemoved", s->refs_removed);
		kf_json_int(o, "reviewsChanged", s->reviews_changed);
		cJSON_AddBoolToObject(o, "bucketListed", s->bucket_listed);
		kf_json_str(o, "bucketNote", s->bucket_note[0] ? s->bucket_note : NULL);
		return;
	}
	fprintf(cli->out, "  clients: %lld (%lld new, %lld renamed, %lld removed)\n",
		(long long)s->clients, (long long)s->clients_added, (long long)s->clients_renamed,
		(long long)s->clients_removed);
	fprintf(cli->out, "  photos: %lld (%lld new, %lld changed, %lld gone), %lld in the "
		"photos folder, %lld from the bucket\n", (long long)s->photos,
		(long long)s->photos_added, (long long)s->photos_changed,
		(long long)s->photos_missing, (long long)s->photos_local,
		(long long)(s->photos - s->photos_local));
	fprintf(cli->out, "  references from other machines: %lld new, %lld removed\n",
		(long long)s->refs_added, (long long)s->refs_removed);
	if (s->reviews_changed)
		fprintf(cli->out, "  reviews from other machines: %lld photo%s re-matched\n",
			(long long)s->reviews_changed, s->reviews_changed == 1 ? "" : "s");
	if (s->bucket_note[0])
		fprintf(cli->out, "  the bucket was not listed (%s): photos not in the folder are "
			"checked when they are fetched\n", s->bucket_note);
}

int kf_cmd_gallery_pull(struct kf_cli *cli, const struct kf_command *cmd, struct kf_args *a)
{
	struct kf_pull_opts o = { 0 };
	struct kf_pull_summary s;
	struct kf_err err = KF_ERR_INIT;
	struct kf_gallery g;
	struct kf_store *st;
	struct kf_pg pg;
	char *end;
	int rc;

	o.platform_id = strtoll(a->pos[0], &end, 10);
	if (*end || o.platform_id <= 0)
		return kf_cli_usage(cmd, "GALLERY_ID must be the platform's gallery id, not '%s'",
				    a->pos[0]);
	o.photos_dir = kf_cli_opt(cmd, a, "photos");
	o.bucket = kf_cli_opt(cmd, a, "bucket");
	if ((rc = kf_cli_store(cli, &st)) != KF_EXIT_OK)
		return rc;
	if (connect_pg(cmd, a, &pg, &err) < 0)
		return kf_cli_error(&err);
	rc = kf_sync_pull(st, &pg, &o, &s, &err);
	kf_pg_close(&pg);
	if (rc < 0 || kf_store_gallery_get(st, s.gallery_id, &g, &err) < 0)
		return kf_cli_error(&err);
	if (cli->json) {
		cJSON *j = cJSON_CreateObject();

		kf_json_str(j, "name", g.name);
		kf_json_int(j, "platformId", o.platform_id);
		pull_print(cli, &s, j);
		kf_store_gallery_release(&g);
		return kf_cli_print_json(cli, j);
	}
	fprintf(cli->out, "%s gallery '%s' (id %lld) from platform gallery %lld\n",
		s.created ? "created" : "updated", g.name, (long long)g.id,
		(long long)o.platform_id);
	pull_print(cli, &s, NULL);
	kf_store_gallery_release(&g);
	return KF_EXIT_OK;
}

static void time_text(char *buf, size_t n, int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (!ms) {
		snprintf(buf, n, "never");
		return;
	}
	localtime_r(&t, &tm);
	strftime(buf, n, "%Y-%m-%d %H:%M:%S", &tm);
}

/* The pulled galleries, or the one of --gallery; prints the error itself. */
static int pulled(struct kf_cli *cli, const struct kf_command *cmd, const struct kf_args *a,
		  struct kf_store **st, struct kf_gallery **list, size_t *n)
{
	struct kf_err err = KF_ERR_INIT;
	const char *ref = kf_cli_opt(cmd, a, "gallery");
	size_t k = 0;
	int rc;

	*list = NULL;
	*n = 0;
	if ((rc = kf_cli_store(cli, st)) != KF_EXIT_OK)
		return rc;
	if (kf_store_gallery_list(*st, list, n, &err) < 0)
		return kf_cli_error(&err);
	for (size_t i = 0; i < *n; i++) {
		struct kf_gallery *g = &(*list)[i];
		char id[24];

		snprintf(id, sizeof(id), "%lld", (long long)g->id);
		if (g->platform_id && (!ref || !strcmp(ref, id) || !strcmp(ref, g->name))) {
			struct kf_gallery t = (*list)[k];

			(*list)[k++] = *g;
			*g = t;
		}
	}
	for (size_t i = k; i < *n; i++)
		kf_store_gallery_release(&(*list)[i]);
	*n = k;
	if (ref && !k) {
		kf_err_set(&err, KF_E_NOTFOUND, "no pulled gallery '%s' (see 'kingface gallery "
			   "pull')", ref);
		return kf_cli_error(&err);
	}
	return KF_EXIT_OK;
}

static int sync_status(struct kf_cli *cli, struct kf_store *st, struct kf_gallery *list,
		       size_t n)
{
	struct kf_err err = KF_ERR_INIT;
	cJSON *arr = cli->json ? cJSON_CreateArray() : NULL;

	if (!cli->json && !n)
		fprintf(cli->out, "no pulled galleries (see 'kingface gallery pull')\n");
	for (size_t i = 0; i < n; i++) {
		struct kf_sync_state s;
		char ok[32], pull[32];
		int64_t pending;

		if (kf_store_outbox_count(st, list[i].id, &pending, &err) < 0 ||
		    kf_store_sync_state(st, list[i].id, &s, &err) < 0) {
			cJSON_Delete(arr);
			return kf_cli_error(&err);
		}
		if (arr) {
			cJSON *o = cJSON_CreateObject();

			kf_json_int(o, "galleryId", list[i].id);
			kf_json_str(o, "name", list[i].name);
			kf_json_int(o, "platformId", list[i].platform_id);
			kf_json_int(o, "pending", pending);
			kf_json_int(o, "pulledAt", s.pulled_at);
			kf_json_int(o, "lastSyncAt", s.last_ok_at);
			kf_json_int(o, "lastAttemptAt", s.last_attempt_at);
			kf_json_str(o, "lastError", s.last_error);
			cJSON_AddItemToArray(arr, o);
		} else {
			time_text(ok, sizeof(ok), s.last_ok_at);
			time_text(pull, sizeof(pull), s.pulled_at);
			fprintf(cli->out, "%s (id %lld, platform gallery %lld): %lld change%s to push; "
				"last sync %s; pulled %s\n", list[i].name, (long long)list[i].id,
				(long long)list[i].platform_id, (long long)pending,
				pending == 1 ? "" : "s", ok, pull);
			if (s.last_error)
				fprintf(cli->out, "  last error: %s\n", s.last_error);
		}
		kf_store_sync_state_release(&s);
	}
	return arr ? kf_cli_print_json(cli, arr) : KF_EXIT_OK;
}

/* Pull then push one gallery, recording the outcome. */
static int sync_one(struct kf_cli *cli, struct kf_store *st, struct kf_pg *pg,
		    const struct kf_gallery *g, cJSON *arr, struct kf_err *err)
{
	struct kf_pull_opts o = { g->platform_id, NULL, g->bucket };
	struct kf_pull_summary ps;
	struct kf_push_summary s;
	int64_t pending = 0;
	int rc;

	/* a folder source is where the pulled photos' local copies are */
	if (g->source && strncmp(g->source, "s3://", 5))
		o.photos_dir = g->source;
	if ((rc = kf_sync_pull(st, pg, &o, &ps, err)) < 0 ||
	    (rc = kf_sync_push(st, pg, g->id, &s, err)) < 0) {
		struct kf_err e2 = KF_ERR_INIT;

		kf_store_sync_mark(st, g->id, KF_SYNC_FAILED, err->msg, &e2);
		return rc;
	}
	if ((rc = kf_store_sync_mark(st, g->id, KF_SYNC_OK, NULL, err)) < 0 ||
	    (rc = kf_store_outbox_count(st, g->id, &pending, err)) < 0)
		return rc;
	if (arr) {
		cJSON *j = cJSON_CreateObject(), *pull = cJSON_CreateObject();

		kf_json_int(j, "galleryId", g->id);
		kf_json_str(j, "name", g->name);
		kf_json_int(j, "platformId", g->platform_id);
		pull_print(cli, &ps, pull);
		cJSON_AddItemToObject(j, "pulled", pull);
		kf_json_int(j, "referencesPushed", s.references);
		kf_json_int(j, "photosPushed", s.photos);
		kf_json_int(j, "photosKeptRemote", s.kept_remote);
		kf_json_int(j, "photosWaiting", s.waiting);
		kf_json_int(j, "localOnly", s.local_only);
		kf_json_int(j, "pending", pending);
		cJSON_AddItemToArray(arr, j);
		return KF_OK;
	}
	fprintf(cli->out, "%s (id %lld, platform gallery %lld): pulled\n", g->name,
		(long long)g->id, (long long)g->platform_id);
	pull_print(cli, &ps, NULL);
	fprintf(cli->out, "  pushed: %lld reference change%s, %lld photo%s\n",
		(long long)s.references, s.references == 1 ? "" : "s", (long long)s.photos,
		s.photos == 1 ? "" : "s");
	if (s.kept_remote)
		fprintf(cli->out, "  %lld photo%s kept the platform's newer results\n",
			(long long)s.kept_remote, s.kept_remote == 1 ? "" : "s");
	if (s.waiting)
		fprintf(cli->out, "  %lld photo%s held by a platform worker: pushed at the next "
			"sync\n", (long long)s.waiting, s.waiting == 1 ? "" : "s");
	if (s.local_only)
		fprintf(cli->out, "  %lld change%s of clients or photos the platform does not "
			"have were not pushed\n", (long long)s.local_only,
			s.local_only == 1 ? "" : "s");
	return KF_OK;
}

int kf_cmd_sync(struct kf_cli *cli, const struct kf_command *cmd, struct kf_args *a)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_gallery *list;
	struct kf_store *st;
	struct kf_pg pg;
	cJSON *arr = NULL;
	size_t n;
	int rc;

	if ((rc = pulled(cli, cmd, a, &st, &list, &n)) != KF_EXIT_OK)
		return rc;
	if (kf_cli_opt(cmd, a, "status")) {
		rc = sync_status(cli, st, list, n);
		goto out;
	}
	if (!n) {
		fprintf(stderr, "kingface: no pulled galleries to sync (see 'kingface gallery "
			"pull')\n");
		rc = KF_EXIT_ERROR;
		goto out;
	}
	if (connect_pg(cmd, a, &pg, &err) < 0) {
		for (size_t i = 0; i < n; i++)
			kf_store_sync_mark(st, list[i].id, KF_SYNC_FAILED, err.msg, NULL);
		rc = kf_cli_error(&err);
		goto out;
	}
	/* one gallery's failure does not keep the others from syncing */
	arr = cli->json ? cJSON_CreateArray() : NULL;
	for (size_t i = 0; i < n; i++) {
		kf_err_clear(&err);
		if (sync_one(cli, st, &pg, &list[i], arr, &err) < 0)
			rc = kf_cli_error(&err);
	}
	kf_pg_close(&pg);
	if (arr && rc == KF_EXIT_OK)
		rc = kf_cli_print_json(cli, arr);
	else
		cJSON_Delete(arr);
out:
	kf_store_gallery_list_free(list, n);
	return rc;
}
