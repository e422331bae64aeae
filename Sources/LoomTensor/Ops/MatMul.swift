/// Matrix products through `cblas_sgemm`, with gradients accumulated straight into the
/// inputs' gradient buffers (beta = 1), so backward allocates nothing. The first
/// contribution to a gradient overwrites it (beta = 0), so that buffer is never zero-filled.
extension Tensor {
    /// `op(a) · op(b)` where op transposes the last two dimensions when asked.
    ///
    /// Shapes: a `[..., M, K]`; b either `[K, N]` (shared by every batch, folded into one
    /// GEMM) or `[..., K, N]` with the same leading dimensions as a (one GEMM per batch).
    public static func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
        precondition(a.rank >= 2 && b.rank >= 2, "matmul needs matrices, got \(a.shape) and \(b.shape)")
        let aRows = a.shape[a.rank - 2], aCols = a.shape[a.rank - 1]
        let bRows = b.shape[b.rank - 2], bCols = b.shape[b.rank - 1]
        let m = transposeA ? aCols : aRows, k = transposeA ? aRows : aCols
        let kb = transposeB ? bCols : bRows, n = transposeB ? bRows : bCols
        precondition(k == kb, "matmul inner dimensions differ: \(a.shape)\(transposeA ? "ᵀ" : "") · \(b.shape)\(transposeB ? "ᵀ" : "")")
        let batchShape = Array(a.shape.dropLast(2))
        let batch = batchShape.reduce(1, *)
        let sharedB = b.rank == 2
        precondition(sharedB || Array(b.shape.dropLast(2)) == batchShape, "matmul batch shapes differ: \(a.shape) and \(b.shape)")
        let out = TensorStorage(count: batch * m * n)
        // A shared right operand with an untransposed left one folds the batch into the rows.
        let fold = sharedB && !transposeA
        let gemms = fold ? 1 : batch
        let rows = fold ? batch * m : m
        let aStride = aRows * aCols, bStride = sharedB ? 0 : bRows * bCols, cStride = m * n
        for i in 0..<gemms {
            sgemm(transposeA: transposeA, transposeB: transposeB, m: rows, n: n, k: k,
                  a: a.pointer + i * aStride, lda: aCols, b: b.pointer + i * bStride, ldb: bCols,
                  c: out.pointer + i * cStride)
        }
        return Tensor.result(shape: batchShape + [m, n], storage: out, inputs: [a, b]) { g in
            if let (ga, fresh) = a.gradTarget() {
                let beta: Float = fresh ? 0 : 1  // every GEMM writes its own block of dA
                for i in 0..<gemms {
                    let gc = g + i * cStride, bp = b.pointer + i * bStride
                    if transposeA {  // dA (K×M) = op(B) · dCᵀ
                        sgemm(transposeA: transposeB, transposeB: true, m: k, n: rows, k: n,
                              a: bp, lda: bCols, b: gc, ldb: n, beta: beta, c: ga + i * aStride, ldc: aCols)
                    } else {  // dA (M×K) = dC · op(B)ᵀ
                        sgemm(transposeA: false, transposeB: !transposeB, m: rows, n: k, k: n,
                              a: gc, lda: n, b: bp, ldb: bCols, beta: beta, c: ga + i * aStride, ldc: aCols)
                    }
                }
            }
            if let (gb, fresh) = b.gradTarget() {
                for i in 0..<gemms {
                    // A shared B sums every GEMM into one dB: only the first may overwrite it.
                    let beta: Float = fresh && (i == 0 || !sharedB) ? 0 : 1
                    let gc = g + i * cStride, ap = a.pointer + i * aStride
                    if transposeB {  // dB (N×K) = dCᵀ · op(A)
                        sgemm(transposeA: true, transposeB: transposeA, m: n, n: k, k: rows,
                              a: gc, lda: n, b: ap, ldb: aCols, beta: beta, c: gb + i * bStride, ldc: bCols)
                    } else {  // dB (K×N) = op(A)ᵀ · dC
                        sgemm(transposeA: !transposeA, transposeB: false, m: k, n: n, k: rows,
                              a: ap, lda: aCols, b: gc, ldb: n, beta: beta, c: gb + i * bStride, ldc: bCols)
                    }
                }
            }
        }
    }

    /// `x · Wᵀ + bias` with PyTorch's weight layout `[out, in]`; x is `[..., in]`.
    public static func linear(_ x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
        let inFeatures = weight.shape[1], outFeatures = weight.shape[0]
        precondition(x.shape.last == inFeatures, "linear expects [..., \(inFeatures)], got \(x.shape)")
        let rows = x.count / Swift.max(inFeatures, 1)
        let out = TensorStorage(count: rows * outFeatures)
        if let bias {
            precondition(bias.count == outFeatures, "bias of \(bias.count) for \(outFeatures) outputs")
            let o = out.pointer, b = bias.pointer
            Parallel.forRanges(rows, threshold: Swift.max(1, Parallel.elementThreshold / Swift.max(outFeatures, 1))) { range in
                for r in range { (o + r * outFeatures).update(from: b, count: outFeatures) }
            }
        }
        if let packed = sharedPack(of: weight, transposed: true, m: rows, k: inFeatures, n: outFeatures) {
            packed.multiply(count: rows, a: x.pointer, lda: inFeatures, into: out.pointer, ldc: outFeatures,
                            accumulate: bias != nil)
        } else {
            sgemm(transposeA: false, transposeB: true, m: rows, n: outFeatures, k: inFeatures,
                  a: x.pointer, b: weight.pointer, beta: bias == nil ? 0 : 1, c: out.pointer)
        }
        let inputs = bias.map { [x, weight, $0] } ?? [x, weight]
        return Tensor.result(shape: x.shape.dropLast() + [outFeatures], storage: out, inputs: inputs) { g in
            if let (gx, fresh) = x.gradTarget() {  // dX (rows×in) = dY · W
                if let packed = sharedPack(of: weight, transposed: false, m: rows, k: outFeatures, n: inFeatures) {
                    packed.multiply(count: rows, a: g, lda: outFeatures, into: gx, ldc: inFeatures, accumulate: !fresh)
                } else {
                    sgemm(transposeA: false, transposeB: false, m: rows, n: inFeatures, k: outFeatures,
                          a: g, b: weight.pointer, beta: fresh ? 0 : 1, c: gx)
                }
            }
            if let (gw, fresh) = weight.gradTarget() {  // dW (out×in) = dYᵀ · X
                sgemm(transposeA: true, transposeB: false, m: outFeatures, n: inFeatures, k: rows,
                      a: g, b: x.pointer, beta: fresh ? 0 : 1, c: gw)
            }
            if let bias, let gb = bias.gradBuffer() {  // each thread sums its own columns over every row
                Parallel.forRanges(outFeatures, threshold: Swift.max(1, Parallel.elementThreshold / Swift.max(rows, 1))) { columns in
                    for r in 0..<rows {
                        let src = g + r * outFeatures
                        for j in columns { gb[j] += src[j] }
                    }
                }
            }
        }
    }

    /// The weight's pack shared by the shards of a step (`SharedWeightPacks`), for a product
    /// the packed kernel takes; nil otherwise.
    private static func sharedPack(of weight: Tensor, transposed: Bool, m: Int, k: Int, n: Int) -> PackedMatrix? {
        guard PackedProduct.applies(transposeA: false, m: m, n: n, k: k, alpha: 1, beta: 0) else { return nil }
        return SharedWeightPacks.pack(of: weight, transposed: transposed, k: k, n: n)
    }
}
