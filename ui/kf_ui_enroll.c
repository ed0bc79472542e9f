/* kf_ui_enroll.c: enrolling a reference face from the console, shared by the
 * Clients tab (a photo file) and the face detail (a stored face): store the
 * reference, then re-search the gallery's stored faces
 * (kf_match_gallery_refresh, no photo decoded) so every view shows the new
 * matches at once. A folder of clients' reference photos (the Clients tab's
 * i, as `kingface client import`). And the Tab completions of the prompts: a
 * path, a client's name. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "data/engines.h"
#include "data/enroll.h"
#include "data/paths.h"
#include "data/photo_match.h"
#include "data/store_client.h"
#include "data/store_face.h"
#include "data/store_gallery.h"
#include "ui/kf_ui_app.h"

unsigned kf_ui_enroll_commit(struct kf_ui_app *app, int64_t gallery_id, struct kf_face_ref *r,
			     const char *client, const char *what)
{
	struct kf_err err = KF_ERR_INIT;
	int64_t id, faces = 0, matches = 0;

	r->model = (char *)KF_ENGINE_MODEL;
	if (kf_store_face_add(app->store, r, &id, &err) < 0) {
		kf_ui_error(app, &err);
		return KF_UI_REDRAW;
	}
	if (kf_match_gallery_refresh(app->store, gallery_id, NULL, &faces, &matches, &err) < 0) {
		kf_err_context(&err, "enrolled %s for '%s', but re-matching failed", what, client);
		kf_ui_error(app, &err);
		return KF_UI_RELOAD;
	}
	kf_ui_message(app, 0, "enrolled %s for '%s' (reference %lld); re-matched %lld faces: "
		      "%lld matches", what, client, (long long)id, (long long)faces,
		      (long long)matches);
	return KF_UI_RELOAD;
}

#define IMPORT_WHY 512	/* the size of why an import's first failure failed */

/* The first photo of an import that failed, for the message. */
static void import_photo(void *ctx, const char *path, int64_t id, const struct kf_face_ref *r,
			 const struct kf_enroll_file *ef, const char *why)
{
	char *first = ctx;

	(void)path, (void)id, (void)r, (void)ef;
	if (why && !first[0])
		snprintf(first, IMPORT_WHY, "%s", why);
}

/* Has Esc been pressed? Other keys pressed meanwhile are dropped. */
static int esc_pressed(void)
{
	int ch, esc = 0;

	wtimeout(stdscr, 0);
	while ((ch = wgetch(stdscr)) != ERR)
		esc |= ch == KF_UI_ESC;
	wtimeout(stdscr, KF_UI_TICK_MS);
	return esc;
}

/* Enroll the groups of a folder (kf_enroll_groups) in the gallery, a group at
 * a time with its progress on the status line, until Esc, adding up into t;
 * first gets the first failure. Returns the groups done. */
static size_t import_groups(struct kf_ui_app *app, const struct kf_gallery *g,
			    struct kf_enroll_import *im, const struct kf_enroll_group *gr, size_t n,
			    struct kf_enroll_import_totals *t, char *first)
{
	size_t i;

	for (i = 0; i < n && !esc_pressed(); i++) {
		struct kf_enroll_import_result res;
		char busy[300];

		snprintf(busy, sizeof(busy), "Enrolling the reference photos of '%.200s' (%zu of "
			 "%zu; Esc stops)…", gr[i].client, i + 1, n);
		kf_ui_busy(app, busy);
		kf_enroll_import_group(app->store, g->id, im, &gr[i], &res);
		if (res.why[0] && !first[0])
			snprintf(first, IMPORT_WHY, "%s", res.why);
		kf_enroll_import_count(t, &res);
		kf_store_client_release(&res.client);
	}
	return i;
}

/* The groups of folder text (~ expanded into dir, PATH_MAX bytes), at least
 * one; else -1 with the error shown. */
static int list_groups(struct kf_ui_app *app, const char *text, char *dir,
		       struct kf_enroll_group **gr, size_t *n)
{
	struct kf_err err = KF_ERR_INIT;

	*gr = NULL;
	*n = 0;
	if (kf_paths_expand_home(text, dir, PATH_MAX, &err) < 0 ||
	    kf_enroll_groups(dir, gr, n, &err) < 0 ||
	    (*n == 0 && kf_err_set(&err, KF_E_NOTFOUND, "no reference photo in '%s': a photo "
				   "named after each client, or a folder of photos each", dir) < 0)) {
		kf_ui_error(app, &err);
		return -1;
	}
	return 0;
}

int kf_ui_import_question(struct kf_ui_app *app, int64_t gallery_id, const char *text, char *q,
			  size_t qn)
{
	struct kf_enroll_import_totals t = { 0 };
	struct kf_enroll_group *gr;
	char dir[PATH_MAX];
	size_t n;

	if (list_groups(app, text, dir, &gr, &n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct kf_enroll_import_result res;

		kf_enroll_import_plan(app->store, gallery_id, &gr[i], &res, NULL);
		kf_enroll_import_count(&t, &res);
		kf_store_client_release(&res.client);
	}
	snprintf(q, qn, "Import '%s': %lld client%s (%lld new), %lld photo%s to enroll, %lld "
		 "already enrolled, %lld not usable?", dir, (long long)t.clients,
		 t.clients == 1 ? "" : "s", (long long)t.created, (long long)t.enrolled,
		 t.enrolled == 1 ? "" : "s", (long long)t.already, (long long)t.failed);
	kf_enroll_groups_free(gr, n);
	return 0;
}

unsigned kf_ui_import_refs(struct kf_ui_app *app, struct kf_ui_view *v, const char *text)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_photo_match_opts mo;
	struct kf_match_engine me = { NULL, NULL };
	struct kf_enroll_group *gr = NULL;
	struct kf_gallery g = { 0 };
	struct kf_engine *e;
	char dir[PATH_MAX], first[IMPORT_WHY] = "", rematch[160] = "", stopped[160] = "";
	size_t n = 0, done;
	struct kf_enroll_import_totals t = { 0 };
	int64_t faces = 0, matches = 0;
	int local, rc;

	if (!*text)
		return KF_UI_NONE;
	if (list_groups(app, text, dir, &gr, &n) < 0)
		goto out;
	if (kf_store_gallery_get(app->store, v->gallery_id, &g, &err) < 0 ||
	    kf_photo_match_opts_load(app->store, &mo, &err) < 0) {
		kf_ui_error(app, &err);
		goto out;
	}
	if (!(e = kf_ui_engine(app)))
		goto out;
	if (kf_detector_parse(g.detector) >= 0)	/* the gallery's */
		mo.detect.detector = (enum kf_detector_kind)kf_detector_parse(g.detector);
	local = !g.engine || !strcmp(g.engine, KF_MATCH_ENGINE_LOCAL);
	if ((rc = kf_engines_open(local ? KF_MATCH_ENGINE_LOCAL : g.engine, e, &me, &err)) < 0) {
		kf_ui_error(app, &err);
		goto out;
	}
	{
		struct kf_enroll_import im = { e, &mo.detect, &me, 0, "e on the client picks one",
					       "or e on the client enrolls it after a question",
					       import_photo, first };

		done = import_groups(app, &g, &im, gr, n, &t, first);
	}
	kf_match_engine_close(&me);
	if (done < n)
		snprintf(stopped, sizeof(stopped), "stopped after %zu of %zu clients (i again "
			 "goes on: photos enrolled are skipped): ", done, n);
	/* also when nothing new was enrolled: a stopped import is finished by another */
	if (local && kf_match_gallery_refresh(app->store, g.id, NULL, &faces, &matches, &err) < 0) {
		kf_err_context(&err, "references enrolled, but re-matching failed");
		kf_ui_error(app, &err);
		goto out;
	}
	if (local)
		snprintf(rematch, sizeof(rematch), "; re-matched %lld faces: %lld matches",
			 (long long)faces, (long long)matches);
	else if (t.enrolled)
		snprintf(rematch, sizeof(rematch), "; p processes the gallery to match them");
	kf_ui_message(app, t.failed > 0 || done < n, "%s'%s': %lld photo%s enrolled for %lld "
		      "client%s (%lld new), %lld already, %lld failed%s%s%s", stopped, dir,
		      (long long)t.enrolled, t.enrolled == 1 ? "" : "s", (long long)t.clients,
		      t.clients == 1 ? "" : "s", (long long)t.created, (long long)t.already,
		      (long long)t.failed, rematch, t.failed ? "; the first: " : "",
		      t.failed ? first : "");
out:
	kf_enroll_groups_free(gr, n);
	kf_store_gallery_release(&g);
	return KF_UI_RELOAD;
}

int kf_ui_client_typed(struct kf_ui_app *app, int64_t gallery_id, const char *typed, char *name,
		       size_t n, int64_t *id)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_client c;
	int rc;

	if ((rc = kf_store_name_typed("client", typed, name, n, &err)) == KF_OK &&
	    (rc = kf_store_client_named(app->store, gallery_id, name, &c, &err)) == KF_OK) {
		*id = c.id;
		snprintf(name, n, "%s", c.name);
		kf_store_client_release(&c);
	} else if (rc != KF_E_NOTFOUND) {
		kf_ui_error(app, &err);
	}
	return rc;
}

void kf_ui_complete_path(struct kf_ui_app *app, const char *in, char *out, size_t n)
{
	struct kf_err err = KF_ERR_INIT;
	int m = 0;

	if (kf_paths_complete(in, out, n, &m, &err) < 0) {
		snprintf(out, n, "%s", in);
		kf_ui_error(app, &err);
		return;
	}
	if (m > 1)
		kf_ui_message(app, 0, "%d matches", m);
	else if (m == 0)
		kf_ui_message(app, 1, "no file matches");
	else
		app->msg[0] = '\0';
}

/* Tab completion: the clients of the top view's gallery starting with the
 * text typed (the People tab and the face detail). */
void kf_ui_complete_client(struct kf_ui_app *app, const char *in, char *out, size_t n)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_client *cl = NULL;
	char kin[4 * KF_NAME_MAX + 1], key[4 * KF_NAME_MAX + 1], part[4 * KF_NAME_MAX + 1];
	size_t ncl = 0, len, common = 0;
	const char *first = NULL;
	int count = 0;

	snprintf(out, n, "%s", in);
	if (kf_store_client_list(app->store, app->top->gallery_id, &cl, &ncl, &err) < 0) {
		kf_ui_error(app, &err);
		return;
	}
	/* the names that start with what was typed, case, accents and spacing
	 * aside (kf_store_name_key): "joao" completes to "João Silva" */
	kf_store_name_key(in, kin, sizeof(kin));
	len = strlen(kin);
	for (size_t i = 0; i < ncl; i++) {
		const char *c = cl[i].name;
		size_t k;

		kf_store_name_key(c, key, sizeof(key));
		if (strncmp(key, kin, len) != 0)
			continue;
		if (count++ == 0) {
			first = c;
			common = strlen(c);
			continue;
		}
		for (k = 0; k < common && first[k] == c[k]; k++)
			;
		while (k > 0 && (first[k] & 0xC0) == 0x80)	/* not inside a letter */
			k--;
		common = k;
	}
	/* the names' common part, unless it says less than was typed */
	if (first && common < sizeof(part)) {
		memcpy(part, first, common);
		part[common] = '\0';
		kf_store_name_key(part, key, sizeof(key));
		if (strlen(key) >= len)
			snprintf(out, n, "%s", part);
	}
	if (count > 1)
		kf_ui_message(app, 0, "%d clients match", count);
	else if (count == 0)
		kf_ui_message(app, 1, "no client starts with '%s'", in);
	else
		app->msg[0] = '\0';
	kf_store_client_list_free(cl, ncl);
}
