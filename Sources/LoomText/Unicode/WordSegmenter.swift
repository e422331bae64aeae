import CLoomICU

/// Splits text into words with ICU's word-break rules (Unicode UAX #29 plus ICU's dictionaries
/// for scripts written without spaces, such as Thai, Chinese and Japanese).
public struct WordSegmenter: Sendable {
    public enum Kind: String, Sendable, Equatable {
        /// Letters, kana or ideographs, including inner apostrophes and periods ("can't", "e.g").
        case word
        /// Digits, with inner separators ("3.14", "1,000").
        case number
        /// Anything else that is not white space: punctuation, symbols, emoji.
        case punctuation
        case whitespace
    }

    public struct Segment: Sendable, Equatable {
        public var text: String
        public var kind: Kind
        /// The segment's place in the input, in UTF-16 code units.
        public var utf16Range: Range<Int>
    }

    public var keepNumbers: Bool
    public var keepPunctuation: Bool
    public var keepWhitespace: Bool

    public init(keepNumbers: Bool = true, keepPunctuation: Bool = true, keepWhitespace: Bool = false) {
        self.keepNumbers = keepNumbers
        self.keepPunctuation = keepPunctuation
        self.keepWhitespace = keepWhitespace
    }

    /// The segments this segmenter keeps, in order.
    public func segments(_ text: String) throws -> [Segment] {
        if text.isEmpty { return [] }
        let units = try ICUCall.utf16(text, operation: "word segmentation")
        let (offsets, statuses) = try ICUCall.boundaries(kind: LOOM_BOUNDARY_WORD, units: units,
                                                         operation: "word segmentation")
        var result: [Segment] = []
        result.reserveCapacity(offsets.count)
        units.withUnsafeBufferPointer { buffer in
            for index in 1..<offsets.count {
                let start = Int(offsets[index - 1])
                let end = Int(offsets[index])
                let slice = UnsafeBufferPointer(rebasing: buffer[start..<end])
                let kind = Self.kind(status: statuses[index], units: slice)
                guard keeps(kind) else { continue }
                result.append(Segment(text: ICUCall.string(slice), kind: kind, utf16Range: start..<end))
            }
        }
        return result
    }

    /// The text of the kept segments.
    public func words(_ text: String) throws -> [String] {
        try segments(text).map(\.text)
    }

    private func keeps(_ kind: Kind) -> Bool {
        switch kind {
        case .word: return true
        case .number: return keepNumbers
        case .punctuation: return keepPunctuation
        case .whitespace: return keepWhitespace
        }
    }

    private static func kind(status: Int32, units: UnsafeBufferPointer<UInt16>) -> Kind {
        if status >= LOOM_WORD_STATUS_NUMBER && status < LOOM_WORD_STATUS_LETTER { return .number }
        if status >= LOOM_WORD_STATUS_LETTER && status < LOOM_WORD_STATUS_LIMIT { return .word }
        // ICU puts spaces, punctuation and symbols all in the "none" class; tell them apart.
        for scalar in UTF16Scalars(units) where loom_icu_scalar_class(Int32(bitPattern: scalar)) != LOOM_SCALAR_WHITESPACE {
            return .punctuation
        }
        return .whitespace
    }
}

/// The scalar values of UTF-16 code units (unpaired surrogates come out as U+FFFD).
struct UTF16Scalars: Sequence, IteratorProtocol {
    private let units: UnsafeBufferPointer<UInt16>
    private var index = 0

    init(_ units: UnsafeBufferPointer<UInt16>) { self.units = units }

    mutating func next() -> UInt32? {
        guard index < units.count else { return nil }
        let unit = units[index]
        index += 1
        if unit & 0xFC00 == 0xD800, index < units.count, units[index] & 0xFC00 == 0xDC00 {
            let low = units[index]
            index += 1
            return 0x10000 + (UInt32(unit & 0x3FF) << 10 | UInt32(low & 0x3FF))
        }
        return unit & 0xF800 == 0xD800 ? 0xFFFD : UInt32(unit)
    }
}
