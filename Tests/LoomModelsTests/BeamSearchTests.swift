import Foundation
import LoomTensor
import XCTest
@testable import LoomModels

/// A decoder driven by a fixed table: the next-token probabilities depend only on the
/// tokens produced so far. Token 0 is the end token; 9 is the start token, which the
/// table never produces.
struct TableDecoder: StepwiseDecoder {
    let vocabularySize: Int
    let table: ([Int]) -> [Double]
    static let start = 9

    func step(_ tokens: [Int], _ state: [[Int]]) -> (logProbabilities: [Float], state: [[Int]]) {
        var prefixes = state
        var scores: [Float] = []
        for (row, token) in tokens.enumerated() {
            if token != Self.start { prefixes[row].append(token) }
            scores += table(prefixes[row]).map { Float(Foundation.log($0)) }
        }
        return (scores, prefixes)
    }

    func select(_ state: [[Int]], rows: [Int]) -> [[Int]] { rows.map { state[$0] } }
}

final class BeamSearchTests: XCTestCase {
    /// Greedy takes `a` (0.55) and then can only reach 0.55·0.35·0.98 ≈ 0.19, while
    /// `b </s>` has probability 0.44·0.9 = 0.396.
    let trap = TableDecoder(vocabularySize: 3) { prefix in
        switch prefix {
        case []: return [0.01, 0.55, 0.44]
        case [1]: return [0.30, 0.35, 0.35]
        case [2]: return [0.90, 0.05, 0.05]
        default: return [0.98, 0.01, 0.01]
        }
    }

    func decode(_ decoder: TableDecoder, rows: Int, beam: Int?, normalization: LengthNormalization = .none,
                maximumLength: Int = 10) -> [DecodedSequence] {
        let state = [[Int]](repeating: [], count: rows)
        if let beam {
            return beamSearch(decoder, state: state, rows: rows, beamWidth: beam, startToken: TableDecoder.start,
                              endToken: 0, maximumLength: maximumLength, normalization: normalization)
        }
        return greedyDecode(decoder, state: state, rows: rows, startToken: TableDecoder.start, endToken: 0,
                            maximumLength: maximumLength)
    }

    func testBeamThreeFindsTheSequenceGreedyMisses() {
        let greedy = decode(trap, rows: 1, beam: nil)[0]
        XCTAssertEqual(greedy.tokens, [1, 1])
        XCTAssertEqual(greedy.logProbability, Foundation.log(0.55 * 0.35 * 0.98), accuracy: 1e-5)
        for normalization in [LengthNormalization.none, .average, .gnmt(alpha: 0.6)] {
            let beam = decode(trap, rows: 1, beam: 3, normalization: normalization)[0]
            XCTAssertEqual(beam.tokens, [2], "\(normalization)")
            XCTAssertEqual(beam.logProbability, Foundation.log(0.44 * 0.9), accuracy: 1e-5)
            XCTAssertGreaterThan(beam.logProbability, greedy.logProbability)
        }
    }

    func testBeamSearchBatchesInputsIndependently() {
        // Two rows of the same table decode alike, batched together.
        let results = decode(trap, rows: 2, beam: 3)
        XCTAssertEqual(results.map(\.tokens), [[2], [2]])
    }

    func testBeamWidthOneEqualsGreedyOnRandomTables() {
        for seed in 0..<40 {
            let decoder = TableDecoder(vocabularySize: 5) { prefix in
                var rng = RandomGenerator(seed: UInt64(seed) &* 1_000_003 &+ UInt64(fnvHash(prefix)))
                let weights = (0..<5).map { _ in Double(rng.nextFloat()) + 0.02 }
                let total = weights.reduce(0, +)
                return weights.map { $0 / total }
            }
            let greedy = decode(decoder, rows: 3, beam: nil, maximumLength: 6)
            let beam = decode(decoder, rows: 3, beam: 1, normalization: .gnmt(alpha: 0.6), maximumLength: 6)
            XCTAssertEqual(greedy.map(\.tokens), beam.map(\.tokens), "seed \(seed)")
            for (g, b) in zip(greedy, beam) { XCTAssertEqual(g.logProbability, b.logProbability, accuracy: 1e-6) }
        }
    }

    func testMaximumLengthEndsUnfinishedHypotheses() {
        let babbler = TableDecoder(vocabularySize: 3) { _ in [0.01, 0.9, 0.09] }
        XCTAssertEqual(decode(babbler, rows: 1, beam: nil, maximumLength: 4)[0].tokens, [1, 1, 1, 1])
        XCTAssertEqual(decode(babbler, rows: 1, beam: 2, maximumLength: 4)[0].tokens.count, 4)
    }

    func testLengthNormalizationScores() {
        XCTAssertEqual(LengthNormalization.average.score(-6, length: 3), -2)
        XCTAssertEqual(LengthNormalization.gnmt(alpha: 1).score(-6, length: 7), -3)
        XCTAssertEqual(LengthNormalization.none.score(-6, length: 7), -6)
    }
}

private func fnvHash(_ tokens: [Int]) -> UInt32 {
    var hash: UInt32 = 2_166_136_261
    for t in tokens { hash = (hash ^ UInt32(t + 1)) &* 16_777_619 }
    return hash
}
