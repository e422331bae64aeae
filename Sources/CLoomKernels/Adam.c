#include "CLoomKernels.h"
#include "VectorMath.h"

// m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g²;  w = w·shrink - step · m / (√v / root_c2 + eps),
// the order of operations of torch.optim.Adam(W). Division and square root stay exact (no
// reciprocal approximations).
static inline void adam_unit(long i, float *restrict w, const float *restrict g, float *restrict m,
                             float *restrict v, float b1, float b2, float eps, float step, float root_c2, float shrink) {
    m[i] = b1 * m[i] + (1.0f - b1) * g[i];
    v[i] = b2 * v[i] + (1.0f - b2) * g[i] * g[i];
    w[i] = w[i] * shrink - step * m[i] / (sqrtf(v[i]) / root_c2 + eps);
}

LOOM_AVX2 static void adam_avx2(long n, float *restrict w, const float *restrict g, float *restrict m,
                                float *restrict v, float b1, float b2, float eps, float step, float root_c2,
                                float shrink) {
    const __m256 vb1 = _mm256_set1_ps(b1), vb2 = _mm256_set1_ps(b2), one_b1 = _mm256_set1_ps(1.0f - b1);
    const __m256 one_b2 = _mm256_set1_ps(1.0f - b2), veps = _mm256_set1_ps(eps), vstep = _mm256_set1_ps(step);
    const __m256 vroot = _mm256_set1_ps(root_c2), vshrink = _mm256_set1_ps(shrink);
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 gi = _mm256_loadu_ps(g + i);
        __m256 mi = _mm256_add_ps(_mm256_mul_ps(vb1, _mm256_loadu_ps(m + i)), _mm256_mul_ps(one_b1, gi));
        __m256 vi = _mm256_add_ps(_mm256_mul_ps(vb2, _mm256_loadu_ps(v + i)), _mm256_mul_ps(_mm256_mul_ps(one_b2, gi), gi));
        __m256 denominator = _mm256_add_ps(_mm256_div_ps(_mm256_sqrt_ps(vi), vroot), veps);
        __m256 wi = _mm256_sub_ps(_mm256_mul_ps(_mm256_loadu_ps(w + i), vshrink),
                                  _mm256_div_ps(_mm256_mul_ps(vstep, mi), denominator));
        _mm256_storeu_ps(m + i, mi);
        _mm256_storeu_ps(v + i, vi);
        _mm256_storeu_ps(w + i, wi);
    }
    for (; i < n; i++) adam_unit(i, w, g, m, v, b1, b2, eps, step, root_c2, shrink);
}

void loom_adam_step(long n, float *w, const float *g, float *m, float *v, float beta1, float beta2, float epsilon,
                    float step_size, float root_correction2, float shrink) {
    if (loom_has_avx2()) {
        adam_avx2(n, w, g, m, v, beta1, beta2, epsilon, step_size, root_correction2, shrink);
    } else {
        for (long i = 0; i < n; i++) adam_unit(i, w, g, m, v, beta1, beta2, epsilon, step_size, root_correction2, shrink);
    }
}
