/* pg.h: the studio platform's PostgreSQL (libpq), for connected mode.
 *
 * kingface reads the platform's own tables (king_galleries,
 * king_gallery_clients, king_photos; never altered) and owns the rekognition_*
 * tables, created and migrated by kf_pg_open() (pg_schema.c, recorded in the
 * table kingface_migrations; docs/schema.md).
 *
 * Every statement goes through kf_pg_exec() with text parameters bound by
 * libpq, never pasted into SQL. Error messages name the server as host:port/db
 * and carry the server's message; the URL itself (which may hold the password)
 * never reaches a message.
 *
 * Errors: KF_E_NET when the server cannot be reached or the connection broke
 * (the work stays queued, retry later), KF_E_AUTH when the server refused the
 * credentials, KF_E_BUSY for a serialization failure or deadlock (retry the
 * transaction), KF_E_NOTFOUND for a foreign key whose row is gone (deleted on
 * the platform meanwhile), KF_E_DB for everything else.
 *
 * A struct kf_pg is one connection: one thread at a time.
 */
#ifndef KF_PG_H
#define KF_PG_H

#include <libpq-fe.h>
#include <stdint.h>

#include "core/err.h"

struct kf_config;

struct kf_pg {
	PGconn *conn;
	char where[160];	/* "host:port/db", for messages */
	int in_tx;
};

/* The URL to use: flag (--pg) when given and not "-", else KINGFACE_PG_URL
 * from the environment or the config file ("--pg -" keeps the password out of
 * the process list). KF_E_INVALID naming both when neither is
 * set. *url belongs to flag or cfg. */
int kf_pg_url(const struct kf_config *cfg, const char *flag, const char **url,
	      struct kf_err *err);

/* Connect (connect_timeout 10 s unless the URL sets it) and bring the
 * rekognition_* tables to the current version. Fails with KF_E_DB when the
 * database has no platform tables. On error pg holds no connection. */
int kf_pg_open(struct kf_pg *pg, const char *url, struct kf_err *err);

/* Close; NULL-safe, idempotent. */
void kf_pg_close(struct kf_pg *pg);

/* Run sql with n text parameters (NULL entries are SQL NULL). res may be NULL
 * when the rows are not wanted; otherwise *res is the caller's (PQclear). */
int kf_pg_exec(struct kf_pg *pg, const char *sql, int n, const char *const *params,
	       PGresult **res, const char *what, struct kf_err *err);

/* Run a fixed script of several statements, no parameters (migrations). */
int kf_pg_script(struct kf_pg *pg, const char *sql, const char *what, struct kf_err *err);

int kf_pg_begin(struct kf_pg *pg, struct kf_err *err);
int kf_pg_commit(struct kf_pg *pg, struct kf_err *err);
/* Roll back an open transaction; errors are ignored (the connection may be gone). */
void kf_pg_rollback(struct kf_pg *pg);

/* Column j of row i as int64 (0 when NULL), double (0 when NULL). */
int64_t kf_pg_int(const PGresult *res, int i, int j);
double kf_pg_num(const PGresult *res, int i, int j);
/* Column j of row i as a string, NULL when SQL NULL (belongs to res). */
const char *kf_pg_str(const PGresult *res, int i, int j);

/* Decimal text of v in buf (at least 24 bytes), for a parameter. */
const char *kf_pg_i64(char *buf, int64_t v);

/* Apply the migrations (pg_schema.c); called by kf_pg_open(). */
int kf_pg_migrate(struct kf_pg *pg, struct kf_err *err);

#endif
