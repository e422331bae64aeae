#include "CLoomKernels.h"
#include "VectorMath.h"

static inline void lstm_unit(int j, int n, float *g, float *aux, float *h, float *c, float *out) {
    float i = loom_sigmoid1(g[j]), f = loom_sigmoid1(g[n + j]);
    float cand = loom_tanh1(g[2 * n + j]), o = loom_sigmoid1(g[3 * n + j]);
    g[j] = i; g[n + j] = f; g[2 * n + j] = cand; g[3 * n + j] = o;
    float cell = f * c[j] + i * cand, tc = loom_tanh1(cell);
    c[j] = cell; aux[j] = tc;
    float y = o * tc;
    h[j] = y; out[j] = y;
}

LOOM_AVX2 static void lstm_row_avx2(int n, float *g, float *aux, float *h, float *c, float *out) {
    int j = 0;
    for (; j + 8 <= n; j += 8) {
        __m256 i = loom_sigmoid8(_mm256_loadu_ps(g + j));
        __m256 f = loom_sigmoid8(_mm256_loadu_ps(g + n + j));
        __m256 cand = loom_tanh8(_mm256_loadu_ps(g + 2 * n + j));
        __m256 o = loom_sigmoid8(_mm256_loadu_ps(g + 3 * n + j));
        _mm256_storeu_ps(g + j, i);
        _mm256_storeu_ps(g + n + j, f);
        _mm256_storeu_ps(g + 2 * n + j, cand);
        _mm256_storeu_ps(g + 3 * n + j, o);
        __m256 cell = _mm256_fmadd_ps(f, _mm256_loadu_ps(c + j), _mm256_mul_ps(i, cand));
        __m256 tc = loom_tanh8(cell);
        _mm256_storeu_ps(c + j, cell);
        _mm256_storeu_ps(aux + j, tc);
        __m256 y = _mm256_mul_ps(o, tc);
        _mm256_storeu_ps(h + j, y);
        _mm256_storeu_ps(out + j, y);
    }
    for (; j < n; j++) lstm_unit(j, n, g, aux, h, c, out);
}

void loom_lstm_forward(int n, float *gates, float *aux, float *h, float *c, float *out) {
    if (loom_has_avx2()) lstm_row_avx2(n, gates, aux, h, c, out);
    else for (int j = 0; j < n; j++) lstm_unit(j, n, gates, aux, h, c, out);
}

static inline void gru_unit(int j, int n, float *g, const float *hh, const float *bias_hn, float *aux, float *h,
                            float *out) {
    float r = loom_sigmoid1(g[j] + hh[j]), z = loom_sigmoid1(g[n + j] + hh[n + j]);
    float hn = hh[2 * n + j] + (bias_hn ? bias_hn[j] : 0.0f);
    float cand = loom_tanh1(g[2 * n + j] + r * hn);
    g[j] = r; g[n + j] = z; g[2 * n + j] = cand;
    aux[j] = hn;
    float y = (1.0f - z) * cand + z * h[j];
    h[j] = y; out[j] = y;
}

LOOM_AVX2 static void gru_row_avx2(int n, float *g, const float *hh, const float *bias_hn, float *aux, float *h,
                                   float *out) {
    int j = 0;
    for (; j + 8 <= n; j += 8) {
        __m256 r = loom_sigmoid8(_mm256_add_ps(_mm256_loadu_ps(g + j), _mm256_loadu_ps(hh + j)));
        __m256 z = loom_sigmoid8(_mm256_add_ps(_mm256_loadu_ps(g + n + j), _mm256_loadu_ps(hh + n + j)));
        __m256 hn = _mm256_loadu_ps(hh + 2 * n + j);
        if (bias_hn) hn = _mm256_add_ps(hn, _mm256_loadu_ps(bias_hn + j));
        __m256 cand = loom_tanh8(_mm256_fmadd_ps(r, hn, _mm256_loadu_ps(g + 2 * n + j)));
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
    if (loom_has_avx2()) gru_row_avx2(n, gates, hh, bias_hn, aux, h, out);
    else for (int j = 0; j < n; j++) gru_unit(j, n, gates, hh, bias_hn, aux, h, out);
}
