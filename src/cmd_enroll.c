/* cmd_enroll.c: enroll a client's reference faces; client import (a folder of clients' reference
 * photos); client faces / unenroll. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/engine.h"
#include "core/match_engine.h"
#include "data/enroll.h"
#include "data/store_client.h"
#include "data/store_face.h"
#include "data/store_gallery.h"
#include "data/store_photo.h"
#include "src/cli_engine.h"

/* Say why an image gave no face to enroll on stderr, with the list of its
 * faces ef when there were several. */
static void say_not_enrolled(const struct kf_enroll_file *ef, const char *why, int several)
{
	fprintf(stderr, "kingface: %s%s\n", why, several ? ":" : "");
	for (size_t i = 0; several && i < ef->n; i++)
		fprintf(stderr, "  --face %zu  score %.3f  at %.0f,%.0f  %.0fx%.0f px\n", i,
			ef->faces[i].score, ef->faces[i].box.x, ef->faces[i].box.y,
			ef->faces[i].box.width, ef->faces[i].box.height);
}

static cJSON *ref_json(const char *image, int64_t id, const struct kf_face_ref *r, int padded)
{
	cJSON *o = cJSON_CreateObject(), *b;

	if (image)
		kf_json_str(o, "image", image);
	kf_json_int(o, "referenceId", id);
	if (r->face_id[0])
		kf_json_str(o, "faceId", r->face_id);
	kf_json_int(o, "faceIndex", r->source_face_index);
	kf_json_num(o, "score", r->score, 6);
	b = cJSON_AddObjectToObject(o, "boundingBox");
	kf_json_num(b, "Width", r->box_width, 6);
	kf_json_num(b, "Height", r->box_height, 6);
	kf_json_num(b, "Left", r->box_left, 6);
	kf_json_num(b, "Top", r->box_top, 6);
	cJSON_AddBoolToObject(o, "padded", padded);
	return o;
}

static cJSON *failed_json(const char *image, const char *why)
{
	cJSON *f = cJSON_CreateObject();

	kf_json_str(f, "image", image);
	kf_json_str(f, "error", why);
	return f;
}

/* The match engine called name into *me: the local one, or a remote one
 * (kf_cli_engine_open: *local is then its local engine). */
static int open_engine(struct kf_cli *cli, const char *name, const struct kf_detect_opts *o,
		       struct kf_engine **local, struct kf_match_engine *me)
{
	if (strcmp(name, KF_MATCH_ENGINE_LOCAL) != 0)
		return kf_cli_engine_open(cli, name, o, local, me);
	kf_match_engine_local(me, NULL);
	return KF_EXIT_OK;
}

/* Print *o (taken: *o is then NULL) when there is one, and return rc, or
 * the printing's failure when rc is 0. */
static int print_json(struct kf_cli *cli, cJSON **o, int rc)
{
	int rc2;

	if (!*o)
		return rc;
	rc2 = kf_cli_print_json(cli, *o);
	*o = NULL;
	return rc != KF_EXIT_OK ? rc : rc2;
}

/* Release what open_engine and kf_cli_load_engine gave (each may be empty). */
static void close_engines(struct kf_match_engine *me, struct kf_engine *local,
			  struct kf_engine *e)
{
	kf_match_engine_close(me);
	kf_engine_free(local);
	kf_engine_free(e);
}

/* Enroll the face of each IMAGE for client c (a file that fails is said and
 * skipped, the others enrolled): face pick (--face N, -1 none) found with
 * detector o of e, the reference made by me. *enrolled counts them; with
 * --json an object each into the arrays "enrolled" and "failed" of out. */
static int enroll_files(struct kf_cli *cli, const struct kf_command *cmd, struct kf_args *a,
			struct kf_store *st, const struct kf_gallery *g, const struct kf_client *c,
			struct kf_engine *e, const struct kf_detect_opts *o,
			struct kf_match_engine *me, int64_t pick, int64_t *enrolled, cJSON *out)
{
	cJSON *ok = out ? cJSON_AddArrayToObject(out, "enrolled") : NULL;
	cJSON *bad = out ? cJSON_AddArrayToObject(out, "failed") : NULL;
	int force = kf_cli_opt(cmd, a, "force") != NULL, failed = 0;
	const char *how = a->npos == 3 ? "choose one with --face N"
				       : "choose one with --face N, enrolling it alone";

	for (int k = 2; k < a->npos; k++) {
		struct kf_err err = KF_ERR_INIT;
		struct kf_enroll_file ef = { 0 };
		struct kf_face_ref r;
		const char *path = a->pos[k];
		char why[512];
		int64_t id = 0;
		int i = -1;

		if (kf_enroll_detect(e, o, path, &ef, &err) == KF_OK &&
		    (i = kf_enroll_pick(&ef, path, pick, force, why, sizeof(why))) >= 0 &&
		    kf_enroll_file_face(st, me, g->id, &ef, (size_t)i, path, c->id, &r, &id, &err) < 0)
			i = -1;
		if (i == KF_ENROLL_SEVERAL)
			snprintf(why + strlen(why), sizeof(why) - strlen(why), "; %s", how);
		else if (i == KF_ENROLL_GATE)
			snprintf(why + strlen(why), sizeof(why) - strlen(why), ", or --force");
		if (i < 0) {
			if (err.code)
				snprintf(why, sizeof(why), "%s", err.msg);
			say_not_enrolled(&ef, why, i == KF_ENROLL_SEVERAL);
			failed++;
			if (out)
				cJSON_AddItemToArray(bad, failed_json(path, why));
		} else if (out) {
			++*enrolled;
			cJSON_AddItemToArray(ok, ref_json(path, id, &r, ef.pad > 0));
		} else {
			++*enrolled;
			fprintf(cli->out, "enrolled face %d of '%s' for '%s' (reference %lld; %lld in "
				"all)%s\n", r.source_face_index, path, c->name, (long long)id,
				(long long)(c->faces + *enrolled),
				ef.pad > 0 ? "\n  (the face fills the photo: found on a padded canvas)"
					   : "");
		}
		kf_enroll_file_release(&ef);
	}
	if (failed && a->npos > 3)
		fprintf(stderr, "kingface: %lld of %d images enrolled for '%s'; the others are said "
			"above\n", (long long)*enrolled, a->npos - 2, c->name);
	return failed ? KF_EXIT_ERROR : KF_EXIT_OK;
}

int kf_cmd_enroll(struct kf_cli *cli, const struct kf_command *cmd, struct kf_args *a)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_face_ref r;
	struct kf_gallery g = { 0 };
	struct kf_client c = { 0 };
	struct kf_photo p = { 0 };
	struct kf_store *st;
	struct kf_match_engine me = { NULL, NULL };
	struct kf_engine *local = NULL, *e = NULL;
	struct kf_detect_opts dopts;
	const char *photo = kf_cli_opt(cmd, a, "photo"), *engine;
	cJSON *o = NULL;
	int64_t id = 0, pick = -1, enrolled = 0;
	int rc, rc2;

	memset(&r, 0, sizeof(r));
	if (!photo && a->npos < 3)
		return kf_cli_usage(cmd, "give an IMAGE file, or --photo PHOTO --face N");
	if (photo && a->npos != 2)
		return kf_cli_usage(cmd, "give either an IMAGE file or --photo PHOTO, not both");
	if (photo && !kf_cli_opt(cmd, a, "face"))
		return kf_cli_usage(cmd, "--photo needs --face N (see kingface detail)");
	if (a->npos > 3 && kf_cli_opt(cmd, a, "face"))
		return kf_cli_usage(cmd, "--face N picks a face of one IMAGE: enroll that image "
				    "alone");
	if ((rc = kf_cli_opt_int(cmd, a, "face", 0, 999, &pick)) != KF_EXIT_OK ||
	    (rc = kf_cli_detect_opts(cmd, a, &dopts)) != KF_EXIT_OK ||
	    (rc = kf_cli_gallery(cli, a->pos[0], &st, &g)) != KF_EXIT_OK)
		return rc;
	if ((rc = kf_cli_detector(cmd, a, st, &g, 0, &dopts)) != KF_EXIT_OK)
		goto out;
	if (kf_store_client_find(st, g.id, a->pos[1], &c, &err) < 0) {
		rc = kf_cli_error(&err);
		goto out;
	}
	if ((rc = kf_cli_engine_name(cli, cmd, a, st, &g, 1, &engine)) != KF_EXIT_OK)
		goto out;
	/* the local detector finds the faces whatever the engine: a remote one is
	 * only ever sent the face chosen here; the local engine's handle needs no
	 * networks: the descriptor is made */
	if (!photo && (rc = kf_cli_load_engine(cli, &dopts, &e)) != KF_EXIT_OK)
		goto out;
	if ((rc = open_engine(cli, engine, &dopts, &local, &me)) != KF_EXIT_OK)
		goto out;
	if (cli->json) {
		o = cJSON_CreateObject();
		kf_json_int(o, "galleryId", g.id);
		kf_json_int(o, "clientId", c.id);
		kf_json_str(o, "clientName", c.name);
		kf_json_str(o, "engine", engine);
	}
	if (photo) {
		/* the stored descriptor (local), or the face's crop (remote) */
		r.client_id = c.id;
		if (kf_store_photo_find(st, g.id, photo, &p, &err) < 0 ||
		    kf_enroll_photo_face(st, &me, &p, (int)pick, &r, &id, &err) < 0) {
			rc = kf_cli_error(&err);
			goto out;
		}
		enrolled = 1;
		if (o)
			cJSON_AddItemToArray(cJSON_AddArrayToObject(o, "enrolled"),
					     ref_json(NULL, id, &r, 0));
		else
			fprintf(cli->out, "enrolled face %d of '%s' for '%s' (reference %lld; %lld "
				"in all)\n", r.source_face_index, p.key, c.name, (long long)id,
				(long long)c.faces + 1);
	} else {
		rc = enroll_files(cli, cmd, a, st, &g, &c, e, &dopts, &me, pick, &enrolled, o);
	}
	if (enrolled && (rc2 = kf_cli_rematch_after(cli, st, &g, o)) != KF_EXIT_OK)
		rc = rc2;
	if (o)
		kf_json_int(o, "references", c.faces + enrolled);
	rc = print_json(cli, &o, rc);
out:
	cJSON_Delete(o);
	close_engines(&me, local, e);
	kf_store_photo_release(&p);
	kf_store_client_release(&c);
	kf_store_gallery_release(&g);
	return rc;
}

/* A group's photos as they are enrolled: said on stderr when they fail,
 * into the group's arrays with --json. */
struct import_photos {
	cJSON *enrolled, *already, *failed;	/* NULL without --json */
};

static void import_photo(void *ctx, const char *path, int64_t id, const struct kf_face_ref *r,
			 const struct kf_enroll_file *ef, const char *why)
{
	struct import_photos *p = ctx;

	if (why)	/* several faces is the only failure that leaves more than one */
		say_not_enrolled(ef, why, ef->n > 1);
	if (!p->enrolled)
		return;
	if (why)
		cJSON_AddItemToArray(p->failed, failed_json(path, why));
	else if (id)
		cJSON_AddItemToArray(p->enrolled, ref_json(path, id, r, ef->pad > 0));
	else
		cJSON_AddItemToArray(p->already, cJSON_CreateString(path));
}

/* An import group's client in its JSON object: clientId and clientName
 * (null without one), created. */
static void client_json(cJSON *j, const struct kf_enroll_import_result *res)
{
	if (res->client.id)
		kf_json_int(j, "clientId", res->client.id);
	else
		cJSON_AddNullToObject(j, "clientId");
	kf_json_str(j, "clientName", res->client.id ? res->client.name : NULL);
	cJSON_AddBoolToObject(j, "created", res->created);
}

/* Enroll group gr (kf_enroll_import_group) and say what came of it: a line
 * on stdout when something was enrolled or failed, or an object into arr
 * with --json. */
static void import_group(struct kf_cli *cli, struct kf_store *st, int64_t gallery_id,
			 struct kf_enroll_import *im, const struct kf_enroll_group *gr, cJSON *arr,
			 struct kf_enroll_import_totals *t)
{
	struct kf_enroll_import_result res;
	struct import_photos p = { NULL, NULL, NULL };
	const struct kf_client *c = &res.client;
	cJSON *j = NULL;

	if (arr) {
		cJSON_AddItemToArray(arr, j = cJSON_CreateObject());
		kf_json_str(j, "name", gr->client);
		p.enrolled = cJSON_AddArrayToObject(j, "enrolled");
		p.already = cJSON_AddArrayToObject(j, "alreadyEnrolled");
		p.failed = cJSON_AddArrayToObject(j, "failed");
	}
	im->ctx = &p;
	kf_enroll_import_group(st, gallery_id, im, gr, &res);
	if (res.why[0])
		fprintf(stderr, "kingface: %s\n", res.why);
	else if (gr->why)	/* an unreadable subfolder beside a photo of that name */
		fprintf(stderr, "kingface: %s\n", gr->why);
	kf_enroll_import_count(t, &res);
	if (j) {
		client_json(j, &res);
		kf_json_int(j, "references", c->faces + res.enrolled);
		kf_json_str(j, "error", res.why[0] ? res.why : NULL);
	} else if (res.why[0]) {
		/* said above */
	} else if (!c->id) {
		fprintf(cli->out, "%s: not added, %s enrolled (said above)\n", gr->client,
			gr->n == 1 ? "its photo was not" : "none of its photos was");
	} else if (res.enrolled || res.failed) {	/* not a client already enrolled */
		fprintf(cli->out, "%s%s: %lld enrolled", c->name, res.created ? " (new client)" : "",
			(long long)res.enrolled);
		if (res.already)
			fprintf(cli->out, ", %lld already enrolled", (long long)res.already);
		if (res.failed)
			fprintf(cli->out, ", %lld failed (said above)", (long long)res.failed);
		fprintf(cli->out, "; %lld reference%s in all\n", (long long)(c->faces + res.enrolled),
			c->faces + res.enrolled == 1 ? "" : "s");
	}
	kf_store_client_release(&res.client);
}

/* client import --dry-run: what the import would do, group by group
 * (kf_enroll_import_plan), with no engine and nothing written. */
static int import_dry_run(struct kf_cli *cli, struct kf_store *st, const struct kf_gallery *g,
			  const char *dir, const struct kf_enroll_group *groups, size_t ng)
{
	struct kf_enroll_import_totals t = { 0 };
	cJSON *o = NULL, *arr = NULL;

	if (cli->json) {
		o = cJSON_CreateObject();
		kf_json_int(o, "galleryId", g->id);
		kf_json_str(o, "dir", dir);
		cJSON_AddBoolToObject(o, "dryRun", 1);
		arr = cJSON_AddArrayToObject(o, "clients");
	}
	for (size_t i = 0; i < ng; i++) {
		const struct kf_enroll_group *gr = &groups[i];
		struct kf_enroll_import_result res;
		unsigned char *already = kf_calloc(gr->n + 1, 1);
		const struct kf_client *c = &res.client;

		if (!already) {
			cJSON_Delete(o);
			return kf_cli_error(&(struct kf_err){ .code = KF_E_NOMEM });
		}
		kf_enroll_import_plan(st, g->id, gr, &res, already);
		kf_enroll_import_count(&t, &res);
		if (arr) {
			cJSON *j = cJSON_CreateObject(), *to = cJSON_CreateArray();
			cJSON *al = cJSON_CreateArray();

			cJSON_AddItemToArray(arr, j);
			kf_json_str(j, "name", gr->client);
			client_json(j, &res);
			for (size_t k = 0; k < gr->n && !res.why[0]; k++)
				cJSON_AddItemToArray(already[k] ? al : to,
						     cJSON_CreateString(gr->images[k]));
			cJSON_AddItemToObject(j, "toEnroll", to);
			cJSON_AddItemToObject(j, "alreadyEnrolled", al);
			kf_json_str(j, "error", res.why[0] ? res.why : NULL);
		} else if (res.why[0]) {
			fprintf(cli->out, "%s: %s\n", gr->client, res.why);
		} else {
			fprintf(cli->out, "%s", c->id ? c->name : gr->client);
			if (c->id && strcmp(c->name, gr->client))
				fprintf(cli->out, " (as '%s')", gr->client);
			fprintf(cli->out, "%s: %lld to enroll", res.created ? " (new client)" : "",
				(long long)res.enrolled);
			if (res.already)
				fprintf(cli->out, ", %lld already enrolled", (long long)res.already);
			fputc('\n', cli->out);
		}
		kf_free(already);
		kf_store_client_release(&res.client);
	}
	if (o) {
		kf_json_int(o, "created", t.created);
		kf_json_int(o, "toEnroll", t.enrolled);
		kf_json_int(o, "alreadyEnrolled", t.already);
		kf_json_int(o, "failed", t.failed);
		return print_json(cli, &o, t.failed ? KF_EXIT_ERROR : KF_EXIT_OK);
	}
	fprintf(cli->out, "dry run of '%s': %lld client%s (%lld new); photos: %lld to enroll, "
		"%lld already enrolled, %lld not usable; nothing was changed\n", dir,
		(long long)t.clients, t.clients == 1 ? "" : "s", (long long)t.created,
		(long long)t.enrolled, (long long)t.already, (long long)t.failed);
	return t.failed ? KF_EXIT_ERROR : KF_EXIT_OK;
}

int kf_cmd_client_import(struct kf_cli *cli, const struct kf_command *cmd, struct kf_args *a)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_gallery g = { 0 };
	struct kf_store *st = NULL;
	struct kf_match_engine me = { NULL, NULL };
	struct kf_engine *local = NULL, *e = NULL;
	struct kf_detect_opts dopts;
	struct kf_enroll_group *groups = NULL;
	struct kf_enroll_import_totals t = { 0 };
	const char *dir = a->pos[1], *engine;
	size_t ng = 0;
	cJSON *o = NULL, *arr = NULL;
	int rc, rc2;

	if ((rc = kf_cli_detect_opts(cmd, a, &dopts)) != KF_EXIT_OK)
		return rc;
	if (kf_enroll_groups(dir, &groups, &ng, &err) < 0)
		return kf_cli_error(&err);
	if (ng == 0) {
		kf_err_set(&err, KF_E_NOTFOUND, "no reference photo in '%s': put a photo named "
			   "after each client there, or a folder of photos for each client", dir);
		rc = kf_cli_error(&err);
		goto out;
	}
	if ((rc = kf_cli_gallery(cli, a->pos[0], &st, &g)) != KF_EXIT_OK)
		goto out;
	if (kf_cli_opt(cmd, a, "dry-run")) {
		rc = import_dry_run(cli, st, &g, dir, groups, ng);
		goto out;
	}
	if ((rc = kf_cli_detector(cmd, a, st, &g, 0, &dopts)) != KF_EXIT_OK ||
	    (rc = kf_cli_engine_name(cli, cmd, a, st, &g, 1, &engine)) != KF_EXIT_OK ||
	    (rc = kf_cli_load_engine(cli, &dopts, &e)) != KF_EXIT_OK ||
	    (rc = open_engine(cli, engine, &dopts, &local, &me)) != KF_EXIT_OK)
		goto out;
	if (cli->json) {
		o = cJSON_CreateObject();
		kf_json_int(o, "galleryId", g.id);
		kf_json_str(o, "engine", engine);
		kf_json_str(o, "dir", dir);
		arr = cJSON_AddArrayToObject(o, "clients");
	}
	{
		struct kf_enroll_import im = {
			e, &dopts, &me, kf_cli_opt(cmd, a, "force") != NULL,
			"enroll one with 'kingface enroll GALLERY CLIENT IMAGE --face N'", "or --force",
			import_photo, NULL
		};

		for (size_t i = 0; i < ng; i++)
			import_group(cli, st, g.id, &im, &groups[i], arr, &t);
	}
	rc = t.failed ? KF_EXIT_ERROR : KF_EXIT_OK;
	if (o) {
		kf_json_int(o, "clientsWithReferences", t.clients);
		kf_json_int(o, "created", t.created);
		kf_json_int(o, "enrolled", t.enrolled);
		kf_json_int(o, "alreadyEnrolled", t.already);
		kf_json_int(o, "failed", t.failed);
	} else {
		fprintf(cli->out, "imported '%s': %lld client%s (%lld new); photos: %lld enrolled, "
			"%lld already enrolled, %lld failed%s\n", dir, (long long)t.clients,
			t.clients == 1 ? "" : "s", (long long)t.created, (long long)t.enrolled,
			(long long)t.already, (long long)t.failed, t.failed ? " (said above)" : "");
	}
	/* the local engine's re-match also when nothing new was enrolled: an
	 * import stopped before it (Ctrl-C) is finished by running it again */
	if (t.enrolled || !strcmp(engine, KF_MATCH_ENGINE_LOCAL)) {
		if ((rc2 = kf_cli_rematch_after(cli, st, &g, o)) != KF_EXIT_OK)
			rc = rc2;
	} else if (o) {
		cJSON_AddNullToObject(o, "rematch");
	}
	rc = print_json(cli, &o, rc);
out:
	cJSON_Delete(o);
	close_engines(&me, local, e);
	kf_enroll_groups_free(groups, ng);
	kf_store_gallery_release(&g);
	return rc;
}

/* One reference, a line: its id, its score, where it was cut from. */
static void print_ref(struct kf_cli *cli, struct kf_store *st, int64_t gallery_id,
		      const struct kf_face_ref *r)
{
	char src[4200];

	kf_store_face_source(st, gallery_id, r, src, sizeof(src));
	fprintf(cli->out, "%5lld  score %.2f  %s\n", (long long)r->id, r->score, src);
}

int kf_cmd_client_faces(struct kf_cli *cli, const struct kf_command *cmd, struct kf_args *a)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_face_ref *refs;
	struct kf_gallery g;
	struct kf_client c;
	struct kf_store *st;
	size_t n;
	int rc;
	(void)cmd;

	if ((rc = kf_cli_client(cli, a, &st, &g, &c)) != KF_EXIT_OK)
		return rc;
	if (kf_store_face_list(st, c.id, &refs, &n, &err) < 0) {
		kf_store_client_release(&c);
		kf_store_gallery_release(&g);
		return kf_cli_error(&err);
	}
	if (cli->json) {
		cJSON *o = cJSON_CreateObject(), *arr;

		kf_json_int(o, "clientId", c.id);
		kf_json_str(o, "clientName", c.name);
		arr = cJSON_AddArrayToObject(o, "faces");
		for (size_t i = 0; i < n; i++) {
			cJSON *f = cJSON_CreateObject(), *b;

			kf_json_int(f, "id", refs[i].id);
			kf_json_str(f, "sourcePath", refs[i].source_path);
			kf_json_str(f, "sourceSha256", refs[i].source_sha256);
			if (refs[i].source_photo_id > 0) {
				kf_json_int(f, "sourcePhotoId", refs[i].source_photo_id);
				kf_json_int(f, "sourceFaceIndex", refs[i].source_face_index);
			} else {
				cJSON_AddNullToObject(f, "sourcePhotoId");
				cJSON_AddNullToObject(f, "sourceFaceIndex");
			}
			kf_json_num(f, "score", refs[i].score, 6);
			b = cJSON_AddObjectToObject(f, "boundingBox");
			kf_json_num(b, "Width", refs[i].box_width, 6);
			kf_json_num(b, "Height", refs[i].box_height, 6);
			kf_json_num(b, "Left", refs[i].box_left, 6);
			kf_json_num(b, "Top", refs[i].box_top, 6);
			kf_json_str(f, "model", refs[i].model);
			kf_json_str(f, "engine", refs[i].engine);
			kf_json_str(f, "faceId", refs[i].face_id[0] ? refs[i].face_id : NULL);
			kf_json_int(f, "createdAt", refs[i].created_at);
			cJSON_AddItemToArray(arr, f);
		}
		rc = kf_cli_print_json(cli, o);
	} else {
		if (n == 0 && !strchr(c.name, '\''))
			fprintf(cli->out, "'%s' has no reference faces: kingface enroll %s '%s' "
				"PHOTO.jpg\n", c.name, kf_cli_gallery_arg(&g), c.name);
		else if (n == 0)
			fprintf(cli->out, "'%s' has no reference faces: kingface enroll %s %lld "
				"PHOTO.jpg\n", c.name, kf_cli_gallery_arg(&g), (long long)c.id);
		for (size_t i = 0; i < n; i++)
			print_ref(cli, st, c.gallery_id, &refs[i]);
		rc = KF_EXIT_OK;
	}
	kf_store_face_list_free(refs, n);
	kf_store_client_release(&c);
	kf_store_gallery_release(&g);
	return rc;
}

int kf_cmd_client_unenroll(struct kf_cli *cli, const struct kf_command *cmd, struct kf_args *a)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_gallery g;
	struct kf_client c;
	struct kf_store *st;
	int64_t ref = kf_store_ref_id(a->pos[2]);
	cJSON *o = NULL;
	char what[64];
	int rc;

	if (ref <= 0)
		return kf_cli_usage(cmd, "REF is a reference face id (see kingface client faces)");
	if ((rc = kf_cli_client(cli, a, &st, &g, &c)) != KF_EXIT_OK)
		return rc;
	snprintf(what, sizeof(what), "reference face %lld", (long long)ref);
	if ((rc = kf_cli_forget_remote(cmd, a, st, c.gallery_id, c.id, ref, what)) != KF_EXIT_OK)
		goto out;
	if (kf_store_face_remove(st, c.id, ref, &err) < 0) {
		rc = kf_cli_error(&err);
		goto out;
	}
	if (cli->json) {
		o = cJSON_CreateObject();
		kf_json_int(o, "clientId", c.id);
		kf_json_int(o, "removed", ref);
	} else {
		fprintf(cli->out, "removed reference face %lld of '%s'\n", (long long)ref, c.name);
	}
	if ((rc = kf_cli_rematch_after(cli, st, &g, o)) == KF_EXIT_OK && o) {
		rc = kf_cli_print_json(cli, o);
		o = NULL;
	}
out:
	cJSON_Delete(o);
	kf_store_client_release(&c);
	kf_store_gallery_release(&g);
	return rc;
}
