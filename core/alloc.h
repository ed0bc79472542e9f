/* alloc.h: the allocator core/ uses, with a failure-injection hook for tests.
 *
 * core/ returns KF_E_NOMEM instead of dying when memory runs out, so every
 * allocation in core/ goes through these wrappers; a test can make the Nth
 * allocation from now fail (sqlite's test_malloc.c, curl's runtests -t) and
 * check that the code under test returns KF_E_NOMEM and leaks nothing.
 *
 * kf_malloc_array() and kf_calloc() check n * size for overflow and return NULL.
 * kf_free(NULL) is a no-op. Thread-safe; the failure counter is process-wide
 * and meant for single-threaded tests.
 */
#ifndef KF_ALLOC_H
#define KF_ALLOC_H

#include <stddef.h>

void *kf_malloc(size_t size);
void *kf_malloc_array(size_t n, size_t size);
void *kf_calloc(size_t n, size_t size);
void *kf_realloc(void *p, size_t size);
/* Aligned to `align` (a power of two, >= sizeof(void *)); free with kf_free. */
void *kf_aligned_alloc(size_t align, size_t size);
/* As kf_malloc, for buffers of megabytes (a decoded photo, a network's
 * scratch): from 4 MB up, aligned to 2 MB and advised onto huge pages where
 * the system gives them on request (Linux's transparent huge pages in
 * "madvise" mode). First touching a decoded 24-megapixel photo was 18,000
 * page faults on 4 KB pages, 36 on 2 MB ones. Only a hint: nothing depends
 * on it. Free with kf_free. */
void *kf_malloc_large(size_t size);
char *kf_strdup(const char *s);
/* The first n bytes of s (which must hold them) and a NUL. */
char *kf_strndup(const char *s, size_t n);
void kf_free(void *p);

/* Test hook: the nth allocation from now (1 = the next) fails, then all succeed
 * again. n <= 0 disables. Returns the number of allocations made since the last
 * call, so a test can first count, then fail each one in turn. */
long kf_alloc_fail_at(long n);

#endif
