/* kf_ui_list.c: the scrolling list (kf_ui_list.h). */
#include "ui/kf_ui_list.h"

#include <string.h>

#include "data/store.h"

int kf_ui_list_key(struct kf_ui_list *l, int key)
{
	int64_t page = l->height > 1 ? l->height - 1 : 1;

	switch (key) {
	case KEY_UP: case 'k': l->sel--; break;
	case KEY_DOWN: case 'j': l->sel++; break;
	case KEY_PPAGE: l->sel -= page; break;
	case KEY_NPAGE: case ' ': l->sel += page; break;
	case KEY_HOME: case 'g': l->sel = 0; break;
	case KEY_END: case 'G': l->sel = l->n - 1; break;
	default: return 0;
	}
	kf_ui_list_clamp(l, l->height);
	return 1;
}

void kf_ui_list_clamp(struct kf_ui_list *l, int h)
{
	if (l->sel >= l->n)
		l->sel = l->n - 1;
	if (l->sel < 0)
		l->sel = 0;
	if (h < 1)
		h = 1;
	if (l->sel < l->top)
		l->top = l->sel;
	if (l->sel >= l->top + h)
		l->top = l->sel - h + 1;
	if (l->top > l->n - h)
		l->top = l->n - h;
	if (l->top < 0)
		l->top = 0;
}

void kf_ui_list_draw(struct kf_ui_list *l, struct kf_ui_app *app, WINDOW *w, int y, int x,
		     int h, int width, kf_ui_row_fn row, void *ctx, const char *empty)
{
	if (h < 1 || width < 1)
		return;
	l->height = h;
	kf_ui_list_clamp(l, h);
	if (l->n == 0) {
		kf_ui_attr(app, w, KF_UI_S_DIM);
		kf_ui_put(w, y, x + 1, width - 1, l->filter[0] ? "no rows match the filter" : empty);
		wattrset(w, A_NORMAL);
		return;
	}
	for (int r = 0; r < h && l->top + r < l->n; r++) {
		int64_t i = l->top + r;

		if (i == l->sel)
			kf_ui_attr(app, w, KF_UI_S_SEL);
		if (i == l->sel)
			mvwhline(w, y + r, x, ' ', width);
		row(ctx, app, w, y + r, x, width, i, i == l->sel);
		wattrset(w, A_NORMAL);
	}
}

int kf_ui_list_match(const struct kf_ui_list *l, const char *s)
{
	char ks[4096], kf[sizeof(l->filter)];

	if (!l->filter[0])
		return 1;
	if (!s)
		return 0;
	kf_store_name_key(l->filter, kf, sizeof(kf));
	kf_store_name_key(s, ks, sizeof(ks));
	return strstr(ks, kf) != NULL;
}
