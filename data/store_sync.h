/* store_sync.h: the local side of connected mode (data/sync.h): the outbox of
 * changes the platform has not heard of yet, each pulled gallery's sync state,
 * and the rows a pull writes.
 *
 * The outbox is filled by the schema's triggers (store_schema.c, migration 2)
 * for pulled galleries only: a reference added or removed (kind "reference",
 * ref = its uid), a photo's job reaching a state other than running (kind
 * "photo", ref = its id). An item is pushed as its row is at push time and then
 * deleted with kf_store_outbox_done(), which keeps it when a newer change came
 * in meanwhile (its seq grew).
 *
 * Strings in returned structs are owned by the caller (the release functions).
 */
#ifndef KF_STORE_SYNC_H
#define KF_STORE_SYNC_H

#include <stddef.h>
#include <stdint.h>

#include "data/store.h"

struct kf_outbox_item {
	int64_t id, gallery_id, seq;
	char kind[12];		/* "reference" or "photo" */
	char *ref;		/* the reference's uid, or the photo id */
};

/* The first item of the gallery (0: any) with id > after, in push order.
 * KF_E_NOTFOUND when there is none. */
int kf_store_outbox_next(struct kf_store *st, int64_t gallery_id, int64_t after,
			 struct kf_outbox_item *it, struct kf_err *err);

/* Delete the item unless it changed since it was read. */
int kf_store_outbox_done(struct kf_store *st, const struct kf_outbox_item *it,
			 struct kf_err *err);

/* Items waiting for the gallery (0: all). */
int kf_store_outbox_count(struct kf_store *st, int64_t gallery_id, int64_t *n,
			  struct kf_err *err);

/* Does an item wait for this kind and ref (a local change not pushed yet)? */
int kf_store_outbox_pending(struct kf_store *st, const char *kind, const char *ref, int *yes,
			    struct kf_err *err);

/* Drop the item of a reference a pull just wrote: not a local change. */
int kf_store_outbox_forget(struct kf_store *st, const char *uid, struct kf_err *err);

void kf_store_outbox_item_release(struct kf_outbox_item *it);

struct kf_sync_state {
	int64_t pulled_at, last_ok_at, last_attempt_at;	/* Unix ms, 0 when never */
	char *last_error;				/* NULL after a success */
};

enum kf_sync_event { KF_SYNC_PULLED, KF_SYNC_OK, KF_SYNC_FAILED };

int kf_store_sync_state(struct kf_store *st, int64_t gallery_id, struct kf_sync_state *s,
			struct kf_err *err);
/* Record a pull, a successful sync, or a failed one (with its error). */
int kf_store_sync_mark(struct kf_store *st, int64_t gallery_id, enum kf_sync_event ev,
		       const char *error, struct kf_err *err);
void kf_store_sync_state_release(struct kf_sync_state *s);

/* The local gallery of platform gallery platform_id, created (named name, or
 * "name #platform_id" when a local gallery has that name) when there is none,
 * renamed when the platform renamed it (and no other local gallery has the new
 * name); source and bucket are set when not NULL. */
int kf_store_sync_gallery(struct kf_store *st, int64_t platform_id, const char *name,
			  const char *source, const char *bucket, int64_t *id, int *created,
			  struct kf_err *err);

/* The bucket remembered for platform gallery platform_id (*bucket NULL when
 * none or not pulled yet; caller kf_frees). */
int kf_store_sync_gallery_bucket(struct kf_store *st, int64_t platform_id, char **bucket,
				 struct kf_err *err);

/* The local client of platform client platform_id (its external id): renamed
 * to name when the platform renamed it; a local client of that name with no
 * external id is adopted (and its references queued for the platform); else one
 * is created. *changed: 1 added, 2 renamed. */
int kf_store_sync_client(struct kf_store *st, int64_t gallery_id, int64_t platform_id,
			 const char *name, int64_t *client_id, int *changed, struct kf_err *err);

/* Platform clients of the gallery that are not in keep (a JSON array of their
 * ids as strings) are removed, with their references and matches. */
int kf_store_sync_clients_prune(struct kf_store *st, int64_t gallery_id, const char *keep,
				int64_t *removed, struct kf_err *err);

/* Link a local photo to its king_photos row. */
int kf_store_sync_photo_link(struct kf_store *st, int64_t photo_id, int64_t platform_id,
			     struct kf_err *err);

/* Pulled photos of the gallery whose platform id is not in keep (JSON array of
 * strings) are marked missing; *n gets how many were newly so. */
int kf_store_sync_photos_prune(struct kf_store *st, int64_t gallery_id, const char *keep,
			       int64_t *n, struct kf_err *err);

/* The uids of the gallery's references of platform clients that have no
 * outbox item (neither new nor removed here): a pull drops those the platform
 * no longer has. *uids: caller kf_free()s. */
int kf_store_sync_ref_uids(struct kf_store *st, int64_t gallery_id, char (**uids)[33],
			   size_t *n, struct kf_err *err);

/* The photo's cached result (NULL key and payload when none). Caller
 * kf_free()s both. */
int kf_store_sync_photo_cache(struct kf_store *st, int64_t photo_id, char **key,
			      char **payload, int64_t *expires_at, struct kf_err *err);

#endif
