/* arena.h: bump allocator for per-inference scratch memory.
 *
 * One arena per worker thread, reset between photos (ggml's ggml_init buffer,
 * git's mem-pool.h): the networks take every intermediate tensor from it, so an
 * inference makes no malloc calls once the arena has grown to the largest photo.
 *
 * kf_arena_alloc() returns 64-byte aligned memory valid until the next
 * kf_arena_reset() or kf_arena_release(). When the current block is full a new
 * block is chained; kf_arena_reset() then merges them into one block big enough
 * for the high-water mark, so steady state is a single block.
 * Not thread-safe: one arena per thread.
 */
#ifndef KF_ARENA_H
#define KF_ARENA_H

#include <stddef.h>

struct kf_arena_block;

struct kf_arena {
	struct kf_arena_block *head;	/* current block (newest first) */
	size_t used_total;		/* bytes handed out since the last reset */
	size_t high_water;		/* largest used_total seen */
};

#define KF_ARENA_INIT { NULL, 0, 0 }

void kf_arena_init(struct kf_arena *a);

/* size bytes, 64-byte aligned, or NULL when out of memory. */
void *kf_arena_alloc(struct kf_arena *a, size_t size);

/* As kf_arena_alloc for n elements of size bytes, NULL on overflow. */
void *kf_arena_alloc_array(struct kf_arena *a, size_t n, size_t size);

/* Forget every allocation; keep (one block of) the memory for reuse. */
void kf_arena_reset(struct kf_arena *a);

/* Free all memory; the arena may be used again after kf_arena_init(). */
void kf_arena_release(struct kf_arena *a);

#endif
