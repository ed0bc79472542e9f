/* paths.h: where kingface keeps its files.
 *
 * The database: --db PATH, else $KINGFACE_DB, else $XDG_DATA_HOME/kingface/kingface.db
 * (XDG_DATA_HOME defaults to ~/.local/share).
 * The face-api models: --models DIR, else $KINGFACE_MODELS, else the folder
 * scripts/setup extracts to (compiled in), else $XDG_DATA_HOME/kingface/models.
 * A model folder "holds the weights" when it has ssd_mobilenetv1_model-weights_manifest.json.
 */
#ifndef KF_PATHS_H
#define KF_PATHS_H

#include <stddef.h>

#include "core/err.h"

/* Resolve the database path into out (size n). `flag` is the --db value or NULL.
 * When the path is the default one, its parent folders are created (0700). */
int kf_paths_db(const char *flag, char *out, size_t n, struct kf_err *err);

/* Resolve the model folder into out. `builtin` is the compiled-in default (may be
 * NULL). Returns KF_E_NOTFOUND, with a message naming scripts/setup and
 * KINGFACE_MODELS, when no candidate holds the weights; an explicit --models or
 * KINGFACE_MODELS that lacks them is an error naming that folder. */
int kf_paths_models(const char *flag, const char *builtin, char *out, size_t n,
		    struct kf_err *err);

/* mkdir -p with the given mode for each created component. */
int kf_paths_mkdirs(const char *dir, unsigned mode, struct kf_err *err);

#endif
