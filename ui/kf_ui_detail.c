/* kf_ui_detail.c: the face detail of one photo.
 *
 * Left, the photo as symbol art (kf_ui_image.h) with every face's box
 * numbered. Right, the selected face cut from the full-resolution photo beside
 * a reference face of its client (cut from that reference's own photo), then
 * each face: its confidence, its matched client with the similarity and
 * "(confirmed)" when a person said so, the candidates of an ambiguous face
 * (core/assign.h: no match until a person decides), the clients a person
 * rejected ("not:") and the best other client (kf_match_best_below), as
 * `kingface detail` shows them.
 *
 * The keys on the selected face are reviews (kf_photo_review in
 * data/review.h, as `kingface face confirm|reject|clear`): y confirms
 * its client (an ambiguous face asks which candidate), x rejects it, n
 * confirms it as a client named at a prompt, c forgets its reviews. Each
 * stores the review and re-matches the photo in one transaction; the view
 * reloads and the status line says what happened. E enrolls the face as a
 * reference of a client; o opens the photo file with xdg-open.
 *
 * The photo is decoded once at full resolution: a reduced copy is kept to
 * draw it whole and each face is cut out; reference faces are cut from their
 * photos when first shown and kept by client. Art (chafa) is made again only
 * when the room or the colours change.
 */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "core/alloc.h"
#include "data/engines.h"
#include "data/enroll.h"
#include "data/photo_match.h"
#include "data/review.h"
#include "data/settings.h"
#include "data/store_client.h"
#include "data/store_face.h"
#include "data/store_photo.h"
#include "data/store_result.h"
#include "data/store_review.h"
#include "ui/kf_ui_app.h"
#include "ui/kf_ui_image.h"
#include "ui/kf_ui_people.h"

extern char **environ;

enum {
	CMD_PREV = 1, CMD_NEXT, CMD_CONFIRM, CMD_REJECT, CMD_NAME, CMD_CLEAR, CMD_ENROLL,
	CMD_OPEN_FILE, CMD_PROCESS,
};

static const struct kf_ui_binding keys[] = {
	{ KEY_DOWN, "Down", NULL, "select the next face (also j)", CMD_NEXT, 0, 0 },
	{ 'j', "j", NULL, "select the next face", CMD_NEXT, 0, 0 },
	{ KEY_UP, "Up", "face", "select the previous face (also k)", CMD_PREV, 0, 0 },
	{ 'k', "k", NULL, "select the previous face", CMD_PREV, 0, 0 },
	{ 'y', "y", "confirm", "confirm the face's client (an ambiguous face: asks which one)",
	  CMD_CONFIRM, KF_UI_WRITES, 0 },
	{ 'x', "x", "reject", "reject the face's client: the face is not that person", CMD_REJECT,
	  KF_UI_WRITES, 0 },
	{ 'n', "n", "name", "confirm the face as a client of the gallery (Tab completes)",
	  CMD_NAME, KF_UI_WRITES, 0 },
	{ 'c', "c", "clear", "forget the face's reviews: the engine decides again", CMD_CLEAR,
	  KF_UI_WRITES, 0 },
	{ 'E', "E", "enroll", "enroll the face as a reference of a client (a new name adds it)",
	  CMD_ENROLL, KF_UI_WRITES, 0 },
	{ 'o', "o", "open file", "open the photo with xdg-open", CMD_OPEN_FILE, 0, 0 },
	{ 'p', "p", NULL, "process the gallery's photos in the background", CMD_PROCESS,
	  KF_UI_WRITES, 0 },
	{ 0, NULL, NULL, NULL, 0, 0, 0 },
};

#define OVERVIEW_SIDE 800	/* long side of the copy the whole photo is drawn from */
#define NREFS 8			/* reference faces kept, one per client */

/* A face cut from the full-resolution photo, for the box it was cut at. */
struct crop {
	int face_index;
	struct kf_frac_box box;
	struct kf_image img;
};

/* A reference face of a client, cut from its photo; empty with a note when
 * none can be shown. */
struct ref_crop {
	int64_t client_id;
	struct kf_image img;
	char note[64];
};

struct detail {
	struct kf_ui_view v;
	int64_t gid, pid;
	int want_face;			/* select this face index at load, -1: keep */
	struct kf_photo p;
	int have_p;
	struct kf_detail_face *faces;
	struct kf_face_review *rev;	/* what reviews say of each face */
	struct kf_search_hit *below;
	size_t n;
	struct kf_match_gallery mg;
	size_t sel;
	struct kf_image img;		/* the photo reduced to OVERVIEW_SIDE */
	int img_tried;
	char img_error[256];
	struct crop *crops;
	size_t ncrops;
	struct ref_crop refs[NREFS];
	size_t nrefs;
	struct kf_ui_art_cache photo_art, face_art, ref_art;
	/* a review waiting for the answer to a prompt */
	int pick_what;
	char assign_name[KF_NAME_MAX + 1];
	pid_t opener;			/* xdg-open running, 0: none */
};

static const struct crop *crop_of(const struct detail *s, const struct kf_detail_face *f)
{
	for (size_t i = 0; i < s->ncrops; i++)
		if (s->crops[i].face_index == f->face_index &&
		    !memcmp(&s->crops[i].box, &f->box, sizeof(f->box)))
			return &s->crops[i];
	return NULL;
}

static void crops_free(struct detail *s)
{
	for (size_t i = 0; i < s->ncrops; i++)
		kf_image_release(&s->crops[i].img);
	free(s->crops);
	s->crops = NULL;
	s->ncrops = 0;
	kf_ui_art_cache_release(&s->face_art);
}

static void refs_free(struct detail *s)
{
	for (size_t i = 0; i < s->nrefs; i++)
		kf_image_release(&s->refs[i].img);
	s->nrefs = 0;
	kf_ui_art_cache_release(&s->ref_art);
}

/* Decode the photo at full resolution: keep a reduced copy to draw and cut
 * out each face. Again when faces without a crop appeared (the photo was
 * processed meanwhile); not again after a failure. */
static void load_photo(struct detail *s, struct kf_ui_app *app)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_image full = { 0 };
	int need = !s->img_tried, w, h;

	for (size_t i = 0; !need && i < s->n; i++)
		need = !crop_of(s, &s->faces[i]);
	if (!need || s->img_error[0])
		return;
	s->img_tried = 1;
	if (!s->p.path || s->p.missing) {
		snprintf(s->img_error, sizeof(s->img_error), "the photo file is missing");
		return;
	}
	kf_ui_busy(app, "Loading the photo…");
	app->msg[0] = '\0';
	if (kf_image_load(s->p.path, 0, &full, NULL, &err) < 0) {
		snprintf(s->img_error, sizeof(s->img_error), "%s", err.msg);
		return;
	}
	if (!s->img.rgb) {
		w = full.width;
		h = full.height;
		if (w > OVERVIEW_SIDE || h > OVERVIEW_SIDE) {
			w = full.width >= full.height ? OVERVIEW_SIDE
						      : (int)((int64_t)full.width * OVERVIEW_SIDE / full.height);
			h = full.height > full.width ? OVERVIEW_SIDE
						     : (int)((int64_t)full.height * OVERVIEW_SIDE / full.width);
		}
		if (kf_image_resize(&full, w > 0 ? w : 1, h > 0 ? h : 1, &s->img, &err) < 0)
			snprintf(s->img_error, sizeof(s->img_error), "%s", err.msg);
		kf_ui_art_cache_release(&s->photo_art);
	}
	crops_free(s);
	if (s->n && (s->crops = calloc(s->n, sizeof(*s->crops)))) {
		for (size_t i = 0; i < s->n; i++) {
			const struct kf_detail_face *f = &s->faces[i];
			struct kf_err cerr = KF_ERR_INIT;

			s->crops[i].face_index = f->face_index;
			s->crops[i].box = f->box;
			/* a box off the photo leaves the crop empty: nothing drawn */
			kf_ui_face_cut(&full, f->box.left, f->box.top, f->box.width,
				       f->box.height, &s->crops[i].img, &cerr);
		}
		s->ncrops = s->n;
	}
	kf_image_release(&full);
}

/* Cut a reference face of the client out of its photo (the first reference
 * whose photo is here: a file, or a photo of the gallery). */
static void ref_load(struct detail *s, struct kf_ui_app *app, struct ref_crop *rc)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_face_ref *refs = NULL;
	size_t n = 0;

	if (kf_store_face_list(app->store, rc->client_id, &refs, &n, &err) < 0) {
		snprintf(rc->note, sizeof(rc->note), "cannot read its references");
		return;
	}
	snprintf(rc->note, sizeof(rc->note), n ? "reference photo not here" : "no reference face");
	for (size_t i = 0; i < n && !rc->img.rgb; i++) {
		const struct kf_face_ref *r = &refs[i];
		struct kf_image full = { 0 };
		struct kf_photo p = { 0 };
		const char *path = r->source_path;
		int have_p = 0;

		err = (struct kf_err)KF_ERR_INIT;
		if (r->source_photo_id > 0) {
			char id[32];

			snprintf(id, sizeof(id), "%lld", (long long)r->source_photo_id);
			have_p = kf_store_photo_find(app->store, s->gid, id, &p, &err) == KF_OK;
			path = have_p && !p.missing ? p.path : NULL;
		}
		if (path && kf_image_load(path, 0, &full, NULL, &err) == KF_OK)
			kf_ui_face_cut(&full, r->box_left, r->box_top, r->box_width,
				       r->box_height, &rc->img, &err);
		kf_image_release(&full);
		if (have_p)
			kf_store_photo_release(&p);
	}
	kf_store_face_list_free(refs, n);
}

/* The reference face of a client, cut once and kept (the oldest of NREFS
 * makes room). */
static const struct ref_crop *ref_of(struct detail *s, struct kf_ui_app *app, int64_t client_id)
{
	struct ref_crop *rc;

	for (size_t i = 0; i < s->nrefs; i++)
		if (s->refs[i].client_id == client_id)
			return &s->refs[i];
	if (s->nrefs == NREFS) {
		kf_image_release(&s->refs[0].img);
		memmove(&s->refs[0], &s->refs[1], (NREFS - 1) * sizeof(s->refs[0]));
		s->nrefs--;
		kf_ui_art_cache_release(&s->ref_art);
	}
	rc = &s->refs[s->nrefs++];
	memset(rc, 0, sizeof(*rc));
	rc->client_id = client_id;
	ref_load(s, app, rc);
	return rc;
}

/* The client face i is shown with: its match, else its first candidate, else
 * the best other client; *why is "" (matched), "?" (a candidate) or " best
 * other?". 0 when there is none. */
static int64_t shown_client(const struct detail *s, size_t i, const char **why)
{
	const struct kf_detail_face *f = &s->faces[i];

	*why = "";
	if (f->nmatches)
		return f->matches[0].client_id;
	*why = "?";
	if (f->nambiguous)
		return f->ambiguous[0].client_id;
	*why = "? (best other)";
	return s->below && s->below[i].client_id ? s->below[i].client_id : 0;
}

/* Cut the reference face of the selected face's client now (not while drawing). */
static void ref_prepare(struct detail *s, struct kf_ui_app *app)
{
	const char *why;
	int64_t id;

	if (s->n && (id = shown_client(s, s->sel, &why)) > 0)
		ref_of(s, app, id);
}

static void release_rows(struct detail *s)
{
	if (s->have_p)
		kf_store_photo_release(&s->p);
	s->have_p = 0;
	kf_free(s->faces);
	kf_free(s->rev);
	free(s->below);
	s->faces = NULL;
	s->rev = NULL;
	s->below = NULL;
	s->n = 0;
	kf_match_gallery_release(&s->mg);
	memset(&s->mg, 0, sizeof(s->mg));
}

static int rejected(const struct kf_face_review *r, int64_t client_id)
{
	for (size_t k = 0; r && k < r->nrejected; k++)
		if (r->rejected[k] == client_id)
			return 1;
	return 0;
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
	    kf_store_review_faces(app->store, s->pid, s->faces, s->n, &s->rev, &err) < 0 ||
	    kf_match_gallery_load(app->store, s->gid, &s->mg, &err) < 0) {
		kf_free(s->faces);
		s->faces = NULL;
		s->n = 0;
		kf_ui_error(app, &err);
		return;
	}
	s->below = calloc(s->n + 1, sizeof(*s->below));
	for (size_t i = 0; s->below && i < s->n; i++) {
		if (kf_match_best_below(&s->mg, &s->faces[i], &s->below[i], &err) < 0)
			kf_ui_error(app, &err);
		if (rejected(&s->rev[i], s->below[i].client_id))
			s->below[i].client_id = 0;	/* a person said no */
	}
	for (size_t i = 0; s->want_face >= 0 && i < s->n; i++)
		if (s->faces[i].face_index == s->want_face)
			s->sel = i;
	s->want_face = -1;
	if (s->sel >= s->n)
		s->sel = s->n ? s->n - 1 : 0;
	load_photo(s, app);
	ref_prepare(s, app);
}

/* A face's box on the cell grid of the photo's art. */
static void draw_box(struct kf_ui_app *app, WINDOW *w, int y, int x, const struct kf_ui_art *a,
		     const struct kf_detail_face *f, int selected, enum kf_ui_color_mode mode)
{
	int cols = a->cols, rows = a->rows;
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
			pair = kf_ui_art_pair(a, cx, cy, 255, selected ? 40 : 220, selected ? 40 : 0, mode);
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
}

/* The selected face beside its client's reference face, with a caption each,
 * from row y in width columns, taking at most half of rows; returns the row
 * after them (y when there is no room). */
static int draw_faces(struct detail *s, struct kf_ui_app *app, WINDOW *w, int y, int x,
		      int width, int rows, enum kf_ui_color_mode mode)
{
	const struct kf_detail_face *f = &s->faces[s->sel];
	const struct crop *c = crop_of(s, f);
	const struct ref_crop *rc = NULL;
	const struct kf_ui_art *a;
	const char *why;
	int cw = (width - 2) / 2, ch = cw / 2, rx = x + cw + 2;
	int64_t id = shown_client(s, s->sel, &why);

	if (ch > rows / 2 - 1)
		ch = rows / 2 - 1;
	if (cw < 8 || ch < 3)
		return y;
	for (size_t i = 0; id > 0 && i < s->nrefs; i++)
		if (s->refs[i].client_id == id)
			rc = &s->refs[i];
	kf_ui_attr(app, w, KF_UI_S_HEAD);
	kf_ui_putf(w, y, x, cw, "face %d", f->face_index);
	if (id > 0)
		kf_ui_putf(w, y, rx, width - cw - 2, "%s%s", kf_match_gallery_name(&s->mg, id), why);
	else
		kf_ui_put(w, y, rx, width - cw - 2, "no client");
	wattrset(w, A_NORMAL);
	if (c && (a = kf_ui_art_cache_get(&s->face_art, &c->img, f->face_index, cw, ch, mode,
					  app->utf8)))
		kf_ui_art_draw(w, y + 1, x, a);
	if (rc && (a = kf_ui_art_cache_get(&s->ref_art, &rc->img, id, cw, ch, mode, app->utf8))) {
		kf_ui_art_draw(w, y + 1, rx, a);
	} else if (rc) {
		kf_ui_attr(app, w, KF_UI_S_DIM);
		kf_ui_put(w, y + 1, rx, width - cw - 2, rc->note);
		wattrset(w, A_NORMAL);
	}
	return y + ch + 2;
}

/* Lines face i takes in the list. */
static int face_lines(const struct detail *s, size_t i)
{
	const struct kf_detail_face *f = &s->faces[i];

	return 1 + (int)f->nambiguous + (f->nambiguous > 0) + (s->rev[i].nrejected > 0) +
	       (s->below && s->below[i].client_id > 0);
}

static void draw_face(struct detail *s, struct kf_ui_app *app, WINDOW *w, int *yp, int x,
		      int width, size_t i)
{
	const struct kf_detail_face *f = &s->faces[i];
	const struct kf_face_review *r = &s->rev[i];
	int y = *yp, end = LINES - 3;
	char line[512], full[600];
	int len, plen;

	if (i == s->sel)
		kf_ui_attr(app, w, KF_UI_S_SEL);
	/* the detector's confidence only when the line has room for it: the
	 * clients come first (a narrow terminal cut "(confirmed)") */
	len = snprintf(line, sizeof(line), "%s%d ", i == s->sel ? ">" : " ", f->face_index);
	plen = len - 1;
	for (size_t k = 0; k < f->nmatches && len < (int)sizeof(line) - 120; k++)
		len += snprintf(line + len, sizeof(line) - (size_t)len, "%s%s %.1f%s", k ? ", " : " ",
				kf_match_gallery_name(&s->mg, f->matches[k].client_id),
				(double)f->matches[k].similarity,
				r->confirmed == f->matches[k].client_id ? " (confirmed)" : "");
	if (f->nambiguous)	/* the candidates follow, a line each */
		len += snprintf(line + len, sizeof(line) - (size_t)len, " ambiguous:");
	if (f->too_small)
		snprintf(line + len, sizeof(line) - (size_t)len, " too small to recognise");
	else if (f->nmatches == 0 && f->nambiguous == 0)
		snprintf(line + len, sizeof(line) - (size_t)len, " no client");
	snprintf(full, sizeof(full), "%.*s  conf %.1f %s", plen, line, (double)f->confidence,
		 line + plen + 1);
	mvwhline(w, y, x, ' ', width);
	kf_ui_put(w, y, x, width, kf_ui_width(full) <= width ? full : line);
	wattrset(w, A_NORMAL);
	y++;
	for (size_t k = 0; k < f->nambiguous && y < end; k++) {
		kf_ui_attr(app, w, KF_UI_S_BAD);
		kf_ui_putf(w, y++, x, width, "    %s %s %.1f", k ? "or" : "  ",
			   kf_match_gallery_name(&s->mg, f->ambiguous[k].client_id),
			   (double)f->ambiguous[k].similarity);
		wattrset(w, A_NORMAL);
	}
	if (f->nambiguous && y < end) {
		kf_ui_attr(app, w, KF_UI_S_DIM);
		kf_ui_put(w, y++, x, width, "    (confirm with a review)");
		wattrset(w, A_NORMAL);
	}
	if (r->nrejected && y < end) {
		len = snprintf(line, sizeof(line), "    not:");
		for (size_t k = 0; k < r->nrejected && len < (int)sizeof(line) - 120; k++)
			len += snprintf(line + len, sizeof(line) - (size_t)len, "%s %s", k ? "," : "",
					kf_match_gallery_name(&s->mg, r->rejected[k]));
		kf_ui_attr(app, w, KF_UI_S_DIM);
		kf_ui_put(w, y++, x, width, line);
		wattrset(w, A_NORMAL);
	}
	if (s->below && s->below[i].client_id && y < end) {
		int on = kf_detail_matched_on(s->faces, s->n, i, s->below[i].client_id);
		const char *name = kf_match_gallery_name(&s->mg, s->below[i].client_id);
		double sim = s->below[i].similarity;

		/* why it is not this face's: the face it is matched on; in short
		 * when the panel is narrow */
		if (on < 0 || s->faces[i].nmatches)
			snprintf(line, sizeof(line), "    best other: %s %.1f", name, sim);
		else if (snprintf(line, sizeof(line), "    best other: %s %.1f (on face %d)", name,
				  sim, on) > 0 && kf_ui_width(line) > width)
			snprintf(line, sizeof(line), "    other: %s %.1f (on face %d)", name, sim, on);
		kf_ui_attr(app, w, KF_UI_S_DIM);
		kf_ui_put(w, y++, x, width, line);
		wattrset(w, A_NORMAL);
	}
	*yp = y;
}

static void draw(struct kf_ui_view *v, struct kf_ui_app *app, WINDOW *w)
{
	struct detail *s = (struct detail *)v;
	enum kf_ui_color_mode mode = kf_ui_color_mode(app);
	int top = 2, end = LINES - 3, avail_rows = end - top, panel_w = COLS * 2 / 5;
	int img_w, px_x, y, room, used;
	const struct kf_ui_art *a = NULL;
	size_t first;

	if (!s->have_p)
		return;
	if (panel_w < 28)
		panel_w = COLS < 56 ? COLS / 2 : 28;
	img_w = COLS - panel_w - 1;
	if (s->p.error) {
		kf_ui_attr(app, w, KF_UI_S_BAD);
		kf_ui_putf(w, 1, 1, COLS - 1, "%dx%d  %s: %s", s->p.width, s->p.height, s->p.status,
			   s->p.error);
		wattrset(w, A_NORMAL);
	} else {
		kf_ui_putf(w, 1, 1, COLS - 1, "%dx%d  %s  %zu face%s", s->p.width, s->p.height,
			   s->p.status, s->n, s->n == 1 ? "" : "s");
	}
	/* the photo */
	if (img_w >= 4 && avail_rows >= 2)
		a = kf_ui_art_cache_get(&s->photo_art, &s->img, 0, img_w, avail_rows, mode,
					app->utf8);
	if (a) {
		kf_ui_art_draw(w, top, 0, a);
		for (size_t i = 0; i < s->n; i++)
			if (i != s->sel)
				draw_box(app, w, top, 0, a, &s->faces[i], 0, mode);
		if (s->n)
			draw_box(app, w, top, 0, a, &s->faces[s->sel], 1, mode);
	} else {
		kf_ui_attr(app, w, KF_UI_S_DIM);
		kf_ui_put(w, top, 1, img_w - 1, s->img_error[0] ? s->img_error :
			  s->img.rgb ? "(no room for the photo)" : "loading the photo…");
		wattrset(w, A_NORMAL);
	}
	/* the selected face large, then the faces */
	px_x = img_w + 1;
	y = top;
	if (s->n == 0) {
		kf_ui_put(w, y, px_x, panel_w, strcmp(s->p.status, "done") ?
			  "not processed yet: p processes the gallery" : "no face found");
		return;
	}
	y = draw_faces(s, app, w, y, px_x, panel_w, avail_rows, mode);
	/* from the first face that lets the selected one show whole */
	room = end - y - 2;
	first = 0;
	used = 0;
	for (size_t i = 0; i <= s->sel; i++)
		used += face_lines(s, i);
	while (first < s->sel && used > room)
		used -= face_lines(s, first++);
	for (size_t i = first; i < s->n && y < end; i++)
		draw_face(s, app, w, &y, px_x, panel_w, i);
	if (y + 1 < end) {
		const struct kf_detail_face *f = &s->faces[s->sel];

		y++;
		kf_ui_putf(w, y, px_x, panel_w, "face %d: box %.3f,%.3f %.3fx%.3f", f->face_index,
			   (double)f->box.left, (double)f->box.top, (double)f->box.width,
			   (double)f->box.height);
	}
}

/* ---- reviews ---- */

/* Review the selected face (KF_REVIEW_CONFIRM / _REJECT client_id, or
 * KF_REVIEW_CLEAR), reload, and say what happened and what the face matches
 * now. */
static unsigned review(struct detail *s, struct kf_ui_app *app, int what, int64_t client_id)
{
	static const char *const said[] = { "rejected", "confirmed" };
	struct kf_err err = KF_ERR_INIT;
	const struct kf_detail_face *f = NULL;
	int face = s->faces[s->sel].face_index;
	char name[128], now[192];
	int64_t removed = 0;
	double t;

	if (s->mg.engine[0] && strcmp(s->mg.engine, KF_MATCH_ENGINE_LOCAL) != 0) {
		kf_ui_message(app, 1, "reviews need the local engine's descriptors; this gallery "
			      "uses %s", s->mg.engine);
		return KF_UI_REDRAW;
	}
	snprintf(name, sizeof(name), "%s", kf_match_gallery_name(&s->mg, client_id));
	if (kf_settings_get(app->store, "threshold", &t, &err) < 0 ||
	    kf_photo_review(app->store, &s->mg, s->pid, face, client_id, what, (float)t, &removed,
			    &err) < 0) {
		kf_err_context(&err, "face %d", face);
		kf_ui_error(app, &err);
		return KF_UI_RELOAD;	/* the photo may have changed under us */
	}
	s->want_face = face;
	app->msg[0] = '\0';
	reload(&s->v, app);
	if (app->msg[0])	/* reloading failed: its error stays */
		return KF_UI_REDRAW;
	for (size_t i = 0; i < s->n; i++)
		if (s->faces[i].face_index == face)
			f = &s->faces[i];
	if (f && f->nmatches)
		snprintf(now, sizeof(now), "matched now: %s %.1f",
			 kf_match_gallery_name(&s->mg, f->matches[0].client_id),
			 (double)f->matches[0].similarity);
	else if (f && f->nambiguous)
		snprintf(now, sizeof(now), "ambiguous now");
	else
		snprintf(now, sizeof(now), "matched now: no client");
	if (what == KF_REVIEW_CLEAR)
		kf_ui_message(app, 0, "face %d: %lld review%s forgotten; %s", face, (long long)removed,
			      removed == 1 ? "" : "s", now);
	else
		kf_ui_message(app, 0, "face %d: %s %s; %s", face, said[what], name, now);
	return KF_UI_REDRAW;
}

/* The answer to "which candidate": its number or its name. */
static unsigned pick_answer(struct kf_ui_app *app, struct kf_ui_view *v, const char *text)
{
	struct detail *s = (struct detail *)v;
	const struct kf_detail_face *f;
	char *end;
	long k;

	if (!*text || s->n == 0)
		return KF_UI_NONE;
	f = &s->faces[s->sel];
	k = strtol(text, &end, 10);
	if (*end || k < 1 || k > (long)f->nambiguous) {
		k = 0;
		for (size_t i = 0; i < f->nambiguous && !k; i++)
			if (!strcmp(text, kf_match_gallery_name(&s->mg, f->ambiguous[i].client_id)))
				k = (long)i + 1;
	}
	if (!k) {
		kf_ui_message(app, 1, "'%s' is not a candidate: 1 to %zu", text, f->nambiguous);
		return KF_UI_REDRAW;
	}
	return review(s, app, s->pick_what, f->ambiguous[k - 1].client_id);
}

/* y or x: the face's client, or for an ambiguous face the candidate asked for. */
static unsigned review_shown(struct detail *s, struct kf_ui_app *app, int what)
{
	const struct kf_detail_face *f = &s->faces[s->sel];
	char label[200];
	int len;

	if (f->nmatches)
		return review(s, app, what, f->matches[0].client_id);
	if (!f->nambiguous) {
		kf_ui_message(app, 1, "face %d has no client to %s%s", f->face_index,
			      what == KF_REVIEW_CONFIRM ? "confirm" : "reject",
			      what == KF_REVIEW_CONFIRM ? ": n names it" : "");
		return KF_UI_REDRAW;
	}
	s->pick_what = what;
	len = snprintf(label, sizeof(label), "Face %d is", f->face_index);
	for (size_t k = 0; k < f->nambiguous && len < (int)sizeof(label) - 60; k++)
		len += snprintf(label + len, sizeof(label) - (size_t)len, "%s %zu %.40s",
				k ? " or" : "", k + 1,
				kf_match_gallery_name(&s->mg, f->ambiguous[k].client_id));
	snprintf(label + len, sizeof(label) - (size_t)len, ": %s which? ",
		 what == KF_REVIEW_CONFIRM ? "confirm" : "reject");
	kf_ui_prompt(app, label, "", NULL, pick_answer);
	return KF_UI_REDRAW;
}

/* n: the face is the client named (an existing one). */
static unsigned name_answer(struct kf_ui_app *app, struct kf_ui_view *v, const char *name)
{
	struct detail *s = (struct detail *)v;
	char typed[KF_NAME_MAX + 1];
	int64_t id;
	int rc;

	if (!*name || s->n == 0)
		return KF_UI_NONE;
	rc = kf_ui_client_typed(app, s->gid, name, typed, sizeof(typed), &id);
	if (rc == KF_OK)
		return review(s, app, KF_REVIEW_CONFIRM, id);
	if (rc == KF_E_NOTFOUND)
		kf_ui_message(app, 1, "no client '%s' in this gallery (E enrolls the face as a new "
			      "client)", typed);
	return KF_UI_REDRAW;
}

/* ---- enrolling the face ---- */

/* Enroll the face with the gallery's remote engine: its crop from the photo
 * (no re-match: the engine's results come from processing again). */
static unsigned enroll_remote(struct kf_ui_app *app, struct detail *s, int64_t client_id,
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

static unsigned enroll_to(struct kf_ui_app *app, struct detail *s, int64_t client_id,
			  const char *name)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_face_ref r;
	char what[256];
	unsigned rc;

	memset(&r, 0, sizeof(r));
	refs_free(s);	/* the client's reference face may change */
	if (strcmp(s->mg.engine, KF_MATCH_ENGINE_LOCAL) != 0 && s->mg.engine[0])
		return enroll_remote(app, s, client_id, name);
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

static unsigned add_and_enroll(struct kf_ui_app *app, struct kf_ui_view *v, const char *a)
{
	struct detail *s = (struct detail *)v;
	struct kf_err err = KF_ERR_INIT;
	int64_t id;

	(void)a;
	if (kf_store_client_add(app->store, s->gid, s->assign_name, NULL, &id, &err) < 0) {
		kf_ui_error(app, &err);
		return KF_UI_REDRAW;
	}
	return enroll_to(app, s, id, s->assign_name);
}

static unsigned enroll_answer(struct kf_ui_app *app, struct kf_ui_view *v, const char *name)
{
	struct detail *s = (struct detail *)v;
	int64_t id;
	int rc;

	if (!*name || s->n == 0)
		return KF_UI_NONE;
	rc = kf_ui_client_typed(app, s->gid, name, s->assign_name, sizeof(s->assign_name), &id);
	if (rc == KF_OK)
		return enroll_to(app, s, id, s->assign_name);
	if (rc == KF_E_NOTFOUND)
		kf_ui_confirm(app, add_and_enroll, "No client '%s' in this gallery: add it and "
			      "enroll face %d?", s->assign_name, s->faces[s->sel].face_index);
	return KF_UI_REDRAW;
}

/* ---- the photo file ---- */

/* The desktop's "open this file with its viewer" command */
#ifdef __APPLE__
#define OPENER "open"
#else
#define OPENER "xdg-open"
#endif

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
	argv[0] = (char *)OPENER;
	argv[1] = s->p.path;
	argv[2] = NULL;
	/* xdg-open must not draw over the console: no terminal for it */
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", 0, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", 1, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", 1, 0);
	rc = posix_spawnp(&pid, OPENER, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		kf_ui_message(app, 1, "cannot run " OPENER ": %s", strerror(rc));
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
		kf_ui_message(app, 1, OPENER " could not open '%s' (status %d)",
			      s->have_p && s->p.path ? s->p.path : "?", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	else
		kf_ui_message(app, 0, "opened '%s'", s->have_p && s->p.path ? s->p.path : "?");
	return KF_UI_REDRAW;
}

static unsigned on_key(struct kf_ui_view *v, struct kf_ui_app *app, int cmd)
{
	struct detail *s = (struct detail *)v;
	char label[200];

	if (s->n == 0 && cmd >= CMD_CONFIRM && cmd <= CMD_ENROLL) {
		kf_ui_message(app, 1, "no face selected");
		return KF_UI_REDRAW;
	}
	switch (cmd) {
	case CMD_NEXT:
		if (s->sel + 1 < s->n)
			s->sel++;
		ref_prepare(s, app);
		return KF_UI_REDRAW;
	case CMD_PREV:
		if (s->sel > 0)
			s->sel--;
		ref_prepare(s, app);
		return KF_UI_REDRAW;
	case CMD_CONFIRM:
		return review_shown(s, app, KF_REVIEW_CONFIRM);
	case CMD_REJECT:
		return review_shown(s, app, KF_REVIEW_REJECT);
	case CMD_CLEAR:
		return review(s, app, KF_REVIEW_CLEAR, 0);
	case CMD_NAME:
		snprintf(label, sizeof(label), "Face %d is client (Tab completes): ",
			 s->faces[s->sel].face_index);
		kf_ui_prompt(app, label, "", kf_ui_complete_client, name_answer);
		return KF_UI_REDRAW;
	case CMD_ENROLL:
		snprintf(label, sizeof(label), "Enroll face %d for client (Tab completes; a new name "
			 "adds one): ", s->faces[s->sel].face_index);
		kf_ui_prompt(app, label, "", kf_ui_complete_client, enroll_answer);
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
	crops_free(s);
	refs_free(s);
	kf_ui_art_cache_release(&s->photo_art);
	kf_image_release(&s->img);
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
