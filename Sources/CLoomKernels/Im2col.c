#include "ConvolutionKernels.h"

#include <emmintrin.h>
#include <string.h>

// Only SSE2 (part of every x86-64 CPU), so no run-time dispatch: rows here are short (7 to
// 28 floats in the image models), and wider vectors would mostly run their scalar tails.
// Short fills and copies go through intrinsics rather than plain loops, which the compiler
// would turn into memset/memcpy calls that cost more than the few floats they move.

typedef struct { int low, high; } index_span;

// Output indices o in [low, high) of 0..<count whose input index o * stride + offset lies
// in 0..<limit.
static inline index_span valid_span(int count, int offset, int stride, int limit) {
    int low = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
    int last = limit - 1 - offset;
    int high = last < 0 ? 0 : last / stride + 1;
    if (high > count) high = count;
    if (low > high) low = high;
    return (index_span){low, high};
}

static inline void zero_few(float *d, int n) {
    const __m128 zero = _mm_setzero_ps();
    int j = 0;
    for (; j + 4 <= n; j += 4) _mm_storeu_ps(d + j, zero);
    for (; j < n; j++) _mm_store_ss(d + j, zero);
}

static inline void copy_few(float *d, const float *s, int n) {
    int j = 0;
    for (; j + 4 <= n; j += 4) _mm_storeu_ps(d + j, _mm_loadu_ps(s + j));
    for (; j < n; j++) _mm_store_ss(d + j, _mm_load_ss(s + j));
}

static inline void add_few(float *d, const float *s, int n) {
    int j = 0;
    for (; j + 4 <= n; j += 4) _mm_storeu_ps(d + j, _mm_add_ps(_mm_loadu_ps(d + j), _mm_loadu_ps(s + j)));
    for (; j < n; j++) d[j] += s[j];
}

// d[j] = s[2j] for j < n. A vector step reads s[2j ... 2j + 7], one float past the last it
// keeps, so it runs only while `readable` (floats valid from s) covers that.
static inline void gather_stride2(float *d, const float *s, int n, long readable) {
    int j = 0;
    for (; j + 4 <= n && 2L * j + 8 <= readable; j += 4) {
        __m128 a = _mm_loadu_ps(s + 2 * j), b = _mm_loadu_ps(s + 2 * j + 4);
        _mm_storeu_ps(d + j, _mm_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0)));
    }
    for (; j < n; j++) _mm_store_ss(d + j, _mm_load_ss(s + 2 * j));
}

// t[2j] += s[j] for j < n. A vector step rewrites t[2j + 1] with zero added, so it runs only
// while `writable` (floats valid from t) covers t[2j + 7]; the caller owns the whole plane.
static inline void scatter_add_stride2(float *t, const float *s, int n, long writable) {
    const __m128 zero = _mm_setzero_ps();
    int j = 0;
    for (; j + 4 <= n && 2L * j + 8 <= writable; j += 4) {
        __m128 v = _mm_loadu_ps(s + j);
        float *p = t + 2 * j;
        _mm_storeu_ps(p, _mm_add_ps(_mm_loadu_ps(p), _mm_unpacklo_ps(v, zero)));
        _mm_storeu_ps(p + 4, _mm_add_ps(_mm_loadu_ps(p + 4), _mm_unpackhi_ps(v, zero)));
    }
    for (; j < n; j++) t[2 * j] += s[j];
}

void loom_im2col(const loom_convolution_geometry *geometry, const float *image, int images, long first_unit,
                 long end_unit, float *columns) {
    const int kernel_width = geometry->kernel_width, taps = geometry->kernel_height * kernel_width;
    const int stride = geometry->stride, padding = geometry->padding;
    const int height = geometry->height, width = geometry->width;
    const int out_height = geometry->out_height, out_width = geometry->out_width;
    const long plane = (long)out_height * out_width, image_plane = (long)height * width;
    for (long unit = first_unit; unit < end_unit; unit++) {
        const long row = unit / images;
        const int n = (int)(unit - row * images);
        const int c = (int)(row / taps), tap = (int)(row - (long)c * taps);
        const int ki = tap / kernel_width, kj = tap - ki * kernel_width;
        const float *source = image + ((long)n * geometry->channels + c) * image_plane;
        float *target = columns + unit * plane;
        const index_span rows = valid_span(out_height, ki - padding, stride, height);
        const index_span cols = valid_span(out_width, kj - padding, stride, width);
        const int count = cols.high - cols.low, right = out_width - cols.high;
        memset(target, 0, sizeof(float) * (size_t)((long)rows.low * out_width));
        for (int oh = rows.low; oh < rows.high; oh++) {
            float *d = target + (long)oh * out_width;
            const long first = (long)(oh * stride + ki - padding) * width + (long)cols.low * stride + kj - padding;
            const float *s = source + first;
            zero_few(d, cols.low);
            float *t = d + cols.low;
            if (stride == 1) {
                copy_few(t, s, count);
            } else if (stride == 2) {
                gather_stride2(t, s, count, image_plane - first);
            } else {
                for (int j = 0; j < count; j++) t[j] = s[(long)j * stride];
            }
            zero_few(d + cols.high, right);
        }
        memset(target + (long)rows.high * out_width, 0, sizeof(float) * (size_t)((long)(out_height - rows.high) * out_width));
    }
}

void loom_col2im_add(const loom_convolution_geometry *geometry, const float *columns, int images, long first_plane,
                     long end_plane, float *image) {
    const int kernel_height = geometry->kernel_height, kernel_width = geometry->kernel_width;
    const int taps = kernel_height * kernel_width, channels = geometry->channels;
    const int stride = geometry->stride, padding = geometry->padding;
    const int height = geometry->height, width = geometry->width;
    const int out_height = geometry->out_height, out_width = geometry->out_width;
    const long plane = (long)out_height * out_width, image_plane = (long)height * width;
    for (long p = first_plane; p < end_plane; p++) {
        const long n = p / channels;
        const int c = (int)(p - n * channels);
        float *target = image + p * image_plane;
        for (int ki = 0; ki < kernel_height; ki++) {
            const index_span rows = valid_span(out_height, ki - padding, stride, height);
            for (int kj = 0; kj < kernel_width; kj++) {
                const index_span cols = valid_span(out_width, kj - padding, stride, width);
                const int count = cols.high - cols.low;
                const long row = (long)c * taps + ki * kernel_width + kj;
                const float *source = columns + (row * images + n) * plane + cols.low;
                for (int oh = rows.low; oh < rows.high; oh++) {
                    const float *s = source + (long)oh * out_width;
                    const long first = (long)(oh * stride + ki - padding) * width + (long)cols.low * stride + kj - padding;
                    float *t = target + first;
                    if (stride == 1) {
                        add_few(t, s, count);
                    } else if (stride == 2) {
                        scatter_add_stride2(t, s, count, image_plane - first);
                    } else {
                        for (int j = 0; j < count; j++) t[(long)j * stride] += s[j];
                    }
                }
            }
        }
    }
}
