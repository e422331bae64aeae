import Foundation

/// A searchable TF-IDF index over the lines of a corpus. Rows are l2-normalized, so the dot
/// product with a transformed query is the cosine similarity. Saved as a directory holding the
/// vectorizer (see `TfidfVectorizer.save`), `matrix.safetensors` (CSR: indptr, indices, data)
/// and `documents.txt` (the indexed lines).
public struct TfidfIndex: Sendable {
    public private(set) var vectorizer: TfidfVectorizer
    public private(set) var matrix: SparseMatrix
    public private(set) var documents: [String]

    public struct Result: Sendable, Equatable {
        /// 1-based line number in the indexed corpus.
        public var line: Int
        public var score: Float
        public var text: String
    }

    /// Indexes every line (empty lines too, so line numbers stay those of the file).
    public init(documents: [String], options: TfidfVectorizer.Options = .init()) throws {
        var vectorizer = TfidfVectorizer(options: options)
        matrix = try vectorizer.fitTransform(documents)
        self.vectorizer = vectorizer
        self.documents = documents
    }

    init(vectorizer: TfidfVectorizer, matrix: SparseMatrix, documents: [String]) {
        self.vectorizer = vectorizer
        self.matrix = matrix
        self.documents = documents
    }

    /// The `top` lines most similar to `query`, best first; ties go to the earlier line, and lines
    /// sharing no term with the query are left out.
    public func search(_ query: String, top: Int) -> [Result] {
        let queryRow = vectorizer.transform([query])
        var dense = [Float](repeating: 0, count: matrix.columnCount)
        for (column, value) in queryRow.row(0) { dense[column] = value }
        let scores = matrix.multiply(dense)
        var candidates = (0..<scores.count).filter { scores[$0] > 0 }
        candidates.sort { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }
        return candidates.prefix(top).map { Result(line: $0 + 1, score: scores[$0], text: documents[$0]) }
    }

    public func save(to directory: String) throws {
        try vectorizer.save(to: directory)
        try FlatSafetensors.write([
            ("indptr", .init(shape: [matrix.rowStarts.count], values: .int64(matrix.rowStarts.map(Int64.init)))),
            ("indices", .init(shape: [matrix.columnIndices.count], values: .int32(matrix.columnIndices))),
            ("data", .init(shape: [matrix.values.count], values: .float32(matrix.values))),
        ], metadata: ["rows": "\(matrix.rowCount)", "columns": "\(matrix.columnCount)", "format": "csr"],
           to: directory + "/matrix.safetensors")
        try TextModelFiles.writeAtomically(Data((documents.joined(separator: "\n") + "\n").utf8), to: directory + "/documents.txt")
    }

    public static func load(from directory: String) throws -> TfidfIndex {
        let vectorizer = try TfidfVectorizer.load(from: directory)
        let path = directory + "/matrix.safetensors"
        let (tensors, _) = try FlatSafetensors.read(path)
        guard case .int64(let indptr)? = tensors["indptr"]?.values, case .int32(let indices)? = tensors["indices"]?.values,
              case .float32(let data)? = tensors["data"]?.values else {
            throw TextModelError("\(path): expected I64 indptr, I32 indices and F32 data")
        }
        let documents = TextModelFiles.lines(try TextModelFiles.readText(directory + "/documents.txt")).map(String.init)
        let rowStarts = indptr.map { Int($0) }
        let columns = vectorizer.vocabulary.count
        guard rowStarts.count == documents.count + 1, rowStarts.first == 0, rowStarts.last == data.count,
              indices.count == data.count, zip(rowStarts, rowStarts.dropFirst()).allSatisfy({ $0 <= $1 }),
              indices.allSatisfy({ $0 >= 0 && Int($0) < columns }) else {
            throw TextModelError("\(path): the CSR arrays do not fit \(documents.count) documents and \(columns) terms")
        }
        let matrix = SparseMatrix(rowCount: documents.count, columnCount: columns, rowStarts: rowStarts,
                                  columnIndices: indices, values: data)
        return TfidfIndex(vectorizer: vectorizer, matrix: matrix, documents: documents)
    }
}
