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
 *       (Euclidean distance between the float32 blobs; similarity =
 *       clamp(100 - 100 d / 3, 0, 100); a client's similarity is its best
 *       reference; kept when >= THRESHOLD; at most KF_MATCH_MAX_HITS per face,
 *       best first) and compare with the face_matches rows.
 *
 * The descriptors: every client is an identity, a random point of norm 1 (two
 * such points are about 1.41 apart: similarity 53); one client in ten is a
 * "sibling" placed 0.35 from another client, so some faces match two clients.
 * References are the identity plus noise of sigma 0.025 per component; faces
 * belong to a client (60%) or to one of 300 strangers, with noise of sigma
 * 0.02 to 0.06, which puts their similarity to their own client on both sides
 * of 80 (about 88 down to 75).
 *
 * check prints "check faces N rows N expected N missing N extra N similarity N
 * borderline N mismatches N" (exit 1 when mismatches > 0). A pair within 1e-4
 * of the threshold (where float and double may disagree) is counted as
 * borderline, not as a mismatch.
 *
 * Build: cc -std=c11 -D_GNU_SOURCE -O2 -I. bench/rematch.c -lsqlite3 -lm -o build-bench/rematch
 */
#include <math.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/engine.h"
#include "core/match.h"

#define DIM KF_DESC_DIM
#define STRANGERS 300
#define REFS_PER_CLIENT 3

static uint64_t rng_state = 88172645463325252ull;

static double uniform(void)	/* xorshift64*, [0, 1) */
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (double)((rng_state * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}

static double gauss(void)
{
	double u = uniform(), v = uniform();

	return sqrt(-2.0 * log(u + 1e-300)) * cos(6.283185307179586 * v);
}

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

static size_t search(const float *q, const float *refs, const size_t *ref_client, size_t nrefs,
		     const int64_t *clients, size_t nclients, double t, double *best,
		     struct hit *hits, size_t max, size_t *borderline)
{
	size_t n = 0;

	for (size_t c = 0; c < nclients; c++)
		best[c] = INFINITY;
	for (size_t r = 0; r < nrefs; r++) {
		double d2 = 0;

		for (int k = 0; k < DIM; k++) {
			double e = (double)q[k] - (double)refs[r * DIM + k];
			d2 += e * e;
		}
		if (d2 < best[ref_client[r]])
			best[ref_client[r]] = d2;
	}
	for (size_t c = 0; c < nclients; c++) {
		struct hit h = { clients[c], sqrt(best[c]), 0 };

		h.sim = 100.0 - 100.0 * h.d / 3.0;
		h.sim = h.sim < 0 ? 0 : h.sim > 100 ? 100 : h.sim;
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
	if (sqlite3_prepare_v2(db, "INSERT INTO photos(gallery_id, key, path, etag, size, mtime_ns, "
			       "width, height, created_at, updated_at) VALUES (?1, ?2, NULL, ?3, "
			       "5000000, 0, 6000, 4000, 0, 0)", -1, &ph, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO photo_jobs(photo_id, state, attempts, etag, "
			       "processed_at, updated_at) VALUES (?1, 'done', 1, ?2, 0, 0)",
			       -1, &job, NULL) != SQLITE_OK ||
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
		char key[64], etag[33];
		int k = 1 + (int)(uniform() * 6);
		int64_t photo_id;

		if (k > nfaces - made)
			k = (int)(nfaces - made);
		photo++;
		snprintf(key, sizeof(key), "synthetic/IMG_%05ld.jpg", photo);
		snprintf(etag, sizeof(etag), "%032lx", photo);
		sqlite3_reset(ph);
		sqlite3_bind_int64(ph, 1, gallery);
		sqlite3_bind_text(ph, 2, key, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(ph, 3, etag, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(ph) != SQLITE_DONE)
			return fail(db, "insert a photo");
		photo_id = sqlite3_last_insert_rowid(db);
		sqlite3_reset(job);
		sqlite3_bind_int64(job, 1, photo_id);
		sqlite3_bind_text(job, 2, etag, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(job) != SQLITE_DONE)
			return fail(db, "insert a job");
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

/* The stored matches of one face, as (client, similarity) pairs. */
struct row {
	int64_t client;
	double sim;
};

static int check(sqlite3 *db, int64_t gallery, double t)
{
	sqlite3_stmt *s, *m;
	size_t nclients = 0, nrefs = 0, cap = 0, nfaces = 0;
	int64_t *clients = sql_ids(db, "SELECT id FROM clients WHERE gallery_id = ?1 ORDER BY id",
				   gallery, &nclients);
	float *refs = NULL;
	size_t *ref_client = NULL, borderline = 0;
	long rows = 0, expected = 0, missing = 0, extra = 0, simdiff = 0, mismatches = 0;
	double *best = malloc((nclients ? nclients : 1) * sizeof(double)), worst = 0;
	struct hit hits[KF_MATCH_MAX_HITS];

	if (!best)
		return 1;
	/* the references kingface uses: this gallery's clients, its model only */
	if (sqlite3_prepare_v2(db, "SELECT f.client_id, f.descriptor FROM client_faces f JOIN clients c "
			       "ON c.id = f.client_id WHERE c.gallery_id = ?1 AND f.model = ?2",
			       -1, &s, NULL) != SQLITE_OK)
		return fail(db, "prepare");
	sqlite3_bind_int64(s, 1, gallery);
	sqlite3_bind_text(s, 2, KF_ENGINE_MODEL, -1, SQLITE_STATIC);
	while (sqlite3_step(s) == SQLITE_ROW) {
		size_t c;

		if (sqlite3_column_bytes(s, 1) != DIM * (int)sizeof(float))
			continue;
		for (c = 0; c < nclients && clients[c] != sqlite3_column_int64(s, 0); c++)
			;
		if (nrefs == cap) {
			cap = cap ? 2 * cap : 1024;
			refs = realloc(refs, cap * DIM * sizeof(float));
			ref_client = realloc(ref_client, cap * sizeof(size_t));
		}
		memcpy(refs + nrefs * DIM, sqlite3_column_blob(s, 1), DIM * sizeof(float));
		ref_client[nrefs++] = c;
	}
	sqlite3_finalize(s);
	if (sqlite3_prepare_v2(db, "SELECT f.id, f.descriptor FROM photo_faces f JOIN photos p ON "
			       "p.id = f.photo_id WHERE p.gallery_id = ?1 ORDER BY f.id", -1, &s,
			       NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT client_id, similarity FROM face_matches WHERE "
			       "photo_face_id = ?1", -1, &m, NULL) != SQLITE_OK)
		return fail(db, "prepare");
	sqlite3_bind_int64(s, 1, gallery);
	while (sqlite3_step(s) == SQLITE_ROW) {
		struct row got[256];
		size_t ngot = 0, n = 0;
		float q[DIM];

		nfaces++;
		sqlite3_reset(m);
		sqlite3_bind_int64(m, 1, sqlite3_column_int64(s, 0));
		while (sqlite3_step(m) == SQLITE_ROW && ngot < 256) {
			got[ngot].client = sqlite3_column_int64(m, 0);
			got[ngot++].sim = sqlite3_column_double(m, 1);
		}
		rows += (long)ngot;
		if (sqlite3_column_bytes(s, 1) == DIM * (int)sizeof(float) && nrefs) {
			memcpy(q, sqlite3_column_blob(s, 1), sizeof(q));
			n = search(q, refs, ref_client, nrefs, clients, nclients, t, best, hits,
				   KF_MATCH_MAX_HITS, &borderline);
		}
		expected += (long)n;
		for (size_t i = 0; i < n; i++) {
			size_t j;

			for (j = 0; j < ngot && got[j].client != hits[i].client; j++)
				;
			if (j == ngot) {
				if (fabs(hits[i].sim - t) >= 1e-4)
					missing++;
				continue;
			}
			double diff = fabs(got[j].sim - hits[i].sim);
			worst = diff > worst ? diff : worst;
			if (diff > 1e-3)
				simdiff++;
			got[j].client = 0;	/* matched */
		}
		for (size_t j = 0; j < ngot; j++)
			if (got[j].client != 0 && fabs(got[j].sim - t) >= 1e-4)
				extra++;
	}
	sqlite3_finalize(s);
	sqlite3_finalize(m);
	mismatches = missing + extra + simdiff;
	printf("check faces %zu references %zu rows %ld expected %ld missing %ld extra %ld "
	       "similarity %ld borderline %zu max_similarity_diff %.2e mismatches %ld\n",
	       nfaces, nrefs, rows, expected, missing, extra, simdiff, borderline, worst, mismatches);
	free(best);
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
