import Foundation

/// Learns byte-level BPE merges from a corpus, as Hugging Face's `BpeTrainer` does with a
/// ByteLevel pre-tokenizer and the full byte alphabet: ids start with the special tokens, then
/// the 256 bytes in the order of their scalars, then one id per merge. At each step the most
/// frequent adjacent pair is merged; ties go to the pair with the smaller ids. On the same
/// corpus and settings the two produce the same vocabulary and merges. One difference: special
/// tokens found in the corpus are split out before pre-tokenization (as `encode` does), where
/// Hugging Face's trainer counts them as ordinary text.
///
/// The corpus is pre-tokenized once (on all threads) into distinct words with counts. Pair
/// counts are then kept up to date incrementally: a merge only touches the words that hold
/// the pair, and a max-heap with lazily refreshed counts picks the next pair.
public struct BPETrainer: Sendable {
    public var vocabSize: Int
    /// Matched in the corpus before pre-tokenization and given the first ids.
    public var specialTokens: [String]
    /// Stop when the best pair occurs fewer times than this.
    public var minFrequency: Int
    public var threads: Int

    public init(vocabSize: Int = 8000, specialTokens: [String] = ["<|endoftext|>"], minFrequency: Int = 0,
                threads: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)) {
        self.vocabSize = vocabSize
        self.specialTokens = specialTokens
        self.minFrequency = minFrequency
        self.threads = threads
    }

    /// `progress(merges, target)` is called now and then while merging.
    public func train(_ text: String, source: String = "corpus",
                      progress: ((Int, Int) -> Void)? = nil) throws -> BPETokenizer {
        var specials: [String] = []
        for token in specialTokens where !specials.contains(token) {
            guard !token.isEmpty else { throw TokenizerError.invalidOption("a special token must not be empty") }
            specials.append(token)
        }
        guard vocabSize >= 256 + specials.count else {
            throw TokenizerError.invalidOption("vocab size \(vocabSize) is smaller than the 256 byte tokens plus "
                                               + "\(specials.count) special token(s)")
        }
        let addedTokens = specials.enumerated().map { AddedToken(id: $0.offset, content: $0.element) }
        let matcher = AddedTokenMatcher(addedTokens)
        var text = text
        let wordCounts = text.withUTF8 { countWords($0, matcher: matcher) }
        if wordCounts.count == 0 { throw TokenizerError.emptyCorpus(source: source) }

        var state = BPETrainingState(specials: specials)
        state.load(wordCounts)
        state.merge(untilVocabularySize: vocabSize, minFrequency: max(1, minFrequency), progress: progress)
        let model = BPEModel(tokens: state.tokenStrings, merges: state.merges, addedTokens: addedTokens,
                             options: BPEOptions())
        var tokenizer = BPETokenizer(model: model)
        tokenizer.threads = threads
        return tokenizer
    }

    /// Distinct pre-tokens of the corpus with their counts, counted on `threads` threads.
    func countWords(_ buffer: UnsafeBufferPointer<UInt8>, matcher: AddedTokenMatcher) -> ByteStringTable {
        guard let base = buffer.baseAddress, !buffer.isEmpty else { return ByteStringTable() }
        var splitter = BPETokenizer(model: BPEModel(tokens: [], merges: [], addedTokens: [], options: BPEOptions()))
        splitter.threads = threads
        let splits = splitter.splitPoints(base, buffer.count, matcher: matcher)
        let parts = splits.count - 1
        var tables = [ByteStringTable?](repeating: nil, count: parts)
        tables.withUnsafeMutableBufferPointer { slots in
            let slotsBase = slots.baseAddress!
            DispatchQueue.concurrentPerform(iterations: parts) { part in
                let table = ByteStringTable(minimumCapacity: 1 << 14)
                Self.countWords(base, from: splits[part], to: splits[part + 1], endsText: part == parts - 1,
                                matcher: matcher, into: table)
                (slotsBase + part).pointee = table
            }
        }
        let total = tables[0]!
        for table in tables.dropFirst() { total.addAll(from: table!) }
        return total
    }

    private static func countWords(_ base: UnsafePointer<UInt8>, from start: Int, to end: Int, endsText: Bool,
                                   matcher: AddedTokenMatcher, into table: ByteStringTable) {
        var position = start
        while position < end {
            let match = matcher.isEmpty ? nil : matcher.firstMatch(in: base, from: position, to: end)
            let segmentEnd = match?.start ?? end
            if segmentEnd > position {
                let preTokenizer = ByteLevelPreTokenizer(base: base, end: segmentEnd, endsText: match != nil || endsText)
                preTokenizer.forEachPiece(from: position) { pieceStart, pieceEnd in
                    table.add(base + pieceStart, pieceEnd - pieceStart, 1)
                }
            }
            guard let match else { break }
            position = match.end
        }
    }
}
