/* store_schema.c: the schema migrations, applied in order by kf_store_open().
 *
 * Migration N takes the database from user_version N-1 to N. Never edit a
 * migration that has shipped: add a new one. docs/schema.md describes the
 * resulting tables. All times are Unix milliseconds (UTC).
 */
#include "data/store_schema.h"

#include <stddef.h>

static const char *const migrations[] = {
	/* 1: the whole mission's tables */
	"CREATE TABLE settings ("
	"  key   TEXT PRIMARY KEY,"
	"  value TEXT NOT NULL"
	");"
	"CREATE TABLE galleries ("
	"  id          INTEGER PRIMARY KEY,"
	"  name        TEXT NOT NULL UNIQUE,"
	"  source      TEXT,"			/* absolute folder, or NULL */
	"  platform_id INTEGER,"		/* king_galleries.id when pulled */
	"  engine      TEXT NOT NULL DEFAULT 'local',"
	"  created_at  INTEGER NOT NULL,"
	"  updated_at  INTEGER NOT NULL"
	");"
	"CREATE TABLE clients ("
	"  id          INTEGER PRIMARY KEY,"
	"  gallery_id  INTEGER NOT NULL REFERENCES galleries(id) ON DELETE CASCADE,"
	"  name        TEXT NOT NULL,"
	"  external_id TEXT,"
	"  created_at  INTEGER NOT NULL,"
	"  UNIQUE (gallery_id, name)"
	");"
	"CREATE TABLE photos ("
	"  id          INTEGER PRIMARY KEY,"
	"  gallery_id  INTEGER NOT NULL REFERENCES galleries(id) ON DELETE CASCADE,"
	"  key         TEXT NOT NULL,"		/* path relative to the source */
	"  path        TEXT,"			/* local file, absolute */
	"  etag        TEXT,"			/* MD5 hex of the bytes for local files */
	"  size        INTEGER,"
	"  mtime_ns    INTEGER,"
	"  width       INTEGER,"		/* as a person sees it (EXIF applied) */
	"  height      INTEGER,"
	"  missing     INTEGER NOT NULL DEFAULT 0,"	/* gone from the source */
	"  created_at  INTEGER NOT NULL,"
	"  updated_at  INTEGER NOT NULL,"
	"  UNIQUE (gallery_id, key)"
	");"
	"CREATE TABLE photo_jobs ("
	"  id               INTEGER PRIMARY KEY,"
	"  photo_id         INTEGER NOT NULL UNIQUE REFERENCES photos(id) ON DELETE CASCADE,"
	"  state            TEXT NOT NULL DEFAULT 'pending'"
	"                   CHECK (state IN ('pending','running','done','failed','dead')),"
	"  attempts         INTEGER NOT NULL DEFAULT 0,"
	"  last_error       TEXT,"
	"  next_attempt_at  INTEGER,"
	"  lease_owner      TEXT,"
	"  lease_expires_at INTEGER,"
	"  etag             TEXT,"		/* the ETag the last run processed */
	"  processed_at     INTEGER,"
	"  updated_at       INTEGER NOT NULL"
	");"
	"CREATE TABLE client_faces ("
	"  id                INTEGER PRIMARY KEY,"
	"  client_id         INTEGER NOT NULL REFERENCES clients(id) ON DELETE CASCADE,"
	"  descriptor        BLOB NOT NULL,"	/* 128 float32, little-endian */
	"  model             TEXT NOT NULL,"
	"  source_path       TEXT,"
	"  source_sha256     TEXT,"
	"  source_photo_id   INTEGER REFERENCES photos(id) ON DELETE SET NULL,"
	"  source_face_index INTEGER,"
	"  box_left REAL, box_top REAL, box_width REAL, box_height REAL,"
	"  score             REAL,"
	"  created_at        INTEGER NOT NULL"
	");"
	"CREATE TABLE photo_faces ("
	"  id          INTEGER PRIMARY KEY,"
	"  photo_id    INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,"
	"  face_index  INTEGER NOT NULL,"
	"  box_left    REAL NOT NULL,"		/* fractions of the upright image */
	"  box_top     REAL NOT NULL,"
	"  box_width   REAL NOT NULL,"
	"  box_height  REAL NOT NULL,"
	"  confidence  REAL NOT NULL,"		/* detector score, 0..100 */
	"  descriptor  BLOB,"
	"  UNIQUE (photo_id, face_index)"
	");"
	"CREATE TABLE face_matches ("
	"  id            INTEGER PRIMARY KEY,"
	"  photo_face_id INTEGER NOT NULL REFERENCES photo_faces(id) ON DELETE CASCADE,"
	"  client_id     INTEGER NOT NULL REFERENCES clients(id) ON DELETE CASCADE,"
	"  similarity    REAL NOT NULL,"	/* 0..100 */
	"  UNIQUE (photo_face_id, client_id)"
	");"
	"CREATE TABLE processing_cache ("
	"  key         TEXT PRIMARY KEY,"
	"  gallery_id  INTEGER NOT NULL REFERENCES galleries(id) ON DELETE CASCADE,"
	"  photo_id    INTEGER REFERENCES photos(id) ON DELETE CASCADE,"
	"  payload     TEXT NOT NULL,"		/* JSON */
	"  expires_at  INTEGER NOT NULL,"
	"  created_at  INTEGER NOT NULL"
	");"
	"CREATE INDEX clients_gallery ON clients(gallery_id);"
	"CREATE INDEX photos_gallery ON photos(gallery_id);"
	"CREATE INDEX photo_jobs_state ON photo_jobs(state, next_attempt_at);"
	"CREATE INDEX client_faces_client ON client_faces(client_id);"
	"CREATE INDEX photo_faces_photo ON photo_faces(photo_id);"
	"CREATE INDEX face_matches_face ON face_matches(photo_face_id);"
	"CREATE INDEX face_matches_client ON face_matches(client_id);"
	"CREATE INDEX processing_cache_gallery ON processing_cache(gallery_id);"
	"CREATE INDEX processing_cache_photo ON processing_cache(photo_id);"
	"CREATE INDEX processing_cache_expiry ON processing_cache(expires_at);",
};

int kf_store_schema_count(void)
{
	return (int)(sizeof(migrations) / sizeof(migrations[0]));
}

const char *kf_store_schema_migration(int version)
{
	if (version < 1 || version > kf_store_schema_count())
		return NULL;
	return migrations[version - 1];
}
