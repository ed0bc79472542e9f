/* settings.h: the named settings kingface keeps in the store, their defaults
 * and their ranges. Commands read a setting when its option is not given
 * (--threshold falls back to the "threshold" setting, and so on). */
#ifndef KF_SETTINGS_H
#define KF_SETTINGS_H

#include <stddef.h>

#include "data/store.h"

struct kf_setting_def {
	const char *key;
	double def, min, max;
	int integer;		/* whole numbers only */
	int can_auto;		/* "auto" is a value: KF_THRESHOLD_AUTO (-1) */
	const char *help;
	const char *const *choices;	/* NULL, or the words it takes (NULL-terminated):
					 * the value is the word's index */
};

/* The known settings, NULL-key terminated. */
extern const struct kf_setting_def kf_settings[];

/* The definition of key, or NULL. */
const struct kf_setting_def *kf_settings_find(const char *key);

/* The value of key: stored, else its default; -1 for "auto". KF_E_NOTFOUND for an unknown
 * key; KF_E_INVALID naming the key and the fix when the stored text is bad. */
int kf_settings_get(struct kf_store *st, const char *key, double *value, struct kf_err *err);

/* Validate and store; KF_E_INVALID names the key and its range. */
/* The text of a value of d ("auto", "80", "7"), into buf of n bytes. */
const char *kf_settings_text(const struct kf_setting_def *d, double v, char *buf, size_t n);

int kf_settings_set(struct kf_store *st, const char *key, const char *value,
		    struct kf_err *err);

#endif
