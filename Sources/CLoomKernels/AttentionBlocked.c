#include "AttentionBlocked.h"
#include "CLoomKernels.h"
#include "VectorMath.h"

#include <stdint.h>
#include <string.h>

// Causal attention for one (batch, head) pair as small register-blocked products (AVX2 + FMA,
// head_size a multiple of 8; see CLoomKernels.h for the portable bodies).
//
// Every product is a tile of up to six rows by sixteen (or eight) columns held in twelve
// accumulators, over the lower triangle only:
//   scores    S  = Q Kᵀ    and  dP = dO Vᵀ: rows of Q (dO) broadcast, Kᵀ (Vᵀ) packed in panels
//   mixing    O  = P V,    dQ = dS K:       rows of P (dS) broadcast, V (K) rows read in place
//   transposed dK = dSᵀ Q, dV = Pᵀ dO:     columns of dS (P) broadcast, Q (dO) rows in place
// A score row lives in scratch with `padded` floats (the length rounded up to a panel) and
// zeros past its diagonal, so a tile may run over the triangle's edge and add nothing.

enum { TILE_ROWS = 6, PANEL = 16 };

#define LOOM_TILE __attribute__((always_inline)) inline

static inline int padded_length(int length) { return (length + PANEL - 1) & ~(PANEL - 1); }

// The scratch floats each call needs, plus a cache line of slack for aligning the panels.
long loom_attention_head_forward_scratch_count(int length, int head_size) {
    const long padded = padded_length(length);
    return padded * head_size + TILE_ROWS * padded + PANEL;
}

long loom_attention_head_backward_scratch_count(int length, int head_size) {
    const long padded = padded_length(length);
    const long blocked = padded * head_size + 2 * (long)length * padded + PANEL;
    const long portable = (long)length * length;
    return blocked > portable ? blocked : portable;
}

static float *aligned_panels(float *scratch) { return (float *)(((uintptr_t)scratch + 63) & ~(uintptr_t)63); }

// 8x8 transpose of r[0..7] in place.
LOOM_AVX2 static LOOM_TILE void transpose8(__m256 r[8]) {
    __m256 a0 = _mm256_unpacklo_ps(r[0], r[1]), a1 = _mm256_unpackhi_ps(r[0], r[1]);
    __m256 a2 = _mm256_unpacklo_ps(r[2], r[3]), a3 = _mm256_unpackhi_ps(r[2], r[3]);
    __m256 a4 = _mm256_unpacklo_ps(r[4], r[5]), a5 = _mm256_unpackhi_ps(r[4], r[5]);
    __m256 a6 = _mm256_unpacklo_ps(r[6], r[7]), a7 = _mm256_unpackhi_ps(r[6], r[7]);
    __m256 b0 = _mm256_shuffle_ps(a0, a2, 0x44), b1 = _mm256_shuffle_ps(a0, a2, 0xEE);
    __m256 b2 = _mm256_shuffle_ps(a1, a3, 0x44), b3 = _mm256_shuffle_ps(a1, a3, 0xEE);
    __m256 b4 = _mm256_shuffle_ps(a4, a6, 0x44), b5 = _mm256_shuffle_ps(a4, a6, 0xEE);
    __m256 b6 = _mm256_shuffle_ps(a5, a7, 0x44), b7 = _mm256_shuffle_ps(a5, a7, 0xEE);
    r[0] = _mm256_permute2f128_ps(b0, b4, 0x20), r[1] = _mm256_permute2f128_ps(b1, b5, 0x20);
    r[2] = _mm256_permute2f128_ps(b2, b6, 0x20), r[3] = _mm256_permute2f128_ps(b3, b7, 0x20);
    r[4] = _mm256_permute2f128_ps(b0, b4, 0x31), r[5] = _mm256_permute2f128_ps(b1, b5, 0x31);
    r[6] = _mm256_permute2f128_ps(b2, b6, 0x31), r[7] = _mm256_permute2f128_ps(b3, b7, 0x31);
}

// panels[p][d][l] = rows[16p + l][d]: each panel is sixteen keys side by side for every d,
// one cache line per d. Keys past `count` (up to the padded length) are zero.
LOOM_AVX2 static void pack_panels(const float *rows, long stride, int count, int head_size, float *panels) {
    int j = 0;
    for (; j + 8 <= count; j += 8) {
        float *panel = panels + (long)(j & ~(PANEL - 1)) * head_size + (j & (PANEL - 1));
        for (int d = 0; d < head_size; d += 8) {
            __m256 r[8];
#pragma clang loop unroll(full)
            for (int i = 0; i < 8; i++) r[i] = _mm256_loadu_ps(rows + (j + i) * stride + d);
            transpose8(r);
#pragma clang loop unroll(full)
            for (int i = 0; i < 8; i++) _mm256_store_ps(panel + (d + i) * PANEL, r[i]);
        }
    }
    for (; j < padded_length(count); j++) {
        float *panel = panels + (long)(j & ~(PANEL - 1)) * head_size + (j & (PANEL - 1));
        for (int d = 0; d < head_size; d++) panel[d * PANEL] = j < count ? rows[j * stride + d] : 0.0f;
    }
}

// out[r][0..<8 vectors] = sum_d a[r][d] panel[d][0..<8 vectors] for `rows` rows of a (lda apart).
LOOM_AVX2 static LOOM_TILE void scores_tile(const float *a, long lda, const float *panel, int depth, float *out,
                                            long ldo, const int rows, const int vectors) {
    __m256 acc[TILE_ROWS][2];
#pragma clang loop unroll(full)
    for (int r = 0; r < rows; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
    for (int d = 0; d < depth; d++) {
        const __m256 b0 = _mm256_load_ps(panel + d * PANEL);
        const __m256 b1 = vectors == 2 ? _mm256_load_ps(panel + d * PANEL + 8) : b0;
#pragma clang loop unroll(full)
        for (int r = 0; r < rows; r++) {
            const __m256 x = _mm256_broadcast_ss(a + r * lda + d);
            acc[r][0] = _mm256_fmadd_ps(x, b0, acc[r][0]);
            if (vectors == 2) acc[r][1] = _mm256_fmadd_ps(x, b1, acc[r][1]);
        }
    }
#pragma clang loop unroll(full)
    for (int r = 0; r < rows; r++) {
        _mm256_storeu_ps(out + r * ldo, acc[r][0]);
        if (vectors == 2) _mm256_storeu_ps(out + r * ldo + 8, acc[r][1]);
    }
}

// Scores of `rows` query rows against keys 0..<keys, written into rows of `out` (ldo apart)
// whole panels at a time, or half a panel where eight keys cover the rest.
LOOM_AVX2 static void scores_block(const float *a, long lda, const float *panels, int depth, int keys, float *out,
                                   long ldo, int rows) {
    for (int j0 = 0; j0 < keys; j0 += PANEL) {
        const float *panel = panels + (long)j0 * depth;
        float *o = out + j0;
        if (keys - j0 > 8) {
            switch (rows) {
            case 6: scores_tile(a, lda, panel, depth, o, ldo, 6, 2); break;
            case 5: scores_tile(a, lda, panel, depth, o, ldo, 5, 2); break;
            case 4: scores_tile(a, lda, panel, depth, o, ldo, 4, 2); break;
            case 3: scores_tile(a, lda, panel, depth, o, ldo, 3, 2); break;
            case 2: scores_tile(a, lda, panel, depth, o, ldo, 2, 2); break;
            default: scores_tile(a, lda, panel, depth, o, ldo, 1, 2); break;
            }
        } else {
            switch (rows) {
            case 6: scores_tile(a, lda, panel, depth, o, ldo, 6, 1); break;
            case 5: scores_tile(a, lda, panel, depth, o, ldo, 5, 1); break;
            case 4: scores_tile(a, lda, panel, depth, o, ldo, 4, 1); break;
            case 3: scores_tile(a, lda, panel, depth, o, ldo, 3, 1); break;
            case 2: scores_tile(a, lda, panel, depth, o, ldo, 2, 1); break;
            default: scores_tile(a, lda, panel, depth, o, ldo, 1, 1); break;
            }
        }
    }
}

// out[r][0..<8 vectors] (+)= row_scale[r] sum_i a[r * a_row + i * a_col] b[i][0..<8 vectors],
// i < count, b rows ldb apart, no scale when row_scale is NULL. a_row = 1 and a_col = a row's
// length reads a transposed.
LOOM_AVX2 static LOOM_TILE void mixing_tile(const float *a, long a_row, long a_col, int count, const float *b,
                                            long ldb, float *out, long ldo, int accumulate,
                                            const float *row_scale, const int rows, const int vectors) {
    __m256 acc[TILE_ROWS][2];
#pragma clang loop unroll(full)
    for (int r = 0; r < rows; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
    for (int i = 0; i < count; i++) {
        const float *x = a + i * a_col, *y = b + i * ldb;
        const __m256 b0 = _mm256_loadu_ps(y), b1 = vectors == 2 ? _mm256_loadu_ps(y + 8) : b0;
#pragma clang loop unroll(full)
        for (int r = 0; r < rows; r++) {
            const __m256 w = _mm256_broadcast_ss(x + r * a_row);
            acc[r][0] = _mm256_fmadd_ps(w, b0, acc[r][0]);
            if (vectors == 2) acc[r][1] = _mm256_fmadd_ps(w, b1, acc[r][1]);
        }
    }
#pragma clang loop unroll(full)
    for (int r = 0; r < rows; r++) {
#pragma clang loop unroll(full)
        for (int c = 0; c < vectors; c++) {
            float *o = out + r * ldo + 8 * c;
            if (row_scale) acc[r][c] = _mm256_mul_ps(acc[r][c], _mm256_broadcast_ss(row_scale + r));
            _mm256_storeu_ps(o, accumulate ? _mm256_add_ps(acc[r][c], _mm256_loadu_ps(o)) : acc[r][c]);
        }
    }
}

// A block of `rows` output rows over all head_size columns, sixteen at a time.
LOOM_AVX2 static void mixing_block(const float *a, long a_row, long a_col, int count, const float *b, long ldb,
                                   int head_size, float *out, long ldo, int accumulate, const float *row_scale,
                                   int rows) {
    for (int c = 0; c < head_size; c += 16) {
        const float *y = b + c;
        float *o = out + c;
        if (head_size - c >= 16) {
            switch (rows) {
            case 6: mixing_tile(a, a_row, a_col, count, y, ldb, o, ldo, accumulate, row_scale, 6, 2); break;
            case 5: mixing_tile(a, a_row, a_col, count, y, ldb, o, ldo, accumulate, row_scale, 5, 2); break;
            case 4: mixing_tile(a, a_row, a_col, count, y, ldb, o, ldo, accumulate, row_scale, 4, 2); break;
            case 3: mixing_tile(a, a_row, a_col, count, y, ldb, o, ldo, accumulate, row_scale, 3, 2); break;
            case 2: mixing_tile(a, a_row, a_col, count, y, ldb, o, ldo, accumulate, row_scale, 2, 2); break;
            default: mixing_tile(a, a_row, a_col, count, y, ldb, o, ldo, accumulate, row_scale, 1, 2); break;
            }
        } else {
            switch (rows) {
            case 6: mixing_tile(a, a_row, a_col, count, y, ldb, o, ldo, accumulate, row_scale, 6, 1); break;
            case 5: mixing_tile(a, a_row, a_col, count, y, ldb, o, ldo, accumulate, row_scale, 5, 1); break;
            case 4: mixing_tile(a, a_row, a_col, count, y, ldb, o, ldo, accumulate, row_scale, 4, 1); break;
            case 3: mixing_tile(a, a_row, a_col, count, y, ldb, o, ldo, accumulate, row_scale, 3, 1); break;
            case 2: mixing_tile(a, a_row, a_col, count, y, ldb, o, ldo, accumulate, row_scale, 2, 1); break;
            default: mixing_tile(a, a_row, a_col, count, y, ldb, o, ldo, accumulate, row_scale, 1, 1); break;
            }
        }
    }
}

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
LOOM_AVX2 static void softmax_block(float *rows, int count, int t0, int padded, float scale, float *probabilities,
                                    int length, const float *mask, float *inverse) {
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

// Row blocks in order: scores of the block's queries against the keys up to its last query,
// their softmax (written out, zero past the diagonal), then the block's outputs.
LOOM_AVX2 void loom_attention_head_forward_blocked(const float *q, long stride, int length, int head_size,
                                                   float scale, float *probabilities, const float *mask, float *out,
                                                   long out_stride, float *scratch) {
    const long width = stride / 3;
    const int padded = padded_length(length);
    float *panels = aligned_panels(scratch), *rows = panels + (long)padded * head_size;
    pack_panels(q + width, stride, length, head_size, panels);
    for (int t0 = 0; t0 < length; t0 += TILE_ROWS) {
        const int count = length - t0 < TILE_ROWS ? length - t0 : TILE_ROWS, keys = t0 + count;
        scores_block(q + t0 * stride, stride, panels, head_size, keys, rows, padded, count);
        float inverse[TILE_ROWS];
        softmax_block(rows, count, t0, padded, scale, probabilities + (long)t0 * length, length,
                      mask ? mask + (long)t0 * length : NULL, inverse);
        mixing_block(rows, padded, 1, keys, q + 2 * width, stride, head_size, out + t0 * out_stride, out_stride, 0,
                     inverse, count);
    }
}

// A block's dP rows (row r has t0 + r + 1 entries) to dS in place, keys outer and rows inner
// as in softmax_block: dP times the mask, then dS = scale p (dP - sum_j p dP), zero past the
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

LOOM_AVX2 static void score_gradient_block(float *rows, int count, int t0, int padded, float scale,
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

// Row blocks of queries give dP, dS and dq; then row blocks of keys give dk and dv from the
// columns of dS and of the (masked) probabilities.
LOOM_AVX2 void loom_attention_head_backward_blocked(const float *dout, long dout_stride, const float *q, long stride,
                                                    int length, int head_size, float scale,
                                                    const float *probabilities, const float *mask, float *dq,
                                                    float *scratch, int accumulate) {
    const long width = stride / 3;
    const int padded = padded_length(length);
    float *panels = aligned_panels(scratch), *ds = panels + (long)padded * head_size;
    float *weights = ds + (long)length * padded;
    pack_panels(q + 2 * width, stride, length, head_size, panels);
    for (int t0 = 0; t0 < length; t0 += TILE_ROWS) {
        const int count = length - t0 < TILE_ROWS ? length - t0 : TILE_ROWS, keys = t0 + count;
        float *block = ds + (long)t0 * padded;
        scores_block(dout + t0 * dout_stride, dout_stride, panels, head_size, keys, block, padded, count);
        score_gradient_block(block, count, t0, padded, scale, probabilities + (long)t0 * length, length,
                             mask ? mask + (long)t0 * length : NULL, weights + (long)t0 * padded);
        mixing_block(block, padded, 1, keys, q + width, stride, head_size, dq + t0 * stride, stride, accumulate,
                     NULL, count);
    }
    const float *w = mask ? weights : probabilities;
    const long w_stride = mask ? padded : length;
    for (int j0 = 0; j0 < length; j0 += TILE_ROWS) {
        const int count = length - j0 < TILE_ROWS ? length - j0 : TILE_ROWS, queries = length - j0;
        mixing_block(ds + (long)j0 * padded + j0, 1, padded, queries, q + j0 * stride, stride, head_size,
                     dq + width + j0 * stride, stride, accumulate, NULL, count);
        mixing_block(w + j0 * w_stride + j0, 1, w_stride, queries, dout + j0 * dout_stride, dout_stride, head_size,
                     dq + 2 * width + j0 * stride, stride, accumulate, NULL, count);
    }
}
