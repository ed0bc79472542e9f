/* kf_ui_enroll.c: enrolling a reference face from the console, shared by the
 * Clients tab (a photo file) and the face detail (a stored face): store the
 * reference, then re-search the gallery's stored faces
 * (kf_match_gallery_refresh, no photo decoded) so every view shows the new
 * matches at once. And the Tab
 * completions of the prompts: a path, a client's name. */
#include <stdio.h>
#include <string.h>

#include "data/paths.h"
#include "data/photo_match.h"
#include "data/store_client.h"
#include "data/store_face.h"
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
	size_t ncl = 0, len = strlen(in), common = 0;
	const char *first = NULL;
	int count = 0;

	snprintf(out, n, "%s", in);
	if (kf_store_client_list(app->store, app->top->gallery_id, &cl, &ncl, &err) < 0) {
		kf_ui_error(app, &err);
		return;
	}
	for (size_t i = 0; i < ncl; i++) {
		const char *c = cl[i].name;
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
		kf_ui_message(app, 1, "no client starts with '%s'", in);
	else
		app->msg[0] = '\0';
	kf_store_client_list_free(cl, ncl);
}
