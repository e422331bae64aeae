#include "CLoomKernels.h"

#include <immintrin.h>
#include <math.h>

// exp by range reduction on ln 2 and Cephes' degree-6 polynomial for e^r, with 2^n written
// into the exponent bits; inputs are clamped so the result is always finite.
static inline float scalar_exp(float x) {
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

static inline float scalar_sigmoid(float x) { return 1.0f / (1.0f + scalar_exp(-x)); }
static inline float scalar_tanh(float x) { return 1.0f - 2.0f / (1.0f + scalar_exp(2.0f * x)); }

__attribute__((target("avx2,fma"))) static inline __m256 vector_exp(__m256 x) {
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

__attribute__((target("avx2,fma"))) static inline __m256 vector_sigmoid(__m256 x) {
    __m256 one = _mm256_set1_ps(1.0f);
    return _mm256_div_ps(one, _mm256_add_ps(one, vector_exp(_mm256_sub_ps(_mm256_setzero_ps(), x))));
}

__attribute__((target("avx2,fma"))) static inline __m256 vector_tanh(__m256 x) {
    __m256 one = _mm256_set1_ps(1.0f);
    __m256 e = vector_exp(_mm256_add_ps(x, x));
    return _mm256_sub_ps(one, _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(one, e)));
}

static int has_avx2(void) {
    static int known = -1;
    if (known < 0) known = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    return known;
}

static inline void lstm_unit(int j, int n, float *g, float *aux, float *h, float *c, float *out) {
    float i = scalar_sigmoid(g[j]), f = scalar_sigmoid(g[n + j]);
    float cand = scalar_tanh(g[2 * n + j]), o = scalar_sigmoid(g[3 * n + j]);
    g[j] = i; g[n + j] = f; g[2 * n + j] = cand; g[3 * n + j] = o;
    float cell = f * c[j] + i * cand, tc = scalar_tanh(cell);
    c[j] = cell; aux[j] = tc;
    float y = o * tc;
    h[j] = y; out[j] = y;
}

__attribute__((target("avx2,fma"))) static void lstm_row_avx2(int n, float *g, float *aux, float *h, float *c,
                                                               float *out) {
    int j = 0;
    for (; j + 8 <= n; j += 8) {
        __m256 i = vector_sigmoid(_mm256_loadu_ps(g + j));
        __m256 f = vector_sigmoid(_mm256_loadu_ps(g + n + j));
        __m256 cand = vector_tanh(_mm256_loadu_ps(g + 2 * n + j));
        __m256 o = vector_sigmoid(_mm256_loadu_ps(g + 3 * n + j));
        _mm256_storeu_ps(g + j, i);
        _mm256_storeu_ps(g + n + j, f);
        _mm256_storeu_ps(g + 2 * n + j, cand);
        _mm256_storeu_ps(g + 3 * n + j, o);
        __m256 cell = _mm256_fmadd_ps(f, _mm256_loadu_ps(c + j), _mm256_mul_ps(i, cand));
        __m256 tc = vector_tanh(cell);
        _mm256_storeu_ps(c + j, cell);
        _mm256_storeu_ps(aux + j, tc);
        __m256 y = _mm256_mul_ps(o, tc);
        _mm256_storeu_ps(h + j, y);
        _mm256_storeu_ps(out + j, y);
    }
    for (; j < n; j++) lstm_unit(j, n, g, aux, h, c, out);
}

void loom_lstm_forward(int n, float *gates, float *aux, float *h, float *c, float *out) {
    if (has_avx2()) lstm_row_avx2(n, gates, aux, h, c, out);
    else for (int j = 0; j < n; j++) lstm_unit(j, n, gates, aux, h, c, out);
}

static inline void gru_unit(int j, int n, float *g, const float *hh, const float *bias_hn, float *aux, float *h,
                            float *out) {
    float r = scalar_sigmoid(g[j] + hh[j]), z = scalar_sigmoid(g[n + j] + hh[n + j]);
    float hn = hh[2 * n + j] + (bias_hn ? bias_hn[j] : 0.0f);
    float cand = scalar_tanh(g[2 * n + j] + r * hn);
    g[j] = r; g[n + j] = z; g[2 * n + j] = cand;
    aux[j] = hn;
    float y = (1.0f - z) * cand + z * h[j];
    h[j] = y; out[j] = y;
}

__attribute__((target("avx2,fma"))) static void gru_row_avx2(int n, float *g, const float *hh, const float *bias_hn,
                                                              float *aux, float *h, float *out) {
    int j = 0;
    for (; j + 8 <= n; j += 8) {
        __m256 r = vector_sigmoid(_mm256_add_ps(_mm256_loadu_ps(g + j), _mm256_loadu_ps(hh + j)));
        __m256 z = vector_sigmoid(_mm256_add_ps(_mm256_loadu_ps(g + n + j), _mm256_loadu_ps(hh + n + j)));
        __m256 hn = _mm256_loadu_ps(hh + 2 * n + j);
        if (bias_hn) hn = _mm256_add_ps(hn, _mm256_loadu_ps(bias_hn + j));
        __m256 cand = vector_tanh(_mm256_fmadd_ps(r, hn, _mm256_loadu_ps(g + 2 * n + j)));
        _mm256_storeu_ps(g + j, r);
        _mm256_storeu_ps(g + n + j, z);
        _mm256_storeu_ps(g + 2 * n + j, cand);
        _mm256_storeu_ps(aux + j, hn);
        // (1 - z) cand + z h = cand + z (h - cand)
        __m256 y = _mm256_fmadd_ps(z, _mm256_sub_ps(_mm256_loadu_ps(h + j), cand), cand);
        _mm256_storeu_ps(h + j, y);
        _mm256_storeu_ps(out + j, y);
    }
    for (; j < n; j++) gru_unit(j, n, g, hh, bias_hn, aux, h, out);
}

void loom_gru_forward(int n, float *gates, const float *hh, const float *bias_hn, float *aux, float *h,
                      float *out) {
    if (has_avx2()) gru_row_avx2(n, gates, hh, bias_hn, aux, h, out);
    else for (int j = 0; j < n; j++) gru_unit(j, n, gates, hh, bias_hn, aux, h, out);
}
