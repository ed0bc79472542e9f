/* faceeval: scores `kingface detect --json` against labelled faces (the small-face
 * test set, tests/tools/smallfaces.c; docs/internals/detect.md).
 *
 *   faceeval LABELS DETECTIONS [--iou T] [--min-recall R] [--min-precision P]
 *
 * LABELS: [{"image": NAME, "scenario": S, "faces": [{"x","y","w","h"}]}] (pixels).
 * DETECTIONS: the output of `kingface detect --json`; its images are matched to
 * the labels by file name (the part after the last '/').
 *
 * Matching, per image: detections best score first; each one takes the unmatched
 * label it overlaps most if that IoU is >= T (0.5): a hit. Detections left are
 * false positives, labels left are misses. recall = hits / labels, precision =
 * hits / detections (1 when there are none). Misses are also counted by the
 * label's width: < 40, 40-60, 60-100, 100-150, >= 150 px.
 *
 * Prints a table per image, per scenario and overall, then every false
 * positive and every miss.
 * Exit 0, or 1 when recall or precision is below its minimum, 2 on bad input
 * (a labelled image missing from DETECTIONS or with an error is bad input).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/alloc.h"
#include "core/box.h"
#include "core/err.h"
#include "core/image.h"

#define MAX_IMAGES 64
#define MAX_SCENARIOS 16
#define NBUCKETS 5

static const char *const bucket_name[NBUCKETS] = { "<40", "40-60", "60-100", "100-150", ">=150" };

struct tally {
	char name[64];
	int faces, found, hits, missed_by_width[NBUCKETS];
};

static int bucket(float w)
{
	return w < 40 ? 0 : w < 60 ? 1 : w < 100 ? 2 : w < 150 ? 3 : 4;
}

static void tally_add(struct tally *to, const struct tally *t)
{
	to->faces += t->faces;
	to->found += t->found;
	to->hits += t->hits;
	for (int b = 0; b < NBUCKETS; b++)
		to->missed_by_width[b] += t->missed_by_width[b];
}

static double recall(const struct tally *t)
{
	return t->faces ? (double)t->hits / t->faces : 1;
}

static double precision(const struct tally *t)
{
	return t->found ? (double)t->hits / t->found : 1;
}

static void tally_print(const struct tally *t)
{
	printf("%-20s %5d %5d %5d %6d %5d   %.3f     %.3f   ", t->name, t->faces, t->found,
	       t->hits, t->faces - t->hits, t->found - t->hits, recall(t), precision(t));
	for (int b = 0; b < NBUCKETS; b++)
		printf(" %3d", t->missed_by_width[b]);
	printf("\n");
}

static cJSON *load_json(const char *path)
{
	struct kf_err err = KF_ERR_INIT;
	uint8_t *buf = NULL;
	size_t len = 0;
	cJSON *root;

	if (kf_image_read_file(path, &buf, &len, &err) < 0) {
		fprintf(stderr, "faceeval: %s\n", err.msg);
		exit(2);
	}
	root = cJSON_ParseWithLength((const char *)buf, len);
	kf_free(buf);
	if (!root) {
		fprintf(stderr, "faceeval: '%s' is not JSON\n", path);
		exit(2);
	}
	return root;
}

static float num(const cJSON *o, const char *key)
{
	return (float)cJSON_GetNumberValue(cJSON_GetObjectItem(o, key));
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

static int by_score_desc(const void *a, const void *b)
{
	float sa = num(*(const cJSON *const *)a, "score");
	float sb = num(*(const cJSON *const *)b, "score");
	return (sa < sb) - (sa > sb);
}

/* The detect entry of the image called name, or NULL. */
static const cJSON *find_image(const cJSON *det, const char *name)
{
	const cJSON *im;
	cJSON_ArrayForEach(im, cJSON_GetObjectItem(det, "images")) {
		const char *p = cJSON_GetStringValue(cJSON_GetObjectItem(im, "path"));
		if (p && !strcmp(base_name(p), name))
			return im;
	}
	return NULL;
}

/* Match one image's detections to its labels; fills t, prints its false
 * positives and misses to miss. */
static void score_image(const cJSON *label, const cJSON *found, float iou_min, struct tally *t,
			FILE *miss)
{
	const cJSON *faces = cJSON_GetObjectItem(label, "faces"), *f;
	int n = cJSON_GetArraySize(faces), nd = cJSON_GetArraySize(found), k = 0;
	struct kf_box *lab = kf_calloc((size_t)n + 1, sizeof *lab);
	char *taken = kf_calloc((size_t)n + 1, 1);
	const cJSON **det = kf_calloc((size_t)nd + 1, sizeof *det);

	if (!lab || !taken || !det) {
		fprintf(stderr, "faceeval: out of memory\n");
		exit(2);
	}
	cJSON_ArrayForEach(f, faces)
		lab[k++] = (struct kf_box){ num(f, "x"), num(f, "y"), num(f, "w"), num(f, "h") };
	k = 0;
	cJSON_ArrayForEach(f, found)
		det[k++] = f;
	qsort(det, (size_t)nd, sizeof *det, by_score_desc);

	t->faces = n;
	t->found = nd;
	for (int d = 0; d < nd; d++) {
		const cJSON *b = cJSON_GetObjectItem(det[d], "box");
		struct kf_box db = { num(b, "x"), num(b, "y"), num(b, "width"), num(b, "height") };
		int best = -1;
		float best_iou = iou_min;
		for (int i = 0; i < n; i++) {
			float v = taken[i] ? 0 : kf_box_iou(&db, &lab[i]);
			if (v >= best_iou)
				best = i, best_iou = v;
		}
		if (best >= 0)
			taken[best] = 1, t->hits++;
		else
			fprintf(miss, "false:  %s score %.3f at %.0f,%.0f %.0fx%.0f\n", t->name,
				num(det[d], "score"), db.x, db.y, db.width, db.height);
	}
	for (int i = 0; i < n; i++)
		if (!taken[i]) {
			t->missed_by_width[bucket(lab[i].width)]++;
			fprintf(miss, "missed: %s face %d at %.0f,%.0f %.0fx%.0f\n", t->name, i,
				lab[i].x, lab[i].y, lab[i].width, lab[i].height);
		}
	kf_free(lab);
	kf_free(taken);
	kf_free(det);
}

static void usage(void)
{
	fputs("usage: faceeval LABELS DETECTIONS [--iou T] [--min-recall R] [--min-precision P]\n",
	      stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	float iou_min = 0.5f;
	double min_recall = 0, min_precision = 0;
	struct tally img[MAX_IMAGES], scen[MAX_SCENARIOS], all = { "all", 0, 0, 0, { 0 } };
	int nimg = 0, nscen = 0;
	FILE *miss = tmpfile();
	const cJSON *label;
	char line[256];

	if (argc < 3 || !miss)
		usage();
	for (int i = 3; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--iou"))
			iou_min = (float)atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--min-recall"))
			min_recall = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--min-precision"))
			min_precision = atof(argv[i + 1]);
		else
			usage();
	}
	if (argc % 2 == 0)
		usage();

	cJSON *labels = load_json(argv[1]), *det = load_json(argv[2]);
	cJSON_ArrayForEach(label, labels) {
		const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(label, "image"));
		const char *sc = cJSON_GetStringValue(cJSON_GetObjectItem(label, "scenario"));
		const cJSON *im = name ? find_image(det, name) : NULL;
		const cJSON *found = cJSON_GetObjectItem(im, "faces");
		int s;

		if (!name || nimg == MAX_IMAGES) {
			fprintf(stderr, "faceeval: '%s': bad or too many entries\n", argv[1]);
			return 2;
		}
		if (!cJSON_IsArray(found)) {
			const char *e = cJSON_GetStringValue(cJSON_GetObjectItem(im, "error"));
			fprintf(stderr, "faceeval: '%s': %s\n", name, e ? e : "not in the detections");
			return 2;
		}
		memset(&img[nimg], 0, sizeof img[nimg]);
		snprintf(img[nimg].name, sizeof img[nimg].name, "%s", name);
		score_image(label, found, iou_min, &img[nimg], miss);

		sc = sc ? sc : "-";
		for (s = 0; s < nscen && strcmp(scen[s].name, sc); s++)
			;
		if (s == nscen) {
			if (nscen == MAX_SCENARIOS)
				usage();
			memset(&scen[nscen], 0, sizeof scen[nscen]);
			snprintf(scen[nscen++].name, sizeof scen[0].name, "%s", sc);
		}
		tally_add(&scen[s], &img[nimg]);
		tally_add(&all, &img[nimg]);
		nimg++;
	}

	printf("%-20s %5s %5s %5s %6s %5s  %6s  %9s    missed by face width: %s %s %s %s %s\n",
	       "image", "faces", "found", "hits", "missed", "false", "recall", "precision",
	       bucket_name[0], bucket_name[1], bucket_name[2], bucket_name[3], bucket_name[4]);
	for (int i = 0; i < nimg; i++)
		tally_print(&img[i]);
	printf("\n");
	for (int s = 0; s < nscen; s++)
		tally_print(&scen[s]);
	tally_print(&all);
	rewind(miss);
	while (fgets(line, sizeof line, miss))
		fputs(line, stdout);
	fclose(miss);
	printf("IoU >= %.2f: %d faces, %d hits, %d false positives: recall %.3f, precision %.3f\n",
	       iou_min, all.faces, all.hits, all.found - all.hits, recall(&all), precision(&all));

	cJSON_Delete(labels);
	cJSON_Delete(det);
	if (recall(&all) < min_recall || precision(&all) < min_precision) {
		printf("FAIL: below recall %.2f / precision %.2f\n", min_recall, min_precision);
		return 1;
	}
	return 0;
}
