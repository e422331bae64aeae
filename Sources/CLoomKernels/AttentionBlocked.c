#include "AttentionBlocked.h"
#include "CLoomKernels.h"
#include "VectorMath.h"

#include <stdint.h>

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

// Asks for rows first..<last (at most `length`) of `head_size` floats, `stride` apart, to be
// brought into the cache ahead of use. A pair's rows sit 3C floats apart, which defeats the
// hardware prefetchers (they stop at page boundaries), and a training step's activations are
// mostly out of cache by the time attention reads them: fetched as the tiles reach them, each
// row would wait on a miss of its own. The blocks ask for the rows of the block after next.
static void prefetch_rows(const float *rows, long stride, int first, int last, int length, int head_size) {
    if (last > length) last = length;
    for (int t = first; t < last; t++) {
        const char *start = (const char *)(rows + t * stride), *end = (const char *)(rows + t * stride + head_size);
        for (const char *line = start; line < end; line += 64) _mm_prefetch(line, _MM_HINT_T0);
        _mm_prefetch(end - 1, _MM_HINT_T0);
    }
}

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

// Row blocks in order: scores of the block's queries against the keys up to its last query,
// their softmax (written out, zero past the diagonal), then the block's outputs.
LOOM_AVX2 void loom_attention_head_forward_blocked(const float *q, long stride, int length, int head_size,
                                                   float scale, float *probabilities, const float *mask, float *out,
                                                   long out_stride, float *scratch) {
    const long width = stride / 3;
    const int padded = padded_length(length);
    float *panels = aligned_panels(scratch), *rows = panels + (long)padded * head_size;
    prefetch_rows(q + width, stride, 0, length, length, head_size);
    prefetch_rows(q, stride, 0, 2 * TILE_ROWS, length, head_size);
    prefetch_rows(q + 2 * width, stride, 0, 2 * TILE_ROWS, length, head_size);
    pack_panels(q + width, stride, length, head_size, panels);
    for (int t0 = 0; t0 < length; t0 += TILE_ROWS) {
        const int count = length - t0 < TILE_ROWS ? length - t0 : TILE_ROWS, keys = t0 + count;
        prefetch_rows(q, stride, t0 + 2 * TILE_ROWS, t0 + 3 * TILE_ROWS, length, head_size);
        prefetch_rows(q + 2 * width, stride, t0 + 2 * TILE_ROWS, t0 + 3 * TILE_ROWS, length, head_size);
        prefetch_rows(out, out_stride, t0 + TILE_ROWS, t0 + 2 * TILE_ROWS, length, head_size);
        scores_block(q + t0 * stride, stride, panels, head_size, keys, rows, padded, count);
        float inverse[TILE_ROWS];
        loom_attention_softmax_block(rows, count, t0, padded, scale, probabilities + (long)t0 * length, length,
                                     mask ? mask + (long)t0 * length : NULL, inverse);
        mixing_block(rows, padded, 1, keys, q + 2 * width, stride, head_size, out + t0 * out_stride, out_stride, 0,
                     inverse, count);
    }
    _mm_sfence();  // the streamed probabilities are in memory before another thread reads them
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
    prefetch_rows(q + 2 * width, stride, 0, length, length, head_size);
    prefetch_rows(dout, dout_stride, 0, 2 * TILE_ROWS, length, head_size);
    prefetch_rows(q + width, stride, 0, 2 * TILE_ROWS, length, head_size);
    pack_panels(q + 2 * width, stride, length, head_size, panels);
    for (int t0 = 0; t0 < length; t0 += TILE_ROWS) {
        const int count = length - t0 < TILE_ROWS ? length - t0 : TILE_ROWS, keys = t0 + count;
        prefetch_rows(dout, dout_stride, t0 + 2 * TILE_ROWS, t0 + 3 * TILE_ROWS, length, head_size);
        prefetch_rows(q + width, stride, t0 + 2 * TILE_ROWS, t0 + 3 * TILE_ROWS, length, head_size);
        prefetch_rows(dq, stride, t0 + TILE_ROWS, t0 + 2 * TILE_ROWS, length, head_size);
        prefetch_rows(q, stride, t0, t0 + TILE_ROWS, length, head_size);  // for dk, after this sweep
        float *block = ds + (long)t0 * padded;
        scores_block(dout + t0 * dout_stride, dout_stride, panels, head_size, keys, block, padded, count);
        loom_attention_score_gradient_block(block, count, t0, padded, scale, probabilities + (long)t0 * length,
                                            length, mask ? mask + (long)t0 * length : NULL, weights + (long)t0 * padded);
        mixing_block(block, padded, 1, keys, q + width, stride, head_size, dq + t0 * stride, stride, accumulate,
                     NULL, count);
    }
    const float *w = mask ? weights : probabilities;
    const long w_stride = mask ? padded : length;
    for (int j0 = 0; j0 < length; j0 += TILE_ROWS) {
        const int count = length - j0 < TILE_ROWS ? length - j0 : TILE_ROWS, queries = length - j0;
        prefetch_rows(dq + width, stride, j0 + TILE_ROWS, j0 + 2 * TILE_ROWS, length, head_size);
        prefetch_rows(dq + 2 * width, stride, j0 + TILE_ROWS, j0 + 2 * TILE_ROWS, length, head_size);
        mixing_block(ds + (long)j0 * padded + j0, 1, padded, queries, q + j0 * stride, stride, head_size,
                     dq + width + j0 * stride, stride, accumulate, NULL, count);
        mixing_block(w + j0 * w_stride + j0, 1, w_stride, queries, dout + j0 * dout_stride, dout_stride, head_size,
                     dq + 2 * width + j0 * stride, stride, accumulate, NULL, count);
    }
}
