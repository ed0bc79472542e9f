/* store_people.h: the unknown faces of a gallery, clustered into people
 * (`kingface people`, issue 18).
 *
 * An unknown face is a stored face (photo_faces) of the gallery with a
 * descriptor (recognizable, local engine) and no row in face_matches: a face
 * below the threshold, an ambiguous one (its candidates are elsewhere), one
 * whose matches were all rejected. Faces too small to recognise have no
 * descriptor and are left out; photos not processed have no stored faces.
 *
 * Order: faces by photo key, then face index. Clustering (core/cluster.h)
 * is deterministic in that order, and cluster ids are ranks: by size, largest
 * first, ties by the smallest (photo key, face index) a cluster holds. So the
 * ids are the same from one run to the next while the faces, their matches
 * and the clustering options are.
 *
 * Thread-safety: as the store (one struct kf_store per thread).
 */
#ifndef KF_STORE_PEOPLE_H
#define KF_STORE_PEOPLE_H

#include <stddef.h>
#include <stdint.h>

#include "core/cluster.h"
#include "core/search.h"	/* KF_DESC_DIM */
#include "data/store.h"

struct kf_people_face {
	int64_t id;		/* photo_faces.id */
	int64_t photo_id;
	const char *key;	/* the photo's key (owned by the set; shared by a
				 * photo's faces, so equal keys are equal pointers) */
	int face_index;
	float box_left, box_top, box_width, box_height;	/* fractions of the photo */
	float confidence;	/* detector score, 0..100 */
};

struct kf_people_faces {
	struct kf_people_face *faces;	/* n, by photo key then face index */
	float *desc;			/* n * KF_DESC_DIM: face i's descriptor at
					 * desc + i * KF_DESC_DIM */
	size_t n;
	char **keys;			/* the distinct photo keys, sorted */
	size_t nkeys;
};

/* The unknown faces of the gallery into *out (the caller releases it with
 * kf_store_people_faces_release, also after an error). None: n = 0. */
int kf_store_people_faces(struct kf_store *st, int64_t gallery_id, struct kf_people_faces *out,
			  struct kf_err *err);
void kf_store_people_faces_release(struct kf_people_faces *f);

struct kf_people_cluster {
	int id;			/* 1 the largest */
	size_t nfaces;
	const size_t *faces;	/* indexes into faces.faces, in (key, face index) order */
	size_t nphotos;
	const char *const *photos;	/* the distinct photo keys, sorted */
	size_t rep;		/* the representative face (index into faces.faces):
				 * the closest to the cluster's mean descriptor, ties
				 * to the larger box */
};

struct kf_people {
	struct kf_people_faces faces;
	uint32_t *label;			/* per face: its cluster's id - 1 */
	struct kf_people_cluster *clusters;	/* nclusters, by id; single faces too */
	size_t nclusters;
	size_t *members_;			/* storage of the clusters' lists */
	const char **photos_;
};

/* The unknown faces of the gallery, clustered with o (NULL: the defaults,
 * KF_CLUSTER_OPTS_DEFAULT; o->group is ignored: two faces of one photo never
 * share a cluster). The caller releases *out with
 * kf_store_people_release, also after an error. */
int kf_store_people_clusters(struct kf_store *st, int64_t gallery_id,
			     const struct kf_cluster_opts *o, struct kf_people *out,
			     struct kf_err *err);
void kf_store_people_release(struct kf_people *p);

#endif
