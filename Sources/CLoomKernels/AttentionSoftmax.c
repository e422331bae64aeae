#include "AttentionBlocked.h"
#include "VectorMath.h"

#include <stdint.h>

// The row-wise steps between attention's blocked products (AttentionBlocked.c): the softmax of
// a block of score rows, and the gradient of a block of score rows through it.

#define LOOM_TILE __attribute__((always_inline)) inline

// Lanes j + i < limit of the vector starting at j.
LOOM_AVX2 static inline __m256i lanes_below(int limit, int j) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(limit - j), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// 2^x for the softmax, whose inputs are at most 0 (give or take a rounding): x = n + f with
// |f| <= 1/2, 2^f from a degree-6 polynomial fitted for relative error (about 1e-7 in float),
// 2^n written into the exponent bits. Inputs below -126 give 2^-126. Half the operations of
// loom_exp8, which needs a range reduction by ln 2 and clamps at both ends.
LOOM_AVX2 static inline __m256 exp2_nonpositive(__m256 x) {
    x = _mm256_max_ps(x, _mm256_set1_ps(-126.0f));
    const __m256 n = _mm256_round_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    const __m256 f = _mm256_sub_ps(x, n);
    __m256 p = _mm256_set1_ps(0.000153458474f);
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(0.0013399946f));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(0.00961848907f));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(0.0555032864f));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(0.240226462f));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(0.693147182f));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(1.0f));
    const __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
}

// The softmax of scale times each score row of a block (row r has t0 + r + 1 scores). Every
// phase runs over the block's keys in its outer loop and the rows in its inner loop, so that
// all rows take the same number of steps (a row-by-row loop would mispredict its exit on
// every row, and each row's chain of exps would wait for the one before it). Writes the
// probabilities (length floats a row, zero past the diagonal), and leaves in each row its
// exps (times the mask), zero past the diagonal for the block's keys, to be mixed and then
// scaled by `inverse`, the reciprocal of the row's sum.
LOOM_AVX2 void loom_attention_softmax_block(float *rows, int count, int t0, int padded, float scale,
                                            float *probabilities, int length, const float *mask, float *inverse) {
    // Keys below `whole` are on or below every row's diagonal; the rest need lane masks.
    const int whole = (t0 + 1) & ~7, covered = (t0 + count + 7) & ~7;
    __m256 top[TILE_ROWS], sums[TILE_ROWS];
    for (int r = 0; r < count; r++) top[r] = _mm256_set1_ps(-INFINITY), sums[r] = _mm256_setzero_ps();
    for (int j = 0; j < whole; j += 8)
        for (int r = 0; r < count; r++) top[r] = _mm256_max_ps(top[r], _mm256_loadu_ps(rows + r * padded + j));
    for (int j = whole; j < covered; j += 8)
        for (int r = 0; r < count; r++) {
            const __m256 valid = _mm256_castsi256_ps(lanes_below(t0 + r + 1, j));
            top[r] = _mm256_max_ps(top[r], _mm256_blendv_ps(top[r], _mm256_loadu_ps(rows + r * padded + j), valid));
        }
    const float log2_scale = scale * 1.44269502f;  // e^(scale s) = 2^(scale log2(e) s)
    const __m256 scale8 = _mm256_set1_ps(log2_scale);
    for (int r = 0; r < count; r++) top[r] = _mm256_set1_ps(log2_scale * loom_max8(top[r]));
    for (int j = 0; j < whole; j += 8)
        for (int r = 0; r < count; r++) {
            float *x = rows + r * padded + j;
            const __m256 e = exp2_nonpositive(_mm256_fmsub_ps(_mm256_loadu_ps(x), scale8, top[r]));
            _mm256_storeu_ps(x, e);
            sums[r] = _mm256_add_ps(sums[r], e);
        }
    for (int j = whole; j < covered; j += 8)
        for (int r = 0; r < count; r++) {
            float *x = rows + r * padded + j;
            const __m256 e = exp2_nonpositive(_mm256_fmsub_ps(_mm256_loadu_ps(x), scale8, top[r]));
            const __m256 kept = _mm256_and_ps(e, _mm256_castsi256_ps(lanes_below(t0 + r + 1, j)));
            _mm256_storeu_ps(x, kept);
            sums[r] = _mm256_add_ps(sums[r], kept);
        }
    for (int r = 0; r < count; r++) {
        inverse[r] = 1.0f / loom_sum8(sums[r]);
        sums[r] = _mm256_set1_ps(inverse[r]);
    }
    // Rows of `length` floats: whole vectors up to `stored`, then the last few lanes masked.
    const int stored = length & ~7, written = covered < stored ? covered : stored;
    const __m256i last = lanes_below(length, stored);
    for (int r = 0; r < count; r++) {
        const float *x = rows + r * padded;
        float *p = probabilities + (long)r * length;
        int j = 0;
        // Backward reads the probabilities long after, out of memory: streaming them there
        // spares reading each line in first.
        if (((uintptr_t)p & 31) == 0) {
            for (; j < written; j += 8) _mm256_stream_ps(p + j, _mm256_mul_ps(_mm256_loadu_ps(x + j), sums[r]));
            for (; j < stored; j += 8) _mm256_stream_ps(p + j, _mm256_setzero_ps());
        }
        for (; j < written; j += 8) _mm256_storeu_ps(p + j, _mm256_mul_ps(_mm256_loadu_ps(x + j), sums[r]));
        for (; j < stored; j += 8) _mm256_storeu_ps(p + j, _mm256_setzero_ps());
        if (stored < length)
            _mm256_maskstore_ps(p + stored, last, stored < covered ? _mm256_mul_ps(_mm256_loadu_ps(x + stored), sums[r])
                                                                   : _mm256_setzero_ps());
    }
    if (mask)
        for (int j = 0; j < covered; j += 8) {
            const __m256i inside = lanes_below(length, j);
            for (int r = 0; r < count; r++) {
                float *x = rows + r * padded + j;
                _mm256_storeu_ps(x, _mm256_mul_ps(_mm256_loadu_ps(x), _mm256_maskload_ps(mask + (long)r * length + j, inside)));
            }
        }
}

// A block's dP rows (row r has t0 + r + 1 entries) to dS in place, keys outer and rows inner
// as in loom_attention_softmax_block: dP times the mask, then dS = scale p (dP - sum_j p dP), zero past the
// diagonal as far as the tiles of this and later blocks reach. With a mask, the rows of
// `weights` receive p times the mask likewise.
LOOM_AVX2 static LOOM_TILE void score_gradient_step(float *x, const float *p, const float *m, float *w,
                                                    __m256i valid, __m256 *sum) {
    const __m256 pj = _mm256_maskload_ps(p, valid);
    __m256 dp = _mm256_and_ps(_mm256_loadu_ps(x), _mm256_castsi256_ps(valid));
    if (m) {
        const __m256 mj = _mm256_maskload_ps(m, valid);
        dp = _mm256_mul_ps(dp, mj);
        _mm256_storeu_ps(w, _mm256_mul_ps(pj, mj));
    }
    _mm256_storeu_ps(x, dp);
    *sum = _mm256_fmadd_ps(pj, dp, *sum);
}

LOOM_AVX2 void loom_attention_score_gradient_block(float *rows, int count, int t0, int padded, float scale,
                                                   const float *probabilities, int length, const float *mask,
                                                   float *weights) {
    // Keys below `whole` are on or below every row's diagonal; the rest need lane masks.
    const int whole = (t0 + 1) & ~7, covered = (t0 + count + 7) & ~7;
    const __m256i all = _mm256_set1_epi32(-1);
    __m256 sums[TILE_ROWS];
    for (int r = 0; r < count; r++) sums[r] = _mm256_setzero_ps();
    for (int j = 0; j < whole; j += 8)
        for (int r = 0; r < count; r++)
            score_gradient_step(rows + r * padded + j, probabilities + (long)r * length + j,
                                mask ? mask + (long)r * length + j : NULL, weights + r * padded + j, all, &sums[r]);
    for (int j = whole; j < covered; j += 8)
        for (int r = 0; r < count; r++)
            score_gradient_step(rows + r * padded + j, probabilities + (long)r * length + j,
                                mask ? mask + (long)r * length + j : NULL, weights + r * padded + j,
                                lanes_below(t0 + r + 1, j), &sums[r]);
    const __m256 scale8 = _mm256_set1_ps(scale);
    for (int r = 0; r < count; r++) sums[r] = _mm256_set1_ps(loom_sum8(sums[r]));
    // p is zero past the diagonal and so is dP, so those lanes come out zero.
    for (int j = 0; j < covered; j += 8)
        for (int r = 0; r < count; r++) {
            float *x = rows + r * padded + j;
            const __m256 p = _mm256_maskload_ps(probabilities + (long)r * length + j, lanes_below(length, j));
            _mm256_storeu_ps(x, _mm256_mul_ps(_mm256_mul_ps(p, scale8), _mm256_sub_ps(_mm256_loadu_ps(x), sums[r])));
        }
    if (covered < padded)
        for (int r = 0; r < count; r++) {
            _mm256_storeu_ps(rows + r * padded + covered, _mm256_setzero_ps());
            if (mask) _mm256_storeu_ps(weights + r * padded + covered, _mm256_setzero_ps());
        }
}
