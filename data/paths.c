/* paths.c: database and model locations (see paths.h). */
#include "data/paths.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KF_MODEL_PROBE "ssd_mobilenetv1_model-weights_manifest.json"
#define KF_YUNET_PROBE "yunet-weights_manifest.json"

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
			if (mkdir(buf, (mode_t)mode) == 0)
				chmod(buf, (mode_t)mode);	/* the umask took bits off */
			else if (errno != EEXIST)
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

static int readable_by_others(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 && (sb.st_mode & (S_IRGRP | S_IROTH));
}

static int is_folder(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* Append "<before>'<path>'<after>" to msg (size n, *len used so far), truncating. */
static void append(char *msg, size_t n, size_t *len, const char *before, const char *path,
		   const char *after)
{
	int w;

	if (*len >= n)
		return;
	w = snprintf(msg + *len, n - *len, "%s'%s'%s", before, path, after);
	*len = w < 0 ? n : *len + (size_t)w;
}

int kf_paths_db_exposed(const char *db, char *msg, size_t n)
{
	static const char *const suffix[] = { "", "-wal", "-shm", "-journal" };
	char path[4200], dir[4096];
	size_t len = 0, dlen;
	int found = 0;

	for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", db, suffix[i]);
		if (!readable_by_others(path) || is_folder(path))	/* no database's */
			continue;
		if (!found++)
			append(msg, n, &len, "", path, " is readable by other users; run: chmod 600");
		append(msg, n, &len, " ", path, "");
	}
	if (!found)
		return 0;
	/* the data folder: "<dir>/" in front of a name without '/' */
	if (xdg_data(dir, sizeof(dir), "", NULL) == KF_OK && (dlen = strlen(dir)) > 1 &&
	    !strncmp(db, dir, dlen) && !strchr(db + dlen, '/')) {
		dir[dlen - 1] = '\0';
		if (readable_by_others(dir))
			append(msg, n, &len, "; chmod 700 ", dir, "");
	}
	return 1;
}

static int holds(const char *dir, const char *file)
{
	char probe[4096];

	if (snprintf(probe, sizeof(probe), "%s/%s", dir, file) >= (int)sizeof(probe))
		return 0;
	return access(probe, R_OK) == 0;
}

static int holds_models(const char *dir)
{
	return holds(dir, KF_MODEL_PROBE);
}

int kf_paths_yunet(const char *models_dir, const char *builtin, char *out, size_t n,
		   struct kf_err *err)
{
	if (models_dir && *models_dir && holds(models_dir, KF_YUNET_PROBE))
		return copy_path(out, n, models_dir, err);
	if (builtin && *builtin && holds(builtin, KF_YUNET_PROBE))
		return copy_path(out, n, builtin, err);
	return kf_err_set(err, KF_E_NOTFOUND, "YuNet weights not found: no %s in '%s' or '%s'",
			  KF_YUNET_PROBE, models_dir ? models_dir : "", builtin ? builtin : "");
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

int kf_paths_expand_home(const char *in, char *out, size_t n, struct kf_err *err)
{
	const char *home = getenv("HOME");
	int w;

	if (in[0] == '~' && (in[1] == '/' || in[1] == '\0') && home && *home)
		w = snprintf(out, n, "%s%s", home, in + 1);
	else
		w = snprintf(out, n, "%s", in);
	if (w < 0 || (size_t)w >= n)
		return kf_err_set(err, KF_E_INVALID, "path '%.64s...' is too long", in);
	return KF_OK;
}

int kf_paths_complete(const char *in, char *out, size_t n, int *matches, struct kf_err *err)
{
	char dir[4096], first[256] = "";
	const char *slash, *base;
	size_t dlen, blen, common = 0;
	int count = 0, rc;
	DIR *d;
	struct dirent *e;

	if (matches)
		*matches = 0;
	if ((rc = kf_paths_expand_home(in, out, n, err)) < 0)
		return rc;
	slash = strrchr(out, '/');
	base = slash ? slash + 1 : out;
	blen = strlen(base);
	dlen = slash ? (size_t)(slash - out) + 1 : 0;
	if (dlen >= sizeof(dir))
		return kf_err_set(err, KF_E_INVALID, "path '%.64s...' is too long", in);
	if (dlen)
		memcpy(dir, out, dlen);
	dir[dlen] = '\0';
	if (!(d = opendir(dlen ? dir : ".")))
		return KF_OK;
	while ((e = readdir(d))) {
		size_t k;

		if (strncmp(e->d_name, base, blen) != 0 || !strcmp(e->d_name, ".") ||
		    !strcmp(e->d_name, "..") || (e->d_name[0] == '.' && base[0] != '.') ||
		    strlen(e->d_name) >= sizeof(first))
			continue;
		if (count++ == 0) {
			snprintf(first, sizeof(first), "%s", e->d_name);
			common = strlen(first);
			continue;
		}
		for (k = 0; k < common && first[k] == e->d_name[k]; k++)
			;
		common = k;
	}
	closedir(d);
	if (matches)
		*matches = count;
	if (count == 0)
		return KF_OK;
	if (dlen + common + 2 > n)
		return kf_err_set(err, KF_E_INVALID, "path '%.64s...' is too long", in);
	memcpy(out + dlen, first, common);
	out[dlen + common] = '\0';
	if (count == 1) {
		struct stat sb;

		if (stat(out, &sb) == 0 && S_ISDIR(sb.st_mode))
			strcat(out, "/");
	}
	return KF_OK;
}

int64_t kf_stat_mtime_ns(const struct stat *sb)
{
#ifdef __APPLE__
	return (int64_t)sb->st_mtimespec.tv_sec * 1000000000 + sb->st_mtimespec.tv_nsec;
#else
	return (int64_t)sb->st_mtim.tv_sec * 1000000000 + sb->st_mtim.tv_nsec;
#endif
}
