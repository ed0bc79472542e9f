/* cmd_identify.c: kingface identify GALLERY IMAGE...: who is in these images. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "core/assign.h"
#include "core/engine.h"
#include "core/match_engine.h"
#include "core/search.h"
#include "core/threshold.h"
#include "data/store_client.h"
#include "data/store_face.h"
#include "data/store_gallery.h"
#include "src/cli_engine.h"

struct names {
	struct kf_client *v;
	size_t n;
};

static const char *name_of(const struct names *nm, int64_t id)
{
	for (size_t i = 0; i < nm->n; i++)
		if (nm->v[i].id == id)
			return nm->v[i].name;
	return "?";
}

static cJSON *hit_json(const struct names *nm, const struct kf_search_hit *h)
{
	cJSON *o = cJSON_CreateObject();

	kf_json_int(o, "clientId", h->client_id);
	kf_json_str(o, "clientName", name_of(nm, h->client_id));
	kf_json_num(o, "similarity", h->similarity, 2);
	return o;
}

/* "ambiguous": the candidates of a face (core/assign.h), [] when none. */
static void ambiguous_json(cJSON *fo, const struct names *nm, const struct kf_match_face *m)
{
	cJSON *a = cJSON_AddArrayToObject(fo, "ambiguous");

	for (size_t k = 0; k < m->nambiguous; k++)
		cJSON_AddItemToArray(a, hit_json(nm, &m->ambiguous[k]));
}

/* The text of a face's matches: "Ana 84.2", "ambiguous: ... (confirm with a
 * review)" or "no client". */
static void print_matches(FILE *out, const struct names *nm, const struct kf_match_face *m)
{
	for (size_t k = 0; k < m->nhits; k++)
		fprintf(out, "%s %s %.1f", k ? "," : "", name_of(nm, m->hits[k].client_id),
			m->hits[k].similarity);
	for (size_t k = 0; k < m->nambiguous; k++)
		fprintf(out, "%s %s %.1f", k ? " /" : " ambiguous:",
			name_of(nm, m->ambiguous[k].client_id), m->ambiguous[k].similarity);
	if (m->nambiguous)
		fputs(" (confirm with a review)", out);
	else if (m->nhits == 0)
		fputs(" no client", out);
}

/* One image: print its faces and who they are, assigned as a photo match
 * assigns them (kf_match_assign). Returns 0 or the kf error. */
static int identify_one(struct kf_cli *cli, const struct kf_engine *e,
			const struct kf_detect_opts *o, unsigned flags, const struct kf_search *s,
			const struct names *nm, float threshold, const char *path, cJSON *arr,
			struct kf_arena *arena, struct kf_err *err)
{
	struct kf_match_face *mf = NULL;
	struct kf_image_info info;
	struct kf_face *faces = NULL;
	uint8_t *buf = NULL;
	cJSON *im = NULL, *fa = NULL;
	size_t len, n = 0;
	int rc;

	if ((rc = kf_image_read_file(path, &buf, &len, err)) < 0 ||
	    (rc = kf_engine_faces(e, o, buf, len, flags | KF_FIND_DESCRIPTORS | KF_FIND_PAD_RETRY,
				  &faces, &n, &info, NULL, arena, err)) < 0)
		goto out;
	if (n && !(mf = kf_calloc(n, sizeof(*mf)))) {
		rc = kf_err_set(err, KF_E_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (!faces[i].too_small &&
		    (rc = kf_search_query(s, faces[i].descriptor, threshold, mf[i].hits,
					  KF_MATCH_MAX_HITS, &mf[i].nhits, &mf[i].best_below,
					  err)) < 0)
			goto out;
	if ((rc = kf_match_assign(mf, n, KF_MATCH_MARGIN, err)) < 0)
		goto out;
	if (arr) {
		im = cJSON_CreateObject();
		kf_json_str(im, "path", path);
		kf_json_int(im, "width", info.width);
		kf_json_int(im, "height", info.height);
		fa = cJSON_AddArrayToObject(im, "faces");
	} else {
		fprintf(cli->out, "%s: %zu face%s\n", path, n, n == 1 ? "" : "s");
	}
	for (size_t i = 0; i < n; i++) {
		const struct kf_match_face *m = &mf[i];
		const struct kf_search_hit *below = &m->best_below;

		if (fa) {
			struct kf_face f = faces[i];
			cJSON *fo, *ma;

			f.has_landmarks = f.has_descriptor = 0;	/* not asked for here */
			fo = kf_cli_face_json(&f, info.width, info.height);
			ma = cJSON_AddArrayToObject(fo, "matches");
			for (size_t k = 0; k < m->nhits; k++)
				cJSON_AddItemToArray(ma, hit_json(nm, &m->hits[k]));
			ambiguous_json(fo, nm, m);
			if (below->client_id)
				cJSON_AddItemToObject(fo, "bestBelow", hit_json(nm, below));
			else
				cJSON_AddNullToObject(fo, "bestBelow");
			cJSON_AddItemToArray(fa, fo);
			continue;
		}
		fprintf(cli->out, "  face %zu (score %.2f, %.0fx%.0f px at %.0f,%.0f):", i,
			faces[i].score, faces[i].box.width, faces[i].box.height, faces[i].box.x,
			faces[i].box.y);
		if (faces[i].too_small)
			fputs(" too small to recognise", cli->out);
		else
			print_matches(cli->out, nm, m);
		if (below->client_id)
			fprintf(cli->out, "  (best below %.0f: %s %.1f)", threshold,
				name_of(nm, below->client_id), below->similarity);
		fputc('\n', cli->out);
	}
	if (im) {
		cJSON_AddItemToArray(arr, im);
		im = NULL;
	}
out:
	cJSON_Delete(im);
	kf_free(mf);
	kf_free(faces);
	kf_free(buf);
	return rc;
}

/* One image through a remote engine (Rekognition): the same output, without
 * "best below" (it needs the local engine's descriptors). */
static int identify_remote(struct kf_cli *cli, struct kf_match_engine *me,
			   const struct kf_match_query *q, const struct names *nm, const char *path,
			   cJSON *arr, struct kf_arena *arena, struct kf_err *err)
{
	struct kf_match_result res = { 0, 0, 0, NULL };
	uint8_t *buf = NULL;
	cJSON *im = NULL, *fa = NULL;
	size_t len;
	int rc;

	if ((rc = kf_image_read_file(path, &buf, &len, err)) < 0 ||
	    (rc = kf_match_engine_match(me, q, buf, len, &res, arena, err)) < 0)
		goto out;
	if (arr) {
		im = cJSON_CreateObject();
		kf_json_str(im, "path", path);
		kf_json_int(im, "width", res.width);
		kf_json_int(im, "height", res.height);
		fa = cJSON_AddArrayToObject(im, "faces");
	} else {
		fprintf(cli->out, "%s: %zu face%s\n", path, res.nfaces, res.nfaces == 1 ? "" : "s");
	}
	for (size_t i = 0; i < res.nfaces; i++) {
		const struct kf_match_face *m = &res.faces[i];

		if (fa) {
			struct kf_face f;
			cJSON *fo, *ma;

			memset(&f, 0, sizeof(f));
			f.box = m->box;
			f.score = m->score;
			fo = kf_cli_face_json(&f, res.width, res.height);
			ma = cJSON_AddArrayToObject(fo, "matches");
			for (size_t k = 0; k < m->nhits; k++)
				cJSON_AddItemToArray(ma, hit_json(nm, &m->hits[k]));
			ambiguous_json(fo, nm, m);
			cJSON_AddNullToObject(fo, "bestBelow");
			cJSON_AddItemToArray(fa, fo);
			continue;
		}
		fprintf(cli->out, "  face %zu (score %.2f, %.0fx%.0f px at %.0f,%.0f):", i,
			m->score, m->box.width, m->box.height, m->box.x, m->box.y);
		print_matches(cli->out, nm, m);
		fputc('\n', cli->out);
	}
	if (im) {
		cJSON_AddItemToArray(arr, im);
		im = NULL;
	}
out:
	cJSON_Delete(im);
	kf_match_result_release(&res);
	kf_free(buf);
	return rc;
}

int kf_cmd_identify(struct kf_cli *cli, const struct kf_command *cmd, struct kf_args *a)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_arena arena = KF_ARENA_INIT;
	struct kf_search s;
	struct kf_match_engine me = { NULL, NULL };
	struct kf_match_query q;
	struct kf_engine *e = NULL;
	struct kf_detect_opts o;
	struct kf_gallery g = { 0 };
	struct names nm = { NULL, 0 };
	struct kf_store *st;
	cJSON *root = NULL, *arr = NULL;
	const char *engine;
	int64_t *ids = NULL;
	double threshold;
	int64_t nrefs = 0, other = 0;
	unsigned long calls = 0;
	int rc, failed = 0, remote;

	kf_search_init(&s);
	memset(&q, 0, sizeof(q));
	if ((rc = kf_cli_detect_opts(cmd, a, &o)) != KF_EXIT_OK ||
	    (rc = kf_cli_gallery(cli, a->pos[0], &st, &g)) != KF_EXIT_OK)
		return rc;
	if ((rc = kf_cli_threshold(cli, cmd, a, st, &threshold)) != KF_EXIT_OK ||
	    (rc = kf_cli_engine_name(cli, cmd, a, st, &g, 0, &engine)) != KF_EXIT_OK ||
	    (rc = kf_cli_detector(cmd, a, st, &g, 0, &o)) != KF_EXIT_OK ||
	    (rc = kf_cli_engine_open(cli, engine, &o, &e, &me)) != KF_EXIT_OK)
		goto out;
	remote = kf_match_engine_has(&me, KF_MATCH_ENGINE_REMOTE);
	rc = KF_EXIT_ERROR;
	if (kf_store_client_list(st, g.id, &nm.v, &nm.n, &err) < 0 ||
	    (!remote &&
	     kf_store_face_load_search(st, g.id, KF_ENGINE_MODEL, &s, &nrefs, &other, &err) < 0) ||
	    (remote && kf_store_face_count(st, g.id, engine, &nrefs, &err) < 0)) {
		kf_cli_error(&err);
		goto out;
	}
	if (nm.n && !(ids = kf_calloc(nm.n, sizeof(*ids)))) {
		kf_err_set(&err, KF_E_NOMEM, "out of memory");
		kf_cli_error(&err);
		goto out;
	}
	for (size_t i = 0; i < nm.n; i++)
		ids[i] = nm.v[i].id;
	if (threshold == KF_THRESHOLD_AUTO) {	/* as kf_match_gallery_threshold() */
		struct kf_threshold_auto at;

		if (kf_threshold_auto(&s, KF_THRESHOLD_TARGET, &at, &err) < 0) {
			kf_cli_error(&err);
			goto out;
		}
		threshold = remote ? KF_THRESHOLD_FLOOR : at.threshold;
	}
	q.detect = o;
	q.threshold = (float)threshold;
	q.search = &s;
	q.gallery_id = g.id;
	q.remote_refs = (size_t)nrefs;
	q.client_ids = ids;
	q.nclients = nm.n;
	q.margin = KF_MATCH_MARGIN;	/* the engine turns it off without descriptors */
	calls = kf_match_engine_calls(&me);
	if (nrefs == 0)
		fprintf(stderr, "kingface: note: gallery '%s' has no enrolled faces yet "
			"(kingface enroll)\n", g.name);
	if (cli->json) {
		root = cJSON_CreateObject();
		kf_json_int(root, "galleryId", g.id);
		kf_json_num(root, "threshold", threshold, 2);
		arr = cJSON_AddArrayToObject(root, "images");
	}
	for (int i = 1; i < a->npos; i++) {
		kf_err_clear(&err);
		if (remote) {
			rc = identify_remote(cli, &me, &q, &nm, a->pos[i], arr, &arena, &err);
			if (rc == KF_E_AUTH || rc == KF_E_NET) {	/* the same for every image */
				kf_cli_error(&err);
				rc = KF_EXIT_ERROR;
				goto out;
			}
			if (rc == KF_OK)
				continue;
		} else if (identify_one(cli, e, &o, kf_cli_opt(cmd, a, "any-size") ?
					KF_FIND_ANY_SIZE : 0, &s, &nm, (float)threshold, a->pos[i],
					arr, &arena, &err) == KF_OK) {
			continue;
		}
		failed = 1;
		if (arr) {
			cJSON *entry = cJSON_CreateObject();
			kf_json_str(entry, "path", a->pos[i]);
			kf_json_str(entry, "error", err.msg);
			cJSON_AddItemToArray(arr, entry);
		} else if (strstr(err.msg, a->pos[i])) {
			fprintf(stderr, "kingface: %s\n", err.msg);
		} else {
			fprintf(stderr, "kingface: '%s': %s\n", a->pos[i], err.msg);
		}
	}
	rc = failed ? KF_EXIT_ERROR : KF_EXIT_OK;
	if (root && kf_cli_print_json(cli, root) != KF_EXIT_OK)
		rc = KF_EXIT_ERROR;
	root = NULL;
out:
	if (me.ops)
		kf_store_gallery_add_calls(st, g.id, (int64_t)(kf_match_engine_calls(&me) - calls),
					   NULL);
	kf_match_engine_close(&me);
	kf_free(ids);
	cJSON_Delete(root);
	kf_store_client_list_free(nm.v, nm.n);
	kf_store_gallery_release(&g);
	kf_search_release(&s);
	kf_engine_free(e);
	kf_arena_release(&arena);
	return rc;
}
