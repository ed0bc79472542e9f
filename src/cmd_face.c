/* cmd_face.c: face confirm | reject | clear: what staff say of a face, kept
 * through every re-match (data/store_review.h). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/assign.h"
#include "data/photo_match.h"
#include "data/review.h"
#include "data/settings.h"
#include "data/store_client.h"
#include "data/store_gallery.h"
#include "data/store_photo.h"
#include "data/store_result.h"
#include "data/store_review.h"
#include "src/cli.h"

/* The face's match after the review, for the answer. */
static int face_now(struct kf_store *st, int64_t photo_id, int face_index,
		    struct kf_detail_face *out, struct kf_err *err)
{
	struct kf_detail_face *faces;
	size_t n;
	int rc;

	if ((rc = kf_store_detail(st, photo_id, &faces, &n, err)) < 0)
		return rc;
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < n; i++)
		if (faces[i].face_index == face_index)
			*out = faces[i];
	kf_free(faces);
	return KF_OK;
}

static int review(struct kf_cli *cli, const struct kf_command *cmd, struct kf_args *a, int what)
{
	static const char *const said[] = { "rejected", "confirmed" };
	struct kf_err err = KF_ERR_INIT;
	struct kf_match_gallery mg;
	struct kf_detail_face now;
	struct kf_gallery g;
	struct kf_photo p = { 0 };
	struct kf_client c = { 0 };
	struct kf_store *st;
	int64_t removed = 0;
	double setting;
	char *end;
	long face = strtol(a->pos[2], &end, 10);
	int rc;

	if (!*a->pos[2] || *end || face < 0 || face > 100000)
		return kf_cli_usage(cmd, "FACE is a face index (0, 1, ...: see kingface detail), "
				    "not '%s'", a->pos[2]);
	if ((rc = kf_cli_gallery(cli, a->pos[0], &st, &g)) != KF_EXIT_OK)
		return rc;
	memset(&mg, 0, sizeof(mg));
	rc = KF_EXIT_ERROR;
	if (g.engine && strcmp(g.engine, "local") != 0) {
		fprintf(stderr, "kingface: reviews need the local engine's descriptors; gallery '%s' "
			"uses %s\n", g.name, g.engine);
		goto out;
	}
	if (kf_store_photo_find(st, g.id, a->pos[1], &p, &err) < 0 ||
	    (what != KF_REVIEW_CLEAR && kf_store_client_find(st, g.id, a->pos[3], &c, &err) < 0) ||
	    kf_settings_get(st, "threshold", &setting, &err) < 0 ||
	    kf_match_gallery_load(st, g.id, &mg, &err) < 0)
		goto fail;
	if (kf_photo_review(st, &mg, p.id, (int)face, c.id, what, (float)setting, &removed,
			    &err) < 0 ||
	    face_now(st, p.id, (int)face, &now, &err) < 0)
		goto fail;
	if (cli->json) {
		cJSON *o = cJSON_CreateObject(), *m;

		kf_json_int(o, "photoId", p.id);
		kf_json_str(o, "key", p.key);
		kf_json_int(o, "faceIndex", face);
		if (what == KF_REVIEW_CLEAR) {
			cJSON_AddNullToObject(o, "review");
			kf_json_int(o, "removed", removed);
		} else {
			kf_json_str(o, "review", said[what]);
			kf_json_int(o, "clientId", c.id);
			kf_json_str(o, "clientName", c.name);
		}
		m = cJSON_AddArrayToObject(o, "matches");
		for (size_t k = 0; k < now.nmatches; k++) {
			cJSON *h = cJSON_CreateObject();

			kf_json_int(h, "clientId", now.matches[k].client_id);
			kf_json_str(h, "clientName", kf_match_gallery_name(&mg,
									   now.matches[k].client_id));
			kf_json_num(h, "similarity", now.matches[k].similarity, 2);
			cJSON_AddItemToArray(m, h);
		}
		rc = kf_cli_print_json(cli, o);
	} else {
		if (what == KF_REVIEW_CLEAR)
			fprintf(cli->out, "face %ld of %s: %lld review%s forgotten", face, p.key,
				(long long)removed, removed == 1 ? "" : "s");
		else
			fprintf(cli->out, "face %ld of %s: %s %s", face, p.key, said[what], c.name);
		if (now.nmatches)
			fprintf(cli->out, "; matched now: %s %.1f\n",
				kf_match_gallery_name(&mg, now.matches[0].client_id),
				now.matches[0].similarity);
		else
			fputs("; matched now: no client\n", cli->out);
		rc = KF_EXIT_OK;
	}
	goto out;
fail:
	rc = kf_cli_error(&err);
out:
	kf_match_gallery_release(&mg);
	kf_store_client_release(&c);
	kf_store_photo_release(&p);
	kf_store_gallery_release(&g);
	return rc;
}

int kf_cmd_face_confirm(struct kf_cli *cli, const struct kf_command *cmd, struct kf_args *a)
{
	return review(cli, cmd, a, KF_REVIEW_CONFIRM);
}

int kf_cmd_face_reject(struct kf_cli *cli, const struct kf_command *cmd, struct kf_args *a)
{
	return review(cli, cmd, a, KF_REVIEW_REJECT);
}

int kf_cmd_face_clear(struct kf_cli *cli, const struct kf_command *cmd, struct kf_args *a)
{
	return review(cli, cmd, a, KF_REVIEW_CLEAR);
}
