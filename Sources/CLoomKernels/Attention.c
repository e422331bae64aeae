#include "CLoomKernels.h"
#include "VectorMath.h"

#include <string.h>

// One query row of causal attention and its backward pass (see CLoomKernels.h). The AVX2
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

static void attend_row_backward_portable(const float *output_gradient, const float *query, const float *keys,
                                         const float *values, long stride, int count, int head_size, float scale,
                                         const float *probabilities, const float *mask, float *query_gradient,
                                         float *key_gradients, float *value_gradients, float *scratch) {
    float weighted_total = 0.0f;
    for (int j = 0; j < count; j++) {
        float keep = mask ? mask[j] : 1.0f;
        const float *v = values + j * stride;
        float dp = 0.0f;
        for (int d = 0; d < head_size; d++) dp += output_gradient[d] * v[d];
        dp *= keep;
        scratch[j] = dp;
        weighted_total += probabilities[j] * dp;
        float w = probabilities[j] * keep;
        float *dv = value_gradients + j * stride;
        for (int d = 0; d < head_size; d++) dv[d] += w * output_gradient[d];
    }
    for (int j = 0; j < count; j++) {
        float d_score = scale * probabilities[j] * (scratch[j] - weighted_total);
        if (d_score == 0.0f) continue;
        const float *k = keys + j * stride;
        float *dk = key_gradients + j * stride;
        for (int d = 0; d < head_size; d++) {
            query_gradient[d] += d_score * k[d];
            dk[d] += d_score * query[d];
        }
    }
}

LOOM_AVX2 static void attend_row_backward_avx2(const float *output_gradient, const float *query, const float *keys,
                                               const float *values, long stride, int count, int head_size,
                                               float scale, const float *probabilities, const float *mask,
                                               float *query_gradient, float *key_gradients, float *value_gradients,
                                               float *scratch) {
    float weighted_total = 0.0f;
    for (int j = 0; j < count; j++) {
        float keep = mask ? mask[j] : 1.0f;
        const float *v = values + j * stride;
        float *dv = value_gradients + j * stride;
        __m256 w = _mm256_set1_ps(probabilities[j] * keep), acc = _mm256_setzero_ps();
        for (int d = 0; d < head_size; d += 8) {
            __m256 g = _mm256_loadu_ps(output_gradient + d);
            acc = _mm256_fmadd_ps(g, _mm256_loadu_ps(v + d), acc);
            _mm256_storeu_ps(dv + d, _mm256_fmadd_ps(w, g, _mm256_loadu_ps(dv + d)));
        }
        float dp = loom_sum8(acc) * keep;
        scratch[j] = dp;
        weighted_total += probabilities[j] * dp;
    }
    for (int d = 0; d < head_size; d += 8) {
        __m256 q = _mm256_loadu_ps(query + d), dq = _mm256_loadu_ps(query_gradient + d);
        for (int j = 0; j < count; j++) {
            float d_score = scale * probabilities[j] * (scratch[j] - weighted_total);
            if (d_score == 0.0f) continue;
            __m256 s = _mm256_set1_ps(d_score);
            dq = _mm256_fmadd_ps(s, _mm256_loadu_ps(keys + j * stride + d), dq);
            float *dk = key_gradients + j * stride + d;
            _mm256_storeu_ps(dk, _mm256_fmadd_ps(s, q, _mm256_loadu_ps(dk)));
        }
        _mm256_storeu_ps(query_gradient + d, dq);
    }
}

void loom_attend_row_backward(const float *output_gradient, const float *query, const float *keys,
                              const float *values, long stride, int count, int head_size, float scale,
                              const float *probabilities, const float *mask, float *query_gradient,
                              float *key_gradients, float *value_gradients, float *scratch) {
    if (head_size % 8 == 0 && loom_has_avx2())
        attend_row_backward_avx2(output_gradient, query, keys, values, stride, count, head_size, scale,
                                 probabilities, mask, query_gradient, key_gradients, value_gradients, scratch);
    else
        attend_row_backward_portable(output_gradient, query, keys, values, stride, count, head_size, scale,
                                     probabilities, mask, query_gradient, key_gradients, value_gradients, scratch);
}
