/// A set of fixed-length id tuples (the n-grams of one order) kept in one flat array and
/// found through an open-addressing hash index. Values live in parallel arrays owned by the
/// caller, indexed by entry number, so one n-gram costs `order` Int32s plus a slot or two.
struct NGramTable {
    let order: Int
    private(set) var ids: [Int32] = []
    private(set) var count = 0
    private var slots: [Int32]
    private var mask: Int

    init(order: Int, expectedCount: Int = 1024) {
        precondition(order >= 1)
        self.order = order
        var capacity = 16
        while capacity < expectedCount * 2 { capacity <<= 1 }
        slots = [Int32](repeating: -1, count: capacity)
        mask = capacity - 1
        ids.reserveCapacity(expectedCount * order)
    }

    @inline(__always)
    private static func hash(_ key: UnsafePointer<Int32>, _ order: Int) -> Int {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15
        for i in 0..<order {
            h = (h ^ UInt64(UInt32(bitPattern: key[i]))) &* 0xFF51_AFD7_ED55_8CCD
            h ^= h >> 29
        }
        return Int(truncatingIfNeeded: h)
    }

    /// The entry number of `key` (which points at `order` ids), or -1.
    func find(_ key: UnsafePointer<Int32>) -> Int {
        let order = self.order
        return slots.withUnsafeBufferPointer { slots in
            ids.withUnsafeBufferPointer { ids in
                var slot = NGramTable.hash(key, order) & mask
                while true {
                    let entry = Int(slots[slot])
                    if entry < 0 { return -1 }
                    let base = entry * order
                    var same = true
                    for i in 0..<order where ids[base + i] != key[i] { same = false; break }
                    if same { return entry }
                    slot = (slot + 1) & mask
                }
            }
        }
    }

    /// The entry number of `key`, inserting it when absent.
    mutating func findOrInsert(_ key: UnsafePointer<Int32>) -> (entry: Int, inserted: Bool) {
        if (count + 1) * 2 > slots.count { grow() }
        let order = self.order
        var slot = NGramTable.hash(key, order) & mask
        let found: Int = slots.withUnsafeBufferPointer { slots in
            ids.withUnsafeBufferPointer { ids in
                while true {
                    let entry = Int(slots[slot])
                    if entry < 0 { return -1 }
                    let base = entry * order
                    var same = true
                    for i in 0..<order where ids[base + i] != key[i] { same = false; break }
                    if same { return entry }
                    slot = (slot + 1) & mask
                }
            }
        }
        if found >= 0 { return (found, false) }
        slots[slot] = Int32(count)
        ids.append(contentsOf: UnsafeBufferPointer(start: key, count: order))
        count += 1
        return (count - 1, true)
    }

    func find(_ key: [Int32]) -> Int { key.withUnsafeBufferPointer { find($0.baseAddress!) } }

    mutating func findOrInsert(_ key: [Int32]) -> (entry: Int, inserted: Bool) {
        key.withUnsafeBufferPointer { findOrInsert($0.baseAddress!) }
    }

    /// The ids of one entry.
    func key(of entry: Int) -> ArraySlice<Int32> { ids[(entry * order)..<((entry + 1) * order)] }

    private mutating func grow() {
        let capacity = slots.count * 2
        var newSlots = [Int32](repeating: -1, count: capacity)
        let newMask = capacity - 1
        let order = self.order
        ids.withUnsafeBufferPointer { ids in
            newSlots.withUnsafeMutableBufferPointer { newSlots in
                for entry in 0..<count {
                    var slot = NGramTable.hash(ids.baseAddress! + entry * order, order) & newMask
                    while newSlots[slot] >= 0 { slot = (slot + 1) & newMask }
                    newSlots[slot] = Int32(entry)
                }
            }
        }
        slots = newSlots
        mask = newMask
    }
}
