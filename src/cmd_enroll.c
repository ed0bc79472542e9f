/* cmd_enroll.c: enroll a client's reference face; client faces / unenroll. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/engine.h"
#include "core/match_engine.h"
#include "data/engines.h"
#include "data/enroll.h"
#include "data/store_client.h"
#include "data/store_face.h"
#include "data/store_gallery.h"
#include "data/store_photo.h"
#include "src/cli_engine.h"

/* Find the face to enroll in an image file: exactly one, or --face N. */
static int face_from_file(struct kf_cli *cli, const struct kf_command *cmd, struct kf_args *a,
			  struct kf_store *st, struct kf_gallery *g, const char *path,
			  struct kf_enroll_file *ef, struct kf_face_ref *r,
			  const char *abs_path, int *padded, size_t *picked)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_engine *e = NULL;
	struct kf_detect_opts o;
	int64_t pick = -1;
	char why[160];
	size_t n;
	int rc;

	/* the local detector finds the face whatever the engine: a remote one is
	 * only ever sent the face chosen here */
	if ((rc = kf_cli_detect_opts(cmd, a, &o)) != KF_EXIT_OK ||
	    (rc = kf_cli_detector(cmd, a, st, g, 0, &o)) != KF_EXIT_OK ||
	    (rc = kf_cli_opt_int(cmd, a, "face", 0, 999, &pick)) != KF_EXIT_OK ||
	    (rc = kf_cli_load_engine(cli, &o, &e)) != KF_EXIT_OK)
		return rc;
	rc = KF_EXIT_ERROR;
	if (kf_enroll_detect(e, &o, path, ef, &err) < 0) {
		if (!strstr(err.msg, path))
			kf_err_context(&err, "'%s'", path);
		kf_cli_error(&err);
		goto out;
	}
	n = ef->n;
	if (n == 0) {
		fprintf(stderr, "kingface: no face found in '%s'\n", path);
		goto out;
	}
	if (pick < 0 && n > 1) {
		fprintf(stderr, "kingface: %zu faces found in '%s'; choose one with --face N:\n", n, path);
		for (size_t i = 0; i < n; i++)
			fprintf(stderr, "  --face %zu  score %.3f  at %.0f,%.0f  %.0fx%.0f px\n", i,
				ef->faces[i].score, ef->faces[i].box.x, ef->faces[i].box.y,
				ef->faces[i].box.width, ef->faces[i].box.height);
		goto out;
	}
	if (pick >= (int64_t)n) {
		fprintf(stderr, "kingface: --face %lld: '%s' has %zu face%s (0 to %zu)\n",
			(long long)pick, path, n, n == 1 ? "" : "s", n - 1);
		goto out;
	}
	if (pick < 0)
		pick = 0;
	if (ef->faces[pick].too_small) {	/* no descriptor: not even with --force */
		fprintf(stderr, "kingface: the face in '%s' is too small to recognise (%.0f px wide, "
			"needs %d); use a better photo\n", path, (double)ef->faces[pick].box.width,
			KF_RECOGNIZABLE_MIN_FACE);
		goto out;
	}
	if (!kf_cli_opt(cmd, a, "force") && kf_enroll_check(&ef->faces[pick], why, sizeof(why))) {
		fprintf(stderr, "kingface: the face in '%s' is %s; use a better photo, or --force\n",
			path, why);
		goto out;
	}
	kf_enroll_ref(ef, (size_t)pick, abs_path, r);
	*padded = ef->pad > 0;
	*picked = (size_t)pick;
	rc = KF_EXIT_OK;
out:
	kf_engine_free(e);
	return rc;
}

int kf_cmd_enroll(struct kf_cli *cli, const struct kf_command *cmd, struct kf_args *a)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_face_ref r;
	struct kf_enroll_file ef = { 0 };
	struct kf_gallery g = { 0 };
	struct kf_client c = { 0 };
	struct kf_photo p = { 0 };
	struct kf_store *st;
	struct kf_match_engine me = { NULL, NULL };
	struct kf_engine *local = NULL;
	struct kf_detect_opts dopts;
	const char *photo = kf_cli_opt(cmd, a, "photo"), *engine;
	char abs_path[4096];
	int64_t id, pick = -1;
	size_t picked = 0;
	int rc, padded = 0;

	memset(&r, 0, sizeof(r));
	if (!photo && a->npos != 3)
		return kf_cli_usage(cmd, "give an IMAGE file, or --photo PHOTO --face N");
	if (photo && a->npos != 2)
		return kf_cli_usage(cmd, "give either an IMAGE file or --photo PHOTO, not both");
	if (photo && !kf_cli_opt(cmd, a, "face"))
		return kf_cli_usage(cmd, "--photo needs --face N (see kingface detail)");
	if ((rc = kf_cli_detect_opts(cmd, a, &dopts)) != KF_EXIT_OK ||
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
	if (photo) {
		if ((rc = kf_cli_opt_int(cmd, a, "face", 0, 999, &pick)) != KF_EXIT_OK)
			goto out;
		if (kf_store_photo_find(st, g.id, photo, &p, &err) < 0) {
			rc = kf_cli_error(&err);
			goto out;
		}
	} else {
		if (!realpath(a->pos[2], abs_path))
			snprintf(abs_path, sizeof(abs_path), "%s", a->pos[2]);
		if ((rc = face_from_file(cli, cmd, a, st, &g, a->pos[2], &ef, &r, abs_path,
					 &padded, &picked)) != KF_EXIT_OK)
			goto out;
	}
	r.client_id = c.id;
	/* the local engine's handle needs no networks here: the descriptor is made */
	if (!strcmp(engine, KF_MATCH_ENGINE_LOCAL))
		kf_match_engine_local(&me, NULL);
	else if ((rc = kf_cli_engine_open(cli, engine, &dopts, &local, &me)) != KF_EXIT_OK)
		goto out;
	/* --photo: the stored descriptor (local), or the face's crop (remote) */
	if ((photo ? kf_enroll_photo_face(st, &me, &p, (int)pick, &r, &id, &err)
		   : kf_enroll_store(st, &me, g.id, &ef, picked, a->pos[2], &r, &id, &err)) < 0) {
		rc = kf_cli_error(&err);
		goto out;
	}
	if (cli->json) {
		cJSON *o = cJSON_CreateObject(), *b;

		kf_json_int(o, "galleryId", g.id);
		kf_json_int(o, "clientId", c.id);
		kf_json_str(o, "clientName", c.name);
		kf_json_int(o, "referenceId", id);
		kf_json_str(o, "engine", engine);
		if (r.face_id[0])
			kf_json_str(o, "faceId", r.face_id);
		kf_json_int(o, "faceIndex", r.source_face_index);
		kf_json_num(o, "score", r.score, 6);
		b = cJSON_AddObjectToObject(o, "boundingBox");
		kf_json_num(b, "Width", r.box_width, 6);
		kf_json_num(b, "Height", r.box_height, 6);
		kf_json_num(b, "Left", r.box_left, 6);
		kf_json_num(b, "Top", r.box_top, 6);
		cJSON_AddBoolToObject(o, "padded", padded);
		kf_json_int(o, "references", c.faces + 1);
		rc = kf_cli_print_json(cli, o);
	} else {
		fprintf(cli->out, "enrolled face %d of '%s' for '%s' (reference %lld; %lld in all)%s\n",
			r.source_face_index, photo ? p.key : a->pos[2], c.name, (long long)id,
			(long long)c.faces + 1,
			padded ? "\n  (the face fills the photo: found on a padded canvas)" : "");
		rc = KF_EXIT_OK;
	}
out:
	kf_match_engine_close(&me);
	kf_engine_free(local);
	kf_enroll_file_release(&ef);
	kf_store_photo_release(&p);
	kf_store_client_release(&c);
	kf_store_gallery_release(&g);
	return rc;
}

/* One reference, a line: where it was cut from (the gallery photo's key and
 * face, the file, or the platform when a machine there enrolled it). */
static void print_ref(struct kf_cli *cli, struct kf_store *st, int64_t gallery_id,
		      const struct kf_face_ref *r)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_photo p;
	char id[24];

	fprintf(cli->out, "%5lld  score %.2f  ", (long long)r->id, r->score);
	snprintf(id, sizeof(id), "%lld", (long long)r->source_photo_id);
	if (r->source_photo_id > 0 && kf_store_photo_find(st, gallery_id, id, &p, &err) == KF_OK) {
		fprintf(cli->out, "%s, face %d\n", p.key, r->source_face_index);
		kf_store_photo_release(&p);
	} else if (r->source_photo_id > 0) {
		fprintf(cli->out, "photo %s, face %d\n", id, r->source_face_index);
	} else {
		fprintf(cli->out, "%s\n", r->source_path ? r->source_path : "(enrolled on the platform)");
	}
}

int kf_cmd_client_faces(struct kf_cli *cli, const struct kf_command *cmd, struct kf_args *a)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_face_ref *refs;
	struct kf_client c;
	struct kf_store *st;
	size_t n;
	int rc;
	(void)cmd;

	if ((rc = kf_cli_client(cli, a, &st, &c)) != KF_EXIT_OK)
		return rc;
	if (kf_store_face_list(st, c.id, &refs, &n, &err) < 0) {
		kf_store_client_release(&c);
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
		if (n == 0)
			fprintf(cli->out, "'%s' has no reference faces: kingface enroll GALLERY '%s' "
				"PHOTO.jpg\n", c.name, c.name);
		for (size_t i = 0; i < n; i++)
			print_ref(cli, st, c.gallery_id, &refs[i]);
		rc = KF_EXIT_OK;
	}
	kf_store_face_list_free(refs, n);
	kf_store_client_release(&c);
	return rc;
}

int kf_cmd_client_unenroll(struct kf_cli *cli, const struct kf_command *cmd, struct kf_args *a)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_client c;
	struct kf_store *st;
	int64_t ref = kf_store_ref_id(a->pos[2]);
	char what[64];
	int rc;

	if (ref <= 0)
		return kf_cli_usage(cmd, "REF is a reference face id (see kingface client faces)");
	if ((rc = kf_cli_client(cli, a, &st, &c)) != KF_EXIT_OK)
		return rc;
	snprintf(what, sizeof(what), "reference face %lld", (long long)ref);
	if ((rc = kf_cli_forget_remote(cmd, a, st, c.gallery_id, c.id, ref, what)) != KF_EXIT_OK) {
		kf_store_client_release(&c);
		return rc;
	}
	rc = kf_store_face_remove(st, c.id, ref, &err);
	if (rc == KF_OK && cli->json) {
		cJSON *o = cJSON_CreateObject();
		kf_json_int(o, "clientId", c.id);
		kf_json_int(o, "removed", ref);
		kf_cli_print_json(cli, o);
	} else if (rc == KF_OK) {
		fprintf(cli->out, "removed reference face %lld of '%s'\n", (long long)ref, c.name);
	}
	kf_store_client_release(&c);
	return rc < 0 ? kf_cli_error(&err) : KF_EXIT_OK;
}
