/* kf_ui_list.h: a scrolling list: selection, scroll offset and filter text.
 * It knows rows only by index: the screen draws a row when asked, so a list
 * of 10,000 photos costs what its visible rows cost (the rows themselves are
 * paged from the store by the screen). */
#ifndef KF_UI_LIST_H
#define KF_UI_LIST_H

#include "ui/kf_ui_app.h"

struct kf_ui_list {
	int64_t n;		/* rows (after the filter) */
	int64_t sel, top;	/* selected row, first visible row */
	int height;		/* visible rows at the last draw */
	char filter[128];	/* `/` text, "" for none */
};

/* Draws row i at (y, x), width columns; selected: the cursor row. */
typedef void (*kf_ui_row_fn)(void *ctx, struct kf_ui_app *app, WINDOW *w, int y, int x,
			     int width, int64_t i, int selected);

/* Move on arrows, PgUp/PgDn, Home/End, j/k. Returns 1 when the key was one. */
int kf_ui_list_key(struct kf_ui_list *l, int key);

/* Keep sel and top inside the rows and the window of h rows. */
void kf_ui_list_clamp(struct kf_ui_list *l, int h);

/* Draw the visible rows in (y, x, h, width); "no rows" text when empty. */
void kf_ui_list_draw(struct kf_ui_list *l, struct kf_ui_app *app, WINDOW *w, int y, int x,
		     int h, int width, kf_ui_row_fn row, void *ctx, const char *empty);

/* Does s contain the filter, case, accents and spacing aside (data/store.h
 * kf_store_name_key: "joao" finds "João Silva")? An empty filter matches. */
int kf_ui_list_match(const struct kf_ui_list *l, const char *s);

#endif
