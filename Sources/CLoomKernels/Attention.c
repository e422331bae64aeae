#include "CLoomKernels.h"
#include "VectorMath.h"

#include <string.h>

// Causal attention: one query row forward, one (batch, head) pair backward (see CLoomKernels.h). The AVX2
// bodies need head_size to be a multiple of 8; other sizes take the portable bodies.

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

LOOM_AVX2 static void attend_row_avx2(const float *query, const float *keys, const float *values, long stride,
                                      int count, int head_size, float scale, float *probabilities, const float *mask,
                                      float *output) {
    float maximum = -INFINITY;
    for (int j = 0; j < count; j++) {
        const float *k = keys + j * stride;
        __m256 acc = _mm256_setzero_ps();
        for (int d = 0; d < head_size; d += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(query + d), _mm256_loadu_ps(k + d), acc);
        float s = scale * loom_sum8(acc);
        probabilities[j] = s;
        if (s > maximum) maximum = s;
    }
    __m256 top = _mm256_set1_ps(maximum), sums = _mm256_setzero_ps();
    int j = 0;
    for (; j + 8 <= count; j += 8) {
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
    for (int d = 0; d < head_size; d += 8) {
        __m256 acc = _mm256_setzero_ps();
        for (j = 0; j < count; j++) {
            float w = mask ? probabilities[j] * mask[j] : probabilities[j];
            acc = _mm256_fmadd_ps(_mm256_set1_ps(w), _mm256_loadu_ps(values + j * stride + d), acc);
        }
        _mm256_storeu_ps(output + d, acc);
    }
}

void loom_attend_row(const float *query, const float *keys, const float *values, long stride, int count,
                     int head_size, float scale, float *probabilities, const float *mask, float *output) {
    if (head_size % 8 == 0 && loom_has_avx2())
        attend_row_avx2(query, keys, values, stride, count, head_size, scale, probabilities, mask, output);
    else
        attend_row_portable(query, keys, values, stride, count, head_size, scale, probabilities, mask, output);
}

// The backward pass of one (batch, head) pair over all its queries, in three sweeps so that
// each gradient row is written once rather than once per query that touches it:
//   1. dS[t][j] = scale p[t][j] (dP[t][j] - sum_j p[t][j] dP[t][j]), dP[t][j] = mask (dout_t . v_j)
//   2. dq_t += sum_j dS[t][j] k_j
//   3. dk_j += sum_t dS[t][j] q_t,   dv_j += sum_t mask p[t][j] dout_t   (t from j to length - 1)

static void attention_head_backward_portable(const float *dout, long dout_stride, const float *q, long stride,
                                             int length, int head_size, float scale, const float *probabilities,
                                             const float *mask, float *dq, float *ds) {
    const float *k = q + (stride / 3), *v = q + 2 * (stride / 3);
    float *dk = dq + (stride / 3), *dv = dq + 2 * (stride / 3);
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

// Sweep 1 also writes dS and the masked probabilities transposed (scratch holds both), so
// sweep 3 reads each key's column as a contiguous row.
LOOM_AVX2 static void attention_head_backward_avx2(const float *dout, long dout_stride, const float *q, long stride,
                                                   int length, int head_size, float scale,
                                                   const float *probabilities, const float *mask, float *dq,
                                                   float *scratch) {
    const long width = stride / 3, square = (long)length * length;
    const float *k = q + width, *v = q + 2 * width;
    float *dk = dq + width, *dv = dq + 2 * width;
    float *row = scratch, *ds_t = scratch + square, *w_t = scratch + 2 * square;
    for (int t = 0; t < length; t++) {
        const float *p = probabilities + (long)t * length, *m = mask ? mask + (long)t * length : NULL;
        const float *g = dout + t * dout_stride;
        float weighted = 0.0f;
        for (int j = 0; j <= t; j++) {
            __m256 acc = _mm256_setzero_ps();
            for (int d = 0; d < head_size; d += 8)
                acc = _mm256_fmadd_ps(_mm256_loadu_ps(g + d), _mm256_loadu_ps(v + j * stride + d), acc);
            float dp = loom_sum8(acc);
            if (m) dp *= m[j];
            row[j] = dp;
            weighted += p[j] * dp;
        }
        for (int j = 0; j <= t; j++) {
            row[j] = scale * p[j] * (row[j] - weighted);
            ds_t[(long)j * length + t] = row[j];
            w_t[(long)j * length + t] = m ? p[j] * m[j] : p[j];
        }
        for (int d = 0; d < head_size; d += 8) {
            __m256 acc = _mm256_loadu_ps(dq + t * stride + d);
            for (int j = 0; j <= t; j++)
                acc = _mm256_fmadd_ps(_mm256_set1_ps(row[j]), _mm256_loadu_ps(k + j * stride + d), acc);
            _mm256_storeu_ps(dq + t * stride + d, acc);
        }
    }
    for (int j = 0; j < length; j++) {
        const float *s = ds_t + (long)j * length, *w = w_t + (long)j * length;
        for (int d = 0; d < head_size; d += 8) {
            __m256 key = _mm256_loadu_ps(dk + j * stride + d), value = _mm256_loadu_ps(dv + j * stride + d);
            for (int t = j; t < length; t++) {
                key = _mm256_fmadd_ps(_mm256_set1_ps(s[t]), _mm256_loadu_ps(q + t * stride + d), key);
                value = _mm256_fmadd_ps(_mm256_set1_ps(w[t]), _mm256_loadu_ps(dout + t * dout_stride + d), value);
            }
            _mm256_storeu_ps(dk + j * stride + d, key);
            _mm256_storeu_ps(dv + j * stride + d, value);
        }
    }
}

void loom_attention_head_backward(const float *dout, long dout_stride, const float *q, long stride, int length,
                                  int head_size, float scale, const float *probabilities, const float *mask,
                                  float *dq, float *scratch) {
    if (head_size % 8 == 0 && loom_has_avx2())
        attention_head_backward_avx2(dout, dout_stride, q, stride, length, head_size, scale, probabilities, mask, dq,
                                     scratch);
    else
        attention_head_backward_portable(dout, dout_stride, q, stride, length, head_size, scale, probabilities, mask,
                                         dq, scratch);
}
