/* arena.c: bump allocator (see arena.h). */
#include "core/arena.h"

#include <stdint.h>

#include "core/alloc.h"

#define ALIGN 64
#define MIN_BLOCK ((size_t)1 << 20)

struct kf_arena_block {
	struct kf_arena_block *next;
	size_t size, used;
	unsigned char *data;
};

void kf_arena_init(struct kf_arena *a)
{
	a->head = NULL;
	a->spare = NULL;
	a->used_total = 0;
	a->high_water = 0;
}

static struct kf_arena_block *block_new(size_t size)
{
	struct kf_arena_block *b = kf_malloc(sizeof(*b));

	if (!b)
		return NULL;
	/* A large block on huge pages: first touching the scratch of a
	 * 24-megapixel pass was 34,000 page faults on 4 KB pages, a quarter of
	 * a one-photo `kingface detect`. kf_malloc_large aligns to 2 MB. */
	b->data = size >= ((size_t)4 << 20) ? kf_malloc_large(size) : kf_aligned_alloc(ALIGN, size);
	if (!b->data) {
		kf_free(b);
		return NULL;
	}
	b->size = size;
	b->used = 0;
	b->next = NULL;
	return b;
}

void *kf_arena_alloc(struct kf_arena *a, size_t size)
{
	struct kf_arena_block *b = a->head;
	size_t need;

	if (size > SIZE_MAX - ALIGN)
		return NULL;
	need = (size + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	if (!b || b->size - b->used < need) {
		size_t bs = need > MIN_BLOCK ? need : MIN_BLOCK;

		if (b && b->size <= SIZE_MAX / 2 && bs < b->size * 2)
			bs = b->size * 2;
		if (a->spare && a->spare->size >= need) {
			b = a->spare;
			a->spare = NULL;
			b->used = 0;
		} else if (!(b = block_new(bs))) {
			return NULL;
		}
		b->next = a->head;
		a->head = b;
	}
	void *p = b->data + b->used;
	b->used += need;
	a->used_total += need;
	if (a->used_total > a->high_water)
		a->high_water = a->used_total;
	return p;
}

void *kf_arena_alloc_array(struct kf_arena *a, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		return NULL;
	return kf_arena_alloc(a, n * size);
}

static void free_blocks(struct kf_arena_block *b)
{
	while (b) {
		struct kf_arena_block *next = b->next;
		kf_free(b->data);
		kf_free(b);
		b = next;
	}
}

struct kf_arena_mark kf_arena_mark(const struct kf_arena *a)
{
	struct kf_arena_mark m = { a->head, a->head ? a->head->used : 0, a->used_total };

	return m;
}

void kf_arena_rewind(struct kf_arena *a, struct kf_arena_mark m)
{
	while (a->head && a->head != m.head) {
		struct kf_arena_block *b = a->head;

		a->head = b->next;
		b->next = NULL;
		if (!a->spare || a->spare->size < b->size) {
			free_blocks(a->spare);
			a->spare = b;
		} else {
			free_blocks(b);
		}
	}
	if (a->head)
		a->head->used = m.head_used;
	a->used_total = m.used_total;
}

void kf_arena_reset(struct kf_arena *a)
{
	struct kf_arena_block *b = a->head;

	a->used_total = 0;
	if (b && !b->next && b->size >= a->high_water) {
		b->used = 0;
		free_blocks(a->spare);
		a->spare = NULL;
		return;
	}
	/* Several blocks, or fewer than the high-water mark took (a rewind let
	 * the later ones go): one block that fits it, so that the next round
	 * takes no new memory. */
	free_blocks(a->head);
	free_blocks(a->spare);
	a->spare = NULL;
	a->head = a->high_water ? block_new(a->high_water) : NULL;	/* NULL: the next alloc retries */
}

void kf_arena_trim(struct kf_arena *a, size_t keep)
{
	if (a->high_water > keep)
		kf_arena_release(a);
	else
		kf_arena_reset(a);
}

void kf_arena_release(struct kf_arena *a)
{
	free_blocks(a->head);
	free_blocks(a->spare);
	kf_arena_init(a);
}
