-- The KingSelection platform's own tables that kingface reads in connected mode.
-- They belong to the platform: kingface never alters them. The rekognition_* tables
-- of the recognition feature are kingface's to create and migrate (see docs/schema.md).
-- PostgreSQL 13 or later.

CREATE TABLE IF NOT EXISTS king_galleries (
  id          bigserial PRIMARY KEY,
  owner_id    bigint      NOT NULL,
  name        text        NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- The clients (customers) of a gallery: the people whose faces are enrolled.
CREATE TABLE IF NOT EXISTS king_gallery_clients (
  id          bigserial PRIMARY KEY,
  gallery_id  bigint      NOT NULL REFERENCES king_galleries(id) ON DELETE CASCADE,
  name        text        NOT NULL,
  email       text,
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- One row per photo; file_path is the photo's R2 object key, for example
-- 'galleries/<galleryId>/<file name>'.
CREATE TABLE IF NOT EXISTS king_photos (
  id          bigserial PRIMARY KEY,
  gallery_id  bigint      NOT NULL REFERENCES king_galleries(id) ON DELETE CASCADE,
  file_path   text        NOT NULL,
  file_name   text        NOT NULL,
  size_bytes  bigint,
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (gallery_id, file_path)
);
