/* kf_ui_image.c: photos as half blocks (kf_ui_image.h). */
#include "ui/kf_ui_image.h"

#include <stdlib.h>
#include <string.h>

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

int kf_ui_image_fit(const struct kf_image *src, int max_cols, int max_rows,
		    struct kf_image *out, struct kf_err *err)
{
	int cols, rows, W, H;

	memset(out, 0, sizeof(*out));
	if (src->width <= 0 || src->height <= 0 || max_cols < 1 || max_rows < 1)
		return kf_err_set(err, KF_E_INVALID, "nothing to draw");
	/* pixels are square: W x H with W = cols, H = 2 rows */
	cols = max_cols;
	rows = (int)((double)cols * src->height / src->width / 2.0 + 0.5);
	if (rows > max_rows) {
		rows = max_rows;
		cols = (int)((double)rows * 2.0 * src->width / src->height + 0.5);
	}
	if (cols < 1)
		cols = 1;
	if (rows < 1)
		rows = 1;
	W = cols;
	H = rows * 2;
	if (!(out->rgb = kf_malloc((size_t)W * (size_t)H * 3)))
		return kf_err_set(err, KF_E_NOMEM, "out of memory drawing the photo");
	out->width = W;
	out->height = H;
	for (int y = 0; y < H; y++) {
		int y0 = (int)((int64_t)y * src->height / H), y1 = (int)((int64_t)(y + 1) * src->height / H);

		if (y1 <= y0)
			y1 = y0 + 1;
		for (int x = 0; x < W; x++) {
			int x0 = (int)((int64_t)x * src->width / W), x1 = (int)((int64_t)(x + 1) * src->width / W);
			unsigned long sum[3] = { 0, 0, 0 }, n = 0;

			if (x1 <= x0)
				x1 = x0 + 1;
			/* sample at most 8x8 points of the area */
			int sy = (y1 - y0 + 7) / 8, sx = (x1 - x0 + 7) / 8;
			for (int yy = y0; yy < y1; yy += sy)
				for (int xx = x0; xx < x1; xx += sx) {
					const uint8_t *p = src->rgb + ((size_t)yy * (size_t)src->width + (size_t)xx) * 3;
					sum[0] += p[0], sum[1] += p[1], sum[2] += p[2], n++;
				}
			uint8_t *d = out->rgb + ((size_t)y * (size_t)W + (size_t)x) * 3;
			for (int c = 0; c < 3; c++)
				d[c] = (uint8_t)(sum[c] / n);
		}
	}
	return KF_OK;
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

static int color_of(const uint8_t *p, enum kf_ui_color_mode mode)
{
	if (mode == KF_UI_DIRECT) {
		/* direct colours below 8 are the terminal's ANSI palette */
		int v = (p[0] << 16) | (p[1] << 8) | p[2];
		return v < 8 ? 8 : v;
	}
	return color256(p[0], p[1], p[2]);
}

void kf_ui_image_draw(struct kf_ui_app *app, WINDOW *w, int y, int x, const struct kf_image *px,
		      enum kf_ui_color_mode mode)
{
	static const wchar_t shades_u[] = L" ░▒▓█";
	static const char shades_a[] = " .:-=+*#%@";

	for (int r = 0; r < px->height / 2; r++) {
		for (int c = 0; c < px->width; c++) {
			const uint8_t *up = px->rgb + ((size_t)(2 * r) * (size_t)px->width + (size_t)c) * 3;
			const uint8_t *lo = up + (size_t)px->width * 3;

			if (mode == KF_UI_GREY) {
				int l = (up[0] * 30 + up[1] * 59 + up[2] * 11 + lo[0] * 30 + lo[1] * 59 +
					 lo[2] * 11) / 200;	/* 0..255 */
				if (app->utf8) {
					wchar_t s[2] = { shades_u[l * 5 / 256], 0 };
					mvwaddnwstr(w, y + r, x + c, s, 1);
				} else {
					mvwaddch(w, y + r, x + c, (chtype)shades_a[l * 10 / 256]);
				}
				continue;
			}
			int pair = alloc_pair(color_of(up, mode), color_of(lo, mode));

			if (pair < 0)
				pair = 0;
			wattr_set(w, A_NORMAL, 0, &pair);
			if (app->utf8) {
				mvwaddnwstr(w, y + r, x + c, L"\u2580", 1);
			} else {
				/* one pixel a cell: the lower one as the background of a space */
				int p2 = alloc_pair(color_of(lo, mode), color_of(lo, mode));
				if (p2 < 0)
					p2 = 0;
				wattr_set(w, A_NORMAL, 0, &p2);
				mvwaddch(w, y + r, x + c, ' ');
			}
		}
	}
	wattrset(w, A_NORMAL);
}

int kf_ui_image_pair(const struct kf_image *px, int cx, int cy, int fg_r, int fg_g, int fg_b,
		     enum kf_ui_color_mode mode)
{
	uint8_t fg[3] = { (uint8_t)fg_r, (uint8_t)fg_g, (uint8_t)fg_b };
	const uint8_t *p;

	if (mode == KF_UI_GREY || cx < 0 || cy < 0 || cx >= px->width || 2 * cy + 1 >= px->height)
		return -1;
	p = px->rgb + ((size_t)(2 * cy + 1) * (size_t)px->width + (size_t)cx) * 3;
	return alloc_pair(color_of(fg, mode), color_of(p, mode));
}
