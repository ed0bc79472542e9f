/* cmd_detect.c: kingface detect IMAGE...: faces in image files, no database. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "core/detect.h"
#include "core/image.h"
#include "src/cli_engine.h"

static void json_num(cJSON *o, const char *name, double v, int decimals)
{
	double p = pow(10, decimals);

	cJSON_AddNumberToObject(o, name, round(v * p) / p);
}

/* {"score", "box", "boundingBox"} of one detection in a w x h image. */
static cJSON *face_json(const struct kf_detection *f, int w, int h)
{
	cJSON *o = cJSON_CreateObject(), *b;

	json_num(o, "score", f->score, 6);
	b = cJSON_AddObjectToObject(o, "box");
	json_num(b, "x", f->box.x, 2);
	json_num(b, "y", f->box.y, 2);
	json_num(b, "width", f->box.width, 2);
	json_num(b, "height", f->box.height, 2);
	b = cJSON_AddObjectToObject(o, "boundingBox");
	json_num(b, "Width", f->box.width / w, 6);
	json_num(b, "Height", f->box.height / h, 6);
	json_num(b, "Left", f->box.x / w, 6);
	json_num(b, "Top", f->box.y / h, 6);
	return o;
}

/* Detect the faces of one file. */
static int detect_file(const struct kf_detector *d, const struct kf_detect_opts *o,
		       const char *path, struct kf_image_info *info, struct kf_detection **faces,
		       size_t *n, struct kf_arena *arena, struct kf_err *err)
{
	struct kf_image img = { 0, 0, NULL };
	uint8_t *buf = NULL;
	size_t len;
	int rc;

	if ((rc = kf_image_read_file(path, &buf, &len, err)) < 0)
		return rc;
	if ((rc = kf_image_probe(buf, len, info, err)) == KF_OK &&
	    (rc = kf_image_decode(buf, len, kf_detect_min_side(o, info->width, info->height),
				  &img, info, err)) == KF_OK)
		rc = kf_detect(d, o, &img, info->width, info->height, faces, n, arena, err);
	kf_image_release(&img);
	kf_free(buf);
	kf_arena_reset(arena);
	return rc;
}

int kf_cmd_detect(struct kf_cli *cli, const struct kf_command *cmd, struct kf_args *a)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_arena arena = KF_ARENA_INIT;
	struct kf_detector *d = NULL;
	struct kf_detect_opts o;
	cJSON *root = NULL, *arr = NULL;
	char models[4096];
	int rc, failed = 0;

	if ((rc = kf_cli_detect_opts(cmd, a, &o)) != KF_EXIT_OK ||
	    (rc = kf_cli_models(cli, models, sizeof(models))) != KF_EXIT_OK)
		return rc;
	if (kf_detector_load(&d, models, o.detector == KF_DETECTOR_SSD ? KF_LOAD_SSD : KF_LOAD_TINY,
			     &err) < 0)
		return kf_cli_error(&err);
	if (cli->json) {
		root = cJSON_CreateObject();
		arr = cJSON_AddArrayToObject(root, "images");
	}
	for (int i = 0; i < a->npos; i++) {
		const char *path = a->pos[i];
		struct kf_image_info info = { 0 };
		struct kf_detection *faces = NULL;
		size_t n = 0;

		kf_err_clear(&err);
		rc = detect_file(d, &o, path, &info, &faces, &n, &arena, &err);
		if (rc < 0) {
			failed = 1;
			if (cli->json) {
				cJSON *e = cJSON_CreateObject();
				kf_json_str(e, "path", path);
				kf_json_str(e, "error", err.msg);
				cJSON_AddItemToArray(arr, e);
			} else {
				fprintf(stderr, "kingface: %s\n", err.msg);
			}
			continue;
		}
		if (cli->json) {
			cJSON *im = cJSON_CreateObject(), *fa;

			kf_json_str(im, "path", path);
			kf_json_int(im, "width", info.width);
			kf_json_int(im, "height", info.height);
			kf_json_int(im, "orientation", info.orientation);
			kf_json_str(im, "detector", o.detector == KF_DETECTOR_SSD ? "ssd" : "tiny");
			fa = cJSON_AddArrayToObject(im, "faces");
			for (size_t k = 0; k < n; k++)
				cJSON_AddItemToArray(fa, face_json(&faces[k], info.width, info.height));
			cJSON_AddItemToArray(arr, im);
		} else {
			fprintf(cli->out, "%s: %dx%d, %zu face%s\n", path, info.width, info.height, n,
				n == 1 ? "" : "s");
			for (size_t k = 0; k < n; k++)
				fprintf(cli->out, "  #%zu  score %.3f  x %.0f y %.0f  %.0fx%.0f px\n", k,
					faces[k].score, faces[k].box.x, faces[k].box.y,
					faces[k].box.width, faces[k].box.height);
		}
		kf_free(faces);
	}
	if (root && kf_cli_print_json(cli, root) != KF_EXIT_OK)
		failed = 1;
	kf_detector_free(d);
	kf_arena_release(&arena);
	return failed ? KF_EXIT_ERROR : KF_EXIT_OK;
}
