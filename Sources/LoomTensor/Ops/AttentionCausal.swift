import CLoomKernels

/// Causal multi-head self-attention as one fused op (llm.c's `attention_forward` and
/// `attention_backward`): scores, causal mask, softmax and the weighted sum of values.
///
/// Forward saves the attention probabilities (B, nh, T, T), so backward recomputes nothing.
/// Work is split over the B·nh (batch, head) pairs on our own threads; the kernels do not
/// call BLAS (see `AttentionKernels` for why that matters).
extension Tensor {
    /// `self` is the fused projection (B, T, 3C) holding q, k and v side by side (nanoGPT's
    /// `c_attn` output); the result is (B, T, C) with the heads' outputs side by side, ready
    /// for the output projection.
    public func causalSelfAttention(heads: Int) -> Tensor {
        causalSelfAttention(heads: heads, dropoutMask: nil)
    }

    /// As `causalSelfAttention(heads:)`, dropping attention probabilities with probability
    /// `dropout` (inverted dropout, as nanoGPT's `attn_dropout`) using `rng`.
    public func causalSelfAttention(heads: Int, dropout: Float, using rng: inout RandomGenerator) -> Tensor {
        precondition(dropout >= 0 && dropout < 1, "attention dropout \(dropout) outside [0, 1)")
        guard dropout > 0, rank == 3 else { return causalSelfAttention(heads: heads, dropoutMask: nil) }
        let (batch, length) = (shape[0], shape[1])
        let mask = TensorStorage(count: batch * heads * length * length)
        let keep = 1 / (1 - dropout)
        for i in 0..<mask.count { mask.pointer[i] = rng.nextFloat() < dropout ? 0 : keep }
        return causalSelfAttention(heads: heads, dropoutMask: mask)
    }

    private func causalSelfAttention(heads: Int, dropoutMask: TensorStorage?) -> Tensor {
        precondition(rank == 3 && shape[2] % 3 == 0, "causalSelfAttention needs (B, T, 3C), got \(shape)")
        let (batch, length, width) = (shape[0], shape[1], shape[2] / 3)
        precondition(heads > 0 && width % heads == 0, "width \(width) does not split into \(heads) heads")
        let headSize = width / heads
        let scale = 1 / Float(headSize).squareRoot()
        let rowStride = 3 * width
        let out = TensorStorage(count: batch * length * width)  // (B, T, C)
        let probabilities = TensorStorage(count: batch * heads * length * length)  // (B, nh, T, T)
        let qkv = pointer, o = out.pointer, att = probabilities.pointer
        let mask = dropoutMask?.pointer
        let forwardScratch = loom_attention_head_forward_scratch_count(Int32(length), Int32(headSize))
        Parallel.forEach(batch * heads) { pair in
            let b = pair / heads, h = pair % heads
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: forwardScratch)
            defer { scratch.deallocate() }
            loom_attention_head_forward(
                qkv + b * length * rowStride + h * headSize, rowStride, Int32(length), Int32(headSize), scale,
                att + pair * length * length, mask.map { UnsafePointer($0 + pair * length * length) },
                o + b * length * width + h * headSize, width, scratch)
        }
        return Tensor.result(shape: [batch, length, width], storage: out, inputs: [self]) { [self, probabilities, dropoutMask] g in
            // Every (batch, head) pair writes its own q, k and v columns of every row once.
            guard let (gqkv, fresh) = self.gradTarget() else { return }
            let att = probabilities.pointer, qkv = self.pointer
            let mask = dropoutMask?.pointer
            let backwardScratch = loom_attention_head_backward_scratch_count(Int32(length), Int32(headSize))
            Parallel.forEach(batch * heads) { pair in
                let b = pair / heads, h = pair % heads
                let offset = b * length * rowStride + h * headSize
                let scratch = UnsafeMutablePointer<Float>.allocate(capacity: backwardScratch)
                defer { scratch.deallocate() }
                loom_attention_head_backward(
                    g + b * length * width + h * headSize, width, qkv + offset, rowStride, Int32(length),
                    Int32(headSize), scale, att + pair * length * length, mask.map { UnsafePointer($0 + pair * length * length) },
                    gqkv + offset, scratch, fresh ? 0 : 1)
            }
        }
    }
}

extension AttentionKernels {
    /// Attention of new positions over a key/value cache, for generation (no gradients).
    ///
    /// `queries` holds `rows` query rows (advancing by `queryStride`), for positions
    /// `start..<start + rows`; `keys` and `values` hold positions `0..<start + rows`
    /// (advancing by `cacheStride`), each row the heads side by side. Writes (rows, C) into
    /// `output` (advancing by `outputStride`). Query row i attends to positions 0...start+i.
    public static func attendCached(
        queries: UnsafePointer<Float>, queryStride: Int, keys: UnsafePointer<Float>, values: UnsafePointer<Float>,
        cacheStride: Int, rows: Int, start: Int, heads: Int, headSize: Int,
        output: UnsafeMutablePointer<Float>, outputStride: Int
    ) {
        let scale = 1 / Float(headSize).squareRoot()
        let positions = start + rows
        let work = rows * positions * heads * headSize
        let body = { (h: Int) in
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: positions)
            defer { scratch.deallocate() }
            let column = h * headSize
            for i in 0..<rows {
                attendRow(query: queries + i * queryStride + column, keys: keys + column, values: values + column,
                          stride: cacheStride, count: start + i + 1, headSize: headSize, scale: scale,
                          probabilities: scratch, output: output + i * outputStride + column)
            }
        }
        // Thread start-up costs more than one generated token's attention.
        if work < 1 << 16 { for h in 0..<heads { body(h) } } else { Parallel.forEach(heads, body) }
    }
}
