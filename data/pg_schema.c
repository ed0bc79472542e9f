/* pg_schema.c: kingface's tables on the platform's PostgreSQL, by version.
 *
 * Migration N takes the database from version N-1 to N; each applied version
 * is a row of kingface_migrations. Never edit a migration that has shipped: add
 * one. They run in one transaction under an advisory lock, so several workers
 * starting at once apply each migration exactly once. docs/schema.md describes
 * the tables and how they map to the local ones.
 */
#include "data/pg.h"

#include <stdio.h>

static const char *const migrations[] = {
	/* 1: the seed's recognition tables */
	"CREATE TABLE rekognition_client_faces ("
	"  id                bigserial PRIMARY KEY,"
	"  uid               text NOT NULL UNIQUE,"	/* made where it was enrolled */
	"  gallery_id        bigint NOT NULL REFERENCES king_galleries(id) ON DELETE CASCADE,"
	"  client_id         bigint NOT NULL REFERENCES king_gallery_clients(id) ON DELETE CASCADE,"
	"  engine            text NOT NULL DEFAULT 'local',"
	"  model             text NOT NULL,"
	"  descriptor        bytea,"			/* 128 float32 little-endian */
	"  face_id           text,"			/* Rekognition FaceId */
	"  external_image_id text,"			/* Rekognition: the client id */
	"  bounding_box_json jsonb,"
	"  confidence        real,"
	"  source_key        text,"
	"  source_sha256     text,"
	"  created_at        timestamptz NOT NULL DEFAULT now()"
	");"
	"CREATE INDEX rekognition_client_faces_gallery ON rekognition_client_faces(gallery_id);"
	"CREATE TABLE rekognition_photo_jobs ("
	"  id               bigserial PRIMARY KEY,"
	"  gallery_id       bigint NOT NULL REFERENCES king_galleries(id) ON DELETE CASCADE,"
	"  photo_id         bigint NOT NULL UNIQUE REFERENCES king_photos(id) ON DELETE CASCADE,"
	"  r2_key           text NOT NULL,"
	"  r2_etag          text,"
	"  process_status   text NOT NULL DEFAULT 'pending'"
	"                   CHECK (process_status IN ('pending','running','done','failed','dead')),"
	"  attempts         integer NOT NULL DEFAULT 0,"
	"  last_error       text,"
	"  next_attempt_at  timestamptz,"
	"  lease_owner      text,"
	"  lease_expires_at timestamptz,"
	"  processed_at     timestamptz,"
	"  created_at       timestamptz NOT NULL DEFAULT now(),"
	"  updated_at       timestamptz NOT NULL DEFAULT now()"
	");"
	"CREATE INDEX rekognition_photo_jobs_ready"
	"  ON rekognition_photo_jobs(gallery_id, process_status, next_attempt_at);"
	"CREATE TABLE rekognition_photo_faces ("
	"  id                bigserial PRIMARY KEY,"
	"  photo_id          bigint NOT NULL REFERENCES king_photos(id) ON DELETE CASCADE,"
	"  face_index        integer NOT NULL,"
	"  bounding_box_json jsonb NOT NULL,"		/* {Width, Height, Left, Top}: fractions */
	"  confidence        real NOT NULL,"		/* 0..100 */
	"  descriptor        bytea,"
	"  UNIQUE (photo_id, face_index)"
	");"
	"CREATE TABLE rekognition_face_matches ("
	"  id            bigserial PRIMARY KEY,"
	"  photo_face_id bigint NOT NULL REFERENCES rekognition_photo_faces(id) ON DELETE CASCADE,"
	"  client_id     bigint NOT NULL REFERENCES king_gallery_clients(id) ON DELETE CASCADE,"
	"  similarity    real NOT NULL,"		/* 0..100 */
	"  UNIQUE (photo_face_id, client_id)"
	");"
	"CREATE INDEX rekognition_face_matches_client ON rekognition_face_matches(client_id);"
	"CREATE TABLE rekognition_processing_cache ("
	"  cache_key    text PRIMARY KEY,"
	"  gallery_id   bigint REFERENCES king_galleries(id) ON DELETE CASCADE,"
	"  photo_id     bigint REFERENCES king_photos(id) ON DELETE CASCADE,"
	"  payload_json jsonb NOT NULL,"
	"  expires_at   timestamptz NOT NULL,"
	"  created_at   timestamptz NOT NULL DEFAULT now()"
	");"
	"CREATE INDEX rekognition_processing_cache_photo ON rekognition_processing_cache(photo_id);",

	/* 2: reviews (kingface face confirm|reject), so that another laptop that
	 * pulls the gallery applies them too; as the local face_reviews */
	"CREATE TABLE kingface_face_reviews ("
	"  id                bigserial PRIMARY KEY,"
	"  photo_id          bigint NOT NULL REFERENCES king_photos(id) ON DELETE CASCADE,"
	"  face_index        integer NOT NULL,"
	"  bounding_box_json jsonb NOT NULL,"		/* the face when it was reviewed */
	"  client_id         bigint NOT NULL REFERENCES king_gallery_clients(id) ON DELETE CASCADE,"
	"  verdict           text NOT NULL CHECK (verdict IN ('confirmed','rejected')),"
	"  created_at        timestamptz NOT NULL DEFAULT now(),"
	"  UNIQUE (photo_id, face_index, client_id)"
	");"
	"CREATE INDEX kingface_face_reviews_photo ON kingface_face_reviews(photo_id);",
};

#define NMIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

int kf_pg_migrate(struct kf_pg *pg, struct kf_err *err)
{
	PGresult *res;
	char vbuf[24];
	const char *p[1];
	int rc, have, v;

	if ((rc = kf_pg_exec(pg, "SELECT to_regclass('king_photos') IS NOT NULL", 0, NULL, &res,
			     "read the catalog", err)) < 0)
		return rc;
	have = PQgetvalue(res, 0, 0)[0] == 't';
	PQclear(res);
	if (!have)
		return kf_err_set(err, KF_E_DB, "PostgreSQL at %s has no king_photos table: it is "
				  "not a KingSelection platform database", pg->where);
	if ((rc = kf_pg_begin(pg, err)) < 0)
		return rc;
	if ((rc = kf_pg_exec(pg, "SELECT pg_advisory_xact_lock(hashtext('kingface_migrations'))",
			     0, NULL, NULL, "lock the migrations", err)) < 0 ||
	    (rc = kf_pg_exec(pg, "CREATE TABLE IF NOT EXISTS kingface_migrations ("
			     " version integer PRIMARY KEY,"
			     " applied_at timestamptz NOT NULL DEFAULT now())",
			     0, NULL, NULL, "create kingface_migrations", err)) < 0 ||
	    (rc = kf_pg_exec(pg, "SELECT coalesce(max(version), 0) FROM kingface_migrations",
			     0, NULL, &res, "read the schema version", err)) < 0)
		goto fail;
	have = (int)kf_pg_int(res, 0, 0);
	PQclear(res);
	if (have > NMIGRATIONS) {
		rc = kf_err_set(err, KF_E_DB, "PostgreSQL at %s has kingface schema version %d, "
				"newer than this kingface (%d): upgrade kingface", pg->where,
				have, NMIGRATIONS);
		goto fail;
	}
	for (v = have + 1; v <= NMIGRATIONS; v++) {
		char what[48];

		snprintf(what, sizeof(what), "apply schema migration %d", v);
		p[0] = kf_pg_i64(vbuf, v);
		if ((rc = kf_pg_script(pg, migrations[v - 1], what, err)) < 0 ||
		    (rc = kf_pg_exec(pg, "INSERT INTO kingface_migrations (version) VALUES ($1)",
				     1, p, NULL, what, err)) < 0)
			goto fail;
	}
	return kf_pg_commit(pg, err);
fail:
	kf_pg_rollback(pg);
	return rc;
}
