/// Applies merge rules to the bytes of one pre-token: repeatedly merge the adjacent pair with
/// the lowest rank, the leftmost one when several share it. This is the order Hugging Face's
/// BPE model uses, so ids agree even for merge lists that no trainer would produce.
struct BPEWordMerger {
    private let table: PairTable
    private var symbols: UnsafeMutablePointer<Int32>
    /// ranks[i] is the packed merge (rank << 32 | result) of symbols i and i + 1.
    private var ranks: UnsafeMutablePointer<UInt64>
    private var capacity: Int
    private static let none = UInt64.max
    /// Past this many symbols the quadratic scan gives way to a heap.
    private let scanLimit: Int

    init(table: PairTable, scanLimit: Int = 96) {
        self.table = table
        self.scanLimit = scanLimit
        capacity = 128
        symbols = .allocate(capacity: capacity)
        ranks = .allocate(capacity: capacity)
    }

    func release() {
        symbols.deallocate()
        ranks.deallocate()
    }

    /// Merges `input` (ids of single bytes) and appends the resulting ids to `output`.
    mutating func merge(_ input: UnsafePointer<Int32>, _ count: Int, into output: inout [Int32]) {
        if count <= 1 {
            if count == 1 { output.append(input[0]) }
            return
        }
        if count > scanLimit {
            mergeWithHeap(input, count, into: &output)
            return
        }
        if count > capacity { reserve(count) }
        symbols.update(from: input, count: count)
        var length = count
        for index in 0..<(length - 1) { ranks[index] = packed(symbols[index], symbols[index + 1]) }
        while length > 1 {
            var best = Self.none
            var position = -1
            for index in 0..<(length - 1) where ranks[index] < best {
                best = ranks[index]
                position = index
            }
            if position < 0 { break }
            symbols[position] = Int32(truncatingIfNeeded: best & 0xFFFF_FFFF)
            let tail = length - position - 2
            if tail > 0 {
                (symbols + position + 1).update(from: symbols + position + 2, count: tail)
                (ranks + position + 1).update(from: ranks + position + 2, count: tail - 1)
            }
            length -= 1
            if position > 0 { ranks[position - 1] = packed(symbols[position - 1], symbols[position]) }
            if position < length - 1 { ranks[position] = packed(symbols[position], symbols[position + 1]) }
        }
        for index in 0..<length { output.append(symbols[index]) }
    }

    @inline(__always)
    private func packed(_ first: Int32, _ second: Int32) -> UInt64 {
        table.value(PairTable.key(first, second), default: Self.none)
    }

    private mutating func reserve(_ count: Int) {
        release()
        capacity = count
        symbols = .allocate(capacity: capacity)
        ranks = .allocate(capacity: capacity)
    }

    /// The same merge order kept in a min-heap of (rank, position), for long pre-tokens.
    private func mergeWithHeap(_ input: UnsafePointer<Int32>, _ count: Int, into output: inout [Int32]) {
        var symbol = Array(UnsafeBufferPointer(start: input, count: count))
        var next = Array(1...count)
        var previous = Array(-1..<(count - 1))
        var alive = [Bool](repeating: true, count: count)
        var heap = BinaryHeap<UInt64>()
        func push(_ position: Int) {
            let nextPosition = next[position]
            guard nextPosition < count else { return }
            let merge = packed(symbol[position], symbol[nextPosition])
            if merge != Self.none { heap.push(merge & ~0xFFFF_FFFF | UInt64(position)) }
        }
        for position in 0..<(count - 1) { push(position) }
        while let top = heap.pop() {
            let position = Int(top & 0xFFFF_FFFF)
            let rank = top >> 32
            guard alive[position], next[position] < count else { continue }
            let merge = packed(symbol[position], symbol[next[position]])
            guard merge != Self.none, merge >> 32 == rank else { continue }
            let removed = next[position]
            symbol[position] = Int32(truncatingIfNeeded: merge & 0xFFFF_FFFF)
            alive[removed] = false
            next[position] = next[removed]
            if next[removed] < count { previous[next[removed]] = position }
            if previous[position] >= 0 { push(previous[position]) }
            push(position)
        }
        var position = 0
        while position < count {
            output.append(symbol[position])
            position = next[position]
        }
    }
}

