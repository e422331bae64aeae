#ifndef CLOOM_CONVOLUTION_KERNELS_H
#define CLOOM_CONVOLUTION_KERNELS_H

// The im2col / col2im pair of a 2-D convolution (NCHW). The column matrix is
// [channels * kernel_height * kernel_width, images, out_height * out_width]: one row per
// kernel tap, the images of a chunk side by side. Rows whose window reaches into the
// padding read zero there. Stride 2 (downsampling and upsampling layers) has its own
// SSE gather and scatter; other strides run scalar loops with the bounds hoisted out.

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int channels, height, width;
    int kernel_height, kernel_width;
    int stride, padding;
    int out_height, out_width;
} loom_convolution_geometry;

// Writes column units [first_unit, end_unit) of `images` consecutive images, where unit
// u = row * images + n is the (out_height * out_width) block of column row `row`, image n.
void loom_im2col(const loom_convolution_geometry *geometry, const float *image, int images, long first_unit,
                 long end_unit, float *columns);

// Adds the columns back onto planes [first_plane, end_plane) of the image side, plane
// p = n * channels + c, summing every tap that read each pixel.
void loom_col2im_add(const loom_convolution_geometry *geometry, const float *columns, int images, long first_plane,
                     long end_plane, float *image);

#ifdef __cplusplus
}
#endif

#endif
