/* tensor.c: tensor headers, contiguous strides and arena allocation (tensor.h). */
#include "core/tensor.h"

#include <assert.h>
#include <string.h>

#include "core/arena.h"

size_t kf_dtype_size(enum kf_dtype type)
{
	switch (type) {
	case KF_F32: return 4;
	case KF_I32: return 4;
	case KF_U8: return 1;
	}
	return 0;
}

void kf_tensor_init(struct kf_tensor *t, enum kf_dtype type, int64_t ne0,
		    int64_t ne1, int64_t ne2, int64_t ne3, void *data)
{
	memset(t, 0, sizeof(*t));
	t->type = type;
	t->ne[0] = ne0; t->ne[1] = ne1; t->ne[2] = ne2; t->ne[3] = ne3;
	t->nb[0] = kf_dtype_size(type);
	for (int i = 1; i < KF_MAX_DIMS; i++)
		t->nb[i] = t->nb[i - 1] * (size_t)t->ne[i - 1];
	t->data = data;
}

struct kf_tensor *kf_tensor_new(struct kf_arena *a, enum kf_dtype type, int64_t ne0,
				int64_t ne1, int64_t ne2, int64_t ne3)
{
	int64_t ne[4] = { ne0, ne1, ne2, ne3 };
	size_t n = kf_dtype_size(type);
	struct kf_tensor *t;
	void *data;

	for (int i = 0; i < 4; i++) {
		if (ne[i] < 1 || (uint64_t)ne[i] > SIZE_MAX / 2 / n)
			return NULL;
		n *= (size_t)ne[i];
	}
	if (!(t = kf_arena_alloc(a, sizeof(*t))) || !(data = kf_arena_alloc(a, n)))
		return NULL;
	kf_tensor_init(t, type, ne0, ne1, ne2, ne3, data);
	return t;
}

struct kf_tensor *kf_tensor_nhwc(struct kf_arena *a, int64_t n, int64_t h, int64_t w,
				 int64_t c)
{
	return kf_tensor_new(a, KF_F32, c, w, h, n);
}

int64_t kf_tensor_nelements(const struct kf_tensor *t)
{
	return t->ne[0] * t->ne[1] * t->ne[2] * t->ne[3];
}

size_t kf_tensor_nbytes(const struct kf_tensor *t)
{
	return (size_t)kf_tensor_nelements(t) * kf_dtype_size(t->type);
}

bool kf_tensor_is_contiguous(const struct kf_tensor *t)
{
	size_t s = kf_dtype_size(t->type);

	for (int i = 0; i < KF_MAX_DIMS; i++) {
		if (t->ne[i] > 1 && t->nb[i] != s)
			return false;
		s *= (size_t)t->ne[i];
	}
	return true;
}

bool kf_tensor_same_shape(const struct kf_tensor *a, const struct kf_tensor *b)
{
	return a->ne[0] == b->ne[0] && a->ne[1] == b->ne[1] && a->ne[2] == b->ne[2] &&
	       a->ne[3] == b->ne[3];
}

size_t kf_tensor_offset(const struct kf_tensor *t, int64_t i0, int64_t i1, int64_t i2,
			int64_t i3)
{
	return (size_t)i0 * t->nb[0] + (size_t)i1 * t->nb[1] + (size_t)i2 * t->nb[2] +
	       (size_t)i3 * t->nb[3];
}

float *kf_tensor_f32(const struct kf_tensor *t)
{
	assert(t->type == KF_F32);
	return t->data;
}

void kf_tensor_set_name(struct kf_tensor *t, const char *name)
{
	size_t n = strlen(name);

	if (n >= sizeof(t->name))
		n = sizeof(t->name) - 1;
	memcpy(t->name, name, n);
	t->name[n] = '\0';
}
