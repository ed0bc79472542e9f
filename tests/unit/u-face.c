/* u-face.c: the per-face pipeline on the six face-api demo photos against
 * tests/data/reference/sampleN.json: for every face SSD found (ssd.full[i]), and
 * then every face the tiny detector found (tiny.full[i]), start from the
 * reference detection box and check the integer crops (landmark_crop_box,
 * descriptor_align_box_dlib, descriptor_crop_box), the 68 landmarks and the
 * descriptor. Twice:
 *
 *  - on the photo decoded exactly as face-api's reference did (jpeg-js 0.4.4:
 *    its integer LLM IDCT, chroma by replication, float YCbCr->RGB truncated;
 *    jsdecode() below, on libjpeg's entropy-decoded coefficients): the RGB
 *    sha256 equals decoded_rgb_sha256, and then everything must match
 *    face-api to float noise: every crop identical, landmarks within 1e-3 px,
 *    descriptors within 1e-5. This pins the pipeline itself;
 *  - on our own decode (kf_image_load, libjpeg-turbo): up to 3 levels per
 *    pixel different, which moves landmarks by ~0.1 px and can flip a floor of
 *    the alignment box. Landmark crops must be identical, aligned crops within
 *    1 px (counted), landmarks within 1.5% of the box width, descriptors within
 *    0.05 (0.08 where the aligned crop flipped, and then within 0.05 on
 *    face-api's crop). */
#include "testutil.h"

#include <stdio.h>	/* before jpeglib.h */

#include <cjson/cJSON.h>
#include <jpeglib.h>
#include <math.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "core/face.h"
#include "core/nn_facerec.h"
#include "core/nn_gemm_q8.h"
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

/* ---- jpeg-js 0.4.4 decoding (lib/decoder.js), for the reference RGB ------- */

/* JS arithmetic: products and sums are exact doubles, stored to an Int32Array
 * (ToInt32 wraps), >> works on int32. */
static int32_t w32(int64_t x)
{
	return (int32_t)(uint32_t)(uint64_t)x;
}

static int32_t sar(int64_t x, int n)
{
	return w32(x) >> n;
}

enum { C1 = 4017, S1 = 799, C3 = 3406, S3 = 2276, C6 = 1567, S6 = 3784, SQ2 = 5793, SQ1D2 = 2896 };

/* One 1-D pass of quantizeAndInverse over p[o + k*st], k = 0..7. Rows and
 * columns differ only in rounding constants (r*) and in the rows' << 4. */
static void idct_1d(int32_t *p, int o, int st, int dc_add, int dc_shift, int s4, int r4, int rs,
		    int shl)
{
	int64_t v0, v1, v2, v3, v4, v5, v6, v7, t;
#define P(k) p[o + (k) * st]
	if (!P(1) && !P(2) && !P(3) && !P(4) && !P(5) && !P(6) && !P(7)) {
		int32_t dc = sar((int64_t)SQ2 * P(0) + dc_add, dc_shift);

		for (int k = 0; k < 8; k++)
			P(k) = dc;
		return;
	}
	v0 = sar((int64_t)SQ2 * P(0) + r4, s4);
	v1 = sar((int64_t)SQ2 * P(4) + r4, s4);
	v2 = P(2);
	v3 = P(6);
	v4 = sar((int64_t)SQ1D2 * ((int64_t)P(1) - P(7)) + r4, s4);
	v7 = sar((int64_t)SQ1D2 * ((int64_t)P(1) + P(7)) + r4, s4);
	v5 = w32((int64_t)((uint64_t)(uint32_t)P(3) << shl));
	v6 = w32((int64_t)((uint64_t)(uint32_t)P(5) << shl));
	t = sar(v0 - v1 + 1, 1); v0 = sar(v0 + v1 + 1, 1); v1 = t;
	t = sar(v2 * S6 + v3 * C6 + rs, s4); v2 = sar(v2 * C6 - v3 * S6 + rs, s4); v3 = t;
	t = sar(v4 - v6 + 1, 1); v4 = sar(v4 + v6 + 1, 1); v6 = t;
	t = sar(v7 + v5 + 1, 1); v5 = sar(v7 - v5 + 1, 1); v7 = t;
	t = sar(v0 - v3 + 1, 1); v0 = sar(v0 + v3 + 1, 1); v3 = t;
	t = sar(v1 - v2 + 1, 1); v1 = sar(v1 + v2 + 1, 1); v2 = t;
	t = sar(v4 * S3 + v7 * C3 + 2048, 12); v4 = sar(v4 * C3 - v7 * S3 + 2048, 12); v7 = t;
	t = sar(v5 * S1 + v6 * C1 + 2048, 12); v5 = sar(v5 * C1 - v6 * S1 + 2048, 12); v6 = t;
	P(0) = w32(v0 + v7); P(7) = w32(v0 - v7);
	P(1) = w32(v1 + v6); P(6) = w32(v1 - v6);
	P(2) = w32(v2 + v5); P(5) = w32(v2 - v5);
	P(3) = w32(v3 + v4); P(4) = w32(v3 - v4);
#undef P
}

static void js_idct(const JCOEF *coef, const UINT16 *qt, uint8_t *out)
{
	int32_t p[64];

	for (int i = 0; i < 64; i++)	/* both in natural order */
		p[i] = w32((int64_t)coef[i] * qt[i]);
	for (int i = 0; i < 8; i++)	/* rows: stage-4 shift 8 (+128), x16 odd inputs */
		idct_1d(p, 8 * i, 1, 512, 10, 8, 128, 128, 4);
	for (int i = 0; i < 8; i++)	/* columns: shift 12 (+2048) */
		idct_1d(p, i, 8, 8192, 14, 12, 2048, 2048, 0);
	for (int i = 0; i < 64; i++) {
		int32_t v = 128 + sar((int64_t)p[i] + 8, 4);

		out[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
	}
}

/* clampTo8bit, then a Uint8Array store (ToUint8 truncates). */
static uint8_t js_u8(double v)
{
	return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

/* A 3-component JPEG as jpeg-js decodes it (no EXIF rotation, as jpeg-js). */
static void jsdecode(const char *path, struct kf_image *img)
{
	struct jpeg_decompress_struct c;
	struct jpeg_error_mgr e;
	size_t len;
	uint8_t *buf = kf_test_read_file(path, &len), *plane[3];
	jvirt_barray_ptr *coefs;
	int stride[3], maxh = 1, maxv = 1;

	c.err = jpeg_std_error(&e);	/* errors exit: fine for a test on known files */
	jpeg_create_decompress(&c);
	jpeg_mem_src(&c, buf, (unsigned long)len);
	assert_int_equal(jpeg_read_header(&c, TRUE), JPEG_HEADER_OK);
	coefs = jpeg_read_coefficients(&c);
	assert_int_equal(c.num_components, 3);
	for (int ci = 0; ci < 3; ci++) {
		maxh = c.comp_info[ci].h_samp_factor > maxh ? c.comp_info[ci].h_samp_factor : maxh;
		maxv = c.comp_info[ci].v_samp_factor > maxv ? c.comp_info[ci].v_samp_factor : maxv;
	}
	for (int ci = 0; ci < 3; ci++) {	/* buildComponentData: lines of samples */
		jpeg_component_info *ci_ = &c.comp_info[ci];
		int bw = (int)ci_->width_in_blocks, bh = (int)ci_->height_in_blocks;

		stride[ci] = bw * 8;
		plane[ci] = malloc((size_t)stride[ci] * (size_t)bh * 8);
		assert_non_null(plane[ci]);
		for (int by = 0; by < bh; by++) {
			JBLOCKARRAY row = (*c.mem->access_virt_barray)((j_common_ptr)&c, coefs[ci],
								       (JDIMENSION)by, 1, FALSE);

			for (int bx = 0; bx < bw; bx++) {
				uint8_t blk[64];

				js_idct(row[0][bx], ci_->quant_table->quantval, blk);
				for (int j = 0; j < 8; j++)
					memcpy(plane[ci] + (size_t)(by * 8 + j) * (size_t)stride[ci] +
					       (size_t)bx * 8, blk + 8 * j, 8);
			}
		}
	}
	img->width = (int)c.image_width;
	img->height = (int)c.image_height;
	img->rgb = malloc((size_t)img->width * (size_t)img->height * 3);
	assert_non_null(img->rgb);
	for (int y = 0; y < img->height; y++) {	/* getData: nearest sample, colorTransform */
		const uint8_t *line[3];
		double sx[3];

		for (int ci = 0; ci < 3; ci++) {
			double sy = (double)c.comp_info[ci].v_samp_factor / maxv;

			sx[ci] = (double)c.comp_info[ci].h_samp_factor / maxh;
			line[ci] = plane[ci] + (size_t)(int)(y * sy) * (size_t)stride[ci];
		}
		for (int x = 0; x < img->width; x++) {
			double Y = line[0][(int)(x * sx[0])], Cb = line[1][(int)(x * sx[1])];
			double Cr = line[2][(int)(x * sx[2])];
			uint8_t *o = img->rgb + ((size_t)y * (size_t)img->width + (size_t)x) * 3;

			o[0] = js_u8(Y + 1.402 * (Cr - 128));
			o[1] = js_u8(Y - 0.3441363 * (Cb - 128) - 0.71413636 * (Cr - 128));
			o[2] = js_u8(Y + 1.772 * (Cb - 128));
		}
	}
	for (int ci = 0; ci < 3; ci++)
		free(plane[ci]);
	jpeg_finish_decompress(&c);
	jpeg_destroy_decompress(&c);
	free(buf);
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

/* Decode photo n (exact: as jpeg-js, else with kf_image_load) and check the
 * faces of both detectors; w[0] collects SSD's, w[1] the tiny detector's. */
static void check_sample(int n, int exact, struct worst w_by[2])
{
	static const char *const detectors[2] = { "ssd", "tiny" };
	cJSON *doc = load_json(kf_test_path("%s/reference/sample%d.json", KF_TEST_DATA, n));
	const char *rgb_sha = cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "image"),
						  "decoded_rgb_sha256")->valuestring;
	const struct kf_face_nets nets = { lm_net, fr_net };
	struct kf_image img = { 0 };
	struct kf_err err = KF_ERR_INIT;
	struct kf_arena a = KF_ARENA_INIT;
	unsigned char md[SHA256_DIGEST_LENGTH];
	char hex[2 * SHA256_DIGEST_LENGTH + 1];

	if (exact)
		jsdecode(kf_test_path("%s/sample%d.jpg", KF_TEST_DEMO, n), &img);
	else if (kf_image_load(kf_test_path("%s/sample%d.jpg", KF_TEST_DEMO, n), 0, &img, NULL, &err) < 0)
		fail_msg("%s", err.msg);
	SHA256(img.rgb, (size_t)img.width * img.height * 3, md);
	for (int k = 0; k < SHA256_DIGEST_LENGTH; k++)
		snprintf(hex + 2 * k, 3, "%02x", md[k]);
	if (!exact)
		print_message("sample%d %dx%d: decoded RGB %s jpeg-js's\n", n, img.width,
			      img.height, strcmp(hex, rgb_sha) ? "differs from" : "equals");
	else
		assert_string_equal(hex, rgb_sha);
	for (int dt = 0; dt < 2; dt++) {
		const char *detector = detectors[dt];
		cJSON *faces = cJSON_GetObjectItem(cJSON_GetObjectItem(doc, detector), "full"), *face;
		struct worst *w = &w_by[dt];
		int i = 0;

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
			if (exact) {
				/* the reference RGB: face-api's numbers to float noise */
				w->crops_off += dl || da || dd;
				w->lm_px = fmax(w->lm_px, lm_err);
				w->dist = fmax(w->dist, dist);
				w->diff = fmax(w->diff, diff);
				w->faces++;
				assert_int_equal(dl, 0);
				assert_int_equal(da, 0);
				assert_int_equal(dd, 0);
				if (lm_err > 1e-3 || dist > 1e-5)
					fail_msg("sample%d face %d: landmarks %.3g px, descriptor distance %.3g",
						 n, i, lm_err, dist);
				i++;
				continue;
			}
			print_message("  %s face %d: landmark crop %d,%d %dx%d%s, descriptor crop %d,%d %dx%d%s; "
				      "landmarks %.3f px (%.3f%% of width), descriptor distance %.4f (max |diff| %.4f)\n",
				      detector, i, crops.landmark.x, crops.landmark.y, crops.landmark.width,
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
	}
	kf_arena_release(&a);
	kf_image_release(&img);
	cJSON_Delete(doc);
}

static void test_samples(void **state)
{
	struct worst w[2];
	(void)state;
	kf_test_slow();

	memset(w, 0, sizeof(w));
	for (int n = 1; n <= 6; n++)
		check_sample(n, 1, w);
	print_message("jpeg-js RGB (identical): %d faces, crops off %d, worst landmark error %.2g px, "
		      "worst descriptor distance %.2g (max |diff| %.2g)\n", w[0].faces + w[1].faces,
		      w[0].crops_off + w[1].crops_off, fmax(w[0].lm_px, w[1].lm_px),
		      fmax(w[0].dist, w[1].dist), fmax(w[0].diff, w[1].diff));
	assert_int_equal(w[0].faces, 22);
	assert_int_equal(w[1].faces, 20);

	/* our decoder */
	memset(w, 0, sizeof(w));
	for (int n = 1; n <= 6; n++)
		check_sample(n, 0, w);
	for (int d = 0; d < 2; d++)
		print_message("%s: %d faces, aligned crops off by one %d, worst landmark error %.3f px "
			      "(%.3f%% of box width), worst descriptor distance %.4f (max |diff| %.4f); "
			      "same crop %.4f, face-api's crop where ours is off %.4f\n",
			      d ? "tiny" : "ssd", w[d].faces, w[d].crops_off, w[d].lm_px,
			      100 * w[d].lm_err, w[d].dist, w[d].diff, w[d].dist_same_crop,
			      w[d].dist_ref_crop);
	assert_int_equal(w[0].faces, 22);
	assert_int_equal(w[1].faces, 20);
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
	assert_int_equal(kf_face_describe(&nets, &img, NULL, lm, desc, &a, &err), KF_E_INVALID);
	kf_err_clear(&err);
	/* a black image still gives landmarks and a descriptor (or an empty aligned box) */
	{
		int rc = kf_face_describe(&nets, &img, &inside, lm, desc, &a, &err);

		assert_true(rc == KF_OK || rc == KF_E_NOFACE);
	}
	free(img.rgb);
	kf_arena_release(&a);
}

/* A box that sticks out of the photo (the tiny detector's x = -4.04 on the dev
 * set's groups/bbt2.jpg, tests/data/reference/dev-padded): face-api crops from 0
 * but still shifts the landmarks by the box's own x (its quirk, which we keep).
 * On the jpeg-js decode, all six faces of that photo match face-api's. */
static void test_box_outside(void **state)
{
	kf_test_slow();	/* before anything is allocated */
	cJSON *doc = load_json(KF_TEST_DATA "/reference/dev-padded/groups__bbt2.jpg.json"), *face;
	const struct kf_face_nets nets = { lm_net, fr_net };
	struct kf_image img = { 0 };
	struct kf_err err = KF_ERR_INIT;
	struct kf_arena a = KF_ARENA_INIT;
	int outside = 0, n = 0;
	(void)state;

	jsdecode(KF_TEST_DATA "/datasets/dev/groups/bbt2.jpg", &img);
	assert_int_equal(img.width, (int)num(doc, "width"));
	for (int d = 0; d < 2; d++) {
		cJSON_ArrayForEach(face, cJSON_GetObjectItem(cJSON_GetObjectItem(doc, d ? "tiny" : "ssd"),
							      "faces")) {
			const cJSON *box = cJSON_GetObjectItem(face, "box"), *it;
			struct kf_box b = { (float)num(box, "x"), (float)num(box, "y"),
					    (float)num(box, "width"), (float)num(box, "height") };
			float lm[136], desc[128];
			double lm_err = 0, dist = 0;
			int k = 0;

			kf_arena_reset(&a);
			assert_int_equal(kf_face_describe(&nets, &img, &b, lm, desc, &a, &err), KF_OK);
			cJSON_ArrayForEach(it, cJSON_GetObjectItem(face, "landmarks")) {
				double dx = lm[2 * k] - cJSON_GetArrayItem(it, 0)->valuedouble;
				double dy = lm[2 * k + 1] - cJSON_GetArrayItem(it, 1)->valuedouble;

				lm_err = fmax(lm_err, sqrt(dx * dx + dy * dy));
				k++;
			}
			k = 0;
			cJSON_ArrayForEach(it, cJSON_GetObjectItem(face, "descriptor")) {
				double dd = desc[k++] - it->valuedouble;

				dist += dd * dd;
			}
			if (lm_err > 1e-3 || sqrt(dist) > 1e-5)
				fail_msg("bbt2 %s box %g,%g: landmarks %.3g px, descriptor distance %.3g",
					 d ? "tiny" : "ssd", (double)b.x, (double)b.y, lm_err, sqrt(dist));
			outside += b.x < 0;
			n++;
		}
	}
	assert_int_equal(n, 6);
	assert_int_equal(outside, 1);
	kf_arena_release(&a);
	kf_image_release(&img);
	cJSON_Delete(doc);
}

/* sample1's three SSD boxes (sample1.json ssd.full[i].detection.box) */
static const struct kf_box sample1_boxes[3] = {
	{ 413.9623832702637f, 355.3828067723607f, 177.6364517211914f, 238.37017160007326f },
	{ 838.1223678588867f, 420.82297585227275f, 186.9257354736328f, 227.4682402401026f },
	{ 1475.8135986328125f, 199.7556159503299f, 203.3008575439453f, 240.52681394336508f },
};

struct thread_job {
	const struct kf_image *img;
	float lm[3][136], desc[3][128];
	int rc;
};

static void *describe_all(void *arg)
{
	struct thread_job *j = arg;
	const struct kf_face_nets nets = { lm_net, fr_net };
	struct kf_arena a = KF_ARENA_INIT;
	struct kf_err err = KF_ERR_INIT;

	j->rc = KF_OK;
	for (int round = 0; round < 2 && j->rc == KF_OK; round++)
		for (int i = 0; i < 3 && j->rc == KF_OK; i++) {
			kf_arena_reset(&a);
			j->rc = kf_face_describe(&nets, j->img, &sample1_boxes[i], j->lm[i], j->desc[i],
						 &a, &err);
		}
	kf_arena_release(&a);
	return NULL;
}

/* The loaded nets are shared read-only: two threads, each with its own arena,
 * give the same bits as one (run under TSan with -DKF_SANITIZE=thread). */
static void test_threads(void **state)
{
	kf_test_slow();	/* before anything is allocated */
	struct kf_image img = { 0 };
	struct kf_err err = KF_ERR_INIT;
	struct thread_job *j = calloc(3, sizeof(*j));
	pthread_t t[2];
	(void)state;

	assert_non_null(j);
	if (kf_image_load(KF_TEST_DEMO "/sample1.jpg", 0, &img, NULL, &err) < 0)
		fail_msg("%s", err.msg);
	for (int k = 0; k < 3; k++)
		j[k].img = &img;
	describe_all(&j[0]);
	assert_int_equal(j[0].rc, KF_OK);
	for (int k = 0; k < 2; k++)
		assert_int_equal(pthread_create(&t[k], NULL, describe_all, &j[k + 1]), 0);
	for (int k = 0; k < 2; k++) {
		assert_int_equal(pthread_join(t[k], NULL), 0);
		assert_int_equal(j[k + 1].rc, KF_OK);
		assert_memory_equal(j[k + 1].lm, j[0].lm, sizeof(j[0].lm));
		assert_memory_equal(j[k + 1].desc, j[0].desc, sizeof(j[0].desc));
	}
	kf_image_release(&img);
	free(j);
}

/* KF_FACE_MIRROR (bench/accuracy's experiment, off by default): flags 0 is
 * kf_face_describe to the bit; with the flag the landmarks are the same and the
 * descriptor is the mean of the net on the descriptor crop and on that crop
 * mirrored, made here by hand. */
static void test_mirror(void **state)
{
	kf_test_slow();	/* before anything is allocated */
	const struct kf_face_nets nets = { lm_net, fr_net };
	struct kf_image img = { 0 };
	struct kf_err err = KF_ERR_INIT;
	struct kf_arena a = KF_ARENA_INIT;
	struct kf_face_crops c;
	float lm0[136], d0[128], lm1[136], d1[128], lm2[136], d2[128], flip[128], *in;
	(void)state;

	if (kf_image_load(KF_TEST_DEMO "/sample1.jpg", 0, &img, NULL, &err) < 0)
		fail_msg("%s", err.msg);
	for (int i = 0; i < 3; i++) {
		double dist = 0, worst = 0;

		kf_arena_reset(&a);
		assert_int_equal(kf_face_describe(&nets, &img, &sample1_boxes[i], lm0, d0, &a, &err), KF_OK);
		kf_arena_reset(&a);
		assert_int_equal(kf_face_describe_flags(&nets, &img, &sample1_boxes[i], 0, lm1, d1, &c,
							&a, &err), KF_OK);
		assert_memory_equal(lm1, lm0, sizeof(lm0));
		assert_memory_equal(d1, d0, sizeof(d0));
		kf_arena_reset(&a);
		assert_int_equal(kf_face_describe_flags(&nets, &img, &sample1_boxes[i], KF_FACE_MIRROR,
							lm2, d2, NULL, &a, &err), KF_OK);
		assert_memory_equal(lm2, lm0, sizeof(lm0));

		kf_arena_reset(&a);
		in = kf_arena_alloc_array(&a, 150 * 150 * 3, sizeof(float));
		assert_non_null(in);
		assert_int_equal(kf_image_to_net_input(&img, c.descriptor.x, c.descriptor.y,
						       c.descriptor.width, c.descriptor.height, 150, 1,
						       in, &err), KF_OK);
		for (int y = 0; y < 150; y++)
			for (int x = 0; x < 75; x++)
				for (int k = 0; k < 3; k++) {
					float *l = in + (y * 150 + x) * 3 + k, *r = in + (y * 150 + 149 - x) * 3 + k;
					float t = *l;

					*l = *r;
					*r = t;
				}
		assert_int_equal(kf_facerec_forward(fr_net, in, flip, &a, &err), KF_OK);
		for (int k = 0; k < 128; k++) {
			double want = ((double)d0[k] + flip[k]) / 2;

			worst = fmax(worst, fabs(want - d2[k]));
			dist += ((double)d2[k] - d0[k]) * ((double)d2[k] - d0[k]);
		}
		print_message("sample1 face %d: mirror-averaged descriptor %.4f from the plain one\n", i,
			      sqrt(dist));
		assert_true(worst < 1e-6);
		assert_true(sqrt(dist) > 1e-3 && sqrt(dist) < 0.3);	/* 0.14-0.21 */
	}
	kf_arena_release(&a);
	kf_image_release(&img);
}

/* kf_face_prepare + kf_face_recognise on sample1's three faces as one batch,
 * with and without KF_FACE_MIRROR: each face's landmarks and descriptor are
 * kf_face_describe_flags's to the bit. */
static void test_batch(void **state)
{
	kf_test_slow();	/* before anything is allocated */
	const struct kf_face_nets nets = { lm_net, fr_net };
	const size_t one = 150 * 150 * 3;
	struct kf_image img = { 0 };
	struct kf_err err = KF_ERR_INIT;
	struct kf_arena a = KF_ARENA_INIT;
	float lm[3][136], want_lm[136], want[128], desc[3 * 128];
	float *in = malloc(3 * one * sizeof(float));
	(void)state;

	assert_non_null(in);
	if (kf_image_load(KF_TEST_DEMO "/sample1.jpg", 0, &img, NULL, &err) < 0)
		fail_msg("%s", err.msg);
	for (unsigned flags = 0; flags <= KF_FACE_MIRROR; flags += KF_FACE_MIRROR) {
		for (int i = 0; i < 3; i++) {
			kf_arena_reset(&a);
			assert_int_equal(kf_face_prepare(&nets, &img, &sample1_boxes[i], lm[i],
							 in + i * one, NULL, &a, &err), KF_OK);
		}
		kf_arena_reset(&a);
		assert_int_equal(kf_face_recognise(&nets, in, 3, flags, desc, &a, &err), KF_OK);
		for (int i = 0; i < 3; i++) {
			kf_arena_reset(&a);
			assert_int_equal(kf_face_describe_flags(&nets, &img, &sample1_boxes[i], flags,
								want_lm, want, NULL, &a, &err), KF_OK);
			assert_memory_equal(lm[i], want_lm, sizeof(want_lm));
			assert_memory_equal(desc + i * 128, want, sizeof(want));
		}
	}
	assert_int_equal(kf_face_recognise(&nets, in, 0, 0, desc, &a, &err), KF_E_INVALID);
	free(in);
	kf_arena_release(&a);
	kf_image_release(&img);
}

/* Every allocation of a call (the arena growing) fails in turn: KF_E_NOMEM,
 * nothing leaks, and the next call with memory works. */
static void test_nomem(void **state)
{
	const struct kf_face_nets nets = { lm_net, fr_net };
	struct kf_image img = { 0 };
	struct kf_err err = KF_ERR_INIT;
	float lm[136], desc[128];
	long n;
	(void)state;

	if (kf_image_load(KF_TEST_DEMO "/sample1.jpg", 0, &img, NULL, &err) < 0)
		fail_msg("%s", err.msg);
	{
		struct kf_arena a = KF_ARENA_INIT;

		kf_alloc_fail_at(0);
		assert_int_equal(kf_face_describe(&nets, &img, &sample1_boxes[0], lm, desc, &a, &err), KF_OK);
		n = kf_alloc_fail_at(0);
		kf_arena_release(&a);
	}
	assert_true(n > 0);
	for (long k = 1; k <= n; k++) {
		struct kf_arena a = KF_ARENA_INIT;

		kf_err_clear(&err);
		kf_alloc_fail_at(k);
		assert_int_equal(kf_face_describe(&nets, &img, &sample1_boxes[0], lm, desc, &a, &err),
				 KF_E_NOMEM);
		kf_alloc_fail_at(0);
		assert_non_null(strstr(err.msg, "out of memory"));
		kf_arena_release(&a);
	}
	kf_image_release(&img);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clip),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_samples),
		cmocka_unit_test(test_box_outside),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_mirror),
		cmocka_unit_test(test_batch),
		cmocka_unit_test(test_nomem),
	};

	/* face-api parity is the float32 path's (u-precision checks int8) */
	kf_nn_set_precision(KF_PRECISION_FP32);
	return cmocka_run_group_tests(tests, setup, teardown);
}
