/* u-ui.c: the console's pure parts: fitting a photo to the cell grid
 * (kf_ui_image_fit) and the list's selection and scrolling (kf_ui_list). No
 * terminal needed. */
#include "testutil.h"

#include <string.h>

#include "core/alloc.h"
#include "ui/kf_ui_image.h"
#include "ui/kf_ui_list.h"

static void test_fit_keeps_aspect_and_averages(void **state)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_image src = { 300, 200, NULL }, px;
	(void)state;

	src.rgb = kf_malloc(300 * 200 * 3);
	assert_non_null(src.rgb);
	/* left half black, right half white */
	for (int y = 0; y < 200; y++)
		for (int x = 0; x < 300; x++)
			memset(src.rgb + ((size_t)y * 300 + (size_t)x) * 3, x < 150 ? 0 : 255, 3);
	/* table: room in cells -> cells used (square pixels, two a cell) */
	const struct { int cols, rows, want_w, want_h; } rows[] = {
		{ 40, 20, 40, 26 },	/* width-bound: 40 x 13 cells */
		{ 100, 10, 30, 20 },	/* height-bound: 30 x 10 cells */
		{ 1, 1, 1, 2 },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		assert_int_equal(kf_ui_image_fit(&src, rows[i].cols, rows[i].rows, &px, &err), KF_OK);
		assert_int_equal(px.width, rows[i].want_w);
		assert_int_equal(px.height, rows[i].want_h);
		kf_image_release(&px);
	}
	assert_int_equal(kf_ui_image_fit(&src, 40, 20, &px, &err), KF_OK);
	assert_int_equal(px.rgb[0], 0);
	assert_int_equal(px.rgb[(size_t)(px.width - 1) * 3], 255);
	kf_image_release(&px);
	assert_int_equal(kf_ui_image_fit(&src, 0, 20, &px, &err), KF_E_INVALID);
	kf_image_release(&src);
}

static void test_list_moves_and_scrolls(void **state)
{
	struct kf_ui_list l;
	(void)state;

	memset(&l, 0, sizeof(l));
	l.n = 10000;
	l.height = 20;
	assert_true(kf_ui_list_key(&l, KEY_END));
	assert_int_equal(l.sel, 9999);
	assert_int_equal(l.top, 9980);
	assert_true(kf_ui_list_key(&l, KEY_PPAGE));
	assert_int_equal(l.sel, 9980);
	assert_int_equal(l.top, 9980);
	assert_true(kf_ui_list_key(&l, KEY_UP));
	assert_int_equal(l.top, 9979);
	assert_true(kf_ui_list_key(&l, KEY_HOME));
	assert_int_equal(l.sel, 0);
	assert_true(kf_ui_list_key(&l, KEY_UP));
	assert_int_equal(l.sel, 0);
	assert_false(kf_ui_list_key(&l, 'x'));
	/* the rows shrink (a filter): the selection follows */
	l.sel = 500;
	l.n = 3;
	kf_ui_list_clamp(&l, 20);
	assert_int_equal(l.sel, 2);
	assert_int_equal(l.top, 0);
	strcpy(l.filter, "ANA");
	assert_true(kf_ui_list_match(&l, "Mariana"));
	assert_false(kf_ui_list_match(&l, "Bruno"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fit_keeps_aspect_and_averages),
		cmocka_unit_test(test_list_moves_and_scrolls),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
