/* u-paths.c: where the database and the models are looked for. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_db_path_order),
		cmocka_unit_test(test_models_order_and_errors),
		cmocka_unit_test(test_complete),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
