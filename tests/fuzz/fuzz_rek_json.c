/* fuzz_rek_json.c: the Rekognition response parsers (data/rekognition.h) on
 * arbitrary bytes: they read what a server sends. The first byte picks the
 * parser (DetectFaces, IndexFaces, SearchFacesByImage, DeleteFaces, an error
 * body), the rest is the body. Whatever the bytes, a parser must return KF_OK
 * or a negative code with a message and a zeroed result, never crash, leak or
 * read past the buffer (it gets an exact-size copy, not NUL-terminated); a
 * parsed result must hold finite numbers and terminated strings that fit. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "data/rekognition.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* CHECK() that survives NDEBUG */
#define CHECK(x) do { if (!(x)) abort(); } while (0)

static void check_box(const struct kf_rek_box *b)
{
	CHECK(isfinite(b->width) && isfinite(b->height) && isfinite(b->left) &&
	      isfinite(b->top));
}

static void check_str(const char *s, size_t size)
{
	CHECK(memchr(s, '\0', size) != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kf_err err = KF_ERR_INIT;
	char *buf;
	size_t len;
	int rc = KF_OK;

	if (size == 0)
		return 0;
	len = size - 1;
	if (!(buf = malloc(len ? len : 1)))
		return 0;
	memcpy(buf, data + 1, len);
	switch (data[0] % 5) {
	case 0: {
		struct kf_rek_detect_result r;

		rc = kf_rek_parse_detect(buf, len, &r, &err);
		CHECK(rc == KF_OK || (r.n == 0 && r.faces == NULL));
		for (size_t i = 0; i < r.n; i++) {
			check_box(&r.faces[i].box);
			CHECK(isfinite(r.faces[i].confidence));
		}
		kf_rek_detect_release(&r);
		break;
	}
	case 1: {
		struct kf_rek_index_result r;

		rc = kf_rek_parse_index(buf, len, &r, &err);
		CHECK(rc == KF_OK || (r.n == 0 && r.faces == NULL && r.n_unindexed == 0));
		for (size_t i = 0; i < r.n; i++) {
			check_box(&r.faces[i].box);
			check_str(r.faces[i].face_id, sizeof(r.faces[i].face_id));
			check_str(r.faces[i].external_id, sizeof(r.faces[i].external_id));
			CHECK(r.faces[i].face_id[0]);
		}
		kf_rek_index_release(&r);
		break;
	}
	case 2: {
		struct kf_rek_search_result r;

		rc = kf_rek_parse_search(buf, len, &r, &err);
		CHECK(rc == KF_OK || (r.n == 0 && r.matches == NULL));
		if (rc == KF_OK)
			check_box(&r.searched_box);
		for (size_t i = 0; i < r.n; i++) {
			CHECK(isfinite(r.matches[i].similarity));
			check_str(r.matches[i].face_id, sizeof(r.matches[i].face_id));
			check_str(r.matches[i].external_id, sizeof(r.matches[i].external_id));
		}
		kf_rek_search_release(&r);
		break;
	}
	case 3: {
		size_t n = 99;

		rc = kf_rek_parse_delete_faces(buf, len, &n, &err);
		CHECK(rc == KF_OK || n == 0);
		break;
	}
	default: {
		char type[16], msg[32];

		kf_rek_parse_error(buf, len, len & 1 ? "HeaderType:x" : NULL, type, sizeof(type),
				   msg, sizeof(msg));
		check_str(type, sizeof(type));
		check_str(msg, sizeof(msg));
		CHECK(strchr(type, '#') == NULL && strchr(type, ':') == NULL);
		for (const char *p = msg; *p; p++)
			CHECK((unsigned char)*p >= 0x20);
		break;
	}
	}
	CHECK(rc == KF_OK || (rc < 0 && err.msg[0]));
	free(buf);
	return 0;
}
