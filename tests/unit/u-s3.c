/* u-s3.c: the pure parts of the S3 client and the photo cache: s3:// URLs,
 * ListObjectsV2 pages (entities, a truncated page with its token, malformed
 * ones), S3 error bodies, times, ETags, backoff, settings errors that name
 * the variable and never a secret, and the cache's lookup and LRU eviction. */
#include "testutil.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/alloc.h"
#include "data/photo_cache.h"
#include "data/http.h"
#include "data/s3.h"

#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

static void test_parse_url(void **state)
{
	static const struct { const char *url, *bucket, *prefix; } ok[] = {
		{ "s3://studio/galleries/2026/", "studio", "galleries/2026/" },
		{ "s3://studio", "studio", "" },
		{ "s3://studio/", "studio", "" },
		{ "s3://my.bucket-1/a b/c+d", "my.bucket-1", "a b/c+d" },
	};
	static const char *bad[] = {
		"studio/x", "S3://studio/x", "s3://", "s3:///x", "s3://ab/x", "s3://Studio/x",
		"s3://-studio/x", "s3://studio./x", "s3://stu dio/x", "https://studio/x",
		"s3://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/x",
	};
	(void)state;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct kf_err err = KF_ERR_INIT;
		char *b, *p;

		assert_int_equal(kf_s3_parse_url(ok[i].url, &b, &p, &err), KF_OK);
		assert_string_equal(b, ok[i].bucket);
		assert_string_equal(p, ok[i].prefix);
		kf_free(b);
		kf_free(p);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct kf_err err = KF_ERR_INIT;
		char *b = (char *)1, *p = (char *)1;

		assert_int_equal(kf_s3_parse_url(bad[i], &b, &p, &err), KF_E_INVALID);
		assert_null(b);
		assert_null(p);
		assert_true(err.msg[0] != '\0');
	}
}

static const char PAGE1[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
	"<Name>studio</Name><Prefix>g/</Prefix><KeyCount>2</KeyCount><MaxKeys>2</MaxKeys>"
	"<IsTruncated>true</IsTruncated>"
	"<Contents><Key>g/a &amp; b.jpg</Key><LastModified>2026-01-15T09:30:00.250Z</LastModified>"
	"<ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag><Size>1234</Size>"
	"<StorageClass>STANDARD</StorageClass><Owner><ID>x</ID></Owner></Contents>"
	"<Contents><Key>g/\xc3\xa9t\xc3\xa9.JPG</Key><LastModified>2026-01-15T09:30:01Z</LastModified>"
	"<ETag>\"d41d8cd98f00b204e9800998ecf8427e-12\"</ETag><Size>0</Size></Contents>"
	"<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>"
	"<ContinuationToken>prev</ContinuationToken>"
	"</ListBucketResult>";

static void test_parse_list_page(void **state)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_s3_page pg;
	(void)state;

	assert_int_equal(kf_s3_parse_list(PAGE1, sizeof(PAGE1) - 1, &pg, &err), KF_OK);
	assert_int_equal(pg.n, 2);
	assert_true(pg.truncated);
	assert_string_equal(pg.next_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
	assert_string_equal(pg.objects[0].key, "g/a & b.jpg");
	assert_string_equal(pg.objects[0].etag, "9b2cf535f27731c974343645a3985328");
	assert_int_equal(pg.objects[0].size, 1234);
	assert_int_equal(pg.objects[0].mtime_ms, 1768469400250LL);
	assert_string_equal(pg.objects[1].key, "g/\xc3\xa9t\xc3\xa9.JPG");
	assert_string_equal(pg.objects[1].etag, "d41d8cd98f00b204e9800998ecf8427e-12");
	assert_int_equal(pg.objects[1].size, 0);
	kf_s3_page_release(&pg);
	kf_s3_page_release(&pg);
	kf_s3_page_release(NULL);
}

static void test_parse_list_last_and_empty(void **state)
{
	static const char last[] = "<ListBucketResult><IsTruncated>false</IsTruncated>"
				   "<Contents><Key>k.png</Key><ETag>\"ab\"</ETag><Size>5</Size>"
				   "</Contents></ListBucketResult>";
	static const char empty[] = "<ListBucketResult><KeyCount>0</KeyCount></ListBucketResult>";
	struct kf_err err = KF_ERR_INIT;
	struct kf_s3_page pg;
	(void)state;

	assert_int_equal(kf_s3_parse_list(last, sizeof(last) - 1, &pg, &err), KF_OK);
	assert_int_equal(pg.n, 1);
	assert_false(pg.truncated);
	assert_null(pg.next_token);
	assert_int_equal(pg.objects[0].mtime_ms, 0);
	kf_s3_page_release(&pg);
	assert_int_equal(kf_s3_parse_list(empty, sizeof(empty) - 1, &pg, &err), KF_OK);
	assert_int_equal(pg.n, 0);
	assert_null(pg.objects);
	kf_s3_page_release(&pg);
}

static void test_parse_list_malformed(void **state)
{
	static const char *bad[] = {
		"",
		"<ListBucketResult>",
		"not xml at all",
		"<Error><Code>AccessDenied</Code></Error>",
		"<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>",
		"<ListBucketResult><IsTruncated>yes</IsTruncated></ListBucketResult>",
		"<ListBucketResult><Contents><Size>1</Size></Contents></ListBucketResult>",
		"<ListBucketResult><Contents><Key>a</Key><Size>-1</Size></Contents></ListBucketResult>",
		"<ListBucketResult><Contents><Key>a</Key><Size>1x</Size></Contents></ListBucketResult>",
		"<ListBucketResult><Contents><Key>a</Key><ETag>\"a b\"</ETag></Contents></ListBucketResult>",
		"<ListBucketResult><Contents><Key>a</Key><LastModified>yesterday</LastModified>"
		"</Contents></ListBucketResult>",
		"<ListBucketResult><Contents><Key></Key></Contents></ListBucketResult>",
		"<ListBucketResult><Contents><Key>a&#0;b</Key></Contents></ListBucketResult>",
		"<!DOCTYPE x [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">"
		"<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;\"><!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;\">]>"
		"<ListBucketResult><Contents><Key>&d;&d;&d;</Key></Contents></ListBucketResult>",
	};
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct kf_err err = KF_ERR_INIT;
		struct kf_s3_page pg;

		assert_int_equal(kf_s3_parse_list(bad[i], strlen(bad[i]), &pg, &err), KF_E_FORMAT);
		assert_int_equal(pg.n, 0);
		assert_null(pg.objects);
		assert_null(pg.next_token);
		assert_true(err.msg[0] != '\0');
	}
}

static void test_parse_error(void **state)
{
	static const char sig[] =
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SignatureDoesNotMatch</Code>"
		"<Message>The request signature we calculated does not match\n the signature"
		"</Message><StringToSign>AWS4-HMAC-SHA256</StringToSign></Error>";
	static const char list[] = "<ListBucketResult></ListBucketResult>";
	char code[64], msg[32];
	(void)state;

	assert_int_equal(kf_s3_parse_error(sig, sizeof(sig) - 1, code, sizeof(code), msg,
					   sizeof(msg)), KF_OK);
	assert_string_equal(code, "SignatureDoesNotMatch");
	assert_string_equal(msg, "The request signature we calcul");	/* cut to size */
	assert_int_equal(kf_s3_parse_error(list, sizeof(list) - 1, code, sizeof(code), msg,
					   sizeof(msg)), KF_E_FORMAT);
	assert_string_equal(code, "");
	assert_int_equal(kf_s3_parse_error("<Error>", 7, code, sizeof(code), msg, sizeof(msg)),
			 KF_E_FORMAT);
	assert_int_equal(kf_s3_parse_error("<Error><Code>A\x01</Code></Error>", 27, code,
					   sizeof(code), msg, sizeof(msg)), KF_E_FORMAT);
}

static void test_time_etag_backoff(void **state)
{
	char e[KF_S3_ETAG_SIZE];
	(void)state;

	assert_int_equal(kf_s3_parse_time("1970-01-01T00:00:00Z"), 0);
	assert_int_equal(kf_s3_parse_time("2009-10-12T17:50:30.000Z"), 1255369830000LL);
	assert_int_equal(kf_s3_parse_time("2009-10-12T17:50:30.5Z"), 1255369830500LL);
	assert_int_equal(kf_s3_parse_time("2009-10-12T17:50:30"), -1);
	assert_int_equal(kf_s3_parse_time("2009-13-12T17:50:30Z"), -1);
	assert_int_equal(kf_s3_parse_time(""), -1);
	assert_int_equal(kf_s3_etag_unquote("\"abc-2\"", 7, e), KF_OK);
	assert_string_equal(e, "abc-2");
	assert_int_equal(kf_s3_etag_unquote("W/\"abc\"", 7, e), KF_OK);
	assert_string_equal(e, "abc");
	assert_int_equal(kf_s3_etag_unquote("abc", 3, e), KF_OK);
	assert_int_equal(kf_s3_etag_unquote("\"\"", 2, e), KF_E_FORMAT);
	assert_int_equal(kf_s3_etag_unquote("\"a/b\"", 5, e), KF_E_FORMAT);
	assert_int_equal(kf_http_backoff_ms(100, 60000, 2, 0.5), 100);
	assert_int_equal(kf_http_backoff_ms(100, 60000, 3, 0.5), 200);
	assert_int_equal(kf_http_backoff_ms(100, 60000, 4, 0.5), 400);
	assert_int_equal(kf_http_backoff_ms(100, 60000, 4, 0.0), 320);	/* -20% */
	assert_int_equal(kf_http_backoff_ms(100, 60000, 4, 1.0), 480);	/* +20% */
}

static void test_open_names_missing_setting(void **state)
{
	static const char *vars[] = { "AWS_ENDPOINT_URL", "AWS_REGION", "AWS_ACCESS_KEY_ID",
				      "AWS_SECRET_ACCESS_KEY", "KINGFACE_BUCKET" };
	static const char *vals[] = { "http://127.0.0.1:9", "auto", "AKIDEXAMPLE", SECRET,
				      "studio" };
	struct kf_config cfg = { 0 };
	struct kf_s3 *s3;
	(void)state;

	for (size_t skip = 0; skip <= 5; skip++) {
		struct kf_err err = KF_ERR_INIT;

		for (size_t i = 0; i < 5; i++)
			if (i == skip)
				unsetenv(vars[i]);
			else
				setenv(vars[i], vals[i], 1);
		if (skip == 5) {
			assert_int_equal(kf_s3_open(&s3, &cfg, NULL, &err), KF_OK);
			assert_string_equal(kf_s3_bucket(s3), "studio");
			kf_s3_close(s3);
			continue;
		}
		assert_int_equal(kf_s3_open(&s3, &cfg, NULL, &err), KF_E_AUTH);
		assert_null(s3);
		assert_non_null(strstr(err.msg, vars[skip]));
		assert_non_null(strstr(err.msg, "export"));
		assert_null(strstr(err.msg, SECRET));
	}
	setenv("AWS_ENDPOINT_URL", "ftp://host", 1);
	{
		struct kf_err err = KF_ERR_INIT;

		assert_int_equal(kf_s3_open(&s3, &cfg, "studio", &err), KF_E_INVALID);
		assert_non_null(strstr(err.msg, "AWS_ENDPOINT_URL"));
	}
	for (size_t i = 0; i < 5; i++)
		unsetenv(vars[i]);
	kf_s3_close(NULL);
}

/* A cache file of size bytes whose last use was `age` seconds ago. */
static void put_file(const struct kf_photo_cache *c, const char *etag, size_t size, int age)
{
	const char *path = kf_test_path("%s/%.2s/%s.jpg", c->dir, etag, etag);
	struct timespec ts[2];
	char *data = kf_calloc(1, size ? size : 1);

	mkdir(kf_test_path("%s/%.2s", c->dir, etag), 0700);
	kf_test_write_file(path, data, size);
	kf_free(data);
	clock_gettime(CLOCK_REALTIME, &ts[0]);
	ts[0].tv_sec -= age;
	ts[1] = ts[0];
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static int cached(const struct kf_photo_cache *c, const char *etag)
{
	struct stat sb;

	return stat(kf_test_path("%s/%.2s/%s.jpg", c->dir, etag, etag), &sb) == 0;
}

static void test_cache_lookup_and_eviction(void **state)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_photo_cache c;
	char path[PATH_MAX], etag[KF_S3_ETAG_SIZE], *got;
	int64_t removed;
	(void)state;

	assert_int_equal(kf_photo_cache_init(&c, kf_test_path("%s/cache/photos",
				kf_test_tmpdir()), 3000, &err), KF_OK);
	put_file(&c, "aa01", 1000, 400);	/* oldest */
	put_file(&c, "bb02", 1000, 300);
	put_file(&c, "cc03", 1000, 200);
	put_file(&c, "dd04", 1000, 100);	/* newest */
	/* a hit touches its file: aa01 becomes the most recently used */
	assert_int_equal(kf_photo_cache_lookup(&c, "g/x.JPG", "aa01", path), 1);
	assert_non_null(strstr(path, "/aa/aa01.jpg"));
	assert_int_equal(kf_photo_cache_lookup(&c, "g/x.jpg", "ee05", path), 0);
	assert_int_equal(kf_photo_cache_lookup(&c, "g/x.jpg", "../etc", path), 0);
	assert_int_equal(kf_photo_cache_lookup(&c, "g/x.jpg", NULL, path), 0);
	/* 4000 bytes over a 3000 limit: the least recently used goes (bb02) */
	assert_int_equal(kf_photo_cache_trim(&c, NULL, &removed, &err), KF_OK);
	assert_int_equal(removed, 1);
	assert_false(cached(&c, "bb02"));
	assert_true(cached(&c, "aa01") && cached(&c, "cc03") && cached(&c, "dd04"));
	/* down to 1000: cc03 would go first, but it is kept */
	c.limit_bytes = 1000;
	strcpy(path, kf_test_path("%s/cc/cc03.jpg", c.dir));
	assert_int_equal(kf_photo_cache_trim(&c, path, &removed, &err), KF_OK);
	assert_int_equal(removed, 2);
	assert_true(cached(&c, "cc03"));
	assert_false(cached(&c, "aa01") || cached(&c, "dd04"));
	/* fetch: a cached ETag needs no client; an uncached one without a client fails */
	assert_int_equal(kf_photo_cache_fetch(&c, NULL, "g/y.jpg", "cc03", &got, etag, &err),
			 KF_OK);
	assert_string_equal(etag, "cc03");
	assert_string_equal(got, path);
	kf_free(got);
	assert_int_equal(kf_photo_cache_fetch(&c, NULL, "g/y.jpg", "ff06", &got, etag, &err),
			 KF_E_NET);
	assert_null(got);
	assert_non_null(strstr(err.msg, "g/y.jpg"));
}

static void test_cache_settings(void **state)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_photo_cache c;
	char tmp[PATH_MAX];
	(void)state;

	strcpy(tmp, kf_test_tmpdir());
	setenv("KINGFACE_PHOTO_CACHE", kf_test_path("%s/env-cache", tmp), 1);
	setenv("KINGFACE_PHOTO_CACHE_MB", "5", 1);
	assert_int_equal(kf_photo_cache_init(&c, NULL, 0, &err), KF_OK);
	assert_string_equal(c.dir, kf_test_path("%s/env-cache", tmp));
	assert_int_equal(c.limit_bytes, 5 << 20);
	setenv("KINGFACE_PHOTO_CACHE_MB", "lots", 1);
	assert_int_equal(kf_photo_cache_init(&c, NULL, 0, &err), KF_E_INVALID);
	assert_non_null(strstr(err.msg, "KINGFACE_PHOTO_CACHE_MB"));
	unsetenv("KINGFACE_PHOTO_CACHE_MB");
	unsetenv("KINGFACE_PHOTO_CACHE");
	setenv("XDG_CACHE_HOME", kf_test_path("%s/xdg", tmp), 1);
	kf_err_clear(&err);
	assert_int_equal(kf_photo_cache_init(&c, NULL, 0, &err), KF_OK);
	assert_string_equal(c.dir, kf_test_path("%s/xdg/kingface/photos", tmp));
	assert_int_equal(c.limit_bytes, (int64_t)KF_PHOTO_CACHE_DEFAULT_MB << 20);
}

static void test_parse_list_alloc_failure(void **state)
{
	struct kf_err err = KF_ERR_INIT;
	struct kf_s3_page pg;
	long n;
	(void)state;

	kf_alloc_fail_at(0);
	assert_int_equal(kf_s3_parse_list(PAGE1, sizeof(PAGE1) - 1, &pg, &err), KF_OK);
	n = kf_alloc_fail_at(0);
	kf_s3_page_release(&pg);
	for (long i = 1; i <= n; i++) {
		kf_alloc_fail_at(i);
		assert_int_equal(kf_s3_parse_list(PAGE1, sizeof(PAGE1) - 1, &pg, &err), KF_E_NOMEM);
		assert_int_equal(pg.n, 0);
		kf_err_clear(&err);
	}
	kf_alloc_fail_at(0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_url),
		cmocka_unit_test(test_parse_list_page),
		cmocka_unit_test(test_parse_list_last_and_empty),
		cmocka_unit_test(test_parse_list_malformed),
		cmocka_unit_test(test_parse_error),
		cmocka_unit_test(test_time_etag_backoff),
		cmocka_unit_test(test_open_names_missing_setting),
		cmocka_unit_test(test_cache_lookup_and_eviction),
		cmocka_unit_test(test_cache_settings),
		cmocka_unit_test(test_parse_list_alloc_failure),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
