/* u-nn_yunet.c: YuNet against the original libfacedetection's outputs
 * (tests/data/yunet/expected, how they were made: tests/data/yunet/README.md):
 * the face-api sample photos, the dev group photos and images of other sizes
 * and aspect ratios. Every face the original finds scoring >= CHECK_SCORE must
 * be found with IoU >= 0.95 and a score within 0.01, with landmarks within 2 px
 * (the original truncates its floats to ints), and nothing else may score that
 * high. Also: the streamed layers fed any number of rows at a time give the
 * whole image's numbers, tiny and extreme images, a damaged weight file. */
#include "testutil.h"
#include "stages.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "core/box.h"
#include "core/image.h"
#include "core/nn_yunet.h"

#define EXPECTED KF_TEST_DATA "/yunet/expected/"
/* Faces near the 0.2 cut-off may appear or vanish with the last float bit
 * (README): the check starts a margin above it. */
#define CHECK_SCORE 0.25f

static struct kf_yunet *net;
static struct kf_arena arena = KF_ARENA_INIT;

static int setup(void **state)
{
	struct kf_err err = KF_ERR_INIT;
	(void)state;

	if (kf_yunet_load(&net, KF_TEST_YUNET, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	kf_yunet_free(net);
	kf_arena_release(&arena);
	return 0;
}

static const char *image_path(const char *name)
{
	if (!strncmp(name, "sample", 6))
		return kf_test_path("%s/%s", KF_TEST_DEMO, name);
	if (!strncmp(name, "bbt", 3))
		return kf_test_path("%s/datasets/dev/groups/%s", KF_TEST_DATA, name);
	return kf_test_path("%s/yunet/%s", KF_TEST_DATA, name);
}

static struct kf_yunet_face *run(const struct kf_image *img, size_t *n)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_yunet_face *f = NULL;

	kf_arena_reset(&arena);
	assert_int_equal(kf_yunet_detect(net, img->rgb, img->width, img->height,
					 (size_t)img->width * 3, 0.2f, 0.45f, &f, n, &arena, &err),
			 KF_OK);
	return f;
}

static double num(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	assert_true(cJSON_IsNumber(v));
	return v->valuedouble;
}

static const char *const images[] = {
	"sample1", "sample2", "sample3", "sample4", "sample5", "sample6", "bbt1", "bbt2", "bbt3",
	"bbt4", "bbt5", "odd-517x333", "wide-1200x300", "tall-300x900", "amy1-rgb-150x150",
	"tiny-16x16", "pixel-1x1", "strip-64x2000",
};

static void test_parity(void **state)
{
	double worst_iou = 1, worst_ds = 0, worst_lm = 0;
	int checked = 0;
	(void)state;
	kf_test_slow();

	for (size_t k = 0; k < sizeof(images) / sizeof(images[0]); k++) {
		cJSON *doc = kf_test_load_json(kf_test_path("%s%s.json", EXPECTED, images[k]));
		const char *name = cJSON_GetObjectItem(doc, "image")->valuestring;
		struct kf_err err = KF_ERR_INIT;
		struct kf_image img = { 0, 0, NULL };
		const cJSON *faces = cJSON_GetObjectItem(doc, "faces"), *e;
		struct kf_yunet_face *f;
		size_t n;
		int *used;

		assert_int_equal(kf_image_load(image_path(name), 0, &img, NULL, &err), KF_OK);
		assert_int_equal(img.width, (int)num(doc, "width"));
		assert_int_equal(img.height, (int)num(doc, "height"));
		f = run(&img, &n);
		used = calloc(n + 1, sizeof(int));
		cJSON_ArrayForEach(e, faces) {
			struct kf_box want = { (float)num(e, "x"), (float)num(e, "y"),
					       (float)num(e, "w"), (float)num(e, "h") };
			const cJSON *lm = cJSON_GetObjectItem(e, "landmarks");
			double best = 0;
			size_t bi = 0;

			if (num(e, "score") < CHECK_SCORE)
				continue;
			for (size_t i = 0; i < n; i++) {
				/* the original's ints: truncated corner and size */
				struct kf_box got = { truncf(f[i].x0), truncf(f[i].y0),
						      truncf(f[i].x1 - f[i].x0), truncf(f[i].y1 - f[i].y0) };
				double iou = kf_box_iou(&want, &got);

				if (iou > best) {
					best = iou;
					bi = i;
				}
			}
			if (best < 0.95 || fabs(f[bi].score - num(e, "score")) > 0.01)
				fail_msg("%s: face at %g,%g: IoU %.3f, score %.4f vs %.4f", name,
					 want.x, want.y, best, best > 0 ? f[bi].score : 0.0,
					 num(e, "score"));
			for (int j = 0; j < 10; j++) {
				double d = fabs(f[bi].lm[j] - cJSON_GetArrayItem(lm, j)->valuedouble);

				assert_true(d <= 2.0);
				worst_lm = fmax(worst_lm, d);
			}
			used[bi] = 1;
			worst_iou = fmin(worst_iou, best);
			worst_ds = fmax(worst_ds, fabs(f[bi].score - num(e, "score")));
			checked++;
		}
		for (size_t i = 0; i < n; i++)
			if (!used[i] && f[i].score >= CHECK_SCORE + 0.01f)
				fail_msg("%s: extra face at %.0f,%.0f scoring %.4f", name, f[i].x0,
					 f[i].y0, f[i].score);
		free(used);
		kf_free(f);
		kf_image_release(&img);
		cJSON_Delete(doc);
	}
	print_message("yunet parity: %d faces, worst IoU %.4f, worst score diff %.5f, "
		      "worst landmark diff %.2f px\n", checked, worst_iou, worst_ds, worst_lm);
	assert_true(checked >= 55);	/* 60 faces score >= CHECK_SCORE */
}

/* Streaming only splits the work: the stem's rows given 4, 16 (the default),
 * 28, 40 or 52 at a time give the very numbers of one pass over the whole
 * image. */
static void test_chunks(void **state)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_image img = { 0, 0, NULL };
	struct kf_yunet_face *whole, *chunked;
	size_t n, nc;
	(void)state;
	kf_test_slow();

	assert_int_equal(kf_image_load(image_path("sample5.jpg"), 0, &img, NULL, &err), KF_OK);
	kf_yunet_set_chunk_rows(1 << 20);
	whole = run(&img, &n);
	assert_true(n >= 5);
	for (int rows = 1; rows <= 13; rows += 3) {
		kf_yunet_set_chunk_rows(rows);
		chunked = run(&img, &nc);
		assert_int_equal(nc, n);
		for (size_t i = 0; i < n; i++) {
			assert_true(chunked[i].score == whole[i].score);
			assert_true(chunked[i].x0 == whole[i].x0 && chunked[i].y0 == whole[i].y0);
			assert_true(chunked[i].x1 == whole[i].x1 && chunked[i].y1 == whole[i].y1);
		}
		kf_free(chunked);
	}
	kf_yunet_set_chunk_rows(0);
	kf_free(whole);
	kf_image_release(&img);
}

/* Tiny and extreme images give no face or a clear error, never a crash. */
static void test_odd_sizes(void **state)
{
	static const int sizes[][2] = { { 1, 1 }, { 16, 16 }, { 10000, 50 }, { 50, 10000 },
					{ 33, 31 } };
	struct kf_err err = KF_ERR_INIT;
	struct kf_yunet_face *f;
	uint8_t px[3] = { 0 };
	size_t n;
	(void)state;

	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		int w = sizes[k][0], h = sizes[k][1];
		uint8_t *rgb = malloc((size_t)w * (size_t)h * 3);

		for (size_t i = 0; i < (size_t)w * (size_t)h * 3; i++)
			rgb[i] = (uint8_t)(i * 2654435761u >> 24);
		kf_arena_reset(&arena);
		assert_int_equal(kf_yunet_detect(net, rgb, w, h, (size_t)w * 3, 0.6f, 0.45f, &f, &n,
						 &arena, &err), KF_OK);
		kf_free(f);
		free(rgb);
	}
	assert_int_equal(kf_yunet_detect(net, px, 0, 1, 3, 0.6f, 0.45f, &f, &n, &arena, &err),
			 KF_E_INVALID);
	assert_null(f);
	assert_int_equal(kf_yunet_detect(net, px, 1, KF_YUNET_MAX_SIDE + 1, 3, 0.6f, 0.45f, &f,
					 &n, &arena, &err), KF_E_INVALID);
}

/* A truncated or altered weight file is refused with a message naming it. */
static void test_damaged_weights(void **state)
{
	const char *dir = kf_test_tmpdir();
	size_t jl, bl;
	uint8_t *man = kf_test_read_file(KF_TEST_YUNET "/yunet-weights_manifest.json", &jl);
	uint8_t *bin = kf_test_read_file(KF_TEST_YUNET "/yunet.bin", &bl);
	struct kf_yunet *bad = NULL;
	(void)state;

	kf_test_write_file(kf_test_path("%s/yunet-weights_manifest.json", dir), man, jl);
	for (int k = 0; k < 2; k++) {
		struct kf_err err = KF_ERR_INIT;

		if (k == 0) {
			kf_test_write_file(kf_test_path("%s/yunet.bin", dir), bin, bl - 100);
		} else {
			bin[bl / 2] ^= 0x40;
			kf_test_write_file(kf_test_path("%s/yunet.bin", dir), bin, bl);
		}
		assert_int_equal(kf_yunet_load(&bad, dir, &err), KF_E_FORMAT);
		assert_null(bad);
		assert_non_null(strstr(err.msg, "yunet"));
		print_message("%s\n", err.msg);
	}
	free(man);
	free(bin);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parity),
		cmocka_unit_test(test_chunks),
		cmocka_unit_test(test_odd_sizes),
		cmocka_unit_test(test_damaged_weights),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
