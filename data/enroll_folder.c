/* enroll_folder.c: a folder of reference photos, a group a client (enroll.h).
 *
 * Every (client, photo) pair of the folder is collected, sorted by client
 * (case aside first) then path, and cut into runs: a photo named after a
 * client and that client's subfolder land in one group. A subfolder without
 * photos gives one pair with no path and a reason, so the caller can say it.
 * kf_enroll_import_group then enrolls a group's photos for its client. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "core/alloc.h"
#include "data/enroll.h"
#include "data/source_folder.h"
#include "data/store.h"

struct pair {
	char *client, *path, *why;	/* path or why is NULL */
};

struct pairs {
	struct pair *p;
	size_t n, cap;
};

/* Take client (its spaces around removed), path and why (each NULL or
 * kf_malloc'ed) as one more pair. */
static int add(struct pairs *ps, char *client, char *path, char *why, struct kf_err *err)
{
	if (client) {
		size_t a = strspn(client, " "), n = strlen(client + a);

		memmove(client, client + a, n + 1);
		while (n > 0 && client[n - 1] == ' ')
			client[--n] = '\0';
	}
	if (ps->n == ps->cap) {
		size_t cap = ps->cap ? 2 * ps->cap : 64;
		struct pair *p = kf_realloc(ps->p, cap * sizeof(*p));

		if (!p)
			goto nomem;
		ps->p = p;
		ps->cap = cap;
	}
	if (!client || (!path && !why))
		goto nomem;
	ps->p[ps->n++] = (struct pair){ client, path, why };
	return KF_OK;
nomem:
	kf_free(client);
	kf_free(path);
	kf_free(why);
	return kf_err_set(err, KF_E_NOMEM, "out of memory listing reference photos");
}

static char *join(const char *dir, const char *name)
{
	size_t a = strlen(dir), b = strlen(name);
	char *s = kf_malloc(a + b + 2);

	if (s)
		snprintf(s, a + b + 2, "%s%s%s", dir, a && dir[a - 1] == '/' ? "" : "/", name);
	return s;
}

/* The photos of subfolder path, pairs for client name. */
static int subfolder(struct pairs *ps, const char *name, const char *path, struct kf_err *err)
{
	DIR *d = opendir(path);
	struct dirent *de;
	struct stat sb;
	size_t before = ps->n;
	char why[4200];
	int rc = KF_OK;

	if (!d) {
		snprintf(why, sizeof(why), "cannot read '%s': %s", path, strerror(errno));
		return add(ps, kf_strdup(name), NULL, kf_strdup(why), err);
	}
	while (rc == KF_OK && (de = readdir(d))) {
		char *file;

		if (de->d_name[0] == '.' || !kf_source_is_photo_name(de->d_name))
			continue;
		if (!(file = join(path, de->d_name)))
			rc = kf_err_set(err, KF_E_NOMEM, "out of memory listing reference photos");
		else if (stat(file, &sb) != 0 || !S_ISREG(sb.st_mode))
			kf_free(file);
		else
			rc = add(ps, kf_strdup(name), file, NULL, err);
	}
	closedir(d);
	if (rc == KF_OK && ps->n == before) {
		snprintf(why, sizeof(why), "no .jpg, .jpeg or .png photo in '%s'", path);
		rc = add(ps, kf_strdup(name), NULL, kf_strdup(why), err);
	}
	return rc;
}

/* The client a photo's file name names, in place: without its extension,
 * nor the " (2)" a browser or a file manager adds to a second copy. */
static void file_client(char *name)
{
	char *end = strrchr(name, '.'), *p;

	*end = '\0';
	if (end - name < 4 || end[-1] != ')')
		return;
	for (p = end - 2; p > name && *p >= '0' && *p <= '9'; p--)
		;
	if (p < end - 2 && *p == '(' && p > name && p[-1] == ' ')
		p[-1] = '\0';
}

static int by_client_path(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;
	int c = strcasecmp(x->client, y->client);

	if (!c)
		c = strcmp(x->client, y->client);	/* "Ana" and "ana" are two clients */
	if (c)
		return c;
	if (!x->path || !y->path)
		return !!x->path - !!y->path;
	return strcmp(x->path, y->path);
}

/* Cut the sorted pairs into groups, taking their strings. */
static int group(struct pairs *ps, struct kf_enroll_group **out, size_t *n, struct kf_err *err)
{
	struct kf_enroll_group *g = kf_calloc(ps->n ? ps->n : 1, sizeof(*g));
	size_t ng = 0;

	if (!g)
		return kf_err_set(err, KF_E_NOMEM, "out of memory listing reference photos");
	for (size_t i = 0, j; i < ps->n; i = j) {
		struct kf_enroll_group *x = &g[ng++];

		for (j = i; j < ps->n && !strcmp(ps->p[j].client, ps->p[i].client); j++)
			;
		x->client = ps->p[i].client;
		ps->p[i].client = NULL;
		if (!(x->images = kf_calloc(j - i, sizeof(*x->images)))) {
			kf_enroll_groups_free(g, ng);
			return kf_err_set(err, KF_E_NOMEM, "out of memory listing reference photos");
		}
		for (size_t k = i; k < j; k++) {
			if (ps->p[k].path)
				x->images[x->n++] = ps->p[k].path;
			else if (!x->why)
				x->why = ps->p[k].why, ps->p[k].why = NULL;
			ps->p[k].path = NULL;
		}
	}
	*out = g;
	*n = ng;
	return KF_OK;
}

int kf_enroll_groups(const char *dir, struct kf_enroll_group **out, size_t *n,
		     struct kf_err *err)
{
	struct pairs ps = { 0 };
	struct dirent *de;
	struct stat sb, lnk;
	DIR *d;
	int rc = KF_OK;

	*out = NULL;
	*n = 0;
	if (stat(dir, &sb) != 0)
		return kf_err_errno(err, errno == ENOENT ? KF_E_NOTFOUND : KF_E_IO,
				    "cannot read the folder '%s'", dir);
	if (!S_ISDIR(sb.st_mode))
		return kf_err_set(err, KF_E_INVALID, "'%s' is not a folder", dir);
	if (!(d = opendir(dir)))
		return kf_err_errno(err, KF_E_IO, "cannot read the folder '%s'", dir);
	while (rc == KF_OK && (de = readdir(d))) {
		char *path;

		if (de->d_name[0] == '.')
			continue;
		if (!(path = join(dir, de->d_name))) {
			rc = kf_err_set(err, KF_E_NOMEM, "out of memory listing reference photos");
		} else if (lstat(path, &lnk) != 0 || stat(path, &sb) != 0 ||
			   (S_ISLNK(lnk.st_mode) && S_ISDIR(sb.st_mode))) {
			kf_free(path);	/* a dangling link, or a link to a folder (loops) */
		} else if (S_ISDIR(sb.st_mode)) {
			rc = subfolder(&ps, de->d_name, path, err);
			kf_free(path);
		} else if (S_ISREG(sb.st_mode) && kf_source_is_photo_name(de->d_name)) {
			char *client = kf_strdup(de->d_name);

			if (client)
				file_client(client);
			rc = add(&ps, client, path, NULL, err);
		} else {
			kf_free(path);
		}
	}
	closedir(d);
	if (rc == KF_OK) {
		if (ps.n)
			qsort(ps.p, ps.n, sizeof(*ps.p), by_client_path);
		rc = group(&ps, out, n, err);
	}
	for (size_t i = 0; i < ps.n; i++) {
		kf_free(ps.p[i].client);
		kf_free(ps.p[i].path);
		kf_free(ps.p[i].why);
	}
	kf_free(ps.p);
	return rc;
}

/* Is the file at path already one of refs (by its bytes' sha256)? An
 * unreadable file is not: enrolling it says why. */
static int already_enrolled(const char *path, const struct kf_face_ref *refs, size_t n)
{
	uint8_t *buf = NULL;
	size_t len;
	char sha[65];
	int found = 0;

	if (n == 0 || kf_image_read_file(path, &buf, &len, NULL) < 0)
		return 0;
	kf_source_sha256_hex(buf, len, sha);
	kf_free(buf);
	for (size_t i = 0; i < n && !found; i++)
		found = refs[i].source_sha256 && !strcmp(refs[i].source_sha256, sha);
	return found;
}

/* Enroll the photo at path for res->client, adding the client (named name)
 * first when it has no id yet. 1 with *id and *r, else 0 with why (n bytes). */
static int enroll_photo(struct kf_store *st, int64_t gallery_id, const struct kf_enroll_import *im,
			const char *name, const char *path, struct kf_enroll_file *ef,
			struct kf_enroll_import_result *res, struct kf_face_ref *r, int64_t *id,
			char *why, size_t n)
{
	struct kf_err err = KF_ERR_INIT;
	int k;

	if (kf_enroll_detect(im->e, im->o, path, ef, &err) < 0)
		goto fail;
	if ((k = kf_enroll_pick(ef, path, -1, im->force, why, n)) == KF_ENROLL_SEVERAL && im->choose)
		snprintf(why + strlen(why), n - strlen(why), "; %s", im->choose);
	else if (k == KF_ENROLL_GATE && im->forced)
		snprintf(why + strlen(why), n - strlen(why), ", %s", im->forced);
	if (k < 0)
		return 0;
	if (!res->client.id) {
		if (kf_store_client_add(st, gallery_id, name, NULL, NULL, &err) < 0 ||
		    kf_store_client_named(st, gallery_id, name, &res->client, &err) < 0)
			goto fail;
		res->created = 1;
	}
	if (kf_enroll_file_face(st, im->me, gallery_id, ef, (size_t)k, path, res->client.id, r, id,
				&err) < 0)
		goto fail;
	return 1;
fail:
	if (!strstr(err.msg, path))
		kf_err_context(&err, "'%s'", path);
	snprintf(why, n, "%s", err.msg);
	return 0;
}

/* A group's client (res->client; id 0 when the gallery has none of that
 * name) and its references (*refs, *nrefs: the caller's), or why not in
 * res->why with res->failed set. 1 when the photos can be tried. */
static int open_group(struct kf_store *st, int64_t gallery_id, const struct kf_enroll_group *gr,
		      char *name, struct kf_face_ref **refs, size_t *nrefs,
		      struct kf_enroll_import_result *res)
{
	struct kf_err err = KF_ERR_INIT;
	int rc;

	memset(res, 0, sizeof(*res));
	*refs = NULL;
	*nrefs = 0;
	if (gr->n == 0) {
		snprintf(res->why, sizeof(res->why), "%s", gr->why ? gr->why : "no photo");
		res->failed = 1;
		return 0;
	}
	if (kf_store_name_typed("client", gr->client, name, KF_NAME_MAX + 1, &err) < 0 ||
	    ((rc = kf_store_client_named(st, gallery_id, name, &res->client, &err)) < 0 &&
	     rc != KF_E_NOTFOUND) ||
	    (rc == KF_OK && kf_store_face_list(st, res->client.id, refs, nrefs, &err) < 0)) {
		snprintf(res->why, sizeof(res->why), "'%s': %s", gr->client, err.msg);
		res->failed = (int64_t)gr->n;
		kf_store_client_release(&res->client);
		return 0;
	}
	return 1;
}

void kf_enroll_import_group(struct kf_store *st, int64_t gallery_id,
			    const struct kf_enroll_import *im, const struct kf_enroll_group *gr,
			    struct kf_enroll_import_result *res)
{
	struct kf_face_ref *refs;
	char name[KF_NAME_MAX + 1];
	size_t nrefs;

	if (!open_group(st, gallery_id, gr, name, &refs, &nrefs, res))
		return;
	for (size_t k = 0; k < gr->n; k++) {
		struct kf_enroll_file ef = { 0 };
		struct kf_face_ref r;
		char why[512];
		int64_t id = 0;

		memset(&r, 0, sizeof(r));
		if (already_enrolled(gr->images[k], refs, nrefs)) {
			res->already++;
			why[0] = '\0';
		} else if (enroll_photo(st, gallery_id, im, name, gr->images[k], &ef, res, &r, &id,
					why, sizeof(why))) {
			res->enrolled++;
			why[0] = '\0';
		} else {
			res->failed++;
		}
		if (im->photo)
			im->photo(im->ctx, gr->images[k], id, id ? &r : NULL, &ef, why[0] ? why : NULL);
		kf_enroll_file_release(&ef);
	}
	kf_store_face_list_free(refs, nrefs);
}

void kf_enroll_import_plan(struct kf_store *st, int64_t gallery_id,
			   const struct kf_enroll_group *gr, struct kf_enroll_import_result *res,
			   unsigned char *already)
{
	struct kf_face_ref *refs;
	char name[KF_NAME_MAX + 1];
	size_t nrefs;

	if (!open_group(st, gallery_id, gr, name, &refs, &nrefs, res))
		return;
	res->created = !res->client.id;
	for (size_t k = 0; k < gr->n; k++) {
		int a = already_enrolled(gr->images[k], refs, nrefs);

		if (already)
			already[k] = (unsigned char)a;
		res->already += a;
		res->enrolled += !a;
	}
	kf_store_face_list_free(refs, nrefs);
}

void kf_enroll_import_count(struct kf_enroll_import_totals *t,
			    const struct kf_enroll_import_result *res)
{
	t->clients += res->client.id != 0 || res->created;	/* a plan's new client */
	t->created += res->created;
	t->enrolled += res->enrolled;
	t->already += res->already;
	t->failed += res->failed;
}

void kf_enroll_groups_free(struct kf_enroll_group *g, size_t n)
{
	if (!g)
		return;
	for (size_t i = 0; i < n; i++) {
		kf_free(g[i].client);
		for (size_t k = 0; k < g[i].n; k++)
			kf_free(g[i].images[k]);
		kf_free(g[i].images);
		kf_free(g[i].why);
	}
	kf_free(g);
}
