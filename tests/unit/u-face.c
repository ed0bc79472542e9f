/* u-face.c: the per-face pipeline on the six face-api demo photos against
 * shared/reference/sampleN.json: for every face SSD found (ssd.full[i]), and
 * then every face the tiny detector found (tiny.full[i]), start from the
 * reference detection box and check
 *   - the integer crops: landmark_crop_box, descriptor_align_box_dlib and
 *     descriptor_crop_box, exactly;
 *   - the 68 landmarks: mean point error <= 1.5% of the detection box width;
 *   - the descriptor: Euclidean distance <= 0.05 from face-api's.
 * The reference decoded the JPEGs with jpeg-js, we decode with libjpeg-turbo;
 * the RGB differs slightly (decoded_rgb_sha256, printed per photo), which is
 * most of the remaining landmark and descriptor difference. */
#include "testutil.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/face.h"
#include "core/nn_facerec.h"
#include "core/nn_landmark.h"

static struct kf_landmark *lm_net;
static struct kf_facerec *fr_net;

static int setup(void **state)
{
	struct kf_err err = KF_ERR_INIT;
	(void)state;

	if (kf_landmark_load(&lm_net, KF_TEST_MODELS, &err) < 0 ||
	    kf_facerec_load(&fr_net, KF_TEST_MODELS, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	kf_landmark_free(lm_net);
	kf_facerec_free(fr_net);
	return 0;
}

static cJSON *load_json(const char *path)
{
	size_t n;
	char *b = (char *)kf_test_read_file(path, &n);
	cJSON *j = cJSON_ParseWithLength(b, n);

	free(b);
	assert_non_null(j);
	return j;
}

static double num(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItem(o, key);

	assert_non_null(v);
	return v->valuedouble;
}

/* 0 when r equals the reference rectangle; else the largest coordinate difference. */
static int rect_diff(const struct kf_face_rect *r, const cJSON *ref)
{
	int d[4] = { r->x - (int)num(ref, "x"), r->y - (int)num(ref, "y"),
		     r->width - (int)num(ref, "width"), r->height - (int)num(ref, "height") };
	int m = 0;

	for (int i = 0; i < 4; i++)
		m = abs(d[i]) > m ? abs(d[i]) : m;
	return m;
}

struct worst {
	double lm_err;		/* mean landmark error / box width */
	double lm_px;		/* mean landmark error, pixels */
	double dist;		/* descriptor distance */
	double diff;		/* descriptor max abs diff */
	double dist_same_crop;	/* worst distance where our crop equals face-api's */
	double dist_ref_crop;	/* worst distance on face-api's crop where ours differs */
	int faces, crops_off;
};

static void check_sample(int n, const char *detector, struct worst *w)
{
	cJSON *doc = load_json(kf_test_path("%s/reference/sample%d.json", KF_SHARED_DIR, n));
	cJSON *faces = cJSON_GetObjectItem(cJSON_GetObjectItem(doc, detector), "full"), *face;
	const char *rgb_sha = cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "image"),
						  "decoded_rgb_sha256")->valuestring;
	const struct kf_face_nets nets = { lm_net, fr_net };
	struct kf_image img = { 0 };
	struct kf_err err = KF_ERR_INIT;
	struct kf_arena a = KF_ARENA_INIT;
	unsigned char md[SHA256_DIGEST_LENGTH];
	char hex[2 * SHA256_DIGEST_LENGTH + 1];
	int i = 0;

	if (kf_image_load(kf_test_path("%s/sample%d.jpg", KF_TEST_DEMO, n), 0, &img, NULL, &err) < 0)
		fail_msg("%s", err.msg);
	SHA256(img.rgb, (size_t)img.width * img.height * 3, md);
	for (int k = 0; k < SHA256_DIGEST_LENGTH; k++)
		snprintf(hex + 2 * k, 3, "%02x", md[k]);
	print_message("sample%d %dx%d, %s boxes: decoded RGB %s jpeg-js's\n", n, img.width,
		      img.height, detector, strcmp(hex, rgb_sha) ? "differs from" : "equals");
	assert_true(cJSON_GetArraySize(faces) > 0);

	cJSON_ArrayForEach(face, faces) {
		const cJSON *det = cJSON_GetObjectItem(face, "detection");
		const cJSON *box = cJSON_GetObjectItem(det, "box");
		const cJSON *ref_lm = cJSON_GetObjectItem(face, "landmarks");
		const cJSON *ref_desc = cJSON_GetObjectItem(face, "descriptor"), *it;
		struct kf_box b = { (float)num(box, "x"), (float)num(box, "y"),
				    (float)num(box, "width"), (float)num(box, "height") };
		struct kf_face_crops crops;
		struct kf_face_rect ref_al;
		float lm[136], lm2[136], desc[128];
		double lm_err = 0, dist = 0, diff = 0, ref_pts[136];
		int k = 0, dl, da, dd;

		kf_arena_reset(&a);
		if (kf_face_describe_crops(&nets, &img, &b, lm, desc, &crops, &a, &err) < 0)
			fail_msg("sample%d face %d: %s", n, i, err.msg);
		dl = rect_diff(&crops.landmark, cJSON_GetObjectItem(det, "landmark_crop_box"));
		da = rect_diff(&crops.align, cJSON_GetObjectItem(face, "descriptor_align_box_dlib"));
		dd = rect_diff(&crops.descriptor, cJSON_GetObjectItem(face, "descriptor_crop_box"));
		cJSON_ArrayForEach(it, ref_lm) {
			double dx, dy;

			ref_pts[2 * k] = cJSON_GetArrayItem(it, 0)->valuedouble;
			ref_pts[2 * k + 1] = cJSON_GetArrayItem(it, 1)->valuedouble;
			dx = lm[2 * k] - ref_pts[2 * k];
			dy = lm[2 * k + 1] - ref_pts[2 * k + 1];
			lm_err += sqrt(dx * dx + dy * dy);
			k++;
		}
		assert_int_equal(k, 68);
		lm_err /= 68;
		/* the alignment geometry alone, on face-api's own landmarks: exact */
		kf_face_align_dlib(ref_pts, crops.landmark.width, crops.landmark.height, &ref_al);
		assert_int_equal(rect_diff(&ref_al, cJSON_GetObjectItem(face, "descriptor_align_box_dlib")), 0);
		k = 0;
		cJSON_ArrayForEach(it, ref_desc) {
			double d = desc[k++] - it->valuedouble;

			dist += d * d;
			diff = fabs(d) > diff ? fabs(d) : diff;
		}
		assert_int_equal(k, 128);
		dist = sqrt(dist);
		print_message("  face %d: landmark crop %d,%d %dx%d%s, descriptor crop %d,%d %dx%d%s; "
			      "landmarks %.3f px (%.3f%% of width), descriptor distance %.4f (max |diff| %.4f)\n",
			      i, crops.landmark.x, crops.landmark.y, crops.landmark.width,
			      crops.landmark.height, dl ? " (OFF)" : "", crops.descriptor.x,
			      crops.descriptor.y, crops.descriptor.width, crops.descriptor.height,
			      dd || da ? " (OFF BY ONE: our landmarks moved it)" : "", lm_err,
			      100 * lm_err / b.width, dist, diff);
		w->crops_off += dl || da || dd;
		w->lm_err = fmax(w->lm_err, lm_err / b.width);
		w->lm_px = fmax(w->lm_px, lm_err);
		w->dist = fmax(w->dist, dist);
		w->diff = fmax(w->diff, diff);
		w->faces++;
		/* the landmark crop depends on the box only: exact. The aligned box
		 * depends on our landmarks, which the decoder moves by ~0.1 px: a floor
		 * may flip (counted and printed) */
		assert_int_equal(dl, 0);
		assert_true(da <= 1 && dd <= 1);
		assert_true(lm_err <= 0.015 * b.width);
		if (dd) {
			/* a flipped crop moves the descriptor by 0.03-0.05 on its own: check
			 * the net on face-api's crop too, and allow the flip a little more */
			const cJSON *rc = cJSON_GetObjectItem(face, "descriptor_crop_box");
			float *in = malloc(150 * 150 * 3 * sizeof(float)), d2[128];
			double dist2 = 0;

			assert_non_null(in);
			assert_int_equal(kf_image_to_net_input(&img, (int)num(rc, "x"), (int)num(rc, "y"),
							       (int)num(rc, "width"), (int)num(rc, "height"),
							       150, 1, in, &err), KF_OK);
			assert_int_equal(kf_facerec_forward(fr_net, in, d2, &a, &err), KF_OK);
			k = 0;
			cJSON_ArrayForEach(it, ref_desc) {
				double d = d2[k++] - it->valuedouble;

				dist2 += d * d;
			}
			dist2 = sqrt(dist2);
			free(in);
			print_message("          on face-api's crop: descriptor distance %.4f\n", dist2);
			w->dist_ref_crop = fmax(w->dist_ref_crop, dist2);
			if (dist2 > 0.05)
				fail_msg("sample%d face %d: descriptor distance %.4f on the reference crop",
					 n, i, dist2);
			if (dist > 0.08)
				fail_msg("sample%d face %d: descriptor distance %.4f", n, i, dist);
		} else {
			w->dist_same_crop = fmax(w->dist_same_crop, dist);
			if (dist > 0.05)
				fail_msg("sample%d face %d: descriptor distance %.4f", n, i, dist);
		}

		/* landmarks only: the same points, no recognition net needed */
		{
			const struct kf_face_nets only = { lm_net, NULL };

			assert_int_equal(kf_face_describe(&only, &img, &b, lm2, NULL, &a, &err), KF_OK);
			assert_memory_equal(lm2, lm, sizeof(lm));
		}
		i++;
	}
	kf_arena_release(&a);
	kf_image_release(&img);
	cJSON_Delete(doc);
}

static void test_samples(void **state)
{
	struct worst w = { 0 };
	(void)state;

	for (int n = 1; n <= 6; n++)
		check_sample(n, "ssd", &w);
	print_message("%d faces: descriptor crops off by one %d, worst landmark error %.3f px (%.3f%% of box width), "
		      "worst descriptor distance %.4f (max |diff| %.4f); same crop %.4f, "
		      "face-api's crop where ours is off %.4f\n", w.faces, w.crops_off,
		      w.lm_px, 100 * w.lm_err, w.dist, w.diff, w.dist_same_crop, w.dist_ref_crop);
	assert_int_equal(w.faces, 22);

	/* the same pipeline from the Tiny Face Detector's boxes (other crops) */
	memset(&w, 0, sizeof(w));
	for (int n = 1; n <= 6; n++)
		check_sample(n, "tiny", &w);
	print_message("tiny: %d faces: descriptor crops off by one %d, worst landmark error %.3f px "
		      "(%.3f%% of box width), worst descriptor distance %.4f; same crop %.4f, "
		      "face-api's crop where ours is off %.4f\n", w.faces, w.crops_off, w.lm_px,
		      100 * w.lm_err, w.dist, w.dist_same_crop, w.dist_ref_crop);
	assert_int_equal(w.faces, 20);
}

static void test_clip(void **state)
{
	static const struct {
		double x, y, w, h;
		int ok, rx, ry, rw, rh;
	} rows[] = {
		{ 13.96, 5.38, 77.64, 38.37, 1, 13, 5, 77, 38 },
		{ -10.5, -3.2, 50.9, 20.1, 1, 0, 0, 40, 16 },		/* right 40.4, bottom 16.9 */
		{ 90.2, 40.7, 30.0, 30.0, 1, 90, 40, 9, 9 },		/* min(W - x = 9.8, ...) */
		{ 99.5, 10, 5, 5, 0, 0, 0, 0, 0 },			/* 0.5 px wide: floors to 0 */
		{ 120, 10, 5, 5, 0, 0, 0, 0, 0 },			/* right of the image */
		{ -20, 10, 15, 5, 0, 0, 0, 0, 0 },			/* left of the image */
		{ NAN, 10, 5, 5, 0, 0, 0, 0, 0 },
		{ 10, 10, INFINITY, 5, 1, 10, 10, 90, 5 },		/* clips to the border */
		{ INFINITY, 10, 5, 5, 0, 0, 0, 0, 0 },
		{ -INFINITY, 10, 5, 5, 0, 0, 0, 0, 0 },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct kf_face_rect r;

		assert_int_equal(kf_face_clip(rows[i].x, rows[i].y, rows[i].w, rows[i].h, 100, 50, &r),
				 rows[i].ok);
		assert_int_equal(r.x, rows[i].rx);
		assert_int_equal(r.y, rows[i].ry);
		assert_int_equal(r.width, rows[i].rw);
		assert_int_equal(r.height, rows[i].rh);
	}
}

static void test_errors(void **state)
{
	struct kf_image img = { 0 };
	struct kf_err err = KF_ERR_INIT;
	struct kf_arena a = KF_ARENA_INIT;
	const struct kf_face_nets nets = { lm_net, fr_net }, none = { NULL, NULL };
	const struct kf_face_nets no_fr = { lm_net, NULL };
	struct kf_box outside = { 500, 10, 20, 20 }, inside = { 10, 10, 40, 40 };
	float lm[136], desc[128];
	(void)state;

	img.width = 64;
	img.height = 48;
	img.rgb = calloc((size_t)img.width * img.height, 3);
	assert_non_null(img.rgb);
	assert_int_equal(kf_face_describe(&nets, &img, &outside, lm, desc, &a, &err), KF_E_NOFACE);
	assert_non_null(strstr(err.msg, "outside the 64x48 image"));
	kf_err_clear(&err);
	assert_int_equal(kf_face_describe(&none, &img, &inside, lm, desc, &a, &err), KF_E_INVALID);
	kf_err_clear(&err);
	assert_int_equal(kf_face_describe(&no_fr, &img, &inside, lm, desc, &a, &err), KF_E_INVALID);
	kf_err_clear(&err);
	/* a black image still gives landmarks and a descriptor (or an empty aligned box) */
	{
		int rc = kf_face_describe(&nets, &img, &inside, lm, desc, &a, &err);

		assert_true(rc == KF_OK || rc == KF_E_NOFACE);
	}
	free(img.rgb);
	kf_arena_release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clip),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_samples),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
