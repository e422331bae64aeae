import XCTest
@testable import LoomModels
import LoomNN
import LoomTensor

/// The key/value cache and sampling.
final class GPTGenerationTests: XCTestCase {
    static let config = GPTConfig(vocabularySize: 13, contextLength: 10, layers: 2, heads: 2, width: 16)

    static func model() -> GPT {
        let model = GPT(config: config, seed: 4)
        // Larger weights than GPT-2's init, so the logits differ visibly between positions.
        var rng = RandomGenerator(seed: 5)
        for (_, p) in model.namedParameters() where p.shape.count == 2 { rng.fillNormal(p.value.pointer, count: p.count, std: 0.3) }
        return model
    }

    func testCachedLogitsEqualFullForwardAtEveryPosition() {
        let model = Self.model()
        let tokens: [Int32] = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3]
        let full = withoutGradients { model.logits(tokens: tokens, batch: 1, length: 10) }.scalars
        let v = Self.config.vocabularySize
        // One token at a time.
        let cache = GPTKeyValueCache(config: Self.config)
        for (t, token) in tokens.enumerated() {
            let step = model.forward(tokens: [token], cache: cache)
            assertClose(step.scalars, Array(full[(t * v)..<((t + 1) * v)]), tolerance: 1e-5, "position \(t)")
        }
        XCTAssertTrue(cache.isFull)
        // A prefill of four, then chunks of three and three, keeping every position.
        cache.reset()
        var collected: [Float] = []
        for chunk in [0..<4, 4..<7, 7..<10] {
            collected += model.forward(tokens: Array(tokens[chunk]), cache: cache, allPositions: true).scalars
        }
        assertClose(collected, full, tolerance: 1e-5, "chunked")
    }

    func testCachedForwardIgnoresTrainingModeDropout() {
        let config = GPTConfig(vocabularySize: 13, contextLength: 10, layers: 1, heads: 2, width: 16, dropout: 0.5)
        let model = GPT(config: config, seed: 4)
        let a = model.forward(tokens: [1, 2, 3], cache: GPTKeyValueCache(config: config)).scalars
        let b = model.forward(tokens: [1, 2, 3], cache: GPTKeyValueCache(config: config)).scalars
        XCTAssertEqual(a, b)
    }

    func testSameSeedSameTokensAndStreamingMatchesResult() {
        let model = Self.model()
        let options = GenerationOptions(maxNewTokens: 25, temperature: 0.9, topK: 8, topP: 0.95)
        var first = RandomGenerator(seed: 11), second = RandomGenerator(seed: 11), third = RandomGenerator(seed: 12)
        var streamed: [Int] = []
        let a = model.generate(prompt: [1, 2], options: options, using: &first) { streamed.append($0) }
        let b = model.generate(prompt: [1, 2], options: options, using: &second)
        let c = model.generate(prompt: [1, 2], options: options, using: &third)
        XCTAssertEqual(a.count, 25)
        XCTAssertEqual(a, b)
        XCTAssertEqual(a, streamed)
        XCTAssertNotEqual(a, c)
    }

    /// Past the block size, each token comes from the last `contextLength` tokens, as nanoGPT crops.
    func testGreedyGenerationMatchesCroppedFullForward() {
        let model = Self.model()
        var rng = RandomGenerator(seed: 1)
        let produced = model.generate(prompt: [7, 3, 2], options: GenerationOptions(maxNewTokens: 15, temperature: 0), using: &rng)
        var sequence: [Int32] = [7, 3, 2]
        var expected: [Int] = []
        for _ in 0..<15 {
            let window = Array(sequence.suffix(10))
            let logits = withoutGradients { model.logits(tokens: window, batch: 1, length: window.count) }
            let next = logits.reshaped([window.count, 13]).argmaxLastAxis().last!
            expected.append(next)
            sequence.append(Int32(next))
        }
        XCTAssertEqual(produced, expected)
    }

    func testLongPromptIsCropped() {
        let model = Self.model()
        var rng = RandomGenerator(seed: 1)
        let prompt = Array(repeating: [1, 2, 3, 4], count: 5).flatMap { $0 }  // 20 tokens, context 10
        let greedy = GenerationOptions(maxNewTokens: 3, temperature: 0)
        let long = model.generate(prompt: prompt, options: greedy, using: &rng)
        let cropped = model.generate(prompt: Array(prompt.suffix(10)), options: greedy, using: &rng)
        XCTAssertEqual(long, cropped)
    }

    func testStopTokenEndsGeneration() {
        let model = Self.model()
        var rng = RandomGenerator(seed: 1)
        let greedy = model.generate(prompt: [5], options: GenerationOptions(maxNewTokens: 6, temperature: 0), using: &rng)
        let stop = greedy[2]
        let stopped = model.generate(prompt: [5], options: GenerationOptions(maxNewTokens: 6, temperature: 0, stopToken: stop), using: &rng)
        XCTAssertEqual(stopped, Array(greedy.prefix(while: { $0 != stop })))
    }

    func testSamplerFilters() {
        let logits: [Float] = [0.0, 3.0, 1.0, 2.9, -1.0]
        var rng = RandomGenerator(seed: 3)
        func draws(_ options: GenerationOptions) -> Set<Int> {
            Set((0..<400).map { _ in TokenSampler.sample(logits, count: 5, options: options, using: &rng) })
        }
        XCTAssertEqual(draws(GenerationOptions(temperature: 0)), [1])
        XCTAssertEqual(draws(GenerationOptions(temperature: 1, topK: 1)), [1])
        XCTAssertEqual(draws(GenerationOptions(temperature: 1, topK: 2)), [1, 3])
        // softmax ≈ [0.02, 0.47, 0.06, 0.43, 0.01]: 0.9 of the mass needs tokens 1 and 3 only.
        XCTAssertEqual(draws(GenerationOptions(temperature: 1, topP: 0.9)), [1, 3])
        XCTAssertEqual(draws(GenerationOptions(temperature: 1, topP: 0.3)), [1])
        XCTAssertEqual(draws(GenerationOptions(temperature: 1)), [0, 1, 2, 3, 4])
        XCTAssertEqual(draws(GenerationOptions(temperature: 1, vocabularyLimit: 3)), [0, 1, 2])
        XCTAssertEqual(draws(GenerationOptions(temperature: 0, vocabularyLimit: 1)), [0])
    }

    func testTwoSequencesShareOneModelConcurrently() {
        let model = Self.model()
        let prompts: [[Int]] = [[1, 2, 3], [4, 5]]
        let options = GenerationOptions(maxNewTokens: 20, temperature: 0.8)
        let expected = prompts.map { prompt -> [Int] in
            var rng = RandomGenerator(seed: 9)
            return model.generate(prompt: prompt, options: options, using: &rng)
        }
        var results = [[Int]](repeating: [], count: 2)
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: 2) { i in
            var rng = RandomGenerator(seed: 9)
            let produced = model.generate(prompt: prompts[i], options: options, using: &rng)
            lock.lock(); results[i] = produced; lock.unlock()
        }
        XCTAssertEqual(results, expected)
    }
}
