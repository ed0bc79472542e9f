/* kf_ui_image.c: photos and face crops as symbol art by libchafa
 * (kf_ui_image.h). */
#include "ui/kf_ui_image.h"

#include <chafa.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "core/alloc.h"

enum kf_ui_color_mode kf_ui_color_mode(const struct kf_ui_app *app)
{
	const char *ct = getenv("COLORTERM");

	if (!app->color || getenv("NO_COLOR") || !has_colors())
		return KF_UI_GREY;
	if (ct && (!strcmp(ct, "truecolor") || !strcmp(ct, "24bit")) && COLORS >= 0x1000000)
		return KF_UI_DIRECT;
	return COLORS >= 256 ? KF_UI_256 : KF_UI_GREY;
}

void kf_ui_art_size(int w, int h, int max_cols, int max_rows, int *cols, int *rows)
{
	int c = max_cols > 1 ? max_cols : 1, r;

	if (w < 1 || h < 1 || max_rows < 1) {
		*cols = *rows = 1;
		return;
	}
	/* a cell is twice as tall as wide: c cells across hold c * h / w / 2 rows */
	r = (int)((double)c * h / w / 2.0 + 0.5);
	if (r > max_rows) {
		r = max_rows;
		c = (int)((double)r * 2.0 * w / h + 0.5);
	}
	*cols = c < 1 ? 1 : c > max_cols ? max_cols : c;
	*rows = r < 1 ? 1 : r;
}

static const int cube[6] = { 0, 95, 135, 175, 215, 255 };

static int nearest_level(int v)
{
	int best = 0;

	for (int i = 1; i < 6; i++)
		if (abs(cube[i] - v) < abs(cube[best] - v))
			best = i;
	return best;
}

/* The xterm-256 colour closest to (r, g, b): the 6x6x6 cube or the grey ramp. */
static int color256(int r, int g, int b)
{
	int ri = nearest_level(r), gi = nearest_level(g), bi = nearest_level(b);
	int cr = cube[ri], cg = cube[gi], cb = cube[bi];
	int grey = (r + g + b) / 3, gl = grey < 8 ? 0 : grey > 238 ? 23 : (grey - 8) / 10;
	int gv = 8 + 10 * gl;
	long dc = (long)(cr - r) * (cr - r) + (long)(cg - g) * (cg - g) + (long)(cb - b) * (cb - b);
	long dg = (long)(gv - r) * (gv - r) + (long)(gv - g) * (gv - g) + (long)(gv - b) * (gv - b);

	return dg < dc ? 232 + gl : 16 + 36 * ri + 6 * gi + bi;
}

/* A direct colour as curses takes it: values below 8 are the terminal's
 * ANSI palette there, so near-black 0x000001..7 becomes 8 (invisible). */
static int direct(int rgb)
{
	return rgb < 0 ? -1 : rgb < 8 ? 8 : rgb;
}

void kf_ui_art_release(struct kf_ui_art *a)
{
	if (!a)
		return;
	kf_free(a->ch);
	kf_free(a->fg);
	kf_free(a->bg);
	memset(a, 0, sizeof(*a));
}

int kf_ui_art_make(const struct kf_image *src, int max_cols, int max_rows,
		   enum kf_ui_color_mode mode, int utf8, struct kf_ui_art *out,
		   struct kf_err *err)
{
	static int threads_set;
	ChafaCanvasConfig *cfg;
	ChafaSymbolMap *map;
	ChafaCanvas *cv;
	ChafaSymbolTags tags;
	int cols, rows;
	size_t n;

	memset(out, 0, sizeof(*out));
	if (!src->rgb || src->width <= 0 || src->height <= 0 || max_cols < 1 || max_rows < 1)
		return kf_err_set(err, KF_E_INVALID, "nothing to draw");
	kf_ui_art_size(src->width, src->height, max_cols, max_rows, &cols, &rows);
	n = (size_t)cols * (size_t)rows;
	if (!(out->ch = kf_calloc(n, sizeof(*out->ch))) || !(out->fg = kf_calloc(n, sizeof(int))) ||
	    !(out->bg = kf_calloc(n, sizeof(int)))) {
		kf_ui_art_release(out);
		return kf_err_set(err, KF_E_NOMEM, "out of memory drawing the photo");
	}
	out->cols = cols;
	out->rows = rows;
	if (!threads_set) {	/* render on this thread: a few thousand cells */
		chafa_set_n_threads(1);
		threads_set = 1;
	}
	/* chafa allocates with GLib, which aborts when memory runs out */
	cfg = chafa_canvas_config_new();
	chafa_canvas_config_set_geometry(cfg, cols, rows);
	chafa_canvas_config_set_canvas_mode(cfg, mode == KF_UI_DIRECT ? CHAFA_CANVAS_MODE_TRUECOLOR :
					    mode == KF_UI_256 ? CHAFA_CANVAS_MODE_INDEXED_240 :
					    CHAFA_CANVAS_MODE_FGBG);
	/* block elements (halves, quadrants, eighths): no box-drawing lines,
	 * which would look like the face boxes drawn over the photo; narrow
	 * symbols only, a cell each as curses counts them */
	tags = utf8 ? CHAFA_SYMBOL_TAG_BLOCK | CHAFA_SYMBOL_TAG_SPACE : CHAFA_SYMBOL_TAG_ASCII;
	if (utf8 && mode == KF_UI_GREY)		/* shades stand in for colours */
		tags |= CHAFA_SYMBOL_TAG_STIPPLE;
	map = chafa_symbol_map_new();
	chafa_symbol_map_add_by_tags(map, tags);
	chafa_symbol_map_remove_by_tags(map, CHAFA_SYMBOL_TAG_WIDE | CHAFA_SYMBOL_TAG_BAD);
	chafa_canvas_config_set_symbol_map(cfg, map);
	cv = chafa_canvas_new(cfg);
	chafa_canvas_draw_all_pixels(cv, CHAFA_PIXEL_RGB8, src->rgb, src->width, src->height,
				     src->width * 3);
	for (int y = 0; y < rows; y++) {
		for (int x = 0; x < cols; x++) {
			size_t i = (size_t)y * (size_t)cols + (size_t)x;
			gunichar c = chafa_canvas_get_char_at(cv, x, y);
			int fg = -1, bg = -1;

			if (c < 0x20 || wcwidth((wchar_t)c) != 1)
				c = ' ';
			if (mode == KF_UI_DIRECT) {
				chafa_canvas_get_colors_at(cv, x, y, &fg, &bg);
				fg = direct(fg);
				bg = direct(bg);
			} else if (mode == KF_UI_256) {
				chafa_canvas_get_raw_colors_at(cv, x, y, &fg, &bg);
				fg = fg >= 16 && fg <= 255 ? fg : -1;
				bg = bg >= 16 && bg <= 255 ? bg : -1;
			}
			if (c == ' ' || fg < 0)		/* only the background shows */
				fg = bg;
			out->ch[i] = (uint32_t)c;
			out->fg[i] = fg;
			out->bg[i] = bg;
		}
	}
	chafa_canvas_unref(cv);
	chafa_symbol_map_unref(map);
	chafa_canvas_config_unref(cfg);
	return KF_OK;
}

void kf_ui_art_draw(WINDOW *w, int y, int x, const struct kf_ui_art *a)
{
	for (int r = 0; r < a->rows; r++) {
		for (int c = 0; c < a->cols; c++) {
			size_t i = (size_t)r * (size_t)a->cols + (size_t)c;
			wchar_t s[2] = { (wchar_t)a->ch[i], 0 };
			int pair = 0;

			if (a->fg[i] >= 0 || a->bg[i] >= 0)
				pair = alloc_pair(a->fg[i], a->bg[i]);
			if (pair < 0)
				pair = 0;
			wattr_set(w, A_NORMAL, 0, &pair);
			if (a->ch[i] < 0x80)
				mvwaddch(w, y + r, x + c, (chtype)a->ch[i]);
			else
				mvwaddnwstr(w, y + r, x + c, s, 1);
		}
	}
	wattrset(w, A_NORMAL);
}

int kf_ui_art_pair(const struct kf_ui_art *a, int cx, int cy, int r, int g, int b,
		   enum kf_ui_color_mode mode)
{
	int fg;

	if (mode == KF_UI_GREY || cx < 0 || cy < 0 || cx >= a->cols || cy >= a->rows)
		return -1;
	fg = mode == KF_UI_DIRECT ? direct((r << 16) | (g << 8) | b) : color256(r, g, b);
	return alloc_pair(fg, a->bg[(size_t)cy * (size_t)a->cols + (size_t)cx]);
}

void kf_ui_art_cache_release(struct kf_ui_art_cache *c)
{
	if (!c)
		return;
	kf_ui_art_release(&c->art);
	c->valid = 0;
}

const struct kf_ui_art *kf_ui_art_cache_get(struct kf_ui_art_cache *c, const struct kf_image *img,
					    int64_t key, int w, int h, enum kf_ui_color_mode mode,
					    int utf8)
{
	struct kf_err err = KF_ERR_INIT;

	if (c->valid && c->key == key && c->w == w && c->h == h && c->mode == mode &&
	    c->utf8 == utf8)
		return &c->art;
	kf_ui_art_cache_release(c);
	if (!img || !img->rgb || kf_ui_art_make(img, w, h, mode, utf8, &c->art, &err) < 0)
		return NULL;
	c->valid = 1;
	c->key = key;
	c->w = w;
	c->h = h;
	c->mode = mode;
	c->utf8 = utf8;
	return &c->art;
}

int kf_ui_face_cut(const struct kf_image *full, float left, float top, float width, float height,
		   struct kf_image *out, struct kf_err *err)
{
	float bw = width * (float)full->width, bh = height * (float)full->height;
	float side = (bw > bh ? bw : bh) * (1.0f + 2.0f * KF_UI_CROP_MARGIN);
	float cx = (left + width / 2) * (float)full->width;
	float cy = (top + height / 2) * (float)full->height;
	struct kf_image c = { 0 };
	int rc, w, h;

	if (side < 1)
		side = 1;
	if ((rc = kf_image_crop(full, (int)(cx - side / 2), (int)(cy - side / 2), (int)side,
				(int)side, &c, err)) < 0)
		return rc;
	if (c.width <= KF_UI_CROP_SIDE && c.height <= KF_UI_CROP_SIDE) {
		*out = c;
		return KF_OK;
	}
	w = c.width >= c.height ? KF_UI_CROP_SIDE
				: (int)((int64_t)c.width * KF_UI_CROP_SIDE / c.height);
	h = c.height > c.width ? KF_UI_CROP_SIDE
			       : (int)((int64_t)c.height * KF_UI_CROP_SIDE / c.width);
	rc = kf_image_resize(&c, w > 0 ? w : 1, h > 0 ? h : 1, out, err);
	kf_image_release(&c);
	return rc;
}
