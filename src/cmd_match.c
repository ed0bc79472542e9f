/* cmd_match.c: match one photo (seed step 1) and rematch a gallery. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "data/photo_match.h"
#include "data/settings.h"
#include "data/store_gallery.h"
#include "data/store_photo.h"
#include "data/store_result.h"
#include "src/cli_engine.h"

int kf_cli_match_opts(struct kf_cli *cli, const struct kf_command *cmd, const struct kf_args *a,
		      struct kf_store *st, struct kf_photo_match_opts *o)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_detect_opts d;
	double t;
	int rc;

	if ((rc = kf_cli_detect_opts(cmd, a, &d)) != KF_EXIT_OK ||
	    (rc = kf_cli_threshold(cli, cmd, a, st, &t)) != KF_EXIT_OK)
		return rc;
	if (kf_photo_match_opts_load(st, o, &err) < 0)
		return kf_cli_error(&err);
	if (!kf_cli_opt(cmd, a, "max-faces"))
		d.max_faces = o->detect.max_faces;
	o->detect = d;
	o->threshold = (float)t;
	o->no_cache = kf_cli_opt(cmd, a, "no-cache") != NULL;
	return KF_EXIT_OK;
}

static void print_text(struct kf_cli *cli, const char *payload)
{
	cJSON *o = cJSON_Parse(payload), *m;

	if (!o)
		return;
	fprintf(cli->out, "%s: %d face%s%s\n",
		cJSON_GetStringValue(cJSON_GetObjectItem(o, "key")),
		cJSON_GetObjectItem(o, "faceCount")->valueint,
		cJSON_GetObjectItem(o, "faceCount")->valueint == 1 ? "" : "s",
		cJSON_IsTrue(cJSON_GetObjectItem(o, "cached")) ? " (from the cache)" : "");
	cJSON_ArrayForEach(m, cJSON_GetObjectItem(o, "matches"))
		fprintf(cli->out, "  face %d: %s (similarity %.1f)\n",
			cJSON_GetObjectItem(m, "faceIndex")->valueint,
			cJSON_GetStringValue(cJSON_GetObjectItem(m, "clientName")),
			cJSON_GetObjectItem(m, "similarity")->valuedouble);
	cJSON_Delete(o);
}

int kf_cmd_match(struct kf_cli *cli, const struct kf_command *cmd, struct kf_args *a)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_arena arena = KF_ARENA_INIT;
	struct kf_match_gallery mg;
	struct kf_photo_match_opts o;
	struct kf_match_engine me = { NULL, NULL };
	struct kf_engine *e = NULL;
	struct kf_gallery g = { 0 };
	struct kf_photo p = { 0 };
	struct kf_store *st;
	struct kf_photo_match_out res = { NULL, 0, 0, 0 };
	const char *engine;
	int rc;

	memset(&mg, 0, sizeof(mg));
	if ((rc = kf_cli_gallery(cli, a->pos[0], &st, &g)) != KF_EXIT_OK)
		return rc;
	if ((rc = kf_cli_match_opts(cli, cmd, a, st, &o)) != KF_EXIT_OK)
		goto out;
	rc = KF_EXIT_ERROR;
	if (kf_store_photo_find(st, g.id, a->pos[1], &p, &err) < 0) {
		kf_cli_error(&err);
		goto out;
	}
	if ((rc = kf_cli_engine_name(cli, cmd, a, st, &g, 1, &engine)) != KF_EXIT_OK ||
	    (rc = kf_cli_detector(cmd, a, st, &g, 1, &o.detect)) != KF_EXIT_OK ||
	    (rc = kf_cli_engine_open(cli, engine, &o.detect, &e, &me)) != KF_EXIT_OK)
		goto out;
	rc = KF_EXIT_ERROR;
	if (kf_match_gallery_load(st, g.id, &mg, &err) < 0 ||
	    kf_photo_match(st, &me, &mg, p.id, NULL, 0, &o, &res, &arena, &err) < 0) {
		kf_cli_error(&err);
		goto out;
	}
	if (cli->json)
		fprintf(cli->out, "%s\n", res.payload);
	else
		print_text(cli, res.payload);
	rc = KF_EXIT_OK;
out:
	kf_free(res.payload);
	kf_match_engine_close(&me);
	kf_engine_free(e);
	kf_match_gallery_release(&mg);
	kf_store_photo_release(&p);
	kf_store_gallery_release(&g);
	kf_arena_release(&arena);
	return rc;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int kf_cmd_rematch(struct kf_cli *cli, const struct kf_command *cmd, struct kf_args *a)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_gallery g = { 0 };
	struct kf_store *st;
	int64_t faces = 0, matches = 0;
	double t, t0;
	float used = 0;
	int rc;

	if ((rc = kf_cli_gallery(cli, a->pos[0], &st, &g)) != KF_EXIT_OK)
		return rc;
	if ((rc = kf_cli_threshold(cli, cmd, a, st, &t)) != KF_EXIT_OK)
		goto out;
	if (g.engine && strcmp(g.engine, KF_MATCH_ENGINE_LOCAL) != 0) {
		fprintf(stderr, "kingface: rematch needs the local engine's descriptors; gallery '%s' "
			"uses %s: process it again instead (kingface process %s --all --no-cache)\n",
			g.name, g.engine, kf_cli_gallery_arg(&g));
		rc = KF_EXIT_ERROR;
		goto out;
	}
	t0 = now_ms();
	if (kf_match_gallery_rematch(st, g.id, (float)t, &used, &faces, &matches, &err) < 0) {
		rc = kf_cli_error(&err);
		goto out;
	}
	double ms = now_ms() - t0;
	if (cli->json) {
		cJSON *o = cJSON_CreateObject();
		kf_json_int(o, "galleryId", g.id);
		kf_json_int(o, "faces", faces);
		kf_json_int(o, "matches", matches);
		kf_json_num(o, "threshold", used, 2);
		kf_json_num(o, "elapsedMs", ms, 1);
		rc = kf_cli_print_json(cli, o);
	} else {
		fprintf(cli->out, "re-matched %lld stored faces of '%s' against the current "
			"enrollment: %lld matches (threshold %g, %.0f ms, no photo decoded)\n",
			(long long)faces, g.name, (long long)matches, used, ms);
		rc = KF_EXIT_OK;
	}
out:
	kf_store_gallery_release(&g);
	return rc;
}
