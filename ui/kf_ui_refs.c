/* kf_ui_refs.c: a client's reference faces (the Clients tab's f), where each
 * was cut from; d removes one (= kingface client unenroll): a wrong reference
 * lowers every match of the client, and the gallery is matched again. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/engines.h"
#include "data/photo_match.h"
#include "data/store_face.h"
#include "ui/kf_ui_app.h"
#include "ui/kf_ui_list.h"

enum { CMD_REMOVE = 1 };

static const struct kf_ui_binding keys[] = {
	{ 'd', "d", "remove", "remove the reference face (asks first; = kingface client unenroll): "
	  "the gallery is matched again", CMD_REMOVE, KF_UI_WRITES, 0 },
	{ 0, NULL, NULL, NULL, 0, 0, 0 },
};

struct refs {
	struct kf_ui_view v;
	struct kf_ui_list list;
	int64_t gid, cid;
	char name[KF_NAME_MAX + 1];
	struct kf_face_ref *rows;
	size_t nrows;
	char (*from)[256];	/* where each was cut from */
	int64_t removing;	/* the reference the confirmation is for */
};

static void release_rows(struct refs *s)
{
	kf_store_face_list_free(s->rows, s->nrows);
	free(s->from);
	s->rows = NULL;
	s->from = NULL;
	s->nrows = 0;
}

static void reload(struct kf_ui_view *v, struct kf_ui_app *app)
{
	struct refs *s = (struct refs *)v;
	struct kf_err err = KF_ERR_INIT;

	release_rows(s);
	if (kf_store_face_list(app->store, s->cid, &s->rows, &s->nrows, &err) < 0 ||
	    !(s->from = calloc(s->nrows + 1, sizeof(*s->from)))) {
		if (err.code == KF_OK)
			kf_err_set(&err, KF_E_NOMEM, "out of memory");
		kf_ui_error(app, &err);
		release_rows(s);
	}
	for (size_t i = 0; i < s->nrows; i++)
		kf_store_face_source(app->store, s->gid, &s->rows[i], s->from[i],
				     sizeof(s->from[i]));
	s->list.n = (int64_t)s->nrows;
	kf_ui_list_clamp(&s->list, s->list.height);
	snprintf(v->title, sizeof(v->title), "%.100s │ %zu reference face%s", s->name, s->nrows,
		 s->nrows == 1 ? "" : "s");
}

static void row(void *ctx, struct kf_ui_app *app, WINDOW *w, int y, int x, int width, int64_t i,
		int sel)
{
	struct refs *s = ctx;

	(void)app, (void)sel;
	kf_ui_putf(w, y, x, width, " %6lld %6.2f  %s", (long long)s->rows[i].id,
		   (double)s->rows[i].score, s->from[i]);
}

static void draw(struct kf_ui_view *v, struct kf_ui_app *app, WINDOW *w)
{
	struct refs *s = (struct refs *)v;

	kf_ui_attr(app, w, KF_UI_S_HEAD);
	kf_ui_putf(w, 1, 0, COLS, " %6s %6s  %s", "REF", "SCORE", "CUT FROM");
	wattrset(w, A_NORMAL);
	kf_ui_list_draw(&s->list, app, w, 2, 0, LINES - 5, COLS, row, s,
			"no reference face: e on the Clients tab enrolls one");
}

/* y to the confirmation: the reference goes (from its remote engine first),
 * then the gallery is matched again. */
static unsigned remove_answer(struct kf_ui_app *app, struct kf_ui_view *v, const char *a)
{
	struct refs *s = (struct refs *)v;
	struct kf_err err = KF_ERR_INIT;
	int64_t faces = 0, matches = 0;
	int rc;

	(void)a;
	if (kf_engines_forget(app->store, s->gid, s->cid, s->removing, NULL, &err) < 0 ||
	    kf_store_face_remove(app->store, s->cid, s->removing, &err) < 0) {
		kf_err_context(&err, "reference %lld not removed", (long long)s->removing);
		kf_ui_error(app, &err);
		return KF_UI_RELOAD;
	}
	if ((rc = kf_match_gallery_refresh(app->store, s->gid, NULL, &faces, &matches, &err)) < 0) {
		kf_err_context(&err, "removed reference %lld, but re-matching failed",
			       (long long)s->removing);
		kf_ui_error(app, &err);
		return KF_UI_RELOAD;
	}
	if (rc == 1)
		kf_ui_message(app, 0, "removed reference %lld of '%s'; re-matched %lld faces: %lld "
			      "matches", (long long)s->removing, s->name, (long long)faces,
			      (long long)matches);
	else
		kf_ui_message(app, 0, "removed reference %lld of '%s'; the processed photos keep "
			      "their matches until processed again", (long long)s->removing, s->name);
	return KF_UI_RELOAD;
}

static unsigned on_key(struct kf_ui_view *v, struct kf_ui_app *app, int cmd)
{
	struct refs *s = (struct refs *)v;

	if (cmd != CMD_REMOVE || s->list.n == 0)
		return KF_UI_NONE;
	const char *from = s->from[s->list.sel], *base = strrchr(from, '/');

	s->removing = s->rows[s->list.sel].id;
	kf_ui_confirm(app, remove_answer, "Remove reference %lld of '%.60s' (%.60s)? The client's "
		      "matches change.", (long long)s->removing, s->name, base ? base + 1 : from);
	return KF_UI_REDRAW;
}

static void rfree(struct kf_ui_view *v)
{
	struct refs *s = (struct refs *)v;

	release_rows(s);
	free(s);
}

static const struct kf_ui_screen refs_screen = {
	.name = "Reference faces",
	.keys = keys,
	.draw = draw,
	.on_key = on_key,
	.reload = reload,
	.free = rfree,
};

struct kf_ui_view *kf_ui_refs_new(int64_t gallery_id, int64_t client_id, const char *name)
{
	struct refs *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->v.screen = &refs_screen;
	s->v.list = &s->list;
	s->v.gallery_id = s->gid = gallery_id;
	s->cid = client_id;
	snprintf(s->name, sizeof(s->name), "%s", name);
	return &s->v;
}
