import CLoomKernels

/// The right-hand side of many small products, packed once (see `loom_pack_b`).
///
/// A recurrent layer multiplies a few rows of state by the same W_hh at every time step.
/// BLAS would copy W_hh into its own layout on each of those calls and hand each call to
/// its threads; packing once and giving each thread its own rows of the batch for the whole
/// sequence removes both costs.
public final class PackedMatrix {
    /// B is (rows, columns): A (m, rows) · B gives (m, columns).
    public let rows: Int
    public let columns: Int
    private let storage: TensorStorage

    /// Packs B = `matrix` (rows, columns) row-major, or, when `transposed`, B = Mᵀ for `matrix`
    /// M stored row-major as (columns, rows).
    public init(_ matrix: UnsafePointer<Float>, rows: Int, columns: Int, transposed: Bool) {
        precondition(rows > 0 && columns > 0, "packed matrix must not be empty")
        self.rows = rows
        self.columns = columns
        storage = TensorStorage(count: loom_packed_b_count(Int32(rows), Int32(columns)))
        loom_pack_b(matrix, transposed ? 1 : columns, transposed ? rows : 1, Int32(rows), Int32(columns), storage.pointer)
    }

    /// C = A · B, or C += A · B when `accumulate`, for `count` rows of A (`lda` floats apart)
    /// and of C (`ldc` floats apart). Runs on the calling thread.
    public func multiply(count: Int, a: UnsafePointer<Float>, lda: Int, into c: UnsafeMutablePointer<Float>,
                         ldc: Int, accumulate: Bool) {
        if count == 0 { return }
        loom_gemm_packed(Int32(count), Int32(columns), Int32(rows), a, lda, storage.pointer, accumulate ? 1 : 0, c, ldc)
    }
}
