/* store_client.h: the clients of a gallery, the people whose faces are enrolled.
 *
 * Rows returned are owned by the caller (kf_store_client_release /
 * kf_store_client_list_free).
 */
#ifndef KF_STORE_CLIENT_H
#define KF_STORE_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "data/store.h"

struct kf_client {
	int64_t id, gallery_id;
	char *name;
	char *external_id;	/* the platform's id, or NULL */
	int64_t created_at;	/* Unix ms */
	int64_t faces;		/* enrolled reference faces */
	int64_t photos;		/* photos it was recognised in */
};

/* What kf_store_client_remove() deleted. */
struct kf_client_removed {
	int64_t faces, matches, cache_entries;
};

/* Add a client to a gallery. KF_E_EXISTS when the gallery has one of that name,
 * or (external_id NULL: not the platform's) of that name in other letters
 * (data/store.h kf_store_name_key), naming it. *id may be NULL. */
int kf_store_client_add(struct kf_store *st, int64_t gallery_id, const char *name,
			const char *external_id, int64_t *id, struct kf_err *err);

/* Find a client of the gallery by id or exact name, else by its name in other
 * letters (kf_store_name_key) when one client alone has it (KF_E_INVALID,
 * naming two, when several do). */
int kf_store_client_find(struct kf_store *st, int64_t gallery_id, const char *ref,
			 struct kf_client *out, struct kf_err *err);

/* Find a client of the gallery by its name only (a name of digits is not
 * taken for an id): exact, else in other letters as kf_store_client_find.
 * KF_E_NOTFOUND when there is none. */
int kf_store_client_named(struct kf_store *st, int64_t gallery_id, const char *name,
			  struct kf_client *out, struct kf_err *err);

/* The gallery's clients with their counts, by name. */
int kf_store_client_list(struct kf_store *st, int64_t gallery_id, struct kf_client **out,
			 size_t *n, struct kf_err *err);

/* Rename; KF_E_EXISTS when the new name is another client's in the gallery
 * (in other letters too, as kf_store_client_add), KF_E_INVALID
 * for a client of the platform in a pulled gallery (its name comes back at
 * each sync). */
int kf_store_client_rename(struct kf_store *st, int64_t client_id, const char *name,
			   struct kf_err *err);

/* Delete a client with its biometric data (enrolled faces) and its matches, and
 * drop the gallery's cached match results (they may name the client), in one
 * transaction. `removed` (may be NULL) gets the counts. */
int kf_store_client_remove(struct kf_store *st, int64_t client_id,
			   struct kf_client_removed *removed, struct kf_err *err);

void kf_store_client_release(struct kf_client *c);
void kf_store_client_list_free(struct kf_client *list, size_t n);

#endif
