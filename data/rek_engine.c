/* rek_engine.c: Amazon Rekognition behind the match engine interface
 * (rek_engine.h). */
#include "data/rek_engine.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/image.h"
#include "core/image_encode.h"
#include "data/config.h"
#include "data/rekognition.h"

#define DELETE_BATCH 4096	/* DeleteFaces takes at most this many ids */
#define SAME_FACE_IOU 0.3	/* AWS's box and the detector's: the same face */

struct rek_engine {
	struct kf_config cfg;
	struct kf_rek rek;
};

static const struct kf_match_engine_ops rek_ops;

static int collection(int64_t gallery_id, char out[KF_REK_COLLECTION_SIZE], struct kf_err *err)
{
	char id[24];

	snprintf(id, sizeof(id), "%lld", (long long)gallery_id);
	return kf_rek_collection_id(id, out, err);
}

int kf_rek_engine_open(struct kf_match_engine *me, struct kf_err *err)
{
	struct rek_engine *r;
	int rc;

	memset(me, 0, sizeof(*me));
	if (!(r = kf_calloc(1, sizeof(*r))))
		return kf_err_set(err, KF_E_NOMEM, "out of memory opening Rekognition");
	if ((rc = kf_config_load(&r->cfg, NULL, err)) < 0) {
		kf_free(r);
		return rc;
	}
	if ((rc = kf_rek_open(&r->rek, &r->cfg, err)) < 0) {
		kf_config_release(&r->cfg);
		kf_free(r);
		return rc;
	}
	me->ops = &rek_ops;
	me->impl = r;
	return KF_OK;
}

static int rek_thread(const struct kf_match_engine *me, struct kf_match_engine *out,
		      struct kf_err *err)
{
	(void)me;
	return kf_rek_engine_open(out, err);
}

static void rek_close(struct kf_match_engine *me)
{
	struct rek_engine *r = me->impl;

	if (!r)
		return;
	kf_rek_close(&r->rek);
	kf_config_release(&r->cfg);
	kf_free(r);
}

static unsigned long rek_calls(const struct kf_match_engine *me)
{
	const struct rek_engine *r = me->impl;

	return r->rek.calls;
}

/* A client id of q from an ExternalImageId, 0 when it is none of them. */
static int64_t client_of(const struct kf_match_query *q, const char *external_id)
{
	char *end;
	long long id;

	errno = 0;
	id = strtoll(external_id, &end, 10);
	if (!*external_id || *end || errno || id <= 0)
		return 0;
	for (size_t i = 0; i < q->nclients; i++)
		if (q->client_ids[i] == id)
			return id;
	return 0;
}

/* The face's hits from AWS's matches: one per client (its best), best first,
 * ties by client id, at most KF_MATCH_MAX_HITS. */
static void face_hits(const struct kf_match_query *q, const struct kf_rek_photo_face *pf,
		      struct kf_match_face *m)
{
	for (size_t k = 0; k < pf->n_matches; k++) {
		int64_t id = client_of(q, pf->matches[k].external_id);
		float sim = (float)pf->matches[k].similarity;
		size_t j;

		if (!id)
			continue;
		for (j = 0; j < m->nhits && m->hits[j].client_id != id; j++)
			;
		if (j < m->nhits) {
			if (sim > m->hits[j].similarity)
				m->hits[j].similarity = sim;
			continue;
		}
		if (m->nhits == KF_MATCH_MAX_HITS)
			continue;
		m->hits[m->nhits].client_id = id;
		m->hits[m->nhits].similarity = sim;
		m->hits[m->nhits].distance = 0;	/* Rekognition gives none */
		m->nhits++;
	}
	for (size_t i = 1; i < m->nhits; i++)	/* insertion sort: a handful of hits */
		for (size_t j = i; j > 0; j--) {
			struct kf_search_hit *a = &m->hits[j - 1], *b = &m->hits[j], t;

			if (a->similarity > b->similarity ||
			    (a->similarity == b->similarity && a->client_id < b->client_id))
				break;
			t = *a, *a = *b, *b = t;
		}
}

static int rek_match(struct kf_match_engine *me, const struct kf_match_query *q,
		     const uint8_t *buf, size_t len, struct kf_match_result *res,
		     struct kf_arena *scratch, struct kf_err *err)
{
	struct rek_engine *r = me->impl;
	struct kf_rek_photo_result ph = { 0 };
	struct kf_rek_detect_result det = { 0 };
	struct kf_image_info info;
	struct kf_image img = { 0 };
	char coll[KF_REK_COLLECTION_SIZE];
	uint8_t *fit = NULL;
	size_t fit_len, n;
	int rc;

	(void)scratch;
	memset(res, 0, sizeof(*res));
	if ((rc = kf_image_probe(buf, len, &info, err)) < 0 ||
	    (rc = collection(q->gallery_id, coll, err)) < 0)
		return rc;
	if (q->remote_refs > 0) {
		int max = q->remote_refs > 4096 ? 4096 : (int)q->remote_refs;

		if ((rc = kf_rek_match_photo(&r->rek, coll, buf, len, q->threshold, max, &ph,
					     err)) < 0)
			goto out;
		n = ph.n;
	} else {
		/* nobody enrolled: the faces only (the collection may not exist);
		 * decoded all the same, so a corrupt photo fails as it would locally */
		if ((rc = kf_image_decode(buf, len, 0, &img, NULL, err)) < 0 ||
		    (rc = kf_image_fit_jpeg(buf, len, (size_t)KF_REK_MAX_IMAGE, &fit, &fit_len,
					    err)) < 0 ||
		    (rc = kf_rek_detect_faces(&r->rek, fit, fit_len, &det, err)) < 0)
			goto out;
		n = det.n;
	}
	res->width = info.width;
	res->height = info.height;
	if (n && !(res->faces = kf_calloc(n, sizeof(*res->faces)))) {
		rc = kf_err_set(err, KF_E_NOMEM, "out of memory matching faces");
		goto out;
	}
	res->nfaces = n;
	for (size_t i = 0; i < n; i++) {
		struct kf_match_face *m = &res->faces[i];
		const struct kf_rek_box *b = ph.faces ? &ph.faces[i].box : &det.faces[i].box;
		double conf = ph.faces ? ph.faces[i].confidence : det.faces[i].confidence;

		m->box.x = (float)(b->left * info.width);
		m->box.y = (float)(b->top * info.height);
		m->box.width = (float)(b->width * info.width);
		m->box.height = (float)(b->height * info.height);
		m->score = (float)(conf / 100.0);
		m->no_descriptor = 1;
		if (ph.faces)
			face_hits(q, &ph.faces[i], m);
	}
	/* the common result is sorted by score (face 0 the surest), as the local
	 * engine's; stable: AWS's order among equals */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && res->faces[j - 1].score < res->faces[j].score; j--) {
			struct kf_match_face t = res->faces[j - 1];

			res->faces[j - 1] = res->faces[j];
			res->faces[j] = t;
		}
	rc = KF_OK;
out:
	if (rc < 0)
		kf_match_result_release(res);
	kf_rek_photo_release(&ph);
	kf_rek_detect_release(&det);
	kf_image_release(&img);
	kf_free(fit);
	return rc;
}

/* IndexFaces with MaxFaces 1, creating the collection on the gallery's first
 * enrollment (AWS answers ResourceNotFoundException). */
static int index_face(struct rek_engine *r, const char *coll, const uint8_t *img, size_t len,
		 const char *ext, struct kf_rek_index_result *ix, struct kf_err *err)
{
	int rc = kf_rek_index_faces(&r->rek, coll, img, len, ext, 1, KF_REK_QUALITY_AUTO, ix, err);

	if (rc != KF_E_NOTFOUND)
		return rc;
	kf_err_clear(err);
	if ((rc = kf_rek_create_collection(&r->rek, coll, err)) < 0)
		return rc;
	return kf_rek_index_faces(&r->rek, coll, img, len, ext, 1, KF_REK_QUALITY_AUTO, ix, err);
}

/* Intersection over union of AWS's box and the query's (both fractions of
 * the same upright photo). */
static double overlap(const struct kf_rek_box *a, const struct kf_enroll_query *q)
{
	double x0 = a->left > q->left ? a->left : q->left;
	double y0 = a->top > q->top ? a->top : q->top;
	double x1 = a->left + a->width < q->left + q->width ? a->left + a->width : q->left + q->width;
	double y1 = a->top + a->height < q->top + q->height ? a->top + a->height : q->top + q->height;
	double inter = x1 > x0 && y1 > y0 ? (x1 - x0) * (y1 - y0) : 0;
	double uni = a->width * a->height + q->width * q->height - inter;

	return uni > 0 ? inter / uni : 0;
}

static int rek_enroll(struct kf_match_engine *me, const struct kf_enroll_query *q,
		      char ref_id[KF_MATCH_ENGINE_REF_SIZE], struct kf_err *err)
{
	struct rek_engine *r = me->impl;
	struct kf_rek_index_result ix = { 0 };
	struct kf_image img = { 0 };
	char coll[KF_REK_COLLECTION_SIZE], ext[24];
	uint8_t *send = NULL;
	size_t send_len;
	int rc;

	ref_id[0] = '\0';
	snprintf(ext, sizeof(ext), "%lld", (long long)q->client_id);
	if ((rc = collection(q->gallery_id, coll, err)) < 0)
		return rc;
	/* MaxFaces 1 only where Rekognition cannot pick another face than ours:
	 * the photo when the local detector found no other, else the crop */
	for (int whole = q->only_face; ; whole = 0) {
		if (whole)
			rc = kf_image_fit_jpeg(q->photo, q->len, (size_t)KF_REK_MAX_IMAGE, &send,
					       &send_len, err);
		else if ((rc = kf_image_decode(q->photo, q->len, 0, &img, NULL, err)) == KF_OK)
			rc = kf_image_crop_jpeg(&img, q->left, q->top, q->width, q->height,
						KF_REK_CROP_MARGIN, KF_REK_CROP_QUALITY, &send,
						&send_len, err);
		if (rc < 0 || (rc = index_face(r, coll, send, send_len, ext, &ix, err)) < 0)
			goto out;
		/* a face the detector missed (below --min-score, too small) may be the
		 * one AWS ranks first: keep ours only, or index the crop after all */
		if (!whole || ix.n == 0 || overlap(&ix.faces[0].box, q) >= SAME_FACE_IOU)
			break;
		{
			const char *wrong[1] = { ix.faces[0].face_id };

			if ((rc = kf_rek_delete_faces(&r->rek, coll, wrong, 1, NULL, err)) < 0) {
				kf_err_context(err, "Rekognition indexed another face of the photo "
					       "than the one found here (FaceId %s)", wrong[0]);
				goto out;
			}
		}
		kf_rek_index_release(&ix);
		kf_free(send);
		send = NULL;
	}
	if (ix.n == 0) {
		rc = kf_err_set(err, KF_E_NOFACE, "Rekognition indexed no face%s",
				ix.n_unindexed ? " (left out as low quality: use a sharper, "
				"brighter photo)" : "");
		goto out;
	}
	snprintf(ref_id, KF_MATCH_ENGINE_REF_SIZE, "%s", ix.faces[0].face_id);
out:
	kf_rek_index_release(&ix);
	kf_image_release(&img);
	kf_free(send);
	return rc;
}

static int rek_forget(struct kf_match_engine *me, int64_t gallery_id, const char *const *ids,
		      size_t n, struct kf_err *err)
{
	struct rek_engine *r = me->impl;
	char coll[KF_REK_COLLECTION_SIZE];
	int rc;

	if ((rc = collection(gallery_id, coll, err)) < 0)
		return rc;
	for (size_t i = 0; i < n; i += DELETE_BATCH) {
		size_t k = n - i < DELETE_BATCH ? n - i : DELETE_BATCH;

		rc = kf_rek_delete_faces(&r->rek, coll, ids + i, k, NULL, err);
		if (rc == KF_E_NOTFOUND) {	/* no collection: nothing of ours is left */
			kf_err_clear(err);
			return KF_OK;
		}
		if (rc < 0)
			return rc;
	}
	return KF_OK;
}

static int rek_drop_gallery(struct kf_match_engine *me, int64_t gallery_id, struct kf_err *err)
{
	struct rek_engine *r = me->impl;
	char coll[KF_REK_COLLECTION_SIZE];
	int rc;

	if ((rc = collection(gallery_id, coll, err)) < 0)
		return rc;
	rc = kf_rek_delete_collection(&r->rek, coll, err);
	if (rc == KF_E_NOTFOUND) {
		kf_err_clear(err);
		rc = KF_OK;
	}
	return rc;
}

static const struct kf_match_engine_ops rek_ops = {
	.name = KF_MATCH_ENGINE_REKOGNITION,
	.model = KF_REK_ENGINE_MODEL,
	.caps = KF_MATCH_ENGINE_REMOTE,
	.thread = rek_thread,
	.close = rek_close,
	.match = rek_match,
	.enroll = rek_enroll,
	.forget = rek_forget,
	.drop_gallery = rek_drop_gallery,
	.calls = rek_calls,
};
