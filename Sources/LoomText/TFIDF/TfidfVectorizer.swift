import Foundation

/// TF-IDF features with scikit-learn's `TfidfVectorizer` definitions: its default analyzer
/// (lower-case, tokens `(?u)\b\w\w+\b`, word n-grams joined by one space), raw term counts or
/// 1 + ln(count), idf = ln((1 + n) / (1 + df)) + 1, l2-normalized rows, and a vocabulary sorted by
/// code point. With default options the matrix equals scikit-learn's `fit_transform`.
public struct TfidfVectorizer: Sendable {
    /// A document-frequency bound: an absolute count of documents or a fraction of them.
    public enum DocumentFrequency: Sendable, Equatable {
        case count(Int)
        case fraction(Double)

        func documents(of total: Int) -> Double {
            switch self {
            case .count(let n): return Double(n)
            case .fraction(let f): return f * Double(total)
            }
        }
    }

    public struct Options: Sendable, Equatable {
        public var lowercase = true
        /// Smallest and largest n of the word n-grams used as terms.
        public var ngramRange: ClosedRange<Int> = 1...1
        public var minimumDocumentFrequency: DocumentFrequency = .count(1)
        public var maximumDocumentFrequency: DocumentFrequency = .fraction(1.0)
        /// Keep only the most frequent terms (by total count; ties go to the earlier term).
        public var maximumFeatures: Int? = nil
        /// Use 1 + ln(count) instead of count.
        public var sublinearTermFrequency = false
        public init() {}
    }

    public private(set) var options: Options
    /// Terms in column order (sorted by code point).
    public private(set) var vocabulary: [String] = []
    public private(set) var inverseDocumentFrequency: [Double] = []
    private var columns = TermInterner()

    public init(options: Options = Options()) { self.options = options }

    /// Rebuilds a fitted vectorizer from saved parts.
    public init(options: Options, vocabulary: [String], inverseDocumentFrequency: [Double]) {
        precondition(vocabulary.count == inverseDocumentFrequency.count)
        self.options = options
        self.vocabulary = vocabulary
        self.inverseDocumentFrequency = inverseDocumentFrequency
        columns = TermInterner(expectedCount: vocabulary.count)
        for term in vocabulary { _ = columns.intern(term) }
    }

    /// Term ids and counts for every document, with ids from `lookup` (-1 drops a term).
    private func countTerms<D: StringProtocol>(_ documents: [D], lookup: (UnsafeBufferPointer<UInt8>) -> Int)
        -> (rowStarts: [Int], terms: [Int32], counts: [Int32]) {
        var pattern = WordTokenPattern(lowercase: options.lowercase)
        var rowStarts = [0], terms: [Int32] = [], counts: [Int32] = []
        terms.reserveCapacity(documents.count * 16)
        counts.reserveCapacity(documents.count * 16)
        var arena: [UInt8] = [], ends: [Int] = [], joined: [UInt8] = []
        var positionInRow: [Int32] = []
        let range = options.ngramRange
        for document in documents {
            arena.removeAll(keepingCapacity: true)
            ends.removeAll(keepingCapacity: true)
            let direct: Void? = document.utf8.withContiguousStorageIfAvailable { pattern.tokenize($0, arena: &arena, ends: &ends) }
            if direct == nil {
                var text = String(document)
                text.withUTF8 { pattern.tokenize($0, arena: &arena, ends: &ends) }
            }
            let rowStart = terms.count
            @inline(__always) func add(_ id: Int) {
                if id < 0 { return }
                if id >= positionInRow.count { positionInRow.append(contentsOf: repeatElement(-1, count: id - positionInRow.count + 1 + 1024)) }
                let position = Int(positionInRow[id])
                if position >= rowStart, position < terms.count, terms[position] == Int32(id) {
                    counts[position] += 1
                } else {
                    positionInRow[id] = Int32(terms.count)
                    terms.append(Int32(id))
                    counts.append(1)
                }
            }
            arena.withUnsafeBufferPointer { arenaBytes in
                for n in range where n <= ends.count {
                    for first in 0...(ends.count - n) {
                        let start = first == 0 ? 0 : ends[first - 1]
                        if n == 1 {
                            add(lookup(UnsafeBufferPointer(rebasing: arenaBytes[start..<ends[first]])))
                            continue
                        }
                        joined.removeAll(keepingCapacity: true)
                        for k in first..<(first + n) {
                            if k > first { joined.append(0x20) }
                            joined.append(contentsOf: arenaBytes[(k == 0 ? 0 : ends[k - 1])..<ends[k]])
                        }
                        joined.withUnsafeBufferPointer { add(lookup($0)) }
                    }
                }
            }
            rowStarts.append(terms.count)
        }
        return (rowStarts, terms, counts)
    }

    /// Learns the vocabulary and idf from `documents` and returns their TF-IDF matrix.
    public mutating func fitTransform<D: StringProtocol>(_ documents: [D]) throws -> SparseMatrix {
        guard options.ngramRange.lowerBound >= 1 else { throw TextModelError("n-gram range must start at 1 or more") }
        var interner = TermInterner()
        let counted = countTerms(documents) { interner.intern($0) }
        let termCount = interner.count
        var documentFrequency = [Int](repeating: 0, count: termCount)
        var totalCount = [Int](repeating: 0, count: termCount)
        for (k, term) in counted.terms.enumerated() {
            documentFrequency[Int(term)] += 1
            totalCount[Int(term)] += Int(counted.counts[k])
        }
        let documentCount = documents.count
        let highest = options.maximumDocumentFrequency.documents(of: documentCount)
        let lowest = options.minimumDocumentFrequency.documents(of: documentCount)
        guard highest >= lowest else {
            throw TextModelError("the maximum document frequency keeps fewer documents than the minimum")
        }
        // Sort by UTF-8 bytes, which is code point order, as Python sorts str.
        var kept = (0..<termCount).filter { Double(documentFrequency[$0]) <= highest && Double(documentFrequency[$0]) >= lowest }
        kept.sort { a, b in interner.bytes(of: a).lexicographicallyPrecedes(interner.bytes(of: b)) }
        if let limit = options.maximumFeatures, kept.count > limit {
            let byFrequency = kept.indices.sorted { totalCount[kept[$0]] != totalCount[kept[$1]] ? totalCount[kept[$0]] > totalCount[kept[$1]] : $0 < $1 }
            kept = byFrequency.prefix(limit).sorted().map { kept[$0] }
        }
        guard !kept.isEmpty else {
            throw TextModelError("no terms remain: the documents are empty or the frequency limits removed every term")
        }
        var columnOfTerm = [Int32](repeating: -1, count: termCount)
        for (column, term) in kept.enumerated() { columnOfTerm[term] = Int32(column) }
        vocabulary = kept.map { interner.string(of: $0) }
        inverseDocumentFrequency = kept.map { log(Double(1 + documentCount) / Double(1 + documentFrequency[$0])) + 1 }
        columns = TermInterner(expectedCount: kept.count)
        for term in vocabulary { _ = columns.intern(term) }
        return weigh(counted, columnOf: { Int(columnOfTerm[Int($0)]) })
    }

    /// TF-IDF rows for new documents; terms outside the vocabulary are ignored.
    public func transform<D: StringProtocol>(_ documents: [D]) -> SparseMatrix {
        precondition(!vocabulary.isEmpty, "fit the vectorizer before transforming")
        let counted = countTerms(documents) { columns.find($0) }
        return weigh(counted, columnOf: { Int($0) })
    }

    /// Turns counts into l2-normalized tf·idf rows with increasing column indices.
    private func weigh(_ counted: (rowStarts: [Int], terms: [Int32], counts: [Int32]), columnOf: (Int32) -> Int) -> SparseMatrix {
        var rowStarts = [0]
        rowStarts.reserveCapacity(counted.rowStarts.count)
        var columnIndices: [Int32] = [], values: [Float] = []
        columnIndices.reserveCapacity(counted.terms.count)
        values.reserveCapacity(counted.terms.count)
        var row: [(column: Int32, weight: Double)] = []
        let sublinear = options.sublinearTermFrequency
        for r in 0..<(counted.rowStarts.count - 1) {
            row.removeAll(keepingCapacity: true)
            var squares = 0.0
            for k in counted.rowStarts[r]..<counted.rowStarts[r + 1] {
                let column = columnOf(counted.terms[k])
                if column < 0 { continue }
                let count = Double(counted.counts[k])
                let weight = (sublinear ? log(count) + 1 : count) * inverseDocumentFrequency[column]
                row.append((Int32(column), weight))
                squares += weight * weight
            }
            row.sort { $0.column < $1.column }
            let scale = squares > 0 ? 1 / squares.squareRoot() : 0
            for entry in row {
                columnIndices.append(entry.column)
                values.append(Float(entry.weight * scale))
            }
            rowStarts.append(columnIndices.count)
        }
        return SparseMatrix(rowCount: rowStarts.count - 1, columnCount: vocabulary.count, rowStarts: rowStarts,
                            columnIndices: columnIndices, values: values)
    }
}
