/* match.c: one photo through the engine and the search (match.h). */
#include "core/match.h"

#include <string.h>

#include "core/alloc.h"

int kf_match_photo(const struct kf_engine *e, const struct kf_detect_opts *o,
		   const struct kf_search *s, float threshold, const uint8_t *buf, size_t len,
		   struct kf_match_result *res, struct kf_arena *scratch, struct kf_err *err)
{
	struct kf_image_info info;
	struct kf_face *faces = NULL;
	size_t n = 0;
	int rc;

	memset(res, 0, sizeof(*res));
	if ((rc = kf_engine_faces(e, o, buf, len, KF_FIND_DESCRIPTORS, &faces, &n, &info, NULL,
				  scratch, err)) < 0)
		return rc;
	res->width = info.width;
	res->height = info.height;
	if (n && !(res->faces = kf_calloc(n, sizeof(*res->faces)))) {
		kf_free(faces);
		return kf_err_set(err, KF_E_NOMEM, "out of memory matching faces");
	}
	for (size_t i = 0; i < n; i++) {
		struct kf_match_face *m = &res->faces[i];

		m->box = faces[i].box;
		m->score = faces[i].score;
		if ((m->too_small = faces[i].too_small)) {
			m->no_descriptor = 1;
			continue;
		}
		memcpy(m->descriptor, faces[i].descriptor, sizeof(m->descriptor));
		if ((rc = kf_search_query(s, m->descriptor, threshold, m->hits, KF_MATCH_MAX_HITS,
					  &m->nhits, &m->best_below, err)) < 0) {
			kf_free(faces);
			kf_match_result_release(res);
			return rc;
		}
	}
	res->nfaces = n;
	kf_free(faces);
	return KF_OK;
}

void kf_match_result_release(struct kf_match_result *res)
{
	if (!res)
		return;
	kf_free(res->faces);
	memset(res, 0, sizeof(*res));
}
