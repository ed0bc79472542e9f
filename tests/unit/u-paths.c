/* u-paths.c: where the database and the models are looked for. */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "data/paths.h"

static void test_db_path_order(void **state)
{
	struct kf_err err = KF_ERR_INIT;
	const char *dir = kf_test_tmpdir();
	char out[4096];
	struct stat sb;
	(void)state;

	assert_int_equal(kf_paths_db("/x/flag.db", out, sizeof(out), &err), KF_OK);
	assert_string_equal(out, "/x/flag.db");
	setenv("KINGFACE_DB", "/x/env.db", 1);
	assert_int_equal(kf_paths_db(NULL, out, sizeof(out), &err), KF_OK);
	assert_string_equal(out, "/x/env.db");
	unsetenv("KINGFACE_DB");
	setenv("XDG_DATA_HOME", kf_test_path("%s/xdg", dir), 1);
	assert_int_equal(kf_paths_db(NULL, out, sizeof(out), &err), KF_OK);
	assert_string_equal(out, kf_test_path("%s/xdg/kingface/kingface.db", dir));
	assert_int_equal(stat(kf_test_path("%s/xdg/kingface", dir), &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
}

/* Folders kingface creates are 0700 whatever the umask; existing ones keep theirs. */
static void test_mkdirs_exact_mode(void **state)
{
	struct kf_err err = KF_ERR_INIT;
	const char *dir = kf_test_tmpdir();
	struct stat sb;
	mode_t old;
	(void)state;

	assert_int_equal(chmod(dir, 0755), 0);
	old = umask(0277);
	assert_int_equal(kf_paths_mkdirs(kf_test_path("%s/a/b", dir), 0700, &err), KF_OK);
	umask(old);
	assert_int_equal(stat(dir, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0755);
	assert_int_equal(stat(kf_test_path("%s/a", dir), &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	assert_int_equal(stat(kf_test_path("%s/a/b", dir), &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
}

/* Which modes make the database readable by others, and the fix named. */
static void test_db_exposed(void **state)
{
	static const struct {
		mode_t db, wal, dir;	/* wal 0: no -wal file */
		const char *want;	/* NULL: no warning */
	} rows[] = {
		{ 0600, 0, 0700, NULL },
		{ 0600, 0, 0755, NULL },	/* the folder alone: names only */
		{ 0620, 0, 0700, NULL },	/* writable, not readable: not this warning */
		{ 0640, 0, 0700, "'D/kingface.db' is readable by other users; run: chmod 600 "
				 "'D/kingface.db'" },
		{ 0644, 0, 0755, "'D/kingface.db' is readable by other users; run: chmod 600 "
				 "'D/kingface.db'; chmod 700 'D'" },
		{ 0600, 0604, 0700, "'D/kingface.db-wal' is readable by other users; run: "
				    "chmod 600 'D/kingface.db-wal'" },
		{ 0644, 0644, 0701, "'D/kingface.db' is readable by other users; run: chmod 600 "
				    "'D/kingface.db' 'D/kingface.db-wal'" },
	};
	const char *xdg = kf_test_path("%s/xdg", kf_test_tmpdir());
	char dir[4096], db[4200], msg[1024], want[1024];
	(void)state;

	setenv("XDG_DATA_HOME", xdg, 1);
	snprintf(dir, sizeof(dir), "%s/kingface", xdg);
	snprintf(db, sizeof(db), "%s/kingface.db", dir);
	assert_int_equal(kf_paths_db_exposed(db, msg, sizeof(msg)), 0);	/* no file */
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const char *wal = kf_test_path("%s-wal", db);

		assert_int_equal(mkdir(xdg, 0700) == 0 || errno == EEXIST, 1);
		assert_int_equal(mkdir(dir, 0700) == 0 || errno == EEXIST, 1);
		kf_test_write_file(db, "", 0);
		assert_int_equal(chmod(db, rows[i].db), 0);
		unlink(wal);
		if (rows[i].wal) {
			kf_test_write_file(wal, "", 0);
			assert_int_equal(chmod(wal, rows[i].wal), 0);
		}
		assert_int_equal(chmod(dir, rows[i].dir), 0);
		memset(msg, 0, sizeof(msg));
		if (!rows[i].want) {
			assert_int_equal(kf_paths_db_exposed(db, msg, sizeof(msg)), 0);
			continue;
		}
		assert_int_equal(kf_paths_db_exposed(db, msg, sizeof(msg)), 1);
		/* the rows say D for the folder */
		want[0] = '\0';
		for (const char *p = rows[i].want; *p; p++)
			if (*p == 'D')
				strcat(want, dir);
			else
				strncat(want, p, 1);
		assert_string_equal(msg, want);
	}
	/* another folder than kingface's: only the files are named */
	{
		const char *other = kf_test_path("%s/other.db", kf_test_tmpdir());

		kf_test_write_file(other, "", 0);
		assert_int_equal(chmod(other, 0644), 0);
		assert_int_equal(kf_paths_db_exposed(other, msg, sizeof(msg)), 1);
		assert_null(strstr(msg, "chmod 700"));
	}
}

static void test_models_order_and_errors(void **state)
{
	struct kf_err err = KF_ERR_INIT;
	const char *dir = kf_test_tmpdir();
	char out[4096];
	(void)state;

	unsetenv("KINGFACE_MODELS");
	setenv("XDG_DATA_HOME", kf_test_path("%s/xdg", dir), 1);
	/* the compiled-in folder of scripts/setup */
	assert_int_equal(kf_paths_models(NULL, KF_TEST_MODELS, out, sizeof(out), &err), KF_OK);
	assert_string_equal(out, KF_TEST_MODELS);
	/* an explicit folder without weights is an error naming it */
	assert_int_equal(kf_paths_models(dir, KF_TEST_MODELS, out, sizeof(out), &err),
			 KF_E_NOTFOUND);
	assert_non_null(strstr(err.msg, dir));
	kf_err_clear(&err);
	setenv("KINGFACE_MODELS", dir, 1);
	assert_int_equal(kf_paths_models(NULL, KF_TEST_MODELS, out, sizeof(out), &err),
			 KF_E_NOTFOUND);
	assert_non_null(strstr(err.msg, "KINGFACE_MODELS"));
	kf_err_clear(&err);
	setenv("KINGFACE_MODELS", KF_TEST_MODELS, 1);
	assert_int_equal(kf_paths_models(NULL, NULL, out, sizeof(out), &err), KF_OK);
	unsetenv("KINGFACE_MODELS");
	/* nothing anywhere: the fix is named */
	assert_int_equal(kf_paths_models(NULL, dir, out, sizeof(out), &err), KF_E_NOTFOUND);
	assert_non_null(strstr(err.msg, "scripts/setup"));
	assert_non_null(strstr(err.msg, "KINGFACE_MODELS"));
}

static void test_complete(void **state)
{
	struct kf_err err = KF_ERR_INIT;
	const char *dir = kf_test_tmpdir();
	char out[4096];
	int m;
	(void)state;

	fclose(fopen(kf_test_path("%s/wedding-a.jpg", dir), "w"));
	fclose(fopen(kf_test_path("%s/wedding-b.jpg", dir), "w"));
	fclose(fopen(kf_test_path("%s/.hidden.jpg", dir), "w"));
	mkdir(kf_test_path("%s/refs", dir), 0700);
	/* table: typed -> completed, matches */
	const struct { const char *in, *out; int m; } rows[] = {
		{ "wed", "wedding-", 2 },
		{ "wedding-b", "wedding-b.jpg", 1 },
		{ "re", "refs/", 1 },
		{ "zz", "zz", 0 },
		{ ".h", ".hidden.jpg", 1 },
		{ "nofolder/x", "nofolder/x", 0 },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char in[4096];

		snprintf(in, sizeof(in), "%s/%s", dir, rows[i].in);
		assert_int_equal(kf_paths_complete(in, out, sizeof(out), &m, &err), KF_OK);
		assert_string_equal(out, kf_test_path("%s/%s", dir, rows[i].out));
		assert_int_equal(m, rows[i].m);
	}
	setenv("HOME", dir, 1);
	assert_int_equal(kf_paths_complete("~/wedding-a", out, sizeof(out), &m, &err), KF_OK);
	assert_string_equal(out, kf_test_path("%s/wedding-a.jpg", dir));
	assert_int_equal(kf_paths_complete("~/x", out, 4, &m, &err), KF_E_INVALID);
}

/* kf_stat_mtime_ns reads the seconds and the nanoseconds utimensat set. */
static void test_stat_mtime_ns(void **state)
{
	const char *dir = kf_test_tmpdir();
	const char *path = kf_test_path("%s/mtime.jpg", dir);
	const struct timespec ts[2] = { { 1700000000, 0 }, { 1700000123, 456789012 } };
	struct stat sb;
	(void)state;

	fclose(fopen(path, "w"));
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
	assert_int_equal(stat(path, &sb), 0);
	assert_true(kf_stat_mtime_ns(&sb) == INT64_C(1700000123456789012));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_db_path_order),
		cmocka_unit_test(test_mkdirs_exact_mode),
		cmocka_unit_test(test_db_exposed),
		cmocka_unit_test(test_models_order_and_errors),
		cmocka_unit_test(test_complete),
		cmocka_unit_test(test_stat_mtime_ns),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
