/// The working state of BPE training: distinct words as id sequences, pair counts, and a
/// max-heap of candidate merges. Mirrors the bookkeeping of Hugging Face's trainer so that the
/// merges come out the same, including how stale heap entries are refreshed.
struct BPETrainingState {
    /// Token strings by id, as `tokenizer.json` stores them.
    private(set) var tokenStrings: [String?] = []
    private(set) var merges: [BPEMerge] = []
    private var tokenBytes: [[UInt8]] = []
    private var idForString: [String: Int32] = [:]
    private var idForByte = [Int32](repeating: -1, count: 256)

    /// All words' symbols, back to back; word w occupies wordStart[w] ..< wordStart[w] + wordLength[w].
    private var symbols: [Int32] = []
    private var wordStart: [Int] = []
    private var wordLength: [Int] = []
    private var wordCount: [Int64] = []

    private let pairCounts = PairTable(minimumCapacity: 1 << 16)
    private var heap = BinaryHeap<MergeCandidate>()
    /// The words where a heap entry's pair may occur (entries own their lists, as in HF).
    private var positionLists: [[Int32]] = []

    init(specials: [String]) {
        for special in specials { addToken(string: special, bytes: Array(special.utf8)) }
        for byte in ByteLevelAlphabet.bytesInScalarOrder {
            idForByte[Int(byte)] = addToken(string: String(ByteLevelAlphabet.scalarForByte[Int(byte)]), bytes: [byte])
        }
    }

    @discardableResult
    private mutating func addToken(string: String, bytes: [UInt8]) -> Int32 {
        if let existing = idForString[string] { return existing }
        let id = Int32(tokenStrings.count)
        tokenStrings.append(string)
        tokenBytes.append(bytes)
        idForString[string] = id
        return id
    }

    /// Takes the counted words and builds the initial pair counts and heap.
    mutating func load(_ wordCounts: ByteStringTable) {
        wordCounts.forEach { bytes, length, count in
            // A single byte holds no pair, so it can never take part in a merge.
            guard length > 1 else { return }
            wordStart.append(symbols.count)
            wordLength.append(length)
            wordCount.append(Int64(count))
            for index in 0..<length { symbols.append(idForByte[Int(bytes[index])]) }
        }
        let listIndex = PairTable(minimumCapacity: 1 << 14)
        for word in 0..<wordStart.count {
            let start = wordStart[word]
            for index in start..<(start + wordLength[word] - 1) {
                let key = PairTable.key(symbols[index], symbols[index + 1])
                pairCounts.add(key, wordCount[word])
                if let list = listIndex.value(key) {
                    if positionLists[Int(list)].last != Int32(word) { positionLists[Int(list)].append(Int32(word)) }
                } else {
                    listIndex.set(key, UInt64(positionLists.count))
                    positionLists.append([Int32(word)])
                }
            }
        }
        listIndex.forEach { key, list in
            let count = Int64(bitPattern: pairCounts.value(key, default: 0))
            if count > 0 { heap.push(MergeCandidate(count: count, pair: key, positions: Int32(list))) }
        }
    }

    mutating func merge(untilVocabularySize vocabularySize: Int, minFrequency: Int,
                        progress: ((Int, Int) -> Void)?) {
        let target = vocabularySize - idForString.count
        var newPairs: [UInt64: [Int32]] = [:]
        while idForString.count < vocabularySize, var top = heap.pop() {
            let current = Int64(bitPattern: pairCounts.value(top.pair, default: 0))
            if top.count != current {
                top.count = current
                heap.push(top)
                continue
            }
            if top.count < Int64(minFrequency) { break }
            let first = Int32(truncatingIfNeeded: top.pair >> 32)
            let second = Int32(truncatingIfNeeded: top.pair & 0xFFFF_FFFF)
            let bytes = tokenBytes[Int(first)] + tokenBytes[Int(second)]
            let string = tokenStrings[Int(first)]! + tokenStrings[Int(second)]!
            let result = addToken(string: string, bytes: bytes)
            merges.append(BPEMerge(first: first, second: second, result: result))

            let words = positionLists[Int(top.positions)]
            positionLists[Int(top.positions)] = []
            for word in words { mergeWord(Int(word), first, second, result, &newPairs) }
            for (pair, words) in newPairs {
                let count = Int64(bitPattern: pairCounts.value(pair, default: 0))
                guard count > 0 else { continue }
                heap.push(MergeCandidate(count: count, pair: pair, positions: Int32(positionLists.count)))
                positionLists.append(words)
            }
            newPairs.removeAll(keepingCapacity: true)
            if merges.count % 200 == 0 { progress?(merges.count, target) }
        }
        progress?(merges.count, target)
    }

    /// Replaces each non-overlapping `first second`, left to right, and updates pair counts the
    /// way Hugging Face's `Word::merge` reports changes.
    private mutating func mergeWord(_ word: Int, _ first: Int32, _ second: Int32, _ result: Int32,
                                    _ newPairs: inout [UInt64: [Int32]]) {
        let start = wordStart[word]
        let length = wordLength[word]
        let count = wordCount[word]
        var read = 0
        var write = 0
        func added(_ key: UInt64) {
            pairCounts.add(key, count)
            newPairs[key, default: []].appendIfNew(Int32(word))
        }
        while read < length {
            let symbol = symbols[start + read]
            if symbol == first && read + 1 < length && symbols[start + read + 1] == second {
                if write > 0 {
                    let previous = symbols[start + write - 1]
                    pairCounts.add(PairTable.key(previous, first), -count)
                    added(PairTable.key(previous, result))
                }
                if read + 2 < length {
                    let next = symbols[start + read + 2]
                    pairCounts.add(PairTable.key(second, next), -count)
                    added(PairTable.key(result, next))
                }
                symbols[start + write] = result
                read += 2
            } else {
                symbols[start + write] = symbol
                read += 1
            }
            write += 1
        }
        wordLength[word] = write
    }
}

private extension Array where Element == Int32 {
    mutating func appendIfNew(_ word: Int32) {
        if last != word { append(word) }
    }
}

struct MergeCandidate: HeapOrdered {
    var count: Int64
    var pair: UInt64
    var positions: Int32

    /// Higher counts first; among equal counts, the pair with smaller ids.
    @inline(__always)
    func comesBefore(_ other: MergeCandidate) -> Bool { outranks(other) }

    func outranks(_ other: MergeCandidate) -> Bool {
        count != other.count ? count > other.count : pair < other.pair
    }
}

