/* store.c: opening, migrating and transacting on the SQLite store (store.h). */
#include "data/store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "data/store_int.h"
#include "data/store_schema.h"

#define BUSY_TIMEOUT_MS 10000

int64_t kf_store_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* KINGFACE_BUSY_TIMEOUT_MS overrides the wait for a locked database (tests use
 * a short one). */
static int busy_timeout_ms(void)
{
	const char *v = getenv("KINGFACE_BUSY_TIMEOUT_MS");
	char *end;
	long ms;

	if (!v || !*v)
		return BUSY_TIMEOUT_MS;
	ms = strtol(v, &end, 10);
	return *end || ms < 0 || ms > 600000 ? BUSY_TIMEOUT_MS : (int)ms;
}

int kf_store_fail(struct kf_store *st, int rc, const char *what, struct kf_err *err)
{
	const char *msg = st && st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc);
	const char *path = st && st->path ? st->path : "?";

	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return kf_err_set(err, KF_E_BUSY,
				  "database '%s' is locked by another kingface process (%s); "
				  "try again when it has finished", path, what);
	case SQLITE_READONLY:
		return kf_err_set(err, KF_E_DB,
				  "database '%s' is read-only (%s); check the permissions of the "
				  "file and its folder", path, what);
	case SQLITE_FULL:
		return kf_err_set(err, KF_E_IO, "disk full writing database '%s' (%s); "
				  "free some space and try again", path, what);
	case SQLITE_NOTADB:
		return kf_err_set(err, KF_E_DB, "'%s' is not a kingface database (%s); "
				  "pass another file with --db", path, msg);
	case SQLITE_CORRUPT:
		return kf_err_set(err, KF_E_DB, "database '%s' is corrupt (%s)", path, msg);
	case SQLITE_CANTOPEN:
		return kf_err_set(err, KF_E_IO, "cannot open database '%s': %s", path, msg);
	}
	return kf_err_set(err, KF_E_DB, "database '%s': %s: %s", path, what, msg);
}

int kf_store_prepare(struct kf_store *st, sqlite3_stmt **stmt, const char *sql,
		     struct kf_err *err)
{
	int rc = sqlite3_prepare_v2(st->db, sql, -1, stmt, NULL);

	if (rc != SQLITE_OK) {
		*stmt = NULL;
		return kf_store_fail(st, rc, "prepare", err);
	}
	return KF_OK;
}

int kf_store_step_done(struct kf_store *st, sqlite3_stmt *stmt, const char *what,
		       struct kf_err *err)
{
	int rc = sqlite3_step(stmt);

	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return kf_store_fail(st, rc, what, err);
	return KF_OK;
}

int kf_store_run_ii(struct kf_store *st, const char *sql, int64_t a, int64_t b,
		    const char *what, struct kf_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = kf_store_prepare(st, &s, sql, err)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, a);
	if (sqlite3_bind_parameter_count(s) >= 2)
		sqlite3_bind_int64(s, 2, b);
	return kf_store_step_done(st, s, what, err);
}

int kf_store_run_i(struct kf_store *st, const char *sql, int64_t a, const char *what,
		   struct kf_err *err)
{
	return kf_store_run_ii(st, sql, a, 0, what, err);
}

int kf_store_bind_text(sqlite3_stmt *stmt, int i, const char *s)
{
	return s ? sqlite3_bind_text(stmt, i, s, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(stmt, i);
}

int kf_store_col_strdup(sqlite3_stmt *stmt, int i, char **out)
{
	const unsigned char *s = sqlite3_column_text(stmt, i);

	*out = NULL;
	if (!s)
		return 0;
	*out = kf_strdup((const char *)s);
	return *out ? 0 : -1;
}

int kf_store_collect(struct kf_store *st, sqlite3_stmt *stmt, size_t elem_size,
		     int (*read_row)(sqlite3_stmt *, void *), void (*release)(void *),
		     void **out, size_t *n, const char *what, struct kf_err *err)
{
	unsigned char *list = NULL, *grown;
	size_t count = 0, cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (count == cap) {
			cap = cap ? cap * 2 : 16;
			if (!(grown = kf_realloc(list, cap * elem_size)))
				break;
			list = grown;
		}
		if (read_row(stmt, list + count * elem_size) < 0)
			break;
		count++;
	}
	sqlite3_finalize(stmt);
	if (rc == SQLITE_DONE) {
		*out = list;
		*n = count;
		return KF_OK;
	}
	for (size_t i = 0; i < count; i++)
		release(list + i * elem_size);
	kf_free(list);
	if (rc == SQLITE_ROW)
		return kf_err_set(err, KF_E_NOMEM, "out of memory (%s)", what);
	return kf_store_fail(st, rc, what, err);
}

int kf_store_find_one(struct kf_store *st, sqlite3_stmt *stmt,
		      int (*read_row)(sqlite3_stmt *, void *), void *out, const char *what,
		      struct kf_err *err, const char *notfound, ...)
{
	char msg[KF_ERR_MSG_SIZE];
	va_list ap;
	int rc = sqlite3_step(stmt);

	if (rc == SQLITE_ROW) {
		rc = read_row(stmt, out) < 0 ? kf_err_set(err, KF_E_NOMEM, "out of memory") : KF_OK;
	} else if (rc == SQLITE_DONE) {
		va_start(ap, notfound);
		vsnprintf(msg, sizeof(msg), notfound, ap);
		va_end(ap);
		rc = kf_err_set(err, KF_E_NOTFOUND, "%s", msg);
	} else {
		rc = kf_store_fail(st, rc, what, err);
	}
	sqlite3_finalize(stmt);
	return rc;
}

int64_t kf_store_ref_id(const char *ref)
{
	size_t n = strlen(ref);

	if (n == 0 || n > 18)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (ref[i] < '0' || ref[i] > '9')
			return -1;
	return strtoll(ref, NULL, 10);
}

static int exec(struct kf_store *st, const char *sql, const char *what, struct kf_err *err)
{
	int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? KF_OK : kf_store_fail(st, rc, what, err);
}

int kf_store_begin(struct kf_store *st, struct kf_err *err)
{
	int rc;

	if (st->tx_depth++ > 0)
		return KF_OK;
	if ((rc = exec(st, "BEGIN IMMEDIATE", "begin transaction", err)) < 0)
		st->tx_depth = 0;
	return rc;
}

int kf_store_commit(struct kf_store *st, struct kf_err *err)
{
	int rc;

	if (st->tx_depth == 0 || --st->tx_depth > 0)
		return KF_OK;
	if ((rc = exec(st, "COMMIT", "commit", err)) < 0)
		kf_store_rollback(st);
	return rc;
}

void kf_store_rollback(struct kf_store *st)
{
	st->tx_depth = 0;
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

/* The integer a query of one row and column (a PRAGMA) gives; what names it in errors. */
static int query_int(struct kf_store *st, const char *sql, const char *what, int64_t *v,
		     struct kf_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = kf_store_prepare(st, &s, sql, err)) < 0)
		return rc;
	rc = sqlite3_step(s);
	*v = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? KF_OK : kf_store_fail(st, rc, what, err);
}

static int user_version(struct kf_store *st, int *version, struct kf_err *err)
{
	int64_t v;
	int rc = query_int(st, "PRAGMA user_version", "read schema version", &v, err);

	*version = (int)v;
	return rc;
}

int kf_store_data_version(struct kf_store *st, int64_t *version, struct kf_err *err)
{
	return query_int(st, "PRAGMA data_version", "read data version", version, err);
}

/* A database we did not create: it has tables but no user_version. */
static int is_foreign(struct kf_store *st, int *foreign, struct kf_err *err)
{
	int64_t n;
	int rc = query_int(st, "SELECT count(*) FROM sqlite_master", "read schema", &n, err);

	*foreign = n > 0;
	return rc;
}

static int migrate(struct kf_store *st, int readonly, struct kf_err *err)
{
	int version, foreign, latest = kf_store_schema_count(), rc;

	if ((rc = user_version(st, &version, err)) < 0)
		return rc;
	if (version > latest)
		return kf_err_set(err, KF_E_DB,
				  "database '%s' has schema version %d, newer than this kingface "
				  "(%d); upgrade kingface to open it", st->path, version, latest);
	if (version == latest)
		return KF_OK;
	if (version == 0) {
		if ((rc = is_foreign(st, &foreign, err)) < 0)
			return rc;
		if (foreign)
			return kf_err_set(err, KF_E_DB,
					  "'%s' is an SQLite file but not a kingface database; "
					  "pass another file with --db", st->path);
	}
	if (readonly)
		return kf_err_set(err, KF_E_DB,
				  "database '%s' needs an upgrade (schema %d to %d); open it once "
				  "with write access", st->path, version, latest);
	for (int v = version + 1; v <= latest; v++) {
		char pragma[64];

		if ((rc = kf_store_begin(st, err)) < 0)
			return rc;
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", v);
		if ((rc = exec(st, kf_store_schema_migration(v), "migrate schema", err)) < 0 ||
		    (rc = exec(st, pragma, "migrate schema", err)) < 0 ||
		    (rc = kf_store_commit(st, err)) < 0) {
			kf_store_rollback(st);
			return rc;
		}
	}
	return KF_OK;
}

/* A new database file is created here, owner-only (0600) whatever the umask:
 * SQLite would create it 0644 & ~umask. Its -wal, -shm and journal files get
 * the database's mode from SQLite (unixOpen, unixOpenSharedMemory), so they
 * are private too. An existing file is left as it is (kf_paths_db_exposed). */
static int create_private(const char *path, struct kf_err *err)
{
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600), rc = KF_OK;

	if (fd < 0)
		return errno == EEXIST ? KF_OK
				       : kf_err_errno(err, KF_E_IO, "cannot create database '%s'", path);
	if (fchmod(fd, 0600) != 0) {
		rc = kf_err_errno(err, KF_E_IO, "cannot make database '%s' private", path);
		unlink(path);
	}
	close(fd);
	return rc;
}

/* U+00C0-U+017F to base letters; '*': two letters (fold2), '=': kept as it is
 * (the multiplication and division signs) */
static const char fold1[] =
	"aaaaaa*ceeeeiiiidnooooo=ouuuuy**"	/* U+00C0 */
	"aaaaaa*ceeeeiiiidnooooo=ouuuuy*y"	/* U+00E0 */
	"aaaaaaccccccccddddeeeeeeeeeegggg"	/* U+0100 */
	"gggghhhhiiiiiiiiii**jjkkklllllll"	/* U+0120 */
	"lllnnnnnnnnnoooooo**rrrrrrssssss"	/* U+0140 */
	"ssttttttuuuuuuuuuuuuwwyyyzzzzzzs";	/* U+0160 */

static const char *fold2(unsigned cp)
{
	switch (cp) {
	case 0xc6: case 0xe6: return "ae";
	case 0xde: case 0xfe: return "th";
	case 0xdf: return "ss";
	case 0x132: case 0x133: return "ij";
	default: return "oe";	/* U+0152, U+0153 */
	}
}

void kf_store_name_key(const char *in, char *out, size_t n)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t o = 0;
	int space = 0;

	while (*p && o + 1 < n) {
		unsigned cp = 0;
		const char *add = NULL;
		char one[2] = { 0, 0 };
		size_t len = 1;

		if (*p == ' ' || *p == '_' || *p == '\t') {
			space = o > 0;
			p++;
			continue;
		}
		if ((p[0] & 0xe0) == 0xc0 && (p[1] & 0xc0) == 0x80) {
			cp = (unsigned)(p[0] & 0x1f) << 6 | (p[1] & 0x3f);
			len = 2;
		}
		if (cp >= 0x300 && cp <= 0x36f) {	/* a combining accent */
			p += len;
			continue;
		}
		if (cp >= 0xc0 && cp <= 0x17f && fold1[cp - 0xc0] != '=') {
			one[0] = fold1[cp - 0xc0];
			add = one[0] == '*' ? fold2(cp) : one;
		} else if (*p >= 'A' && *p <= 'Z') {
			one[0] = (char)(*p + ('a' - 'A'));
			add = one;
		}
		if (space && o + 2 < n)
			out[o++] = ' ';
		space = 0;
		if (add) {
			for (; *add && o + 1 < n; add++)
				out[o++] = *add;
		} else {
			for (size_t i = 0; i < len && o + 1 < n; i++)
				out[o++] = (char)p[i];
		}
		p += len;
	}
	out[o] = '\0';
}

int kf_store_name_same(const char *a, const char *b)
{
	char ka[4 * KF_NAME_MAX + 1], kb[4 * KF_NAME_MAX + 1];

	kf_store_name_key(a, ka, sizeof(ka));
	kf_store_name_key(b, kb, sizeof(kb));
	return !strcmp(ka, kb);
}

/* SQL kf_name_key(text): kf_store_name_key; NULL for NULL */
static void sql_name_key(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *in = (const char *)sqlite3_value_text(argv[0]);
	char key[4 * KF_NAME_MAX + 1];

	(void)argc;
	if (!in) {
		sqlite3_result_null(ctx);
		return;
	}
	kf_store_name_key(in, key, sizeof(key));
	sqlite3_result_text(ctx, key, -1, SQLITE_TRANSIENT);
}

int kf_store_open(struct kf_store **out, const char *path, unsigned flags,
		  struct kf_err *err)
{
	struct kf_store *st;
	int oflags, rc;
	struct stat sb;

	*out = NULL;
	if (stat(path, &sb) != 0) {
		if (!(flags & KF_STORE_CREATE))
			return kf_err_errno(err, KF_E_NOTFOUND, "cannot open database '%s'", path);
	} else if (S_ISDIR(sb.st_mode)) {
		return kf_err_set(err, KF_E_INVALID, "'%s' is a folder, not a database file; pass "
				  "a file with --db", path);
	}
	if ((flags & KF_STORE_CREATE) && !(flags & KF_STORE_READONLY) &&
	    (rc = create_private(path, err)) < 0)
		return rc;
	if (!(st = kf_calloc(1, sizeof(*st))) || !(st->path = kf_strdup(path))) {
		kf_free(st);
		return kf_err_set(err, KF_E_NOMEM, "out of memory opening '%s'", path);
	}
	oflags = SQLITE_OPEN_NOMUTEX | ((flags & KF_STORE_READONLY) ? SQLITE_OPEN_READONLY
				       : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
	rc = sqlite3_open_v2(path, &st->db, oflags, NULL);
	if (rc != SQLITE_OK) {
		rc = kf_store_fail(st, rc, "open", err);
		goto fail;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, busy_timeout_ms());
	if ((rc = sqlite3_create_function(st->db, "kf_name_key", 1, SQLITE_UTF8 |
					  SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
					  sql_name_key, NULL, NULL)) != SQLITE_OK) {
		rc = kf_store_fail(st, rc, "open", err);
		goto fail;
	}
	if (!(flags & KF_STORE_READONLY) && access(path, W_OK) != 0 && errno == EACCES) {
		rc = kf_err_set(err, KF_E_DB, "database '%s' is read-only; check the "
				"permissions of the file and its folder", path);
		goto fail;
	}
	/* Any first statement reads the header: a non-database fails here. */
	if ((rc = exec(st, "PRAGMA foreign_keys = ON", "enable foreign keys", err)) < 0)
		goto fail;
	/* WAL with synchronous NORMAL: a commit is durable against a crash or a
	 * kill of kingface (what the queue relies on); only a power cut may lose
	 * the last commits, never corrupt the file. It saves an fsync per commit,
	 * two per photo in a processing run. */
	if (!(flags & KF_STORE_READONLY) &&
	    ((rc = exec(st, "PRAGMA journal_mode = WAL", "enable WAL", err)) < 0 ||
	     (rc = exec(st, "PRAGMA synchronous = NORMAL", "set synchronous", err)) < 0))
		goto fail;
	if ((rc = migrate(st, flags & KF_STORE_READONLY, err)) < 0)
		goto fail;
	*out = st;
	return KF_OK;
fail:
	kf_store_close(st);
	return rc;
}

void kf_store_close(struct kf_store *st)
{
	if (!st)
		return;
	if (st->db) {
		kf_store_rollback(st);
		sqlite3_close(st->db);
	}
	kf_free(st->path);
	kf_free(st);
}

int kf_store_setting_get(struct kf_store *st, const char *key, char *out, size_t n,
			 struct kf_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = kf_store_prepare(st, &s, "SELECT value FROM settings WHERE key = ?1", err)) < 0)
		return rc;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		snprintf(out, n, "%s", (const char *)sqlite3_column_text(s, 0));
		rc = KF_OK;
	} else if (rc == SQLITE_DONE) {
		rc = kf_err_set(err, KF_E_NOTFOUND, "setting '%s' is not set", key);
	} else {
		rc = kf_store_fail(st, rc, "read setting", err);
	}
	sqlite3_finalize(s);
	return rc;
}

int kf_store_setting_set(struct kf_store *st, const char *key, const char *value,
			 struct kf_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = kf_store_prepare(st, &s, "INSERT INTO settings(key, value) VALUES (?1, ?2) "
				   "ON CONFLICT(key) DO UPDATE SET value = excluded.value", err)) < 0)
		return rc;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, value, -1, SQLITE_STATIC);
	return kf_store_step_done(st, s, "write setting", err);
}

int kf_store_name_typed(const char *what, const char *in, char *out, size_t n,
			struct kf_err *err)
{
	size_t len;

	while (*in == ' ')
		in++;
	for (len = strlen(in); len > 0 && in[len - 1] == ' '; len--)
		;
	if (len == 0)
		return kf_err_set(err, KF_E_INVALID, "a %s's name cannot be empty", what);
	if (len > KF_NAME_MAX || len >= n)
		return kf_err_set(err, KF_E_INVALID, "a %s's name is at most %d bytes, not %zu",
				  what, KF_NAME_MAX, len);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)in[i] < 0x20 || in[i] == 0x7f)
			return kf_err_set(err, KF_E_INVALID, "a %s's name cannot hold a tab, a "
					  "newline or another control character", what);
	memcpy(out, in, len);
	out[len] = '\0';
	return KF_OK;
}
