import Foundation

/// Byte-level BPE as in GPT-2: text is split by GPT-2's pre-tokenizer, each piece's UTF-8
/// bytes start as one token each, and merge rules join them in rank order. Every string
/// round-trips: `decode(encode(text)) == text`, byte for byte.
///
/// Added tokens (`<|endoftext|>` and any user-defined ones) are split out of the raw text first
/// and never pass through the pre-tokenizer. Files are Hugging Face `tokenizer.json`
/// (`save(to:)`, `load(from:)`) or GPT-2's `vocab.json` + `merges.txt` (`loadGPT2`).
public struct BPETokenizer: Tokenizer {
    let model: BPEModel
    /// Threads used to encode long texts (shorter ones use one).
    public var threads: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)
    private static let parallelThreshold = 1 << 18

    init(model: BPEModel) {
        self.model = model
    }

    /// Builds a tokenizer from token strings (byte-level, as in `vocab.json`) and merges given
    /// as pairs of token strings, earliest first. `source` names the origin in error messages.
    public init(vocabulary: [String: Int], merges: [(String, String)], addedTokens: [AddedToken] = [],
                options: BPEOptions = BPEOptions(), source: String = "vocabulary") throws {
        func fail(_ reason: String) -> TokenizerError { .malformedFile(path: source, reason: reason) }
        guard let largest = vocabulary.values.max() else { throw fail("the vocabulary is empty") }
        guard largest < 1 << 26 else { throw fail("token id \(largest) is implausibly large") }
        var tokens = [String?](repeating: nil, count: largest + 1)
        for (token, id) in vocabulary.sorted(by: { $0.value < $1.value }) {
            guard id >= 0 else { throw fail("token \(JSONText.quoted(token)) has negative id \(id)") }
            if let other = tokens[id] {
                throw fail("tokens \(JSONText.quoted(other)) and \(JSONText.quoted(token)) share id \(id)")
            }
            tokens[id] = token
        }
        for token in addedTokens {
            guard token.id >= 0, token.id < 1 << 26 else { throw fail("added token id \(token.id) is out of range") }
            if token.id < tokens.count, let other = tokens[token.id], other != token.content {
                throw fail("added token \(JSONText.quoted(token.content)) has id \(token.id), "
                           + "which the vocabulary gives to \(JSONText.quoted(other))")
            }
        }
        var ruleList: [BPEMerge] = []
        ruleList.reserveCapacity(merges.count)
        for (index, merge) in merges.enumerated() {
            guard let first = vocabulary[merge.0], let second = vocabulary[merge.1] else {
                let missing = vocabulary[merge.0] == nil ? merge.0 : merge.1
                throw fail("merge \(index) (\(merge.0) \(merge.1)): \(JSONText.quoted(missing)) is not in the vocabulary")
            }
            guard let result = vocabulary[merge.0 + merge.1] else {
                throw fail("merge \(index) (\(merge.0) \(merge.1)): the merged token "
                           + "\(JSONText.quoted(merge.0 + merge.1)) is not in the vocabulary")
            }
            ruleList.append(BPEMerge(first: Int32(first), second: Int32(second), result: Int32(result)))
        }
        model = BPEModel(tokens: tokens, merges: ruleList, addedTokens: addedTokens, options: options)
    }

    public var vocabSize: Int { model.vocabSize }
    public var merges: [BPEMerge] { model.merges }
    public var addedTokens: [AddedToken] { model.addedTokens }
    public var options: BPEOptions { model.options }

    /// The vocabulary string of `id` (byte-level for model tokens), or nil for an unused id.
    public func token(forID id: Int) -> String? {
        id >= 0 && id < model.tokens.count ? model.tokens[id] : nil
    }

    public func id(forToken token: String) -> Int? { model.id(forToken: token) }

    public func encode(_ text: String) -> [Int] {
        var text = text
        return text.withUTF8 { encode(validUTF8: $0) }
    }

    /// Encodes bytes that are known to be valid UTF-8 (as every Swift `String` is).
    func encode(validUTF8 buffer: UnsafeBufferPointer<UInt8>) -> [Int] {
        guard let base = buffer.baseAddress, !buffer.isEmpty else { return [] }
        let splits = splitPoints(base, buffer.count)
        if splits.count == 2 {
            var output: [Int] = []
            output.reserveCapacity(buffer.count / 3)
            BPEEncoder(model: model, expectedBytes: buffer.count)
                .encode(base, from: 0, to: buffer.count, endsText: true, into: &output)
            return output
        }
        let parts = splits.count - 1
        var results = [[Int]](repeating: [], count: parts)
        results.withUnsafeMutableBufferPointer { slots in
            let slotsBase = slots.baseAddress!
            DispatchQueue.concurrentPerform(iterations: parts) { part in
                var output: [Int] = []
                output.reserveCapacity((splits[part + 1] - splits[part]) / 3)
                BPEEncoder(model: model, expectedBytes: splits[part + 1] - splits[part])
                    .encode(base, from: splits[part], to: splits[part + 1], endsText: part == parts - 1, into: &output)
                (slotsBase + part).pointee = output
            }
        }
        var output: [Int] = []
        output.reserveCapacity(results.reduce(0) { $0 + $1.count })
        for part in results { output.append(contentsOf: part) }
        return output
    }

    /// Where to cut the text for parallel encoding: only just after a newline that a
    /// non-space ASCII byte follows, where GPT-2's pattern always ends a piece, and never
    /// next to an added token. Returns the cut offsets, starting with 0 and ending with `count`.
    func splitPoints(_ base: UnsafePointer<UInt8>, _ count: Int) -> [Int] {
        splitPoints(base, count, matcher: model.addedTokenMatcher)
    }

    func splitPoints(_ base: UnsafePointer<UInt8>, _ count: Int, matcher: AddedTokenMatcher) -> [Int] {
        guard threads > 1, count >= Self.parallelThreshold, !model.options.addPrefixSpace else { return [0, count] }
        var points = [0]
        for part in 1..<threads {
            var position = max(count * part / threads, points.last! + 1)
            while position < count {
                let byte = base[position]
                if base[position - 1] == 0x0A && byte < 0x80 && !isASCIIWhitespace(byte)
                    && !matcher.touchesBoundary(base, at: position, start: 0, end: count) {
                    break
                }
                position += 1
            }
            if position < count { points.append(position) }
        }
        points.append(count)
        return points
    }

    private func isASCIIWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (byte >= 0x09 && byte <= 0x0D)
    }

    public func decode(_ ids: [Int]) throws -> String {
        String(decoding: try decodeBytes(ids), as: UTF8.self)
    }

    /// The raw bytes of `ids`, which may end inside a multi-byte character (as a stream of
    /// generated tokens can).
    public func decodeBytes(_ ids: [Int]) throws -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(ids.count * 4)
        for (position, id) in ids.enumerated() {
            guard id >= 0, id < model.tokens.count, model.tokens[id] != nil else {
                throw TokenizerError.idOutOfRange(id: id, position: position, vocabSize: model.vocabSize)
            }
            bytes.append(contentsOf: model.bytesForID[id])
        }
        return bytes
    }
}
