/* settings.c: known settings with defaults and ranges (settings.h). */
#include "data/settings.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/nn_gemm_q8.h"
#include "core/threshold.h"

const struct kf_setting_def kf_settings[] = {
	{ "threshold", KF_THRESHOLD_AUTO, 0, 100, 0, 1,
	  "similarity (0-100) at which a face matches a client, or auto (for the gallery's size)",
	  NULL },
	{ "max-faces", 100, 1, 1000, 1, 0, "faces kept per photo, the largest first", NULL },
	{ "cache-ttl-days", 7, 0, 3650, 0, 0, "days a cached match result stays valid", NULL },
	{ "max-attempts", 3, 1, 100, 1, 0, "failed attempts before a photo's job is dead", NULL },
	{ "precision", KF_PRECISION_AUTO, 0, 1, 1, 0,
	  "auto: the recognition net in int8 where the CPU has dot products; fp32: float32 only",
	  kf_precision_words },
	{ NULL, 0, 0, 0, 0, 0, NULL, NULL },
};

const struct kf_setting_def *kf_settings_find(const char *key)
{
	for (const struct kf_setting_def *d = kf_settings; d->key; d++)
		if (strcmp(d->key, key) == 0)
			return d;
	return NULL;
}

static int parse(const struct kf_setting_def *d, const char *text, double *v, struct kf_err *err)
{
	char *end;
	double x;

	if (d->can_auto && strcmp(text, "auto") == 0) {
		*v = KF_THRESHOLD_AUTO;
		return KF_OK;
	}
	if (d->choices) {
		char words[128] = "";
		int i;

		for (i = 0; d->choices[i]; i++) {
			if (!strcmp(text, d->choices[i])) {
				*v = i;
				return KF_OK;
			}
			snprintf(words + strlen(words), sizeof(words) - strlen(words), "%s%s",
				 !i ? "" : d->choices[i + 1] ? ", " : " or ", d->choices[i]);
		}
		return kf_err_set(err, KF_E_INVALID, "setting '%s' must be %s, not '%s' (kingface "
				  "settings set %s VALUE)", d->key, words, text, d->key);
	}
	x = strtod(text, &end);
	if (!*text || *end || !(x >= d->min && x <= d->max) || (d->integer && x != floor(x)))
		return kf_err_set(err, KF_E_INVALID, "setting '%s' must be %s from %g to %g%s, not "
				  "'%s' (kingface settings set %s VALUE)", d->key,
				  d->integer ? "a whole number" : "a number", d->min, d->max,
				  d->can_auto ? " or auto" : "", text, d->key);
	*v = x;
	return KF_OK;
}

int kf_settings_get(struct kf_store *st, const char *key, double *value, struct kf_err *err)
{
	const struct kf_setting_def *d = kf_settings_find(key);
	struct kf_err gerr = KF_ERR_INIT;
	char text[64];
	int rc;

	if (!d)
		return kf_err_set(err, KF_E_NOTFOUND, "no setting '%s'", key);
	rc = kf_store_setting_get(st, key, text, sizeof(text), &gerr);
	if (rc == KF_E_NOTFOUND) {
		*value = d->def;
		return KF_OK;
	}
	if (rc < 0)
		return kf_err_set(err, rc, "%s", gerr.msg);
	return parse(d, text, value, err);
}

const char *kf_settings_text(const struct kf_setting_def *d, double v, char *buf, size_t n)
{
	if (d->can_auto && v == KF_THRESHOLD_AUTO)
		snprintf(buf, n, "auto");
	else if (d->choices)
		snprintf(buf, n, "%s", d->choices[(int)v]);
	else
		snprintf(buf, n, "%g", v);
	return buf;
}

int kf_settings_set(struct kf_store *st, const char *key, const char *value,
		    struct kf_err *err)
{
	const struct kf_setting_def *d = kf_settings_find(key);
	double v;
	int rc;

	if (!d)
		return kf_err_set(err, KF_E_NOTFOUND, "no setting '%s' (see kingface settings get)",
				  key);
	if ((rc = parse(d, value, &v, err)) < 0)
		return rc;
	return kf_store_setting_set(st, key, value, err);
}
