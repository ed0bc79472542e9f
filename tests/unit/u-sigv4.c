/* u-sigv4.c: the SigV4 signer against AWS's test suite (all 38 cases, header
 * and presigned query), the encoder and query builder tables, an S3-style
 * request checked against an independent computation, input errors (no secret
 * in any message) and allocation failures. */
#include "testutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/alloc.h"
#include "data/sigv4.h"

#define SUITE KF_TEST_DATA "/sigv4-test-suite/v4"
#define N_CASES 38

/* ---- the AWS test suite --------------------------------------------------- */

/* A request.txt parsed in place: request line, headers (continuation lines
 * start with a space or tab and are kept as "\n<line>" in the value), a blank
 * line, the body. */
struct http_req {
	char *text;
	char *method, *path, *query;
	struct kf_sigv4_header h[32];
	size_t nh;
	const uint8_t *body;
	size_t body_len;
};

static char *read_text(const char *path)
{
	size_t len;
	uint8_t *b = kf_test_read_file(path, &len);
	char *s = realloc(b, len + 1);

	assert_non_null(s);
	s[len] = '\0';
	return s;
}

static void parse_request(const char *path, struct http_req *r)
{
	char *s, *eol, *sp, *ver, *q;

	memset(r, 0, sizeof(*r));
	r->text = s = read_text(path);
	/* request line: METHOD SP target SP HTTP/1.1 (the target may hold spaces) */
	eol = strchr(s, '\n');
	assert_non_null(eol);
	*eol = '\0';
	if (eol > s && eol[-1] == '\r')
		eol[-1] = '\0';
	sp = strchr(s, ' ');
	ver = strstr(s, " HTTP/");
	assert_true(sp && ver && ver > sp);
	*sp = *ver = '\0';
	r->method = s;
	r->path = sp + 1;
	q = strchr(r->path, '?');
	if (q) {
		*q = '\0';
		r->query = q + 1;
	}
	s = eol + 1;
	/* headers */
	while (*s) {
		char *line = s, *colon;

		eol = strchr(s, '\n');
		if (eol) {
			s = eol + 1;
			*eol = '\0';
			if (eol > line && eol[-1] == '\r')
				eol[-1] = '\0';
		} else {
			s = line + strlen(line);
		}
		if (*line == '\0')
			break;
		if (*line == ' ' || *line == '\t') {
			/* folded line: glue it back to the previous value with "\n" */
			assert_true(r->nh > 0);
			line[-1] = '\n';
			if (line[-2] == '\0')
				line[-2] = ' ';	/* a CR we cut: keep it whitespace */
			continue;
		}
		colon = strchr(line, ':');
		assert_non_null(colon);
		*colon = '\0';
		assert_true(r->nh < 32);
		r->h[r->nh].name = line;
		r->h[r->nh].value = colon + 1;
		r->nh++;
	}
	r->body = (const uint8_t *)s;
	r->body_len = strlen(s);
}

struct context {
	cJSON *json;
	const char *akid, *secret, *token, *region, *service;
	char date[KF_SIGV4_DATE_SIZE];
	long expires;
	int normalize, sign_body, omit_token;
};

static void parse_context(const char *path, struct context *c)
{
	char *text = read_text(path);
	const cJSON *cr, *ts;
	int di = 0;

	memset(c, 0, sizeof(*c));
	c->json = cJSON_Parse(text);
	free(text);
	assert_non_null(c->json);
	cr = cJSON_GetObjectItemCaseSensitive(c->json, "credentials");
	c->akid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cr, "access_key_id"));
	c->secret = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cr, "secret_access_key"));
	c->token = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cr, "token"));
	c->region = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c->json, "region"));
	c->service = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c->json, "service"));
	c->expires = (long)cJSON_GetNumberValue(
		cJSON_GetObjectItemCaseSensitive(c->json, "expiration_in_seconds"));
	c->normalize = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c->json, "normalize"));
	c->sign_body = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c->json, "sign_body"));
	c->omit_token = cJSON_IsTrue(
		cJSON_GetObjectItemCaseSensitive(c->json, "omit_session_token"));
	/* "2015-08-30T12:36:00Z" -> "20150830T123600Z" */
	ts = cJSON_GetObjectItemCaseSensitive(c->json, "timestamp");
	assert_true(cJSON_IsString(ts));
	for (const char *p = ts->valuestring; *p && di < KF_SIGV4_DATE_SIZE - 1; p++)
		if (*p != '-' && *p != ':')
			c->date[di++] = *p;
	c->date[di] = '\0';
	assert_non_null(c->akid);
	assert_non_null(c->secret);
	assert_non_null(c->region);
	assert_non_null(c->service);
}

static int same_file(const char *dir, const char *file, const char *got)
{
	char *want = read_text(kf_test_path("%s/%s", dir, file));
	int ok = !strcmp(want, got);

	if (!ok)
		print_message("%s/%s differs:\n--- want\n%s\n--- got\n%s\n", dir, file, want, got);
	free(want);
	return ok;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The parameters of a query, each in canonical form, sorted: the suite's
 * signed request orders them differently and leaves UTF-8 unencoded
 * (get-vanilla-utf8-query); the set must be equal. */
static size_t split_params(const char *q, char **v, size_t max)
{
	char *copy = strdup(q), *save = NULL;
	struct kf_err err = KF_ERR_INIT;
	size_t n = 0;

	assert_non_null(copy);
	for (char *t = strtok_r(copy, "&", &save); t && n < max; t = strtok_r(NULL, "&", &save)) {
		assert_int_equal(kf_sigv4_canonical_query(t, &v[n], &err), KF_OK);
		n++;
	}
	free(copy);
	qsort(v, n, sizeof(*v), cmp_str);
	return n;
}

static int same_params(const char *want_q, const char *got_q)
{
	char *wv[64], *gv[64];
	size_t nw = split_params(want_q, wv, 64), ng = split_params(got_q, gv, 64);
	int ok = nw == ng;

	for (size_t i = 0; ok && i < nw; i++)
		ok = !strcmp(wv[i], gv[i]);
	if (!ok)
		print_message("presigned query differs:\n want %s\n got  %s\n", want_q, got_q);
	for (size_t i = 0; i < nw; i++)
		kf_free(wv[i]);
	for (size_t i = 0; i < ng; i++)
		kf_free(gv[i]);
	return ok;
}

/* Check the Authorization line (header) or the request line's query (query)
 * of *-signed-request.txt. */
static int same_signed_request(const char *dir, const char *file, const char *auth,
			       const char *query)
{
	char *text = read_text(kf_test_path("%s/%s", dir, file));
	int ok = 0;

	if (auth) {
		char *line = strstr(text, "\nAuthorization:");
		char *eol = line ? strchr(line + 1, '\n') : NULL;

		if (eol)
			*eol = '\0';
		ok = line && !strcmp(line + strlen("\nAuthorization:"), auth);
		if (!ok)
			print_message("%s/%s: Authorization differs: got %s\n", dir, file, auth);
	} else {
		char *q = strchr(text, '?');
		char *end = q ? strstr(q, " HTTP/1.1") : NULL;

		if (end) {
			*end = '\0';
			ok = same_params(q + 1, query);
		}
	}
	free(text);
	return ok;
}

/* Sign one case both ways; returns the number of ways that matched (0..2). */
static int run_case(const char *dir)
{
	struct http_req hr;
	struct context c;
	struct kf_sigv4_request req;
	struct kf_sigv4_creds cr;
	struct kf_sigv4_params p;
	struct kf_sigv4_result res;
	struct kf_err err = KF_ERR_INIT;
	int passed = 0;

	parse_request(kf_test_path("%s/request.txt", dir), &hr);
	parse_context(kf_test_path("%s/context.json", dir), &c);
	req = (struct kf_sigv4_request){
		.method = hr.method, .path = hr.path, .query = hr.query,
		.headers = hr.h, .n_headers = hr.nh,
		.payload = hr.body, .payload_len = hr.body_len,
	};
	cr = (struct kf_sigv4_creds){ c.akid, c.secret, c.token };
	p = (struct kf_sigv4_params){
		.region = c.region, .service = c.service, .amz_date = c.date,
		.flags = (c.normalize ? KF_SIGV4_NORMALIZE_PATH : 0u) |
			 (c.sign_body ? KF_SIGV4_CONTENT_SHA256 : 0u) |
			 (c.omit_token ? KF_SIGV4_UNSIGNED_TOKEN : 0u),
		.expires = c.expires,
	};

	/* header signing */
	if (kf_sigv4_sign(&req, &cr, &p, &res, &err) != KF_OK) {
		print_message("%s: header signing failed: %s\n", dir, err.msg);
	} else {
		int ok = same_file(dir, "header-canonical-request.txt", res.canonical_request);

		ok = same_file(dir, "header-string-to-sign.txt", res.string_to_sign) && ok;
		ok = same_file(dir, "header-signature.txt", res.signature) && ok;
		ok = same_signed_request(dir, "header-signed-request.txt", res.authorization,
					 NULL) && ok;
		ok = ok && res.query == NULL;
		passed += ok;
		kf_sigv4_result_release(&res);
	}

	/* presigned query */
	kf_err_clear(&err);
	p.flags |= KF_SIGV4_PRESIGN;
	if (kf_sigv4_sign(&req, &cr, &p, &res, &err) != KF_OK) {
		print_message("%s: presigning failed: %s\n", dir, err.msg);
	} else {
		int ok = same_file(dir, "query-canonical-request.txt", res.canonical_request);

		ok = same_file(dir, "query-string-to-sign.txt", res.string_to_sign) && ok;
		ok = same_file(dir, "query-signature.txt", res.signature) && ok;
		ok = same_signed_request(dir, "query-signed-request.txt", NULL, res.query) && ok;
		ok = ok && res.authorization == NULL;
		passed += ok;
		kf_sigv4_result_release(&res);
	}
	cJSON_Delete(c.json);
	free(hr.text);
	return passed;
}

static void test_aws_suite(void **state)
{
	DIR *d = opendir(SUITE);
	struct dirent *e;
	int cases = 0, header_and_query = 0, ways = 0;
	(void)state;

	assert_non_null(d);
	while ((e = readdir(d))) {
		char dir[1024];
		int n;

		if (e->d_name[0] == '.')
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", SUITE, e->d_name);
		cases++;
		n = run_case(dir);
		ways += n;
		header_and_query += n == 2;
		if (n != 2)
			print_message("FAILED: %s (%d of 2)\n", e->d_name, n);
	}
	closedir(d);
	print_message("sigv4 suite: %d cases, %d pass both ways (%d of %d signings)\n", cases,
		      header_and_query, ways, 2 * cases);
	assert_int_equal(cases, N_CASES);
	assert_int_equal(header_and_query, N_CASES);
}

/* ---- encoder and query builder -------------------------------------------- */

static void test_encode_table(void **state)
{
	static const struct {
		const char *in;
		unsigned flags;
		const char *out;
	} rows[] = {
		{ "", 0, "" },
		{ "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", 0,
		  "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" },
		{ "galleries/", 0, "galleries%2F" },
		{ "galleries/", KF_SIGV4_KEEP_SLASH, "galleries/" },
		{ "/a b/c", KF_SIGV4_KEEP_SLASH, "/a%20b/c" },
		{ "a+b=c&d", 0, "a%2Bb%3Dc%26d" },
		{ "100%", 0, "100%25" },
		{ "%2F", 0, "%252F" },	/* encoding is not idempotent: encode once */
		{ "\xe1\x88\xb4", 0, "%E1%88%B4" },
		{ "caf\xc3\xa9.jpg", KF_SIGV4_KEEP_SLASH, "caf%C3%A9.jpg" },
		{ "!*'();:@$,?#[]", 0, "%21%2A%27%28%29%3B%3A%40%24%2C%3F%23%5B%5D" },
		{ "\x7f\x01 ", 0, "%7F%01%20" },
	};
	struct kf_err err = KF_ERR_INIT;
	(void)state;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *out = NULL;

		assert_int_equal(kf_sigv4_encode(rows[i].in, strlen(rows[i].in), rows[i].flags,
						 &out, &err), KF_OK);
		assert_string_equal(out, rows[i].out);
		kf_free(out);
	}
	/* length, not NUL, ends the input */
	{
		char *out = NULL;

		assert_int_equal(kf_sigv4_encode("a\0b", 3, 0, &out, &err), KF_OK);
		assert_string_equal(out, "a%00b");
		kf_free(out);
	}
}

static void test_canonical_query_table(void **state)
{
	static const struct {
		const char *in, *out;
	} rows[] = {
		{ NULL, "" },
		{ "", "" },
		{ "?", "" },
		{ "?max-keys=2&list-type=2", "list-type=2&max-keys=2" },
		{ "prefix=galleries/", "prefix=galleries%2F" },
		{ "list-type=2&prefix=galleries%2F", "list-type=2&prefix=galleries%2F" },
		/* an S3 continuation token as it comes in the XML: '+', '/', '=' raw */
		{ "list-type=2&continuation-token=1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=",
		  "continuation-token=1ueGcxLPRx1Tr%2FXYExHnhbYLgveDs2J%2Fwm36Hy4vbOwM%3D&list-type=2" },
		{ "continuation-token=ab+c/d==", "continuation-token=ab%2Bc%2Fd%3D%3D" },
		/* the same token already percent-encoded: same result */
		{ "continuation-token=ab%2Bc%2Fd%3D%3D", "continuation-token=ab%2Bc%2Fd%3D%3D" },
		{ "b=2&a=1&a=0", "a=0&a=1&b=2" },
		{ "Param2=value2&Param1=value1", "Param1=value1&Param2=value2" },
		{ "a=1&B=2", "B=2&a=1" },	/* byte order: uppercase first */
		{ "key&flag=", "flag=&key=" },
		{ "a=1&&b=2&", "a=1&b=2" },
		{ "=v", "=v" },
		{ "x=%zz&y=%4", "x=%25zz&y=%254" },
		{ "sp=a b&pct=%20", "pct=%20&sp=a%20b" },
		{ "%E1%88%B4=Value1&Param=Value2", "%E1%88%B4=Value1&Param=Value2" },
		{ "\xe1\x88\xb4=bar", "%E1%88%B4=bar" },
		{ "delimiter=%2F&encoding-type=url", "delimiter=%2F&encoding-type=url" },
	};
	struct kf_err err = KF_ERR_INIT;
	(void)state;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *out = NULL, *again = NULL;

		assert_int_equal(kf_sigv4_canonical_query(rows[i].in, &out, &err), KF_OK);
		assert_string_equal(out, rows[i].out);
		/* canonical in, same out */
		assert_int_equal(kf_sigv4_canonical_query(out, &again, &err), KF_OK);
		assert_string_equal(again, out);
		kf_free(out);
		kf_free(again);
	}
}

static void test_canonical_params(void **state)
{
	const struct kf_sigv4_param list[] = {
		{ "prefix", "galleries/wedding 2026/" },
		{ "max-keys", "2" },
		{ "continuation-token", "ab+c/d==" },
		{ "list-type", "2" },
		{ "fetch-owner", NULL },
	};
	struct kf_err err = KF_ERR_INIT;
	char *out = NULL;
	(void)state;

	assert_int_equal(kf_sigv4_canonical_params(list, 5, &out, &err), KF_OK);
	assert_string_equal(out, "continuation-token=ab%2Bc%2Fd%3D%3D&fetch-owner=&list-type=2"
				 "&max-keys=2&prefix=galleries%2Fwedding%202026%2F");
	kf_free(out);
	assert_int_equal(kf_sigv4_canonical_params(NULL, 0, &out, &err), KF_OK);
	assert_string_equal(out, "");
	kf_free(out);
}

static void test_format_date(void **state)
{
	struct kf_err err = KF_ERR_INIT;
	char d[KF_SIGV4_DATE_SIZE];
	(void)state;

	assert_int_equal(kf_sigv4_format_date(1440938160, d, &err), KF_OK);
	assert_string_equal(d, "20150830T123600Z");
	assert_int_equal(kf_sigv4_format_date(0, d, &err), KF_OK);
	assert_string_equal(d, "19700101T000000Z");
}

/* ---- an S3-style request, checked independently --------------------------- */

#define S3_SECRET "r2SecretKeyExample/0123456789+abcdefABCDEF"
#define S3_HOST "kingface-photos.acc0123.r2.cloudflarestorage.com"
#define S3_BODY_SHA "40ae26c6efae45d6ebd2c48d164f2e2149c43819e92b9a9e9b6822f5bd764f74"

/* S3 (R2) PUT: the path is not normalised ("./" and "//" are part of the key),
 * x-amz-content-sha256 is added and signed. Expected values computed with the
 * OpenSSL command line, not with this code:
 *
 *   hm() { openssl mac -digest SHA256 -macopt "$1" -in /dev/stdin HMAC | tr A-F a-f; }
 *   BODY=$(printf 'hello kingface' | openssl dgst -sha256 | awk '{print $NF}')
 *   CR="PUT
 *   /kingface-photos/galleries/./wedding%202026//IMG_0001.jpg
 *
 *   content-type:image/jpeg
 *   host:$HOST
 *   x-amz-content-sha256:$BODY
 *   x-amz-date:20260115T093000Z
 *
 *   content-type;host;x-amz-content-sha256;x-amz-date
 *   $BODY"
 *   CRH=$(printf '%s' "$CR" | openssl dgst -sha256 | awk '{print $NF}')
 *   STS="AWS4-HMAC-SHA256
 *   20260115T093000Z
 *   20260115/auto/s3/aws4_request
 *   $CRH"
 *   K1=$(printf 20260115 | hm "key:AWS4$SECRET"); K2=$(printf auto | hm "hexkey:$K1")
 *   K3=$(printf s3 | hm "hexkey:$K2"); K4=$(printf aws4_request | hm "hexkey:$K3")
 *   printf '%s' "$STS" | hm "hexkey:$K4"
 *
 * (the same procedure gives get-vanilla's header-signature.txt of the suite).
 */
static void test_s3_put(void **state)
{
	const struct kf_sigv4_header h[] = {
		{ "Host", S3_HOST },
		{ "Content-Type", "image/jpeg" },
	};
	const char *body = "hello kingface";
	struct kf_sigv4_request req = {
		.method = "PUT", .path = "/kingface-photos/galleries/./wedding 2026//IMG_0001.jpg",
		.headers = h, .n_headers = 2,
		.payload = (const uint8_t *)body, .payload_len = strlen(body),
	};
	struct kf_sigv4_creds cr = { "AKIAKINGFACEEXAMPLE", S3_SECRET, NULL };
	struct kf_sigv4_params p = {
		.region = "auto", .service = "s3", .amz_date = "20260115T093000Z",
		.flags = KF_SIGV4_CONTENT_SHA256,
	};
	struct kf_sigv4_result res;
	struct kf_err err = KF_ERR_INIT;
	(void)state;

	assert_int_equal(kf_sigv4_sign(&req, &cr, &p, &res, &err), KF_OK);
	assert_string_equal(res.canonical_request,
			    "PUT\n"
			    "/kingface-photos/galleries/./wedding%202026//IMG_0001.jpg\n"
			    "\n"
			    "content-type:image/jpeg\n"
			    "host:" S3_HOST "\n"
			    "x-amz-content-sha256:" S3_BODY_SHA "\n"
			    "x-amz-date:20260115T093000Z\n"
			    "\n"
			    "content-type;host;x-amz-content-sha256;x-amz-date\n"
			    S3_BODY_SHA);
	assert_string_equal(res.string_to_sign,
			    "AWS4-HMAC-SHA256\n20260115T093000Z\n20260115/auto/s3/aws4_request\n"
			    "6b45076ecb352e3712e755e742eb51e85befbe898a95b4a2d9f7deb93835418f");
	assert_string_equal(res.signature,
			    "452d610f1ee22ad59c810f1e21a8a44c54c7720a3fc01eaab53b1a5d5aba9eda");
	assert_string_equal(res.authorization,
			    "AWS4-HMAC-SHA256 Credential=AKIAKINGFACEEXAMPLE/20260115/auto/s3/"
			    "aws4_request, SignedHeaders=content-type;host;x-amz-content-sha256;"
			    "x-amz-date, Signature="
			    "452d610f1ee22ad59c810f1e21a8a44c54c7720a3fc01eaab53b1a5d5aba9eda");
	assert_string_equal(res.payload_hash, S3_BODY_SHA);
	assert_string_equal(res.amz_date, "20260115T093000Z");
	assert_string_equal(res.signed_headers, "content-type;host;x-amz-content-sha256;x-amz-date");
	assert_null(res.query);
	assert_null(strstr(res.canonical_request, S3_SECRET));
	assert_null(strstr(res.authorization, S3_SECRET));
	kf_sigv4_result_release(&res);

	/* the same with the body hash given: same signature */
	req.payload = NULL;
	req.payload_len = 0;
	req.payload_hash = S3_BODY_SHA;
	assert_int_equal(kf_sigv4_sign(&req, &cr, &p, &res, &err), KF_OK);
	assert_string_equal(res.signature,
			    "452d610f1ee22ad59c810f1e21a8a44c54c7720a3fc01eaab53b1a5d5aba9eda");
	kf_sigv4_result_release(&res);

	/* UNSIGNED-PAYLOAD goes into both the header and the last line */
	req.payload_hash = KF_SIGV4_UNSIGNED_PAYLOAD;
	assert_int_equal(kf_sigv4_sign(&req, &cr, &p, &res, &err), KF_OK);
	assert_non_null(strstr(res.canonical_request,
			       "\nx-amz-content-sha256:UNSIGNED-PAYLOAD\n"));
	assert_string_equal(strrchr(res.canonical_request, '\n'), "\nUNSIGNED-PAYLOAD");
	assert_string_equal(res.payload_hash, "UNSIGNED-PAYLOAD");
	kf_sigv4_result_release(&res);
}

/* ListObjectsV2 with a continuation token, and a presigned GET with a session
 * token: the query is canonical, the token signed and encoded. */
static void test_s3_list_and_presign(void **state)
{
	const struct kf_sigv4_header h[] = { { "host", S3_HOST } };
	struct kf_sigv4_request req = {
		.method = "GET", .path = "/kingface-photos",
		.query = "list-type=2&continuation-token=ab+c/d==&prefix=galleries/",
		.headers = h, .n_headers = 1, .payload_hash = KF_SIGV4_UNSIGNED_PAYLOAD,
	};
	struct kf_sigv4_creds cr = { "AKIAKINGFACEEXAMPLE", S3_SECRET, "tok/en+=" };
	struct kf_sigv4_params p = {
		.region = "auto", .service = "s3", .amz_date = "20260115T093000Z",
		.flags = KF_SIGV4_CONTENT_SHA256,
	};
	struct kf_sigv4_result res;
	struct kf_err err = KF_ERR_INIT;
	(void)state;

	assert_int_equal(kf_sigv4_sign(&req, &cr, &p, &res, &err), KF_OK);
	assert_string_equal(res.canonical_request,
			    "GET\n/kingface-photos\n"
			    "continuation-token=ab%2Bc%2Fd%3D%3D&list-type=2&prefix=galleries%2F\n"
			    "host:" S3_HOST "\n"
			    "x-amz-content-sha256:UNSIGNED-PAYLOAD\n"
			    "x-amz-date:20260115T093000Z\n"
			    "x-amz-security-token:tok/en+=\n"
			    "\nhost;x-amz-content-sha256;x-amz-date;x-amz-security-token\n"
			    "UNSIGNED-PAYLOAD");
	kf_sigv4_result_release(&res);

	p.flags = KF_SIGV4_PRESIGN;
	p.expires = 900;
	req.query = "x-id=GetObject";
	req.path = "/kingface-photos/a.jpg";
	assert_int_equal(kf_sigv4_sign(&req, &cr, &p, &res, &err), KF_OK);
	assert_null(res.authorization);
	assert_non_null(res.query);
	assert_non_null(strstr(res.query, "&X-Amz-Security-Token=tok%2Fen%2B%3D&"));
	assert_non_null(strstr(res.query, "X-Amz-Expires=900&"));
	assert_true(strncmp(res.query, "X-Amz-Algorithm=AWS4-HMAC-SHA256&", 33) == 0);
	assert_string_equal(strstr(res.query, "&X-Amz-Signature="),
			    kf_test_path("&X-Amz-Signature=%s", res.signature));
	assert_non_null(strstr(res.query, "&x-id=GetObject&"));
	kf_sigv4_result_release(&res);
}

/* Path normalisation as a table (through the canonical request's 2nd line). */
static void test_paths(void **state)
{
	static const struct {
		const char *in;
		int normalize;	/* 1: KF_SIGV4_NORMALIZE_PATH, 2: KF_SIGV4_DOUBLE_ENCODE */
		const char *out;
	} rows[] = {
		{ "", 1, "/" },
		{ NULL, 0, "/" },
		{ "/", 1, "/" },
		{ "/a/b/../c", 1, "/a/c" },
		{ "/a/b/.", 1, "/a/b/" },
		{ "/a/b/..", 1, "/a/" },
		{ "/../../a", 1, "/a" },
		{ "//a///b//", 1, "/a/b/" },
		{ "//a///b//", 0, "//a///b//" },
		{ "/a/./b/../c", 0, "/a/./b/../c" },
		{ "/key with%/and+plus=", 0, "/key%20with%25/and%2Bplus%3D" },
		{ "/key with%/and+plus=", 1, "/key%20with%25/and%2Bplus%3D" },
		{ "/?#", 0, "/%3F%23" },
		/* KF_SIGV4_DOUBLE_ENCODE (2): services other than S3 */
		{ "/a b/%/c", 2, "/a%2520b/%2525/c" },
		{ "/a b/../c//d", 3, "/c/d" },
		{ "/x y/./z", 3, "/x%2520y/z" },
	};
	const struct kf_sigv4_header h[] = { { "Host", "h" } };
	struct kf_sigv4_creds cr = { "AKID", "secret", NULL };
	struct kf_err err = KF_ERR_INIT;
	(void)state;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct kf_sigv4_request req = { .method = "GET", .path = rows[i].in,
						.headers = h, .n_headers = 1 };
		struct kf_sigv4_params p = { .region = "r", .service = "s",
					     .amz_date = "20260101T000000Z",
					     .flags = ((rows[i].normalize & 1) ? KF_SIGV4_NORMALIZE_PATH : 0u) |
						      ((rows[i].normalize & 2) ? KF_SIGV4_DOUBLE_ENCODE : 0u) };
		struct kf_sigv4_result res;
		char *l1, *l2;

		assert_int_equal(kf_sigv4_sign(&req, &cr, &p, &res, &err), KF_OK);
		l1 = strchr(res.canonical_request, '\n') + 1;
		l2 = strchr(l1, '\n');
		*l2 = '\0';
		if (strcmp(l1, rows[i].out))
			fail_msg("path '%s' (normalize %d): want '%s', got '%s'",
				 rows[i].in ? rows[i].in : "(null)", rows[i].normalize,
				 rows[i].out, l1);
		kf_sigv4_result_release(&res);
	}
}

/* ---- errors --------------------------------------------------------------- */

#define SECRET "SuperSecretKey/ShouldNeverLeak+0123"
#define TOKEN "SessionTokenThatIsSecretToo"

static void test_errors_hold_no_secret(void **state)
{
	static const struct kf_sigv4_header good[] = { { "Host", "h" } };
	static const struct kf_sigv4_header bad_value[] = {
		{ "Host", "h" }, { "X-Leak", SECRET "\n" TOKEN } };
	static const struct kf_sigv4_header bad_name[] = { { "Host", "h" }, { SECRET, "v" } };
	static const struct kf_sigv4_header reserved[] = { { "Host", "h" }, { "X-Amz-Date", "x" } };
	static const struct kf_sigv4_header reserved_tok[] = {
		{ "Host", "h" }, { "x-amz-security-token", TOKEN } };
	static const struct kf_sigv4_header reserved_sha[] = {
		{ "Host", "h" }, { "X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD" } };
	static const struct kf_sigv4_header no_host[] = { { "Accept", "*/*" } };
	static const struct {
		const char *method, *path, *query, *payload_hash;
		const struct kf_sigv4_header *h;
		size_t nh;
		const char *akid, *secret, *token, *region, *service, *date;
		unsigned flags;
		long expires;
	} rows[] = {
		{ "GET", "/", NULL, NULL, good, 1, "AKID", SECRET, TOKEN, "r", "s", SECRET, 0, 0 },
		{ "GET", "/", NULL, NULL, good, 1, "AKID", SECRET, TOKEN, "r", "s", "20261301T000000Z", 0, 0 },
		{ "GET", "/", NULL, NULL, good, 1, "AKID", SECRET, TOKEN, "r", "s", "2026-01-01T00:00:00Z", 0, 0 },
		{ "GET", "/", NULL, NULL, good, 1, "AKID", SECRET, TOKEN, "r", "s", NULL, 0, 0 },
		{ "GET", "/", NULL, NULL, bad_value, 2, "AKID", SECRET, TOKEN, "r", "s", "20260101T000000Z", 0, 0 },
		{ "GET", "/", NULL, NULL, bad_name, 2, "AKID", SECRET, TOKEN, "r", "s", "20260101T000000Z", 0, 0 },
		{ "GET", "/", NULL, NULL, reserved, 2, "AKID", SECRET, TOKEN, "r", "s", "20260101T000000Z", 0, 0 },
		{ "GET", "/", NULL, NULL, reserved_tok, 2, "AKID", SECRET, TOKEN, "r", "s", "20260101T000000Z", 0, 0 },
		{ "GET", "/", NULL, NULL, reserved_sha, 2, "AKID", SECRET, NULL, "r", "s", "20260101T000000Z", KF_SIGV4_CONTENT_SHA256, 0 },
		{ "GET", "/", NULL, NULL, no_host, 1, "AKID", SECRET, TOKEN, "r", "s", "20260101T000000Z", 0, 0 },
		{ "GET", "/", NULL, NULL, good, 1, SECRET, SECRET, TOKEN, "r", "s", "20260101T000000Z", 0, 0 },
		{ "GET", "/", NULL, NULL, good, 1, "", SECRET, TOKEN, "r", "s", "20260101T000000Z", 0, 0 },
		{ "GET", "/", NULL, NULL, good, 1, "AKID", "", TOKEN, "r", "s", "20260101T000000Z", 0, 0 },
		{ "GET", "/", NULL, NULL, good, 1, "AKID", NULL, TOKEN, "r", "s", "20260101T000000Z", 0, 0 },
		{ "GET", "/", NULL, NULL, good, 1, "AKID", SECRET, TOKEN "\n" SECRET, "r", "s", "20260101T000000Z", 0, 0 },
		{ "GET", "/", NULL, NULL, good, 1, "AKID", SECRET, TOKEN, "us east", "s", "20260101T000000Z", 0, 0 },
		{ "GET", "/", NULL, NULL, good, 1, "AKID", SECRET, TOKEN, "r", "s/3", "20260101T000000Z", 0, 0 },
		{ "GET", "/", NULL, NULL, good, 1, "AKID", SECRET, TOKEN, NULL, "s", "20260101T000000Z", 0, 0 },
		{ "G T", "/", NULL, NULL, good, 1, "AKID", SECRET, TOKEN, "r", "s", "20260101T000000Z", 0, 0 },
		{ NULL, "/", NULL, NULL, good, 1, "AKID", SECRET, TOKEN, "r", "s", "20260101T000000Z", 0, 0 },
		{ "GET", "a/b", NULL, NULL, good, 1, "AKID", SECRET, TOKEN, "r", "s", "20260101T000000Z", 0, 0 },
		{ "GET", "/", NULL, SECRET, good, 1, "AKID", SECRET, TOKEN, "r", "s", "20260101T000000Z", 0, 0 },
		{ "GET", "/", NULL, "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855", good, 1, "AKID", SECRET, TOKEN, "r", "s", "20260101T000000Z", 0, 0 },
		{ "GET", "/", NULL, NULL, good, 1, "AKID", SECRET, TOKEN, "r", "s", "20260101T000000Z", KF_SIGV4_PRESIGN, 0 },
		{ "GET", "/", NULL, NULL, good, 1, "AKID", SECRET, TOKEN, "r", "s", "20260101T000000Z", KF_SIGV4_PRESIGN, 604801 },
		{ "GET", "/", "a=1&X-Amz-Signature=" SECRET, NULL, good, 1, "AKID", SECRET, TOKEN, "r", "s", "20260101T000000Z", KF_SIGV4_PRESIGN, 60 },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct kf_sigv4_request req = {
			.method = rows[i].method, .path = rows[i].path, .query = rows[i].query,
			.headers = rows[i].h, .n_headers = rows[i].nh,
			.payload_hash = rows[i].payload_hash,
		};
		struct kf_sigv4_creds cr = { rows[i].akid, rows[i].secret, rows[i].token };
		struct kf_sigv4_params p = { rows[i].region, rows[i].service, rows[i].date,
					     rows[i].flags, rows[i].expires };
		struct kf_sigv4_result res;
		struct kf_err err = KF_ERR_INIT;
		int rc = kf_sigv4_sign(&req, &cr, &p, &res, &err);

		if (rc != KF_E_INVALID)
			fail_msg("row %zu: want KF_E_INVALID, got %d", i, rc);
		assert_int_equal(err.code, KF_E_INVALID);
		assert_true(err.msg[0] != '\0');
		if (strstr(err.msg, "SuperSecret") || strstr(err.msg, "ShouldNeverLeak") ||
		    strstr(err.msg, "SessionToken"))
			fail_msg("row %zu: error leaks a secret: %s", i, err.msg);
		assert_null(res.canonical_request);
		assert_null(res.authorization);
		assert_null(res.query);
		kf_sigv4_result_release(&res);
	}
}

/* ---- allocation failures -------------------------------------------------- */

static int sign_presign_s3(int presign)
{
	const struct kf_sigv4_header h[] = {
		{ "Host", S3_HOST }, { "X-Dup", "a" }, { "x-dup", " b  c " } };
	struct kf_sigv4_request req = {
		.method = "GET", .path = "/kingface-photos/./a b//c/../d.jpg",
		.query = "z=1&continuation-token=ab+c/d==&a=%2F",
		.headers = h, .n_headers = 3,
	};
	struct kf_sigv4_creds cr = { "AKIAKINGFACEEXAMPLE", S3_SECRET, "tok" };
	struct kf_sigv4_params p = {
		.region = "auto", .service = "s3", .amz_date = "20260115T093000Z",
		.flags = KF_SIGV4_CONTENT_SHA256 | KF_SIGV4_NORMALIZE_PATH |
			 (presign ? KF_SIGV4_PRESIGN | KF_SIGV4_UNSIGNED_TOKEN : 0u),
		.expires = 60,
	};
	struct kf_sigv4_result res;
	struct kf_err err = KF_ERR_INIT;
	int rc = kf_sigv4_sign(&req, &cr, &p, &res, &err);

	if (rc == KF_OK) {
		assert_non_null(res.canonical_request);
		assert_non_null(res.string_to_sign);
		assert_non_null(presign ? res.query : res.authorization);
	} else {
		assert_int_equal(rc, KF_E_NOMEM);
		assert_int_equal(err.code, KF_E_NOMEM);
		assert_null(res.canonical_request);
		assert_null(res.string_to_sign);
		assert_null(res.authorization);
		assert_null(res.query);
		assert_null(res.signed_headers);
	}
	kf_sigv4_result_release(&res);
	return rc;
}

static int encode_once(int which)
{
	static const struct kf_sigv4_param list[] = { { "b", "x/y" }, { "a", "1" } };
	struct kf_err err = KF_ERR_INIT;
	char *out = (char *)"sentinel";
	int rc;

	if (which == 0)
		rc = kf_sigv4_encode("a b/c", 5, 0, &out, &err);
	else if (which == 1)
		rc = kf_sigv4_canonical_query("?b=2&a=%2F&c", &out, &err);
	else
		rc = kf_sigv4_canonical_params(list, 2, &out, &err);
	if (rc == KF_OK) {
		assert_non_null(out);
	} else {
		assert_int_equal(rc, KF_E_NOMEM);
		assert_null(out);
	}
	kf_free(out);
	return rc;
}

static void test_alloc_failures(void **state)
{
	(void)state;

	for (int which = 0; which < 5; which++) {
		long n;

		kf_alloc_fail_at(0);
		if (which < 2)
			assert_int_equal(sign_presign_s3(which), KF_OK);
		else
			assert_int_equal(encode_once(which - 2), KF_OK);
		n = kf_alloc_fail_at(0);
		assert_true(n > 0);
		for (long k = 1; k <= n; k++) {
			int rc;

			kf_alloc_fail_at(k);
			rc = which < 2 ? sign_presign_s3(which) : encode_once(which - 2);
			kf_alloc_fail_at(0);
			if (rc != KF_E_NOMEM)
				fail_msg("function %d: allocation %ld of %ld failed, got %d", which,
					 k, n, rc);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_aws_suite),
		cmocka_unit_test(test_encode_table),
		cmocka_unit_test(test_canonical_query_table),
		cmocka_unit_test(test_canonical_params),
		cmocka_unit_test(test_format_date),
		cmocka_unit_test(test_s3_put),
		cmocka_unit_test(test_s3_list_and_presign),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_errors_hold_no_secret),
		cmocka_unit_test(test_alloc_failures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
