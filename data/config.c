/* config.c: settings and credentials from the environment or a 0600 file
 * (config.h). */
#include "data/config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/alloc.h"

#define MAX_LINE 4096

static int default_path(char *out, size_t n, struct kf_err *err)
{
	const char *x = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	int w;

	if (x && *x)
		w = snprintf(out, n, "%s/kingface/config", x);
	else if (home && *home)
		w = snprintf(out, n, "%s/.config/kingface/config", home);
	else
		return kf_err_set(err, KF_E_INVALID, "neither XDG_CONFIG_HOME nor HOME is set");
	return w < 0 || (size_t)w >= n ? kf_err_set(err, KF_E_INVALID, "config path is too long")
				       : KF_OK;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static void wipe(char *s)
{
	if (s) {
		volatile char *p = s;

		while (*p)
			*p++ = '\0';
	}
}

/* Parse one line into cfg; lineno for the messages. */
static int parse_line(struct kf_config *cfg, char *line, int lineno, struct kf_err *err)
{
	char *eq, *k, *v;

	line = trim(line);
	if (*line == '\0' || *line == '#')
		return KF_OK;
	if (!(eq = strchr(line, '=')))
		return kf_err_set(err, KF_E_FORMAT, "config '%s' line %d: expected 'key = value'",
				  cfg->path, lineno);
	*eq = '\0';
	k = trim(line);
	v = trim(eq + 1);
	if (*k == '\0')
		return kf_err_set(err, KF_E_FORMAT, "config '%s' line %d: empty key", cfg->path,
				  lineno);
	for (char *c = k; *c; c++)
		if (!(isupper((unsigned char)*c) || isdigit((unsigned char)*c) || *c == '_'))
			return kf_err_set(err, KF_E_FORMAT, "config '%s' line %d: keys are names like "
					  "AWS_REGION (capitals, digits, _)", cfg->path, lineno);
	for (size_t i = 0; i < cfg->n; i++)
		if (strcmp(cfg->key[i], k) == 0)
			return kf_err_set(err, KF_E_FORMAT, "config '%s' line %d: %s is set twice",
					  cfg->path, lineno, k);
	if (cfg->n == KF_CONFIG_MAX_KEYS)
		return kf_err_set(err, KF_E_FORMAT, "config '%s': more than %d keys", cfg->path,
				  KF_CONFIG_MAX_KEYS);
	if (!(cfg->key[cfg->n] = kf_strdup(k)))
		return kf_err_set(err, KF_E_NOMEM, "out of memory reading the config");
	if (!(cfg->value[cfg->n] = kf_strdup(v))) {
		kf_free(cfg->key[cfg->n]);
		return kf_err_set(err, KF_E_NOMEM, "out of memory reading the config");
	}
	cfg->n++;
	return KF_OK;
}

int kf_config_load(struct kf_config *cfg, const char *path, struct kf_err *err)
{
	char buf[4096], line[MAX_LINE];
	struct stat sb;
	FILE *f;
	int rc = KF_OK, lineno = 0;

	memset(cfg, 0, sizeof(*cfg));
	if (!path) {
		if ((rc = default_path(buf, sizeof(buf), err)) < 0)
			return rc;
		path = buf;
	}
	if (!(f = fopen(path, "r"))) {
		if (errno == ENOENT)
			return KF_OK;
		return kf_err_errno(err, KF_E_IO, "cannot read config '%s'", path);
	}
	if (!(cfg->path = kf_strdup(path))) {
		fclose(f);
		return kf_err_set(err, KF_E_NOMEM, "out of memory reading the config");
	}
	if (fstat(fileno(f), &sb) != 0) {
		rc = kf_err_errno(err, KF_E_IO, "cannot read config '%s'", path);
		goto out;
	}
	if (sb.st_mode & (S_IRWXG | S_IRWXO)) {
		rc = kf_err_set(err, KF_E_AUTH, "config '%s' holds secrets but others may read it "
				"(mode %03o); run: chmod 600 '%s'", path,
				(unsigned)(sb.st_mode & 0777), path);
		goto out;
	}
	while (rc == KF_OK && fgets(line, sizeof(line), f)) {
		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			rc = kf_err_set(err, KF_E_FORMAT, "config '%s' line %d is too long", path, lineno);
			break;
		}
		rc = parse_line(cfg, line, lineno, err);
	}
	wipe(line);
	if (rc == KF_OK && ferror(f))
		rc = kf_err_errno(err, KF_E_IO, "cannot read config '%s'", path);
out:
	fclose(f);
	if (rc < 0)
		kf_config_release(cfg);
	return rc;
}

const char *kf_config_get(const struct kf_config *cfg, const char *key)
{
	const char *env = getenv(key);

	if (env && *env)
		return env;
	for (size_t i = 0; cfg && i < cfg->n; i++)
		if (strcmp(cfg->key[i], key) == 0)
			return cfg->value[i];
	return NULL;
}

void kf_config_release(struct kf_config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < cfg->n; i++) {
		wipe(cfg->value[i]);
		kf_free(cfg->value[i]);
		kf_free(cfg->key[i]);
	}
	kf_free(cfg->path);
	memset(cfg, 0, sizeof(*cfg));
}
