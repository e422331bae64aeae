#ifndef LOOM_ATTENTION_BLOCKED_H
#define LOOM_ATTENTION_BLOCKED_H

// The AVX2 + FMA bodies of loom_attention_head_forward and loom_attention_head_backward
// (AttentionBlocked.c), for head sizes that are multiples of 8 on CPUs that have AVX2 and FMA.
// Their scratch is the public *_scratch_count floats.

// Products run in tiles of up to TILE_ROWS rows; score rows pad to whole panels of PANEL keys.
enum { TILE_ROWS = 6, PANEL = 16 };

void loom_attention_head_forward_blocked(const float *q, long stride, int length, int head_size, float scale,
                                         float *probabilities, const float *mask, float *out, long out_stride,
                                         float *scratch);

void loom_attention_head_backward_blocked(const float *dout, long dout_stride, const float *q, long stride,
                                          int length, int head_size, float scale, const float *probabilities,
                                          const float *mask, float *dq, float *scratch, int accumulate);

// The softmax of a block of `count` score rows (row r holds the scores of query t0 + r, its
// first t0 + r + 1 floats valid, rows `padded` apart) scaled by `scale`: writes the
// probabilities (rows of `length`, zero past the diagonal) and leaves in each row its exps
// (times the mask row when `mask` is not NULL), zero past the diagonal up to the block's last
// key; inverse[r] receives the reciprocal of row r's sum.
void loom_attention_softmax_block(float *rows, int count, int t0, int padded, float scale, float *probabilities,
                                  int length, const float *mask, float *inverse);

// dP rows of a block (laid out as in loom_attention_softmax_block) to dS in place, given the
// probabilities and the mask rows (length apart); with a mask, `weights` rows receive the
// masked probabilities. Zero past the diagonal for eight more keys.
void loom_attention_score_gradient_block(float *rows, int count, int t0, int padded, float scale,
                                         const float *probabilities, int length, const float *mask, float *weights);

#endif
