import CLoomKernels

/// Kernels of causal multi-head attention, written out by hand as llm.c does; the bodies are
/// C (CLoomKernels) so their exps and products run in AVX2 lanes. Training runs one
/// (batch, head) pair per call (`loom_attention_head_forward` and `_backward`, small
/// register-blocked products over the causal triangle); generation runs one query row per
/// call (`attendRow`).
///
/// Threading: the callers split work over (batch, head) pairs with `Parallel.forEach`, and
/// these kernels never call BLAS, so OpenBLAS's own threads are never entered from several
/// threads at once. A (batch, head) pair owns a disjoint slice of every output and gradient
/// buffer (its own rows and its own head's columns), so the workers need no locks.
public enum AttentionKernels {
    /// One query attending to keys 0..<count: writes the softmax probabilities into
    /// `probabilities[0..<count]` and their weighted sum of values into `output[0..<headSize]`.
    /// `keys` and `values` advance by `stride` floats per position. With a dropout `mask`
    /// (kept elements hold 1/(1-p), dropped ones 0), the sum uses the masked probabilities.
    @inline(__always)
    public static func attendRow(
        query: UnsafePointer<Float>, keys: UnsafePointer<Float>, values: UnsafePointer<Float>, stride: Int,
        count: Int, headSize: Int, scale: Float,
        probabilities: UnsafeMutablePointer<Float>, mask: UnsafePointer<Float>? = nil,
        output: UnsafeMutablePointer<Float>
    ) {
        loom_attend_row(query, keys, values, stride, Int32(count), Int32(headSize), scale, probabilities, mask, output)
    }
}
