/* testutil.c: see testutil.h. */
#include "testutil.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct {
	char dirs[32][512];
	int ndirs;
	char paths[8][1024];
	int next_path;
} g;

static int rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st; (void)type; (void)ftw;
	return remove(path);
}

static void cleanup(void)
{
	for (int i = 0; i < g.ndirs; i++)
		nftw(g.dirs[i], rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

const char *kf_test_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *d;

	if (g.ndirs == (int)(sizeof(g.dirs) / sizeof(g.dirs[0])))
		fail_msg("too many temporary folders");
	if (g.ndirs == 0)
		atexit(cleanup);
	d = g.dirs[g.ndirs];
	snprintf(d, sizeof(g.dirs[0]), "%s/kftest.XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(d))
		fail_msg("mkdtemp '%s' failed", d);
	g.ndirs++;
	return d;
}

uint8_t *kf_test_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n = 0;

	if (!f)
		fail_msg("cannot open '%s'", path);
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
		fail_msg("cannot size '%s'", path);
	buf = malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
		fail_msg("cannot read '%s'", path);
	fclose(f);
	buf[n] = 0;
	*len = (size_t)n;
	return buf;
}

void kf_test_write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0)
		fail_msg("cannot write '%s'", path);
}

const char *kf_test_path(const char *fmt, ...)
{
	char *p = g.paths[g.next_path++ % 8];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p, sizeof(g.paths[0]), fmt, ap);
	va_end(ap);
	return p;
}

void kf_test_slow(void)
{
	const char *q = getenv("KF_TEST_QUICK");

	if (q && *q && strcmp(q, "0"))
		skip();
}
