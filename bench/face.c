/* bench/face.c: single-core time of the per-face pipeline (face.h):
 * landmark net, recognition net, and kf_face_describe (crops + both nets) on
 * the first face of the demo photo sample1.jpg. Median of N runs after warm-up,
 * one arena reset between faces as a worker does. Each precision this CPU
 * has runs in the same process, alternated in rounds: float32 (the GEMM
 * kernel kf_gemm_kernel_name() says), then int8 (nn_gemm_q8.h) when the CPU
 * has dot products; with GMAC/s per net from the convolutions' MACs.
 * "batch of 8" is what the engine does (engine.c): kf_face_prepare on 8 faces,
 * then kf_face_recognise on the 8 inputs at once, timed a face.
 *
 *   cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release && cmake --build build-rel -j2
 *   cc -O2 -I. bench/face.c build-rel/libkf_core.a -lcjson -lcrypto -ljpeg -lpng -lm -lpthread -o /tmp/kf-face
 *   taskset -c 0 /tmp/kf-face .deps/face-api/model .deps/face-api/demo/sample1.jpg [N [stages]]
 * With a fourth argument it also prints the mean time of each stage of both nets.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/arena.h"
#include "core/face.h"
#include "core/nn_gemm_q8.h"
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
#define BATCH 8

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

/* MACs of a stage of either net from its output (out), the previous stage's
 * channels (cin) and its name: the convolutions' multiply-adds. */
struct macs {
	int cin;
	double lm, fr;
};

static void count_macs(void *ctx, const char *name, const struct kf_tensor *t)
{
	struct macs *m = ctx;
	double hw = (double)t->ne[1] * (double)t->ne[2], c = (double)t->ne[0], ci = m->cin;

	if (!strcmp(name, "conv32_down"))
		m->fr += hw * 49 * 3 * c;
	else if (!strncmp(name, "conv", 4))
		m->fr += hw * 9 * (strstr(name, "down") ? ci * c + c * c : 2 * c * c);
	else if (!strcmp(name, "fc_descriptor"))
		m->fr += 256.0 * 128;
	else if (!strcmp(name, "dense0_conv0"))
		m->lm += hw * 27 * c;
	else if (!strncmp(name, "dense", 5) && strstr(name, "_conv"))
		m->lm += hw * (9 * ci + ci * c);	/* depthwise + pointwise */
	else if (!strcmp(name, "fc"))
		m->lm += 256.0 * 136;
	m->cin = (int)t->ne[0];
}

static void fail(const struct kf_err *err)
{
	fprintf(stderr, "%s\n", err->msg);
	exit(1);
}

/* The medians of n runs of each part, with the arena's high water. */
static void run(const struct kf_face_nets *nets, const struct kf_image *img,
		const float *in112, const float *in150, int n, double *t_lm, double *t_fr,
		double *t_face, double *t_batch, struct kf_arena *a, size_t *high)
{
	/* sample1.json ssd.full[0].detection.box */
	const struct kf_box det = { 413.9623832702637f, 355.3828067723607f, 177.6364517211914f,
				    238.37017160007326f };
	struct kf_err err = KF_ERR_INIT;
	float out[136], desc[128];
	static float batch_in[BATCH * 150 * 150 * 3], batch_desc[BATCH * 128];

	for (int i = -5; i < n; i++) {
		double t0, t1, t2, t3, t4;

		kf_arena_reset(a);
		t0 = now();
		kf_landmark_forward(nets->landmark, in112, out, a, &err);
		kf_arena_reset(a);
		t1 = now();
		kf_facerec_forward(nets->facerec, in150, desc, a, &err);
		kf_arena_reset(a);
		t2 = now();
		if (kf_face_describe(nets, img, &det, out, desc, a, &err) < 0)
			fail(&err);
		t3 = now();
		*high = a->high_water > *high ? a->high_water : *high;
		kf_arena_reset(a);
		for (int k = 0; k < BATCH; k++) {
			if (kf_face_prepare(nets, img, &det, out, batch_in + k * 150 * 150 * 3, NULL,
					    a, &err) < 0)
				fail(&err);
			kf_arena_reset(a);
		}
		if (kf_face_recognise(nets, batch_in, BATCH, 0, batch_desc, a, &err) < 0)
			fail(&err);
		t4 = now();
		if (i >= 0) {
			t_lm[i] = t1 - t0;
			t_fr[i] = t2 - t1;
			t_face[i] = t3 - t2;
			t_batch[i] = (t4 - t3) / BATCH;
		}
	}
}

int main(int argc, char **argv)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_arena a = KF_ARENA_INIT;
	struct kf_landmark *lm = NULL;
	struct kf_facerec *fr = NULL;
	struct kf_image img = { 0 };
	static float in112[112 * 112 * 3], in150[150 * 150 * 3];
	float out[136], desc[128];
	int n = argc > 3 ? atoi(argv[3]) : 50, rounds = 3, modes;
	const char *int8 = kf_gemm_q8_kernel_name();
	struct macs m = { 0, 0, 0 };
	double *t[2][4];
	size_t high = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: %s MODEL_DIR sample1.jpg [N [stages]]\n", argv[0]);
		return 2;
	}
	if (n < 1)
		n = 1;
	modes = strcmp(int8, "off") ? 2 : 1;
	for (int p = 0; p < 2; p++)
		for (int k = 0; k < 4; k++)
			if (!(t[p][k] = calloc((size_t)(n * rounds), sizeof(double))))
				return 1;
	if (kf_landmark_load(&lm, argv[1], &err) < 0 || kf_facerec_load(&fr, argv[1], &err) < 0 ||
	    kf_image_load(argv[2], 0, &img, NULL, &err) < 0 ||
	    kf_image_to_net_input(&img, 413, 355, 177, 238, 112, 1, in112, &err) < 0 ||
	    kf_image_to_net_input(&img, 369, 394, 213, 213, 150, 1, in150, &err) < 0 ||
	    kf_landmark_forward_stages(lm, in112, out, &a, count_macs, &m, &err) < 0 ||
	    kf_facerec_forward_stages(fr, in150, desc, &a, count_macs, &m, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg[0] ? err.msg : "out of memory");
		return 1;
	}
	{
		const struct kf_face_nets nets = { lm, fr };

		for (int r = 0; r < rounds; r++) {
			for (int p = 0; p < modes; p++) {
				kf_gemm_q8_set_kernel(p ? int8 : "off");
				run(&nets, &img, in112, in150, n, t[p][0] + r * n, t[p][1] + r * n,
				    t[p][2] + r * n, t[p][3] + r * n, &a, &high);
			}
		}
	}
	if (argc > 4) {	/* per-stage profile of both nets, in the last precision */
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
	printf("MACs: landmark net %.1f M, recognition net %.1f M\n", m.lm / 1e6, m.fr / 1e6);
	for (int p = 0; p < modes; p++) {
		double l = median(t[p][0], n * rounds), f = median(t[p][1], n * rounds);

		printf("%-4s (float32 %s, int8 %s), median of %d (ms): landmarks %.2f (%.1f GMAC/s), "
		       "descriptor %.2f (%.1f GMAC/s), kf_face_describe %.2f, a face in a batch of %d %.2f\n",
		       p ? "int8" : "fp32", kf_gemm_kernel_name(), p ? int8 : "off", n * rounds,
		       1e3 * l, m.lm / l / 1e9, 1e3 * f, m.fr / f / 1e9,
		       1e3 * median(t[p][2], n * rounds), BATCH, 1e3 * median(t[p][3], n * rounds));
	}
	printf("arena high water %.1f MB\n", (double)high / (1 << 20));
	kf_image_release(&img);
	kf_landmark_free(lm);
	kf_facerec_free(fr);
	kf_arena_release(&a);
	for (int p = 0; p < 2; p++)
		for (int k = 0; k < 4; k++)
			free(t[p][k]);
	return 0;
}
