/* photo_cache.c: the ETag-keyed download cache (photo_cache.h). */
#include "data/photo_cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "data/paths.h"

struct entry {
	char *path;
	int64_t size, mtime_ns;
};

int kf_photo_cache_init(struct kf_photo_cache *c, const char *dir, int64_t limit_bytes,
			struct kf_err *err)
{
	const char *v;
	int n;

	memset(c, 0, sizeof(*c));
	if (!dir && (v = getenv("KINGFACE_PHOTO_CACHE")) && *v)
		dir = v;
	if (dir)
		n = snprintf(c->dir, sizeof(c->dir), "%s", dir);
	else if ((v = getenv("XDG_CACHE_HOME")) && *v == '/')
		n = snprintf(c->dir, sizeof(c->dir), "%s/kingface/photos", v);
	else if ((v = getenv("HOME")) && *v)
		n = snprintf(c->dir, sizeof(c->dir), "%s/.cache/kingface/photos", v);
	else
		return kf_err_set(err, KF_E_INVALID, "no folder for the photo cache: set "
				  "KINGFACE_PHOTO_CACHE or HOME");
	if (n < 0 || (size_t)n >= sizeof(c->dir))
		return kf_err_set(err, KF_E_INVALID, "photo cache folder '%.64s...' is too long",
				  c->dir);
	c->limit_bytes = limit_bytes;
	if (limit_bytes <= 0) {
		long long mb = KF_PHOTO_CACHE_DEFAULT_MB;
		char *end;

		if ((v = getenv("KINGFACE_PHOTO_CACHE_MB")) && *v) {
			errno = 0;
			mb = strtoll(v, &end, 10);
			if (errno || *end || mb < 1 || mb > (1LL << 30))
				return kf_err_set(err, KF_E_INVALID, "KINGFACE_PHOTO_CACHE_MB '%.32s' "
						  "is not a size in MiB (1 or more)", v);
		}
		c->limit_bytes = (int64_t)mb << 20;
	}
	return kf_paths_mkdirs(c->dir, 0700, err);
}

/* The file name of (key, etag) into path; 0 when the ETag cannot name a file. */
static int file_of(const struct kf_photo_cache *c, const char *key, const char *etag,
		   char *path)
{
	const char *dot = strrchr(key, '.');
	const char *ext = !dot ? "" : !strcasecmp(dot, ".jpg") ? ".jpg" :
			  !strcasecmp(dot, ".jpeg") ? ".jpeg" : !strcasecmp(dot, ".png") ? ".png" : "";
	size_t n = strlen(etag);

	if (n < 2 || n >= KF_S3_ETAG_SIZE || strspn(etag, "0123456789abcdefghijklmnopqrstuvwxyz"
						   "ABCDEFGHIJKLMNOPQRSTUVWXYZ-") != n)
		return 0;
	n = (size_t)snprintf(path, PATH_MAX, "%s/%.2s/%s%s", c->dir, etag, etag, ext);
	return n < PATH_MAX;
}

int kf_photo_cache_lookup(const struct kf_photo_cache *c, const char *key, const char *etag,
			  char *path)
{
	struct stat sb;

	if (!etag || !file_of(c, key, etag, path) || stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
		return 0;
	utimensat(AT_FDCWD, path, NULL, 0);	/* used now: last to be evicted */
	return 1;
}

int kf_photo_cache_fetch(const struct kf_photo_cache *c, struct kf_s3 *s3, const char *key,
			 const char *expected_etag, char **path_out,
			 char etag_out[KF_S3_ETAG_SIZE], struct kf_err *err)
{
	char path[PATH_MAX], tmp[PATH_MAX], shard[PATH_MAX];
	struct kf_err terr = KF_ERR_INIT;
	struct kf_s3_object o;
	int fd, rc;

	*path_out = NULL;
	etag_out[0] = '\0';
	if (kf_photo_cache_lookup(c, key, expected_etag, path)) {
		snprintf(etag_out, KF_S3_ETAG_SIZE, "%s", expected_etag);
		goto found;
	}
	if (!s3)
		return kf_err_set(err, KF_E_NET, "photo '%s' is not in the photo cache '%s' and "
				  "there is no connection to S3", key, c->dir);
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/.dl-XXXXXX", c->dir) >= sizeof(tmp))
		return kf_err_set(err, KF_E_INVALID, "photo cache folder is too long");
	if ((fd = mkstemp(tmp)) < 0)
		return kf_err_errno(err, KF_E_IO, "cannot create a file in the photo cache '%s'",
				    c->dir);
	close(fd);
	if ((rc = kf_s3_get_file(s3, key, tmp, &o, err)) < 0)
		goto fail;
	if (!file_of(c, key, o.etag, path)) {
		rc = kf_err_set(err, KF_E_FORMAT, "downloading '%s': the server sent no usable ETag",
				key);
		goto fail;
	}
	/* the shard folder: path up to its last '/' */
	memcpy(shard, path, PATH_MAX);
	*strrchr(shard, '/') = '\0';
	if (mkdir(shard, 0700) != 0 && errno != EEXIST) {
		rc = kf_err_errno(err, KF_E_IO, "cannot create folder '%s'", shard);
		goto fail;
	}
	if (rename(tmp, path) != 0) {
		rc = kf_err_errno(err, KF_E_IO, "cannot rename '%s' to '%s'", tmp, path);
		goto fail;
	}
	memcpy(etag_out, o.etag, KF_S3_ETAG_SIZE);
	/* best effort: a cache over its limit is no reason to fail a photo */
	kf_photo_cache_trim(c, path, NULL, &terr);
found:
	if (!(*path_out = kf_strdup(path)))
		return kf_err_set(err, KF_E_NOMEM, "out of memory");
	return KF_OK;
fail:
	unlink(tmp);
	return rc;
}

static int by_mtime(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	return x->mtime_ns < y->mtime_ns ? -1 : x->mtime_ns > y->mtime_ns;
}

/* Add the files of shard folder dir to *list. */
static int scan_shard(const char *dir, struct entry **list, size_t *n, size_t *cap,
		      int64_t *total, struct kf_err *err)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int rc = KF_OK;

	if (!d)
		return errno == ENOENT ? KF_OK : kf_err_errno(err, KF_E_IO, "cannot read '%s'", dir);
	while (rc == KF_OK && (de = readdir(d))) {
		char path[PATH_MAX];
		struct stat sb;

		if (de->d_name[0] == '.' ||
		    (size_t)snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= sizeof(path) ||
		    lstat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
			continue;
		if (*n == *cap) {
			size_t ncap = *cap ? *cap * 2 : 256;
			struct entry *l = kf_realloc(*list, ncap * sizeof(*l));

			if (!l) {
				rc = kf_err_set(err, KF_E_NOMEM, "out of memory");
				break;
			}
			*list = l;
			*cap = ncap;
		}
		if (!((*list)[*n].path = kf_strdup(path))) {
			rc = kf_err_set(err, KF_E_NOMEM, "out of memory");
			break;
		}
		(*list)[*n].size = sb.st_size;
		(*list)[*n].mtime_ns = kf_stat_mtime_ns(&sb);
		*total += sb.st_size;
		(*n)++;
	}
	closedir(d);
	return rc;
}

int kf_photo_cache_trim(const struct kf_photo_cache *c, const char *keep, int64_t *removed,
			struct kf_err *err)
{
	struct entry *list = NULL;
	size_t n = 0, cap = 0;
	int64_t total = 0, gone = 0;
	struct dirent *de;
	DIR *d;
	int rc = KF_OK;

	if (removed)
		*removed = 0;
	if (!(d = opendir(c->dir)))
		return kf_err_errno(err, KF_E_IO, "cannot read the photo cache '%s'", c->dir);
	while (rc == KF_OK && (de = readdir(d))) {
		char shard[PATH_MAX];
		struct stat sb;

		/* a download a crash left behind, a day old */
		if (!strncmp(de->d_name, ".dl-", 4) &&
		    (size_t)snprintf(shard, sizeof(shard), "%s/%s", c->dir, de->d_name) <
		    sizeof(shard) && lstat(shard, &sb) == 0 && S_ISREG(sb.st_mode) &&
		    sb.st_mtime < time(NULL) - 86400)
			unlink(shard);
		if (de->d_name[0] == '.' || strlen(de->d_name) != 2 ||
		    (size_t)snprintf(shard, sizeof(shard), "%s/%s", c->dir, de->d_name) >=
		    sizeof(shard))
			continue;
		rc = scan_shard(shard, &list, &n, &cap, &total, err);
	}
	closedir(d);
	if (rc == KF_OK && total > c->limit_bytes) {
		qsort(list, n, sizeof(*list), by_mtime);
		for (size_t i = 0; i < n && total > c->limit_bytes; i++) {
			if (keep && !strcmp(list[i].path, keep))
				continue;
			if (unlink(list[i].path) == 0 || errno == ENOENT) {
				total -= list[i].size;
				gone++;
			}
		}
	}
	for (size_t i = 0; i < n; i++)
		kf_free(list[i].path);
	kf_free(list);
	if (removed)
		*removed = gone;
	return rc;
}
