#ifndef CLOOM_KERNELS_H
#define CLOOM_KERNELS_H

// The convolution kernels keep their declarations in a header of their own.
#include "ConvolutionKernels.h"

// Kernels that Swift compiles to scalar or SSE code, where the exps and short dot products
// dominate a step outside the GEMMs: recurrent gate math, GELU and tanh, causal attention
// (one query row, or one (batch, head) pair forward and backward), and the small products of a
// recurrent step. Each function picks an AVX2 + FMA body at run time when the CPU has one,
// and a portable body otherwise; both agree to within the exp approximation (relative error
// about 2e-7) and float summation order.

#ifdef __cplusplus
extern "C" {
#endif

// One sequence's LSTM step, PyTorch gate order (i, f, g, o). `gates` holds the 4n
// pre-activations and receives the activations; `aux` receives tanh(c'); `h` and `c` (n
// each) are updated in place and `out` receives h'.
void loom_lstm_forward(int n, float *gates, float *aux, float *h, float *c, float *out);

// One sequence's GRU step, gates (r, z, n). `gates` holds W_ih x + b_ih with b_hr and b_hz
// added; `hh` (3n) holds W_hh h; `bias_hn` (n values) may be NULL. On return `gates` holds
// (r, z, candidate), `aux` holds W_hn h + b_hn, and `h` and `out` hold h'.
void loom_gru_forward(int n, float *gates, const float *hh, const float *bias_hn, float *aux, float *h,
                      float *out);

// y = GELU(x) (GPT-2's tanh approximation) and gx += g * GELU'(x) over n floats (gx =
// g * GELU'(x) when accumulate is 0, so gx need not be initialized).
void loom_gelu_forward(const float *x, float *y, long n);
void loom_gelu_backward(const float *x, const float *g, float *gx, long n, int accumulate);

// y = tanh(x) over n floats.
void loom_tanh_forward(const float *x, float *y, long n);

// SiLU of x * scale + shift (a normalization's folded scale and shift): y = z σ(z), and
// gz = g · dy/dz for the same z.
void loom_scaled_silu_forward(const float *x, float *y, long n, float scale, float shift);
void loom_scaled_silu_gradient(const float *x, const float *g, float *gz, long n, float scale, float shift);

// One query attending to keys 0..<count: `probabilities[0..<count]` receives the softmax of
// scale * q·k_j, and `output[0..<head_size]` their weighted sum of values. Key and value
// rows advance by `stride` floats. With a dropout `mask` (kept entries 1/(1-p), dropped 0),
// the sum uses the masked probabilities.
void loom_attend_row(const float *query, const float *keys, const float *values, long stride, int count,
                     int head_size, float scale, float *probabilities, const float *mask, float *output);

// Causal attention forward for one (batch, head) pair and all `length` of its queries.
// `q` points at the pair's first query; its keys and values sit stride/3 and 2*stride/3
// floats after it in the same (length, 3C) rows (nanoGPT's fused q, k, v). Writes the
// softmax probabilities (length, length), zero above the diagonal, and the outputs, rows
// `out_stride` apart. With a dropout `mask` (length, length; kept entries 1/(1-p), dropped
// 0), the outputs use the masked probabilities. `scratch` holds
// loom_attention_head_forward_scratch_count(length, head_size) floats; it and every other
// buffer belong to the call, so calls on different pairs may run at once.
long loom_attention_head_forward_scratch_count(int length, int head_size);
void loom_attention_head_forward(const float *q, long stride, int length, int head_size, float scale,
                                 float *probabilities, const float *mask, float *out, long out_stride,
                                 float *scratch);

// The backward pass of causal attention for one (batch, head) pair and all `length` of its
// queries, laid out as in loom_attention_head_forward; the gradients `dq` share the q, k, v
// layout, and `dout` rows advance by `dout_stride`. `probabilities` are the forward's
// (length, length), zero above the diagonal; `mask` (may be NULL) as in the forward.
// `scratch` holds loom_attention_head_backward_scratch_count(length, head_size) floats.
// Adds into the gradients, or with accumulate 0 overwrites this pair's columns of them
// (which then need not be initialized).
long loom_attention_head_backward_scratch_count(int length, int head_size);
void loom_attention_head_backward(const float *dout, long dout_stride, const float *q, long stride, int length,
                                  int head_size, float scale, const float *probabilities, const float *mask,
                                  float *dq, float *scratch, int accumulate);

// A weight matrix packed once for many products (recurrent steps). `loom_pack_b` copies B
// (k x n, element (kk, j) at b[kk * k_stride + j * n_stride]) into `packed`, which holds
// loom_packed_b_count(k, n) floats. `loom_gemm_packed` then computes C = A B, or C += A B
// when `accumulate` is nonzero, for A (m x k, rows `lda` apart) and C (m x n, rows `ldc`
// apart). Each call runs on the calling thread.
long loom_packed_b_count(int k, int n);
void loom_pack_b(const float *b, long k_stride, long n_stride, int k, int n, float *packed);
void loom_gemm_packed(int m, int n, int k, const float *a, long lda, const float *packed, int accumulate, float *c,
                      long ldc);

// The same product with panels `panel_stride` floats apart (at least k * 16), so a panel
// may hold more rows than the product reads: the k-blocks of a deeper B, or the panels of
// loom_panels_from_phases.
void loom_gemm_panels(int m, int n, int k, const float *a, long lda, const float *panels, long panel_stride,
                      int accumulate, float *c, long ldc);

// A buffer of at least `count` floats owned by the calling thread and kept for its next
// call, for packing the B of a one-off product without paging in fresh memory each time.
// NULL when the allocation fails. Valid until the same thread asks again.
float *loom_pack_scratch(long count);

// Whether loom_gemm_packed runs its AVX2 + FMA body here (otherwise it runs a slow portable one).
int loom_packed_product_available(void);

// Calls function(context, i) for i in 0..<count, spread over the calling thread and
// loom_parallel_workers() worker threads (one fewer than the cores), and returns when every
// call has returned. A call made inside a loop body, or while another thread's loop is
// running, runs its loop on the calling thread.
typedef void (*loom_task_function)(void *context, long index);
void loom_parallel_for(long count, loom_task_function function, void *context);
int loom_parallel_workers(void);

// Layer norm of `rows` rows of `size` floats: y = (x - mean) rstd · weight + bias (weight
// and bias may be NULL), saving (mean, rstd) per row in `stats`. Backward writes dx (=, or
// += when `accumulate`) from the output gradient g.
void loom_layer_norm_forward(const float *x, const float *weight, const float *bias, long rows, int size, float eps,
                             float *y, float *stats);
void loom_layer_norm_backward(const float *x, const float *g, const float *weight, const float *stats, long rows,
                              int size, float *dx, int accumulate);
// Adds the weight and bias gradients (either may be NULL) of columns first..<first + count.
void loom_layer_norm_parameter_gradients(const float *x, const float *g, const float *stats, long rows, int size,
                                         int first, int count, float *dweight, float *dbias);

// A spin lock (*lock starts at 0) and a one-way flag (*flag starts at 0), for waits of a
// few microseconds between Loom's threads, which a futex sleep would stretch to tens.
void loom_spin_lock(int *lock);
void loom_spin_unlock(int *lock);
void loom_flag_raise(int *flag);
void loom_flag_wait(const int *flag);

// The data-parallel shard of a training step the calling thread is computing, 0 outside
// one (a thread-local; see LoomNN's ShardedGradients).
int loom_gradient_shard(void);
void loom_set_gradient_shard(int shard);

// One Adam(W) update of n weights in place, torch.optim.Adam's order of operations:
// m = b1 m + (1-b1) g, v = b2 v + (1-b2) g², w = w·shrink - step_size · m / (√v / root_correction2 + eps).
void loom_adam_step(long n, float *w, const float *g, float *m, float *v, float beta1, float beta2, float epsilon,
                    float step_size, float root_correction2, float shrink);

#ifdef __cplusplus
}
#endif

#endif
