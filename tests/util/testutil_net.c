/* testutil_net.c: the helpers of testutil.h that need more than core: the
 * test servers (libpq, libcurl) and the store's database; not built by
 * KF_CORE_ONLY. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include "data/store.h"

static void pg_run(const char *url, const char *sql)
{
	PGconn *c = PQconnectdb(url);
	PGresult *r;

	if (PQstatus(c) != CONNECTION_OK)
		fail_msg("cannot connect to the test PostgreSQL: %s", PQerrorMessage(c));
	r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("test PostgreSQL: %s", PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
}

const char *kf_test_pg_db(const char *name, int demo)
{
	static char url[512];
	const char *server = getenv("KF_TEST_PG_URL");
	char sql[256], *sep;
	uint8_t *text;
	size_t len;

	if (!server || !*server)
		skip();
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS kf_%s", name);
	pg_run(server, sql);
	snprintf(sql, sizeof(sql), "CREATE DATABASE kf_%s", name);
	pg_run(server, sql);
	snprintf(url, sizeof(url), "%s", server);
	if (!(sep = strrchr(url, '/')))
		fail_msg("KF_TEST_PG_URL has no database");
	snprintf(sep + 1, sizeof(url) - (size_t)(sep + 1 - url), "kf_%s", name);
	for (int i = 0; i < 1 + !!demo; i++) {
		text = kf_test_read_file(kf_test_path("%s/platform/%s.sql", KF_TEST_DATA,
						      i ? "demo" : "schema"), &len);
		text = realloc(text, len + 1);
		assert_non_null(text);
		text[len] = '\0';
		pg_run(url, (const char *)text);
		free(text);
	}
	return url;
}

struct http_buf {
	char *data;
	size_t len;
};

static size_t http_collect(char *p, size_t size, size_t n, void *ud)
{
	struct http_buf *b = ud;

	b->data = realloc(b->data, b->len + size * n + 1);
	assert_non_null(b->data);
	memcpy(b->data + b->len, p, size * n);
	b->len += size * n;
	b->data[b->len] = '\0';
	return size * n;
}

char *kf_test_http(const char *url, const char *body, long *status)
{
	struct http_buf b = { NULL, 0 };
	CURL *c = curl_easy_init();

	assert_non_null(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, http_collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	if (body)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	curl_easy_cleanup(c);
	return b.data ? b.data : strdup("");
}

int kf_test_sql_int(struct kf_store *st, const char *sql)
{
	sqlite3_stmt *s;
	int v;

	assert_int_equal(sqlite3_prepare_v2(st->db, sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return v;
}
