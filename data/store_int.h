/* store_int.h: helpers shared by the data/store*.c files only (not API). */
#ifndef KF_STORE_INT_H
#define KF_STORE_INT_H

#include <sqlite3.h>

#include "data/store.h"

/* Prepare sql on st; on error *stmt is NULL and err names the cause. */
int kf_store_prepare(struct kf_store *st, sqlite3_stmt **stmt, const char *sql,
		     struct kf_err *err);

/* Turn SQLite result code rc (from a call made while doing `what`) into a kf
 * error: KF_E_BUSY when locked, KF_E_DB otherwise, with the database's message
 * and the fix for a read-only or full disk. Returns the kf code. */
int kf_store_fail(struct kf_store *st, int rc, const char *what, struct kf_err *err);

/* Run a statement that returns no rows to completion; finalizes it. */
int kf_store_step_done(struct kf_store *st, sqlite3_stmt *stmt, const char *what,
		       struct kf_err *err);

/* Prepare sql, bind ?1 (and ?2) to int64 a (and b), run it to completion. */
int kf_store_run_i(struct kf_store *st, const char *sql, int64_t a, const char *what,
		   struct kf_err *err);
int kf_store_run_ii(struct kf_store *st, const char *sql, int64_t a, int64_t b,
		    const char *what, struct kf_err *err);

/* Bind a text that may be NULL. */
int kf_store_bind_text(sqlite3_stmt *stmt, int i, const char *s);

/* Duplicate column i as a heap string ("" for NULL is not done: NULL stays
 * NULL). Returns -1 on allocation failure (the column was not NULL). */
int kf_store_col_strdup(sqlite3_stmt *stmt, int i, char **out);

/* Step stmt to the end, reading each row with read_row into a growing array of
 * elem_size elements; finalizes stmt. On error frees what was read (with
 * release on each row) and returns the kf code. *out is NULL when no rows. */
int kf_store_collect(struct kf_store *st, sqlite3_stmt *stmt, size_t elem_size,
		     int (*read_row)(sqlite3_stmt *, void *), void (*release)(void *),
		     void **out, size_t *n, const char *what, struct kf_err *err);

/* Step stmt (a query for at most one row, prepared and bound by the caller)
 * and read its row with read_row into out; finalizes stmt. No row:
 * KF_E_NOTFOUND with the message printf(notfound, ...). A failed read_row:
 * KF_E_NOMEM. Other SQLite errors: kf_store_fail(st, rc, what, err). */
int kf_store_find_one(struct kf_store *st, sqlite3_stmt *stmt,
		      int (*read_row)(sqlite3_stmt *, void *), void *out, const char *what,
		      struct kf_err *err, const char *notfound, ...) KF_PRINTF(7, 8);

#endif
