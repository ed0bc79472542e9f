/* kf_ui_gallery.c: one gallery, in five tabs: Clients (enroll, add, remove,
 * export their photos to a folder),
 * Photos (paged from the store: only the visible rows are fetched), Recognition
 * (photos per client, most first), Jobs (failed and dead, re-queue) and People
 * (the unknown faces clustered, named as clients: kf_ui_people.c). */
#include <assert.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "data/engines.h"
#include "data/enroll.h"
#include "data/export.h"
#include "data/paths.h"
#include "data/photo_match.h"
#include "data/queue.h"
#include "data/settings.h"
#include "data/store_client.h"
#include "data/store_face.h"
#include "data/store_gallery.h"
#include "data/store_photo.h"
#include "data/store_result.h"
#include "ui/kf_ui_app.h"
#include "ui/kf_ui_list.h"
#include "ui/kf_ui_people.h"

enum tab { T_CLIENTS, T_PHOTOS, T_RECOGNITION, T_JOBS, T_PEOPLE, NTABS };
#define M(t) (1u << (t))

enum {
	CMD_NEXT = 1, CMD_PREV, CMD_TAB1, CMD_TAB2, CMD_TAB3, CMD_TAB4, CMD_TAB5, CMD_OPEN,
	CMD_PROCESS, CMD_ADD, CMD_IMPORT, CMD_REMOVE, CMD_ENROLL, CMD_REQUEUE, CMD_EXPORT, CMD_EXPORT_ALL,
	CMD_PEOPLE_ASSIGN, CMD_RENAME, CMD_REFS,
};

static const struct kf_ui_binding keys[] = {
	{ '\t', "Tab", "next tab", "next tab (Shift-Tab previous; 1-5 pick one)", CMD_NEXT, 0, 0 },
	{ KEY_BTAB, "S-Tab", NULL, "previous tab", CMD_PREV, 0, 0 },
	{ KEY_RIGHT, "Right", NULL, "next tab", CMD_NEXT, 0, 0 },
	{ KEY_LEFT, "Left", NULL, "previous tab", CMD_PREV, 0, 0 },
	{ '1', "1", NULL, "Clients tab", CMD_TAB1, 0, 0 },
	{ '2', "2", NULL, "Photos tab", CMD_TAB2, 0, 0 },
	{ '3', "3", NULL, "Recognition tab", CMD_TAB3, 0, 0 },
	{ '4', "4", NULL, "Jobs tab", CMD_TAB4, 0, 0 },
	{ '5', "5", NULL, "People tab", CMD_TAB5, 0, 0 },
	{ 'e', "e", "enroll", "enroll a face of the client from a photo file (Tab completes the path)",
	  CMD_ENROLL, KF_UI_WRITES, M(T_CLIENTS) },
	{ 'a', "a", "add", "add a client", CMD_ADD, KF_UI_WRITES, M(T_CLIENTS) },
	{ 'i', "i", "import", "add clients and enroll their reference photos from a folder: a "
	  "subfolder or a photo named as each client (= kingface client import; Tab completes "
	  "the path)", CMD_IMPORT, KF_UI_WRITES, M(T_CLIENTS) },
	{ 'n', "n", "rename", "rename the client", CMD_RENAME, KF_UI_WRITES, M(T_CLIENTS) },
	{ 'f', "f", "faces", "the client's reference faces, where each was cut from (d removes "
	  "one)", CMD_REFS, 0, M(T_CLIENTS) },
	{ 'd', "d", "remove", "remove the client and its enrolled faces (asks first)", CMD_REMOVE,
	  KF_UI_WRITES, M(T_CLIENTS) },
	{ 'x', "x", "export", "export the client's photos to a folder, with a manifest (= kingface "
	  "export --client; Tab completes the path)", CMD_EXPORT, 0, M(T_CLIENTS) },
	{ 'X', "X", NULL, "export every client's photos to a folder, a folder each", CMD_EXPORT_ALL,
	  0, M(T_CLIENTS) },
	{ '\r', "Enter", "open", "the client's photos", CMD_OPEN, 0,
	  M(T_CLIENTS) | M(T_RECOGNITION) },
	{ '\r', "Enter", "open", "face detail of the photo", CMD_OPEN, 0, M(T_PHOTOS) | M(T_JOBS) },
	{ '\r', "Enter", "open", "the cluster's faces", CMD_OPEN, 0, M(T_PEOPLE) },
	{ 'a', "a", "assign", "assign the cluster to a client, new or existing", CMD_PEOPLE_ASSIGN,
	  KF_UI_WRITES, M(T_PEOPLE) },
	{ 'r', "r", "requeue", "re-queue the failed and dead jobs", CMD_REQUEUE, KF_UI_WRITES,
	  M(T_JOBS) },
	{ 'p', "p", "process", "process the gallery's photos in the background", CMD_PROCESS,
	  KF_UI_WRITES, 0 },
	{ 0, NULL, NULL, NULL, 0, 0, 0 },
};

static const char *const tab_names[NTABS] = { "Clients", "Photos", "Recognition", "Jobs",
					       "People" };

#define PAGE_EXTRA 100

struct gallery {
	struct kf_ui_view v;
	int64_t gid;
	char name[96];
	struct kf_gallery g;
	int have_g;
	char threshold[256];	/* which threshold is in force and why, "" unknown */
	int64_t threshold_refs;	/* ... for these references (kf_store_face_version) */
	double threshold_set;	/* ... and this setting */
	char threshold_engine[32];	/* ... and this engine */
	enum tab tab;
	struct kf_ui_list lists[NTABS];
	/* clients */
	struct kf_client *clients;
	size_t nclients, *cidx;
	/* photos: a page around the visible rows */
	struct kf_photo *photos;
	size_t nphotos;
	int64_t poff;
	int photos_stale;
	/* recognition */
	struct kf_recognition_row *rec;
	size_t nrec, *ridx;
	/* jobs: failed then dead */
	struct kf_job_row *jf, *jd;
	size_t njf, njd, *jidx;
	/* enrollment in progress */
	struct kf_enroll_file ef;
	char enroll_path[4096];
	char import_dir[4096];		/* the folder i asked about */
	int64_t enroll_client;
	char enroll_name[KF_NAME_MAX + 1];
	int enroll_pick;
	/* export: the client (0: all) and the last folder */
	int64_t export_client;
	char export_name[128];
	char export_dir[4096];
	/* people: its own list and clusters */
	struct kf_ui_people *people;
};

static void set_tab(struct gallery *s, int t)
{
	s->tab = (enum tab)((t + NTABS) % NTABS);
	s->v.list = s->tab == T_PEOPLE ? kf_ui_people_list(s->people) : &s->lists[s->tab];
	if (s->tab == T_PEOPLE)
		kf_ui_people_shown(s->people);
	s->v.mode = M(s->tab);
	snprintf(s->v.title, sizeof(s->v.title), "%s │ %s", s->name, tab_names[s->tab]);
}

static struct kf_job_row *job_at(struct gallery *s, size_t i)
{
	return i < s->njf ? &s->jf[i] : &s->jd[i - s->njf];
}

static int grow(size_t **idx, size_t n)
{
	free(*idx);
	*idx = calloc(n + 1, sizeof(size_t));
	return *idx ? 0 : -1;
}

static void refilter(struct gallery *s)
{
	struct kf_ui_list *l;
	size_t k;

	l = &s->lists[T_CLIENTS];
	k = 0;
	for (size_t i = 0; s->cidx && i < s->nclients; i++)
		if (kf_ui_list_match(l, s->clients[i].name))
			s->cidx[k++] = i;
	l->n = (int64_t)k;
	l = &s->lists[T_RECOGNITION];
	k = 0;
	for (size_t i = 0; s->ridx && i < s->nrec; i++)
		if (kf_ui_list_match(l, s->rec[i].name))
			s->ridx[k++] = i;
	l->n = (int64_t)k;
	l = &s->lists[T_JOBS];
	k = 0;
	for (size_t i = 0; s->jidx && i < s->njf + s->njd; i++)
		if (kf_ui_list_match(l, job_at(s, i)->key))
			s->jidx[k++] = i;
	l->n = (int64_t)k;
	for (int t = 0; t < NTABS; t++)
		if (t != T_PHOTOS && t != T_PEOPLE)
			kf_ui_list_clamp(&s->lists[t], s->lists[t].height);
}

/* Fetch the page of photos that holds the visible rows (and the total). */
static void photos_page(struct gallery *s, struct kf_ui_app *app, int h)
{
	struct kf_ui_list *l = &s->lists[T_PHOTOS];
	struct kf_err err = KF_ERR_INIT;
	int64_t off, total = 0;

	kf_ui_list_clamp(l, h);
	{
	int64_t end = s->poff + (int64_t)s->nphotos;

	if (!s->photos_stale && l->top >= s->poff && (l->top + h <= end || end >= l->n))
		return;
	}
	off = l->top > PAGE_EXTRA ? l->top - PAGE_EXTRA : 0;
	kf_store_photo_list_free(s->photos, s->nphotos);
	s->photos = NULL;
	s->nphotos = 0;
	if (kf_store_photo_search(app->store, s->gid, NULL, l->filter, off, h + 2 * PAGE_EXTRA,
				  &s->photos, &s->nphotos, &total, &err) < 0) {
		kf_ui_error(app, &err);
		s->photos = NULL;
		s->nphotos = 0;
	}
	s->poff = off;
	s->photos_stale = 0;
	l->n = total;
	kf_ui_list_clamp(l, h);
}

/* The threshold line, computed again only when the references or the
 * setting changed (the auto threshold looks at every pair of references). */
static void threshold_line(struct gallery *s, struct kf_ui_app *app)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_match_gallery mg;
	int64_t refs;
	double t;

	if (kf_settings_get(app->store, "threshold", &t, &err) < 0 ||
	    kf_store_face_version(app->store, s->gid, &refs, &err) < 0) {
		s->threshold[0] = '\0';
		return;
	}
	if (s->threshold[0] && refs == s->threshold_refs && t == s->threshold_set &&
	    s->have_g && s->g.engine && !strcmp(s->g.engine, s->threshold_engine))
		return;
	s->threshold[0] = '\0';
	if (kf_match_gallery_load(app->store, s->gid, &mg, &err) < 0)
		return;
	kf_match_gallery_threshold_why(&mg, (float)t, s->threshold, sizeof(s->threshold));
	snprintf(s->threshold_engine, sizeof(s->threshold_engine), "%s", mg.engine);
	kf_match_gallery_release(&mg);
	s->threshold_refs = refs;
	s->threshold_set = t;
}

static void reload(struct kf_ui_view *v, struct kf_ui_app *app)
{
	struct gallery *s = (struct gallery *)v;
	struct kf_err err = KF_ERR_INIT;

	if (s->have_g)
		kf_store_gallery_release(&s->g);
	s->have_g = kf_store_gallery_get(app->store, s->gid, &s->g, &err) == KF_OK;
	threshold_line(s, app);
	kf_store_client_list_free(s->clients, s->nclients);
	s->clients = NULL;
	s->nclients = 0;
	kf_store_recognition_free(s->rec, s->nrec);
	s->rec = NULL;
	s->nrec = 0;
	kf_queue_list_free(s->jf, s->njf);
	kf_queue_list_free(s->jd, s->njd);
	s->jf = s->jd = NULL;
	s->njf = s->njd = 0;
	if (kf_store_client_list(app->store, s->gid, &s->clients, &s->nclients, &err) < 0 ||
	    kf_store_recognition(app->store, s->gid, &s->rec, &s->nrec, &err) < 0 ||
	    kf_queue_list(app->store, s->gid, "failed", &s->jf, &s->njf, &err) < 0 ||
	    kf_queue_list(app->store, s->gid, "dead", &s->jd, &s->njd, &err) < 0)
		kf_ui_error(app, &err);
	if (grow(&s->cidx, s->nclients) < 0 || grow(&s->ridx, s->nrec) < 0 ||
	    grow(&s->jidx, s->njf + s->njd) < 0)
		kf_ui_message(app, 1, "out of memory");
	s->photos_stale = 1;
	kf_ui_people_stale(s->people, app);
	refilter(s);
}

/* ---- rows ---- */

static void client_row(void *ctx, struct kf_ui_app *app, WINDOW *w, int y, int x, int width,
		       int64_t i, int sel)
{
	struct gallery *s = ctx;
	const struct kf_client *c = &s->clients[s->cidx[i]];
	int nw = width - 30 < 10 ? 10 : width - 30;
	char cell[KF_UI_CELL_MAX];

	(void)sel;
	kf_ui_putf(w, y, x, width, " %s %12lld %14lld", kf_ui_cell(c->name, nw, cell, sizeof(cell)),
		   (long long)c->faces, (long long)c->photos);
	if (c->faces == 0 && !sel) {
		kf_ui_attr(app, w, KF_UI_S_DIM);
		kf_ui_put(w, y, x + nw + 2, 12, "    none (e)");	/* over the 0 */
	}
}

/* The Photos tab's columns besides the key: status, faces, matches, "missing" */
#define PHOTO_COLS 37

static void photo_row(void *ctx, struct kf_ui_app *app, WINDOW *w, int y, int x, int width,
		      int64_t i, int sel)
{
	struct gallery *s = ctx;
	int64_t k = i - s->poff;
	int kw = width - PHOTO_COLS < 10 ? 10 : width - PHOTO_COLS;
	char cell[KF_UI_CELL_MAX];
	const struct kf_photo *p;

	if (k < 0 || k >= (int64_t)s->nphotos)
		return;
	p = &s->photos[k];
	kf_ui_putf(w, y, x, width, " %s %-8s %7lld %8lld %s", kf_ui_cell(p->key, kw, cell, sizeof(cell)),
		   p->status, (long long)p->faces, (long long)p->matches, p->missing ? "missing" : "");
	if (!sel && (!strcmp(p->status, "failed") || !strcmp(p->status, "dead"))) {
		kf_ui_attr(app, w, KF_UI_S_BAD);
		kf_ui_put(w, y, x + kw + 2, 8, p->status);
	} else if (!sel && !strcmp(p->status, "done")) {
		kf_ui_attr(app, w, KF_UI_S_OK);
		kf_ui_put(w, y, x + kw + 2, 8, p->status);
	}
}

static void rec_row(void *ctx, struct kf_ui_app *app, WINDOW *w, int y, int x, int width,
		    int64_t i, int sel)
{
	struct gallery *s = ctx;
	const struct kf_recognition_row *r = &s->rec[s->ridx[i]];
	int nw = width - 20 < 10 ? 10 : width - 20;
	char cell[KF_UI_CELL_MAX];

	(void)app, (void)sel;
	kf_ui_putf(w, y, x, width, " %s %12lld", kf_ui_cell(r->name, nw, cell, sizeof(cell)),
		   (long long)r->photos);
}

static void job_row(void *ctx, struct kf_ui_app *app, WINDOW *w, int y, int x, int width,
		    int64_t i, int sel)
{
	struct gallery *s = ctx;
	const struct kf_job_row *j = job_at(s, s->jidx[i]);
	int kw = width / 3 < 12 ? 12 : width / 3;
	char cell[KF_UI_CELL_MAX];

	(void)app, (void)sel;
	kf_ui_putf(w, y, x, width, " %s %-6s %3d  %s", kf_ui_cell(j->key, kw, cell, sizeof(cell)),
		   j->state, j->attempts, j->last_error ? j->last_error : "");
}

static void draw(struct kf_ui_view *v, struct kf_ui_app *app, WINDOW *w)
{
	struct gallery *s = (struct gallery *)v;
	int y = 1, h, x = 1, width = COLS;
	char line[512];

	/* the counts and the threshold, each on two rows when the terminal is narrow */
	if (s->have_g) {
		snprintf(line, sizeof(line), "%lld photo%s: %lld done, %lld pending, %lld failed, "
			 "%lld dead · %lld client%s · %lld face%s, %lld match%s · detector %s",
			 (long long)s->g.photos, s->g.photos == 1 ? "" : "s", (long long)s->g.done,
			 (long long)(s->g.pending + s->g.running), (long long)s->g.failed,
			 (long long)s->g.dead, (long long)s->g.clients, s->g.clients == 1 ? "" : "s",
			 (long long)s->g.faces, s->g.faces == 1 ? "" : "s", (long long)s->g.matches,
			 s->g.matches == 1 ? "" : "es", s->g.detector ? s->g.detector : "-");
		y += kf_ui_wrap(w, y, 1, COLS - 2, line, y, y + 2) > 1 ? 2 : 1;
	} else {
		y++;
	}
	if (s->threshold[0])
		y += kf_ui_wrap(w, y, 1, COLS - 2, s->threshold, y, y + 2) > 1 ? 2 : 1;
	for (int t = 0; t < NTABS; t++) {
		char label[48];

		snprintf(label, sizeof(label), " %d %s ", t + 1, tab_names[t]);
		if (t == (int)s->tab)
			kf_ui_attr(app, w, KF_UI_S_SEL);
		kf_ui_put(w, y, x, COLS - x, label);
		wattrset(w, A_NORMAL);
		x += (int)strlen(label) + 1;
	}
	y++;
	h = LINES - 3 - (y + 1);
	kf_ui_attr(app, w, KF_UI_S_HEAD);
	switch (s->tab) {
	case T_CLIENTS: {
		int nw = width - 30 < 10 ? 10 : width - 30;

		kf_ui_putf(w, y, 0, width, " %-*s %12s %14s", nw, "CLIENT", "ENROLLED", "PHOTOS MATCHED");
		wattrset(w, A_NORMAL);
		kf_ui_list_draw(&s->lists[T_CLIENTS], app, w, y + 1, 0, h, width, client_row, s,
				"no clients: a adds one, then e enrolls a face from a photo");
		break;
	}
	case T_PHOTOS: {
		int kw = width - PHOTO_COLS < 10 ? 10 : width - PHOTO_COLS;

		kf_ui_putf(w, y, 0, width, " %-*s %-8s %7s %8s", kw, "PHOTO", "STATUS", "FACES",
			   "MATCHES");
		wattrset(w, A_NORMAL);
		photos_page(s, app, h);
		kf_ui_list_draw(&s->lists[T_PHOTOS], app, w, y + 1, 0, h, width, photo_row, s,
				"no photos");
		break;
	}
	case T_RECOGNITION: {
		int nw = width - 20 < 10 ? 10 : width - 20;

		kf_ui_putf(w, y, 0, width, " %-*s %12s", nw, "CLIENT", "PHOTOS");
		wattrset(w, A_NORMAL);
		kf_ui_list_draw(&s->lists[T_RECOGNITION], app, w, y + 1, 0, h, width, rec_row, s,
				"no clients");
		break;
	}
	case T_JOBS: {
		int kw = width / 3 < 12 ? 12 : width / 3;

		kf_ui_putf(w, y, 0, width, " %-*s %-6s %3s  %s", kw, "PHOTO", "STATE", "TRY",
			   "REASON");
		wattrset(w, A_NORMAL);
		kf_ui_list_draw(&s->lists[T_JOBS], app, w, y + 1, 0, h, width, job_row, s,
				"no failed or dead jobs");
		break;
	}
	case T_PEOPLE:
		wattrset(w, A_NORMAL);
		kf_ui_people_draw(s->people, app, w, y, h + 1, width);
		break;
	default:
		break;
	}
}

/* ---- actions ---- */

/* i: the folder's import after a y to what it would do */
static unsigned import_yes(struct kf_ui_app *app, struct kf_ui_view *v, const char *a)
{
	(void)a;
	return kf_ui_import_refs(app, v, ((struct gallery *)v)->import_dir);
}

static unsigned import_answer(struct kf_ui_app *app, struct kf_ui_view *v, const char *dir)
{
	struct gallery *s = (struct gallery *)v;
	char q[PATH_MAX + 300];

	if (!*dir)
		return KF_UI_NONE;
	snprintf(s->import_dir, sizeof(s->import_dir), "%s", dir);
	if (kf_ui_import_question(app, s->gid, dir, q, sizeof(q)) == 0)
		kf_ui_confirm(app, import_yes, "%s", q);
	return KF_UI_REDRAW;
}

static unsigned add_answer(struct kf_ui_app *app, struct kf_ui_view *v, const char *name)
{
	struct gallery *s = (struct gallery *)v;
	struct kf_err err = KF_ERR_INIT;
	char typed[KF_NAME_MAX + 1];

	if (!*name)
		return KF_UI_NONE;
	if (kf_store_name_typed("client", name, typed, sizeof(typed), &err) < 0 ||
	    kf_store_client_add(app->store, s->gid, typed, NULL, NULL, &err) < 0) {
		kf_ui_error(app, &err);
		return KF_UI_REDRAW;
	}
	kf_ui_message(app, 0, "added client '%s': e enrolls a face from a photo", typed);
	return KF_UI_RELOAD;
}

static unsigned rename_answer(struct kf_ui_app *app, struct kf_ui_view *v, const char *name)
{
	struct gallery *s = (struct gallery *)v;
	struct kf_err err = KF_ERR_INIT;
	char typed[KF_NAME_MAX + 1];

	if (!*name || !strcmp(name, s->enroll_name))
		return KF_UI_NONE;
	if (kf_store_name_typed("client", name, typed, sizeof(typed), &err) < 0 ||
	    kf_store_client_rename(app->store, s->enroll_client, typed, &err) < 0) {
		kf_ui_error(app, &err);
		return KF_UI_REDRAW;
	}
	kf_ui_message(app, 0, "renamed client '%s' to '%s'", s->enroll_name, typed);
	return KF_UI_RELOAD;
}

static unsigned remove_answer(struct kf_ui_app *app, struct kf_ui_view *v, const char *a)
{
	struct gallery *s = (struct gallery *)v;
	struct kf_client_removed r;
	struct kf_err err = KF_ERR_INIT;

	(void)a;
	/* its faces in a Rekognition collection first, or nothing (engines.h) */
	if (kf_engines_forget(app->store, s->gid, s->enroll_client, 0, NULL, &err) < 0) {
		kf_err_context(&err, "client '%s' not removed ('kingface client remove --force' "
			       "removes it here anyway)", s->enroll_name);
		kf_ui_error(app, &err);
		return KF_UI_REDRAW;
	}
	if (kf_store_client_remove(app->store, s->enroll_client, &r, &err) < 0) {
		kf_ui_error(app, &err);
		return KF_UI_REDRAW;
	}
	/* a face in doubt between it and another client may be the other's now */
	if (kf_match_gallery_refresh(app->store, s->gid, NULL, NULL, NULL, &err) < 0) {
		kf_err_context(&err, "removed client '%s', but re-matching failed", s->enroll_name);
		kf_ui_error(app, &err);
		return KF_UI_RELOAD;
	}
	kf_ui_message(app, 0, "removed client '%s': %lld enrolled faces, %lld matches",
		      s->enroll_name, (long long)r.faces, (long long)r.matches);
	return KF_UI_RELOAD;
}

/* Enroll with the gallery's remote engine (Rekognition indexes the face; no
 * re-match: its results come from processing the photos again). */
static unsigned enroll_remote(struct kf_ui_app *app, struct gallery *s, struct kf_face_ref *r,
			      const char *what)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_match_engine me;
	int64_t id;
	int rc;

	kf_ui_busy(app, "Enrolling with the gallery's engine…");
	if ((rc = kf_engines_open(s->g.engine, NULL, &me, &err)) == KF_OK) {
		rc = kf_enroll_store(app->store, &me, s->gid, &s->ef, (size_t)s->enroll_pick,
				     s->enroll_path, r, &id, &err);
		kf_match_engine_close(&me);
	}
	if (rc < 0) {
		kf_ui_error(app, &err);
		return KF_UI_REDRAW;
	}
	kf_ui_message(app, 0, "enrolled %s for '%s' with %s (reference %lld); p processes the "
		      "gallery to match it", what, s->enroll_name, s->g.engine, (long long)id);
	return KF_UI_RELOAD;
}

static unsigned enroll_commit(struct kf_ui_app *app, struct kf_ui_view *v, const char *a)
{
	struct gallery *s = (struct gallery *)v;
	struct kf_face_ref r;
	char abs_path[PATH_MAX], what[256];
	unsigned rc;

	(void)a;
	memset(&r, 0, sizeof(r));
	if (!realpath(s->enroll_path, abs_path))
		snprintf(abs_path, sizeof(abs_path), "%s", s->enroll_path);
	kf_enroll_ref(&s->ef, (size_t)s->enroll_pick, abs_path, &r);
	r.client_id = s->enroll_client;
	snprintf(what, sizeof(what), "face %d of '%.200s'", s->enroll_pick, s->enroll_path);
	if (s->have_g && s->g.engine && strcmp(s->g.engine, "local") != 0)
		rc = enroll_remote(app, s, &r, what);
	else
		rc = kf_ui_enroll_commit(app, s->gid, &r, s->enroll_name, what);
	kf_enroll_file_release(&s->ef);
	return rc;
}

static unsigned enroll_pick(struct kf_ui_app *app, struct kf_ui_view *v, const char *text)
{
	struct gallery *s = (struct gallery *)v;
	char *end, why[200];
	long k = strtol(text, &end, 10);

	if (!*text || *end || k < 0 || k >= (long)s->ef.n) {
		kf_ui_message(app, 1, "'%s' is not a face number from 0 to %zu", text, s->ef.n - 1);
		kf_enroll_file_release(&s->ef);
		return KF_UI_REDRAW;
	}
	s->enroll_pick = (int)k;
	if (kf_enroll_check(&s->ef.faces[k], why, sizeof(why))) {
		kf_ui_confirm(app, enroll_commit, "the face is %s: enroll it anyway?", why);
		return KF_UI_REDRAW;
	}
	return enroll_commit(app, v, "y");
}

static unsigned enroll_path(struct kf_ui_app *app, struct kf_ui_view *v, const char *text)
{
	struct gallery *s = (struct gallery *)v;
	struct kf_photo_match_opts mo;
	struct kf_err err = KF_ERR_INIT;
	struct kf_engine *e;
	char label[200];

	if (!*text)
		return KF_UI_NONE;
	if (kf_paths_expand_home(text, s->enroll_path, sizeof(s->enroll_path), &err) < 0 ||
	    kf_photo_match_opts_load(app->store, &mo, &err) < 0) {
		kf_ui_error(app, &err);
		return KF_UI_REDRAW;
	}
	if (!(e = kf_ui_engine(app)))
		return KF_UI_REDRAW;
	if (s->have_g && kf_detector_parse(s->g.detector) >= 0)	/* the gallery's */
		mo.detect.detector = (enum kf_detector_kind)kf_detector_parse(s->g.detector);
	kf_ui_busy(app, "Finding the faces…");
	kf_enroll_file_release(&s->ef);
	if (kf_enroll_detect(e, &mo.detect, s->enroll_path, &s->ef, &err) < 0) {
		kf_ui_error(app, &err);
		return KF_UI_REDRAW;
	}
	app->msg[0] = '\0';
	if (s->ef.n == 0) {
		kf_ui_message(app, 1, "no face found in '%s'", text);
		return KF_UI_REDRAW;
	}
	if (s->ef.n == 1)
		return enroll_pick(app, v, "0");
	snprintf(label, sizeof(label), "%zu faces in the photo (0 = highest score, 0-%zu): which? ",
		 s->ef.n, s->ef.n - 1);
	kf_ui_prompt(app, label, "0", NULL, enroll_pick);
	return KF_UI_REDRAW;
}

/* The folder typed: export the client's photos (every client's) there. */
static unsigned export_answer(struct kf_ui_app *app, struct kf_ui_view *v, const char *text)
{
	struct gallery *s = (struct gallery *)v;
	struct kf_export_opts o;
	struct kf_export_stats st;
	struct kf_err err = KF_ERR_INIT;
	char kept[96] = "", who[300];

	if (!*text)
		return KF_UI_NONE;
	if (kf_paths_expand_home(text, s->export_dir, sizeof(s->export_dir), &err) < 0) {
		kf_ui_error(app, &err);
		return KF_UI_REDRAW;
	}
	memset(&o, 0, sizeof(o));
	o.dir = s->export_dir;
	o.client_id = s->export_client;
	kf_ui_busy(app, "Exporting…");
	if (kf_export(app->store, s->gid, &o, &st, &err) < 0) {
		kf_ui_error(app, &err);
		return KF_UI_REDRAW;
	}
	if (st.kept)	/* files that are not the photo hold some names: say so */
		snprintf(kept, sizeof(kept), ", %zu %s: left as they are", st.kept,
			 kf_export_kept_words(st.kept));
	if (s->export_client)
		snprintf(who, sizeof(who), "'%s'", s->export_name);
	else
		snprintf(who, sizeof(who), "%zu client%s", st.clients, st.clients == 1 ? "" : "s");
	kf_ui_message(app, st.kept > 0, "exported %zu photo%s of %s (%zu already there%s) to %s; "
		      "manifest %s/manifest.csv", st.photos, st.photos == 1 ? "" : "s", who,
		      st.existing - st.kept, kept, s->export_dir, s->export_dir);
	return KF_UI_REDRAW;
}

static unsigned export_ask(struct gallery *s, struct kf_ui_app *app, const struct kf_client *c)
{
	char label[200];

	s->export_client = c ? c->id : 0;
	snprintf(s->export_name, sizeof(s->export_name), "%s", c ? c->name : "");
	if (c)
		snprintf(label, sizeof(label), "Export the photos of '%.60s' to folder: ", c->name);
	else
		snprintf(label, sizeof(label), "Export every client's photos to folder: ");
	kf_ui_prompt(app, label, s->export_dir, kf_ui_complete_path, export_answer);
	return KF_UI_REDRAW;
}

static unsigned open_selected(struct gallery *s, struct kf_ui_app *app)
{
	struct kf_ui_list *l = s->v.list;

	if (s->tab != T_PEOPLE && l->n == 0)
		return KF_UI_NONE;
	switch (s->tab) {
	case T_CLIENTS: {
		const struct kf_client *c = &s->clients[s->cidx[l->sel]];
		kf_ui_push(app, kf_ui_client_photos_new(s->gid, c->id, c->name));
		break;
	}
	case T_PHOTOS: {
		int64_t k = l->sel - s->poff;

		if (k >= 0 && k < (int64_t)s->nphotos)
			kf_ui_push(app, kf_ui_detail_new(s->gid, s->photos[k].id, -1));
		break;
	}
	case T_RECOGNITION: {
		const struct kf_recognition_row *r = &s->rec[s->ridx[l->sel]];
		kf_ui_push(app, kf_ui_client_photos_new(s->gid, r->client_id, r->name));
		break;
	}
	case T_JOBS:
		kf_ui_push(app, kf_ui_detail_new(s->gid, job_at(s, s->jidx[l->sel])->photo_id, -1));
		break;
	case T_PEOPLE:
		return kf_ui_people_open(s->people, app);
	default:
		break;
	}
	return KF_UI_REDRAW;
}

static unsigned on_key(struct kf_ui_view *v, struct kf_ui_app *app, int cmd)
{
	struct gallery *s = (struct gallery *)v;
	struct kf_ui_list *l = s->v.list;
	const struct kf_client *c = s->tab == T_CLIENTS && l->n ? &s->clients[s->cidx[l->sel]] : NULL;
	struct kf_err err = KF_ERR_INIT;
	char label[200];
	int64_t n;

	switch (cmd) {
	case KF_UI_CMD_FILTER:
		if (s->tab == T_PHOTOS)
			s->photos_stale = 1;
		else if (s->tab == T_PEOPLE)
			kf_ui_people_refilter(s->people);
		else
			refilter(s);
		return KF_UI_REDRAW;
	case CMD_NEXT:
		set_tab(s, (int)s->tab + 1);
		return KF_UI_REDRAW;
	case CMD_PREV:
		set_tab(s, (int)s->tab - 1);
		return KF_UI_REDRAW;
	case CMD_TAB1: case CMD_TAB2: case CMD_TAB3: case CMD_TAB4: case CMD_TAB5:
		set_tab(s, cmd - CMD_TAB1);
		return KF_UI_REDRAW;
	case CMD_OPEN:
		return open_selected(s, app);
	case CMD_PROCESS:
		return kf_ui_process(app, s->gid);
	case CMD_ADD:
		kf_ui_prompt(app, "New client's name: ", "", NULL, add_answer);
		return KF_UI_REDRAW;
	case CMD_IMPORT:
		kf_ui_prompt(app, "Import the reference photos of folder: ", "", kf_ui_complete_path,
			     import_answer);
		return KF_UI_REDRAW;
	case CMD_REFS:
		if (c)
			kf_ui_push(app, kf_ui_refs_new(s->gid, c->id, c->name));
		return KF_UI_REDRAW;
	case CMD_RENAME:
		if (!c)
			return KF_UI_NONE;
		s->enroll_client = c->id;
		snprintf(s->enroll_name, sizeof(s->enroll_name), "%s", c->name);
		kf_ui_prompt(app, "Rename the client to: ", c->name, NULL, rename_answer);
		return KF_UI_REDRAW;
	case CMD_REMOVE:
		if (!c)
			return KF_UI_NONE;
		s->enroll_client = c->id;
		snprintf(s->enroll_name, sizeof(s->enroll_name), "%s", c->name);
		kf_ui_confirm(app, remove_answer, "Remove client '%s' with its %lld enrolled face%s "
			      "(biometric data) and its matches?", c->name, (long long)c->faces,
			      c->faces == 1 ? "" : "s");
		return KF_UI_REDRAW;
	case CMD_ENROLL:
		if (!c) {
			kf_ui_message(app, 1, "no client selected: a adds one");
			return KF_UI_REDRAW;
		}
		s->enroll_client = c->id;
		snprintf(s->enroll_name, sizeof(s->enroll_name), "%s", c->name);
		snprintf(label, sizeof(label), "Enroll '%.60s' from photo file: ", c->name);
		kf_ui_prompt(app, label, "", kf_ui_complete_path, enroll_path);
		return KF_UI_REDRAW;
	case CMD_EXPORT:
		if (!c) {
			kf_ui_message(app, 1, "no client selected");
			return KF_UI_REDRAW;
		}
		return export_ask(s, app, c);
	case CMD_EXPORT_ALL:
		return export_ask(s, app, NULL);
	case CMD_PEOPLE_ASSIGN:
		return kf_ui_people_assign(s->people, app);
	case CMD_REQUEUE:
		if (kf_queue_requeue(app->store, s->gid, KF_REQUEUE_ALL, &n, &err) < 0) {
			kf_ui_error(app, &err);
			return KF_UI_REDRAW;
		}
		kf_ui_message(app, 0, "%lld job(s) back to pending: p processes them", (long long)n);
		return KF_UI_RELOAD;
	}
	if (v->last_key == KEY_ENTER || v->last_key == '\n')
		return open_selected(s, app);
	return KF_UI_NONE;
}

static void gfree(struct kf_ui_view *v)
{
	struct gallery *s = (struct gallery *)v;

	if (s->have_g)
		kf_store_gallery_release(&s->g);
	kf_store_client_list_free(s->clients, s->nclients);
	kf_store_photo_list_free(s->photos, s->nphotos);
	kf_store_recognition_free(s->rec, s->nrec);
	kf_queue_list_free(s->jf, s->njf);
	kf_queue_list_free(s->jd, s->njd);
	kf_enroll_file_release(&s->ef);
	kf_ui_people_destroy(s->people);
	free(s->cidx);
	free(s->ridx);
	free(s->jidx);
	free(s);
}

/* The People tab's clusters, put off while work went on elsewhere, are due. */
static unsigned on_tick(struct kf_ui_view *v, struct kf_ui_app *app)
{
	struct gallery *s = (struct gallery *)v;

	(void)app;
	return s->tab == T_PEOPLE && kf_ui_people_due(s->people) ? KF_UI_REDRAW : KF_UI_NONE;
}

static const struct kf_ui_screen gallery_screen = {
	.name = "Gallery",
	.keys = keys,
	.draw = draw,
	.on_key = on_key,
	.on_tick = on_tick,
	.reload = reload,
	.free = gfree,
};

struct kf_ui_view *kf_ui_gallery_new(int64_t gallery_id, const char *name)
{
	struct gallery *s = calloc(1, sizeof(*s));

	if (!s || !(s->people = kf_ui_people_create(gallery_id))) {
		free(s);
		return NULL;
	}
	s->v.screen = &gallery_screen;
	s->v.gallery_id = s->gid = gallery_id;
	snprintf(s->name, sizeof(s->name), "%s", name);
	set_tab(s, T_CLIENTS);
	return &s->v;
}

struct kf_ui_people *kf_ui_gallery_people(struct kf_ui_view *v)
{
	assert(v->screen == &gallery_screen);
	return ((struct gallery *)v)->people;
}
