#include "ConvolutionKernels.h"

#include <emmintrin.h>
#include <stdlib.h>
#include <string.h>

// Only SSE2 (part of every x86-64 CPU), so no run-time dispatch: rows here are short (7 to
// 28 floats in the image models), and wider vectors would mostly run their scalar tails.
// Rows are short, so their copies must stay inline loops: a memcpy call costs more than
// the few floats it moves.
#define NO_COPY_CALLS __attribute__((no_builtin("memcpy", "memmove", "memset")))

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

NO_COPY_CALLS static inline void zero_few(float *d, int n) {
    const __m128 zero = _mm_setzero_ps();
    int j = 0;
    for (; j + 4 <= n; j += 4) _mm_storeu_ps(d + j, zero);
    for (; j < n; j++) _mm_store_ss(d + j, zero);
}

NO_COPY_CALLS static inline void copy_few(float *d, const float *s, int n) {
    int j = 0;
    for (; j + 4 <= n; j += 4) _mm_storeu_ps(d + j, _mm_loadu_ps(s + j));
    for (; j < n; j++) _mm_store_ss(d + j, _mm_load_ss(s + j));
}

NO_COPY_CALLS static inline void add_few(float *d, const float *s, int n) {
    int j = 0;
    for (; j + 4 <= n; j += 4) _mm_storeu_ps(d + j, _mm_add_ps(_mm_loadu_ps(d + j), _mm_loadu_ps(s + j)));
    for (; j < n; j++) d[j] += s[j];
}

// d[j] = s[2j] for j < n. A vector step reads s[2j ... 2j + 7], one float past the last it
// keeps, so it runs only while `readable` (floats valid from s) covers that.
NO_COPY_CALLS static inline void gather_stride2(float *d, const float *s, int n, long readable) {
    int j = 0;
    for (; j + 4 <= n && 2L * j + 8 <= readable; j += 4) {
        __m128 a = _mm_loadu_ps(s + 2 * j), b = _mm_loadu_ps(s + 2 * j + 4);
        _mm_storeu_ps(d + j, _mm_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0)));
    }
    for (; j < n; j++) _mm_store_ss(d + j, _mm_load_ss(s + 2 * j));
}

// r[2j] = a[j], r[2j + 1] = b[j] for j < n.
NO_COPY_CALLS static inline void interleave(float *r, const float *a, const float *b, int n) {
    int j = 0;
    for (; j + 4 <= n; j += 4) {
        __m128 u = _mm_loadu_ps(a + j), v = _mm_loadu_ps(b + j);
        _mm_storeu_ps(r + 2 * j, _mm_unpacklo_ps(u, v));
        _mm_storeu_ps(r + 2 * j + 4, _mm_unpackhi_ps(u, v));
    }
    for (; j < n; j++) { r[2 * j] = a[j]; r[2 * j + 1] = b[j]; }
}

// d[j] = s[j] for j < n, with a last vector step that overlaps the one before instead of a
// scalar tail (rows of 7 or 14 floats take two or four steps).
NO_COPY_CALLS static inline void copy_row(float *d, const float *s, int n) {
    if (n < 4) { copy_few(d, s, n); return; }
    int j = 0;
    for (; j + 4 < n; j += 4) _mm_storeu_ps(d + j, _mm_loadu_ps(s + j));
    _mm_storeu_ps(d + n - 4, _mm_loadu_ps(s + n - 4));
}

// Both kernels go through the "phases" of one zero-padded (image, channel) plane: phase
// (a, b) holds the padded pixels at rows i * stride + a and columns j * stride + b. Tap
// (ki, kj) of output (oh, ow) reads padded pixel (oh * stride + ki, ow * stride + kj), which
// is pixel (oh + ki / stride, ow + kj / stride) of phase (ki % stride, kj % stride), so each
// tap's output row is one contiguous, bounds-free copy from its phase. For stride 1 the
// single phase is the padded plane itself.
typedef struct {
    int stride, padding, height, width;
    int phase_height, phase_width;  // rows and columns of one phase
    long phase_size;                // floats in one phase
} phase_layout;

static phase_layout layout_of(const loom_convolution_geometry *g) {
    phase_layout l;
    l.stride = g->stride;
    l.padding = g->padding;
    l.height = g->height;
    l.width = g->width;
    // Enough for every tap, and for every pixel of the plane (some of which no tap reads
    // when the stride skips past the last window).
    const int tap_rows = g->out_height + (g->kernel_height - 1) / g->stride;
    const int tap_cols = g->out_width + (g->kernel_width - 1) / g->stride;
    const int pixel_rows = (g->height - 1 + g->padding) / g->stride + 1;
    const int pixel_cols = (g->width - 1 + g->padding) / g->stride + 1;
    l.phase_height = tap_rows > pixel_rows ? tap_rows : pixel_rows;
    l.phase_width = tap_cols > pixel_cols ? tap_cols : pixel_cols;
    l.phase_size = (long)l.phase_height * l.phase_width;
    return l;
}

// Fills the stride² phases of `source` (one height x width plane) into `phases`.
NO_COPY_CALLS static void fill_phases(const phase_layout *l, const float *source, float *phases) {
    const int s = l->stride;
    for (int a = 0; a < s; a++) {
        for (int i = 0; i < l->phase_height; i++) {
            const int ih = i * s + a - l->padding;
            for (int b = 0; b < s; b++) {
                float *row = phases + (long)(a * s + b) * l->phase_size + (long)i * l->phase_width;
                if (ih < 0 || ih >= l->height) { zero_few(row, l->phase_width); continue; }
                const index_span cols = valid_span(l->phase_width, b - l->padding, s, l->width);
                const long first = (long)ih * l->width + (long)cols.low * s + b - l->padding;
                const float *in = source + first;
                const int count = cols.high - cols.low;
                zero_few(row, cols.low);
                if (s == 1) {
                    copy_few(row + cols.low, in, count);
                } else if (s == 2) {
                    gather_stride2(row + cols.low, in, count, (long)l->height * l->width - first);
                } else {
                    for (int j = 0; j < count; j++) row[cols.low + j] = in[(long)j * s];
                }
                zero_few(row + cols.high, l->phase_width - cols.high);
            }
        }
    }
}

// Adds the phases back onto `target` (one height x width plane), dropping the padding.
NO_COPY_CALLS static void add_phases(const phase_layout *l, const float *phases, float *target, float *row_scratch) {
    const int s = l->stride, p = l->padding;
    for (int ih = 0; ih < l->height; ih++) {
        const int a = (ih + p) % s, i = (ih + p) / s;
        float *out = target + (long)ih * l->width;
        const float *first = phases + (long)(a * s) * l->phase_size + (long)i * l->phase_width;
        if (s == 1) {
            add_few(out, first + p, l->width);
        } else if (s == 2) {
            // Padded column q comes from phase q % 2 at q / 2: interleave the two phase rows.
            interleave(row_scratch, first, first + l->phase_size, l->phase_width);
            add_few(out, row_scratch + p, l->width);
        } else {
            for (int iw = 0; iw < l->width; iw++) {
                const int q = iw + p;
                out[iw] += first[(long)(q % s) * l->phase_size + q / s];
            }
        }
    }
}

NO_COPY_CALLS void loom_im2col(const loom_convolution_geometry *geometry, const float *image, int images, long first_unit,
                 long end_unit, float *columns) {
    const phase_layout l = layout_of(geometry);
    const int kernel_height = geometry->kernel_height, kernel_width = geometry->kernel_width;
    const int taps = kernel_height * kernel_width, s = geometry->stride;
    const int out_height = geometry->out_height, out_width = geometry->out_width;
    const long plane = (long)out_height * out_width, image_plane = (long)l.height * l.width;
    float *phases = malloc(sizeof(float) * (size_t)(s * s * l.phase_size));
    for (long unit = first_unit; unit < end_unit; unit++) {
        const int c = (int)(unit / images), n = (int)(unit - (long)c * images);
        fill_phases(&l, image + ((long)n * geometry->channels + c) * image_plane, phases);
        float *target = columns + ((long)c * taps * images + n) * plane;
        for (int ki = 0; ki < kernel_height; ki++) {
            for (int kj = 0; kj < kernel_width; kj++) {
                const float *phase = phases + (long)((ki % s) * s + kj % s) * l.phase_size
                                     + (long)(ki / s) * l.phase_width + kj / s;
                float *d = target + (long)(ki * kernel_width + kj) * images * plane;
                if (l.phase_width == out_width) {
                    copy_row(d, phase, (int)plane);
                } else {
                    for (int oh = 0; oh < out_height; oh++) copy_row(d + (long)oh * out_width, phase + (long)oh * l.phase_width, out_width);
                }
            }
        }
    }
    free(phases);
}

NO_COPY_CALLS void loom_col2im_add(const loom_convolution_geometry *geometry, const float *columns, int images,
                                   long first_unit, long end_unit, float *image) {
    const phase_layout l = layout_of(geometry);
    const int kernel_height = geometry->kernel_height, kernel_width = geometry->kernel_width;
    const int taps = kernel_height * kernel_width, s = geometry->stride, channels = geometry->channels;
    const int out_height = geometry->out_height, out_width = geometry->out_width;
    const long plane = (long)out_height * out_width, image_plane = (long)l.height * l.width;
    const size_t phase_floats = (size_t)(s * s * l.phase_size);
    float *phases = malloc(sizeof(float) * (phase_floats + 2 * (size_t)l.phase_width + 8));
    float *row_scratch = phases + phase_floats;
    for (long unit = first_unit; unit < end_unit; unit++) {
        // Units run channel-major, so neighbouring units read neighbouring column blocks.
        const int c = (int)(unit / images), n = (int)(unit - (long)c * images);
        memset(phases, 0, sizeof(float) * phase_floats);
        const float *source = columns + ((long)c * taps * images + n) * plane;
        for (int ki = 0; ki < kernel_height; ki++) {
            for (int kj = 0; kj < kernel_width; kj++) {
                float *phase = phases + (long)((ki % s) * s + kj % s) * l.phase_size + (long)(ki / s) * l.phase_width + kj / s;
                const float *block = source + (long)(ki * kernel_width + kj) * images * plane;
                if (l.phase_width == out_width) {
                    add_few(phase, block, (int)plane);
                } else {
                    for (int oh = 0; oh < out_height; oh++) add_few(phase + (long)oh * l.phase_width, block + (long)oh * out_width, out_width);
                }
            }
        }
        add_phases(&l, phases, image + ((long)n * channels + c) * image_plane, row_scratch);
    }
    free(phases);
}

long loom_phase_floats(const loom_convolution_geometry *geometry) {
    const phase_layout l = layout_of(geometry);
    return (long)l.stride * l.stride * l.phase_size;
}

void loom_fill_image_phases(const loom_convolution_geometry *geometry, const float *image, int channels,
                            float *phases) {
    // Consecutive images are consecutive planes, so `channels` may span several images.
    const phase_layout l = layout_of(geometry);
    const long image_plane = (long)l.height * l.width, floats = (long)l.stride * l.stride * l.phase_size;
    for (int c = 0; c < channels; c++) fill_phases(&l, image + c * image_plane, phases + c * floats);
}

// 16 floats, as four unaligned SSE moves.
NO_COPY_CALLS static inline void copy16(float *d, const float *s) {
    _mm_storeu_ps(d, _mm_loadu_ps(s));
    _mm_storeu_ps(d + 4, _mm_loadu_ps(s + 4));
    _mm_storeu_ps(d + 8, _mm_loadu_ps(s + 8));
    _mm_storeu_ps(d + 12, _mm_loadu_ps(s + 12));
}

// Panel-major: a panel's 16 positions split into runs that each lie in one output row
// (a "segment"), the same for every column row. Each segment is copied as a whole 16
// floats: what lands past its end is overwritten by the next segment, or by the next
// column row, which is written next (the caller leaves 16 floats of room after the last
// panel, and 16 readable floats after the last phase).
NO_COPY_CALLS void loom_panels_from_phases(const loom_convolution_geometry *geometry, const float *phases, int channels,
                                           int images, int first_panel, int end_panel, float *panels) {
    const phase_layout l = layout_of(geometry);
    const int kernel_height = geometry->kernel_height, kernel_width = geometry->kernel_width;
    const int taps = kernel_height * kernel_width, s = geometry->stride, out_width = geometry->out_width;
    const int plane = geometry->out_height * out_width, positions = images * plane;
    const long floats = (long)s * s * l.phase_size, image_floats = channels * floats;
    long tap_offset[taps];
    for (int ki = 0; ki < kernel_height; ki++)
        for (int kj = 0; kj < kernel_width; kj++)
            tap_offset[ki * kernel_width + kj] =
                (long)((ki % s) * s + kj % s) * l.phase_size + (long)(ki / s) * l.phase_width + kj / s;
    float *row = panels;
    for (int q = first_panel; q < end_panel; q++) {
        int starts[16], count = 0, valid = positions - q * 16 < 16 ? positions - q * 16 : 16;
        long sources[16];
        for (int j = 0; j < valid;) {
            const int p = q * 16 + j, image = p / plane, within = p - image * plane;
            const int oh = within / out_width, ow = within - oh * out_width;
            starts[count] = j;
            sources[count++] = image * image_floats + (long)oh * l.phase_width + ow;
            j += out_width - ow;
        }
        for (int c = 0; c < channels; c++) {
            const float *phase = phases + c * floats;
            for (int t = 0; t < taps; t++, row += 16) {
                const float *tap = phase + tap_offset[t];
                for (int k = 0; k < count; k++) copy16(row + starts[k], tap + sources[k]);
                if (valid < 16) zero_few(row + valid, 16 - valid);
            }
        }
    }
}
