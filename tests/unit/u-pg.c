/* fixtures: pg */
/* u-pg.c: the PostgreSQL connection, its migrations and its error messages,
 * against the test server the pg fixture starts. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/config.h"
#include "data/pg.h"

static int64_t count(struct kf_pg *pg, const char *sql)
{
	struct kf_err err = KF_ERR_INIT;
	PGresult *res;
	int64_t n;

	assert_int_equal(kf_pg_exec(pg, sql, 0, NULL, &res, "count", &err), KF_OK);
	n = kf_pg_int(res, 0, 0);
	PQclear(res);
	return n;
}

static void test_migrate_once(void **state)
{
	const char *url = kf_test_pg_db("u_pg_migrate", 1);
	struct kf_pg a, b;
	struct kf_err err = KF_ERR_INIT;

	(void)state;
	assert_int_equal(kf_pg_open(&a, url, &err), KF_OK);
	/* a second connection finds the schema current and applies nothing */
	assert_int_equal(kf_pg_open(&b, url, &err), KF_OK);
	assert_int_equal(count(&a, "SELECT count(*) FROM kingface_migrations"), 2);
	assert_int_equal(count(&b, "SELECT count(*) FROM rekognition_photo_jobs"), 0);
	/* the platform's tables are untouched */
	assert_int_equal(count(&a, "SELECT count(*) FROM king_photos"), 6);
	kf_pg_close(&a);
	kf_pg_close(&b);
	kf_pg_close(&b);
}

static void test_params_bound(void **state)
{
	const char *url = kf_test_pg_db("u_pg_params", 1);
	const char *p[2] = { "Ana'; DROP TABLE king_photos; --", "1" };
	struct kf_pg pg;
	struct kf_err err = KF_ERR_INIT;
	PGresult *res;

	(void)state;
	assert_int_equal(kf_pg_open(&pg, url, &err), KF_OK);
	assert_int_equal(kf_pg_exec(&pg, "SELECT $1::text, $2::bigint + 1", 2, p, &res, "echo",
				    &err), KF_OK);
	assert_string_equal(kf_pg_str(res, 0, 0), p[0]);
	assert_int_equal(kf_pg_int(res, 0, 1), 2);
	PQclear(res);
	assert_int_equal(count(&pg, "SELECT count(*) FROM king_photos"), 6);
	/* a failing statement names what was done and the server's reason */
	assert_int_equal(kf_pg_exec(&pg, "SELECT nope FROM king_photos", 0, NULL, NULL,
				    "read the photos", &err), KF_E_DB);
	assert_non_null(strstr(err.msg, "cannot read the photos"));
	assert_non_null(strstr(err.msg, "nope"));
	kf_pg_close(&pg);
}

static void test_errors_hold_no_secret(void **state)
{
	const char *server = getenv("KF_TEST_PG_URL");
	char url[512], *at;
	struct kf_pg pg;
	struct kf_err err = KF_ERR_INIT;

	(void)state;
	if (!server)
		skip();
	/* a wrong password: KF_E_AUTH, the message has neither password */
	at = strchr(server, '@');
	assert_non_null(at);
	snprintf(url, sizeof(url), "postgresql://kingface:S3cr3t-wrong%s", at);
	assert_int_equal(kf_pg_open(&pg, url, &err), KF_E_AUTH);
	assert_null(strstr(err.msg, "S3cr3t"));
	assert_null(strstr(err.msg, "kf-test-pw"));
	assert_non_null(strstr(err.msg, "KINGFACE_PG_URL"));

	/* nobody listening: KF_E_NET */
	kf_err_clear(&err);
	assert_int_equal(kf_pg_open(&pg, "postgresql://kingface:S3cr3t@127.0.0.1:1/x", &err),
			 KF_E_NET);
	assert_null(strstr(err.msg, "S3cr3t"));
	assert_non_null(strstr(err.msg, "127.0.0.1:1/x"));

	/* a malformed URL: libpq's message (which quotes it) is not passed on */
	kf_err_clear(&err);
	assert_int_equal(kf_pg_open(&pg, "postgresql://kingface:S3cr%zzt@h/x", &err),
			 KF_E_INVALID);
	assert_null(strstr(err.msg, "S3cr"));

	/* a database without the platform's tables is refused */
	kf_err_clear(&err);
	assert_int_equal(kf_pg_open(&pg, server, &err), KF_E_DB);
	assert_non_null(strstr(err.msg, "king_photos"));
}

static void test_url_from_config(void **state)
{
	struct kf_config cfg = { 0 };
	struct kf_err err = KF_ERR_INIT;
	const char *url;

	(void)state;
	unsetenv("KINGFACE_PG_URL");
	assert_int_equal(kf_pg_url(&cfg, NULL, &url, &err), KF_E_INVALID);
	assert_non_null(strstr(err.msg, "KINGFACE_PG_URL"));
	assert_non_null(strstr(err.msg, "--pg"));
	setenv("KINGFACE_PG_URL", "postgresql://env/db", 1);
	assert_int_equal(kf_pg_url(&cfg, NULL, &url, &err), KF_OK);
	assert_string_equal(url, "postgresql://env/db");
	assert_int_equal(kf_pg_url(&cfg, "postgresql://flag/db", &url, &err), KF_OK);
	assert_string_equal(url, "postgresql://flag/db");
	unsetenv("KINGFACE_PG_URL");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url_from_config),
		cmocka_unit_test(test_migrate_once),
		cmocka_unit_test(test_params_bound),
		cmocka_unit_test(test_errors_hold_no_secret),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
