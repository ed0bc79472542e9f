/* s3_xml.c: what the S3 client reads from S3's answers (s3.h): ListObjectsV2
 * pages and error bodies, parsed with expat (no entity expansion, bounded text
 * and object counts), ETags and ISO 8601 times. Pure: no I/O, fuzzed
 * (tests/fuzz/fuzz_s3_list.c). */
#include "data/s3.h"

#include <errno.h>
#include <expat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"

#define MAX_PAGE_OBJECTS 100000
#define MAX_TEXT 4096		/* one element's text: a key, a token */

int64_t kf_s3_parse_time(const char *s)
{
	struct tm tm = { 0 };
	int ms = 0, n = 0;
	time_t t;

	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
		   &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 || n != 19)
		return -1;
	s += n;
	if (*s == '.') {
		int digits = 0;

		for (s++; *s >= '0' && *s <= '9'; s++, digits++)
			if (digits < 3)
				ms = ms * 10 + (*s - '0');
		for (; digits < 3; digits++)
			ms *= 10;
	}
	if (strcmp(s, "Z") != 0 || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 ||
	    tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60 ||
	    tm.tm_year < 1970)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	if ((t = timegm(&tm)) == (time_t)-1)
		return -1;
	return (int64_t)t * 1000 + ms;
}

int kf_s3_etag_unquote(const char *in, size_t len, char out[KF_S3_ETAG_SIZE])
{
	out[0] = '\0';
	if (len >= 2 && in[0] == 'W' && in[1] == '/') {
		in += 2;
		len -= 2;
	}
	if (len >= 2 && in[0] == '"' && in[len - 1] == '"') {
		in++;
		len -= 2;
	}
	if (len == 0 || len >= KF_S3_ETAG_SIZE)
		return KF_E_FORMAT;
	for (size_t i = 0; i < len; i++)
		if (!((in[i] >= '0' && in[i] <= '9') || (in[i] >= 'a' && in[i] <= 'z') ||
		      (in[i] >= 'A' && in[i] <= 'Z') || in[i] == '-'))
			return KF_E_FORMAT;
	memcpy(out, in, len);
	out[len] = '\0';
	return KF_OK;
}

/* ------------------------------------------------------------ XML (expat) */

enum root { ROOT_NONE, ROOT_LIST, ROOT_ERROR, ROOT_OTHER };
enum field { F_NONE, F_KEY, F_ETAG, F_SIZE, F_MTIME, F_TRUNCATED, F_TOKEN, F_CODE, F_MESSAGE };

struct xml {
	XML_Parser p;
	int depth, in_contents, rc;
	enum root root;
	enum field field;
	int field_depth;
	char text[MAX_TEXT + 1];
	size_t ntext;
	/* listing */
	struct kf_s3_page *page;
	size_t cap;
	struct kf_s3_object cur;
	int have_key;
	/* error */
	char code[64], message[256];
	const char *why;	/* what was wrong, for KF_E_FORMAT */
};

static void xml_fail(struct xml *x, int rc, const char *why)
{
	if (x->rc == KF_OK) {
		x->rc = rc;
		x->why = why;
	}
	XML_StopParser(x->p, XML_FALSE);
}

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct xml *x = ud;
	enum field f = F_NONE;
	(void)atts;

	x->depth++;
	if (x->depth == 1) {
		x->root = !strcmp(name, "ListBucketResult") ? ROOT_LIST :
			  !strcmp(name, "Error") ? ROOT_ERROR : ROOT_OTHER;
		return;
	}
	if (x->root == ROOT_LIST && x->depth == 2) {
		if (!strcmp(name, "Contents")) {
			x->in_contents = 1;
			x->have_key = 0;
			kf_free((char *)x->cur.key);
			memset(&x->cur, 0, sizeof(x->cur));
		} else if (!strcmp(name, "IsTruncated")) {
			f = F_TRUNCATED;
		} else if (!strcmp(name, "NextContinuationToken")) {
			f = F_TOKEN;
		}
	} else if (x->root == ROOT_LIST && x->depth == 3 && x->in_contents) {
		f = !strcmp(name, "Key") ? F_KEY : !strcmp(name, "ETag") ? F_ETAG :
		    !strcmp(name, "Size") ? F_SIZE : !strcmp(name, "LastModified") ? F_MTIME : F_NONE;
	} else if (x->root == ROOT_ERROR && x->depth == 2) {
		f = !strcmp(name, "Code") ? F_CODE : !strcmp(name, "Message") ? F_MESSAGE : F_NONE;
	}
	if (f != F_NONE) {
		x->field = f;
		x->field_depth = x->depth;
		x->ntext = 0;
	}
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
	struct xml *x = ud;

	if (x->field == F_NONE || x->depth != x->field_depth || len <= 0)
		return;
	if (x->ntext + (size_t)len > MAX_TEXT) {
		if (x->field == F_MESSAGE) {	/* a long message is cut, not refused */
			len = (int)(MAX_TEXT - x->ntext);
		} else {
			xml_fail(x, KF_E_FORMAT, "an element's text is too long");
			return;
		}
	}
	memcpy(x->text + x->ntext, s, (size_t)len);
	x->ntext += (size_t)len;
}

/* Copy text into a small buffer, control characters made '?'. */
static void copy_clean(char *dst, size_t n, const char *src, size_t len)
{
	size_t i;

	if (n == 0)
		return;
	for (i = 0; i < len && i + 1 < n; i++)
		dst[i] = (unsigned char)src[i] < 0x20 || src[i] == 0x7f ? '?' : src[i];
	dst[i] = '\0';
}

static void end_field(struct xml *x)
{
	char *end;

	x->text[x->ntext] = '\0';
	switch (x->field) {
	case F_KEY:
		if (x->ntext == 0 || x->ntext > KF_S3_MAX_KEY || strlen(x->text) != x->ntext) {
			xml_fail(x, KF_E_FORMAT, "a bad object key");
			return;
		}
		kf_free((char *)x->cur.key);
		if (!(x->cur.key = kf_strndup(x->text, x->ntext))) {
			xml_fail(x, KF_E_NOMEM, "out of memory");
			return;
		}
		x->have_key = 1;
		break;
	case F_ETAG:
		if (kf_s3_etag_unquote(x->text, x->ntext, x->cur.etag) < 0) {
			xml_fail(x, KF_E_FORMAT, "a bad ETag");
			return;
		}
		break;
	case F_SIZE:
		errno = 0;
		x->cur.size = strtoll(x->text, &end, 10);
		if (errno || end == x->text || *end || x->cur.size < 0) {
			xml_fail(x, KF_E_FORMAT, "a bad object size");
			return;
		}
		break;
	case F_MTIME:
		if ((x->cur.mtime_ms = kf_s3_parse_time(x->text)) < 0) {
			xml_fail(x, KF_E_FORMAT, "a bad LastModified time");
			return;
		}
		break;
	case F_TRUNCATED:
		if (strcmp(x->text, "true") && strcmp(x->text, "false")) {
			xml_fail(x, KF_E_FORMAT, "a bad IsTruncated value");
			return;
		}
		x->page->truncated = !strcmp(x->text, "true");
		break;
	case F_TOKEN:
		kf_free(x->page->next_token);
		if (x->ntext == 0 || strlen(x->text) != x->ntext) {
			x->page->next_token = NULL;
			xml_fail(x, KF_E_FORMAT, "a bad continuation token");
			return;
		}
		if (!(x->page->next_token = kf_strndup(x->text, x->ntext))) {
			xml_fail(x, KF_E_NOMEM, "out of memory");
			return;
		}
		break;
	case F_CODE:
		copy_clean(x->code, sizeof(x->code), x->text, x->ntext);
		break;
	case F_MESSAGE:
		copy_clean(x->message, sizeof(x->message), x->text, x->ntext);
		break;
	case F_NONE:
		break;
	}
}

static void end_contents(struct xml *x)
{
	struct kf_s3_page *pg = x->page;

	x->in_contents = 0;
	if (!x->have_key) {
		xml_fail(x, KF_E_FORMAT, "an object without a key");
		return;
	}
	if (pg->n == x->cap) {
		size_t cap = x->cap ? x->cap * 2 : 64;
		struct kf_s3_object *o;

		if (cap > MAX_PAGE_OBJECTS) {
			xml_fail(x, KF_E_FORMAT, "too many objects in one page");
			return;
		}
		if (!(o = kf_realloc(pg->objects, cap * sizeof(*o)))) {
			xml_fail(x, KF_E_NOMEM, "out of memory");
			return;
		}
		pg->objects = o;
		x->cap = cap;
	}
	pg->objects[pg->n++] = x->cur;	/* the key moves */
	memset(&x->cur, 0, sizeof(x->cur));
	x->have_key = 0;
}

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
	struct xml *x = ud;
	(void)name;

	if (x->field != F_NONE && x->depth == x->field_depth) {
		end_field(x);
		x->field = F_NONE;
	} else if (x->root == ROOT_LIST && x->depth == 2 && x->in_contents) {
		end_contents(x);
	}
	x->depth--;
}

/* Run expat over the whole document. */
static int xml_run(struct xml *x, const char *doc, size_t len)
{
	if (len > KF_S3_MAX_PAGE_BYTES || len > (size_t)INT32_MAX)
		return KF_E_FORMAT;
	if (!(x->p = XML_ParserCreate("UTF-8")))
		return KF_E_NOMEM;
	XML_SetUserData(x->p, x);
	XML_SetElementHandler(x->p, on_start, on_end);
	XML_SetCharacterDataHandler(x->p, on_text);
	if (XML_Parse(x->p, doc, (int)len, XML_TRUE) != XML_STATUS_OK && x->rc == KF_OK) {
		x->rc = XML_GetErrorCode(x->p) == XML_ERROR_NO_MEMORY ? KF_E_NOMEM : KF_E_FORMAT;
		x->why = XML_ErrorString(XML_GetErrorCode(x->p));
	}
	XML_ParserFree(x->p);
	x->p = NULL;
	kf_free((char *)x->cur.key);
	x->cur.key = NULL;
	return x->rc;
}

void kf_s3_page_release(struct kf_s3_page *page)
{
	if (!page)
		return;
	for (size_t i = 0; i < page->n; i++)
		kf_free((char *)page->objects[i].key);
	kf_free(page->objects);
	kf_free(page->next_token);
	memset(page, 0, sizeof(*page));
}

int kf_s3_parse_list(const char *xml, size_t len, struct kf_s3_page *page,
		     struct kf_err *err)
{
	struct xml *x = kf_calloc(1, sizeof(*x));
	int rc;

	memset(page, 0, sizeof(*page));
	if (!x)
		return kf_err_set(err, KF_E_NOMEM, "out of memory");
	x->page = page;
	rc = xml_run(x, xml, len);
	if (rc == KF_OK && x->root != ROOT_LIST)
		rc = kf_err_set(err, KF_E_FORMAT, "the answer is not a ListObjectsV2 listing");
	else if (rc == KF_OK && page->truncated && !page->next_token)
		rc = kf_err_set(err, KF_E_FORMAT, "a truncated listing without a "
				"NextContinuationToken");
	else if (rc == KF_E_NOMEM)
		kf_err_set(err, rc, "out of memory reading a listing");
	else if (rc < 0)
		kf_err_set(err, rc, "malformed listing: %s", x->why ? x->why : "bad XML");
	if (rc < 0)
		kf_s3_page_release(page);
	kf_free(x);
	return rc;
}

int kf_s3_parse_error(const char *xml, size_t len, char *code, size_t ncode, char *msg,
		      size_t nmsg)
{
	struct kf_s3_page page = { 0 };
	struct xml *x = kf_calloc(1, sizeof(*x));
	int rc;

	if (ncode)
		code[0] = '\0';
	if (nmsg)
		msg[0] = '\0';
	if (!x)
		return KF_E_NOMEM;
	x->page = &page;
	rc = xml_run(x, xml, len);
	if (rc == KF_OK && (x->root != ROOT_ERROR || !x->code[0]))
		rc = KF_E_FORMAT;
	if (rc == KF_OK) {
		snprintf(code, ncode, "%s", x->code);
		snprintf(msg, nmsg, "%s", x->message);
	}
	kf_s3_page_release(&page);
	kf_free(x);
	return rc;
}
