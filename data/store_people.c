/* store_people.c: the unknown faces of a gallery and their clusters
 * (store_people.h). */
#include "data/store_people.h"

#include <string.h>

#include "core/alloc.h"
#include "core/search.h"
#include "data/store_int.h"

#define DESC_BYTES (KF_DESC_DIM * sizeof(float))

void kf_store_people_faces_release(struct kf_people_faces *f)
{
	for (size_t i = 0; i < f->nkeys; i++)
		kf_free(f->keys[i]);
	kf_free(f->keys);
	kf_free(f->faces);
	kf_free(f->desc);
	memset(f, 0, sizeof(*f));
}

/* Make room for one more face (and its key); doubling. */
static int grow(struct kf_people_faces *f, size_t *cap, size_t *kcap)
{
	if (f->n == *cap) {
		size_t c = *cap ? 2 * *cap : 256;
		struct kf_people_face *nf;
		float *nd;

		if (c > SIZE_MAX / DESC_BYTES)
			return KF_E_NOMEM;
		if (!(nf = kf_realloc(f->faces, c * sizeof(*nf))))
			return KF_E_NOMEM;
		f->faces = nf;
		if (!(nd = kf_realloc(f->desc, c * DESC_BYTES)))
			return KF_E_NOMEM;
		f->desc = nd;
		*cap = c;
	}
	if (f->nkeys == *kcap) {
		size_t c = *kcap ? 2 * *kcap : 64;
		char **nk = kf_realloc(f->keys, c * sizeof(*nk));

		if (!nk)
			return KF_E_NOMEM;
		f->keys = nk;
		*kcap = c;
	}
	return KF_OK;
}

int kf_store_people_faces(struct kf_store *st, int64_t gallery_id, struct kf_people_faces *out,
			  struct kf_err *err)
{
	sqlite3_stmt *s;
	size_t cap = 0, kcap = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = kf_store_prepare(st, &s,
			"SELECT f.id, p.id, p.key, f.face_index, f.box_left, f.box_top, "
			"f.box_width, f.box_height, f.confidence, f.descriptor "
			"FROM photos p JOIN photo_faces f ON f.photo_id = p.id "
			"WHERE p.gallery_id = ?1 AND f.recognizable = 1 "
			"AND length(f.descriptor) = ?2 "
			"AND NOT EXISTS (SELECT 1 FROM face_matches m WHERE m.photo_face_id = f.id) "
			"ORDER BY p.key, f.face_index", err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, gallery_id);
	sqlite3_bind_int(s, 2, (int)DESC_BYTES);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *key = (const char *)sqlite3_column_text(s, 2);
		struct kf_people_face *p;

		if (!key || sqlite3_column_bytes(s, 9) != (int)DESC_BYTES)
			continue;	/* neither happens: NOT NULL key, length checked */
		if (grow(out, &cap, &kcap) < 0)
			break;
		if (!out->nkeys || strcmp(out->keys[out->nkeys - 1], key) != 0) {
			if (!(out->keys[out->nkeys] = kf_strdup(key)))
				break;
			out->nkeys++;
		}
		p = &out->faces[out->n];
		p->id = sqlite3_column_int64(s, 0);
		p->photo_id = sqlite3_column_int64(s, 1);
		p->key = out->keys[out->nkeys - 1];
		p->face_index = sqlite3_column_int(s, 3);
		p->box_left = (float)sqlite3_column_double(s, 4);
		p->box_top = (float)sqlite3_column_double(s, 5);
		p->box_width = (float)sqlite3_column_double(s, 6);
		p->box_height = (float)sqlite3_column_double(s, 7);
		p->confidence = (float)sqlite3_column_double(s, 8);
		memcpy(out->desc + out->n * KF_DESC_DIM, sqlite3_column_blob(s, 9), DESC_BYTES);
		out->n++;
	}
	sqlite3_finalize(s);
	if (rc == SQLITE_DONE)
		return KF_OK;
	if (rc == SQLITE_ROW)
		return kf_err_set(err, KF_E_NOMEM, "out of memory reading the unknown faces");
	return kf_store_fail(st, rc, "read the unknown faces", err);
}

void kf_store_people_release(struct kf_people *p)
{
	kf_store_people_faces_release(&p->faces);
	kf_free(p->label);
	kf_free(p->clusters);
	kf_free(p->members_);
	kf_free(p->photos_);
	memset(p, 0, sizeof(*p));
}

/* Fill p->clusters from p->label: the members of each cluster in face order,
 * its distinct photos, its representative (rep[c]). */
static void fill_clusters(struct kf_people *p, const uint32_t *rep)
{
	const struct kf_people_face *f = p->faces.faces;
	size_t n = p->faces.n, at = 0, pat = 0;

	for (size_t i = 0; i < n; i++)
		p->clusters[p->label[i]].nfaces++;
	for (size_t c = 0; c < p->nclusters; c++) {
		p->clusters[c].id = (int)c + 1;
		p->clusters[c].faces = p->members_ + at;
		p->clusters[c].rep = rep[c];
		at += p->clusters[c].nfaces;
		p->clusters[c].nfaces = 0;
	}
	for (size_t i = 0; i < n; i++) {
		struct kf_people_cluster *c = &p->clusters[p->label[i]];

		p->members_[(size_t)(c->faces - p->members_) + c->nfaces++] = i;
	}
	for (size_t c = 0; c < p->nclusters; c++) {	/* members are in key order */
		struct kf_people_cluster *cl = &p->clusters[c];
		const char *last = NULL;

		cl->photos = p->photos_ + pat;
		for (size_t x = 0; x < cl->nfaces; x++)
			if (f[cl->faces[x]].key != last) {
				last = f[cl->faces[x]].key;
				p->photos_[pat + cl->nphotos++] = last;
			}
		pat += cl->nphotos;
	}
}

int kf_store_people_clusters(struct kf_store *st, int64_t gallery_id,
			     const struct kf_cluster_opts *o, struct kf_people *out,
			     struct kf_err *err)
{
	struct kf_cluster_opts opts = KF_CLUSTER_OPTS_DEFAULT;
	uint32_t *rep = NULL, *photo = NULL;
	float *size = NULL;
	size_t n;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = kf_store_people_faces(st, gallery_id, &out->faces, err)) < 0)
		return rc;
	if (!(n = out->faces.n))
		return KF_OK;
	rc = KF_E_NOMEM;
	if (!(out->label = kf_malloc_array(n, sizeof(uint32_t))) ||
	    !(out->members_ = kf_malloc_array(n, sizeof(size_t))) ||
	    !(out->photos_ = kf_malloc_array(n, sizeof(char *))) ||
	    !(size = kf_malloc_array(n, sizeof(float))) ||
	    !(photo = kf_malloc_array(n, sizeof(uint32_t))))
		goto nomem;
	/* one photo never shows a person twice: its faces are never clustered
	 * together (the faces are in key order, so a photo's are consecutive) */
	for (size_t i = 0, k = 0; i < n; i++) {
		if (i && out->faces.faces[i].key != out->faces.faces[i - 1].key)
			k++;
		photo[i] = (uint32_t)k;
	}
	if (o)
		opts = *o;
	opts.group = photo;
	if ((rc = kf_cluster(out->faces.desc, n, &opts, out->label, &out->nclusters, err)) < 0)
		goto out;
	if (!(out->clusters = kf_calloc(out->nclusters, sizeof(*out->clusters))) ||
	    !(rep = kf_malloc_array(out->nclusters, sizeof(uint32_t))))
		goto nomem;
	for (size_t i = 0; i < n; i++)
		size[i] = out->faces.faces[i].box_width * out->faces.faces[i].box_height;
	if ((rc = kf_cluster_representatives(out->faces.desc, n, out->label, out->nclusters, size,
					     rep, err)) < 0)
		goto out;
	fill_clusters(out, rep);
	rc = KF_OK;
	goto out;
nomem:
	rc = kf_err_set(err, KF_E_NOMEM, "out of memory clustering %zu faces", n);
out:
	kf_free(rep);
	kf_free(size);
	kf_free(photo);
	return rc;
}
