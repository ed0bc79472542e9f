/* cluster.c: Chinese whispers over the close pairs of face descriptors
 * (cluster.h).
 *
 * DESIGN
 * The all-pairs pass is the cost: n^2 / 2 distances of 128 floats. It runs
 * by tiles, TILE_I faces against TILE_J faces (the TILE_J descriptors,
 * packed, 128 KB, stay in L2 while the rows pass over them): a tile's squared
 * distances are |a|^2 + |b|^2 - 2 a.b, its dot products one call of the
 * SGEMM kernel the networks use (core/nn_ops.h, AVX2 / AVX-512), written to
 * a small buffer, then scanned for links. Measured against core/search.c's
 * dist2 (one pair at a time, target_clones): kf_cluster on 20,000 faces took
 * 3.1 s with it, 0.64 s with the GEMM tiles (one core). Each face keeps its
 * max_links nearest links in a bounded max-heap, ordered by (distance,
 * index): a total order, so the links kept do not depend on the order pairs
 * are offered in. The kept links of both ends make an undirected graph in
 * CSR form (sorted, duplicates removed), on which the whispers run.
 */
#include "core/cluster.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/nn_ops.h"
#include "core/search.h"

#define DIM KF_DESC_DIM
#define TILE_I 64
#define TILE_J 256
#define SEED 0x2545f4914f6cdd1dull

struct link {
	float d2;
	uint32_t j;
};

struct heaps {
	struct link *l;		/* n * k */
	uint32_t *cnt;		/* per face */
	size_t k;
};

/* a is a worse link than b: farther, or as far and a larger index */
static int worse(const struct link *a, const struct link *b)
{
	return a->d2 > b->d2 || (a->d2 == b->d2 && a->j > b->j);
}

static void sift_down(struct link *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		struct link t;

		if (l < n && worse(&h[l], &h[m]))
			m = l;
		if (r < n && worse(&h[r], &h[m]))
			m = r;
		if (m == i)
			return;
		t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

/* Offer link (d2, j) to face i's heap of its k nearest. */
static void offer(struct heaps *hs, size_t i, float d2, uint32_t j)
{
	struct link *h = hs->l + i * hs->k, c = { d2, j };
	size_t n = hs->cnt[i];

	if (n < hs->k) {
		size_t x = n;

		h[x] = c;
		while (x > 0 && worse(&h[x], &h[(x - 1) / 2])) {
			struct link t = h[x];

			h[x] = h[(x - 1) / 2];
			h[(x - 1) / 2] = t;
			x = (x - 1) / 2;
		}
		hs->cnt[i]++;
	} else if (worse(&h[0], &c)) {
		h[0] = c;
		sift_down(h, n, 0);
	}
}

/* Every pair closer than t2 (squared), offered to both faces' heaps.
 * d2(a, b) = |a|^2 + |b|^2 - 2 a.b: the dot products of a tile are one GEMM
 * (core/nn_ops.h), B being the column faces' descriptors times -2, packed
 * once per column tile, with bias |b|^2. */
static int find_links(const float *desc, size_t n, float t2, const uint32_t *group,
		      struct heaps *hs, struct kf_err *err)
{
	float *buf = kf_malloc_array((size_t)TILE_I * TILE_J, sizeof(float));
	float *bt = kf_malloc_array((size_t)DIM * TILE_J, sizeof(float));
	float *packed = kf_malloc_array(kf_gemm_packed_size(DIM, TILE_J), sizeof(float));
	float *norm = kf_malloc_array(n, sizeof(float));
	int rc = KF_OK;

	if (!buf || !bt || !packed || !norm) {
		rc = kf_err_set(err, KF_E_NOMEM, "out of memory clustering %zu faces", n);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		double s = 0;

		for (int k = 0; k < DIM; k++)
			s += (double)desc[i * DIM + k] * desc[i * DIM + k];
		norm[i] = (float)s;
	}
	for (size_t jb = 0; jb < n; jb += TILE_J) {
		size_t j1 = jb + TILE_J < n ? jb + TILE_J : n;
		int nj = (int)(j1 - jb);

		for (int k = 0; k < DIM; k++)
			for (int j = 0; j < nj; j++)
				bt[k * nj + j] = -2.0f * desc[(jb + (size_t)j) * DIM + k];
		kf_gemm_pack_b(DIM, nj, bt, nj, packed);
		/* rows above the column tile and in it: pairs i < j only */
		for (size_t ib = 0; ib < j1; ib += TILE_I) {
			size_t i1 = ib + TILE_I < j1 ? ib + TILE_I : j1;

			kf_gemm_packed((int)(i1 - ib), nj, DIM, desc + ib * DIM, DIM, packed, buf,
				       TILE_J, norm + jb, KF_ACT_NONE);
			for (size_t i = ib; i < i1; i++) {
				const float *o = buf + (i - ib) * TILE_J;

				for (size_t j = jb > i + 1 ? jb : i + 1; j < j1; j++) {
					float d2 = o[j - jb] + norm[i];

					if (!(d2 < t2) || (group && group[i] == group[j]))
						continue;
					d2 = d2 > 0 ? d2 : 0;
					offer(hs, i, d2, (uint32_t)j);
					offer(hs, j, d2, (uint32_t)i);
				}
			}
		}
	}
out:
	kf_free(buf);
	kf_free(bt);
	kf_free(packed);
	kf_free(norm);
	return rc;
}

struct edge {
	uint32_t j;
	float w;
};

static int cmp_edge(const void *a, const void *b)
{
	uint32_t x = ((const struct edge *)a)->j, y = ((const struct edge *)b)->j;

	return x < y ? -1 : x > y;
}

/* The undirected graph of the kept links: node i's edges are
 * e[off[i] .. off[i + 1]), sorted by neighbour, no duplicates. */
struct graph {
	size_t *off;
	struct edge *e;
};

static int build_graph(const struct heaps *hs, size_t n, float threshold, int unweighted,
		       struct graph *gr, struct kf_err *err)
{
	size_t *fill = NULL;
	int rc = KF_E_NOMEM;

	gr->e = NULL;
	if (!(gr->off = kf_calloc(n + 1, sizeof(size_t))) ||
	    !(fill = kf_calloc(n + 1, sizeof(size_t))))
		goto out;
	for (size_t i = 0; i < n; i++)
		for (size_t x = 0; x < hs->cnt[i]; x++) {
			gr->off[i + 1]++;
			gr->off[hs->l[i * hs->k + x].j + 1]++;
		}
	for (size_t i = 0; i < n; i++)
		gr->off[i + 1] += gr->off[i];
	if (!(gr->e = kf_malloc_array(gr->off[n] ? gr->off[n] : 1, sizeof(struct edge))))
		goto out;
	memcpy(fill, gr->off, (n + 1) * sizeof(size_t));
	for (size_t i = 0; i < n; i++)
		for (size_t x = 0; x < hs->cnt[i]; x++) {
			const struct link *l = &hs->l[i * hs->k + x];
			float w = unweighted ? 1.0f : fmaxf(1.0f - sqrtf(l->d2) / threshold, 1e-6f);

			gr->e[fill[i]++] = (struct edge){ l->j, w };
			gr->e[fill[l->j]++] = (struct edge){ (uint32_t)i, w };
		}
	/* sort each node's edges, drop duplicates (a link kept by both ends),
	 * and compact */
	size_t w = 0;
	for (size_t i = 0; i < n; i++) {
		size_t b = gr->off[i], e = gr->off[i + 1];

		qsort(gr->e + b, e - b, sizeof(struct edge), cmp_edge);
		gr->off[i] = w;
		for (size_t x = b; x < e; x++)
			if (x == b || gr->e[x].j != gr->e[x - 1].j)
				gr->e[w++] = gr->e[x];
	}
	gr->off[n] = w;
	rc = KF_OK;
out:
	kf_free(fill);
	if (rc < 0) {
		kf_free(gr->off);
		kf_free(gr->e);
		gr->off = NULL;
		gr->e = NULL;
		return kf_err_set(err, rc, "out of memory clustering %zu faces", n);
	}
	return rc;
}

static uint64_t next_rand(uint64_t *s)	/* xorshift64* */
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

static int cmp_member(const void *a, const void *b)
{
	const uint32_t *x = a, *y = b;	/* (group, face) pairs */

	if (x[0] != y[0])
		return x[0] < y[0] ? -1 : 1;
	return x[1] < y[1] ? -1 : x[1] > y[1];
}

/* The faces of each group: face i's group is mem[2 * run[i] ...] up to the
 * first pair of another group (mem: n (group, face) pairs sorted, then a
 * sentinel). */
struct groups {
	uint32_t *mem;
	uint32_t *run;
};

static int build_groups(const uint32_t *group, size_t n, struct groups *gs)
{
	gs->mem = kf_malloc_array(n + 1, 2 * sizeof(uint32_t));
	gs->run = kf_malloc_array(n, sizeof(uint32_t));
	if (!gs->mem || !gs->run)
		return KF_E_NOMEM;
	for (size_t i = 0; i < n; i++) {
		gs->mem[2 * i] = group[i];
		gs->mem[2 * i + 1] = (uint32_t)i;
	}
	qsort(gs->mem, n, 2 * sizeof(uint32_t), cmp_member);
	for (size_t x = 0; x < n; x++)
		gs->run[gs->mem[2 * x + 1]] = x && gs->mem[2 * x] == gs->mem[2 * x - 2] ?
					      gs->run[gs->mem[2 * x - 1]] : (uint32_t)x;
	gs->mem[2 * n] = gs->mem[2 * n - 2] + 1;	/* a sentinel: not the last group */
	gs->mem[2 * n + 1] = UINT32_MAX;
	return KF_OK;
}

/* Another face of i's group holds label l. */
static int taken(const struct groups *gs, const uint32_t *lab, uint32_t i, uint32_t l)
{
	const uint32_t *m = gs->mem + 2 * (size_t)gs->run[i];

	for (uint32_t g = m[0]; m[0] == g; m += 2)
		if (m[1] != i && lab[m[1]] == l)
			return 1;
	return 0;
}

/* Chinese whispers on gr: lab[i] starts at i. */
static int whispers(const struct graph *gr, size_t n, int iterations, const uint32_t *group,
		    uint32_t *lab, struct kf_err *err)
{
	uint32_t *order = kf_malloc_array(n, sizeof(uint32_t));
	uint32_t *touched = kf_malloc_array(n, sizeof(uint32_t));
	float *score = kf_calloc(n, sizeof(float));
	struct groups gs = { NULL, NULL };
	uint64_t s = SEED;
	int rc = KF_OK;

	if (!order || !touched || !score || (group && build_groups(group, n, &gs) < 0)) {
		rc = kf_err_set(err, KF_E_NOMEM, "out of memory clustering %zu faces", n);
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		lab[i] = order[i] = (uint32_t)i;
	for (int it = 0; it < iterations; it++) {
		size_t changed = 0;

		for (size_t i = n; i > 1; i--) {	/* Fisher-Yates */
			size_t r = (size_t)(next_rand(&s) % i);
			uint32_t t = order[i - 1];

			order[i - 1] = order[r];
			order[r] = t;
		}
		for (size_t x = 0; x < n; x++) {
			uint32_t i = order[x], best = lab[i];
			size_t nt = 0;
			float top = -1;

			if (gr->off[i] == gr->off[i + 1])
				continue;
			for (size_t y = gr->off[i]; y < gr->off[i + 1]; y++) {
				uint32_t l = lab[gr->e[y].j];

				if (score[l] == 0)
					touched[nt++] = l;
				score[l] += gr->e[y].w;
			}
			for (size_t y = 0; y < nt; y++) {
				uint32_t l = touched[y];

				if ((score[l] > top || (score[l] == top && l < best)) &&
				    !(group && l != lab[i] && taken(&gs, lab, i, l))) {
					top = score[l];
					best = l;
				}
				score[l] = 0;
			}
			if (best != lab[i]) {
				lab[i] = best;
				changed++;
			}
		}
		if (!changed)
			break;
	}
out:
	kf_free(order);
	kf_free(touched);
	kf_free(score);
	kf_free(gs.mem);
	kf_free(gs.run);
	return rc;
}

struct rank {
	uint32_t label, size, first;
};

static int cmp_rank(const void *a, const void *b)
{
	const struct rank *x = a, *y = b;

	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	return x->first < y->first ? -1 : x->first > y->first;
}

/* Relabel lab (labels in 0..n-1) by rank: size desc, smallest index asc. */
static int rank_labels(uint32_t *lab, size_t n, size_t *nclusters, struct kf_err *err)
{
	struct rank *r = kf_malloc_array(n, sizeof(struct rank));
	uint32_t *slot = kf_malloc_array(n, sizeof(uint32_t));
	size_t k = 0;
	int rc = KF_OK;

	if (!r || !slot) {
		rc = kf_err_set(err, KF_E_NOMEM, "out of memory clustering %zu faces", n);
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		slot[i] = UINT32_MAX;
	for (size_t i = 0; i < n; i++) {	/* in index order: first is the smallest */
		uint32_t l = lab[i];

		if (slot[l] == UINT32_MAX) {
			slot[l] = (uint32_t)k;
			r[k++] = (struct rank){ l, 0, (uint32_t)i };
		}
		r[slot[l]].size++;
	}
	qsort(r, k, sizeof(*r), cmp_rank);
	for (size_t c = 0; c < k; c++)
		slot[r[c].label] = (uint32_t)c;
	for (size_t i = 0; i < n; i++)
		lab[i] = slot[lab[i]];
	*nclusters = k;
out:
	kf_free(r);
	kf_free(slot);
	return rc;
}

int kf_cluster(const float *desc, size_t n, const struct kf_cluster_opts *o,
	       uint32_t *labels, size_t *nclusters, struct kf_err *err)
{
	struct kf_cluster_opts def = KF_CLUSTER_OPTS_DEFAULT;
	struct heaps hs = { NULL, NULL, 0 };
	struct graph gr = { NULL, NULL };
	int rc;

	if (!o)
		o = &def;
	*nclusters = 0;
	if (!(o->threshold > 0) || !isfinite(o->threshold) || o->max_links < 0 ||
	    o->iterations < 0)
		return kf_err_set(err, KF_E_INVALID, "bad clustering options (threshold %g)",
				  (double)o->threshold);
	if (n >= UINT32_MAX / 2)
		return kf_err_set(err, KF_E_INVALID, "too many faces to cluster: %zu", n);
	if (n == 0)
		return KF_OK;
	hs.k = o->max_links ? (size_t)o->max_links : KF_CLUSTER_MAX_LINKS;
	if (hs.k > n)
		hs.k = n;
	rc = KF_E_NOMEM;
	if (!(hs.cnt = kf_calloc(n, sizeof(uint32_t))) ||
	    !(hs.l = kf_malloc_array(n, hs.k * sizeof(struct link)))) {
		rc = kf_err_set(err, KF_E_NOMEM, "out of memory clustering %zu faces", n);
		goto out;
	}
	if ((rc = find_links(desc, n, o->threshold * o->threshold, o->group, &hs, err)) < 0 ||
	    (rc = build_graph(&hs, n, o->threshold, o->unweighted, &gr, err)) < 0)
		goto out;
	kf_free(hs.l);	/* the graph has them now */
	hs.l = NULL;
	if ((rc = whispers(&gr, n, o->iterations ? o->iterations : KF_CLUSTER_ITERATIONS,
			   o->group, labels, err)) < 0)
		goto out;
	rc = rank_labels(labels, n, nclusters, err);
out:
	kf_free(hs.l);
	kf_free(hs.cnt);
	kf_free(gr.off);
	kf_free(gr.e);
	return rc;
}

int kf_cluster_representatives(const float *desc, size_t n, const uint32_t *labels,
				size_t nclusters, const float *size, uint32_t *rep,
				struct kf_err *err)
{
	double *mean = kf_calloc(nclusters ? nclusters : 1, DIM * sizeof(double));
	double *best = kf_malloc_array(nclusters ? nclusters : 1, sizeof(double));
	uint32_t *count = kf_calloc(nclusters ? nclusters : 1, sizeof(uint32_t));
	int rc = KF_OK;

	if (!mean || !best || !count) {
		rc = kf_err_set(err, KF_E_NOMEM, "out of memory for %zu clusters", nclusters);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		double *m = mean + (size_t)labels[i] * DIM;

		for (int x = 0; x < DIM; x++)
			m[x] += desc[i * DIM + x];
		count[labels[i]]++;
	}
	for (size_t c = 0; c < nclusters; c++) {
		for (int x = 0; x < DIM; x++)
			mean[c * DIM + x] /= count[c] ? count[c] : 1;
		best[c] = INFINITY;
		rep[c] = UINT32_MAX;
	}
	for (size_t i = 0; i < n; i++) {	/* index order: ties keep the smaller */
		uint32_t c = labels[i];
		const double *m = mean + (size_t)c * DIM;
		double d2 = 0;

		for (int x = 0; x < DIM; x++) {
			double d = desc[i * DIM + x] - m[x];

			d2 += d * d;
		}
		if (rep[c] == UINT32_MAX || d2 < best[c] ||
		    (d2 == best[c] && size && size[i] > size[rep[c]])) {
			best[c] = d2;
			rep[c] = (uint32_t)i;
		}
	}
out:
	kf_free(mean);
	kf_free(best);
	kf_free(count);
	return rc;
}
