#include "ConvolutionKernels.h"
#include "CLoomKernels.h"
#include "VectorMath.h"

// The products of a convolution's backward pass on column panels (see loom_panels_from_phases):
// the weight gradient reads the columns in their panel layout as A, so they are written once
// and never packed a second time.
#define PANEL 16

void loom_pack_rows_transposed(const float *source, int rows, int length, long source_stride, float *packed,
                               long panel_stride) {
    // Walking i in the outer loop reads 16 sequential streams and writes each panel row once.
    int panels = (rows + PANEL - 1) / PANEL;
    for (int p = 0; p < panels; p++) {
        float *panel = packed + (long)p * panel_stride;
        int first = p * PANEL, width = rows - first < PANEL ? rows - first : PANEL;
        const float *block = source + (long)first * source_stride;
        for (int i = 0; i < length; i++) {
            float *row = panel + (long)i * PANEL;
            int j = 0;
            for (; j < width; j++) row[j] = block[(long)j * source_stride + i];
            for (; j < PANEL; j++) row[j] = 0.0f;
        }
    }
}

static void store_adding(const float *tile, float *c, int width) {
    for (int j = 0; j < width; j++) c[j] += tile[j];
}

// ROWS rows of A (ROWS a constant at each call site) times one 16-column panel of B over
// the whole depth, added into C.
LOOM_AVX2 static inline __attribute__((always_inline)) void tile_avx2(
    const int rows, int depth, const float *a, long a_panel_stride, const float *panel, float *c, long ldc, int width) {
    __m256 acc[6][2];
#pragma clang loop unroll(full)
    for (int r = 0; r < rows; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
    for (int first = 0; first < depth; first += PANEL) {
        const float *block = a + (long)(first / PANEL) * a_panel_stride;
        const float *b = panel + (long)first * PANEL;
        const int length = depth - first < PANEL ? depth - first : PANEL;
        for (int j = 0; j < length; j++) {
            __m256 b0 = _mm256_loadu_ps(b + j * PANEL), b1 = _mm256_loadu_ps(b + j * PANEL + 8);
#pragma clang loop unroll(full)
            for (int r = 0; r < rows; r++) {
                __m256 x = _mm256_broadcast_ss(block + r * PANEL + j);
                acc[r][0] = _mm256_fmadd_ps(x, b0, acc[r][0]);
                acc[r][1] = _mm256_fmadd_ps(x, b1, acc[r][1]);
            }
        }
    }
#pragma clang loop unroll(full)
    for (int r = 0; r < rows; r++) {
        float *row = c + r * ldc;
        if (width == PANEL) {
            _mm256_storeu_ps(row, _mm256_add_ps(acc[r][0], _mm256_loadu_ps(row)));
            _mm256_storeu_ps(row + 8, _mm256_add_ps(acc[r][1], _mm256_loadu_ps(row + 8)));
        } else {
            float tile[PANEL];
            _mm256_storeu_ps(tile, acc[r][0]);
            _mm256_storeu_ps(tile + 8, acc[r][1]);
            store_adding(tile, row, width);
        }
    }
}

LOOM_AVX2 static void gemm_avx2(int m, int n, int depth, const float *a, long a_panel_stride, const float *b,
                                long b_panel_stride, float *c, long ldc) {
    int panels = (n + PANEL - 1) / PANEL;
    for (int p = 0; p < panels; p++) {
        const float *panel = b + (long)p * b_panel_stride;
        int first = p * PANEL, width = n - first < PANEL ? n - first : PANEL;
        int r = 0;
        for (; r + 6 <= m; r += 6)
            tile_avx2(6, depth, a + r * PANEL, a_panel_stride, panel, c + r * ldc + first, ldc, width);
        const float *ar = a + r * PANEL;
        float *cr = c + r * ldc + first;
        switch (m - r) {
        case 5: tile_avx2(5, depth, ar, a_panel_stride, panel, cr, ldc, width); break;
        case 4: tile_avx2(4, depth, ar, a_panel_stride, panel, cr, ldc, width); break;
        case 3: tile_avx2(3, depth, ar, a_panel_stride, panel, cr, ldc, width); break;
        case 2: tile_avx2(2, depth, ar, a_panel_stride, panel, cr, ldc, width); break;
        case 1: tile_avx2(1, depth, ar, a_panel_stride, panel, cr, ldc, width); break;
        default: break;
        }
    }
}

static void gemm_portable(int m, int n, int depth, const float *a, long a_panel_stride, const float *b,
                          long b_panel_stride, float *c, long ldc) {
    for (int r = 0; r < m; r++) {
        for (int j = 0; j < n; j++) {
            const float *column = b + (long)(j / PANEL) * b_panel_stride + j % PANEL;
            float total = 0.0f;
            for (int d = 0; d < depth; d++)
                total += a[(long)(d / PANEL) * a_panel_stride + r * PANEL + d % PANEL] * column[(long)d * PANEL];
            c[r * ldc + j] += total;
        }
    }
}

void loom_gemm_a_panels(int m, int n, int depth, const float *a, long a_panel_stride, const float *b,
                        long b_panel_stride, float *c, long ldc) {
    if (loom_has_avx2()) gemm_avx2(m, n, depth, a, a_panel_stride, b, b_panel_stride, c, ldc);
    else gemm_portable(m, n, depth, a, a_panel_stride, b, b_panel_stride, c, ldc);
}

// C = A · B, or C += A · B, for a B whose row kk is a run of floats starting at
// b + offsets[kk]: the rows of a stride-1 convolution's column matrix are its input planes,
// shifted by each tap's offset, so they are read in place instead of copied.
LOOM_AVX2 static inline __attribute__((always_inline)) void gathered_tile_avx2(
    const int rows, int k, const float *a, long lda, const float *b, const long *offsets, float *c, long ldc, int width,
    int accumulate) {
    __m256 acc[6][2];
#pragma clang loop unroll(full)
    for (int r = 0; r < rows; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
    for (int kk = 0; kk < k; kk++) {
        const float *row = b + offsets[kk];
        __m256 b0 = _mm256_loadu_ps(row), b1 = _mm256_loadu_ps(row + 8);
#pragma clang loop unroll(full)
        for (int r = 0; r < rows; r++) {
            __m256 x = _mm256_broadcast_ss(a + r * lda + kk);
            acc[r][0] = _mm256_fmadd_ps(x, b0, acc[r][0]);
            acc[r][1] = _mm256_fmadd_ps(x, b1, acc[r][1]);
        }
    }
#pragma clang loop unroll(full)
    for (int r = 0; r < rows; r++) {
        float *out = c + r * ldc;
        float tile[PANEL];
        _mm256_storeu_ps(tile, acc[r][0]);
        _mm256_storeu_ps(tile + 8, acc[r][1]);
        for (int j = 0; j < width; j++) out[j] = accumulate ? out[j] + tile[j] : tile[j];
    }
}

// Rows of B per pass over a 16-column tile. A tile's B rows are short runs scattered over
// the input planes (64 channels' three kernel rows at 28x28 touch 24 KB), so passes of at
// most this many rows keep them in L1 while every 6-row tile of A goes over them.
#define GATHERED_BLOCK 576

LOOM_AVX2 static void gathered_avx2(int m, int n, int k, const float *a, long lda, const float *b, const long *offsets,
                                    int accumulate, float *c, long ldc) {
    const int passes = (k + GATHERED_BLOCK - 1) / GATHERED_BLOCK, block = (k + passes - 1) / passes;
    for (int first = 0; first < n; first += PANEL) {
        const int width = n - first < PANEL ? n - first : PANEL;
        const float *bp = b + first;
        float *cp = c + first;
        for (int k0 = 0; k0 < k; k0 += block) {
            const int depth = k - k0 < block ? k - k0 : block, add = accumulate || k0 > 0;
            const float *ak = a + k0;
            const long *ok = offsets + k0;
            int r = 0;
            for (; r + 6 <= m; r += 6)
                gathered_tile_avx2(6, depth, ak + r * lda, lda, bp, ok, cp + r * ldc, ldc, width, add);
            const float *ar = ak + r * lda;
            float *cr = cp + r * ldc;
            switch (m - r) {
            case 5: gathered_tile_avx2(5, depth, ar, lda, bp, ok, cr, ldc, width, add); break;
            case 4: gathered_tile_avx2(4, depth, ar, lda, bp, ok, cr, ldc, width, add); break;
            case 3: gathered_tile_avx2(3, depth, ar, lda, bp, ok, cr, ldc, width, add); break;
            case 2: gathered_tile_avx2(2, depth, ar, lda, bp, ok, cr, ldc, width, add); break;
            case 1: gathered_tile_avx2(1, depth, ar, lda, bp, ok, cr, ldc, width, add); break;
            default: break;
            }
        }
    }
}

void loom_gemm_gathered(int m, int n, int k, const float *a, long lda, const float *b, const long *offsets,
                        int accumulate, float *c, long ldc) {
    if (loom_has_avx2()) { gathered_avx2(m, n, k, a, lda, b, offsets, accumulate, c, ldc); return; }
    for (int r = 0; r < m; r++) {
        for (int j = 0; j < n; j++) {
            float total = 0.0f;
            for (int kk = 0; kk < k; kk++) total += a[r * lda + kk] * b[offsets[kk] + j];
            c[r * ldc + j] = accumulate ? c[r * ldc + j] + total : total;
        }
    }
}
