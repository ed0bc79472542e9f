/* bench/recognize.c: single-core time of kingface's per-face pipeline,
 * kf_face_describe (landmark crop + 68-point net + dlib alignment + recognition
 * net), on exactly the faces face-api found: the detection boxes come from the
 * JSON of bench/faceapi_describe.mjs, so both programs describe the same
 * rectangles of the same photos, and the descriptors are compared with
 * face-api's (a check that the same work is timed, not a parity test).
 *
 *   recognize [--warmup N] [--runs N] MODEL_DIR FACEAPI.json PHOTO_DIR
 *
 * Each photo is decoded once at full resolution (outside the timed region, as
 * face-api's tensor is). Per face: N warm-up calls, then N timed calls, the
 * scratch arena reset before each as a worker does; also the landmarks alone
 * (desc = NULL). Output, one line per face (ms):
 *   face PHOTO INDEX DESCRIBE_MEDIAN MIN MAX CPU_MEDIAN LANDMARKS_MEDIAN DIST
 * where CPU is this thread's CPU time and DIST the Euclidean distance between
 * kingface's and face-api's descriptors; then
 *   summary describe MEDIAN_OF_FACES CPU_MEDIAN_OF_FACES MAX_DIST FACES
 *   summary arena HIGH_WATER_MB
 * Exit status 1 on any error.
 *
 * Build: cc -std=c11 -D_GNU_SOURCE -O2 -I. bench/recognize.c build-bench/libkf_core.a \
 *          -lcjson -lcrypto -ljpeg -lpng -lm -lpthread -o build-bench/recognize
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/arena.h"
#include "core/face.h"
#include "core/image.h"
#include "core/nn_facerec.h"
#include "core/nn_landmark.h"

#define MAX_RUNS 100
#define MAX_FACES 256

static double clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *t, int n)
{
	qsort(t, (size_t)n, sizeof(double), cmp);
	return n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n + 1)) && fread(buf, 1, (size_t)n, f) == (size_t)n)
		buf[n] = '\0';
	else {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

int main(int argc, char **argv)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_arena a = KF_ARENA_INIT;
	struct kf_landmark *lm = NULL;
	struct kf_facerec *fr = NULL;
	static double med[MAX_FACES], cpu[MAX_FACES];
	double max_dist = 0;
	int warmup = 2, runs = 5, nf = 0, argi = 1, rc = 1;
	char *text = NULL;
	cJSON *doc = NULL, *photo;

	while (argi + 1 < argc && argv[argi][0] == '-') {
		if (!strcmp(argv[argi], "--warmup"))
			warmup = atoi(argv[argi + 1]);
		else if (!strcmp(argv[argi], "--runs"))
			runs = atoi(argv[argi + 1]);
		else
			break;
		argi += 2;
	}
	if (argc - argi != 3 || runs < 1 || runs > MAX_RUNS || warmup < 0) {
		fprintf(stderr, "usage: %s [--warmup N] [--runs 1..%d] MODEL_DIR FACEAPI.json PHOTO_DIR\n",
			argv[0], MAX_RUNS);
		return 2;
	}
	if (kf_landmark_load(&lm, argv[argi], &err) < 0 || kf_facerec_load(&fr, argv[argi], &err) < 0) {
		fprintf(stderr, "recognize: %s\n", err.msg);
		goto out;
	}
	if (!(text = slurp(argv[argi + 1])) || !(doc = cJSON_Parse(text))) {
		fprintf(stderr, "recognize: cannot read the JSON of '%s'\n", argv[argi + 1]);
		goto out;
	}
	const struct kf_face_nets nets = { lm, fr };

	cJSON_ArrayForEach(photo, cJSON_GetObjectItem(doc, "photos")) {
		const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(photo, "photo"));
		struct kf_image img = { 0 };
		char path[4096];
		cJSON *face;
		int index = 0;

		snprintf(path, sizeof(path), "%s/%s", argv[argi + 2], name ? name : "?");
		if (kf_image_load(path, 0, &img, NULL, &err) < 0) {
			fprintf(stderr, "recognize: %s\n", err.msg);
			goto out;
		}
		cJSON_ArrayForEach(face, cJSON_GetObjectItem(photo, "faces")) {
			cJSON *b = cJSON_GetObjectItem(face, "box"), *d = cJSON_GetObjectItem(face, "descriptor");
			struct kf_box box;
			float marks[136], desc[128];
			double t[MAX_RUNS], c[MAX_RUNS], l[MAX_RUNS], dist = 0;

			if (cJSON_GetArraySize(b) != 4 || nf == MAX_FACES) {
				fprintf(stderr, "recognize: bad face entry in '%s'\n", name);
				kf_image_release(&img);
				goto out;
			}
			box.x = (float)cJSON_GetArrayItem(b, 0)->valuedouble;
			box.y = (float)cJSON_GetArrayItem(b, 1)->valuedouble;
			box.width = (float)cJSON_GetArrayItem(b, 2)->valuedouble;
			box.height = (float)cJSON_GetArrayItem(b, 3)->valuedouble;
			for (int i = -warmup; i < runs; i++) {
				double t0, c0, t1, c1, t2;

				kf_arena_reset(&a);
				t0 = clock_ms(CLOCK_MONOTONIC);
				c0 = clock_ms(CLOCK_THREAD_CPUTIME_ID);
				if (kf_face_describe(&nets, &img, &box, marks, desc, &a, &err) < 0) {
					fprintf(stderr, "recognize: %s face %d: %s\n", name, index, err.msg);
					kf_image_release(&img);
					goto out;
				}
				t1 = clock_ms(CLOCK_MONOTONIC);
				c1 = clock_ms(CLOCK_THREAD_CPUTIME_ID);
				kf_arena_reset(&a);
				if (kf_face_describe(&nets, &img, &box, marks, NULL, &a, &err) < 0) {
					fprintf(stderr, "recognize: %s face %d: %s\n", name, index, err.msg);
					kf_image_release(&img);
					goto out;
				}
				t2 = clock_ms(CLOCK_MONOTONIC);
				if (i >= 0) {
					t[i] = t1 - t0;
					c[i] = c1 - c0;
					l[i] = t2 - t1;
				}
			}
			if (cJSON_GetArraySize(d) == 128) {
				for (int k = 0; k < 128; k++) {
					double e = desc[k] - cJSON_GetArrayItem(d, k)->valuedouble;
					dist += e * e;
				}
				dist = sqrt(dist);
			} else {
				dist = NAN;
			}
			if (dist > max_dist)
				max_dist = dist;
			{
				double lo = t[0], hi = t[0];

				for (int i = 1; i < runs; i++) {
					lo = t[i] < lo ? t[i] : lo;
					hi = t[i] > hi ? t[i] : hi;
				}
				med[nf] = median(t, runs);
				cpu[nf] = median(c, runs);
				printf("face %s %d %.2f %.2f %.2f %.2f %.2f %.4f\n", name, index, med[nf], lo, hi,
				       cpu[nf], median(l, runs), dist);
			}
			nf++;
			index++;
		}
		kf_image_release(&img);
	}
	if (nf == 0) {
		fprintf(stderr, "recognize: no face in the JSON\n");
		goto out;
	}
	printf("summary describe %.2f %.2f %.4f %d\n", median(med, nf), median(cpu, nf), max_dist, nf);
	printf("summary arena %.1f\n", (double)a.high_water / (1 << 20));
	rc = 0;
out:
	cJSON_Delete(doc);
	free(text);
	kf_landmark_free(lm);
	kf_facerec_free(fr);
	kf_arena_release(&a);
	return rc;
}
