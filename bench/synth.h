/* bench/synth.h: what the synthetic-gallery generators of bench/rematch.c and
 * bench/people.c share: a seeded random source, and a photo with its done
 * job inserted the way processing leaves them. Header-only: each bench is one
 * translation unit (cc bench/X.c -lsqlite3 -lm). */
#ifndef KF_BENCH_SYNTH_H
#define KF_BENCH_SYNTH_H

#include <math.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>

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

/* The statements synth_photo() runs, prepared by the bench as ph and job. */
#define SYNTH_PHOTO_SQL \
	"INSERT INTO photos(gallery_id, key, path, etag, size, mtime_ns, width, height, " \
	"created_at, updated_at) VALUES (?1, ?2, NULL, ?3, 5000000, 0, 6000, 4000, 0, 0)"
#define SYNTH_JOB_SQL \
	"INSERT INTO photo_jobs(photo_id, state, attempts, etag, processed_at, updated_at) " \
	"VALUES (?1, 'done', 1, ?2, 0, 0)"

/* Photo number *photo + 1 of gallery (key synthetic/IMG_NNNNN.jpg, a made-up
 * ETag) and its done job, with the statements ph (gallery, key, etag) and
 * job (photo id, etag); *photo_id gets its row id. 0, or 1 with the reason
 * (prog: the bench's name) on stderr. */
static int synth_photo(sqlite3 *db, sqlite3_stmt *ph, sqlite3_stmt *job, int64_t gallery,
		       long *photo, int64_t *photo_id, const char *prog)
{
	char key[64], etag[33];

	++*photo;
	snprintf(key, sizeof(key), "synthetic/IMG_%05ld.jpg", *photo);
	snprintf(etag, sizeof(etag), "%032lx", *photo);
	sqlite3_reset(ph);
	sqlite3_bind_int64(ph, 1, gallery);
	sqlite3_bind_text(ph, 2, key, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(ph, 3, etag, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(ph) != SQLITE_DONE)
		goto fail;
	*photo_id = sqlite3_last_insert_rowid(db);
	sqlite3_reset(job);
	sqlite3_bind_int64(job, 1, *photo_id);
	sqlite3_bind_text(job, 2, etag, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(job) == SQLITE_DONE)
		return 0;
fail:
	fprintf(stderr, "%s: insert a photo: %s\n", prog, sqlite3_errmsg(db));
	return 1;
}

#endif
