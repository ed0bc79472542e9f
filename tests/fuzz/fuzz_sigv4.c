/* fuzz_sigv4.c: the SigV4 signer on arbitrary request parts. The input is
 * "flags byte, path \n query \n header value" (missing parts are empty); the
 * query may come from a server (an S3 continuation token), the rest from our
 * own code. Whatever the bytes, the signer must return KF_OK or
 * KF_E_INVALID with a message that never holds the secret or the token (unless
 * the input itself holds them: its parts are quoted), never
 * crash, leak or read out of bounds; a canonical query must be canonical
 * (only unreserved bytes, '%XX', '=' and '&') and stable when fed back. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "data/sigv4.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* CHECK() that survives NDEBUG */
#define CHECK(x) do { if (!(x)) abort(); } while (0)

#define SECRET "FuzzSecretKey/0123+abc"
#define TOKEN "FuzzSessionToken"
/* the input holds s itself: a request part quotes it */
#define IN_INPUT(s) (memmem(data, size, (s), strlen(s)) != NULL)

static int canonical_chars(const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      strchr("-_.~%=&", c)))
			return 0;
	}
	return 1;
}

static void check_query(const char *q)
{
	struct kf_err err = KF_ERR_INIT;
	char *out = NULL, *again = NULL;

	if (kf_sigv4_canonical_query(q, &out, &err) != KF_OK) {
		CHECK(out == NULL && err.msg[0]);
		return;
	}
	CHECK(canonical_chars(out));
	CHECK(kf_sigv4_canonical_query(out, &again, &err) == KF_OK);
	CHECK(strcmp(out, again) == 0);
	kf_free(out);
	kf_free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a NUL-terminated copy, cut into three parts at the first two '\n' */
	char *buf = malloc(size + 1), *path, *query, *value, *nl;
	unsigned flags;

	if (!buf || size == 0) {
		free(buf);
		return 0;
	}
	memcpy(buf, data, size);
	buf[size] = '\0';
	flags = (unsigned char)buf[0];
	path = buf + 1;
	query = value = path + strlen(path);
	if ((nl = strchr(path, '\n'))) {
		*nl = '\0';
		query = value = nl + 1;
		if ((nl = strchr(query, '\n'))) {
			*nl = '\0';
			value = nl + 1;
		} else {
			value = query + strlen(query);
		}
	}
	check_query(query);
	{
		char *enc = NULL;
		struct kf_err err = KF_ERR_INIT;

		CHECK(kf_sigv4_encode(path, strlen(path), flags & 1u, &enc, &err) == KF_OK);
		CHECK(canonical_chars(enc) || (flags & 1u));
		kf_free(enc);
	}
	for (int presign = 0; presign < 2; presign++) {
		struct kf_sigv4_header h[] = { { "Host", "h.example" }, { "X-Fuzz", value } };
		struct kf_sigv4_request req = {
			.method = "GET", .path = path, .query = query, .headers = h,
			.n_headers = 2, .payload = (const uint8_t *)data, .payload_len = size,
		};
		struct kf_sigv4_creds cr = { "AKIDFUZZ", SECRET, (flags & 2u) ? TOKEN : NULL };
		struct kf_sigv4_params p = {
			.region = "auto", .service = "s3", .amz_date = "20260115T093000Z",
			.flags = (flags & (KF_SIGV4_NORMALIZE_PATH | KF_SIGV4_CONTENT_SHA256 |
					   KF_SIGV4_UNSIGNED_TOKEN | KF_SIGV4_DOUBLE_ENCODE)) |
				 (presign ? KF_SIGV4_PRESIGN : 0u),
			.expires = 60,
		};
		struct kf_sigv4_result res;
		struct kf_err err = KF_ERR_INIT;
		int rc = kf_sigv4_sign(&req, &cr, &p, &res, &err);

		if (rc == KF_OK) {
			CHECK(strlen(res.signature) == 64);
			CHECK(IN_INPUT(SECRET) || !strstr(res.canonical_request, SECRET));
			CHECK(presign ? res.query != NULL : res.authorization != NULL);
			if (presign)
				CHECK(canonical_chars(res.query));
		} else {
			CHECK(rc == KF_E_INVALID && err.msg[0]);
			CHECK(IN_INPUT(SECRET) || !strstr(err.msg, SECRET));
			CHECK(IN_INPUT(TOKEN) || !strstr(err.msg, TOKEN));
			CHECK(res.canonical_request == NULL && res.query == NULL);
		}
		kf_sigv4_result_release(&res);
	}
	free(buf);
	return 0;
}
