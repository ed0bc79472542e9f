/* export.c: a folder per client with its photos, and the manifest (export.h). */
#include "data/export.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "data/photo_fetch.h"
#include "data/store_client.h"
#include "data/store_photo.h"
#include "data/store_result.h"

#define NAME_MAX_BYTES 200
#define MANIFEST "manifest.csv"

void kf_export_folder_name(const char *name, char *out, size_t n)
{
	size_t len = 0, max = n - 1 < NAME_MAX_BYTES ? n - 1 : NAME_MAX_BYTES;
	const unsigned char *s = (const unsigned char *)name;

	while (*s == ' ' || *s == '.')
		s++;
	for (; *s && len < max; s++) {
		unsigned char c = *s;

		if (c < 0x20 || c == 0x7f || strchr("/\\:*?\"<>|", c))
			c = '_';
		out[len++] = (char)c;
	}
	/* never end inside a UTF-8 sequence: drop a cut lead byte and its tail */
	if (*s) {
		size_t k = len;

		while (k > 0 && ((unsigned char)out[k - 1] & 0xc0) == 0x80)
			k--;
		if (k > 0 && ((unsigned char)out[k - 1] & 0xc0) == 0xc0)
			len = k - 1;
	}
	while (len > 0 && (out[len - 1] == ' ' || out[len - 1] == '.'))
		len--;
	out[len] = '\0';
	if (len == 0)
		snprintf(out, n, "_");
}

const char *kf_export_kept_words(size_t kept)
{
	return kept == 1 ? "name taken by another file" : "names taken by other files";
}

/* RFC 4180 field; one that a spreadsheet would take for a formula gets a quote */
static void csv_field(FILE *f, const char *s, int last)
{
	int quote = strpbrk(s, ",\"\r\n") != NULL;

	if (quote)
		fputc('"', f);
	if (strchr("=+-@", s[0]) && s[0])
		fputc('\'', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	if (quote)
		fputc('"', f);
	fputc(last ? '\n' : ',', f);
}

struct names {
	char **v;
	size_t n, cap;
};

static int names_has(const struct names *u, const char *s)
{
	for (size_t i = 0; i < u->n; i++)
		if (strcasecmp(u->v[i], s) == 0)
			return 1;
	return 0;
}

static int names_add(struct names *u, const char *s)
{
	if (u->n == u->cap) {
		size_t cap = u->cap ? u->cap * 2 : 16;
		char **v = kf_realloc(u->v, cap * sizeof(*v));

		if (!v)
			return KF_E_NOMEM;
		u->v = v;
		u->cap = cap;
	}
	if (!(u->v[u->n] = kf_strdup(s)))
		return KF_E_NOMEM;
	u->n++;
	return KF_OK;
}

static void names_free(struct names *u)
{
	for (size_t i = 0; i < u->n; i++)
		kf_free(u->v[i]);
	kf_free(u->v);
	memset(u, 0, sizeof(*u));
}

/* A name not yet in u (case aside): base, else "base (2)", "base (3)"... */
static int unique_name(struct names *u, const char *base, char *out, size_t n)
{
	snprintf(out, n, "%s", base);
	for (int k = 2; names_has(u, out); k++)
		snprintf(out, n, "%s (%d)", base, k);
	return names_add(u, out);
}

static int copy_file(const char *src, int dirfd, const char *name, const char *shown,
		     struct kf_err *err)
{
	char buf[1 << 16];
	int in, out, rc = KF_OK;
	ssize_t r;

	if ((in = open(src, O_RDONLY | O_CLOEXEC)) < 0)
		return kf_err_set(err, errno == ENOENT ? KF_E_NOTFOUND : KF_E_IO,
				  "cannot read %s: %s", src, strerror(errno));
	if ((out = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666)) < 0) {
		rc = errno == EEXIST ? KF_E_EXISTS :
		     kf_err_set(err, KF_E_IO, "cannot write %s: %s", shown, strerror(errno));
		close(in);
		return rc;
	}
	while ((r = read(in, buf, sizeof(buf))) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = kf_err_set(err, KF_E_IO, "cannot read %s: %s", src, strerror(errno));
			break;
		}
		for (ssize_t off = 0; off < r;) {
			ssize_t w = write(out, buf + off, (size_t)(r - off));

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				rc = kf_err_set(err, KF_E_IO, "cannot write %s: %s", shown,
						strerror(errno));
				break;
			}
			off += w;
		}
		if (rc < 0)
			break;
	}
	if (close(out) < 0 && rc == KF_OK)
		rc = kf_err_set(err, KF_E_IO, "cannot write %s: %s", shown, strerror(errno));
	close(in);
	if (rc < 0)
		unlinkat(dirfd, name, 0);
	return rc;
}

/* dirfd/name is the photo file src already: the same file (an earlier
 * export's link) or a regular file with the same bytes (its copy). Any doubt
 * (unreadable, a link) is a no. */
static int same_file(const char *src, int dirfd, const char *name)
{
	char a[1 << 16], b[1 << 16];
	struct stat ss, ds;
	int fa = -1, fb = -1, same = 0;
	ssize_t ra, rb;

	if (stat(src, &ss) != 0 || fstatat(dirfd, name, &ds, AT_SYMLINK_NOFOLLOW) != 0 ||
	    !S_ISREG(ds.st_mode))
		return 0;
	if (ss.st_dev == ds.st_dev && ss.st_ino == ds.st_ino)
		return 1;
	if (ss.st_size != ds.st_size ||
	    (fa = open(src, O_RDONLY | O_CLOEXEC)) < 0 ||
	    (fb = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		goto out;
	for (;;) {	/* regular files: a short read only at the end */
		ra = read(fa, a, sizeof(a));
		rb = read(fb, b, sizeof(b));
		if (ra < 0 || ra != rb || memcmp(a, b, (size_t)ra) != 0)
			break;
		if (ra == 0) {
			same = 1;
			break;
		}
	}
out:
	if (fa >= 0)
		close(fa);
	if (fb >= 0)
		close(fb);
	return same;
}

/* Put the photo file src at dirfd/name: a hard link, else a copy. */
static int place(const char *src, int dirfd, const char *name, const char *shown, int copy,
		 struct kf_export_stats *stats, struct kf_err *err)
{
	int rc;

	if (!copy) {
		if (linkat(AT_FDCWD, src, dirfd, name, 0) == 0) {
			stats->linked++;
			return KF_OK;
		}
		if (errno == EEXIST)
			return KF_E_EXISTS;
		if (errno == ENOENT)
			return kf_err_set(err, KF_E_NOTFOUND, "cannot read %s: %s", src,
					  strerror(errno));
		if (errno != EXDEV && errno != EPERM && errno != EMLINK && errno != ENOTSUP)
			return kf_err_set(err, KF_E_IO, "cannot link %s to %s: %s", src, shown,
					  strerror(errno));
	}
	if ((rc = copy_file(src, dirfd, name, shown, err)) == KF_OK)
		stats->copied++;
	return rc;
}

/* Every result row of the client (all pages). */
static int client_rows(struct kf_store *st, int64_t client_id, struct kf_result_row **out,
		       size_t *n, struct kf_err *err)
{
	int64_t total = 0;

	return kf_store_results_client(st, client_id, 0, INT64_MAX, out, n, &total, err);
}

/* The file names of a client's photos: the key's last component, or the
 * whole key with '/' as '_' for names two photos share; into names[i]. */
static int file_names(const struct kf_result_row *rows, size_t n, char (*names)[256])
{
	for (size_t i = 0; i < n; i++) {
		const char *slash = strrchr(rows[i].key, '/');

		kf_export_folder_name(slash ? slash + 1 : rows[i].key, names[i], 256);
	}
	for (size_t i = 0; i < n; i++) {
		int dup = 0;

		for (size_t j = 0; j < n && !dup; j++)
			dup = j != i && strcasecmp(names[i], names[j]) == 0 &&
			      strcmp(rows[i].key, rows[j].key) != 0;
		if (dup) {
			char flat[256];

			snprintf(flat, sizeof(flat), "%s", rows[i].key);
			for (char *p = flat; *p; p++)
				if (*p == '/')
					*p = '_';
			kf_export_folder_name(flat, names[i], 256);
		}
	}
	return KF_OK;
}

struct run {
	struct kf_store *st;
	int64_t gallery_id;
	const struct kf_export_opts *o;
	struct kf_export_stats *stats;
	int dirfd;
	FILE *manifest;
	struct names folders;
};

static int export_client(struct run *r, const struct kf_client *c, struct kf_err *err)
{
	struct kf_result_row *rows = NULL;
	char base[NAME_MAX_BYTES + 1], folder[256], (*names)[256] = NULL, shown[4096];
	size_t n = 0;
	int rc, cfd = -1;

	if ((rc = client_rows(r->st, c->id, &rows, &n, err)) < 0 || n == 0)
		goto out;
	kf_export_folder_name(c->name, base, sizeof(base));
	if ((rc = unique_name(&r->folders, base, folder, sizeof(folder))) < 0) {
		rc = kf_err_set(err, KF_E_NOMEM, "out of memory exporting");
		goto out;
	}
	snprintf(shown, sizeof(shown), "%s/%s", r->o->dir, folder);
	if (mkdirat(r->dirfd, folder, 0777) < 0 && errno != EEXIST) {
		rc = kf_err_set(err, KF_E_IO, "cannot create %s: %s", shown, strerror(errno));
		goto out;
	}
	if ((cfd = openat(r->dirfd, folder, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		rc = kf_err_set(err, KF_E_IO, "cannot use %s: %s", shown,
				errno == ELOOP || errno == ENOTDIR ? "not a folder (a link or a file)" :
				strerror(errno));
		goto out;
	}
	if (!(names = kf_calloc(n, sizeof(*names)))) {
		rc = kf_err_set(err, KF_E_NOMEM, "out of memory exporting");
		goto out;
	}
	file_names(rows, n, names);
	r->stats->clients++;
	for (size_t i = 0; i < n; i++) {
		struct kf_photo p = { 0 };
		struct kf_photo_local l = { 0 };
		char ref[32], sim[32], face[16];

		snprintf(shown, sizeof(shown), "%s/%s/%s", r->o->dir, folder, names[i]);
		snprintf(ref, sizeof(ref), "%lld", (long long)rows[i].photo_id);
		if ((rc = kf_store_photo_find(r->st, r->gallery_id, ref, &p, err)) < 0)
			goto out;
		rc = kf_photo_fetch(r->st, &p, &l, err);
		if (rc == KF_OK)
			rc = place(l.path, cfd, names[i], shown, r->o->copy, r->stats, err);
		if (rc == KF_E_EXISTS) {	/* an earlier export's, or someone else's */
			r->stats->existing++;
			if (!same_file(l.path, cfd, names[i])) {
				r->stats->kept++;
				if (r->o->note)
					r->o->note(r->o->ctx, shown);
			}
			rc = KF_OK;
		}
		kf_photo_local_release(&l);
		kf_store_photo_release(&p);
		if (rc < 0)
			goto out;
		snprintf(face, sizeof(face), "%d", rows[i].face_index);
		snprintf(sim, sizeof(sim), "%.2f", rows[i].similarity);
		csv_field(r->manifest, c->name, 0);
		csv_field(r->manifest, rows[i].key, 0);
		csv_field(r->manifest, face, 0);
		csv_field(r->manifest, sim, 0);
		csv_field(r->manifest, rows[i].confirmed ? "confirmed" : "", 1);
		r->stats->photos++;
	}
	rc = KF_OK;
out:
	if (cfd >= 0)
		close(cfd);
	kf_free(names);
	kf_store_results_free(rows, n);
	return rc;
}

int kf_export(struct kf_store *st, int64_t gallery_id, const struct kf_export_opts *o,
	      struct kf_export_stats *stats, struct kf_err *err)
{
	struct run r = { st, gallery_id, o, stats, -1, NULL, { NULL, 0, 0 } };
	struct kf_client *clients = NULL;
	char tmp[64] = "";
	size_t n = 0;
	int rc, fd;

	memset(stats, 0, sizeof(*stats));
	if ((rc = kf_store_client_list(st, gallery_id, &clients, &n, err)) < 0)
		return rc;
	if (mkdir(o->dir, 0777) < 0 && errno != EEXIST) {
		rc = kf_err_set(err, KF_E_IO, "cannot create %s: %s", o->dir, strerror(errno));
		goto out;
	}
	if ((r.dirfd = open(o->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		rc = kf_err_set(err, KF_E_IO, "cannot use %s: %s", o->dir, strerror(errno));
		goto out;
	}
	snprintf(tmp, sizeof(tmp), ".%s.%ld.tmp", MANIFEST, (long)getpid());
	if ((fd = openat(r.dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666)) < 0 ||
	    !(r.manifest = fdopen(fd, "w"))) {
		rc = kf_err_set(err, KF_E_IO, "cannot write in %s: %s", o->dir, strerror(errno));
		if (fd >= 0)
			close(fd);
		goto out;
	}
	fputs("client,photo,face,similarity,review\n", r.manifest);
	for (size_t i = 0; i < n; i++) {
		if (o->client_id && clients[i].id != o->client_id)
			continue;
		if ((rc = export_client(&r, &clients[i], err)) < 0)
			goto out;
	}
	if (fflush(r.manifest) != 0 || ferror(r.manifest) || fsync(fileno(r.manifest)) < 0) {
		rc = kf_err_set(err, KF_E_IO, "cannot write %s/%s: %s", o->dir, MANIFEST,
				strerror(errno));
		goto out;
	}
	fd = fclose(r.manifest);
	r.manifest = NULL;
	if (fd != 0 || renameat(r.dirfd, tmp, r.dirfd, MANIFEST) < 0) {
		rc = kf_err_set(err, KF_E_IO, "cannot write %s/%s: %s", o->dir, MANIFEST,
				strerror(errno));
		goto out;
	}
	rc = KF_OK;
out:
	if (r.manifest)
		fclose(r.manifest);
	if (rc < 0 && r.dirfd >= 0)
		unlinkat(r.dirfd, tmp, 0);
	if (r.dirfd >= 0)
		close(r.dirfd);
	names_free(&r.folders);
	kf_store_client_list_free(clients, n);
	return rc;
}
