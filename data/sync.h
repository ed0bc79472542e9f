/* sync.h: connected mode's offline-first sync between the local store and
 * the studio platform's PostgreSQL (docs/sync.md has the rules).
 *
 * Pull (kf_sync_pull): a platform gallery becomes, or refreshes, a local
 * gallery: its clients (the platform's names win), its photos by R2 key (the
 * file from the photos folder when it is there, else fetched from the bucket
 * when processed; the bucket is listed for their ETags when it can be, so a
 * changed object is processed again) and the references other machines
 * enrolled. Photos gone
 * from the platform are marked missing, clients gone are removed. References
 * with a local change not pushed yet are left alone. One SQLite transaction,
 * written after everything was read from PostgreSQL: a cut connection leaves
 * the local gallery as it was.
 *
 * Push (kf_sync_push): the outbox (store_sync.h), in order, one PostgreSQL
 * transaction per item, each an idempotent upsert; an item leaves the outbox
 * only after its transaction committed, so a push cut anywhere and run again
 * writes the same rows, none doubled or lost. A photo whose platform job is
 * held by a live worker waits for the next sync; one the platform has newer
 * results for keeps them.
 */
#ifndef KF_SYNC_H
#define KF_SYNC_H

#include <stdint.h>

#include "data/pg.h"
#include "data/store.h"

struct kf_pull_opts {
	int64_t platform_id;		/* king_galleries.id */
	const char *photos_dir;		/* local copies named by key, or NULL */
	const char *bucket;		/* of the photos not in the folder (NULL:
					 * KINGFACE_BUCKET); remembered */
};

struct kf_pull_summary {
	int64_t gallery_id;		/* the local gallery */
	int created;
	int64_t clients, clients_added, clients_renamed, clients_removed;
	int64_t photos, photos_added, photos_changed, photos_missing;
	int64_t photos_local;		/* of them, in the photos folder */
	int64_t refs_added, refs_removed;
	int64_t reviews_changed;	/* photos whose reviews came from the platform */
	int bucket_listed;		/* the other photos' ETags came from the bucket */
	char bucket_note[KF_ERR_MSG_SIZE];	/* why the bucket was not listed, or "" */
};

/* Pull platform gallery o->platform_id into st. */
int kf_sync_pull(struct kf_store *st, struct kf_pg *pg, const struct kf_pull_opts *o,
		 struct kf_pull_summary *sum, struct kf_err *err);

struct kf_push_summary {
	int64_t references;	/* reference additions and removals pushed */
	int64_t photos;		/* photos' results and job states pushed */
	int64_t kept_remote;	/* photos the platform had newer results for */
	int64_t waiting;	/* photos held by a platform worker: next sync */
	int64_t local_only;	/* items of clients the platform does not have */
};

/* Push the outbox of local gallery gallery_id (0: every pulled gallery). */
int kf_sync_push(struct kf_store *st, struct kf_pg *pg, int64_t gallery_id,
		 struct kf_push_summary *sum, struct kf_err *err);

#endif
