/* u-config.c: the config file: mode check, parsing, environment first, and no
 * secret in any error message. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/alloc.h"
#include "data/config.h"

#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

static const char *write_config(const char *text, mode_t mode)
{
	const char *path = kf_test_path("%s/config", kf_test_tmpdir());

	kf_test_write_file(path, text, strlen(text));
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

static void test_reads_keys_env_wins(void **state)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_config cfg;
	const char *path = write_config("# R2 of the studio\n"
					"AWS_ACCESS_KEY_ID = AKIDEXAMPLE\n"
					"AWS_SECRET_ACCESS_KEY=" SECRET "\n\n"
					"  AWS_REGION =  auto  \n", 0600);
	(void)state;

	unsetenv("AWS_REGION");
	unsetenv("AWS_ACCESS_KEY_ID");
	assert_int_equal(kf_config_load(&cfg, path, &err), KF_OK);
	assert_int_equal(cfg.n, 3);
	assert_string_equal(kf_config_get(&cfg, "AWS_REGION"), "auto");
	assert_string_equal(kf_config_get(&cfg, "AWS_SECRET_ACCESS_KEY"), SECRET);
	assert_null(kf_config_get(&cfg, "KINGFACE_BUCKET"));
	setenv("AWS_REGION", "us-east-1", 1);
	assert_string_equal(kf_config_get(&cfg, "AWS_REGION"), "us-east-1");
	unsetenv("AWS_REGION");
	kf_config_release(&cfg);
	kf_config_release(&cfg);
	kf_config_release(NULL);
}

static void test_missing_file_is_empty(void **state)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_config cfg;
	(void)state;

	assert_int_equal(kf_config_load(&cfg, kf_test_path("%s/none", kf_test_tmpdir()), &err),
			 KF_OK);
	assert_int_equal(cfg.n, 0);
	assert_null(cfg.path);
	setenv("XDG_CONFIG_HOME", kf_test_tmpdir(), 1);
	assert_int_equal(kf_config_load(&cfg, NULL, &err), KF_OK);
	kf_config_release(&cfg);
}

static void test_refuses_readable_file(void **state)
{
	static const mode_t modes[] = { 0644, 0640, 0604, 0660, 0700 };
	struct kf_err err = KF_ERR_INIT;
	struct kf_config cfg;
	(void)state;

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		const char *path = write_config("AWS_SECRET_ACCESS_KEY=" SECRET "\n", modes[i]);
		int rc = kf_config_load(&cfg, path, &err);

		if (modes[i] == 0700) {
			assert_int_equal(rc, KF_OK);
			kf_config_release(&cfg);
			continue;
		}
		assert_int_equal(rc, KF_E_AUTH);
		assert_non_null(strstr(err.msg, "chmod 600"));
		assert_null(strstr(err.msg, SECRET));
		kf_err_clear(&err);
	}
}

static void test_bad_lines_name_the_line_not_the_value(void **state)
{
	static const char *const bad[] = {
		"AWS_SECRET_ACCESS_KEY " SECRET "\n",
		"aws_secret_access_key=" SECRET "\n",
		"AWS_SECRET_ACCESS_KEY=" SECRET "\nAWS_SECRET_ACCESS_KEY=" SECRET "\n",
		"=" SECRET "\n",
	};
	struct kf_err err = KF_ERR_INIT;
	struct kf_config cfg;
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(kf_config_load(&cfg, write_config(bad[i], 0600), &err), KF_E_FORMAT);
		assert_non_null(strstr(err.msg, "line"));
		assert_null(strstr(err.msg, SECRET));
		assert_int_equal(cfg.n, 0);
		kf_err_clear(&err);
	}
}

static void test_alloc_failure(void **state)
{
	const char *path = write_config("A=1\nB=2\n", 0600);
	struct kf_err err = KF_ERR_INIT;
	struct kf_config cfg;
	long n;
	(void)state;

	kf_alloc_fail_at(0);
	assert_int_equal(kf_config_load(&cfg, path, &err), KF_OK);
	n = kf_alloc_fail_at(0);
	kf_config_release(&cfg);
	for (long i = 1; i <= n; i++) {
		kf_alloc_fail_at(i);
		assert_int_equal(kf_config_load(&cfg, path, &err), KF_E_NOMEM);
		kf_err_clear(&err);
	}
	kf_alloc_fail_at(0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reads_keys_env_wins),
		cmocka_unit_test(test_missing_file_is_empty),
		cmocka_unit_test(test_refuses_readable_file),
		cmocka_unit_test(test_bad_lines_name_the_line_not_the_value),
		cmocka_unit_test(test_alloc_failure),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
