/* bench/rematch.c: the synthetic gallery of bench/rematch and the brute-force
 * check of `kingface rematch`.
 *
 *   rematch gen DB GALLERY_ID FACES [SEED]
 *       fill a gallery kingface created (with its clients already added) as a
 *       processed gallery looks: photos (1 to 6 faces each, with their job done),
 *       FACES photo_faces with 128-float32 descriptors, 3 reference faces
 *       (client_faces, kingface's model name) per client, and the face_matches
 *       processing would have stored at threshold 80. One transaction.
 *   rematch check DB GALLERY_ID THRESHOLD
 *       recompute every match of the gallery by brute force in double precision
 *       (Euclidean distance between the float32 blobs; a client's distance
 *       is the mean over its references; similarity =
 *       100 / (1 + exp((d - 0.6) / 0.03) / 4); a hit when >= THRESHOLD; at most KF_MATCH_MAX_HITS per face,
 *       best first), assign each photo's faces by exhaustive search (the
 *       assignment of hits with the largest total similarity, a client once a
 *       photo: core/assign.h, by another method), apply the ambiguity margin
 *       (KF_MATCH_MARGIN in distance, against the hits and the best below)
 *       and compare with the face_matches and face_candidates rows.
 *
 * The descriptors: every client is an identity, a random point of norm 1 (two
 * such points are about 1.41 apart: similarity 0); one client in ten is a
 * "sibling" placed 0.35 from another client, so some faces match two clients.
 * References are the identity plus noise of sigma 0.025 per component; faces
 * belong to a client (60%) or to one of 300 strangers, with noise of sigma
 * 0.02 to 0.06, which puts their distance to their own client on both sides
 * of 0.6 (similarity 80): about 0.4 up to 0.75.
 *
 * check prints "check faces N rows N expected N missing N extra N similarity N
 * borderline N ambiguous N candidates N mismatches N" (exit 1 when mismatches
 * > 0). A photo where float and double may disagree is counted as borderline,
 * not checked: a pair within 1e-4 of the threshold, two assignments within
 * 1e-3 of the best total, a competitor within 1e-5 of the margin.
 *
 * Build: cc -std=c11 -D_GNU_SOURCE -O2 -I. bench/rematch.c -lsqlite3 -lm -o build-bench/rematch
 */
#include <math.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/synth.h"
#include "core/assign.h"
#include "core/engine.h"
#include "core/match.h"

#define DIM KF_DESC_DIM
#define STRANGERS 300
#define REFS_PER_CLIENT 3

static void random_unit(double *c)
{
	double n = 0;

	for (int k = 0; k < DIM; k++) {
		c[k] = gauss();
		n += c[k] * c[k];
	}
	n = sqrt(n);
	for (int k = 0; k < DIM; k++)
		c[k] /= n;
}

static void noisy(const double *c, double sigma, float *out)
{
	for (int k = 0; k < DIM; k++)
		out[k] = (float)(c[k] + sigma * gauss());
}

static int64_t *sql_ids(sqlite3 *db, const char *sql, int64_t arg, size_t *n)
{
	sqlite3_stmt *s;
	int64_t *v = NULL;
	size_t cap = 0;

	*n = 0;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_int64(s, 1, arg);
	while (sqlite3_step(s) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 256;
			v = realloc(v, cap * sizeof(*v));
		}
		v[(*n)++] = sqlite3_column_int64(s, 0);
	}
	sqlite3_finalize(s);
	return v;
}

static int fail(sqlite3 *db, const char *what)
{
	fprintf(stderr, "rematch: %s: %s\n", what, sqlite3_errmsg(db));
	return 1;
}

/* The hits of descriptor q against refs (client index per ref), threshold t,
 * best first, at most max; returns the count. Distances in double. */
struct hit {
	int64_t client;
	double d, sim;
};

static int better(const struct hit *a, const struct hit *b)
{
	return a->d < b->d || (a->d == b->d && a->client < b->client);
}

static double similarity(double d)	/* core/search.h */
{
	return 100.0 / (1.0 + exp((d - 0.6) / 0.03) / 4.0);
}

static size_t search(const float *q, const float *refs, const size_t *ref_client, size_t nrefs,
		     const int64_t *clients, size_t nclients, double t, double *best,
		     struct hit *hits, size_t max, size_t *borderline)
{
	size_t n = 0;

	double count[nclients];

	for (size_t c = 0; c < nclients; c++)
		best[c] = count[c] = 0;
	for (size_t r = 0; r < nrefs; r++) {	/* best[c]: the mean distance */
		double d2 = 0;

		for (int k = 0; k < DIM; k++) {
			double e = (double)q[k] - (double)refs[r * DIM + k];
			d2 += e * e;
		}
		best[ref_client[r]] += sqrt(d2);
		count[ref_client[r]] += 1;
	}
	for (size_t c = 0; c < nclients; c++)
		best[c] /= count[c];
	for (size_t c = 0; c < nclients; c++) {
		struct hit h = { clients[c], best[c], 0 };

		h.sim = similarity(h.d);
		if (borderline && fabs(h.sim - t) < 1e-4)
			(*borderline)++;
		if (h.sim < t)
			continue;
		size_t at = n;
		while (at > 0 && better(&h, &hits[at - 1]))
			at--;
		if (at >= max)
			continue;
		if (n < max)
			n++;
		memmove(&hits[at + 1], &hits[at], (n - 1 - at) * sizeof(*hits));
		hits[at] = h;
	}
	return n;
}

static int gen(sqlite3 *db, int64_t gallery, long nfaces)
{
	size_t nclients;
	int64_t *clients = sql_ids(db, "SELECT id FROM clients WHERE gallery_id = ?1 ORDER BY id",
				   gallery, &nclients);
	size_t nid, nrefs;
	double *centre, *best;
	float *refs, desc[DIM];
	size_t *ref_client;
	struct hit hits[KF_MATCH_MAX_HITS];
	sqlite3_stmt *ph, *job, *face, *ref, *match;
	long made = 0, photo = 0, nmatches = 0;

	if (!clients || nclients == 0) {
		fprintf(stderr, "rematch: gallery %lld has no client: add them first\n", (long long)gallery);
		return 1;
	}
	nid = nclients + STRANGERS;
	nrefs = nclients * REFS_PER_CLIENT;
	centre = malloc(nid * DIM * sizeof(double));
	best = malloc(nclients * sizeof(double));
	refs = malloc(nrefs * DIM * sizeof(float));
	ref_client = malloc(nrefs * sizeof(size_t));
	if (!centre || !best || !refs || !ref_client)
		return fprintf(stderr, "rematch: out of memory\n"), 1;
	for (size_t i = 0; i < nid; i++)
		random_unit(centre + i * DIM);
	for (size_t i = 1; i < nclients; i += 10) {	/* siblings: 0.35 from client i - 1 */
		double dir[DIM];

		random_unit(dir);
		for (int k = 0; k < DIM; k++)
			centre[i * DIM + k] = centre[(i - 1) * DIM + k] + 0.35 * dir[k];
	}
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return fail(db, "begin");
	if (sqlite3_prepare_v2(db, SYNTH_PHOTO_SQL, -1, &ph, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, SYNTH_JOB_SQL, -1, &job, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO photo_faces(photo_id, face_index, box_left, box_top, "
			       "box_width, box_height, confidence, descriptor) VALUES "
			       "(?1, ?2, ?3, 0.3, 0.06, 0.09, 99.0, ?4)", -1, &face, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO client_faces(client_id, descriptor, model, "
			       "source_path, box_left, box_top, box_width, box_height, score, "
			       "created_at) VALUES (?1, ?2, ?3, 'synthetic', 0.3, 0.2, 0.4, 0.6, "
			       "0.99, 0)", -1, &ref, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO face_matches(photo_face_id, client_id, similarity) "
			       "VALUES (?1, ?2, ?3)", -1, &match, NULL) != SQLITE_OK)
		return fail(db, "prepare");
	for (size_t r = 0; r < nrefs; r++) {
		ref_client[r] = r / REFS_PER_CLIENT;
		noisy(centre + ref_client[r] * DIM, 0.025, refs + r * DIM);
		sqlite3_reset(ref);
		sqlite3_bind_int64(ref, 1, clients[ref_client[r]]);
		sqlite3_bind_blob(ref, 2, refs + r * DIM, DIM * sizeof(float), SQLITE_STATIC);
		sqlite3_bind_text(ref, 3, KF_ENGINE_MODEL, -1, SQLITE_STATIC);
		if (sqlite3_step(ref) != SQLITE_DONE)
			return fail(db, "insert a reference");
	}
	while (made < nfaces) {
		int k = 1 + (int)(uniform() * 6);
		int64_t photo_id;

		if (k > nfaces - made)
			k = (int)(nfaces - made);
		if (synth_photo(db, ph, job, gallery, &photo, &photo_id, "rematch"))
			return 1;
		for (int i = 0; i < k; i++, made++) {
			size_t who = uniform() < 0.6 ? (size_t)(uniform() * (double)nclients)
						     : nclients + (size_t)(uniform() * STRANGERS);
			size_t n;

			noisy(centre + who * DIM, 0.02 + 0.04 * uniform(), desc);
			sqlite3_reset(face);
			sqlite3_bind_int64(face, 1, photo_id);
			sqlite3_bind_int(face, 2, i);
			sqlite3_bind_double(face, 3, 0.1 + 0.13 * i);
			sqlite3_bind_blob(face, 4, desc, sizeof(desc), SQLITE_TRANSIENT);
			if (sqlite3_step(face) != SQLITE_DONE)
				return fail(db, "insert a face");
			int64_t face_id = sqlite3_last_insert_rowid(db);
			n = search(desc, refs, ref_client, nrefs, clients, nclients, 80.0, best, hits,
				   KF_MATCH_MAX_HITS, NULL);
			for (size_t h = 0; h < n; h++) {
				sqlite3_reset(match);
				sqlite3_bind_int64(match, 1, face_id);
				sqlite3_bind_int64(match, 2, hits[h].client);
				sqlite3_bind_double(match, 3, (float)hits[h].sim);
				if (sqlite3_step(match) != SQLITE_DONE)
					return fail(db, "insert a match");
			}
			nmatches += (long)n;
		}
	}
	sqlite3_finalize(ph);
	sqlite3_finalize(job);
	sqlite3_finalize(face);
	sqlite3_finalize(ref);
	sqlite3_finalize(match);
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		return fail(db, "commit");
	printf("gen photos %ld faces %ld clients %zu references %zu matches %ld\n", photo, made,
	       nclients, nrefs, nmatches);
	free(centre);
	free(best);
	free(refs);
	free(ref_client);
	free(clients);
	return 0;
}

/* One face of the photo being checked: its hits and best below (double), and
 * what kingface stored. */
#define MAX_PHOTO 64
struct cface {
	size_t n;
	struct hit hits[KF_MATCH_MAX_HITS], below;
	int borderline;
	int64_t got_match;		/* 0: none */
	double got_sim;
	size_t ngot_cand;
	int64_t got_cand[8];
	int assigned;			/* expected: index of the hit, -1 none */
};

/* Exhaustive search: the best total similarity over assignments of faces
 * i.. (a client once), and the second best (for near ties). */
static void best_assign(struct cface *f, size_t nf, size_t i, int64_t *used, double total,
			int *cur, double *best, double *second, int *arg)
{
	if (i == nf) {
		if (total > *best) {
			*second = *best;
			*best = total;
			for (size_t k = 0; k < nf; k++)
				arg[k] = cur[k];
		} else if (total > *second) {
			*second = total;
		}
		return;
	}
	cur[i] = -1;
	best_assign(f, nf, i + 1, used, total, cur, best, second, arg);
	for (size_t k = 0; k < f[i].n; k++) {
		size_t u;

		for (u = 0; u < i && used[u] != f[i].hits[k].client; u++)
			;
		if (u < i)
			continue;
		used[i] = f[i].hits[k].client;
		cur[i] = (int)k;
		best_assign(f, nf, i + 1, used, total + f[i].hits[k].sim, cur, best, second, arg);
		used[i] = 0;
	}
	cur[i] = -1;
}

struct tally {
	long rows, expected, missing, extra, simdiff, ambiguous, candidates, cand_mismatch;
	size_t borderline;
	double worst;
};

/* Check one photo's faces against the expected assignment and margin. */
static void check_photo(struct cface *f, size_t nf, struct tally *t)
{
	int cur[MAX_PHOTO], arg[MAX_PHOTO];
	int64_t used[MAX_PHOTO] = { 0 };
	double best = -1, second = -1, options = 1;
	int skip = 0;

	for (size_t i = 0; i < nf; i++) {
		options *= (double)(f[i].n + 1);
		skip |= f[i].borderline;
		arg[i] = -1;
	}
	if (options > 1e7 || skip) {
		t->borderline++;
		return;
	}
	best_assign(f, nf, 0, used, 0, cur, &best, &second, arg);
	if (second >= 0 && best - second < 1e-3) {
		t->borderline++;
		return;
	}
	for (size_t i = 0; i < nf; i++) {
		const struct hit *mine;
		int64_t cand[8];
		size_t nc = 1;
		int edge = 0;

		if (arg[i] < 0) {
			if (f[i].got_match || f[i].ngot_cand)
				t->extra++;
			continue;
		}
		mine = &f[i].hits[arg[i]];
		cand[0] = mine->client;
		/* competitors: the hits and the best below, not someone else here */
		for (size_t k = 0; k <= f[i].n; k++) {
			const struct hit *c = k < f[i].n ? &f[i].hits[k] : &f[i].below;
			size_t o;

			if ((int)k == arg[i] || c->client == 0)
				continue;
			for (o = 0; o < nf && !(o != i && arg[o] >= 0 &&
						f[o].hits[arg[o]].client == c->client); o++)
				;
			if (o < nf)
				continue;
			if (fabs(fabs(c->d - mine->d) - KF_MATCH_MARGIN) < 1e-5)
				edge = 1;
			if (fabs(c->d - mine->d) <= KF_MATCH_MARGIN && nc < 8)
				cand[nc++] = c->client;
		}
		if (edge) {
			t->borderline++;
			continue;
		}
		if (nc == 1) {
			t->expected++;
			if (f[i].got_match != mine->client) {
				t->missing++;
				continue;
			}
			double diff = fabs(f[i].got_sim - mine->sim);
			t->worst = diff > t->worst ? diff : t->worst;
			if (diff > 1e-3)
				t->simdiff++;
			if (f[i].ngot_cand)
				t->extra++;
			continue;
		}
		/* ambiguous: no match, the candidates (the best KF_MATCH_MAX_AMBIGUOUS) */
		t->ambiguous++;
		t->candidates += (long)(nc < KF_MATCH_MAX_AMBIGUOUS ? nc : KF_MATCH_MAX_AMBIGUOUS);
		if (f[i].got_match)
			t->extra++;
		if (nc > KF_MATCH_MAX_AMBIGUOUS)
			nc = KF_MATCH_MAX_AMBIGUOUS;	/* hits come best first, the best below last */
		if (f[i].ngot_cand != nc) {
			t->cand_mismatch++;
			continue;
		}
		for (size_t k = 0; k < nc; k++) {
			size_t j;

			for (j = 0; j < nc && f[i].got_cand[j] != cand[k]; j++)
				;
			if (j == nc) {
				t->cand_mismatch++;
				break;
			}
		}
	}
}

static int check(sqlite3 *db, int64_t gallery, double t)
{
	sqlite3_stmt *s, *m, *c;
	size_t nclients = 0, nrefs = 0, cap = 0, nfaces = 0, nf = 0;
	int64_t *clients = sql_ids(db, "SELECT id FROM clients WHERE gallery_id = ?1 ORDER BY id",
				   gallery, &nclients);
	float *refs = NULL;
	size_t *ref_client = NULL, borderline = 0;
	int64_t photo = -1;
	double *best = malloc((nclients ? nclients : 1) * sizeof(double));
	struct cface *faces = malloc(MAX_PHOTO * sizeof(*faces));
	struct tally tl;
	long mismatches;

	memset(&tl, 0, sizeof(tl));
	if (!best || !faces)
		return 1;
	/* the references kingface uses: this gallery's clients, its model only */
	if (sqlite3_prepare_v2(db, "SELECT f.client_id, f.descriptor FROM client_faces f JOIN clients c "
			       "ON c.id = f.client_id WHERE c.gallery_id = ?1 AND f.model = ?2",
			       -1, &s, NULL) != SQLITE_OK)
		return fail(db, "prepare");
	sqlite3_bind_int64(s, 1, gallery);
	sqlite3_bind_text(s, 2, KF_ENGINE_MODEL, -1, SQLITE_STATIC);
	while (sqlite3_step(s) == SQLITE_ROW) {
		size_t k;

		if (sqlite3_column_bytes(s, 1) != DIM * (int)sizeof(float))
			continue;
		for (k = 0; k < nclients && clients[k] != sqlite3_column_int64(s, 0); k++)
			;
		if (nrefs == cap) {
			cap = cap ? 2 * cap : 1024;
			refs = realloc(refs, cap * DIM * sizeof(float));
			ref_client = realloc(ref_client, cap * sizeof(size_t));
		}
		memcpy(refs + nrefs * DIM, sqlite3_column_blob(s, 1), DIM * sizeof(float));
		ref_client[nrefs++] = k;
	}
	sqlite3_finalize(s);
	if (sqlite3_prepare_v2(db, "SELECT f.id, f.descriptor, f.photo_id FROM photo_faces f JOIN "
			       "photos p ON p.id = f.photo_id WHERE p.gallery_id = ?1 "
			       "ORDER BY f.photo_id, f.face_index", -1, &s, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT client_id, similarity FROM face_matches WHERE "
			       "photo_face_id = ?1", -1, &m, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT client_id FROM face_candidates WHERE photo_face_id = ?1 "
			       "ORDER BY similarity DESC, client_id", -1, &c, NULL) != SQLITE_OK)
		return fail(db, "prepare");
	sqlite3_bind_int64(s, 1, gallery);
	for (;;) {
		int row = sqlite3_step(s) == SQLITE_ROW;
		struct cface *f;
		float q[DIM];
		size_t before;

		if (!row || sqlite3_column_int64(s, 2) != photo || nf == MAX_PHOTO) {
			if (nf)
				check_photo(faces, nf, &tl);
			nf = 0;
			if (!row)
				break;
			photo = sqlite3_column_int64(s, 2);
		}
		nfaces++;
		f = &faces[nf++];
		memset(f, 0, sizeof(*f));
		sqlite3_reset(m);
		sqlite3_bind_int64(m, 1, sqlite3_column_int64(s, 0));
		while (sqlite3_step(m) == SQLITE_ROW) {
			if (f->got_match)
				tl.extra++;	/* two matches on one face */
			f->got_match = sqlite3_column_int64(m, 0);
			f->got_sim = sqlite3_column_double(m, 1);
			tl.rows++;
		}
		sqlite3_reset(c);
		sqlite3_bind_int64(c, 1, sqlite3_column_int64(s, 0));
		while (sqlite3_step(c) == SQLITE_ROW && f->ngot_cand < 8)
			f->got_cand[f->ngot_cand++] = sqlite3_column_int64(c, 0);
		if (sqlite3_column_bytes(s, 1) != DIM * (int)sizeof(float) || !nrefs)
			continue;
		memcpy(q, sqlite3_column_blob(s, 1), sizeof(q));
		before = borderline;
		f->n = search(q, refs, ref_client, nrefs, clients, nclients, t, best, f->hits,
			      KF_MATCH_MAX_HITS, &borderline);
		f->borderline = borderline != before;
		/* the best below the threshold */
		for (size_t k = 0; k < nclients; k++) {
			struct hit h = { clients[k], best[k], 0 };

			h.sim = similarity(h.d);
			if (h.sim < t && (!f->below.client || better(&h, &f->below)))
				f->below = h;
		}
	}
	sqlite3_finalize(s);
	sqlite3_finalize(m);
	sqlite3_finalize(c);
	tl.borderline += borderline;
	mismatches = tl.missing + tl.extra + tl.simdiff + tl.cand_mismatch;
	printf("check faces %zu references %zu rows %ld expected %ld missing %ld extra %ld "
	       "similarity %ld borderline %zu ambiguous %ld candidates %ld candidate_mismatches "
	       "%ld max_similarity_diff %.2e mismatches %ld\n",
	       nfaces, nrefs, tl.rows, tl.expected, tl.missing, tl.extra, tl.simdiff,
	       tl.borderline, tl.ambiguous, tl.candidates, tl.cand_mismatch, tl.worst, mismatches);
	free(best);
	free(faces);
	free(refs);
	free(ref_client);
	free(clients);
	return mismatches ? 1 : 0;
}

int main(int argc, char **argv)
{
	sqlite3 *db;
	int rc;

	if (argc < 5 || (strcmp(argv[1], "gen") && strcmp(argv[1], "check"))) {
		fprintf(stderr, "usage: %s gen DB GALLERY_ID FACES [SEED] | check DB GALLERY_ID THRESHOLD\n",
			argv[0]);
		return 2;
	}
	if (sqlite3_open_v2(argv[2], &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		return fail(db, argv[2]);
	sqlite3_busy_timeout(db, 10000);
	sqlite3_exec(db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
	if (!strcmp(argv[1], "gen")) {
		if (argc > 5)
			rng_state ^= strtoull(argv[5], NULL, 10) * 0x9E3779B97F4A7C15ull;
		rc = gen(db, atoll(argv[3]), atol(argv[4]));
	} else {
		rc = check(db, atoll(argv[3]), atof(argv[4]));
	}
	sqlite3_close(db);
	return rc;
}
