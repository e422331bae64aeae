import Foundation

extension KneserNeyModel {
    /// Estimates an interpolated modified Kneser-Ney model (Chen & Goodman 1998, with KenLM's
    /// handling of sentence starts) from lines of text, one sentence per line; empty lines are skipped.
    ///
    /// - The highest order uses raw counts. Lower orders use continuation counts (how many distinct
    ///   tokens precede the n-gram), except n-grams that begin with <s>, which nothing can precede,
    ///   so they keep raw counts.
    /// - Each order k has discounts D1, D2, D3+ from its count-of-counts n1..n4:
    ///   Y = n1 / (n1 + 2 n2), Di = i - (i + 1) Y n(i+1) / n(i). When a count-of-count is zero or a
    ///   discount falls outside (0, i], that order falls back to (0.5, 1.0, 1.5) (tiny corpora only).
    /// - p(w | h) = (a(hw) - D(a(hw))) / a(h•) + γ(h) p(w | h'), γ(h) = (D1 N1(h•) + D2 N2(h•) + D3 N3+(h•)) / a(h•),
    ///   and the unigram level interpolates with the uniform distribution over all tokens but <s>.
    public static func train(lines: [Substring], order: Int, unit: NGramUnit) throws -> KneserNeyModel {
        guard order >= 1 else { throw TextModelError("n-gram order must be at least 1, got \(order)") }
        var vocabulary = NGramVocabulary()
        // All sentences in one flat stream; `starts` marks where each padded sentence begins.
        var stream: [Int32] = []
        var starts: [Int] = []
        for line in lines {
            let tokens = unit.tokens(of: line)
            if tokens.isEmpty { continue }
            starts.append(stream.count)
            stream.append(NGramVocabulary.sentenceStart)
            for token in tokens {
                let id = vocabulary.add(token)
                // A literal "<s>" in the text cannot be a sentence start inside a sentence.
                stream.append(id == NGramVocabulary.sentenceStart ? NGramVocabulary.unknown : id)
            }
            stream.append(NGramVocabulary.sentenceEnd)
        }
        guard !starts.isEmpty else { throw TextModelError("the training text has no tokens") }
        starts.append(stream.count)
        let counts = countAdjusted(stream: stream, starts: starts, order: order, vocabularySize: vocabulary.count)
        return estimate(tables: counts.tables, counts: counts.counts, vocabulary: vocabulary, unit: unit)
    }

    /// Tables for orders 1...order with their adjusted counts (raw or continuation, see `train`).
    static func countAdjusted(stream: [Int32], starts: [Int], order: Int, vocabularySize: Int)
        -> (tables: [NGramTable], counts: [[Int32]]) {
        var tables: [NGramTable] = []
        var counts: [[Int32]] = []
        let expected = min(stream.count, 1 << 22)
        for k in 1...order {
            tables.append(NGramTable(order: k, expectedCount: k == 1 ? vocabularySize : expected / 2))
            counts.append([])
        }
        // Unigram entry numbers equal word ids.
        for id in 0..<vocabularySize { _ = tables[0].findOrInsert([Int32(id)]) }
        counts[0] = [Int32](repeating: 0, count: vocabularySize)
        stream.withUnsafeBufferPointer { stream in
            let base = stream.baseAddress!
            for s in 0..<(starts.count - 1) {
                let start = starts[s], length = starts[s + 1] - starts[s]
                if length >= order {
                    for position in start...(start + length - order) {
                        let (entry, inserted) = tables[order - 1].findOrInsert(base + position)
                        if inserted { counts[order - 1].append(0) }
                        counts[order - 1][entry] += 1
                    }
                }
                for k in stride(from: min(order - 1, length), through: 1, by: -1) {
                    let (entry, inserted) = tables[k - 1].findOrInsert(base + start)
                    if inserted { counts[k - 1].append(0) }
                    counts[k - 1][entry] += 1
                }
            }
        }
        // Each distinct (k+1)-gram adds one left extension to its k-token suffix.
        if order >= 2 {
            for k in stride(from: order - 1, through: 1, by: -1) {
                let higher = tables[k]
                higher.ids.withUnsafeBufferPointer { ids in
                    for entry in 0..<higher.count {
                        let (suffix, inserted) = tables[k - 1].findOrInsert(ids.baseAddress! + entry * (k + 1) + 1)
                        if inserted { counts[k - 1].append(0) }
                        counts[k - 1][suffix] += 1
                    }
                }
            }
        }
        return (tables, counts)
    }

    static func discounts(counts: [Int32], skip: Int32?) -> [Double] {
        var countOfCounts = [Double](repeating: 0, count: 5)
        for (entry, count) in counts.enumerated() where count >= 1 && count <= 4 && Int32(entry) != skip {
            countOfCounts[Int(count)] += 1
        }
        let n = countOfCounts
        let fallback = [0.5, 1.0, 1.5]
        guard n[1] > 0, n[2] > 0, n[3] > 0, n[4] > 0 else { return fallback }
        let y = n[1] / (n[1] + 2 * n[2])
        let result = (1...3).map { i in Double(i) - Double(i + 1) * y * n[i + 1] / n[i] }
        for (i, d) in result.enumerated() where !(d > 0 && d <= Double(i + 1)) { return fallback }
        return result
    }

    static func estimate(tables: [NGramTable], counts: [[Int32]], vocabulary: NGramVocabulary,
                         unit: NGramUnit) -> KneserNeyModel {
        let order = tables.count
        var allDiscounts: [[Double]] = []
        for k in 1...order {
            allDiscounts.append(discounts(counts: counts[k - 1], skip: k == 1 ? NGramVocabulary.sentenceStart : nil))
        }
        @inline(__always) func discount(_ d: [Double], _ count: Int32) -> Double {
            count <= 0 ? 0 : d[Int(min(count, 3)) - 1]
        }
        // Unigrams: interpolate with the uniform distribution over every token but <s>.
        var probabilities: [[Double]] = [[Double](repeating: 0, count: vocabulary.count)]
        var gammas: [[Double]] = tables.map { [Double](repeating: 0, count: $0.count) }
        do {
            let d = allDiscounts[0]
            var total = 0.0, mass = 0.0
            for (id, count) in counts[0].enumerated() where Int32(id) != NGramVocabulary.sentenceStart {
                total += Double(count)
                mass += discount(d, count)
            }
            let uniform = 1.0 / Double(vocabulary.count - 1)
            let gamma = total > 0 ? mass / total : 1
            for (id, count) in counts[0].enumerated() where Int32(id) != NGramVocabulary.sentenceStart {
                let discounted = total > 0 ? (Double(count) - discount(d, count)) / total : 0
                probabilities[0][id] = discounted + gamma * uniform
            }
        }
        for k in stride(from: 2, through: order, by: 1) {
            let d = allDiscounts[k - 1]
            let table = tables[k - 1]
            let contextTable = tables[k - 2]
            var contextOf = [Int32](repeating: 0, count: table.count)
            var totals = [Double](repeating: 0, count: contextTable.count)
            var masses = [Double](repeating: 0, count: contextTable.count)
            table.ids.withUnsafeBufferPointer { ids in
                for entry in 0..<table.count {
                    let context = contextTable.find(ids.baseAddress! + entry * k)
                    precondition(context >= 0, "every n-gram's context is itself counted")
                    contextOf[entry] = Int32(context)
                    let count = counts[k - 1][entry]
                    totals[context] += Double(count)
                    masses[context] += discount(d, count)
                }
            }
            for context in 0..<contextTable.count where totals[context] > 0 {
                gammas[k - 2][context] = masses[context] / totals[context]
            }
            var levelProbabilities = [Double](repeating: 0, count: table.count)
            let lower = tables[k - 2]
            table.ids.withUnsafeBufferPointer { ids in
                for entry in 0..<table.count {
                    let context = Int(contextOf[entry])
                    let count = counts[k - 1][entry]
                    let suffix = lower.find(ids.baseAddress! + entry * k + 1)
                    precondition(suffix >= 0, "every n-gram's suffix is itself counted")
                    levelProbabilities[entry] = (Double(count) - discount(d, count)) / totals[context]
                        + gammas[k - 2][context] * probabilities[k - 2][suffix]
                }
            }
            probabilities.append(levelProbabilities)
        }
        var logProbabilities = probabilities.map { level in level.map { Float(log10($0)) } }
        logProbabilities[0][Int(NGramVocabulary.sentenceStart)] = -99
        var logBackoffs = gammas.map { level in level.map { $0 > 0 ? Float(log10($0)) : 0 } }
        logBackoffs[order - 1] = [Float](repeating: 0, count: tables[order - 1].count)
        return KneserNeyModel(order: order, unit: unit, vocabulary: vocabulary, tables: tables,
                              logProbabilities: logProbabilities, logBackoffs: logBackoffs, discounts: allDiscounts)
    }
}
