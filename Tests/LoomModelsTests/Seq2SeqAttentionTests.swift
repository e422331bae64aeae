import LoomNN
import LoomTensor
import XCTest
@testable import LoomModels

final class Seq2SeqAttentionTests: XCTestCase {
    func checkAttention(_ kind: AttentionKind) {
        var rng = RandomGenerator(seed: 3)
        let attention = Attention(kind, queryDimension: 4, keyDimension: 6, attentionDimension: 5, using: &rng)
        let query = Tensor.randomNormal([2, 4], using: &rng)
        let keys = Tensor.randomNormal([2, 3, 6], using: &rng)
        let lengths = [3, 2]
        for output in 0..<2 {
            let report = checkGradients([query, keys], epsilon: 1e-2, maxElementsPerInput: 36) { inputs in
                let result = attention(query: inputs[0], memory: attention.memory(keys: inputs[1], lengths: lengths))
                return output == 0 ? result.context : result.weights
            }
            XCTAssertLessThan(report.worstError, 2e-3, "\(kind) \(output == 0 ? "context" : "weights"): \(report)")
        }
    }

    func testBahdanauGradients() { checkAttention(.bahdanau) }
    func testLuongGradients() { checkAttention(.luong) }

    func testPaddingGetsNoWeight() {
        var rng = RandomGenerator(seed: 5)
        for kind in [AttentionKind.bahdanau, .luong] {
            let attention = Attention(kind, queryDimension: 4, keyDimension: 4, attentionDimension: 4, using: &rng)
            let keys = Tensor.randomNormal([2, 4, 4], using: &rng)
            let (context, weights) = withoutGradients {
                attention(query: .randomNormal([2, 4], using: &rng), memory: attention.memory(keys: keys, lengths: [4, 2]))
            }
            let w = weights.scalars
            XCTAssertEqual(w[6], 0, accuracy: 1e-12)
            XCTAssertEqual(w[7], 0, accuracy: 1e-12)
            XCTAssertEqual(w[4] + w[5], 1, accuracy: 1e-5)
            XCTAssertEqual(w[0] + w[1] + w[2] + w[3], 1, accuracy: 1e-5)
            // The context of row 1 is the weighted mix of its first two keys only.
            let k = keys.scalars
            for d in 0..<4 {
                XCTAssertEqual(context.scalars[4 + d], w[4] * k[16 + d] + w[5] * k[20 + d], accuracy: 1e-5)
            }
        }
    }
}
