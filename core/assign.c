/* assign.c: one client per photo, and ambiguous faces (assign.h).
 *
 * DESIGN
 * The hits of the photo are listed as (client, face, rank) and sorted by
 * client: a client that several faces share links them. Faces linked
 * directly or through other faces form a group (union-find); a group of one
 * face simply keeps its best hit, and only groups of two or more faces are
 * solved by the Hungarian method (Kuhn-Munkres, the O(r^2 m) form with
 * potentials), in integers so that the result does not depend on rounding:
 *
 *     weight(face i of the group of r, its hit of rank k) =
 *             round(similarity * 1000) * M + R * (r - i) * (R - k)
 *
 * with R = KF_MATCH_MAX_HITS + 1 and M = (r R)^2 + 1, larger than any sum of
 * the small terms, so they only break ties: the earlier face first, then the
 * better-ranked hit. With r at most MAX_GROUP every sum fits an int64. Every weight is positive, so a face is left unassigned
 * only when all its clients are taken. Pairs that are not hits weigh 0
 * (assigning them means "none"); dummy columns pad a group with fewer clients
 * than faces.
 *
 * Nothing in faces changes until every assignment is known, so an allocation
 * failure leaves them as they were.
 */
#include "core/assign.h"

#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

#define RANKS ((int64_t)KF_MATCH_MAX_HITS + 1)
#define MAX_GROUP 2048		/* faces in one group; max-faces is at most 1000 */

struct pair {
	int64_t client;
	uint32_t face, rank;
};

static int pair_cmp(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;

	if (x->client != y->client)
		return x->client < y->client ? -1 : 1;
	if (x->face != y->face)
		return x->face < y->face ? -1 : 1;
	return x->rank < y->rank ? -1 : x->rank > y->rank;
}

static size_t find(size_t *parent, size_t i)
{
	while (parent[i] != i)
		i = parent[i] = parent[parent[i]];
	return i;
}

static void unite(size_t *parent, size_t a, size_t b)
{
	a = find(parent, a);
	b = find(parent, b);
	if (a != b)	/* the smaller index is the root: groups keep face order */
		parent[a > b ? a : b] = a < b ? a : b;
}

/* Scratch of the Hungarian method, sized for the largest group. */
struct hung {
	int64_t *u, *v, *minv, *row;
	size_t *p, *way;
	char *used;
	size_t *col_of;		/* per pair: its column in the current group, 1-based */
};

/* Assign the r faces rows[0..r-1] (ascending) of one group whose c clients
 * have columns 1..c; assigned[face] gets the rank of its hit, or -1. */
static void hungarian(const struct kf_match_face *faces, const size_t *rows, size_t r,
		      size_t c, const size_t *first, struct hung *h, int *assigned)
{
	size_t m = c > r ? c : r;
	int64_t big = (int64_t)r * (int64_t)r * RANKS * RANKS + 1;
	const int64_t inf = INT64_MAX / 4;

	memset(h->u, 0, (r + 1) * sizeof(*h->u));
	memset(h->v, 0, (m + 1) * sizeof(*h->v));
	memset(h->p, 0, (m + 1) * sizeof(*h->p));
	for (size_t i = 1; i <= r; i++) {
		size_t j0 = 0, j1 = 0;

		h->p[0] = i;
		for (size_t j = 0; j <= m; j++) {
			h->minv[j] = inf;
			h->used[j] = 0;
		}
		do {
			size_t i0 = h->p[j0], f = rows[i0 - 1];
			int64_t delta = inf;

			h->used[j0] = 1;
			/* the costs of row i0: minus the weights of its hits */
			memset(h->row + 1, 0, m * sizeof(*h->row));
			for (size_t k = 0; k < faces[f].nhits; k++) {
				size_t j = h->col_of[first[f] + k];
				int64_t q = llroundf(faces[f].hits[k].similarity * 1000.0f);
				int64_t w = (q < 0 ? 0 : q > 100000 ? 100000 : q) * big +
					    RANKS * (int64_t)(r - (i0 - 1)) * (RANKS - (int64_t)k);

				if (-w < h->row[j])
					h->row[j] = -w;
			}
			for (size_t j = 1; j <= m; j++) {
				int64_t cur;

				if (h->used[j])
					continue;
				cur = h->row[j] - h->u[i0] - h->v[j];
				if (cur < h->minv[j]) {
					h->minv[j] = cur;
					h->way[j] = j0;
				}
				if (h->minv[j] < delta) {
					delta = h->minv[j];
					j1 = j;
				}
			}
			for (size_t j = 0; j <= m; j++) {
				if (h->used[j]) {
					h->u[h->p[j]] += delta;
					h->v[j] -= delta;
				} else {
					h->minv[j] -= delta;
				}
			}
			j0 = j1;
		} while (h->p[j0] != 0);
		do {
			j1 = h->way[j0];
			h->p[j0] = h->p[j1];
			j0 = j1;
		} while (j0);
	}
	for (size_t t = 0; t < r; t++)
		assigned[rows[t]] = -1;
	for (size_t j = 1; j <= c; j++) {
		size_t f;

		if (!h->p[j])
			continue;
		f = rows[h->p[j] - 1];
		for (size_t k = 0; k < faces[f].nhits; k++)
			if (h->col_of[first[f] + k] == j) {	/* a hit: its best rank */
				assigned[f] = (int)k;
				break;
			}
	}
}

static int hit_better(const struct kf_search_hit *a, const struct kf_search_hit *b)
{
	if (a->similarity != b->similarity)
		return a->similarity > b->similarity;
	if (a->distance != b->distance)
		return a->distance < b->distance;
	return a->client_id < b->client_id;
}

/* The face this client is assigned to, or SIZE_MAX (pairs sorted by client). */
static size_t owner_of(const struct pair *pairs, size_t np, const struct kf_match_face *faces,
		       const int *assigned, int64_t client)
{
	size_t lo = 0, hi = np;

	while (lo < hi) {	/* the first pair of client */
		size_t mid = lo + (hi - lo) / 2;

		if (pairs[mid].client < client)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < np && pairs[lo].client == client; lo++) {
		size_t f = pairs[lo].face;

		if (assigned[f] >= 0 && faces[f].hits[assigned[f]].client_id == client)
			return f;
	}
	return SIZE_MAX;
}

/* Face i's candidates within margin of its assigned hit a, best first, into
 * out (at most KF_MATCH_MAX_AMBIGUOUS); returns how many (1: not ambiguous). */
static size_t candidates(const struct kf_match_face *faces, size_t i, int a, float margin,
			 const struct pair *pairs, size_t np, const int *assigned,
			 struct kf_search_hit out[KF_MATCH_MAX_AMBIGUOUS])
{
	const struct kf_match_face *f = &faces[i];
	const struct kf_search_hit *mine = &f->hits[a];
	size_t n = 0;

	out[n++] = *mine;
	for (size_t k = 0; k <= f->nhits; k++) {
		const struct kf_search_hit *c = k < f->nhits ? &f->hits[k] : &f->best_below;
		size_t owner, at;

		if ((int)k == a || c->client_id == 0 || c->client_id == mine->client_id ||
		    !(fabsf(c->distance - mine->distance) <= margin))
			continue;
		owner = owner_of(pairs, np, faces, assigned, c->client_id);
		if (owner != SIZE_MAX && owner != i)
			continue;	/* it is someone else in this photo */
		/* insert in order; the worst falls off a full list */
		for (at = n; at > 0 && hit_better(c, &out[at - 1]); at--)
			;
		if (at >= KF_MATCH_MAX_AMBIGUOUS)
			continue;
		if (n < KF_MATCH_MAX_AMBIGUOUS)
			n++;
		memmove(&out[at + 1], &out[at], (n - 1 - at) * sizeof(*out));
		out[at] = *c;
	}
	return n;
}

int kf_match_assign(struct kf_match_face *faces, size_t n, float margin, struct kf_err *err)
{
	struct hung h;
	struct pair *pairs = NULL;
	size_t *parent = NULL, *first = NULL, *rows = NULL, *cols = NULL;
	int *assigned = NULL;
	size_t np = 0, ncols = 0, maxr = 0;
	int rc = KF_E_NOMEM;

	memset(&h, 0, sizeof(h));
	if (n == 0)
		return KF_OK;
	if (!(parent = kf_malloc_array(n, sizeof(*parent))) ||
	    !(first = kf_malloc_array(n, sizeof(*first))) ||
	    !(rows = kf_malloc_array(n, sizeof(*rows))) ||
	    !(assigned = kf_malloc_array(n, sizeof(*assigned))))
		goto out;
	for (size_t i = 0; i < n; i++) {
		assert(faces[i].nhits <= KF_MATCH_MAX_HITS);
		parent[i] = i;
		first[i] = np;
		np += faces[i].nhits;
		assigned[i] = faces[i].nhits ? 0 : -1;
	}
	if (np && (!(pairs = kf_malloc_array(np, sizeof(*pairs))) ||
		   !(h.col_of = kf_malloc_array(np, sizeof(*h.col_of))) ||
		   !(cols = kf_malloc_array(np, sizeof(*cols)))))
		goto out;
	for (size_t i = 0, t = 0; i < n; i++)
		for (size_t k = 0; k < faces[i].nhits; k++, t++) {
			pairs[t].client = faces[i].hits[k].client_id;
			pairs[t].face = (uint32_t)i;
			pairs[t].rank = (uint32_t)k;
		}
	if (np)
		qsort(pairs, np, sizeof(*pairs), pair_cmp);
	/* global column of each distinct client, in client order; link its faces */
	for (size_t t = 0; t < np; t++) {
		if (t == 0 || pairs[t].client != pairs[t - 1].client)
			ncols++;
		else
			unite(parent, pairs[t].face, pairs[t - 1].face);
		cols[t] = ncols - 1;
	}
	/* the size of the largest group, for the scratch */
	for (size_t i = 0; i < n; i++)
		rows[i] = 0;
	for (size_t i = 0; i < n; i++)
		if (faces[i].nhits && ++rows[find(parent, i)] > maxr)
			maxr = rows[find(parent, i)];
	if (maxr > MAX_GROUP) {
		rc = kf_err_set(err, KF_E_INVALID, "too many faces to assign in one photo "
				"(%zu, at most %d)", maxr, MAX_GROUP);
		goto out;
	}
	if (maxr > 1) {
		size_t m = (ncols > maxr ? ncols : maxr) + 1;

		if (!(h.u = kf_malloc_array(maxr + 1, sizeof(*h.u))) ||
		    !(h.v = kf_malloc_array(m, sizeof(*h.v))) ||
		    !(h.minv = kf_malloc_array(m, sizeof(*h.minv))) ||
		    !(h.row = kf_malloc_array(m, sizeof(*h.row))) ||
		    !(h.p = kf_malloc_array(m, sizeof(*h.p))) ||
		    !(h.way = kf_malloc_array(m, sizeof(*h.way))) ||
		    !(h.used = kf_malloc(m)))
			goto out;
		/* each group of two or more faces, in the order of its first face */
		for (size_t g = 0; g < n; g++) {
			size_t r = 0, c = 0;

			if (!faces[g].nhits || find(parent, g) != g)
				continue;
			for (size_t i = g; i < n; i++)
				if (faces[i].nhits && find(parent, i) == g)
					rows[r++] = i;
			if (r < 2)
				continue;
			/* the group's clients: columns 1..c in client order */
			for (size_t t = 0; t < np; t++) {
				if (find(parent, pairs[t].face) != g)
					continue;
				if (t == 0 || cols[t] != cols[t - 1] ||
				    find(parent, pairs[t - 1].face) != g)
					c++;
				h.col_of[first[pairs[t].face] + pairs[t].rank] = c;
			}
			hungarian(faces, rows, r, c, first, &h, assigned);
		}
	}
	/* 2. the margin, against the assignment as a whole, then write it */
	for (size_t i = 0; i < n; i++) {
		struct kf_search_hit cand[KF_MATCH_MAX_AMBIGUOUS];
		size_t nc = 0;

		if (assigned[i] >= 0 && margin >= 0 && !faces[i].confirmed)
			nc = candidates(faces, i, assigned[i], margin, pairs, np, assigned, cand);
		rows[i] = nc;	/* reused: the candidates' count */
		if (nc > 1)
			memcpy(faces[i].ambiguous, cand, nc * sizeof(*cand));
	}
	for (size_t i = 0; i < n; i++) {
		struct kf_match_face *f = &faces[i];

		f->nambiguous = 0;
		if (assigned[i] < 0) {
			f->nhits = 0;
		} else if (rows[i] > 1) {
			f->nhits = 0;
			f->nambiguous = rows[i];
		} else {
			f->hits[0] = f->hits[assigned[i]];
			f->nhits = 1;
		}
	}
	rc = KF_OK;
out:
	if (rc == KF_E_NOMEM)
		kf_err_set(err, KF_E_NOMEM, "out of memory assigning faces to clients");
	kf_free(h.u);
	kf_free(h.v);
	kf_free(h.minv);
	kf_free(h.row);
	kf_free(h.p);
	kf_free(h.way);
	kf_free(h.used);
	kf_free(h.col_of);
	kf_free(cols);
	kf_free(pairs);
	kf_free(assigned);
	kf_free(rows);
	kf_free(first);
	kf_free(parent);
	return rc;
}

int kf_match_review_face(const struct kf_match_face *faces, size_t n, int w, int h,
			 const struct kf_match_review *r)
{
	struct kf_box rb = { r->box.x * w, r->box.y * h, r->box.width * w, r->box.height * h };
	float best = 0.5f;
	int at = -1;

	if (r->face_index >= 0 && (size_t)r->face_index < n &&
	    kf_box_iou(&faces[r->face_index].box, &rb) >= 0.5f)
		return r->face_index;
	for (size_t i = 0; i < n; i++) {
		float iou = kf_box_iou(&faces[i].box, &rb);

		if (iou >= best) {
			best = iou;
			at = (int)i;
		}
	}
	return at;
}

static void drop_hit(struct kf_match_face *f, int64_t client_id)
{
	size_t k = 0;

	for (size_t j = 0; j < f->nhits; j++)
		if (f->hits[j].client_id != client_id)
			f->hits[k++] = f->hits[j];
	f->nhits = k;
	if (f->best_below.client_id == client_id)
		memset(&f->best_below, 0, sizeof(f->best_below));
}

void kf_match_review_apply(struct kf_match_face *faces, size_t n, int w, int h,
			   const struct kf_match_review *r, size_t nr, const struct kf_search *s)
{
	for (size_t k = 0; k < nr; k++) {
		int i = kf_match_review_face(faces, n, w, h, &r[k]);
		struct kf_match_face *f;
		struct kf_search_hit hit = { r[k].client_id, 0, 0 };

		if (i < 0)
			continue;
		f = &faces[i];
		if (!r[k].confirmed) {
			drop_hit(f, r[k].client_id);
			if (f->confirmed && f->nhits == 0)
				f->confirmed = 0;
			continue;
		}
		for (size_t j = 0; j < f->nhits; j++)
			if (f->hits[j].client_id == r[k].client_id)
				hit = f->hits[j];
		if (hit.similarity == 0 && !f->no_descriptor && s)
			kf_search_client(s, f->descriptor, r[k].client_id, &hit);
		for (size_t j = 0; j < n; j++)
			if (j != (size_t)i) {
				drop_hit(&faces[j], r[k].client_id);
				if (faces[j].confirmed && faces[j].nhits == 0)
					faces[j].confirmed = 0;
			}
		f->hits[0] = hit;
		f->nhits = 1;
		f->confirmed = 1;
	}
}
