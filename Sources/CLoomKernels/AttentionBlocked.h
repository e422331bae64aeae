#ifndef LOOM_ATTENTION_BLOCKED_H
#define LOOM_ATTENTION_BLOCKED_H

// The AVX2 + FMA bodies of loom_attention_head_forward and loom_attention_head_backward
// (AttentionBlocked.c), for head sizes that are multiples of 8 on CPUs that have AVX2 and FMA.
// Their scratch is the public *_scratch_count floats.

void loom_attention_head_forward_blocked(const float *q, long stride, int length, int head_size, float scale,
                                         float *probabilities, const float *mask, float *out, long out_stride,
                                         float *scratch);

void loom_attention_head_backward_blocked(const float *dout, long dout_stride, const float *q, long stride,
                                          int length, int head_size, float scale, const float *probabilities,
                                          const float *mask, float *dq, float *scratch, int accumulate);

#endif
