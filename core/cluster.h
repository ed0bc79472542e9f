/* cluster.h: group face descriptors into people (the unknown faces of a
 * gallery, `kingface people`).
 *
 * Chinese whispers on the graph of close pairs, as dlib clusters this very
 * descriptor network's output:
 *
 *  1. links: every pair of faces closer than o->threshold (Euclidean, 128-D)
 *     is a link, weighted 1 - d / threshold (a pair at the threshold counts
 *     almost nothing, a pair at distance 0 counts 1); each face keeps only its
 *     o->max_links nearest links (ties by index), so that a crowd of very
 *     similar faces costs n * max_links links, not n^2;
 *  2. every face starts alone with its own label; in each round, the faces in
 *     a fixed pseudo-random order (a constant seed) take the label whose
 *     links to them weigh most (ties: the smaller label); rounds stop when one
 *     changes nothing, or after o->iterations;
 *     with o->group (the photo of each face), two faces of one photo are
 *     never linked, and a face never takes a label another face of its
 *     photo holds: one photo does not show a person twice, so no cluster
 *     ever holds two faces of one photo;
 *  3. clusters are ranked by size, largest first, ties by their smallest face
 *     index: labels[i] is that rank (0 the largest).
 *
 * Nothing is random and nothing depends on time or threads: the same input in
 * the same order gives the same labels on the same machine (another CPU's
 * SGEMM kernel may round a pair lying right at the threshold the other way). Callers order the faces so that index
 * order means something (kingface: photo key, then face index) and the ranks'
 * tie-break is stable too.
 *
 * Cost: all pairs, O(n^2) distances (tiles of faces that stay in cache, the
 * networks' SGEMM kernel), then O(links) per round: 0.64 s for 20,000 faces
 * of a few faces a person on one core, 2.6 s when all 20,000 are one person
 * (every pair a link to weigh against the nearest kept). Memory: the
 * descriptors are read in place; about n * max_links * 16 bytes of scratch.
 * See docs/similarity.md ("Unknown faces, clustered") for the threshold and
 * its measurement.
 *
 * Thread-safe: no shared state; the inputs are only read.
 */
#ifndef KF_CLUSTER_H
#define KF_CLUSTER_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/* Linking distance measured on labelled faces (bench/accuracy --cluster). */
#define KF_CLUSTER_THRESHOLD 0.5f	/* docs/similarity.md: the largest with no wrong merge */
#define KF_CLUSTER_MAX_LINKS 64
#define KF_CLUSTER_ITERATIONS 100

struct kf_cluster_opts {
	float threshold;	/* link pairs closer than this; > 0 */
	int max_links;		/* nearest links kept per face; 0: KF_CLUSTER_MAX_LINKS */
	int iterations;		/* rounds at most; 0: KF_CLUSTER_ITERATIONS */
	int unweighted;		/* every link weighs 1 (dlib's example), for measuring */
	const uint32_t *group;	/* NULL, or per face its group (its photo): two faces
				 * of one group never share a cluster */
};

#define KF_CLUSTER_OPTS_DEFAULT { KF_CLUSTER_THRESHOLD, 0, 0, 0, NULL }

/* Cluster the n descriptors desc[i * 128 .. i * 128 + 127] (o NULL: the
 * defaults). labels (n entries, the caller's) gets each face's cluster rank,
 * 0 the largest; *nclusters the number of clusters (singletons count). n = 0
 * is fine (no clusters). KF_E_INVALID for a threshold that is not > 0 or an
 * n too large to index; KF_E_NOMEM when scratch memory cannot be had; labels
 * is then undefined. */
int kf_cluster(const float *desc, size_t n, const struct kf_cluster_opts *o,
	       uint32_t *labels, size_t *nclusters, struct kf_err *err);

/* A representative face per cluster, for labels as kf_cluster gives them
 * (every label below nclusters, each used): rep[c] (nclusters entries, the
 * caller's) gets the index of the face of cluster c closest to the cluster's
 * mean descriptor; ties go to the larger size[i] (the face's box; size may be
 * NULL), then to the smaller index. KF_E_NOMEM when scratch memory cannot be
 * had. */
int kf_cluster_representatives(const float *desc, size_t n, const uint32_t *labels,
				size_t nclusters, const float *size, uint32_t *rep,
				struct kf_err *err);

#endif
