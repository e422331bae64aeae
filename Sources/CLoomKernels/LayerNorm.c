#include "CLoomKernels.h"
#include "VectorMath.h"

#include <math.h>

// Layer norm over rows (llm.c's layernorm_forward and layernorm_backward). Each row's sums
// keep eight partial sums in one AVX2 register; the per-element passes run eight columns at
// a time. Swift's SIMD8 loops over the same rows compiled to 128-bit SSE.

LOOM_AVX2 static void forward_avx2(const float *x, const float *weight, const float *bias, long rows, int size,
                                   float eps, float *y, float *stats) {
    const int whole = size & ~7;
    for (long r = 0; r < rows; r++) {
        const float *xr = x + r * size;
        float *yr = y + r * size;
        __m256 acc = _mm256_setzero_ps();
        for (int j = 0; j < whole; j += 8) acc = _mm256_add_ps(acc, _mm256_loadu_ps(xr + j));
        float total = loom_sum8(acc);
        for (int j = whole; j < size; j++) total += xr[j];
        const float mean = total / (float)size;
        const __m256 center = _mm256_set1_ps(mean);
        acc = _mm256_setzero_ps();
        for (int j = 0; j < whole; j += 8) {
            __m256 d = _mm256_sub_ps(_mm256_loadu_ps(xr + j), center);
            acc = _mm256_fmadd_ps(d, d, acc);
        }
        float squares = loom_sum8(acc);
        for (int j = whole; j < size; j++) squares += (xr[j] - mean) * (xr[j] - mean);
        const float rstd = 1.0f / sqrtf(squares / (float)size + eps);
        stats[2 * r] = mean;
        stats[2 * r + 1] = rstd;
        const __m256 scale = _mm256_set1_ps(rstd);
        int j = 0;
        for (; j < whole; j += 8) {
            __m256 v = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(xr + j), center), scale);
            if (weight) v = _mm256_mul_ps(v, _mm256_loadu_ps(weight + j));
            if (bias) v = _mm256_add_ps(v, _mm256_loadu_ps(bias + j));
            _mm256_storeu_ps(yr + j, v);
        }
        for (; j < size; j++) {
            float v = (xr[j] - mean) * rstd;
            if (weight) v *= weight[j];
            if (bias) v += bias[j];
            yr[j] = v;
        }
    }
}

static void forward_portable(const float *x, const float *weight, const float *bias, long rows, int size, float eps,
                             float *y, float *stats) {
    for (long r = 0; r < rows; r++) {
        const float *xr = x + r * size;
        float total = 0.0f, squares = 0.0f;
        for (int j = 0; j < size; j++) total += xr[j];
        const float mean = total / (float)size;
        for (int j = 0; j < size; j++) squares += (xr[j] - mean) * (xr[j] - mean);
        const float rstd = 1.0f / sqrtf(squares / (float)size + eps);
        stats[2 * r] = mean;
        stats[2 * r + 1] = rstd;
        for (int j = 0; j < size; j++) {
            float v = (xr[j] - mean) * rstd;
            if (weight) v *= weight[j];
            if (bias) v += bias[j];
            y[r * size + j] = v;
        }
    }
}

void loom_layer_norm_forward(const float *x, const float *weight, const float *bias, long rows, int size, float eps,
                             float *y, float *stats) {
    if (loom_has_avx2()) forward_avx2(x, weight, bias, rows, size, eps, y, stats);
    else forward_portable(x, weight, bias, rows, size, eps, y, stats);
}

// dx = rstd (dxhat - mean(dxhat) - xhat mean(dxhat xhat)), dxhat = g w (g without weight).
LOOM_AVX2 static void backward_avx2(const float *x, const float *g, const float *weight, const float *stats, long rows,
                                    int size, float *dx, int accumulate) {
    const int whole = size & ~7;
    for (long r = 0; r < rows; r++) {
        const float *xr = x + r * size, *gr = g + r * size;
        float *dr = dx + r * size;
        const float mean = stats[2 * r], rstd = stats[2 * r + 1];
        const __m256 center = _mm256_set1_ps(mean);
        __m256 sum_d = _mm256_setzero_ps(), sum_dx = _mm256_setzero_ps();
        for (int j = 0; j < whole; j += 8) {
            __m256 d = _mm256_loadu_ps(gr + j);
            if (weight) d = _mm256_mul_ps(d, _mm256_loadu_ps(weight + j));
            sum_d = _mm256_add_ps(sum_d, d);
            sum_dx = _mm256_fmadd_ps(d, _mm256_sub_ps(_mm256_loadu_ps(xr + j), center), sum_dx);
        }
        float total_d = loom_sum8(sum_d), total_dx = loom_sum8(sum_dx);
        for (int j = whole; j < size; j++) {
            const float d = weight ? gr[j] * weight[j] : gr[j];
            total_d += d;
            total_dx += d * (xr[j] - mean);
        }
        const float mean_d = total_d / (float)size, mean_dx = total_dx * rstd / (float)size;
        // dx = rstd dxhat - rstd mean_d - (x - mean) rstd² mean_dx
        const __m256 scale = _mm256_set1_ps(rstd), shift = _mm256_set1_ps(rstd * mean_d);
        const __m256 slope = _mm256_set1_ps(rstd * rstd * mean_dx);
        int j = 0;
        for (; j < whole; j += 8) {
            __m256 d = _mm256_loadu_ps(gr + j);
            if (weight) d = _mm256_mul_ps(d, _mm256_loadu_ps(weight + j));
            __m256 v = _mm256_sub_ps(_mm256_fmsub_ps(scale, d, shift),
                                     _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(xr + j), center), slope));
            if (accumulate) v = _mm256_add_ps(v, _mm256_loadu_ps(dr + j));
            _mm256_storeu_ps(dr + j, v);
        }
        for (; j < size; j++) {
            const float d = weight ? gr[j] * weight[j] : gr[j];
            const float v = rstd * (d - mean_d - (xr[j] - mean) * rstd * mean_dx);
            dr[j] = accumulate ? dr[j] + v : v;
        }
    }
}

static void backward_portable(const float *x, const float *g, const float *weight, const float *stats, long rows,
                              int size, float *dx, int accumulate) {
    for (long r = 0; r < rows; r++) {
        const float *xr = x + r * size, *gr = g + r * size;
        float *dr = dx + r * size;
        const float mean = stats[2 * r], rstd = stats[2 * r + 1];
        float total_d = 0.0f, total_dx = 0.0f;
        for (int j = 0; j < size; j++) {
            const float d = weight ? gr[j] * weight[j] : gr[j];
            total_d += d;
            total_dx += d * (xr[j] - mean);
        }
        const float mean_d = total_d / (float)size, mean_dx = total_dx * rstd / (float)size;
        for (int j = 0; j < size; j++) {
            const float d = weight ? gr[j] * weight[j] : gr[j];
            const float v = rstd * (d - mean_d - (xr[j] - mean) * rstd * mean_dx);
            dr[j] = accumulate ? dr[j] + v : v;
        }
    }
}

void loom_layer_norm_backward(const float *x, const float *g, const float *weight, const float *stats, long rows,
                              int size, float *dx, int accumulate) {
    if (loom_has_avx2()) backward_avx2(x, g, weight, stats, rows, size, dx, accumulate);
    else backward_portable(x, g, weight, stats, rows, size, dx, accumulate);
}

// dweight[j] += Σ_r g[r][j] xhat[r][j] and dbias[j] += Σ_r g[r][j] for the columns
// first..<first + count, rows in order (either output may be NULL).
LOOM_AVX2 static void parameter_gradients_avx2(const float *x, const float *g, const float *stats, long rows, int size,
                                               int first, int count, float *dweight, float *dbias) {
    const int whole = count & ~7;
    for (long r = 0; r < rows; r++) {
        const float *xr = x + r * size + first, *gr = g + r * size + first;
        const float mean = stats[2 * r], rstd = stats[2 * r + 1];
        const __m256 center = _mm256_set1_ps(mean), scale = _mm256_set1_ps(rstd);
        float *dw = dweight ? dweight + first : NULL, *db = dbias ? dbias + first : NULL;
        int j = 0;
        for (; j < whole; j += 8) {
            __m256 gv = _mm256_loadu_ps(gr + j);
            if (dw) {
                __m256 xhat = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(xr + j), center), scale);
                _mm256_storeu_ps(dw + j, _mm256_fmadd_ps(gv, xhat, _mm256_loadu_ps(dw + j)));
            }
            if (db) _mm256_storeu_ps(db + j, _mm256_add_ps(_mm256_loadu_ps(db + j), gv));
        }
        for (; j < count; j++) {
            if (dw) dw[j] += gr[j] * ((xr[j] - mean) * rstd);
            if (db) db[j] += gr[j];
        }
    }
}

static void parameter_gradients_portable(const float *x, const float *g, const float *stats, long rows, int size,
                                         int first, int count, float *dweight, float *dbias) {
    for (long r = 0; r < rows; r++) {
        const float mean = stats[2 * r], rstd = stats[2 * r + 1];
        for (int j = first; j < first + count; j++) {
            const float gv = g[r * size + j];
            if (dweight) dweight[j] += gv * ((x[r * size + j] - mean) * rstd);
            if (dbias) dbias[j] += gv;
        }
    }
}

void loom_layer_norm_parameter_gradients(const float *x, const float *g, const float *stats, long rows, int size,
                                         int first, int count, float *dweight, float *dbias) {
    if (loom_has_avx2()) parameter_gradients_avx2(x, g, stats, rows, size, first, count, dweight, dbias);
    else parameter_gradients_portable(x, g, stats, rows, size, first, count, dweight, dbias);
}
