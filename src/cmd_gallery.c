/* cmd_gallery.c: gallery import, list, show, remove, engine, detector. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/detect.h"
#include "core/match_engine.h"
#include "data/config.h"
#include "data/engines.h"
#include "data/source_folder.h"
#include "data/source_s3.h"
#include "data/store_face.h"
#include "data/store_gallery.h"
#include "src/cli.h"

static cJSON *gallery_json(const struct kf_gallery *g)
{
	cJSON *o = cJSON_CreateObject();

	kf_json_int(o, "id", g->id);
	kf_json_str(o, "name", g->name);
	kf_json_str(o, "source", g->source);
	kf_json_str(o, "engine", g->engine);
	kf_json_str(o, "detector", g->detector);
	if (g->platform_id)
		kf_json_int(o, "platformId", g->platform_id);
	else
		cJSON_AddNullToObject(o, "platformId");
	kf_json_str(o, "bucket", g->bucket);
	kf_json_int(o, "syncPending", g->sync_pending);
	kf_json_int(o, "rekognitionCalls", g->remote_calls);
	kf_json_int(o, "photos", g->photos);
	kf_json_int(o, "clients", g->clients);
	kf_json_int(o, "pending", g->pending);
	kf_json_int(o, "running", g->running);
	kf_json_int(o, "done", g->done);
	kf_json_int(o, "failed", g->failed);
	kf_json_int(o, "dead", g->dead);
	kf_json_int(o, "missing", g->missing);
	kf_json_int(o, "faces", g->faces);
	kf_json_int(o, "matches", g->matches);
	kf_json_int(o, "createdAt", g->created_at);
	return o;
}

int kf_cmd_gallery_import(struct kf_cli *cli, const struct kf_command *cmd, struct kf_args *a)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_import_summary s;
	struct kf_gallery g;
	struct kf_store *st;
	const char *name = kf_cli_opt(cmd, a, "name");
	char typed[KF_NAME_MAX + 1];
	int rc;

	if (name && kf_store_name_typed("gallery", name, typed, sizeof(typed), &err) < 0)
		return kf_cli_usage(cmd, "%s", err.msg);
	if (name)
		name = typed;
	if ((rc = kf_cli_store(cli, &st)) != KF_EXIT_OK)
		return rc;
	if (!strncmp(a->pos[0], "s3://", 5)) {
		struct kf_config cfg;

		if (kf_config_load(&cfg, NULL, &err) < 0)
			return kf_cli_error(&err);
		rc = kf_source_s3_import(st, &cfg, a->pos[0], name, &s, &err);
		kf_config_release(&cfg);
		if (rc < 0)
			return kf_cli_error(&err);
	} else if (kf_source_folder_import(st, a->pos[0], name, &s, &err) < 0) {
		return kf_cli_error(&err);
	}
	if (kf_store_gallery_get(st, s.gallery_id, &g, &err) < 0)
		return kf_cli_error(&err);
	if (cli->json) {
		cJSON *o = cJSON_CreateObject();

		kf_json_int(o, "galleryId", g.id);
		kf_json_str(o, "name", g.name);
		kf_json_str(o, "source", g.source);
		cJSON_AddBoolToObject(o, "created", s.created);
		kf_json_int(o, "added", s.added);
		kf_json_int(o, "changed", s.changed);
		kf_json_int(o, "unchanged", s.unchanged);
		kf_json_int(o, "removed", s.removed);
		kf_json_int(o, "skipped", s.skipped);
		kf_json_int(o, "unreadable", s.unreadable);
		kf_json_int(o, "failed", s.failed);
		kf_json_int(o, "photos", g.photos);
		kf_store_gallery_release(&g);
		return kf_cli_print_json(cli, o);
	}
	fprintf(cli->out, "%s gallery '%s' (id %lld) from %s\n", s.created ? "created" : "updated",
		g.name, (long long)g.id, g.source);
	fprintf(cli->out, "  %lld added, %lld changed, %lld unchanged, %lld skipped (not photos)\n",
		(long long)s.added, (long long)s.changed, (long long)s.unchanged,
		(long long)s.skipped);
	if (s.unreadable)
		fprintf(cli->out, "  %lld folder(s) cannot be read, their photos left as they were: "
			"%s%s\n", (long long)s.unreadable, s.unreadable_first,
			s.unreadable > 1 ? ", ..." : "");
	if (s.removed)
		fprintf(cli->out, "  %lld photo(s) gone from the folder: kept with their results, "
			"marked missing ('kingface photo list %s --status missing')\n",
			(long long)s.removed, kf_cli_gallery_arg(&g));
	if (s.failed)
		fprintf(cli->out, "  %lld file(s) named like photos cannot be read as images: "
			"kingface photo list %s --status failed\n", (long long)s.failed,
			kf_cli_gallery_arg(&g));
	kf_store_gallery_release(&g);
	return KF_EXIT_OK;
}

int kf_cmd_gallery_list(struct kf_cli *cli, const struct kf_command *cmd, struct kf_args *a)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_gallery *list;
	struct kf_store *st;
	size_t n;
	int rc;
	(void)cmd; (void)a;

	if ((rc = kf_cli_store(cli, &st)) != KF_EXIT_OK)
		return rc;
	if (kf_store_gallery_list(st, &list, &n, &err) < 0)
		return kf_cli_error(&err);
	if (cli->json) {
		cJSON *o = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(o, "galleries");

		for (size_t i = 0; i < n; i++)
			cJSON_AddItemToArray(arr, gallery_json(&list[i]));
		kf_store_gallery_list_free(list, n);
		return kf_cli_print_json(cli, o);
	}
	if (n == 0)
		fputs("no galleries yet: kingface gallery import DIR\n", cli->out);
	else
		fprintf(cli->out, "%5s  %-24s %7s %7s %7s %7s %7s\n", "ID", "NAME", "PHOTOS",
			"CLIENTS", "DONE", "FAILED", "FACES");
	for (size_t i = 0; i < n; i++)
		fprintf(cli->out, "%5lld  %-*s %7lld %7lld %7lld %7lld %7lld\n",
			(long long)list[i].id, kf_cli_pad(list[i].name, 24), list[i].name, (long long)list[i].photos,
			(long long)list[i].clients, (long long)list[i].done,
			(long long)(list[i].failed + list[i].dead), (long long)list[i].faces);
	kf_store_gallery_list_free(list, n);
	return KF_EXIT_OK;
}

int kf_cmd_gallery_rename(struct kf_cli *cli, const struct kf_command *cmd, struct kf_args *a)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_gallery g;
	struct kf_store *st;
	char name[KF_NAME_MAX + 1];
	int rc;

	if (kf_store_name_typed("gallery", a->pos[1], name, sizeof(name), &err) < 0)
		return kf_cli_usage(cmd, "%s", err.msg);
	if ((rc = kf_cli_gallery(cli, a->pos[0], &st, &g)) != KF_EXIT_OK)
		return rc;
	if ((rc = kf_store_gallery_rename(st, g.id, name, &err)) == KF_OK && cli->json) {
		cJSON *o = cJSON_CreateObject();
		kf_json_int(o, "id", g.id);
		kf_json_str(o, "name", name);
		kf_json_str(o, "oldName", g.name);
		kf_cli_print_json(cli, o);
	} else if (rc == KF_OK) {
		fprintf(cli->out, "renamed gallery '%s' to '%s'\n", g.name, name);
	}
	kf_store_gallery_release(&g);
	return rc < 0 ? kf_cli_error(&err) : KF_EXIT_OK;
}

int kf_cmd_gallery_show(struct kf_cli *cli, const struct kf_command *cmd, struct kf_args *a)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_gallery g;
	struct kf_store *st;
	char when[32] = "-";
	int rc;
	(void)cmd;

	if ((rc = kf_cli_store(cli, &st)) != KF_EXIT_OK)
		return rc;
	if (kf_store_gallery_find(st, a->pos[0], &g, &err) < 0)
		return kf_cli_error(&err);
	if (cli->json) {
		rc = kf_cli_print_json(cli, gallery_json(&g));
		kf_store_gallery_release(&g);
		return rc;
	}
	time_t t = (time_t)(g.created_at / 1000);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M", localtime(&t));
	fprintf(cli->out,
		"gallery %lld: %s\n"
		"  source   %s\n"
		"  created  %s\n"
		"  engine   %s\n"
		"  detector %s\n"
		"  photos   %lld (%lld pending, %lld running, %lld done, %lld failed, %lld dead",
		(long long)g.id, g.name, g.source ? g.source : "-", when, g.engine,
		g.detector ? g.detector : "- (the first results set it)",
		(long long)g.photos, (long long)g.pending, (long long)g.running, (long long)g.done,
		(long long)g.failed, (long long)g.dead);
	if (g.missing)
		fprintf(cli->out, "; %lld missing from the folder", (long long)g.missing);
	fprintf(cli->out, ")\n  clients  %lld\n  faces    %lld\n  matches  %lld\n",
		(long long)g.clients, (long long)g.faces, (long long)g.matches);
	if (g.platform_id)
		fprintf(cli->out, "  platform gallery %lld%s%s: %lld change%s to sync\n",
			(long long)g.platform_id, g.bucket ? ", bucket " : "",
			g.bucket ? g.bucket : "", (long long)g.sync_pending,
			g.sync_pending == 1 ? "" : "s");
	kf_store_gallery_release(&g);
	return KF_EXIT_OK;
}

int kf_cmd_gallery_remove(struct kf_cli *cli, const struct kf_command *cmd, struct kf_args *a)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_gallery g;
	struct kf_store *st;
	int rc, remote = 0;

	if ((rc = kf_cli_store(cli, &st)) != KF_EXIT_OK)
		return rc;
	if (kf_store_gallery_find(st, a->pos[0], &g, &err) < 0)
		return kf_cli_error(&err);
	if (!kf_cli_opt(cmd, a, "yes") &&
	    !kf_cli_confirm("Remove gallery '%s' with %lld photos, %lld clients and their "
			    "faces and matches?", g.name, (long long)g.photos, (long long)g.clients)) {
		fprintf(stderr, "kingface: gallery '%s' not removed (confirm, or pass --yes)\n",
			g.name);
		kf_store_gallery_release(&g);
		return KF_EXIT_ERROR;
	}
	/* biometric data in a remote collection goes first, or nothing goes */
	if (kf_engines_drop_gallery(st, &g, &remote, &err) < 0) {
		if (!kf_cli_opt(cmd, a, "force")) {
			fprintf(stderr, "kingface: %s; gallery '%s' not removed: retry when "
				"connected, or --force to remove it here and leave the collection\n",
				err.msg, g.name);
			kf_store_gallery_release(&g);
			return KF_EXIT_ERROR;
		}
		fprintf(stderr, "kingface: warning: %s; removing the gallery here anyway (--force): "
			"delete collection 'kingface-%lld' in AWS yourself\n", err.msg,
			(long long)g.id);
		kf_err_clear(&err);
	}
	rc = kf_store_gallery_remove(st, g.id, &err);
	if (rc == KF_OK) {
		if (cli->json) {
			cJSON *o = cJSON_CreateObject();
			kf_json_int(o, "removed", g.id);
			kf_json_str(o, "name", g.name);
			kf_cli_print_json(cli, o);
		} else {
			fprintf(cli->out, "removed gallery '%s' (%lld photos, %lld clients)\n",
				g.name, (long long)g.photos, (long long)g.clients);
		}
	}
	kf_store_gallery_release(&g);
	return rc < 0 ? kf_cli_error(&err) : KF_EXIT_OK;
}

/* Before switching g's `what` (engine or detector) from have to want: say
 * what is dropped and how many photos will be processed again, and ask
 * unless --yes (required without a terminal). KF_EXIT_OK to go on. */
static int confirm_switch(const struct kf_command *cmd, const struct kf_args *a,
			  const struct kf_gallery *g, const char *what, const char *have,
			  const char *want, int64_t results)
{
	fprintf(stderr, "kingface: switching '%s' from %s to %s drops the stored faces, "
		"matches and cached results of %lld processed photo(s); %lld photo(s) will "
		"be processed again\n", g->name, have, want, (long long)results,
		(long long)(g->photos - g->missing));
	if (kf_cli_opt(cmd, a, "yes"))
		return KF_EXIT_OK;
	if (!isatty(STDIN_FILENO))
		return kf_cli_usage(cmd, "confirm the switch with --yes");
	if (!kf_cli_confirm("switch?")) {
		fprintf(stderr, "kingface: %s of '%s' not changed\n", what, g->name);
		return KF_EXIT_ERROR;
	}
	return KF_EXIT_OK;
}

int kf_cmd_gallery_engine(struct kf_cli *cli, const struct kf_command *cmd, struct kf_args *a)
{
	struct kf_err err = KF_ERR_INIT;
	const char *want = a->npos > 1 ? a->pos[1] : NULL;
	const char *have;
	struct kf_gallery g;
	struct kf_store *st;
	int64_t results = 0, refs = 0, requeued = 0, want_refs = 0;
	int rc;

	if (want && !kf_match_engine_known(want))
		return kf_cli_usage(cmd, "ENGINE must be local or rekognition, not '%s'", want);
	if ((rc = kf_cli_gallery(cli, a->pos[0], &st, &g)) != KF_EXIT_OK)
		return rc;
	have = g.engine ? g.engine : KF_MATCH_ENGINE_LOCAL;
	rc = KF_EXIT_ERROR;
	if (kf_store_gallery_engine_use(st, &g, &results, &refs, &err) < 0 ||
	    (want && kf_store_face_count(st, g.id, want, &want_refs, &err) < 0)) {
		kf_cli_error(&err);
		goto out;
	}
	if (want && strcmp(want, have) != 0) {
		if ((rc = confirm_switch(cmd, a, &g, "engine", have, want, results)) != KF_EXIT_OK)
			goto out;
		rc = KF_EXIT_ERROR;
		if (kf_store_gallery_set_engine(st, g.id, want, 1, &requeued, &err) < 0) {
			kf_cli_error(&err);
			goto out;
		}
		have = want;
		results = 0;
		refs = want_refs;
	}
	if (cli->json) {
		cJSON *o = cJSON_CreateObject();

		kf_json_int(o, "galleryId", g.id);
		kf_json_str(o, "engine", have);
		kf_json_int(o, "processed", results);
		kf_json_int(o, "references", refs);
		kf_json_int(o, "requeued", requeued);
		kf_json_int(o, "rekognitionCalls", g.remote_calls);
		rc = kf_cli_print_json(cli, o);
	} else {
		if (want)
			fprintf(cli->out, "'%s' uses the %s engine%s", g.name, have,
				requeued ? "" : " (unchanged)");
		else
			fprintf(cli->out, "'%s' uses the %s engine", g.name, have);
		if (requeued)
			fprintf(cli->out, "; %lld photo(s) queued for 'kingface process %s'",
				(long long)requeued, kf_cli_gallery_arg(&g));
		fprintf(cli->out, "; %lld reference(s) of it%s\n", (long long)refs,
			refs == 0 && g.clients ? ": enroll the clients again to match them" : "");
		rc = KF_EXIT_OK;
	}
out:
	kf_store_gallery_release(&g);
	return rc;
}

int kf_cmd_gallery_detector(struct kf_cli *cli, const struct kf_command *cmd, struct kf_args *a)
{
	struct kf_err err = KF_ERR_INIT;
	const char *want = a->npos > 1 ? a->pos[1] : NULL;
	const char *have;
	struct kf_gallery g;
	struct kf_store *st;
	int64_t results = 0, refs = 0, requeued = 0;
	int rc;

	if (want && kf_detector_parse(want) < 0)
		return kf_cli_usage(cmd, "DETECTOR must be yunet, ssd or tiny, not '%s'", want);
	if ((rc = kf_cli_gallery(cli, a->pos[0], &st, &g)) != KF_EXIT_OK)
		return rc;
	have = g.detector;
	rc = KF_EXIT_ERROR;
	if (kf_store_gallery_engine_use(st, &g, &results, &refs, &err) < 0) {
		kf_cli_error(&err);
		goto out;
	}
	if (want && (!have || strcmp(want, have) != 0)) {
		if ((rc = confirm_switch(cmd, a, &g, "detector", have ? have : "none", want,
					 results)) != KF_EXIT_OK)
			goto out;
		rc = KF_EXIT_ERROR;
		if (kf_store_gallery_set_detector(st, g.id, want, 1, &requeued, &err) < 0) {
			kf_cli_error(&err);
			goto out;
		}
		have = want;
		results = 0;
	}
	if (cli->json) {
		cJSON *o = cJSON_CreateObject();

		kf_json_int(o, "galleryId", g.id);
		kf_json_str(o, "detector", have);
		kf_json_int(o, "processed", results);
		kf_json_int(o, "requeued", requeued);
		rc = kf_cli_print_json(cli, o);
	} else {
		if (have)
			fprintf(cli->out, "'%s' uses the %s detector%s", g.name, have,
				want && !requeued ? " (unchanged)" : "");
		else
			fprintf(cli->out, "'%s' has no detector yet: its first results set it "
				"(--detector, else yunet)", g.name);
		if (requeued)
			fprintf(cli->out, "; %lld photo(s) queued for 'kingface process %s'",
				(long long)requeued, kf_cli_gallery_arg(&g));
		fputc('\n', cli->out);
		rc = KF_EXIT_OK;
	}
out:
	kf_store_gallery_release(&g);
	return rc;
}
