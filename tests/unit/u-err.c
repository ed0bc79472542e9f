/* u-err.c: error recording and the allocator's failure hook. */
#include "testutil.h"

#include <errno.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"

static void test_first_error_wins(void **state)
{
	struct kf_err err = KF_ERR_INIT;
	(void)state;

	assert_int_equal(kf_err_set(&err, KF_E_FORMAT, "bad SOF marker in '%s'", "a.jpg"),
			 KF_E_FORMAT);
	kf_err_set(&err, KF_E_IO, "cannot decode photo");
	assert_string_equal(err.msg, "bad SOF marker in 'a.jpg'");
	assert_int_equal(err.code, KF_E_IO);
	kf_err_context(&err, "photo '%s'", "IMG_2.jpg");
	assert_string_equal(err.msg, "photo 'IMG_2.jpg': bad SOF marker in 'a.jpg'");
}

static void test_errno_and_null(void **state)
{
	struct kf_err err = KF_ERR_INIT;
	(void)state;

	errno = ENOENT;
	kf_err_errno(&err, KF_E_IO, "cannot open '%s'", "x.db");
	assert_string_equal(err.msg, "cannot open 'x.db': No such file or directory");
	assert_int_equal(kf_err_set(NULL, KF_E_NOMEM, "x"), KF_E_NOMEM);
	assert_int_equal(kf_err_context(NULL, "x"), KF_OK);
	kf_err_clear(&err);
	assert_int_equal(err.code, KF_OK);
	assert_string_equal(err.msg, "");
	assert_string_equal(kf_err_str(KF_E_NOMEM), "out of memory");
}

static void test_context_truncates(void **state)
{
	struct kf_err err = KF_ERR_INIT;
	char big[400];
	(void)state;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	kf_err_set(&err, KF_E_INVALID, "%s", big);
	assert_int_equal(strlen(err.msg), KF_ERR_MSG_SIZE - 1);
	kf_err_context(&err, "ctx");
	assert_int_equal(strncmp(err.msg, "ctx: xxx", 8), 0);
	assert_int_equal(strlen(err.msg), KF_ERR_MSG_SIZE - 1);
}

static void test_alloc_fail_at(void **state)
{
	void *a, *b;
	(void)state;

	kf_alloc_fail_at(2);
	a = kf_malloc(8);
	b = kf_malloc(8);
	assert_non_null(a);
	assert_null(b);
	b = kf_malloc(8);
	assert_non_null(b);
	kf_free(a);
	kf_free(b);
	assert_null(kf_malloc_array(SIZE_MAX / 2, 4));
	assert_null(kf_calloc(SIZE_MAX / 2, 4));
	kf_alloc_fail_at(0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_error_wins),
		cmocka_unit_test(test_errno_and_null),
		cmocka_unit_test(test_context_truncates),
		cmocka_unit_test(test_alloc_fail_at),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
