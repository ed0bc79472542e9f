/* nn_act_simd.h: the activations of nn_ops.h (kf_nn_act_ref) on vector
 * registers, for the kernels of nn_gemm.c, nn_gemm_q8.c and nn_depthwise.c:
 * AVX-512 and AVX2 (functions with target attributes) on x86-64, NEON on
 * AArch64.
 * Each gives kf_nn_act_ref's numbers, NaN included (a NaN sum becomes 0). */
#ifndef KF_NN_ACT_SIMD_H
#define KF_NN_ACT_SIMD_H

#include "core/nn_ops.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

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

#if defined(__aarch64__)
#include <arm_neon.h>

/* FMAXNM/FMINNM rather than FMAX/FMIN: a NaN sum becomes 0, as with the
 * scalar compare (and x86's max), instead of passing through. */
static inline float32x4_t act_neon(float32x4_t v, enum kf_act act)
{
	float32x4_t z = vdupq_n_f32(0.0f), m;

	switch (act) {
	case KF_ACT_NONE: return v;
	case KF_ACT_RELU: return vmaxnmq_f32(v, z);
	case KF_ACT_RELU6: return vminnmq_f32(vmaxnmq_f32(v, z), vdupq_n_f32(6.0f));
	case KF_ACT_LEAKY:
		m = vmulq_n_f32(v, 0.1f);
		return vaddq_f32(vmaxnmq_f32(vsubq_f32(v, m), z), m);
	}
	return v;
}
#endif

#endif
