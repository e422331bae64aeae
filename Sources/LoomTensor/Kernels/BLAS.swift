import CBLAS

/// Row-major single-precision GEMM: C = alpha * op(A) * op(B) + beta * C, where op(A) is
/// (m, k) and op(B) is (k, n). `lda`/`ldb`/`ldc` default to the contiguous row lengths.
///
/// Threading: OpenBLAS runs single-threaded, and a large product is split into one block of
/// rows (or columns, when there are few rows) per core on Loom's own threads. OpenBLAS's
/// worker threads spin for a while after each call; on a machine with as many cores as
/// workers, that spinning takes time from the loops Loom runs between products.
public func sgemm(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
    alpha: Float = 1, a: UnsafePointer<Float>, lda: Int? = nil,
    b: UnsafePointer<Float>, ldb: Int? = nil,
    beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int? = nil
) {
    if m == 0 || n == 0 { return }
    if k == 0 {
        if beta == 0 { c.update(repeating: 0, count: m * n) }
        else if beta != 1 { for i in 0..<(m * n) { c[i] *= beta } }
        return
    }
    let lda = lda ?? (transposeA ? m : k)
    let ldb = ldb ?? (transposeB ? k : n)
    let ldc = ldc ?? n
    BLASThreads.configure
    func product(rows: Int, columns: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>) {
        cblas_sgemm(
            CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
            Int32(rows), Int32(columns), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
    let parts = BLASThreads.parts(m: m, n: n, k: k)
    if parts == 1 { return product(rows: m, columns: n, a: a, b: b, c: c) }
    let splitRows = m >= n || m >= BLASThreads.block * parts
    let length = splitRows ? m : n
    let size = (length / parts + BLASThreads.block - 1) / BLASThreads.block * BLASThreads.block
    Parallel.forEach(parts) { part in
        let start = part * size, end = Swift.min(length, start + size)
        guard start < end else { return }
        if splitRows {  // rows of op(A) and C
            product(rows: end - start, columns: n, a: a + (transposeA ? start : start * lda), b: b, c: c + start * ldc)
        } else {  // columns of op(B) and C
            product(rows: m, columns: end - start, a: a, b: b + (transposeB ? start * ldb : start), c: c + start)
        }
    }
}

enum BLASThreads {
    /// Blocks of rows or columns are multiples of this, the width OpenBLAS's kernels work in.
    static let block = 16

    /// Below this many multiply-adds, a product runs on the calling thread: starting a
    /// second thread costs about as much as the work it would take over.
    static let threshold = 1 << 20

    static let configure: Void = { openblas_set_num_threads(1) }()

    static func parts(m: Int, n: Int, k: Int) -> Int {
        let cores = Parallel.coreCount
        guard cores > 1, m * n * k >= threshold, Swift.max(m, n) >= 2 * block else { return 1 }
        return cores
    }
}
