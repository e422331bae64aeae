import Foundation
import LoomTensor

/// A trained model as a `StepwiseDecoder`, with the attention weights of the last step kept
/// for `--show-attention`.
public final class Seq2SeqStepper: StepwiseDecoder {
    public let model: Seq2SeqModel
    public private(set) var lastWeights: Tensor?

    public init(model: Seq2SeqModel) { self.model = model }

    public var vocabularySize: Int { model.config.targetVocabularySize }

    public func step(_ tokens: [Int], _ state: Seq2SeqDecoderState) -> (logProbabilities: [Float], state: Seq2SeqDecoderState) {
        let (attentional, weights, next) = model.decodeStep(tokens.map(Int32.init), state)
        lastWeights = weights
        return (model.logProbabilities(attentional).scalars, next)
    }

    public func select(_ state: Seq2SeqDecoderState, rows: [Int]) -> Seq2SeqDecoderState {
        state.rows(rows.map(Int32.init))
    }
}

/// A decoded output with, when asked, the attention weights of each output step over the source.
public struct Translation {
    public var tokens: [Int]
    public var logProbability: Double
    /// `attention[t][s]`: weight of source position s when producing output token t.
    public var attention: [[Float]]?
}

/// Greedy (beam 1) or beam-search translation of source token lists, in batches.
public struct Seq2SeqTranslator {
    public let model: Seq2SeqModel
    public var beamWidth = 1
    public var normalization = LengthNormalization.gnmt(alpha: 0.6)
    public var batchSize = 64

    public init(model: Seq2SeqModel, beamWidth: Int = 1) {
        self.model = model
        self.beamWidth = beamWidth
    }

    /// The longest output allowed for a source of `length` tokens.
    public static func maximumLength(sourceLength: Int) -> Int { 2 * sourceLength + 10 }

    public func translate(_ sources: [[Int32]]) -> [Translation] {
        let wasTraining = model.isTraining
        model.eval()
        defer { model.train(wasTraining) }
        return withoutGradients {
            var results = [Translation?](repeating: nil, count: sources.count)
            let order = (0..<sources.count).sorted { (sources[$0].count, $0) < (sources[$1].count, $1) }
            var start = 0
            while start < order.count {
                // A batch holds sources of one length, so each output's length limit
                // follows its own source and no batch mate changes it.
                var end = start + 1
                while end < order.count && end - start < batchSize && sources[order[end]].count == sources[order[start]].count { end += 1 }
                let chunk = Array(order[start..<end])
                let examples = chunk.map { Seq2SeqExample(source: sources[$0], target: [], line: 0) }
                let batch = Seq2SeqBatch(examples)
                let state = model.encode(source: batch.source, lengths: batch.sourceLengths, steps: batch.sourceLength)
                let stepper = Seq2SeqStepper(model: model)
                let limit = Self.maximumLength(sourceLength: batch.sourceLength)
                let decoded = beamWidth == 1
                    ? greedyDecode(stepper, state: state, rows: chunk.count, startToken: Seq2SeqVocabulary.start,
                                   endToken: Seq2SeqVocabulary.end, maximumLength: limit)
                    : beamSearch(stepper, state: state, rows: chunk.count, beamWidth: beamWidth,
                                 startToken: Seq2SeqVocabulary.start, endToken: Seq2SeqVocabulary.end,
                                 maximumLength: limit, normalization: normalization)
                for (i, index) in chunk.enumerated() {
                    results[index] = Translation(tokens: decoded[i].tokens, logProbability: decoded[i].logProbability)
                }
                start = end
            }
            return results.map { $0! }
        }
    }

    /// Attention weights of the given output for one source, by forcing that output through
    /// the decoder (the path a decoder took, whatever the search that found it).
    public func attention(source: [Int32], output: [Int]) -> [[Float]]? {
        guard model.attention != nil else { return nil }
        let wasTraining = model.isTraining
        model.eval()
        defer { model.train(wasTraining) }
        return withoutGradients {
            var state = model.encode(source: source.isEmpty ? [Int32(Seq2SeqVocabulary.unknown)] : source,
                                     lengths: [max(1, source.count)], steps: max(1, source.count))
            var rows: [[Float]] = []
            for token in [Seq2SeqVocabulary.start] + output {
                let (_, weights, next) = model.decodeStep([Int32(token)], state)
                state = next
                rows.append(weights?.scalars ?? [])
            }
            return rows
        }
    }
}
