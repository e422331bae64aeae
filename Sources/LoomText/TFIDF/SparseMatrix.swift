/// A compressed sparse row (CSR) matrix of Float values, as scipy.sparse.csr_matrix stores one:
/// row r's entries are `columnIndices[rowStarts[r]..<rowStarts[r + 1]]` with matching `values`.
/// Column indices within a row are increasing.
public struct SparseMatrix: Sendable, Equatable {
    public var rowCount: Int
    public var columnCount: Int
    public var rowStarts: [Int]
    public var columnIndices: [Int32]
    public var values: [Float]

    public init(rowCount: Int, columnCount: Int, rowStarts: [Int], columnIndices: [Int32], values: [Float]) {
        precondition(rowStarts.count == rowCount + 1 && columnIndices.count == values.count)
        self.rowCount = rowCount
        self.columnCount = columnCount
        self.rowStarts = rowStarts
        self.columnIndices = columnIndices
        self.values = values
    }

    public var nonzeroCount: Int { values.count }

    /// The entries of one row as (column, value) pairs.
    public func row(_ r: Int) -> [(column: Int, value: Float)] {
        (rowStarts[r]..<rowStarts[r + 1]).map { (Int(columnIndices[$0]), values[$0]) }
    }

    public subscript(row: Int, column: Int) -> Float {
        for k in rowStarts[row]..<rowStarts[row + 1] where Int(columnIndices[k]) == column { return values[k] }
        return 0
    }

    /// The dense row-major copy (for tests and small matrices).
    public func dense() -> [[Float]] {
        (0..<rowCount).map { r in
            var row = [Float](repeating: 0, count: columnCount)
            for k in rowStarts[r]..<rowStarts[r + 1] { row[Int(columnIndices[k])] = values[k] }
            return row
        }
    }

    /// `self · vector` for a dense vector of length `columnCount`: one dot product per row.
    public func multiply(_ vector: [Float]) -> [Float] {
        precondition(vector.count == columnCount)
        var result = [Float](repeating: 0, count: rowCount)
        rowStarts.withUnsafeBufferPointer { starts in
            columnIndices.withUnsafeBufferPointer { columns in
                values.withUnsafeBufferPointer { values in
                    vector.withUnsafeBufferPointer { vector in
                        for r in 0..<rowCount {
                            var sum: Float = 0
                            for k in starts[r]..<starts[r + 1] { sum += values[k] * vector[Int(columns[k])] }
                            result[r] = sum
                        }
                    }
                }
            }
        }
        return result
    }
}
