/* nn_act_x86.h: the activations of nn_ops.h (kf_nn_act_ref) on AVX-512 and
 * AVX2 registers, for the x86 GEMM kernels (nn_gemm.c, nn_gemm_q8.c). Include
 * it only inside their x86 section: it needs <immintrin.h> and the target
 * attributes. */
#ifndef KF_NN_ACT_X86_H
#define KF_NN_ACT_X86_H

#include <immintrin.h>

#include "core/nn_ops.h"

__attribute__((target("avx512f")))
static inline __m512 act512(__m512 v, enum kf_act act)
{
	__m512 z = _mm512_setzero_ps(), m;

	switch (act) {
	case KF_ACT_NONE: return v;
	case KF_ACT_RELU: return _mm512_max_ps(v, z);
	case KF_ACT_RELU6: return _mm512_min_ps(_mm512_max_ps(v, z), _mm512_set1_ps(6.0f));
	case KF_ACT_LEAKY:
		m = _mm512_mul_ps(v, _mm512_set1_ps(0.1f));
		return _mm512_add_ps(_mm512_max_ps(_mm512_sub_ps(v, m), z), m);
	}
	return v;
}

__attribute__((target("avx2,fma")))
static inline __m256 act256(__m256 v, enum kf_act act)
{
	__m256 z = _mm256_setzero_ps(), m;

	switch (act) {
	case KF_ACT_NONE: return v;
	case KF_ACT_RELU: return _mm256_max_ps(v, z);
	case KF_ACT_RELU6: return _mm256_min_ps(_mm256_max_ps(v, z), _mm256_set1_ps(6.0f));
	case KF_ACT_LEAKY:
		m = _mm256_mul_ps(v, _mm256_set1_ps(0.1f));
		return _mm256_add_ps(_mm256_max_ps(_mm256_sub_ps(v, m), z), m);
	}
	return v;
}

#endif
