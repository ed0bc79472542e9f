/* pg.c: one libpq connection, parameters bound, errors classified (pg.h). */
#include "data/pg.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/config.h"

int kf_pg_url(const struct kf_config *cfg, const char *flag, const char **url,
	      struct kf_err *err)
{
	*url = flag && *flag && strcmp(flag, "-") ? flag : kf_config_get(cfg, "KINGFACE_PG_URL");
	if (!*url)
		return kf_err_set(err, KF_E_INVALID, "no PostgreSQL server: give --pg URL or set "
				  "KINGFACE_PG_URL (environment or config file), for example "
				  "postgresql://USER@HOST:5432/DB");
	return KF_OK;
}

/* The first line of a libpq message, into buf. */
static const char *first_line(const char *msg, char *buf, size_t n)
{
	size_t len = strcspn(msg ? msg : "", "\n");

	if (len >= n)
		len = n - 1;
	memcpy(buf, msg ? msg : "", len);
	buf[len] = '\0';
	return buf;
}

/* The server's notices ("relation ... already exists, skipping") are not
 * errors: library code does not print them. */
static void no_notice(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

static void set_where(struct kf_pg *pg)
{
	const char *host = PQhost(pg->conn), *port = PQport(pg->conn), *db = PQdb(pg->conn);

	snprintf(pg->where, sizeof(pg->where), "%s:%s/%s", host && *host ? host : "localhost",
		 port && *port ? port : "5432", db ? db : "?");
}

int kf_pg_open(struct kf_pg *pg, const char *url, struct kf_err *err)
{
	/* The URL comes last so that what it sets wins over these defaults. */
	const char *keys[] = { "connect_timeout", "application_name", "keepalives",
			       "dbname", NULL };
	const char *vals[] = { "10", "kingface", "1", url, NULL };
	PQconninfoOption *opts;
	char *perr = NULL, line[KF_ERR_MSG_SIZE];
	int rc;

	memset(pg, 0, sizeof(*pg));
	/* Parse first: libpq's own parse errors may quote the URL (and the
	 * password in it), so they are not passed on. */
	if (!(opts = PQconninfoParse(url, &perr))) {
		PQfreemem(perr);
		return kf_err_set(err, KF_E_INVALID, "the PostgreSQL URL (--pg or KINGFACE_PG_URL) "
				  "is not valid; expected postgresql://USER:PASSWORD@HOST:PORT/DB");
	}
	PQconninfoFree(opts);
	pg->conn = PQconnectdbParams(keys, vals, 1);
	if (!pg->conn)
		return kf_err_set(err, KF_E_NOMEM, "out of memory connecting to PostgreSQL");
	PQsetNoticeProcessor(pg->conn, no_notice, NULL);
	set_where(pg);
	if (PQstatus(pg->conn) != CONNECTION_OK) {
		const char *msg = PQerrorMessage(pg->conn);
		int auth = strstr(msg, "authentication failed") || strstr(msg, "password") ||
			   PQconnectionNeedsPassword(pg->conn);

		/* libpq prefixes 'connection to server at "h" (ip), port p failed:' */
		const char *tail = strstr(msg, "failed: ");

		rc = kf_err_set(err, auth ? KF_E_AUTH : KF_E_NET, "cannot connect to PostgreSQL "
				"at %s: %s%s", pg->where,
				first_line(tail ? tail + 8 : msg, line, sizeof(line)),
				auth ? " (check the user and password in --pg or KINGFACE_PG_URL)"
				     : "");
		kf_pg_close(pg);
		return rc;
	}
	if ((rc = kf_pg_migrate(pg, err)) < 0) {
		kf_pg_close(pg);
		return rc;
	}
	return KF_OK;
}

void kf_pg_close(struct kf_pg *pg)
{
	if (pg && pg->conn) {
		PQfinish(pg->conn);
		pg->conn = NULL;
		pg->in_tx = 0;
	}
}

static int classify(struct kf_pg *pg, const PGresult *res)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	if (PQstatus(pg->conn) != CONNECTION_OK || (state && !strncmp(state, "08", 2)) ||
	    (state && !strncmp(state, "57P", 3)))
		return KF_E_NET;
	if (state && !strncmp(state, "28", 2))
		return KF_E_AUTH;
	if (state && (!strcmp(state, "40001") || !strcmp(state, "40P01")))
		return KF_E_BUSY;
	if (state && !strcmp(state, "23503"))
		return KF_E_NOTFOUND;	/* a row it refers to is gone */
	return KF_E_DB;
}

/* Hand over or clear r; on failure set err from it. */
static int result(struct kf_pg *pg, PGresult *r, PGresult **res, const char *what,
		  struct kf_err *err)
{
	ExecStatusType s = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	char line[KF_ERR_MSG_SIZE];
	int code;

	if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK) {
		if (res)
			*res = r;
		else
			PQclear(r);
		return KF_OK;
	}
	code = classify(pg, r);
	kf_err_set(err, code, "PostgreSQL at %s: cannot %s: %s%s", pg->where, what,
		   first_line(r ? PQresultErrorMessage(r) : PQerrorMessage(pg->conn), line,
			      sizeof(line)),
		   code == KF_E_NET ? " (the work stays queued; sync again later)" : "");
	PQclear(r);
	return code;
}

int kf_pg_exec(struct kf_pg *pg, const char *sql, int n, const char *const *params,
	       PGresult **res, const char *what, struct kf_err *err)
{
	if (res)
		*res = NULL;
	if (!pg->conn)
		return kf_err_set(err, KF_E_NET, "PostgreSQL at %s: not connected", pg->where);
	return result(pg, PQexecParams(pg->conn, sql, n, NULL, params, NULL, NULL, 0), res,
		      what, err);
}

int kf_pg_script(struct kf_pg *pg, const char *sql, const char *what, struct kf_err *err)
{
	if (!pg->conn)
		return kf_err_set(err, KF_E_NET, "PostgreSQL at %s: not connected", pg->where);
	return result(pg, PQexec(pg->conn, sql), NULL, what, err);
}

int kf_pg_begin(struct kf_pg *pg, struct kf_err *err)
{
	int rc = kf_pg_exec(pg, "BEGIN", 0, NULL, NULL, "begin a transaction", err);

	pg->in_tx = rc == KF_OK;
	return rc;
}

int kf_pg_commit(struct kf_pg *pg, struct kf_err *err)
{
	int rc = kf_pg_exec(pg, "COMMIT", 0, NULL, NULL, "commit", err);

	pg->in_tx = 0;
	return rc;
}

void kf_pg_rollback(struct kf_pg *pg)
{
	if (pg->in_tx && pg->conn && PQstatus(pg->conn) == CONNECTION_OK)
		PQclear(PQexec(pg->conn, "ROLLBACK"));
	pg->in_tx = 0;
}

int64_t kf_pg_int(const PGresult *res, int i, int j)
{
	return PQgetisnull(res, i, j) ? 0 : strtoll(PQgetvalue(res, i, j), NULL, 10);
}

double kf_pg_num(const PGresult *res, int i, int j)
{
	return PQgetisnull(res, i, j) ? 0 : strtod(PQgetvalue(res, i, j), NULL);
}

const char *kf_pg_str(const PGresult *res, int i, int j)
{
	return PQgetisnull(res, i, j) ? NULL : PQgetvalue(res, i, j);
}

const char *kf_pg_i64(char *buf, int64_t v)
{
	snprintf(buf, 24, "%" PRId64, v);
	return buf;
}
