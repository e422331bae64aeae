#ifndef CLOOM_CONVOLUTION_KERNELS_H
#define CLOOM_CONVOLUTION_KERNELS_H

// The im2col / col2im pair of a 2-D convolution (NCHW). The column matrix is
// [channels * kernel_height * kernel_width, images, out_height * out_width]: one row per
// kernel tap, the images of a chunk side by side. Rows whose window reaches into the
// padding read zero there.

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int channels, height, width;
    int kernel_height, kernel_width;
    int stride, padding;
    int out_height, out_width;
} loom_convolution_geometry;

// Writes the column blocks of units [first_unit, end_unit) of `images` consecutive images,
// unit u = c * images + n standing for every tap of channel c in image n.
void loom_im2col(const loom_convolution_geometry *geometry, const float *image, int images, long first_unit,
                 long end_unit, float *columns);

// Adds the column blocks of units [first_unit, end_unit) (numbered as for loom_im2col)
// back onto the image side, summing every tap that read each pixel. A unit writes only to
// its own (image, channel) plane.
void loom_col2im_add(const loom_convolution_geometry *geometry, const float *columns, int images, long first_unit,
                     long end_unit, float *image);

// One image of a convolution with few taps per output (columns rows k at
// columns + k * column_stride, `plane` floats each):
// out[o * plane + p] = bias[o] + Σ_k weight[o * taps + k] · columns[k][p]. `bias` may be NULL.
void loom_few_taps_forward(const float *weight, const float *bias, int out_channels, int taps, const float *columns,
                           long column_stride, int plane, float *out);

// The weight gradient of one such image: sums[o * taps + k] += Σ_p grad[o * plane + p] · columns[k][p].
void loom_few_taps_weight_gradient(const float *grad, int out_channels, int taps, const float *columns,
                                   long column_stride, int plane, float *sums);

// The columns of one image as 16-column panels, the layout loom_gemm_panels reads as B:
// panel q holds output positions q*16 ..< q*16+16 of every column row (channel c, tap t
// is row c * taps + t), 16 floats per row, zero past the plane's end. `image` points at
// the first of `channels` consecutive planes; panel q starts at panels + q * channels *
// taps * 16.
void loom_im2col_panels(const loom_convolution_geometry *geometry, const float *image, int channels,
                        float *panels);

// packed[p][i][j] = source[p*16 + j][i] for a (rows x length) source, zero for rows past
// the last: the transposed source packed as loom_pack_b packs B.
void loom_pack_rows_transposed(const float *source, int rows, int length, float *packed);

// C (m x n, rows ldc apart) += A · B for an A (m x depth) stored as panels, element (r, d) at
// a[(d / 16) * a_panel_stride + r * 16 + d % 16] (the layout of loom_im2col_panels), and a
// B (depth x n) packed in 16-column panels of `depth` rows (loom_pack_rows_transposed).
void loom_gemm_a_panels(int m, int n, int depth, const float *a, long a_panel_stride, const float *b, float *c,
                        long ldc);

#ifdef __cplusplus
}
#endif

#endif
