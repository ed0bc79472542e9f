/* enroll.c: a reference face from a photo file (enroll.h). */
#include "data/enroll.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "data/photo_fetch.h"
#include "data/source_folder.h"
#include "data/store_gallery.h"

int kf_enroll_detect(const struct kf_engine *e, const struct kf_detect_opts *o,
		     const char *path, struct kf_enroll_file *out, struct kf_err *err)
{
	struct kf_arena arena = KF_ARENA_INIT;
	uint8_t *buf = NULL;
	size_t len;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = kf_image_read_file(path, &buf, &len, err)) < 0 ||
	    (rc = kf_engine_faces(e, o, buf, len, KF_FIND_DESCRIPTORS | KF_FIND_PAD_RETRY,
				  &out->faces, &out->n, &out->info, &out->pad, &arena, err)) < 0) {
		if (!strstr(err ? err->msg : "", path))
			kf_err_context(err, "'%s'", path);
		kf_enroll_file_release(out);
		goto out;
	}
	kf_source_sha256_hex(buf, len, out->sha256);
out:
	kf_free(buf);
	kf_arena_release(&arena);
	return rc;
}

int kf_enroll_check(const struct kf_face *f, char *why, size_t n)
{
	float side = f->box.width < f->box.height ? f->box.width : f->box.height;

	if (side >= KF_ENROLL_MIN_FACE_PX && f->score >= KF_ENROLL_MIN_SCORE)
		return 0;
	snprintf(why, n, "too %s for a reliable reference (%.0f px, score %.2f; needs at least %d px and %.1f)",
		 side < KF_ENROLL_MIN_FACE_PX ? "small" : "uncertain", (double)side,
		 (double)f->score, KF_ENROLL_MIN_FACE_PX, (double)KF_ENROLL_MIN_SCORE);
	return 1;
}

int kf_enroll_pick(const struct kf_enroll_file *ef, const char *path, int64_t pick, int force,
		   char *why, size_t n)
{
	const struct kf_face *f;
	char gate[160];

	if (ef->n == 0) {
		snprintf(why, n, "no face found in '%s'", path);
	} else if (pick < 0 && ef->n > 1) {
		snprintf(why, n, "%zu faces found in '%s'", ef->n, path);
		return KF_ENROLL_SEVERAL;
	} else if (pick >= (int64_t)ef->n) {
		snprintf(why, n, "--face %lld: '%s' has %zu face%s (0 to %zu)", (long long)pick, path,
			 ef->n, ef->n == 1 ? "" : "s", ef->n - 1);
	} else if ((f = &ef->faces[pick < 0 ? 0 : pick])->too_small) {
		/* no descriptor: not even with force */
		snprintf(why, n, "the face in '%s' is too small to recognise (%.0f px wide, needs %d); "
			 "use a better photo", path, (double)f->box.width, KF_RECOGNIZABLE_MIN_FACE);
	} else if (!force && kf_enroll_check(f, gate, sizeof(gate))) {
		snprintf(why, n, "the face in '%s' is %s; use a better photo", path, gate);
		return KF_ENROLL_GATE;
	} else {
		return pick < 0 ? 0 : (int)pick;
	}
	return -1;
}

void kf_enroll_ref(const struct kf_enroll_file *ef, size_t i, const char *abs_path,
		   struct kf_face_ref *r)
{
	const struct kf_face *f = &ef->faces[i];

	memcpy(r->descriptor, f->descriptor, sizeof(r->descriptor));
	r->box_left = f->box.x / (float)ef->info.width;
	r->box_top = f->box.y / (float)ef->info.height;
	r->box_width = f->box.width / (float)ef->info.width;
	r->box_height = f->box.height / (float)ef->info.height;
	r->score = f->score;
	r->source_face_index = (int)i;
	r->source_photo_id = 0;
	r->source_path = (char *)abs_path;
	r->source_sha256 = (char *)ef->sha256;
}

int kf_enroll_store(struct kf_store *st, struct kf_match_engine *me, int64_t gallery_id,
		    const struct kf_enroll_file *ef, size_t i, const char *path,
		    struct kf_face_ref *r, int64_t *id, struct kf_err *err)
{
	struct kf_enroll_query q;
	char sha[65], ref_id[KF_MATCH_ENGINE_REF_SIZE] = "";
	const char *ids[1] = { ref_id };
	uint8_t *buf = NULL;
	unsigned long calls = kf_match_engine_calls(me);
	size_t len = 0;
	int rc = KF_OK;

	memset(&q, 0, sizeof(q));
	q.gallery_id = gallery_id;
	q.client_id = r->client_id;
	q.left = r->box_left;
	q.top = r->box_top;
	q.width = r->box_width;
	q.height = r->box_height;
	q.only_face = ef && ef->n == 1 && i == 0;
	if (kf_match_engine_has(me, KF_MATCH_ENGINE_REMOTE)) {
		/* the engine sees the bytes the detector saw, or nothing */
		if ((rc = kf_image_read_file(path, &buf, &len, err)) < 0)
			goto out;
		kf_source_sha256_hex(buf, len, sha);
		if (ef && strcmp(sha, ef->sha256) != 0) {
			rc = kf_err_set(err, KF_E_INVALID, "'%s' changed while enrolling; try again",
					path);
			goto out;
		}
		q.photo = buf;
		q.len = len;
	}
	if ((rc = kf_match_engine_enroll(me, &q, ref_id, err)) < 0)
		goto out;
	r->model = (char *)kf_match_engine_model(me);
	r->engine = (char *)kf_match_engine_name(me);
	snprintf(r->face_id, sizeof(r->face_id), "%s", ref_id);
	if ((rc = kf_store_face_add(st, r, id, err)) < 0 && ref_id[0])
		kf_match_engine_forget(me, gallery_id, ids, 1, NULL);	/* no orphan face */
out:
	kf_store_gallery_add_calls(st, gallery_id, (int64_t)(kf_match_engine_calls(me) - calls),
				   NULL);
	if (rc < 0 && !strstr(err ? err->msg : "", path))
		kf_err_context(err, "'%s'", path);
	kf_free(buf);
	return rc;
}

int kf_enroll_file_face(struct kf_store *st, struct kf_match_engine *me, int64_t gallery_id,
			const struct kf_enroll_file *ef, size_t i, const char *path,
			int64_t client_id, struct kf_face_ref *r, int64_t *id, struct kf_err *err)
{
	char abs_path[PATH_MAX];
	int rc;

	if (!realpath(path, abs_path))
		snprintf(abs_path, sizeof(abs_path), "%s", path);
	memset(r, 0, sizeof(*r));
	kf_enroll_ref(ef, i, abs_path, r);
	r->client_id = client_id;
	rc = kf_enroll_store(st, me, gallery_id, ef, i, path, r, id, err);
	r->source_path = NULL;	/* abs_path is gone */
	return rc;
}

int kf_enroll_photo_face(struct kf_store *st, struct kf_match_engine *me,
			 const struct kf_photo *p, int face_index, struct kf_face_ref *r,
			 int64_t *id, struct kf_err *err)
{
	struct kf_photo_local f = { 0 };
	int64_t client_id = r->client_id;
	int remote = kf_match_engine_has(me, KF_MATCH_ENGINE_REMOTE), rc;

	rc = remote ? kf_store_face_box_from_photo(st, p->id, face_index, r, err)
		    : kf_store_face_from_photo(st, p->id, face_index, r, err);
	if (rc < 0)
		return rc;
	r->client_id = client_id;
	if (remote && (rc = kf_photo_fetch(st, p, &f, err)) < 0)
		goto out;
	rc = kf_enroll_store(st, me, p->gallery_id, NULL, 0, remote ? f.path : p->key, r, id,
			     err);
out:
	kf_photo_local_release(&f);
	return rc;
}

void kf_enroll_file_release(struct kf_enroll_file *ef)
{
	if (!ef)
		return;
	kf_free(ef->faces);
	memset(ef, 0, sizeof(*ef));
}
