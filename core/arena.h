/* arena.h: bump allocator for per-inference scratch memory.
 *
 * One arena per worker thread, reset between photos (ggml's ggml_init buffer,
 * git's mem-pool.h): the networks take every intermediate tensor from it, so an
 * inference makes no malloc calls once the arena has grown to the largest photo.
 *
 * kf_arena_alloc() returns 64-byte aligned memory valid until the next
 * kf_arena_reset() or kf_arena_release(). When the current block is full a new
 * block is chained; kf_arena_reset() then replaces them with one block big
 * enough for the high-water mark (also when a rewind let the later blocks go),
 * so steady state is a single block and takes no new pages.
 * Not thread-safe: one arena per thread.
 */
#ifndef KF_ARENA_H
#define KF_ARENA_H

#include <stddef.h>

struct kf_arena_block;

struct kf_arena {
	struct kf_arena_block *head;	/* current block (newest first) */
	struct kf_arena_block *spare;	/* the largest block a rewind let go, for reuse */
	size_t used_total;		/* bytes handed out since the last reset */
	size_t high_water;		/* largest used_total seen */
};

#define KF_ARENA_INIT { NULL, NULL, 0, 0 }

void kf_arena_init(struct kf_arena *a);

/* size bytes, 64-byte aligned, or NULL when out of memory. */
void *kf_arena_alloc(struct kf_arena *a, size_t size);

/* As kf_arena_alloc for n elements of size bytes, NULL on overflow. */
void *kf_arena_alloc_array(struct kf_arena *a, size_t n, size_t size);

/* A point to come back to: kf_arena_rewind(a, m) forgets what was allocated
 * since kf_arena_mark(a) returned m and keeps what came before. For a loop that
 * needs the same scratch on every turn (a network run in row bands). Blocks
 * chained after the mark are let go by the rewind (the largest is kept as a
 * spare for the next block, whose pages are then already mapped);
 * kf_arena_reset() merges everything into one block as usual, so a second
 * photo rewinds without calling malloc. */
struct kf_arena_mark {
	struct kf_arena_block *head;
	size_t head_used, used_total;
};

struct kf_arena_mark kf_arena_mark(const struct kf_arena *a);
void kf_arena_rewind(struct kf_arena *a, struct kf_arena_mark m);

/* Forget every allocation; keep (one block of) the memory for reuse. */
void kf_arena_reset(struct kf_arena *a);
/* kf_arena_reset, but when the high-water mark is over keep bytes give all
 * the memory back instead: a worker that met one panorama does not hold its
 * memory through the photos after it. */
void kf_arena_trim(struct kf_arena *a, size_t keep);
/* What a worker keeps between photos: a 45-megapixel photo decoded whole
 * with its faces' scratch fits. */
#define KF_ARENA_KEEP ((size_t)256 << 20)

/* Free all memory; the arena may be used again after kf_arena_init(). */
void kf_arena_release(struct kf_arena *a);

#endif
