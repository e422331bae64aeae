#ifndef CLOOM_KERNELS_H
#define CLOOM_KERNELS_H

// Elementwise kernels that Swift compiles to scalar or SSE code: the recurrent gate math,
// whose exps dominate a recurrent step outside the GEMMs. Each function picks an AVX2 + FMA
// body at run time when the CPU has one, and a portable body otherwise; both give the same
// results to within the exp approximation (relative error about 2e-7).

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

#ifdef __cplusplus
}
#endif

#endif
