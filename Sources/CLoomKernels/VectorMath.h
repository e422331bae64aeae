#ifndef LOOM_VECTOR_MATH_H
#define LOOM_VECTOR_MATH_H

// exp, sigmoid and tanh for the kernels of this target, one lane (portable) or eight lanes
// (AVX2 + FMA, for functions compiled with the target attribute).
//
// exp: x = n·ln2 + r with |r| ≤ ln2/2, e^r from Cephes' degree-6 polynomial, 2^n written
// into the exponent bits. Inputs are clamped to [-87.3, 88.3], so the result is finite and
// nonzero; relative error about 2e-7.

#include <immintrin.h>
#include <math.h>

#define LOOM_AVX2 __attribute__((target("avx2,fma")))

static inline float loom_exp1(float x) {
    x = fminf(fmaxf(x, -87.3f), 88.3f);
    float n = nearbyintf(x * 1.44269504f);
    float r = x - n * 0.693359375f + n * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    float e = p * r * r + r + 1.0f;
    union { unsigned u; float f; } scale = { .u = (unsigned)((int)n + 127) << 23 };
    return e * scale.f;
}

static inline float loom_sigmoid1(float x) { return 1.0f / (1.0f + loom_exp1(-x)); }
// tanh from |x|, with the sign put back, so it saturates to exactly ±1 and keeps its
// relative precision near -1 as well as near 1.
static inline float loom_tanh1(float x) {
    float t = 1.0f - 2.0f / (1.0f + loom_exp1(2.0f * fabsf(x)));
    return copysignf(t, x);
}

LOOM_AVX2 static inline __m256 loom_exp8(__m256 x) {
    x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.3f)), _mm256_set1_ps(88.3f));
    __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504f)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
    __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
}

LOOM_AVX2 static inline __m256 loom_sigmoid8(__m256 x) {
    __m256 one = _mm256_set1_ps(1.0f);
    return _mm256_div_ps(one, _mm256_add_ps(one, loom_exp8(_mm256_sub_ps(_mm256_setzero_ps(), x))));
}

LOOM_AVX2 static inline __m256 loom_tanh8(__m256 x) {
    __m256 one = _mm256_set1_ps(1.0f), sign = _mm256_set1_ps(-0.0f);
    __m256 magnitude = _mm256_andnot_ps(sign, x);
    __m256 e = loom_exp8(_mm256_add_ps(magnitude, magnitude));
    __m256 t = _mm256_sub_ps(one, _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(one, e)));
    return _mm256_or_ps(t, _mm256_and_ps(sign, x));
}

LOOM_AVX2 static inline float loom_sum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

LOOM_AVX2 static inline float loom_max8(__m256 v) {
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

// Whether this CPU runs the AVX2 + FMA bodies (asked once).
int loom_has_avx2(void);

#endif
