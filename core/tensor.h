/* tensor.h: the n-dimensional array every network op reads and writes.
 *
 * Modelled on ggml_tensor: a dtype, ne[4] element counts, nb[4] byte strides,
 * a data pointer and a name. Index 0 is the fastest-varying dimension, so an
 * NHWC activation [N,H,W,C] has ne = {C, W, H, N}, and a conv filter stored
 * row-major as [kh,kw,in,out] (models.md) has ne = {out, in, kw, kh}; a
 * depthwise filter [kh,kw,in,mult] has ne = {mult, in, kw, kh}. Element
 * (i0,i1,i2,i3) lives at data + i0*nb[0] + i1*nb[1] + i2*nb[2] + i3*nb[3].
 *
 * A tensor does not own its data. Intermediates come from a per-thread
 * struct kf_arena (kf_tensor_new) and die with the next kf_arena_reset();
 * weights point into a struct kf_weights (weights.h) and are read-only.
 * Thread-safe: no shared state.
 *
 * Example: a 1x416x416x3 input taken from the scratch arena
 *
 *     struct kf_tensor *x = kf_tensor_new(arena, KF_F32, 3, 416, 416, 1);
 *     if (!x) return kf_err_set(err, KF_E_NOMEM, "out of memory");
 *     kf_tensor_f32(x)[kf_tensor_offset(x, c, w, h, 0) / sizeof(float)] = 1.0f;
 */
#ifndef KF_TENSOR_H
#define KF_TENSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct kf_arena;

enum kf_dtype {
	KF_F32 = 0,	/* float, the type every op computes in */
	KF_I32 = 1,	/* int32 constants from a weight file (not used by ops) */
	KF_U8 = 2,	/* raw bytes, e.g. an RGB image before normalisation */
};

#define KF_MAX_DIMS 4
#define KF_TENSOR_NAME_SIZE 96

struct kf_tensor {
	enum kf_dtype type;
	int64_t ne[KF_MAX_DIMS];	/* elements per dimension, ne[0] fastest */
	size_t nb[KF_MAX_DIMS];		/* byte stride per dimension */
	void *data;
	char name[KF_TENSOR_NAME_SIZE];
};

/* Bytes per element of a dtype. */
size_t kf_dtype_size(enum kf_dtype type);

/* Set up *t over existing memory with contiguous strides (no allocation).
 * Unused trailing dimensions get ne = 1. */
void kf_tensor_init(struct kf_tensor *t, enum kf_dtype type, int64_t ne0,
		    int64_t ne1, int64_t ne2, int64_t ne3, void *data);

/* A contiguous tensor (header and data, 64-byte aligned) from the arena; the
 * data is uninitialised. NULL when out of memory or if the size overflows.
 * Valid until the arena is reset. */
struct kf_tensor *kf_tensor_new(struct kf_arena *a, enum kf_dtype type, int64_t ne0,
				int64_t ne1, int64_t ne2, int64_t ne3);

/* As kf_tensor_new for an NHWC activation [n,h,w,c] (ne = {c,w,h,n}). */
struct kf_tensor *kf_tensor_nhwc(struct kf_arena *a, int64_t n, int64_t h, int64_t w,
				 int64_t c);

int64_t kf_tensor_nelements(const struct kf_tensor *t);
/* Bytes a contiguous copy would take. */
size_t kf_tensor_nbytes(const struct kf_tensor *t);
/* True when the strides are the contiguous ones (no gaps, no permutation). */
bool kf_tensor_is_contiguous(const struct kf_tensor *t);
/* True when a and b have the same ne[] (dtype and strides may differ). */
bool kf_tensor_same_shape(const struct kf_tensor *a, const struct kf_tensor *b);
/* Byte offset of element (i0,i1,i2,i3). */
size_t kf_tensor_offset(const struct kf_tensor *t, int64_t i0, int64_t i1, int64_t i2,
			int64_t i3);
/* The data as float (asserts t->type == KF_F32). */
float *kf_tensor_f32(const struct kf_tensor *t);
/* Copy a name in (truncated to KF_TENSOR_NAME_SIZE - 1). */
void kf_tensor_set_name(struct kf_tensor *t, const char *name);

#endif
