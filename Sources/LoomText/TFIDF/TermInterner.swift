import Foundation

/// Maps byte strings (terms) to dense ids without building a Swift String per token: the bytes
/// live in one arena, and an open-addressing table keyed by a 64-bit hash finds them.
struct TermInterner {
    private(set) var arena: [UInt8] = []
    private(set) var starts: [Int32] = [0]
    private var hashes: [UInt64] = []
    private var slots: [Int32]
    private var mask: Int

    init(expectedCount: Int = 1 << 14) {
        var capacity = 16
        while capacity < expectedCount * 2 { capacity <<= 1 }
        slots = [Int32](repeating: -1, count: capacity)
        mask = capacity - 1
    }

    var count: Int { hashes.count }

    @inline(__always)
    static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in bytes { h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        return h ^ (h >> 31)
    }

    @inline(__always)
    private func slot(of bytes: UnsafeBufferPointer<UInt8>, hash: UInt64) -> (slot: Int, id: Int) {
        var slot = Int(truncatingIfNeeded: hash) & mask
        return slots.withUnsafeBufferPointer { slots in
            arena.withUnsafeBufferPointer { arena in
                starts.withUnsafeBufferPointer { starts in
                    hashes.withUnsafeBufferPointer { hashes in
                        while true {
                            let id = Int(slots[slot])
                            if id < 0 { return (slot, -1) }
                            if hashes[id] == hash {
                                let start = Int(starts[id]), length = Int(starts[id + 1]) - start
                                if length == bytes.count, memcmp(arena.baseAddress! + start, bytes.baseAddress!, length) == 0 {
                                    return (slot, id)
                                }
                            }
                            slot = (slot + 1) & mask
                        }
                    }
                }
            }
        }
    }

    func find(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        if count == 0 { return -1 }
        return slot(of: bytes, hash: TermInterner.hash(bytes)).id
    }

    /// The id of `bytes`, adding it when new.
    mutating func intern(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        if (count + 1) * 2 > slots.count { grow() }
        let hash = TermInterner.hash(bytes)
        let (slot, id) = self.slot(of: bytes, hash: hash)
        if id >= 0 { return id }
        slots[slot] = Int32(count)
        hashes.append(hash)
        arena.append(contentsOf: bytes)
        starts.append(Int32(arena.count))
        return count - 1
    }

    mutating func intern(_ text: String) -> Int {
        var text = text
        return text.withUTF8 { intern($0) }
    }

    func bytes(of id: Int) -> ArraySlice<UInt8> { arena[Int(starts[id])..<Int(starts[id + 1])] }

    func string(of id: Int) -> String { String(decoding: bytes(of: id), as: UTF8.self) }

    private mutating func grow() {
        let capacity = slots.count * 2
        var newSlots = [Int32](repeating: -1, count: capacity)
        let newMask = capacity - 1
        for (id, hash) in hashes.enumerated() {
            var slot = Int(truncatingIfNeeded: hash) & newMask
            while newSlots[slot] >= 0 { slot = (slot + 1) & newMask }
            newSlots[slot] = Int32(id)
        }
        slots = newSlots
        mask = newMask
    }
}
