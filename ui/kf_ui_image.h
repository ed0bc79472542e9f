/* kf_ui_image.h: a photo drawn in the terminal with half blocks: each cell is
 * two pixels, the upper one the foreground of '▀', the lower one its
 * background. Colours: direct RGB when COLORTERM says truecolor/24bit and the
 * terminfo entry can do it (COLORS >= 2^24: kf_ui_run() picks the terminal's
 * "-direct" entry when installed), the 256-colour cube otherwise, and shades of grey as characters (' ░▒▓█') with
 * NO_COLOR, fewer than 256 colours, or no colours. Pairs come from ncurses'
 * alloc_pair (reused least-recently first). UI thread only. */
#ifndef KF_UI_IMAGE_H
#define KF_UI_IMAGE_H

#include "core/image.h"
#include "ui/kf_ui_app.h"

enum kf_ui_color_mode { KF_UI_GREY, KF_UI_256, KF_UI_DIRECT };

/* The mode for this terminal and environment (after start_color). */
enum kf_ui_color_mode kf_ui_color_mode(const struct kf_ui_app *app);

/* Fit src (aspect kept, square pixels) into max_cols x max_rows cells: *out
 * gets cols x (2 * rows) pixels, area-averaged. Caller releases *out. */
int kf_ui_image_fit(const struct kf_image *src, int max_cols, int max_rows,
		    struct kf_image *out, struct kf_err *err);

/* Draw px (from kf_ui_image_fit: width = cols, height = 2 * rows) at (y, x). */
void kf_ui_image_draw(struct kf_ui_app *app, WINDOW *w, int y, int x, const struct kf_image *px,
		      enum kf_ui_color_mode mode);

/* A pair for the colours of cell (cx, cy) of px with foreground fg (a curses
 * colour), for drawing over the photo (face boxes). -1 when no colour. */
int kf_ui_image_pair(const struct kf_image *px, int cx, int cy, int fg_r, int fg_g, int fg_b,
		     enum kf_ui_color_mode mode);

#endif
