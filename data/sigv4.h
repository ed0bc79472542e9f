/* sigv4.h: AWS Signature Version 4 (AWS4-HMAC-SHA256), as a pure function.
 *
 * Signs one HTTP request for S3-compatible storage (Cloudflare R2) and AWS
 * services (Rekognition): no I/O, no clock, no global state. The caller gives
 * the request, the credentials, region, service and the time; the signer gives
 * back every intermediate string (canonical request, string to sign), the
 * signature and what to put on the wire: the `Authorization` header value or,
 * for a presigned URL, the whole query string.
 *
 * Canonicalisation follows the SigV4 specification and AWS's test suite
 * (tests/data/sigv4-test-suite, all 38 cases, header and query):
 *   method       as given (must be a non-empty token)
 *   URI          the path, given *unencoded* (the bytes of an S3 key), each
 *                segment percent-encoded once (twice with
 *                KF_SIGV4_DOUBLE_ENCODE), '/' kept. With
 *                KF_SIGV4_NORMALIZE_PATH, "." and ".." segments are resolved and
 *                empty segments ("//") dropped first (not for S3).
 *   query        name/value pairs percent-decoded, then encoded with the RFC 3986
 *                unreserved set (A-Z a-z 0-9 - _ . ~), sorted by encoded name,
 *                then encoded value. '+' is a literal plus (%2B), never a space.
 *   headers      names lowercased, values trimmed and every run of spaces, tabs
 *                and line breaks (folded multi-line values) made one space;
 *                repeated headers joined with ',' in request order; sorted by
 *                name. Every header given is signed.
 *   payload      lowercase hex SHA-256 of the body, a precomputed hash, or
 *                UNSIGNED-PAYLOAD.
 *
 * Header signing adds (and signs) `x-amz-date`, `x-amz-security-token` when
 * there is a session token, and `x-amz-content-sha256` with
 * KF_SIGV4_CONTENT_SHA256 (S3 needs it). The caller must send these headers
 * with exactly the values in struct kf_sigv4_result, plus `Authorization`.
 *
 * Secrets: the secret key and the session token never appear in an error
 * message; the secret key never appears in any output (only the signature
 * derived from it). The derived key is wiped from memory after use.
 *
 * Example (S3 GET object):
 *
 *	struct kf_sigv4_header h[] = { { "Host", "bucket.acc.r2.cloudflarestorage.com" } };
 *	struct kf_sigv4_request req = { .method = "GET", .path = "/galleries/a b.jpg",
 *		.headers = h, .n_headers = 1, .payload_hash = KF_SIGV4_UNSIGNED_PAYLOAD };
 *	struct kf_sigv4_creds cr = { .access_key_id = id, .secret_access_key = secret };
 *	struct kf_sigv4_params p = { .region = "auto", .service = "s3",
 *		.amz_date = "20260101T000000Z", .flags = KF_SIGV4_CONTENT_SHA256 };
 *	struct kf_sigv4_result res;
 *	if (kf_sigv4_sign(&req, &cr, &p, &res, &err) == KF_OK) {
 *		... send x-amz-date: res.amz_date, x-amz-content-sha256: res.payload_hash,
 *		    Authorization: res.authorization ...
 *		kf_sigv4_result_release(&res);
 *	}
 *
 * Thread-safe: no shared state (OpenSSL 3 EVP calls only).
 */
#ifndef KF_SIGV4_H
#define KF_SIGV4_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/err.h"

#define KF_SIGV4_ALGORITHM "AWS4-HMAC-SHA256"
#define KF_SIGV4_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"
/* "YYYYMMDDTHHMMSSZ" plus NUL */
#define KF_SIGV4_DATE_SIZE 17
/* 64 lowercase hex digits plus NUL */
#define KF_SIGV4_HEX_SIZE 65
/* presigned URL lifetime bounds, seconds (AWS: at most 7 days) */
#define KF_SIGV4_MAX_EXPIRES 604800L
/* inputs longer than this (path, query, one header value, all headers) are
 * refused with KF_E_INVALID, so a bug upstream cannot make us allocate wildly */
#define KF_SIGV4_MAX_INPUT (1u << 20)
#define KF_SIGV4_MAX_HEADERS 256

/* One request header as it will be sent. Names are matched case-insensitively;
 * a value may hold folded lines ("a\r\n  b"). */
struct kf_sigv4_header {
	const char *name;
	const char *value;
};

/* The request to sign. Nothing here is kept after the call.
 * - path: the unencoded path, starting with '/' (empty or NULL means "/").
 * - query: the query string as given, without or with a leading '?', or NULL;
 *   percent escapes in it are decoded before canonical encoding, so an already
 *   canonical query passes through unchanged.
 * - headers: must include Host. Must not include the headers the signer adds
 *   (x-amz-date, authorization, x-amz-security-token when a token is given,
 *   x-amz-content-sha256 with KF_SIGV4_CONTENT_SHA256, X-Amz-* query names).
 * - payload: payload_hash if non-NULL (64 lowercase hex digits, or
 *   KF_SIGV4_UNSIGNED_PAYLOAD), else the SHA-256 of payload[0..payload_len)
 *   (payload may be NULL when payload_len is 0). */
struct kf_sigv4_request {
	const char *method;
	const char *path;
	const char *query;
	const struct kf_sigv4_header *headers;
	size_t n_headers;
	const uint8_t *payload;
	size_t payload_len;
	const char *payload_hash;
};

/* session_token may be NULL (long-term keys). */
struct kf_sigv4_creds {
	const char *access_key_id;
	const char *secret_access_key;
	const char *session_token;
};

enum kf_sigv4_flags {
	/* resolve "."/".." and drop empty segments in the path (not for S3) */
	KF_SIGV4_NORMALIZE_PATH = 1 << 0,
	/* header signing: add and sign x-amz-content-sha256 (S3, R2) */
	KF_SIGV4_CONTENT_SHA256 = 1 << 1,
	/* presign: put the signature in the query string (X-Amz-*) instead of an
	 * Authorization header; params.expires is the lifetime */
	KF_SIGV4_PRESIGN = 1 << 2,
	/* leave the session token out of the signature (some services, e.g. IoT,
	 * want it so): header signing does not add x-amz-security-token, the
	 * caller sends it unsigned; presigning appends X-Amz-Security-Token after
	 * X-Amz-Signature. Without this flag the token is signed (the default). */
	KF_SIGV4_UNSIGNED_TOKEN = 1 << 3,
	/* encode each path segment twice ("a b" -> "a%2520b"), as AWS services
	 * other than S3 want for paths that need escaping (the wire path is
	 * encoded once, the canonical URI encodes it again); not for S3 */
	KF_SIGV4_DOUBLE_ENCODE = 1 << 4,
};

struct kf_sigv4_params {
	const char *region;	/* "us-east-1", "auto" for R2 */
	const char *service;	/* "s3", "rekognition" */
	const char *amz_date;	/* UTC "YYYYMMDDTHHMMSSZ" (kf_sigv4_format_date) */
	unsigned flags;		/* enum kf_sigv4_flags */
	long expires;		/* KF_SIGV4_PRESIGN: 1..KF_SIGV4_MAX_EXPIRES seconds */
};

/* What kf_sigv4_sign() produces. The char * members are kf_malloc'd, owned by
 * the struct, and freed by kf_sigv4_result_release(). */
struct kf_sigv4_result {
	char *canonical_request;
	char *string_to_sign;
	char signature[KF_SIGV4_HEX_SIZE];	/* lowercase hex */
	/* header signing: the Authorization header value
	 * ("AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...");
	 * NULL when presigning */
	char *authorization;
	/* presigning: the complete query string to send after '?' (the request's
	 * own parameters, canonically encoded, X-Amz-* and X-Amz-Signature);
	 * NULL for header signing */
	char *query;
	/* value of x-amz-date to send (header signing) */
	char amz_date[KF_SIGV4_DATE_SIZE];
	/* the payload hash used; the value of x-amz-content-sha256 */
	char payload_hash[KF_SIGV4_HEX_SIZE];
	/* "host;x-amz-date;..." */
	char *signed_headers;
};

/* Sign a request. On success fills *out (release with kf_sigv4_result_release).
 * On error returns KF_E_INVALID (bad or missing input: the message names the
 * field, never a secret or a header value) or KF_E_NOMEM, and leaves *out zeroed
 * (kf_sigv4_result_release on it is harmless). Thread-safe. */
int kf_sigv4_sign(const struct kf_sigv4_request *req, const struct kf_sigv4_creds *creds,
		  const struct kf_sigv4_params *params, struct kf_sigv4_result *out,
		  struct kf_err *err);

/* Free the strings of a result and zero it. NULL and zeroed results are fine. */
void kf_sigv4_result_release(struct kf_sigv4_result *res);

enum kf_sigv4_encode_flags {
	/* keep '/' as is (paths); without it '/' becomes %2F (query names/values) */
	KF_SIGV4_KEEP_SLASH = 1 << 0,
};

/* Percent-encode s[0..len) for SigV4: bytes of the RFC 3986 unreserved set
 * (A-Z a-z 0-9 - _ . ~) stay, '/' stays with KF_SIGV4_KEEP_SLASH, everything
 * else (UTF-8 bytes, '%', '+', space, '=') becomes %XX with uppercase hex.
 * On success *out is a kf_malloc'd NUL-terminated string the caller frees
 * (kf_free). On error returns KF_E_INVALID (len over KF_SIGV4_MAX_INPUT) or
 * KF_E_NOMEM and sets *out to NULL. Thread-safe. */
int kf_sigv4_encode(const char *s, size_t len, unsigned flags, char **out,
		    struct kf_err *err);

/* A query parameter, unencoded (the bytes the server will see after decoding).
 * value NULL is the same as "". */
struct kf_sigv4_param {
	const char *name;
	const char *value;
};

/* The canonical query string of n parameters: each name and value encoded
 * (kf_sigv4_encode, '/' as %2F), "name=value" joined by '&', sorted by encoded
 * name then encoded value. n == 0 gives "". The S3 client builds
 * ListObjectsV2 queries with it ({"continuation-token", token} needs no
 * escaping by the caller) and sends the result as is. *out as kf_sigv4_encode. */
int kf_sigv4_canonical_params(const struct kf_sigv4_param *params, size_t n,
			      char **out, struct kf_err *err);

/* The canonical query string of a query as given ("?b=2&a=1", "a=1&b", "" or
 * NULL): split on '&' then on the first '=', empty parts skipped, each name
 * and value percent-decoded ('%' not followed by two hex digits stays a
 * literal '%'; '+' stays '+') and then canonicalised as
 * kf_sigv4_canonical_params. "?max-keys=2&list-type=2" gives
 * "list-type=2&max-keys=2", "prefix=galleries/" gives "prefix=galleries%2F".
 * *out as kf_sigv4_encode. */
int kf_sigv4_canonical_query(const char *query, char **out, struct kf_err *err);

/* Format t as the UTC "YYYYMMDDTHHMMSSZ" SigV4 wants. Returns KF_E_INVALID if t
 * is not representable in four digits of year. Thread-safe (gmtime_r). */
int kf_sigv4_format_date(time_t t, char out[KF_SIGV4_DATE_SIZE], struct kf_err *err);

#endif
