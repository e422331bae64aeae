/// Levenshtein distance between two token sequences (unit costs for insertion, deletion
/// and substitution), in O(|a|·|b|) time and O(|b|) memory.
public func editDistance<T: Equatable>(_ a: [T], _ b: [T]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
            current[j] = min(substitution, previous[j] + 1, current[j - 1] + 1)
        }
        swap(&previous, &current)
    }
    return previous[b.count]
}

/// Token and sequence error rates over a corpus: token error rate is the total edit
/// distance divided by the total reference length (phone error rate for G2P, character
/// error rate for character targets); sequence error rate is the fraction of outputs that
/// differ from their reference at all (word error rate for G2P).
public struct ErrorRates: Equatable {
    public var edits = 0
    public var referenceTokens = 0
    public var wrongSequences = 0
    public var sequences = 0

    public init() {}

    public mutating func add<T: Equatable>(hypothesis: [T], reference: [T]) {
        let d = editDistance(hypothesis, reference)
        edits += d
        referenceTokens += reference.count
        wrongSequences += d == 0 ? 0 : 1
        sequences += 1
    }

    public var tokenErrorRate: Double { Double(edits) / Double(max(referenceTokens, 1)) }
    public var sequenceErrorRate: Double { Double(wrongSequences) / Double(max(sequences, 1)) }
}
