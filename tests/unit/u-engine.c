/* u-engine.c: the local engine (core/engine.h).
 * - The small-face rule: a face narrower than KF_RECOGNIZABLE_MIN_FACE is
 *   reported, but gets no landmarks, no descriptor and no match;
 *   KF_FIND_ANY_SIZE describes it anyway.
 * - A large JPEG's faces are described from its rows around them only, with
 *   the numbers of the whole photo. Built a second time with BAND_MARGIN
 *   -0.25 (unit.engine-band), where the crops leave those rows and the
 *   engine must decode the whole photo again. */
#include "testutil.h"

#include <string.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "core/engine.h"
#include "core/image.h"
#include "core/image_encode.h"
#include "core/match.h"
#include "core/search.h"

static struct kf_engine *engine;

static int setup(void **state)
{
	struct kf_err err = KF_ERR_INIT;
	(void)state;

	if (kf_engine_load(&engine, KF_TEST_MODELS, KF_TEST_YUNET,
			   KF_ENGINE_YUNET | KF_ENGINE_DESCRIPTORS, &err) < 0)
		fail_msg("%s", err.msg);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	kf_engine_free(engine);
	return 0;
}

/* sample1.jpg shrunk to `width` pixels, as JPEG bytes (caller kf_frees). */
static uint8_t *shrunk_sample1(int width, size_t *len)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_image img = { 0 }, small = { 0 };
	uint8_t *buf = NULL;

	if (kf_image_load(KF_TEST_DEMO "/sample1.jpg", 0, &img, NULL, &err) < 0 ||
	    kf_image_resize(&img, width, img.height * width / img.width, &small, &err) < 0 ||
	    kf_image_encode_jpeg(&small, 95, &buf, len, &err) < 0)
		fail_msg("%s", err.msg);
	kf_image_release(&img);
	kf_image_release(&small);
	return buf;
}

static void test_small_faces_are_not_described(void **state)
{
	kf_test_slow();	/* before anything is allocated */
	struct kf_detect_opts o = KF_DETECT_OPTS_DEFAULT;
	struct kf_arena arena = KF_ARENA_INIT;
	struct kf_err err = KF_ERR_INIT;
	struct kf_face *faces = NULL, *any = NULL;
	struct kf_match_result res;
	struct kf_search s;
	size_t len, n = 0, nany = 0;
	/* sample1's faces are about 170 px wide at 1920: about 35 px at 400 */
	uint8_t *buf = shrunk_sample1(400, &len);
	(void)state;

	assert_int_equal(kf_engine_faces(engine, &o, buf, len, KF_FIND_DESCRIPTORS, &faces, &n,
					 NULL, NULL, &arena, &err), KF_OK);
	assert_true(n > 0);
	for (size_t i = 0; i < n; i++) {
		assert_true(faces[i].box.width < KF_RECOGNIZABLE_MIN_FACE);
		assert_true(faces[i].too_small);
		assert_false(faces[i].has_descriptor);
		assert_false(faces[i].has_landmarks);
	}
	/* described when asked to (bench/small-faces) */
	assert_int_equal(kf_engine_faces(engine, &o, buf, len,
					 KF_FIND_DESCRIPTORS | KF_FIND_ANY_SIZE, &any, &nany, NULL,
					 NULL, &arena, &err), KF_OK);
	assert_int_equal(nany, n);
	assert_false(any[0].too_small);
	assert_true(any[0].has_descriptor);

	/* never matched, even against its own descriptor at threshold 0 */
	kf_search_init(&s);
	assert_int_equal(kf_search_add(&s, 7, any[0].descriptor, &err), KF_OK);
	assert_int_equal(kf_match_photo(engine, &o, &s, 0, buf, len, &res, &arena, &err), KF_OK);
	assert_int_equal(res.nfaces, n);
	for (size_t i = 0; i < res.nfaces; i++) {
		assert_true(res.faces[i].too_small);
		assert_true(res.faces[i].no_descriptor);
		assert_int_equal(res.faces[i].nhits, 0);
		assert_int_equal(res.faces[i].best_below.client_id, 0);
	}
	kf_match_result_release(&res);

	/* the same photo large enough: recognised and matched */
	kf_free(buf);
	buf = shrunk_sample1(1920, &len);
	assert_int_equal(kf_match_photo(engine, &o, &s, 0, buf, len, &res, &arena, &err), KF_OK);
	assert_true(res.nfaces > 0);
	assert_false(res.faces[0].too_small);
	assert_true(res.faces[0].nhits > 0);
	kf_match_result_release(&res);

	kf_search_release(&s);
	kf_free(faces);
	kf_free(any);
	kf_free(buf);
	kf_arena_release(&arena);
}

/* sample1 in the middle of a grey 1920 x 3840 photo (its faces in a tenth of
 * its rows; the detector decodes it at half size): the faces described from
 * the rows around them, and from the whole photo, byte for byte. */
static void test_rows_around_the_faces(void **state)
{
	struct kf_detect_opts o = KF_DETECT_OPTS_DEFAULT;
	struct kf_arena arena = KF_ARENA_INIT;
	struct kf_err err = KF_ERR_INIT;
	struct kf_image img = { 0 }, tall = { 0 };
	struct kf_face *band = NULL, *whole = NULL;
	size_t len = 0, nb = 0, nw = 0;
	uint8_t *buf = NULL;
	(void)state;

	if (kf_image_load(KF_TEST_DEMO "/sample1.jpg", 0, &img, NULL, &err) < 0 ||
	    kf_image_pad(&img, 1920, 3840, 128, &tall, NULL, NULL, &err) < 0 ||
	    kf_image_encode_jpeg(&tall, 90, &buf, &len, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(kf_engine_faces(engine, &o, buf, len, KF_FIND_DESCRIPTORS, &band, &nb,
					 NULL, NULL, &arena, &err), KF_OK);
	assert_int_equal(kf_engine_faces(engine, &o, buf, len,
					 KF_FIND_DESCRIPTORS | KF_FIND_WHOLE_PHOTO, &whole, &nw, NULL,
					 NULL, &arena, &err), KF_OK);
	assert_int_equal(nb, nw);
	assert_true(nb >= 3);
	for (size_t i = 0; i < nb; i++) {
		/* in the middle third: the rows around them are a small part */
		assert_true(band[i].box.y > 1280 && band[i].box.y + band[i].box.height < 2560);
		assert_true(band[i].has_descriptor);
		assert_memory_equal(&band[i], &whole[i], sizeof(band[i]));
	}
	kf_free(band);
	kf_free(whole);
	kf_free(buf);
	kf_image_release(&img);
	kf_image_release(&tall);
	kf_arena_release(&arena);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows_around_the_faces),
		cmocka_unit_test(test_small_faces_are_not_described),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
