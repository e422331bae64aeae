#include "CLoomKernels.h"
#include "VectorMath.h"

// GELU with GPT-2's tanh approximation: 0.5 x (1 + tanh(u)), u = k (x + 0.044715 x^3),
// k = sqrt(2/pi). Computed as x s with s = 0.5 (1 + tanh(u)) = sigmoid(2u), whose relative
// precision holds far into the negative tail; the slope is s + 2 x s (1 - s) du/dx, since
// 1 - tanh(u)^2 = 4 s (1 - s). With e = exp(-2u), s = 1/(1 + e) and 1 - s = e s, so neither
// loses precision to cancellation.
#define GELU_K 0.7978845608f
#define GELU_C 0.044715f

static inline float gelu_gate1(float x) { return loom_sigmoid1(2.0f * GELU_K * (x + GELU_C * x * x * x)); }

static inline float gelu1(float x) { return x * gelu_gate1(x); }

static inline float gelu_slope1(float x) {
    float e = loom_exp1(-2.0f * GELU_K * (x + GELU_C * x * x * x));
    float s = 1.0f / (1.0f + e);
    return s + 2.0f * x * s * (e * s) * GELU_K * (1.0f + 3.0f * GELU_C * x * x);
}

LOOM_AVX2 static inline __m256 gelu_gate8(__m256 v) {
    const __m256 k2 = _mm256_set1_ps(2.0f * GELU_K), c = _mm256_set1_ps(GELU_C);
    return loom_sigmoid8(_mm256_mul_ps(k2, _mm256_fmadd_ps(_mm256_mul_ps(c, v), _mm256_mul_ps(v, v), v)));
}

LOOM_AVX2 static void gelu_forward_avx2(const float *x, float *y, long n) {
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i);
        _mm256_storeu_ps(y + i, _mm256_mul_ps(v, gelu_gate8(v)));
    }
    for (; i < n; i++) y[i] = gelu1(x[i]);
}

LOOM_AVX2 static void gelu_backward_avx2(const float *x, const float *g, float *gx, long n, int accumulate) {
    const __m256 one = _mm256_set1_ps(1.0f), two_k = _mm256_set1_ps(2.0f * GELU_K);
    const __m256 minus_two_k = _mm256_set1_ps(-2.0f * GELU_K), c = _mm256_set1_ps(GELU_C);
    const __m256 c3 = _mm256_set1_ps(3.0f * GELU_C);
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i);
        __m256 v2 = _mm256_mul_ps(v, v);
        __m256 e = loom_exp8(_mm256_mul_ps(minus_two_k, _mm256_fmadd_ps(_mm256_mul_ps(c, v), v2, v)));
        __m256 s = _mm256_div_ps(one, _mm256_add_ps(one, e));
        __m256 d_inner = _mm256_mul_ps(two_k, _mm256_fmadd_ps(c3, v2, one));  // 2 du/dx
        __m256 slope = _mm256_fmadd_ps(_mm256_mul_ps(_mm256_mul_ps(v, s), _mm256_mul_ps(e, s)), d_inner, s);
        __m256 term = _mm256_loadu_ps(g + i);
        _mm256_storeu_ps(gx + i, accumulate ? _mm256_fmadd_ps(term, slope, _mm256_loadu_ps(gx + i))
                                            : _mm256_mul_ps(term, slope));
    }
    for (; i < n; i++) gx[i] = (accumulate ? gx[i] : 0.0f) + g[i] * gelu_slope1(x[i]);
}

LOOM_AVX2 static void tanh_forward_avx2(const float *x, float *y, long n) {
    long i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, loom_tanh8(_mm256_loadu_ps(x + i)));
    for (; i < n; i++) y[i] = loom_tanh1(x[i]);
}

void loom_gelu_forward(const float *x, float *y, long n) {
    if (loom_has_avx2()) { gelu_forward_avx2(x, y, n); return; }
    for (long i = 0; i < n; i++) y[i] = gelu1(x[i]);
}

void loom_gelu_backward(const float *x, const float *g, float *gx, long n, int accumulate) {
    if (loom_has_avx2()) { gelu_backward_avx2(x, g, gx, n, accumulate); return; }
    for (long i = 0; i < n; i++) gx[i] = (accumulate ? gx[i] : 0.0f) + g[i] * gelu_slope1(x[i]);
}

void loom_tanh_forward(const float *x, float *y, long n) {
    if (loom_has_avx2()) { tanh_forward_avx2(x, y, n); return; }
    for (long i = 0; i < n; i++) y[i] = loom_tanh1(x[i]);
}
