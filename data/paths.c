/* paths.c: database and model locations (see paths.h). */
#include "data/paths.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KF_MODEL_PROBE "ssd_mobilenetv1_model-weights_manifest.json"

static int xdg_data(char *out, size_t n, const char *leaf, struct kf_err *err)
{
	const char *x = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
	int w;

	if (x && *x)
		w = snprintf(out, n, "%s/kingface/%s", x, leaf);
	else if (home && *home)
		w = snprintf(out, n, "%s/.local/share/kingface/%s", home, leaf);
	else
		return kf_err_set(err, KF_E_INVALID,
				  "neither XDG_DATA_HOME nor HOME is set; use --db PATH");
	if (w < 0 || (size_t)w >= n)
		return kf_err_set(err, KF_E_INVALID, "data folder path is too long");
	return KF_OK;
}

static int copy_path(char *out, size_t n, const char *p, struct kf_err *err)
{
	if (strlen(p) >= n)
		return kf_err_set(err, KF_E_INVALID, "path '%.64s...' is too long", p);
	memcpy(out, p, strlen(p) + 1);
	return KF_OK;
}

int kf_paths_mkdirs(const char *dir, unsigned mode, struct kf_err *err)
{
	char buf[4096];
	size_t len = strlen(dir);

	if (len >= sizeof(buf))
		return kf_err_set(err, KF_E_INVALID, "path '%.64s...' is too long", dir);
	memcpy(buf, dir, len + 1);
	for (char *p = buf + 1; ; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;
			*p = '\0';
			if (mkdir(buf, (mode_t)mode) != 0 && errno != EEXIST)
				return kf_err_errno(err, KF_E_IO, "cannot create folder '%s'", buf);
			*p = c;
			if (c == '\0')
				break;
		}
	}
	return KF_OK;
}

int kf_paths_db(const char *flag, char *out, size_t n, struct kf_err *err)
{
	const char *env = getenv("KINGFACE_DB");
	char *slash;
	int rc;

	if (flag && *flag)
		return copy_path(out, n, flag, err);
	if (env && *env)
		return copy_path(out, n, env, err);
	if ((rc = xdg_data(out, n, "kingface.db", err)) < 0)
		return rc;
	slash = strrchr(out, '/');
	*slash = '\0';
	rc = kf_paths_mkdirs(out, 0700, err);
	*slash = '/';
	return rc;
}

static int holds_models(const char *dir)
{
	char probe[4096];

	if (snprintf(probe, sizeof(probe), "%s/%s", dir, KF_MODEL_PROBE) >= (int)sizeof(probe))
		return 0;
	return access(probe, R_OK) == 0;
}

int kf_paths_models(const char *flag, const char *builtin, char *out, size_t n,
		    struct kf_err *err)
{
	const char *env = getenv("KINGFACE_MODELS");
	char xdg[4096];

	if (flag && *flag) {
		if (!holds_models(flag))
			return kf_err_set(err, KF_E_NOTFOUND,
					  "--models '%s' holds no face-api weights (%s)", flag,
					  KF_MODEL_PROBE);
		return copy_path(out, n, flag, err);
	}
	if (env && *env) {
		if (!holds_models(env))
			return kf_err_set(err, KF_E_NOTFOUND,
					  "KINGFACE_MODELS '%s' holds no face-api weights (%s)",
					  env, KF_MODEL_PROBE);
		return copy_path(out, n, env, err);
	}
	if (builtin && *builtin && holds_models(builtin))
		return copy_path(out, n, builtin, err);
	if (xdg_data(xdg, sizeof(xdg), "models", NULL) == KF_OK && holds_models(xdg))
		return copy_path(out, n, xdg, err);
	return kf_err_set(err, KF_E_NOTFOUND,
			  "face-api models not found; run scripts/setup or set KINGFACE_MODELS");
}
