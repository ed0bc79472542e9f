/* u-tensor.c: tensor shapes, strides, offsets and arena allocation. */
#include "testutil.h"

#include <stdint.h>
#include <string.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "core/tensor.h"

static void test_init_strides(void **state)
{
	float buf[2 * 3 * 4 * 5];
	struct kf_tensor t, v;
	(void)state;

	kf_tensor_init(&t, KF_F32, 5, 4, 3, 2, buf);
	assert_int_equal(t.nb[0], 4);
	assert_int_equal(t.nb[1], 20);
	assert_int_equal(t.nb[2], 80);
	assert_int_equal(t.nb[3], 240);
	assert_int_equal(kf_tensor_nelements(&t), 120);
	assert_int_equal(kf_tensor_nbytes(&t), 480);
	assert_true(kf_tensor_is_contiguous(&t));
	assert_int_equal(kf_tensor_offset(&t, 1, 2, 1, 1), 4 + 40 + 80 + 240);
	assert_ptr_equal(kf_tensor_f32(&t), buf);
	/* a channel slice is a view with the parent's strides */
	v = t;
	v.ne[0] = 2;
	assert_false(kf_tensor_is_contiguous(&v));
	assert_false(kf_tensor_same_shape(&v, &t));
	v.ne[0] = 5;
	assert_true(kf_tensor_same_shape(&v, &t));
	kf_tensor_init(&t, KF_U8, 3, 1, 1, 1, buf);
	assert_int_equal(kf_tensor_nbytes(&t), 3);
	assert_int_equal(kf_dtype_size(KF_I32), 4);
}

static void test_name(void **state)
{
	struct kf_tensor t;
	char long_name[300];
	(void)state;

	kf_tensor_init(&t, KF_F32, 1, 1, 1, 1, NULL);
	kf_tensor_set_name(&t, "conv0/filters");
	assert_string_equal(t.name, "conv0/filters");
	memset(long_name, 'x', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	kf_tensor_set_name(&t, long_name);
	assert_int_equal(strlen(t.name), KF_TENSOR_NAME_SIZE - 1);
}

static void test_new(void **state)
{
	struct kf_arena a = KF_ARENA_INIT;
	struct kf_tensor *t;
	(void)state;

	t = kf_tensor_nhwc(&a, 1, 416, 416, 3);
	assert_non_null(t);
	assert_int_equal(t->ne[0], 3);
	assert_int_equal(t->ne[2], 416);
	assert_int_equal((uintptr_t)t->data % 64, 0);
	memset(t->data, 0, kf_tensor_nbytes(t));
	assert_null(kf_tensor_new(&a, KF_F32, 0, 1, 1, 1));
	assert_null(kf_tensor_new(&a, KF_F32, INT64_MAX / 2, 4, 1, 1));
	kf_alloc_fail_at(1);
	kf_arena_release(&a);
	assert_null(kf_tensor_nhwc(&a, 1, 2, 2, 2));
	kf_alloc_fail_at(0);
	kf_arena_release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_strides),
		cmocka_unit_test(test_name),
		cmocka_unit_test(test_new),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
