import Foundation

/// word2vec skip-gram with negative sampling (Mikolov et al. 2013), following the reference C
/// implementation: noise words drawn from unigram counts raised to 0.75, frequent words dropped
/// with probability 1 - (sqrt(f / (s T)) + 1) (s T) / f, a window shrunk at random for each word,
/// and a learning rate that falls linearly to 1e-4 of its start. One thread, so a seed fixes the result.
public enum Word2Vec {
    public struct Options: Sendable {
        public var dimension = 100
        public var window = 5
        public var negatives = 5
        public var epochs = 5
        public var minimumCount = 5
        public var subsampling = 1e-3
        public var learningRate = 0.025
        /// Lower-case tokens and trim punctuation from their ends ("Water," -> "water").
        public var normalizeTokens = false
        public var seed: UInt64 = 0
        public init() {}
    }

    public struct Report: Sendable {
        /// Mean negative-sampling loss per (word, context) pair in each epoch.
        public var epochLosses: [Double]
        public var trainingWords: Int
    }

    static func tokens(of line: Substring, normalize: Bool) -> [Substring] {
        let pieces = line.split(whereSeparator: { $0.isWhitespace })
        guard normalize else { return pieces }
        return pieces.compactMap { piece in
            let trimmed = piece.drop(while: { !$0.isLetter && !$0.isNumber }).reversed().drop(while: { !$0.isLetter && !$0.isNumber })
            return trimmed.isEmpty ? nil : Substring(String(trimmed.reversed()).lowercased())
        }
    }

    public static func train(lines: [Substring], options: Options,
                             progress: ((String) -> Void)? = nil) throws -> (embeddings: WordEmbeddings, report: Report) {
        guard options.dimension >= 1, options.window >= 1, options.negatives >= 1, options.epochs >= 1, options.minimumCount >= 1 else {
            throw TextModelError("word2vec options must be positive (dimension, window, negatives, epochs, min count)")
        }
        // Vocabulary: words seen at least minimumCount times, most frequent first.
        var frequency: [Substring: Int] = [:]
        let tokenized = lines.map { tokens(of: $0, normalize: options.normalizeTokens) }
        for line in tokenized { for token in line { frequency[token, default: 0] += 1 } }
        let kept = frequency.filter { $0.value >= options.minimumCount }
            .sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        guard kept.count >= 2 else {
            throw TextModelError("fewer than two words occur at least \(options.minimumCount) times; lower --min-count")
        }
        let words = kept.map { String($0.key) }, counts = kept.map(\.value)
        let idOf = Dictionary(uniqueKeysWithValues: kept.enumerated().map { ($1.key, Int32($0)) })
        var corpus: [Int32] = [], sentenceEnds: [Int] = []
        for line in tokenized {
            for token in line { if let id = idOf[token] { corpus.append(id) } }
            if sentenceEnds.last != corpus.count { sentenceEnds.append(corpus.count) }
        }
        let vocabularySize = words.count, dimension = options.dimension
        let totalWords = corpus.count
        progress?("\(vocabularySize) words kept of \(frequency.count), \(totalWords) training tokens")

        // Noise table: word w fills a share of slots proportional to count^0.75.
        let tableSize = 1 << 22
        var noiseTable = [Int32](repeating: 0, count: tableSize)
        do {
            let powers = counts.map { pow(Double($0), 0.75) }
            let total = powers.reduce(0, +)
            var word = 0, cumulative = powers[0] / total
            for slot in 0..<tableSize {
                noiseTable[slot] = Int32(word)
                if Double(slot + 1) / Double(tableSize) > cumulative, word < vocabularySize - 1 {
                    word += 1
                    cumulative += powers[word] / total
                }
            }
        }
        let threshold = options.subsampling * Double(totalWords)
        let keepProbability = counts.map { count -> Double in
            guard options.subsampling > 0 else { return 1 }
            return min(1, ((Double(count) / threshold).squareRoot() + 1) * threshold / Double(count))
        }

        var generator = TextModelGenerator(seed: options.seed)
        var input = [Float](repeating: 0, count: vocabularySize * dimension)  // (words, dimension)
        for i in 0..<input.count { input[i] = (Float(generator.nextUnit()) - 0.5) / Float(dimension) }
        var output = [Float](repeating: 0, count: vocabularySize * dimension)  // (words, dimension)
        var gradient = [Float](repeating: 0, count: dimension)
        var sentence: [Int32] = []
        var epochLosses: [Double] = []
        let totalSteps = Double(options.epochs * totalWords + 1)
        var processed = 0
        for epoch in 0..<options.epochs {
            var lossSum = 0.0, pairs = 0
            var sentenceStart = 0
            for end in sentenceEnds {
                sentence.removeAll(keepingCapacity: true)
                for position in sentenceStart..<end where generator.nextUnit() < keepProbability[Int(corpus[position])] {
                    sentence.append(corpus[position])
                }
                processed += end - sentenceStart
                sentenceStart = end
                let rate = Float(options.learningRate * max(1 - Double(processed) / totalSteps, 1e-4))
                input.withUnsafeMutableBufferPointer { input in
                    output.withUnsafeMutableBufferPointer { output in
                        gradient.withUnsafeMutableBufferPointer { gradient in
                            noiseTable.withUnsafeBufferPointer { noise in
                                for center in 0..<sentence.count {
                                    let shrink = generator.nextIndex(below: options.window)
                                    let reach = options.window - shrink
                                    let word = Int(sentence[center])
                                    for position in max(0, center - reach)...min(sentence.count - 1, center + reach) where position != center {
                                        // As in the reference code, the context word's input vector predicts the center word.
                                        let context = input.baseAddress! + Int(sentence[position]) * dimension
                                        for d in 0..<dimension { gradient[d] = 0 }
                                        for sample in 0...options.negatives {
                                            let target: Int
                                            if sample == 0 {
                                                target = word
                                            } else {
                                                target = Int(noise[Int(truncatingIfNeeded: generator.next() >> 42)])
                                                if target == word { continue }
                                            }
                                            let row = output.baseAddress! + target * dimension
                                            var dot: Float = 0
                                            for d in 0..<dimension { dot += context[d] * row[d] }
                                            let label: Float = sample == 0 ? 1 : 0
                                            let clipped = min(max(dot, -20), 20)
                                            let probability = 1 / (1 + exp(-clipped))
                                            lossSum -= Double(sample == 0 ? log(max(probability, 1e-7)) : log(max(1 - probability, 1e-7)))
                                            let step = (label - probability) * rate
                                            for d in 0..<dimension {
                                                gradient[d] += step * row[d]
                                                row[d] += step * context[d]
                                            }
                                        }
                                        for d in 0..<dimension { context[d] += gradient[d] }
                                        pairs += 1
                                    }
                                }
                            }
                        }
                    }
                }
            }
            let meanLoss = pairs > 0 ? lossSum / Double(pairs) : .nan
            epochLosses.append(meanLoss)
            progress?("epoch \(epoch + 1): train loss \(String(format: "%.4f", meanLoss)), lr \(String(format: "%.5f", options.learningRate * max(1 - Double(processed) / totalSteps, 1e-4)))")
        }
        let config: [String: Any] = [
            "model": "word2vec-skipgram-negative-sampling", "window": options.window, "negatives": options.negatives,
            "epochs": options.epochs, "min_count": options.minimumCount, "subsampling": options.subsampling,
            "learning_rate": options.learningRate, "normalize_tokens": options.normalizeTokens, "seed": options.seed,
        ]
        let embeddings = WordEmbeddings(words: words, counts: counts, dimension: dimension, vectors: input, config: config)
        return (embeddings, Report(epochLosses: epochLosses, trainingWords: totalWords))
    }
}
