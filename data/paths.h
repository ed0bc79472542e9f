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
#include <stdint.h>

#include "core/err.h"

struct stat;

/* Resolve the database path into out (size n). `flag` is the --db value or NULL.
 * When the path is the default one, its parent folders are created (0700). */
int kf_paths_db(const char *flag, char *out, size_t n, struct kf_err *err);

/* Resolve the model folder into out. `builtin` is the compiled-in default (may be
 * NULL). Returns KF_E_NOTFOUND, with a message naming scripts/setup and
 * KINGFACE_MODELS, when no candidate holds the weights; an explicit --models or
 * KINGFACE_MODELS that lacks them is an error naming that folder. */
int kf_paths_models(const char *flag, const char *builtin, char *out, size_t n,
		    struct kf_err *err);

/* Resolve YuNet's weight folder into out: models_dir (the face-api folder
 * resolved above, may be NULL) when it holds yunet-weights_manifest.json,
 * else `builtin` (the repository's models/yunet, compiled in). KF_E_NOTFOUND
 * naming both when neither does. */
int kf_paths_yunet(const char *models_dir, const char *builtin, char *out, size_t n,
		   struct kf_err *err);

/* "~" or "~/..." with $HOME in front (other paths copied as they are) into out. */
int kf_paths_expand_home(const char *in, char *out, size_t n, struct kf_err *err);

/* Complete a path being typed, as a shell's Tab does: out gets `in` ("~/"
 * expanded) extended by the longest prefix shared by the entries of its folder
 * whose names start with its last component (dot-files only when that
 * component starts with '.'); when exactly one entry matches and it is a
 * folder, a '/' is added. *matches (may be NULL) gets how many entries
 * matched; with none, out is `in` expanded. An unreadable folder is not an
 * error (no match). Thread-safe. */
int kf_paths_complete(const char *in, char *out, size_t n, int *matches, struct kf_err *err);

/* mkdir -p: each component it creates gets exactly `mode`, whatever the umask
 * (kingface's folders are 0700); existing ones are left as they are. */
int kf_paths_mkdirs(const char *dir, unsigned mode, struct kf_err *err);

/* Whether other users can read the database at `db`: when it, or its -wal,
 * -shm or -journal file, has a group or other read bit, fills msg (size n) with
 * one line naming the first such file and the fix, and returns 1:
 *   'DB' is readable by other users; run: chmod 600 'DB' 'DB-wal'
 * with "; chmod 700 'DIR'" after it when the database is in kingface's own data
 * folder (DIR, $XDG_DATA_HOME/kingface) and that folder is readable too.
 * Returns 0, msg untouched, when nothing is readable or `db` does not exist.
 * Thread-safe (reads the environment). */
int kf_paths_db_exposed(const char *db, char *msg, size_t n);

/* A file's modification time in nanoseconds since the epoch. POSIX names the
 * timespec st_mtim (Linux); macOS names it st_mtimespec. */
int64_t kf_stat_mtime_ns(const struct stat *sb);

#endif
