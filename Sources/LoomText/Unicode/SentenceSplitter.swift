import CLoomICU

/// Splits text into sentences with ICU's sentence-break rules (UAX #29), which know about
/// abbreviations followed by lower-case words, closing quotes after the full stop, and
/// scripts whose full stop is not ".".
public struct SentenceSplitter: Sendable {
    /// When true, white space around each sentence is removed and empty sentences are dropped;
    /// when false, the sentences concatenate back to the input exactly.
    public var trimWhitespace: Bool

    public init(trimWhitespace: Bool = true) {
        self.trimWhitespace = trimWhitespace
    }

    public func sentences(_ text: String) throws -> [String] {
        if text.isEmpty { return [] }
        let units = try ICUCall.utf16(text, operation: "sentence segmentation")
        let (offsets, _) = try ICUCall.boundaries(kind: LOOM_BOUNDARY_SENTENCE, units: units,
                                                  operation: "sentence segmentation")
        var result: [String] = []
        for index in 1..<offsets.count {
            let sentence = String(decoding: units[Int(offsets[index - 1])..<Int(offsets[index])], as: UTF16.self)
            if !trimWhitespace {
                result.append(sentence)
                continue
            }
            let trimmed = Self.trimmed(sentence)
            if !trimmed.isEmpty { result.append(trimmed) }
        }
        return result
    }

    private static func trimmed(_ text: String) -> String {
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let last = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        return String(scalars[first...last])
    }
}
