/* engines.c: engines by name and remote removals (engines.h). */
#include "data/engines.h"

#include <string.h>

#include "data/rek_engine.h"
#include "data/store_face.h"
#include "data/store_gallery.h"

int kf_engines_open(const char *name, const struct kf_engine *local, struct kf_match_engine *me,
		    struct kf_err *err)
{
	memset(me, 0, sizeof(*me));
	if (name && !strcmp(name, KF_MATCH_ENGINE_LOCAL)) {
		if (!local)
			return kf_err_set(err, KF_E_INVALID, "the local engine is not loaded");
		kf_match_engine_local(me, local);
		return KF_OK;
	}
	if (name && !strcmp(name, KF_MATCH_ENGINE_REKOGNITION))
		return kf_rek_engine_open(me, err);
	return kf_err_set(err, KF_E_INVALID, "no engine '%s' (local or rekognition)",
			  name ? name : "");
}

int kf_engines_forget(struct kf_store *st, int64_t gallery_id, int64_t client_id,
		      int64_t ref_id, size_t *n_remote, struct kf_err *err)
{
	struct kf_match_engine me = { NULL, NULL };
	char **ids = NULL;
	size_t n = 0;
	int rc;

	if (n_remote)
		*n_remote = 0;
	if ((rc = kf_store_face_remote_ids(st, gallery_id, client_id, ref_id, &ids, &n, err)) < 0)
		return rc;
	if (n == 0)
		return KF_OK;
	if ((rc = kf_engines_open(KF_MATCH_ENGINE_REKOGNITION, NULL, &me, err)) == KF_OK) {
		rc = kf_match_engine_forget(&me, gallery_id, (const char *const *)ids, n, err);
		kf_store_gallery_add_calls(st, gallery_id, (int64_t)kf_match_engine_calls(&me), NULL);
	}
	if (rc < 0)
		kf_err_context(err, "cannot delete %zu face%s from Rekognition collection "
			       "'kingface-%lld'", n, n == 1 ? "" : "s", (long long)gallery_id);
	else if (n_remote)
		*n_remote = n;
	kf_match_engine_close(&me);
	kf_store_face_ids_free(ids, n);
	return rc;
}

int kf_engines_drop_gallery(struct kf_store *st, const struct kf_gallery *g, int *remote,
			    struct kf_err *err)
{
	struct kf_match_engine me = { NULL, NULL };
	int64_t refs = 0;
	int rc;

	if (remote)
		*remote = 0;
	if ((rc = kf_store_face_count(st, g->id, KF_MATCH_ENGINE_REKOGNITION, &refs, err)) < 0)
		return rc;
	if (refs == 0 && (!g->engine || strcmp(g->engine, KF_MATCH_ENGINE_REKOGNITION) != 0))
		return KF_OK;
	if (remote)
		*remote = 1;
	if ((rc = kf_engines_open(KF_MATCH_ENGINE_REKOGNITION, NULL, &me, err)) == KF_OK)
		rc = kf_match_engine_drop_gallery(&me, g->id, err);
	if (rc < 0)
		kf_err_context(err, "cannot delete Rekognition collection 'kingface-%lld'",
			       (long long)g->id);
	kf_match_engine_close(&me);
	return rc;
}
