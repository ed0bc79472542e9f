/* store.h: the local SQLite store, kingface's state on the laptop.
 *
 * One struct kf_store per thread (a SQLite connection is not shared between
 * threads). kf_store_open() applies the schema migrations (PRAGMA user_version),
 * turns on WAL, foreign keys and a busy timeout. Every statement is prepared with
 * bound parameters; every multi-row change runs inside kf_store_begin() /
 * kf_store_commit() so that a failure leaves nothing half-written.
 *
 * The per-table functions live in store_gallery.h, store_client.h and
 * store_photo.h; the schema is documented in docs/schema.md.
 * Times in the database are Unix milliseconds (UTC).
 */
#ifndef KF_STORE_H
#define KF_STORE_H

#include <stdint.h>

#include "core/err.h"

struct sqlite3;

struct kf_store {
	struct sqlite3 *db;
	char *path;
	int tx_depth;
};


enum kf_store_open_flags {
	KF_STORE_CREATE = 1 << 0,	/* create the file when missing, mode 0600 */
	KF_STORE_READONLY = 1 << 1,	/* open read-only (no migrations) */
};

/* Open (and migrate) the database at path. On success *out is owned by the caller
 * (kf_store_close). Errors: KF_E_DB for a file that is not a kingface database or
 * is from a newer schema, KF_E_IO when it cannot be opened, each message naming
 * the file and the fix. */
int kf_store_open(struct kf_store **out, const char *path, unsigned flags,
		  struct kf_err *err);

/* Close; NULL is a no-op. Rolls back an open transaction. */
void kf_store_close(struct kf_store *st);

/* Transactions. begin takes the write lock at once (BEGIN IMMEDIATE), so a
 * writer waits for the busy timeout rather than failing half-way. Nested calls
 * only count; the outermost commit commits. kf_store_rollback() is safe to call
 * after a failed begin or commit. */
int kf_store_begin(struct kf_store *st, struct kf_err *err);
int kf_store_commit(struct kf_store *st, struct kf_err *err);
void kf_store_rollback(struct kf_store *st);

/* A number that changes whenever another connection to the database (another
 * process, a worker's own connection) commits a change: to see that what is
 * shown is stale (SQLite's PRAGMA data_version). */
int kf_store_data_version(struct kf_store *st, int64_t *version, struct kf_err *err);

/* Milliseconds since the epoch (the clock the store writes). */
int64_t kf_store_now_ms(void);

/* Settings (key/value text). get copies the value into out (size n) and returns
 * KF_E_NOTFOUND when the key is unset. */
int kf_store_setting_get(struct kf_store *st, const char *key, char *out, size_t n,
			 struct kf_err *err);
int kf_store_setting_set(struct kf_store *st, const char *key, const char *value,
			 struct kf_err *err);

/* The id a GALLERY/CLIENT/PHOTO argument names when it is all digits (at most
 * 18), else -1: arguments are an id or an exact name. */
int64_t kf_store_ref_id(const char *ref);

/* A name as a person typed it (a client's, a gallery's: `what`), made ready
 * to store into out (n >= KF_NAME_MAX + 1 bytes): spaces around it removed.
 * KF_E_INVALID, saying why, when nothing is left, when it holds a control
 * character (a tab, a newline) or when it is longer than KF_NAME_MAX bytes.
 * (Names pulled from the platform are kept as they come.) */
#define KF_NAME_MAX 200
int kf_store_name_typed(const char *what, const char *in, char *out, size_t n,
			struct kf_err *err);

/* The key under which two names are one person's name: they differ only in
 * case, accents or spacing ("João  Silva", "joao silva", "JOAO_SILVA"). ASCII
 * letters lowercased; the Latin letters of U+00C0-U+017F to their base letters
 * (æ ae, ß ss, œ oe); combining accents (U+0300-U+036F, the decomposed names
 * macOS file systems give) dropped; runs of spaces and underscores one space,
 * none around. Other bytes are kept. Writes at most n - 1 bytes and a NUL
 * into out (n >= 1). The database has it as the SQL function kf_name_key. */
void kf_store_name_key(const char *in, char *out, size_t n);
/* Whether a and b are one name: their keys are equal. */
int kf_store_name_same(const char *a, const char *b);

#endif
