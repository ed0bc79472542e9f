/* enroll.h: a client's reference face from a photo file, shared by the
 * `enroll` command and the console's enrollment prompt.
 *
 * kf_enroll_detect() reads the file once, finds its faces with descriptors
 * (searching again on a padded canvas for tight crops, KF_FIND_PAD_RETRY) and
 * hashes its bytes; the caller picks a face (never silently: several faces
 * need a choice), checks it with kf_enroll_check() (unless forced), and makes
 * the reference with kf_enroll_ref() for kf_store_face_add().
 *
 * Thread-safety: no shared state; the engine may be shared.
 */
#ifndef KF_ENROLL_H
#define KF_ENROLL_H

#include <stddef.h>

#include "core/engine.h"
#include "core/match_engine.h"
#include "data/store_client.h"
#include "data/store_face.h"
#include "data/store_photo.h"

/* The quality gate: smaller or less certain faces are refused unless forced. */
#define KF_ENROLL_MIN_FACE_PX 80
#define KF_ENROLL_MIN_SCORE 0.8f

struct kf_enroll_file {
	struct kf_face *faces;		/* by score, highest first; NULL when none */
	size_t n;
	struct kf_image_info info;	/* upright size */
	double pad;			/* canvas factor that found them, 0: the photo */
	char sha256[65];		/* of the file's bytes */
};

/* Faces of the photo file at path. On success *out is the caller's
 * (kf_enroll_file_release); n may be 0. Errors name the path. */
int kf_enroll_detect(const struct kf_engine *e, const struct kf_detect_opts *o,
		     const char *path, struct kf_enroll_file *out, struct kf_err *err);

/* 0 when f is good enough for a reference; otherwise 1 and why (size n) says
 * "too small for a reliable reference (52 px, score 0.97; needs at least 80 px and 0.8)". */
int kf_enroll_check(const struct kf_face *f, char *why, size_t n);

/* The face of ef (found in the file at path) to enroll: the only one, or
 * face pick when pick >= 0; refused when too small to recognise, and by
 * kf_enroll_check() unless force. Returns its index; KF_ENROLL_SEVERAL with
 * why (n bytes) "3 faces found in 'x.jpg'" when there are several and no
 * pick (the caller says how to choose); KF_ENROLL_GATE with why "the face
 * in 'x.jpg' is too small for a reliable reference (...); use a better
 * photo" (the caller may say how to force it); else -1 with why: no face,
 * pick out of range, too small to recognise. */
#define KF_ENROLL_SEVERAL (-2)
#define KF_ENROLL_GATE (-3)
int kf_enroll_pick(const struct kf_enroll_file *ef, const char *path, int64_t pick, int force,
		   char *why, size_t n);

/* Fill r from face i of ef (descriptor, box as fractions, score, face index,
 * sha256 pointing into ef, source_path = abs_path). client_id and model are
 * left to the caller. r borrows ef's and abs_path's memory. */
void kf_enroll_ref(const struct kf_enroll_file *ef, size_t i, const char *abs_path,
		   struct kf_face_ref *r);

/* Make face i of ef (found in the file at path) a reference of r->client_id
 * in gallery_id with engine me, and store it: r (from kf_enroll_ref, or a
 * stored photo face when photo/len are the photo's bytes and ef is NULL) gets
 * the engine's model, name and id of the face. The local engine stores the
 * descriptor; a remote one indexes the face first (only that face: the crop
 * unless the detector found no other, data/rek_engine.h), and deletes it again
 * when storing fails. *id (may be NULL) gets the reference's id. The engine's
 * calls count for the gallery. Errors: the engine's or the store's, naming path. */
int kf_enroll_store(struct kf_store *st, struct kf_match_engine *me, int64_t gallery_id,
		    const struct kf_enroll_file *ef, size_t i, const char *path,
		    struct kf_face_ref *r, int64_t *id, struct kf_err *err);

/* Face i of ef, found in the file at path, as a reference of client_id:
 * kf_enroll_ref (with the file's absolute path) then kf_enroll_store. r is
 * filled, its strings pointing into ef and this call: only its numbers and
 * face_id are to be read after. */
int kf_enroll_file_face(struct kf_store *st, struct kf_match_engine *me, int64_t gallery_id,
			const struct kf_enroll_file *ef, size_t i, const char *path,
			int64_t client_id, struct kf_face_ref *r, int64_t *id, struct kf_err *err);

/* Enroll face face_index of the processed gallery photo p for r->client_id
 * with engine me and store it (kf_enroll_store): the local engine reuses the
 * stored descriptor (KF_E_NOTFOUND "process it first" when there is none); a
 * remote one is sent the face's crop from the photo's bytes (kf_photo_fetch:
 * its file, or its copy from the bucket). r is filled as by
 * kf_store_face_from_photo and borrows static strings: do not release it. */
int kf_enroll_photo_face(struct kf_store *st, struct kf_match_engine *me,
			 const struct kf_photo *p, int face_index, struct kf_face_ref *r,
			 int64_t *id, struct kf_err *err);

/* NULL-safe; zeroes *ef. */
void kf_enroll_file_release(struct kf_enroll_file *ef);

/* A folder of reference photos, one group a client (`kingface enroll
 * --folder`, enroll_folder.c): each subfolder of the folder is a client named
 * as the subfolder, its photos (kf_source_is_photo_name; deeper folders are
 * not read) that client's references; a photo directly in the folder is a
 * reference of the client named as the file without its extension, nor a
 * copy's " (2)" (spaces around a name removed). Hidden entries are skipped, and links to folders
 * are not followed (as by a gallery's import); links to photos are. */
struct kf_enroll_group {
	char *client;		/* the name */
	char **images;		/* paths (dir/file, dir/subfolder/file), sorted */
	size_t n;
	char *why;		/* NULL, or why a subfolder gave no photo (unreadable, none) */
};

/* Enrolling a folder's groups (kf_enroll_import_group). */
struct kf_enroll_import {
	const struct kf_engine *e;	/* finds the faces */
	const struct kf_detect_opts *o;
	struct kf_match_engine *me;	/* makes and stores the references */
	int force;			/* as kf_enroll_pick's */
	const char *choose;		/* added to why (after "; ") for several faces, */
	const char *forced;		/* (after ", ") for a face kf_enroll_check refuses */
	/* Told of each photo of a group (may be NULL): enrolled as reference id
	 * (r: the face; its strings are gone after the call), already a
	 * reference of the client (id 0, why NULL), or not enrolled (why; ef the
	 * faces found: several is why, none when the file could not be read). */
	void (*photo)(void *ctx, const char *path, int64_t id, const struct kf_face_ref *r,
		      const struct kf_enroll_file *ef, const char *why);
	void *ctx;
};

struct kf_enroll_import_result {
	struct kf_client client;	/* id 0: none (no photo enrolled, or why) */
	int created;			/* added by this import */
	int64_t enrolled, already, failed;	/* photos */
	char why[512];			/* "": the photos were tried; else why none was */
};

/* What an import did, its groups together. */
struct kf_enroll_import_totals {
	int64_t clients, created;		/* clients with references, of them added */
	int64_t enrolled, already, failed;	/* photos */
};

/* Add a group's res to t (an import's or kf_enroll_import_plan's). */
void kf_enroll_import_count(struct kf_enroll_import_totals *t,
			    const struct kf_enroll_import_result *res);

/* Enroll group gr's photos as references of the gallery's client named as
 * the group (kf_store_client_named), skipping the photos it has already (the
 * same sha256). A client the gallery lacks is added with its first
 * reference, never without one. Nothing stops it: a photo that fails is
 * counted and told, a group that cannot be tried (a name kf_store_name_typed
 * refuses, an empty subfolder, the store) says why in res->why. res->client
 * is the caller's (kf_store_client_release). */
void kf_enroll_import_group(struct kf_store *st, int64_t gallery_id,
			    const struct kf_enroll_import *im, const struct kf_enroll_group *gr,
			    struct kf_enroll_import_result *res);

/* What kf_enroll_import_group would do with gr, detecting nothing and
 * writing nothing (client import --dry-run): res->client as it would find it
 * (id 0 and res->created: to be added), res->already the photos it would
 * skip, res->enrolled the ones it would try (each may still fail enroll's
 * rules), res->why as it would say. already (gr->n bytes, may be NULL) gets
 * 1 for each photo skipped. res->client is the caller's. */
void kf_enroll_import_plan(struct kf_store *st, int64_t gallery_id,
			   const struct kf_enroll_group *gr, struct kf_enroll_import_result *res,
			   unsigned char *already);

/* The groups of dir, sorted by client name (ASCII case aside, then bytes; a
 * photo and a subfolder of one name are one group). On success *out (*n groups, maybe 0)
 * is the caller's: kf_enroll_groups_free. KF_E_NOTFOUND or KF_E_IO naming dir
 * when it is missing, not a folder, or unreadable. */
int kf_enroll_groups(const char *dir, struct kf_enroll_group **out, size_t *n,
		     struct kf_err *err);
/* NULL-safe. */
void kf_enroll_groups_free(struct kf_enroll_group *g, size_t n);

#endif
