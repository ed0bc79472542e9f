/* kf_ui_people.c: the People tab of a gallery and the cluster screen
 * (kf_ui_people.h).
 *
 * The tab lists the clusters of two or more unknown faces
 * (kf_store_people_clusters, as `kingface people`), largest first, with the
 * representative face of the selected one cut from its photo beside the
 * list. Enter opens a cluster: its faces (photo key, face index, confidence)
 * with the selected face's crop; Enter there opens the face detail, x takes
 * the face out of the cluster (and puts it back). a, on either, names the
 * cluster as a client picked or typed at a prompt (a new name is added after
 * a y): kf_people_assign confirms its faces but those taken out, makes its
 * largest faces references and re-matches the gallery, in one transaction.
 *
 * Clustering runs on the UI thread when the tab is drawn after a reload: at
 * once after a key; after work done elsewhere (photos processed here or by
 * another process, which may write every second) when PEOPLE_BUSY_MS and ten
 * times the last clustering's time have passed (clustering 20,000 faces takes
 * about a second, and the console waits for it); the screen's tick asks for
 * it then (kf_ui_people_due), even when nothing else changes. Before an
 * assignment the clusters are read again and the cluster must hold the faces
 * shown, else nothing is assigned (cluster ids are ranks: they move when the
 * faces change). A crop is made when the selection moves to another face:
 * its photo decoded at full resolution once, cut with a margin, and its art
 * kept until the room or the colours change.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "data/photo_match.h"
#include "data/review.h"
#include "data/settings.h"
#include "data/store_client.h"
#include "data/store_gallery.h"
#include "data/store_people.h"
#include "data/store_photo.h"
#include "ui/kf_ui_image.h"
#include "ui/kf_ui_list.h"
#include "ui/kf_ui_people.h"

#define PEOPLE_MIN_FACES 2	/* clusters listed: as `kingface people` */
#define PEOPLE_BUSY_MS 5000	/* clustering again at most this often for work elsewhere */

/* A face taken out of a cluster (x) for its assignment. */
struct skip {
	int cluster;
	int64_t face_id;	/* photo_faces id */
};

/* One face cut from its photo, and its art. */
struct face_crop {
	int64_t face_id;	/* 0: none made yet */
	struct kf_image img;
	char note[256];		/* why there is no image */
	struct kf_ui_art_cache art;
};

struct kf_ui_people {
	int64_t gid;
	struct kf_people pp;
	int loaded;
	int stale;		/* a key changed the faces: cluster again at once */
	int behind;		/* work elsewhere did: again when due() */
	int64_t loaded_ms, cost_ms;	/* when the last clustering began, its time */
	char note[300];		/* why there are no clusters to show, "" */
	int local;		/* the gallery has the local engine's descriptors */
	size_t *idx;		/* listed clusters (index into pp.clusters) */
	struct kf_ui_list list;
	struct skip *skips;
	size_t nskips;
	struct face_crop crop;	/* the selected cluster's representative */
	/* an assignment waiting for its prompt's answer */
	int assign_cluster;
	int64_t *assign_faces;
	size_t nassign;
	char assign_name[KF_NAME_MAX + 1];
	int assign_back;	/* asked on the cluster screen: back to the tab after */
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the clusters ---- */

static const struct kf_people_cluster *cluster_by_id(const struct kf_ui_people *pe, int id)
{
	if (!pe->loaded || id < 1 || (size_t)id > pe->pp.nclusters)
		return NULL;
	return &pe->pp.clusters[id - 1];
}

static const struct kf_people_face *face_at(const struct kf_ui_people *pe,
					    const struct kf_people_cluster *c, size_t k)
{
	return &pe->pp.faces.faces[c->faces[k]];
}

static int skipped(const struct kf_ui_people *pe, int cluster, int64_t face_id)
{
	for (size_t i = 0; i < pe->nskips; i++)
		if (pe->skips[i].cluster == cluster && pe->skips[i].face_id == face_id)
			return 1;
	return 0;
}

static size_t nskipped(const struct kf_ui_people *pe, int cluster)
{
	size_t n = 0;

	for (size_t i = 0; i < pe->nskips; i++)
		n += pe->skips[i].cluster == cluster;
	return n;
}

/* x: take the face out of the cluster, or put it back. 1: out now. */
static int skip_toggle(struct kf_ui_people *pe, int cluster, int64_t face_id)
{
	struct skip *s;

	for (size_t i = 0; i < pe->nskips; i++) {
		if (pe->skips[i].cluster == cluster && pe->skips[i].face_id == face_id) {
			pe->skips[i] = pe->skips[--pe->nskips];
			return 0;
		}
	}
	if (!(s = realloc(pe->skips, (pe->nskips + 1) * sizeof(*s))))
		return -1;
	pe->skips = s;
	pe->skips[pe->nskips].cluster = cluster;
	pe->skips[pe->nskips++].face_id = face_id;
	return 1;
}

static int cluster_has(const struct kf_ui_people *pe, const struct kf_people_cluster *c,
		       int64_t face_id)
{
	for (size_t k = 0; c && k < c->nfaces; k++)
		if (face_at(pe, c, k)->id == face_id)
			return 1;
	return 0;
}

void kf_ui_people_refilter(struct kf_ui_people *pe)
{
	struct kf_ui_list *l = &pe->list;
	size_t k = 0;

	for (size_t i = 0; pe->idx && i < pe->pp.nclusters; i++) {
		const struct kf_people_cluster *c = &pe->pp.clusters[i];
		int hit = !l->filter[0];

		if (c->nfaces < PEOPLE_MIN_FACES)
			continue;
		for (size_t p = 0; !hit && p < c->nphotos; p++)
			hit = kf_ui_list_match(l, c->photos[p]);
		if (hit)
			pe->idx[k++] = i;
	}
	l->n = (int64_t)k;
	kf_ui_list_clamp(l, l->height);
}

/* Cluster the gallery's unknown faces again. */
static void people_load(struct kf_ui_people *pe, struct kf_ui_app *app)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_gallery g;
	size_t k;

	kf_store_people_release(&pe->pp);
	memset(&pe->pp, 0, sizeof(pe->pp));
	pe->loaded = 0;
	pe->stale = pe->behind = 0;
	pe->loaded_ms = now_ms();
	pe->note[0] = '\0';
	pe->local = 0;
	free(pe->idx);
	pe->idx = NULL;
	pe->list.n = 0;
	if (kf_store_gallery_get(app->store, pe->gid, &g, &err) < 0) {
		snprintf(pe->note, sizeof(pe->note), "%s", err.msg);
		return;
	}
	pe->local = !g.engine || !g.engine[0] || !strcmp(g.engine, KF_MATCH_ENGINE_LOCAL);
	if (!pe->local)
		snprintf(pe->note, sizeof(pe->note), "this gallery uses the %s engine, which keeps no "
			 "face descriptors: people needs the local engine's", g.engine);
	kf_store_gallery_release(&g);
	if (!pe->local)
		return;
	if (kf_store_people_clusters(app->store, pe->gid, NULL, &pe->pp, &err) < 0) {
		kf_store_people_release(&pe->pp);
		memset(&pe->pp, 0, sizeof(pe->pp));
		snprintf(pe->note, sizeof(pe->note), "%s", err.msg);
		kf_ui_error(app, &err);
		return;
	}
	pe->loaded = 1;
	pe->cost_ms = now_ms() - pe->loaded_ms;
	if (!(pe->idx = calloc(pe->pp.nclusters + 1, sizeof(*pe->idx)))) {
		kf_ui_message(app, 1, "out of memory");
		return;
	}
	/* a face taken out stays out while it is unknown and in a cluster listed,
	 * under that cluster's id now (ids are ranks: they move) */
	k = 0;
	for (size_t i = 0; i < pe->nskips; i++) {
		const struct kf_people_cluster *c = NULL;

		for (size_t f = 0; !c && f < pe->pp.faces.n; f++)
			if (pe->pp.faces.faces[f].id == pe->skips[i].face_id)
				c = cluster_by_id(pe, (int)pe->pp.label[f] + 1);
		if (c && c->nfaces >= PEOPLE_MIN_FACES) {
			pe->skips[k] = pe->skips[i];
			pe->skips[k++].cluster = c->id;
		}
	}
	pe->nskips = k;
	kf_ui_people_refilter(pe);
}

/* May work elsewhere make the clusters again? */
static int due(const struct kf_ui_people *pe)
{
	int64_t wait = 10 * pe->cost_ms > PEOPLE_BUSY_MS ? 10 * pe->cost_ms : PEOPLE_BUSY_MS;

	return now_ms() - pe->loaded_ms >= wait;
}

/* To load: stale, or behind and due (a failed load waits for either). */
static int needs_load(const struct kf_ui_people *pe)
{
	return pe->stale || (pe->behind && due(pe));
}

static void people_fresh(struct kf_ui_people *pe, struct kf_ui_app *app)
{
	if (needs_load(pe))
		people_load(pe, app);
}

struct kf_ui_people *kf_ui_people_create(int64_t gallery_id)
{
	struct kf_ui_people *pe = calloc(1, sizeof(*pe));

	if (!pe)
		return NULL;
	pe->gid = gallery_id;
	pe->stale = 1;
	return pe;
}

static void crop_release(struct face_crop *c)
{
	kf_image_release(&c->img);
	kf_ui_art_cache_release(&c->art);
	c->face_id = 0;
	c->note[0] = '\0';
}

void kf_ui_people_destroy(struct kf_ui_people *pe)
{
	if (!pe)
		return;
	kf_store_people_release(&pe->pp);
	crop_release(&pe->crop);
	free(pe->idx);
	free(pe->skips);
	free(pe->assign_faces);
	free(pe);
}

void kf_ui_people_shown(struct kf_ui_people *pe)
{
	pe->stale |= pe->behind;
}

int kf_ui_people_due(const struct kf_ui_people *pe)
{
	return pe->behind && due(pe);
}

void kf_ui_people_stale(struct kf_ui_people *pe, const struct kf_ui_app *app)
{
	if (pe && app->background)
		pe->behind = 1;
	else if (pe)
		pe->stale = 1;
}

struct kf_ui_list *kf_ui_people_list(struct kf_ui_people *pe)
{
	return &pe->list;
}

static const struct kf_people_cluster *selected(const struct kf_ui_people *pe)
{
	if (!pe->loaded || !pe->idx || pe->list.n == 0 || pe->list.sel < 0 ||
	    pe->list.sel >= pe->list.n)
		return NULL;
	return &pe->pp.clusters[pe->idx[pe->list.sel]];
}

/* ---- face crops ---- */

/* Cut face f out of its photo, decoded at full resolution, unless c holds it. */
static void crop_load(struct face_crop *c, struct kf_ui_app *app, int64_t gid,
		      const struct kf_people_face *f)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_image full = { 0 };
	struct kf_photo p;
	char ref[32];

	if (c->face_id == f->id)
		return;
	crop_release(c);
	c->face_id = f->id;
	snprintf(ref, sizeof(ref), "%lld", (long long)f->photo_id);
	if (kf_store_photo_find(app->store, gid, ref, &p, &err) < 0) {
		snprintf(c->note, sizeof(c->note), "%s", err.msg);
		return;
	}
	if (!p.path || p.missing)
		snprintf(c->note, sizeof(c->note), "the photo file is missing");
	else if (kf_image_load(p.path, 0, &full, NULL, &err) < 0 ||
		 kf_ui_face_cut(&full, f->box_left, f->box_top, f->box_width, f->box_height,
				&c->img, &err) < 0)
		snprintf(c->note, sizeof(c->note), "%s", err.msg);
	kf_image_release(&full);
	kf_store_photo_release(&p);
}

/* Face f's crop at (y, x) in at most cw x ch cells, with a caption above. */
static void crop_draw(struct face_crop *c, struct kf_ui_app *app, WINDOW *w, int y, int x, int cw,
		      int ch, const struct kf_people_face *f)
{
	const struct kf_ui_art *a;

	kf_ui_attr(app, w, KF_UI_S_HEAD);
	kf_ui_putf(w, y, x, cw, "%s, face %d", f->key, f->face_index);
	wattrset(w, A_NORMAL);
	if (cw < 4 || ch < 2)
		return;
	a = kf_ui_art_cache_get(&c->art, &c->img, c->face_id, cw, ch, kf_ui_color_mode(app),
				app->utf8);
	if (a) {
		kf_ui_art_draw(w, y + 1, x, a);
	} else {
		kf_ui_attr(app, w, KF_UI_S_DIM);
		kf_ui_put(w, y + 1, x, cw, c->note[0] ? c->note : "no picture");
		wattrset(w, A_NORMAL);
	}
}

/* The room of the crop beside a list of width columns: *cw x *ch cells at
 * column *x; 0 when there is none. */
static int crop_room(int width, int h, int *x, int *cw, int *ch)
{
	int panel = width / 3;

	if (panel > 48)
		panel = 48;
	*cw = panel - 2;
	*ch = *cw / 2;
	if (*ch > h - 2)
		*ch = h - 2;
	*x = width - panel + 1;
	return *cw >= 8 && *ch >= 3;
}

/* ---- the tab ---- */

static void cluster_row(void *ctx, struct kf_ui_app *app, WINDOW *w, int y, int x, int width,
			int64_t i, int sel)
{
	struct kf_ui_people *pe = ctx;
	const struct kf_people_cluster *c = &pe->pp.clusters[pe->idx[i]];
	const struct kf_people_face *r = &pe->pp.faces.faces[c->rep];
	size_t out = nskipped(pe, c->id);
	char extra[32] = "";

	(void)app, (void)sel;
	if (out)
		snprintf(extra, sizeof(extra), "  (%zu out)", out);
	kf_ui_putf(w, y, x, width, " %3d  %3zu faces in %3zu photos  %s, face %d%s", c->id,
		   c->nfaces, c->nphotos, r->key, r->face_index, extra);
}

void kf_ui_people_draw(struct kf_ui_people *pe, struct kf_ui_app *app, WINDOW *w, int y, int h,
		       int width)
{
	const struct kf_people_cluster *c;
	size_t single = 0;
	int cx, cw, ch, lw = width;

	if (needs_load(pe)) {
		/* on the terminal while it clusters: 20,000 faces take about a second */
		kf_ui_attr(app, w, KF_UI_S_DIM);
		kf_ui_put(w, y + 1, 1, width - 1, "Grouping the unknown faces…");
		wattrset(w, A_NORMAL);
		wrefresh(w);
	}
	people_fresh(pe, app);
	if (!pe->loaded) {
		kf_ui_attr(app, w, pe->local ? KF_UI_S_BAD : KF_UI_S_DIM);
		kf_ui_put(w, y + 1, 1, width - 1, pe->note[0] ? pe->note : "no clusters");
		wattrset(w, A_NORMAL);
		return;
	}
	for (size_t i = 0; i < pe->pp.nclusters; i++)
		single += pe->pp.clusters[i].nfaces < PEOPLE_MIN_FACES ? pe->pp.clusters[i].nfaces : 0;
	if (crop_room(width, h, &cx, &cw, &ch))
		lw = cx - 1;
	kf_ui_attr(app, w, KF_UI_S_HEAD);
	kf_ui_putf(w, y, 0, lw, " %3s  %s", "ID", "CLUSTER · REPRESENTATIVE FACE");
	wattrset(w, A_NORMAL);
	kf_ui_list_draw(&pe->list, app, w, y + 1, 0, h - 1, lw, cluster_row, pe,
			pe->pp.faces.n ? "no cluster of 2 or more unknown faces"
				       : "no unknown faces: every face found matches a client (or "
					 "nothing is processed yet: p)");
	if (lw == width || !(c = selected(pe))) {
		kf_ui_attr(app, w, KF_UI_S_DIM);
		if (pe->pp.faces.n)
			kf_ui_putf(w, y, lw + 1, width - lw - 1, " %zu unclustered", single);
		wattrset(w, A_NORMAL);
		return;
	}
	crop_load(&pe->crop, app, pe->gid, &pe->pp.faces.faces[c->rep]);
	crop_draw(&pe->crop, app, w, y, cx, cw, ch, &pe->pp.faces.faces[c->rep]);
	kf_ui_attr(app, w, KF_UI_S_DIM);
	kf_ui_putf(w, y + ch + 2, cx, cw, "%zu unclustered faces", single);
	wattrset(w, A_NORMAL);
}

/* ---- assigning a cluster to a client ---- */

static struct kf_ui_people *people_of(struct kf_ui_view *v);

/* Name the cluster asked for as client_id, if it still holds the faces shown. */
static unsigned assign_commit(struct kf_ui_people *pe, struct kf_ui_app *app, int64_t client_id,
			      const char *name)
{
	struct kf_err err = KF_ERR_INIT;
	const struct kf_people_cluster *c;
	int64_t *skip = NULL;
	size_t nskip = 0, confirmed = 0, refs = 0;
	int same, cluster = pe->assign_cluster;
	double t;

	kf_ui_busy(app, "Assigning the cluster…");
	app->msg[0] = '\0';
	people_load(pe, app);
	if (!pe->loaded)	/* its error is on the status line */
		return KF_UI_REDRAW;
	c = cluster_by_id(pe, cluster);
	same = c && c->nfaces == pe->nassign;
	for (size_t k = 0; same && k < c->nfaces; k++)
		same = face_at(pe, c, k)->id == pe->assign_faces[k];
	if (!same) {
		kf_ui_message(app, 1, "the clusters changed meanwhile (processing, a review): "
			      "cluster %d not assigned, look at it again", cluster);
		return KF_UI_RELOAD;
	}
	if (pe->nskips && !(skip = calloc(pe->nskips, sizeof(*skip)))) {
		kf_ui_message(app, 1, "out of memory");
		return KF_UI_REDRAW;
	}
	for (size_t i = 0; i < pe->nskips; i++)
		if (pe->skips[i].cluster == cluster)
			skip[nskip++] = pe->skips[i].face_id;
	if (kf_settings_get(app->store, "threshold", &t, &err) < 0 ||
	    kf_people_assign(app->store, pe->gid, cluster, client_id, (float)t, skip, nskip,
			     &confirmed, &refs, &err) < 0) {
		kf_err_context(&err, "cluster %d not assigned", cluster);
		kf_ui_error(app, &err);
		free(skip);
		pe->stale = 1;
		return KF_UI_RELOAD;
	}
	free(skip);
	pe->nskips = 0;		/* the ids of the clusters change now */
	pe->stale = 1;
	kf_ui_message(app, 0, "cluster %d is %s: %zu face%s confirmed, %zu added as reference%s",
		      cluster, name, confirmed, confirmed == 1 ? "" : "s", refs, refs == 1 ? "" : "s");
	return pe->assign_back ? KF_UI_BACK : KF_UI_RELOAD;
}

static unsigned assign_add(struct kf_ui_app *app, struct kf_ui_view *v, const char *a)
{
	struct kf_ui_people *pe = people_of(v);
	struct kf_err err = KF_ERR_INIT;
	int64_t id;

	(void)a;
	if (kf_store_client_add(app->store, pe->gid, pe->assign_name, NULL, &id, &err) < 0) {
		kf_ui_error(app, &err);
		return KF_UI_REDRAW;
	}
	return assign_commit(pe, app, id, pe->assign_name);
}

/* The name typed: a client of the gallery (in other letters too:
 * kf_store_client_named), or a new one after a y. */
static unsigned assign_answer(struct kf_ui_app *app, struct kf_ui_view *v, const char *name)
{
	struct kf_ui_people *pe = people_of(v);
	int64_t id;
	int rc;

	if (!*name)
		return KF_UI_NONE;
	rc = kf_ui_client_typed(app, pe->gid, name, pe->assign_name, sizeof(pe->assign_name), &id);
	if (rc == KF_OK)
		return assign_commit(pe, app, id, pe->assign_name);
	if (rc == KF_E_NOTFOUND)
		kf_ui_confirm(app, assign_add, "add client '%s'?", pe->assign_name);
	return KF_UI_REDRAW;
}

/* a: ask who cluster c is; back: asked on the cluster screen. */
static unsigned assign_ask(struct kf_ui_people *pe, struct kf_ui_app *app,
			   const struct kf_people_cluster *c, int back)
{
	char label[200];
	size_t out;

	if (!pe->local) {
		kf_ui_message(app, 1, "%s", pe->note);
		return KF_UI_REDRAW;
	}
	if (!c) {
		kf_ui_message(app, 1, "no cluster selected");
		return KF_UI_REDRAW;
	}
	free(pe->assign_faces);
	pe->nassign = 0;
	if (!(pe->assign_faces = calloc(c->nfaces + 1, sizeof(*pe->assign_faces)))) {
		kf_ui_message(app, 1, "out of memory");
		return KF_UI_REDRAW;
	}
	for (size_t k = 0; k < c->nfaces; k++)
		pe->assign_faces[pe->nassign++] = face_at(pe, c, k)->id;
	pe->assign_cluster = c->id;
	pe->assign_back = back;
	out = nskipped(pe, c->id);
	if (out)
		snprintf(label, sizeof(label), "Cluster %d (%zu faces, %zu out) is client (Tab "
			 "completes; a new name adds one): ", c->id, c->nfaces - out, out);
	else
		snprintf(label, sizeof(label), "Cluster %d (%zu faces) is client (Tab completes; a "
			 "new name adds one): ", c->id, c->nfaces);
	kf_ui_prompt(app, label, "", kf_ui_complete_client, assign_answer);
	return KF_UI_REDRAW;
}

unsigned kf_ui_people_assign(struct kf_ui_people *pe, struct kf_ui_app *app)
{
	people_fresh(pe, app);
	return assign_ask(pe, app, selected(pe), 0);
}

/* ---- the cluster screen: its faces ---- */

enum { CMD_OPEN = 1, CMD_OUT, CMD_ASSIGN, CMD_PROCESS };

static const struct kf_ui_binding cluster_keys[] = {
	{ '\r', "Enter", "detail", "face detail of the photo, that face selected", CMD_OPEN, 0, 0 },
	{ 'x', "x", "out/in", "take the face out of the cluster; again: back in", CMD_OUT, 0, 0 },
	{ 'a', "a", "assign", "assign the cluster but the faces out to a client", CMD_ASSIGN,
	  KF_UI_WRITES, 0 },
	{ 'p', "p", NULL, "process the gallery's photos in the background", CMD_PROCESS,
	  KF_UI_WRITES, 0 },
	{ 0, NULL, NULL, NULL, 0, 0, 0 },
};

struct cluster_view {
	struct kf_ui_view v;
	struct kf_ui_people *pe;	/* the gallery's: it outlives this screen */
	int cluster;			/* its id now, 0: gone */
	int64_t *faces;			/* its faces' photo_faces ids when opened */
	size_t nfaces;
	size_t *idx;			/* listed faces (index into the cluster's) */
	struct kf_ui_list list;
	struct face_crop crop;
	int opening;			/* the clusters as the tab shows them */
};

static const struct kf_ui_screen cluster_screen;

static struct kf_ui_people *people_of(struct kf_ui_view *v)
{
	if (v->screen == &cluster_screen)
		return ((struct cluster_view *)v)->pe;
	return kf_ui_gallery_people(v);
}

static const struct kf_people_cluster *cv_cluster(struct cluster_view *s)
{
	return s->cluster ? cluster_by_id(s->pe, s->cluster) : NULL;
}

static void cv_title(struct cluster_view *s)
{
	const struct kf_people_cluster *c = cv_cluster(s);

	if (c)
		snprintf(s->v.title, sizeof(s->v.title), "People │ cluster %d: %zu faces in %zu "
			 "photos", c->id, c->nfaces, c->nphotos);
	else
		snprintf(s->v.title, sizeof(s->v.title), "People │ cluster gone");
}

static void cv_refilter(struct cluster_view *s)
{
	const struct kf_people_cluster *c = cv_cluster(s);
	size_t k = 0;

	for (size_t i = 0; c && s->idx && i < c->nfaces; i++)
		if (kf_ui_list_match(&s->list, face_at(s->pe, c, i)->key))
			s->idx[k++] = i;
	s->list.n = (int64_t)k;
	kf_ui_list_clamp(&s->list, s->list.height);
}

/* Find the cluster again after the clusters were read again: the one that
 * holds most of the faces it had (ids are ranks and may have moved). */
static void cv_relocate(struct cluster_view *s)
{
	const struct kf_people *pp = &s->pe->pp;
	size_t best = 0;
	int id = 0;

	for (size_t i = 0; s->pe->loaded && i < pp->nclusters; i++) {
		const struct kf_people_cluster *c = &pp->clusters[i];
		size_t n = 0;

		for (size_t k = 0; k < s->nfaces; k++)
			n += cluster_has(s->pe, c, s->faces[k]);
		if (n > best) {
			best = n;
			id = c->id;
		}
	}
	s->cluster = id;
	free(s->idx);
	s->idx = NULL;
	if (id) {
		const struct kf_people_cluster *c = cv_cluster(s);

		s->idx = calloc(c->nfaces + 1, sizeof(*s->idx));
	}
	cv_refilter(s);
	cv_title(s);
}

static void cv_reload(struct kf_ui_view *v, struct kf_ui_app *app)
{
	struct cluster_view *s = (struct cluster_view *)v;

	/* a review in the face detail may have changed the clusters */
	if (!s->opening) {
		kf_ui_people_stale(s->pe, app);
		people_fresh(s->pe, app);
	}
	s->opening = 0;
	cv_relocate(s);
}

static void face_row(void *ctx, struct kf_ui_app *app, WINDOW *w, int y, int x, int width,
		     int64_t i, int sel)
{
	struct cluster_view *s = ctx;
	const struct kf_people_cluster *c = cv_cluster(s);
	const struct kf_people_face *f;
	int kw = width - 24 < 10 ? 10 : width - 24, out;
	char cell[KF_UI_CELL_MAX];

	if (!c)
		return;
	f = face_at(s->pe, c, s->idx[i]);
	out = skipped(s->pe, c->id, f->id);
	kf_ui_cell(f->key, kw, cell, sizeof(cell));
	kf_ui_putf(w, y, x, width, " %s %4d %6.1f  %s", cell, f->face_index,
		   (double)f->confidence, out ? "(out)" : "");
	if (out && !sel) {
		kf_ui_attr(app, w, KF_UI_S_DIM);
		wattron(w, A_DIM);
		kf_ui_putf(w, y, x, width, " %s %4d %6.1f  (out)", cell, f->face_index,
			   (double)f->confidence);
		wattrset(w, A_NORMAL);
	}
}

static const struct kf_people_face *cv_selected(struct cluster_view *s)
{
	const struct kf_people_cluster *c = cv_cluster(s);

	if (!c || !s->idx || s->list.n == 0 || s->list.sel < 0 || s->list.sel >= s->list.n)
		return NULL;
	return face_at(s->pe, c, s->idx[s->list.sel]);
}

static void cv_draw(struct kf_ui_view *v, struct kf_ui_app *app, WINDOW *w)
{
	struct cluster_view *s = (struct cluster_view *)v;
	const struct kf_people_cluster *c = cv_cluster(s);
	const struct kf_people_face *f;
	int y = 1, h = LINES - 3 - 2, width = COLS, lw = COLS, cx, cw, ch, kw;
	size_t out;

	if (!c) {
		kf_ui_attr(app, w, KF_UI_S_DIM);
		kf_ui_put(w, y, 1, COLS - 1, "this cluster is gone (assigned, or its faces matched "
			  "a client): q goes back");
		wattrset(w, A_NORMAL);
		return;
	}
	out = nskipped(s->pe, c->id);
	kf_ui_putf(w, y++, 1, COLS - 1, "%zu faces in %zu photos · %zu out · a assigns the rest "
		   "to a client", c->nfaces, c->nphotos, out);
	if (crop_room(width, h, &cx, &cw, &ch))
		lw = cx - 1;
	kw = lw - 24 < 10 ? 10 : lw - 24;
	kf_ui_attr(app, w, KF_UI_S_HEAD);
	kf_ui_putf(w, y, 0, lw, " %-*s %4s %6s", kw, "PHOTO", "FACE", "CONF");
	wattrset(w, A_NORMAL);
	kf_ui_list_draw(&s->list, app, w, y + 1, 0, h - 1, lw, face_row, s, "no faces");
	if (lw == width || !(f = cv_selected(s)))
		return;
	crop_load(&s->crop, app, s->pe->gid, f);
	crop_draw(&s->crop, app, w, y, cx, cw, ch, f);
	if (skipped(s->pe, c->id, f->id)) {
		kf_ui_attr(app, w, KF_UI_S_BAD);
		kf_ui_put(w, y + ch + 2, cx, cw, "out of the cluster (x puts it back)");
		wattrset(w, A_NORMAL);
	}
}

static unsigned cv_key(struct kf_ui_view *v, struct kf_ui_app *app, int cmd)
{
	struct cluster_view *s = (struct cluster_view *)v;
	const struct kf_people_face *f = cv_selected(s);
	int rc;

	switch (cmd) {
	case KF_UI_CMD_FILTER:
		cv_refilter(s);
		return KF_UI_REDRAW;
	case CMD_OPEN:
		break;
	case CMD_OUT:
		if (!f)
			return KF_UI_NONE;
		if ((rc = skip_toggle(s->pe, s->cluster, f->id)) < 0) {
			kf_ui_message(app, 1, "out of memory");
			return KF_UI_REDRAW;
		}
		kf_ui_message(app, 0, "%s, face %d %s", f->key, f->face_index,
			      rc ? "taken out of the cluster: a does not assign it" : "back in the cluster");
		if (s->list.sel + 1 < s->list.n)
			s->list.sel++;
		return KF_UI_REDRAW;
	case CMD_ASSIGN:
		return assign_ask(s->pe, app, cv_cluster(s), 1);
	case CMD_PROCESS:
		return kf_ui_process(app, s->pe->gid);
	default:
		if (v->last_key != KEY_ENTER && v->last_key != '\n')
			return KF_UI_NONE;
		break;
	}
	if (!f)
		return KF_UI_NONE;
	kf_ui_push(app, kf_ui_detail_new(s->pe->gid, f->photo_id, f->face_index));
	return KF_UI_REDRAW;
}

/* Work elsewhere waited for due(): read the clusters again now. */
static unsigned cv_tick(struct kf_ui_view *v, struct kf_ui_app *app)
{
	(void)app;
	return kf_ui_people_due(((struct cluster_view *)v)->pe) ? KF_UI_RELOAD : KF_UI_NONE;
}

static void cv_free(struct kf_ui_view *v)
{
	struct cluster_view *s = (struct cluster_view *)v;

	crop_release(&s->crop);
	free(s->faces);
	free(s->idx);
	free(s);
}

static const struct kf_ui_screen cluster_screen = {
	.name = "People: a cluster",
	.keys = cluster_keys,
	.draw = cv_draw,
	.on_key = cv_key,
	.on_tick = cv_tick,
	.reload = cv_reload,
	.free = cv_free,
};

unsigned kf_ui_people_open(struct kf_ui_people *pe, struct kf_ui_app *app)
{
	const struct kf_people_cluster *c = selected(pe);
	struct cluster_view *s;

	if (!c)
		return KF_UI_NONE;
	if (!(s = calloc(1, sizeof(*s))) || !(s->faces = calloc(c->nfaces + 1, sizeof(*s->faces)))) {
		free(s);
		kf_ui_message(app, 1, "out of memory");
		return KF_UI_REDRAW;
	}
	s->v.screen = &cluster_screen;
	s->v.gallery_id = pe->gid;
	s->v.list = &s->list;
	s->pe = pe;
	s->cluster = c->id;
	for (size_t k = 0; k < c->nfaces; k++)
		s->faces[s->nfaces++] = face_at(pe, c, k)->id;
	s->opening = 1;
	kf_ui_push(app, &s->v);
	return KF_UI_REDRAW;
}
