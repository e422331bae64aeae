import Foundation

/// An n-gram language model in back-off form, as an ARPA file holds it: every stored n-gram has
/// a log10 probability (already interpolated with the lower orders) and every stored context a
/// log10 back-off weight. Training (`KneserNeyModel.train`) fills it with interpolated modified
/// Kneser-Ney estimates; `ARPAFormat` writes and reads it without changing a bit.
public struct KneserNeyModel: Sendable {
    public let order: Int
    public var unit: NGramUnit
    public internal(set) var vocabulary: NGramVocabulary
    /// `tables[k - 1]` holds the n-grams of order k. Unigram entry numbers equal word ids.
    var tables: [NGramTable]
    var logProbabilities: [[Float]]
    var logBackoffs: [[Float]]
    /// Chen & Goodman's D1, D2, D3+ per order (empty for a model read from ARPA).
    public internal(set) var discounts: [[Double]] = []

    /// The log10 probability that `word` follows `history` (most recent token last; only the
    /// last `order - 1` tokens matter). Unknown ids must already be mapped to <unk>.
    public func logProbability(of word: Int32, after history: [Int32]) -> Float {
        var scratch = [Int32](repeating: 0, count: order)
        let padded = history.isEmpty ? [NGramVocabulary.unknown] : history
        return scratch.withUnsafeMutableBufferPointer { scratch in
            padded.withUnsafeBufferPointer { padded in
                logProbability(word, padded.baseAddress!, history.count, scratch.baseAddress!)
            }
        }
    }

    /// Back-off scoring: use the longest stored n-gram ending in `word`, adding the back-off
    /// weight of each context that had to be shortened on the way down.
    @inline(__always)
    func logProbability(_ word: Int32, _ history: UnsafePointer<Int32>, _ historyCount: Int,
                        _ scratch: UnsafeMutablePointer<Int32>) -> Float {
        var backoff: Float = 0
        var length = min(order - 1, historyCount)
        while length > 0 {
            for i in 0..<length { scratch[i] = history[historyCount - length + i] }
            scratch[length] = word
            let entry = tables[length].find(UnsafePointer(scratch))
            if entry >= 0 { return backoff + logProbabilities[length][entry] }
            let context = tables[length - 1].find(UnsafePointer(scratch))
            if context >= 0 { backoff += logBackoffs[length - 1][context] }
            length -= 1
        }
        return backoff + logProbabilities[0][Int(word)]
    }

    /// Ids of a line's tokens, with unknown tokens mapped to <unk>; also returns how many were unknown.
    public func ids(of line: Substring) -> (ids: [Int32], unknown: Int) {
        var unknown = 0
        let ids = unit.tokens(of: line).map { token -> Int32 in
            if let id = vocabulary.id(of: token), id != NGramVocabulary.sentenceStart { return id }
            unknown += 1
            return NGramVocabulary.unknown
        }
        return (ids, unknown)
    }

    public struct Evaluation: Sendable {
        /// Sum of log10 probabilities over all scored tokens, </s> included, OOVs scored as <unk>.
        public var logProbability: Double = 0
        /// Tokens scored, one </s> per line included.
        public var tokens = 0
        /// Tokens not in the vocabulary (scored as <unk>, as KenLM does).
        public var outOfVocabulary = 0
        public var logProbabilityWithoutOutOfVocabulary: Double = 0
        public var sentences = 0

        public var perplexity: Double { tokens == 0 ? .nan : pow(10, -logProbability / Double(tokens)) }
        /// Perplexity over in-vocabulary tokens only (KenLM's "excluding OOVs").
        public var perplexityWithoutOutOfVocabulary: Double {
            let kept = tokens - outOfVocabulary
            return kept == 0 ? .nan : pow(10, -logProbabilityWithoutOutOfVocabulary / Double(kept))
        }
    }

    /// Scores every non-empty line as a sentence: <s> w1 ... wn </s>.
    public func evaluate(lines: [Substring]) -> Evaluation {
        var result = Evaluation()
        var scratch = [Int32](repeating: 0, count: order)
        var history: [Int32] = []
        for line in lines {
            let (ids, _) = self.ids(of: line)
            if ids.isEmpty { continue }
            result.sentences += 1
            history.removeAll(keepingCapacity: true)
            history.append(NGramVocabulary.sentenceStart)
            for word in ids + [NGramVocabulary.sentenceEnd] {
                let score = scratch.withUnsafeMutableBufferPointer { scratch in
                    history.withUnsafeBufferPointer { history in
                        logProbability(word, history.baseAddress!, history.count, scratch.baseAddress!)
                    }
                }
                result.logProbability += Double(score)
                result.tokens += 1
                if word == NGramVocabulary.unknown {
                    result.outOfVocabulary += 1
                } else {
                    result.logProbabilityWithoutOutOfVocabulary += Double(score)
                }
                history.append(word)
                if history.count >= order { history.removeFirst(history.count - (order - 1)) }
            }
        }
        return result
    }

    /// Draws `count` sentences from the model, each stopping at </s> or after `maxTokens` tokens.
    /// <unk> is never drawn (its probability mass is left out and the rest renormalized).
    public func generate(count: Int, seed: UInt64, maxTokens: Int = 200) -> [String] {
        var generator = TextModelGenerator(seed: seed)
        var sentences: [String] = []
        var scratch = [Int32](repeating: 0, count: order)
        var weights = [Double](repeating: 0, count: vocabulary.count)
        for _ in 0..<count {
            var history: [Int32] = [NGramVocabulary.sentenceStart]
            var words: [String] = []
            while words.count < maxTokens {
                let context = Array(history.suffix(order - 1))
                var total = 0.0
                scratch.withUnsafeMutableBufferPointer { scratch in
                    context.withUnsafeBufferPointer { context in
                        for word in 0..<vocabulary.count {
                            let id = Int32(word)
                            if id == NGramVocabulary.unknown || id == NGramVocabulary.sentenceStart {
                                weights[word] = 0
                                continue
                            }
                            let p = pow(10, Double(logProbability(id, context.baseAddress!, context.count, scratch.baseAddress!)))
                            weights[word] = p
                            total += p
                        }
                    }
                }
                var target = generator.nextUnit() * total
                var chosen = Int(NGramVocabulary.sentenceEnd)
                for word in 0..<weights.count where weights[word] > 0 {
                    target -= weights[word]
                    if target < 0 { chosen = word; break }
                }
                if Int32(chosen) == NGramVocabulary.sentenceEnd { break }
                words.append(vocabulary.words[chosen])
                history.append(Int32(chosen))
            }
            sentences.append(unit.join(words))
        }
        return sentences
    }

    /// How many n-grams of each order the model stores.
    public var ngramCounts: [Int] { tables.map(\.count) }
}
