/* fuzz_s3_list.c: the S3 XML parsers (s3.h) on arbitrary bytes, as a hostile or
 * broken server could send them: a ListObjectsV2 page and an <Error> body.
 * Whatever the bytes, the parsers must return KF_OK, KF_E_FORMAT or
 * KF_E_NOMEM, never crash, leak or read out of bounds; a page that parses
 * holds keys of 1 to KF_S3_MAX_KEY bytes, ETags of [0-9A-Za-z-] only,
 * sizes >= 0, and a token whenever it says it is truncated. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "data/s3.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* CHECK() that survives NDEBUG */
#define CHECK(x) do { if (!(x)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_s3_page pg;
	char code[64], msg[128];
	int rc = kf_s3_parse_list((const char *)data, size, &pg, &err);

	CHECK(rc == KF_OK || rc == KF_E_FORMAT || rc == KF_E_NOMEM);
	if (rc == KF_OK) {
		CHECK(!pg.truncated || (pg.next_token && pg.next_token[0]));
		for (size_t i = 0; i < pg.n; i++) {
			const struct kf_s3_object *o = &pg.objects[i];
			size_t n = strlen(o->key);

			CHECK(n >= 1 && n <= KF_S3_MAX_KEY);
			CHECK(o->size >= 0 && o->mtime_ms >= 0);
			CHECK(strspn(o->etag, "0123456789abcdefghijklmnopqrstuvwxyz"
				     "ABCDEFGHIJKLMNOPQRSTUVWXYZ-") == strlen(o->etag));
		}
	} else {
		CHECK(err.msg[0] && pg.n == 0 && !pg.objects && !pg.next_token);
	}
	kf_s3_page_release(&pg);
	rc = kf_s3_parse_error((const char *)data, size, code, sizeof(code), msg, sizeof(msg));
	CHECK(rc == KF_OK || rc == KF_E_FORMAT || rc == KF_E_NOMEM);
	CHECK(rc != KF_OK || code[0]);
	for (const char *p = msg; *p; p++)
		CHECK((unsigned char)*p >= 0x20 && *p != 0x7f);
	return 0;
}
