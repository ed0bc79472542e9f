/* kf_ui_image.h: photos and face crops drawn in the terminal as symbol art by
 * libchafa: each cell is a character of the block and box-drawing ranges (or
 * ASCII outside a UTF-8 locale) whose shape and two colours chafa picks to
 * look most like that part of the picture, which is much finer than one
 * half block a cell.
 *
 * Colours: direct RGB when COLORTERM says truecolor/24bit and the terminfo
 * entry can do it (COLORS >= 2^24: kf_ui_run() picks the terminal's "-direct"
 * entry when installed); chafa's 240 colours of the xterm palette (cube and
 * grey ramp, not the 16 a theme may change) with 256 colours; no colours at
 * all with NO_COLOR, fewer than 256 colours, or none: then the shapes alone,
 * shaded with ░▒▓ in the terminal's own colours. Pairs come from ncurses'
 * alloc_pair (reused least-recently first).
 *
 * Making the art (chafa) needs no terminal; drawing it is for the UI thread
 * only. Chafa is told to render on the calling thread (chafa_set_n_threads).
 */
#ifndef KF_UI_IMAGE_H
#define KF_UI_IMAGE_H

#include <stdint.h>

#include "core/image.h"
#include "ui/kf_ui_app.h"

enum kf_ui_color_mode { KF_UI_GREY, KF_UI_256, KF_UI_DIRECT };

/* The mode for this terminal and environment (after start_color). */
enum kf_ui_color_mode kf_ui_color_mode(const struct kf_ui_app *app);

/* A picture as cols x rows cells: for cell (x, y), at index y * cols + x, its
 * character (a narrow code point) and its colours as curses colour numbers
 * of the mode (0xRRGGBB direct, 16..255 of the palette; -1: the terminal's
 * default). An all-zero struct is empty; release with kf_ui_art_release. */
struct kf_ui_art {
	int cols, rows;
	uint32_t *ch;
	int *fg, *bg;
};

/* The cells src (w x h pixels) takes when fitted into max_cols x max_rows,
 * aspect kept with cells twice as tall as wide; at least 1 x 1. */
void kf_ui_art_size(int w, int h, int max_cols, int max_rows, int *cols, int *rows);

/* Make src's art fitted into max_cols x max_rows cells (kf_ui_art_size) for
 * mode, with UTF-8 symbols or, utf8 0, ASCII. Errors: KF_E_INVALID for an
 * empty image or room, KF_E_NOMEM; *out is left empty then. */
int kf_ui_art_make(const struct kf_image *src, int max_cols, int max_rows,
		   enum kf_ui_color_mode mode, int utf8, struct kf_ui_art *out,
		   struct kf_err *err);

/* Draw a at (y, x) of w. */
void kf_ui_art_draw(WINDOW *w, int y, int x, const struct kf_ui_art *a);

/* A pair for drawing over cell (cx, cy) of a (a face box) in the colour
 * (r, g, b) on the cell's background: -1 when a has no colours. */
int kf_ui_art_pair(const struct kf_ui_art *a, int cx, int cy, int r, int g, int b,
		   enum kf_ui_color_mode mode);

void kf_ui_art_release(struct kf_ui_art *a);

/* Art made from an image for a key (which face, which client), a room and
 * colours, kept until one of them changes. All zero is empty; release with
 * kf_ui_art_cache_release (then empty again). */
struct kf_ui_art_cache {
	struct kf_ui_art art;
	int valid;
	int64_t key;
	int w, h, utf8;
	enum kf_ui_color_mode mode;
};

/* The art of img for key in w x h cells, made again only when the key, the
 * room or the colours changed; NULL when there is nothing to draw (no image,
 * or chafa failed). The art is owned by c. */
const struct kf_ui_art *kf_ui_art_cache_get(struct kf_ui_art_cache *c, const struct kf_image *img,
					    int64_t key, int w, int h, enum kf_ui_color_mode mode,
					    int utf8);
void kf_ui_art_cache_release(struct kf_ui_art_cache *c);

#define KF_UI_CROP_MARGIN 0.3f	/* around a face, on each side, of the box's long side */
#define KF_UI_CROP_SIDE 384	/* pixels kept of a face crop: more than cells can show */

/* Cut the face at box (fractions of full) out of full with KF_UI_CROP_MARGIN,
 * as a square (less at the photo's edges), reduced to KF_UI_CROP_SIDE when
 * larger, into *out (the caller releases it with kf_image_release). Errors
 * as kf_image_crop (a box off the photo) and kf_image_resize; *out stays
 * empty then. */
int kf_ui_face_cut(const struct kf_image *full, float left, float top, float width, float height,
		   struct kf_image *out, struct kf_err *err);

#endif
