/* photo_match.c: match one photo with the cache and the store (photo_match.h). */
#include "data/photo_match.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/assign.h"
#include "core/match.h"
#include "data/photo_fetch.h"
#include "data/settings.h"
#include "data/store_client.h"
#include "data/store_face.h"
#include "data/store_gallery.h"
#include "data/store_photo.h"
#include "data/store_result.h"
#include "data/store_review.h"

/* galleries.engine and .detector of the gallery into mg. */
static int load_engine(struct kf_store *st, int64_t gallery_id, struct kf_match_gallery *mg,
		       struct kf_err *err)
{
	struct kf_gallery g;
	int rc;

	if ((rc = kf_store_gallery_get(st, gallery_id, &g, err)) < 0)
		return rc;
	snprintf(mg->engine, sizeof(mg->engine), "%s", g.engine ? g.engine : KF_MATCH_ENGINE_LOCAL);
	snprintf(mg->detector, sizeof(mg->detector), "%s", g.detector ? g.detector : "");
	kf_store_gallery_release(&g);
	return KF_OK;
}

int kf_match_gallery_load(struct kf_store *st, int64_t gallery_id, struct kf_match_gallery *g,
			  struct kf_err *err)
{
	struct kf_client *clients = NULL;
	size_t n = 0;
	int rc;

	memset(g, 0, sizeof(*g));
	g->id = gallery_id;
	kf_search_init(&g->search);
	if ((rc = kf_store_face_load_search(st, gallery_id, KF_ENGINE_MODEL, &g->search,
					    &g->references, &g->other_model, err)) < 0 ||
	    (rc = kf_store_client_list(st, gallery_id, &clients, &n, err)) < 0 ||
	    (rc = load_engine(st, gallery_id, g, err)) < 0 ||
	    (strcmp(g->engine, KF_MATCH_ENGINE_LOCAL) != 0 &&
	     (rc = kf_store_face_count(st, gallery_id, g->engine, &g->remote_refs, err)) < 0))
		goto fail;
	if (n && (!(g->client_ids = kf_calloc(n, sizeof(int64_t))) ||
		  !(g->client_names = kf_calloc(n, sizeof(char *))))) {
		rc = kf_err_set(err, KF_E_NOMEM, "out of memory loading clients");
		goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		g->client_ids[i] = clients[i].id;
		g->client_names[i] = clients[i].name;	/* moved */
		clients[i].name = NULL;
	}
	g->nclients = n;
	kf_store_client_list_free(clients, n);
	clients = NULL;
	n = 0;
	if ((rc = kf_threshold_auto(&g->search, KF_THRESHOLD_TARGET, &g->autot, err)) < 0)
		goto fail;
	return KF_OK;
fail:
	kf_store_client_list_free(clients, n);
	kf_match_gallery_release(g);
	return rc;
}

void kf_match_gallery_release(struct kf_match_gallery *g)
{
	if (!g)
		return;
	kf_search_release(&g->search);
	for (size_t i = 0; g->client_names && i < g->nclients; i++)
		kf_free(g->client_names[i]);
	kf_free(g->client_names);
	kf_free(g->client_ids);
	memset(g, 0, sizeof(*g));
}

float kf_match_gallery_threshold(const struct kf_match_gallery *g, float t)
{
	if (t >= 0)
		return t;
	if (strcmp(g->engine, KF_MATCH_ENGINE_LOCAL) != 0)
		return KF_THRESHOLD_FLOOR;
	return g->autot.threshold;
}

int kf_match_gallery_rematch(struct kf_store *st, int64_t gallery_id, float t, float *used,
			     int64_t *faces, int64_t *matches, struct kf_err *err)
{
	struct kf_match_gallery mg;
	int rc;

	if ((rc = kf_match_gallery_load(st, gallery_id, &mg, err)) < 0)
		return rc;
	t = kf_match_gallery_threshold(&mg, t);
	if (used)
		*used = t;
	if (strcmp(mg.engine, KF_MATCH_ENGINE_LOCAL) != 0)
		rc = 0;
	else if ((rc = kf_store_rematch(st, gallery_id, &mg.search, t, KF_MATCH_MARGIN, faces,
					matches, err)) == KF_OK)
		rc = 1;
	kf_match_gallery_release(&mg);
	return rc;
}

int kf_match_gallery_refresh(struct kf_store *st, int64_t gallery_id, float *used,
			     int64_t *faces, int64_t *matches, struct kf_err *err)
{
	double t;
	int rc;

	if ((rc = kf_settings_get(st, "threshold", &t, err)) < 0)
		return rc;
	return kf_match_gallery_rematch(st, gallery_id, (float)t, used, faces, matches, err);
}

float kf_match_gallery_threshold_why(const struct kf_match_gallery *g, float t, char *buf,
				     size_t n)
{
	const struct kf_threshold_auto *a = &g->autot;
	float in_force = kf_match_gallery_threshold(g, t);
	const char *bound = a->bound < 0 ? "the floor; " : a->bound > 0 ? "the ceiling; " : "";

	if (strcmp(g->engine, KF_MATCH_ENGINE_LOCAL) != 0)
		snprintf(buf, n, "threshold %g (%s; %s similarity)", in_force,
			 t >= 0 ? "set" : "auto: Rekognition's default", g->engine);
	else if (!a->refs)
		snprintf(buf, n, "threshold %g (%s, no client enrolled yet)", in_force,
			 t >= 0 ? "set" : "auto");
	else if (t >= 0)
		snprintf(buf, n, "threshold %g (set; with %zu client%s: about %.1f false matches "
			 "per 1,000 unknown faces)", in_force, a->clients, a->clients == 1 ? "" : "s",
			 kf_threshold_expected(a->mean, a->sd, a->clients, in_force));
	else
		snprintf(buf, n, "threshold %g (auto, %zu client%s: %sabout %.1f false matches per "
			 "1,000 unknown faces)", in_force, a->clients, a->clients == 1 ? "" : "s",
			 bound, a->expected);
	{
		size_t len = strlen(buf);

		if (len + 2 < n && kf_match_gallery_alike(g, in_force, buf + len + 2, n - len - 2))
			memcpy(buf + len, "; ", 2);
	}
	return in_force;
}

int kf_match_gallery_alike(const struct kf_match_gallery *g, float t, char *buf, size_t n)
{
	const struct kf_threshold_auto *a = &g->autot;
	float sim = kf_search_similarity(a->closest_d);
	size_t len;

	if (strcmp(g->engine, KF_MATCH_ENGINE_LOCAL) != 0 || !a->closest_a ||
	    (!a->same_clients && sim < t))
		return 0;
	snprintf(buf, n, "'%s' and '%s' look %s (similarity %.1f)",
		 kf_match_gallery_name(g, a->closest_a), kf_match_gallery_name(g, a->closest_b),
		 a->same_clients ? "like one person" : "alike", (double)sim);
	len = strlen(buf);
	if (a->same_clients > 1)
		snprintf(buf + len, n - len, ", and %zu other pair%s of clients", a->same_clients - 1,
			 a->same_clients == 2 ? "" : "s");
	return 1;
}

const char *kf_match_gallery_name(const struct kf_match_gallery *g, int64_t client_id)
{
	for (size_t i = 0; i < g->nclients; i++)
		if (g->client_ids[i] == client_id)
			return g->client_names[i] ? g->client_names[i] : "?";
	return "?";
}

int kf_photo_match_opts_load(struct kf_store *st, struct kf_photo_match_opts *o,
			     struct kf_err *err)
{
	struct kf_detect_opts def = KF_DETECT_OPTS_DEFAULT;
	struct kf_queue_opts q = KF_QUEUE_OPTS_DEFAULT;
	double t, ttl_days, max_faces, attempts;
	int rc;

	memset(o, 0, sizeof(*o));
	if ((rc = kf_settings_get(st, "threshold", &t, err)) < 0 ||
	    (rc = kf_settings_get(st, "cache-ttl-days", &ttl_days, err)) < 0 ||
	    (rc = kf_settings_get(st, "max-faces", &max_faces, err)) < 0 ||
	    (rc = kf_settings_get(st, "max-attempts", &attempts, err)) < 0)
		return rc;
	o->detect = def;
	o->detect.max_faces = (int)max_faces;
	o->threshold = (float)t;
	o->ttl_ms = (int64_t)(ttl_days * 86400000.0);
	q.max_attempts = (int)attempts;
	o->queue = q;
	return KF_OK;
}

int kf_match_best_below(const struct kf_match_gallery *g, const struct kf_detail_face *f,
			struct kf_search_hit *out, struct kf_err *err)
{
	struct kf_search_hit hits[KF_MATCH_MAX_HITS], below;
	size_t nh;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!f->has_descriptor)
		return KF_OK;
	if ((rc = kf_search_query(&g->search, f->descriptor, 0, hits, KF_MATCH_MAX_HITS, &nh,
				  &below, err)) < 0)
		return rc;
	for (size_t i = 0; i < nh; i++) {
		int matched = 0;

		for (size_t k = 0; k < f->nmatches; k++)
			matched |= f->matches[k].client_id == hits[i].client_id;
		for (size_t k = 0; k < f->nambiguous; k++)
			matched |= f->ambiguous[k].client_id == hits[i].client_id;
		if (!matched) {
			*out = hits[i];
			break;
		}
	}
	return KF_OK;
}

void kf_photo_match_key(char *buf, size_t n, int64_t gallery_id, const char *photo_key,
			const char *etag, float threshold, int max_faces)
{
	snprintf(buf, n, "match:%lld:%s:%s:t%g:m%d", (long long)gallery_id, photo_key,
		 etag ? etag : "", (double)threshold, max_faces);
}

/* o printed into a kf_malloc string (cJSON allocates with malloc); frees o. */
static char *own(cJSON *o)
{
	char *text = cJSON_PrintUnformatted(o), *d = text ? kf_strdup(text) : NULL;

	cJSON_free(text);
	cJSON_Delete(o);
	return d;
}

static void add_box(cJSON *o, float l, float t, float w, float h)
{
	cJSON *b = cJSON_AddObjectToObject(o, "boundingBox");

	cJSON_AddNumberToObject(b, "Width", round(w * 1e6) / 1e6);
	cJSON_AddNumberToObject(b, "Height", round(h * 1e6) / 1e6);
	cJSON_AddNumberToObject(b, "Left", round(l * 1e6) / 1e6);
	cJSON_AddNumberToObject(b, "Top", round(t * 1e6) / 1e6);
}

char *kf_photo_match_payload(const struct kf_match_gallery *g, int64_t photo_id,
			     const char *key, const char *detector,
			     const struct kf_match_result *r)
{
	cJSON *o = cJSON_CreateObject(), *matches, *faces;

	cJSON_AddBoolToObject(o, "success", 1);
	cJSON_AddNumberToObject(o, "photoId", (double)photo_id);
	cJSON_AddStringToObject(o, "key", key);
	cJSON_AddNumberToObject(o, "faceCount", (double)r->nfaces);
	matches = cJSON_AddArrayToObject(o, "matches");
	faces = cJSON_AddArrayToObject(o, "faces");
	for (size_t i = 0; i < r->nfaces; i++) {
		const struct kf_match_face *f = &r->faces[i];
		float l = f->box.x / r->width, t = f->box.y / r->height;
		float w = f->box.width / r->width, h = f->box.height / r->height;
		cJSON *fo = cJSON_CreateObject(), *amb;

		cJSON_AddNumberToObject(fo, "faceIndex", (double)i);
		add_box(fo, l, t, w, h);
		cJSON_AddNumberToObject(fo, "confidence", round(f->score * 1e6) / 1e4);
		cJSON_AddBoolToObject(fo, "recognizable", !f->too_small);
		amb = cJSON_AddArrayToObject(fo, "ambiguous");
		for (size_t k = 0; k < f->nambiguous; k++) {
			cJSON *c = cJSON_CreateObject();

			cJSON_AddNumberToObject(c, "clientId", (double)f->ambiguous[k].client_id);
			cJSON_AddStringToObject(c, "clientName",
						kf_match_gallery_name(g, f->ambiguous[k].client_id));
			cJSON_AddNumberToObject(c, "similarity",
						round(f->ambiguous[k].similarity * 100) / 100);
			cJSON_AddItemToArray(amb, c);
		}
		cJSON_AddItemToArray(faces, fo);
		for (size_t k = 0; k < f->nhits; k++) {
			cJSON *m = cJSON_CreateObject();

			cJSON_AddNumberToObject(m, "faceIndex", (double)i);
			cJSON_AddNumberToObject(m, "clientId", (double)f->hits[k].client_id);
			cJSON_AddStringToObject(m, "clientName",
						kf_match_gallery_name(g, f->hits[k].client_id));
			cJSON_AddNumberToObject(m, "similarity",
						round(f->hits[k].similarity * 100) / 100);
			add_box(m, l, t, w, h);
			cJSON_AddItemToArray(matches, m);
		}
	}
	cJSON_AddStringToObject(o, "engine", g->engine[0] ? g->engine : KF_MATCH_ENGINE_LOCAL);
	if (detector)
		cJSON_AddStringToObject(o, "detector", detector);
	else
		cJSON_AddNullToObject(o, "detector");
	cJSON_AddBoolToObject(o, "cached", 0);
	return own(o);
}

char *kf_photo_match_payload_cached(const char *payload)
{
	cJSON *o = cJSON_Parse(payload);

	if (!o)
		return NULL;
	cJSON_ReplaceItemInObject(o, "cached", cJSON_CreateBool(1));
	return own(o);
}

/* Record a failure of this photo on its job (the reason is err's message).
 * Should that write fail too, the job keeps its lease and is reclaimed later:
 * the photo's own error is the one to report. */
static int fail_job(struct kf_store *st, int64_t job_id, const char *owner,
		    const struct kf_photo_match_opts *o, struct kf_photo_match_out *out, int code,
		    struct kf_err *err)
{
	if (kf_queue_fail(st, job_id, owner, err->msg, &o->queue, &out->job_dead, NULL) == KF_OK)
		out->job_failed = 1;
	return code;
}

/* The engine's failure: the photo's own, or the run's (the same for every
 * photo: credentials, network, memory, a remote collection that is gone),
 * which must not fail photo after photo. */
static int run_failure(int code)
{
	return code == KF_E_NOMEM || code == KF_E_AUTH || code == KF_E_NET ||
	       code == KF_E_NOTFOUND;
}

int kf_photo_match(struct kf_store *st, struct kf_match_engine *me,
		   const struct kf_match_gallery *g, int64_t photo_id, const char *job_owner,
		   int64_t job_id, const struct kf_photo_match_opts *o,
		   struct kf_photo_match_out *out, struct kf_arena *scratch, struct kf_err *err)
{
	struct kf_match_query q;
	struct kf_match_result res = { 0, 0, 0, NULL };
	struct kf_match_review *reviews = NULL;
	unsigned long calls;
	struct kf_photo p = { 0 };
	struct kf_photo_local f = { 0 };
	char owner[192], ref[24], key[1200], *hit = NULL, *text = NULL;
	const char *detector = kf_match_engine_has(me, KF_MATCH_ENGINE_REMOTE) ? NULL :
			       kf_detector_name(o->detect.detector);
	int rc;

	memset(out, 0, sizeof(*out));
	if (g->engine[0] && strcmp(g->engine, kf_match_engine_name(me)) != 0)
		return kf_err_set(err, KF_E_INVALID, "gallery %lld holds results of the %s engine, "
				  "not %s (switch with 'kingface gallery engine %lld %s')",
				  (long long)g->id, g->engine, kf_match_engine_name(me),
				  (long long)g->id, kf_match_engine_name(me));
	if (detector && g->detector[0] && strcmp(g->detector, detector) != 0)
		return kf_err_set(err, KF_E_INVALID, "gallery %lld holds results of the %s detector, "
				  "not %s (switch with 'kingface gallery detector %lld %s')",
				  (long long)g->id, g->detector, detector, (long long)g->id, detector);
	snprintf(ref, sizeof(ref), "%lld", (long long)photo_id);
	if ((rc = kf_store_photo_find(st, g->id, ref, &p, err)) < 0)
		return rc;
	if (!job_owner) {
		kf_queue_owner(owner, sizeof(owner), 0);
		job_owner = owner;
		if ((rc = kf_queue_claim_photo(st, photo_id, owner, &o->queue, &job_id, err)) < 0)
			goto out;
	}
	/* 1. the photo's file (its own, or its copy from the bucket) and its ETag,
	 * recomputed when the file changed (photo_fetch.h) */
	if ((rc = kf_photo_fetch(st, &p, &f, err)) < 0) {
		if (f.own_failure)
			rc = fail_job(st, job_id, job_owner, o, out, rc, err);
		goto out;
	}
	/* 2. the cache */
	kf_photo_match_key(key, sizeof(key), g->id, p.key, f.etag,
			   kf_match_gallery_threshold(g, o->threshold), o->detect.max_faces);
	if (!o->no_cache && (rc = kf_store_cache_get(st, key, &hit, err)) < 0)
		goto out;
	if (hit) {
		if ((rc = kf_queue_done(st, job_id, job_owner, f.etag, err)) < 0)
			goto out;
		if (!(out->payload = kf_photo_match_payload_cached(hit))) {
			rc = kf_err_set(err, KF_E_NOMEM, "out of memory reading the cache");
			goto out;
		}
		out->cached = 1;
		goto out;
	}
	/* 3. the engine, then one transaction */
	if (!f.buf && (rc = kf_image_read_file(f.path, &f.buf, &f.len, err)) < 0) {
		rc = fail_job(st, job_id, job_owner, o, out, rc, err);
		goto out;
	}
	memset(&q, 0, sizeof(q));
	q.detect = o->detect;
	q.threshold = kf_match_gallery_threshold(g, o->threshold);
	q.search = &g->search;
	q.gallery_id = g->id;
	q.remote_refs = (size_t)g->remote_refs;
	q.client_ids = g->client_ids;
	q.nclients = g->nclients;
	q.margin = KF_MATCH_MARGIN;	/* the engine turns it off without descriptors */
	if ((rc = kf_store_review_load(st, photo_id, &reviews, &q.nreviews, err)) < 0)
		goto out;
	q.reviews = reviews;
	calls = kf_match_engine_calls(me);
	rc = kf_match_engine_match(me, &q, f.buf, f.len, &res, scratch, err);
	kf_store_gallery_add_calls(st, g->id, (int64_t)(kf_match_engine_calls(me) - calls), NULL);
	if (rc < 0) {
		if (!run_failure(rc))
			rc = fail_job(st, job_id, job_owner, o, out, rc, err);
		else if (job_owner == owner)	/* claimed here: give it back */
			kf_queue_release(st, job_id, owner, NULL);
		goto out;
	}
	if (!(text = kf_photo_match_payload(g, p.id, p.key, detector, &res))) {
		rc = kf_err_set(err, KF_E_NOMEM, "out of memory writing the result");
		goto out;
	}
	if ((rc = kf_store_begin(st, err)) < 0)
		goto out;
	if ((detector && (rc = kf_store_gallery_adopt_detector(st, g->id, detector, err)) < 0) ||
	    (rc = kf_store_result_replace(st, p.id, &res, err)) < 0 ||
	    (rc = kf_store_cache_put(st, key, g->id, p.id, text,
					 kf_store_now_ms() + o->ttl_ms, err)) < 0 ||
	    (rc = kf_queue_done(st, job_id, job_owner, f.etag, err)) < 0 ||
	    (rc = kf_store_commit(st, err)) < 0) {
		kf_store_rollback(st);
		goto out;
	}
	out->payload = text;
	text = NULL;
out:
	if (rc < 0)
		kf_err_context(err, "photo '%s'", p.key ? p.key : ref);
	kf_free(text);
	kf_free(hit);
	kf_free(reviews);
	kf_photo_local_release(&f);
	kf_match_result_release(&res);
	kf_store_photo_release(&p);
	return rc;
}
