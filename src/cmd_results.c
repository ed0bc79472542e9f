/* cmd_results.c: the seed's step-2 queries: status, results, detail,
 * recognition. Read-only. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/threshold.h"
#include "data/photo_match.h"
#include "data/settings.h"
#include "data/store_client.h"
#include "data/store_gallery.h"
#include "data/store_photo.h"
#include "data/store_result.h"
#include "data/store_review.h"
#include "src/cli_engine.h"

static void box_json(cJSON *o, const struct kf_frac_box *b)
{
	cJSON *j = cJSON_AddObjectToObject(o, "boundingBox");

	kf_json_num(j, "Width", b->width, 6);
	kf_json_num(j, "Height", b->height, 6);
	kf_json_num(j, "Left", b->left, 6);
	kf_json_num(j, "Top", b->top, 6);
}

int kf_cmd_status(struct kf_cli *cli, const struct kf_command *cmd, struct kf_args *a)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_match_gallery mg;
	struct kf_gallery g;
	struct kf_store *st;
	char why[256];
	double setting;
	float t;
	int rc;
	(void)cmd;

	if ((rc = kf_cli_gallery(cli, a->pos[0], &st, &g)) != KF_EXIT_OK)
		return rc;
	if (kf_settings_get(st, "threshold", &setting, &err) < 0 ||
	    kf_match_gallery_load(st, g.id, &mg, &err) < 0) {
		kf_store_gallery_release(&g);
		return kf_cli_error(&err);
	}
	t = kf_match_gallery_threshold_why(&mg, (float)setting, why, sizeof(why));
	if (cli->json) {
		cJSON *th;

		cJSON *o = cJSON_CreateObject();

		kf_json_int(o, "galleryId", g.id);
		kf_json_int(o, "photos", g.photos);
		kf_json_int(o, "pending", g.pending);
		kf_json_int(o, "running", g.running);
		kf_json_int(o, "done", g.done);
		kf_json_int(o, "failed", g.failed);
		kf_json_int(o, "dead", g.dead);
		kf_json_int(o, "faces", g.faces);
		kf_json_int(o, "matches", g.matches);
		kf_json_str(o, "engine", g.engine);
		kf_json_str(o, "detector", g.detector);
		kf_json_int(o, "rekognitionCalls", g.remote_calls);
		th = cJSON_AddObjectToObject(o, "threshold");
		kf_json_num(th, "value", t, 1);
		kf_json_str(th, "mode", setting >= 0 ? "set" : "auto");
		kf_json_int(th, "clients", (int64_t)mg.autot.clients);
		if (!strcmp(g.engine ? g.engine : "local", "local") && mg.autot.refs)
			kf_json_num(th, "falseMatchesPer1000",
				    kf_threshold_expected(mg.autot.mean, mg.autot.sd,
							  mg.autot.clients, t), 2);
		kf_json_str(th, "why", why);
		if (kf_match_gallery_alike(&mg, t, why, sizeof(why))) {
			const struct kf_threshold_auto *at = &mg.autot;
			cJSON *al = cJSON_AddObjectToObject(th, "alike"), *ids, *names;

			ids = cJSON_AddArrayToObject(al, "clientIds");
			names = cJSON_AddArrayToObject(al, "clientNames");
			cJSON_AddItemToArray(ids, cJSON_CreateNumber((double)at->closest_a));
			cJSON_AddItemToArray(ids, cJSON_CreateNumber((double)at->closest_b));
			cJSON_AddItemToArray(names, cJSON_CreateString(
						     kf_match_gallery_name(&mg, at->closest_a)));
			cJSON_AddItemToArray(names, cJSON_CreateString(
						     kf_match_gallery_name(&mg, at->closest_b)));
			kf_json_num(al, "similarity", kf_search_similarity(at->closest_d), 2);
			cJSON_AddBoolToObject(al, "onePerson", at->same_clients > 0);
			kf_json_int(al, "onePersonPairs", (int64_t)at->same_clients);
		} else {
			cJSON_AddNullToObject(th, "alike");
		}
		if (g.last_processed_at)
			kf_json_int(o, "lastProcessedAt", g.last_processed_at);
		else
			cJSON_AddNullToObject(o, "lastProcessedAt");
		rc = kf_cli_print_json(cli, o);
	} else {
		fprintf(cli->out, "%s: %lld photo%s: %lld pending, %lld running, %lld done, "
			"%lld failed, %lld dead; %lld face%s, %lld match%s\n", g.name,
			(long long)g.photos, g.photos == 1 ? "" : "s", (long long)g.pending,
			(long long)g.running, (long long)g.done, (long long)g.failed, (long long)g.dead,
			(long long)g.faces, g.faces == 1 ? "" : "s", (long long)g.matches,
			g.matches == 1 ? "" : "es");
		if (g.detector || !g.engine || !strcmp(g.engine, "local"))
			fprintf(cli->out, "  detector %s\n", g.detector ? g.detector :
				"none yet (the first results set it)");
		fprintf(cli->out, "  %s\n", why);
		if (g.remote_calls || (g.engine && strcmp(g.engine, "local") != 0))
			fprintf(cli->out, "  engine %s: %lld Rekognition call(s) made\n", g.engine,
				(long long)g.remote_calls);
		if (g.failed || g.dead)
			fprintf(cli->out, "  why photos failed: kingface jobs %s --state %s; again: "
				"kingface requeue %s\n", kf_cli_gallery_arg(&g),
				g.dead ? "dead" : "failed", kf_cli_gallery_arg(&g));
		if (g.missing)
			fprintf(cli->out, "  %lld photo(s) gone from the folder, kept: kingface photo "
				"list %s --status missing\n", (long long)g.missing,
				kf_cli_gallery_arg(&g));
		rc = KF_EXIT_OK;
	}
	kf_match_gallery_release(&mg);
	kf_store_gallery_release(&g);
	return rc;
}

int kf_cmd_results(struct kf_cli *cli, const struct kf_command *cmd, struct kf_args *a)
{
	struct kf_err err = KF_ERR_INIT;
	const char *client = kf_cli_opt(cmd, a, "client");
	int64_t page, limit, total = 0;
	struct kf_result_row *rows = NULL;
	struct kf_gallery g;
	struct kf_client c = { 0 };
	struct kf_store *st;
	size_t n = 0;
	int rc;

	if (!client)
		return kf_cli_usage(cmd, "--client CLIENT is required");
	if ((rc = kf_cli_opt_page(cmd, a, &page, &limit)) != KF_EXIT_OK ||
	    (rc = kf_cli_gallery(cli, a->pos[0], &st, &g)) != KF_EXIT_OK)
		return rc;
	if (kf_store_client_find(st, g.id, client, &c, &err) < 0 ||
	    kf_store_results_client(st, c.id, (page - 1) * limit, limit, &rows, &n, &total,
				    &err) < 0) {
		rc = kf_cli_error(&err);
		goto out;
	}
	if (cli->json) {
		cJSON *o = cJSON_CreateObject(), *arr;

		kf_json_int(o, "clientId", c.id);
		kf_json_str(o, "clientName", c.name);
		arr = cJSON_AddArrayToObject(o, "photos");
		for (size_t i = 0; i < n; i++) {
			cJSON *p = cJSON_CreateObject();

			kf_json_int(p, "photoId", rows[i].photo_id);
			kf_json_str(p, "key", rows[i].key);
			kf_json_num(p, "similarity", rows[i].similarity, 2);
			kf_json_int(p, "faceIndex", rows[i].face_index);
			box_json(p, &rows[i].box);
			kf_json_str(p, "review", rows[i].confirmed ? "confirmed" : NULL);
			cJSON_AddItemToArray(arr, p);
		}
		kf_json_int(o, "total", total);
		kf_json_int(o, "page", page);
		kf_json_int(o, "limit", limit);
		rc = kf_cli_print_json(cli, o);
	} else {
		if (n > 0)
			fprintf(cli->out, "%6s  %10s  %4s  %s\n", "ID", "SIMILARITY", "FACE", "PHOTO");
		for (size_t i = 0; i < n; i++)
			fprintf(cli->out, "%6lld  %10.1f  %4d  %s%s\n", (long long)rows[i].photo_id,
				rows[i].similarity, rows[i].face_index, rows[i].key,
				rows[i].confirmed ? "  (confirmed)" : "");
		fprintf(cli->out, "'%s' is in %lld photo(s)%s\n", c.name, (long long)total,
			total > limit ? " (use --page)" : "");
		rc = KF_EXIT_OK;
	}
out:
	kf_store_results_free(rows, n);
	kf_store_client_release(&c);
	kf_store_gallery_release(&g);
	return rc;
}

static cJSON *client_sim(const struct kf_match_gallery *mg, int64_t id, float sim)
{
	cJSON *o = cJSON_CreateObject();

	kf_json_int(o, "clientId", id);
	kf_json_str(o, "clientName", kf_match_gallery_name(mg, id));
	kf_json_num(o, "similarity", sim, 2);
	return o;
}

int kf_cmd_detail(struct kf_cli *cli, const struct kf_command *cmd, struct kf_args *a)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_match_gallery mg;
	struct kf_detail_face *faces = NULL;
	struct kf_face_review *rev = NULL;
	struct kf_gallery g;
	struct kf_photo p = { 0 };
	struct kf_store *st;
	cJSON *o = NULL, *arr = NULL;
	size_t n = 0;
	int rc;
	(void)cmd;

	memset(&mg, 0, sizeof(mg));
	if ((rc = kf_cli_gallery(cli, a->pos[0], &st, &g)) != KF_EXIT_OK)
		return rc;
	rc = KF_EXIT_ERROR;
	if (kf_store_photo_find(st, g.id, a->pos[1], &p, &err) < 0 ||
	    kf_store_detail(st, p.id, &faces, &n, &err) < 0 ||
	    kf_store_review_faces(st, p.id, faces, n, &rev, &err) < 0 ||
	    kf_match_gallery_load(st, g.id, &mg, &err) < 0) {
		kf_cli_error(&err);
		goto out;
	}
	if (cli->json) {
		o = cJSON_CreateObject();
		kf_json_int(o, "photoId", p.id);
		kf_json_str(o, "key", p.key);
		kf_json_int(o, "width", p.width);
		kf_json_int(o, "height", p.height);
		kf_json_str(o, "status", p.status);
		kf_json_str(o, "error", p.error);
		kf_json_str(o, "engine", mg.engine);
		kf_json_str(o, "detector", mg.detector[0] ? mg.detector : NULL);
		arr = cJSON_AddArrayToObject(o, "faces");
	} else {
		fprintf(cli->out, "%s (%dx%d, %s): %zu face%s\n", p.key, p.width, p.height, p.status,
			n, n == 1 ? "" : "s");
		if (p.error)
			fprintf(cli->out, "  last error: %s\n", p.error);
	}
	for (size_t i = 0; i < n; i++) {
		struct kf_search_hit below;
		int on;		/* the face the best other client is matched on, or -1 */

		if (kf_match_best_below(&mg, &faces[i], &below, &err) < 0) {
			kf_cli_error(&err);
			goto out;
		}
		for (size_t k = 0; k < rev[i].nrejected; k++)
			if (rev[i].rejected[k] == below.client_id)
				below.client_id = 0;	/* a person said no */
		on = below.client_id ? kf_detail_matched_on(faces, n, i, below.client_id) : -1;
		if (arr) {
			cJSON *f = cJSON_CreateObject(), *m;

			kf_json_int(f, "faceIndex", faces[i].face_index);
			box_json(f, &faces[i].box);
			kf_json_num(f, "confidence", faces[i].confidence, 4);
			cJSON_AddBoolToObject(f, "recognizable", !faces[i].too_small);
			m = cJSON_AddArrayToObject(f, "matches");
			for (size_t k = 0; k < faces[i].nmatches; k++) {
				cJSON *h = client_sim(&mg, faces[i].matches[k].client_id,
						      faces[i].matches[k].similarity);

				kf_json_str(h, "review", rev[i].confirmed ==
					    faces[i].matches[k].client_id ? "confirmed" : NULL);
				cJSON_AddItemToArray(m, h);
			}
			m = cJSON_AddArrayToObject(f, "rejected");
			for (size_t k = 0; k < rev[i].nrejected; k++) {
				cJSON *h = cJSON_CreateObject();

				kf_json_int(h, "clientId", rev[i].rejected[k]);
				kf_json_str(h, "clientName", kf_match_gallery_name(&mg, rev[i].rejected[k]));
				cJSON_AddItemToArray(m, h);
			}
			m = cJSON_AddArrayToObject(f, "ambiguous");
			for (size_t k = 0; k < faces[i].nambiguous; k++)
				cJSON_AddItemToArray(m, client_sim(&mg, faces[i].ambiguous[k].client_id,
								   faces[i].ambiguous[k].similarity));
			if (below.client_id) {
				cJSON *b = client_sim(&mg, below.client_id, below.similarity);

				if (on >= 0)
					kf_json_int(b, "matchedFace", on);
				else
					cJSON_AddNullToObject(b, "matchedFace");
				cJSON_AddItemToObject(f, "bestBelow", b);
			} else
				cJSON_AddNullToObject(f, "bestBelow");
			if (!faces[i].has_descriptor && !faces[i].too_small)	/* Rekognition */
				kf_json_str(f, "bestBelowNote", "needs the local engine");
			cJSON_AddItemToArray(arr, f);
			continue;
		}
		fprintf(cli->out, "  face %d  confidence %.1f  at %.3f,%.3f size %.3fx%.3f:",
			faces[i].face_index, faces[i].confidence, faces[i].box.left, faces[i].box.top,
			faces[i].box.width, faces[i].box.height);
		for (size_t k = 0; k < faces[i].nmatches; k++)
			fprintf(cli->out, "%s %s %.1f%s", k ? "," : "",
				kf_match_gallery_name(&mg, faces[i].matches[k].client_id),
				faces[i].matches[k].similarity,
				rev[i].confirmed == faces[i].matches[k].client_id ? " (confirmed)" : "");
		for (size_t k = 0; k < faces[i].nambiguous; k++)
			fprintf(cli->out, "%s %s %.1f", k ? " /" : " ambiguous:",
				kf_match_gallery_name(&mg, faces[i].ambiguous[k].client_id),
				faces[i].ambiguous[k].similarity);
		if (faces[i].nambiguous)
			fputs(" (confirm with a review)", cli->out);
		else if (faces[i].too_small)
			fputs(" too small to recognise", cli->out);
		else if (faces[i].nmatches == 0)
			fputs(" no client", cli->out);
		for (size_t k = 0; k < rev[i].nrejected; k++)
			fprintf(cli->out, "%s %s", k ? "," : "  (not:",
				kf_match_gallery_name(&mg, rev[i].rejected[k]));
		if (rev[i].nrejected)
			fputc(')', cli->out);
		if (below.client_id) {
			fprintf(cli->out, "  (best other: %s %.1f", kf_match_gallery_name(&mg,
				below.client_id), below.similarity);
			if (on >= 0 && faces[i].nmatches == 0)	/* why it is not this face's */
				fprintf(cli->out, ", matched on face %d", on);
			fputc(')', cli->out);
		} else if (!faces[i].has_descriptor && !faces[i].too_small)
			fputs("  (best other: needs the local engine)", cli->out);
		fputc('\n', cli->out);
	}
	rc = o ? kf_cli_print_json(cli, o) : KF_EXIT_OK;
	o = NULL;
out:
	cJSON_Delete(o);
	kf_free(rev);
	kf_free(faces);
	kf_match_gallery_release(&mg);
	kf_store_photo_release(&p);
	kf_store_gallery_release(&g);
	return rc;
}

int kf_cmd_recognition(struct kf_cli *cli, const struct kf_command *cmd, struct kf_args *a)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_recognition_row *rows;
	struct kf_gallery g;
	struct kf_store *st;
	size_t n;
	int rc;
	(void)cmd;

	if ((rc = kf_cli_gallery(cli, a->pos[0], &st, &g)) != KF_EXIT_OK)
		return rc;
	if (kf_store_recognition(st, g.id, &rows, &n, &err) < 0) {
		kf_store_gallery_release(&g);
		return kf_cli_error(&err);
	}
	if (cli->json) {
		cJSON *o = cJSON_CreateObject(), *arr;

		kf_json_int(o, "galleryId", g.id);
		arr = cJSON_AddArrayToObject(o, "clients");
		for (size_t i = 0; i < n; i++) {
			cJSON *c = cJSON_CreateObject();

			kf_json_int(c, "clientId", rows[i].client_id);
			kf_json_str(c, "name", rows[i].name);
			kf_json_int(c, "photos", rows[i].photos);
			cJSON_AddItemToArray(arr, c);
		}
		rc = kf_cli_print_json(cli, o);
	} else {
		if (n > 0)
			fprintf(cli->out, "%6s  %s\n", "PHOTOS", "CLIENT");
		for (size_t i = 0; i < n; i++)
			fprintf(cli->out, "%6lld  %s\n", (long long)rows[i].photos, rows[i].name);
		if (n == 0)
			fprintf(cli->out, "gallery '%s' has no clients\n", g.name);
		rc = KF_EXIT_OK;
	}
	kf_store_recognition_free(rows, n);
	kf_store_gallery_release(&g);
	return rc;
}
