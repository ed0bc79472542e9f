/* match_engine.c: the engine interface and its local implementation
 * (match_engine.h). The local engine is a borrowed struct kf_engine: threads
 * share it read-only, so a thread's handle is a copy of the pointer. */
#include "core/match_engine.h"

#include <string.h>

#include "core/assign.h"

static int local_thread(const struct kf_match_engine *me, struct kf_match_engine *out,
			struct kf_err *err)
{
	(void)err;
	*out = *me;
	return KF_OK;
}

static void local_close(struct kf_match_engine *me)
{
	(void)me;	/* the engine is borrowed */
}

static int local_match(struct kf_match_engine *me, const struct kf_match_query *q,
		       const uint8_t *buf, size_t len, struct kf_match_result *res,
		       struct kf_arena *scratch, struct kf_err *err)
{
	return kf_match_photo(me->impl, &q->detect, q->search, q->threshold, buf, len, res,
			      scratch, err);
}

static int local_enroll(struct kf_match_engine *me, const struct kf_enroll_query *q,
			char ref_id[KF_MATCH_ENGINE_REF_SIZE], struct kf_err *err)
{
	(void)me;
	(void)q;
	(void)err;
	ref_id[0] = '\0';	/* the descriptor is the reference */
	return KF_OK;
}

static const struct kf_match_engine_ops local_ops = {
	.name = KF_MATCH_ENGINE_LOCAL,
	.model = KF_ENGINE_MODEL,
	.caps = KF_MATCH_ENGINE_DESCRIPTORS,
	.thread = local_thread,
	.close = local_close,
	.match = local_match,
	.enroll = local_enroll,
};

void kf_match_engine_local(struct kf_match_engine *me, const struct kf_engine *e)
{
	me->ops = &local_ops;
	me->impl = (void *)(uintptr_t)e;	/* only ever read */
}

int kf_match_engine_thread(const struct kf_match_engine *me, struct kf_match_engine *out,
			   struct kf_err *err)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = me->ops->thread(me, out, err)) < 0)
		memset(out, 0, sizeof(*out));
	return rc;
}

void kf_match_engine_close(struct kf_match_engine *me)
{
	if (!me || !me->ops)
		return;
	me->ops->close(me);
	memset(me, 0, sizeof(*me));
}

int kf_match_engine_match(struct kf_match_engine *me, const struct kf_match_query *q,
			  const uint8_t *buf, size_t len, struct kf_match_result *res,
			  struct kf_arena *scratch, struct kf_err *err)
{
	float margin = kf_match_engine_has(me, KF_MATCH_ENGINE_DESCRIPTORS) ? q->margin : -1.0f;
	int rc;

	if ((rc = me->ops->match(me, q, buf, len, res, scratch, err)) < 0)
		return rc;
	kf_match_review_apply(res->faces, res->nfaces, res->width, res->height, q->reviews,
			      q->nreviews, q->search);
	if ((rc = kf_match_assign(res->faces, res->nfaces, margin, err)) < 0)
		kf_match_result_release(res);
	return rc;
}

int kf_match_engine_enroll(struct kf_match_engine *me, const struct kf_enroll_query *q,
			   char ref_id[KF_MATCH_ENGINE_REF_SIZE], struct kf_err *err)
{
	return me->ops->enroll(me, q, ref_id, err);
}

int kf_match_engine_forget(struct kf_match_engine *me, int64_t gallery_id,
			   const char *const *ref_ids, size_t n, struct kf_err *err)
{
	if (n == 0 || !me->ops->forget)
		return KF_OK;
	return me->ops->forget(me, gallery_id, ref_ids, n, err);
}

int kf_match_engine_drop_gallery(struct kf_match_engine *me, int64_t gallery_id,
				 struct kf_err *err)
{
	return me->ops->drop_gallery ? me->ops->drop_gallery(me, gallery_id, err) : KF_OK;
}

unsigned long kf_match_engine_calls(const struct kf_match_engine *me)
{
	return me->ops->calls ? me->ops->calls(me) : 0;
}

const char *kf_match_engine_name(const struct kf_match_engine *me)
{
	return me->ops->name;
}

const char *kf_match_engine_model(const struct kf_match_engine *me)
{
	return me->ops->model;
}

int kf_match_engine_has(const struct kf_match_engine *me, unsigned caps)
{
	return (me->ops->caps & caps) == caps;
}

int kf_match_engine_known(const char *name)
{
	return name && (!strcmp(name, KF_MATCH_ENGINE_LOCAL) ||
			!strcmp(name, KF_MATCH_ENGINE_REKOGNITION));
}
