#include "CLoomKernels.h"
#include "VectorMath.h"

#include <stdlib.h>

// B is stored as panels of PANEL columns: panel p holds columns p*PANEL ..< p*PANEL+PANEL of
// every row k, PANEL floats per row, zero past the last column. A recurrent step multiplies
// a few rows of state by the same weight matrix at every time step, so packing it once per
// sequence saves the copy a BLAS call makes on each call, and a panel (k * 64 bytes) stays
// in the L1 or L2 cache while all rows of A pass over it.
#define PANEL 16

long loom_packed_b_count(int k, int n) { return (long)k * ((n + PANEL - 1) / PANEL) * PANEL; }

float *loom_pack_scratch(long count) {
    static __thread float *buffer;
    static __thread long capacity;
    if (count > capacity) {
        free(buffer);
        long bytes = (count * (long)sizeof(float) + 63) / 64 * 64;
        buffer = aligned_alloc(64, (size_t)bytes);
        capacity = buffer ? count : 0;
    }
    return buffer;
}

int loom_packed_product_available(void) { return loom_has_avx2(); }

// Packs a B stored transposed (B[kk][j] at b[j * n_stride + kk]) a whole panel at a time:
// eight columns by eight rows are loaded as eight runs of B's columns and transposed in
// registers, so each panel row is written as two vectors instead of sixteen scalars.
LOOM_AVX2 static void pack_transposed_panel_avx2(const float *b, long n_stride, int k, float *panel) {
    int kk = 0;
    for (; kk + 8 <= k; kk += 8) {
        for (int half = 0; half < 2; half++) {
            const float *s = b + (long)(half * 8) * n_stride + kk;
            __m256 r0 = _mm256_loadu_ps(s), r1 = _mm256_loadu_ps(s + n_stride);
            __m256 r2 = _mm256_loadu_ps(s + 2 * n_stride), r3 = _mm256_loadu_ps(s + 3 * n_stride);
            __m256 r4 = _mm256_loadu_ps(s + 4 * n_stride), r5 = _mm256_loadu_ps(s + 5 * n_stride);
            __m256 r6 = _mm256_loadu_ps(s + 6 * n_stride), r7 = _mm256_loadu_ps(s + 7 * n_stride);
            __m256 a0 = _mm256_unpacklo_ps(r0, r1), a1 = _mm256_unpackhi_ps(r0, r1);
            __m256 a2 = _mm256_unpacklo_ps(r2, r3), a3 = _mm256_unpackhi_ps(r2, r3);
            __m256 a4 = _mm256_unpacklo_ps(r4, r5), a5 = _mm256_unpackhi_ps(r4, r5);
            __m256 a6 = _mm256_unpacklo_ps(r6, r7), a7 = _mm256_unpackhi_ps(r6, r7);
            __m256 c0 = _mm256_shuffle_ps(a0, a2, 0x44), c1 = _mm256_shuffle_ps(a0, a2, 0xEE);
            __m256 c2 = _mm256_shuffle_ps(a1, a3, 0x44), c3 = _mm256_shuffle_ps(a1, a3, 0xEE);
            __m256 c4 = _mm256_shuffle_ps(a4, a6, 0x44), c5 = _mm256_shuffle_ps(a4, a6, 0xEE);
            __m256 c6 = _mm256_shuffle_ps(a5, a7, 0x44), c7 = _mm256_shuffle_ps(a5, a7, 0xEE);
            float *d = panel + (long)kk * PANEL + half * 8;
            _mm256_storeu_ps(d, _mm256_permute2f128_ps(c0, c4, 0x20));
            _mm256_storeu_ps(d + PANEL, _mm256_permute2f128_ps(c1, c5, 0x20));
            _mm256_storeu_ps(d + 2 * PANEL, _mm256_permute2f128_ps(c2, c6, 0x20));
            _mm256_storeu_ps(d + 3 * PANEL, _mm256_permute2f128_ps(c3, c7, 0x20));
            _mm256_storeu_ps(d + 4 * PANEL, _mm256_permute2f128_ps(c0, c4, 0x31));
            _mm256_storeu_ps(d + 5 * PANEL, _mm256_permute2f128_ps(c1, c5, 0x31));
            _mm256_storeu_ps(d + 6 * PANEL, _mm256_permute2f128_ps(c2, c6, 0x31));
            _mm256_storeu_ps(d + 7 * PANEL, _mm256_permute2f128_ps(c3, c7, 0x31));
        }
    }
    for (; kk < k; kk++)
        for (int j = 0; j < PANEL; j++) panel[kk * PANEL + j] = b[j * n_stride + kk];
}

void loom_pack_b(const float *b, long k_stride, long n_stride, int k, int n, float *packed) {
    int panels = (n + PANEL - 1) / PANEL;
    int fast_transposed = k_stride == 1 && n_stride != 1 && loom_has_avx2();
    for (int p = 0; p < panels; p++) {
        float *panel = packed + (long)p * k * PANEL;
        int first = p * PANEL, width = n - first < PANEL ? n - first : PANEL;
        if (width == PANEL && fast_transposed) {
            pack_transposed_panel_avx2(b + first * n_stride, n_stride, k, panel);
            continue;
        }
        if (width < PANEL)
            for (long i = 0; i < (long)k * PANEL; i++) panel[i] = 0.0f;
        if (n_stride == 1) {
            for (int kk = 0; kk < k; kk++) {
                const float *src = b + kk * k_stride + first;
                for (int j = 0; j < width; j++) panel[kk * PANEL + j] = src[j];
            }
        } else {  // walk each column's run of k values, contiguous when k_stride is 1
            for (int j = 0; j < width; j++) {
                const float *src = b + (first + j) * n_stride;
                for (int kk = 0; kk < k; kk++) panel[kk * PANEL + j] = src[kk * k_stride];
            }
        }
    }
}

static void store_tile(const float *tile, float *c, int width, int accumulate) {
    for (int j = 0; j < width; j++) c[j] = accumulate ? c[j] + tile[j] : tile[j];
}

// ROWS rows of A times one panel, ROWS a constant at each call site so the accumulators
// live in registers: 2 * ROWS of the 16 ymm registers.
LOOM_AVX2 static inline __attribute__((always_inline)) void tile_avx2(
    const int rows, int k, const float *a, long lda, const float *panel, float *c, long ldc, int width,
    int accumulate) {
    __m256 acc[6][2];
    for (int r = 0; r < rows; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
    for (int kk = 0; kk < k; kk++) {
        __m256 b0 = _mm256_loadu_ps(panel + kk * PANEL), b1 = _mm256_loadu_ps(panel + kk * PANEL + 8);
        for (int r = 0; r < rows; r++) {
            __m256 x = _mm256_broadcast_ss(a + r * lda + kk);
            acc[r][0] = _mm256_fmadd_ps(x, b0, acc[r][0]);
            acc[r][1] = _mm256_fmadd_ps(x, b1, acc[r][1]);
        }
    }
    for (int r = 0; r < rows; r++) {
        float *row = c + r * ldc;
        if (width == PANEL) {
            if (accumulate) {
                acc[r][0] = _mm256_add_ps(acc[r][0], _mm256_loadu_ps(row));
                acc[r][1] = _mm256_add_ps(acc[r][1], _mm256_loadu_ps(row + 8));
            }
            _mm256_storeu_ps(row, acc[r][0]);
            _mm256_storeu_ps(row + 8, acc[r][1]);
        } else {
            float tile[PANEL];
            _mm256_storeu_ps(tile, acc[r][0]);
            _mm256_storeu_ps(tile + 8, acc[r][1]);
            store_tile(tile, row, width, accumulate);
        }
    }
}

LOOM_AVX2 static void gemm_avx2(int m, int n, int k, const float *a, long lda, const float *packed, long panel_stride,
                                int accumulate, float *c, long ldc) {
    int panels = (n + PANEL - 1) / PANEL;
    for (int p = 0; p < panels; p++) {
        const float *panel = packed + (long)p * panel_stride;
        int first = p * PANEL, width = n - first < PANEL ? n - first : PANEL;
        int r = 0;
        for (; r + 6 <= m; r += 6) tile_avx2(6, k, a + r * lda, lda, panel, c + r * ldc + first, ldc, width, accumulate);
        switch (m - r) {
        case 5: tile_avx2(5, k, a + r * lda, lda, panel, c + r * ldc + first, ldc, width, accumulate); break;
        case 4: tile_avx2(4, k, a + r * lda, lda, panel, c + r * ldc + first, ldc, width, accumulate); break;
        case 3: tile_avx2(3, k, a + r * lda, lda, panel, c + r * ldc + first, ldc, width, accumulate); break;
        case 2: tile_avx2(2, k, a + r * lda, lda, panel, c + r * ldc + first, ldc, width, accumulate); break;
        case 1: tile_avx2(1, k, a + r * lda, lda, panel, c + r * ldc + first, ldc, width, accumulate); break;
        default: break;
        }
    }
}

static void gemm_portable(int m, int n, int k, const float *a, long lda, const float *packed, long panel_stride,
                          int accumulate, float *c, long ldc) {
    int panels = (n + PANEL - 1) / PANEL;
    for (int p = 0; p < panels; p++) {
        const float *panel = packed + (long)p * panel_stride;
        int first = p * PANEL, width = n - first < PANEL ? n - first : PANEL;
        for (int r = 0; r < m; r++) {
            float tile[PANEL] = {0};
            for (int kk = 0; kk < k; kk++) {
                float x = a[r * lda + kk];
                for (int j = 0; j < PANEL; j++) tile[j] += x * panel[kk * PANEL + j];
            }
            store_tile(tile, c + r * ldc + first, width, accumulate);
        }
    }
}

void loom_gemm_panels(int m, int n, int k, const float *a, long lda, const float *panels, long panel_stride,
                      int accumulate, float *c, long ldc) {
    if (loom_has_avx2()) gemm_avx2(m, n, k, a, lda, panels, panel_stride, accumulate, c, ldc);
    else gemm_portable(m, n, k, a, lda, panels, panel_stride, accumulate, c, ldc);
}

void loom_gemm_packed(int m, int n, int k, const float *a, long lda, const float *packed, int accumulate, float *c,
                      long ldc) {
    loom_gemm_panels(m, n, k, a, lda, packed, (long)k * PANEL, accumulate, c, ldc);
}
