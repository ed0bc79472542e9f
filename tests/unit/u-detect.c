/* u-detect.c: the detection pipeline: parity with face-api on the sample
 * photos (both detectors, default decode path, tiles off), the options, the
 * max-faces rule, and tiling finding small faces a single pass misses. */
#include "testutil.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "core/detect.h"
#include "core/image.h"

static struct kf_detector *det;
static struct kf_arena arena = KF_ARENA_INIT;

static int setup(void **state)
{
	struct kf_err err = KF_ERR_INIT;
	(void)state;

	if (kf_detector_load(&det, KF_TEST_MODELS, KF_TEST_YUNET,
			     KF_LOAD_SSD | KF_LOAD_TINY | KF_LOAD_YUNET, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	kf_detector_free(det);
	kf_arena_release(&arena);
	return 0;
}

/* Detect in a file the way `kingface detect` does. */
static struct kf_detection *detect_path(const char *path, const struct kf_detect_opts *o,
					size_t *n, struct kf_image_info *info)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_image img = { 0, 0, NULL };
	struct kf_detection *found;
	uint8_t *buf;
	size_t len;

	assert_int_equal(kf_image_read_file(path, &buf, &len, &err), KF_OK);
	assert_int_equal(kf_image_probe(buf, len, info, &err), KF_OK);
	assert_int_equal(kf_image_decode(buf, len, kf_detect_min_side(o, info->width, info->height),
					 &img, info, &err), KF_OK);
	assert_int_equal(kf_detect(det, o, &img, info->width, info->height, &found, n, &arena,
				   &err), KF_OK);
	kf_image_release(&img);
	kf_free(buf);
	kf_arena_reset(&arena);
	return found;
}

static double num(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	assert_true(cJSON_IsNumber(v));
	return v->valuedouble;
}

static void check_parity(enum kf_detector_kind kind, const char *name)
{
	struct kf_detect_opts o = KF_DETECT_OPTS_DEFAULT;
	double worst_iou = 1, worst_ds = 0;

	o.detector = kind;
	o.tiles = KF_TILES_OFF;
	for (int s = 1; s <= 6; s++) {
		size_t len, n;
		char *text = (char *)kf_test_read_file(
			kf_test_path("%s/reference/sample%d.json", KF_TEST_DATA, s), &len);
		cJSON *root = cJSON_Parse(text), *ref, *face;
		struct kf_image_info info;
		struct kf_detection *found = detect_path(kf_test_path("%s/sample%d.jpg", KF_TEST_DEMO, s),
							 &o, &n, &info);
		int *matched = calloc(n + 1, sizeof(int));

		assert_non_null(root);
		ref = cJSON_GetObjectItem(cJSON_GetObjectItem(root, name), "detect_only");
		cJSON_ArrayForEach(face, ref) {
			const cJSON *b = cJSON_GetObjectItem(face, "box");
			struct kf_box rb = { (float)num(b, "x"), (float)num(b, "y"),
					     (float)num(b, "width"), (float)num(b, "height") };
			double best = 0;
			size_t bi = 0;

			for (size_t i = 0; i < n; i++)
				if (kf_box_iou(&rb, &found[i].box) > best) {
					best = kf_box_iou(&rb, &found[i].box);
					bi = i;
				}
			assert_true(best >= 0.90);
			assert_true(fabs(found[bi].score - num(face, "score")) <= 0.02);
			matched[bi] = 1;
			worst_iou = fmin(worst_iou, best);
			worst_ds = fmax(worst_ds, fabs(found[bi].score - num(face, "score")));
		}
		/* no extra detection scoring 0.05 or more above the threshold */
		for (size_t i = 0; i < n; i++)
			if (!matched[i])
				assert_true(found[i].score < o.min_score + 0.05);
		free(matched);
		kf_free(found);
		cJSON_Delete(root);
		free(text);
	}
	printf("%s parity: worst IoU %.4f, worst score difference %.4f\n", name, worst_iou, worst_ds);
}

static void test_ssd_parity(void **state)
{
	(void)state;
	kf_test_slow();
	check_parity(KF_DETECTOR_SSD, "ssd");
}

static void test_tiny_parity(void **state)
{
	(void)state;
	check_parity(KF_DETECTOR_TINY, "tiny");
}

static void test_options(void **state)
{
	static const struct { int field; double value; } bad[] = {
		{ 0, -0.1 }, { 0, 1.5 }, { 1, 0 }, { 1, 1001 }, { 2, 0 }, { 3, 100 }, { 3, 416 + 16 },
		{ 3, 640 },
	};
	struct kf_err err = KF_ERR_INIT;
	struct kf_detect_opts def = KF_DETECT_OPTS_DEFAULT;
	(void)state;

	assert_int_equal(kf_detect_opts_check(&def, &err), KF_OK);
	assert_int_equal(def.detector, KF_DETECTOR_YUNET);
	assert_false(kf_detect_tiled(&def, 6000, 4000));	/* --tiles is for ssd and tiny */
	/* YuNet's fine pass: a 40 px face of the photo at 18 px, never below 1000 px */
	assert_int_equal(kf_detect_min_side(&def, 6000, 4000), 2700);
	assert_int_equal(kf_detect_min_side(&def, 1920, 1280), 1000);
	assert_int_equal(kf_detect_min_side(&def, 600, 400), 600);
	def.detector = KF_DETECTOR_SSD;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct kf_detect_opts o = def;

		switch (bad[i].field) {
		case 0: o.min_score = (float)bad[i].value; break;
		case 1: o.max_faces = (int)bad[i].value; break;
		case 2: o.nms_iou = (float)bad[i].value; break;
		default: o.tiny_size = (int)bad[i].value; break;
		}
		kf_err_clear(&err);
		assert_int_equal(kf_detect_opts_check(&o, &err), KF_E_INVALID);
	}
	/* the tiling rule: a 40 px face must stay >= the detector's smallest face */
	assert_false(kf_detect_tiled(&def, 560, 400));
	assert_true(kf_detect_tiled(&def, 1920, 1280));
	assert_true(kf_detect_tiled(&def, 6000, 4000));
	def.tiles = KF_TILES_OFF;
	assert_false(kf_detect_tiled(&def, 6000, 4000));
	assert_int_equal(kf_detect_min_side(&def, 6000, 4000), KF_DETECT_DECODE_FACTOR * 512);
}

static float area(const struct kf_detection *d)
{
	return d->box.width * d->box.height;
}

static void test_max_faces_keeps_largest(void **state)
{
	struct kf_detect_opts o = KF_DETECT_OPTS_DEFAULT;
	struct kf_detection *all, *two;
	struct kf_image_info info;
	size_t n, n2;
	(void)state;
	kf_test_slow();

	o.detector = KF_DETECTOR_SSD;
	o.tiles = KF_TILES_OFF;
	all = detect_path(kf_test_path("%s/sample5.jpg", KF_TEST_DEMO), &o, &n, &info);
	assert_int_equal(n, 5);
	o.max_faces = 2;
	two = detect_path(kf_test_path("%s/sample5.jpg", KF_TEST_DEMO), &o, &n2, &info);
	assert_int_equal(n2, 2);
	assert_true(two[0].score >= two[1].score);	/* still sorted by score */
	for (size_t i = 0; i < n; i++) {
		int kept = kf_box_iou(&all[i].box, &two[0].box) > 0.99f ||
			   kf_box_iou(&all[i].box, &two[1].box) > 0.99f;
		if (!kept)
			assert_true(area(&all[i]) <= fminf(area(&two[0]), area(&two[1])));
	}
	kf_free(all);
	kf_free(two);
}

/* Paste the face `box` of src, with a margin, as a size x size patch at (x, y). */
static void paste_face(struct kf_image *canvas, const struct kf_image *src,
		       const struct kf_box *box, int x, int y, int size)
{
	struct kf_err err = KF_ERR_INIT;
	float side = fmaxf(box->width, box->height) * 1.6f;
	float cx = box->x + box->width / 2, cy = box->y + box->height / 2;
	float *patch = malloc((size_t)size * size * 3 * sizeof(float));

	assert_int_equal(kf_image_to_net_input(src, (int)(cx - side / 2), (int)(cy - side / 2),
					       (int)side, (int)side, size, 1, patch, &err), KF_OK);
	for (int r = 0; r < size; r++)
		for (int c = 0; c < size * 3; c++)
			canvas->rgb[((size_t)(y + r) * canvas->width + x) * 3 + c] =
				(uint8_t)lrintf(patch[(size_t)r * size * 3 + c]);
	free(patch);
}

static void test_tiles_find_small_faces(void **state)
{
	enum { W = 2400, H = 1600, FACES = 6, PATCH = 96 };
	struct kf_detect_opts o = KF_DETECT_OPTS_DEFAULT;
	struct kf_err err = KF_ERR_INIT;
	struct kf_image canvas = { W, H, NULL }, src = { 0, 0, NULL };
	struct kf_detection *faces, *found;
	struct kf_box pasted[FACES];
	struct kf_image_info info;
	size_t n, nfound;
	int hits_off = 0, hits_auto = 0;
	(void)state;
	kf_test_slow();

	o.detector = KF_DETECTOR_SSD;
	canvas.rgb = malloc((size_t)W * H * 3);
	for (size_t i = 0; i < (size_t)W * H * 3; i++)
		canvas.rgb[i] = (uint8_t)(110 + (i * 2654435761u >> 28));	/* grey, a little noise */
	o.tiles = KF_TILES_OFF;
	faces = detect_path(kf_test_path("%s/sample1.jpg", KF_TEST_DEMO), &o, &n, &info);
	assert_true(n >= 3);
	assert_int_equal(kf_image_load(kf_test_path("%s/sample1.jpg", KF_TEST_DEMO), 0, &src, NULL,
				       &err), KF_OK);
	for (int i = 0; i < FACES; i++) {
		int x = 150 + (i % 3) * 800 + (i * 37) % 200, y = 250 + (i / 3) * 700;

		paste_face(&canvas, &src, &faces[i % 3].box, x, y, PATCH);
		/* the face is the middle 1/1.6 of the patch */
		pasted[i] = (struct kf_box){ x + PATCH * 0.19f, y + PATCH * 0.19f,
					     PATCH / 1.6f, PATCH / 1.6f };
	}
	for (int pass = 0; pass < 2; pass++) {
		o.tiles = pass ? KF_TILES_AUTO : KF_TILES_OFF;
		assert_int_equal(kf_detect(det, &o, &canvas, W, H, &found, &nfound, &arena, &err),
				 KF_OK);
		kf_arena_reset(&arena);
		for (int i = 0; i < FACES; i++)
			for (size_t k = 0; k < nfound; k++)
				if (kf_box_iou(&pasted[i], &found[k].box) > 0.3f) {
					*(pass ? &hits_auto : &hits_off) += 1;
					break;
				}
		kf_free(found);
	}
	printf("pasted %d faces of about %d px: single pass found %d, tiled found %d\n", FACES,
	       (int)(PATCH / 1.6f), hits_off, hits_auto);
	assert_int_equal(hits_off, 0);
	assert_int_equal(hits_auto, FACES);
	kf_image_release(&src);
	kf_free(faces);
	free(canvas.rgb);
}

/* YuNet's coarse passes: a face filling a 24-megapixel close-up (2700 px wide,
 * far beyond the 400 px YuNet sizes well) is found once, whole, with a high
 * score; at the fine pass alone it scored 0.62 in pieces. */
static void test_yunet_close_up(void **state)
{
	struct kf_detect_opts o = KF_DETECT_OPTS_DEFAULT;
	struct kf_err err = KF_ERR_INIT;
	struct kf_image src = { 0 }, cut = { 0 }, big = { 0 };
	struct kf_detection *found;
	size_t n;
	(void)state;
	kf_test_slow();

	assert_int_equal(kf_image_load(kf_test_path("%s/sample4.jpg", KF_TEST_DEMO), 0, &src, NULL,
				       &err), KF_OK);
	assert_int_equal(kf_image_crop(&src, 610, 10, 280, 360, &cut, &err), KF_OK);
	assert_int_equal(kf_image_resize(&cut, 4000, 5143, &big, &err), KF_OK);
	assert_int_equal(kf_detect(det, &o, &big, big.width, big.height, &found, &n, &arena, &err),
			 KF_OK);
	assert_int_equal(n, 1);
	assert_true(found[0].score > 0.85f);
	assert_true(found[0].box.width > 2000 && found[0].box.height > 2500);
	kf_free(found);
	kf_image_release(&src);
	kf_image_release(&cut);
	kf_image_release(&big);
	kf_arena_reset(&arena);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_ssd_parity),
		cmocka_unit_test(test_tiny_parity),
		cmocka_unit_test(test_max_faces_keeps_largest),
		cmocka_unit_test(test_tiles_find_small_faces),
		cmocka_unit_test(test_yunet_close_up),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
