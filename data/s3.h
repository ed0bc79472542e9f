/* s3.h: a small client for S3-compatible storage (Cloudflare R2, AWS S3).
 *
 * What connected mode needs and nothing more: list a prefix (ListObjectsV2,
 * every page), HEAD an object, download an object to a file. Requests are
 * path-style (ENDPOINT/BUCKET/KEY) and signed with our own SigV4 signer
 * (sigv4.h, x-amz-content-sha256 included); the XML answers are read with
 * expat. ETags are given without their quotes.
 *
 * Settings come from the config (config.h): AWS_ENDPOINT_URL, AWS_REGION
 * ("auto" for R2), AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and, when no
 * bucket is given, KINGFACE_BUCKET. A missing one is a KF_E_AUTH error naming
 * the variable and how to set it. Secrets never reach a message: a refused
 * signature names AWS_SECRET_ACCESS_KEY, an unknown key AWS_ACCESS_KEY_ID.
 *
 * Network: connect timeout 10 s, a transfer slower than 1 KiB/s for 30 s is
 * abandoned. 5xx answers and network errors are retried, 4 attempts in all,
 * with exponential backoff (base $KINGFACE_S3_BACKOFF_MS, default 250 ms)
 * and +-20% jitter; 4xx answers never are. $KINGFACE_S3_PAGE_SIZE sets
 * max-keys of a listing (tests; default the server's 1000).
 *
 * Threads: one struct kf_s3 per thread (it owns one curl easy handle); the
 * parsers are pure and thread-safe. curl_global_init() must have run (main).
 */
#ifndef KF_S3_H
#define KF_S3_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "data/config.h"

/* an ETag without quotes ("9b2cf535f27731c974343645a3985328" or
 * "<32 hex>-<parts>") plus NUL; longer ETags are refused as malformed */
#define KF_S3_ETAG_SIZE 72
/* S3 keys are at most 1024 bytes */
#define KF_S3_MAX_KEY 1024
#define KF_S3_MAX_PAGE_BYTES ((size_t)16 << 20)	/* a listing page we accept */

struct kf_s3;

struct kf_s3_object {
	const char *key;		/* owned by whoever filled the struct */
	char etag[KF_S3_ETAG_SIZE];	/* unquoted; "" when the server sent none */
	int64_t size;			/* bytes */
	int64_t mtime_ms;		/* LastModified / Last-Modified, Unix ms; 0 unknown */
};

/* Split "s3://BUCKET/PREFIX" (PREFIX may be empty, "s3://BUCKET" too). On
 * success *bucket and *prefix are kf_malloc'd (caller kf_frees). KF_E_INVALID
 * for anything else (no scheme, empty or malformed bucket name). */
int kf_s3_parse_url(const char *url, char **bucket, char **prefix, struct kf_err *err);

/* A client for bucket (NULL: KINGFACE_BUCKET of cfg). cfg must outlive
 * nothing: the values are copied (and the secret wiped on close). On success
 * *out is owned by the caller (kf_s3_close); on error *out is NULL and the
 * message names the missing setting. No network I/O. */
int kf_s3_open(struct kf_s3 **out, const struct kf_config *cfg, const char *bucket,
	       struct kf_err *err);

/* Free the client, wiping the secret. NULL-safe. */
void kf_s3_close(struct kf_s3 *s3);

/* The bucket this client talks to (owned by s3). */
const char *kf_s3_bucket(const struct kf_s3 *s3);

/* Called once per object of a listing, in key order. o and o->key live until
 * the callback returns. Return KF_OK to go on, or a negative code (with err
 * filled) to stop the listing: kf_s3_list then returns that code. */
typedef int kf_s3_list_fn(const struct kf_s3_object *o, void *ctx, struct kf_err *err);

/* Every object under prefix (NULL or "": the whole bucket), all pages,
 * following continuation tokens. Errors: KF_E_NOTFOUND (no such bucket),
 * KF_E_AUTH, KF_E_NET, KF_E_FORMAT (a page that is not a listing). */
int kf_s3_list(struct kf_s3 *s3, const char *prefix, kf_s3_list_fn *fn, void *ctx,
	       struct kf_err *err);

/* GET key into the file dest: written to a temporary file in dest's folder,
 * fsync'd and renamed over dest, so dest is never half-written. *out (may be
 * NULL) gets the ETag, size and time the server sent (out->key = key).
 * KF_E_NOTFOUND when there is no such object, KF_E_IO for the file. */
int kf_s3_get_file(struct kf_s3 *s3, const char *key, const char *dest,
		   struct kf_s3_object *out, struct kf_err *err);

/* -- the XML parsers, pure (also for the unit tests and the fuzzer) -- */

/* One page of a ListObjectsV2 answer. */
struct kf_s3_page {
	struct kf_s3_object *objects;	/* keys kf_malloc'd, owned by the page */
	size_t n;
	int truncated;			/* IsTruncated: more pages follow */
	char *next_token;		/* NextContinuationToken, or NULL */
};

/* Parse a ListObjectsV2 answer. On success *page is owned by the caller
 * (kf_s3_page_release). KF_E_FORMAT for bytes that are not such a listing (an
 * object without a key, a bad size or ETag, a truncated page without a
 * token), KF_E_NOMEM. On error *page is empty. */
int kf_s3_parse_list(const char *xml, size_t len, struct kf_s3_page *page,
		     struct kf_err *err);

void kf_s3_page_release(struct kf_s3_page *page);

/* The Code and Message of an S3 <Error> body into code and msg (truncated,
 * control characters replaced). Returns KF_OK, or KF_E_FORMAT (both left
 * "") when the bytes are not such an error. */
int kf_s3_parse_error(const char *xml, size_t len, char *code, size_t ncode, char *msg,
		      size_t nmsg);

/* "2009-10-12T17:50:30.000Z" (ISO 8601, UTC) as Unix ms. -1 when malformed. */
int64_t kf_s3_parse_time(const char *s);

/* An ETag as sent ("\"abc\"", W/"abc" or abc) unquoted into out. KF_E_FORMAT
 * when empty, too long, or holding anything but [0-9A-Za-z-]. */
int kf_s3_etag_unquote(const char *in, size_t len, char out[KF_S3_ETAG_SIZE]);

#endif
