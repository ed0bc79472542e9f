/* sigv4.c: AWS Signature Version 4 signer (see sigv4.h).
 *
 * DESIGN: every string is built in a growable buffer (struct sbuf) that records
 * an allocation failure instead of reporting each one, so the builders stay
 * linear and the caller checks once. Headers and query parameters are first
 * collected as already-canonical strings, then sorted and joined. The signing
 * key lives on the stack and is wiped (OPENSSL_cleanse) before returning; the
 * secret and the session token are never formatted into an error message.
 */
#include "data/sigv4.h"

#include <assert.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "core/alloc.h"

#define MAX_NAME 128		/* region, service, access key id, method */
#define MAX_SECRET 1024
#define MAX_TOKEN 16384

/* ---- growable string ------------------------------------------------------ */

struct sbuf {
	char *p;
	size_t len, cap;
	int oom;
};

static void sb_grow(struct sbuf *b, size_t extra)
{
	size_t need, cap;
	char *p;

	if (b->oom)
		return;
	if (extra > SIZE_MAX - b->len - 1) {
		b->oom = 1;
		return;
	}
	need = b->len + extra + 1;
	if (need <= b->cap)
		return;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	if (!(p = kf_realloc(b->p, cap))) {
		b->oom = 1;
		return;
	}
	b->p = p;
	b->cap = cap;
}

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	sb_grow(b, n);
	if (b->oom)
		return;
	if (n)
		memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sb_adds(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static void sb_addc(struct sbuf *b, char c)
{
	sb_add(b, &c, 1);
}

/* Hand the string to the caller (never NULL unless oom), or free it on oom. */
static char *sb_detach(struct sbuf *b)
{
	char *p;

	if (!b->oom && !b->p)
		sb_add(b, "", 0);
	if (b->oom) {
		kf_free(b->p);
		p = NULL;
	} else {
		p = b->p;
	}
	memset(b, 0, sizeof(*b));
	return p;
}

static void sb_release(struct sbuf *b)
{
	kf_free(b->p);
	memset(b, 0, sizeof(*b));
}

/* ---- encoding ------------------------------------------------------------- */

static const char HEX_UPPER[] = "0123456789ABCDEF";
static const char HEX_LOWER[] = "0123456789abcdef";

static int unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '.' || c == '~';
}

static void encode_into(struct sbuf *b, const char *s, size_t len, unsigned flags)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		char e[3];

		if (unreserved(c) || (c == '/' && (flags & KF_SIGV4_KEEP_SLASH))) {
			sb_addc(b, (char)c);
			continue;
		}
		e[0] = '%';
		e[1] = HEX_UPPER[c >> 4];
		e[2] = HEX_UPPER[c & 15];
		sb_add(b, e, 3);
	}
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* %XX -> byte; a '%' without two hex digits stays literal; '+' stays '+'. */
static void decode_into(struct sbuf *b, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		int hi, lo;

		if (s[i] == '%' && i + 2 < len && (hi = hexval(s[i + 1])) >= 0 &&
		    (lo = hexval(s[i + 2])) >= 0) {
			sb_addc(b, (char)(hi << 4 | lo));
			i += 2;
		} else {
			sb_addc(b, s[i]);
		}
	}
}

static void hex_lower(const unsigned char *in, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = HEX_LOWER[in[i] >> 4];
		out[2 * i + 1] = HEX_LOWER[in[i] & 15];
	}
	out[2 * n] = '\0';
}

int kf_sigv4_encode(const char *s, size_t len, unsigned flags, char **out,
		    struct kf_err *err)
{
	struct sbuf b = { 0 };

	*out = NULL;
	if (len > KF_SIGV4_MAX_INPUT)
		return kf_err_set(err, KF_E_INVALID, "string to encode too long (%zu bytes)", len);
	encode_into(&b, s, len, flags);
	if (!(*out = sb_detach(&b)))
		return kf_err_set(err, KF_E_NOMEM, "out of memory encoding a string");
	return KF_OK;
}

/* ---- query parameters ----------------------------------------------------- */

struct qpair {
	char *name;	/* encoded */
	char *value;	/* encoded */
};

struct qlist {
	struct qpair *a;
	size_t n, cap;
};

static void qlist_release(struct qlist *q)
{
	for (size_t i = 0; i < q->n; i++) {
		kf_free(q->a[i].name);
		kf_free(q->a[i].value);
	}
	kf_free(q->a);
	memset(q, 0, sizeof(*q));
}

/* Add one raw (unencoded) pair. Returns KF_OK or KF_E_NOMEM (no message). */
static int qlist_add(struct qlist *q, const char *name, size_t nlen, const char *value,
		     size_t vlen)
{
	struct sbuf bn = { 0 }, bv = { 0 };
	char *n, *v;

	if (q->n == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 8;
		struct qpair *a = kf_realloc(q->a, cap * sizeof(*a));

		if (!a)
			return KF_E_NOMEM;
		q->a = a;
		q->cap = cap;
	}
	encode_into(&bn, name, nlen, 0);
	encode_into(&bv, value, vlen, 0);
	n = sb_detach(&bn);
	v = sb_detach(&bv);
	if (!n || !v) {
		kf_free(n);
		kf_free(v);
		return KF_E_NOMEM;
	}
	q->a[q->n].name = n;
	q->a[q->n].value = v;
	q->n++;
	return KF_OK;
}

/* Add the pairs of a query as given (see kf_sigv4_canonical_query). */
static int qlist_parse(struct qlist *q, const char *query)
{
	struct sbuf bn = { 0 }, bv = { 0 };
	const char *s = query, *end;
	int rc = KF_OK;

	if (!s)
		return KF_OK;
	if (*s == '?')
		s++;
	for (; *s; s = *end ? end + 1 : end) {
		const char *eq;

		end = strchr(s, '&');
		if (!end)
			end = s + strlen(s);
		if (end == s)
			continue;
		eq = memchr(s, '=', (size_t)(end - s));
		if (!eq)
			eq = end;
		bn.len = bv.len = 0;
		decode_into(&bn, s, (size_t)(eq - s));
		decode_into(&bv, eq < end ? eq + 1 : end, (size_t)(end - (eq < end ? eq + 1 : end)));
		sb_add(&bn, "", 0);	/* make sure p exists even for empty parts */
		sb_add(&bv, "", 0);
		if (bn.oom || bv.oom) {
			rc = KF_E_NOMEM;
			break;
		}
		if ((rc = qlist_add(q, bn.p, bn.len, bv.p, bv.len)) < 0)
			break;
	}
	sb_release(&bn);
	sb_release(&bv);
	return rc;
}

static int qpair_cmp(const void *a, const void *b)
{
	const struct qpair *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : strcmp(x->value, y->value);
}

static void qlist_join(struct qlist *q, struct sbuf *b)
{
	if (q->n)
		qsort(q->a, q->n, sizeof(*q->a), qpair_cmp);
	for (size_t i = 0; i < q->n; i++) {
		if (i)
			sb_addc(b, '&');
		sb_adds(b, q->a[i].name);
		sb_addc(b, '=');
		sb_adds(b, q->a[i].value);
	}
}

static int finish_query(struct qlist *q, int rc, char **out, struct kf_err *err)
{
	struct sbuf b = { 0 };

	if (rc == KF_OK) {
		qlist_join(q, &b);
		if (!(*out = sb_detach(&b)))
			rc = KF_E_NOMEM;
	}
	qlist_release(q);
	if (rc == KF_E_NOMEM)
		return kf_err_set(err, rc, "out of memory building a query string");
	return rc;
}

int kf_sigv4_canonical_params(const struct kf_sigv4_param *params, size_t n,
			      char **out, struct kf_err *err)
{
	struct qlist q = { 0 };
	int rc = KF_OK;

	*out = NULL;
	for (size_t i = 0; i < n && rc == KF_OK; i++) {
		const char *name = params[i].name ? params[i].name : "";
		const char *value = params[i].value ? params[i].value : "";
		size_t nl = strlen(name), vl = strlen(value);

		if (nl > KF_SIGV4_MAX_INPUT || vl > KF_SIGV4_MAX_INPUT) {
			qlist_release(&q);
			return kf_err_set(err, KF_E_INVALID, "query parameter %zu too long", i);
		}
		rc = qlist_add(&q, name, nl, value, vl);
	}
	return finish_query(&q, rc, out, err);
}

int kf_sigv4_canonical_query(const char *query, char **out, struct kf_err *err)
{
	struct qlist q = { 0 };

	*out = NULL;
	if (query && strlen(query) > KF_SIGV4_MAX_INPUT)
		return kf_err_set(err, KF_E_INVALID, "query string too long");
	return finish_query(&q, qlist_parse(&q, query), out, err);
}

/* ---- dates ---------------------------------------------------------------- */

int kf_sigv4_format_date(time_t t, char out[KF_SIGV4_DATE_SIZE], struct kf_err *err)
{
	struct tm tm;

	out[0] = '\0';
	if (!gmtime_r(&t, &tm) || tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999)
		return kf_err_set(err, KF_E_INVALID, "time %lld out of range", (long long)t);
	if (strftime(out, KF_SIGV4_DATE_SIZE, "%Y%m%dT%H%M%SZ", &tm) != KF_SIGV4_DATE_SIZE - 1) {
		out[0] = '\0';
		return kf_err_set(err, KF_E_INVALID, "time %lld out of range", (long long)t);
	}
	return KF_OK;
}

static int digits(const char *s, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		*v = *v * 10 + (s[i] - '0');
	}
	return 1;
}

static int valid_amz_date(const char *d)
{
	int y, mo, da, h, mi, se;

	return d && strlen(d) == 16 && digits(d, 4, &y) && digits(d + 4, 2, &mo) &&
	       digits(d + 6, 2, &da) && d[8] == 'T' && digits(d + 9, 2, &h) &&
	       digits(d + 11, 2, &mi) && digits(d + 13, 2, &se) && d[15] == 'Z' &&
	       mo >= 1 && mo <= 12 && da >= 1 && da <= 31 && h <= 23 && mi <= 59 && se <= 60;
}

/* ---- validation ----------------------------------------------------------- */

/* RFC 9110 token characters (method, header names) */
static int tchar(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static int valid_token(const char *s, size_t max)
{
	size_t n;

	if (!s || !*s || (n = strlen(s)) > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!tchar((unsigned char)s[i]))
			return 0;
	return 1;
}

/* region, service, access key id: they go into the credential scope, so no
 * '/', ',', '=' or spaces */
static int valid_scope_part(const char *s)
{
	size_t n;

	if (!s || !*s || (n = strlen(s)) > MAX_NAME)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!unreserved(c))
			return 0;
	}
	return 1;
}

/* Printable ASCII only (a session token goes into a header and a URL). */
static int valid_printable(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			return 0;
	return 1;
}

static int is_lower_hex64(const char *s)
{
	if (strlen(s) != 64)
		return 0;
	for (int i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* Header values: any byte but controls; a CR or LF only as part of a folded
 * line (followed by more line breaks, then a space or a tab). */
static int valid_header_value(const char *v)
{
	size_t n = strlen(v);

	if (n > KF_SIGV4_MAX_INPUT)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c == '\r' || c == '\n') {
			size_t j = i;

			while (v[j] == '\r' || v[j] == '\n')
				j++;
			if (v[j] != ' ' && v[j] != '\t')
				return 0;
			i = j;
		} else if ((c < 0x20 && c != '\t') || c == 0x7f) {
			return 0;
		}
	}
	return 1;
}

/* ---- canonical parts ------------------------------------------------------ */

static int is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Trim, and make each inner run of whitespace one space. */
static void header_value_into(struct sbuf *b, const char *v)
{
	int pending = 0;

	while (is_ws(*v))
		v++;
	for (; *v; v++) {
		if (is_ws(*v)) {
			pending = 1;
			continue;
		}
		if (pending)
			sb_addc(b, ' ');
		pending = 0;
		sb_addc(b, *v);
	}
}

static void canonical_uri_once(struct sbuf *b, const char *path, int normalize);

/* The canonical URI of path (unencoded), normalised and double-encoded on
 * request. */
static void canonical_uri_into(struct sbuf *b, const char *path, unsigned flags)
{
	struct sbuf once = { 0 };

	if (!(flags & KF_SIGV4_DOUBLE_ENCODE)) {
		canonical_uri_once(b, path, (flags & KF_SIGV4_NORMALIZE_PATH) != 0);
		return;
	}
	canonical_uri_once(&once, path, (flags & KF_SIGV4_NORMALIZE_PATH) != 0);
	if (once.oom)
		b->oom = 1;
	else
		encode_into(b, once.p, once.len, KF_SIGV4_KEEP_SLASH);
	sb_release(&once);
}

static void canonical_uri_once(struct sbuf *b, const char *path, int normalize)
{
	size_t len = strlen(path);
	const char *s, *end = path + len;
	size_t nseg = 0, cap_seg = 0;
	struct seg { const char *p; size_t n; } *segs = NULL;
	int trailing = 0;

	if (!normalize) {
		encode_into(b, path, len, KF_SIGV4_KEEP_SLASH);
		return;
	}
	/* RFC 3986 remove_dot_segments, and empty segments dropped */
	for (s = path; s < end;) {
		const char *e = memchr(s, '/', (size_t)(end - s));
		size_t n;

		if (!e)
			e = end;
		n = (size_t)(e - s);
		trailing = (e < end) || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.');
		if (n == 0 || (n == 1 && s[0] == '.')) {
			/* nothing */
		} else if (n == 2 && s[0] == '.' && s[1] == '.') {
			if (nseg)
				nseg--;
		} else {
			if (nseg == cap_seg) {
				size_t cap = cap_seg ? cap_seg * 2 : 16;
				struct seg *a = kf_realloc(segs, cap * sizeof(*a));

				if (!a) {
					b->oom = 1;
					goto out;
				}
				segs = a;
				cap_seg = cap;
			}
			segs[nseg].p = s;
			segs[nseg].n = n;
			nseg++;
		}
		s = e < end ? e + 1 : e;
	}
	sb_addc(b, '/');
	for (size_t i = 0; i < nseg; i++) {
		if (i)
			sb_addc(b, '/');
		encode_into(b, segs[i].p, segs[i].n, 0);
	}
	if (nseg && trailing)
		sb_addc(b, '/');
out:
	kf_free(segs);
}

struct hdr {
	char *name;	/* lowercase */
	char *value;	/* canonical */
	size_t order;	/* position in the request: duplicates join in this order */
};

static int hdr_cmp(const void *a, const void *b)
{
	const struct hdr *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

static int hdr_add(struct hdr *h, size_t *n, const char *name, const char *value)
{
	struct sbuf bn = { 0 }, bv = { 0 };

	for (const char *p = name; *p; p++) {
		char c = *p;

		sb_addc(&bn, (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c);
	}
	header_value_into(&bv, value);
	h[*n].name = sb_detach(&bn);
	h[*n].value = sb_detach(&bv);
	h[*n].order = *n;
	(*n)++;
	return h[*n - 1].name && h[*n - 1].value ? KF_OK : KF_E_NOMEM;
}

static int reserved_header(const char *name, unsigned flags, int has_token)
{
	static const char *const always[] = { "authorization", "x-amz-date" };

	for (size_t i = 0; i < sizeof(always) / sizeof(always[0]); i++)
		if (!strcasecmp(name, always[i]))
			return 1;
	if (has_token && !strcasecmp(name, "x-amz-security-token"))
		return 1;
	if ((flags & KF_SIGV4_CONTENT_SHA256) && !(flags & KF_SIGV4_PRESIGN) &&
	    !strcasecmp(name, "x-amz-content-sha256"))
		return 1;
	return 0;
}

static int reserved_param(const char *encoded_name)
{
	static const char *const names[] = {
		"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
		"X-Amz-SignedHeaders", "X-Amz-Signature", "X-Amz-Security-Token",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(encoded_name, names[i]))
			return 1;
	return 0;
}

/* ---- crypto --------------------------------------------------------------- */

static int sha256(const void *data, size_t len, unsigned char md[32])
{
	unsigned int n = 0;

	return EVP_Digest(data ? data : "", len, md, &n, EVP_sha256(), NULL) == 1 && n == 32;
}

static int hmac(const void *key, size_t klen, const void *data, size_t dlen,
		unsigned char out[32])
{
	unsigned int n = 0;

	if (klen > INT_MAX)
		return 0;
	return HMAC(EVP_sha256(), key, (int)klen, data, dlen, out, &n) != NULL && n == 32;
}

/* signature = hex(HMAC(kSigning, sts)), kSigning derived from the secret. */
static int sign_sts(const char *secret, const char *date8, const char *region,
		    const char *service, const char *sts, char sig[KF_SIGV4_HEX_SIZE])
{
	unsigned char kbuf[4 + MAX_SECRET];
	unsigned char k[32], k2[32], mac[32];
	size_t slen = strlen(secret);
	int ok;

	memcpy(kbuf, "AWS4", 4);
	memcpy(kbuf + 4, secret, slen);
	ok = hmac(kbuf, 4 + slen, date8, 8, k) &&
	     hmac(k, 32, region, strlen(region), k2) &&
	     hmac(k2, 32, service, strlen(service), k) &&
	     hmac(k, 32, "aws4_request", 12, k2) &&
	     hmac(k2, 32, sts, strlen(sts), mac);
	if (ok)
		hex_lower(mac, 32, sig);
	OPENSSL_cleanse(kbuf, sizeof(kbuf));
	OPENSSL_cleanse(k, sizeof(k));
	OPENSSL_cleanse(k2, sizeof(k2));
	return ok;
}

/* ---- signing -------------------------------------------------------------- */

static int check_inputs(const struct kf_sigv4_request *req, const struct kf_sigv4_creds *cr,
			const struct kf_sigv4_params *p, struct kf_err *err)
{
	int has_token = cr->session_token && *cr->session_token;
	size_t total = 0;
	int host = 0;

	if (!valid_token(req->method, MAX_NAME))
		return kf_err_set(err, KF_E_INVALID, "bad or missing HTTP method");
	if (req->path && *req->path && req->path[0] != '/')
		return kf_err_set(err, KF_E_INVALID, "request path must start with '/'");
	if (req->path && strlen(req->path) > KF_SIGV4_MAX_INPUT)
		return kf_err_set(err, KF_E_INVALID, "request path too long");
	if (req->query && strlen(req->query) > KF_SIGV4_MAX_INPUT)
		return kf_err_set(err, KF_E_INVALID, "query string too long");
	if (req->n_headers > KF_SIGV4_MAX_HEADERS)
		return kf_err_set(err, KF_E_INVALID, "too many headers (%zu, at most %d)",
				  req->n_headers, KF_SIGV4_MAX_HEADERS);
	if (req->n_headers && !req->headers)
		return kf_err_set(err, KF_E_INVALID, "no header array for %zu headers",
				  req->n_headers);
	for (size_t i = 0; i < req->n_headers; i++) {
		const struct kf_sigv4_header *h = &req->headers[i];

		/* values are never quoted: one may hold a token or a signature */
		if (!valid_token(h->name, MAX_NAME))
			return kf_err_set(err, KF_E_INVALID, "bad header name (header %zu)", i);
		if (!h->value || !valid_header_value(h->value))
			return kf_err_set(err, KF_E_INVALID, "bad value for header '%s'", h->name);
		if (reserved_header(h->name, p->flags, has_token))
			return kf_err_set(err, KF_E_INVALID,
					  "header '%s' is added by the signer", h->name);
		if (!strcasecmp(h->name, "host"))
			host = 1;
		total += strlen(h->value);
		if (total > KF_SIGV4_MAX_INPUT)
			return kf_err_set(err, KF_E_INVALID, "request headers too long");
	}
	if (!host)
		return kf_err_set(err, KF_E_INVALID, "request has no Host header");
	if (req->payload_hash) {
		if (strcmp(req->payload_hash, KF_SIGV4_UNSIGNED_PAYLOAD) &&
		    !is_lower_hex64(req->payload_hash))
			return kf_err_set(err, KF_E_INVALID,
					  "payload hash is neither 64 lowercase hex digits nor "
					  KF_SIGV4_UNSIGNED_PAYLOAD);
	} else if (req->payload_len && !req->payload) {
		return kf_err_set(err, KF_E_INVALID, "no payload bytes for a %zu-byte payload",
				  req->payload_len);
	}
	if (!valid_scope_part(cr->access_key_id))
		return kf_err_set(err, KF_E_INVALID, "bad or missing access key id");
	if (!cr->secret_access_key || !*cr->secret_access_key ||
	    strlen(cr->secret_access_key) > MAX_SECRET)
		return kf_err_set(err, KF_E_INVALID, "bad or missing secret access key");
	if (has_token && !valid_printable(cr->session_token, MAX_TOKEN))
		return kf_err_set(err, KF_E_INVALID, "bad session token");
	if (!valid_scope_part(p->region))
		return kf_err_set(err, KF_E_INVALID, "bad or missing region");
	if (!valid_scope_part(p->service))
		return kf_err_set(err, KF_E_INVALID, "bad or missing service");
	if (!valid_amz_date(p->amz_date))
		return kf_err_set(err, KF_E_INVALID, "bad date: want UTC YYYYMMDDTHHMMSSZ");
	if ((p->flags & KF_SIGV4_PRESIGN) && (p->expires < 1 || p->expires > KF_SIGV4_MAX_EXPIRES))
		return kf_err_set(err, KF_E_INVALID, "bad expiry %ld s (1 to %ld)", p->expires,
				  KF_SIGV4_MAX_EXPIRES);
	return KF_OK;
}

void kf_sigv4_result_release(struct kf_sigv4_result *res)
{
	if (!res)
		return;
	kf_free(res->canonical_request);
	kf_free(res->string_to_sign);
	kf_free(res->authorization);
	kf_free(res->query);
	kf_free(res->signed_headers);
	memset(res, 0, sizeof(*res));
}

int kf_sigv4_sign(const struct kf_sigv4_request *req, const struct kf_sigv4_creds *cr,
		  const struct kf_sigv4_params *p, struct kf_sigv4_result *out,
		  struct kf_err *err)
{
	int presign, has_token, sign_token;
	struct kf_sigv4_result r = { 0 };
	struct hdr *h = NULL;
	size_t nh = 0;
	struct qlist q = { 0 };
	struct sbuf b = { 0 };
	char date8[9], expires[24];
	unsigned char md[32];
	int rc;

	assert(req && cr && p && out);	/* our bug, not bad input */
	presign = (p->flags & KF_SIGV4_PRESIGN) != 0;
	has_token = cr->session_token && *cr->session_token;
	sign_token = has_token && !(p->flags & KF_SIGV4_UNSIGNED_TOKEN);
	memset(out, 0, sizeof(*out));
	if ((rc = check_inputs(req, cr, p, err)) < 0)
		return rc;
	memcpy(r.amz_date, p->amz_date, KF_SIGV4_DATE_SIZE);
	memcpy(date8, p->amz_date, 8);
	date8[8] = '\0';
	rc = KF_E_NOMEM;

	/* payload hash */
	if (req->payload_hash) {
		snprintf(r.payload_hash, sizeof(r.payload_hash), "%s", req->payload_hash);
	} else {
		if (!sha256(req->payload, req->payload_len, md))
			goto out;
		hex_lower(md, 32, r.payload_hash);
	}

	/* canonical headers: the request's, then the ones the signer adds */
	if (!(h = kf_calloc(req->n_headers + 3, sizeof(*h))))
		goto out;
	for (size_t i = 0; i < req->n_headers; i++)
		if (hdr_add(h, &nh, req->headers[i].name, req->headers[i].value) < 0)
			goto out;
	if (!presign) {
		if (hdr_add(h, &nh, "x-amz-date", r.amz_date) < 0)
			goto out;
		if ((p->flags & KF_SIGV4_CONTENT_SHA256) &&
		    hdr_add(h, &nh, "x-amz-content-sha256", r.payload_hash) < 0)
			goto out;
		if (sign_token && hdr_add(h, &nh, "x-amz-security-token", cr->session_token) < 0)
			goto out;
	}
	qsort(h, nh, sizeof(*h), hdr_cmp);
	for (size_t i = 0; i < nh; i++) {
		if (i && !strcmp(h[i].name, h[i - 1].name))
			continue;
		if (i)
			sb_addc(&b, ';');
		sb_adds(&b, h[i].name);
	}
	if (!(r.signed_headers = sb_detach(&b)))
		goto out;

	/* canonical query */
	if ((rc = qlist_parse(&q, req->query)) < 0)
		goto out;
	rc = KF_E_NOMEM;
	if (presign) {
		for (size_t i = 0; i < q.n; i++)
			if (reserved_param(q.a[i].name)) {
				rc = kf_err_set(err, KF_E_INVALID,
						"query parameter '%s' is added by the signer",
						q.a[i].name);
				goto out;
			}
		snprintf(expires, sizeof(expires), "%ld", p->expires);
		sb_adds(&b, cr->access_key_id);
		sb_addc(&b, '/');
		sb_adds(&b, date8);
		sb_addc(&b, '/');
		sb_adds(&b, p->region);
		sb_addc(&b, '/');
		sb_adds(&b, p->service);
		sb_adds(&b, "/aws4_request");
		if (b.oom)
			goto out;
#define ADD_PARAM(n, v) \
	if (qlist_add(&q, n, strlen(n), v, strlen(v)) < 0) \
		goto out
		ADD_PARAM("X-Amz-Algorithm", KF_SIGV4_ALGORITHM);
		ADD_PARAM("X-Amz-Credential", b.p);
		ADD_PARAM("X-Amz-Date", r.amz_date);
		ADD_PARAM("X-Amz-Expires", expires);
		ADD_PARAM("X-Amz-SignedHeaders", r.signed_headers);
		if (sign_token)
			ADD_PARAM("X-Amz-Security-Token", cr->session_token);
#undef ADD_PARAM
		sb_release(&b);
	}

	/* canonical request */
	sb_adds(&b, req->method);
	sb_addc(&b, '\n');
	canonical_uri_into(&b, req->path && *req->path ? req->path : "/", p->flags);
	sb_addc(&b, '\n');
	qlist_join(&q, &b);
	sb_addc(&b, '\n');
	for (size_t i = 0; i < nh; i++) {
		if (i && !strcmp(h[i].name, h[i - 1].name)) {
			sb_addc(&b, ',');
		} else {
			if (i)
				sb_addc(&b, '\n');
			sb_adds(&b, h[i].name);
			sb_addc(&b, ':');
		}
		sb_adds(&b, h[i].value);
	}
	sb_adds(&b, "\n\n");
	sb_adds(&b, r.signed_headers);
	sb_addc(&b, '\n');
	sb_adds(&b, r.payload_hash);
	if (!(r.canonical_request = sb_detach(&b)))
		goto out;

	/* string to sign */
	if (!sha256(r.canonical_request, strlen(r.canonical_request), md))
		goto out;
	hex_lower(md, 32, r.signature);	/* scratch until the real signature */
	sb_adds(&b, KF_SIGV4_ALGORITHM "\n");
	sb_adds(&b, r.amz_date);
	sb_addc(&b, '\n');
	sb_adds(&b, date8);
	sb_addc(&b, '/');
	sb_adds(&b, p->region);
	sb_addc(&b, '/');
	sb_adds(&b, p->service);
	sb_adds(&b, "/aws4_request\n");
	sb_adds(&b, r.signature);
	if (!(r.string_to_sign = sb_detach(&b)))
		goto out;

	if (!sign_sts(cr->secret_access_key, date8, p->region, p->service, r.string_to_sign,
		      r.signature))
		goto out;

	if (presign) {
		qlist_join(&q, &b);
		sb_adds(&b, "&X-Amz-Signature=");
		sb_adds(&b, r.signature);
		if (has_token && !sign_token) {
			sb_adds(&b, "&X-Amz-Security-Token=");
			encode_into(&b, cr->session_token, strlen(cr->session_token), 0);
		}
		if (!(r.query = sb_detach(&b)))
			goto out;
	} else {
		sb_adds(&b, KF_SIGV4_ALGORITHM " Credential=");
		sb_adds(&b, cr->access_key_id);
		sb_addc(&b, '/');
		sb_adds(&b, date8);
		sb_addc(&b, '/');
		sb_adds(&b, p->region);
		sb_addc(&b, '/');
		sb_adds(&b, p->service);
		sb_adds(&b, "/aws4_request, SignedHeaders=");
		sb_adds(&b, r.signed_headers);
		sb_adds(&b, ", Signature=");
		sb_adds(&b, r.signature);
		if (!(r.authorization = sb_detach(&b)))
			goto out;
	}
	*out = r;
	memset(&r, 0, sizeof(r));
	rc = KF_OK;
out:
	if (rc == KF_E_NOMEM)
		kf_err_set(err, rc, "out of memory signing a request");
	sb_release(&b);
	qlist_release(&q);
	for (size_t i = 0; h && i < nh; i++) {
		kf_free(h[i].name);
		kf_free(h[i].value);
	}
	kf_free(h);
	kf_sigv4_result_release(&r);
	return rc;
}
