import CBLAS
import CLoomKernels

/// Row-major single-precision GEMM: C = alpha * op(A) * op(B) + beta * C, where op(A) is
/// (m, k) and op(B) is (k, n). `lda`/`ldb`/`ldc` default to the contiguous row lengths.
///
/// Threading: OpenBLAS runs single-threaded, and a large product is split into one block of
/// rows (or columns, when there are few rows) per core on Loom's own threads. OpenBLAS's
/// worker threads spin for a while after each call; on a machine with as many cores as
/// workers, that spinning takes time from the loops Loom runs between products.
///
/// Products with many rows of a plain A against a moderate B (the linear layers of a
/// transformer or the input products of a recurrent layer) take Loom's own packed kernel
/// instead, see `PackedProduct`.
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
    if PackedProduct.applies(transposeA: transposeA, m: m, n: n, k: k, alpha: alpha, beta: beta) {
        return PackedProduct.multiply(transposeB: transposeB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb,
                                      accumulate: beta == 1, c: c, ldc: ldc)
    }
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
    let size = ((length + parts - 1) / parts + BLASThreads.block - 1) / BLASThreads.block * BLASThreads.block
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

/// C = A · op(B), or C += A · op(B), by packing op(B) into 16-column panels (`loom_pack_b`)
/// and running the 6×16 AVX2 tile of `loom_gemm_packed` over A's rows.
///
/// OpenBLAS packs both operands on every call and scales C by beta in a pass of its own.
/// With A read in place and B small enough to pack in a moment, this kernel measured 10–15%
/// faster than single-threaded OpenBLAS on the shapes of a small GPT (768 rows, k and n of
/// 128 to 512). With a transposed A, whose rows are strided, OpenBLAS was faster, and with
/// few rows the pack is not paid back, so those stay with BLAS.
///
/// Threads split the panels when there are at least two per core: each packs only its own
/// columns of B, so no thread waits while another packs. With fewer panels they split A's
/// rows and share one pack.
enum PackedProduct {
    static let minimumRows = 96
    static let maximumColumns = 2048
    static let maximumDepth = 1024
    static let panel = 16
    static let available = loom_packed_product_available() != 0

    static func applies(transposeA: Bool, m: Int, n: Int, k: Int, alpha: Float, beta: Float) -> Bool {
        available && !transposeA && alpha == 1 && (beta == 0 || beta == 1)
            && m >= minimumRows && n <= maximumColumns && k <= maximumDepth
    }

    static func multiply(transposeB: Bool, m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                         b: UnsafePointer<Float>, ldb: Int, accumulate: Bool, c: UnsafeMutablePointer<Float>, ldc: Int) {
        let kStride = transposeB ? 1 : ldb, nStride = transposeB ? ldb : 1
        let flag: Int32 = accumulate ? 1 : 0
        /// Packs columns `first..<first + count` of op(B) into this thread's buffer and
        /// multiplies `rows` rows of A (from `row`) by them.
        func product(row: Int, rows: Int, first: Int, count: Int, packed: UnsafeMutablePointer<Float>? = nil) {
            let buffer = packed ?? packColumns(first: first, count: count)
            loom_gemm_packed(Int32(rows), Int32(count), Int32(k), a + row * lda, lda, buffer, flag,
                             c + row * ldc + first, ldc)
        }
        func packColumns(first: Int, count: Int) -> UnsafeMutablePointer<Float> {
            guard let buffer = loom_pack_scratch(loom_packed_b_count(Int32(k), Int32(count))) else {
                fatalError("out of memory packing a \(k)×\(count) matrix")
            }
            loom_pack_b(b + first * nStride, kStride, nStride, Int32(k), Int32(count), buffer)
            return buffer
        }
        let parts = BLASThreads.parts(m: m, n: n, k: k)
        if parts == 1 { return product(row: 0, rows: m, first: 0, count: n) }
        let panels = (n + panel - 1) / panel
        if panels >= 2 * parts {
            let share = (panels + parts - 1) / parts * panel
            Parallel.forEach(parts) { part in
                let first = part * share, end = Swift.min(n, first + share)
                if first < end { product(row: 0, rows: m, first: first, count: end - first) }
            }
        } else {
            let packed = packColumns(first: 0, count: n)
            let size = ((m + parts - 1) / parts + 5) / 6 * 6  // whole 6-row tiles in every block but the last
            Parallel.forEach(parts) { part in
                let start = part * size, end = Swift.min(m, start + size)
                if start < end { product(row: start, rows: end - start, first: 0, count: n, packed: packed) }
            }
        }
    }
}
