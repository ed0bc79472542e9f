/* kf_ui_detail.c: the face detail of one photo: the photo drawn with half
 * blocks (kf_ui_image.h) with every face's box numbered, and beside it each
 * face's confidence, its matched client with its similarity, or the
 * candidates of an ambiguous face (core/assign.h: no match until a person
 * decides), and the best other client (kf_match_best_below, as `kingface
 * detail`).
 * Arrows select a face (its box is highlighted); n enrolls the selected face
 * for a client; o opens the photo file with xdg-open. */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "core/alloc.h"
#include "data/engines.h"
#include "data/enroll.h"
#include "data/photo_match.h"
#include "data/store_client.h"
#include "data/store_face.h"
#include "data/store_photo.h"
#include "data/store_result.h"
#include "ui/kf_ui_app.h"
#include "ui/kf_ui_image.h"

extern char **environ;

enum { CMD_PREV = 1, CMD_NEXT, CMD_ASSIGN, CMD_OPEN_FILE, CMD_PROCESS };

static const struct kf_ui_binding keys[] = {
	{ KEY_DOWN, "Down", NULL, "select the next face (also j)", CMD_NEXT, 0, 0 },
	{ 'j', "j", NULL, "select the next face", CMD_NEXT, 0, 0 },
	{ KEY_UP, "Up", "face", "select the previous face (also k)", CMD_PREV, 0, 0 },
	{ 'k', "k", NULL, "select the previous face", CMD_PREV, 0, 0 },
	{ 'n', "n", "assign", "assign the selected face to a client (enroll it)", CMD_ASSIGN,
	  KF_UI_WRITES, 0 },
	{ 'o', "o", "open file", "open the photo with xdg-open", CMD_OPEN_FILE, 0, 0 },
	{ 'p', "p", NULL, "process the gallery's photos in the background", CMD_PROCESS,
	  KF_UI_WRITES, 0 },
	{ 0, NULL, NULL, NULL, 0, 0, 0 },
};

/* Decode at least this long side (a DCT scale of big JPEGs: fast). */
#define DECODE_SIDE 480

struct detail {
	struct kf_ui_view v;
	int64_t gid, pid;
	int want_face;			/* select this face index at load, -1: first */
	struct kf_photo p;
	int have_p;
	struct kf_detail_face *faces;
	size_t n;
	struct kf_search_hit *below;
	struct kf_match_gallery mg;
	size_t sel;
	struct kf_image img;		/* decoded once */
	int img_tried;
	char img_error[256];
	struct kf_image px;		/* fitted to the cells */
	int fit_cols, fit_rows;
	char assign_name[128];
	pid_t opener;			/* xdg-open running, 0: none */
};

static void release_rows(struct detail *s)
{
	if (s->have_p)
		kf_store_photo_release(&s->p);
	s->have_p = 0;
	kf_free(s->faces);
	free(s->below);
	s->faces = NULL;
	s->below = NULL;
	s->n = 0;
	kf_match_gallery_release(&s->mg);
	memset(&s->mg, 0, sizeof(s->mg));
}

static void reload(struct kf_ui_view *v, struct kf_ui_app *app)
{
	struct detail *s = (struct detail *)v;
	struct kf_err err = KF_ERR_INIT;
	char ref[32];

	release_rows(s);
	snprintf(ref, sizeof(ref), "%lld", (long long)s->pid);
	if (kf_store_photo_find(app->store, s->gid, ref, &s->p, &err) < 0) {
		kf_ui_error(app, &err);
		return;
	}
	s->have_p = 1;
	snprintf(v->title, sizeof(v->title), "%s │ face detail", s->p.key);
	if (kf_store_detail(app->store, s->pid, &s->faces, &s->n, &err) < 0 ||
	    kf_match_gallery_load(app->store, s->gid, &s->mg, &err) < 0) {
		kf_ui_error(app, &err);
		return;
	}
	s->below = calloc(s->n + 1, sizeof(*s->below));
	for (size_t i = 0; s->below && i < s->n; i++)
		if (kf_match_best_below(&s->mg, &s->faces[i], &s->below[i], &err) < 0)
			kf_ui_error(app, &err);
	for (size_t i = 0; s->want_face >= 0 && i < s->n; i++)
		if (s->faces[i].face_index == s->want_face)
			s->sel = i;
	s->want_face = -1;
	if (s->sel >= s->n)
		s->sel = s->n ? s->n - 1 : 0;
	if (!s->img_tried) {
		s->img_tried = 1;
		if (!s->p.path || s->p.missing)
			snprintf(s->img_error, sizeof(s->img_error), "the photo file is missing");
		else if (kf_image_load(s->p.path, DECODE_SIDE, &s->img, NULL, &err) < 0)
			snprintf(s->img_error, sizeof(s->img_error), "%s", err.msg);
	}
}

/* A face's box on the cell grid of the fitted photo. */
static void draw_box(struct detail *s, struct kf_ui_app *app, WINDOW *w, int y, int x,
		     const struct kf_detail_face *f, int selected, enum kf_ui_color_mode mode)
{
	int cols = s->px.width, rows = s->px.height / 2;
	int x0 = (int)(f->box.left * (float)cols), x1 = (int)((f->box.left + f->box.width) * (float)cols);
	int y0 = (int)(f->box.top * (float)rows), y1 = (int)((f->box.top + f->box.height) * (float)rows);
	char label[8];

	if (x1 <= x0)
		x1 = x0 + 1;
	if (y1 <= y0)
		y1 = y0 + 1;
	x0 = x0 < 0 ? 0 : x0;
	y0 = y0 < 0 ? 0 : y0;
	x1 = x1 >= cols ? cols - 1 : x1;
	y1 = y1 >= rows ? rows - 1 : y1;
	for (int cy = y0; cy <= y1; cy++) {
		for (int cx = x0; cx <= x1; cx++) {
			int edge_x = cx == x0 || cx == x1, edge_y = cy == y0 || cy == y1;
			char ch;
			int pair;

			if (!edge_x && !edge_y)
				continue;
			if (edge_x && edge_y)
				ch = cy == y0 ? (cx == x0 ? 'a' : 'b') : (cx == x0 ? 'c' : 'd');
			else
				ch = edge_x ? '|' : '-';
			pair = kf_ui_image_pair(&s->px, cx, cy, 255, selected ? 40 : 220,
						selected ? 40 : 0, mode);
			if (pair > 0)
				wattr_set(w, selected ? A_BOLD : A_NORMAL, 0, &pair);
			else
				wattrset(w, selected ? A_REVERSE | A_BOLD : A_BOLD);
			kf_ui_line(app, w, y + cy, x + cx, ch);
		}
	}
	snprintf(label, sizeof(label), "%d", f->face_index);
	wattrset(w, selected ? A_REVERSE | A_BOLD : A_BOLD);
	kf_ui_put(w, y + y0, x + x0 + 1, x1 - x0 > 1 ? x1 - x0 : 1, label);
	wattrset(w, A_NORMAL);
	(void)app;
}

static void draw(struct kf_ui_view *v, struct kf_ui_app *app, WINDOW *w)
{
	struct detail *s = (struct detail *)v;
	enum kf_ui_color_mode mode = kf_ui_color_mode(app);
	int top = 2, avail_rows = LINES - 3 - top, panel_w = COLS * 2 / 5, img_w, px_x, y;

	if (!s->have_p)
		return;
	if (panel_w < 28)
		panel_w = COLS < 56 ? COLS / 2 : 28;
	img_w = COLS - panel_w - 1;
	kf_ui_putf(w, 1, 1, COLS - 1, "%dx%d  %s%s  %zu face%s", s->p.width, s->p.height, s->p.status,
		   s->p.error ? " (" : "", s->n, s->n == 1 ? "" : "s");
	if (s->p.error) {
		kf_ui_attr(app, w, KF_UI_S_BAD);
		kf_ui_putf(w, 1, 1, COLS - 1, "%dx%d  %s: %s", s->p.width, s->p.height, s->p.status,
			   s->p.error);
		wattrset(w, A_NORMAL);
	}
	/* the photo */
	if (s->img.rgb && img_w >= 4 && avail_rows >= 2) {
		if (!s->px.rgb || s->fit_cols != img_w || s->fit_rows != avail_rows) {
			struct kf_err err = KF_ERR_INIT;

			kf_image_release(&s->px);
			if (kf_ui_image_fit(&s->img, img_w, avail_rows, &s->px, &err) == KF_OK) {
				s->fit_cols = img_w;
				s->fit_rows = avail_rows;
			}
		}
		if (s->px.rgb) {
			kf_ui_image_draw(app, w, top, 0, &s->px, mode);
			for (size_t i = 0; i < s->n; i++)
				if (i != s->sel)
					draw_box(s, app, w, top, 0, &s->faces[i], 0, mode);
			if (s->n)
				draw_box(s, app, w, top, 0, &s->faces[s->sel], 1, mode);
		}
	} else {
		kf_ui_attr(app, w, KF_UI_S_DIM);
		kf_ui_put(w, top, 1, img_w - 1, s->img_error[0] ? s->img_error : "(no room for the photo)");
		wattrset(w, A_NORMAL);
	}
	/* the faces */
	px_x = img_w + 1;
	y = top;
	if (s->n == 0)
		kf_ui_put(w, y, px_x, panel_w, strcmp(s->p.status, "done") ? "not processed yet: p processes the gallery"
							 : "no face found");
	/* keep the selected face in view: two lines a face */
	size_t first = 0, fit = (size_t)((LINES - 3 - top - 2) / 2 > 1 ? (LINES - 3 - top - 2) / 2 : 1);
	if (s->sel >= fit)
		first = s->sel - fit + 1;
	for (size_t i = first; i < s->n && y < LINES - 3; i++) {
		const struct kf_detail_face *f = &s->faces[i];
		char line[512];
		int len;

		if (i == s->sel)
			kf_ui_attr(app, w, KF_UI_S_SEL);
		len = snprintf(line, sizeof(line), "%s%d  conf %.1f ", i == s->sel ? ">" : " ",
			       f->face_index, (double)f->confidence);
		for (size_t k = 0; k < f->nmatches && len < (int)sizeof(line) - 80; k++)
			len += snprintf(line + len, sizeof(line) - (size_t)len, "%s%s %.1f", k ? ", " : " ",
					kf_match_gallery_name(&s->mg, f->matches[k].client_id),
					(double)f->matches[k].similarity);
		if (f->nambiguous)	/* the candidates follow, a line each */
			len += snprintf(line + len, sizeof(line) - (size_t)len, " ambiguous:");
		if (f->too_small)
			snprintf(line + len, sizeof(line) - (size_t)len, " too small to recognise");
		else if (f->nmatches == 0 && f->nambiguous == 0)
			snprintf(line + len, sizeof(line) - (size_t)len, " no client");
		mvwhline(w, y, px_x, ' ', panel_w);
		kf_ui_put(w, y, px_x, panel_w, line);
		wattrset(w, A_NORMAL);
		y++;
		for (size_t k = 0; k < f->nambiguous && y < LINES - 3; k++) {
			kf_ui_attr(app, w, KF_UI_S_BAD);
			kf_ui_putf(w, y++, px_x, panel_w, "    %s %s %.1f", k ? "or" : "  ",
				   kf_match_gallery_name(&s->mg, f->ambiguous[k].client_id),
				   (double)f->ambiguous[k].similarity);
			wattrset(w, A_NORMAL);
		}
		if (f->nambiguous && y < LINES - 3) {
			kf_ui_attr(app, w, KF_UI_S_DIM);
			kf_ui_put(w, y++, px_x, panel_w, "    (confirm with a review)");
			wattrset(w, A_NORMAL);
		}
		if (s->below && s->below[i].client_id && y < LINES - 3) {
			kf_ui_attr(app, w, KF_UI_S_DIM);
			kf_ui_putf(w, y, px_x, panel_w, "    best other: %s %.1f",
				   kf_match_gallery_name(&s->mg, s->below[i].client_id),
				   (double)s->below[i].similarity);
			wattrset(w, A_NORMAL);
			y++;
		}
	}
	if (s->n && y + 1 < LINES - 3) {
		const struct kf_detail_face *f = &s->faces[s->sel];

		y++;
		kf_ui_putf(w, y++, px_x, panel_w, "face %d: box %.3f,%.3f %.3fx%.3f", f->face_index,
			   (double)f->box.left, (double)f->box.top, (double)f->box.width,
			   (double)f->box.height);
	}
}

/* Enroll the face with the gallery's remote engine: its crop from the photo
 * (no re-match: the engine's results come from processing again). */
static unsigned assign_remote(struct kf_ui_app *app, struct detail *s, int64_t client_id,
			      const char *name)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_match_engine me;
	struct kf_face_ref r;
	int64_t id;
	int rc;

	memset(&r, 0, sizeof(r));
	r.client_id = client_id;
	kf_ui_busy(app, "Enrolling with the gallery's engine…");
	if ((rc = kf_engines_open(s->mg.engine, NULL, &me, &err)) == KF_OK) {
		rc = kf_enroll_photo_face(app->store, &me, &s->p, s->faces[s->sel].face_index, &r,
					  &id, &err);
		kf_match_engine_close(&me);
	}
	if (rc < 0) {
		kf_ui_error(app, &err);
		return KF_UI_REDRAW;
	}
	kf_ui_message(app, 0, "enrolled face %d of '%s' for '%s' with %s (reference %lld); p "
		      "processes the gallery to match it", s->faces[s->sel].face_index, s->p.key,
		      name, s->mg.engine, (long long)id);
	return KF_UI_RELOAD;
}

static unsigned assign_to(struct kf_ui_app *app, struct detail *s, int64_t client_id,
			  const char *name)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_face_ref r;
	char what[256];
	unsigned rc;

	memset(&r, 0, sizeof(r));
	if (strcmp(s->mg.engine, "local") != 0 && s->mg.engine[0])
		return assign_remote(app, s, client_id, name);
	if (kf_store_face_from_photo(app->store, s->pid, s->faces[s->sel].face_index, &r, &err) < 0) {
		kf_ui_error(app, &err);
		return KF_UI_REDRAW;
	}
	r.client_id = client_id;
	snprintf(what, sizeof(what), "face %d of '%s'", s->faces[s->sel].face_index, s->p.key);
	rc = kf_ui_enroll_commit(app, s->gid, &r, name, what);
	r.model = NULL;
	kf_store_face_release(&r);
	return rc;
}

static unsigned add_and_assign(struct kf_ui_app *app, struct kf_ui_view *v, const char *a)
{
	struct detail *s = (struct detail *)v;
	struct kf_err err = KF_ERR_INIT;
	int64_t id;

	(void)a;
	if (kf_store_client_add(app->store, s->gid, s->assign_name, NULL, &id, &err) < 0) {
		kf_ui_error(app, &err);
		return KF_UI_REDRAW;
	}
	return assign_to(app, s, id, s->assign_name);
}

static unsigned assign_answer(struct kf_ui_app *app, struct kf_ui_view *v, const char *name)
{
	struct detail *s = (struct detail *)v;

	if (!*name || s->n == 0)
		return KF_UI_NONE;
	for (size_t i = 0; i < s->mg.nclients; i++)
		if (!strcmp(s->mg.client_names[i], name))
			return assign_to(app, s, s->mg.client_ids[i], name);
	snprintf(s->assign_name, sizeof(s->assign_name), "%s", name);
	kf_ui_confirm(app, add_and_assign, "No client '%s' in this gallery: add it and enroll face %d?",
		      name, s->faces[s->sel].face_index);
	return KF_UI_REDRAW;
}

/* Tab completes a client's name. */
static void complete_client(struct kf_ui_app *app, const char *in, char *out, size_t n)
{
	struct detail *s = (struct detail *)app->top;
	size_t len = strlen(in), common = 0;
	const char *first = NULL;
	int count = 0;

	snprintf(out, n, "%s", in);
	for (size_t i = 0; i < s->mg.nclients; i++) {
		const char *c = s->mg.client_names[i];
		size_t k;

		if (strncmp(c, in, len) != 0)
			continue;
		if (count++ == 0) {
			first = c;
			common = strlen(c);
			continue;
		}
		for (k = 0; k < common && first[k] == c[k]; k++)
			;
		common = k;
	}
	if (first)
		snprintf(out, n, "%.*s", (int)common, first);
	if (count > 1)
		kf_ui_message(app, 0, "%d clients match", count);
	else if (count == 0)
		kf_ui_message(app, 1, "no client starts with '%s' (Enter adds one)", in);
}

static unsigned open_file(struct kf_ui_app *app, struct detail *s)
{
	posix_spawn_file_actions_t fa;
	char *argv[3];
	pid_t pid;
	int rc;

	if (!s->have_p || !s->p.path || s->p.missing) {
		kf_ui_message(app, 1, "the photo file is missing");
		return KF_UI_REDRAW;
	}
	argv[0] = (char *)"xdg-open";
	argv[1] = s->p.path;
	argv[2] = NULL;
	/* xdg-open must not draw over the console: no terminal for it */
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", 0, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", 1, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", 1, 0);
	rc = posix_spawnp(&pid, "xdg-open", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		kf_ui_message(app, 1, "cannot run xdg-open: %s", strerror(rc));
		return KF_UI_REDRAW;
	}
	/* xdg-open hands the file to a viewer; on_tick reaps it, never blocking */
	s->opener = pid;
	kf_ui_message(app, 0, "opening '%s'…", s->p.path);
	return KF_UI_REDRAW;
}

static unsigned on_tick(struct kf_ui_view *v, struct kf_ui_app *app)
{
	struct detail *s = (struct detail *)v;
	int st;

	if (s->opener <= 0 || waitpid(s->opener, &st, WNOHANG) != s->opener)
		return KF_UI_NONE;
	s->opener = 0;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		kf_ui_message(app, 1, "xdg-open could not open '%s' (status %d)",
			      s->have_p && s->p.path ? s->p.path : "?", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	else
		kf_ui_message(app, 0, "opened '%s'", s->have_p && s->p.path ? s->p.path : "?");
	return KF_UI_REDRAW;
}

static unsigned on_key(struct kf_ui_view *v, struct kf_ui_app *app, int cmd)
{
	struct detail *s = (struct detail *)v;
	char label[128];

	switch (cmd) {
	case CMD_NEXT:
		if (s->sel + 1 < s->n)
			s->sel++;
		return KF_UI_REDRAW;
	case CMD_PREV:
		if (s->sel > 0)
			s->sel--;
		return KF_UI_REDRAW;
	case CMD_ASSIGN:
		if (s->n == 0) {
			kf_ui_message(app, 1, "no face to assign");
			return KF_UI_REDRAW;
		}
		snprintf(label, sizeof(label), "Assign face %d to client (Tab completes): ",
			 s->faces[s->sel].face_index);
		kf_ui_prompt(app, label, "", complete_client, assign_answer);
		return KF_UI_REDRAW;
	case CMD_OPEN_FILE:
		return open_file(app, s);
	case CMD_PROCESS:
		return kf_ui_process(app, s->gid);
	}
	return KF_UI_NONE;
}

static void dfree(struct kf_ui_view *v)
{
	struct detail *s = (struct detail *)v;

	if (s->opener > 0)
		waitpid(s->opener, NULL, WNOHANG);
	release_rows(s);
	kf_image_release(&s->img);
	kf_image_release(&s->px);
	free(s);
}

static const struct kf_ui_screen detail_screen = {
	.name = "Face detail",
	.keys = keys,
	.draw = draw,
	.on_key = on_key,
	.on_tick = on_tick,
	.reload = reload,
	.free = dfree,
};

struct kf_ui_view *kf_ui_detail_new(int64_t gallery_id, int64_t photo_id, int face_index)
{
	struct detail *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->v.screen = &detail_screen;
	s->v.gallery_id = s->gid = gallery_id;
	s->pid = photo_id;
	s->want_face = face_index;
	return &s->v;
}
