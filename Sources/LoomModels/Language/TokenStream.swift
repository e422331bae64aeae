import Foundation
import LoomCore
import LoomTensor
import LoomText

/// A corpus encoded once into token ids, from which training windows are drawn.
public struct TokenStream: Equatable {
    public let tokens: [Int32]

    public init(tokens: [Int32]) { self.tokens = tokens }

    public var count: Int { tokens.count }

    /// The number of distinct window starts for windows of `length` inputs plus one target.
    public func windowCount(length: Int) -> Int { max(0, count - length) }

    /// `batch` windows of `length + 1` tokens at uniformly random starts (nanoGPT's
    /// `get_batch`): inputs are the first `length`, targets the last `length`, both (B, T)
    /// row-major. The starts come from `rng`, so the generator's state is the data position.
    public func randomBatch(batch: Int, length: Int, using rng: inout RandomGenerator) -> (inputs: [Int32], targets: [Int32]) {
        let starts = windowCount(length: length)
        precondition(starts > 0, "a stream of \(count) tokens holds no window of \(length + 1)")
        var inputs = [Int32](repeating: 0, count: batch * length)
        var targets = [Int32](repeating: 0, count: batch * length)
        tokens.withUnsafeBufferPointer { source in
            inputs.withUnsafeMutableBufferPointer { x in
                targets.withUnsafeMutableBufferPointer { y in
                    for b in 0..<batch {
                        let start = rng.nextInt(below: starts)
                        for t in 0..<length {
                            x[b * length + t] = source[start + t]
                            y[b * length + t] = source[start + t + 1]
                        }
                    }
                }
            }
        }
        return (inputs, targets)
    }

    /// FNV-1a over the ids: a cheap fingerprint that tells a resumed run its corpus changed.
    public var fingerprint: String {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for token in tokens {
            var value = UInt32(bitPattern: token)
            for _ in 0..<4 {
                hash ^= UInt64(value & 0xFF)
                hash = hash &* 0x0000_0100_0000_01B3
                value >>= 8
            }
        }
        return String(hash, radix: 16)
    }
}

/// The train and validation streams of one corpus: the last `validationFraction` of the
/// token stream is validation, as nanoGPT's `prepare.py` splits it.
public struct TokenData {
    public let train: TokenStream
    public let validation: TokenStream

    public init(train: TokenStream, validation: TokenStream) {
        self.train = train
        self.validation = validation
    }

    /// Splits `tokens` and checks that both halves hold at least one window of
    /// `context + 1` tokens; `source` names the corpus in the error.
    public static func split(_ tokens: [Int32], validationFraction: Double = 0.1, context: Int, source: String) throws -> TokenData {
        precondition(validationFraction >= 0 && validationFraction < 1, "validation fraction outside [0, 1)")
        let validationCount = Int((Double(tokens.count) * validationFraction).rounded(.down))
        let trainCount = tokens.count - validationCount
        let needed = context + 1
        guard trainCount >= needed, validationFraction == 0 || validationCount >= needed else {
            let smallest = validationFraction == 0 ? needed : Int((Double(needed) / validationFraction).rounded(.up))
            throw LoomError("\(source): the corpus encodes to \(tokens.count) tokens, too few for one context window of \(context) "
                            + "tokens in both the training part and the last \(Int(validationFraction * 100))% kept for validation "
                            + "(need at least \(max(smallest, needed + needed)) tokens); use a longer corpus or a smaller --context")
        }
        let train = TokenStream(tokens: Array(tokens[..<trainCount]))
        let validation = TokenStream(tokens: validationCount == 0 ? train.tokens : Array(tokens[trainCount...]))
        return TokenData(train: train, validation: validation)
    }

    /// Encodes `text` with `tokenizer` into 32-bit ids.
    public static func encode(_ text: String, with tokenizer: any Tokenizer) throws -> [Int32] {
        let ids = try tokenizer.encode(text)
        return ids.map { Int32(truncatingIfNeeded: $0) }
    }
}
