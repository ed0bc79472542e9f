/* stages.c: see stages.h. */
#include "testutil.h"
#include "stages.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void check_value(struct kf_test_stages *w, const char *name, int64_t idx, double got,
			double ref, double mean_abs)
{
	double rel = fabs(got - ref) / (fabs(ref) + mean_abs);

	if (rel > w->worst)
		w->worst = rel;
	if (rel > KF_TEST_STAGE_VALUE_TOL)
		fail_msg("stage %s: [%lld] = %.9g, reference %.9g", name, (long long)idx, got, ref);
}

void kf_test_on_stage(void *ctx, const char *name, const struct kf_tensor *t)
{
	struct kf_test_stages *w = ctx;
	const float *f = t->data;
	const cJSON *s, *p;
	double mean_abs = 0;
	int64_t n = kf_tensor_nelements(t), i = 0;

	cJSON_ArrayForEach(s, w->stages) {
		if (strcmp(cJSON_GetObjectItem(s, "name")->valuestring, name))
			continue;
		assert_int_equal(cJSON_GetObjectItem(s, "size")->valuedouble, (double)n);
		for (int64_t k = 0; k < n; k++)
			mean_abs += fabs((double)f[k]);
		mean_abs /= (double)n;
		{
			double ref = cJSON_GetObjectItem(s, "mean_abs")->valuedouble;
			double rel = fabs(mean_abs - ref) / ref;

			if (rel > w->worst)
				w->worst = rel;
			if (rel > KF_TEST_STAGE_MEAN_ABS_TOL)
				fail_msg("stage %s: mean_abs %.9g, reference %.9g", name, mean_abs, ref);
		}
		if (w->flags & KF_TEST_STAGES_FIRST8) {
			cJSON_ArrayForEach(p, cJSON_GetObjectItem(s, "first8")) {
				check_value(w, name, i, f[i], p->valuedouble, mean_abs);
				i++;
			}
		}
		cJSON_ArrayForEach(p, cJSON_GetObjectItem(s, "probe")) {
			int64_t idx = (int64_t)cJSON_GetArrayItem(p, 0)->valuedouble;

			assert_true(idx >= 0 && idx < n);
			check_value(w, name, idx, f[idx], cJSON_GetArrayItem(p, 1)->valuedouble, mean_abs);
		}
		w->seen++;
		return;
	}
	fail_msg("stage %s not in the reference", name);
}

cJSON *kf_test_load_json(const char *path)
{
	size_t n;
	char *b = (char *)kf_test_read_file(path, &n);
	cJSON *j = cJSON_ParseWithLength(b, n);

	free(b);
	assert_non_null(j);
	return j;
}
