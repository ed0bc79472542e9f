/* pg_gallery.h: what matching needs of a platform gallery, read from
 * PostgreSQL: its enrolled references (rekognition_client_faces) in a search
 * index and its clients' names (king_gallery_clients), as the local
 * kf_match_gallery_load() reads them from the store.
 *
 * References count when engine = 'local', model = KF_ENGINE_MODEL and the
 * descriptor is 128 float32, little-endian, 512 bytes of bytea; other rows
 * (Rekognition's, another model's, a malformed descriptor) are skipped and
 * counted in other_model.
 */
#ifndef KF_PG_GALLERY_H
#define KF_PG_GALLERY_H

#include <stddef.h>
#include <stdint.h>

#include "core/search.h"
#include "data/pg.h"
#include "data/photo_match.h"

/* bytea text of a descriptor: "\x" and 1024 hex digits, NUL-terminated. */
#define KF_PG_DESC_HEX (2 + 8 * KF_DESC_DIM + 1)

/* Load gallery_id's references and clients into *g (ids are the platform's).
 * On success *g is the caller's (kf_match_gallery_release); on error it is
 * empty. A gallery with no reference is not an error (nothing matches). */
int kf_pg_gallery_load(struct kf_pg *pg, int64_t gallery_id, struct kf_match_gallery *g,
		       struct kf_err *err);

/* A text into buf (n >= 128) that changes when a reference or a client of the
 * gallery is added or removed, or a client renamed: compare it before each
 * photo to know when to load again. */
int kf_pg_gallery_version(struct kf_pg *pg, int64_t gallery_id, char *buf, size_t n,
			  struct kf_err *err);

/* A descriptor as bytea text ("\x" + little-endian float32 in hex), for a
 * parameter. */
void kf_pg_desc_hex(const float *desc, char out[KF_PG_DESC_HEX]);

/* Parse 1024 hex digits (encode(descriptor, 'hex')) into desc. KF_E_FORMAT
 * when hex is not exactly that. */
int kf_pg_desc_parse(const char *hex, float *desc, struct kf_err *err);

#endif
