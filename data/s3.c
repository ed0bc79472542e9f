/* s3.c: the S3 client (s3.h): curl for HTTP, sigv4 for the signature, s3_xml.c
 * for the answers. One request = sign, send, read the status line and the headers we
 * care about (ETag, Content-Length, Last-Modified), then the body into memory
 * (listings, error bodies) or into a file (a 2xx GET). */
#include "data/s3.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "data/http.h"
#include "data/sigv4.h"

#define ATTEMPTS 4
#define BACKOFF_MS 250
#define MAX_BACKOFF_MS 60000
#define CONNECT_TIMEOUT_S 10L
#define LOW_SPEED_BYTES 1024L
#define LOW_SPEED_TIME_S 30L
#define MAX_ERROR_BYTES ((size_t)64 << 10)

struct kf_s3 {
	CURL *curl;
	char *endpoint;		/* "https://host[:port]", no trailing '/' */
	char *host;		/* "host[:port]": the Host header */
	char *region, *key_id, *secret, *bucket;
	int64_t backoff_ms;
	long page_size;		/* max-keys, 0 for the server's default */
	unsigned seed;		/* jitter */
	char curl_err[CURL_ERROR_SIZE];
};

/* ---------------------------------------------------------------- helpers */

static int bucket_name_ok(const char *b, size_t n)
{
	if (n < 3 || n > 63 || b[0] == '.' || b[0] == '-' || b[n - 1] == '.' || b[n - 1] == '-')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((b[i] >= 'a' && b[i] <= 'z') || (b[i] >= '0' && b[i] <= '9') ||
		      b[i] == '.' || b[i] == '-' || b[i] == '_'))
			return 0;
	return 1;
}

int kf_s3_parse_url(const char *url, char **bucket, char **prefix, struct kf_err *err)
{
	const char *b, *slash;
	size_t n;

	*bucket = *prefix = NULL;
	if (strncmp(url, "s3://", 5) != 0)
		return kf_err_set(err, KF_E_INVALID, "'%s' is not an s3://BUCKET/PREFIX URL", url);
	b = url + 5;
	slash = strchr(b, '/');
	n = slash ? (size_t)(slash - b) : strlen(b);
	if (!bucket_name_ok(b, n))
		return kf_err_set(err, KF_E_INVALID, "'%s': bad bucket name '%.*s' (3 to 63 "
				  "characters of a-z 0-9 . - _)", url, (int)(n > 64 ? 64 : n), b);
	if (slash && strlen(slash + 1) > KF_S3_MAX_KEY)
		return kf_err_set(err, KF_E_INVALID, "'%.64s...': the prefix is longer than %d "
				  "bytes", url, KF_S3_MAX_KEY);
	*bucket = kf_strndup(b, n);
	*prefix = kf_strdup(slash ? slash + 1 : "");
	if (!*bucket || !*prefix) {
		kf_free(*bucket);
		kf_free(*prefix);
		*bucket = *prefix = NULL;
		return kf_err_set(err, KF_E_NOMEM, "out of memory");
	}
	return KF_OK;
}

/* ---------------------------------------------------------------- client */

static const char *setting(const struct kf_config *cfg, const char *key, const char *example,
			   struct kf_err *err)
{
	const char *v = kf_config_get(cfg, key);

	if (!v || !*v)
		kf_err_set(err, KF_E_AUTH, "%s is not set: export %s=%s or add the line "
			   "'%s = ...' to ~/.config/kingface/config (mode 600)", key, key,
			   example, key);
	return v && *v ? v : NULL;
}

int kf_s3_open(struct kf_s3 **out, const struct kf_config *cfg, const char *bucket,
	       struct kf_err *err)
{
	const char *endpoint, *region, *id, *secret, *e, *v;
	struct kf_s3 *s3;
	size_t n;

	*out = NULL;
	if (!(endpoint = setting(cfg, "AWS_ENDPOINT_URL",
				 "https://ACCOUNT.r2.cloudflarestorage.com", err)) ||
	    !(region = setting(cfg, "AWS_REGION", "auto", err)) ||
	    !(id = setting(cfg, "AWS_ACCESS_KEY_ID", "...", err)) ||
	    !(secret = setting(cfg, "AWS_SECRET_ACCESS_KEY", "...", err)))
		return err ? err->code : KF_E_AUTH;
	if (!bucket && !(bucket = setting(cfg, "KINGFACE_BUCKET", "BUCKET", err)))
		return err ? err->code : KF_E_AUTH;
	if (!bucket_name_ok(bucket, strlen(bucket)))
		return kf_err_set(err, KF_E_INVALID, "bad bucket name '%.64s' (3 to 63 "
				  "characters of a-z 0-9 . - _)", bucket);
	if (!strncmp(endpoint, "https://", 8))
		e = endpoint + 8;
	else if (!strncmp(endpoint, "http://", 7))
		e = endpoint + 7;
	else
		return kf_err_set(err, KF_E_INVALID, "AWS_ENDPOINT_URL '%.128s' must start with "
				  "https:// (or http:// on loopback)", endpoint);
	n = strcspn(e, "/?#");
	if (n == 0 || strcspn(e, "@ \t\r\n") < n)
		return kf_err_set(err, KF_E_INVALID, "AWS_ENDPOINT_URL '%.128s' is not "
				  "http(s)://HOST[:PORT]", endpoint);
	if (!(s3 = kf_calloc(1, sizeof(*s3))))
		return kf_err_set(err, KF_E_NOMEM, "out of memory");
	s3->endpoint = kf_strndup(endpoint, (size_t)(e - endpoint) + n);
	s3->host = kf_strndup(e, n);
	s3->region = kf_strdup(region);
	s3->key_id = kf_strdup(id);
	s3->secret = kf_strdup(secret);
	s3->bucket = kf_strdup(bucket);
	s3->curl = curl_easy_init();
	if (!s3->endpoint || !s3->host || !s3->region || !s3->key_id || !s3->secret ||
	    !s3->bucket || !s3->curl) {
		kf_s3_close(s3);
		return kf_err_set(err, KF_E_NOMEM, "out of memory opening the S3 client");
	}
	s3->backoff_ms = BACKOFF_MS;
	if ((v = getenv("KINGFACE_S3_BACKOFF_MS")) && *v)
		s3->backoff_ms = strtoll(v, NULL, 10) < 0 ? 0 : strtoll(v, NULL, 10);
	if ((v = getenv("KINGFACE_S3_PAGE_SIZE")) && *v) {
		s3->page_size = strtol(v, NULL, 10);
		if (s3->page_size < 1 || s3->page_size > 1000)
			s3->page_size = 0;
	}
	s3->seed = (unsigned)time(NULL) ^ (unsigned)getpid() ^ (unsigned)(uintptr_t)s3;
	*out = s3;
	return KF_OK;
}

void kf_s3_close(struct kf_s3 *s3)
{
	if (!s3)
		return;
	if (s3->curl)
		curl_easy_cleanup(s3->curl);
	if (s3->secret) {
		volatile char *p = s3->secret;

		while (*p)
			*p++ = '\0';
	}
	kf_free(s3->secret);
	kf_free(s3->endpoint);
	kf_free(s3->host);
	kf_free(s3->region);
	kf_free(s3->key_id);
	kf_free(s3->bucket);
	kf_free(s3);
}

const char *kf_s3_bucket(const struct kf_s3 *s3)
{
	return s3->bucket;
}

/* ---------------------------------------------------------------- HTTP */

struct resp {
	long status;
	char etag[KF_S3_ETAG_SIZE];
	int64_t length, mtime_ms;
	struct kf_http_body body;	/* in memory: a listing or an error */
	FILE *file;		/* a 2xx body goes here when set */
	int file_error;
};

static void resp_reset(struct resp *r)
{
	r->status = 0;
	r->etag[0] = '\0';
	r->length = -1;
	r->mtime_ms = 0;
	r->body.len = 0;
	r->body.too_big = r->file_error = 0;
}

static size_t on_header(char *buf, size_t size, size_t n, void *ud)
{
	struct resp *r = ud;
	size_t len = size * n, vlen;
	const char *v;

	if (len > 5 && !strncmp(buf, "HTTP/", 5)) {	/* a new status line: 100, then 200 */
		const char *sp = memchr(buf, ' ', len);

		resp_reset(r);
		r->status = sp ? strtol(sp + 1, NULL, 10) : 0;
		return len;
	}
	if (!(v = memchr(buf, ':', len)))
		return len;
	vlen = len - (size_t)(v + 1 - buf);
	for (v++; vlen && (*v == ' ' || *v == '\t'); v++, vlen--)
		;
	while (vlen && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || v[vlen - 1] == ' '))
		vlen--;
	if (!strncasecmp(buf, "etag:", 5)) {
		if (kf_s3_etag_unquote(v, vlen, r->etag) < 0)
			r->etag[0] = '\0';
	} else if (!strncasecmp(buf, "content-length:", 15)) {
		r->length = strtoll(v, NULL, 10);
	} else if (!strncasecmp(buf, "last-modified:", 14) && vlen < 64) {
		char tmp[64];
		time_t t;

		memcpy(tmp, v, vlen);
		tmp[vlen] = '\0';
		if ((t = curl_getdate(tmp, NULL)) > 0)
			r->mtime_ms = (int64_t)t * 1000;
	}
	return len;
}

static size_t on_body(char *buf, size_t size, size_t n, void *ud)
{
	struct resp *r = ud;
	size_t len = size * n;

	if (r->file && r->status >= 200 && r->status < 300) {
		if (fwrite(buf, 1, len, r->file) != len) {
			r->file_error = errno ? errno : EIO;
			return 0;
		}
		return len;
	}
	return kf_http_body_write(buf, size, n, &r->body);
}

/* Sign and send one attempt; *cc gets curl's result. Returns < 0 only when
 * the request cannot be signed (then nothing was sent). */
static int send_once(struct kf_s3 *s3, const char *method, const char *path, const char *url,
		     const char *query, struct resp *r, CURLcode *cc, struct kf_err *err)
{
	struct kf_sigv4_header h[] = { { "Host", s3->host } };
	struct kf_sigv4_request req = { .method = method, .path = path, .query = query,
					.headers = h, .n_headers = 1,
					.payload_hash = "e3b0c44298fc1c149afbf4c8996fb924"
							"27ae41e4649b934ca495991b7852b855" };
	struct kf_sigv4_creds cr = { .access_key_id = s3->key_id,
				     .secret_access_key = s3->secret };
	struct kf_sigv4_params p = { .region = s3->region, .service = "s3",
				     .flags = KF_SIGV4_CONTENT_SHA256 };
	struct kf_sigv4_result res = { 0 };
	struct curl_slist *hl = NULL, *t;
	char date[KF_SIGV4_DATE_SIZE], line[4096];
	int rc, ok = 1;

	if ((rc = kf_sigv4_format_date(time(NULL), date, err)) < 0)
		return rc;
	p.amz_date = date;
	if ((rc = kf_sigv4_sign(&req, &cr, &p, &res, err)) < 0)
		return rc;
	const char *lines[][2] = { { "Host", s3->host }, { "x-amz-date", res.amz_date },
				   { "x-amz-content-sha256", res.payload_hash },
				   { "Authorization", res.authorization },
				   { "Accept", "" }, { "Expect", "" } };
	for (size_t i = 0; ok && i < sizeof(lines) / sizeof(lines[0]); i++) {
		/* "Name:" with nothing after removes curl's own header */
		snprintf(line, sizeof(line), "%s:%s%s", lines[i][0], *lines[i][1] ? " " : "",
			 lines[i][1]);
		if (!(t = curl_slist_append(hl, line)))
			ok = 0;
		else
			hl = t;
	}
	memset(line, 0, sizeof(line));
	kf_sigv4_result_release(&res);
	if (!ok) {
		curl_slist_free_all(hl);
		return kf_err_set(err, KF_E_NOMEM, "out of memory");
	}
	CURL *c = s3->curl;
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT_S);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, LOW_SPEED_BYTES);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, LOW_SPEED_TIME_S);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, s3->curl_err);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	s3->curl_err[0] = '\0';
	resp_reset(r);
	if (r->file && (fflush(r->file) != 0 || ftruncate(fileno(r->file), 0) != 0 ||
			fseek(r->file, 0, SEEK_SET) != 0))
		r->file_error = errno;
	*cc = r->file_error ? CURLE_WRITE_ERROR : curl_easy_perform(c);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hl);
	return KF_OK;
}

/* What an S3 error answer means, as one message. */
static int http_error(struct kf_s3 *s3, const char *what, const struct resp *r,
		      struct kf_err *err)
{
	char code[64] = "", msg[160] = "";

	if (r->body.len)
		kf_s3_parse_error(r->body.data, r->body.len, code, sizeof(code), msg, sizeof(msg));
	if (!strcmp(code, "SignatureDoesNotMatch"))
		return kf_err_set(err, KF_E_AUTH, "%s: the S3 endpoint '%s' refused the "
				  "signature (SignatureDoesNotMatch): check AWS_SECRET_ACCESS_KEY "
				  "(and AWS_REGION)", what, s3->endpoint);
	if (!strcmp(code, "InvalidAccessKeyId"))
		return kf_err_set(err, KF_E_AUTH, "%s: the S3 endpoint '%s' does not know the "
				  "access key (InvalidAccessKeyId): check AWS_ACCESS_KEY_ID",
				  what, s3->endpoint);
	if (!strcmp(code, "NoSuchBucket"))
		return kf_err_set(err, KF_E_NOTFOUND, "%s: no bucket '%s' at '%s' (NoSuchBucket)",
				  what, s3->bucket, s3->endpoint);
	if (r->status == 404)
		return kf_err_set(err, KF_E_NOTFOUND, "%s: not found (HTTP 404%s%s)", what,
				  code[0] ? " " : "", code);
	if (r->status == 401 || r->status == 403)
		return kf_err_set(err, KF_E_AUTH, "%s: access denied (HTTP %ld%s%s): check "
				  "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, and that the key "
				  "may read bucket '%s'", what, r->status, code[0] ? " " : "", code,
				  s3->bucket);
	return kf_err_set(err, KF_E_NET, "%s: S3 answered HTTP %ld%s%s%s%s", what, r->status,
			  code[0] ? " " : "", code, msg[0] ? ": " : "", msg);
}

/* One request with retries: method on key (NULL: the bucket) with the
 * canonical query (or NULL). what names it in errors. */
static int request(struct kf_s3 *s3, const char *method, const char *key, const char *query,
		   struct resp *r, const char *what, struct kf_err *err)
{
	char *path = NULL, *enc = NULL, *url = NULL;
	size_t n;
	CURLcode cc = CURLE_OK;
	int rc;

	n = strlen(s3->bucket) + (key ? strlen(key) : 0) + 3;
	if (!(path = kf_malloc(n))) {
		rc = kf_err_set(err, KF_E_NOMEM, "out of memory");
		goto out;
	}
	snprintf(path, n, "/%s%s%s", s3->bucket, key ? "/" : "", key ? key : "");
	if ((rc = kf_sigv4_encode(path, strlen(path), KF_SIGV4_KEEP_SLASH, &enc, err)) < 0)
		goto out;
	n = strlen(s3->endpoint) + strlen(enc) + (query ? strlen(query) : 0) + 2;
	if (!(url = kf_malloc(n))) {
		rc = kf_err_set(err, KF_E_NOMEM, "out of memory");
		goto out;
	}
	snprintf(url, n, "%s%s%s%s", s3->endpoint, enc, query && *query ? "?" : "",
		 query ? query : "");
	for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
		if (attempt > 1)
			kf_http_sleep_ms(kf_http_backoff_ms(s3->backoff_ms, MAX_BACKOFF_MS, attempt,
							    (double)rand_r(&s3->seed) / RAND_MAX));
		if ((rc = send_once(s3, method, path, url, query, r, &cc, err)) < 0)
			goto out;
		if (cc == CURLE_OK && r->status < 500)
			break;
		if (cc != CURLE_OK && !kf_http_retryable(cc))
			break;
	}
	if (r->file_error) {
		errno = r->file_error;
		rc = kf_err_errno(err, KF_E_IO, "%s: cannot write the download", what);
	} else if (r->body.nomem) {
		rc = kf_err_set(err, KF_E_NOMEM, "%s: out of memory reading the answer", what);
	} else if (r->body.too_big) {
		rc = kf_err_set(err, KF_E_FORMAT, "%s: the answer is larger than %zu bytes", what,
				r->body.max);
	} else if (cc != CURLE_OK) {
		rc = kf_err_set(err, KF_E_NET, "%s: cannot reach the S3 endpoint '%s': %s", what,
				s3->endpoint, s3->curl_err[0] ? s3->curl_err : curl_easy_strerror(cc));
	} else if (r->status < 200 || r->status >= 300) {
		rc = http_error(s3, what, r, err);
	} else {
		rc = KF_OK;
	}
out:
	kf_free(path);
	kf_free(enc);
	kf_free(url);
	return rc;
}

int kf_s3_list(struct kf_s3 *s3, const char *prefix, kf_s3_list_fn *fn, void *ctx,
	       struct kf_err *err)
{
	struct resp r = { .body.max = KF_S3_MAX_PAGE_BYTES };
	struct kf_s3_page page = { 0 };
	char *token = NULL, *query = NULL, what[160], pagesz[24];
	int rc;

	snprintf(what, sizeof(what), "listing 's3://%s/%.100s'", s3->bucket, prefix ? prefix : "");
	snprintf(pagesz, sizeof(pagesz), "%ld", s3->page_size);
	for (;;) {
		struct kf_sigv4_param q[4] = { { "list-type", "2" } };
		size_t nq = 1;

		if (prefix && *prefix)
			q[nq++] = (struct kf_sigv4_param){ "prefix", prefix };
		if (token)
			q[nq++] = (struct kf_sigv4_param){ "continuation-token", token };
		if (s3->page_size)
			q[nq++] = (struct kf_sigv4_param){ "max-keys", pagesz };
		kf_free(query);
		query = NULL;
		if ((rc = kf_sigv4_canonical_params(q, nq, &query, err)) < 0 ||
		    (rc = request(s3, "GET", NULL, query, &r, what, err)) < 0 ||
		    (rc = kf_s3_parse_list(r.body.data ? r.body.data : "", r.body.len, &page, err)) < 0)
			goto out;
		for (size_t i = 0; i < page.n; i++)
			if ((rc = fn(&page.objects[i], ctx, err)) < 0)
				goto out;
		if (!page.truncated)
			break;
		if (token && !strcmp(token, page.next_token)) {
			rc = kf_err_set(err, KF_E_FORMAT, "%s: the server repeats the same "
					"continuation token", what);
			goto out;
		}
		kf_free(token);
		token = page.next_token;
		page.next_token = NULL;
		kf_s3_page_release(&page);
	}
	rc = KF_OK;
out:
	kf_s3_page_release(&page);
	kf_free(token);
	kf_free(query);
	kf_free(r.body.data);
	return rc;
}

int kf_s3_get_file(struct kf_s3 *s3, const char *key, const char *dest,
		   struct kf_s3_object *out, struct kf_err *err)
{
	struct resp r = { .body.max = MAX_ERROR_BYTES };
	size_t n = strlen(dest) + 8;
	char *tmp = kf_malloc(n), what[160];
	int fd = -1, rc;

	if (out)
		memset(out, 0, sizeof(*out));
	snprintf(what, sizeof(what), "downloading 's3://%s/%.100s'", s3->bucket, key);
	if (!tmp)
		return kf_err_set(err, KF_E_NOMEM, "out of memory");
	snprintf(tmp, n, "%s.XXXXXX", dest);
	if ((fd = mkstemp(tmp)) < 0) {
		rc = kf_err_errno(err, KF_E_IO, "%s: cannot create '%s'", what, tmp);
		kf_free(tmp);
		return rc;
	}
	if (!(r.file = fdopen(fd, "w+b"))) {
		rc = kf_err_errno(err, KF_E_IO, "%s: cannot open '%s'", what, tmp);
		close(fd);
		goto out;
	}
	if ((rc = request(s3, "GET", key, NULL, &r, what, err)) < 0)
		goto out;
	if (fflush(r.file) != 0 || fsync(fileno(r.file)) != 0) {
		rc = kf_err_errno(err, KF_E_IO, "%s: cannot write '%s'", what, tmp);
		goto out;
	}
	if (r.length >= 0 && ftell(r.file) != r.length) {
		rc = kf_err_set(err, KF_E_NET, "%s: got %ld of %lld bytes", what, ftell(r.file),
				(long long)r.length);
		goto out;
	}
	if (fclose(r.file) != 0) {
		r.file = NULL;
		rc = kf_err_errno(err, KF_E_IO, "%s: cannot write '%s'", what, tmp);
		goto out;
	}
	r.file = NULL;
	if (rename(tmp, dest) != 0) {
		rc = kf_err_errno(err, KF_E_IO, "%s: cannot rename '%s' to '%s'", what, tmp, dest);
		goto out;
	}
	if (out) {
		out->key = key;
		memcpy(out->etag, r.etag, sizeof(out->etag));
		out->size = r.length;
		out->mtime_ms = r.mtime_ms;
	}
	rc = KF_OK;
out:
	if (r.file)
		fclose(r.file);
	if (rc < 0)
		unlink(tmp);
	kf_free(tmp);
	kf_free(r.body.data);
	return rc;
}
