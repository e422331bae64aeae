#include "ConvolutionKernels.h"
#include "VectorMath.h"

// Convolutions whose outputs read few taps (a first layer over grey images: 16 for a 4x4
// kernel) are small matrix products that BLAS runs far below its peak. Forward keeps the
// taps of eight positions in registers and reuses them for every output channel; the
// weight gradient runs four dot products side by side, so each gradient load serves four
// taps.

#define MOST_TAPS 16

static void few_taps_forward_scalar(const float *weight, const float *bias, int out_channels, int taps,
                                    const float *columns, long column_stride, int first, int plane, float *out) {
    for (int o = 0; o < out_channels; o++) {
        const float *w = weight + (long)o * taps;
        for (int p = first; p < plane; p++) {
            float total = bias ? bias[o] : 0.0f;
            for (int k = 0; k < taps; k++) total += w[k] * columns[k * column_stride + p];
            out[(long)o * plane + p] = total;
        }
    }
}

LOOM_AVX2 static void few_taps_forward_avx2(const float *weight, const float *bias, int out_channels, int taps,
                                            const float *columns, long column_stride, int plane, float *out) {
    __m256 tap[MOST_TAPS];
    int p = 0;
    for (; p + 8 <= plane; p += 8) {
        for (int k = 0; k < taps; k++) tap[k] = _mm256_loadu_ps(columns + k * column_stride + p);
        for (int o = 0; o < out_channels; o++) {
            const float *w = weight + (long)o * taps;
            __m256 total = _mm256_set1_ps(bias ? bias[o] : 0.0f);
            for (int k = 0; k < taps; k++) total = _mm256_fmadd_ps(_mm256_set1_ps(w[k]), tap[k], total);
            _mm256_storeu_ps(out + (long)o * plane + p, total);
        }
    }
    few_taps_forward_scalar(weight, bias, out_channels, taps, columns, column_stride, p, plane, out);
}

void loom_few_taps_forward(const float *weight, const float *bias, int out_channels, int taps, const float *columns,
                           long column_stride, int plane, float *out) {
    if (taps <= MOST_TAPS && loom_has_avx2()) {
        few_taps_forward_avx2(weight, bias, out_channels, taps, columns, column_stride, plane, out);
    } else {
        few_taps_forward_scalar(weight, bias, out_channels, taps, columns, column_stride, 0, plane, out);
    }
}

LOOM_AVX2 static inline float sum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}

LOOM_AVX2 static void few_taps_weight_gradient_avx2(const float *grad, int out_channels, int taps, const float *columns,
                                                    long column_stride, int plane, float *sums) {
    for (int o = 0; o < out_channels; o++) {
        const float *g = grad + (long)o * plane;
        float *target = sums + (long)o * taps;
        int k = 0;
        for (; k + 4 <= taps; k += 4) {
            const float *c0 = columns + k * column_stride, *c1 = c0 + column_stride;
            const float *c2 = c1 + column_stride, *c3 = c2 + column_stride;
            __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
            int p = 0;
            for (; p + 8 <= plane; p += 8) {
                __m256 gv = _mm256_loadu_ps(g + p);
                a0 = _mm256_fmadd_ps(gv, _mm256_loadu_ps(c0 + p), a0);
                a1 = _mm256_fmadd_ps(gv, _mm256_loadu_ps(c1 + p), a1);
                a2 = _mm256_fmadd_ps(gv, _mm256_loadu_ps(c2 + p), a2);
                a3 = _mm256_fmadd_ps(gv, _mm256_loadu_ps(c3 + p), a3);
            }
            float t0 = sum8(a0), t1 = sum8(a1), t2 = sum8(a2), t3 = sum8(a3);
            for (; p < plane; p++) {
                t0 += g[p] * c0[p];
                t1 += g[p] * c1[p];
                t2 += g[p] * c2[p];
                t3 += g[p] * c3[p];
            }
            target[k] += t0;
            target[k + 1] += t1;
            target[k + 2] += t2;
            target[k + 3] += t3;
        }
        for (; k < taps; k++) {
            const float *c = columns + k * column_stride;
            __m256 a = _mm256_setzero_ps();
            int p = 0;
            for (; p + 8 <= plane; p += 8) a = _mm256_fmadd_ps(_mm256_loadu_ps(g + p), _mm256_loadu_ps(c + p), a);
            float t = sum8(a);
            for (; p < plane; p++) t += g[p] * c[p];
            target[k] += t;
        }
    }
}

void loom_few_taps_weight_gradient(const float *grad, int out_channels, int taps, const float *columns,
                                   long column_stride, int plane, float *sums) {
    if (loom_has_avx2()) {
        few_taps_weight_gradient_avx2(grad, out_channels, taps, columns, column_stride, plane, sums);
        return;
    }
    for (int o = 0; o < out_channels; o++) {
        for (int k = 0; k < taps; k++) {
            float t = 0.0f;
            for (int p = 0; p < plane; p++) t += grad[(long)o * plane + p] * columns[k * column_stride + p];
            sums[(long)o * taps + k] += t;
        }
    }
}
