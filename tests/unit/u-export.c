/* u-export.c: client names as folder names (data/export.h). */
#include "testutil.h"

#include <string.h>

#include "data/export.h"

static void test_folder_names(void **state)
{
	static const struct { const char *in, *out; } rows[] = {
		{ "Ana", "Ana" }, { "../evil", "_evil" }, { "a/b\\c", "a_b_c" },
		{ "tab\there", "tab_here" }, { ".", "_" }, { "..", "_" }, { "", "_" },
		{ "  spaced .  ", "spaced" }, { "Zoë Ñ", "Zoë Ñ" }, { "x:y*z?\"<>|", "x_y_z_____" },
		{ ".hidden", "hidden" }, { "\x7f", "_" },
	};
	char out[256];
	(void)state;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		kf_export_folder_name(rows[i].in, out, sizeof(out));
		assert_string_equal(out, rows[i].out);
	}
}

/* At most 200 bytes, never half a UTF-8 character, and a small buffer is
 * respected. */
static void test_long_names(void **state)
{
	char in[512], out[256], small[8];
	(void)state;

	memset(in, 'a', 199);
	strcpy(in + 199, "ë tail");		/* 'ë' is 2 bytes: 199 and 200 */
	kf_export_folder_name(in, out, sizeof(out));
	assert_int_equal(strlen(out), 199);
	memset(in, 'b', 400);
	in[400] = '\0';
	kf_export_folder_name(in, out, sizeof(out));
	assert_int_equal(strlen(out), 200);
	kf_export_folder_name(in, small, sizeof(small));
	assert_string_equal(small, "bbbbbbb");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_folder_names),
		cmocka_unit_test(test_long_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
