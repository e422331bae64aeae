import Foundation
import LoomCore
import LoomData
import LoomTensor

/// One training pair as token ids, without start or end markers.
public struct Seq2SeqExample: Sendable {
    public var source: [Int32]
    public var target: [Int32]
    public var line: Int
}

/// A padded batch. Sources are `(B, S)` with their lengths; decoder inputs are `<s> y…`
/// and decoder targets `y… </s>`, both `(B, T)` padded with `<pad>` (0).
public struct Seq2SeqBatch {
    public var source: [Int32]
    public var sourceLengths: [Int]
    public var sourceLength: Int
    public var decoderInput: [Int32]
    public var decoderTarget: [Int32]
    public var targetLength: Int
    public var count: Int { sourceLengths.count }
    /// Real (non-padding) target tokens, for per-token loss reporting.
    public var targetTokens: Int { decoderTarget.reduce(0) { $0 + ($1 == Int32(Seq2SeqVocabulary.padding) ? 0 : 1) } }

    public init(_ examples: [Seq2SeqExample]) {
        precondition(!examples.isEmpty, "a batch needs at least one example")
        let pad = Int32(Seq2SeqVocabulary.padding)
        sourceLength = max(1, examples.map(\.source.count).max()!)
        targetLength = examples.map(\.target.count).max()! + 1
        sourceLengths = examples.map { max(1, $0.source.count) }
        source = []; decoderInput = []; decoderTarget = []
        source.reserveCapacity(examples.count * sourceLength)
        for e in examples {
            // An empty source still gets one position, so every row has something to attend to.
            let s = e.source.isEmpty ? [Int32(Seq2SeqVocabulary.unknown)] : e.source
            source += s + Array(repeating: pad, count: sourceLength - s.count)
            let input = [Int32(Seq2SeqVocabulary.start)] + e.target
            let output = e.target + [Int32(Seq2SeqVocabulary.end)]
            decoderInput += input + Array(repeating: pad, count: targetLength - input.count)
            decoderTarget += output + Array(repeating: pad, count: targetLength - output.count)
        }
    }
}

/// Pairs from a `source<TAB>target` file, encoded with a model's vocabularies.
public struct Seq2SeqDataset {
    public let rows: [TSVRow]
    public let examples: [Seq2SeqExample]

    public init(rows: [TSVRow], vocabularies: Seq2SeqVocabularies, maximumLength: Int? = nil) {
        self.rows = rows
        examples = rows.map {
            var source = vocabularies.source.encode($0.first)
            var target = vocabularies.target.encode($0.second)
            if let maximumLength {
                source = Array(source.prefix(maximumLength))
                target = Array(target.prefix(maximumLength))
            }
            return Seq2SeqExample(source: source, target: target, line: $0.line)
        }
    }

    public static func read(_ path: String) throws -> [TSVRow] {
        let rows = try TSV.read(URL(fileURLWithPath: path))
        guard !rows.isEmpty else { throw LoomError("\(path): no `source<TAB>target` lines") }
        return rows
    }

    public var count: Int { examples.count }

    /// The target side is phones (space-separated) when most targets contain a space and
    /// every space-separated token is short; otherwise it is characters.
    public static func guessTargetUnit(_ rows: [TSVRow]) -> TokenUnit {
        let sample = rows.prefix(2000)
        let spaced = sample.filter { $0.second.contains(" ") }.count
        let longest = sample.flatMap { $0.second.split(separator: " ") }.map(\.count).max() ?? 0
        return spaced * 10 >= sample.count * 9 && longest <= 4 ? .spaceSeparated : .characters
    }

    /// One epoch of batches of similar length: the examples are shuffled, cut into pools of
    /// 50 batches, each pool sorted by length and cut into batches, and the batches shuffled,
    /// so padding stays small while the order stays random.
    public func epochBatches(batchSize: Int, using rng: inout RandomGenerator) -> [[Int]] {
        var order = Array(0..<count)
        order.shuffle(using: &rng)
        let pool = batchSize * 50
        var batches: [[Int]] = []
        var start = 0
        while start < order.count {
            let chunk = order[start..<min(start + pool, order.count)].sorted {
                let a = examples[$0], b = examples[$1]
                return (a.source.count, a.target.count, $0) < (b.source.count, b.target.count, $1)
            }
            var i = 0
            while i < chunk.count {
                batches.append(Array(chunk[i..<min(i + batchSize, chunk.count)]))
                i += batchSize
            }
            start += pool
        }
        batches.shuffle(using: &rng)
        return batches
    }

    /// Batches in file order of sorted lengths, for evaluation; each index list maps back to rows.
    public func evaluationBatches(batchSize: Int) -> [[Int]] {
        let order = (0..<count).sorted { (examples[$0].source.count, $0) < (examples[$1].source.count, $1) }
        return stride(from: 0, to: order.count, by: batchSize).map { Array(order[$0..<min($0 + batchSize, order.count)]) }
    }

    public func batch(_ indices: [Int]) -> Seq2SeqBatch { Seq2SeqBatch(indices.map { examples[$0] }) }
}
