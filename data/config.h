/* config.h: the connected-mode settings and credentials, from the environment
 * or the config file $XDG_CONFIG_HOME/kingface/config (~/.config/...).
 *
 * File format: `key = value` lines; blank lines and lines starting with '#'
 * are ignored; keys are the environment variable names (AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AWS_ENDPOINT_URL, AWS_REGION, KINGFACE_BUCKET,
 * KINGFACE_PG_URL). The environment wins over the file. The file holds
 * secrets, so it is refused unless only its owner can read it (mode 0600 or
 * stricter), with an error naming the file and the fix (chmod 600).
 *
 * Secrets never reach an error message: errors name the key and the line,
 * never the value. kf_config_release() wipes the values before freeing them.
 */
#ifndef KF_CONFIG_H
#define KF_CONFIG_H

#include <stddef.h>

#include "core/err.h"

#define KF_CONFIG_MAX_KEYS 32

struct kf_config {
	char *path;			/* the file read, or NULL when none */
	size_t n;
	char *key[KF_CONFIG_MAX_KEYS];
	char *value[KF_CONFIG_MAX_KEYS];
};

/* Read the config file at path (NULL: the default location). A missing file
 * is not an error (an empty config). Errors: KF_E_AUTH for a file others may
 * read, KF_E_FORMAT for a bad line (named by number, the value not shown),
 * KF_E_IO, KF_E_NOMEM. On success *cfg is owned by the caller. */
int kf_config_load(struct kf_config *cfg, const char *path, struct kf_err *err);

/* The value of key: the environment's when set and non-empty, else the
 * file's, else NULL. The string belongs to the environment or to cfg. */
const char *kf_config_get(const struct kf_config *cfg, const char *key);

/* Wipe and free; the config may be loaded again. NULL-safe. */
void kf_config_release(struct kf_config *cfg);

#endif
