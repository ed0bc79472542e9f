/* kf_ui_client_photos.c: the photos a client was recognised in, best
 * similarity first (the Recognition tab's Enter); Enter opens a photo's face
 * detail with that face selected. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/store_result.h"
#include "ui/kf_ui_app.h"
#include "ui/kf_ui_list.h"

enum { CMD_OPEN = 1, CMD_PROCESS };

static const struct kf_ui_binding keys[] = {
	{ '\r', "Enter", "detail", "face detail of the photo, the client's face selected", CMD_OPEN,
	  0, 0 },
	{ 'p', "p", "process", "process the gallery's photos in the background", CMD_PROCESS,
	  KF_UI_WRITES, 0 },
	{ 0, NULL, NULL, NULL, 0, 0, 0 },
};

/* More rows than a client can reasonably appear in; the screen draws only the
 * visible ones. */
#define MAX_ROWS 1000000

struct client_photos {
	struct kf_ui_view v;
	struct kf_ui_list list;
	int64_t gid, cid;
	char name[128];
	struct kf_result_row *rows;
	size_t nrows, *idx;
	int64_t total;
};

static void refilter(struct client_photos *s)
{
	size_t k = 0;

	for (size_t i = 0; s->idx && i < s->nrows; i++)
		if (kf_ui_list_match(&s->list, s->rows[i].key))
			s->idx[k++] = i;
	s->list.n = (int64_t)k;
	kf_ui_list_clamp(&s->list, s->list.height);
}

static void reload(struct kf_ui_view *v, struct kf_ui_app *app)
{
	struct client_photos *s = (struct client_photos *)v;
	struct kf_err err = KF_ERR_INIT;

	kf_store_results_free(s->rows, s->nrows);
	s->rows = NULL;
	s->nrows = 0;
	if (kf_store_results_client(app->store, s->cid, 0, MAX_ROWS, &s->rows, &s->nrows, &s->total,
				    &err) < 0) {
		kf_ui_error(app, &err);
		s->rows = NULL;
		s->nrows = 0;
	}
	free(s->idx);
	s->idx = calloc(s->nrows + 1, sizeof(size_t));
	refilter(s);
	snprintf(v->title, sizeof(v->title), "%s │ in %lld photo%s", s->name, (long long)s->total,
		 s->total == 1 ? "" : "s");
}

static void row(void *ctx, struct kf_ui_app *app, WINDOW *w, int y, int x, int width, int64_t i,
		int sel)
{
	struct client_photos *s = ctx;
	const struct kf_result_row *r = &s->rows[s->idx[i]];
	int kw = width - 26 < 10 ? 10 : width - 26;
	char cell[KF_UI_CELL_MAX];

	(void)app, (void)sel;
	kf_ui_putf(w, y, x, width, " %s %10.1f %8d", kf_ui_cell(r->key, kw, cell, sizeof(cell)),
		   (double)r->similarity, r->face_index);
}

static void draw(struct kf_ui_view *v, struct kf_ui_app *app, WINDOW *w)
{
	struct client_photos *s = (struct client_photos *)v;
	int kw = COLS - 26 < 10 ? 10 : COLS - 26;

	kf_ui_attr(app, w, KF_UI_S_HEAD);
	kf_ui_putf(w, 1, 0, COLS, " %-*s %10s %8s", kw, "PHOTO", "SIMILARITY", "FACE");
	wattrset(w, A_NORMAL);
	kf_ui_list_draw(&s->list, app, w, 2, 0, LINES - 5, COLS, row, s,
			"not recognised in any photo yet (enroll a face, then p processes)");
}

static unsigned on_key(struct kf_ui_view *v, struct kf_ui_app *app, int cmd)
{
	struct client_photos *s = (struct client_photos *)v;

	switch (cmd) {
	case KF_UI_CMD_FILTER:
		refilter(s);
		return KF_UI_REDRAW;
	case CMD_PROCESS:
		return kf_ui_process(app, s->gid);
	case CMD_OPEN:
		break;
	default:
		if (v->last_key != KEY_ENTER && v->last_key != '\n')
			return KF_UI_NONE;
	}
	if (s->list.n == 0)
		return KF_UI_NONE;
	const struct kf_result_row *r = &s->rows[s->idx[s->list.sel]];
	kf_ui_push(app, kf_ui_detail_new(s->gid, r->photo_id, r->face_index));
	return KF_UI_REDRAW;
}

static void cfree(struct kf_ui_view *v)
{
	struct client_photos *s = (struct client_photos *)v;

	kf_store_results_free(s->rows, s->nrows);
	free(s->idx);
	free(s);
}

static const struct kf_ui_screen client_photos_screen = {
	.name = "Client photos",
	.keys = keys,
	.draw = draw,
	.on_key = on_key,
	.reload = reload,
	.free = cfree,
};

struct kf_ui_view *kf_ui_client_photos_new(int64_t gallery_id, int64_t client_id,
					   const char *name)
{
	struct client_photos *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->v.screen = &client_photos_screen;
	s->v.list = &s->list;
	s->v.gallery_id = s->gid = gallery_id;
	s->cid = client_id;
	snprintf(s->name, sizeof(s->name), "%s", name);
	return &s->v;
}
