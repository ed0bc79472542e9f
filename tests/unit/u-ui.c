/* u-ui.c: the console's pure parts: a photo as symbol art on the cell grid
 * (kf_ui_art_size, kf_ui_art_make: libchafa), face crops and the art cache
 * (kf_ui_face_cut, kf_ui_art_cache) and the list's selection and scrolling
 * (kf_ui_list), where a long line wraps (kf_ui_wrap_cut), a table's cell
 * (kf_ui_cell). No terminal needed. */
#include "testutil.h"

#include <locale.h>
#include <string.h>

#include "core/alloc.h"
#include "ui/kf_ui_app.h"
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

static void test_face_cut_and_art_cache(void **state)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_image full = { 1000, 800, NULL }, c = { 0 };
	struct kf_ui_art_cache ac;
	const struct kf_ui_art *a, *b;
	(void)state;

	/* table: a box (fractions) -> the crop: its side with the margin, clamped
	 * to the photo, reduced to KF_UI_CROP_SIDE */
	const struct { float l, t, w, h; int rc, want_w, want_h; } cuts[] = {
		{ 0.4f, 0.4f, 0.1f, 0.1f, KF_OK, 160, 160 },	/* 100 px wide, 1.6x */
		{ 0.0f, 0.0f, 0.1f, 0.1f, KF_OK, 130, 120 },	/* at the corner: clamped */
		{ 0.0f, 0.0f, 1.0f, 1.0f, KF_OK, 384, 307 },	/* the whole photo: reduced */
		{ 2.0f, 2.0f, 0.1f, 0.1f, KF_E_INVALID, 0, 0 },	/* off the photo */
	};
	full.rgb = kf_calloc((size_t)1000 * 800 * 3, 1);
	assert_non_null(full.rgb);
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		kf_err_clear(&err);
		assert_int_equal(kf_ui_face_cut(&full, cuts[i].l, cuts[i].t, cuts[i].w, cuts[i].h, &c,
						&err), cuts[i].rc);
		assert_int_equal(c.width, cuts[i].want_w);
		assert_int_equal(c.height, cuts[i].want_h);
		kf_image_release(&c);
	}
	/* the cache makes art again only for another key or room */
	memset(&ac, 0, sizeof(ac));
	kf_ui_face_cut(&full, 0.4f, 0.4f, 0.1f, 0.1f, &c, &err);
	a = kf_ui_art_cache_get(&ac, &c, 7, 20, 10, KF_UI_256, 1);
	assert_non_null(a);
	assert_int_equal(a->cols, 20);
	b = kf_ui_art_cache_get(&ac, &c, 7, 20, 10, KF_UI_256, 1);
	assert_ptr_equal(a, b);
	assert_ptr_equal(b->ch, ac.art.ch);
	b = kf_ui_art_cache_get(&ac, &c, 7, 10, 5, KF_UI_256, 1);
	assert_int_equal(b->cols, 10);
	assert_null(kf_ui_art_cache_get(&ac, NULL, 8, 10, 5, KF_UI_256, 1));
	assert_false(ac.valid);
	kf_ui_art_cache_release(&ac);
	kf_ui_art_cache_release(NULL);
	kf_image_release(&c);
	kf_image_release(&full);
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
	/* accents and spacing aside too */
	strcpy(l.filter, "joao s");
	assert_true(kf_ui_list_match(&l, "João  Silva"));
	assert_false(kf_ui_list_match(&l, "Joana Silva"));
	strcpy(l.filter, "CERIMONIA/IMG_");
	assert_true(kf_ui_list_match(&l, "Cerimônia/IMG_0012.jpg"));
	assert_false(kf_ui_list_match(&l, NULL));
}

static void test_wrap_cut(void **state)
{
	(void)state;

	if (!setlocale(LC_ALL, "C.UTF-8"))
		skip();
	/* whole words that fit; the space after them is left */
	assert_int_equal(kf_ui_wrap_cut("enroll a face of the client", 14), 13);
	assert_int_equal(kf_ui_wrap_cut("enroll a face", 13), 13);
	assert_int_equal(kf_ui_wrap_cut("", 10), 0);
	/* a word longer than the row: what fits of it */
	assert_int_equal(kf_ui_wrap_cut("photos/2026/wedding", 7), 7);
	/* columns, not bytes: "é" is 2 bytes, 1 column; "顔" 3 bytes, 2 columns */
	assert_int_equal(kf_ui_wrap_cut("café au lait", 7), 8);
	assert_int_equal(kf_ui_wrap_cut("顔顔顔", 5), 6);
	/* never inside a character, and at least one even when it is too wide */
	assert_int_equal(kf_ui_wrap_cut("顔顔", 1), 3);
	assert_int_equal(kf_ui_wrap_cut("·a", 0), 2);
	/* at a " · " between parts when the line does not fit: "5 faces" */
	assert_int_equal(kf_ui_wrap_cut("5 faces · detector yunet", 20), 7);
	assert_int_equal(kf_ui_wrap_cut("5 faces · detector yunet", 24), 25);
	assert_int_equal(kf_ui_wrap_cut("a b · c d e f", 5), 3);
	setlocale(LC_ALL, "C");
}

/* A table's cell (kf_ui_cell): padded and cut by columns, never in a character. */
static void test_cell(void **state)
{
	char buf[KF_UI_CELL_MAX];
	(void)state;

	if (!setlocale(LC_ALL, "C.UTF-8"))
		skip();
	assert_string_equal(kf_ui_cell("Ana", 5, buf, sizeof(buf)), "Ana  ");
	assert_string_equal(kf_ui_cell("Conceição", 10, buf, sizeof(buf)), "Conceição ");
	assert_string_equal(kf_ui_cell("Conceição", 8, buf, sizeof(buf)), "Conceiçã");
	/* a combining accent takes no column: stays with its letter */
	assert_string_equal(kf_ui_cell("Jose\xcc\x81 N", 6, buf, sizeof(buf)), "Jose\xcc\x81 N");
	assert_string_equal(kf_ui_cell("Jose\xcc\x81 N", 4, buf, sizeof(buf)), "Jose\xcc\x81");
	/* a wide character that does not fit leaves its column blank */
	assert_string_equal(kf_ui_cell("顔顔", 3, buf, sizeof(buf)), "顔 ");
	assert_int_equal(kf_ui_width(kf_ui_cell("Noivos à mesa.jpg", 12, buf, sizeof(buf))), 12);
	/* a small buffer: whole characters, then what spaces fit */
	assert_string_equal(kf_ui_cell("ção", 3, buf, 4), "ç ");
	assert_string_equal(kf_ui_cell("", 2, buf, sizeof(buf)), "  ");
	setlocale(LC_ALL, "C");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_art_keeps_aspect_and_colours),
		cmocka_unit_test(test_face_cut_and_art_cache),
		cmocka_unit_test(test_list_moves_and_scrolls),
		cmocka_unit_test(test_wrap_cut),
		cmocka_unit_test(test_cell),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
