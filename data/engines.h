/* engines.h: the match engines by name, and what removing enrolled faces
 * means for a remote engine.
 *
 * The CLI, the console and the workers name an engine ("local",
 * "rekognition": galleries.engine, --engine); kf_engines_open() gives the
 * handle behind core/match_engine.h. Removal: a Rekognition reference is
 * biometric data in AWS's collection, so removing a client, a reference or a
 * gallery deletes it there first (kf_engines_forget, kf_engines_drop_gallery);
 * when that fails (offline, credentials) the caller keeps the local rows and
 * says so, unless told to go on (--force): a failed remote delete never
 * silently leaves biometric data behind (docs/engines.md).
 *
 * Thread-safety: as the engines (one handle per thread); the store is the
 * caller's connection.
 */
#ifndef KF_ENGINES_H
#define KF_ENGINES_H

#include <stddef.h>
#include <stdint.h>

#include "core/match_engine.h"
#include "data/store.h"

struct kf_gallery;

/* Open the engine called name into *me (caller kf_match_engine_close()s):
 * "local" over local (borrowed; must not be NULL then), "rekognition"
 * (data/rek_engine.h). Another name: KF_E_INVALID naming the choices. */
int kf_engines_open(const char *name, const struct kf_engine *local, struct kf_match_engine *me,
		    struct kf_err *err);

/* Before references are removed here: delete the remote ones of the gallery
 * (of client_id when > 0, only its reference ref_id when > 0 too) from their
 * engine, opened only when there are some; *n_remote (may be NULL) gets how
 * many. The calls count for the gallery. Errors: the engine's, with context
 * naming what could not be deleted. */
int kf_engines_forget(struct kf_store *st, int64_t gallery_id, int64_t client_id,
		      int64_t ref_id, size_t *n_remote, struct kf_err *err);

/* Before the gallery is removed here: delete its remote collection when it has
 * remote references or a remote engine (a missing collection is fine).
 * *remote (may be NULL) is set to 1 when an engine was asked. */
int kf_engines_drop_gallery(struct kf_store *st, const struct kf_gallery *g, int *remote,
			    struct kf_err *err);

#endif
