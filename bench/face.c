/* bench/face.c: single-core time of the per-face pipeline (face.h):
 * landmark net, recognition net, and kf_face_describe (crops + both nets) on
 * the first face of the demo photo sample1.jpg. Median of N runs after warm-up,
 * one arena reset between faces as a worker does.
 *
 *   cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release && cmake --build build-rel -j2
 *   cc -O2 -I. bench/face.c build-rel/libkf_core.a -lcjson -lcrypto -ljpeg -lpng -lm -lpthread -o /tmp/kf-face
 *   taskset -c 0 /tmp/kf-face .deps/face-api/model .deps/face-api/demo/sample1.jpg [N [stages]]
 * With a fourth argument it also prints the mean time of each stage of both nets.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/arena.h"
#include "core/face.h"
#include "core/nn_facerec.h"
#include "core/nn_landmark.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Per-stage time: the callback runs after each stage, so the time since the
 * previous call is that stage's. */
#define MAX_STAGES 32

struct stage_times {
	int n, runs;
	double last, t[MAX_STAGES];
	char name[MAX_STAGES][32];
};

static void on_stage(void *ctx, const char *name, const struct kf_tensor *t)
{
	struct stage_times *s = ctx;
	double x = now();
	(void)t;

	if (s->n < MAX_STAGES) {
		snprintf(s->name[s->n], sizeof(s->name[0]), "%s", name);
		s->t[s->n++] += x - s->last;
	}
	s->last = now();
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *t, int n)
{
	qsort(t, (size_t)n, sizeof(double), cmp);
	return t[n / 2];
}

int main(int argc, char **argv)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_arena a = KF_ARENA_INIT;
	struct kf_landmark *lm = NULL;
	struct kf_facerec *fr = NULL;
	struct kf_image img = { 0 };
	/* sample1.json ssd.full[0].detection.box */
	const struct kf_box det = { 413.9623832702637f, 355.3828067723607f, 177.6364517211914f,
				    238.37017160007326f };
	static float in112[112 * 112 * 3], in150[150 * 150 * 3];
	float out[136], desc[128];
	int n = argc > 3 ? atoi(argv[3]) : 50;
	double *t_lm, *t_fr, *t_face;
	size_t high = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: %s MODEL_DIR sample1.jpg [N]\n", argv[0]);
		return 2;
	}
	if (n < 1)
		n = 1;
	t_lm = calloc((size_t)n, sizeof(double));
	t_fr = calloc((size_t)n, sizeof(double));
	t_face = calloc((size_t)n, sizeof(double));
	if (!t_lm || !t_fr || !t_face ||
	    kf_landmark_load(&lm, argv[1], &err) < 0 || kf_facerec_load(&fr, argv[1], &err) < 0 ||
	    kf_image_load(argv[2], 0, &img, NULL, &err) < 0 ||
	    kf_image_to_net_input(&img, 413, 355, 177, 238, 112, 1, in112, &err) < 0 ||
	    kf_image_to_net_input(&img, 369, 394, 213, 213, 150, 1, in150, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg[0] ? err.msg : "out of memory");
		return 1;
	}
	{
		const struct kf_face_nets nets = { lm, fr };

		for (int i = -5; i < n; i++) {
			double t0, t1, t2, t3;

			kf_arena_reset(&a);
			t0 = now();
			kf_landmark_forward(lm, in112, out, &a, &err);
			kf_arena_reset(&a);
			t1 = now();
			kf_facerec_forward(fr, in150, desc, &a, &err);
			kf_arena_reset(&a);
			t2 = now();
			if (kf_face_describe(&nets, &img, &det, out, desc, &a, &err) < 0) {
				fprintf(stderr, "%s\n", err.msg);
				return 1;
			}
			t3 = now();
			high = a.high_water > high ? a.high_water : high;
			if (i >= 0) {
				t_lm[i] = t1 - t0;
				t_fr[i] = t2 - t1;
				t_face[i] = t3 - t2;
			}
		}
	}
	if (argc > 4) {	/* per-stage profile of both nets */
		static struct stage_times st, sl;

		for (int i = 0; i < n; i++) {
			kf_arena_reset(&a);
			sl.n = 0;
			sl.last = now();
			kf_landmark_forward_stages(lm, in112, out, &a, on_stage, &sl, &err);
			kf_arena_reset(&a);
			st.n = 0;
			st.last = now();
			kf_facerec_forward_stages(fr, in150, desc, &a, on_stage, &st, &err);
		}
		for (int i = 0; i < sl.n; i++)
			printf("  %-18s %.3f ms\n", sl.name[i], 1e3 * sl.t[i] / n);
		for (int i = 0; i < st.n; i++)
			printf("  %-18s %.3f ms\n", st.name[i], 1e3 * st.t[i] / n);
	}
	printf("per face, median of %d (ms): landmarks %.2f, descriptor %.2f, "
	       "kf_face_describe %.2f; arena high water %.1f MB\n", n, 1e3 * median(t_lm, n),
	       1e3 * median(t_fr, n), 1e3 * median(t_face, n), (double)high / (1 << 20));
	kf_image_release(&img);
	kf_landmark_free(lm);
	kf_facerec_free(fr);
	kf_arena_release(&a);
	free(t_lm);
	free(t_fr);
	free(t_face);
	return 0;
}
