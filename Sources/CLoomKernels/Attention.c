#include "AttentionBlocked.h"
#include "CLoomKernels.h"
#include "VectorMath.h"

#include <string.h>

// Causal attention: one query row forward (generation), and the portable bodies of one
// (batch, head) pair forward and backward (see CLoomKernels.h). The AVX2 bodies need head_size
// to be a multiple of 8; other sizes take the portable bodies. The pair kernels' AVX2 bodies
// are the blocked products of AttentionBlocked.c.

static void attend_row_portable(const float *query, const float *keys, const float *values, long stride, int count,
                                int head_size, float scale, float *probabilities, const float *mask, float *output) {
    float maximum = -INFINITY;
    for (int j = 0; j < count; j++) {
        const float *k = keys + j * stride;
        float s = 0.0f;
        for (int d = 0; d < head_size; d++) s += query[d] * k[d];
        s *= scale;
        probabilities[j] = s;
        if (s > maximum) maximum = s;
    }
    float total = 0.0f;
    for (int j = 0; j < count; j++) {
        float e = loom_exp1(probabilities[j] - maximum);
        probabilities[j] = e;
        total += e;
    }
    float inverse = 1.0f / total;
    memset(output, 0, sizeof(float) * (size_t)head_size);
    for (int j = 0; j < count; j++) {
        float p = probabilities[j] * inverse;
        probabilities[j] = p;
        float w = mask ? p * mask[j] : p;
        const float *v = values + j * stride;
        for (int d = 0; d < head_size; d++) output[d] += w * v[d];
    }
}

// out[j] = x . rows[j] for `count` rows `stride` floats apart, head_size a multiple of 8.
// Eight rows at a time keep eight accumulators in flight and one transpose-and-add tree
// gives their eight sums as one vector, instead of a horizontal sum per row.
LOOM_AVX2 static inline void dot_rows_avx2(const float *x, const float *rows, long stride, int count, int head_size,
                                           float *out) {
    int j = 0;
    for (; j + 8 <= count; j += 8) {
        const float *r = rows + j * stride;
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        for (int d = 0; d < head_size; d += 8) {
            __m256 q = _mm256_loadu_ps(x + d);
            a0 = _mm256_fmadd_ps(q, _mm256_loadu_ps(r + d), a0);
            a1 = _mm256_fmadd_ps(q, _mm256_loadu_ps(r + stride + d), a1);
            a2 = _mm256_fmadd_ps(q, _mm256_loadu_ps(r + 2 * stride + d), a2);
            a3 = _mm256_fmadd_ps(q, _mm256_loadu_ps(r + 3 * stride + d), a3);
            a4 = _mm256_fmadd_ps(q, _mm256_loadu_ps(r + 4 * stride + d), a4);
            a5 = _mm256_fmadd_ps(q, _mm256_loadu_ps(r + 5 * stride + d), a5);
            a6 = _mm256_fmadd_ps(q, _mm256_loadu_ps(r + 6 * stride + d), a6);
            a7 = _mm256_fmadd_ps(q, _mm256_loadu_ps(r + 7 * stride + d), a7);
        }
        // Each 128-bit half of s0123 holds that half's partial sums of rows 0..3, and of
        // s4567 those of rows 4..7; adding the low halves to the high halves finishes them.
        __m256 s0123 = _mm256_hadd_ps(_mm256_hadd_ps(a0, a1), _mm256_hadd_ps(a2, a3));
        __m256 s4567 = _mm256_hadd_ps(_mm256_hadd_ps(a4, a5), _mm256_hadd_ps(a6, a7));
        __m256 sums = _mm256_add_ps(_mm256_permute2f128_ps(s0123, s4567, 0x20),
                                    _mm256_permute2f128_ps(s0123, s4567, 0x31));
        _mm256_storeu_ps(out + j, sums);
    }
    for (; j < count; j++) {
        const float *r = rows + j * stride;
        __m256 acc = _mm256_setzero_ps();
        for (int d = 0; d < head_size; d += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(x + d), _mm256_loadu_ps(r + d), acc);
        out[j] = loom_sum8(acc);
    }
}

// out[0..<head_size] (+)= sum_j w[j] rows[j], head_size a multiple of 8. The positions run
// in the inner loop over 32 columns at a time with two rows in flight: eight independent
// accumulator chains, so the sum is not held up by the latency of each multiply-add.
LOOM_AVX2 static inline void weighted_rows_avx2(const float *w, const float *rows, long stride, int count,
                                                int head_size, float *out, int accumulate) {
    int d = 0;
    for (; d + 32 <= head_size; d += 32) {
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        int j = 0;
        for (; j + 2 <= count; j += 2) {
            const float *r = rows + j * stride + d, *s = r + stride;
            __m256 x = _mm256_set1_ps(w[j]), y = _mm256_set1_ps(w[j + 1]);
            a0 = _mm256_fmadd_ps(x, _mm256_loadu_ps(r), a0);
            a1 = _mm256_fmadd_ps(x, _mm256_loadu_ps(r + 8), a1);
            a2 = _mm256_fmadd_ps(x, _mm256_loadu_ps(r + 16), a2);
            a3 = _mm256_fmadd_ps(x, _mm256_loadu_ps(r + 24), a3);
            b0 = _mm256_fmadd_ps(y, _mm256_loadu_ps(s), b0);
            b1 = _mm256_fmadd_ps(y, _mm256_loadu_ps(s + 8), b1);
            b2 = _mm256_fmadd_ps(y, _mm256_loadu_ps(s + 16), b2);
            b3 = _mm256_fmadd_ps(y, _mm256_loadu_ps(s + 24), b3);
        }
        if (j < count) {
            const float *r = rows + j * stride + d;
            __m256 x = _mm256_set1_ps(w[j]);
            a0 = _mm256_fmadd_ps(x, _mm256_loadu_ps(r), a0);
            a1 = _mm256_fmadd_ps(x, _mm256_loadu_ps(r + 8), a1);
            a2 = _mm256_fmadd_ps(x, _mm256_loadu_ps(r + 16), a2);
            a3 = _mm256_fmadd_ps(x, _mm256_loadu_ps(r + 24), a3);
        }
        a0 = _mm256_add_ps(a0, b0), a1 = _mm256_add_ps(a1, b1), a2 = _mm256_add_ps(a2, b2), a3 = _mm256_add_ps(a3, b3);
        if (accumulate) {
            a0 = _mm256_add_ps(a0, _mm256_loadu_ps(out + d)), a1 = _mm256_add_ps(a1, _mm256_loadu_ps(out + d + 8));
            a2 = _mm256_add_ps(a2, _mm256_loadu_ps(out + d + 16)), a3 = _mm256_add_ps(a3, _mm256_loadu_ps(out + d + 24));
        }
        _mm256_storeu_ps(out + d, a0), _mm256_storeu_ps(out + d + 8, a1);
        _mm256_storeu_ps(out + d + 16, a2), _mm256_storeu_ps(out + d + 24, a3);
    }
    for (; d < head_size; d += 8) {
        __m256 a = _mm256_setzero_ps(), b = a;
        int j = 0;
        for (; j + 2 <= count; j += 2) {
            a = _mm256_fmadd_ps(_mm256_set1_ps(w[j]), _mm256_loadu_ps(rows + j * stride + d), a);
            b = _mm256_fmadd_ps(_mm256_set1_ps(w[j + 1]), _mm256_loadu_ps(rows + (j + 1) * stride + d), b);
        }
        if (j < count) a = _mm256_fmadd_ps(_mm256_set1_ps(w[j]), _mm256_loadu_ps(rows + j * stride + d), a);
        a = _mm256_add_ps(a, b);
        if (accumulate) a = _mm256_add_ps(a, _mm256_loadu_ps(out + d));
        _mm256_storeu_ps(out + d, a);
    }
}

LOOM_AVX2 static void attend_row_avx2(const float *query, const float *keys, const float *values, long stride,
                                      int count, int head_size, float scale, float *probabilities, const float *mask,
                                      float *output) {
    dot_rows_avx2(query, keys, stride, count, head_size, probabilities);
    __m256 scale8 = _mm256_set1_ps(scale), top8 = _mm256_set1_ps(-INFINITY);
    int j = 0;
    for (; j + 8 <= count; j += 8) {
        __m256 s = _mm256_mul_ps(_mm256_loadu_ps(probabilities + j), scale8);
        _mm256_storeu_ps(probabilities + j, s);
        top8 = _mm256_max_ps(top8, s);
    }
    float maximum = loom_max8(top8);
    for (; j < count; j++) {
        probabilities[j] *= scale;
        if (probabilities[j] > maximum) maximum = probabilities[j];
    }
    __m256 top = _mm256_set1_ps(maximum), sums = _mm256_setzero_ps();
    for (j = 0; j + 8 <= count; j += 8) {
        __m256 e = loom_exp8(_mm256_sub_ps(_mm256_loadu_ps(probabilities + j), top));
        _mm256_storeu_ps(probabilities + j, e);
        sums = _mm256_add_ps(sums, e);
    }
    float total = loom_sum8(sums);
    for (; j < count; j++) {
        float e = loom_exp1(probabilities[j] - maximum);
        probabilities[j] = e;
        total += e;
    }
    __m256 inverse = _mm256_set1_ps(1.0f / total);
    for (j = 0; j + 8 <= count; j += 8)
        _mm256_storeu_ps(probabilities + j, _mm256_mul_ps(_mm256_loadu_ps(probabilities + j), inverse));
    for (; j < count; j++) probabilities[j] *= 1.0f / total;
    if (mask) {
        float weights[count];
        for (j = 0; j < count; j++) weights[j] = probabilities[j] * mask[j];
        weighted_rows_avx2(weights, values, stride, count, head_size, output, 0);
    } else {
        weighted_rows_avx2(probabilities, values, stride, count, head_size, output, 0);
    }
}

void loom_attend_row(const float *query, const float *keys, const float *values, long stride, int count,
                     int head_size, float scale, float *probabilities, const float *mask, float *output) {
    if (head_size % 8 == 0 && loom_has_avx2())
        attend_row_avx2(query, keys, values, stride, count, head_size, scale, probabilities, mask, output);
    else
        attend_row_portable(query, keys, values, stride, count, head_size, scale, probabilities, mask, output);
}

void loom_attention_head_forward(const float *q, long stride, int length, int head_size, float scale,
                                 float *probabilities, const float *mask, float *out, long out_stride,
                                 float *scratch) {
    if (head_size % 8 == 0 && loom_has_avx2()) {
        loom_attention_head_forward_blocked(q, stride, length, head_size, scale, probabilities, mask, out, out_stride,
                                            scratch);
        return;
    }
    const long width = stride / 3;
    for (long t = 0; t < length; t++) {
        float *row = probabilities + t * length;
        attend_row_portable(q + t * stride, q + width, q + 2 * width, stride, (int)t + 1, head_size, scale, row,
                            mask ? mask + t * length : NULL, out + t * out_stride);
        memset(row + t + 1, 0, sizeof(float) * (size_t)(length - t - 1));
    }
}

// The portable backward pass of one (batch, head) pair over all its queries, in three sweeps so that
// each gradient row is written once rather than once per query that touches it:
//   1. dS[t][j] = scale p[t][j] (dP[t][j] - sum_j p[t][j] dP[t][j]), dP[t][j] = mask (dout_t . v_j)
//   2. dq_t += sum_j dS[t][j] k_j
//   3. dk_j += sum_t dS[t][j] q_t,   dv_j += sum_t mask p[t][j] dout_t   (t from j to length - 1)
// Without `accumulate` the sums are stored (=) rather than added, so the gradient rows need
// not be zeroed first.

static void attention_head_backward_portable(const float *dout, long dout_stride, const float *q, long stride,
                                             int length, int head_size, float scale, const float *probabilities,
                                             const float *mask, float *dq, float *ds, int accumulate) {
    const float *k = q + (stride / 3), *v = q + 2 * (stride / 3);
    float *dk = dq + (stride / 3), *dv = dq + 2 * (stride / 3);
    if (!accumulate)
        for (int t = 0; t < length; t++)
            for (int d = 0; d < head_size; d++) dq[t * stride + d] = dk[t * stride + d] = dv[t * stride + d] = 0.0f;
    for (int t = 0; t < length; t++) {
        const float *p = probabilities + (long)t * length, *m = mask ? mask + (long)t * length : NULL;
        const float *g = dout + t * dout_stride;
        float *row = ds + (long)t * length, weighted = 0.0f;
        for (int j = 0; j <= t; j++) {
            float dp = 0.0f;
            for (int d = 0; d < head_size; d++) dp += g[d] * v[j * stride + d];
            if (m) dp *= m[j];
            row[j] = dp;
            weighted += p[j] * dp;
        }
        for (int j = 0; j <= t; j++) row[j] = scale * p[j] * (row[j] - weighted);
        for (int j = 0; j <= t; j++)
            for (int d = 0; d < head_size; d++) dq[t * stride + d] += row[j] * k[j * stride + d];
    }
    for (int j = 0; j < length; j++) {
        for (int t = j; t < length; t++) {
            float s = ds[(long)t * length + j], w = probabilities[(long)t * length + j];
            if (mask) w *= mask[(long)t * length + j];
            const float *g = dout + t * dout_stride;
            for (int d = 0; d < head_size; d++) {
                dk[j * stride + d] += s * q[t * stride + d];
                dv[j * stride + d] += w * g[d];
            }
        }
    }
}

void loom_attention_head_backward(const float *dout, long dout_stride, const float *q, long stride, int length,
                                  int head_size, float scale, const float *probabilities, const float *mask,
                                  float *dq, float *scratch, int accumulate) {
    if (head_size % 8 == 0 && loom_has_avx2())
        loom_attention_head_backward_blocked(dout, dout_stride, q, stride, length, head_size, scale, probabilities,
                                             mask, dq, scratch, accumulate);
    else
        attention_head_backward_portable(dout, dout_stride, q, stride, length, head_size, scale, probabilities, mask,
                                         dq, scratch, accumulate);
}
