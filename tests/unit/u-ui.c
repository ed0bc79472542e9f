/* u-ui.c: the console's pure parts: a photo as symbol art on the cell grid
 * (kf_ui_art_size, kf_ui_art_make: libchafa) and the list's selection and
 * scrolling (kf_ui_list). No terminal needed. */
#include "testutil.h"

#include <string.h>

#include "core/alloc.h"
#include "ui/kf_ui_image.h"
#include "ui/kf_ui_list.h"

static void test_art_keeps_aspect_and_colours(void **state)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_image src = { 300, 200, NULL };
	struct kf_ui_art a;
	int cols, rows;
	(void)state;

	/* table: room in cells -> cells used (cells twice as tall as wide) */
	const struct { int cols, rows, want_c, want_r; } sizes[] = {
		{ 40, 20, 40, 13 },	/* width-bound */
		{ 100, 10, 30, 10 },	/* height-bound */
		{ 1, 1, 1, 1 },
	};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		kf_ui_art_size(300, 200, sizes[i].cols, sizes[i].rows, &cols, &rows);
		assert_int_equal(cols, sizes[i].want_c);
		assert_int_equal(rows, sizes[i].want_r);
	}
	src.rgb = kf_malloc(300 * 200 * 3);
	assert_non_null(src.rgb);
	/* left half black, right half white */
	for (int y = 0; y < 200; y++)
		for (int x = 0; x < 300; x++)
			memset(src.rgb + ((size_t)y * 300 + (size_t)x) * 3, x < 150 ? 0 : 255, 3);
	assert_int_equal(kf_ui_art_make(&src, 40, 20, KF_UI_DIRECT, 1, &a, &err), KF_OK);
	assert_int_equal(a.cols, 40);
	assert_int_equal(a.rows, 13);
	assert_true(a.bg[0] <= 0x080808);	/* black (8: not the ANSI palette) */
	assert_int_equal(a.bg[39], 0xffffff);
	kf_ui_art_release(&a);
	assert_int_equal(kf_ui_art_make(&src, 40, 20, KF_UI_256, 1, &a, &err), KF_OK);
	assert_int_equal(a.bg[0], 16);		/* the cube's black and white */
	assert_int_equal(a.bg[39], 231);
	kf_ui_art_release(&a);
	/* no colours: shapes only, in the terminal's colours */
	assert_int_equal(kf_ui_art_make(&src, 40, 20, KF_UI_GREY, 0, &a, &err), KF_OK);
	assert_int_equal(a.fg[0], -1);
	assert_int_equal(a.bg[39], -1);
	assert_true(a.ch[0] < 0x80 && a.ch[39] < 0x80 && a.ch[0] != a.ch[39]);
	kf_ui_art_release(&a);
	assert_int_equal(kf_ui_art_make(&src, 0, 20, KF_UI_256, 1, &a, &err), KF_E_INVALID);
	kf_ui_art_release(&a);
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
		cmocka_unit_test(test_art_keeps_aspect_and_colours),
		cmocka_unit_test(test_list_moves_and_scrolls),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
