/* u-photo_match.c: what the detail views share (kf_match_best_below) and the
 * console's processing options from the settings (kf_photo_match_opts_load). */
#include "testutil.h"

#include <string.h>

#include "data/photo_match.h"
#include "data/settings.h"
#include "data/store.h"

static void unit(float *d, float a, float b, float c)
{
	memset(d, 0, KF_DESC_DIM * sizeof(float));
	d[0] = a, d[1] = b, d[2] = c;
}

static void test_best_below(void **state)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_match_gallery g;
	struct kf_detail_face f;
	struct kf_search_hit h;
	float d[KF_DESC_DIM];
	(void)state;

	memset(&g, 0, sizeof(g));
	kf_search_init(&g.search);
	unit(d, 1, 0, 0);
	assert_int_equal(kf_search_add(&g.search, 11, d, &err), KF_OK);
	unit(d, 0, 1, 0);
	assert_int_equal(kf_search_add(&g.search, 12, d, &err), KF_OK);
	unit(d, 0, 0, 1);
	assert_int_equal(kf_search_add(&g.search, 13, d, &err), KF_OK);
	memset(&f, 0, sizeof(f));
	f.has_descriptor = 1;
	unit(f.descriptor, 0.8f, 0.6f, 0);
	f.nmatches = 1;
	f.matches[0].client_id = 11;
	/* the closest client not matched: 12, not 13 */
	assert_int_equal(kf_match_best_below(&g, &f, &h, &err), KF_OK);
	assert_int_equal(h.client_id, 12);
	assert_true(h.similarity > 0 && h.similarity < 100);
	/* every client matched: none */
	f.nmatches = 3;
	f.matches[1].client_id = 12;
	f.matches[2].client_id = 13;
	assert_int_equal(kf_match_best_below(&g, &f, &h, &err), KF_OK);
	assert_int_equal(h.client_id, 0);
	/* no descriptor stored: none */
	f.nmatches = 0;
	f.has_descriptor = 0;
	assert_int_equal(kf_match_best_below(&g, &f, &h, &err), KF_OK);
	assert_int_equal(h.client_id, 0);
	kf_search_release(&g.search);
}

static void test_opts_from_settings(void **state)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_photo_match_opts o;
	struct kf_store *st;
	(void)state;

	assert_int_equal(kf_store_open(&st, kf_test_path("%s/po.db", kf_test_tmpdir()),
				       KF_STORE_CREATE, &err), KF_OK);
	assert_int_equal(kf_photo_match_opts_load(st, &o, &err), KF_OK);
	assert_true(o.threshold == KF_THRESHOLD_AUTO);	/* resolved per gallery */
	assert_int_equal(o.detect.max_faces, 100);
	assert_int_equal(o.queue.max_attempts, 3);
	assert_int_equal(o.ttl_ms, 7LL * 86400000);
	assert_int_equal(kf_settings_set(st, "threshold", "70", &err), KF_OK);
	assert_int_equal(kf_settings_set(st, "max-faces", "5", &err), KF_OK);
	assert_int_equal(kf_photo_match_opts_load(st, &o, &err), KF_OK);
	assert_true(o.threshold == 70.0f);
	assert_int_equal(o.detect.max_faces, 5);
	assert_int_equal(o.detect.detector, KF_DETECTOR_YUNET);
	assert_int_equal(o.no_cache, 0);
	kf_store_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_best_below),
		cmocka_unit_test(test_opts_from_settings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
