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

// The columns of a convolution as 16-column panels, the layout loom_gemm_panels reads as B.
// First the zero-padded planes ("phases") of `channels` consecutive planes from `image`
// (several images' worth when it is a multiple of the channel count): loom_phase_floats
// floats per plane. Then panels [first_panel, end_panel) over the output positions of
// `images` consecutive images side by side (image i's position p is column i * plane + p):
// panel q holds columns q*16 ..< q*16+16 of every column row (channel c, tap t is row
// c * taps + t), 16 floats per row, zero past the last image's end, and starts at
// panels + (q - first_panel) * channels * taps * 16. The panels need room for 16 more
// floats after the last, and the phases 16 readable floats after the last plane's.
long loom_phase_floats(const loom_convolution_geometry *geometry);
void loom_fill_image_phases(const loom_convolution_geometry *geometry, const float *image, int channels,
                            float *phases);
void loom_panels_from_phases(const loom_convolution_geometry *geometry, const float *phases, int channels,
                             int images, int first_panel, int end_panel, float *panels);

// packed[p * panel_stride + i * 16 + j] = source[(p*16 + j) * source_stride + i] for i <
// length, zero for rows past the last: the transposed source packed as loom_pack_b packs
// B, with panels `panel_stride` floats apart (length * 16, or more to leave room for
// other sources' runs of rows).
void loom_pack_rows_transposed(const float *source, int rows, int length, long source_stride, float *packed,
                               long panel_stride);

// C (m x n, rows ldc apart) += A · B for an A (m x depth) stored as panels, element (r, d) at
// a[(d / 16) * a_panel_stride + r * 16 + d % 16] (the layout of loom_panels_from_phases),
// and a B (depth x n) packed in 16-column panels, panel p's row d at
// b[p * b_panel_stride + d * 16] (loom_pack_rows_transposed, or a run of its rows).
void loom_gemm_a_panels(int m, int n, int depth, const float *a, long a_panel_stride, const float *b,
                        long b_panel_stride, float *c, long ldc);

// C (m x n, rows ldc apart) = A · B, or += when `accumulate` is nonzero, for A (m x k, rows
// lda apart) and a B whose row kk is the n floats from b + offsets[kk]. Reads up to 15
// floats past the end of a row's n (the last 16-column tile).
void loom_gemm_gathered(int m, int n, int k, const float *a, long lda, const float *b, const long *offsets,
                        int accumulate, float *c, long ldc);

#ifdef __cplusplus
}
#endif

#endif
