import Foundation
import LoomTensor

/// What greedy and beam search need from a decoder: log-probabilities of the next token
/// for a batch of rows (one row per hypothesis), and a way to reorder rows.
public protocol StepwiseDecoder {
    associatedtype State
    var vocabularySize: Int { get }
    /// For each row, the previous token and the state: next-token log-probabilities, row
    /// after row (`rows × vocabularySize`), and the state after the step.
    func step(_ tokens: [Int], _ state: State) -> (logProbabilities: [Float], state: State)
    /// The state of the given rows, in that order (rows may repeat).
    func select(_ state: State, rows: [Int]) -> State
}

/// How finished hypotheses of different lengths are compared.
public enum LengthNormalization: Equatable, Sendable {
    /// The raw sum of log-probabilities (favours short outputs).
    case none
    /// The mean log-probability per token.
    case average
    /// GNMT (Wu et al. 2016): log P / ((5 + |Y|) / 6)^α.
    case gnmt(alpha: Double)

    /// `length` counts the generated tokens including the end token.
    public func score(_ logProbability: Double, length: Int) -> Double {
        switch self {
        case .none: return logProbability
        case .average: return logProbability / Double(max(length, 1))
        case let .gnmt(alpha): return logProbability / Foundation.pow((5 + Double(length)) / 6, alpha)
        }
    }
}

/// A decoded output: tokens without the end token, and its total log-probability.
public struct DecodedSequence: Equatable {
    public var tokens: [Int]
    public var logProbability: Double
}

/// Greedy decoding of every row at once: the most likely token at each step, until each
/// row has produced `endToken` or `maximumLength` tokens.
public func greedyDecode<D: StepwiseDecoder>(_ decoder: D, state: D.State, rows: Int, startToken: Int, endToken: Int,
                                             maximumLength: Int) -> [DecodedSequence] {
    var results = (0..<rows).map { _ in DecodedSequence(tokens: [], logProbability: 0) }
    var done = [Bool](repeating: false, count: rows)
    var previous = [Int](repeating: startToken, count: rows)
    var state = state
    let vocabulary = decoder.vocabularySize
    for _ in 0..<maximumLength where done.contains(false) {
        let (scores, next) = decoder.step(previous, state)
        state = next
        for r in 0..<rows where !done[r] {
            var best = 0
            for v in 1..<vocabulary where scores[r * vocabulary + v] > scores[r * vocabulary + best] { best = v }
            results[r].logProbability += Double(scores[r * vocabulary + best])
            if best == endToken { done[r] = true } else { results[r].tokens.append(best) }
            previous[r] = best
        }
    }
    return results
}

/// Beam search of width `beamWidth` for each of `rows` inputs, all hypotheses stepped as
/// one batch of `rows × beamWidth` decoder rows.
///
/// Each step ranks, per input, every extension of every live hypothesis by total
/// log-probability. Among the best `beamWidth` extensions, those ending in `endToken` are
/// finished; the live beam is refilled from the best non-ending extensions. An input is
/// done once it has `beamWidth` finished hypotheses (or at `maximumLength`, when the live
/// ones count as finished); the answer is the finished hypothesis with the best
/// length-normalized score. With width 1 this is exactly greedy decoding.
public func beamSearch<D: StepwiseDecoder>(_ decoder: D, state: D.State, rows: Int, beamWidth: Int, startToken: Int,
                                           endToken: Int, maximumLength: Int,
                                           normalization: LengthNormalization = .gnmt(alpha: 0.6)) -> [DecodedSequence] {
    precondition(beamWidth >= 1, "beam width must be at least 1")
    let k = beamWidth, vocabulary = decoder.vocabularySize
    // Row r·k + b is hypothesis b of input r. All start as copies; only beam 0 is live at first.
    var state = decoder.select(state, rows: (0..<rows * k).map { $0 / k })
    var sequences = [[Int]](repeating: [], count: rows * k)
    var totals = (0..<rows * k).map { $0 % k == 0 ? 0.0 : -Double.infinity }
    var finished = [[(sequence: DecodedSequence, score: Double)]](repeating: [], count: rows)
    var done = [Bool](repeating: false, count: rows)
    var previous = [Int](repeating: startToken, count: rows * k)
    for length in 1...max(maximumLength, 1) {
        let (scores, next) = decoder.step(previous, state)
        var parents: [Int] = [], tokens: [Int] = []
        var newSequences: [[Int]] = [], newTotals: [Double] = []
        for r in 0..<rows {
            if done[r] {
                for b in 0..<k { parents.append(r * k + b); tokens.append(endToken); newSequences.append([]); newTotals.append(-.infinity) }
                continue
            }
            var candidates: [(total: Double, parent: Int, token: Int)] = []
            candidates.reserveCapacity(k * vocabulary)
            for b in 0..<k where totals[r * k + b] > -.infinity {
                let row = r * k + b
                for v in 0..<vocabulary {
                    candidates.append((totals[row] + Double(scores[row * vocabulary + v]), row, v))
                }
            }
            // Ties go to the lower parent, then the lower token, as greedy's argmax does.
            candidates.sort { ($0.total, -$0.parent, -$0.token) > ($1.total, -$1.parent, -$1.token) }
            var live = 0
            for (rank, c) in candidates.enumerated() {
                if c.token == endToken {
                    if rank < k {
                        let sequence = DecodedSequence(tokens: sequences[c.parent], logProbability: c.total)
                        finished[r].append((sequence, normalization.score(c.total, length: length)))
                    }
                } else if live < k {
                    parents.append(c.parent); tokens.append(c.token)
                    newSequences.append(sequences[c.parent] + [c.token]); newTotals.append(c.total)
                    live += 1
                }
                if live == k && rank >= k - 1 { break }
            }
            while live < k { parents.append(r * k); tokens.append(endToken); newSequences.append([]); newTotals.append(-.infinity); live += 1 }
            if finished[r].count >= k { done[r] = true }
        }
        sequences = newSequences
        totals = newTotals
        previous = tokens
        if !done.contains(false) { break }
        state = decoder.select(next, rows: parents)
    }
    return (0..<rows).map { r in
        var pool = finished[r]
        if !done[r] {
            for b in 0..<k where totals[r * k + b] > -.infinity {
                let s = DecodedSequence(tokens: sequences[r * k + b], logProbability: totals[r * k + b])
                pool.append((s, normalization.score(totals[r * k + b], length: s.tokens.count)))
            }
        }
        return pool.max { $0.score < $1.score }?.sequence ?? DecodedSequence(tokens: [], logProbability: -.infinity)
    }
}
