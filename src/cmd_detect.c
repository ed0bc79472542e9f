/* cmd_detect.c: kingface detect IMAGE...: faces in image files, no database. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "core/detect.h"
#include "core/engine.h"
#include "core/image.h"
#include "src/cli_engine.h"


/* {"x", "y", "width", "height"} in pixels, as o's member name. */
static void add_px_box(cJSON *o, const char *name, const struct kf_box *b)
{
	cJSON *j = cJSON_AddObjectToObject(o, name);

	kf_json_num(j, "x", b->x, 2);
	kf_json_num(j, "y", b->y, 2);
	kf_json_num(j, "width", b->width, 2);
	kf_json_num(j, "height", b->height, 2);
}

/* [[x, y], ...] of n points, to 2 decimals, as o's member name. */
static void add_points(cJSON *o, const char *name, const float *xy, int n)
{
	cJSON *a = cJSON_AddArrayToObject(o, name);

	for (int k = 0; k < n; k++) {
		cJSON *pt = cJSON_CreateArray();

		cJSON_AddItemToArray(pt, cJSON_CreateNumber(round(xy[2 * k] * 100) / 100));
		cJSON_AddItemToArray(pt, cJSON_CreateNumber(round(xy[2 * k + 1] * 100) / 100));
		cJSON_AddItemToArray(a, pt);
	}
}

/* {"score", "box", "boundingBox", "recognizable"[, "rawBox", "landmarks5"]
 * [, "landmarks"][, "descriptor"]} of one face in a w x h image. */
cJSON *kf_cli_face_json(const struct kf_face *f, int w, int h)
{
	cJSON *o = cJSON_CreateObject(), *b;

	kf_json_num(o, "score", f->score, 6);
	add_px_box(o, "box", &f->box);
	b = cJSON_AddObjectToObject(o, "boundingBox");
	kf_json_num(b, "Width", f->box.width / w, 6);
	kf_json_num(b, "Height", f->box.height / h, 6);
	kf_json_num(b, "Left", f->box.x / w, 6);
	kf_json_num(b, "Top", f->box.y / h, 6);
	cJSON_AddBoolToObject(o, "recognizable", !f->too_small);
	if (f->has_raw) {
		/* YuNet's own box and its 5 points (eyes, nose, mouth corners) */
		add_px_box(o, "rawBox", &f->raw);
		add_points(o, "landmarks5", f->lm5, 5);
	}
	if (f->has_landmarks)
		add_points(o, "landmarks", f->landmarks, 68);
	if (f->has_descriptor) {
		b = cJSON_AddArrayToObject(o, "descriptor");
		for (int k = 0; k < KF_DESC_DIM; k++)
			cJSON_AddItemToArray(b, cJSON_CreateNumber(round(f->descriptor[k] * 1e8) / 1e8));
	}
	return o;
}

/* The faces of one file. */
static int detect_file(const struct kf_engine *e, const struct kf_detect_opts *o,
		       unsigned flags, const char *path, struct kf_image_info *info,
		       struct kf_face **faces, size_t *n, struct kf_arena *arena,
		       struct kf_err *err)
{
	uint8_t *buf = NULL;
	size_t len;
	int rc;

	if ((rc = kf_image_read_file(path, &buf, &len, err)) == KF_OK)
		rc = kf_engine_faces(e, o, buf, len, flags, faces, n, info, NULL, arena, err);
	kf_free(buf);
	return rc;
}

int kf_cmd_detect(struct kf_cli *cli, const struct kf_command *cmd, struct kf_args *a)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_arena arena = KF_ARENA_INIT;
	struct kf_engine *e = NULL;
	struct kf_detect_opts o;
	unsigned flags = 0, load;
	cJSON *root = NULL, *arr = NULL;
	char models[KF_CLI_PATH], yunet[KF_CLI_PATH];
	int rc, failed = 0;

	if ((rc = kf_cli_detect_opts(cmd, a, &o)) != KF_EXIT_OK ||
	    (rc = kf_cli_models(cli, models, yunet)) != KF_EXIT_OK)
		return rc;
	if (kf_cli_opt(cmd, a, "landmarks"))
		flags |= KF_FIND_LANDMARKS;
	if (kf_cli_opt(cmd, a, "descriptors"))
		flags |= KF_FIND_DESCRIPTORS | KF_FIND_LANDMARKS;
	load = kf_engine_detector_flag(o.detector) |
	       (flags & KF_FIND_LANDMARKS ? KF_ENGINE_LANDMARKS : 0) |
	       (flags & KF_FIND_DESCRIPTORS ? KF_ENGINE_DESCRIPTORS : 0);
	if (kf_engine_load(&e, models, yunet, load, &err) < 0)
		return kf_cli_error(&err);
	if (cli->json) {
		root = cJSON_CreateObject();
		arr = cJSON_AddArrayToObject(root, "images");
	}
	for (int i = 0; i < a->npos; i++) {
		const char *path = a->pos[i];
		struct kf_image_info info = { 0 };
		struct kf_face *faces = NULL;
		size_t n = 0;

		kf_err_clear(&err);
		rc = detect_file(e, &o, flags, path, &info, &faces, &n, &arena, &err);
		if (rc < 0) {
			failed = 1;
			if (cli->json) {
				cJSON *entry = cJSON_CreateObject();
				kf_json_str(entry, "path", path);
				kf_json_str(entry, "error", err.msg);
				cJSON_AddItemToArray(arr, entry);
			} else {
				if (strstr(err.msg, path))
					fprintf(stderr, "kingface: %s\n", err.msg);
				else
					fprintf(stderr, "kingface: '%s': %s\n", path, err.msg);
			}
			continue;
		}
		if (cli->json) {
			cJSON *im = cJSON_CreateObject(), *fa;

			kf_json_str(im, "path", path);
			kf_json_int(im, "width", info.width);
			kf_json_int(im, "height", info.height);
			kf_json_int(im, "orientation", info.orientation);
			kf_json_str(im, "detector", kf_detector_name(o.detector));
			fa = cJSON_AddArrayToObject(im, "faces");
			for (size_t k = 0; k < n; k++)
				cJSON_AddItemToArray(fa, kf_cli_face_json(&faces[k], info.width, info.height));
			cJSON_AddItemToArray(arr, im);
		} else {
			fprintf(cli->out, "%s: %dx%d, %zu face%s\n", path, info.width, info.height, n,
				n == 1 ? "" : "s");
			for (size_t k = 0; k < n; k++)
				fprintf(cli->out, "  #%zu  score %.3f  x %.0f y %.0f  %.0fx%.0f px%s\n", k,
					faces[k].score, faces[k].box.x, faces[k].box.y,
					faces[k].box.width, faces[k].box.height,
					faces[k].too_small ? "  too small to recognise" : "");
		}
		kf_free(faces);
	}
	if (root && kf_cli_print_json(cli, root) != KF_EXIT_OK)
		failed = 1;
	kf_engine_free(e);
	kf_arena_release(&arena);
	return failed ? KF_EXIT_ERROR : KF_EXIT_OK;
}
