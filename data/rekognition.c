/* rekognition.c: the Amazon Rekognition client (rekognition.h).
 *
 * Design:
 * - One call = build the JSON body (cJSON), then up to max_attempts times:
 *   sign it now (SigV4 date = the attempt's time), POST it with the struct's
 *   curl handle, classify the answer. 2xx hands the body to the action's
 *   parser; a retryable answer sleeps the backoff and goes again; anything
 *   else becomes the error. The image's base64 is referenced by the cJSON
 *   tree, not copied (cJSON_CreateStringReference): it is the large part.
 * - The answer body is collected up to KF_REK_MAX_RESPONSE (data/http.h);
 *   the x-amzn-ErrorType header is kept for error answers whose body says
 *   nothing.
 * - Messages: "rekognition <Action>: ..." with AWS's exception name and
 *   reason. For credential errors the variable to fix comes first, so a
 *   truncated message still names it. A reason that happens to contain the
 *   secret or the token is withheld (AWS never sends one; a proxy might).
 */
#include "data/rekognition.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "core/alloc.h"
#include "core/image.h"
#include "core/image_encode.h"
#include "data/config.h"
#include "data/http.h"
#include "data/sigv4.h"

#define TARGET_PREFIX "RekognitionService."
#define CONTENT_TYPE "application/x-amz-json-1.1"
#define CONNECT_TIMEOUT_MS 10000L
#define DEFAULT_TIMEOUT_MS 60000L
#define MAX_ATTEMPTS_LIMIT 20
#define TYPE_SIZE 128
#define REASON_SIZE 200
#define COLLECTION_PREFIX "kingface-"

/* ---- settings ------------------------------------------------------------- */

static int dup_setting(const struct kf_config *cfg, const char *key, int required, int code,
		       char **out, struct kf_err *err)
{
	const char *v = kf_config_get(cfg, key);

	*out = NULL;
	if (!v || !*v)
		return required ? kf_err_set(err, code, "rekognition: %s is not set (environment "
					     "or config file)", key) : KF_OK;
	if (!(*out = kf_strdup(v)))
		return kf_err_set(err, KF_E_NOMEM, "out of memory reading %s", key);
	return KF_OK;
}

static int long_setting(const struct kf_config *cfg, const char *key, long lo, long hi,
			long *out, struct kf_err *err)
{
	const char *v = kf_config_get(cfg, key);
	char *end;
	long n;

	if (!v || !*v)
		return KF_OK;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || *end || end == v || n < lo || n > hi)
		return kf_err_set(err, KF_E_INVALID, "rekognition: %s must be a number in %ld..%ld",
				  key, lo, hi);
	*out = n;
	return KF_OK;
}

/* Split "http[s]://authority[/]" into the endpoint without '/' and the Host
 * header value. */
static int parse_endpoint(struct kf_rek *rek, const char *url, struct kf_err *err)
{
	const char *auth, *end;
	size_t n;

	if (!strncmp(url, "https://", 8))
		auth = url + 8;
	else if (!strncmp(url, "http://", 7))
		auth = url + 7;
	else
		return kf_err_set(err, KF_E_INVALID, "rekognition: KINGFACE_REKOGNITION_ENDPOINT "
				  "must start with https:// or http://");
	end = auth + strcspn(auth, "/?#");
	n = (size_t)(end - auth);
	if (n == 0 || memchr(auth, '@', n) || (*end && strcmp(end, "/")))
		return kf_err_set(err, KF_E_INVALID, "rekognition: KINGFACE_REKOGNITION_ENDPOINT "
				  "must be scheme://host[:port] with no path");
	for (size_t i = 0; i < n; i++)
		if (!isgraph((unsigned char)auth[i]))
			return kf_err_set(err, KF_E_INVALID, "rekognition: bad character in "
					  "KINGFACE_REKOGNITION_ENDPOINT");
	rek->endpoint = kf_malloc((size_t)(end - url) + 1);
	rek->host = kf_malloc(n + 1);
	if (!rek->endpoint || !rek->host)
		return kf_err_set(err, KF_E_NOMEM, "out of memory reading the endpoint");
	memcpy(rek->endpoint, url, (size_t)(end - url));
	rek->endpoint[end - url] = '\0';
	memcpy(rek->host, auth, n);
	rek->host[n] = '\0';
	return KF_OK;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud);
static size_t on_header(char *p, size_t size, size_t n, void *ud);

int kf_rek_open(struct kf_rek *rek, const struct kf_config *cfg, struct kf_err *err)
{
	char *endpoint = NULL;
	long attempts = KF_REK_DEFAULT_ATTEMPTS;
	int rc;
	CURL *c;

	memset(rek, 0, sizeof(*rek));
	rek->backoff_ms = KF_REK_DEFAULT_BACKOFF_MS;
	rek->timeout_ms = DEFAULT_TIMEOUT_MS;
	if ((rc = dup_setting(cfg, "AWS_ACCESS_KEY_ID", 1, KF_E_AUTH, &rek->key_id, err)) < 0 ||
	    (rc = dup_setting(cfg, "AWS_SECRET_ACCESS_KEY", 1, KF_E_AUTH, &rek->secret, err)) < 0 ||
	    (rc = dup_setting(cfg, "AWS_SESSION_TOKEN", 0, KF_E_AUTH, &rek->token, err)) < 0 ||
	    (rc = dup_setting(cfg, "AWS_REGION", 1, KF_E_INVALID, &rek->region, err)) < 0 ||
	    (rc = dup_setting(cfg, "KINGFACE_REKOGNITION_ENDPOINT", 0, KF_E_INVALID, &endpoint,
			      err)) < 0 ||
	    (rc = long_setting(cfg, "KINGFACE_REK_BACKOFF_MS", 0, KF_REK_MAX_BACKOFF_MS,
			       &rek->backoff_ms, err)) < 0 ||
	    (rc = long_setting(cfg, "KINGFACE_REK_MAX_ATTEMPTS", 1, MAX_ATTEMPTS_LIMIT, &attempts,
			       err)) < 0 ||
	    (rc = long_setting(cfg, "KINGFACE_REK_TIMEOUT_MS", 100, 3600000L, &rek->timeout_ms,
			       err)) < 0)
		goto out;
	rek->max_attempts = (int)attempts;
	for (const char *p = rek->region; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-') {
			rc = kf_err_set(err, KF_E_INVALID, "rekognition: AWS_REGION '%.64s' is not "
					"a region name (like us-east-1)", rek->region);
			goto out;
		}
	if (!endpoint) {
		size_t n = strlen(rek->region) + 48;

		if (!(endpoint = kf_malloc(n))) {
			rc = kf_err_set(err, KF_E_NOMEM, "out of memory");
			goto out;
		}
		snprintf(endpoint, n, "https://rekognition.%s.amazonaws.com", rek->region);
	}
	if ((rc = parse_endpoint(rek, endpoint, err)) < 0)
		goto out;
	if (!(c = curl_easy_init())) {
		rc = kf_err_set(err, KF_E_NOMEM, "rekognition: cannot make a curl handle");
		goto out;
	}
	rek->curl = c;
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, rek->timeout_ms);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	rek->rng = (uint64_t)time(NULL) ^ ((uint64_t)(uintptr_t)rek << 16) ^
		   ((uint64_t)getpid() << 40) ^ 0x9e3779b97f4a7c15ULL;
	rc = KF_OK;
out:
	kf_free(endpoint);
	if (rc < 0)
		kf_rek_close(rek);
	return rc;
}

static void wipe_free(char *s)
{
	if (s) {
		OPENSSL_cleanse(s, strlen(s));
		kf_free(s);
	}
}

void kf_rek_close(struct kf_rek *rek)
{
	if (!rek)
		return;
	if (rek->curl)
		curl_easy_cleanup(rek->curl);
	kf_free(rek->endpoint);
	kf_free(rek->host);
	kf_free(rek->region);
	kf_free(rek->key_id);
	wipe_free(rek->secret);
	wipe_free(rek->token);
	memset(rek, 0, sizeof(*rek));
}

static int valid_id(const char *s, size_t max, const char *extra)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (!isalnum((unsigned char)s[n]) && !strchr(extra, s[n]))
			return 0;
	return n >= 1 && n <= max;
}

int kf_rek_collection_id(const char *gallery_id, char out[KF_REK_COLLECTION_SIZE],
			 struct kf_err *err)
{
	out[0] = '\0';
	if (!gallery_id ||
	    !valid_id(gallery_id, KF_REK_COLLECTION_SIZE - 1 - strlen(COLLECTION_PREFIX), "_.-"))
		return kf_err_set(err, KF_E_INVALID, "gallery id '%.64s' cannot name a Rekognition "
				  "collection ([A-Za-z0-9_.-], at most %zu)",
				  gallery_id ? gallery_id : "",
				  KF_REK_COLLECTION_SIZE - 1 - strlen(COLLECTION_PREFIX));
	snprintf(out, KF_REK_COLLECTION_SIZE, COLLECTION_PREFIX "%s", gallery_id);
	return KF_OK;
}

/* ---- HTTP ----------------------------------------------------------------- */

struct answer {
	struct kf_http_body body;
	char type[TYPE_SIZE];	/* x-amzn-ErrorType, up to ':' */
};

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	return kf_http_body_write(p, size, n, &((struct answer *)ud)->body);
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	struct answer *a = ud;
	size_t len = size * n, k = sizeof("x-amzn-ErrorType:") - 1, i = 0;

	if (len > k && !strncasecmp(p, "x-amzn-ErrorType:", k)) {
		p += k;
		len -= k;
		while (len && (*p == ' ' || *p == '\t')) {
			p++;
			len--;
		}
		while (i < len && i + 1 < sizeof(a->type) && p[i] != ':' && p[i] != '\r' &&
		       p[i] != '\n')
			i++;
		memcpy(a->type, p, i);
		a->type[i] = '\0';
	}
	return size * n;
}

static int retryable_type(const char *t)
{
	static const char *const names[] = {
		"ThrottlingException", "ProvisionedThroughputExceededException",
		"InternalServerError", "ServiceUnavailable", "ServiceUnavailableException",
		"RequestTimeout", "RequestTimeoutException", "TooManyRequestsException",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(t, names[i]))
			return 1;
	return 0;
}

/* The error of a non-2xx answer. */
static int answer_error(const struct kf_rek *rek, const char *action, long status,
			const struct answer *a, struct kf_err *err)
{
	char type[TYPE_SIZE], reason[REASON_SIZE];

	kf_rek_parse_error(a->body.data, a->body.len, a->type[0] ? a->type : NULL, type,
			   sizeof(type), reason, sizeof(reason));
	if ((rek->secret && *rek->secret && strstr(reason, rek->secret)) ||
	    (rek->token && *rek->token && strstr(reason, rek->token)))
		snprintf(reason, sizeof(reason), "(reason withheld: it quotes a credential)");
	if (!type[0])
		snprintf(type, sizeof(type), "HTTP %ld", status);
#define FAIL(code, ...) kf_err_set(err, code, "rekognition %s: " __VA_ARGS__)
	if (!strcmp(type, "UnrecognizedClientException") || !strcmp(type, "InvalidClientTokenId"))
		return FAIL(KF_E_AUTH, "AWS does not know the access key: check AWS_ACCESS_KEY_ID "
			    "(%s: %s)", action, type, reason);
	if (!strcmp(type, "InvalidSignatureException") || !strcmp(type, "SignatureDoesNotMatch")) {
		if (strstr(reason, "expired") || strstr(reason, "Date in Credential"))
			return FAIL(KF_E_AUTH, "the signature is out of date: check the system "
				    "clock (%s: %s)", action, type, reason);
		if (strstr(reason, "scoped"))
			return FAIL(KF_E_AUTH, "the signature is for the wrong region: check "
				    "AWS_REGION (%s: %s)", action, type, reason);
		return FAIL(KF_E_AUTH, "AWS refused the signature: check AWS_SECRET_ACCESS_KEY "
			    "(%s: %s)", action, type, reason);
	}
	if (!strcmp(type, "ExpiredTokenException"))
		return FAIL(KF_E_AUTH, "the session token has expired: renew AWS_SESSION_TOKEN "
			    "(%s: %s)", action, type, reason);
	if (!strcmp(type, "AccessDeniedException") ||
	    !strcmp(type, "MissingAuthenticationTokenException") ||
	    !strcmp(type, "IncompleteSignatureException"))
		return FAIL(KF_E_AUTH, "access denied: check the permissions of AWS_ACCESS_KEY_ID "
			    "(%s: %s)", action, type, reason);
	if (!strcmp(type, "InvalidImageFormatException"))
		return FAIL(KF_E_FORMAT, "%s: %s", action, type, reason);
	if (!strcmp(type, "ImageTooLargeException"))
		return FAIL(KF_E_UNSUPPORTED, "%s: %s", action, type, reason);
	if (!strcmp(type, "InvalidParameterException"))
		return FAIL(!strcmp(action, "SearchFacesByImage") ? KF_E_NOFACE : KF_E_INVALID,
			    "%s: %s", action, type, reason);
	if (!strcmp(type, "ValidationException") || !strcmp(type, "SerializationException"))
		return FAIL(KF_E_INVALID, "%s: %s", action, type, reason);
	if (!strcmp(type, "ResourceNotFoundException"))
		return FAIL(KF_E_NOTFOUND, "%s: %s", action, type, reason);
	if (!strcmp(type, "ResourceAlreadyExistsException"))
		return FAIL(KF_E_EXISTS, "%s: %s", action, type, reason);
	return FAIL(KF_E_NET, "%s%s%s", action, type, reason[0] ? ": " : "", reason);
#undef FAIL
}

/* Sleep before attempt (2, 3, ...), with the handle's own jitter. */
static void backoff(struct kf_rek *rek, int attempt)
{
	double u;

	/* xorshift64*: per handle, no global state */
	rek->rng ^= rek->rng >> 12;
	rek->rng ^= rek->rng << 25;
	rek->rng ^= rek->rng >> 27;
	u = (double)((rek->rng * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
	kf_http_sleep_ms(kf_http_backoff_ms(rek->backoff_ms, KF_REK_MAX_BACKOFF_MS, attempt, u));
}

KF_PRINTF(4, 5)
static int add_header(struct curl_slist **list, char *line, size_t size, const char *fmt, ...)
{
	struct curl_slist *l;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, size, fmt, ap);
	va_end(ap);
	if (!(l = curl_slist_append(*list, line)))
		return -1;
	*list = l;
	return 0;
}

/* Sign and send one attempt; fills *a and *status, or returns the curl code. */
static int send_once(struct kf_rek *rek, const char *action, const char *body, size_t len,
		     struct answer *a, long *status, CURLcode *cc, struct kf_err *err)
{
	char target[64], date[KF_SIGV4_DATE_SIZE], line[8192], url[1024];
	struct kf_sigv4_header h[3] = {
		{ "Host", rek->host },
		{ "Content-Type", CONTENT_TYPE },
		{ "X-Amz-Target", target },
	};
	struct kf_sigv4_request req = { .method = "POST", .path = "/", .headers = h,
		.n_headers = 3, .payload = (const uint8_t *)body, .payload_len = len };
	struct kf_sigv4_creds cr = { .access_key_id = rek->key_id,
		.secret_access_key = rek->secret, .session_token = rek->token };
	struct kf_sigv4_params p = { .region = rek->region, .service = "rekognition",
		.amz_date = date };
	struct kf_sigv4_result res = { 0 };
	struct curl_slist *list = NULL;
	CURL *c = rek->curl;
	int rc;

	snprintf(target, sizeof(target), TARGET_PREFIX "%s", action);
	snprintf(url, sizeof(url), "%s/", rek->endpoint);
	if ((rc = kf_sigv4_format_date(time(NULL), date, err)) < 0 ||
	    (rc = kf_sigv4_sign(&req, &cr, &p, &res, err)) < 0)
		return kf_err_context(err, "rekognition %s", action);
	rc = KF_E_NOMEM;
	if (add_header(&list, line, sizeof(line), "Content-Type: %s", CONTENT_TYPE) < 0 ||
	    add_header(&list, line, sizeof(line), "X-Amz-Target: %s", target) < 0 ||
	    add_header(&list, line, sizeof(line), "X-Amz-Date: %s", res.amz_date) < 0 ||
	    (rek->token &&
	     add_header(&list, line, sizeof(line), "X-Amz-Security-Token: %s", rek->token) < 0) ||
	    add_header(&list, line, sizeof(line), "Authorization: %s", res.authorization) < 0 ||
	    /* no 100-continue round trip for large images */
	    add_header(&list, line, sizeof(line), "%s", "Expect:") < 0 ||
	    add_header(&list, line, sizeof(line), "%s", "Accept:") < 0)
		goto out;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, a);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, a);
	rek->calls++;
	*cc = curl_easy_perform(c);
	*status = 0;
	if (*cc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	rc = KF_OK;
out:
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(list);
	OPENSSL_cleanse(line, sizeof(line));
	kf_sigv4_result_release(&res);
	if (rc < 0)
		kf_err_set(err, rc, "out of memory sending rekognition %s", action);
	return rc;
}

/* POST body to action with retries. On KF_OK *out is the 2xx body (kf_free),
 * NUL-terminated, *out_len its length. */
static int call(struct kf_rek *rek, const char *action, const char *body, size_t len,
		char **out, size_t *out_len, struct kf_err *err)
{
	struct answer a = { 0 };
	int rc = KF_E_NET;

	*out = NULL;
	*out_len = 0;
	if (!rek || !rek->curl)
		return kf_err_set(err, KF_E_INVALID, "rekognition %s: client is not open", action);
	for (int attempt = 1; attempt <= rek->max_attempts; attempt++) {
		long status = 0;
		CURLcode cc = CURLE_OK;
		int again;

		kf_free(a.body.data);
		memset(&a, 0, sizeof(a));
		a.body.max = KF_REK_MAX_RESPONSE;
		if (attempt > 1) {
			rek->retries++;
			backoff(rek, attempt);
		}
		if ((rc = send_once(rek, action, body, len, &a, &status, &cc, err)) < 0)
			break;
		if (cc == CURLE_OK && status >= 200 && status < 300) {
			if (!a.body.data && !(a.body.data = kf_strdup(""))) {
				rc = kf_err_set(err, KF_E_NOMEM, "out of memory");
				break;
			}
			*out = a.body.data;
			*out_len = a.body.len;
			return KF_OK;
		}
		if (cc != CURLE_OK && a.body.nomem) {
			rc = kf_err_set(err, KF_E_NOMEM, "out of memory reading the rekognition %s "
					"answer", action);
			break;
		}
		if (cc != CURLE_OK) {
			again = kf_http_retryable(cc) && !a.body.too_big;
			if (!again || attempt == rek->max_attempts) {
				rc = a.body.too_big ? kf_err_set(err, KF_E_FORMAT, "rekognition %s: answer "
							   "larger than %ld bytes", action,
							   KF_REK_MAX_RESPONSE)
					      : kf_err_set(err, KF_E_NET, "rekognition %s: %s (%s)%s",
							   action, curl_easy_strerror(cc), rek->host,
							   again ? ", giving up after retries" : "");
				break;
			}
			continue;
		}
		{
			char type[TYPE_SIZE], reason[8];

			kf_rek_parse_error(a.body.data, a.body.len, a.type[0] ? a.type : NULL, type,
					   sizeof(type), reason, sizeof(reason));
			again = status >= 500 || status == 429 || retryable_type(type);
		}
		if (!again || attempt == rek->max_attempts) {
			rc = answer_error(rek, action, status, &a, err);
			if (again)
				kf_err_context(err, "gave up after %d attempts", attempt);
			break;
		}
	}
	kf_free(a.body.data);
	return rc;
}

/* ---- request bodies ----------------------------------------------------------- */

static char *base64(const uint8_t *img, size_t len)
{
	char *b = kf_malloc(4 * ((len + 2) / 3) + 1);

	if (b)
		EVP_EncodeBlock((unsigned char *)b, img, (int)len);
	return b;
}

/* A body {"CollectionId"?, "Image": {"Bytes"}?} to add the action's fields
 * to. *root (cJSON_Delete) and *b64 (kf_free, referenced by the tree) are the
 * caller's, also on error. */
static int make_body(const char *collection, const uint8_t *img, size_t len, cJSON **root,
		     char **b64, struct kf_err *err)
{
	cJSON *o = cJSON_CreateObject(), *image;

	*root = o;
	*b64 = NULL;
	if (!o)
		return kf_err_set(err, KF_E_NOMEM, "out of memory");
	if (collection && !cJSON_AddStringToObject(o, "CollectionId", collection))
		return kf_err_set(err, KF_E_NOMEM, "out of memory");
	if (img) {
		cJSON *bytes;

		if (!(*b64 = base64(img, len)) || !(image = cJSON_AddObjectToObject(o, "Image")) ||
		    !(bytes = cJSON_CreateStringReference(*b64)))
			return kf_err_set(err, KF_E_NOMEM, "out of memory encoding the image");
		cJSON_AddItemToObject(image, "Bytes", bytes);
	}
	return KF_OK;
}

static int check_collection(const char *action, const char *collection, struct kf_err *err)
{
	if (!collection || !valid_id(collection, KF_REK_COLLECTION_SIZE - 1, "_.-"))
		return kf_err_set(err, KF_E_INVALID, "rekognition %s: bad collection id '%.64s'",
				  action, collection ? collection : "");
	return KF_OK;
}

static int check_image(const char *action, const uint8_t *img, size_t len, struct kf_err *err)
{
	if (!img || !len)
		return kf_err_set(err, KF_E_INVALID, "rekognition %s: no image", action);
	if (len > (size_t)KF_REK_MAX_IMAGE)
		return kf_err_set(err, KF_E_UNSUPPORTED, "rekognition %s: image of %zu bytes is "
				  "over the %ld bytes AWS takes (re-encode it smaller first)",
				  action, len, KF_REK_MAX_IMAGE);
	return KF_OK;
}

/* Print root, call action, free everything but the answer. */
static int run(struct kf_rek *rek, const char *action, cJSON *root, char *b64, char **ans,
	       size_t *ans_len, struct kf_err *err)
{
	char *body = cJSON_PrintUnformatted(root);
	int rc;

	cJSON_Delete(root);
	if (!body) {
		kf_free(b64);
		return kf_err_set(err, KF_E_NOMEM, "out of memory building rekognition %s", action);
	}
	kf_free(b64);
	rc = call(rek, action, body, strlen(body), ans, ans_len, err);
	cJSON_free(body);
	return rc;
}

/* ---- calls ---------------------------------------------------------------------- */

int kf_rek_create_collection(struct kf_rek *rek, const char *collection, struct kf_err *err)
{
	struct kf_err mine = KF_ERR_INIT;
	cJSON *root;
	char *b64, *ans;
	size_t n;
	int rc;

	if ((rc = check_collection("CreateCollection", collection, err)) < 0)
		return rc;
	if ((rc = make_body(collection, NULL, 0, &root, &b64, err)) < 0) {
		cJSON_Delete(root);
		return rc;
	}
	/* our own err: an "already exists" must not leave a message behind */
	rc = run(rek, "CreateCollection", root, b64, &ans, &n, &mine);
	if (rc == KF_E_EXISTS)
		rc = KF_OK;
	else if (rc < 0)
		kf_err_set(err, rc, "%s", mine.msg);
	kf_free(ans);
	return rc;
}

int kf_rek_delete_collection(struct kf_rek *rek, const char *collection, struct kf_err *err)
{
	cJSON *root;
	char *b64, *ans;
	size_t n;
	int rc;

	if ((rc = check_collection("DeleteCollection", collection, err)) < 0)
		return rc;
	if ((rc = make_body(collection, NULL, 0, &root, &b64, err)) < 0) {
		cJSON_Delete(root);
		return rc;
	}
	rc = run(rek, "DeleteCollection", root, b64, &ans, &n, err);
	kf_free(ans);
	return rc;
}

int kf_rek_index_faces(struct kf_rek *rek, const char *collection, const uint8_t *img,
		       size_t len, const char *external_id, int max_faces,
		       enum kf_rek_quality quality, struct kf_rek_index_result *out,
		       struct kf_err *err)
{
	static const char *const filters[] = { "AUTO", "NONE", "LOW", "MEDIUM", "HIGH" };
	cJSON *root;
	char *b64, *ans = NULL;
	size_t n;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = check_collection("IndexFaces", collection, err)) < 0 ||
	    (rc = check_image("IndexFaces", img, len, err)) < 0)
		return rc;
	if (external_id && !valid_id(external_id, KF_REK_EXTERNAL_ID_SIZE - 1, "_.-:"))
		return kf_err_set(err, KF_E_INVALID, "rekognition IndexFaces: external id '%.64s' "
				  "is not [A-Za-z0-9_.:-], 1..255", external_id);
	if (max_faces < 0 || max_faces > 100 || (unsigned)quality > KF_REK_QUALITY_HIGH)
		return kf_err_set(err, KF_E_INVALID, "rekognition IndexFaces: bad max faces %d "
				  "or quality filter", max_faces);
	rc = make_body(collection, img, len, &root, &b64, err);
	if (rc == KF_OK) {
		cJSON *attrs = cJSON_AddArrayToObject(root, "DetectionAttributes");
		cJSON *def = attrs ? cJSON_CreateString("DEFAULT") : NULL;

		if (def && !cJSON_AddItemToArray(attrs, def)) {
			cJSON_Delete(def);
			def = NULL;
		}
		if (!def ||
		    (external_id && !cJSON_AddStringToObject(root, "ExternalImageId", external_id)) ||
		    (max_faces && !cJSON_AddNumberToObject(root, "MaxFaces", max_faces)) ||
		    !cJSON_AddStringToObject(root, "QualityFilter", filters[quality]))
			rc = kf_err_set(err, KF_E_NOMEM, "out of memory building IndexFaces");
	}
	if (rc < 0) {
		cJSON_Delete(root);
		kf_free(b64);
		return rc;
	}
	if ((rc = run(rek, "IndexFaces", root, b64, &ans, &n, err)) == KF_OK &&
	    (rc = kf_rek_parse_index(ans, n, out, err)) < 0)
		kf_err_context(err, "rekognition IndexFaces");
	kf_free(ans);
	return rc;
}

int kf_rek_delete_faces(struct kf_rek *rek, const char *collection,
			const char *const *face_ids, size_t n, size_t *n_deleted,
			struct kf_err *err)
{
	cJSON *root, *arr;
	char *b64, *ans = NULL;
	size_t alen, got = 0;
	int rc;

	if (n_deleted)
		*n_deleted = 0;
	if ((rc = check_collection("DeleteFaces", collection, err)) < 0)
		return rc;
	if (n < 1 || n > 4096)
		return kf_err_set(err, KF_E_INVALID, "rekognition DeleteFaces: %zu face ids "
				  "(1..4096 at a time)", n);
	if ((rc = make_body(collection, NULL, 0, &root, &b64, err)) < 0 ||
	    !(arr = cJSON_AddArrayToObject(root, "FaceIds"))) {
		cJSON_Delete(root);
		return rc < 0 ? rc : kf_err_set(err, KF_E_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		cJSON *s;

		if (!face_ids[i] || !valid_id(face_ids[i], KF_REK_FACE_ID_SIZE - 1, "-")) {
			cJSON_Delete(root);
			return kf_err_set(err, KF_E_INVALID, "rekognition DeleteFaces: bad face id "
					  "'%.64s'", face_ids[i] ? face_ids[i] : "");
		}
		if (!(s = cJSON_CreateString(face_ids[i])) || !cJSON_AddItemToArray(arr, s)) {
			cJSON_Delete(s);
			cJSON_Delete(root);
			return kf_err_set(err, KF_E_NOMEM, "out of memory");
		}
	}
	if ((rc = run(rek, "DeleteFaces", root, b64, &ans, &alen, err)) == KF_OK &&
	    (rc = kf_rek_parse_delete_faces(ans, alen, &got, err)) < 0)
		kf_err_context(err, "rekognition DeleteFaces");
	if (rc == KF_OK && n_deleted)
		*n_deleted = got;
	kf_free(ans);
	return rc;
}

int kf_rek_detect_faces(struct kf_rek *rek, const uint8_t *img, size_t len,
			struct kf_rek_detect_result *out, struct kf_err *err)
{
	cJSON *root, *attrs = NULL, *def = NULL;
	char *b64, *ans = NULL;
	size_t n;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = check_image("DetectFaces", img, len, err)) < 0)
		return rc;
	if ((rc = make_body(NULL, img, len, &root, &b64, err)) == KF_OK &&
	    (!(attrs = cJSON_AddArrayToObject(root, "Attributes")) ||
	     !(def = cJSON_CreateString("DEFAULT")) || !cJSON_AddItemToArray(attrs, def))) {
		cJSON_Delete(def);
		rc = kf_err_set(err, KF_E_NOMEM, "out of memory building DetectFaces");
	}
	if (rc < 0) {
		cJSON_Delete(root);
		kf_free(b64);
		return rc;
	}
	if ((rc = run(rek, "DetectFaces", root, b64, &ans, &n, err)) == KF_OK &&
	    (rc = kf_rek_parse_detect(ans, n, out, err)) < 0)
		kf_err_context(err, "rekognition DetectFaces");
	kf_free(ans);
	return rc;
}

int kf_rek_search_faces(struct kf_rek *rek, const char *collection, const uint8_t *img,
			size_t len, double threshold, int max_faces,
			struct kf_rek_search_result *out, struct kf_err *err)
{
	cJSON *root;
	char *b64, *ans = NULL;
	size_t n;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = check_collection("SearchFacesByImage", collection, err)) < 0 ||
	    (rc = check_image("SearchFacesByImage", img, len, err)) < 0)
		return rc;
	if (!(threshold >= 0 && threshold <= 100) || max_faces < 1 || max_faces > 4096)
		return kf_err_set(err, KF_E_INVALID, "rekognition SearchFacesByImage: threshold "
				  "%g (0..100) or max faces %d (1..4096) out of range", threshold,
				  max_faces);
	rc = make_body(collection, img, len, &root, &b64, err);
	if (rc == KF_OK && (!cJSON_AddNumberToObject(root, "FaceMatchThreshold", threshold) ||
			    !cJSON_AddNumberToObject(root, "MaxFaces", max_faces)))
		rc = kf_err_set(err, KF_E_NOMEM, "out of memory building SearchFacesByImage");
	if (rc < 0) {
		cJSON_Delete(root);
		kf_free(b64);
		return rc;
	}
	if ((rc = run(rek, "SearchFacesByImage", root, b64, &ans, &n, err)) == KF_OK &&
	    (rc = kf_rek_parse_search(ans, n, out, err)) < 0)
		kf_err_context(err, "rekognition SearchFacesByImage");
	kf_free(ans);
	return rc;
}

/* ---- a whole photo ------------------------------------------------------------- */

void kf_rek_photo_release(struct kf_rek_photo_result *res)
{
	if (!res)
		return;
	for (size_t i = 0; i < res->n; i++)
		kf_free(res->faces[i].matches);
	kf_free(res->faces);
	memset(res, 0, sizeof(*res));
}

int kf_rek_match_photo(struct kf_rek *rek, const char *collection, const uint8_t *photo,
		       size_t len, double threshold, int max_faces,
		       struct kf_rek_photo_result *out, struct kf_err *err)
{
	struct kf_image img = { 0 };
	struct kf_rek_detect_result det = { 0 };
	uint8_t *small = NULL, *crop = NULL;
	const uint8_t *send = photo;
	size_t send_len = len, crop_len;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = check_collection("SearchFacesByImage", collection, err)) < 0)
		return rc;
	/* the crops come from the upright full-size photo: AWS's boxes are upright too */
	if ((rc = kf_image_decode(photo, len, 0, &img, NULL, err)) < 0)
		goto out;
	if (len > (size_t)KF_REK_MAX_IMAGE) {
		if ((rc = kf_image_encode_under(&img, (size_t)KF_REK_MAX_IMAGE, &small, &send_len,
						err)) < 0)
			goto out;
		send = small;
	}
	if ((rc = kf_rek_detect_faces(rek, send, send_len, &det, err)) < 0)
		goto out;
	if (det.n && !(out->faces = kf_calloc(det.n, sizeof(*out->faces)))) {
		rc = kf_err_set(err, KF_E_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < det.n; i++) {
		struct kf_rek_photo_face *f = &out->faces[i];
		const struct kf_rek_box *b = &det.faces[i].box;
		struct kf_rek_search_result sr;

		out->n = i + 1;
		f->box = *b;
		f->confidence = det.faces[i].confidence;
		if ((rc = kf_image_crop_jpeg(&img, b->left, b->top, b->width, b->height,
					     KF_REK_CROP_MARGIN, KF_REK_CROP_QUALITY, &crop,
					     &crop_len, err)) < 0 ||
		    (rc = kf_rek_search_faces(rek, collection, crop, crop_len, threshold,
					      max_faces, &sr, err)) < 0) {
			kf_err_context(err, "face %zu", i + 1);
			goto out;
		}
		kf_free(crop);
		crop = NULL;
		f->matches = sr.matches;
		f->n_matches = sr.n;
	}
	rc = KF_OK;
out:
	kf_free(crop);
	kf_free(small);
	kf_rek_detect_release(&det);
	kf_image_release(&img);
	if (rc < 0)
		kf_rek_photo_release(out);
	return rc;
}
