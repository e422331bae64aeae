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

void loom_pack_b(const float *b, long k_stride, long n_stride, int k, int n, float *packed) {
    int panels = (n + PANEL - 1) / PANEL;
    for (int p = 0; p < panels; p++) {
        float *panel = packed + (long)p * k * PANEL;
        int first = p * PANEL, width = n - first < PANEL ? n - first : PANEL;
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
