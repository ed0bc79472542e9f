/* kf_ui_galleries.c: the first screen: every gallery with its counts; Enter
 * opens one, p processes the selected one, i imports a folder. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "data/source_folder.h"
#include "data/store_gallery.h"
#include "ui/kf_ui_app.h"
#include "ui/kf_ui_list.h"

enum { CMD_OPEN = 1, CMD_PROCESS, CMD_IMPORT, CMD_RENAME };

static const struct kf_ui_binding keys[] = {
	{ '\r', "Enter", "open", "open the gallery (clients, photos, recognition, jobs)", CMD_OPEN,
	  0, 0 },
	{ 'p', "p", "process", "process the gallery's photos in the background", CMD_PROCESS,
	  KF_UI_WRITES, 0 },
	{ 'i', "i", "import", "import a folder of photos as a gallery, or import it again to "
	  "see what changed (path prompt, Tab completes; = kingface gallery import)", CMD_IMPORT,
	  KF_UI_WRITES, 0 },
	{ 'n', "n", "rename", "rename the gallery", CMD_RENAME, KF_UI_WRITES, 0 },
	{ 0, NULL, NULL, NULL, 0, 0, 0 },
};

struct galleries {
	struct kf_ui_view v;
	struct kf_ui_list list;
	struct kf_gallery *rows;
	size_t nrows;
	size_t *idx;		/* rows matching the filter */
	int64_t want;		/* select this gallery at the next reload (0: keep) */
	int64_t renaming;	/* the gallery the rename prompt is for */
};

static void refilter(struct galleries *s)
{
	size_t k = 0;

	for (size_t i = 0; i < s->nrows; i++)
		if (kf_ui_list_match(&s->list, s->rows[i].name))
			s->idx[k++] = i;
	s->list.n = (int64_t)k;
	kf_ui_list_clamp(&s->list, s->list.height);
}

static void reload(struct kf_ui_view *v, struct kf_ui_app *app)
{
	struct galleries *s = (struct galleries *)v;
	struct kf_err err = KF_ERR_INIT;
	int64_t keep = s->want ? s->want : s->list.n ? (int64_t)s->rows[s->idx[s->list.sel]].id : 0;

	kf_store_gallery_list_free(s->rows, s->nrows);
	free(s->idx);
	s->rows = NULL;
	s->idx = NULL;
	s->nrows = 0;
	if (kf_store_gallery_list(app->store, &s->rows, &s->nrows, &err) < 0) {
		kf_ui_error(app, &err);
		s->rows = NULL;
		s->nrows = 0;
	}
	s->idx = calloc(s->nrows + 1, sizeof(size_t));
	if (!s->idx) {
		kf_store_gallery_list_free(s->rows, s->nrows);
		s->rows = NULL;
		s->nrows = 0;
		s->idx = calloc(1, sizeof(size_t));
	}
	refilter(s);
	for (int64_t i = 0; i < s->list.n; i++)
		if (s->rows[s->idx[i]].id == keep)
			s->list.sel = i;
	s->want = 0;
	v->gallery_id = s->list.n ? s->rows[s->idx[s->list.sel]].id : 0;
	snprintf(v->title, sizeof(v->title), "Galleries (%zu)", s->nrows);
}

static void row(void *ctx, struct kf_ui_app *app, WINDOW *w, int y, int x, int width, int64_t i,
		int selected)
{
	const struct kf_gallery *g = &((struct galleries *)ctx)->rows[((struct galleries *)ctx)->idx[i]];
	int nw = width - 57;
	char sync[24] = "-";	/* a local gallery: nothing to sync */
	char cell[KF_UI_CELL_MAX];

	(void)selected;
	if (nw < 10)
		nw = 10;
	if (g->platform_id)
		snprintf(sync, sizeof(sync), "%lld", (long long)g->sync_pending);
	kf_ui_putf(w, y, x, width, "%c%s %7lld %7lld %6lld/%-6lld %7lld %6s",
		   app->proc.run && app->proc.gallery_id == g->id ? '*' : ' ',
		   kf_ui_cell(g->name, nw - 1, cell, sizeof(cell)),
		   (long long)g->photos, (long long)g->clients, (long long)(g->done),
		   (long long)(g->failed + g->dead), (long long)g->faces, sync);
}

static void draw(struct kf_ui_view *v, struct kf_ui_app *app, WINDOW *w)
{
	struct galleries *s = (struct galleries *)v;
	int nw = COLS - 57;

	if (nw < 10)
		nw = 10;
	kf_ui_attr(app, w, KF_UI_S_HEAD);
	kf_ui_putf(w, 1, 0, COLS, " %-*s %7s %7s %13s %7s %6s", nw - 1, "GALLERY", "PHOTOS",
		   "CLIENTS", "DONE/FAILED", "FACES", "TOSYNC");
	wattrset(w, A_NORMAL);
	kf_ui_list_draw(&s->list, app, w, 2, 0, LINES - 4 - 1, COLS, row, s,
			"no galleries yet: i imports a folder of photos");
	v->gallery_id = s->list.n ? s->rows[s->idx[s->list.sel]].id : 0;
}

/* The folder typed at the import prompt: imported (as `kingface gallery
 * import` without --name: the gallery of that folder, else a new one named
 * after it), then selected. */
static unsigned import_answer(struct kf_ui_app *app, struct kf_ui_view *v, const char *dir)
{
	struct galleries *s = (struct galleries *)v;
	struct kf_err err = KF_ERR_INIT;
	struct kf_import_summary sum;
	struct kf_gallery g;
	char gone[64] = "", bad[64] = "", unread[64] = "";

	if (!*dir)
		return KF_UI_NONE;
	kf_ui_busy(app, "Importing the folder…");
	if (kf_source_folder_import(app->store, dir, NULL, &sum, &err) < 0 ||
	    kf_store_gallery_get(app->store, sum.gallery_id, &g, &err) < 0) {
		kf_ui_error(app, &err);
		return KF_UI_REDRAW;
	}
	if (sum.removed)
		snprintf(gone, sizeof(gone), ", %lld gone from the folder", (long long)sum.removed);
	if (sum.failed)
		snprintf(bad, sizeof(bad), ", %lld not images", (long long)sum.failed);
	if (sum.unreadable)
		snprintf(unread, sizeof(unread), ", %lld folders not readable", (long long)sum.unreadable);
	kf_ui_message(app, sum.failed || sum.unreadable, "%s '%s': %lld added, %lld changed, %lld "
		      "unchanged%s%s%s; p processes it", sum.created ? "created" : "updated", g.name,
		      (long long)sum.added, (long long)sum.changed, (long long)sum.unchanged, gone,
		      bad, unread);
	kf_store_gallery_release(&g);
	s->want = sum.gallery_id;
	return KF_UI_RELOAD;
}

static unsigned rename_answer(struct kf_ui_app *app, struct kf_ui_view *v, const char *name)
{
	struct galleries *s = (struct galleries *)v;
	struct kf_err err = KF_ERR_INIT;
	char typed[KF_NAME_MAX + 1];

	if (!*name)
		return KF_UI_NONE;
	if (kf_store_name_typed("gallery", name, typed, sizeof(typed), &err) < 0 ||
	    kf_store_gallery_rename(app->store, s->renaming, typed, &err) < 0) {
		kf_ui_error(app, &err);
		return KF_UI_REDRAW;
	}
	kf_ui_message(app, 0, "renamed the gallery to '%s'", typed);
	s->want = s->renaming;
	return KF_UI_RELOAD;
}

static unsigned on_key(struct kf_ui_view *v, struct kf_ui_app *app, int cmd)
{
	struct galleries *s = (struct galleries *)v;
	const struct kf_gallery *g = s->list.n ? &s->rows[s->idx[s->list.sel]] : NULL;

	switch (cmd) {
	case KF_UI_CMD_FILTER:
		refilter(s);
		return KF_UI_REDRAW;
	case CMD_OPEN:
		if (g)
			kf_ui_push(app, kf_ui_gallery_new(g->id, g->name));
		return KF_UI_REDRAW;
	case CMD_PROCESS:
		return g ? kf_ui_process(app, g->id) : KF_UI_NONE;
	case CMD_RENAME:
		if (!g)
			return KF_UI_NONE;
		s->renaming = g->id;
		kf_ui_prompt(app, "Rename the gallery to: ", g->name, NULL, rename_answer);
		return KF_UI_REDRAW;
	case CMD_IMPORT:
		kf_ui_prompt(app, "Import the photos of folder: ", "", kf_ui_complete_path,
			     import_answer);
		return KF_UI_REDRAW;
	}
	if (v->last_key == KEY_ENTER || v->last_key == '\n')
		return on_key(v, app, CMD_OPEN);
	return KF_UI_NONE;
}

static void gfree(struct kf_ui_view *v)
{
	struct galleries *s = (struct galleries *)v;

	kf_store_gallery_list_free(s->rows, s->nrows);
	free(s->idx);
	free(s);
}

static const struct kf_ui_screen galleries_screen = {
	.name = "Galleries",
	.keys = keys,
	.draw = draw,
	.on_key = on_key,
	.reload = reload,
	.free = gfree,
};

struct kf_ui_view *kf_ui_galleries_new(void)
{
	struct galleries *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->v.screen = &galleries_screen;
	s->v.list = &s->list;
	return &s->v;
}
