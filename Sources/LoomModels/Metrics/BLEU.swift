import Foundation

/// Corpus BLEU-4 as sacreBLEU defines it: clipped n-gram matches (n = 1…4) and candidate
/// n-gram counts summed over the whole corpus, the geometric mean of the four precisions,
/// times the brevity penalty exp(1 - r/c) when the total candidate length c is below the
/// total reference length r. One reference per sentence; the score is on a 0–100 scale
/// and is 0 when some precision has no match (no smoothing).
public struct CorpusBLEU {
    public private(set) var matches = [Int](repeating: 0, count: 4)
    public private(set) var totals = [Int](repeating: 0, count: 4)
    public private(set) var candidateLength = 0
    public private(set) var referenceLength = 0

    public init() {}

    public mutating func add(hypothesis: [String], reference: [String]) {
        candidateLength += hypothesis.count
        referenceLength += reference.count
        for n in 1...4 {
            let hyp = Self.ngrams(hypothesis, n), ref = Self.ngrams(reference, n)
            for (gram, count) in hyp { matches[n - 1] += min(count, ref[gram] ?? 0) }
            totals[n - 1] += max(hypothesis.count - n + 1, 0)
        }
    }

    static func ngrams(_ tokens: [String], _ n: Int) -> [[String]: Int] {
        var counts: [[String]: Int] = [:]
        guard tokens.count >= n else { return counts }
        for i in 0...(tokens.count - n) { counts[Array(tokens[i..<(i + n)]), default: 0] += 1 }
        return counts
    }

    public var precisions: [Double] {
        (0..<4).map { totals[$0] == 0 ? 0 : Double(matches[$0]) / Double(totals[$0]) }
    }

    public var brevityPenalty: Double {
        guard candidateLength > 0 else { return 0 }
        return candidateLength >= referenceLength ? 1 : Foundation.exp(1 - Double(referenceLength) / Double(candidateLength))
    }

    public var score: Double {
        let p = precisions
        guard p.allSatisfy({ $0 > 0 }) else { return 0 }
        return 100 * brevityPenalty * Foundation.exp(p.map { Foundation.log($0) }.reduce(0, +) / 4)
    }

    /// Words for BLEU, close to sacreBLEU's default "13a" tokenizer: punctuation marks
    /// become tokens of their own, except periods and commas between digits.
    public static func tokenize(_ text: String) -> [String] {
        var tokens: [String] = []
        var current = ""
        let characters = Array(text)
        for (i, ch) in characters.enumerated() {
            if ch.isWhitespace {
                if !current.isEmpty { tokens.append(current); current = "" }
                continue
            }
            let betweenDigits = (ch == "." || ch == ",") && i > 0 && i + 1 < characters.count
                && characters[i - 1].isNumber && characters[i + 1].isNumber
            if (ch.isPunctuation || ch.isSymbol) && !betweenDigits {
                if !current.isEmpty { tokens.append(current); current = "" }
                tokens.append(String(ch))
            } else {
                current.append(ch)
            }
        }
        if !current.isEmpty { tokens.append(current) }
        return tokens
    }
}
