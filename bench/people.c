/* bench/people.c: the synthetic gallery of bench/people (`kingface people`
 * on 20,000 unknown faces).
 *
 *   people gen DB GALLERY_ID UNKNOWN [MATCHED [SEED]]
 *       fill a gallery kingface created as a processed gallery looks: photos
 *       (1 to 6 faces each, job done) holding UNKNOWN faces of random
 *       identities with no match, and MATCHED more faces (default 2,000) each
 *       matched to the gallery's first client (a face_matches row), so that
 *       the query has matched faces to leave out. One transaction. Prints
 *       "gen photos N faces N unknown N matched N identities N (2+ faces N)".
 *
 * The descriptors, drawn as bench/rematch.c draws them (Gaussian noise around
 * a random centre per identity), scaled to the real ones' distances
 * (docs/similarity.md): each identity is a random direction of norm 0.6, so
 * two identities are about 0.85 apart (dev impostor pairs: mean 0.82); one
 * identity in ten is a look-alike placed 0.35 from another; a face is its
 * identity plus noise of sigma 0.02 to 0.032 per component, so two faces of
 * one person are 0.32 to 0.51 apart (dev genuine pairs: mean 0.43). Each
 * identity has 1 to 8 faces (uniform), spread over random photos.
 *
 * Build: cc -std=c11 -D_GNU_SOURCE -O2 -I. bench/people.c -lsqlite3 -lm -o build-bench/people
 */
#include <math.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/synth.h"
#include "core/search.h"

#define DIM KF_DESC_DIM

static void random_dir(double *c, double norm)
{
	double n = 0;

	for (int k = 0; k < DIM; k++) {
		c[k] = gauss();
		n += c[k] * c[k];
	}
	n = sqrt(n);
	for (int k = 0; k < DIM; k++)
		c[k] *= norm / n;
}

static int fail(sqlite3 *db, const char *what)
{
	fprintf(stderr, "people: %s: %s\n", what, sqlite3_errmsg(db));
	return 1;
}

static int gen(sqlite3 *db, int64_t gallery, long unknown, long matched)
{
	long total = unknown + matched, nid = 0, photo = 0, two = 0, made = 0;
	long *who = malloc((size_t)total * sizeof(long));
	double *centre = NULL;
	sqlite3_stmt *ph, *job, *face, *match, *cl;
	int64_t client = 0;
	float desc[DIM];

	if (!who)
		return fprintf(stderr, "people: out of memory\n"), 1;
	/* identities of 1 to 8 faces until the unknown faces are made */
	for (long f = 0; f < unknown; nid++) {
		int k = 1 + (int)(uniform() * 8);

		two += k >= 2 && f + 2 <= unknown;
		for (int i = 0; i < k && f < unknown; i++)
			who[f++] = nid;
	}
	for (long f = unknown; f < total; f++)
		who[f] = -1;	/* matched: the client's */
	for (long i = total - 1; i > 0; i--) {	/* spread over the photos */
		long r = (long)(uniform() * (double)(i + 1)), t = who[i];

		who[i] = who[r];
		who[r] = t;
	}
	if (!(centre = malloc((size_t)(nid + 1) * DIM * sizeof(double))))
		return fprintf(stderr, "people: out of memory\n"), 1;
	for (long i = 0; i <= nid; i++)
		random_dir(centre + i * DIM, 0.6);
	for (long i = 1; i < nid; i += 10) {	/* look-alikes: 0.35 from identity i - 1 */
		double dir[DIM];

		random_dir(dir, 0.35);
		for (int k = 0; k < DIM; k++)
			centre[i * DIM + k] = centre[(i - 1) * DIM + k] + dir[k];
	}
	if (sqlite3_prepare_v2(db, "SELECT id FROM clients WHERE gallery_id = ?1 ORDER BY id LIMIT 1",
			       -1, &cl, NULL) != SQLITE_OK)
		return fail(db, "prepare");
	sqlite3_bind_int64(cl, 1, gallery);
	if (sqlite3_step(cl) == SQLITE_ROW)
		client = sqlite3_column_int64(cl, 0);
	sqlite3_finalize(cl);
	if (matched && !client) {
		fprintf(stderr, "people: gallery %lld has no client for the matched faces\n",
			(long long)gallery);
		return 1;
	}
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return fail(db, "begin");
	if (sqlite3_prepare_v2(db, SYNTH_PHOTO_SQL, -1, &ph, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, SYNTH_JOB_SQL, -1, &job, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO photo_faces(photo_id, face_index, box_left, box_top, "
			       "box_width, box_height, confidence, descriptor) VALUES "
			       "(?1, ?2, ?3, 0.3, ?4, ?5, 99.0, ?6)", -1, &face, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO face_matches(photo_face_id, client_id, similarity) "
			       "VALUES (?1, ?2, 99.5)", -1, &match, NULL) != SQLITE_OK)
		return fail(db, "prepare");
	while (made < total) {
		int k = 1 + (int)(uniform() * 6);
		int64_t photo_id;

		if (k > total - made)
			k = (int)(total - made);
		if (synth_photo(db, ph, job, gallery, &photo, &photo_id, "people"))
			return 1;
		for (int i = 0; i < k; i++, made++) {
			long id = who[made] < 0 ? nid : who[made];
			double sigma = 0.02 + 0.012 * uniform(), w = 0.04 + 0.06 * uniform();

			for (int x = 0; x < DIM; x++)
				desc[x] = (float)(centre[id * DIM + x] + sigma * gauss());
			sqlite3_reset(face);
			sqlite3_bind_int64(face, 1, photo_id);
			sqlite3_bind_int(face, 2, i);
			sqlite3_bind_double(face, 3, 0.02 + 0.15 * i);
			sqlite3_bind_double(face, 4, w);
			sqlite3_bind_double(face, 5, w * 1.4);
			sqlite3_bind_blob(face, 6, desc, sizeof(desc), SQLITE_TRANSIENT);
			if (sqlite3_step(face) != SQLITE_DONE)
				return fail(db, "insert a face");
			if (who[made] >= 0)
				continue;
			sqlite3_reset(match);
			sqlite3_bind_int64(match, 1, sqlite3_last_insert_rowid(db));
			sqlite3_bind_int64(match, 2, client);
			if (sqlite3_step(match) != SQLITE_DONE)
				return fail(db, "insert a match");
		}
	}
	sqlite3_finalize(ph);
	sqlite3_finalize(job);
	sqlite3_finalize(face);
	sqlite3_finalize(match);
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		return fail(db, "commit");
	printf("gen photos %ld faces %ld unknown %ld matched %ld identities %ld (2+ faces %ld)\n",
	       photo, made, unknown, matched, nid, two);
	free(who);
	free(centre);
	return 0;
}

int main(int argc, char **argv)
{
	sqlite3 *db;
	int rc;

	if (argc < 5 || strcmp(argv[1], "gen") != 0) {
		fprintf(stderr, "usage: people gen DB GALLERY_ID UNKNOWN [MATCHED [SEED]]\n");
		return 2;
	}
	if (argc > 6)
		rng_state ^= strtoull(argv[6], NULL, 10) * 0x9e3779b97f4a7c15ull;
	if (sqlite3_open(argv[2], &db) != SQLITE_OK)
		return fail(db, "open");
	sqlite3_busy_timeout(db, 5000);
	rc = gen(db, strtoll(argv[3], NULL, 10), strtol(argv[4], NULL, 10),
		 argc > 5 ? strtol(argv[5], NULL, 10) : 2000);
	sqlite3_close(db);
	return rc;
}
