/* alloc.c: allocation wrappers with failure injection (see alloc.h). */
#include "core/alloc.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static atomic_long fail_countdown;	/* > 0: fail when it reaches 0 */
static atomic_long alloc_count;

static int should_fail(void)
{
	long left;

	atomic_fetch_add(&alloc_count, 1);
	left = atomic_load(&fail_countdown);
	if (left <= 0)
		return 0;
	return atomic_fetch_sub(&fail_countdown, 1) == 1;
}

long kf_alloc_fail_at(long n)
{
	atomic_store(&fail_countdown, n > 0 ? n : 0);
	return atomic_exchange(&alloc_count, 0);
}

void *kf_malloc(size_t size)
{
	return should_fail() ? NULL : malloc(size ? size : 1);
}

void *kf_malloc_array(size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		return NULL;
	return kf_malloc(n * size);
}

void *kf_calloc(size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		return NULL;
	return should_fail() ? NULL : calloc(n ? n : 1, size ? size : 1);
}

void *kf_realloc(void *p, size_t size)
{
	return should_fail() ? NULL : realloc(p, size ? size : 1);
}

void *kf_aligned_alloc(size_t align, size_t size)
{
	void *p = NULL;

	if (should_fail())
		return NULL;
	if (posix_memalign(&p, align, size ? size : 1) != 0)
		return NULL;
	return p;
}

void *kf_malloc_large(size_t size)
{
	/* 2 MB: the huge page size of x86-64 and of AArch64 with 4 KB pages */
	const size_t huge = (size_t)2 << 20;
	void *p;

	if (size < 2 * huge)
		return kf_malloc(size);
	if (!(p = kf_aligned_alloc(huge, size)))
		return NULL;
#ifdef MADV_HUGEPAGE
	(void)madvise(p, size & ~(huge - 1), MADV_HUGEPAGE);
#endif
	return p;
}

char *kf_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = kf_malloc(n);

	if (d)
		memcpy(d, s, n);
	return d;
}

char *kf_strndup(const char *s, size_t n)
{
	char *d = kf_malloc(n + 1);

	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

void kf_free(void *p)
{
	free(p);
}
