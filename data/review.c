/* review.c: a review or a named cluster, and the re-match that applies it
 * (review.h). */
#include "data/review.h"

#include <stdint.h>
#include <string.h>

#include "core/assign.h"
#include "core/engine.h"
#include "data/store_face.h"
#include "data/store_people.h"
#include "data/store_result.h"
#include "data/store_review.h"

int kf_photo_review(struct kf_store *st, const struct kf_match_gallery *g, int64_t photo_id,
		    int face_index, int64_t client_id, int what, float threshold,
		    int64_t *removed, struct kf_err *err)
{
	int rc;

	if ((rc = kf_store_begin(st, err)) < 0)
		return rc;
	if ((rc = what == KF_REVIEW_CLEAR ?
		  kf_store_review_clear(st, photo_id, face_index, removed, err) :
		  kf_store_review_set(st, photo_id, face_index, client_id,
				      what == KF_REVIEW_CONFIRM, err)) < 0 ||
	    (rc = kf_store_rematch_photo(st, g->id, photo_id, &g->search,
					 kf_match_gallery_threshold(g, threshold), KF_MATCH_MARGIN,
					 err)) < 0 ||
	    (rc = kf_store_commit(st, err)) < 0) {
		kf_store_rollback(st);
		return rc;
	}
	return KF_OK;
}

/* Is face x larger than y (box area, then detector score)? */
static int larger_face(const struct kf_people_face *x, const struct kf_people_face *y)
{
	float ax = x->box_width * x->box_height, ay = y->box_width * y->box_height;

	return ax != ay ? ax > ay : x->confidence > y->confidence;
}

static int skipped(const struct kf_people_face *f, const int64_t *skip, size_t nskip)
{
	for (size_t k = 0; k < nskip; k++)
		if (skip[k] == f->id)
			return 1;
	return 0;
}

int kf_people_assign(struct kf_store *st, int64_t gallery_id, int cluster_id,
		     int64_t client_id, float threshold, const int64_t *skip, size_t nskip,
		     size_t *confirmed, size_t *references, struct kf_err *err)
{
	struct kf_people p;
	size_t best[KF_PEOPLE_REFERENCES], nref = 0, ncon = 0;
	const struct kf_people_cluster *cl;
	int rc;

	if ((rc = kf_store_people_clusters(st, gallery_id, NULL, &p, err)) < 0)
		goto out;
	if (cluster_id < 1 || (size_t)cluster_id > p.nclusters) {
		rc = kf_err_set(err, KF_E_NOTFOUND, "no cluster %d (see kingface people)",
				cluster_id);
		goto out;
	}
	cl = &p.clusters[cluster_id - 1];
	/* its largest faces become the references */
	for (; nref < KF_PEOPLE_REFERENCES; nref++) {
		size_t at = SIZE_MAX;

		for (size_t k = 0; k < cl->nfaces; k++) {
			const struct kf_people_face *f = &p.faces.faces[cl->faces[k]];
			int taken = skipped(f, skip, nskip);

			for (size_t j = 0; j < nref; j++)
				taken |= best[j] == cl->faces[k];
			if (!taken && (at == SIZE_MAX || larger_face(f, &p.faces.faces[at])))
				at = cl->faces[k];
		}
		if (at == SIZE_MAX)
			break;
		best[nref] = at;
	}
	if ((rc = kf_store_begin(st, err)) < 0)
		goto out;
	for (size_t k = 0; k < cl->nfaces; k++) {
		const struct kf_people_face *f = &p.faces.faces[cl->faces[k]];

		if (skipped(f, skip, nskip))
			continue;
		if ((rc = kf_store_review_set(st, f->photo_id, f->face_index, client_id, 1, err)) < 0)
			goto fail;
		ncon++;
	}
	for (size_t k = 0; k < nref; k++) {
		const struct kf_people_face *f = &p.faces.faces[best[k]];
		struct kf_face_ref r;

		if ((rc = kf_store_face_from_photo(st, f->photo_id, f->face_index, &r, err)) < 0)
			goto fail;
		r.client_id = client_id;
		r.model = (char *)KF_ENGINE_MODEL;
		if ((rc = kf_store_face_add(st, &r, NULL, err)) < 0)
			goto fail;
	}
	if ((rc = kf_match_gallery_rematch(st, gallery_id, threshold, NULL, NULL, NULL, err)) < 0 ||
	    (rc = kf_store_commit(st, err)) < 0)
		goto fail;
	if (confirmed)
		*confirmed = ncon;
	if (references)
		*references = nref;
	goto out;
fail:
	kf_store_rollback(st);
out:
	kf_store_people_release(&p);
	return rc;
}
