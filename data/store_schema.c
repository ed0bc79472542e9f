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

	/* 2: connected mode. A pulled gallery (platform_id set) records every
	 * local change the platform must hear of in the outbox, by triggers, so
	 * no code path can forget it; `kingface sync` pushes and deletes the
	 * items (data/sync.c). An item names a reference by its uid or a photo
	 * by id, and is pushed as that row is at push time; seq grows with each
	 * new change so a push never deletes a change made while it ran. */
	"ALTER TABLE galleries ADD COLUMN bucket TEXT;"	/* S3 bucket of its photos */
	"ALTER TABLE photos ADD COLUMN platform_id INTEGER;"	/* king_photos.id */
	"ALTER TABLE client_faces ADD COLUMN uid TEXT;"	/* the same on every machine */
	"UPDATE client_faces SET uid = lower(hex(randomblob(16)));"
	"CREATE UNIQUE INDEX client_faces_uid ON client_faces(uid);"
	"CREATE UNIQUE INDEX galleries_platform ON galleries(platform_id);"
	"CREATE TABLE outbox ("
	"  id         INTEGER PRIMARY KEY,"		/* push order */
	"  gallery_id INTEGER NOT NULL REFERENCES galleries(id) ON DELETE CASCADE,"
	"  kind       TEXT NOT NULL CHECK (kind IN ('reference','photo')),"
	"  ref        TEXT NOT NULL,"			/* client_faces.uid or photos.id */
	"  seq        INTEGER NOT NULL DEFAULT 1,"
	"  created_at INTEGER NOT NULL,"
	"  UNIQUE (kind, ref)"
	");"
	"CREATE TABLE sync_state ("
	"  gallery_id      INTEGER PRIMARY KEY REFERENCES galleries(id) ON DELETE CASCADE,"
	"  pulled_at       INTEGER,"
	"  last_ok_at      INTEGER,"
	"  last_attempt_at INTEGER,"
	"  last_error      TEXT"
	");"
	"CREATE TRIGGER client_faces_added AFTER INSERT ON client_faces BEGIN"
	"  UPDATE client_faces SET uid = lower(hex(randomblob(16)))"
	"   WHERE id = NEW.id AND uid IS NULL;"
	"  INSERT INTO outbox(gallery_id, kind, ref, created_at)"
	"   SELECT g.id, 'reference', (SELECT uid FROM client_faces WHERE id = NEW.id),"
	"          CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)"
	"     FROM clients c JOIN galleries g ON g.id = c.gallery_id"
	"    WHERE c.id = NEW.client_id AND g.platform_id IS NOT NULL"
	"   ON CONFLICT (kind, ref) DO UPDATE SET seq = seq + 1;"
	"END;"
	"CREATE TRIGGER client_faces_removed AFTER DELETE ON client_faces BEGIN"
	"  INSERT INTO outbox(gallery_id, kind, ref, created_at)"
	"   SELECT g.id, 'reference', OLD.uid, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)"
	"     FROM clients c JOIN galleries g ON g.id = c.gallery_id"
	"    WHERE c.id = OLD.client_id AND g.platform_id IS NOT NULL"
	"   ON CONFLICT (kind, ref) DO UPDATE SET seq = seq + 1;"
	"END;"
	"CREATE TRIGGER photo_jobs_changed AFTER UPDATE OF state ON photo_jobs"
	"  WHEN NEW.state <> 'running' BEGIN"
	"  INSERT INTO outbox(gallery_id, kind, ref, created_at)"
	"   SELECT g.id, 'photo', NEW.photo_id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)"
	"     FROM photos p JOIN galleries g ON g.id = p.gallery_id"
	"    WHERE p.id = NEW.photo_id AND g.platform_id IS NOT NULL"
	"      AND p.platform_id IS NOT NULL"
	"   ON CONFLICT (kind, ref) DO UPDATE SET seq = seq + 1;"
	"END;",

	/* 3: a second match engine, Amazon Rekognition (docs/engines.md). A
	 * reference says which engine made it; a Rekognition reference has an
	 * empty descriptor, model 'aws-rekognition' (so the local search skips
	 * it) and AWS's FaceId. galleries.engine (migration 1) is the engine of
	 * the gallery's stored results; remote_calls counts the billable calls
	 * made for the gallery. */
	"ALTER TABLE client_faces ADD COLUMN engine TEXT NOT NULL DEFAULT 'local';"
	"ALTER TABLE client_faces ADD COLUMN face_id TEXT;"	/* the engine's id, or NULL */
	"ALTER TABLE galleries ADD COLUMN remote_calls INTEGER NOT NULL DEFAULT 0;",

	/* 4: YuNet became the default detector. galleries.detector is the face
	 * detector of the gallery's stored results (NULL or '': none yet; the
	 * first results set it); the local results stored so far came from SSD,
	 * the default until now. A face too small to recognise is stored with
	 * recognizable = 0 and no descriptor (core/engine.h). */
	"ALTER TABLE galleries ADD COLUMN detector TEXT;"
	"UPDATE galleries SET detector = 'ssd' WHERE engine = 'local' AND EXISTS ("
	"  SELECT 1 FROM photos p JOIN photo_jobs j ON j.photo_id = p.id"
	"   WHERE p.gallery_id = galleries.id AND j.state = 'done');"
	"ALTER TABLE photo_faces ADD COLUMN recognizable INTEGER NOT NULL DEFAULT 1;",

	/* 5: one client per photo, and ambiguous faces (core/assign.h). A face
	 * whose assigned client has a competitor within the margin has no
	 * face_matches row: its candidates go here, replaced with the matches
	 * (processing, rematch). distance is the descriptor distance, NULL for
	 * an engine without descriptors. */
	"CREATE TABLE face_candidates ("
	"  id            INTEGER PRIMARY KEY,"
	"  photo_face_id INTEGER NOT NULL REFERENCES photo_faces(id) ON DELETE CASCADE,"
	"  client_id     INTEGER NOT NULL REFERENCES clients(id) ON DELETE CASCADE,"
	"  similarity    REAL NOT NULL,"	/* 0..100 */
	"  distance      REAL,"
	"  UNIQUE (photo_face_id, client_id)"
	");"
	"CREATE INDEX face_candidates_client ON face_candidates(client_id);",

	/* 6: reviews (kingface face confirm|reject). A review is about the face
	 * of a photo as it was then (its index and box), so that it finds the
	 * same face after the photo is processed again (core/assign.h:
	 * kf_match_review_face); confirmed: the face is the client, rejected: it
	 * is not. A face has at most one confirmed client; a client is
	 * confirmed on at most one face of a photo. */
	"CREATE TABLE face_reviews ("
	"  id          INTEGER PRIMARY KEY,"
	"  photo_id    INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,"
	"  face_index  INTEGER NOT NULL,"
	"  box_left    REAL NOT NULL,"
	"  box_top     REAL NOT NULL,"
	"  box_width   REAL NOT NULL,"
	"  box_height  REAL NOT NULL,"
	"  client_id   INTEGER NOT NULL REFERENCES clients(id) ON DELETE CASCADE,"
	"  verdict     TEXT NOT NULL CHECK (verdict IN ('confirmed','rejected')),"
	"  created_at  INTEGER NOT NULL,"
	"  UNIQUE (photo_id, face_index, client_id)"
	");"
	"CREATE INDEX face_reviews_photo ON face_reviews(photo_id);"
	"CREATE INDEX face_reviews_client ON face_reviews(client_id);"
	/* a review changes the photo's matches: sync pushes them with the
	 * reviews (docs/sync.md); reviews_pending says that the photo's reviews
	 * changed here since the last push, so a pull keeps them */
	"ALTER TABLE photos ADD COLUMN reviews_pending INTEGER NOT NULL DEFAULT 0;"
	"CREATE TRIGGER face_reviews_added AFTER INSERT ON face_reviews BEGIN"
	"  UPDATE photos SET reviews_pending = 1 WHERE id = NEW.photo_id;"
	"  INSERT INTO outbox(gallery_id, kind, ref, created_at)"
	"   SELECT g.id, 'photo', NEW.photo_id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)"
	"     FROM photos p JOIN galleries g ON g.id = p.gallery_id"
	"    WHERE p.id = NEW.photo_id AND g.platform_id IS NOT NULL"
	"      AND p.platform_id IS NOT NULL"
	"   ON CONFLICT (kind, ref) DO UPDATE SET seq = seq + 1;"
	"END;"
	"CREATE TRIGGER face_reviews_removed AFTER DELETE ON face_reviews BEGIN"
	"  UPDATE photos SET reviews_pending = 1 WHERE id = OLD.photo_id;"
	"  INSERT INTO outbox(gallery_id, kind, ref, created_at)"
	"   SELECT g.id, 'photo', OLD.photo_id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)"
	"     FROM photos p JOIN galleries g ON g.id = p.gallery_id"
	"    WHERE p.id = OLD.photo_id AND g.platform_id IS NOT NULL"
	"      AND p.platform_id IS NOT NULL"
	"   ON CONFLICT (kind, ref) DO UPDATE SET seq = seq + 1;"
	"END;",
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
