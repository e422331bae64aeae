#include "CLoomKernels.h"
#include "VectorMath.h"

// SiLU of an affine map, z = x * scale + shift, the activation after a normalization whose
// per-channel scale and shift are folded together: y = z σ(z), and its gradient
// dy/dz = σ(z) (1 + z (1 - σ(z))).

static inline float silu_slope1(float z) {
    float s = loom_sigmoid1(z);
    return s * (1.0f + z * (1.0f - s));
}

LOOM_AVX2 static void forward_avx2(const float *x, float *y, long n, float scale, float shift) {
    const __m256 a = _mm256_set1_ps(scale), b = _mm256_set1_ps(shift);
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 z = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), a, b);
        _mm256_storeu_ps(y + i, _mm256_mul_ps(z, loom_sigmoid8(z)));
    }
    for (; i < n; i++) {
        float z = x[i] * scale + shift;
        y[i] = z * loom_sigmoid1(z);
    }
}

LOOM_AVX2 static void gradient_avx2(const float *x, const float *g, float *gz, long n, float scale, float shift) {
    const __m256 a = _mm256_set1_ps(scale), b = _mm256_set1_ps(shift), one = _mm256_set1_ps(1.0f);
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 z = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), a, b);
        __m256 s = loom_sigmoid8(z);
        __m256 slope = _mm256_mul_ps(s, _mm256_fmadd_ps(z, _mm256_sub_ps(one, s), one));
        _mm256_storeu_ps(gz + i, _mm256_mul_ps(_mm256_loadu_ps(g + i), slope));
    }
    for (; i < n; i++) gz[i] = g[i] * silu_slope1(x[i] * scale + shift);
}

void loom_scaled_silu_forward(const float *x, float *y, long n, float scale, float shift) {
    if (loom_has_avx2()) { forward_avx2(x, y, n, scale, shift); return; }
    for (long i = 0; i < n; i++) {
        float z = x[i] * scale + shift;
        y[i] = z * loom_sigmoid1(z);
    }
}

void loom_scaled_silu_gradient(const float *x, const float *g, float *gz, long n, float scale, float shift) {
    if (loom_has_avx2()) { gradient_avx2(x, g, gz, n, scale, shift); return; }
    for (long i = 0; i < n; i++) gz[i] = g[i] * silu_slope1(x[i] * scale + shift);
}
