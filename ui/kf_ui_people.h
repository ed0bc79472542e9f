/* kf_ui_people.h: the People tab of a gallery (kf_ui_people.c): the
 * gallery's unknown faces clustered into people (data/store_people.h, as
 * `kingface people`), each cluster's faces on a screen of their own, faces
 * taken out of a cluster, and a cluster named as a client (kf_people_assign
 * in data/review.h, as `kingface people assign`).
 *
 * The gallery screen owns one struct kf_ui_people and draws it in its People
 * tab; the cluster screen it opens points to it, which is safe because a
 * screen below is freed only after the screens above it. The faces taken out
 * of a cluster (x) are kept here while they are in a listed cluster.
 * UI thread only, like every screen.
 */
#ifndef KF_UI_PEOPLE_H
#define KF_UI_PEOPLE_H

#include <stdint.h>

#include "ui/kf_ui_app.h"

struct kf_ui_people;

/* A People tab for the gallery; NULL when out of memory. Nothing is read
 * before the first draw. kf_ui_people_destroy(NULL) does nothing. */
struct kf_ui_people *kf_ui_people_create(int64_t gallery_id);
void kf_ui_people_destroy(struct kf_ui_people *pe);

/* The clusters are read again at the next draw (after processing, a review,
 * an assignment): the gallery's reload calls it. When app->background says
 * the change came from work elsewhere, at most every few seconds. */
void kf_ui_people_stale(struct kf_ui_people *pe, const struct kf_ui_app *app);
/* The tab is brought up by a key: a change put off (kf_ui_people_stale in
 * the background) is read at the next draw. */
void kf_ui_people_shown(struct kf_ui_people *pe);
/* A change made elsewhere waits and is now due: the tab's screen asks for a
 * draw (its on_tick), or the change would show only at the next key. */
int kf_ui_people_due(const struct kf_ui_people *pe);

/* The list the tab's arrows move and `/` filters (by photo key). */
struct kf_ui_list *kf_ui_people_list(struct kf_ui_people *pe);
/* The filter text changed. */
void kf_ui_people_refilter(struct kf_ui_people *pe);

/* Draw the tab in rows y .. y + h - 1, width columns: the clusters on the
 * left, the selected one's representative face on the right (its photo is
 * decoded at full resolution when the selection changes). */
void kf_ui_people_draw(struct kf_ui_people *pe, struct kf_ui_app *app, WINDOW *w, int y, int h,
		       int width);

/* Enter: the selected cluster's faces (a screen). a: assign the selected
 * cluster to a client, asked at a prompt. */
unsigned kf_ui_people_open(struct kf_ui_people *pe, struct kf_ui_app *app);
unsigned kf_ui_people_assign(struct kf_ui_people *pe, struct kf_ui_app *app);

/* The People tab of a gallery screen (kf_ui_gallery.c), for the prompts'
 * answers, which get the view. */
struct kf_ui_people *kf_ui_gallery_people(struct kf_ui_view *v);

#endif
