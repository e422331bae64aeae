/// Open-addressing hash tables for the BPE hot paths. Swift's Dictionary hashes with SipHash
/// and allocates per key; these hash raw bytes and integer pairs directly into flat buffers.

@inline(__always)
func mixHash(_ value: UInt64) -> UInt64 {
    var hash = value &* 0x9E37_79B9_7F4A_7C15
    hash ^= hash >> 32
    hash = hash &* 0xBF58_476D_1CE4_E5B9
    hash ^= hash >> 29
    return hash
}

@inline(__always)
func hashBytes(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> UInt64 {
    var hash: UInt64 = 0x243F_6A88_85A3_08D3 ^ UInt64(count)
    var index = 0
    while index + 8 <= count {
        let word = UnsafeRawPointer(bytes + index).loadUnaligned(as: UInt64.self)
        hash = (hash ^ word) &* 0x9E37_79B9_7F4A_7C15
        hash ^= hash >> 29
        index += 8
    }
    if index < count {
        var word: UInt64 = 0
        var shift: UInt64 = 0
        while index < count {
            word |= UInt64(bytes[index]) << shift
            shift += 8
            index += 1
        }
        hash = (hash ^ word) &* 0x9E37_79B9_7F4A_7C15
    }
    return mixHash(hash)
}

/// Maps a pair of 32-bit ids, packed as `first << 32 | second`, to a 64-bit value.
/// Keys are never removed.
final class PairTable {
    private static let emptyKey = UInt64.max
    private(set) var keys: UnsafeMutablePointer<UInt64>
    private(set) var values: UnsafeMutablePointer<UInt64>
    private var mask: Int
    private(set) var count = 0

    init(minimumCapacity: Int = 16) {
        var capacity = 16
        while capacity < minimumCapacity * 2 { capacity *= 2 }
        keys = .allocate(capacity: capacity)
        keys.initialize(repeating: Self.emptyKey, count: capacity)
        values = .allocate(capacity: capacity)
        values.initialize(repeating: 0, count: capacity)
        mask = capacity - 1
    }

    deinit {
        keys.deallocate()
        values.deallocate()
    }

    var capacity: Int { mask + 1 }

    @inline(__always)
    static func key(_ first: Int32, _ second: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: first)) << 32 | UInt64(UInt32(bitPattern: second))
    }

    /// The slot holding `key`, or the empty slot where it would go.
    @inline(__always)
    private func slot(_ key: UInt64) -> Int {
        var index = Int(truncatingIfNeeded: mixHash(key)) & mask
        while true {
            let found = keys[index]
            if found == key || found == Self.emptyKey { return index }
            index = (index + 1) & mask
        }
    }

    @inline(__always)
    func value(_ key: UInt64) -> UInt64? {
        let index = slot(key)
        return keys[index] == key ? values[index] : nil
    }

    @inline(__always)
    func value(_ key: UInt64, default fallback: UInt64) -> UInt64 {
        let index = slot(key)
        return keys[index] == key ? values[index] : fallback
    }

    @inline(__always)
    func set(_ key: UInt64, _ value: UInt64) {
        let index = slot(key)
        if keys[index] != key {
            keys[index] = key
            count += 1
            values[index] = value
            if count * 2 > capacity { grow() }
            return
        }
        values[index] = value
    }

    /// Adds `delta` to a signed counter stored in the value (0 when absent).
    @inline(__always)
    func add(_ key: UInt64, _ delta: Int64) {
        let index = slot(key)
        if keys[index] != key {
            keys[index] = key
            values[index] = UInt64(bitPattern: delta)
            count += 1
            if count * 2 > capacity { grow() }
            return
        }
        values[index] = UInt64(bitPattern: Int64(bitPattern: values[index]) &+ delta)
    }

    func forEach(_ body: (UInt64, UInt64) -> Void) {
        for index in 0..<capacity where keys[index] != Self.emptyKey { body(keys[index], values[index]) }
    }

    private func grow() {
        let oldKeys = keys, oldValues = values, oldCapacity = capacity
        let newCapacity = oldCapacity * 2
        keys = .allocate(capacity: newCapacity)
        keys.initialize(repeating: Self.emptyKey, count: newCapacity)
        values = .allocate(capacity: newCapacity)
        values.initialize(repeating: 0, count: newCapacity)
        mask = newCapacity - 1
        for index in 0..<oldCapacity where oldKeys[index] != Self.emptyKey {
            let target = slot(oldKeys[index])
            keys[target] = oldKeys[index]
            values[target] = oldValues[index]
        }
        oldKeys.deallocate()
        oldValues.deallocate()
    }
}

/// Maps byte strings to 64-bit values. Keys are copied into one arena.
final class ByteStringTable {
    private struct Entry {
        var hash: UInt64
        var keyOffset: Int
        var keyLength: Int32
        var occupied: Bool
        var value: UInt64
    }

    private var entries: UnsafeMutablePointer<Entry>
    private var mask: Int
    private(set) var count = 0
    private(set) var arena: UnsafeMutablePointer<UInt8>
    private var arenaCapacity: Int
    private(set) var arenaUsed = 0

    init(minimumCapacity: Int = 1024) {
        var capacity = 16
        while capacity < minimumCapacity * 2 { capacity *= 2 }
        entries = .allocate(capacity: capacity)
        entries.initialize(repeating: Entry(hash: 0, keyOffset: 0, keyLength: 0, occupied: false, value: 0), count: capacity)
        mask = capacity - 1
        arenaCapacity = max(4096, minimumCapacity * 8)
        arena = .allocate(capacity: arenaCapacity)
    }

    deinit {
        entries.deallocate()
        arena.deallocate()
    }

    var capacity: Int { mask + 1 }

    @inline(__always)
    private func slot(_ bytes: UnsafePointer<UInt8>, _ length: Int, _ hash: UInt64) -> Int {
        var index = Int(truncatingIfNeeded: hash) & mask
        while true {
            let entry = entries[index]
            if !entry.occupied { return index }
            if entry.hash == hash && Int(entry.keyLength) == length
                && memoryEqual(arena + entry.keyOffset, bytes, length) {
                return index
            }
            index = (index + 1) & mask
        }
    }

    @inline(__always)
    private func memoryEqual(_ left: UnsafePointer<UInt8>, _ right: UnsafePointer<UInt8>, _ length: Int) -> Bool {
        var index = 0
        while index + 8 <= length {
            if UnsafeRawPointer(left + index).loadUnaligned(as: UInt64.self)
                != UnsafeRawPointer(right + index).loadUnaligned(as: UInt64.self) { return false }
            index += 8
        }
        while index < length {
            if left[index] != right[index] { return false }
            index += 1
        }
        return true
    }

    @inline(__always)
    func value(_ bytes: UnsafePointer<UInt8>, _ length: Int) -> UInt64? {
        let index = slot(bytes, length, hashBytes(bytes, length))
        return entries[index].occupied ? entries[index].value : nil
    }

    /// Inserts or overwrites.
    func set(_ bytes: UnsafePointer<UInt8>, _ length: Int, _ value: UInt64) {
        update(bytes, length, hashBytes(bytes, length)) { _ in value }
    }

    /// Adds `delta` to the value, starting from 0 for a new key.
    @inline(__always)
    func add(_ bytes: UnsafePointer<UInt8>, _ length: Int, _ delta: UInt64) {
        add(bytes, length, hash: hashBytes(bytes, length), delta)
    }

    @inline(__always)
    func add(_ bytes: UnsafePointer<UInt8>, _ length: Int, hash: UInt64, _ delta: UInt64) {
        let index = slot(bytes, length, hash)
        if entries[index].occupied {
            entries[index].value &+= delta
            return
        }
        insert(at: index, bytes, length, hash, delta)
    }

    @inline(__always)
    private func update(_ bytes: UnsafePointer<UInt8>, _ length: Int, _ hash: UInt64, _ change: (UInt64?) -> UInt64) {
        let index = slot(bytes, length, hash)
        if entries[index].occupied {
            entries[index].value = change(entries[index].value)
            return
        }
        insert(at: index, bytes, length, hash, change(nil))
    }

    private func insert(at index: Int, _ bytes: UnsafePointer<UInt8>, _ length: Int, _ hash: UInt64, _ value: UInt64) {
        if arenaUsed + length > arenaCapacity {
            var newCapacity = arenaCapacity * 2
            while arenaUsed + length > newCapacity { newCapacity *= 2 }
            let newArena = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
            newArena.update(from: arena, count: arenaUsed)
            arena.deallocate()
            arena = newArena
            arenaCapacity = newCapacity
        }
        (arena + arenaUsed).update(from: bytes, count: length)
        entries[index] = Entry(hash: hash, keyOffset: arenaUsed, keyLength: Int32(length), occupied: true, value: value)
        arenaUsed += length
        count += 1
        if count * 2 > capacity { grow() }
    }

    /// Calls `body(keyPointer, keyLength, value)` for every entry.
    func forEach(_ body: (UnsafePointer<UInt8>, Int, UInt64) -> Void) {
        for index in 0..<capacity where entries[index].occupied {
            let entry = entries[index]
            body(arena + entry.keyOffset, Int(entry.keyLength), entry.value)
        }
    }

    /// Adds every count of `other` into this table.
    func addAll(from other: ByteStringTable) {
        other.forEach { bytes, length, value in add(bytes, length, value) }
    }

    private func grow() {
        let old = entries, oldCapacity = capacity
        let newCapacity = oldCapacity * 2
        entries = .allocate(capacity: newCapacity)
        entries.initialize(repeating: Entry(hash: 0, keyOffset: 0, keyLength: 0, occupied: false, value: 0), count: newCapacity)
        mask = newCapacity - 1
        for index in 0..<oldCapacity where old[index].occupied {
            var target = Int(truncatingIfNeeded: old[index].hash) & mask
            while entries[target].occupied { target = (target + 1) & mask }
            entries[target] = old[index]
        }
        old.deallocate()
    }
}
